// Package query is the codec of the AWS query protocol (SNS, IAM, STS,
// CloudWatch's query mode, SQS's query mode): requests are form parameters
// (a POST form body or a GET query string) named after the input members,
// responses are XML documents of the form
//
//	<{Operation}Response xmlns="{service namespace}">
//	  <{ResultWrapper}>...</{ResultWrapper}>
//	  <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
//	</{Operation}Response>
//
// Parameters that name no input member (Action, Version, the parameters of
// signature version 2 and of presigned URLs) are ignored by decoding.
package query

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/protocol/httpbinding"
	"github.com/nimbus-cloud/nimbus/internal/protocol/validate"
)

// Codec reads and writes the query protocol.
type Codec struct{}

var _ protocol.Codec = Codec{}

// Name implements protocol.Codec.
func (Codec) Name() string { return "query" }

// maxForm bounds a form body (SNS messages are at most 256 KiB, and their
// attributes add to that).
const maxForm = 10 << 20

var (
	errMissingAction   = awserr.Def{Code: "MissingAction", Status: http.StatusBadRequest, Sender: true}
	errMalformedQuery  = awserr.Def{Code: "MalformedQueryString", Status: http.StatusBadRequest, Sender: true}
	errValidationError = awserr.Def{Code: "ValidationError", Status: http.StatusBadRequest, Sender: true}
)

// Operation implements protocol.Codec: the operation named by the Action
// parameter.
func (Codec) Operation(r *http.Request, svc *model.Service) (*model.Operation, error) {
	form, err := Form(r)
	if err != nil {
		return nil, err
	}
	action := form.Get("Action")
	if action == "" {
		return nil, errMissingAction.New("Could not find operation for request: the Action parameter is missing.")
	}
	op := svc.Op(action)
	if op == nil {
		return nil, awserr.InvalidAction.New("The action " + action + " is not valid for this web service.")
	}
	return op, nil
}

// Form returns the parameters of a query request: the URL's query string
// and the form body of a POST (also when a client leaves out the
// Content-Type). It reads the body once; later calls see the same values.
func Form(r *http.Request) (url.Values, error) {
	if r.Form != nil && r.PostForm != nil {
		return r.Form, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method == http.MethodPost && ct == "" && r.Body != nil && r.PostForm == nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
		if err != nil || len(body) > maxForm {
			return nil, errMalformedQuery.New("The request body could not be read.")
		}
		post, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errMalformedQuery.New("The request body is not a valid form.")
		}
		r.PostForm = post
	}
	if err := r.ParseForm(); err != nil {
		return nil, errMalformedQuery.New("The query string or form body is malformed.")
	}
	return r.Form, nil
}

// Decode implements protocol.Codec.
func (Codec) Decode(r *http.Request, svc *model.Service, op *model.Operation, in any) error {
	form, err := Form(r)
	if err != nil {
		return err
	}
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return awserr.InternalFailure.New("We encountered an internal error. Please try again.")
	}
	d := decoder{form: form}
	if err := d.structure("", v.Elem()); err != nil {
		var pe *paramError
		if errors.As(err, &pe) {
			return errValidationError.New("Value '" + pe.value + "' for parameter " + pe.key + " is invalid. " + pe.reason + ".")
		}
		return err
	}
	resourceFromPath(r, svc, v.Elem())
	return validate.InputAs(svc, "query", in)
}

// pathMembers is the quirk table of services whose query clients may name
// the resource by the URL they post to rather than by a parameter: SQS
// clients send their requests to the queue URL, and older ones leave the
// QueueUrl parameter out.
var pathMembers = map[string]string{"sqs": "QueueUrl"}

// resourceFromPath sets the member of pathMembers, when the request left it
// out and was sent to a path other than "/", to the URL of the request.
func resourceFromPath(r *http.Request, svc *model.Service, in reflect.Value) {
	member, ok := pathMembers[svc.Name]
	if !ok || r.URL.Path == "" || r.URL.Path == "/" {
		return
	}
	f := model.StructOf(in.Type()).FieldByName(member)
	if f == nil || f.Type != reflect.TypeFor[*string]() {
		return
	}
	fv := in.Field(f.Index)
	if !fv.IsNil() {
		return
	}
	endpoint := request.FromContext(r.Context()).Endpoint
	if endpoint == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		endpoint = scheme + "://" + r.Host
	}
	u := endpoint + r.URL.EscapedPath()
	fv.Set(reflect.ValueOf(&u))
}

type paramError struct{ key, value, reason string }

func (e *paramError) Error() string { return e.key + ": " + e.reason }

// decoder reads form parameters into a value. Names join with dots: a
// member A of a structure at P is P.A; list items are P.member.N (1-based;
// P.N when flattened); map entries P.entry.N.key and P.entry.N.value (P.N.key
// when flattened).
type decoder struct {
	form url.Values
	// prefixes holds every dotted prefix of every parameter name, so that
	// the decoder knows whether anything lies below a name.
	prefixes map[string]bool
}

func (d *decoder) has(prefix string) bool {
	if d.prefixes == nil {
		d.prefixes = make(map[string]bool, len(d.form)*2)
		for k := range d.form {
			for i := 0; i < len(k); i++ {
				if k[i] == '.' {
					d.prefixes[k[:i]] = true
				}
			}
			d.prefixes[k] = true
		}
	}
	return d.prefixes[prefix]
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func (d *decoder) structure(prefix string, v reflect.Value) error {
	for _, f := range model.StructOf(v.Type()).Fields {
		if f.Location != "" {
			continue
		}
		if err := d.value(join(prefix, f.QueryProtocolName()), f, v.Field(f.Index)); err != nil {
			return err
		}
	}
	return nil
}

// value reads the parameters at key into v; f carries the member's tags,
// nil for list items and map values (which take the defaults).
func (d *decoder) value(key string, f *model.Field, v reflect.Value) error {
	t := v.Type()
	if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && t.Elem() != timeType {
		if !d.has(key) {
			return nil
		}
		s := reflect.New(t.Elem())
		if err := d.structure(key, s.Elem()); err != nil {
			return err
		}
		v.Set(s)
		return nil
	}
	switch {
	case t.Kind() == reflect.Struct && t != timeType:
		return d.structure(key, v)
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		return d.list(key, f, v)
	case t.Kind() == reflect.Map:
		return d.mapping(key, f, v)
	}
	vs, ok := d.form[key]
	if !ok || len(vs) == 0 {
		return nil
	}
	ts := httpbinding.ISO8601
	if f != nil && f.TimestampFormat != "" {
		ts = f.TimestampFormat
	}
	if err := httpbinding.SetText(v, vs[0], ts); err != nil {
		return &paramError{key: key, value: vs[0], reason: "It must be " + expected(t)}
	}
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

func expected(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "a timestamp"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "an integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Slice:
		return "base64-encoded"
	}
	return "valid"
}

func (d *decoder) list(key string, f *model.Field, v reflect.Value) error {
	itemPrefix := key + ".member"
	if f != nil {
		if f.Flattened {
			itemPrefix = key
		} else {
			itemPrefix = key + "." + f.MemberName
		}
	}
	var items reflect.Value
	for i := 1; ; i++ {
		ik := itemPrefix + "." + strconv.Itoa(i)
		if !d.has(ik) {
			break
		}
		if !items.IsValid() {
			items = reflect.MakeSlice(v.Type(), 0, 4)
		}
		item := reflect.New(v.Type().Elem()).Elem()
		if err := d.value(ik, nil, item); err != nil {
			return err
		}
		items = reflect.Append(items, item)
	}
	if !items.IsValid() {
		// "Key=" with nothing below it is how clients send an empty list.
		if vs, ok := d.form[key]; ok && len(vs) > 0 && vs[0] == "" {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		return nil
	}
	v.Set(items)
	return nil
}

func (d *decoder) mapping(key string, f *model.Field, v reflect.Value) error {
	entryPrefix, keyName, valueName := key+".entry", "key", "value"
	if f != nil {
		keyName, valueName = f.KeyName, f.ValueName
		if f.Flattened {
			entryPrefix = key
		}
	}
	var m reflect.Value
	for i := 1; ; i++ {
		ek := entryPrefix + "." + strconv.Itoa(i)
		if !d.has(ek) {
			break
		}
		kvs, ok := d.form[ek+"."+keyName]
		if !ok || len(kvs) == 0 {
			return &paramError{key: ek + "." + keyName, reason: "A map entry must have a key"}
		}
		if !m.IsValid() {
			m = reflect.MakeMap(v.Type())
		}
		val := reflect.New(v.Type().Elem()).Elem()
		if err := d.value(ek+"."+valueName, nil, val); err != nil {
			return err
		}
		m.SetMapIndex(reflect.ValueOf(kvs[0]).Convert(v.Type().Key()), val)
	}
	if m.IsValid() {
		v.Set(m)
	}
	return nil
}
