// Package restjson is the codec of the rest-json protocol (Lambda, API
// Gateway, EventBridge Pipes, Glue's newer siblings...): the HTTP bindings
// of httpbinding (operation routing, URI labels, query string, headers)
// plus a JSON body (jsoncodec) of the members not bound elsewhere, or the
// payload member alone when there is one.
//
// Errors carry their code in the X-Amzn-Errortype header and a JSON body
// with the message under the wire name of the error shape's message member
// ("message" for most services, "Message" for Lambda) and the shape's other
// members. Quirk, in the one table below: Lambda fills its errors' "Type"
// member ("User" or "Service") when the service did not.
package restjson

import (
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/protocol/awsjson"
	"github.com/nimbus-cloud/nimbus/internal/protocol/httpbinding"
	"github.com/nimbus-cloud/nimbus/internal/protocol/jsoncodec"
	"github.com/nimbus-cloud/nimbus/internal/protocol/validate"
)

// Protocol is the protocol's name in the models.
const Protocol = "rest-json"

// Codec reads and writes the rest-json protocol.
type Codec struct{}

var _ protocol.Codec = Codec{}

// Name implements protocol.Codec.
func (Codec) Name() string { return Protocol }

var unknownOperation = awserr.Def{Code: "UnknownOperationException", Status: http.StatusNotFound, Sender: true}

// Operation picks the operation whose method and URI template fit r best.
func (Codec) Operation(r *http.Request, svc *model.Service) (*model.Operation, error) {
	if op, _ := httpbinding.RouterFor(svc).Match(r); op != nil {
		return op, nil
	}
	return nil, unknownOperation.New("")
}

// Decode fills in from the URI, query string, headers and body, then
// validates it.
func (Codec) Decode(r *http.Request, svc *model.Service, op *model.Operation, in any) error {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return awserr.InternalFailure.New("We encountered an internal error. Please try again.")
	}
	if err := httpbinding.DecodeRequest(r, op, in); err != nil {
		var be *httpbinding.Error
		if errors.As(err, &be) {
			return awserr.SerializationError.New(be.Error())
		}
		return awserr.From(err)
	}
	st := model.StructOf(v.Elem().Type())
	if st.Payload >= 0 {
		if err := decodePayload(r, st.Fields[st.Payload], v.Elem()); err != nil {
			return err
		}
	} else if hasBodyMembers(st) {
		buf := jsoncodec.GetBuffer()
		defer buf.Release()
		var err error
		if buf.B, err = awsjson.ReadBody(r, buf.B, awsjson.MaxBody); err != nil {
			return err
		}
		if err := jsoncodec.UnmarshalBody(buf.B, in); err != nil {
			return err
		}
	}
	return validate.InputAs(svc, Protocol, in)
}

func hasBodyMembers(st *model.Struct) bool {
	for _, f := range st.Fields {
		if f.Location == "" && !f.Streaming {
			return true
		}
	}
	return false
}

// decodePayload fills the payload member f: a stream gets the body itself,
// a blob or string the raw bytes, a structure or document the JSON.
func decodePayload(r *http.Request, f *model.Field, v reflect.Value) error {
	fv := v.Field(f.Index)
	if f.Streaming || (fv.Kind() == reflect.Interface && fv.Type().NumMethod() > 0) {
		var body io.Reader = http.NoBody
		if r.Body != nil {
			body = r.Body
		}
		if reflect.TypeOf(body).AssignableTo(fv.Type()) {
			fv.Set(reflect.ValueOf(body))
		}
		return nil
	}
	body, err := awsjson.ReadBody(r, nil, awsjson.MaxBody)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	t := fv.Type()
	switch {
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		fv.SetBytes(body)
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.String:
		s := reflect.New(t.Elem())
		s.Elem().SetString(string(body))
		fv.Set(s)
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		payload := reflect.New(t.Elem())
		if err := jsoncodec.Unmarshal(body, payload.Interface()); err != nil {
			return err
		}
		fv.Set(payload)
	case t.Kind() == reflect.Interface:
		// A document payload: decoded through a one-member holder so the
		// JSON is checked and kept raw, as documents are elsewhere.
		var holder struct {
			Doc any `aws:"name=d"`
		}
		doc := append(append([]byte(`{"d":`), body...), '}')
		if err := jsoncodec.Unmarshal(doc, &holder); err != nil {
			return err
		}
		if holder.Doc != nil {
			fv.Set(reflect.ValueOf(holder.Doc))
		}
	}
	return nil
}

// Encode writes the header members, the status and the body: the payload
// member, or the JSON of the body members. Outputs without body members,
// HEAD requests and 204/304 answers have no body.
func (Codec) Encode(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, out any) error {
	info := request.FromContext(r.Context())
	h := w.Header()
	status := 0
	if op != nil {
		status = op.ResponseCode
	}
	if s := httpbinding.EncodeResponse(h, out); s != 0 {
		status = s
	}
	if info.Status != 0 {
		status = info.Status
	}
	if status == 0 {
		status = http.StatusOK
	}
	for k, vs := range info.Header {
		h[k] = vs
	}
	setRequestID(h, info)
	noBody := r.Method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified
	v := reflect.ValueOf(out)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return writeEmpty(w, status, noBody)
	}
	st := model.StructOf(v.Type())
	if st.Payload >= 0 {
		return writePayload(w, status, noBody, st.Fields[st.Payload], v)
	}
	if noBody || !hasBodyMembers(st) {
		return writeEmpty(w, status, noBody)
	}
	buf := jsoncodec.GetBuffer()
	defer buf.Release()
	if v.CanAddr() {
		buf.B = jsoncodec.AppendBody(buf.B, v.Addr().Interface())
	} else {
		buf.B = jsoncodec.AppendBody(buf.B, out)
	}
	return writeBody(w, status, "application/json", buf.B)
}

func setRequestID(h http.Header, info *request.Info) {
	if info.RequestID != "" && h.Get("X-Amzn-Requestid") == "" {
		h.Set("X-Amzn-Requestid", info.RequestID)
	}
}

func writeEmpty(w http.ResponseWriter, status int, noBody bool) error {
	if !noBody {
		w.Header().Set("Content-Length", "0")
	}
	w.WriteHeader(status)
	return nil
}

// writeBody writes a buffered body; a Content-Type set by a header member
// wins over the default.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) error {
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// writePayload writes the payload member f of output v. A stream is copied
// and then closed, whatever happens.
func writePayload(w http.ResponseWriter, status int, noBody bool, f *model.Field, v reflect.Value) error {
	fv := v.Field(f.Index)
	t := fv.Type()
	if t.Kind() == reflect.Interface && t.NumMethod() > 0 {
		var body io.Reader
		if !fv.IsNil() {
			body, _ = fv.Interface().(io.Reader)
		}
		if c, ok := body.(io.Closer); ok {
			defer c.Close()
		}
		if body == nil || noBody {
			return writeEmpty(w, status, noBody)
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		w.WriteHeader(status)
		_, err := io.Copy(w, body)
		return err
	}
	if noBody {
		return writeEmpty(w, status, true)
	}
	switch {
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		if fv.IsNil() {
			return writeEmpty(w, status, false)
		}
		return writeBody(w, status, "application/octet-stream", fv.Bytes())
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.String:
		if fv.IsNil() {
			return writeEmpty(w, status, false)
		}
		return writeBody(w, status, "text/plain", []byte(fv.Elem().String()))
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		if fv.IsNil() {
			return writeEmpty(w, status, false)
		}
		buf := jsoncodec.GetBuffer()
		defer buf.Release()
		buf.B = jsoncodec.Append(buf.B, fv.Interface())
		return writeBody(w, status, "application/json", buf.B)
	case t.Kind() == reflect.Interface:
		if fv.IsNil() {
			return writeEmpty(w, status, false)
		}
		var holder struct {
			Doc any `aws:"name=d"`
		}
		holder.Doc = fv.Interface()
		doc := jsoncodec.Marshal(&holder)
		return writeBody(w, status, "application/json", doc[len(`{"d":`):len(doc)-1])
	}
	return writeEmpty(w, status, false)
}

// typeMemberServices fill the "Type" member of their error shapes with the
// fault ("User" or "Service") when the service left it empty, as Lambda
// does on every error.
var typeMemberServices = map[string]bool{"lambda": true}

// EncodeError writes err: X-Amzn-Errortype names the code, the body holds
// the message and the members of the error shape.
func (Codec) EncodeError(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, err *awserr.Error) {
	info := request.FromContext(r.Context())
	h := w.Header()
	for k, vs := range err.Header {
		h[k] = vs
	}
	h.Set("X-Amzn-Errortype", err.Code)
	if svc.QueryCompatible {
		h.Set("X-Amzn-Query-Error", awsjson.QueryErrorHeader(err))
	}
	setRequestID(h, info)
	buf := jsoncodec.GetBuffer()
	defer buf.Release()
	buf.B = AppendError(buf.B, svc, err)
	if r.Method == http.MethodHead {
		w.WriteHeader(awsjson.Status(err))
		return
	}
	h.Set("Content-Type", "application/json")
	_ = writeBody(w, awsjson.Status(err), "application/json", buf.B)
}

// AppendError appends the JSON body of err.
func AppendError(b []byte, svc *model.Service, err *awserr.Error) []byte {
	shape := errorShapeType(svc, err)
	msgKey, typeKey := "message", ""
	if shape != nil {
		for _, f := range model.StructOf(shape).Fields {
			switch {
			case strings.EqualFold(f.GoName, "message"):
				msgKey = f.Name
			case f.GoName == "Type" && typeMemberServices[svc.Name]:
				typeKey = f.Name
			}
		}
	}
	b = append(b, '{')
	first := true
	field := func(k, v string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = jsoncodec.AppendString(b, k)
		b = append(b, ':')
		b = jsoncodec.AppendString(b, v)
	}
	if typeKey != "" && !detailHas(err.Detail, typeKey) {
		if err.Sender || (err.Status >= 400 && err.Status < 500) {
			field(typeKey, "User")
		} else {
			field(typeKey, "Service")
		}
	}
	field(msgKey, err.Message)
	b = awsjson.AppendDetailMembers(b, err.Detail, msgKey)
	return append(b, '}')
}

// errorShapeType is the struct type of err's error shape, if known.
func errorShapeType(svc *model.Service, err *awserr.Error) reflect.Type {
	if err.Detail != nil {
		t := reflect.TypeOf(err.Detail)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Struct {
			return t
		}
	}
	if shape, ok := svc.Errors[err.Code]; ok && shape.Type != nil {
		return shape.Type
	}
	return nil
}

func detailHas(detail any, key string) bool {
	switch d := detail.(type) {
	case nil:
		return false
	case map[string]string:
		_, ok := d[key]
		return ok
	}
	v := reflect.ValueOf(detail)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return false
	}
	for _, f := range model.StructOf(v.Type()).Fields {
		if f.Name == key {
			fv := v.Field(f.Index)
			return !(fv.Kind() == reflect.Pointer && fv.IsNil())
		}
	}
	return false
}
