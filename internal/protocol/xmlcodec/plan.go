// Package xmlcodec converts the generated structs to and from the XML of
// the rest-xml and query protocols, following their `aws` tags: element
// names, flattened lists and maps, list member names, map entry/key/value
// names, XML attributes, namespaces, timestamp formats, base64 blobs.
//
// Members bound to HTTP (uri, querystring, header, headers, statusCode),
// payload members and streams are not part of the XML body and are skipped.
//
// The plan of each Go type (element names with their opening and closing
// tags, namespace declarations, how each member is written) is worked out
// once and cached; encoding appends to a byte slice without encoding/xml.
// Decoding reads encoding/xml tokens, which checks well-formedness.
package xmlcodec

import (
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

type kind uint8

const (
	kSkip kind = iota
	kString
	kBool
	kInt
	kUint
	kFloat
	kTime
	kBlob
	kStruct
	kList
	kMap
)

var timeType = reflect.TypeFor[time.Time]()

// node says how to write one value as an element of a given name.
type node struct {
	kind  kind
	ptr   bool // the Go value is a pointer to the value
	typ   reflect.Type
	bits  int    // of floats
	ts    string // timestamp format
	open  []byte // "<Name" and namespace declarations, without '>'
	close []byte // "</Name>"
	// Element names, for decoding.
	name string

	st *structPlan // kStruct

	// kList: item is how each element is written: the member element of a
	// wrapped list, or the list's own element when flattened.
	flat bool
	item *node
	// kMap: entry is the element around each key and value ("entry", or the
	// map's own element when flattened).
	entryOpen, entryClose []byte
	entryName             string
	key, value            *node
}

type field struct {
	index int
	attr  bool
	// attrName is the attribute as written (xsi:type); attrLocal the part
	// after the prefix, which decoding compares.
	attrName, attrLocal string
	// omitZero: a member that is not a pointer (hand-written shapes) is left
	// out when it holds its zero value; nil pointers, slices and maps are
	// always left out.
	omitZero bool
	node     *node
}

type structPlan struct {
	typ    reflect.Type
	nsDecl []byte // the struct's own namespace declaration, if any
	// defaultNS is set when nsDecl declares the default namespace.
	defaultNS bool
	attrs     []*field
	elems     []*field
	byElem    map[string]*field
	byAttr    map[string]*field
}

var (
	plansMu sync.Mutex
	plans   sync.Map // reflect.Type -> *structPlan
)

// planOf returns the plan of struct type t.
func planOf(t reflect.Type) *structPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	plansMu.Lock()
	defer plansMu.Unlock()
	building := map[reflect.Type]*structPlan{}
	p := buildPlan(t, building)
	// Published only once complete: readers do not take the lock.
	for bt, bp := range building {
		plans.Store(bt, bp)
	}
	return p
}

// buildPlan builds the plan of t and of the structs below it; building
// holds the plans under construction so that recursive shapes end.
func buildPlan(t reflect.Type, building map[reflect.Type]*structPlan) *structPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	if p, ok := building[t]; ok {
		return p
	}
	ms := model.StructOf(t)
	p := &structPlan{typ: t, byElem: map[string]*field{}, byAttr: map[string]*field{}}
	building[t] = p
	if ms.XMLNS != "" {
		p.nsDecl = nsDecl(ms.XMLNSPrefix, ms.XMLNS)
		p.defaultNS = ms.XMLNSPrefix == ""
	}
	for _, f := range ms.Fields {
		if f.Location != "" || f.Payload || f.Streaming {
			continue
		}
		// Only query-protocol shapes (SQS's) carry a query name, and only the
		// query codec writes them.
		name := f.QueryProtocolName()
		n := buildNode(f.Type, name, f.TimestampFormat, f, building)
		if n == nil {
			continue
		}
		fl := &field{index: f.Index, node: n}
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		default:
			fl.omitZero = true
		}
		if f.Attribute {
			fl.attr = true
			fl.attrName = name
			fl.attrLocal = localName(name)
			p.attrs = append(p.attrs, fl)
			p.byAttr[fl.attrLocal] = fl
			continue
		}
		p.elems = append(p.elems, fl)
		p.byElem[localName(name)] = fl
	}
	return p
}

// buildNode describes how a value of type t is written in an element named
// name; f carries the member's tags (nil for list items and map values,
// which take the defaults).
func buildNode(t reflect.Type, name, ts string, f *model.Field, building map[reflect.Type]*structPlan) *node {
	n := &node{typ: t, ts: ts, name: localName(name)}
	if t.Kind() == reflect.Pointer {
		n.ptr = true
		t = t.Elem()
	}
	var decl []byte
	if f != nil && f.XMLNS != "" {
		decl = nsDecl(f.XMLNSPrefix, f.XMLNS)
	}
	n.open = append([]byte("<"+name), decl...)
	n.close = []byte("</" + name + ">")
	switch {
	case t == timeType:
		n.kind = kTime
	case t.Kind() == reflect.String:
		n.kind = kString
	case t.Kind() == reflect.Bool:
		n.kind = kBool
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		n.kind = kInt
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 && t.Kind() != reflect.Uint8:
		n.kind = kUint
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		n.kind = kFloat
		n.bits = t.Bits()
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		n.kind = kBlob
	case t.Kind() == reflect.Struct:
		n.kind = kStruct
		n.st = buildPlan(t, building)
		if n.st.nsDecl != nil && string(n.st.nsDecl) != string(decl) {
			n.open = append(n.open, n.st.nsDecl...)
		}
	case t.Kind() == reflect.Slice:
		n.kind = kList
		member := "member"
		if f != nil {
			n.flat = f.Flattened
			member = f.MemberName
		}
		if n.flat {
			// Each item is written in an element of the list's own name.
			n.item = buildNode(t.Elem(), name, ts, f, building)
		} else {
			n.item = buildNode(t.Elem(), member, ts, nil, building)
		}
		if n.item == nil {
			return nil
		}
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		n.kind = kMap
		keyName, valueName := "key", "value"
		if f != nil {
			n.flat = f.Flattened
			keyName, valueName = f.KeyName, f.ValueName
		}
		if n.flat {
			n.entryOpen, n.entryClose, n.entryName = n.open, n.close, n.name
		} else {
			n.entryOpen, n.entryClose, n.entryName = []byte("<entry"), []byte("</entry>"), "entry"
		}
		n.key = buildNode(t.Key(), keyName, "", nil, building)
		n.value = buildNode(t.Elem(), valueName, ts, nil, building)
		if n.value == nil {
			return nil
		}
	default:
		// Documents, streams, interfaces: not part of an XML body.
		return nil
	}
	return n
}

func nsDecl(prefix, uri string) []byte {
	b := []byte(" xmlns")
	if prefix != "" {
		b = append(b, ':')
		b = append(b, prefix...)
	}
	b = append(b, `="`...)
	b = AppendEscaped(b, uri)
	return append(b, '"')
}

func localName(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// HasBody reports whether values of struct type t have members written in
// an XML body (members that are not HTTP bindings, payloads or streams).
func HasBody(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	p := planOf(t)
	return len(p.elems)+len(p.attrs) > 0
}
