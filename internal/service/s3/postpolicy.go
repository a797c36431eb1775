package s3

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/sigv4"
)

// The POST policy of a browser upload ("Authenticating Requests in
// Browser-Based Uploads Using POST"): a base64 JSON document with an
// expiration and conditions on the form fields, signed with SigV4
// (x-amz-signature, hex HMAC-SHA256 of the base64 text) or SigV2
// (signature, base64 HMAC-SHA1). S3's answers that its documentation does
// not spell out follow what S3 has been seen to send.

var (
	errInvalidPolicyDocument = awserr.Def{Code: "InvalidPolicyDocument", Status: http.StatusBadRequest, Sender: true}
	errSignatureDoesNotMatch = awserr.Def{Code: "SignatureDoesNotMatch", Status: http.StatusForbidden, Sender: true}
	errInvalidAccessKeyID    = awserr.Def{Code: "InvalidAccessKeyId", Status: http.StatusForbidden, Sender: true}
)

func invalidPolicy(msg string) error { return errInvalidPolicyDocument.New("Invalid Policy: " + msg) }

func policyDenied(msg string) error {
	return errAccessDenied.New("Invalid according to Policy: " + msg)
}

// postAuthKind is how a form upload authenticates.
type postAuthKind int

const (
	postAnonymous postAuthKind = iota
	postSigV2
	postSigV4
)

// postAuth is the authentication fields of a form.
type postAuth struct {
	kind      postAuthKind
	policy    string // base64, as sent; "" when the form has none
	accessKey string
	signature string
	// SigV4 only: the x-amz-credential scope and x-amz-date.
	credential, credDate, region, service, date string
}

// formFieldWire is how S3 names a field in its errors.
type formFieldWire struct{ name, wire string }

var (
	sigV4Fields = []formFieldWire{{"x-amz-algorithm", "X-Amz-Algorithm"}, {"x-amz-credential", "X-Amz-Credential"},
		{"x-amz-date", "X-Amz-Date"}, {"x-amz-signature", "X-Amz-Signature"}, {"policy", "Policy"}}
	sigV2Fields = []formFieldWire{{"awsaccesskeyid", "AWSAccessKeyId"}, {"signature", "Signature"}, {"policy", "Policy"}}
)

func missingFormField(wire string) error {
	return errInvalidArgument.Newf("Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", wire).
		WithDetail(map[string]string{"ArgumentName": wire, "ArgumentValue": ""})
}

// parsePostAuth reads the authentication fields: any SigV4 field makes the
// form SigV4 and requires them all, AWSAccessKeyId or signature make it
// SigV2; a form with neither is anonymous (its policy, if any, still
// applies).
func parsePostAuth(f *postForm) (*postAuth, error) {
	a := &postAuth{policy: f.values["policy"]}
	has := func(name string) bool { _, ok := f.values[name]; return ok }
	var required []formFieldWire
	switch {
	case has("x-amz-algorithm") || has("x-amz-credential") || has("x-amz-date") || has("x-amz-signature"):
		a.kind, required = postSigV4, sigV4Fields
	case has("awsaccesskeyid") || has("signature"):
		a.kind, required = postSigV2, sigV2Fields
	default:
		return a, nil
	}
	for _, fw := range required {
		if !has(fw.name) {
			return nil, missingFormField(fw.wire)
		}
	}
	if a.kind == postSigV2 {
		a.accessKey, a.signature = f.values["awsaccesskeyid"], f.values["signature"]
		return a, nil
	}
	a.signature, a.credential, a.date = f.values["x-amz-signature"], f.values["x-amz-credential"], f.values["x-amz-date"]
	if alg := f.values["x-amz-algorithm"]; alg != "AWS4-HMAC-SHA256" {
		return nil, invalidArgument(`X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`, "X-Amz-Algorithm", alg)
	}
	parts := strings.Split(a.credential, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return nil, invalidArgument(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`, "X-Amz-Credential", a.credential)
	}
	if parts[0] == "" {
		return nil, invalidArgument("a non-empty Access Key (AKID) must be provided in the credential.", "X-Amz-Credential", a.credential)
	}
	if _, err := time.Parse("20060102", parts[1]); err != nil {
		return nil, invalidArgument(`incorrect date format "`+parts[1]+`". This date in the credential must be in the format "yyyyMMdd".`, "X-Amz-Credential", a.credential)
	}
	if _, err := time.Parse("20060102T150405Z", a.date); err != nil {
		return nil, invalidArgument("X-Amz-Date must be formated via ISO8601 Long format", "X-Amz-Date", a.date)
	}
	a.accessKey, a.credDate, a.region, a.service = parts[0], parts[1], parts[2], parts[3]
	return a, nil
}

// mismatchDetail is what S3 adds to a SignatureDoesNotMatch of a form
// upload, in S3's order.
type postMismatchDetail struct {
	AWSAccessKeyID    *string `aws:"name=AWSAccessKeyId"`
	StringToSign      *string `aws:"name=StringToSign"`
	SignatureProvided *string `aws:"name=SignatureProvided"`
	StringToSignBytes *string `aws:"name=StringToSignBytes"`
}

type regionDetail struct {
	ArgumentName  *string `aws:"name=ArgumentName"`
	ArgumentValue *string `aws:"name=ArgumentValue"`
	Region        *string `aws:"name=Region"`
}

// verify checks the policy's signature with the access key's secret. It
// is called only when Nimbus verifies signatures.
func (a *postAuth) verify(secret func(string) (string, bool), bucketRegion string) error {
	key, ok := secret(a.accessKey)
	if !ok {
		return errInvalidAccessKeyID.New("The AWS Access Key Id you provided does not exist in our records.").
			WithDetail(map[string]string{"AWSAccessKeyId": a.accessKey})
	}
	var want string
	switch a.kind {
	case postSigV4:
		if bucketRegion != "" && a.region != bucketRegion {
			return errInvalidArgument.Newf("the region '%s' is wrong; expecting '%s'", a.region, bucketRegion).
				WithDetail(&regionDetail{ptr("X-Amz-Credential"), ptr(a.credential), ptr(bucketRegion)})
		}
		want = postSignatureV4(key, a.credDate, a.region, a.service, a.policy)
	case postSigV2:
		mac := hmac.New(sha1.New, []byte(key))
		mac.Write([]byte(a.policy))
		want = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	default:
		return nil
	}
	if hmac.Equal([]byte(want), []byte(a.signature)) {
		return nil
	}
	return errSignatureDoesNotMatch.New("The request signature we calculated does not match the signature you provided. Check your key and signing method.").
		WithDetail(&postMismatchDetail{ptr(a.accessKey), ptr(a.policy), ptr(a.signature), ptr(hexBytes(a.policy))})
}

// postSignatureV4 is the SigV4 signature of a POST policy: the hex
// HMAC-SHA256 of the base64 policy text under the scope's signing key.
func postSignatureV4(secret, date, region, service, policy string) string {
	mac := hmac.New(sha256.New, sigv4.SigningKey(secret, date, region, service))
	mac.Write([]byte(policy))
	return hex.EncodeToString(mac.Sum(nil))
}

// hexBytes spells s as S3's StringToSignBytes: two hex digits a byte,
// separated by spaces.
func hexBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex.EncodeToString([]byte{s[i]}))
	}
	return b.String()
}

// postPolicy is a decoded POST policy.
type postPolicy struct {
	expiration time.Time
	conditions []policyCondition
}

// policyCondition is one condition. Field names are kept as the policy
// spells them; matching lowers them.
type policyCondition struct {
	op string // "eq", "starts-with" or "content-length-range"
	// simple conditions ({"key": "v"}) name their field bare, list
	// conditions (["eq", "$key", "v"]) with a leading $.
	simple bool
	field  string
	value  string
	// bounds of content-length-range, as the policy gave them (numbers or
	// strings)
	min, max json.RawMessage
	text     string // as S3 prints it in "Policy Condition failed: ..."
}

// parsePostPolicy decodes a base64 policy.
func parsePostPolicy(b64 string) (*postPolicy, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, invalidPolicy("invalid Base64 encoding.")
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
		return nil, invalidPolicy("Invalid JSON.")
	}
	names := make([]string, 0, len(doc))
	for k := range doc {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if k != "expiration" && k != "conditions" {
			return nil, invalidPolicy("Unexpected: '" + strings.ToLower(k) + "'")
		}
	}
	expRaw, ok := doc["expiration"]
	if !ok {
		return nil, invalidPolicy("Policy missing expiration.")
	}
	var exp string
	if json.Unmarshal(expRaw, &exp) != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: '" + string(expRaw) + "'")
	}
	p := &postPolicy{}
	if p.expiration, err = parsePolicyTime(exp); err != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: '" + exp + "'")
	}
	condRaw, ok := doc["conditions"]
	if !ok {
		return nil, invalidPolicy("Policy missing conditions.")
	}
	var conds []json.RawMessage
	if json.Unmarshal(condRaw, &conds) != nil || conds == nil {
		return nil, invalidPolicy("Invalid 'conditions' value: must be a List.")
	}
	for _, c := range conds {
		pc, err := parsePolicyCondition(c)
		if err != nil {
			return nil, err
		}
		p.conditions = append(p.conditions, pc)
	}
	return p, nil
}

// parsePolicyTime reads an ISO 8601 UTC time, with or without
// milliseconds; S3 refuses offsets other than Z.
func parsePolicyTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil && !strings.HasSuffix(s, "Z") {
		err = errors.New("s3: policy time not in UTC")
	}
	return t, err
}

func parsePolicyCondition(raw json.RawMessage) (policyCondition, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return policyCondition{}, invalidPolicy("Invalid JSON.")
		}
		if len(m) != 1 {
			return policyCondition{}, invalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
		}
		for name, v := range m {
			if string(bytes.TrimSpace(v)) == "null" {
				return policyCondition{}, invalidPolicy("Invalid JSON.")
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				return policyCondition{}, invalidPolicy("Invalid Simple-Condition: value must be a string.")
			}
			return policyCondition{op: "eq", simple: true, field: name, value: s,
				text: "[" + jsonText(`"eq"`) + ", " + jsonString("$"+name) + ", " + jsonText(string(v)) + "]"}, nil
		}
	case len(raw) > 0 && raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return policyCondition{}, invalidPolicy("Invalid JSON.")
		}
		var op string
		if len(items) == 0 || json.Unmarshal(items[0], &op) != nil {
			return policyCondition{}, invalidPolicy("Invalid Condition: missing operation identifier.")
		}
		texts := make([]string, len(items))
		for i, it := range items {
			texts[i] = jsonText(string(it))
		}
		pc := policyCondition{op: strings.ToLower(op), text: "[" + strings.Join(texts, ", ") + "]"}
		switch pc.op {
		case "eq", "starts-with":
			if len(items) != 3 {
				return policyCondition{}, invalidPolicy("Invalid " + op + ": wrong number of arguments.")
			}
			if json.Unmarshal(items[1], &pc.field) != nil || json.Unmarshal(items[2], &pc.value) != nil {
				return policyCondition{}, invalidPolicy("Invalid JSON.")
			}
		case "content-length-range":
			if len(items) != 3 {
				return policyCondition{}, invalidPolicy("Invalid " + op + ": wrong number of arguments.")
			}
			for _, bound := range items[1:] {
				b := bytes.TrimSpace(bound)
				if len(b) > 0 && b[0] == '"' {
					continue // a string bound is read when the condition is checked
				}
				n, err := strconv.ParseInt(string(b), 10, 64)
				if err != nil {
					return policyCondition{}, invalidPolicy("Invalid JSON.")
				}
				if n < 0 {
					return policyCondition{}, invalidPolicy("Invalid content-length-range: values must be non-negative.")
				}
			}
			pc.min, pc.max = items[1], items[2]
		default:
			return policyCondition{}, invalidPolicy("Invalid Condition: unknown operation '" + op + "'.")
		}
		return pc, nil
	}
	if err := json.Unmarshal(raw, new(any)); err != nil {
		return policyCondition{}, invalidPolicy("Invalid JSON.")
	}
	return policyCondition{}, invalidPolicy("Invalid condition test: must be a List or Object.")
}

// jsonText is a JSON value in compact form, as S3 echoes it.
func jsonText(raw string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(raw)) != nil {
		return raw
	}
	return b.String()
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// sizeRange is the content-length-range a policy allows.
type sizeRange struct {
	set      bool
	min, max int64
}

// check applies the policy to a form posted to bucket at now: the
// expiration, every condition, and that every field but the exempt ones is
// named by a condition. It returns the allowed file size, checked while the
// file is read.
func (p *postPolicy) check(now time.Time, f *postForm, bucket string, exempt func(lowerName string) bool) (sizeRange, error) {
	var sizes sizeRange
	if now.After(p.expiration) {
		return sizes, policyDenied("Policy expired.")
	}
	covered := map[string]bool{}
	failed := func(c policyCondition) error { return policyDenied("Policy Condition failed: " + c.text) }
	for _, c := range p.conditions {
		if c.op == "content-length-range" {
			lo, ok1 := boundValue(c.min)
			hi, ok2 := boundValue(c.max)
			if !ok1 || !ok2 {
				return sizes, failed(c)
			}
			if !sizes.set {
				sizes = sizeRange{set: true, min: lo, max: hi}
			} else {
				sizes.min, sizes.max = max(sizes.min, lo), min(sizes.max, hi)
			}
			continue
		}
		name, dollar := strings.CutPrefix(c.field, "$")
		if !dollar && !c.simple {
			return sizes, failed(c) // without its $ the condition never holds
		}
		name = strings.ToLower(name)
		covered[name] = true
		var value string
		if name == "bucket" {
			value = bucket
		} else {
			v, ok := f.values[name]
			if !ok {
				return sizes, failed(c)
			}
			value = v
		}
		if !conditionHolds(c.op, name, value, c.value) {
			return sizes, failed(c)
		}
	}
	for _, fd := range f.fields {
		lower := strings.ToLower(fd.name)
		if !covered[lower] && !exempt(lower) && !strings.HasPrefix(lower, "x-ignore-") {
			return sizes, policyDenied("Extra input fields: " + fd.name)
		}
	}
	return sizes, nil
}

func conditionHolds(op, field, value, want string) bool {
	if op == "eq" {
		return value == want
	}
	// starts-with: a Content-Type list holds when every type does.
	if field == "content-type" && strings.Contains(value, ",") {
		for _, v := range strings.Split(value, ",") {
			if !strings.HasPrefix(strings.TrimSpace(v), want) {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(value, want)
}

// boundValue reads a content-length-range bound: an integer, or a string
// holding one.
func boundValue(raw json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(bytes.TrimSpace(raw))
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil && n >= 0
}
