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
	"unsafe"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

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
