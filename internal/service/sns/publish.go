package sns

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/service/sns/filterpolicy"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

const (
	maxMessageSize = 256 * 1024
	// dedupWindow is how long a FIFO topic remembers a deduplication id.
	dedupWindow = 5 * time.Minute
	maxBatch    = 10
)

// publication is one message being published to a topic.
type publication struct {
	messageID   string
	message     string
	perProtocol map[string]string // MessageStructure=json
	subject     string
	attrs       []msgAttr
	groupID     string
	dedupID     string
	sequence    string
	timestamp   string

	filter *filterpolicy.Message

	// Data protection (dataprotection.go): the publisher's account, the
	// message as published (once a policy changed it), the policy
	// document last applied, and which Outbound scans found data.
	caller         string
	original       *publishedText
	protected      bool
	protectedBy    string
	outboundDenied map[string]bool

	// signed caches the signed notification of each signature version
	// and message: every subscription of a publish shares it.
	signed map[string]*notificationFields
}

// messageFor is the message a protocol's endpoints get.
func (p *publication) messageFor(protocol string) string {
	if m, ok := p.perProtocol[protocol]; ok {
		return m
	}
	return p.message
}

func (p *publication) filterMessage() *filterpolicy.Message {
	if p.filter == nil {
		p.filter = &filterpolicy.Message{Attributes: filterAttributes(p.attrs), Body: p.message}
	}
	return p.filter
}

// publishParams are the parameters Publish and PublishBatch entries share.
type publishParams struct {
	message, subject, structure, groupID, dedupID *string
	attrs                                         map[string]snsapi.MessageAttributeValue
}

// prepare validates a message and returns its publication and size.
func (s *Service) prepare(p publishParams) (*publication, int, error) {
	msg := deref(p.message)
	if msg == "" {
		return nil, 0, invalidParameter("Empty message")
	}
	pub := &publication{messageID: newUUID(), message: msg, timestamp: s.now().UTC().Format(timestampLayout)}
	if p.subject != nil {
		subj := *p.subject
		if subj == "" || len(subj) > 100 || strings.ContainsFunc(subj, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			return nil, 0, invalidParameter("Subject")
		}
		pub.subject = subj
	}
	switch deref(p.structure) {
	case "":
	case "json":
		var m map[string]any
		if err := json.Unmarshal([]byte(msg), &m); err != nil || m == nil {
			return nil, 0, invalidParameter("Message Structure - JSON message body failed to parse")
		}
		def, ok := m["default"].(string)
		if !ok {
			return nil, 0, invalidParameter("Message Structure - No default entry in JSON message body")
		}
		pub.message = def
		pub.perProtocol = map[string]string{}
		for k, v := range m {
			if sv, ok := v.(string); ok && k != "default" {
				pub.perProtocol[k] = sv
			}
		}
	default:
		return nil, 0, invalidParameter("MessageStructure")
	}
	attrs, attrSize, err := checkMessageAttributes(p.attrs)
	if err != nil {
		return nil, 0, err
	}
	pub.attrs = attrs
	size := len(msg) + attrSize
	if size > maxMessageSize {
		return nil, 0, invalidParameter("Message too long")
	}
	if p.groupID != nil {
		if !validFifoID(*p.groupID) {
			return nil, 0, invalidParameter("MessageGroupId Reason: MessageGroupId can only contain alphanumeric and punctuation characters and must be between 1 and 128 characters long")
		}
		pub.groupID = *p.groupID
	}
	if p.dedupID != nil {
		if !validFifoID(*p.dedupID) {
			return nil, 0, invalidParameter("MessageDeduplicationId Reason: MessageDeduplicationId can only contain alphanumeric and punctuation characters and must be between 1 and 128 characters long")
		}
		pub.dedupID = *p.dedupID
	}
	return pub, size, nil
}

func validFifoID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func (s *Service) Publish(ctx context.Context, in *snsapi.PublishInput) (*snsapi.PublishOutput, error) {
	info := request.FromContext(ctx)
	topic, target, phone := deref(in.TopicArn), deref(in.TargetArn), deref(in.PhoneNumber)
	if topic == "" {
		if _, ok := parseTopicARN(target); ok {
			topic, target = target, ""
		}
	}
	if topic == "" && target == "" && phone == "" {
		return nil, invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	pub, _, err := s.prepare(publishParams{message: in.Message, subject: in.Subject, structure: in.MessageStructure,
		groupID: in.MessageGroupId, dedupID: in.MessageDeduplicationId, attrs: in.MessageAttributes})
	if err != nil {
		return nil, err
	}
	if topic == "" {
		return s.publishDirect(ctx, target, phone, pub)
	}
	if err := checkTopicARN(topic); err != nil {
		return nil, err
	}
	pub.caller = info.Account
	if err := s.protectBeforePublish(ctx, topic, []*publication{pub})[0]; err != nil {
		return nil, err
	}
	s.presign(ctx, topic, []*publication{pub}, info.Endpoint)
	err = s.publishTx(ctx, func(ctx context.Context, tx storage.Tx, inline bool) error {
		f, err := s.fanoutIn(tx, topic)
		if err != nil {
			return err
		}
		return s.publishIn(ctx, tx, f, pub, info.Endpoint, inline)
	})
	if err != nil {
		return nil, err
	}
	out := &snsapi.PublishOutput{MessageId: &pub.messageID}
	if pub.sequence != "" {
		out.SequenceNumber = &pub.sequence
	}
	return out, nil
}

var batchIDChars = func() [256]bool {
	var ok [256]bool
	for c := range 256 {
		ok[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	return ok
}()

func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !batchIDChars[id[i]] {
			return false
		}
	}
	return true
}

func (s *Service) PublishBatch(ctx context.Context, in *snsapi.PublishBatchInput) (*snsapi.PublishBatchOutput, error) {
	info := request.FromContext(ctx)
	topic := deref(in.TopicArn)
	if err := checkTopicARN(topic); err != nil {
		return nil, err
	}
	entries := in.PublishBatchRequestEntries
	switch {
	case len(entries) == 0:
		return nil, snsapi.ErrEmptyBatchRequestException.New("The batch request doesn't contain any entries.")
	case len(entries) > maxBatch:
		return nil, snsapi.ErrTooManyEntriesInBatchRequestException.New("The batch request contains more entries than permissible.")
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range entries {
		id := deref(e.Id)
		if !validBatchID(id) {
			return nil, snsapi.ErrInvalidBatchEntryIdException.New("A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return nil, snsapi.ErrBatchEntryIdsNotDistinctException.New("Two or more batch entries in the request have the same Id.")
		}
		seen[id] = true
		total += len(deref(e.Message))
		for name, a := range e.MessageAttributes {
			total += len(name) + len(deref(a.DataType)) + len(deref(a.StringValue)) + len(a.BinaryValue)
		}
	}
	if total > maxMessageSize {
		return nil, snsapi.ErrBatchRequestTooLongException.New("The length of all the messages put together is more than the limit.")
	}
	out := &snsapi.PublishBatchOutput{Successful: []snsapi.PublishBatchResultEntry{}, Failed: []snsapi.BatchResultErrorEntry{}}
	pubs := make([]*publication, len(entries))
	for i, e := range entries {
		pub, _, err := s.prepare(publishParams{message: e.Message, subject: e.Subject, structure: e.MessageStructure,
			groupID: e.MessageGroupId, dedupID: e.MessageDeduplicationId, attrs: e.MessageAttributes})
		if err != nil {
			out.Failed = append(out.Failed, batchFailure(deref(e.Id), err))
			continue
		}
		pub.caller = info.Account
		pubs[i] = pub
	}
	for i, err := range s.protectBeforePublish(ctx, topic, pubs) {
		if err != nil {
			out.Failed = append(out.Failed, batchFailure(deref(entries[i].Id), err))
			pubs[i] = nil
		}
	}
	s.presign(ctx, topic, pubs, info.Endpoint)
	// publishTx may run this more than once: it starts afresh each
	// time.
	failed := map[int]error{}
	err := s.publishTx(ctx, func(ctx context.Context, tx storage.Tx, inline bool) error {
		clear(failed)
		f, err := s.fanoutIn(tx, topic)
		if err != nil {
			return err
		}
		for i, pub := range pubs {
			if pub == nil {
				continue
			}
			if err := s.publishIn(ctx, tx, f, pub, info.Endpoint, inline); err != nil {
				var ae *awserr.Error
				if !errors.As(err, &ae) {
					return err
				}
				failed[i] = err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, err := range failed {
		out.Failed = append(out.Failed, batchFailure(deref(entries[i].Id), err))
		pubs[i] = nil
	}
	slices.SortFunc(out.Failed, func(a, b snsapi.BatchResultErrorEntry) int { return strings.Compare(*a.Id, *b.Id) })
	for i, pub := range pubs {
		if pub == nil {
			continue
		}
		r := snsapi.PublishBatchResultEntry{Id: entries[i].Id, MessageId: ptr(pub.messageID)}
		if pub.sequence != "" {
			r.SequenceNumber = ptr(pub.sequence)
		}
		out.Successful = append(out.Successful, r)
	}
	return out, nil
}

func batchFailure(id string, err error) snsapi.BatchResultErrorEntry {
	ae := awserr.From(err)
	return snsapi.BatchResultErrorEntry{Id: &id, Code: ptr(ae.Code), Message: ptr(ae.Message), SenderFault: ptr(ae.Sender)}
}

// fanout is a topic and its subscriptions, compiled for publishing.
type fanout struct {
	topic *topicRecord
	subs  []*liveSub
	// protection is the topic's data protection policy, compiled from
	// protectionDoc; nil when it has none.
	protection    *dataPolicy
	protectionDoc string
}

// enveloped reports whether the subscription's deliveries carry a signed
// notification.
func (ls *liveSub) enveloped() bool {
	switch ls.rec.Protocol {
	case protoSQS, protoHTTP, protoHTTPS, protoFirehose:
		return !ls.raw
	case protoLambda, protoEmailJSON:
		return true
	}
	return false
}

type liveSub struct {
	rec    *subRecord
	filter *filterpolicy.Policy
	raw    bool
	dlq    string
	retry  events.RetryPolicy // HTTP/S
	ctype  string             // HTTP/S Content-Type
	rate   int                // HTTP/S maxReceivesPerSecond; 0 is no limit
}

// fanoutOutsideTx returns the topic's compiled fan-out, from the cache
// or from a read transaction of its own, for work done before a
// publish's transaction.
func (s *Service) fanoutOutsideTx(ctx context.Context, topic string) (*fanout, error) {
	if f, _ := s.cache.get(topic); f != nil {
		return f, nil
	}
	var f *fanout
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		f, err = s.fanoutIn(tx, topic)
		return err
	})
	return f, err
}

// fanoutIn returns the topic's compiled fan-out, from the cache or from
// tx.
func (s *Service) fanoutIn(tx storage.Tx, topic string) (*fanout, error) {
	f, gen := s.cache.get(topic)
	if f != nil {
		return f, nil
	}
	t, err := loadTopic(tx, topic)
	if err != nil {
		return nil, err
	}
	subs, err := topicSubs(tx, topic)
	if err != nil {
		return nil, err
	}
	f = &fanout{topic: t, protection: s.compileDataPolicy(t), protectionDoc: t.Attrs[attrDataProtectionPolicy]}
	for _, sub := range subs {
		ls := &liveSub{rec: sub, raw: sub.Attrs[attrRawDelivery] == "true"}
		if fp := sub.Attrs[attrFilterPolicy]; fp != "" {
			if ls.filter, err = filterpolicy.Parse(fp, scopeOf(sub.Attrs[attrFilterPolicyScope])); err != nil {
				s.log.Warn("sns: a stored filter policy does not parse", "subscription", sub.ARN, "err", err)
			}
		}
		if rp := sub.Attrs[attrRedrivePolicy]; rp != "" {
			var v struct {
				DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			}
			if json.Unmarshal([]byte(rp), &v) == nil {
				ls.dlq = v.DeadLetterTargetArn
			}
		}
		if sub.Protocol == protoHTTP || sub.Protocol == protoHTTPS {
			retry, throttle, ctype := httpDeliverySettings(t.Attrs[attrDeliveryPolicy], sub.Attrs[attrDeliveryPolicy])
			ls.retry, ls.ctype = retry.busRetry(), ctype
			if throttle != nil {
				ls.rate = throttle.MaxReceivesPerSecond
			}
		}
		f.subs = append(f.subs, ls)
	}
	s.cache.put(topic, f, gen)
	return f, nil
}

// publishIn publishes pub to the topic of f inside tx: FIFO deduplication
// and sequencing, then one delivery per matching confirmed subscription.
// Errors in pub's parameters are *awserr.Error and leave tx untouched.
func (s *Service) publishIn(ctx context.Context, tx storage.Tx, f *fanout, pub *publication, endpoint string, inline bool) error {
	t := f.topic
	if err := s.protectInbound(f, pub); err != nil {
		return err
	}
	if t.fifo() {
		if pub.groupID == "" {
			return invalidParameter("The MessageGroupId parameter is required for FIFO topics")
		}
		if pub.dedupID == "" {
			if !t.contentDedup() {
				return invalidParameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(pub.message))
			pub.dedupID = hex.EncodeToString(sum[:])
		}
		dup, err := s.deduplicate(tx, t.ARN, pub)
		if err != nil || dup {
			return err
		}
	} else if pub.dedupID != "" {
		return invalidParameter("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	var ds []*events.Delivery
	for _, sub := range f.subs {
		if sub.rec.Pending {
			continue
		}
		if sub.filter != nil && !sub.filter.Match(pub.filterMessage()) {
			continue
		}
		if f.deliveryDenied(sub, pub) {
			s.log.Debug("sns: the topic's data protection policy prohibits this message from being delivered", "subscription", sub.rec.ARN)
			continue
		}
		d, err := s.deliveryFor(tx, t, sub, pub, endpoint)
		if err != nil {
			return err
		}
		if d != nil {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return nil
	}
	if inline {
		return s.bus.DeliverInline(ctx, tx, ds...)
	}
	return s.bus.Enqueue(tx, ds...)
}

// publishTx runs a publish in a transaction (which the storage engine
// commits together with concurrent ones), first delivering to local sinks
// (SQS) in the publish's own transaction; if a sink fails there, the
// publish runs again with its deliveries enqueued for the dispatcher,
// which retries them and sends them to their dead-letter queues. fn may
// run more than once and must start afresh each time.
func (s *Service) publishTx(ctx context.Context, fn func(ctx context.Context, tx storage.Tx, inline bool) error) error {
	hctx, hooks := events.WithCommitHooks(ctx)
	inline := true
	for {
		err := s.db.Update(ctx, func(tx storage.Tx) error {
			hooks(false)
			return fn(hctx, tx, inline)
		})
		if inline && errors.Is(err, events.ErrNotInline) {
			inline = false
			continue
		}
		hooks(err == nil)
		return err
	}
}

// deduplicate reports whether a FIFO message repeats one published within
// the deduplication window (pub then takes that message's id and sequence
// number); otherwise it numbers pub and remembers its deduplication id.
func (s *Service) deduplicate(tx storage.Tx, topic string, pub *publication) (bool, error) {
	now := s.now()
	key := topic + "\x00" + pub.dedupID
	var rec dedupRecord
	err := getJSON(tx, tableDedup, key, &rec)
	switch {
	case err == nil && rec.Expires.After(now):
		pub.messageID, pub.sequence = rec.MessageID, rec.Sequence
		return true, nil
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return false, err
	}
	seq, err := nextSequence(tx, topic)
	if err != nil {
		return false, err
	}
	pub.sequence = seq
	return false, putJSON(tx, tableDedup, key, dedupRecord{MessageID: pub.messageID, Sequence: seq, Expires: now.Add(dedupWindow)})
}

// nextSequence numbers a FIFO topic's messages: 20 digits, increasing.
func nextSequence(tx storage.Tx, topic string) (string, error) {
	var n uint64
	b, err := tx.Get(tableSeq, []byte(topic))
	switch {
	case err == nil && len(b) == 8:
		n = binary.BigEndian.Uint64(b)
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return "", err
	}
	n++
	if err := tx.Put(tableSeq, []byte(topic), binary.BigEndian.AppendUint64(nil, n)); err != nil {
		return "", err
	}
	return fmt.Sprintf("%020d", uint64(10_000_000_000_000_000_000)+n), nil
}

// sweepDedup forgets deduplication ids whose window has passed.
func (s *Service) sweepDedup(ctx context.Context) error {
	now := s.now()
	var expired [][]byte
	err := s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tableDedup, storage.Range{}, func(k, v []byte) bool {
			var rec dedupRecord
			if json.Unmarshal(v, &rec) != nil || !rec.Expires.After(now) {
				expired = append(expired, append([]byte(nil), k...))
			}
			return true
		})
	})
	if err != nil || len(expired) == 0 {
		return err
	}
	return s.db.Update(ctx, func(tx storage.Tx) error {
		for _, k := range expired {
			var rec dedupRecord
			if getJSON(tx, tableDedup, string(k), &rec) == nil && rec.Expires.After(now) {
				continue // renewed since
			}
			if err := tx.Delete(tableDedup, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// notification returns the signed notification of pub carrying message,
// signing it once per publish (presign usually did, before the
// transaction).
func (s *Service) notification(tx storage.Tx, t *topicRecord, pub *publication, message, endpoint string) (*notificationFields, error) {
	if n, ok := pub.signed[signedKey(t, message)]; ok {
		c := *n
		c.Sequence = pub.sequence // numbered in the transaction, and not signed
		return &c, nil
	}
	sg, err := s.signerIn(tx)
	if err != nil {
		return nil, err
	}
	return s.signedNotification(sg, t, pub, message, endpoint)
}

func signedKey(t *topicRecord, message string) string {
	return signatureVersion(t) + "\x00" + message
}

func signatureVersion(t *topicRecord) string {
	if v := t.Attrs[attrSignatureVersion]; v != "" {
		return v
	}
	return "1"
}

func (s *Service) signedNotification(sg *signer, t *topicRecord, pub *publication, message, endpoint string) (*notificationFields, error) {
	n := &notificationFields{MessageID: pub.messageID, Sequence: pub.sequence, TopicARN: t.ARN, Subject: pub.subject,
		Message: message, Timestamp: pub.timestamp, Attrs: pub.attrs}
	if err := sg.signNotification(n, signatureVersion(t), endpoint); err != nil {
		return nil, err
	}
	if pub.signed == nil {
		pub.signed = map[string]*notificationFields{}
	}
	pub.signed[signedKey(t, message)] = n
	return n, nil
}

// presign signs, before the publish's transaction, the notifications its
// subscriptions will need, so that RSA signing (a millisecond) does not
// hold the store's write lock. The fan-out it looks at may change before
// the transaction; notification then signs what presign did not.
func (s *Service) presign(ctx context.Context, topic string, pubs []*publication, endpoint string) {
	f, err := s.fanoutOutsideTx(ctx, topic)
	if err != nil {
		return // the transaction reports it
	}
	var sg *signer
	for _, pub := range pubs {
		if pub == nil {
			continue
		}
		for _, sub := range f.subs {
			if sub.rec.Pending || !sub.enveloped() || (sub.filter != nil && !sub.filter.Match(pub.filterMessage())) {
				continue
			}
			msg := pub.messageFor(sub.rec.Protocol)
			if _, ok := pub.signed[signedKey(f.topic, msg)]; ok {
				continue
			}
			if sg == nil {
				var err error
				if sg, err = s.loadSigner(ctx); err != nil {
					return
				}
			}
			if _, err := s.signedNotification(sg, f.topic, pub, msg, endpoint); err != nil {
				return
			}
		}
	}
}
