package attr

import (
	"errors"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// The key encoding turns a key value into bytes whose bytewise order is
// DynamoDB's order of values of that type, and which end unambiguously, so
// that enc(partition)+enc(sort) orders as the pair and a partition's items
// share the prefix enc(partition).
//
// S and B: the bytes, with 0x00 written as 0x00 0xFF, then 0x00 0x01. A
// proper prefix orders first because the terminator's 0x00 is below any
// byte and 0x01 below the escape's 0xFF.
//
// N: one tag byte (0x01 negative, 0x02 zero, 0x03 positive); for non-zero
// numbers the exponent of 0.d1d2...×10^exp as one byte (exp+129, fitting
// because exp lies in [-129, 126]) and the digits in pairs, each pair one
// byte 1..100, then a terminator 0x00. Negative numbers store the exponent
// and the pair bytes complemented (255-x) and end with 0xFF, so a larger
// magnitude orders first.

const (
	tagNegative = 0x01
	tagZero     = 0x02
	tagPositive = 0x03
)

var errKeyType = errors.New("attr: key values are S, N or B")

// AppendKey appends the order-preserving, self-delimiting encoding of a key
// value (S, N or B) to dst.
func AppendKey(dst []byte, v *Value) ([]byte, error) {
	switch {
	case v.S != nil:
		return appendEscaped(dst, *v.S), nil
	case v.B != nil:
		return appendEscaped(dst, v.B), nil
	case v.N != nil:
		n, err := ParseNumber(*v.N)
		if err != nil {
			return dst, err
		}
		return AppendNumberKey(dst, n), nil
	}
	return dst, errKeyType
}

func appendEscaped[T string | []byte](dst []byte, s T) []byte {
	dst = AppendKeyPrefix(dst, s)
	return append(dst, 0x00, 0x01)
}

// AppendKeyPrefix appends the encoding of an S or B value without its
// terminator: every value that begins with s encodes to bytes that begin
// with it, so begins_with on a sort key is a prefix scan.
func AppendKeyPrefix[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			dst = append(dst, 0x00, 0xFF)
		} else {
			dst = append(dst, s[i])
		}
	}
	return dst
}

// AppendNumberKey appends the key encoding of n.
func AppendNumberKey(dst []byte, n Number) []byte {
	if n.n == 0 {
		return append(dst, tagZero)
	}
	var flip byte
	tag, end := byte(tagPositive), byte(0x00)
	if n.neg {
		flip, tag, end = 0xFF, tagNegative, 0xFF
	}
	dst = append(dst, tag, byte(int(n.exp)-minExp)^flip)
	d := n.d[:n.n]
	for i := 0; i < len(d); i += 2 {
		pair := (d[i] - '0') * 10
		if i+1 < len(d) {
			pair += d[i+1] - '0'
		}
		dst = append(dst, (pair+1)^flip)
	}
	return append(dst, end)
}

func keyCorrupt() error {
	return awserr.InternalFailure.New("We encountered an internal error. Please try again.")
}

// DecodeKey decodes one key value of type t from the front of src and
// returns it with the bytes that follow it.
func DecodeKey(src []byte, t Type) (Value, []byte, error) {
	switch t {
	case TypeS, TypeB:
		var out []byte
		for i := 0; i < len(src); i++ {
			if src[i] != 0 {
				continue
			}
			if i+1 >= len(src) {
				return Value{}, src, keyCorrupt()
			}
			switch src[i+1] {
			case 0x01:
				out = append(out, src[:i]...)
				rest := src[i+2:]
				if t == TypeS {
					s := string(out)
					return Value{S: &s}, rest, nil
				}
				if out == nil {
					out = []byte{}
				}
				return Value{B: out}, rest, nil
			case 0xFF:
				out = append(out, src[:i+1]...)
				src = src[i+2:]
				i = -1
			default:
				return Value{}, src, keyCorrupt()
			}
		}
		return Value{}, src, keyCorrupt()
	case TypeN:
		n, rest, err := DecodeNumberKey(src)
		if err != nil {
			return Value{}, src, err
		}
		s := n.String()
		return Value{N: &s}, rest, nil
	}
	return Value{}, src, errKeyType
}

// DecodeNumberKey decodes a number key from the front of src.
func DecodeNumberKey(src []byte) (Number, []byte, error) {
	var n Number
	if len(src) == 0 {
		return n, src, keyCorrupt()
	}
	switch src[0] {
	case tagZero:
		return n, src[1:], nil
	case tagPositive, tagNegative:
	default:
		return n, src, keyCorrupt()
	}
	var flip byte
	if src[0] == tagNegative {
		n.neg, flip = true, 0xFF
	}
	if len(src) < 2 {
		return Number{}, src, keyCorrupt()
	}
	n.exp = int16(int(src[1]^flip) + minExp)
	for i := 2; i < len(src); i++ {
		b := src[i] ^ flip
		if b == 0 {
			if n.n == 0 || n.d[n.n-1] == '0' {
				return Number{}, src, keyCorrupt()
			}
			return n, src[i+1:], nil
		}
		pair := b - 1
		if pair > 99 || int(n.n) >= MaxDigits || (n.n == 0 && pair < 10) {
			return Number{}, src, keyCorrupt()
		}
		n.d[n.n] = '0' + pair/10
		n.n++
		if pair%10 != 0 || (i+1 < len(src) && src[i+1]^flip != 0) {
			if int(n.n) >= MaxDigits {
				return Number{}, src, keyCorrupt()
			}
			n.d[n.n] = '0' + pair%10
			n.n++
		}
	}
	return Number{}, src, keyCorrupt()
}
