package expr

import (
	"slices"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// Usage lists the placeholders one expression used: "#name" keys of Names
// and ":value" keys of Values. A request's unused placeholders are an error
// across all its expressions: see CheckUnused.
type Usage struct {
	Names  []string
	Values []string
}

func invalidRequest(msg string) error { return awserr.ValidationException.New(msg) }

// CheckParams runs the request-level checks AWS makes before it parses any
// expression:
//   - nonExpression and expression list the legacy and expression
//     parameters the request set (e.g. {"Expected"} and
//     {"ConditionExpression"}), in the order AWS names them;
//   - valueExpressions lists the operation's expression parameters that can
//     use ExpressionAttributeValues, set or not (Query: "FilterExpression",
//     "KeyConditionExpression"), in AWS's order;
//   - names and values are the request's maps (nil when absent).
//
// It also validates the values (as attr.Normalize does, rewriting their
// numbers to canonical text in place).
func CheckParams(nonExpression, expression, valueExpressions []string, names Names, values Values) error {
	if err := CheckMixed(nonExpression, expression); err != nil {
		return err
	}
	if names != nil && len(expression) == 0 {
		return invalidRequest("ExpressionAttributeNames can only be specified when using expressions")
	}
	if values != nil && len(valueExpressions) > 0 {
		used := false
		for _, e := range valueExpressions {
			if slices.Contains(expression, e) {
				used = true
			}
		}
		if !used {
			verb := " is null"
			if len(valueExpressions) > 1 {
				verb = " are null"
			}
			return invalidRequest("ExpressionAttributeValues can only be specified when using expressions: " +
				strings.Join(valueExpressions, " and ") + verb)
		}
	}
	if names != nil {
		if len(names) == 0 {
			return invalidRequest("ExpressionAttributeNames must not be empty")
		}
		for _, k := range sortedKeys(names) {
			if !validPlaceholder(k, '#') {
				return invalidRequest(`ExpressionAttributeNames contains invalid key: Syntax error; key: "` + k + `"`)
			}
		}
	}
	if values != nil {
		if len(values) == 0 {
			return invalidRequest("ExpressionAttributeValues must not be empty")
		}
		keys := sortedKeys(values)
		for _, k := range keys {
			if !validPlaceholder(k, ':') {
				return invalidRequest(`ExpressionAttributeValues contains invalid key: Syntax error; key: "` + k + `"`)
			}
		}
		for _, k := range keys {
			v := values[k]
			if err := attr.Normalize(&v); err != nil {
				return invalidRequest("ExpressionAttributeValues contains invalid value: " + awserr.From(err).Message + " for key " + k)
			}
			values[k] = v
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func validPlaceholder(k string, prefix byte) bool {
	if len(k) < 2 || k[0] != prefix {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isIdentPart(k[i]) {
			return false
		}
	}
	return true
}

// CheckMixed returns AWS's "Can not use both expression and non-expression
// parameters in the same request" error when both lists are non-empty. Each
// list holds the parameter names the request set (e.g. "Expected",
// "ConditionExpression"), in the order AWS names them.
func CheckMixed(nonExpression, expression []string) error {
	if len(nonExpression) == 0 || len(expression) == 0 {
		return nil
	}
	return invalidRequest("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {" +
		strings.Join(nonExpression, ", ") + "} Expression parameters: {" + strings.Join(expression, ", ") + "}")
}

// CheckUnused returns AWS's ValidationException when names or values hold a
// key that none of the request's expressions used. Call it once every
// expression of the request has parsed, with each one's Usage.
func CheckUnused(names Names, values Values, used ...Usage) error {
	if unused := unusedKeys(names, used, func(u Usage) []string { return u.Names }); unused != "" {
		return invalidRequest("Value provided in ExpressionAttributeNames unused in expressions: keys: {" + unused + "}")
	}
	if unused := unusedKeys(values, used, func(u Usage) []string { return u.Values }); unused != "" {
		return invalidRequest("Value provided in ExpressionAttributeValues unused in expressions: keys: {" + unused + "}")
	}
	return nil
}

func unusedKeys[V any](m map[string]V, used []Usage, list func(Usage) []string) string {
	var unused []string
	for _, k := range sortedKeys(m) {
		found := false
		for _, u := range used {
			if slices.Contains(list(u), k) {
				found = true
				break
			}
		}
		if !found {
			unused = append(unused, k)
		}
	}
	return strings.Join(unused, ", ")
}
