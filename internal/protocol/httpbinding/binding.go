package httpbinding

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

// Error reports a request value that does not fit its member's type (a
// partNumber of "abc"). Codecs turn it into their protocol's error.
type Error struct {
	Location string // "uri", "querystring" or "header"
	Name     string // wire name of the member
	Value    string
	Reason   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid %s parameter %s=%q: %s", e.Location, e.Name, e.Value, e.Reason)
}

type bindingKind uint8

const (
	bindScalar bindingKind = iota
	bindList
	bindStringMap     // map[string]string
	bindStringListMap // map[string][]string
	bindJSONValue
)

type binding struct {
	index int
	name  string // wire name; for header prefix maps, the lower-cased prefix
	ts    string
	kind  bindingKind
	typ   reflect.Type
}

// plan lists the bound members of one input or output struct type.
type plan struct {
	uri, query, header, prefixHeaders []binding
	queryMap                          *binding // querystring map: every other parameter
	statusCode                        *binding
	boundQuery                        map[string]bool
}

var plans sync.Map // reflect.Type -> *plan

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := &plan{boundQuery: map[string]bool{}}
	for _, f := range model.StructOf(t).Fields {
		b := binding{index: f.Index, name: f.Name, ts: f.TimestampFormat, typ: f.Type}
		switch f.Type.Kind() {
		case reflect.Slice:
			if f.Type.Elem().Kind() != reflect.Uint8 {
				b.kind = bindList
			}
		case reflect.Map:
			b.kind = bindStringMap
			if f.Type.Elem().Kind() == reflect.Slice {
				b.kind = bindStringListMap
			}
		}
		if f.JSONValue {
			b.kind = bindJSONValue
		}
		switch f.Location {
		case "uri":
			p.uri = append(p.uri, b)
		case "querystring":
			if b.kind == bindStringMap || b.kind == bindStringListMap {
				p.queryMap = &b
				continue
			}
			if b.ts == "" {
				b.ts = ISO8601
			}
			p.query = append(p.query, b)
			p.boundQuery[b.name] = true
		case "header":
			if b.ts == "" {
				b.ts = RFC822
			}
			b.name = textproto.CanonicalMIMEHeaderKey(b.name)
			p.header = append(p.header, b)
		case "headers":
			b.name = strings.ToLower(b.name)
			p.prefixHeaders = append(p.prefixHeaders, b)
		case "statusCode":
			p.statusCode = &b
		}
	}
	actual, _ := plans.LoadOrStore(t, p)
	return actual.(*plan)
}

// presignParams are the query parameters of presigned URLs and the
// operation hint of SDKs; they are never member values.
var presignParams = map[string]bool{
	"X-Amz-Algorithm": true, "X-Amz-Credential": true, "X-Amz-Date": true, "X-Amz-Expires": true,
	"X-Amz-SignedHeaders": true, "X-Amz-Signature": true, "X-Amz-Security-Token": true,
	"AWSAccessKeyId": true, "Signature": true, "Expires": true,
	"x-id": true, // the operation name some SDKs add (see Router)
}

// DecodeRequest fills the uri, querystring, header and headers (prefix map)
// members of in, a pointer to op's input struct, from r. A value that does
// not fit its member's type is reported as an *Error; nothing panics.
func DecodeRequest(r *http.Request, op *model.Operation, in any) error {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	v = v.Elem()
	p := planOf(v.Type())
	if len(p.uri) > 0 {
		var scratch [4]Label
		labels, _ := TemplateOf(op).MatchPath(r.URL.EscapedPath(), scratch[:0])
		for _, b := range p.uri {
			for _, l := range labels {
				if l.Name == b.name {
					if err := setScalar(v.Field(b.index), l.Value, b, "uri"); err != nil {
						return err
					}
					break
				}
			}
		}
	}
	if len(p.query) > 0 || p.queryMap != nil {
		q := r.URL.Query()
		for _, b := range p.query {
			vs, ok := q[b.name]
			if !ok || len(vs) == 0 {
				continue
			}
			if err := setValues(v.Field(b.index), vs, b, "querystring"); err != nil {
				return err
			}
		}
		if b := p.queryMap; b != nil {
			decodeQueryMap(v.Field(b.index), q, p, TemplateOf(op), b.kind)
		}
	}
	for _, b := range p.header {
		vs := r.Header[b.name]
		if len(vs) == 0 {
			if b.name == "Content-Length" && r.ContentLength >= 0 && r.Header.Get("Transfer-Encoding") == "" {
				vs = []string{fmt.Sprint(r.ContentLength)}
			} else {
				continue
			}
		}
		if err := decodeHeader(v.Field(b.index), vs, b); err != nil {
			return err
		}
	}
	for _, b := range p.prefixHeaders {
		decodePrefixHeaders(v.Field(b.index), r.Header, b.name)
	}
	return nil
}

func setScalar(field reflect.Value, s string, b binding, loc string) error {
	if err := SetText(field, s, b.ts); err != nil {
		return &Error{Location: loc, Name: b.name, Value: s, Reason: err.Error()}
	}
	return nil
}

// setValues stores query values: a list takes every value, a scalar the
// first.
func setValues(field reflect.Value, vs []string, b binding, loc string) error {
	if b.kind != bindList {
		return setScalar(field, vs[0], b, loc)
	}
	list := reflect.MakeSlice(field.Type(), len(vs), len(vs))
	for i, s := range vs {
		if err := setScalar(list.Index(i), s, b, loc); err != nil {
			return err
		}
	}
	field.Set(list)
	return nil
}

func decodeHeader(field reflect.Value, vs []string, b binding) error {
	switch b.kind {
	case bindList:
		var items []string
		for _, s := range vs {
			items = append(items, SplitHeaderList(s, b.ts == RFC822 && field.Type().Elem() == timeType)...)
		}
		if len(items) == 0 {
			return nil
		}
		return setValues(field, items, b, "header")
	case bindJSONValue:
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vs[0]))
		if err != nil || !json.Valid(raw) {
			return &Error{Location: "header", Name: b.name, Value: vs[0], Reason: "not base64-encoded JSON"}
		}
		if err := setJSONValue(field, raw); err != nil {
			return &Error{Location: "header", Name: b.name, Value: vs[0], Reason: "not valid JSON for the member"}
		}
		return nil
	}
	s := strings.Join(vs, ",")
	err := setScalar(field, s, b, "header")
	if err != nil && ignoredWhenInvalid[b.name] {
		return nil
	}
	return err
}

// ignoredWhenInvalid are the HTTP conditional headers a server must ignore
// when their date does not parse (RFC 9110, section 13.1.3 and 13.1.4).
var ignoredWhenInvalid = map[string]bool{"If-Modified-Since": true, "If-Unmodified-Since": true}

func setJSONValue(field reflect.Value, raw []byte) error {
	switch field.Kind() {
	case reflect.Pointer:
		if field.Type().Elem().Kind() == reflect.String {
			s := string(raw)
			field.Set(reflect.ValueOf(&s).Convert(field.Type()))
			return nil
		}
	case reflect.String:
		field.SetString(string(raw))
		return nil
	}
	target := reflect.New(field.Type())
	if err := json.Unmarshal(raw, target.Interface()); err != nil {
		return err
	}
	field.Set(target.Elem())
	return nil
}

// SplitHeaderList splits a comma-separated header list. Items may be
// double-quoted (and then hold commas and escaped quotes); HTTP dates, which
// hold a comma themselves, are rejoined when httpDates is set.
func SplitHeaderList(s string, httpDates bool) []string {
	var items []string
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		var item string
		if s[0] == '"' {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			item = b.String()
			s = s[min(i+1, len(s)):]
			if j := strings.IndexByte(s, ','); j >= 0 {
				s = s[j+1:]
			} else {
				s = ""
			}
		} else {
			var rest string
			var more bool
			item, rest, more = strings.Cut(s, ",")
			if httpDates && more {
				// "Mon, 02 Jan 2006 15:04:05 GMT": the weekday is followed by a comma.
				var second string
				second, rest, more = strings.Cut(rest, ",")
				item += "," + second
			}
			item = strings.TrimSpace(item)
			s = rest
			if !more {
				s = ""
			}
		}
		items = append(items, item)
	}
	return items
}

func decodePrefixHeaders(field reflect.Value, h http.Header, prefix string) {
	if field.Kind() != reflect.Map || field.Type().Elem().Kind() != reflect.String {
		return
	}
	var m reflect.Value
	for k, vs := range h {
		if len(k) <= len(prefix) || !strings.EqualFold(k[:len(prefix)], prefix) {
			continue
		}
		if !m.IsValid() {
			m = reflect.MakeMap(field.Type())
		}
		m.SetMapIndex(reflect.ValueOf(strings.ToLower(k[len(prefix):])).Convert(field.Type().Key()),
			reflect.ValueOf(strings.Join(vs, ",")).Convert(field.Type().Elem()))
	}
	if m.IsValid() {
		field.Set(m)
	}
}

func decodeQueryMap(field reflect.Value, q url.Values, p *plan, t *Template, kind bindingKind) {
	keys := make([]string, 0, len(q))
	for k := range q {
		if !p.boundQuery[k] && !t.hasQueryLiteral(k) && !presignParams[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	sort.Strings(keys)
	m := reflect.MakeMapWithSize(field.Type(), len(keys))
	kt, vt := field.Type().Key(), field.Type().Elem()
	for _, k := range keys {
		var val reflect.Value
		if kind == bindStringListMap {
			val = reflect.ValueOf(append([]string(nil), q[k]...)).Convert(vt)
		} else {
			val = reflect.ValueOf(q[k][0]).Convert(vt)
		}
		m.SetMapIndex(reflect.ValueOf(k).Convert(kt), val)
	}
	field.Set(m)
}

// EncodeResponse writes the header and headers (prefix map) members of out
// (a pointer to an output struct, or nil) into h, and returns the value of
// its statusCode member, or 0.
func EncodeResponse(h http.Header, out any) (status int) {
	v := reflect.ValueOf(out)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return 0
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return 0
	}
	p := planOf(v.Type())
	for _, b := range p.header {
		f := v.Field(b.index)
		switch b.kind {
		case bindList:
			if f.Len() == 0 {
				continue
			}
			items := make([]string, 0, f.Len())
			dates := f.Type().Elem() == timeType && b.ts == RFC822
			for i := 0; i < f.Len(); i++ {
				s, _ := FormatText(f.Index(i), b.ts)
				items = append(items, QuoteHeaderItem(s, dates))
			}
			h.Set(b.name, strings.Join(items, ", "))
		case bindJSONValue:
			if raw, ok := jsonValueText(f); ok {
				h.Set(b.name, base64.StdEncoding.EncodeToString(raw))
			}
		default:
			if s, ok := FormatText(f, b.ts); ok {
				h.Set(b.name, s)
			}
		}
	}
	for _, b := range p.prefixHeaders {
		f := v.Field(b.index)
		if f.Kind() != reflect.Map || f.Type().Elem().Kind() != reflect.String {
			continue
		}
		iter := f.MapRange()
		for iter.Next() {
			// Lower-case as S3 sends them, not canonicalised: boto3 and the
			// CLI take metadata names from the headers as they arrive.
			h[strings.ToLower(b.name+iter.Key().String())] = []string{iter.Value().String()}
		}
	}
	if b := p.statusCode; b != nil {
		f := v.Field(b.index)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				return 0
			}
			f = f.Elem()
		}
		if f.CanInt() {
			return int(f.Int())
		}
	}
	return 0
}

func jsonValueText(f reflect.Value) ([]byte, bool) {
	if f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String {
		if f.IsNil() {
			return nil, false
		}
		return []byte(f.Elem().String()), true
	}
	if (f.Kind() == reflect.Interface || f.Kind() == reflect.Map || f.Kind() == reflect.Slice) && f.IsNil() {
		return nil, false
	}
	raw, err := json.Marshal(f.Interface())
	return raw, err == nil
}

// QuoteHeaderItem quotes a list item that holds a comma or a quote, so
// that SplitHeaderList reads it back; HTTP dates stay as they are.
func QuoteHeaderItem(s string, httpDate bool) string {
	if httpDate || !strings.ContainsAny(s, ",\"") {
		return s
	}
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
