// Package jsoncodec reads and writes the JSON form of generated AWS structs,
// following their `aws` tags (see internal/model): member wire names,
// timestamps as epoch seconds (or ISO 8601 / HTTP dates where the ts tag
// says so), blobs as base64, documents as raw JSON, lists, maps and nested
// structures. It serves the json, rest-json protocols and any codec that
// needs a JSON document of a structure.
//
// The decoder is a small scanner that writes straight into the typed struct
// through a plan worked out once per Go type (field offsets and one decode
// function per member), and is strict about types the way AWS services are:
// a string where a number belongs is a SerializationException. It never
// panics on any input and limits nesting depth. Strings without escapes are
// slices of one copy of the input, so decoding a DynamoDB item allocates
// little more than its pointers, maps and slices.
package jsoncodec

import (
	"encoding/json"
	"io"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

// decFn decodes the JSON value at the scanner's position into the Go value
// stored at p. The scanner has already skipped white space and knows the
// value is not null.
type decFn func(d *decoder, p unsafe.Pointer) error

// encFn appends the JSON form of the Go value stored at p.
type encFn func(e *encoder, p unsafe.Pointer)

// emptyKind says how to tell that a member is absent (and so is omitted).
type emptyKind uint8

const (
	emptyNever   emptyKind = iota // value structs and scalars: always written
	emptyPointer                  // pointers and maps: nil
	emptySlice                    // slices: nil (a non-nil empty slice is [])
	emptyIface                    // interfaces: nil
)

type structPlan struct {
	typ    reflect.Type
	fields []fieldPlan
	// byName finds a member by wire name; small structs are searched in
	// order, which is faster than hashing a handful of names.
	byName map[string]int
}

type fieldPlan struct {
	name   string
	key    string // `"name":` ready to append
	offset uintptr
	empty  emptyKind
	dec    decFn
	enc    encFn
}

func (sp *structPlan) lookup(name string) *fieldPlan {
	if sp.byName != nil {
		if i, ok := sp.byName[name]; ok {
			return &sp.fields[i]
		}
		return nil
	}
	for i := range sp.fields {
		if sp.fields[i].name == name {
			return &sp.fields[i]
		}
	}
	return nil
}

// Plans are kept per Go type, in two sets: every member (the json protocol
// and nested structures) and body members only (top-level REST structures,
// whose other members travel in the URI, query string and headers).
var (
	fullPlans sync.Map // reflect.Type -> *structPlan
	bodyPlans sync.Map // reflect.Type -> *structPlan
	buildMu   sync.Mutex
)

func planOf(t reflect.Type, bodyOnly bool) *structPlan {
	cache := &fullPlans
	if bodyOnly {
		cache = &bodyPlans
	}
	if p, ok := cache.Load(t); ok {
		return p.(*structPlan)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := cache.Load(t); ok {
		return p.(*structPlan)
	}
	b := &builder{building: map[reflect.Type]*structPlan{}}
	var sp *structPlan
	if bodyOnly {
		sp = b.buildStruct(t, true)
		cache.Store(t, sp)
	} else {
		sp = b.structPlan(t)
	}
	// Recursive types refer to plans still being built; they are published
	// together once all are complete.
	for typ, p := range b.building {
		fullPlans.Store(typ, p)
	}
	return sp
}

type builder struct {
	building map[reflect.Type]*structPlan
}

// structPlan returns the full plan of t, building it if needed. The plan is
// registered before its fields are filled in so recursive types end.
func (b *builder) structPlan(t reflect.Type) *structPlan {
	if p, ok := fullPlans.Load(t); ok {
		return p.(*structPlan)
	}
	if p, ok := b.building[t]; ok {
		return p
	}
	sp := &structPlan{typ: t}
	b.building[t] = sp
	b.fill(sp, false)
	return sp
}

func (b *builder) buildStruct(t reflect.Type, bodyOnly bool) *structPlan {
	sp := &structPlan{typ: t}
	b.fill(sp, bodyOnly)
	return sp
}

func (b *builder) fill(sp *structPlan, bodyOnly bool) {
	t := sp.typ
	for _, f := range model.StructOf(t).Fields {
		if f.Streaming || (bodyOnly && f.Location != "") {
			continue
		}
		if isReader(f.Type) {
			continue
		}
		sf := t.Field(f.Index)
		fp := fieldPlan{
			name:   f.Name,
			key:    string(appendString(nil, f.Name)) + ":",
			offset: sf.Offset,
			empty:  emptyOf(sf.Type),
			dec:    b.decoderFor(sf.Type, f),
			enc:    b.encoderFor(sf.Type, f),
		}
		sp.fields = append(sp.fields, fp)
	}
	if len(sp.fields) > 8 {
		sp.byName = make(map[string]int, len(sp.fields))
		for i, fp := range sp.fields {
			sp.byName[fp.name] = i
		}
	}
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	readerType  = reflect.TypeFor[io.Reader]()
	rawType     = reflect.TypeFor[json.RawMessage]()
	bytesType   = reflect.TypeFor[[]byte]()
	stringPType = reflect.TypeFor[*string]()
)

func isReader(t reflect.Type) bool {
	return t.Kind() == reflect.Interface && t.NumMethod() > 0 && t.Implements(readerType)
}

func emptyOf(t reflect.Type) emptyKind {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map:
		return emptyPointer
	case reflect.Slice:
		return emptySlice
	case reflect.Interface:
		return emptyIface
	}
	return emptyNever
}

// isEmpty reports whether the member stored at p is absent.
func isEmpty(k emptyKind, p unsafe.Pointer) bool {
	switch k {
	case emptyPointer:
		return *(*unsafe.Pointer)(p) == nil
	case emptySlice:
		return (*sliceHeader)(p).data == nil
	case emptyIface:
		return (*[2]unsafe.Pointer)(p)[1] == nil && (*[2]unsafe.Pointer)(p)[0] == nil
	}
	return false
}

// sliceHeader is the run-time layout of a Go slice.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// tsFormat is how a timestamp member is written.
type tsFormat uint8

const (
	tsEpoch tsFormat = iota
	tsISO8601
	tsHTTPDate
)

func timestampFormat(f *model.Field) tsFormat {
	if f == nil {
		return tsEpoch
	}
	switch f.TimestampFormat {
	case "iso8601":
		return tsISO8601
	case "rfc822":
		return tsHTTPDate
	}
	return tsEpoch
}
