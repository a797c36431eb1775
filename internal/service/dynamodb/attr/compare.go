package attr

import "bytes"

// Equal reports whether a and b are the same value: same type; numbers
// numerically equal; lists element by element; maps key by key; sets as sets,
// whatever the order of their members.
func Equal(a, b *Value) bool {
	ta := TypeOf(a)
	if ta == TypeInvalid || ta != TypeOf(b) {
		return false
	}
	switch ta {
	case TypeS:
		return *a.S == *b.S
	case TypeN:
		return numbersEqual(*a.N, *b.N)
	case TypeB:
		return bytes.Equal(a.B, b.B)
	case TypeBOOL:
		return *a.BOOL == *b.BOOL
	case TypeNULL:
		return *a.NULL == *b.NULL
	case TypeM:
		if len(a.M) != len(b.M) {
			return false
		}
		for k, av := range a.M {
			bv, ok := b.M[k]
			if !ok || !Equal(&av, &bv) {
				return false
			}
		}
		return true
	case TypeL:
		if len(a.L) != len(b.L) {
			return false
		}
		for i := range a.L {
			if !Equal(&a.L[i], &b.L[i]) {
				return false
			}
		}
		return true
	case TypeSS:
		return sameStringSet(a.SS, b.SS)
	case TypeNS:
		if len(a.NS) != len(b.NS) {
			return false
		}
		for _, x := range a.NS {
			if !ContainsNumber(b.NS, x) {
				return false
			}
		}
		return true
	case TypeBS:
		if len(a.BS) != len(b.BS) {
			return false
		}
		for _, x := range a.BS {
			if !ContainsBinary(b.BS, x) {
				return false
			}
		}
		return true
	}
	return false
}

func sameStringSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) <= 16 {
		for _, x := range a {
			if !ContainsString(b, x) {
				return false
			}
		}
		return true
	}
	set := make(map[string]struct{}, len(b))
	for _, x := range b {
		set[x] = struct{}{}
	}
	for _, x := range a {
		if _, ok := set[x]; !ok {
			return false
		}
	}
	return true
}

// ContainsString reports whether set has member s.
func ContainsString(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}

// ContainsNumber reports whether set has a member numerically equal to n.
func ContainsNumber(set []string, n string) bool {
	for _, x := range set {
		if numbersEqual(x, n) {
			return true
		}
	}
	return false
}

// ContainsBinary reports whether set has member b.
func ContainsBinary(set [][]byte, b []byte) bool {
	for _, x := range set {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}

// numbersEqual compares two number texts numerically; canonical texts (what
// storage holds) compare equal exactly when their strings do, so parsing is
// only needed when the strings differ.
func numbersEqual(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := ParseNumber(a)
	y, err2 := ParseNumber(b)
	return err1 == nil && err2 == nil && x.Cmp(y) == 0
}

// CompareNumbers compares two number texts numerically. Invalid text (which
// validation keeps out of requests and storage) orders as zero.
func CompareNumbers(a, b string) int {
	x, _ := ParseNumber(a)
	y, _ := ParseNumber(b)
	return x.Cmp(y)
}

// Compare orders two values of the same scalar type S, N or B: strings and
// binaries bytewise (strings as their UTF-8 bytes), numbers numerically. ok
// is false when the values are not both of one of those types: DynamoDB's
// ordering comparators are then false.
func Compare(a, b *Value) (c int, ok bool) {
	switch {
	case a.S != nil && b.S != nil:
		return compareStrings(*a.S, *b.S), true
	case a.N != nil && b.N != nil:
		return CompareNumbers(*a.N, *b.N), true
	case a.B != nil && b.B != nil:
		return bytes.Compare(a.B, b.B), true
	}
	return 0, false
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
