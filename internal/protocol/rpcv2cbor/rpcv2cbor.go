// Package rpcv2cbor is the codec of the Smithy RPC v2 CBOR protocol
// (CloudWatch speaks it to boto3 and the newer SDKs): every request is
// POST /service/{ServiceName}/operation/{Operation} with the header
// "smithy-protocol: rpc-v2-cbor" and the input as a CBOR map; responses
// carry the same header and the output as a CBOR map; errors are CBOR maps
// naming their shape in "__type". Timestamps are tag 1 around epoch seconds.
//
// The CBOR reader and writer are our own (RFC 8949 is small, and the models
// use only a handful of its types): they decode straight into the typed
// structs through their `aws` tags, never panic on any input and bound the
// nesting depth.
package rpcv2cbor

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/protocol/awsjson"
	"github.com/nimbus-cloud/nimbus/internal/protocol/jsoncodec"
	"github.com/nimbus-cloud/nimbus/internal/protocol/validate"
)

// Protocol is the protocol's name in the models.
const Protocol = "smithy-rpc-v2-cbor"

// Codec speaks smithy-rpc-v2-cbor.
type Codec struct{}

var _ protocol.Codec = Codec{}

// Name implements protocol.Codec.
func (Codec) Name() string { return Protocol }

// unknownOperation is what a Smithy RPC v2 server answers for a path that
// names no operation of the service.
var unknownOperation = awserr.Def{Code: "UnknownOperationException", Status: http.StatusNotFound, Sender: true}

// Operation reads the operation from the path. The service segment is the
// Smithy service shape name, which the models carry as targetPrefix.
func (Codec) Operation(r *http.Request, svc *model.Service) (*model.Operation, error) {
	path := r.URL.Path
	i := strings.LastIndex(path, "/service/")
	if i < 0 || r.Method != http.MethodPost {
		return nil, unknownOperation.New("")
	}
	service, opName, ok := strings.Cut(path[i+len("/service/"):], "/operation/")
	if !ok || strings.Contains(opName, "/") || (svc.TargetPrefix != "" && service != svc.TargetPrefix) {
		return nil, unknownOperation.New("")
	}
	if op := svc.Op(opName); op != nil {
		return op, nil
	}
	return nil, unknownOperation.New("")
}

// Decode reads the CBOR body into in and validates it.
func (Codec) Decode(r *http.Request, svc *model.Service, op *model.Operation, in any) error {
	buf := jsoncodec.GetBuffer()
	defer buf.Release()
	var err error
	if buf.B, err = awsjson.ReadBody(r, buf.B, awsjson.MaxBody); err != nil {
		return err
	}
	if err := Unmarshal(buf.B, in); err != nil {
		return err
	}
	return validate.InputAs(svc, Protocol, in)
}

// Unmarshal decodes a CBOR map into v, a pointer to a generated struct.
// Empty data leaves v untouched.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return awserr.InternalFailure.New("rpcv2cbor: Unmarshal needs a pointer to a struct")
	}
	if len(data) == 0 {
		return nil
	}
	rd := reader{b: data}
	if c, _ := rd.peek(); c == simpleNull || c == simpleUndefined {
		rd.i++
	} else if err := rd.decodeStruct(rv.Elem()); err != nil {
		return err
	}
	if rd.i != len(data) {
		return rd.errorf("unexpected data after the body")
	}
	return nil
}

// Append appends the CBOR map of v (a generated struct or a pointer to one;
// nil gives an empty map).
func Append(b []byte, v any) []byte {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return appendHead(b, majorMap, 0)
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return appendHead(b, majorMap, 0)
	}
	return appendStruct(b, rv)
}

// Encode writes the output as CBOR.
func (Codec) Encode(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, out any) error {
	info := request.FromContext(r.Context())
	buf := jsoncodec.GetBuffer()
	defer buf.Release()
	buf.B = Append(buf.B, out)
	status := info.Status
	if status == 0 && op != nil {
		status = op.ResponseCode
	}
	if status == 0 {
		status = http.StatusOK
	}
	return write(w, info.Header, info.RequestID, nil, status, buf.B)
}

func write(w http.ResponseWriter, base http.Header, requestID string, extra http.Header, status int, body []byte) error {
	h := w.Header()
	for k, vs := range base {
		h[k] = vs
	}
	for k, vs := range extra {
		h[k] = vs
	}
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("Content-Type", "application/cbor")
	h.Set("Content-Length", itoa(uint64(len(body))))
	if requestID != "" && h.Get("X-Amzn-Requestid") == "" {
		h.Set("X-Amzn-Requestid", requestID)
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// EncodeError writes err as a CBOR map: "__type" (the error's shape id),
// "message" and the members of its error shape.
func (Codec) EncodeError(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, err *awserr.Error) {
	info := request.FromContext(r.Context())
	buf := jsoncodec.GetBuffer()
	defer buf.Release()
	buf.B = AppendError(buf.B, svc, err)
	extra := http.Header{}
	for k, vs := range err.Header {
		extra[k] = vs
	}
	if svc.QueryCompatible {
		extra.Set("X-Amzn-Query-Error", awsjson.QueryErrorHeader(err))
	}
	_ = write(w, nil, info.RequestID, extra, awsjson.Status(err), buf.B)
}

// AppendError appends the CBOR body of err.
func AppendError(b []byte, svc *model.Service, err *awserr.Error) []byte {
	msgKey := "message"
	var detail reflect.Value
	var si *structInfo
	var detailMap map[string]string
	switch d := err.Detail.(type) {
	case nil:
	case map[string]string:
		detailMap = d
	default:
		detail = reflect.ValueOf(d)
		for detail.Kind() == reflect.Pointer && !detail.IsNil() {
			detail = detail.Elem()
		}
		if detail.Kind() == reflect.Struct {
			si = infoOf(detail.Type())
			for _, f := range si.fields {
				if strings.EqualFold(f.GoName, "message") {
					msgKey = f.Name
				}
			}
		}
	}
	var fields []byte
	n := 1 // __type
	if err.Message != "" {
		n++
	}
	if si != nil {
		fields = appendFields(nil, detail, si, msgKey)
		for _, f := range si.fields {
			if f.Name != msgKey && !isAbsent(detail.Field(f.Index)) {
				n++
			}
		}
	}
	for k := range detailMap {
		if k != msgKey {
			n++
		}
	}
	b = appendHead(b, majorMap, uint64(n))
	b = appendText(b, "__type")
	b = appendText(b, "com.amazonaws."+svc.Name+"#"+err.Code)
	if err.Message != "" {
		b = appendText(b, msgKey)
		b = appendText(b, err.Message)
	}
	b = append(b, fields...)
	if detailMap != nil {
		m := make(map[string]any, len(detailMap))
		for k, v := range detailMap {
			if k != msgKey {
				m[k] = v
			}
		}
		// Reuse the map writer for its sorted keys, without its head.
		entries := appendAny(nil, m)
		_, skip := headSize(entries)
		b = append(b, entries[skip:]...)
	}
	return b
}

// headSize returns the argument of the head at the start of b and the
// head's length in bytes.
func headSize(b []byte) (uint64, int) {
	rd := reader{b: b}
	h, _ := rd.readHead()
	return h.arg, rd.i
}
