package expr

import (
	"strconv"
	"strings"
	"testing"
)

func TestConditionErrors(t *testing.T) {
	names := Names{"#a": "a", "#b": "b"}
	values := Values{":v": sv("x"), ":n": nv("1"), ":n2": nv("2"), ":l": lv(nv("1")), ":t": sv("DOG"), ":tS": sv("S")}
	const prefix = "Invalid ConditionExpression: "
	tests := []struct{ expr, msg string }{
		{"", "The expression can not be empty;"},
		{"a", `Syntax error; token: "<EOF>", near: "a"`},
		{"a = ", `Syntax error; token: "<EOF>", near: "= "`},
		{"a == :v", `Syntax error; token: "=", near: "== :v"`},
		{"a = :v AND", `Syntax error; token: "<EOF>", near: "AND"`},
		{"a = :v :v", `Syntax error; token: ":v", near: ":v :v"`},
		{"a ! :v", `Syntax error; token: "!", near: "a ! :v"`},
		{"a IN ()", `Syntax error; token: ")", near: "()"`},
		{"(a = :v", `Syntax error; token: "<EOF>", near: ":v"`},
		{"a = # AND b = :v", `Syntax error; token: "#", near: "= # AND"`},
		{"NOT NOT a = :v", `Syntax error; token: "NOT", near: "NOT NOT a"`},
		{"a[x] = :v", `Syntax error; token: "x", near: "[x]"`},
		{"a BETWEEN :n :n2", `Syntax error; token: ":n2", near: ":n :n2"`},
		{"((a = :v))", "The expression has redundant parentheses;"},
		{"((a)) = :v", "The expression has redundant parentheses;"},
		{"status = :v", "Attribute name is a reserved keyword; reserved keyword: status"},
		{"a.Name = :v", "Attribute name is a reserved keyword; reserved keyword: Name"},
		{"#c = :v", "An expression attribute name used in the document path is not defined; attribute name: #c"},
		{"#a = :w", "An expression attribute value used in expression is not defined; attribute value: :w"},
		{"foo(a)", "Invalid function name; function: foo"},
		{"ATTRIBUTE_EXISTS(a)", "Invalid function name; function: ATTRIBUTE_EXISTS"},
		{"list_append(a, :l) = :l", "The function is not allowed in a condition expression; function: list_append"},
		{"if_not_exists(a, :v) = :v", "The function is not allowed in a condition expression; function: if_not_exists"},
		{"attribute_exists(a) = :v", "The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"size(a)", "The function is not allowed to be used this way in an expression; function: size"},
		{"contains(begins_with(a, :v), :v)", "The function is not allowed to be used this way in an expression; function: begins_with"},
		{"attribute_exists(a, b)", "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
		{"begins_with(a)", "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"},
		{"contains(a, a)", "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a]"},
		{"a = #a", "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
		{"attribute_exists(:v)", "Operator or function requires a document path; operator or function: attribute_exists"},
		{"attribute_not_exists(size(a))", "Operator or function requires a document path; operator or function: attribute_not_exists"},
		{"begins_with(a, :n)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{"size(:n) = :n", "Incorrect operand type for operator or function; operator or function: size, operand type: N"},
		{"attribute_type(a, b)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"},
		{"attribute_type(a, :n)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
		{"attribute_type(a, :t)", "Invalid attribute type name found; type: DOG, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
		{"a < :l", "Incorrect operand type for operator or function; operator or function: <, operand type: L"},
		{"a BETWEEN :n2 AND :n", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"},
		{"a BETWEEN :n AND :v", "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}"},
		// Precedence of error kinds: parentheses, unknown function, misused
		// function, reserved word, placeholders, operand count, distinct
		// operands, function rules.
		{"status = :w AND ((b = :v))", "The expression has redundant parentheses;"},
		{"status = :w AND foo(b)", "Invalid function name; function: foo"},
		{"#c = :w AND status = :v", "Attribute name is a reserved keyword; reserved keyword: status"},
		{"#c = :w", "An expression attribute name used in the document path is not defined; attribute name: #c"},
		{":w = #c", "An expression attribute value used in expression is not defined; attribute value: :w"},
		{"begins_with(a, :n) AND attribute_exists(a, b)", "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
	}
	for _, tt := range tests {
		_, err := ParseCondition(KindCondition, tt.expr, names, values)
		wantValidation(t, tt.expr, err, prefix+tt.msg)
	}
	// The kind names the parameter.
	_, err := ParseCondition(KindFilter, "a = :w", nil, nil)
	wantValidation(t, "filter", err, "Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :w")
}

func TestInOperandLimit(t *testing.T) {
	values := Values{}
	var list []string
	for i := range 101 {
		k := ":v" + strconv.Itoa(i)
		values[k] = nv(strconv.Itoa(i))
		list = append(list, k)
	}
	if _, err := ParseCondition(KindCondition, "a IN ("+strings.Join(list[:100], ",")+")", nil, values); err != nil {
		t.Errorf("100 IN operands: %v", err)
	}
	_, err := ParseCondition(KindCondition, "a IN ("+strings.Join(list, ",")+")", nil, values)
	wantValidation(t, "101 IN operands", err, "Invalid ConditionExpression: Too many operands for the operator or function; operator or function: IN, number of operands: 101")
}

func TestUpdateErrors(t *testing.T) {
	names := Names{"#a": "a"}
	values := Values{":v": sv("x"), ":n": nv("1"), ":l": lv(), ":ss": ssv("a"), ":b": boolv(true), ":m": mv()}
	const prefix = "Invalid UpdateExpression: "
	tests := []struct{ expr, msg string }{
		{"", "The expression can not be empty;"},
		{"INVALID SYNTAX HERE", `Syntax error; token: "INVALID", near: "INVALID SYNTAX"`},
		{"ADD hits : incr", `Syntax error; token: ":", near: "hits : incr"`},
		{"SET a = :v, REMOVE b", `Syntax error; token: "REMOVE", near: ", REMOVE b"`},
		{"SET a", `Syntax error; token: "<EOF>", near: "a"`},
		{"SET a = :v +", `Syntax error; token: "<EOF>", near: "+"`},
		{"ADD a b", `Syntax error; token: "b", near: "a b"`},
		{"REMOVE a = :v", `Syntax error; token: "=", near: "a = :v"`},
		{"SET a = :v SET b = :v", `The "SET" section can only be used once in an update expression;`},
		{"SET status = :v", "Attribute name is a reserved keyword; reserved keyword: status"},
		{"SET #b = :v", "An expression attribute name used in the document path is not defined; attribute name: #b"},
		{"SET a = :w", "An expression attribute value used in expression is not defined; attribute value: :w"},
		{"SET a = :v, a = :n", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"SET a = :v REMOVE a.b", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{"SET a.b[1] = :v REMOVE a.b[1].c", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b, [1]], path two: [a, b, [1], c]"},
		{"SET a.b = :v REMOVE a[1]", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"},
		{"SET a = foo(b)", "Invalid function name; function: foo"},
		{"SET a = size(b)", "The function is not allowed in an update expression; function: size"},
		{"SET a = contains(b, :v)", "The function is not allowed in an update expression; function: contains"},
		{"SET a = if_not_exists(:v, :v)", "Operator or function requires a document path; operator or function: if_not_exists"},
		{"SET a = if_not_exists(b)", "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"},
		{"SET a = list_append(b, :v)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: S"},
		{"SET a = b + :v", "Incorrect operand type for operator or function; operator or function: +, operand type: S"},
		{"SET a = :l - b", "Incorrect operand type for operator or function; operator or function: -, operand type: L"},
		{"ADD a :v", "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
		{"ADD a :b", "Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN"},
		{"DELETE a :n", "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"},
		{"DELETE a :m", "Incorrect operand type for operator or function; operator: DELETE, operand type: MAP"},
		// Precedence: reserved words before undefined placeholders.
		{"SET a = :w, status = :v", "Attribute name is a reserved keyword; reserved keyword: status"},
		{"SET a = :w, #b = :v", "An expression attribute name used in the document path is not defined; attribute name: #b"},
	}
	for _, tt := range tests {
		_, err := ParseUpdate(tt.expr, names, values)
		wantValidation(t, tt.expr, err, prefix+tt.msg)
	}
	for _, ok := range []string{"set a = :v", "SET a=:v,b=:n remove c, d add e :n delete f :ss", "SET #a = #a + :n", "SET a = (b + :n)", "SET a = (:n)"} {
		if _, err := ParseUpdate(ok, names, values); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestProjectionErrors(t *testing.T) {
	const prefix = "Invalid ProjectionExpression: "
	tests := []struct{ expr, msg string }{
		{"", "The expression can not be empty;"},
		{"a,", `Syntax error; token: "<EOF>", near: ","`},
		{"!!", `Syntax error; token: "!", near: "!!"`},
		{"a b", `Syntax error; token: "b", near: "a b"`},
		{"status", "Attribute name is a reserved keyword; reserved keyword: status"},
		{"#x", "An expression attribute name used in the document path is not defined; attribute name: #x"},
		{"a, a.b", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{"a.b, a[0]", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"},
	}
	for _, tt := range tests {
		_, err := ParseProjection(tt.expr, nil)
		wantValidation(t, tt.expr, err, prefix+tt.msg)
	}
}

func TestParamChecks(t *testing.T) {
	wantValidation(t, "mixed", CheckMixed([]string{"Expected"}, []string{"ConditionExpression"}),
		"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}")
	if err := CheckMixed(nil, []string{"ConditionExpression"}); err != nil {
		t.Error(err)
	}
	wantValidation(t, "names without expressions", CheckParams(nil, nil, []string{"ConditionExpression"}, Names{"#a": "a"}, nil),
		"ExpressionAttributeNames can only be specified when using expressions")
	wantValidation(t, "values without expressions", CheckParams(nil, []string{"ProjectionExpression"}, []string{"FilterExpression", "KeyConditionExpression"}, nil, Values{":v": sv("x")}),
		"ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null")
	wantValidation(t, "values without expressions", CheckParams(nil, nil, []string{"ConditionExpression"}, nil, Values{":v": sv("x")}),
		"ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null")
	wantValidation(t, "empty names", CheckParams(nil, []string{"ConditionExpression"}, nil, Names{}, nil),
		"ExpressionAttributeNames must not be empty")
	wantValidation(t, "bad name key", CheckParams(nil, []string{"ConditionExpression"}, nil, Names{"#a-b": "a"}, nil),
		`ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b"`)
	wantValidation(t, "empty values", CheckParams(nil, []string{"ConditionExpression"}, []string{"ConditionExpression"}, nil, Values{}),
		"ExpressionAttributeValues must not be empty")
	wantValidation(t, "bad value key", CheckParams(nil, []string{"ConditionExpression"}, []string{"ConditionExpression"}, nil, Values{"v": sv("x")}),
		`ExpressionAttributeValues contains invalid key: Syntax error; key: "v"`)
	wantValidation(t, "bad value", CheckParams(nil, []string{"ConditionExpression"}, []string{"ConditionExpression"}, nil, Values{":v": {SS: []string{}}}),
		"ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v")
	values := Values{":v": nv("1.50")}
	if err := CheckParams(nil, []string{"ConditionExpression"}, []string{"ConditionExpression"}, nil, values); err != nil || *values[":v"].N != "1.5" {
		t.Errorf("values not normalized: %v %v", err, *values[":v"].N)
	}

	// Unused placeholders, across the expressions of one request.
	names := Names{"#a": "a", "#b": "b", "#c": "c"}
	vals := Values{":v": sv("x"), ":w": sv("y")}
	c, err := ParseCondition(KindCondition, "#a = :v", names, vals)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseProjection("#b", names)
	if err != nil {
		t.Fatal(err)
	}
	wantValidation(t, "unused names", CheckUnused(names, vals, c.Usage(), p.Usage()),
		"Value provided in ExpressionAttributeNames unused in expressions: keys: {#c}")
	delete(names, "#c")
	wantValidation(t, "unused values", CheckUnused(names, vals, c.Usage(), p.Usage()),
		"Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}")
	delete(vals, ":w")
	if err := CheckUnused(names, vals, c.Usage(), p.Usage()); err != nil {
		t.Error(err)
	}
}

func TestExpressionSizeLimit(t *testing.T) {
	long := "a = :v" + strings.Repeat(" ", MaxExpressionBytes-6)
	if _, err := ParseCondition(KindFilter, long, nil, Values{":v": sv("x")}); err != nil {
		t.Errorf("4096 bytes: %v", err)
	}
	_, err := ParseCondition(KindFilter, long+" ", nil, Values{":v": sv("x")})
	wantValidation(t, "4097 bytes", err, "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4097")
	_, err = ParseUpdate("SET a = :v"+strings.Repeat(" ", MaxExpressionBytes), nil, nil)
	wantValidation(t, "long update", err, "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; expression size: 4106")
}
