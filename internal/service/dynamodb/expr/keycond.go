package expr

import (
	"bytes"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// KeySchema describes the key of a table or index for key conditions.
type KeySchema struct {
	PartitionKey  string
	PartitionType attr.Type
	SortKey       string // "" when the table has no sort key
	SortType      attr.Type
}

// KeyOp is the operator of a sort-key condition.
type KeyOp uint8

const (
	KeyNone KeyOp = iota // no sort-key condition
	KeyEQ
	KeyLT
	KeyLE
	KeyGT
	KeyGE
	KeyBetween
	KeyBeginsWith
)

// legacyNames are the ComparisonOperator names of the key operators.
var keyOpNames = [...]string{KeyEQ: "EQ", KeyLT: "LT", KeyLE: "LE", KeyGT: "GT", KeyGE: "GE", KeyBetween: "BETWEEN", KeyBeginsWith: "BEGINS_WITH"}

// KeyCondition is a parsed KeyConditionExpression (or legacy KeyConditions):
// equality on the partition key and an optional condition on the sort key.
type KeyCondition struct {
	PartitionKey   string
	PartitionValue attr.Value
	SortKey        string // "" when SortOp is KeyNone
	SortOp         KeyOp
	// SortValues holds the operand(s) of SortOp: one, or two for KeyBetween.
	SortValues []attr.Value
	usage      Usage
}

// keyTerm is one condition on one key attribute, before the schema decides
// which key it is.
type keyTerm struct {
	name   string
	op     KeyOp
	values []attr.Value
}

// ParseKeyCondition parses a KeyConditionExpression against the key schema
// of the table or index queried.
func ParseKeyCondition(expr string, names Names, values Values, schema KeySchema) (*KeyCondition, error) {
	if err := checkText(KindKeyCondition, expr); err != nil {
		return nil, err
	}
	root, _, err := parseConditionSyntax(KindKeyCondition, expr)
	if err != nil {
		return nil, err
	}
	c := checker{kind: KindKeyCondition, names: names, values: values}
	c.condition(root)
	if err := c.err(conditionOrder); err != nil {
		return nil, err
	}
	var terms []keyTerm
	if err := keyTerms(root, &terms); err != nil {
		return nil, err
	}
	kc, err := keyConditionOf(terms, schema)
	if err != nil {
		return nil, err
	}
	kc.usage = c.usage
	return kc, nil
}

var flipped = map[tokKind]tokKind{tEq: tEq, tLt: tGt, tLe: tGe, tGt: tLt, tGe: tLe}

var keyOpOf = map[tokKind]KeyOp{tEq: KeyEQ, tLt: KeyLT, tLe: KeyLE, tGt: KeyGT, tGe: KeyGE}

func keyTerms(n *cond, terms *[]keyTerm) error {
	var ops []*operand
	var op KeyOp
	switch n.kind {
	case cAnd:
		for _, k := range n.kids {
			if err := keyTerms(k, terms); err != nil {
				return err
			}
		}
		return nil
	case cOr:
		return invalidRequest("Invalid operator used in KeyConditionExpression: OR")
	case cNot:
		return invalidRequest("Invalid operator used in KeyConditionExpression: NOT")
	case cIn:
		return invalidRequest("Invalid operator used in KeyConditionExpression: IN")
	case cCompare:
		if n.cmp == tNe {
			return invalidRequest("Invalid operator used in KeyConditionExpression: <>")
		}
		ops = n.ops
		cmp := n.cmp
		if ops[0].kind != opPath && ops[1].kind == opPath {
			cmp = flipped[cmp]
			ops = []*operand{ops[1], ops[0]}
		}
		op = keyOpOf[cmp]
	case cBetween:
		if n.ops[0].kind != opPath {
			return invalidRequest("Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand")
		}
		ops, op = n.ops, KeyBetween
	case cCall:
		call := n.ops[0]
		switch call.name {
		case "begins_with":
			if call.args[0].kind != opPath {
				return invalidRequest("Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand")
			}
			ops, op = call.args, KeyBeginsWith
		case "size":
			return invalidRequest("KeyConditionExpressions cannot contain nested operations")
		default:
			return invalidRequest("Invalid operator used in KeyConditionExpression: " + call.name)
		}
	}
	t := keyTerm{op: op}
	for i, o := range ops {
		switch o.kind {
		case opCall:
			return invalidRequest("KeyConditionExpressions cannot contain nested operations")
		case opPath:
			if i > 0 {
				return invalidRequest("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
			}
			if len(o.path) > 1 {
				return invalidRequest("KeyConditionExpressions cannot have conditions on nested attributes")
			}
			t.name = o.path[0].Name
		case opValue:
			t.values = append(t.values, *o.val)
		}
	}
	if t.name == "" {
		return invalidRequest("Invalid condition in KeyConditionExpression: No key attribute specified")
	}
	for _, prev := range *terms {
		if prev.name == t.name {
			return invalidRequest("KeyConditionExpressions must only contain one condition per key")
		}
	}
	*terms = append(*terms, t)
	return nil
}

// keyOperandTypes are the value types each key operator takes.
func keyOperandAllowed(op KeyOp, t attr.Type) bool {
	if op == KeyBeginsWith {
		return t == attr.TypeS || t == attr.TypeB
	}
	return t.IsScalarKey()
}

// keyConditionOf checks key terms against the schema, as AWS does for both
// key condition forms.
func keyConditionOf(terms []keyTerm, schema KeySchema) (*KeyCondition, error) {
	for _, t := range terms {
		if t.op == KeyBetween {
			if err := legacyBetween(t.values); err != nil {
				return nil, err
			}
		}
		for _, v := range t.values {
			if vt := attr.TypeOf(&v); !keyOperandAllowed(t.op, vt) {
				return nil, invalidRequest("One or more parameter values were invalid: ComparisonOperator " + keyOpNames[t.op] +
					" is not valid for " + vt.String() + " AttributeValue type")
			}
		}
	}
	if len(terms) != 1 && len(terms) != 2 {
		return nil, invalidRequest("Conditions can be of length 1 or 2 only")
	}
	var hash, sort *keyTerm
	for i := range terms {
		switch terms[i].name {
		case schema.PartitionKey:
			hash = &terms[i]
		case schema.SortKey:
			if schema.SortKey != "" {
				sort = &terms[i]
			}
		}
	}
	if hash == nil {
		return nil, invalidRequest("Query condition missed key schema element: " + schema.PartitionKey)
	}
	if hash.op != KeyEQ || (len(terms) == 2 && sort == nil) {
		return nil, invalidRequest("Query key condition not supported")
	}
	kc := &KeyCondition{PartitionKey: hash.name, PartitionValue: hash.values[0]}
	if attr.TypeOf(&kc.PartitionValue) != schema.PartitionType {
		return nil, invalidRequest("One or more parameter values were invalid: Condition parameter type does not match schema type")
	}
	if sort != nil {
		for _, v := range sort.values {
			if attr.TypeOf(&v) != schema.SortType {
				return nil, invalidRequest("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
		}
		kc.SortKey, kc.SortOp, kc.SortValues = sort.name, sort.op, sort.values
	}
	return kc, nil
}

// Usage returns the placeholders the expression used.
func (k *KeyCondition) Usage() Usage { return k.usage }

// Match reports whether item's key satisfies the condition.
func (k *KeyCondition) Match(item attr.Item) bool {
	v, ok := item[k.PartitionKey]
	if !ok || !attr.Equal(&v, &k.PartitionValue) {
		return false
	}
	if k.SortOp == KeyNone {
		return true
	}
	s, ok := item[k.SortKey]
	if !ok {
		return false
	}
	if k.SortOp == KeyBeginsWith {
		p := &k.SortValues[0]
		switch {
		case s.S != nil && p.S != nil:
			return strings.HasPrefix(*s.S, *p.S)
		case s.B != nil && p.B != nil:
			return bytes.HasPrefix(s.B, p.B)
		}
		return false
	}
	c, ok := attr.Compare(&s, &k.SortValues[0])
	if !ok {
		return false
	}
	switch k.SortOp {
	case KeyEQ:
		return c == 0
	case KeyLT:
		return c < 0
	case KeyLE:
		return c <= 0
	case KeyGT:
		return c > 0
	case KeyGE:
		return c >= 0
	case KeyBetween:
		c2, ok := attr.Compare(&s, &k.SortValues[1])
		return ok && c >= 0 && c2 <= 0
	}
	return false
}

// legacyBetween checks the bounds of a BETWEEN written with an
// AttributeValueList (or converted from a key condition).
func legacyBetween(vals []attr.Value) error {
	if len(vals) != 2 {
		return nil
	}
	if c, ok := attr.Compare(&vals[0], &vals[1]); ok && c > 0 {
		return invalidRequest("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
	}
	return nil
}
