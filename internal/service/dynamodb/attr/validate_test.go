package attr

import (
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

func TestValidate(t *testing.T) {
	f := false
	deep := nv("1")
	for range 31 {
		deep = Value{L: []Value{deep}}
	}
	tooDeep := Value{M: map[string]Value{"x": deep}}
	tests := []struct {
		name string
		v    Value
		want string // "" for valid
	}{
		{"string", sv("x"), ""},
		{"empty string", sv(""), ""},
		{"empty binary", Value{B: []byte{}}, ""},
		{"number", nv("1.5"), ""},
		{"32 levels", deep, ""},
		{"no member", Value{}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"two members", Value{S: sv("a").S, N: nv("1").N}, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"},
		{"null false", Value{NULL: &f}, "One or more parameter values were invalid: Null attribute value types must have the value of true"},
		{"bad number", nv("x1"), "The parameter cannot be converted to a numeric value: x1"},
		{"empty SS", Value{SS: []string{}}, "One or more parameter values were invalid: An string set  may not be empty"},
		{"empty NS", Value{NS: []string{}}, "One or more parameter values were invalid: An number set  may not be empty"},
		{"empty BS", Value{BS: [][]byte{}}, "One or more parameter values were invalid: Binary sets should not be empty"},
		// Sets may hold an empty string or binary (real DynamoDB accepts
		// them, unlike its older releases); only their duplicates are refused.
		{"SS empty member", Value{SS: []string{"a", ""}}, ""},
		{"BS empty member", Value{BS: [][]byte{{1}, {}}}, ""},
		{"SS empty duplicates", Value{SS: []string{"", ""}}, "One or more parameter values were invalid: Input collection [, ] contains duplicates."},
		{"BS empty duplicates", Value{BS: [][]byte{{}, {}}}, "One or more parameter values were invalid: Input collection [, ]of type BS contains duplicates."},
		{"NS empty member", Value{NS: []string{"1", ""}}, "The parameter cannot be converted to a numeric value"},
		{"SS duplicates", Value{SS: []string{"1", "1"}}, "One or more parameter values were invalid: Input collection [1, 1] contains duplicates."},
		{"NS duplicates", Value{NS: []string{"1", "1.0"}}, "Input collection contains duplicates"},
		{"BS duplicates", Value{BS: [][]byte{{1}, {1}}}, "One or more parameter values were invalid: Input collection [AQ==, AQ==]of type BS contains duplicates."},
		{"NS bad member", Value{NS: []string{"1", "1e999"}}, "Number overflow. Attempting to store a number with magnitude larger than supported range"},
		{"nested empty set in map", Value{M: map[string]Value{"a": {SS: []string{}}}}, "One or more parameter values were invalid: An string set  may not be empty"},
		{"nested bad number in list", Value{L: []Value{nv("1"), nv("--")}}, "The parameter cannot be converted to a numeric value: --"},
		{"33 levels", tooDeep, "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"},
	}
	for _, tt := range tests {
		err := Validate(&tt.v)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		e, ok := err.(*awserr.Error)
		if !ok || e.Code != "ValidationException" || e.Message != tt.want {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	// Many-member sets take the map path.
	big := make([]string, 40)
	for i := range big {
		big[i] = strings.Repeat("x", i+1)
	}
	if err := Validate(&Value{SS: big}); err != nil {
		t.Error(err)
	}
	big[39] = big[0]
	if err := Validate(&Value{SS: big}); err == nil {
		t.Error("duplicate in a large set accepted")
	}
}

func TestNormalize(t *testing.T) {
	item := Item{
		"n":  nv("1.50"),
		"ns": {NS: []string{"010", "2"}},
		"m":  {M: map[string]Value{"x": nv("-0"), "l": {L: []Value{nv("1e2")}}}},
		"s":  sv("0010"),
	}
	if err := NormalizeItem(item); err != nil {
		t.Fatal(err)
	}
	want := Item{
		"n":  nv("1.5"),
		"ns": {NS: []string{"10", "2"}},
		"m":  {M: map[string]Value{"x": nv("0"), "l": {L: []Value{nv("100")}}}},
		"s":  sv("0010"),
	}
	for k := range want {
		w, g := want[k], item[k]
		if !Equal(&w, &g) || (g.N != nil && *g.N != *w.N) {
			t.Errorf("%s: got %v want %v", k, g, w)
		}
	}
	if *item["m"].M["x"].N != "0" || *item["m"].M["l"].L[0].N != "100" || item["ns"].NS[0] != "10" {
		t.Errorf("nested numbers not rewritten: %v", item)
	}
}

func TestEqualCompare(t *testing.T) {
	eq := [][2]Value{
		{sv("a"), sv("a")},
		{nv("1.0"), nv("1")},
		{bv(1, 2), bv(1, 2)},
		{{SS: []string{"a", "b"}}, {SS: []string{"b", "a"}}},
		{{NS: []string{"1", "2.0"}}, {NS: []string{"2", "1"}}},
		{{BS: [][]byte{{1}, {2}}}, {BS: [][]byte{{2}, {1}}}},
		{{L: []Value{sv("a"), nv("1")}}, {L: []Value{sv("a"), nv("1.0")}}},
		{{M: map[string]Value{"a": nullv()}}, {M: map[string]Value{"a": nullv()}}},
		{boolv(true), boolv(true)},
	}
	for _, p := range eq {
		if !Equal(&p[0], &p[1]) {
			t.Errorf("Equal(%v, %v) = false", p[0], p[1])
		}
	}
	ne := [][2]Value{
		{sv("1"), nv("1")},
		{sv("a"), sv("b")},
		{{SS: []string{"a"}}, {SS: []string{"a", "b"}}},
		{{L: []Value{sv("a"), sv("b")}}, {L: []Value{sv("b"), sv("a")}}},
		{{M: map[string]Value{"a": nullv()}}, {M: map[string]Value{"b": nullv()}}},
		{boolv(true), boolv(false)},
		{{}, {}},
	}
	for _, p := range ne {
		if Equal(&p[0], &p[1]) {
			t.Errorf("Equal(%v, %v) = true", p[0], p[1])
		}
	}
	cmp := []struct {
		a, b Value
		c    int
		ok   bool
	}{
		{sv("a"), sv("b"), -1, true},
		{sv("é"), sv("z"), 1, true}, // UTF-8 bytes, not code points or collation
		{nv("10"), nv("9"), 1, true},
		{nv("-1"), nv("-1.0"), 0, true},
		{bv(0xff), bv(0x01, 0x02), 1, true},
		{sv("1"), nv("1"), 0, false},
		{boolv(true), boolv(true), 0, false},
		{Value{SS: []string{"a"}}, Value{SS: []string{"a"}}, 0, false},
	}
	for _, tt := range cmp {
		c, ok := Compare(&tt.a, &tt.b)
		if c != tt.c || ok != tt.ok {
			t.Errorf("Compare(%v, %v) = %d, %v; want %d, %v", tt.a, tt.b, c, ok, tt.c, tt.ok)
		}
	}
}

func TestSizes(t *testing.T) {
	item := Item{
		"s":  sv("héllo"),                         // 1 + 6
		"n":  nv("123"),                           // 1 + 3
		"b":  bv(1, 2, 3),                         // 1 + 3
		"t":  boolv(true),                         // 1 + 1
		"z":  nullv(),                             // 1 + 1
		"l":  {L: []Value{sv("ab"), nv("1")}},     // 1 + 3 + (1+2) + (1+2)
		"m":  {M: map[string]Value{"k": sv("v")}}, // 1 + 3 + (1+1+1)
		"ss": {SS: []string{"a", "bc"}},           // 2 + 3
		"ns": {NS: []string{"1", "-42"}},          // 2 + 2 + 3
		"bs": {BS: [][]byte{{1}, {2, 3}}},         // 2 + 3
		"e":  {M: map[string]Value{}},             // 1 + 3
	}
	want := 7 + 4 + 4 + 2 + 2 + 10 + 7 + 5 + 7 + 5 + 4
	if got := ItemSize(item); got != want {
		t.Errorf("ItemSize = %d, want %d", got, want)
	}
}

func TestValidateKey(t *testing.T) {
	long := strings.Repeat("a", 2049)
	tests := []struct {
		role KeyRole
		want Type
		v    Value
		msg  string
	}{
		{PartitionKey, TypeS, sv("a"), ""},
		{PartitionKey, TypeS, sv(long[:2048]), ""},
		{SortKey, TypeB, bv(make([]byte, 1024)...), ""},
		{PartitionKey, TypeN, nv("1"), ""},
		{PartitionKey, TypeS, nv("1"), "The provided key element does not match the schema"},
		{PartitionKey, TypeS, sv(""), "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"},
		{SortKey, TypeB, Value{B: []byte{}}, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk"},
		{PartitionKey, TypeS, sv(long), "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"},
		{SortKey, TypeS, sv(long[:1025]), "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"},
	}
	for i, tt := range tests {
		err := ValidateKey("pk", tt.role, tt.want, &tt.v)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("%d: %v", i, err)
			}
		} else if e, ok := err.(*awserr.Error); !ok || e.Message != tt.msg {
			t.Errorf("%d: got %v, want %q", i, err, tt.msg)
		}
	}
}

func BenchmarkNormalizeItem(b *testing.B) {
	item := benchItem()
	b.ReportAllocs()
	for b.Loop() {
		if err := NormalizeItem(item); err != nil {
			b.Fatal(err)
		}
	}
}
