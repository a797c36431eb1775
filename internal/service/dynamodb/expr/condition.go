package expr

import (
	"bytes"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// Condition is a parsed ConditionExpression or FilterExpression (or the
// equivalent legacy Expected, QueryFilter or ScanFilter). It is immutable
// once parsed and safe for concurrent use.
type Condition struct {
	root  *cond
	usage Usage
}

// ParseCondition parses a condition or filter expression (kind is
// KindCondition or KindFilter, named in AWS's messages) against the request's
// ExpressionAttributeNames and ExpressionAttributeValues.
func ParseCondition(kind Kind, expr string, names Names, values Values) (*Condition, error) {
	if err := checkText(kind, expr); err != nil {
		return nil, err
	}
	root, _, err := parseConditionSyntax(kind, expr)
	if err != nil {
		return nil, err
	}
	c := checker{kind: kind, names: names, values: values}
	c.condition(root)
	if err := c.err(conditionOrder); err != nil {
		return nil, err
	}
	return &Condition{root: root, usage: c.usage}, nil
}

// Usage returns the placeholders the expression used.
func (c *Condition) Usage() Usage { return c.usage }

// Eval reports whether item satisfies the condition. A missing item is a nil
// or empty map. Evaluation cannot fail today (comparisons of mismatched types
// are false, as in DynamoDB); the error is for forms that may.
func (c *Condition) Eval(item attr.Item) (bool, error) {
	if c == nil || c.root == nil {
		return true, nil
	}
	return evalCond(c.root, item), nil
}

func evalCond(n *cond, item attr.Item) bool {
	switch n.kind {
	case cAnd:
		return evalCond(n.kids[0], item) && evalCond(n.kids[1], item)
	case cOr:
		return evalCond(n.kids[0], item) || evalCond(n.kids[1], item)
	case cNot:
		return !evalCond(n.kids[0], item)
	case cCompare:
		a, b := evalOperand(n.ops[0], item), evalOperand(n.ops[1], item)
		switch n.cmp {
		case tEq:
			return equalResults(&a, &b)
		case tNe:
			return !equalResults(&a, &b)
		}
		cmp, ok := orderResults(&a, &b)
		if !ok {
			return false
		}
		switch n.cmp {
		case tLt:
			return cmp < 0
		case tLe:
			return cmp <= 0
		case tGt:
			return cmp > 0
		}
		return cmp >= 0
	case cBetween:
		v, lo, hi := evalOperand(n.ops[0], item), evalOperand(n.ops[1], item), evalOperand(n.ops[2], item)
		c1, ok1 := orderResults(&lo, &v)
		c2, ok2 := orderResults(&v, &hi)
		return ok1 && ok2 && c1 <= 0 && c2 <= 0
	case cIn:
		v := evalOperand(n.ops[0], item)
		for _, op := range n.ops[1:] {
			if e := evalOperand(op, item); equalResults(&v, &e) {
				return true
			}
		}
		return false
	case cCall:
		return evalFunction(n.ops[0], item)
	}
	return false
}

// result is an evaluated operand: a value, or the number size() returned.
type result struct {
	v      attr.Value
	ok     bool // the value exists
	size   int
	isSize bool
}

func evalOperand(op *operand, item attr.Item) result {
	switch op.kind {
	case opPath:
		v, ok := lookup(item, op.path)
		return result{v: v, ok: ok}
	case opValue:
		return result{v: *op.val, ok: true}
	case opCall: // size(); the boolean functions are not operands
		arg := evalOperand(op.args[0], item)
		if !arg.ok || arg.isSize {
			return result{}
		}
		n, ok := sizeOf(&arg.v)
		return result{size: n, isSize: true, ok: ok}
	}
	return result{}
}

// sizeOf is size(): the length of a string or binary, the member count of a
// set, list or map.
func sizeOf(v *attr.Value) (int, bool) {
	switch {
	case v.S != nil:
		return len(*v.S), true
	case v.B != nil:
		return len(v.B), true
	case v.SS != nil:
		return len(v.SS), true
	case v.NS != nil:
		return len(v.NS), true
	case v.BS != nil:
		return len(v.BS), true
	case v.L != nil:
		return len(v.L), true
	case v.M != nil:
		return len(v.M), true
	}
	return 0, false
}

func (r *result) number() (attr.Number, bool) {
	if r.isSize {
		return attr.NumberFromInt(int64(r.size)), true
	}
	if r.v.N == nil {
		return attr.Number{}, false
	}
	n, err := attr.ParseNumber(*r.v.N)
	return n, err == nil
}

func equalResults(a, b *result) bool {
	if !a.ok || !b.ok {
		return false
	}
	if a.isSize || b.isSize {
		c, ok := orderResults(a, b)
		return ok && c == 0
	}
	return attr.Equal(&a.v, &b.v)
}

func orderResults(a, b *result) (int, bool) {
	if !a.ok || !b.ok {
		return 0, false
	}
	if a.isSize || b.isSize {
		x, ok1 := a.number()
		y, ok2 := b.number()
		if !ok1 || !ok2 {
			return 0, false
		}
		return x.Cmp(y), true
	}
	return attr.Compare(&a.v, &b.v)
}

func evalFunction(op *operand, item attr.Item) bool {
	switch op.name {
	case "attribute_exists":
		_, ok := lookup(item, op.args[0].path)
		return ok
	case "attribute_not_exists":
		_, ok := lookup(item, op.args[0].path)
		return !ok
	case "attribute_type":
		v := evalOperand(op.args[0], item)
		want, _ := attr.ParseType(*op.args[1].val.S)
		return v.ok && !v.isSize && attr.TypeOf(&v.v) == want
	case "begins_with":
		a, b := evalOperand(op.args[0], item), evalOperand(op.args[1], item)
		if !a.ok || !b.ok || a.isSize || b.isSize {
			return false
		}
		switch {
		case a.v.S != nil && b.v.S != nil:
			return strings.HasPrefix(*a.v.S, *b.v.S)
		case a.v.B != nil && b.v.B != nil:
			return bytes.HasPrefix(a.v.B, b.v.B)
		}
		return false
	case "contains":
		a, b := evalOperand(op.args[0], item), evalOperand(op.args[1], item)
		if !a.ok || !b.ok || a.isSize || b.isSize {
			return false
		}
		return contains(&a.v, &b.v)
	}
	return false
}

// contains is contains(a, b): substring of a string, sub-slice of a binary,
// member of a set (of b's type) or element of a list.
func contains(a, b *attr.Value) bool {
	switch {
	case a.S != nil:
		return b.S != nil && strings.Contains(*a.S, *b.S)
	case a.B != nil:
		return b.B != nil && bytes.Contains(a.B, b.B)
	case a.SS != nil:
		return b.S != nil && attr.ContainsString(a.SS, *b.S)
	case a.NS != nil:
		return b.N != nil && attr.ContainsNumber(a.NS, *b.N)
	case a.BS != nil:
		return b.B != nil && attr.ContainsBinary(a.BS, b.B)
	case a.L != nil:
		for i := range a.L {
			if attr.Equal(&a.L[i], b) {
				return true
			}
		}
	}
	return false
}

// FirstTopLevelName returns the first attribute of names, in the order
// they appear in the expression, that a path of the condition starts with.
// Query uses it to refuse filters on key attributes.
func (c *Condition) FirstTopLevelName(names ...string) (string, bool) {
	if c == nil || c.root == nil {
		return "", false
	}
	return firstNameIn(c.root, names)
}

func firstNameIn(n *cond, names []string) (string, bool) {
	for _, k := range n.kids {
		if name, ok := firstNameIn(k, names); ok {
			return name, true
		}
	}
	for _, op := range n.ops {
		if name, ok := operandNameIn(op, names); ok {
			return name, true
		}
	}
	return "", false
}

func operandNameIn(op *operand, names []string) (string, bool) {
	switch op.kind {
	case opPath:
		if len(op.path) > 0 && !op.path[0].IsIndex {
			for _, name := range names {
				if op.path[0].Name == name {
					return name, true
				}
			}
		}
	case opCall:
		for _, arg := range op.args {
			if name, ok := operandNameIn(arg, names); ok {
				return name, true
			}
		}
	}
	return "", false
}
