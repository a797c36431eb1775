package jsoncodec

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzUnmarshal feeds arbitrary bytes to the decoder: it must never panic,
// and whatever it accepts must encode to valid JSON that decodes to the same
// value.
func FuzzUnmarshal(f *testing.F) {
	f.Add(putItemBody())
	f.Add(Marshal(queryOutput(2)))
	f.Add([]byte(`{"Item":{"a":{"M":{"b":{"L":[{"N":"1"},{"NULL":true}]}}}},"TableName":"t"}`))
	f.Add([]byte(`{"Count":1e3,"Items":[{"x":{"B":"AAE="}}],"ConsumedCapacity":{"CapacityUnits":"Infinity"}}`))
	f.Add([]byte(`{"CreationDateTime":1.5,"Archived":"2024-01-01T00:00:00Z","Policy":{"a":[1,"\u00e9"]}}`))
	f.Add([]byte(`{"TableName":"\ud800\udc00\ud800"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, target := range []func() any{
			func() any { return &PutItemInput{} },
			func() any { return &QueryOutput{} },
			func() any { return &TableDescription{} },
		} {
			v := target()
			if err := Unmarshal(data, v); err != nil {
				continue
			}
			out := Marshal(v)
			if !json.Valid(out) {
				t.Fatalf("accepted %q but encoded invalid JSON %q", data, out)
			}
			w := target()
			if err := Unmarshal(out, w); err != nil {
				t.Fatalf("re-decoding %q: %v", out, err)
			}
			if again := Marshal(w); string(again) != string(out) && !equalJSON(again, out) {
				t.Fatalf("not stable:\n%s\n%s", out, again)
			}
		}
	})
}

// equalJSON compares documents regardless of map order.
func equalJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
