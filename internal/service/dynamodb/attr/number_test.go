package attr

import (
	"strconv"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

func TestParseNumberCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"},
		{"-0", "0"},
		{"+0", "0"},
		{"0.000", "0"},
		{"0e999999999999", "0"},
		{"1", "1"},
		{"+5", "5"},
		{"-7", "-7"},
		{"1.50", "1.5"},
		{"0010", "10"},
		{"00042", "42"},
		{"0042.1200", "42.12"},
		{"3.1400", "3.14"},
		{"1.0", "1"},
		{"100", "100"},
		{".5", "0.5"},
		{"5.", "5"},
		{"-.25", "-0.25"},
		{"1.5E2", "150"},
		{"1e+2", "100"},
		{"1.5e-3", "0.0015"},
		{"+1e2", "100"},
		{"123.456e1", "1234.56"},
		{"1E125", "1" + strings.Repeat("0", 125)},
		{"9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + strings.Repeat("0", 88)},
		{"1E-130", "0." + strings.Repeat("0", 129) + "1"},
		{"-1E-130", "-0." + strings.Repeat("0", 129) + "1"},
		{"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
		{"1234567890123456789012345678901234567800000", "1234567890123456789012345678901234567800000"},
		{"0.00000000000000000000000000000000000001", "0.00000000000000000000000000000000000001"},
		{"10.01", "10.01"},
		{"-000.000100", "-0.0001"},
	}
	for _, tt := range tests {
		got, err := CanonicalNumber(tt.in)
		if err != nil {
			t.Errorf("CanonicalNumber(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("CanonicalNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// The canonical text parses back to itself.
		again, err := CanonicalNumber(got)
		if err != nil || again != got {
			t.Errorf("CanonicalNumber(%q) = %q, %v; not a fixed point", got, again, err)
		}
	}
}

func TestParseNumberErrors(t *testing.T) {
	const (
		notNumeric = "The parameter cannot be converted to a numeric value"
		overflow   = "Number overflow. Attempting to store a number with magnitude larger than supported range"
		underflow  = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
		precision  = "Attempting to store more than 38 significant digits in a Number"
	)
	tests := []struct{ in, want string }{
		{"", notNumeric},
		{"abc", notNumeric + ": abc"},
		{"1.2.3", notNumeric + ": 1.2.3"},
		{".", notNumeric + ": ."},
		{"-", notNumeric + ": -"},
		{"1e", notNumeric + ": 1e"},
		{"1e+", notNumeric + ": 1e+"},
		{"e5", notNumeric + ": e5"},
		{" 1", notNumeric + ":  1"},
		{"1 ", notNumeric + ": 1 "},
		{"0x10", notNumeric + ": 0x10"},
		{"NaN", notNumeric + ": NaN"},
		{"Infinity", notNumeric + ": Infinity"},
		{"--1", notNumeric + ": --1"},
		{"1E+126", overflow},
		{"-1E+126", overflow},
		{"1e99999999999999999999", overflow},
		{"1E-131", underflow},
		{"0.1E-130", underflow},
		{"123456789012345678901234567890123456789", precision},
		{"1.23456789012345678901234567890123456789", precision},
	}
	for _, tt := range tests {
		_, err := ParseNumber(tt.in)
		e, ok := err.(*awserr.Error)
		if !ok || e.Code != "ValidationException" || e.Message != tt.want {
			t.Errorf("ParseNumber(%q) error = %v, want ValidationException %q", tt.in, err, tt.want)
		}
	}
}

func mustNumber(t testing.TB, s string) Number {
	t.Helper()
	n, err := ParseNumber(s)
	if err != nil {
		t.Fatalf("ParseNumber(%q): %v", s, err)
	}
	return n
}

func TestNumberCmp(t *testing.T) {
	ordered := []string{
		"-9.9999999999999999999999999999999999999E+125", "-100", "-10.5", "-10", "-9.99", "-1",
		"-0.5", "-0.05", "-1E-130", "0", "1E-130", "0.0001", "0.001", "0.0011", "0.1", "1",
		"1.000000000000000000000000000000000001", "2", "10", "10.01", "99", "100", "1E125",
		"9.9999999999999999999999999999999999999E+125",
	}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := mustNumber(t, a).Cmp(mustNumber(t, b)); got != want {
				t.Errorf("Cmp(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	if mustNumber(t, "1.50").Cmp(mustNumber(t, "15e-1")) != 0 {
		t.Error("1.50 != 15e-1")
	}
}

func TestNumberAddSub(t *testing.T) {
	tests := []struct{ a, b, sum, diff string }{
		{"1", "2", "3", "-1"},
		{"0.1", "0.2", "0.3", "-0.1"},
		{"1.5", "-1.5", "0", "3"},
		{"0", "-7", "-7", "7"},
		{"99999999999999999999999999999999999999", "1", "1" + strings.Repeat("0", 38), "99999999999999999999999999999999999998"},
		{"99999999999999999999999999999999999999", "0.1", "", ""},
		{"1E125", "1E125", "2" + strings.Repeat("0", 125), "0"},
		{"123.456", "0.544", "124", "122.912"},
		{"-5", "-5", "-10", "0"},
		{"1E-130", "1E-130", "0." + strings.Repeat("0", 129) + "2", "0"},
	}
	for _, tt := range tests {
		a, b := mustNumber(t, tt.a), mustNumber(t, tt.b)
		sum, err := a.Add(b)
		if tt.sum == "" {
			if err == nil || !strings.Contains(err.Error(), "38 significant digits") {
				t.Errorf("%s + %s = %v, %v; want precision error", tt.a, tt.b, sum, err)
			}
		} else if err != nil || sum.String() != tt.sum {
			t.Errorf("%s + %s = %v, %v; want %s", tt.a, tt.b, sum, err, tt.sum)
		}
		diff, err := a.Sub(b)
		if tt.diff == "" {
			if err == nil {
				t.Errorf("%s - %s = %v; want precision error", tt.a, tt.b, diff)
			}
		} else if err != nil || diff.String() != tt.diff {
			t.Errorf("%s - %s = %v, %v; want %s", tt.a, tt.b, diff, err, tt.diff)
		}
	}
	// Overflow: 9.9e125 + 9.9e125 is beyond the range.
	_, err := mustNumber(t, "9.9e125").Add(mustNumber(t, "9.9e125"))
	if err == nil || !strings.HasPrefix(err.(*awserr.Error).Message, "Number overflow") {
		t.Errorf("overflowing add: %v", err)
	}
	// Exact results beyond 38 digits are refused, not rounded.
	_, err = mustNumber(t, "1E100").Add(mustNumber(t, "1"))
	if err == nil || !strings.Contains(err.Error(), "38 significant digits") {
		t.Errorf("1E100 + 1: %v", err)
	}
}

func TestNumberSize(t *testing.T) {
	// Sizes measured against DynamoDB's 400 KB item limit (accept at the limit,
	// refuse one byte over).
	tests := []struct {
		in   string
		want int
	}{
		{"0", 1}, {"-0", 1}, {"1", 2}, {"12", 2}, {"123", 3}, {"1234", 3},
		{"12345678901234567890123456789012345678", 20}, {"0042", 2}, {"100", 2},
		{"1010", 3}, {"0.0000001", 2}, {"1E125", 2}, {"1E-100", 2}, {"1.5", 3},
		{"15", 2}, {"1.2", 3}, {"1.200", 3}, {"1.234", 4}, {"3.14159", 5},
		{"123456", 4}, {"100.5", 4}, {"0.15", 2}, {"-42", 3},
	}
	for _, tt := range tests {
		if got := NumberTextSize(tt.in); got != tt.want {
			t.Errorf("size of %s = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func BenchmarkParseNumber(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseNumber("-12345.678900e3")
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-1.5e3", "1E-130", "9.9999999999999999999999999999999999999E+125", ".5", "abc", "1e99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			if e, ok := err.(*awserr.Error); !ok || e.Code != "ValidationException" {
				t.Fatalf("ParseNumber(%q): %v", s, err)
			}
			return
		}
		text := n.String()
		m, err := ParseNumber(text)
		if err != nil || m.Cmp(n) != 0 || m.String() != text {
			t.Fatalf("%q -> %q does not round-trip: %v", s, text, err)
		}
		key := AppendNumberKey(nil, n)
		back, rest, err := DecodeNumberKey(key)
		if err != nil || len(rest) != 0 || back.Cmp(n) != 0 {
			t.Fatalf("key of %q does not round-trip: %v", s, err)
		}
	})
}

func TestNumberFromInt(t *testing.T) {
	for _, i := range []int64{0, 1, -1, 10, 100, -120, 1234567890, 9223372036854775807, -9223372036854775808} {
		n := NumberFromInt(i)
		want := mustNumber(t, strconv.FormatInt(i, 10))
		if n.Cmp(want) != 0 || n.String() != want.String() {
			t.Errorf("NumberFromInt(%d) = %s", i, n.String())
		}
	}
}

func TestTypeNames(t *testing.T) {
	for _, name := range []string{"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"} {
		typ, ok := ParseType(name)
		if !ok || typ.String() != name {
			t.Errorf("ParseType(%s) = %v, %v", name, typ, ok)
		}
	}
	if _, ok := ParseType("DOG"); ok {
		t.Error("ParseType(DOG)")
	}
	tr := true
	if TypeOf(&Value{}) != TypeInvalid || TypeOf(&Value{BOOL: &tr, NULL: &tr}) != TypeInvalid || TypeOf(&Value{L: []Value{}}) != TypeL {
		t.Error("TypeOf")
	}
}
