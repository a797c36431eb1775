package rpcv2cbor

import (
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// CBOR (RFC 8949) major types.
const (
	majorUint   = 0
	majorNegint = 1
	majorBytes  = 2
	majorText   = 3
	majorArray  = 4
	majorMap    = 5
	majorTag    = 6
	majorSimple = 7
)

const (
	simpleFalse     = 0xf4
	simpleTrue      = 0xf5
	simpleNull      = 0xf6
	simpleUndefined = 0xf7
	breakCode       = 0xff
	tagEpoch        = 1 // epoch-based date/time
)

// MaxDepth bounds the nesting of arrays, maps and tags.
const MaxDepth = 256

// Appending CBOR.

func appendHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= math.MaxUint8:
		return append(b, m|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), n)
}

func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		return appendHead(b, majorNegint, uint64(-(n + 1)))
	}
	return appendHead(b, majorUint, uint64(n))
}

func appendText(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		// Text strings must be UTF-8; clients reject anything else.
		s = toValidUTF8(s)
	}
	return append(appendHead(b, majorText, uint64(len(s))), s...)
}

func toValidUTF8(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		out = utf8.AppendRune(out, r)
		i += size
	}
	return string(out)
}

func appendBytes(b []byte, p []byte) []byte {
	return append(appendHead(b, majorBytes, uint64(len(p))), p...)
}

func appendFloat64(b []byte, x float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0xfb), math.Float64bits(x))
}

func appendFloat32(b []byte, x float32) []byte {
	return binary.BigEndian.AppendUint32(append(b, 0xfa), math.Float32bits(x))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, simpleTrue)
	}
	return append(b, simpleFalse)
}

// Reading CBOR.

type reader struct {
	b     []byte
	i     int
	depth int
}

func serializationError(msg string) *awserr.Error {
	return awserr.SerializationError.New(msg)
}

func (r *reader) errorf(what string) error {
	return serializationError("Malformed CBOR: " + what + " at offset " + strconv.Itoa(r.i))
}

// head is the first byte of a data item and its argument.
type head struct {
	major      byte
	info       byte   // additional information (low five bits)
	arg        uint64 // the count, length, value or tag number
	indefinite bool
}

func (r *reader) peek() (byte, bool) {
	if r.i >= len(r.b) {
		return 0, false
	}
	return r.b[r.i], true
}

func (r *reader) readHead() (head, error) {
	if r.i >= len(r.b) {
		return head{}, r.errorf("unexpected end of input")
	}
	c := r.b[r.i]
	r.i++
	h := head{major: c >> 5, info: c & 0x1f}
	switch {
	case h.info < 24:
		h.arg = uint64(h.info)
	case h.info <= 27:
		n := 1 << (h.info - 24)
		if len(r.b)-r.i < n {
			return h, r.errorf("unexpected end of input")
		}
		switch n {
		case 1:
			h.arg = uint64(r.b[r.i])
		case 2:
			h.arg = uint64(binary.BigEndian.Uint16(r.b[r.i:]))
		case 4:
			h.arg = uint64(binary.BigEndian.Uint32(r.b[r.i:]))
		case 8:
			h.arg = binary.BigEndian.Uint64(r.b[r.i:])
		}
		r.i += n
	case h.info == 31:
		switch h.major {
		case majorBytes, majorText, majorArray, majorMap:
			h.indefinite = true
		default:
			return h, r.errorf("unexpected break or indefinite length")
		}
	default:
		return h, r.errorf("reserved additional information")
	}
	return h, nil
}

func (r *reader) push() error {
	r.depth++
	if r.depth > MaxDepth {
		return serializationError("Malformed CBOR: nesting deeper than " + strconv.Itoa(MaxDepth) + " levels")
	}
	return nil
}

func (r *reader) pop() { r.depth-- }

// atBreak consumes a break code if one is next.
func (r *reader) atBreak() (bool, error) {
	c, ok := r.peek()
	if !ok {
		return false, r.errorf("unexpected end of input")
	}
	if c == breakCode {
		r.i++
		return true, nil
	}
	return false, nil
}

// readStringBody reads the content of a byte or text string whose head has
// been read; indefinite strings are joined from their chunks.
func (r *reader) readStringBody(h head) ([]byte, error) {
	if !h.indefinite {
		if h.arg > uint64(len(r.b)-r.i) {
			return nil, r.errorf("string longer than the input")
		}
		s := r.b[r.i : r.i+int(h.arg)]
		r.i += int(h.arg)
		return s, nil
	}
	var out []byte
	for {
		done, err := r.atBreak()
		if err != nil {
			return nil, err
		}
		if done {
			return out, nil
		}
		chunk, err := r.readHead()
		if err != nil {
			return nil, err
		}
		if chunk.major != h.major || chunk.indefinite {
			return nil, r.errorf("bad chunk in an indefinite-length string")
		}
		s, err := r.readStringBody(chunk)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
}

// readText reads a text string item.
func (r *reader) readText() (string, error) {
	h, err := r.readHead()
	if err != nil {
		return "", err
	}
	if h.major != majorText {
		return "", r.errorf("expected a text string")
	}
	s, err := r.readStringBody(h)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(s) {
		return "", r.errorf("text string is not valid UTF-8")
	}
	return string(s), nil
}

// floatOf reads the value of a major-7 float head.
func (r *reader) floatOf(h head) (float64, bool) {
	switch h.info {
	case 25:
		return halfToFloat(uint16(h.arg)), true
	case 26:
		return float64(math.Float32frombits(uint32(h.arg))), true
	case 27:
		return math.Float64frombits(h.arg), true
	}
	return 0, false
}

// halfToFloat widens an IEEE 754 half-precision value.
func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}

// skip reads past one data item of any kind.
func (r *reader) skip() error {
	h, err := r.readHead()
	if err != nil {
		return err
	}
	switch h.major {
	case majorUint, majorNegint, majorSimple:
		return nil
	case majorBytes, majorText:
		_, err := r.readStringBody(h)
		return err
	case majorTag:
		if err := r.push(); err != nil {
			return err
		}
		defer r.pop()
		return r.skip()
	case majorArray, majorMap:
		if err := r.push(); err != nil {
			return err
		}
		defer r.pop()
		per := uint64(1)
		if h.major == majorMap {
			per = 2
		}
		if h.indefinite {
			for {
				done, err := r.atBreak()
				if err != nil || done {
					return err
				}
				for range per {
					if err := r.skip(); err != nil {
						return err
					}
				}
			}
		}
		if h.arg > uint64(len(r.b)-r.i) {
			return r.errorf("container longer than the input")
		}
		for n := h.arg * per; n > 0; n-- {
			if err := r.skip(); err != nil {
				return err
			}
		}
		return nil
	}
	return r.errorf("unknown major type")
}
