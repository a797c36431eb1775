package xmlcodec

import (
	"encoding/base64"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/protocol/httpbinding"
)

// Header is the XML declaration AWS puts before rest-xml documents.
const Header = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// AppendRoot appends v (a struct or a pointer to one) as the element
// <name xmlns="ns">, its body members as children. ns is left out when empty
// or when the struct declares its own default namespace.
func AppendRoot(dst []byte, name, ns string, v any) []byte {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	dst = append(dst, '<')
	dst = append(dst, name...)
	if rv.Kind() != reflect.Struct {
		if ns != "" {
			dst = appendNS(dst, ns)
		}
		dst = append(dst, "></"...)
		dst = append(dst, name...)
		return append(dst, '>')
	}
	p := planOf(rv.Type())
	if ns != "" && !p.defaultNS {
		dst = appendNS(dst, ns)
	}
	dst = append(dst, p.nsDecl...)
	dst = appendAttrs(dst, p, rv)
	dst = append(dst, '>')
	dst = appendMembers(dst, p, rv, nil)
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

func appendNS(dst []byte, ns string) []byte {
	dst = append(dst, ` xmlns="`...)
	dst = AppendEscaped(dst, ns)
	return append(dst, '"')
}

// AppendMembers appends the body members of v (a struct or a pointer to
// one) as elements, leaving out those whose wire name skip reports.
func AppendMembers(dst []byte, v any, skip func(name string) bool) []byte {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return dst
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return dst
	}
	return appendMembers(dst, planOf(rv.Type()), rv, skip)
}

// AppendElement appends <name>text</name>, escaping text.
func AppendElement(dst []byte, name, text string) []byte {
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = append(dst, '>')
	dst = AppendEscaped(dst, text)
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

// AppendStringMap appends the entries of m as elements named by their keys,
// in key order (the simple detail elements of an error).
func AppendStringMap(dst []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		dst = AppendElement(dst, k, m[k])
	}
	return dst
}

func appendAttrs(dst []byte, p *structPlan, v reflect.Value) []byte {
	for _, f := range p.attrs {
		fv := v.Field(f.index)
		if skipValue(f, fv) {
			continue
		}
		dst = append(dst, ' ')
		dst = append(dst, f.attrName...)
		dst = append(dst, `="`...)
		dst = appendText(dst, f.node, deref(fv))
		dst = append(dst, '"')
	}
	return dst
}

func appendMembers(dst []byte, p *structPlan, v reflect.Value, skip func(string) bool) []byte {
	for _, f := range p.elems {
		fv := v.Field(f.index)
		if skipValue(f, fv) {
			continue
		}
		if skip != nil && skip(f.node.name) {
			continue
		}
		dst = appendNode(dst, f.node, fv)
	}
	return dst
}

func skipValue(f *field, fv reflect.Value) bool {
	switch fv.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return fv.IsNil()
	}
	return f.omitZero && fv.IsZero()
}

func deref(v reflect.Value) reflect.Value {
	if v.Kind() == reflect.Pointer {
		return v.Elem()
	}
	return v
}

// appendNode appends value v (of n's Go type, nil pointers skipped by the
// caller) as n's element(s).
func appendNode(dst []byte, n *node, v reflect.Value) []byte {
	if n.ptr {
		if v.IsNil() {
			return dst
		}
		v = v.Elem()
	}
	switch n.kind {
	case kStruct:
		dst = append(dst, n.open...)
		dst = appendAttrs(dst, n.st, v)
		dst = append(dst, '>')
		dst = appendMembers(dst, n.st, v, nil)
		return append(dst, n.close...)
	case kList:
		if n.flat {
			for i := 0; i < v.Len(); i++ {
				dst = appendNode(dst, n.item, v.Index(i))
			}
			return dst
		}
		dst = append(dst, n.open...)
		dst = append(dst, '>')
		for i := 0; i < v.Len(); i++ {
			dst = appendNode(dst, n.item, v.Index(i))
		}
		return append(dst, n.close...)
	case kMap:
		return appendMap(dst, n, v)
	}
	dst = append(dst, n.open...)
	dst = append(dst, '>')
	dst = appendText(dst, n, v)
	return append(dst, n.close...)
}

func appendMap(dst []byte, n *node, v reflect.Value) []byte {
	keys := v.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	if !n.flat {
		dst = append(dst, n.open...)
		dst = append(dst, '>')
	}
	for _, k := range keys {
		dst = append(dst, n.entryOpen...)
		dst = append(dst, '>')
		dst = appendNode(dst, n.key, k)
		dst = appendNode(dst, n.value, v.MapIndex(k))
		dst = append(dst, n.entryClose...)
	}
	if !n.flat {
		dst = append(dst, n.close...)
	}
	return dst
}

// appendText appends the escaped text of scalar v (not a pointer).
func appendText(dst []byte, n *node, v reflect.Value) []byte {
	switch n.kind {
	case kString:
		return AppendEscaped(dst, v.String())
	case kInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case kUint:
		return strconv.AppendUint(dst, v.Uint(), 10)
	case kBool:
		return strconv.AppendBool(dst, v.Bool())
	case kFloat:
		return append(dst, httpbinding.FormatFloat(v.Float(), n.bits)...)
	case kTime:
		var t time.Time
		if v.CanAddr() {
			// Without boxing the value: this runs once per listed object.
			t = *(*time.Time)(v.Addr().UnsafePointer())
		} else {
			t = v.Interface().(time.Time)
		}
		switch n.ts {
		case httpbinding.RFC822:
			return t.UTC().AppendFormat(dst, http.TimeFormat)
		case httpbinding.UnixTimestamp:
			return append(dst, httpbinding.FormatTime(t, n.ts)...)
		}
		return AppendISO8601(dst, t)
	case kBlob:
		b := v.Bytes()
		return base64.StdEncoding.AppendEncode(dst, b)
	}
	return dst
}

// AppendISO8601 appends t in UTC as 2006-01-02T15:04:05.000Z.
func AppendISO8601(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, httpbinding.ISO8601Format)
	}
	ms := t.Nanosecond() / 1e6
	dst = append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
	return dst
}

// AppendEscaped appends s escaped for XML text and attribute values.
// Characters XML 1.0 cannot carry, even escaped (most control characters,
// invalid UTF-8), become U+FFFD, so that every client can parse the document.
func AppendEscaped(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		width := 1
		if c < utf8.RuneSelf {
			switch c {
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '&':
				esc = "&amp;"
			case '"':
				esc = "&quot;"
			case '\'':
				esc = "&apos;"
			case '\t':
				esc = "&#x9;"
			case '\n':
				esc = "&#xA;"
			case '\r':
				esc = "&#xD;"
			default:
				if c >= 0x20 {
					i++
					continue
				}
				esc = "\uFFFD"
			}
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			width = size
			if (r != utf8.RuneError || size != 1) && r != 0xFFFE && r != 0xFFFF {
				i += size
				continue
			}
			esc = "\uFFFD"
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		i += width
		last = i
	}
	return append(dst, s[last:]...)
}
