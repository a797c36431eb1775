package request

import "testing"

func TestIsAccountID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"111122223333", true},
		{"000000000000", true},
		{"11112222333", false},
		{"1111222233334", false},
		{"11112222333a", false},
		{"AKIAIOSFODNN", false},
		{"", false},
	} {
		if got := IsAccountID(tc.in); got != tc.want {
			t.Errorf("IsAccountID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
