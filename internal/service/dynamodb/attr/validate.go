package attr

import (
	"encoding/base64"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// MaxNestingDepth is how deep documents may nest: a top-level value is level
// 1, and a value at level 33 is refused.
const MaxNestingDepth = 32

// AWS's messages for malformed attribute values.
const (
	msgEmptyValue      = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
	msgManyTypes       = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
	msgInvalid         = "One or more parameter values were invalid: "
	msgNullFalse       = msgInvalid + "Null attribute value types must have the value of true"
	msgEmptySS         = msgInvalid + "An string set  may not be empty"
	msgEmptyNS         = msgInvalid + "An number set  may not be empty"
	msgEmptyBS         = msgInvalid + "Binary sets should not be empty"
	msgDuplicateNumber = "Input collection contains duplicates"
	msgNesting         = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
)

func invalid(msg string) error { return awserr.ValidationException.New(msg) }

// Validate checks one attribute value as DynamoDB checks the values of a
// request (Item, Key, ExpressionAttributeValues, ...): exactly one member
// set, NULL true, numbers valid, sets non-empty, without duplicates and
// without empty members, nesting at most 32 levels. Empty strings and
// binaries are valid outside keys. It returns AWS's ValidationException.
func Validate(v *Value) error { return check(v, 1, false) }

// ValidateItem validates every attribute of an item.
func ValidateItem(item Item) error {
	for _, v := range item {
		if err := check(&v, 1, false); err != nil {
			return err
		}
	}
	return nil
}

// Normalize validates v like Validate and rewrites its numbers (N, NS
// members, nested) to their canonical text in place, as DynamoDB stores and
// returns them. Texts already canonical are kept without allocating.
func Normalize(v *Value) error { return check(v, 1, true) }

// NormalizeItem normalizes every attribute of an item in place.
func NormalizeItem(item Item) error {
	for k, v := range item {
		before := v.N
		if err := check(&v, 1, true); err != nil {
			return err
		}
		if v.N != before {
			item[k] = v // N is a pointer field of a copy: store it back
		}
	}
	return nil
}

func check(v *Value, depth int, normalize bool) error {
	if depth > MaxNestingDepth {
		return invalid(msgNesting)
	}
	n := 0
	if v.N != nil {
		n++
		c, err := CanonicalNumber(*v.N)
		if err != nil {
			return err
		}
		if normalize && c != *v.N {
			p := new(string) // not &c: that would move c to the heap on every call
			*p = c
			v.N = p
		}
	}
	if v.NS != nil {
		n++
		if err := checkNumberSet(v.NS, normalize); err != nil {
			return err
		}
	}
	if v.S != nil {
		n++
	}
	if v.B != nil {
		n++
	}
	if v.BOOL != nil {
		n++
	}
	if v.NULL != nil {
		n++
		if !*v.NULL {
			return invalid(msgNullFalse)
		}
	}
	if v.SS != nil {
		n++
		if err := checkStringSet(v.SS); err != nil {
			return err
		}
	}
	if v.BS != nil {
		n++
		if err := checkBinarySet(v.BS); err != nil {
			return err
		}
	}
	if v.M != nil {
		n++
		for k, e := range v.M {
			before := e.N
			if err := check(&e, depth+1, normalize); err != nil {
				return err
			}
			if e.N != before {
				v.M[k] = e
			}
		}
	}
	if v.L != nil {
		n++
		for i := range v.L {
			if err := check(&v.L[i], depth+1, normalize); err != nil {
				return err
			}
		}
	}
	switch {
	case n == 0:
		return invalid(msgEmptyValue)
	case n > 1:
		return invalid(msgManyTypes)
	}
	return nil
}

func checkNumberSet(ns []string, normalize bool) error {
	if len(ns) == 0 {
		return invalid(msgEmptyNS)
	}
	parsed := make([]Number, len(ns))
	for i, s := range ns {
		num, err := ParseNumber(s)
		if err != nil {
			return err
		}
		parsed[i] = num
	}
	if hasDuplicateNumber(parsed) {
		return invalid(msgDuplicateNumber)
	}
	if normalize {
		for i := range ns {
			var buf [192]byte
			b := parsed[i].AppendText(buf[:0])
			if string(b) != ns[i] {
				ns[i] = string(b)
			}
		}
	}
	return nil
}

func hasDuplicateNumber(ns []Number) bool {
	if len(ns) <= 16 {
		for i := range ns {
			for j := i + 1; j < len(ns); j++ {
				if ns[i].Cmp(ns[j]) == 0 {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[Number]struct{}, len(ns))
	for _, n := range ns {
		if n.n == 0 {
			n = Number{} // one zero, whatever its sign
		}
		if _, ok := seen[n]; ok {
			return true
		}
		seen[n] = struct{}{}
	}
	return false
}

func checkStringSet(ss []string) error {
	// An empty member is allowed, as in a binary set: DynamoDB refused
	// them once, and no longer does.
	if len(ss) == 0 {
		return invalid(msgEmptySS)
	}
	if hasDuplicateString(ss) {
		return invalid(msgInvalid + "Input collection [" + strings.Join(ss, ", ") + "] contains duplicates.")
	}
	return nil
}

func hasDuplicateString(ss []string) bool {
	if len(ss) <= 16 {
		for i := range ss {
			for j := i + 1; j < len(ss); j++ {
				if ss[i] == ss[j] {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(ss))
	for _, s := range ss {
		if _, ok := seen[s]; ok {
			return true
		}
		seen[s] = struct{}{}
	}
	return false
}

func checkBinarySet(bs [][]byte) error {
	if len(bs) == 0 {
		return invalid(msgEmptyBS)
	}
	seen := make(map[string]struct{}, len(bs))
	for _, b := range bs {
		if _, ok := seen[string(b)]; ok {
			members := make([]string, len(bs))
			for i, m := range bs {
				members[i] = base64.StdEncoding.EncodeToString(m)
			}
			return invalid(msgInvalid + "Input collection [" + strings.Join(members, ", ") + "]of type BS contains duplicates.")
		}
		seen[string(b)] = struct{}{}
	}
	return nil
}
