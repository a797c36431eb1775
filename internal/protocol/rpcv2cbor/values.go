package rpcv2cbor

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

// structInfo lists the members of a struct type that travel in a CBOR
// body, with a lookup by wire name.
type structInfo struct {
	fields []*model.Field
	byName map[string]*model.Field
}

var infos sync.Map // reflect.Type -> *structInfo

var (
	timeType   = reflect.TypeFor[time.Time]()
	readerType = reflect.TypeFor[io.Reader]()
	rawType    = reflect.TypeFor[json.RawMessage]()
)

func infoOf(t reflect.Type) *structInfo {
	if si, ok := infos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: map[string]*model.Field{}}
	for _, f := range model.StructOf(t).Fields {
		if f.Streaming || (f.Type.Kind() == reflect.Interface && f.Type.NumMethod() > 0 && f.Type.Implements(readerType)) {
			continue
		}
		si.fields = append(si.fields, f)
		si.byName[f.Name] = f
	}
	actual, _ := infos.LoadOrStore(t, si)
	return actual.(*structInfo)
}

var majorNames = [8]string{"unsigned integer", "negative integer", "byte string", "text string", "array", "map", "tag", "simple value or float"}

func (r *reader) typeError(want string, h head) error {
	return serializationError("Expected " + articled(want) + " but found a CBOR " + majorNames[h.major&7])
}

func articled(s string) string {
	switch s[0] {
	case 'A', 'E', 'I', 'O', 'U':
		return "an " + s
	}
	return "a " + s
}

// decodeStruct reads a map into the struct v (settable).
func (r *reader) decodeStruct(v reflect.Value) error {
	h, err := r.readHead()
	if err != nil {
		return err
	}
	if h.major != majorMap {
		return r.typeError("Structure", h)
	}
	if err := r.push(); err != nil {
		return err
	}
	defer r.pop()
	si := infoOf(v.Type())
	return r.eachEntry(h, func() error {
		name, err := r.readText()
		if err != nil {
			return err
		}
		f := si.byName[name]
		if f == nil {
			return r.skip()
		}
		return r.decodeValue(v.Field(f.Index), f)
	})
}

// eachEntry calls fn once per entry of a map (or element of an array)
// whose head is h.
func (r *reader) eachEntry(h head, fn func() error) error {
	if h.indefinite {
		for {
			done, err := r.atBreak()
			if err != nil || done {
				return err
			}
			if err := fn(); err != nil {
				return err
			}
		}
	}
	// Every entry takes at least a byte: a count beyond the input is a lie.
	if h.arg > uint64(len(r.b)-r.i) {
		return r.errorf("container longer than the input")
	}
	for n := h.arg; n > 0; n-- {
		if err := fn(); err != nil {
			return err
		}
	}
	return nil
}

// decodeValue reads one item into v (settable) of a member described by f
// (nil inside lists and maps). Null and undefined leave v as it is.
func (r *reader) decodeValue(v reflect.Value, f *model.Field) error {
	c, ok := r.peek()
	if !ok {
		return r.errorf("unexpected end of input")
	}
	if c == simpleNull || c == simpleUndefined {
		r.i++
		return nil
	}
	t := v.Type()
	switch t.Kind() {
	case reflect.Pointer:
		nv := reflect.New(t.Elem())
		if err := r.decodeValue(nv.Elem(), f); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	case reflect.Struct:
		if t == timeType {
			return r.decodeTime(v)
		}
		return r.decodeStruct(v)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return r.skip()
		}
		x, err := r.decodeAny()
		if err == nil && x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return err
	case reflect.String, reflect.Bool, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int,
		reflect.Float32, reflect.Float64, reflect.Slice, reflect.Map:
	default:
		return r.skip() // not a member type the models produce
	}
	h, err := r.readHead()
	if err != nil {
		return err
	}
	switch t.Kind() {
	case reflect.String:
		if h.major != majorText {
			return r.typeError("String", h)
		}
		s, err := r.readStringBody(h)
		if err != nil {
			return err
		}
		if !utf8.Valid(s) {
			return r.errorf("text string is not valid UTF-8")
		}
		v.SetString(string(s))
	case reflect.Bool:
		switch {
		case h.major == majorSimple && h.info == 20:
			v.SetBool(false)
		case h.major == majorSimple && h.info == 21:
			v.SetBool(true)
		default:
			return r.typeError("Boolean", h)
		}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		n, ok := integerOf(r, h)
		if !ok || v.OverflowInt(n) {
			return r.typeError(intName(t), h)
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		x, ok := r.floatOf(h)
		switch {
		case ok:
		case h.major == majorUint:
			x = float64(h.arg)
		case h.major == majorNegint:
			x = -1 - float64(h.arg)
		default:
			return r.typeError(floatName(t), h)
		}
		v.SetFloat(x)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			if h.major != majorBytes {
				return r.typeError("Blob", h)
			}
			s, err := r.readStringBody(h)
			if err != nil {
				return err
			}
			v.SetBytes(append([]byte{}, s...))
			return nil
		}
		if h.major != majorArray {
			return r.typeError("List", h)
		}
		if err := r.push(); err != nil {
			return err
		}
		defer r.pop()
		list := reflect.MakeSlice(t, 0, 0)
		err := r.eachEntry(h, func() error {
			list = reflect.Append(list, reflect.Zero(t.Elem()))
			return r.decodeValue(list.Index(list.Len()-1), nil)
		})
		if err != nil {
			return err
		}
		v.Set(list)
	case reflect.Map:
		if h.major != majorMap || t.Key().Kind() != reflect.String {
			return r.typeError("Map", h)
		}
		if err := r.push(); err != nil {
			return err
		}
		defer r.pop()
		m := reflect.MakeMap(t)
		key := reflect.New(t.Key()).Elem()
		val := reflect.New(t.Elem()).Elem()
		err := r.eachEntry(h, func() error {
			k, err := r.readText()
			if err != nil {
				return err
			}
			val.SetZero()
			if err := r.decodeValue(val, nil); err != nil {
				return err
			}
			key.SetString(k)
			m.SetMapIndex(key, val)
			return nil
		})
		if err != nil {
			return err
		}
		v.Set(m)
	}
	return nil
}

func integerOf(r *reader, h head) (int64, bool) {
	switch h.major {
	case majorUint:
		if h.arg > math.MaxInt64 {
			return 0, false
		}
		return int64(h.arg), true
	case majorNegint:
		if h.arg > math.MaxInt64 {
			return 0, false
		}
		return -1 - int64(h.arg), true
	case majorSimple:
		// 5.0 is an integer too; 5.5 is not.
		if x, ok := r.floatOf(h); ok && x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	}
	return 0, false
}

func intName(t reflect.Type) string {
	if t.Kind() == reflect.Int32 {
		return "Integer"
	}
	return "Long"
}

func floatName(t reflect.Type) string {
	if t.Kind() == reflect.Float32 {
		return "Float"
	}
	return "Double"
}

// decodeTime reads a timestamp: tag 1 around epoch seconds (integer or
// float); an untagged number is taken as epoch seconds too.
func (r *reader) decodeTime(v reflect.Value) error {
	h, err := r.readHead()
	if err != nil {
		return err
	}
	if h.major == majorTag {
		if h.arg != tagEpoch {
			return serializationError("Unsupported CBOR tag for a Timestamp: " + itoa(h.arg))
		}
		if h, err = r.readHead(); err != nil {
			return err
		}
	}
	var t time.Time
	switch h.major {
	case majorUint, majorNegint:
		n, ok := integerOf(r, h)
		if !ok {
			return r.typeError("Timestamp", h)
		}
		t = time.Unix(n, 0)
	case majorSimple:
		x, ok := r.floatOf(h)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e12 {
			return r.typeError("Timestamp", h)
		}
		sec := math.Floor(x)
		t = time.Unix(int64(sec), int64(math.Round((x-sec)*1e6))*1000)
	default:
		return r.typeError("Timestamp", h)
	}
	v.Set(reflect.ValueOf(t.UTC()))
	return nil
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// decodeAny reads a document value as plain Go values: map[string]any,
// []any, string, []byte, int64, float64, bool, time.Time or nil.
func (r *reader) decodeAny() (any, error) {
	h, err := r.readHead()
	if err != nil {
		return nil, err
	}
	switch h.major {
	case majorUint, majorNegint:
		if n, ok := integerOf(r, h); ok {
			return n, nil
		}
		if h.major == majorUint {
			return float64(h.arg), nil
		}
		return -1 - float64(h.arg), nil
	case majorBytes:
		s, err := r.readStringBody(h)
		return append([]byte{}, s...), err
	case majorText:
		s, err := r.readStringBody(h)
		if err == nil && !utf8.Valid(s) {
			return nil, r.errorf("text string is not valid UTF-8")
		}
		return string(s), err
	case majorArray:
		if err := r.push(); err != nil {
			return nil, err
		}
		defer r.pop()
		list := []any{}
		err := r.eachEntry(h, func() error {
			x, err := r.decodeAny()
			list = append(list, x)
			return err
		})
		return list, err
	case majorMap:
		if err := r.push(); err != nil {
			return nil, err
		}
		defer r.pop()
		m := map[string]any{}
		err := r.eachEntry(h, func() error {
			k, err := r.readText()
			if err != nil {
				return err
			}
			x, err := r.decodeAny()
			m[k] = x
			return err
		})
		return m, err
	case majorTag:
		if err := r.push(); err != nil {
			return nil, err
		}
		defer r.pop()
		x, err := r.decodeAny()
		if err != nil || h.arg != tagEpoch {
			return x, err
		}
		switch n := x.(type) {
		case int64:
			return time.Unix(n, 0).UTC(), nil
		case float64:
			return time.UnixMilli(int64(math.Round(n * 1000))).UTC(), nil
		}
		return x, nil
	case majorSimple:
		switch h.info {
		case 20:
			return false, nil
		case 21:
			return true, nil
		case 22, 23:
			return nil, nil
		}
		if x, ok := r.floatOf(h); ok {
			return x, nil
		}
		return nil, nil
	}
	return nil, r.errorf("unknown major type")
}

// Encoding.

func isAbsent(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// appendStruct writes the struct v as a map of its set members.
func appendStruct(b []byte, v reflect.Value) []byte {
	si := infoOf(v.Type())
	n := 0
	for _, f := range si.fields {
		if !isAbsent(v.Field(f.Index)) {
			n++
		}
	}
	b = appendHead(b, majorMap, uint64(n))
	return appendFields(b, v, si, "")
}

// appendFields writes the key and value of every set member except skip.
func appendFields(b []byte, v reflect.Value, si *structInfo, skip string) []byte {
	for _, f := range si.fields {
		fv := v.Field(f.Index)
		if isAbsent(fv) || (skip != "" && f.Name == skip) {
			continue
		}
		b = appendText(b, f.Name)
		b = appendValue(b, fv)
	}
	return b
}

func appendValue(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, simpleNull)
		}
		return appendValue(b, v.Elem())
	case reflect.String:
		return appendText(b, v.String())
	case reflect.Bool:
		return appendBool(b, v.Bool())
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return appendInt(b, v.Int())
	case reflect.Float32:
		return appendFloat32(b, float32(v.Float()))
	case reflect.Float64:
		return appendFloat64(b, v.Float())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return appendBytes(b, v.Bytes())
		}
		b = appendHead(b, majorArray, uint64(v.Len()))
		for i := 0; i < v.Len(); i++ {
			b = appendValue(b, v.Index(i))
		}
		return b
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b = appendHead(b, majorMap, uint64(len(keys)))
		for _, k := range keys {
			b = appendText(b, k.String())
			b = appendValue(b, v.MapIndex(k))
		}
		return b
	case reflect.Struct:
		if v.Type() == timeType {
			return appendTime(b, v.Interface().(time.Time))
		}
		return appendStruct(b, v)
	case reflect.Interface:
		if v.IsNil() {
			return append(b, simpleNull)
		}
		return appendAny(b, v.Interface())
	}
	return append(b, simpleNull)
}

// appendTime writes tag 1 and epoch seconds: an integer when whole, else a
// double with millisecond precision.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, majorTag<<5|tagEpoch)
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return appendInt(b, ms/1000)
	}
	return appendFloat64(b, float64(ms)/1000)
}

// appendAny writes a document value built from plain Go values, or raw
// JSON (as the JSON codecs keep documents).
func appendAny(b []byte, x any) []byte {
	switch v := x.(type) {
	case nil:
		return append(b, simpleNull)
	case json.RawMessage:
		var decoded any
		d := json.NewDecoder(bytesReader(v))
		d.UseNumber()
		if d.Decode(&decoded) != nil {
			return append(b, simpleNull)
		}
		return appendAny(b, decoded)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return appendInt(b, n)
		}
		f, _ := v.Float64()
		return appendFloat64(b, f)
	case float64:
		return appendFloat64(b, v)
	case int64:
		return appendInt(b, v)
	case int:
		return appendInt(b, int64(v))
	case string:
		return appendText(b, v)
	case bool:
		return appendBool(b, v)
	case []byte:
		return appendBytes(b, v)
	case time.Time:
		return appendTime(b, v)
	case []any:
		b = appendHead(b, majorArray, uint64(len(v)))
		for _, e := range v {
			b = appendAny(b, e)
		}
		return b
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = appendHead(b, majorMap, uint64(len(keys)))
		for _, k := range keys {
			b = appendText(b, k)
			b = appendAny(b, v[k])
		}
		return b
	}
	return appendValue(b, reflect.ValueOf(x))
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
