package filterpolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		scope  Scope
		want   string // the message, or its beginning when it ends with "..."
	}{
		{"too many values", manyValues(151), Attributes, "Invalid parameter: FilterPolicy: Filter policy is too complex"},
		{"nested array", `{"store":[["example_corp"]]}`, Attributes, "Invalid parameter: FilterPolicy: Match value must be String, number, true, false, or null"},
		{"exists null", `{"store":[{"exists":null}]}`, Attributes, "Invalid parameter: FilterPolicy: exists match pattern must be either true or false."},
		{"unknown operator", `{"store":[{"error":true}]}`, Attributes, "Invalid parameter: FilterPolicy: Unrecognized match type error"},
		{"numeric string value", `{"price":[{"numeric":["<","100"]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Value of < must be numeric\n at ..."},
		{"numeric second value string", `{"price":[{"numeric":[">",50,"<=","100"]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Value of <= must be numeric\n at ..."},
		{"numeric empty", `{"price":[{"numeric":[]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Invalid member in numeric match: ]\n at ..."},
		{"numeric starts with a number", `{"price":[{"numeric":[50,"<=","100"]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Invalid member in numeric match: 50\n at ..."},
		{"numeric operator alone", `{"price":[{"numeric":["<"]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Value of < must be numeric\n at ..."},
		{"numeric unknown operator", `{"price":[{"numeric":["0"]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized numeric range operator: 0\n at ..."},
		{"numeric upper then lower", `{"price":[{"numeric":["<",20,">",1]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Too many elements in numeric expression\n at ..."},
		{"numeric two lower bounds", `{"price":[{"numeric":[">",20,">",1]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Bad numeric range operator: >\n at ..."},
		{"numeric empty range", `{"price":[{"numeric":[">",20,"<",1]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Bottom must be less than top\n at ..."},
		{"numeric missing upper value", `{"price":[{"numeric":[">",20,"<"]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Value of < must be numeric\n at ..."},
		{"numeric too many", `{"price":[{"numeric":[">",1,"<",5,"<",6]}]}`, Attributes, "Invalid parameter: Attributes Reason: FilterPolicy: Too many elements in numeric expression\n at ..."},
		{"nested in attribute scope", `{"store":{"key":[{"exists":true}]}}`, Attributes, "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"},
		{"six keys", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, Attributes, "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"},
		{"nested combinations", `{"key_a":{"key_b":{"key_c":["1","2","3","4"]}},"key_d":{"key_e":["1","2","3"]},"key_f":["1","2","3"]}`, Body, "Invalid parameter: FilterPolicy: Filter policy is too complex"},
		{"not JSON", `{"a":`, Attributes, "Invalid parameter: FilterPolicy: failed to parse JSON. ..."},
		{"not an object", `["a"]`, Attributes, "Invalid parameter: FilterPolicy: Filter policy must be a JSON object"},
		{"value not an array", `{"a":"b"}`, Attributes, `Invalid parameter: FilterPolicy: "a" must be an object or an array`},
		{"empty array", `{"a":[]}`, Attributes, "Invalid parameter: FilterPolicy: Empty arrays are not allowed"},
		{"two keys in a match", `{"a":[{"prefix":"x","suffix":"y"}]}`, Attributes, "Invalid parameter: FilterPolicy: Only one key allowed in match expression"},
		{"prefix not a string", `{"a":[{"prefix":1}]}`, Attributes, "Invalid parameter: FilterPolicy: prefix match pattern must be a string"},
		{"anything-but object value", `{"a":[{"anything-but":true}]}`, Attributes, "Invalid parameter: FilterPolicy: Value of anything-but must be an array or single string/number value."},
		{"anything-but mixed list", `{"a":[{"anything-but":["x",1]}]}`, Attributes, "Invalid parameter: FilterPolicy: Inside anything but list, all values must be of the same type"},
		{"$or with one branch", `{"$or":[{"a":["1"]}]}`, Attributes, "Invalid parameter: FilterPolicy: Or statement must be an array of at least 2 objects"},
		{"bad cidr", `{"ip":[{"cidr":"10.0.0.0/99"}]}`, Attributes, "Invalid parameter: FilterPolicy: Malformed CIDR, one '/' required"},
		{"too long", `{"a":["` + strings.Repeat("x", MaxSize) + `"]}`, Attributes, "Invalid parameter: FilterPolicy: Filter policy is too long"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.policy, tc.scope)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("%s: Parse = %v; want an *Error", tc.name, err)
			continue
		}
		if prefix, ok := strings.CutSuffix(tc.want, "..."); ok {
			if !strings.HasPrefix(perr.Message, prefix) {
				t.Errorf("%s: message %q; want it to begin with %q", tc.name, perr.Message, prefix)
			}
		} else if perr.Message != tc.want {
			t.Errorf("%s: message %q; want %q", tc.name, perr.Message, tc.want)
		}
	}
}

func TestNumberOutOfRangeIsAnInternalFailure(t *testing.T) {
	_, err := Parse(`{"store":[1000000001]}`, Attributes)
	var perr *Error
	if !errors.As(err, &perr) || !perr.Internal {
		t.Errorf("Parse = %v; want an internal failure as SNS answers", err)
	}
}

func TestParseAcceptsLimits(t *testing.T) {
	ok := []struct {
		policy string
		scope  Scope
	}{
		{manyValues(150), Attributes},
		{`{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"]}`, Attributes},
		{`{"a":{"b":{"c":["1","2"]}},"d":[1,2,3,4,5]}`, Body},
		{`{"$or":[{"a":["1"]},{"b":["2"]}],"c":[{"numeric":["=",5]}]}`, Attributes},
		{`{"ip":[{"cidr":"10.0.0.1"}]}`, Attributes},
		{`{}`, Body},
	}
	for _, tc := range ok {
		if _, err := Parse(tc.policy, tc.scope); err != nil {
			t.Errorf("Parse(%s): %v", tc.policy, err)
		}
	}
}

func manyValues(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprint(i)
	}
	b, _ := json.Marshal(map[string][]string{"store": vals})
	return string(b)
}
