package jsoncodec

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/model"
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

// Building the decoder of a Go type.

func (b *builder) decoderFor(t reflect.Type, f *model.Field) decFn {
	switch t.Kind() {
	case reflect.Pointer:
		return b.pointerDecoder(t, f)
	case reflect.String:
		return decString
	case reflect.Bool:
		return decBool
	case reflect.Int32:
		return decInt32
	case reflect.Int64:
		return decInt64
	case reflect.Int:
		return decInt
	case reflect.Float32:
		return decFloat32
	case reflect.Float64:
		return decFloat64
	case reflect.Slice:
		if t == rawType {
			return decRaw
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return decBlob
		}
		return b.listDecoder(t)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return decUnsupported
		}
		return b.mapDecoder(t)
	case reflect.Struct:
		if t == timeType {
			return timeDecoder(timestampFormat(f))
		}
		sp := b.structPlan(t)
		return func(d *decoder, p unsafe.Pointer) error {
			if d.s[d.i] != '{' {
				return d.typeError("Structure")
			}
			return d.decodeStruct(sp, p)
		}
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return decDocument
		}
	}
	return decUnsupported
}

func decUnsupported(d *decoder, _ unsafe.Pointer) error { return d.skipValue() }

func (b *builder) pointerDecoder(t reflect.Type, f *model.Field) decFn {
	elem := t.Elem()
	if t == stringPType {
		return decStringPtr
	}
	if elem.Kind() == reflect.Struct && elem != timeType {
		sp := b.structPlan(elem)
		return func(d *decoder, p unsafe.Pointer) error {
			if d.s[d.i] != '{' {
				return d.typeError("Structure")
			}
			np := reflect.New(elem).UnsafePointer()
			*(*unsafe.Pointer)(p) = np
			return d.decodeStruct(sp, np)
		}
	}
	inner := b.decoderFor(elem, f)
	return func(d *decoder, p unsafe.Pointer) error {
		np := reflect.New(elem).UnsafePointer()
		if err := inner(d, np); err != nil {
			return err
		}
		*(*unsafe.Pointer)(p) = np
		return nil
	}
}

func decString(d *decoder, p unsafe.Pointer) error {
	if d.s[d.i] != '"' {
		return d.typeError("String")
	}
	s, err := d.readString()
	*(*string)(p) = s
	return err
}

const slabSize = 32

// decStringPtr hands out string cells from a slab: one allocation per 32
// string members instead of one each.
func decStringPtr(d *decoder, p unsafe.Pointer) error {
	if d.s[d.i] != '"' {
		return d.typeError("String")
	}
	s, err := d.readString()
	if err != nil {
		return err
	}
	if len(d.strings) == 0 {
		d.strings = make([]string, slabSize)
	}
	cell := &d.strings[0]
	d.strings = d.strings[1:]
	*cell = s
	*(**string)(p) = cell
	return nil
}

func decBool(d *decoder, p unsafe.Pointer) error {
	switch {
	case d.literal("true"):
		*(*bool)(p) = true
	case d.literal("false"):
		*(*bool)(p) = false
	default:
		return d.typeError("Boolean")
	}
	return nil
}

func (d *decoder) integer(want string, bits int) (int64, error) {
	c := d.s[d.i]
	if c != '-' && (c < '0' || c > '9') {
		return 0, d.typeError(want)
	}
	text, err := d.readNumber()
	if err != nil {
		return 0, err
	}
	if n, err := strconv.ParseInt(text, 10, bits); err == nil {
		return n, nil
	}
	// 5.0 and 1e3 are integers too; 1.5 and out-of-range values are not.
	x, err := strconv.ParseFloat(text, 64)
	limit := math.Ldexp(1, bits-1)
	if err != nil || x != math.Trunc(x) || x < -limit || x >= limit {
		return 0, serializationError("NUMBER_VALUE can not be converted to " + articled(want) + ": " + text)
	}
	return int64(x), nil
}

func articled(s string) string {
	switch s[0] {
	case 'A', 'E', 'I', 'O', 'U':
		return "an " + s
	}
	return "a " + s
}

func decInt32(d *decoder, p unsafe.Pointer) error {
	n, err := d.integer("Integer", 32)
	*(*int32)(p) = int32(n)
	return err
}

func decInt64(d *decoder, p unsafe.Pointer) error {
	n, err := d.integer("Long", 64)
	*(*int64)(p) = n
	return err
}

func decInt(d *decoder, p unsafe.Pointer) error {
	n, err := d.integer("Long", strconv.IntSize)
	*(*int)(p) = int(n)
	return err
}

// float reads a number, or the strings AWS uses for the values JSON cannot
// spell: "NaN", "Infinity", "-Infinity".
func (d *decoder) float(want string, bits int) (float64, error) {
	c := d.s[d.i]
	if c == '"' {
		s, err := d.readString()
		if err != nil {
			return 0, err
		}
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return 0, serializationError("STRING_VALUE can not be converted to " + articled(want))
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, d.typeError(want)
	}
	text, err := d.readNumber()
	if err != nil {
		return 0, err
	}
	x, err := strconv.ParseFloat(text, bits)
	if err != nil && !math.IsInf(x, 0) {
		return 0, serializationError("NUMBER_VALUE can not be converted to " + articled(want) + ": " + text)
	}
	return x, nil
}

func decFloat32(d *decoder, p unsafe.Pointer) error {
	x, err := d.float("Float", 32)
	*(*float32)(p) = float32(x)
	return err
}

func decFloat64(d *decoder, p unsafe.Pointer) error {
	x, err := d.float("Double", 64)
	*(*float64)(p) = x
	return err
}

func decBlob(d *decoder, p unsafe.Pointer) error {
	if d.s[d.i] != '"' {
		return d.typeError("Blob")
	}
	s, err := d.readString()
	if err != nil {
		return err
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(s))) // never less than StdEncoding needs
	// The decoders only read their source, so it may alias the string.
	src := unsafe.Slice(unsafe.StringData(s), len(s))
	n, err := base64.StdEncoding.Decode(out, src)
	if err != nil {
		// Some clients leave out the padding; AWS accepts that too.
		n, err = base64.RawStdEncoding.Decode(out, src)
		if err != nil {
			return serializationError("Base64 encoded value is not valid: '" + truncate(s, 64) + "'")
		}
	}
	*(*[]byte)(p) = out[:n]
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// decRaw and decDocument keep a JSON value as it came, as a
// json.RawMessage; services unmarshal documents themselves.
func decRaw(d *decoder, p unsafe.Pointer) error {
	raw, err := d.rawValue()
	*(*json.RawMessage)(p) = raw
	return err
}

func decDocument(d *decoder, p unsafe.Pointer) error {
	raw, err := d.rawValue()
	if err == nil {
		*(*any)(p) = raw
	}
	return err
}

func (d *decoder) rawValue() (json.RawMessage, error) {
	start := d.i
	if err := d.skipValue(); err != nil {
		return nil, err
	}
	return json.RawMessage(d.s[start:d.i]), nil
}

func timeDecoder(format tsFormat) decFn {
	return func(d *decoder, p unsafe.Pointer) error {
		c := d.s[d.i]
		if c == '"' {
			s, err := d.readString()
			if err != nil {
				return err
			}
			t, ok := parseTimeString(s, format)
			if !ok {
				return serializationError("Invalid timestamp: '" + truncate(s, 64) + "'")
			}
			*(*time.Time)(p) = t
			return nil
		}
		if c != '-' && (c < '0' || c > '9') {
			return d.typeError("Timestamp")
		}
		text, err := d.readNumber()
		if err != nil {
			return err
		}
		t, ok := epochTime(text)
		if !ok {
			return serializationError("NUMBER_VALUE can not be converted to a Timestamp: " + text)
		}
		*(*time.Time)(p) = t
		return nil
	}
}

// epochTime reads epoch seconds with an optional fraction. Plain decimals
// are read digit by digit, exact to the nanosecond; with an exponent the
// value goes through a float and is rounded to the microsecond, which is
// all a double holds for present-day times.
func epochTime(text string) (time.Time, bool) {
	intPart, frac, hasFrac := strings.Cut(text, ".")
	if !strings.ContainsAny(text, "eE") {
		sec, err := strconv.ParseInt(intPart, 10, 64)
		if err != nil || sec > 1e12 || sec < -1e12 {
			return time.Time{}, false
		}
		var nsec int64
		if hasFrac {
			if frac == "" || strings.Trim(frac, "0123456789") != "" {
				return time.Time{}, false
			}
			for i := 0; i < 9; i++ {
				nsec *= 10
				if i < len(frac) {
					nsec += int64(frac[i] - '0')
				}
			}
			if strings.HasPrefix(intPart, "-") {
				nsec = -nsec
			}
		}
		return time.Unix(sec, nsec).UTC(), true
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil || math.Abs(x) > 1e12 {
		return time.Time{}, false
	}
	sec := math.Floor(x)
	usec := math.Round((x - sec) * 1e6)
	return time.Unix(int64(sec), int64(usec)*1000).UTC(), true
}

// parseTimeString accepts ISO 8601 (RFC 3339, with or without fraction) and
// HTTP dates, whatever the member's declared format, because clients differ.
func parseTimeString(s string, format tsFormat) (time.Time, bool) {
	if format == tsHTTPDate {
		if t, err := http.ParseTime(s); err == nil {
			return t.UTC(), true
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t.UTC(), true
	}
	if t, err := http.ParseTime(s); err == nil {
		return t.UTC(), true
	}
	if t, ok := epochTime(s); ok {
		return t, true
	}
	return time.Time{}, false
}

func (b *builder) listDecoder(t reflect.Type) decFn {
	elem := t.Elem()
	elemDec := b.decoderFor(elem, nil)
	elemSize := elem.Size()
	return func(d *decoder, p unsafe.Pointer) error {
		if d.s[d.i] != '[' {
			return d.typeError("List")
		}
		if err := d.push(); err != nil {
			return err
		}
		d.i++
		sv := reflect.NewAt(t, p).Elem()
		// A present but empty list stays non-nil, so that "required" sees it.
		hdr := (*sliceHeader)(p)
		hdr.data, hdr.len, hdr.cap = unsafe.Pointer(&emptyArray), 0, 0
		d.skipWS()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			d.depth--
			return nil
		}
		for n := 0; ; n++ {
			d.skipWS()
			if d.i >= len(d.s) {
				return d.eofError()
			}
			if n == hdr.cap {
				// Start at four elements: most lists are short, and
				// growing one by one would cost an allocation each.
				sv.Grow(max(n, 4))
			}
			hdr.len = n + 1
			if d.s[d.i] == 'n' {
				if !d.literal("null") {
					return d.syntaxError("invalid literal")
				}
			} else if err := elemDec(d, unsafe.Add(hdr.data, uintptr(n)*elemSize)); err != nil {
				return err
			}
			if done, err := d.next(']'); done || err != nil {
				return err
			}
		}
	}
}

// emptyArray gives present-but-empty slices a non-nil data pointer.
var emptyArray [0]uint64

// mapScratch is the reusable key and value cell a map decoder fills before
// each SetMapIndex (which copies them). Maps are not sized in advance: the
// runtime stores values of more than 128 bytes (AttributeValue) out of line
// anyway, so collecting entries first saves little and costs a copy.
type mapScratch struct {
	key, val reflect.Value
	valPtr   unsafe.Pointer
}

func newScratchPool(t reflect.Type) *sync.Pool {
	return &sync.Pool{New: func() any {
		s := &mapScratch{key: reflect.New(t.Key()).Elem(), val: reflect.New(t.Elem()).Elem()}
		s.valPtr = s.val.Addr().UnsafePointer()
		return s
	}}
}

func (b *builder) mapDecoder(t reflect.Type) decFn {
	elemDec := b.decoderFor(t.Elem(), nil)
	scratch := newScratchPool(t)
	return func(d *decoder, p unsafe.Pointer) error {
		if d.s[d.i] != '{' {
			return d.typeError("Map")
		}
		if err := d.push(); err != nil {
			return err
		}
		d.i++
		mv := reflect.NewAt(t, p).Elem()
		if mv.IsNil() {
			mv.Set(reflect.MakeMap(t))
		}
		d.skipWS()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			d.depth--
			return nil
		}
		sc := scratch.Get().(*mapScratch)
		defer func() {
			sc.val.SetZero() // drop references before pooling
			scratch.Put(sc)
		}()
		for {
			d.skipWS()
			if d.i >= len(d.s) {
				return d.eofError()
			}
			if d.s[d.i] != '"' {
				return d.syntaxError("expected a map key")
			}
			k, err := d.readString()
			if err != nil {
				return err
			}
			if err := d.colon(); err != nil {
				return err
			}
			sc.val.SetZero()
			if d.s[d.i] == 'n' {
				if !d.literal("null") {
					return d.syntaxError("invalid literal")
				}
			} else if err := elemDec(d, sc.valPtr); err != nil {
				return err
			}
			sc.key.SetString(k)
			mv.SetMapIndex(sc.key, sc.val)
			if done, err := d.next('}'); done || err != nil {
				return err
			}
		}
	}
}
