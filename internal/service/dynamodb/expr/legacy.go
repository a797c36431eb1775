package expr

import (
	"slices"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// The legacy parameters become the trees the expressions parse to, so one
// evaluator serves both.

const msgParamInvalid = "One or more parameter values were invalid: "

// legacyArity is how many AttributeValueList members each operator takes
// (-1: one or more).
var legacyArity = map[string]int{
	"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "CONTAINS": 1, "NOT_CONTAINS": 1,
	"BEGINS_WITH": 1, "NULL": 0, "NOT_NULL": 0, "IN": -1, "BETWEEN": 2,
}

// legacyTypeAllowed reports whether an operator takes values of type t: the
// ordering operators, CONTAINS, IN and BETWEEN take scalars, BEGINS_WITH
// strings and binaries, EQ and NE any type.
func legacyTypeAllowed(op string, t attr.Type) bool {
	switch op {
	case "EQ", "NE":
		return true
	case "BEGINS_WITH":
		return t == attr.TypeS || t == attr.TypeB
	}
	return t.IsScalarKey()
}

func validateValue(v *attr.Value) error {
	if err := attr.Normalize(v); err != nil {
		return invalidRequest(awserr.From(err).Message)
	}
	return nil
}

// legacyCondition checks one ComparisonOperator condition and returns it as
// a tree node on path name.
func legacyCondition(name, op string, list []attr.Value) (*cond, error) {
	for i := range list {
		if err := validateValue(&list[i]); err != nil {
			return nil, err
		}
	}
	n, known := legacyArity[op]
	if !known || (n >= 0 && len(list) != n) || (n < 0 && len(list) == 0) {
		return nil, invalidRequest(msgParamInvalid + "Invalid number of argument(s) for the " + op + " ComparisonOperator")
	}
	if len(list) > 0 {
		t := attr.TypeOf(&list[0])
		for i := range list {
			if attr.TypeOf(&list[i]) != t {
				return nil, invalidRequest(msgParamInvalid + "AttributeValues inside AttributeValueList must be of same type")
			}
		}
		if !legacyTypeAllowed(op, t) {
			return nil, invalidRequest(msgParamInvalid + "ComparisonOperator " + op + " is not valid for " + t.String() + " AttributeValue type")
		}
	}
	if op == "BETWEEN" {
		if err := legacyBetween(list); err != nil {
			return nil, err
		}
	}
	path := &operand{kind: opPath, path: Path{{Name: name}}}
	vals := make([]*operand, len(list))
	for i := range list {
		vals[i] = &operand{kind: opValue, val: &list[i]}
	}
	call := func(fn string, args ...*operand) *cond {
		return &cond{kind: cCall, ops: []*operand{{kind: opCall, name: fn, args: args}}}
	}
	switch op {
	case "EQ", "NE", "LE", "LT", "GE", "GT":
		cmp := map[string]tokKind{"EQ": tEq, "NE": tNe, "LE": tLe, "LT": tLt, "GE": tGe, "GT": tGt}[op]
		return &cond{kind: cCompare, cmp: cmp, ops: []*operand{path, vals[0]}}, nil
	case "NULL":
		return call("attribute_not_exists", path), nil
	case "NOT_NULL":
		return call("attribute_exists", path), nil
	case "CONTAINS":
		return call("contains", path, vals[0]), nil
	case "NOT_CONTAINS":
		return &cond{kind: cNot, kids: []*cond{call("contains", path, vals[0])}}, nil
	case "BEGINS_WITH":
		return call("begins_with", path, vals[0]), nil
	case "IN":
		return &cond{kind: cIn, ops: append([]*operand{path}, vals...)}, nil
	}
	return &cond{kind: cBetween, ops: []*operand{path, vals[0], vals[1]}}, nil
}

// join combines conditions with AND, or with OR when conditionalOperator is
// "OR".
func join(conds []*cond, conditionalOperator *string) *Condition {
	if len(conds) == 0 {
		return &Condition{}
	}
	kind := cAnd
	if conditionalOperator != nil && *conditionalOperator == "OR" {
		kind = cOr
	}
	root := conds[0]
	for _, c := range conds[1:] {
		root = &cond{kind: kind, kids: []*cond{root, c}}
	}
	return &Condition{root: root}
}

// ConditionFromExpected converts the legacy Expected parameter (with
// ConditionalOperator, nil meaning AND) into a Condition.
func ConditionFromExpected(expected map[string]dynamodbapi.ExpectedAttributeValue, conditionalOperator *string) (*Condition, error) {
	var conds []*cond
	for _, name := range sortedKeys(expected) {
		e := expected[name]
		if e.AttributeValueList != nil && e.Value != nil {
			return nil, invalidRequest(msgParamInvalid + "Value and AttributeValueList cannot be used together for Attribute: " + name)
		}
		if e.ComparisonOperator != nil {
			op := *e.ComparisonOperator
			if e.Exists != nil {
				return nil, invalidRequest(msgParamInvalid + "Exists and ComparisonOperator cannot be used together for Attribute: " + name)
			}
			list := slices.Clone(e.AttributeValueList)
			if e.Value != nil {
				list = []attr.Value{*e.Value}
			}
			if op != "NULL" && op != "NOT_NULL" && e.AttributeValueList == nil && e.Value == nil {
				return nil, invalidRequest(msgParamInvalid + "Value or AttributeValueList must be used with ComparisonOperator: " + op + " for Attribute: " + name)
			}
			c, err := legacyCondition(name, op, list)
			if err != nil {
				return nil, err
			}
			conds = append(conds, c)
			continue
		}
		if e.AttributeValueList != nil {
			return nil, invalidRequest(msgParamInvalid + "AttributeValueList can only be used with a ComparisonOperator for Attribute: " + name)
		}
		exists := e.Exists == nil || *e.Exists
		switch {
		case exists && e.Value == nil:
			state := "null"
			if e.Exists != nil {
				state = "true"
			}
			return nil, invalidRequest(msgParamInvalid + "Value must be provided when Exists is " + state + " for Attribute: " + name)
		case !exists && e.Value != nil:
			return nil, invalidRequest(msgParamInvalid + "Value cannot be used when Exists is false for Attribute: " + name)
		case exists:
			v := *e.Value
			if err := validateValue(&v); err != nil {
				return nil, err
			}
			conds = append(conds, &cond{kind: cCompare, cmp: tEq, ops: []*operand{
				{kind: opPath, path: Path{{Name: name}}}, {kind: opValue, val: &v}}})
		default:
			conds = append(conds, &cond{kind: cCall, ops: []*operand{{kind: opCall, name: "attribute_not_exists",
				args: []*operand{{kind: opPath, path: Path{{Name: name}}}}}}})
		}
	}
	return join(conds, conditionalOperator), nil
}

// ConditionFromFilter converts a legacy QueryFilter or ScanFilter into a
// Condition. param ("QueryFilter" or "ScanFilter") is kept for messages that
// name it.
func ConditionFromFilter(param string, filter map[string]dynamodbapi.Condition, conditionalOperator *string) (*Condition, error) {
	var conds []*cond
	for _, name := range sortedKeys(filter) {
		f := filter[name]
		op := ""
		if f.ComparisonOperator != nil {
			op = *f.ComparisonOperator
		}
		c, err := legacyCondition(name, op, slices.Clone(f.AttributeValueList))
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	return join(conds, conditionalOperator), nil
}

// KeyConditionFromLegacy converts a legacy KeyConditions parameter.
func KeyConditionFromLegacy(conditions map[string]dynamodbapi.Condition, schema KeySchema) (*KeyCondition, error) {
	var terms []keyTerm
	for _, name := range sortedKeys(conditions) {
		c := conditions[name]
		op := ""
		if c.ComparisonOperator != nil {
			op = *c.ComparisonOperator
		}
		list := slices.Clone(c.AttributeValueList)
		if _, err := legacyCondition(name, op, list); err != nil {
			return nil, err
		}
		var kop KeyOp
		for k, n := range keyOpNames {
			if n == op && n != "" {
				kop = KeyOp(k)
			}
		}
		if kop == KeyNone {
			return nil, invalidRequest("Attempted conditional constraint is not an indexable operation")
		}
		terms = append(terms, keyTerm{name: name, op: kop, values: list})
	}
	return keyConditionOf(terms, schema)
}

// UpdateFromAttributeUpdates converts a legacy AttributeUpdates parameter:
// PUT (the default) sets, DELETE without a value removes, DELETE with a set
// removes members, ADD adds numbers, unites sets and appends lists.
func UpdateFromAttributeUpdates(updates map[string]dynamodbapi.AttributeValueUpdate) (*Update, error) {
	u := &Update{}
	for _, name := range sortedKeys(updates) {
		au := updates[name]
		action := "PUT"
		if au.Action != nil {
			action = *au.Action
		}
		var val *attr.Value
		if au.Value != nil {
			v := *au.Value
			if err := validateValue(&v); err != nil {
				return nil, err
			}
			val = &v
		}
		if val == nil && action != "DELETE" {
			return nil, invalidRequest(msgParamInvalid + "Only DELETE action is allowed when no attribute value is specified")
		}
		a := updateAction{path: Path{{Name: name}}, legacy: true}
		switch action {
		case "PUT":
			a.section = secSet
			a.value = setValue{left: &operand{kind: opValue, val: val}}
		case "DELETE":
			a.section, a.arg = secDelete, val
			if val != nil && !attr.TypeOf(val).IsSet() {
				return nil, invalidRequest(msgParamInvalid + "DELETE action with value is not supported for the type " + attr.TypeOf(val).String())
			}
		case "ADD":
			t := attr.TypeOf(val)
			if !t.IsSet() && t != attr.TypeN && t != attr.TypeL {
				return nil, invalidRequest(msgParamInvalid + "ADD action is not supported for the type " + t.String())
			}
			a.section, a.arg = secAdd, val
		default:
			return nil, invalidRequest("1 validation error detected: Value '" + action +
				"' at 'attributeUpdates." + name + ".member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
		}
		u.actions = append(u.actions, a)
		u.paths = append(u.paths, a.path)
	}
	u.finish()
	return u, nil
}
