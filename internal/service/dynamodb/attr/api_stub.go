package attr

import "errors"

var errTODO = errors.New("attr: not implemented yet")

// Number is an exact DynamoDB number: up to 38 significant decimal digits,
// magnitude between 1E-130 and 9.9999999999999999999999999999999999999E+125,
// or zero. The zero Number is 0.
type Number struct {
	neg    bool
	digits string // significant digits, no leading or trailing zeros; "" for zero
	exp    int    // value = 0.digits × 10^exp
}

// ParseNumber parses the wire text of an N value (or of one NS member) as
// DynamoDB does, returning AWS's ValidationException for text that is not a
// number, has more than 38 significant digits, or lies outside the range.
func ParseNumber(s string) (Number, error) { return Number{}, errTODO }

// String returns the canonical text DynamoDB returns for the number: no
// leading or trailing zeros, no exponent marker, "-0" as "0".
func (n Number) String() string { return "" }

// Cmp returns -1, 0 or +1 as n is less than, equal to or greater than m.
func (n Number) Cmp(m Number) int { return 0 }

// Sign returns -1, 0 or +1.
func (n Number) Sign() int { return 0 }

// Add returns n+m exactly, or AWS's overflow / precision error.
func (n Number) Add(m Number) (Number, error) { return Number{}, errTODO }

// Sub returns n-m exactly, or AWS's overflow / precision error.
func (n Number) Sub(m Number) (Number, error) { return Number{}, errTODO }

// CanonicalNumber parses s and returns its canonical text.
func CanonicalNumber(s string) (string, error) { return "", errTODO }

// Equal reports whether a and b are the same value: same type and, for
// numbers, numerically equal; sets compare as sets (order-free).
func Equal(a, b *Value) bool { return false }

// Compare orders two values of the same scalar type S, N or B (strings and
// binaries bytewise, numbers numerically). ok is false when the values are
// not both of one of those types: DynamoDB comparators are then false.
func Compare(a, b *Value) (c int, ok bool) { return 0, false }

// Validate checks one attribute value as DynamoDB checks request values:
// exactly one member set, numbers valid, sets non-empty, without duplicates
// and without empty strings/binaries... It returns AWS's ValidationException.
func Validate(v *Value) error { return errTODO }

// ValidateItem validates every attribute of an item.
func ValidateItem(item Item) error { return errTODO }

// Normalize validates v and rewrites its numbers (N, NS, nested) to their
// canonical text in place, as DynamoDB stores and returns them.
func Normalize(v *Value) error { return errTODO }

// NormalizeItem normalizes every attribute of an item in place.
func NormalizeItem(item Item) error { return errTODO }

// Size returns the billed size of a value in bytes (without a name), per the
// developer guide's "Item sizes and formats".
func Size(v *Value) int { return 0 }

// ItemSize returns the billed size of an item: for each attribute the UTF-8
// length of its name plus the size of its value.
func ItemSize(item Item) int { return 0 }

// Key size limits of DynamoDB.
const (
	MaxPartitionKeyBytes = 2048
	MaxSortKeyBytes      = 1024
	MaxItemBytes         = 400 * 1024
)

// KeyRole says which part of the primary key a value is.
type KeyRole uint8

const (
	PartitionKey KeyRole = iota
	SortKey
)

// ValidateKey checks a key attribute value: type must be want, strings and
// binaries non-empty, sizes within the limits of role. name is the attribute
// name used in AWS's messages.
func ValidateKey(name string, role KeyRole, want Type, v *Value) error { return errTODO }

// AppendKey appends the order-preserving, self-delimiting encoding of a key
// value (S, N or B) to dst: bytewise order of encodings equals DynamoDB's
// order of values, and enc(a)+enc(b) sorts as the pair (a, b).
func AppendKey(dst []byte, v *Value) ([]byte, error) { return dst, errTODO }

// DecodeKey decodes one key value of type t from the front of src and
// returns it with the remaining bytes.
func DecodeKey(src []byte, t Type) (Value, []byte, error) { return Value{}, src, errTODO }

// AppendItem appends the compact binary encoding of item to dst.
func AppendItem(dst []byte, item Item) []byte { return dst }

// DecodeItem decodes an item that AppendItem encoded.
func DecodeItem(src []byte) (Item, error) { return nil, errTODO }
