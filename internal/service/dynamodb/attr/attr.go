// Package attr gives DynamoDB AttributeValues their AWS semantics: exact
// decimal numbers, type names, equality and ordering, validation with AWS's
// messages, item sizes as DynamoDB bills them, an order-preserving key
// encoding for storage keys and a compact binary encoding of whole items.
//
// Values are dynamodbapi.AttributeValue, the generated wire type; this
// package never converts numbers to float64.
package attr

import (
	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
)

// Value is one DynamoDB attribute value as the API carries it.
type Value = dynamodbapi.AttributeValue

// Item is a whole item: attribute name to value.
type Item = map[string]dynamodbapi.AttributeValue

// Type is the data type of a value, named as the wire format names it.
type Type uint8

// The ten DynamoDB data types. TypeInvalid is the type of a value that sets
// no member or more than one.
const (
	TypeInvalid Type = iota
	TypeS
	TypeN
	TypeB
	TypeBOOL
	TypeNULL
	TypeM
	TypeL
	TypeSS
	TypeNS
	TypeBS
)

var typeNames = [...]string{"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}

// String returns the wire name of the type ("S", "NS", ...), or "" for
// TypeInvalid.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return ""
}

// ParseType returns the type with the given wire name, as attribute_type's
// second operand and AttributeDefinitions name them.
func ParseType(name string) (Type, bool) {
	for i, n := range typeNames {
		if i > 0 && n == name {
			return Type(i), true
		}
	}
	return TypeInvalid, false
}

// IsSet reports whether t is one of the set types SS, NS, BS.
func (t Type) IsSet() bool { return t == TypeSS || t == TypeNS || t == TypeBS }

// IsScalarKey reports whether t may be a key attribute type (S, N, B).
func (t Type) IsScalarKey() bool { return t == TypeS || t == TypeN || t == TypeB }

// TypeOf returns the type of v, or TypeInvalid when v sets no member or more
// than one. An empty but non-nil B, L, M or set counts as set.
func TypeOf(v *Value) Type {
	t, n := TypeInvalid, 0
	if v.S != nil {
		t, n = TypeS, n+1
	}
	if v.N != nil {
		t, n = TypeN, n+1
	}
	if v.B != nil {
		t, n = TypeB, n+1
	}
	if v.BOOL != nil {
		t, n = TypeBOOL, n+1
	}
	if v.NULL != nil {
		t, n = TypeNULL, n+1
	}
	if v.M != nil {
		t, n = TypeM, n+1
	}
	if v.L != nil {
		t, n = TypeL, n+1
	}
	if v.SS != nil {
		t, n = TypeSS, n+1
	}
	if v.NS != nil {
		t, n = TypeNS, n+1
	}
	if v.BS != nil {
		t, n = TypeBS, n+1
	}
	if n != 1 {
		return TypeInvalid
	}
	return t
}
