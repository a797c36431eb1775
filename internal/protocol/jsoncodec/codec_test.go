package jsoncodec

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

func TestRoundTripPutItem(t *testing.T) {
	in := PutItemInput{
		TableName:                 ptr("Music"),
		Item:                      sampleItem(1),
		ConditionExpression:       ptr("attribute_not_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#n": "name"},
		ExpressionAttributeValues: map[string]AttributeValue{":empty": {L: []AttributeValue{}}, ":m": {M: map[string]AttributeValue{}}},
	}
	data := Marshal(&in)
	if !json.Valid(data) {
		t.Fatalf("invalid JSON: %s", data)
	}
	var out PutItemInput
	if err := Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip differs:\n in: %+v\nout: %+v", in, out)
	}
	// Empty lists and maps stay present, not nil.
	if out.ExpressionAttributeValues[":empty"].L == nil || out.ExpressionAttributeValues[":m"].M == nil {
		t.Fatal("empty list or map decoded as nil")
	}
}

func TestRoundTripQueryOutput(t *testing.T) {
	out := QueryOutput{Count: ptr(int32(3)), ScannedCount: ptr(int32(10)), ConsumedCapacity: &ConsumedCapacity{CapacityUnits: ptr(0.5), TableName: ptr("Music")}}
	for i := range 3 {
		out.Items = append(out.Items, sampleItem(i))
	}
	data := Marshal(out) // by value, too
	var back QueryOutput
	if err := Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, back) {
		t.Fatalf("round trip differs")
	}
	// Compare with the standard library's reading of the same document.
	var generic map[string]any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	if generic["Count"] != 3.0 || generic["ConsumedCapacity"].(map[string]any)["CapacityUnits"] != 0.5 {
		t.Fatalf("unexpected document: %s", data)
	}
	item := generic["Items"].([]any)[0].(map[string]any)
	if item["avatar"].(map[string]any)["B"] != "AAFiaW5hcnn/" {
		t.Fatalf("blob not base64: %v", item["avatar"])
	}
}

func TestDecodeExactText(t *testing.T) {
	in := `{"TableName":"T","Item":{"n":{"N":"123456789012345678901234567890.123456789"},"s":{"S":"a\"b\\c\/d\u00e9\ud83d\ude00\n"}},"Unknown":{"deep":[1,2,{"x":null}]},"ReturnValues":null}`
	var out PutItemInput
	if err := Unmarshal([]byte(in), &out); err != nil {
		t.Fatal(err)
	}
	if got := *out.Item["n"].N; got != "123456789012345678901234567890.123456789" {
		t.Errorf("number text changed: %s", got)
	}
	if got := *out.Item["s"].S; got != "a\"b\\c/dé😀\n" {
		t.Errorf("unescaped string: %q", got)
	}
	if out.ReturnValues != nil {
		t.Error("null member should stay nil")
	}
}

func TestTimestamps(t *testing.T) {
	want := time.Date(2024, 2, 29, 12, 30, 45, 123000000, time.UTC)
	tests := []struct {
		name string
		json string
		want TableDescription
	}{
		{"epoch fraction", `{"CreationDateTime":1709209845.123}`, TableDescription{CreationDateTime: &want}},
		{"epoch integer", `{"CreationDateTime":1709209845}`, TableDescription{CreationDateTime: ptr(want.Truncate(time.Second))}},
		{"epoch exponent", `{"CreationDateTime":1.709209845123E9}`, TableDescription{CreationDateTime: &want}},
		{"iso member", `{"Archived":"2024-02-29T12:30:45.123Z"}`, TableDescription{Archived: &want}},
		{"iso with offset", `{"Archived":"2024-02-29T13:30:45.123+01:00"}`, TableDescription{Archived: &want}},
		{"http date member", `{"Modified":"Thu, 29 Feb 2024 12:30:45 GMT"}`, TableDescription{Modified: ptr(want.Truncate(time.Second))}},
		{"list", `{"History":[1709209845.123,0]}`, TableDescription{History: []time.Time{want, time.Unix(0, 0).UTC()}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got TableDescription
			if err := Unmarshal([]byte(tc.json), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v want %+v", got, tc.want)
			}
		})
	}
	enc := string(Marshal(&TableDescription{CreationDateTime: &want, Archived: &want, Modified: &want, History: []time.Time{want.Truncate(time.Second)}}))
	wantEnc := `{"CreationDateTime":1709209845.123,"Archived":"2024-02-29T12:30:45.123Z","Modified":"Thu, 29 Feb 2024 12:30:45 GMT","History":[1709209845]}`
	if enc != wantEnc {
		t.Fatalf("encoded\n got %s\nwant %s", enc, wantEnc)
	}
}

func TestScalarsAndDocuments(t *testing.T) {
	in := `{"ItemCount":9007199254740993,"TableSizeBytes":1e3,"DeletionProtectionEnabled":false,"Ratio":"NaN","Policy":{"Version":"2012-10-17","Statement":[]},"Raw":[1, "two"]}`
	var got TableDescription
	if err := Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	if *got.ItemCount != 9007199254740993 || *got.TableSizeBytes != 1000 || *got.DeletionProtect || !math.IsNaN(float64(*got.Ratio)) {
		t.Fatalf("scalars: %+v", got)
	}
	if string(got.Policy.(json.RawMessage)) != `{"Version":"2012-10-17","Statement":[]}` || string(got.Raw) != `[1, "two"]` {
		t.Fatalf("documents: %s %s", got.Policy, got.Raw)
	}
	out := string(Marshal(&got))
	want := `{"ItemCount":9007199254740993,"TableSizeBytes":1000,"DeletionProtectionEnabled":false,"Ratio":"NaN","Policy":{"Version":"2012-10-17","Statement":[]},"Raw":[1, "two"]}`
	if out != want {
		t.Fatalf("encoded\n got %s\nwant %s", out, want)
	}
	// A document built by a service from Go values.
	out = string(Marshal(&TableDescription{Policy: map[string]any{"a": []int{1}}}))
	if out != `{"Policy":{"a":[1]}}` {
		t.Fatalf("document from Go value: %s", out)
	}
}

func TestStringEscaping(t *testing.T) {
	s := "quote\" backslash\\ ctl\x01\x1f tab\t nl\n bad\xff utf8 é 😀 </script>"
	out := Marshal(&TableDescription{TableName: &s})
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %s", out)
	}
	var std struct{ TableName string }
	if err := json.Unmarshal(out, &std); err != nil {
		t.Fatal(err)
	}
	if want := strings.ToValidUTF8(s, "\uFFFD"); std.TableName != want {
		t.Fatalf("got %q want %q", std.TableName, want)
	}
	var back TableDescription
	if err := Unmarshal(out, &back); err != nil || *back.TableName != std.TableName {
		t.Fatalf("decode: %v %q", err, *back.TableName)
	}
}

func TestBodyOnly(t *testing.T) {
	var in restInput
	if err := UnmarshalBody([]byte(`{"FunctionName":"ignored","Description":"d","Timeout":3}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.FunctionName != nil || *in.Description != "d" || *in.Timeout != 3 {
		t.Fatalf("body-only decode: %+v", in)
	}
	in.FunctionName, in.Token = ptr("f"), ptr("t")
	if got := string(AppendBody(nil, &in)); got != `{"Description":"d","Timeout":3}` {
		t.Fatalf("body-only encode: %s", got)
	}
	if got := string(Marshal(&in)); got != `{"FunctionName":"f","X-Token":"t","Description":"d","Timeout":3}` {
		t.Fatalf("full encode: %s", got)
	}
}

func TestEmptyInput(t *testing.T) {
	for _, in := range []string{"", "  \n", "{}", " { } ", "null"} {
		var out PutItemInput
		if err := Unmarshal([]byte(in), &out); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	if got := string(Marshal(nil)); got != "{}" {
		t.Errorf("nil: %s", got)
	}
	if got := string(Marshal((*QueryOutput)(nil))); got != "{}" {
		t.Errorf("nil pointer: %s", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat(`{"M":{"a":`, MaxDepth) + `{"S":"x"}` + strings.Repeat("}}", MaxDepth)
	deepUnknown := `{"X":` + strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1) + `}`
	tests := []struct {
		name, json, msg string
	}{
		{"number for string", `{"TableName":5}`, "NUMBER_VALUE can not be converted to a String"},
		{"string for integer", `{"Count":"5"}`, "STRING_VALUE can not be converted to an Integer"},
		{"string for long", `{"ItemCount":"5"}`, "STRING_VALUE can not be converted to a Long"},
		{"bool for string", `{"TableName":true}`, "TRUE_VALUE can not be converted to a String"},
		{"object for string", `{"TableName":{}}`, "Start of structure or map found where not expected."},
		{"list for string", `{"TableName":["a"]}`, "Start of list found where not expected."},
		{"string for map", `{"Item":"x"}`, "STRING_VALUE can not be converted to a Map"},
		{"string for list", `{"Items":"x"}`, "STRING_VALUE can not be converted to a List"},
		{"number for structure", `{"ConsumedCapacity":1}`, "NUMBER_VALUE can not be converted to a Structure"},
		{"string for boolean", `{"DeletionProtectionEnabled":"true"}`, "STRING_VALUE can not be converted to a Boolean"},
		{"fraction for integer", `{"Count":1.5}`, "NUMBER_VALUE can not be converted to an Integer: 1.5"},
		{"integer overflow", `{"Count":2147483648}`, "NUMBER_VALUE can not be converted to an Integer: 2147483648"},
		{"string for double", `{"CapacityUnits":"x"}`, "STRING_VALUE can not be converted to a Double"},
		{"bad base64", `{"Item":{"a":{"B":"!!!"}}}`, "Base64 encoded value is not valid: '!!!'"},
		{"bad timestamp", `{"Archived":"yesterday"}`, "Invalid timestamp: 'yesterday'"},
		{"top-level array", `[]`, "Start of list found where not expected."},
		{"unterminated", `{"TableName":"x`, "Malformed JSON: unexpected end of input"},
		{"missing colon", `{"TableName" "x"}`, "Malformed JSON: expected ':' at offset 13"},
		{"trailing comma", `{"TableName":"x",}`, "Malformed JSON: expected a member name at offset 17"},
		{"trailing data", `{} {}`, "Malformed JSON: unexpected data after the top-level value at offset 3"},
		{"bad literal", `{"X":nul}`, "Malformed JSON: unexpected character at offset 5"},
		{"bad escape", `{"TableName":"\q"}`, "Malformed JSON: invalid escape at offset 15"},
		{"control char", "{\"TableName\":\"a\x01\"}", "Malformed JSON: control character in string at offset 15"},
		{"bad number", `{"Count":-}`, "Malformed JSON: invalid number at offset 10"},
		{"leading zero", `{"Count":01}`, "Malformed JSON: expected ',' or '}' at offset 10"},
		{"deep", deep, "Malformed JSON: nesting deeper than 256 levels"},
		{"deep unknown", deepUnknown, "Malformed JSON: nesting deeper than 256 levels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var target any = &QueryOutput{}
			switch {
			case strings.Contains(tc.json, "TableName"), strings.Contains(tc.json, `"Item"`):
				target = &PutItemInput{}
			case strings.Contains(tc.json, "ItemCount"), strings.Contains(tc.json, "Deletion"), strings.Contains(tc.json, "Archived"):
				target = &TableDescription{}
			case strings.Contains(tc.json, "CapacityUnits"):
				target = &ConsumedCapacity{}
			}
			err := Unmarshal([]byte(tc.json), target)
			var e *awserr.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want SerializationException", err)
			}
			if e.Code != "SerializationException" || e.Status != 400 {
				t.Errorf("code %s status %d", e.Code, e.Status)
			}
			if e.Message != tc.msg {
				t.Errorf("message\n got %q\nwant %q", e.Message, tc.msg)
			}
		})
	}
}

func TestDepthWithinLimit(t *testing.T) {
	// 32 levels of nested DynamoDB maps, the most DynamoDB allows.
	doc := `{"Item":{"a":` + strings.Repeat(`{"M":{"a":`, 32) + `{"S":"x"}` + strings.Repeat("}}", 32) + `}}`
	var in PutItemInput
	if err := Unmarshal([]byte(doc), &in); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentPlans(t *testing.T) {
	// Plans are built once under a lock; racing first uses must agree.
	type fresh struct {
		A *string
		L []fresh
	}
	done := make(chan []byte)
	for range 4 {
		go func() { done <- Marshal(&fresh{A: ptr("x"), L: []fresh{{A: ptr("y")}}}) }()
	}
	for range 4 {
		if got := string(<-done); got != `{"A":"x","L":[{"A":"y"}]}` {
			t.Errorf("got %s", got)
		}
	}
}

func TestBuffer(t *testing.T) {
	b := GetBuffer()
	b.B = Append(b.B, &ConsumedCapacity{TableName: ptr("x")})
	if string(b.B) != `{"TableName":"x"}` {
		t.Fatalf("got %s", b.B)
	}
	b.Release()
	if b2 := GetBuffer(); len(b2.B) != 0 {
		t.Fatal("pooled buffer not reset")
	}
}

func TestUnpaddedBase64(t *testing.T) {
	// Found by fuzzing: a short unpadded value once overran the buffer.
	var in PutItemInput
	if err := Unmarshal([]byte(`{"Item":{"a":{"BS":["000","AAE","AAE="]}}}`), &in); err != nil {
		t.Fatal(err)
	}
	bs := in.Item["a"].BS
	if len(bs) != 3 || string(bs[1]) != "\x00\x01" || string(bs[2]) != "\x00\x01" {
		t.Fatalf("got %q", bs)
	}
}
