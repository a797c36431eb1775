package filterpolicy

import (
	"encoding/json"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Attribute is a message attribute as SNS publishes it: Type is String,
// String.Array, Number or Binary (whose value filter policies ignore).
type Attribute struct {
	Type  string
	Value string
}

// Message is what a policy is matched against. One Message serves every
// subscription of a publish: the body is parsed once, on first need.
type Message struct {
	Attributes map[string]Attribute
	Body       string

	bodyDone bool
	body     map[string]any // nil when the body is not a JSON object
}

func (m *Message) parsedBody() map[string]any {
	if !m.bodyDone {
		m.bodyDone = true
		dec := json.NewDecoder(strings.NewReader(m.Body))
		dec.UseNumber()
		var obj map[string]any
		if dec.Decode(&obj) == nil && !dec.More() {
			m.body = obj
		}
	}
	return m.body
}

// Match reports whether the message passes the policy.
func (p *Policy) Match(m *Message) bool {
	if p.scope == Body {
		body := m.parsedBody()
		if body == nil {
			return false
		}
		return matchBody(p.root, []any{body})
	}
	return matchAttributes(p.root, m.Attributes)
}

// value is one scalar of a message: a string, a number, a boolean or null.
type value struct {
	kind valueKind
	str  string
	num  float64
	b    bool
}

type valueKind int

const (
	valString valueKind = iota
	valNumber
	valBool
	valNull
)

func matchAttributes(e *expr, attrs map[string]Attribute) bool {
	for _, f := range e.fields {
		a, present := attrs[f.name]
		var vals []value
		array := false
		if present {
			switch a.Type {
			case "String":
				vals = []value{{kind: valString, str: a.Value}}
			case "Number":
				if n, err := strconv.ParseFloat(a.Value, 64); err == nil {
					vals = []value{{kind: valNumber, num: n}}
				}
			case "String.Array":
				vals, array = arrayValues(a.Value), true
			}
		}
		if !matchField(f.conds, present, vals, array) {
			return false
		}
	}
	for _, alts := range e.ors {
		if !slices.ContainsFunc(alts, func(a *expr) bool { return matchAttributes(a, attrs) }) {
			return false
		}
	}
	return true
}

// arrayValues reads the elements of a String.Array attribute.
func arrayValues(s string) []value {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var arr []any
	if dec.Decode(&arr) != nil {
		return nil
	}
	var out []value
	for _, v := range arr {
		out = appendScalars(out, v)
	}
	return out
}

// appendScalars appends v, or the scalars of the array v, to out.
func appendScalars(out []value, v any) []value {
	switch v := v.(type) {
	case string:
		return append(out, value{kind: valString, str: v})
	case json.Number:
		if n, err := strconv.ParseFloat(string(v), 64); err == nil {
			return append(out, value{kind: valNumber, num: n})
		}
	case bool:
		return append(out, value{kind: valBool, b: v})
	case nil:
		return append(out, value{kind: valNull})
	case []any:
		for _, e := range v {
			out = appendScalars(out, e)
		}
	}
	return out
}

// matchBody matches e against every object the path so far leads to;
// arrays on the way are flattened, as SNS does.
func matchBody(e *expr, objs []any) bool {
	for _, f := range e.fields {
		var found []any
		for _, o := range objs {
			if m, ok := o.(map[string]any); ok {
				if v, ok := m[f.name]; ok {
					found = append(found, v)
				}
			}
		}
		if f.sub != nil {
			var next []any
			for _, v := range found {
				next = appendObjects(next, v)
			}
			if !matchBody(f.sub, next) {
				return false
			}
			continue
		}
		var vals []value
		for _, v := range found {
			vals = appendScalars(vals, v)
		}
		if !matchField(f.conds, len(vals) > 0, vals, false) {
			return false
		}
	}
	for _, alts := range e.ors {
		if !slices.ContainsFunc(alts, func(a *expr) bool { return matchBody(a, objs) }) {
			return false
		}
	}
	return true
}

func appendObjects(out []any, v any) []any {
	switch v := v.(type) {
	case map[string]any:
		return append(out, v)
	case []any:
		for _, e := range v {
			out = appendObjects(out, e)
		}
	}
	return out
}

// matchField reports whether one of the conditions holds. For the values of
// a String.Array attribute, anything-but holds only when it holds for every
// element; any other condition when it holds for one.
func matchField(conds []cond, present bool, vals []value, array bool) bool {
	for i := range conds {
		c := &conds[i]
		if c.kind == condExists {
			if c.bool == present {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		if array && c.negative() {
			if len(vals) > 0 && !slices.ContainsFunc(vals, func(v value) bool { return !c.match(v) }) {
				return true
			}
			continue
		}
		if slices.ContainsFunc(vals, c.match) {
			return true
		}
	}
	return false
}

func (c *cond) negative() bool {
	return c.kind == condAnythingBut || c.kind == condAnythingButPrefix || c.kind == condAnythingButSuffix
}

func (c *cond) match(v value) bool {
	switch c.kind {
	case condString:
		return v.kind == valString && v.str == c.str
	case condNumber:
		return v.kind == valNumber && sameNumber(v.num, c.num)
	case condBool:
		return v.kind == valBool && v.b == c.bool
	case condNull:
		return v.kind == valNull
	case condPrefix:
		return v.kind == valString && strings.HasPrefix(v.str, c.str)
	case condSuffix:
		return v.kind == valString && strings.HasSuffix(v.str, c.str)
	case condEqualsIgnoreCase:
		return v.kind == valString && strings.EqualFold(v.str, c.str)
	case condAnythingBut:
		switch v.kind {
		case valString:
			return !slices.Contains(c.strs, v.str)
		case valNumber:
			return !slices.ContainsFunc(c.nums, func(n float64) bool { return sameNumber(n, v.num) })
		}
		return true
	case condAnythingButPrefix:
		return v.kind == valString && !strings.HasPrefix(v.str, c.str)
	case condAnythingButSuffix:
		return v.kind == valString && !strings.HasSuffix(v.str, c.str)
	case condNumeric:
		return v.kind == valNumber && c.ranges.contains(v.num)
	case condCIDR:
		if v.kind != valString {
			return false
		}
		addr, err := netip.ParseAddr(v.str)
		return err == nil && c.prefix.Contains(addr.Unmap())
	}
	return false
}

// sameNumber compares with the five decimals SNS keeps.
func sameNumber(a, b float64) bool {
	return round5(a) == round5(b)
}

func (r *numericRange) contains(n float64) bool {
	x := round5(n)
	if r.equal {
		return x == round5(r.eq)
	}
	if lo := round5(r.low); r.hasLow && (x < lo || (r.lowOpen && x == lo)) {
		return false
	}
	if hi := round5(r.high); r.hasHigh && (x > hi || (r.highOpen && x == hi)) {
		return false
	}
	return true
}

func round5(x float64) float64 { return math.Round(x * 1e5) }
