package xmlcodec

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/protocol/httpbinding"
)

// Error is returned for a document that is not well-formed XML or whose
// values do not fit the members they fill (text in an integer element).
// Codecs answer it with their protocol's error (S3: MalformedXML).
type Error struct {
	Err error
}

func (e *Error) Error() string { return "malformed XML: " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Unmarshal reads the document data into v, a pointer to a struct: the
// root element's attributes and children fill v's members, whatever the
// root is named. Unknown elements and attributes are ignored.
func Unmarshal(data []byte, v any) error {
	_, err := UnmarshalRoot(data, v)
	return err
}

// UnmarshalRoot is Unmarshal that also returns the root element's name.
func UnmarshalRoot(data []byte, v any) (root string, err error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return "", &Error{Err: fmt.Errorf("cannot decode into %T", v)}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var start xml.StartElement
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return "", &Error{Err: errors.New("no root element")}
		}
		if err != nil {
			return "", &Error{Err: err}
		}
		if s, ok := tok.(xml.StartElement); ok {
			start = s
			break
		}
		if c, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(c)) > 0 {
			return "", &Error{Err: errors.New("text before the root element")}
		}
	}
	if err := decodeStruct(d, start, planOf(rv.Elem().Type()), rv.Elem()); err != nil {
		return "", wrap(err)
	}
	// Only whitespace, comments and processing instructions may follow.
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return start.Name.Local, nil
		}
		if err != nil {
			return "", &Error{Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return "", &Error{Err: errors.New("more than one root element")}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return "", &Error{Err: errors.New("text after the root element")}
			}
		}
	}
}

func wrap(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &Error{Err: err}
}

// decodeStruct fills struct value v from the attributes and children of
// start, reading up to its end element.
func decodeStruct(d *xml.Decoder, start xml.StartElement, p *structPlan, v reflect.Value) error {
	for _, a := range start.Attr {
		if f := p.byAttr[a.Name.Local]; f != nil && a.Name.Space != "xmlns" {
			if err := setText(v.Field(f.index), f.node, a.Value); err != nil {
				return err
			}
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			f := p.byElem[t.Name.Local]
			if f == nil {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			if err := decodeNode(d, t, f.node, v.Field(f.index)); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// decodeNode reads the element start into v, a settable value of n's Go
// type. A flattened list or map gains one item per element.
func decodeNode(d *xml.Decoder, start xml.StartElement, n *node, v reflect.Value) error {
	if n.ptr {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	switch n.kind {
	case kStruct:
		return decodeStruct(d, start, n.st, v)
	case kList:
		if n.flat {
			item := reflect.New(v.Type().Elem()).Elem()
			if err := decodeNode(d, start, n.item, item); err != nil {
				return err
			}
			v.Set(reflect.Append(v, item))
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 4))
		}
		return eachChild(d, func(child xml.StartElement) error {
			item := reflect.New(v.Type().Elem()).Elem()
			if err := decodeNode(d, child, n.item, item); err != nil {
				return err
			}
			v.Set(reflect.Append(v, item))
			return nil
		})
	case kMap:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		if n.flat {
			return decodeEntry(d, n, v)
		}
		return eachChild(d, func(child xml.StartElement) error {
			if child.Name.Local != n.entryName {
				return d.Skip()
			}
			return decodeEntry(d, n, v)
		})
	}
	text, err := readText(d)
	if err != nil {
		return err
	}
	return setText(v, n, text)
}

// decodeEntry reads the key and value children of one map entry.
func decodeEntry(d *xml.Decoder, n *node, m reflect.Value) error {
	key := reflect.New(m.Type().Key()).Elem()
	val := reflect.New(m.Type().Elem()).Elem()
	haveKey := false
	err := eachChild(d, func(child xml.StartElement) error {
		switch child.Name.Local {
		case n.key.name:
			haveKey = true
			return decodeNode(d, child, n.key, key)
		case n.value.name:
			return decodeNode(d, child, n.value, val)
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	if !haveKey {
		return errors.New("map entry without a key")
	}
	m.SetMapIndex(key, val)
	return nil
}

// eachChild calls fn for each child element, up to the end of the current
// element; fn must consume the child up to its end element.
func eachChild(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// readText returns the text of the current element up to its end; child
// elements of a scalar are skipped.
func readText(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if err := d.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

func setText(v reflect.Value, n *node, text string) error {
	if n.kind == kStruct || n.kind == kList || n.kind == kMap {
		return nil
	}
	ts := n.ts
	if ts == "" {
		ts = httpbinding.ISO8601
	}
	if err := httpbinding.SetText(v, text, ts); err != nil {
		return &Error{Err: fmt.Errorf("element %s: %q is %v", n.name, text, err)}
	}
	return nil
}
