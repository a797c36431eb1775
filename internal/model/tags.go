package model

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Struct is the parsed description of a generated structure type.
type Struct struct {
	Type    reflect.Type
	XMLName string
	XMLNS   string
	// XMLNSPrefix is the prefix the namespace is declared with (xsi for
	// S3's Grantee).
	XMLNSPrefix string
	Union       bool
	Error       string // error code when the structure is an error shape
	Fields      []*Field
	// Payload is the index in Fields of the payload member, or -1.
	Payload int
	byName  map[string]*Field
}

// Field is one member of a generated structure.
type Field struct {
	Index           int    // index of the Go field in the struct
	GoName          string // Go field name (the model's member name)
	Name            string // wire name
	Location        string // "", "uri", "querystring", "header", "headers", "statusCode"
	Payload         bool
	Streaming       bool
	Required        bool
	HasMin          bool
	HasMax          bool
	Min, Max        int64
	Enum            string
	Flattened       bool
	MemberName      string // list element name; "member" by default
	KeyName         string // map key element name; "key" by default
	ValueName       string // map value element name; "value" by default
	Attribute       bool
	XMLNS           string
	XMLNSPrefix     string
	TimestampFormat string
	JSONValue       bool
	HostLabel       bool
	QueryName       string
	// QueryWire is the member's name in the query protocol when it is not
	// Name (see the qwire tag); use QueryProtocolName.
	QueryWire string
	Type      reflect.Type
}

var structCache sync.Map // reflect.Type -> *Struct

// StructOf returns the description of struct type t (or of the struct a
// pointer type points to). The result is cached and must not be modified.
func StructOf(t reflect.Type) *Struct {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := structCache.Load(t); ok {
		return s.(*Struct)
	}
	s := parseStruct(t)
	actual, _ := structCache.LoadOrStore(t, s)
	return actual.(*Struct)
}

// QueryProtocolName is the member's name in the query protocol: its form
// parameter and its XML element.
func (f *Field) QueryProtocolName() string {
	if f.QueryWire != "" {
		return f.QueryWire
	}
	return f.Name
}

// FieldByName returns the field whose Go (member) name is name, or nil.
func (s *Struct) FieldByName(name string) *Field { return s.byName[name] }

func parseStruct(t reflect.Type) *Struct {
	s := &Struct{Type: t, Payload: -1, byName: map[string]*Field{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("aws")
		if sf.Name == "_" {
			for _, item := range splitTag(tag) {
				k, v, _ := strings.Cut(item, "=")
				switch k {
				case "xmlname":
					s.XMLName = v
				case "xmlns":
					s.XMLNS = v
				case "xmlnsprefix":
					s.XMLNSPrefix = v
				case "union":
					s.Union = true
				case "error":
					s.Error = v
				}
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		f := &Field{Index: i, GoName: sf.Name, Name: sf.Name, Type: sf.Type, MemberName: "member", KeyName: "key", ValueName: "value"}
		for _, item := range splitTag(tag) {
			k, v, _ := strings.Cut(item, "=")
			switch k {
			case "name":
				f.Name = v
			case "loc":
				f.Location = v
			case "payload":
				f.Payload = true
			case "streaming":
				f.Streaming = true
			case "required":
				f.Required = true
			case "min":
				f.HasMin = true
				f.Min, _ = strconv.ParseInt(v, 10, 64)
			case "max":
				f.HasMax = true
				f.Max, _ = strconv.ParseInt(v, 10, 64)
			case "enum":
				f.Enum = v
			case "flat":
				f.Flattened = true
			case "member":
				f.MemberName = v
			case "key":
				f.KeyName = v
			case "value":
				f.ValueName = v
			case "attr":
				f.Attribute = true
			case "xmlns":
				f.XMLNS = v
			case "xmlnsprefix":
				f.XMLNSPrefix = v
			case "ts":
				f.TimestampFormat = v
			case "jsonvalue":
				f.JSONValue = true
			case "hostlabel":
				f.HostLabel = true
			case "qname":
				f.QueryName = v
			case "qwire":
				f.QueryWire = v
			}
		}
		if f.Payload {
			s.Payload = len(s.Fields)
		}
		s.Fields = append(s.Fields, f)
		s.byName[f.GoName] = f
	}
	return s
}

func splitTag(tag string) []string {
	if tag == "" {
		return nil
	}
	return strings.Split(tag, ",")
}
