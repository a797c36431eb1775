// Package expr implements DynamoDB's expression language: condition and
// filter expressions, key conditions, update expressions and projections,
// with AWS's validation and ValidationException messages, and the legacy
// parameters (Expected, AttributeUpdates, KeyConditions, QueryFilter,
// ScanFilter, AttributesToGet) converted into the same evaluable forms.
//
// A request's expressions are parsed once (Parse*), checked together
// (CheckParams before, CheckUnused after), then evaluated per item: filters
// run once per scanned item, so evaluation walks the parsed tree without
// reparsing and allocates little.
package expr

import (
	"strconv"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
)

// Names is a request's ExpressionAttributeNames.
type Names = map[string]string

// Values is a request's ExpressionAttributeValues.
type Values = map[string]dynamodbapi.AttributeValue

// Kind names the request parameter an expression came from; AWS's messages
// start with "Invalid <Kind>: ".
type Kind string

const (
	KindCondition    Kind = "ConditionExpression"
	KindFilter       Kind = "FilterExpression"
	KindKeyCondition Kind = "KeyConditionExpression"
	KindUpdate       Kind = "UpdateExpression"
	KindProjection   Kind = "ProjectionExpression"
)

// MaxExpressionBytes is the longest expression DynamoDB accepts.
const MaxExpressionBytes = 4096

// checkText refuses empty and oversized expressions, as AWS does before
// parsing.
func checkText(kind Kind, expr string) error {
	if expr == "" {
		return validation(kind, "The expression can not be empty;")
	}
	if len(expr) > MaxExpressionBytes {
		return validation(kind, "Expression size has exceeded the maximum allowed size; expression size: "+strconv.Itoa(len(expr)))
	}
	return nil
}
