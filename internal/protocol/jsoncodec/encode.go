package jsoncodec

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

// Append appends the JSON object of v (a generated struct or a pointer to
// one; nil gives {}) to dst, writing every member that is set.
func Append(dst []byte, v any) []byte { return appendValue(dst, v, false) }

// AppendBody is Append for the body of a REST response: members bound to
// headers or the status code are left out.
func AppendBody(dst []byte, v any) []byte { return appendValue(dst, v, true) }

// Marshal returns the JSON object of v.
func Marshal(v any) []byte { return Append(nil, v) }

func appendValue(dst []byte, v any, bodyOnly bool) []byte {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return append(dst, '{', '}')
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return append(dst, '{', '}')
	}
	e := encoder{b: dst}
	sp := planOf(rv.Type(), bodyOnly)
	if rv.CanAddr() {
		e.encodeStruct(sp, rv.Addr().UnsafePointer())
	} else {
		// A struct passed by value: encode a copy we can point at.
		cp := reflect.New(rv.Type())
		cp.Elem().Set(rv)
		e.encodeStruct(sp, cp.UnsafePointer())
	}
	return e.b
}

// Buffer is a pooled byte buffer for response bodies.
type Buffer struct{ B []byte }

var bufferPool = sync.Pool{New: func() any { return &Buffer{B: make([]byte, 0, 4096)} }}

// GetBuffer returns an empty buffer from the pool.
func GetBuffer() *Buffer {
	b := bufferPool.Get().(*Buffer)
	b.B = b.B[:0]
	return b
}

// Release returns the buffer to the pool; very large buffers are dropped so
// one big response does not pin its memory forever.
func (b *Buffer) Release() {
	if cap(b.B) <= 1<<20 {
		bufferPool.Put(b)
	}
}

type encoder struct {
	b []byte
}

func (e *encoder) encodeStruct(sp *structPlan, p unsafe.Pointer) {
	e.b = append(e.b, '{')
	first := true
	for i := range sp.fields {
		f := &sp.fields[i]
		fp := unsafe.Add(p, f.offset)
		if isEmpty(f.empty, fp) {
			continue
		}
		if !first {
			e.b = append(e.b, ',')
		}
		first = false
		e.b = append(e.b, f.key...)
		f.enc(e, fp)
	}
	e.b = append(e.b, '}')
}

func (b *builder) encoderFor(t reflect.Type, f *model.Field) encFn {
	switch t.Kind() {
	case reflect.Pointer:
		elem := t.Elem()
		if elem.Kind() == reflect.Struct && elem != timeType {
			sp := b.structPlan(elem)
			return func(e *encoder, p unsafe.Pointer) {
				e.encodeStruct(sp, *(*unsafe.Pointer)(p))
			}
		}
		inner := b.encoderFor(elem, f)
		return func(e *encoder, p unsafe.Pointer) {
			q := *(*unsafe.Pointer)(p)
			if q == nil {
				e.b = append(e.b, "null"...)
				return
			}
			inner(e, q)
		}
	case reflect.String:
		return func(e *encoder, p unsafe.Pointer) { e.b = appendString(e.b, *(*string)(p)) }
	case reflect.Bool:
		return func(e *encoder, p unsafe.Pointer) { e.b = strconv.AppendBool(e.b, *(*bool)(p)) }
	case reflect.Int32:
		return func(e *encoder, p unsafe.Pointer) { e.b = strconv.AppendInt(e.b, int64(*(*int32)(p)), 10) }
	case reflect.Int64:
		return func(e *encoder, p unsafe.Pointer) { e.b = strconv.AppendInt(e.b, *(*int64)(p), 10) }
	case reflect.Int:
		return func(e *encoder, p unsafe.Pointer) { e.b = strconv.AppendInt(e.b, int64(*(*int)(p)), 10) }
	case reflect.Float32:
		return func(e *encoder, p unsafe.Pointer) { e.b = appendFloat(e.b, float64(*(*float32)(p)), 32) }
	case reflect.Float64:
		return func(e *encoder, p unsafe.Pointer) { e.b = appendFloat(e.b, *(*float64)(p), 64) }
	case reflect.Slice:
		if t == rawType {
			return func(e *encoder, p unsafe.Pointer) { e.b = appendRaw(e.b, *(*json.RawMessage)(p)) }
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return func(e *encoder, p unsafe.Pointer) {
				e.b = append(e.b, '"')
				e.b = base64.StdEncoding.AppendEncode(e.b, *(*[]byte)(p))
				e.b = append(e.b, '"')
			}
		}
		return b.listEncoder(t)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return encNull
		}
		return b.mapEncoder(t)
	case reflect.Struct:
		if t == timeType {
			format := timestampFormat(f)
			return func(e *encoder, p unsafe.Pointer) { e.b = appendTime(e.b, *(*time.Time)(p), format) }
		}
		sp := b.structPlan(t)
		return func(e *encoder, p unsafe.Pointer) { e.encodeStruct(sp, p) }
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return func(e *encoder, p unsafe.Pointer) { e.b = appendDocument(e.b, *(*any)(p)) }
		}
	}
	return encNull
}

func encNull(e *encoder, _ unsafe.Pointer) { e.b = append(e.b, "null"...) }

func (b *builder) listEncoder(t reflect.Type) encFn {
	elem := t.Elem()
	elemEnc := b.encoderFor(elem, nil)
	elemSize := elem.Size()
	return func(e *encoder, p unsafe.Pointer) {
		hdr := (*sliceHeader)(p)
		e.b = append(e.b, '[')
		for i := 0; i < hdr.len; i++ {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			elemEnc(e, unsafe.Add(hdr.data, uintptr(i)*elemSize))
		}
		e.b = append(e.b, ']')
	}
}

func (b *builder) mapEncoder(t reflect.Type) encFn {
	elemEnc := b.encoderFor(t.Elem(), nil)
	scratch := newScratchPool(t)
	return func(e *encoder, p unsafe.Pointer) {
		mv := reflect.NewAt(t, p).Elem()
		e.b = append(e.b, '{')
		if mv.Len() > 0 {
			sc := scratch.Get().(*mapScratch)
			var it reflect.MapIter
			it.Reset(mv)
			first := true
			for it.Next() {
				if !first {
					e.b = append(e.b, ',')
				}
				first = false
				sc.key.SetIterKey(&it)
				sc.val.SetIterValue(&it)
				e.b = appendString(e.b, sc.key.String())
				e.b = append(e.b, ':')
				elemEnc(e, sc.valPtr)
			}
			// Drop the references so pooled cells do not keep data alive.
			sc.val.SetZero()
			scratch.Put(sc)
		}
		e.b = append(e.b, '}')
	}
}

// appendFloat writes a number the way the SDKs read it back, and the
// strings AWS uses for values JSON cannot spell.
func appendFloat(b []byte, x float64, bits int) []byte {
	switch {
	case math.IsNaN(x):
		return append(b, `"NaN"`...)
	case math.IsInf(x, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(x, -1):
		return append(b, `"-Infinity"`...)
	}
	abs := math.Abs(x)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, x, format, -1, bits)
}

// appendTime writes a timestamp: epoch seconds with milliseconds (the JSON
// protocols' default), or a string in the member's declared format.
func appendTime(b []byte, t time.Time, format tsFormat) []byte {
	switch format {
	case tsISO8601:
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.999Z")
		return append(b, '"')
	case tsHTTPDate:
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, http.TimeFormat)
		return append(b, '"')
	}
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(b, ms/1000, 10)
	}
	return strconv.AppendFloat(b, float64(ms)/1000, 'f', -1, 64)
}

func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 || !json.Valid(raw) {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

// appendDocument writes a document member: raw JSON as it is, anything else
// through encoding/json.
func appendDocument(b []byte, v any) []byte {
	switch x := v.(type) {
	case json.RawMessage:
		return appendRaw(b, x)
	case nil:
		return append(b, "null"...)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, out...)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD so
// the output is always valid JSON.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendString appends s as a JSON string.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }
