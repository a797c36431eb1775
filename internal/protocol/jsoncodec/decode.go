package jsoncodec

import (
	"reflect"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// MaxDepth is the deepest nesting of objects and arrays the decoder accepts.
// DynamoDB allows 32 levels of nested attributes, which take about 70 levels
// of JSON; anything much deeper is an attack, not a request.
const MaxDepth = 256

// Unmarshal decodes the JSON object in data into v, a pointer to a generated
// struct, reading every member. Empty data (or only white space) leaves v
// untouched. Errors are *awserr.Error SerializationException values.
func Unmarshal(data []byte, v any) error { return unmarshal(data, v, false) }

// UnmarshalBody is Unmarshal for the body of a REST request: members bound
// to the URI, query string or headers are not read from the body.
func UnmarshalBody(data []byte, v any) error { return unmarshal(data, v, true) }

func unmarshal(data []byte, v any, bodyOnly bool) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return awserr.InternalFailure.New("jsoncodec: Unmarshal needs a pointer to a struct")
	}
	// One copy of the input as a string: every unescaped string in the
	// result is a slice of it, so needs no allocation of its own.
	d := decoder{s: string(data)}
	d.skipWS()
	if d.i == len(d.s) {
		return nil
	}
	if d.s[d.i] != '{' {
		if d.s[d.i] == 'n' && d.literal("null") {
			return d.end()
		}
		return d.typeError("Structure")
	}
	sp := planOf(rv.Elem().Type(), bodyOnly)
	if err := d.decodeStruct(sp, rv.UnsafePointer()); err != nil {
		return err
	}
	return d.end()
}

type decoder struct {
	s       string
	i       int
	depth   int
	scratch []byte
	strings []string // slab that *string members point into
}

func (d *decoder) end() error {
	d.skipWS()
	if d.i != len(d.s) {
		return d.syntaxError("unexpected data after the top-level value")
	}
	return nil
}

func serializationError(msg string) *awserr.Error {
	return awserr.SerializationError.New(msg)
}

func (d *decoder) syntaxError(what string) error {
	return serializationError("Malformed JSON: " + what + " at offset " + strconv.Itoa(d.i))
}

func (d *decoder) eofError() error {
	return serializationError("Malformed JSON: unexpected end of input")
}

// typeError reports a value of the wrong type in the words of AWS's JSON
// services, e.g. "STRING_VALUE can not be converted to an Integer".
func (d *decoder) typeError(want string) error {
	if d.i >= len(d.s) {
		return d.eofError()
	}
	var token string
	switch c := d.s[d.i]; {
	case c == '{':
		return serializationError("Start of structure or map found where not expected.")
	case c == '[':
		return serializationError("Start of list found where not expected.")
	case c == '"':
		token = "STRING_VALUE"
	case c == 't':
		token = "TRUE_VALUE"
	case c == 'f':
		token = "FALSE_VALUE"
	case c == '-' || (c >= '0' && c <= '9'):
		token = "NUMBER_VALUE"
	default:
		return d.syntaxError("unexpected character " + strconv.QuoteRune(rune(c)))
	}
	article := " a "
	switch want[0] {
	case 'A', 'E', 'I', 'O', 'U':
		article = " an "
	}
	return serializationError(token + " can not be converted to" + article + want)
}

func (d *decoder) skipWS() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) literal(word string) bool {
	if len(d.s)-d.i >= len(word) && d.s[d.i:d.i+len(word)] == word {
		d.i += len(word)
		return true
	}
	return false
}

func (d *decoder) push() error {
	d.depth++
	if d.depth > MaxDepth {
		return serializationError("Malformed JSON: nesting deeper than " + strconv.Itoa(MaxDepth) + " levels")
	}
	return nil
}

// decodeStruct reads an object into the struct at p; the scanner is at '{'.
func (d *decoder) decodeStruct(sp *structPlan, p unsafe.Pointer) error {
	if err := d.push(); err != nil {
		return err
	}
	d.i++
	d.skipWS()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		d.skipWS()
		if d.i >= len(d.s) {
			return d.eofError()
		}
		if d.s[d.i] != '"' {
			return d.syntaxError("expected a member name")
		}
		name, err := d.readString()
		if err != nil {
			return err
		}
		if err := d.colon(); err != nil {
			return err
		}
		if f := sp.lookup(name); f == nil {
			if err := d.skipValue(); err != nil {
				return err
			}
		} else if d.s[d.i] == 'n' {
			if !d.literal("null") {
				return d.syntaxError("invalid literal")
			}
		} else if err := f.dec(d, unsafe.Add(p, f.offset)); err != nil {
			return err
		}
		if done, err := d.next('}'); done || err != nil {
			return err
		}
	}
}

// colon consumes the ':' after a member name and the white space after it,
// and makes sure a value follows.
func (d *decoder) colon() error {
	d.skipWS()
	if d.i >= len(d.s) {
		return d.eofError()
	}
	if d.s[d.i] != ':' {
		return d.syntaxError("expected ':'")
	}
	d.i++
	d.skipWS()
	if d.i >= len(d.s) {
		return d.eofError()
	}
	return nil
}

// next consumes ',' (more to come) or the closing byte (done).
func (d *decoder) next(closing byte) (done bool, err error) {
	d.skipWS()
	if d.i >= len(d.s) {
		return true, d.eofError()
	}
	switch d.s[d.i] {
	case ',':
		d.i++
		return false, nil
	case closing:
		d.i++
		d.depth--
		return true, nil
	}
	return true, d.syntaxError("expected ',' or '" + string(closing) + "'")
}

// readString reads a string token; the scanner is at its opening quote.
func (d *decoder) readString() (string, error) {
	start := d.i + 1
	for i := start; i < len(d.s); i++ {
		c := d.s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return d.s[start:i], nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return d.readStringSlow(start)
		}
	}
	d.i = len(d.s)
	return "", d.eofError()
}

// readStringSlow handles escapes, control characters and non-ASCII text;
// invalid UTF-8 becomes U+FFFD as in every JSON decoder the SDKs talk to.
func (d *decoder) readStringSlow(start int) (string, error) {
	buf := d.scratch[:0]
	i := start
	for i < len(d.s) {
		c := d.s[i]
		switch {
		case c == '"':
			d.i = i + 1
			d.scratch = buf
			return string(buf), nil
		case c < 0x20:
			d.i = i
			return "", d.syntaxError("control character in string")
		case c == '\\':
			if i+1 >= len(d.s) {
				d.i = len(d.s)
				return "", d.eofError()
			}
			i++
			switch d.s[i] {
			case '"', '\\', '/':
				buf = append(buf, d.s[i])
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(d.s, i+1)
				if !ok {
					d.i = i
					return "", d.syntaxError("invalid \\u escape")
				}
				i += 4
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(d.s, i+3); ok && i+2 < len(d.s) && d.s[i+1] == '\\' && d.s[i+2] == 'u' {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							r = dec
							i += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				d.i = i
				return "", d.syntaxError("invalid escape")
			}
			i++
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(d.s[i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, d.s[i:i+size]...)
			}
			i += size
		}
	}
	d.i = len(d.s)
	return "", d.eofError()
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// readNumber reads a number token as JSON's grammar defines it and returns
// its text.
func (d *decoder) readNumber() (string, error) {
	start := d.i
	i := d.i
	if i < len(d.s) && d.s[i] == '-' {
		i++
	}
	switch {
	case i < len(d.s) && d.s[i] == '0':
		i++
	case i < len(d.s) && d.s[i] >= '1' && d.s[i] <= '9':
		for i < len(d.s) && d.s[i] >= '0' && d.s[i] <= '9' {
			i++
		}
	default:
		d.i = i
		return "", d.syntaxError("invalid number")
	}
	if i < len(d.s) && d.s[i] == '.' {
		i++
		if i >= len(d.s) || d.s[i] < '0' || d.s[i] > '9' {
			d.i = i
			return "", d.syntaxError("invalid number")
		}
		for i < len(d.s) && d.s[i] >= '0' && d.s[i] <= '9' {
			i++
		}
	}
	if i < len(d.s) && (d.s[i] == 'e' || d.s[i] == 'E') {
		i++
		if i < len(d.s) && (d.s[i] == '+' || d.s[i] == '-') {
			i++
		}
		if i >= len(d.s) || d.s[i] < '0' || d.s[i] > '9' {
			d.i = i
			return "", d.syntaxError("invalid number")
		}
		for i < len(d.s) && d.s[i] >= '0' && d.s[i] <= '9' {
			i++
		}
	}
	d.i = i
	return d.s[start:i], nil
}

// skipValue checks and skips one value of any type.
func (d *decoder) skipValue() error {
	if d.i >= len(d.s) {
		return d.eofError()
	}
	switch c := d.s[d.i]; {
	case c == '"':
		_, err := d.readString()
		return err
	case c == '{':
		if err := d.push(); err != nil {
			return err
		}
		d.i++
		d.skipWS()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			d.depth--
			return nil
		}
		for {
			d.skipWS()
			if d.i >= len(d.s) {
				return d.eofError()
			}
			if d.s[d.i] != '"' {
				return d.syntaxError("expected a member name")
			}
			if _, err := d.readString(); err != nil {
				return err
			}
			if err := d.colon(); err != nil {
				return err
			}
			if err := d.skipValue(); err != nil {
				return err
			}
			if done, err := d.next('}'); done || err != nil {
				return err
			}
		}
	case c == '[':
		if err := d.push(); err != nil {
			return err
		}
		d.i++
		d.skipWS()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			d.depth--
			return nil
		}
		for {
			d.skipWS()
			if err := d.skipValue(); err != nil {
				return err
			}
			if done, err := d.next(']'); done || err != nil {
				return err
			}
		}
	case c == 't':
		if d.literal("true") {
			return nil
		}
	case c == 'f':
		if d.literal("false") {
			return nil
		}
	case c == 'n':
		if d.literal("null") {
			return nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := d.readNumber()
		return err
	}
	return d.syntaxError("unexpected character")
}
