package sns

import (
	"context"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

func (s *Service) PutDataProtectionPolicy(ctx context.Context, in *snsapi.PutDataProtectionPolicyInput) (*snsapi.PutDataProtectionPolicyOutput, error) {
	arn := deref(in.ResourceArn)
	if _, ok := parseTopicARN(arn); !ok {
		return nil, invalidParameter("ResourceArn")
	}
	doc := deref(in.DataProtectionPolicy)
	// An empty policy removes the topic's policy.
	if doc != "" {
		if _, err := parseDataPolicy(doc); err != nil {
			return nil, err
		}
	}
	err := s.updateTopic(ctx, arn, func(tx storage.Tx) error {
		t, err := loadTopic(tx, arn)
		if err != nil {
			return err
		}
		if doc == "" {
			delete(t.Attrs, attrDataProtectionPolicy)
		} else {
			if t.Attrs == nil {
				t.Attrs = map[string]string{}
			}
			t.Attrs[attrDataProtectionPolicy] = doc
		}
		return putJSON(tx, tableTopics, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.PutDataProtectionPolicyOutput{}, nil
}

// GetDataProtectionPolicy answers the topic's policy as it was set, or an
// empty string when it has none.
func (s *Service) GetDataProtectionPolicy(ctx context.Context, in *snsapi.GetDataProtectionPolicyInput) (*snsapi.GetDataProtectionPolicyOutput, error) {
	arn := deref(in.ResourceArn)
	if _, ok := parseTopicARN(arn); !ok {
		return nil, invalidParameter("ResourceArn")
	}
	var doc string
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, err := loadTopic(tx, arn)
		if err != nil {
			return err
		}
		doc = t.Attrs[attrDataProtectionPolicy]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.GetDataProtectionPolicyOutput{DataProtectionPolicy: &doc}, nil
}

// compileDataPolicy compiles a topic's stored policy for its fan-out.
func (s *Service) compileDataPolicy(t *topicRecord) *dataPolicy {
	doc := t.Attrs[attrDataProtectionPolicy]
	if doc == "" {
		return nil
	}
	p, err := parseDataPolicy(doc)
	if err != nil {
		s.log.Warn("sns: a stored data protection policy does not parse", "topic", t.ARN, "err", err)
		return nil
	}
	return p
}

// publishedText is a message as its publisher sent it.
type publishedText struct {
	message     string
	perProtocol map[string]string
}

// protectBeforePublish applies the topic's Inbound statements to pubs
// before their transaction (so that presign signs what will be sent);
// it returns the error of each refused publication (nil where none). A
// topic that cannot be read is left for the transaction to report.
func (s *Service) protectBeforePublish(ctx context.Context, topic string, pubs []*publication) []error {
	f, err := s.fanoutOutsideTx(ctx, topic)
	if err != nil {
		return make([]error, len(pubs))
	}
	errs := make([]error, len(pubs))
	for i, pub := range pubs {
		if pub != nil {
			errs[i] = s.protectInbound(f, pub)
		}
	}
	return errs
}

// protectInbound applies the Inbound statements of the fan-out's policy
// to pub, unless that policy already did: a publish checks again in its
// transaction, against the policy the topic has then, always starting
// from the message as published.
func (s *Service) protectInbound(f *fanout, pub *publication) error {
	if pub.protected && pub.protectedBy == f.protectionDoc {
		return nil
	}
	if pub.original == nil {
		if f.protection == nil {
			pub.protected, pub.protectedBy = true, ""
			return nil
		}
		pub.original = &publishedText{message: pub.message, perProtocol: maps.Clone(pub.perProtocol)}
	}
	pub.message, pub.perProtocol = pub.original.message, maps.Clone(pub.original.perProtocol)
	pub.filter, pub.signed, pub.outboundDenied = nil, nil, nil
	pub.protected, pub.protectedBy = true, f.protectionDoc
	if f.protection == nil {
		return nil
	}
	return s.applyInbound(f.topic, f.protection, pub)
}

// applyInbound runs the statements that cover the publisher: the audit
// first, then the denials, then the de-identification.
func (s *Service) applyInbound(t *topicRecord, p *dataPolicy, pub *publication) error {
	texts := pub.texts()
	var deidentify []*dataStatement
	for _, st := range p.statements {
		if !st.outbound && st.op == opAudit && st.appliesTo(pub.caller) && sampled(pub.messageID, st.sampleRate) {
			s.auditFindings(t, st, pub, texts)
		}
	}
	for _, st := range p.statements {
		if st.outbound || !st.appliesTo(pub.caller) {
			continue
		}
		switch st.op {
		case opDeny:
			for _, text := range texts {
				if st.finds(text) {
					return errDataProtectionDenied()
				}
			}
		case opDeidentify:
			deidentify = append(deidentify, st)
		}
	}
	if len(deidentify) == 0 {
		return nil
	}
	msg, ok := deidentified(pub.message, deidentify)
	if !ok {
		return errDataProtectionDenied()
	}
	pub.message = msg
	for k, v := range pub.perProtocol {
		if pub.perProtocol[k], ok = deidentified(v, deidentify); !ok {
			return errDataProtectionDenied()
		}
	}
	return nil
}

// texts are the messages of a publication: the default one and, with
// MessageStructure=json, each protocol's.
func (p *publication) texts() []string {
	out := []string{p.message}
	for _, k := range slices.Sorted(maps.Keys(p.perProtocol)) {
		out = append(out, p.perProtocol[k])
	}
	return out
}

// sampled picks a stable rate percent of the messages by their ids.
func sampled(messageID string, rate int) bool {
	h := fnv.New32a()
	h.Write([]byte(messageID))
	return int(h.Sum32()%100) < rate
}

// auditFinding is one data identifier in SNS's audit log.
type auditFinding struct {
	Name       string            `json:"name"`
	Count      int               `json:"count"`
	Detections []auditDetections `json:"detections"`
}

type auditDetections struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// auditFindings logs what an Audit statement finds in a message. Nimbus
// has no CloudWatch Logs, Firehose or S3 destination to write to.
func (s *Service) auditFindings(t *topicRecord, st *dataStatement, pub *publication, texts []string) {
	byName := map[string]*auditFinding{}
	for _, text := range texts {
		for name, spans := range st.find(text) {
			f := byName[name]
			if f == nil {
				f = &auditFinding{Name: name}
				byName[name] = f
			}
			for _, sp := range spans {
				f.Count++
				f.Detections = append(f.Detections, auditDetections{Start: sp.start, End: sp.end})
			}
		}
	}
	findings := make([]auditFinding, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		findings = append(findings, *byName[name])
	}
	caller := ""
	if pub.caller != "" {
		caller = "arn:aws:iam::" + pub.caller + ":root"
	}
	s.log.Info("sns: data protection audit", "messageId", pub.messageID, "callerPrincipal", caller,
		"resourceArn", t.ARN, "findings", len(findings) > 0, "dataIdentifiers", findings)
}

// maskEdit replaces text[start:end] with mask repeated once per
// character, or with nothing when mask is "".
type maskEdit struct {
	span
	mask string
}

// deidentified masks or redacts in text what the statements find; ok is
// false when the text is nothing but sensitive data (SNS then refuses
// the message).
func deidentified(text string, statements []*dataStatement) (string, bool) {
	var edits []maskEdit
	for _, st := range statements {
		for _, spans := range st.find(text) {
			for _, sp := range spans {
				edits = append(edits, maskEdit{sp, st.mask})
			}
		}
	}
	if len(edits) == 0 {
		return text, true
	}
	slices.SortFunc(edits, func(a, b maskEdit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	// Overlapping findings are one; redaction wins over masking.
	merged := edits[:1]
	for _, e := range edits[1:] {
		last := &merged[len(merged)-1]
		if e.start < last.end {
			last.end = max(last.end, e.end)
			if e.mask == "" {
				last.mask = ""
			}
			continue
		}
		merged = append(merged, e)
	}
	var b strings.Builder
	at := 0
	onlySensitive := true
	for _, e := range merged {
		kept := text[at:e.start]
		onlySensitive = onlySensitive && strings.TrimFunc(kept, unicode.IsSpace) == ""
		b.WriteString(kept)
		if e.mask != "" {
			b.WriteString(strings.Repeat(e.mask, utf8.RuneCountInString(text[e.start:e.end])))
		}
		at = e.end
	}
	onlySensitive = onlySensitive && strings.TrimFunc(text[at:], unicode.IsSpace) == ""
	if onlySensitive {
		return "", false
	}
	b.WriteString(text[at:])
	return b.String(), true
}

// deliveryDenied reports whether an Outbound Deny statement covering the
// subscription's principal finds sensitive data in the message the
// subscription would get.
func (f *fanout) deliveryDenied(sub *liveSub, pub *publication) bool {
	p := f.protection
	if p == nil || !p.outbound {
		return false
	}
	msg := pub.messageFor(sub.rec.Protocol)
	for _, st := range p.statements {
		if !st.outbound || st.op != opDeny || !st.appliesTo(sub.rec.Owner) {
			continue
		}
		// Subscriptions share the scan of a statement and message.
		key := strconv.Itoa(st.index) + "\x00" + msg
		denied, ok := pub.outboundDenied[key]
		if !ok {
			denied = st.finds(msg)
			if pub.outboundDenied == nil {
				pub.outboundDenied = map[string]bool{}
			}
			pub.outboundDenied[key] = denied
		}
		if denied {
			return true
		}
	}
	return false
}
