package jsoncodec

import (
	"encoding/json"
	"io"
	"strconv"
	"time"
)

// Hand-written structs with the tags of the generated DynamoDB types.

type AttributeValue struct {
	B    []byte
	BOOL *bool
	BS   [][]byte
	L    []AttributeValue
	M    map[string]AttributeValue
	N    *string
	NS   []string
	NULL *bool
	S    *string
	SS   []string
}

type PutItemInput struct {
	ConditionExpression       *string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]AttributeValue
	Item                      map[string]AttributeValue `aws:"required"`
	ReturnValues              *string                   `aws:"enum=ReturnValue"`
	TableName                 *string                   `aws:"required,min=1,max=1024"`
}

type ConsumedCapacity struct {
	CapacityUnits *float64
	TableName     *string
}

type QueryOutput struct {
	ConsumedCapacity *ConsumedCapacity
	Count            *int32
	Items            []map[string]AttributeValue
	LastEvaluatedKey map[string]AttributeValue
	ScannedCount     *int32
}

type TableDescription struct {
	CreationDateTime *time.Time
	ItemCount        *int64
	TableName        *string
	TableSizeBytes   *int64
	DeletionProtect  *bool      `aws:"name=DeletionProtectionEnabled"`
	Archived         *time.Time `aws:"ts=iso8601"`
	Modified         *time.Time `aws:"ts=rfc822"`
	History          []time.Time
	Ratio            *float32
	Policy           any
	Raw              json.RawMessage
}

type restInput struct {
	FunctionName *string   `aws:"name=FunctionName,loc=uri,required"`
	Qualifier    *string   `aws:"name=Qualifier,loc=querystring"`
	Token        *string   `aws:"name=X-Token,loc=header"`
	Body         io.Reader `aws:"streaming"`
	Description  *string
	Timeout      *int32
}

func ptr[T any](v T) *T { return &v }

// sampleItem builds an item of about 1 KB of JSON with every kind of
// attribute value.
func sampleItem(i int) map[string]AttributeValue {
	id := strconv.Itoa(i)
	return map[string]AttributeValue{
		"pk":      {S: ptr("user#" + id)},
		"sk":      {S: ptr("profile#2024-01-01T00:00:00Z")},
		"age":     {N: ptr("42")},
		"score":   {N: ptr("1234567890.0987654321")},
		"active":  {BOOL: ptr(true)},
		"nothing": {NULL: ptr(true)},
		"avatar":  {B: []byte("\x00\x01binary\xff")},
		"tags":    {SS: []string{"admin", "editor", "viewer"}},
		"lucky":   {NS: []string{"7", "13", "42"}},
		"keys":    {BS: [][]byte{[]byte("k1"), []byte("k2")}},
		"address": {M: map[string]AttributeValue{
			"street": {S: ptr("1 Main St")},
			"city":   {S: ptr("Springfield")},
			"zip":    {N: ptr("12345")},
			"geo":    {M: map[string]AttributeValue{"lat": {N: ptr("44.1")}, "lon": {N: ptr("-123.2")}}},
		}},
		"history": {L: []AttributeValue{
			{S: ptr("created")},
			{M: map[string]AttributeValue{"at": {N: ptr("1700000000")}, "by": {S: ptr("system \"quoted\" \u00e9\u4e2d")}}},
			{L: []AttributeValue{{N: ptr("1")}, {N: ptr("2")}}},
		}},
		"bio":     {S: ptr("Likes long walks, tabs\tand newlines\n, and emoji \U0001F600.")},
		"email":   {S: ptr("user" + id + "@example.com")},
		"created": {N: ptr("1700000000123")},
		"summary": {S: ptr("Account in good standing; last reviewed by the billing team, no open tickets, two devices.")},
		"prefs": {M: map[string]AttributeValue{
			"theme":    {S: ptr("dark")},
			"language": {S: ptr("en-GB")},
			"notify":   {BOOL: ptr(false)},
			"channels": {L: []AttributeValue{{S: ptr("email")}, {S: ptr("sms")}, {S: ptr("push")}}},
		}},
	}
}
