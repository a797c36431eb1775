package dynamodb

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// Resource-based policy documents: checked as DynamoDB checks them when
// they are attached, and kept in the canonical form GetResourcePolicy
// answers with (minified, keys in IAM's order, one-element lists as
// plain strings, account ids as root ARNs). Two documents with the same
// canonical form are the same policy: putting it again changes nothing.

// maxPolicySize is the largest policy document, whitespace included.
const maxPolicySize = 20480

// defaultPolicyVersion is the Version a document without one reads back
// with.
const defaultPolicyVersion = "2008-10-17"

// errAccessDenied is DynamoDB's AccessDeniedException, which it sends with
// status 400.
var errAccessDenied = awserr.Def{Code: "AccessDeniedException", Status: 400, Sender: true}

func invalidPolicy(msg string) error {
	return validation("One or more parameter values were invalid: Invalid policy document: " + msg)
}

// policyDoc is a parsed document: its canonical form, with and without the
// default Version.
type policyDoc struct {
	canonical string // as sent, canonicalized: what decides equality
	readBack  string // what GetResourcePolicy answers
}

// parsePolicy checks a policy document and returns its canonical form.
// confirmLockout is ConfirmRemoveSelfResourceAccess.
func parsePolicy(doc string, confirmLockout bool) (policyDoc, error) {
	if len(doc) > maxPolicySize {
		return policyDoc{}, validationf("One or more parameter values were invalid: Maximum policy size of %d bytes exceeded", maxPolicySize)
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil || top == nil || dec.More() {
		return policyDoc{}, invalidPolicy("This policy contains invalid Json")
	}
	var statements []any
	switch st := top["Statement"].(type) {
	case []any:
		statements = st
	case map[string]any:
		statements = []any{st}
	}
	if len(statements) == 0 {
		return policyDoc{}, invalidPolicy("Could not parse the policy: Statement is empty!")
	}
	sids := map[string]bool{}
	canon := make([]any, 0, len(statements))
	for _, raw := range statements {
		st, ok := raw.(map[string]any)
		if !ok {
			return policyDoc{}, invalidPolicy("This policy contains invalid Json")
		}
		c, err := checkStatement(st, sids, confirmLockout)
		if err != nil {
			return policyDoc{}, err
		}
		canon = append(canon, c)
	}
	top["Statement"] = canon
	out := policyDoc{canonical: renderOrdered(top, []string{"Version", "Id", "Statement"})}
	if _, ok := top["Version"]; !ok {
		top["Version"] = defaultPolicyVersion
	}
	out.readBack = renderOrdered(top, []string{"Version", "Id", "Statement"})
	return out, nil
}

// statementOrder is the order of a statement's keys in canonical form.
var statementOrder = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

// checkStatement checks one statement and returns it canonicalized.
func checkStatement(st map[string]any, sids map[string]bool, confirmLockout bool) (orderedMap, error) {
	if sid, ok := st["Sid"].(string); ok && sid != "" {
		if sids[sid] {
			return orderedMap{}, invalidPolicy("The Statement Ids in the policy are not unique")
		}
		sids[sid] = true
	}
	effect, _ := st["Effect"].(string)
	switch {
	case st["Effect"] == nil:
		return orderedMap{}, invalidPolicy("Missing required field Effect")
	case strings.EqualFold(effect, "Allow"):
		st["Effect"] = "Allow"
	case strings.EqualFold(effect, "Deny"):
		st["Effect"] = "Deny"
	default:
		return orderedMap{}, invalidPolicy("Invalid effect: " + effect)
	}
	for _, pair := range [][2]string{{"Principal", "NotPrincipal"}, {"Action", "NotAction"}, {"Resource", "NotResource"}} {
		if st[pair[0]] == nil && st[pair[1]] == nil {
			return orderedMap{}, invalidPolicy("Missing required field " + pair[0])
		}
	}
	for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
		if v, ok := st[k]; ok {
			st[k] = singleAsString(v)
		}
	}
	for _, k := range []string{"Principal", "NotPrincipal"} {
		if p, ok := st[k].(map[string]any); ok {
			st[k] = canonicalPrincipal(p)
		}
	}
	_, conditional := st["Condition"]
	everyone := isEveryone(st["Principal"])
	switch {
	case st["Effect"] == "Allow" && everyone && !conditional:
		return orderedMap{}, validation("Resource-based policy grants unbounded access in one or more elements. Please revise the policy to ensure least-privilege form of access")
	case st["Effect"] == "Deny" && everyone && !conditional && !confirmLockout && coversAction(st["Action"], "dynamodb:PutResourcePolicy"):
		return orderedMap{}, errAccessDenied.New("The new resource policy will not allow you to update the resource policy in the future.")
	}
	return orderedMap{m: st, order: statementOrder}, nil
}

// singleAsString turns a one-element list into its element.
func singleAsString(v any) any {
	if l, ok := v.([]any); ok && len(l) == 1 {
		return l[0]
	}
	return v
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// canonicalPrincipal writes account ids as root ARNs, drops duplicates and
// turns one-element lists into strings.
func canonicalPrincipal(p map[string]any) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		var ids []any
		switch v := v.(type) {
		case []any:
			ids = v
		default:
			ids = []any{v}
		}
		var seen []any
		for _, id := range ids {
			if s, ok := id.(string); ok && k == "AWS" && accountID.MatchString(s) {
				id = "arn:aws:iam::" + s + ":root"
			}
			if !slices.Contains(seen, id) {
				seen = append(seen, id)
			}
		}
		out[k] = singleAsString(seen)
	}
	return out
}

// isEveryone reports whether a principal is anybody: "*" or {"AWS": "*"}.
func isEveryone(p any) bool {
	switch p := p.(type) {
	case string:
		return p == "*"
	case map[string]any:
		switch aws := p["AWS"].(type) {
		case string:
			return aws == "*"
		case []any:
			return slices.Contains(aws, any("*"))
		}
	}
	return false
}

// coversAction reports whether an Action element (a string or a list of
// patterns with * and ?) names action.
func coversAction(v any, action string) bool {
	var patterns []any
	switch v := v.(type) {
	case string:
		patterns = []any{v}
	case []any:
		patterns = v
	}
	for _, p := range patterns {
		if s, ok := p.(string); ok && wildcardMatch(strings.ToLower(s), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against an IAM pattern (* any run, ? one
// character).
func wildcardMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildcardMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildcardMatch(pattern[1:], s[1:])
	default:
		return s != "" && s[0] == pattern[0] && wildcardMatch(pattern[1:], s[1:])
	}
}

// orderedMap is a JSON object written with some keys first, in order, and
// the others after them in sorted order.
type orderedMap struct {
	m     map[string]any
	order []string
}

func (o orderedMap) MarshalJSON() ([]byte, error) {
	return []byte(renderOrdered(o.m, o.order)), nil
}

func renderOrdered(m map[string]any, order []string) string {
	keys := make([]string, 0, len(m))
	for _, k := range order {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	keys = append(keys, rest...)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(&b, k)
		b.WriteByte(':')
		writeJSON(&b, m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// writeJSON writes v minified, without escaping <, > and & (policies
// read back as they were written).
func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)       // values come from decoded JSON: they always encode
	b.Truncate(b.Len() - 1) // Encode's newline
}
