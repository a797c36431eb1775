package awsjson

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol/jsoncodec"
)

type queryOutput struct {
	Count            *int32
	Items            []map[string]attributeValue
	LastEvaluatedKey map[string]attributeValue
	ScannedCount     *int32
}

func benchItem(i int) map[string]attributeValue {
	id := strconv.Itoa(i)
	return map[string]attributeValue{
		"pk":      {S: ptr("user#" + id)},
		"sk":      {S: ptr("profile#2024-01-01T00:00:00Z")},
		"age":     {N: ptr("42")},
		"active":  {BOOL: ptr(true)},
		"avatar":  {B: []byte("\x00\x01binary\xff")},
		"tags":    {SS: []string{"admin", "editor", "viewer"}},
		"lucky":   {NS: []string{"7", "13", "42"}},
		"summary": {S: ptr("Account in good standing; last reviewed by the billing team, no open tickets, two devices.")},
		"address": {M: map[string]attributeValue{
			"street": {S: ptr("1 Main St")},
			"city":   {S: ptr("Springfield")},
			"zip":    {N: ptr("12345")},
			"geo":    {M: map[string]attributeValue{"lat": {N: ptr("44.1")}, "lon": {N: ptr("-123.2")}}},
		}},
		"history": {L: []attributeValue{
			{S: ptr("created")},
			{M: map[string]attributeValue{"at": {N: ptr("1700000000")}, "by": {S: ptr("system")}}},
			{L: []attributeValue{{N: ptr("1")}, {N: ptr("2")}}},
		}},
		"prefs": {M: map[string]attributeValue{
			"theme":    {S: ptr("dark")},
			"language": {S: ptr("en-GB")},
			"channels": {L: []attributeValue{{S: ptr("email")}, {S: ptr("sms")}, {S: ptr("push")}}},
		}},
	}
}

// discardWriter is a ResponseWriter that keeps nothing, like a client that
// reads the response and throws it away.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkDecodePutItem measures the whole request side of a PutItem of
// about 1 KB: body read, JSON decode and validation.
func BenchmarkDecodePutItem(b *testing.B) {
	body := jsoncodec.Marshal(&putItemInput{TableName: ptr("Music"), Item: benchItem(1)})
	op := dynamo.Op("PutItem")
	rd := bytes.NewReader(body)
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		r.ContentLength = int64(len(body))
		var in putItemInput
		if err := (Codec{}).Decode(r, dynamo, op, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeQuery100 measures the response side of a Query that
// returns 100 such items: JSON encode, CRC32 and headers.
func BenchmarkEncodeQuery100(b *testing.B) {
	svc := (&model.Service{Name: "dynamodb", Protocol: "json", TargetPrefix: "DynamoDB_20120810", JSONVersion: "1.0",
		Operations: []*model.Operation{{Name: "Query", Output: reflect.TypeFor[queryOutput]()}}}).Init()
	out := &queryOutput{Count: ptr(int32(100)), ScannedCount: ptr(int32(100))}
	for i := range 100 {
		out.Items = append(out.Items, benchItem(i))
	}
	b.SetBytes(int64(len(jsoncodec.Marshal(out))))
	r := httptest.NewRequest("POST", "/", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		if err := (Codec{}).Encode(w, r, svc, svc.Op("Query"), out); err != nil {
			b.Fatal(err)
		}
	}
}
