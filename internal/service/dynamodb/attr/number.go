package attr

import (
	"bytes"
	"math/big"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// Number limits of DynamoDB (the range and precision of Oracle's NUMBER,
// which DynamoDB's documentation repeats: 38 significant digits, magnitude
// from 1E-130 to 9.9999999999999999999999999999999999999E+125).
const (
	MaxDigits = 38
	// With value = 0.d1d2... × 10^exp, exp ranges over [minExp, maxExp].
	minExp = -129
	maxExp = 126
)

// AWS's messages for numbers that cannot be stored.
const (
	msgNotNumeric = "The parameter cannot be converted to a numeric value"
	msgOverflow   = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	msgUnderflow  = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
	msgPrecision  = "Attempting to store more than 38 significant digits in a Number"
)

// Number is an exact DynamoDB number: up to 38 significant decimal digits,
// magnitude between 1E-130 and 9.9999999999999999999999999999999999999E+125,
// or zero. The zero Number is 0. It is a plain value: parsing, comparing and
// formatting allocate nothing.
type Number struct {
	neg bool
	n   uint8           // number of significant digits; 0 for zero
	exp int16           // value = 0.d[0]d[1]...d[n-1] × 10^exp
	d   [MaxDigits]byte // ASCII digits, no leading or trailing zeros
}

func numberError(msg string) error { return awserr.ValidationException.New(msg) }

// ParseNumber parses the wire text of an N value (or of one NS member) as
// DynamoDB does: an optional sign, digits with an optional decimal point and
// an optional exponent. It returns AWS's ValidationException for text that is
// not a number, has more than 38 significant digits, or lies outside the range.
func ParseNumber(s string) (Number, error) {
	var num Number
	if s == "" {
		return num, numberError(msgNotNumeric)
	}
	i := 0
	switch s[0] {
	case '-':
		num.neg = true
		i++
	case '+':
		i++
	}
	// Mantissa: digits, optional point, digits; at least one digit overall.
	// pointPos counts the mantissa digits before the point.
	var (
		digits    int // mantissa digits seen, leading zeros skipped
		pointPos  = -1
		seenDigit bool
		lead      int // leading zeros skipped before the first significant digit
		trailZero int // zeros seen since the last non-zero digit
		tooMany   bool
	)
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if pointPos >= 0 {
				return Number{}, numberError(msgNotNumeric + ": " + s)
			}
			pointPos = digits + lead
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		seenDigit = true
		if c == '0' && digits == 0 {
			lead++
			continue
		}
		if c == '0' {
			trailZero++
		} else {
			// Zeros between significant digits are significant.
			for ; trailZero > 0; trailZero-- {
				if int(num.n) < MaxDigits {
					num.d[num.n] = '0'
					num.n++
				} else {
					tooMany = true
				}
			}
			if int(num.n) < MaxDigits {
				num.d[num.n] = c
				num.n++
			} else {
				tooMany = true
			}
		}
		digits++
	}
	if !seenDigit {
		return Number{}, numberError(msgNotNumeric + ": " + s)
	}
	intDigits := digits + lead // mantissa digits before the point
	if pointPos >= 0 {
		intDigits = pointPos
	}
	// Optional exponent.
	exp10 := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return Number{}, numberError(msgNotNumeric + ": " + s)
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return Number{}, numberError(msgNotNumeric + ": " + s)
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return Number{}, numberError(msgNotNumeric + ": " + s)
			}
			// Saturate: anything this large is out of range anyway.
			if exp10 < 1_000_000 {
				exp10 = exp10*10 + int(c-'0')
			}
		}
		if eneg {
			exp10 = -exp10
		}
	}
	if num.n == 0 && !tooMany {
		return Number{}, nil // zero, whatever its sign or exponent
	}
	// The first significant digit sits at position lead (counting mantissa
	// digits from the left, point excluded); its power of ten is
	// intDigits-lead-1, so exp (for 0.d1d2...) is intDigits-lead+exp10.
	e := intDigits - lead + exp10
	if e > maxExp {
		return Number{}, numberError(msgOverflow)
	}
	if e < minExp {
		return Number{}, numberError(msgUnderflow)
	}
	if tooMany {
		return Number{}, numberError(msgPrecision)
	}
	num.exp = int16(e)
	return num, nil
}

// IsZero reports whether n is 0.
func (n Number) IsZero() bool { return n.n == 0 }

// Sign returns -1, 0 or +1.
func (n Number) Sign() int {
	switch {
	case n.n == 0:
		return 0
	case n.neg:
		return -1
	}
	return 1
}

// Digits returns the significant digits (ASCII, no leading or trailing
// zeros; empty for zero) and the exponent exp such that the magnitude is
// 0.digits × 10^exp.
func (n *Number) Digits() (digits []byte, exp int) { return n.d[:n.n], int(n.exp) }

// Cmp returns -1, 0 or +1 as n is less than, equal to or greater than m.
func (n Number) Cmp(m Number) int {
	sn, sm := n.Sign(), m.Sign()
	if sn != sm {
		if sn < sm {
			return -1
		}
		return 1
	}
	if sn == 0 {
		return 0
	}
	c := cmpMagnitude(&n, &m)
	if sn < 0 {
		return -c
	}
	return c
}

func cmpMagnitude(a, b *Number) int {
	if a.exp != b.exp {
		if a.exp < b.exp {
			return -1
		}
		return 1
	}
	// Same exponent: the digit strings compare lexicographically, a proper
	// prefix being smaller because no trailing zeros are stored.
	return bytes.Compare(a.d[:a.n], b.d[:b.n])
}

// String returns the canonical text DynamoDB returns for the number: plain
// decimal notation without exponent, no leading or trailing zeros, and "0"
// for zero whatever its sign.
func (n Number) String() string {
	var buf [192]byte
	return string(n.AppendText(buf[:0]))
}

// AppendText appends the canonical text of n to dst.
func (n Number) AppendText(dst []byte) []byte {
	if n.n == 0 {
		return append(dst, '0')
	}
	if n.neg {
		dst = append(dst, '-')
	}
	d := n.d[:n.n]
	e := int(n.exp)
	switch {
	case e <= 0:
		dst = append(dst, '0', '.')
		for i := 0; i < -e; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, d...)
	case e >= len(d):
		dst = append(dst, d...)
		for i := len(d); i < e; i++ {
			dst = append(dst, '0')
		}
	default:
		dst = append(dst, d[:e]...)
		dst = append(dst, '.')
		dst = append(dst, d[e:]...)
	}
	return dst
}

// CanonicalNumber parses s and returns its canonical text (s itself when it
// is already canonical, without allocating).
func CanonicalNumber(s string) (string, error) {
	n, err := ParseNumber(s)
	if err != nil {
		return "", err
	}
	var buf [192]byte
	b := n.AppendText(buf[:0])
	if string(b) == s {
		return s, nil
	}
	return string(b), nil
}

// Neg returns -n.
func (n Number) Neg() Number {
	if n.n != 0 {
		n.neg = !n.neg
	}
	return n
}

// Add returns n+m exactly, or AWS's error when the exact result has more than
// 38 significant digits or lies outside the range.
func (n Number) Add(m Number) (Number, error) {
	if n.n == 0 {
		return m, nil
	}
	if m.n == 0 {
		return n, nil
	}
	// Both are integers coefficient × 10^scale, where scale is the power of
	// ten of the last significant digit.
	sn, sm := int(n.exp)-int(n.n), int(m.exp)-int(m.n)
	scale := min(sn, sm)
	a := n.coefficient(sn - scale)
	b := m.coefficient(sm - scale)
	a.Add(a, b)
	return fromBig(a, scale)
}

// Sub returns n-m exactly, or AWS's overflow / precision error.
func (n Number) Sub(m Number) (Number, error) { return n.Add(m.Neg()) }

// coefficient returns the signed integer of n's digits followed by shift
// zeros.
func (n *Number) coefficient(shift int) *big.Int {
	var z big.Int
	z.SetString(string(n.d[:n.n]), 10)
	if shift > 0 {
		var p big.Int
		p.Exp(big.NewInt(10), big.NewInt(int64(shift)), nil)
		z.Mul(&z, &p)
	}
	if n.neg {
		z.Neg(&z)
	}
	return &z
}

// fromBig converts coefficient × 10^scale back to a Number, checking the
// limits.
func fromBig(c *big.Int, scale int) (Number, error) {
	var num Number
	if c.Sign() == 0 {
		return num, nil
	}
	text := c.String()
	if text[0] == '-' {
		num.neg = true
		text = text[1:]
	}
	trimmed := strings.TrimRight(text, "0")
	scale += len(text) - len(trimmed)
	e := scale + len(trimmed)
	if e > maxExp {
		return Number{}, numberError(msgOverflow)
	}
	if e < minExp {
		return Number{}, numberError(msgUnderflow)
	}
	if len(trimmed) > MaxDigits {
		return Number{}, numberError(msgPrecision)
	}
	num.n = uint8(copy(num.d[:], trimmed))
	num.exp = int16(e)
	return num, nil
}

// NumberFromInt returns the Number of i.
func NumberFromInt(i int64) Number {
	var n Number
	if i == 0 {
		return n
	}
	u := uint64(i)
	if i < 0 {
		n.neg = true
		u = uint64(-i)
	}
	var buf [20]byte
	pos := len(buf)
	for u > 0 {
		pos--
		buf[pos] = byte('0' + u%10)
		u /= 10
	}
	digits := buf[pos:]
	n.exp = int16(len(digits))
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	n.n = uint8(copy(n.d[:], digits))
	return n
}
