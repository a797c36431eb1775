package expr

import (
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

var testSchema = KeySchema{PartitionKey: "pk", PartitionType: attr.TypeS, SortKey: "sk", SortType: attr.TypeN}

func TestParseKeyCondition(t *testing.T) {
	values := Values{":p": sv("a"), ":n1": nv("1"), ":n2": nv("2"), ":s": sv("x")}
	names := Names{"#k": "pk", "#s": "sk"}
	tests := []struct {
		expr string
		op   KeyOp
		vals int
	}{
		{"pk = :p", KeyNone, 0},
		{"#k = :p", KeyNone, 0},
		{":p = pk", KeyNone, 0},
		{"pk = :p AND sk = :n1", KeyEQ, 1},
		{"sk < :n1 AND pk = :p", KeyLT, 1},
		{"pk = :p AND :n1 < sk", KeyGT, 1},
		{"pk = :p AND sk <= :n1", KeyLE, 1},
		{"pk = :p AND sk >= :n1", KeyGE, 1},
		{"(pk = :p) AND (#s BETWEEN :n1 AND :n2)", KeyBetween, 2},
		{"pk = :p AND sk > :n2", KeyGT, 1},
	}
	for _, tt := range tests {
		kc, err := ParseKeyCondition(tt.expr, names, values, testSchema)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if kc.PartitionKey != "pk" || *kc.PartitionValue.S != "a" || kc.SortOp != tt.op || len(kc.SortValues) != tt.vals {
			t.Errorf("%s: %+v", tt.expr, kc)
		}
	}
	strSort := KeySchema{PartitionKey: "pk", PartitionType: attr.TypeS, SortKey: "sk", SortType: attr.TypeS}
	kc, err := ParseKeyCondition("pk = :p AND begins_with(sk, :s)", nil, values, strSort)
	if err != nil || kc.SortOp != KeyBeginsWith || kc.SortKey != "sk" {
		t.Fatalf("begins_with: %+v %v", kc, err)
	}
	if !kc.Match(attr.Item{"pk": sv("a"), "sk": sv("xyz")}) || kc.Match(attr.Item{"pk": sv("a"), "sk": sv("y")}) {
		t.Error("Match with begins_with")
	}
}

func TestKeyConditionErrors(t *testing.T) {
	values := Values{":p": sv("a"), ":n1": nv("1"), ":n2": nv("2"), ":s": sv("x")}
	tests := []struct{ expr, msg string }{
		{"", "Invalid KeyConditionExpression: The expression can not be empty;"},
		{"pk = :p AND sk BETWEEN :n2 AND :n1", "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"},
		{"pk = :p OR sk = :n1", "Invalid operator used in KeyConditionExpression: OR"},
		{"NOT pk = :p", "Invalid operator used in KeyConditionExpression: NOT"},
		{"pk IN (:p)", "Invalid operator used in KeyConditionExpression: IN"},
		{"pk <> :p", "Invalid operator used in KeyConditionExpression: <>"},
		{"attribute_exists(pk)", "Invalid operator used in KeyConditionExpression: attribute_exists"},
		{"pk = :p AND contains(sk, :n1)", "Invalid operator used in KeyConditionExpression: contains"},
		{"size(pk) = :n1", "KeyConditionExpressions cannot contain nested operations"},
		{"pk = :p AND :n1 BETWEEN sk AND :n2", "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"},
		{"pk = sk", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{"pk.a = :p", "KeyConditionExpressions cannot have conditions on nested attributes"},
		{":p = :s", "Invalid condition in KeyConditionExpression: No key attribute specified"},
		{"pk = :p AND pk = :s", "KeyConditionExpressions must only contain one condition per key"},
		{"sk = :n1", "Query condition missed key schema element: pk"},
		{"attr1 = :p", "Query condition missed key schema element: pk"},
		{"pk > :p", "Query key condition not supported"},
		{"pk = :p AND extra = :n1", "Query key condition not supported"},
		{"pk = :n1", "One or more parameter values were invalid: Condition parameter type does not match schema type"},
		{"pk = :p AND sk = :s", "One or more parameter values were invalid: Condition parameter type does not match schema type"},
		{"pk = :p AND begins_with(sk, :n1)", "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{"pk = :p AND sk = :n1 AND extra = :s", "Conditions can be of length 1 or 2 only"},
		{"pk = :zz", "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :zz"},
	}
	for _, tt := range tests {
		_, err := ParseKeyCondition(tt.expr, nil, values, testSchema)
		wantValidation(t, tt.expr, err, tt.msg)
	}
}

func str(s string) *string { return &s }

func TestLegacyConditions(t *testing.T) {
	item := attr.Item{"a": nv("5"), "s": sv("hello"), "ss": ssv("x", "y")}
	yes, no := true, false
	tests := []struct {
		expected map[string]dynamodbapi.ExpectedAttributeValue
		op       *string
		want     bool
	}{
		{map[string]dynamodbapi.ExpectedAttributeValue{"a": {Value: ptr(nv("5"))}}, nil, true},
		{map[string]dynamodbapi.ExpectedAttributeValue{"a": {Value: ptr(nv("5")), Exists: &yes}}, nil, true},
		{map[string]dynamodbapi.ExpectedAttributeValue{"zz": {Exists: &no}}, nil, true},
		{map[string]dynamodbapi.ExpectedAttributeValue{"a": {Exists: &no}}, nil, false},
		{map[string]dynamodbapi.ExpectedAttributeValue{"a": {ComparisonOperator: str("GT"), AttributeValueList: []attr.Value{nv("4")}}}, nil, true},
		{map[string]dynamodbapi.ExpectedAttributeValue{"a": {ComparisonOperator: str("BETWEEN"), AttributeValueList: []attr.Value{nv("1"), nv("4")}}}, nil, false},
		{map[string]dynamodbapi.ExpectedAttributeValue{"s": {ComparisonOperator: str("BEGINS_WITH"), Value: ptr(sv("he"))}}, nil, true},
		{map[string]dynamodbapi.ExpectedAttributeValue{"ss": {ComparisonOperator: str("CONTAINS"), AttributeValueList: []attr.Value{sv("y")}}}, nil, true},
		{map[string]dynamodbapi.ExpectedAttributeValue{"ss": {ComparisonOperator: str("NOT_CONTAINS"), AttributeValueList: []attr.Value{sv("y")}}}, nil, false},
		{map[string]dynamodbapi.ExpectedAttributeValue{"zz": {ComparisonOperator: str("NULL")}, "a": {ComparisonOperator: str("NOT_NULL")}}, nil, true},
		{map[string]dynamodbapi.ExpectedAttributeValue{"zz": {ComparisonOperator: str("NOT_NULL")}, "a": {ComparisonOperator: str("NOT_NULL")}}, nil, false},
		{map[string]dynamodbapi.ExpectedAttributeValue{"zz": {ComparisonOperator: str("NOT_NULL")}, "a": {ComparisonOperator: str("NOT_NULL")}}, str("OR"), true},
		{map[string]dynamodbapi.ExpectedAttributeValue{"a": {ComparisonOperator: str("IN"), AttributeValueList: []attr.Value{nv("1"), nv("5")}}}, nil, true},
		{map[string]dynamodbapi.ExpectedAttributeValue{"zz": {ComparisonOperator: str("NE"), AttributeValueList: []attr.Value{nv("1")}}}, nil, true},
	}
	for i, tt := range tests {
		c, err := ConditionFromExpected(tt.expected, tt.op)
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if got, _ := c.Eval(item); got != tt.want {
			t.Errorf("%d: Eval = %v, want %v", i, got, tt.want)
		}
	}
}

func ptr(v attr.Value) *attr.Value { return &v }

func TestLegacyErrors(t *testing.T) {
	yes, no := true, false
	const inv = "One or more parameter values were invalid: "
	expected := []struct {
		e   dynamodbapi.ExpectedAttributeValue
		msg string
	}{
		{dynamodbapi.ExpectedAttributeValue{Value: ptr(nv("1")), AttributeValueList: []attr.Value{nv("1")}}, inv + "Value and AttributeValueList cannot be used together for Attribute: a"},
		{dynamodbapi.ExpectedAttributeValue{ComparisonOperator: str("EQ"), Exists: &yes}, inv + "Exists and ComparisonOperator cannot be used together for Attribute: a"},
		{dynamodbapi.ExpectedAttributeValue{ComparisonOperator: str("EQ")}, inv + "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"},
		{dynamodbapi.ExpectedAttributeValue{ComparisonOperator: str("EQ"), AttributeValueList: []attr.Value{nv("1"), nv("2")}}, inv + "Invalid number of argument(s) for the EQ ComparisonOperator"},
		{dynamodbapi.ExpectedAttributeValue{ComparisonOperator: str("NULL"), AttributeValueList: []attr.Value{nv("1")}}, inv + "Invalid number of argument(s) for the NULL ComparisonOperator"},
		{dynamodbapi.ExpectedAttributeValue{ComparisonOperator: str("IN"), AttributeValueList: []attr.Value{nv("1"), sv("2")}}, inv + "AttributeValues inside AttributeValueList must be of same type"},
		{dynamodbapi.ExpectedAttributeValue{ComparisonOperator: str("LT"), AttributeValueList: []attr.Value{ssv("a")}}, inv + "ComparisonOperator LT is not valid for SS AttributeValue type"},
		{dynamodbapi.ExpectedAttributeValue{ComparisonOperator: str("BETWEEN"), AttributeValueList: []attr.Value{nv("2"), nv("1")}}, "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"},
		{dynamodbapi.ExpectedAttributeValue{AttributeValueList: []attr.Value{nv("1")}}, inv + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"},
		{dynamodbapi.ExpectedAttributeValue{}, inv + "Value must be provided when Exists is null for Attribute: a"},
		{dynamodbapi.ExpectedAttributeValue{Exists: &yes}, inv + "Value must be provided when Exists is true for Attribute: a"},
		{dynamodbapi.ExpectedAttributeValue{Exists: &no, Value: ptr(nv("1"))}, inv + "Value cannot be used when Exists is false for Attribute: a"},
		{dynamodbapi.ExpectedAttributeValue{Value: ptr(nv("x"))}, "The parameter cannot be converted to a numeric value: x"},
	}
	for i, tt := range expected {
		_, err := ConditionFromExpected(map[string]dynamodbapi.ExpectedAttributeValue{"a": tt.e}, nil)
		wantValidation(t, "Expected "+string(rune('0'+i)), err, tt.msg)
	}
	updates := []struct {
		u   dynamodbapi.AttributeValueUpdate
		msg string
	}{
		{dynamodbapi.AttributeValueUpdate{Action: str("PUT")}, inv + "Only DELETE action is allowed when no attribute value is specified"},
		{dynamodbapi.AttributeValueUpdate{Action: str("ADD"), Value: ptr(sv("x"))}, inv + "ADD action is not supported for the type S"},
		{dynamodbapi.AttributeValueUpdate{Action: str("DELETE"), Value: ptr(nv("1"))}, inv + "DELETE action with value is not supported for the type N"},
	}
	for _, tt := range updates {
		_, err := UpdateFromAttributeUpdates(map[string]dynamodbapi.AttributeValueUpdate{"a": tt.u})
		wantValidation(t, *tt.u.Action, err, tt.msg)
	}
	_, err := KeyConditionFromLegacy(map[string]dynamodbapi.Condition{"pk": {ComparisonOperator: str("NOT_NULL")}}, testSchema)
	wantValidation(t, "KeyConditions NOT_NULL", err, "Attempted conditional constraint is not an indexable operation")
	_, err = KeyConditionFromLegacy(map[string]dynamodbapi.Condition{"pk": {ComparisonOperator: str("BEGINS_WITH"), AttributeValueList: []attr.Value{sv("a")}}}, testSchema)
	wantValidation(t, "KeyConditions hash BEGINS_WITH", err, "Query key condition not supported")
	kc, err := KeyConditionFromLegacy(map[string]dynamodbapi.Condition{
		"pk": {ComparisonOperator: str("EQ"), AttributeValueList: []attr.Value{sv("a")}},
		"sk": {ComparisonOperator: str("BETWEEN"), AttributeValueList: []attr.Value{nv("1"), nv("3")}},
	}, testSchema)
	if err != nil || kc.SortOp != KeyBetween || !kc.Match(attr.Item{"pk": sv("a"), "sk": nv("2")}) {
		t.Errorf("legacy KeyConditions: %+v %v", kc, err)
	}
}

func TestLegacyAttributeUpdates(t *testing.T) {
	u, err := UpdateFromAttributeUpdates(map[string]dynamodbapi.AttributeValueUpdate{
		"put":   {Value: ptr(sv("v"))},
		"cnt":   {Action: str("ADD"), Value: ptr(nv("2"))},
		"list":  {Action: str("ADD"), Value: ptr(lv(sv("b")))},
		"gone":  {Action: str("DELETE")},
		"tags":  {Action: str("DELETE"), Value: ptr(ssv("a"))},
		"fresh": {Action: str("ADD"), Value: ptr(nsv("1"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, attrs, err := u.Apply(attr.Item{"cnt": nv("1"), "list": lv(sv("a")), "gone": sv("x"), "tags": ssv("a", "b")})
	if err != nil {
		t.Fatal(err)
	}
	want := attr.Item{"put": sv("v"), "cnt": nv("3"), "list": lv(sv("a"), sv("b")), "tags": ssv("b"), "fresh": nsv("1")}
	if len(out) != len(want) {
		t.Errorf("got %v", out)
	}
	for k, w := range want {
		g := out[k]
		if !attr.Equal(&g, &w) {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
	if len(attrs) != 6 {
		t.Errorf("attrs %v", attrs)
	}
	_, _, err = u.Apply(attr.Item{"cnt": sv("x")})
	wantValidation(t, "legacy ADD mismatch", err, "Type mismatch for attribute to update")
}

func TestProjectionApply(t *testing.T) {
	item := attr.Item{
		"a": sv("x"),
		"m": mv("k1", nv("1"), "k2", mv("deep", sv("d"), "other", sv("o"))),
		"l": lv(sv("l0"), mv("f", sv("g"), "h", sv("i")), sv("l2"), sv("l3")),
	}
	p, err := ParseProjection("a, m.k2.deep, l[3], l[1].f, #x, nope, l[9]", Names{"#x": "m.k1"})
	if err != nil {
		t.Fatal(err)
	}
	got := p.Apply(item)
	want := attr.Item{
		"a": sv("x"),
		"m": mv("k2", mv("deep", sv("d"))),
		"l": lv(mv("f", sv("g")), sv("l3")),
	}
	for k, w := range want {
		g := got[k]
		if !attr.Equal(&g, &w) {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("projection %v", got)
	}
	if a := p.Attributes(); len(a) != 5 {
		t.Errorf("Attributes %v", a)
	}
	_, err = ProjectionFromAttributesToGet([]string{"a", "b", "a"})
	wantValidation(t, "duplicate AttributesToGet", err, "One or more parameter values were invalid: Duplicate value in attribute name: a")
}
