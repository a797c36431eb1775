package sns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
)

// Message data protection: a topic's data protection policy (one per
// topic, kept as its DataProtectionPolicy attribute) names sensitive data
// by data identifier and what to do when a message carries it:
//
//   - Inbound statements apply to Publish and PublishBatch, for the
//     publishing principal: Audit counts the findings of a sample of the
//     messages, Deny refuses the message (AuthorizationError), Deidentify
//     masks or redacts the data before the fan-out (and refuses a message
//     that is nothing but sensitive data).
//   - Outbound statements apply to each delivery, for the subscription's
//     principal: Deny skips the subscription.
//
// Nimbus knows a caller only by its account, so a principal ARN in a
// statement (a user, a role or the account's root) stands for its
// account; "*" is everyone, including AWS services publishing to the
// topic. Audit findings are logged (at Info, in the shape of SNS's audit
// log); the FindingsDestination and NoFindingsDestination (CloudWatch
// Logs, Firehose, S3) are checked and kept but nothing is written to
// them. What is scanned is the message (each protocol's message with
// MessageStructure=json), not the subject or the message attributes.

// maxDataPolicyLength is the documented length limit of a policy.
const maxDataPolicyLength = 30720

// Limits of custom data identifiers.
const (
	maxCustomIdentifiers  = 10
	maxCustomNameLength   = 128
	maxCustomRegexLength  = 200
	dataPolicyVersion     = "2021-06-01"
	defaultMaskCharacter  = "*"
	logGroupPrefix        = "/aws/vendedlogs/"
	dataPolicyParameter   = "DataProtectionPolicy"
	customRegexCharacters = "_#=@/;,- ^$?[]{}|\\*+."
)

type dataOperation int

const (
	opAudit dataOperation = iota
	opDeny
	opDeidentify
)

// dataPolicy is a topic's data protection policy, compiled.
type dataPolicy struct {
	statements []*dataStatement
	outbound   bool // some statement is Outbound
}

type dataStatement struct {
	index    int
	outbound bool
	anyone   bool
	accounts map[string]bool
	// identifiers are the data the statement looks for, by name;
	// detectors[i] is nil for a managed identifier Nimbus does not
	// detect.
	identifiers []string
	detectors   []detector
	op          dataOperation
	mask        string // Deidentify with MaskConfig; "" redacts
	sampleRate  int    // Audit: percent of the messages
}

// dataPolicyError is the InvalidParameter of a policy SNS refuses.
func dataPolicyError(format string, args ...any) *awserr.Error {
	return invalidParameter("%s Reason: %s", dataPolicyParameter, fmt.Sprintf(format, args...))
}

// jsonFields decodes a JSON object, refusing fields other than allowed.
func jsonFields(raw json.RawMessage, what string, allowed ...string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, dataPolicyError("%s must be a JSON object", what)
	}
	for k := range m {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return nil, dataPolicyError("Unsupported field %s in %s", k, what)
		}
	}
	return m, nil
}

// jsonString reads a string field; required says whether it may be absent.
func jsonString(m map[string]json.RawMessage, key, what string, required bool) (string, bool, error) {
	raw, ok := m[key]
	if !ok {
		if required {
			return "", false, dataPolicyError("%s is missing the required field %s", what, key)
		}
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, dataPolicyError("%s.%s must be a string", what, key)
	}
	return s, true, nil
}

// jsonStrings reads a non-empty list of strings (a lone string is a list
// of one, as in IAM policies).
func jsonStrings(m map[string]json.RawMessage, key, what string) ([]string, error) {
	raw, ok := m[key]
	if !ok {
		return nil, dataPolicyError("%s is missing the required field %s", what, key)
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return nil, dataPolicyError("%s.%s must be a list of strings", what, key)
		}
		list = []string{one}
	}
	if len(list) == 0 {
		return nil, dataPolicyError("%s.%s must not be empty", what, key)
	}
	return list, nil
}

// parseDataPolicy validates a data protection policy document and
// compiles it.
func parseDataPolicy(doc string) (*dataPolicy, error) {
	if len(doc) > maxDataPolicyLength {
		return nil, dataPolicyError("Policy is longer than %d characters", maxDataPolicyLength)
	}
	if !json.Valid([]byte(doc)) {
		return nil, dataPolicyError("Policy is not valid JSON")
	}
	top, err := jsonFields(json.RawMessage(doc), "Policy", "Name", "Description", "Version", "Statement", "Configuration")
	if err != nil {
		return nil, err
	}
	if name, _, err := jsonString(top, "Name", "Policy", true); err != nil {
		return nil, err
	} else if name == "" {
		return nil, dataPolicyError("Policy Name must not be empty")
	}
	if _, _, err := jsonString(top, "Description", "Policy", false); err != nil {
		return nil, err
	}
	version, _, err := jsonString(top, "Version", "Policy", true)
	if err != nil {
		return nil, err
	}
	if version != dataPolicyVersion {
		return nil, dataPolicyError("Unsupported policy Version %q; the current version is %s", version, dataPolicyVersion)
	}
	custom, err := parseCustomIdentifiers(top["Configuration"])
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(top["Statement"], &raws); err != nil || len(raws) == 0 {
		if _, ok := top["Statement"]; !ok {
			return nil, dataPolicyError("Policy is missing the required field Statement")
		}
		return nil, dataPolicyError("Statement must be a non-empty list of statements")
	}
	p := &dataPolicy{}
	audits := 0
	for i, raw := range raws {
		st, err := parseDataStatement(i, raw, custom)
		if err != nil {
			return nil, err
		}
		if st.op == opAudit {
			if audits++; audits > 1 {
				return nil, dataPolicyError("A policy can have only one Audit statement")
			}
		}
		p.outbound = p.outbound || st.outbound
		p.statements = append(p.statements, st)
	}
	return p, nil
}

// parseCustomIdentifiers reads Configuration.CustomDataIdentifier.
func parseCustomIdentifiers(raw json.RawMessage) (map[string]*regexp.Regexp, error) {
	custom := map[string]*regexp.Regexp{}
	if raw == nil {
		return custom, nil
	}
	cfg, err := jsonFields(raw, "Configuration", "CustomDataIdentifier")
	if err != nil {
		return nil, err
	}
	var list []json.RawMessage
	if err := json.Unmarshal(cfg["CustomDataIdentifier"], &list); err != nil {
		return nil, dataPolicyError("Configuration.CustomDataIdentifier must be a list")
	}
	if len(list) > maxCustomIdentifiers {
		return nil, dataPolicyError("A policy can have at most %d custom data identifiers", maxCustomIdentifiers)
	}
	for _, item := range list {
		m, err := jsonFields(item, "CustomDataIdentifier", "Name", "Regex")
		if err != nil {
			return nil, err
		}
		name, _, err := jsonString(m, "Name", "CustomDataIdentifier", true)
		if err != nil {
			return nil, err
		}
		expr, _, err := jsonString(m, "Regex", "CustomDataIdentifier", true)
		if err != nil {
			return nil, err
		}
		if name == "" || len(name) > maxCustomNameLength || strings.ContainsFunc(name, func(r rune) bool { return !customNameRune(r) }) {
			return nil, dataPolicyError("Custom data identifier name %q must be 1 to %d letters, digits, underscores and hyphens", name, maxCustomNameLength)
		}
		if managedIdentifiers[name] {
			return nil, dataPolicyError("Custom data identifier name %s is the name of a managed data identifier", name)
		}
		if _, dup := custom[name]; dup {
			return nil, dataPolicyError("Custom data identifier name %s is used more than once", name)
		}
		if expr == "" || len(expr) > maxCustomRegexLength {
			return nil, dataPolicyError("Regex of custom data identifier %s must be 1 to %d characters", name, maxCustomRegexLength)
		}
		if i := strings.IndexFunc(expr, func(r rune) bool { return !customNameRune(r) && !strings.ContainsRune(customRegexCharacters, r) }); i >= 0 {
			r, _ := utf8.DecodeRuneInString(expr[i:])
			return nil, dataPolicyError("Regex of custom data identifier %s has an unsupported character %q", name, r)
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, dataPolicyError("Regex of custom data identifier %s is not a valid regular expression", name)
		}
		custom[name] = re
	}
	return custom, nil
}

func customNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

func parseDataStatement(i int, raw json.RawMessage, custom map[string]*regexp.Regexp) (*dataStatement, error) {
	what := "Statement[" + strconv.Itoa(i) + "]"
	m, err := jsonFields(raw, what, "Sid", "DataDirection", "Principal", "DataIdentifier", "Operation")
	if err != nil {
		return nil, err
	}
	if _, _, err := jsonString(m, "Sid", what, false); err != nil {
		return nil, err
	}
	st := &dataStatement{index: i, accounts: map[string]bool{}}
	dir, _, err := jsonString(m, "DataDirection", what, true)
	if err != nil {
		return nil, err
	}
	switch dir {
	case "Inbound":
	case "Outbound":
		st.outbound = true
	default:
		return nil, dataPolicyError("%s.DataDirection must be Inbound or Outbound, not %q", what, dir)
	}
	principals, err := jsonStrings(m, "Principal", what)
	if err != nil {
		return nil, err
	}
	for _, p := range principals {
		if p == "*" {
			st.anyone = true
			continue
		}
		account, ok := principalAccount(p)
		if !ok {
			return nil, dataPolicyError("%s.Principal %q is not \"*\", an account id or an IAM principal ARN", what, p)
		}
		st.accounts[account] = true
	}
	ids, err := jsonStrings(m, "DataIdentifier", what)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if name, ok := strings.CutPrefix(id, managedIdentifierPrefix); ok {
			if !managedIdentifiers[name] {
				return nil, dataPolicyError("%s.DataIdentifier %s is not a managed data identifier", what, id)
			}
			st.identifiers = append(st.identifiers, name)
			st.detectors = append(st.detectors, detectors[name])
			continue
		}
		re, ok := custom[id]
		if !ok {
			return nil, dataPolicyError("%s.DataIdentifier %s is neither a managed data identifier ARN nor a custom data identifier of the policy", what, id)
		}
		st.identifiers = append(st.identifiers, id)
		st.detectors = append(st.detectors, matchAll(re, func(s string) bool { return s != "" }))
	}
	if err := parseOperation(st, m["Operation"], what); err != nil {
		return nil, err
	}
	return st, nil
}

// parseOperation reads a statement's Operation: exactly one of Audit,
// Deny and Deidentify; Audit and Deidentify act on Inbound data only.
func parseOperation(st *dataStatement, raw json.RawMessage, what string) error {
	if raw == nil {
		return dataPolicyError("%s is missing the required field Operation", what)
	}
	what += ".Operation"
	m, err := jsonFields(raw, what, "Audit", "Deny", "Deidentify")
	if err != nil {
		return err
	}
	if len(m) != 1 {
		return dataPolicyError("%s must have exactly one of Audit, Deny and Deidentify", what)
	}
	switch {
	case m["Deny"] != nil:
		st.op = opDeny
		_, err := jsonFields(m["Deny"], what+".Deny")
		return err
	case m["Audit"] != nil:
		st.op = opAudit
		if st.outbound {
			return dataPolicyError("%s: the Audit operation applies to Inbound data only", what)
		}
		return parseAudit(st, m["Audit"], what+".Audit")
	}
	st.op = opDeidentify
	if st.outbound {
		return dataPolicyError("%s: the Deidentify operation applies to Inbound data only", what)
	}
	what += ".Deidentify"
	d, err := jsonFields(m["Deidentify"], what, "MaskConfig", "RedactConfig")
	if err != nil {
		return err
	}
	if len(d) != 1 {
		return dataPolicyError("%s must have exactly one of MaskConfig and RedactConfig", what)
	}
	if raw, ok := d["RedactConfig"]; ok {
		_, err := jsonFields(raw, what+".RedactConfig")
		return err
	}
	mask, err := jsonFields(d["MaskConfig"], what+".MaskConfig", "MaskWithCharacter")
	if err != nil {
		return err
	}
	c, set, err := jsonString(mask, "MaskWithCharacter", what+".MaskConfig", false)
	if err != nil {
		return err
	}
	if !set {
		c = defaultMaskCharacter
	}
	if len(c) != 1 || c[0] < 0x21 || c[0] > 0x7e {
		return dataPolicyError("%s.MaskConfig.MaskWithCharacter must be one printable character, not %q", what, c)
	}
	st.mask = c
	return nil
}

func parseAudit(st *dataStatement, raw json.RawMessage, what string) error {
	m, err := jsonFields(raw, what, "SampleRate", "FindingsDestination", "NoFindingsDestination")
	if err != nil {
		return err
	}
	st.sampleRate = 99
	if r, ok := m["SampleRate"]; ok {
		var v any
		d := json.NewDecoder(bytes.NewReader(r))
		d.UseNumber()
		if d.Decode(&v) != nil {
			return dataPolicyError("%s.SampleRate must be an integer from 0 to 99", what)
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 99 {
			return dataPolicyError("%s.SampleRate must be an integer from 0 to 99", what)
		}
		st.sampleRate = n
	}
	for _, key := range []string{"FindingsDestination", "NoFindingsDestination"} {
		raw, ok := m[key]
		if !ok {
			continue
		}
		dest, err := jsonFields(raw, what+"."+key, "CloudWatchLogs", "Firehose", "S3")
		if err != nil {
			return err
		}
		for field, sub := range map[string]string{"CloudWatchLogs": "LogGroup", "Firehose": "DeliveryStream", "S3": "Bucket"} {
			raw, ok := dest[field]
			if !ok {
				continue
			}
			w := what + "." + key + "." + field
			d, err := jsonFields(raw, w, sub)
			if err != nil {
				return err
			}
			v, _, err := jsonString(d, sub, w, true)
			if err != nil {
				return err
			}
			if v == "" || field == "CloudWatchLogs" && !strings.HasPrefix(v, logGroupPrefix) {
				return dataPolicyError("%s.%s %q is not valid: a log group's name must start with %s", w, sub, v, logGroupPrefix)
			}
		}
	}
	return nil
}

// principalAccount reads the account of a statement's principal: a
// 12-digit account id or an IAM or STS ARN
// (arn:aws:iam::111122223333:user/name, ...:root, arn:aws:sts::...).
func principalAccount(p string) (string, bool) {
	if request.IsAccountID(p) {
		return p, true
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != partition || (parts[2] != "iam" && parts[2] != "sts") ||
		parts[3] != "" || !request.IsAccountID(parts[4]) || parts[5] == "" {
		return "", false
	}
	return parts[4], true
}

// appliesTo reports whether the statement covers a principal of account
// ("" for a caller that is no account's, like an AWS service).
func (st *dataStatement) appliesTo(account string) bool {
	return st.anyone || account != "" && st.accounts[account]
}

// find returns the statement's findings in text, per identifier.
func (st *dataStatement) find(text string) map[string][]span {
	var out map[string][]span
	for i, detect := range st.detectors {
		if detect == nil {
			continue
		}
		if found := detect(text); len(found) > 0 {
			if out == nil {
				out = map[string][]span{}
			}
			out[st.identifiers[i]] = append(out[st.identifiers[i]], found...)
		}
	}
	return out
}

func (st *dataStatement) finds(text string) bool {
	for _, detect := range st.detectors {
		if detect != nil && len(detect(text)) > 0 {
			return true
		}
	}
	return false
}

func errDataProtectionDenied() *awserr.Error {
	return snsapi.ErrAuthorizationErrorException.New("The topic's data protection policy prohibits this message from being published")
}
