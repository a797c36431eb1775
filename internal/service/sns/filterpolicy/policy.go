// Package filterpolicy parses and evaluates SNS subscription filter
// policies: on message attributes (FilterPolicyScope MessageAttributes) or
// on the JSON message body (MessageBody), with the operators SNS documents —
// exact strings and numbers, prefix, suffix, equals-ignore-case,
// anything-but (values, prefix, suffix), numeric comparisons and ranges,
// exists, cidr, and $or — and SNS's limits and validation messages.
//
// A policy is parsed once, when a subscription's attributes are set, and
// then matched against every published message; matching allocates little
// and never fails: a value that cannot match simply does not.
package filterpolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Scope is what a policy is evaluated against.
type Scope int

const (
	// Attributes evaluates the message attributes (the default scope).
	Attributes Scope = iota
	// Body evaluates the message body, which must be a JSON object.
	Body
)

// Limits of SNS.
const (
	MaxKeys         = 5
	MaxCombinations = 150
	MaxSize         = 256 * 1024
	// maxNumber bounds the numbers a policy may hold (SNS matches numbers
	// between -10^9 and 10^9, with five decimals).
	maxNumber = 1e9
)

// Error is a policy SNS refuses. Message is the whole text SNS sends with
// its InvalidParameter error; Internal marks the one case SNS answers with
// an internal failure instead (an exact number out of range).
type Error struct {
	Message  string
	Internal bool
}

func (e *Error) Error() string { return e.Message }

func invalid(format string, args ...any) *Error {
	return &Error{Message: "Invalid parameter: FilterPolicy: " + fmt.Sprintf(format, args...)}
}

// Policy is a parsed filter policy.
type Policy struct {
	scope Scope
	root  *expr
}

// Scope returns the scope the policy was parsed for.
func (p *Policy) Scope() Scope { return p.scope }

// expr is one JSON object of the policy: every field must match, and of
// each $or, one alternative.
type expr struct {
	fields []*field
	ors    [][]*expr
}

// field is one key of the policy: a leaf with a list of conditions of which
// one must match, or (body scope) a nested object.
type field struct {
	name  string
	conds []cond
	sub   *expr
}

type condKind int

const (
	condString condKind = iota
	condNumber
	condBool
	condNull
	condPrefix
	condSuffix
	condEqualsIgnoreCase
	condAnythingBut // strs and nums hold the excluded values
	condAnythingButPrefix
	condAnythingButSuffix
	condNumeric
	condExists
	condCIDR
)

type cond struct {
	kind   condKind
	str    string
	num    float64
	bool   bool
	strs   []string
	nums   []float64
	ranges numericRange
	prefix netip.Prefix
}

// numericRange is a numeric condition: a lower and an upper bound, each
// optional, or an equality.
type numericRange struct {
	equal             bool
	eq                float64
	hasLow, lowOpen   bool
	low               float64
	hasHigh, highOpen bool
	high              float64
}

// Parse validates a policy and compiles it for scope.
func Parse(policy string, scope Scope) (*Policy, error) {
	if len(policy) > MaxSize {
		return nil, invalid("Filter policy is too long")
	}
	dec := json.NewDecoder(strings.NewReader(policy))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("failed to parse JSON. %s", jsonProblem(err))
	}
	if dec.More() {
		return nil, invalid("failed to parse JSON. Unexpected content after the end of the policy")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("Filter policy must be a JSON object")
	}
	p := &parser{policy: policy, scope: scope}
	root, err := p.object(obj, 1, "")
	if err != nil {
		return nil, err
	}
	if n := len(p.keys); n > MaxKeys {
		return nil, invalid("Filter policy can not have more than %d keys", MaxKeys)
	}
	if combinationsOf(root, 1) > MaxCombinations {
		return nil, invalid("Filter policy is too complex")
	}
	return &Policy{scope: scope, root: root}, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if ok := asSyntax(err, &se); ok {
		return fmt.Sprintf("%s at offset %d", se.Error(), se.Offset)
	}
	return err.Error()
}

func asSyntax(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

type parser struct {
	policy string
	scope  Scope
	keys   map[string]bool // leaf key paths, for the key limit
	// nesting counts the objects open, $or alternatives included.
	nesting int
}

func (p *parser) object(obj map[string]any, depth int, path string) (*expr, error) {
	// Every level multiplies the combinations: a policy this deep is too
	// complex whatever it holds (and the check bounds the recursion).
	if p.nesting++; depth > MaxCombinations || p.nesting > 2*MaxCombinations {
		return nil, invalid("Filter policy is too complex")
	}
	defer func() { p.nesting-- }()
	e := &expr{}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	slices.Sort(names) // deterministic errors and matching order
	for _, name := range names {
		v := obj[name]
		if name == "$or" {
			alts, err := p.or(v, depth, path)
			if err != nil {
				return nil, err
			}
			e.ors = append(e.ors, alts)
			continue
		}
		f := &field{name: name}
		switch v := v.(type) {
		case []any:
			conds, err := p.conditions(v)
			if err != nil {
				return nil, err
			}
			f.conds = conds
			if p.keys == nil {
				p.keys = map[string]bool{}
			}
			p.keys[path+"\x00"+name] = true
		case map[string]any:
			if p.scope == Attributes {
				return nil, &Error{Message: "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"}
			}
			sub, err := p.object(v, depth+1, path+"\x00"+name)
			if err != nil {
				return nil, err
			}
			f.sub = sub
		default:
			return nil, invalid("%q must be an object or an array", name)
		}
		e.fields = append(e.fields, f)
	}
	return e, nil
}

func (p *parser) or(v any, depth int, path string) ([]*expr, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return nil, invalid("Or statement must be an array of at least 2 objects")
	}
	alts := make([]*expr, 0, len(arr))
	for _, a := range arr {
		obj, ok := a.(map[string]any)
		if !ok {
			return nil, invalid("Or statement must be an array of at least 2 objects")
		}
		sub, err := p.object(obj, depth, path)
		if err != nil {
			return nil, err
		}
		alts = append(alts, sub)
	}
	return alts, nil
}

func (p *parser) conditions(arr []any) ([]cond, error) {
	if len(arr) == 0 {
		return nil, invalid("Empty arrays are not allowed")
	}
	conds := make([]cond, 0, len(arr))
	for _, v := range arr {
		c, err := p.condition(v)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	return conds, nil
}

func (p *parser) condition(v any) (cond, error) {
	switch v := v.(type) {
	case string:
		return cond{kind: condString, str: v}, nil
	case json.Number:
		f, err := exactNumber(v)
		if err != nil {
			return cond{}, err
		}
		return cond{kind: condNumber, num: f}, nil
	case bool:
		return cond{kind: condBool, bool: v}, nil
	case nil:
		return cond{kind: condNull}, nil
	case map[string]any:
		return p.operator(v)
	}
	return cond{}, invalid("Match value must be String, number, true, false, or null")
}

func exactNumber(n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.Abs(f) > maxNumber {
		return 0, &Error{Message: "We encountered an internal error. Please try again.", Internal: true}
	}
	return f, nil
}

func (p *parser) operator(obj map[string]any) (cond, error) {
	if len(obj) != 1 {
		return cond{}, invalid("Only one key allowed in match expression")
	}
	var op string
	var arg any
	for k, v := range obj {
		op, arg = k, v
	}
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return cond{}, invalid("%s match pattern must be a string", op)
		}
		kind := map[string]condKind{"prefix": condPrefix, "suffix": condSuffix, "equals-ignore-case": condEqualsIgnoreCase}[op]
		return cond{kind: kind, str: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return cond{}, invalid("exists match pattern must be either true or false.")
		}
		return cond{kind: condExists, bool: b}, nil
	case "anything-but":
		return p.anythingBut(arg)
	case "numeric":
		return p.numeric(arg)
	case "cidr":
		s, ok := arg.(string)
		if !ok {
			return cond{}, invalid("cidr match pattern must be a string")
		}
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			// A bare address is a network of one.
			addr, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return cond{}, invalid("Malformed CIDR, one '/' required")
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		return cond{kind: condCIDR, prefix: pfx.Masked()}, nil
	}
	return cond{}, invalid("Unrecognized match type %s", op)
}

func (p *parser) anythingBut(arg any) (cond, error) {
	bad := invalid("Value of anything-but must be an array or single string/number value.")
	c := cond{kind: condAnythingBut}
	add := func(v any) error {
		switch v := v.(type) {
		case string:
			c.strs = append(c.strs, v)
		case json.Number:
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil {
				return bad
			}
			c.nums = append(c.nums, f)
		default:
			return bad
		}
		return nil
	}
	switch arg := arg.(type) {
	case []any:
		if len(arg) == 0 {
			return cond{}, invalid("Empty arrays are not allowed")
		}
		for _, v := range arg {
			if err := add(v); err != nil {
				return cond{}, err
			}
		}
		if len(c.strs) > 0 && len(c.nums) > 0 {
			return cond{}, invalid("Inside anything but list, all values must be of the same type")
		}
	case map[string]any:
		if len(arg) != 1 {
			return cond{}, invalid("Only one key allowed in match expression")
		}
		for op, v := range arg {
			s, ok := v.(string)
			switch op {
			case "prefix":
				if !ok {
					return cond{}, invalid("prefix match pattern must be a string")
				}
				return cond{kind: condAnythingButPrefix, str: s}, nil
			case "suffix":
				if !ok {
					return cond{}, invalid("suffix match pattern must be a string")
				}
				return cond{kind: condAnythingButSuffix, str: s}, nil
			}
			return cond{}, invalid("Unsupported anything-but pattern: %s", op)
		}
	default:
		if err := add(arg); err != nil {
			return cond{}, err
		}
	}
	return c, nil
}

// numeric parses ["op", n] or ["op", n, "op", n].
func (p *parser) numeric(arg any) (cond, error) {
	arr, ok := arg.([]any)
	if !ok {
		return cond{}, p.located("Value of numeric must be an array.", "numeric")
	}
	var r numericRange
	for i := 0; i < len(arr); i += 2 {
		op, ok := arr[i].(string)
		if !ok {
			return cond{}, p.located(fmt.Sprintf("Invalid member in numeric match: %s", jsonText(arr[i])), jsonText(arr[i]))
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return cond{}, p.located("Unrecognized numeric range operator: "+op, op)
		}
		// Only a lower bound may be followed by an upper one.
		if i == 4 || (i == 2 && !r.hasLow) {
			return cond{}, p.located("Too many elements in numeric expression", op)
		}
		if i+1 >= len(arr) {
			return cond{}, p.located(fmt.Sprintf("Value of %s must be numeric", op), op)
		}
		n, ok := arr[i+1].(json.Number)
		var f float64
		var err error
		if ok {
			f, err = strconv.ParseFloat(string(n), 64)
		}
		if !ok || err != nil || math.Abs(f) > maxNumber {
			return cond{}, p.located(fmt.Sprintf("Value of %s must be numeric", op), op)
		}
		switch op {
		case "=":
			if i != 0 {
				return cond{}, p.located("Bad numeric range operator: =", op)
			}
			r.equal, r.eq = true, f
		case ">", ">=":
			if r.hasLow {
				return cond{}, p.located("Bad numeric range operator: "+op, op)
			}
			r.hasLow, r.lowOpen, r.low = true, op == ">", f
		case "<", "<=":
			r.hasHigh, r.highOpen, r.high = true, op == "<", f
		}
	}
	if len(arr) == 0 {
		return cond{}, p.located("Invalid member in numeric match: ]", "]")
	}
	if r.hasLow && r.hasHigh && r.low >= r.high {
		return cond{}, p.located("Bottom must be less than top", "numeric")
	}
	return cond{kind: condNumeric, ranges: r}, nil
}

// located is an error of the JSON rule compiler, which SNS reports with
// the position in the policy where it stopped.
func (p *parser) located(msg, near string) *Error {
	col := len(p.policy) + 1
	if i := strings.Index(p.policy, `"numeric"`); i >= 0 {
		if j := strings.Index(p.policy[i:], near); j >= 0 {
			col = i + j + len(near) + 1
		}
	}
	return &Error{Message: fmt.Sprintf("Invalid parameter: Attributes Reason: FilterPolicy: %s\n at [Source: (String)\"%s\"; line: 1, column: %d]", msg, p.policy, col)}
}

func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// combinationsOf follows the SNS documentation: the values of each leaf
// array multiplied by the leaf's depth, multiplied together; the
// alternatives of an $or add up.
func combinationsOf(e *expr, depth int) int {
	total := 1
	for _, f := range e.fields {
		if f.sub != nil {
			total = capMul(total, combinationsOf(f.sub, depth+1))
			continue
		}
		total = capMul(total, depth*len(f.conds))
	}
	for _, alts := range e.ors {
		sum := 0
		for _, a := range alts {
			sum = min(sum+combinationsOf(a, depth), MaxCombinations+1)
		}
		total = capMul(total, sum)
	}
	return total
}

func capMul(a, b int) int {
	if a > MaxCombinations || b > MaxCombinations {
		return MaxCombinations + 1
	}
	return min(a*b, MaxCombinations+1)
}
