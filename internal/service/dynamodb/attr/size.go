package attr

// Size returns the size DynamoDB bills for a value (without its attribute
// name), following the developer guide's "Item sizes and formats": strings by
// their UTF-8 length, binaries by their raw length, BOOL and NULL 1 byte,
// lists and maps 3 bytes plus 1 byte per element plus the elements (map
// elements with their key's length), sets the sum of their members, and
// numbers as NumberSize describes.
func Size(v *Value) int {
	switch {
	case v.S != nil:
		return len(*v.S)
	case v.N != nil:
		return NumberTextSize(*v.N)
	case v.B != nil:
		return len(v.B)
	case v.BOOL != nil, v.NULL != nil:
		return 1
	case v.M != nil:
		size := 3
		for k, e := range v.M {
			size += len(k) + 1 + Size(&e)
		}
		return size
	case v.L != nil:
		size := 3
		for i := range v.L {
			size += 1 + Size(&v.L[i])
		}
		return size
	case v.SS != nil:
		size := 0
		for _, s := range v.SS {
			size += len(s)
		}
		return size
	case v.NS != nil:
		size := 0
		for _, s := range v.NS {
			size += NumberTextSize(s)
		}
		return size
	case v.BS != nil:
		size := 0
		for _, b := range v.BS {
			size += len(b)
		}
		return size
	}
	return 0
}

// ItemSize returns the billed size of an item: for each attribute the UTF-8
// length of its name plus the size of its value.
func ItemSize(item Item) int {
	size := 0
	for k, v := range item {
		size += len(k) + Size(&v)
	}
	return size
}

// NumberTextSize is NumberSize of the parsed text; invalid text counts as
// its length.
func NumberTextSize(s string) int {
	n, err := ParseNumber(s)
	if err != nil {
		return len(s)
	}
	return n.Size()
}

// Size returns the bytes DynamoDB counts for the number. DynamoDB stores
// numbers as Oracle's NUMBER does: one exponent byte, then the significant
// digits in base 100, grouped in pairs aligned on the decimal point, then,
// for a negative number of fewer than 20 base-100 digits, a terminator byte.
// Zero is one byte. This agrees with the developer guide's "1 byte per two
// significant digits, plus 1 byte" where that is exact, and with measured
// sizes where the guide is approximate (3.14159 costs 5 bytes, 123456 costs
// 4, 1.5 costs 3, -42 costs 3).
func (n Number) Size() int {
	if n.n == 0 {
		return 1
	}
	// Powers of ten of the first and last significant digits.
	hi := int(n.exp) - 1
	lo := int(n.exp) - int(n.n)
	pairs := floorDiv2(hi) - floorDiv2(lo) + 1
	size := 1 + pairs
	if n.neg && pairs < 20 {
		size++
	}
	return size
}

func floorDiv2(x int) int {
	if x >= 0 {
		return x / 2
	}
	return -((-x + 1) / 2)
}

// Key limits of DynamoDB.
const (
	MaxPartitionKeyBytes = 2048
	MaxSortKeyBytes      = 1024
	MaxItemBytes         = 400 * 1024
)

// KeyRole says which part of a primary key a value is.
type KeyRole uint8

const (
	PartitionKey KeyRole = iota
	SortKey
)

// AWS's messages for key values.
const (
	msgKeySchema      = "The provided key element does not match the schema"
	msgHashKeyTooBig  = msgInvalid + "Size of hashkey has exceeded the maximum size limit of2048 bytes"
	msgRangeKeyTooBig = msgInvalid + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
	msgKeyEmptyPrefix = "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty "
)

// ValidateKey checks one key attribute value of a Key parameter (GetItem,
// UpdateItem, DeleteItem, BatchGetItem keys, ...): its type must be want
// ("The provided key element does not match the schema" otherwise), strings
// and binaries non-empty, and its size within the limit of role. name is the
// attribute name used in AWS's messages. For an Item the service reports type
// mismatches itself ("Type mismatch for key ...") and may then call this for
// the emptiness and size checks.
func ValidateKey(name string, role KeyRole, want Type, v *Value) error {
	if TypeOf(v) != want {
		return invalid(msgKeySchema)
	}
	size := 0
	switch want {
	case TypeS:
		if *v.S == "" {
			return invalid(msgKeyEmptyPrefix + "string value. Key: " + name)
		}
		size = len(*v.S)
	case TypeB:
		if len(v.B) == 0 {
			return invalid(msgKeyEmptyPrefix + "binary value. Key: " + name)
		}
		size = len(v.B)
	}
	if role == PartitionKey && size > MaxPartitionKeyBytes {
		return invalid(msgHashKeyTooBig)
	}
	if role == SortKey && size > MaxSortKeyBytes {
		return invalid(msgRangeKeyTooBig)
	}
	return nil
}
