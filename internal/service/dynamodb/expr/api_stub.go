// Package expr implements DynamoDB's expression language: condition and
// filter expressions, key conditions, update expressions and projections,
// with AWS's validation and ValidationException messages, and the legacy
// parameters (Expected, AttributeUpdates, KeyConditions, QueryFilter,
// ScanFilter, AttributesToGet) converted into the same evaluable forms.
//
// Expressions are parsed once per request; evaluation against items does not
// reparse and allocates little, since filters run once per scanned item.
package expr

import (
	"errors"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

var errTODO = errors.New("expr: not implemented yet")

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

// Usage lists the placeholders one expression used: "#name" keys of Names
// and ":value" keys of Values. A request's unused placeholders are an error
// across all its expressions: see CheckUnused.
type Usage struct {
	Names  []string
	Values []string
}

// CheckUnused returns AWS's ValidationException when names or values hold a
// key that none of the request's expressions used, and the errors for
// placeholders given to a request without expressions. Call it after every
// expression of the request has parsed, with each one's Usage.
func CheckUnused(names Names, values Values, used ...Usage) error { return errTODO }

// CheckMixed returns AWS's "Can not use both expression and non-expression
// parameters in the same request" error when both lists are non-empty. Each
// list holds the parameter names the request set (e.g. "Expected",
// "ConditionExpression"), in the order AWS names them.
func CheckMixed(nonExpression, expression []string) error { return nil }

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

// KeyCondition is a parsed KeyConditionExpression (or legacy KeyConditions):
// equality on the partition key and an optional condition on the sort key.
type KeyCondition struct {
	PartitionKey   string
	PartitionValue attr.Value
	SortKey        string
	SortOp         KeyOp
	// SortValues holds the operand(s) of SortOp: one, or two for KeyBetween.
	SortValues []attr.Value
	usage      Usage
}

// ParseKeyCondition parses a KeyConditionExpression against the key schema.
func ParseKeyCondition(expr string, names Names, values Values, schema KeySchema) (*KeyCondition, error) {
	return nil, errTODO
}

// Usage returns the placeholders the expression used.
func (k *KeyCondition) Usage() Usage { return k.usage }

// Match reports whether item's key satisfies the condition.
func (k *KeyCondition) Match(item attr.Item) bool { return false }

// Update is a parsed UpdateExpression (or legacy AttributeUpdates).
type Update struct {
	usage Usage
}

// ParseUpdate parses an update expression.
func ParseUpdate(expr string, names Names, values Values) (*Update, error) { return nil, errTODO }

// Usage returns the placeholders the expression used.
func (u *Update) Usage() Usage { return u.usage }

// Attributes returns the top-level attribute names the update writes, sorted;
// the service refuses updates of key attributes with it.
func (u *Update) Attributes() []string { return nil }

// Apply applies the update to item (nil for a new item) and returns the new
// item and the top-level names it changed. item is not modified; the new item
// may share unchanged values with it. Errors are AWS's ValidationExceptions
// for operands of the wrong type, bad list indexes and the like.
func (u *Update) Apply(item attr.Item) (attr.Item, []string, error) { return nil, nil, errTODO }

// Project returns the parts of item the update's paths name, for
// ReturnValues UPDATED_OLD (item before) and UPDATED_NEW (item after).
func (u *Update) Project(item attr.Item) attr.Item { return nil }

// Projection is a parsed ProjectionExpression (or legacy AttributesToGet).
type Projection struct {
	usage Usage
}

// ParseProjection parses a projection expression.
func ParseProjection(expr string, names Names) (*Projection, error) { return nil, errTODO }

// Usage returns the placeholders the expression used.
func (p *Projection) Usage() Usage { return p.usage }

// Apply returns the projected item: the named paths only, nested maps and
// lists keeping the shape of item (list elements in index order, compacted).
func (p *Projection) Apply(item attr.Item) attr.Item { return nil }

// Attributes returns the top-level attribute names the projection reads.
func (p *Projection) Attributes() []string { return nil }

// ConditionFromExpected converts the legacy Expected parameter (with
// ConditionalOperator, nil meaning AND) into a Condition.
func ConditionFromExpected(expected map[string]dynamodbapi.ExpectedAttributeValue, conditionalOperator *string) (*Condition, error) {
	return nil, errTODO
}

// ConditionFromFilter converts a legacy QueryFilter or ScanFilter (param is
// "QueryFilter" or "ScanFilter", used in messages) into a Condition.
func ConditionFromFilter(param string, filter map[string]dynamodbapi.Condition, conditionalOperator *string) (*Condition, error) {
	return nil, errTODO
}

// KeyConditionFromLegacy converts a legacy KeyConditions parameter.
func KeyConditionFromLegacy(conditions map[string]dynamodbapi.Condition, schema KeySchema) (*KeyCondition, error) {
	return nil, errTODO
}

// UpdateFromAttributeUpdates converts a legacy AttributeUpdates parameter.
func UpdateFromAttributeUpdates(updates map[string]dynamodbapi.AttributeValueUpdate) (*Update, error) {
	return nil, errTODO
}

// ProjectionFromAttributesToGet converts a legacy AttributesToGet parameter.
func ProjectionFromAttributesToGet(names []string) (*Projection, error) { return nil, errTODO }
