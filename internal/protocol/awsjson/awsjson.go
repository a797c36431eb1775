// Package awsjson is the codec of AWS's JSON protocol (awsJson1_0 and
// awsJson1_1): every request is a POST to / whose X-Amz-Target header names
// "{targetPrefix}.{Operation}" and whose body is the input as JSON; the
// response body is the output as JSON, and errors are JSON objects naming
// their code in "__type".
package awsjson

import (
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/protocol/jsoncodec"
	"github.com/nimbus-cloud/nimbus/internal/protocol/validate"
)

// MaxBody is the largest request body read. The largest JSON requests AWS
// takes are DynamoDB's 16 MB batch writes.
const MaxBody = 32 << 20

// Codec speaks the json protocol.
type Codec struct{}

var _ protocol.Codec = Codec{}

// Name implements protocol.Codec.
func (Codec) Name() string { return "json" }

// Operation reads X-Amz-Target.
func (Codec) Operation(r *http.Request, svc *model.Service) (*model.Operation, error) {
	target := r.Header.Get("X-Amz-Target")
	prefix, name, ok := strings.Cut(target, ".")
	if ok && prefix == svc.TargetPrefix {
		if op := svc.Op(name); op != nil {
			return op, nil
		}
	}
	return nil, awserr.UnknownOperation.New("")
}

// Decode reads the JSON body into in and validates it.
func (Codec) Decode(r *http.Request, svc *model.Service, op *model.Operation, in any) error {
	buf := jsoncodec.GetBuffer()
	defer buf.Release()
	var err error
	if buf.B, err = ReadBody(r, buf.B, MaxBody); err != nil {
		return err
	}
	if err := jsoncodec.Unmarshal(buf.B, in); err != nil {
		return err
	}
	return validate.InputAs(svc, "json", in)
}

// ReadBody appends the request body to dst, refusing bodies over limit.
func ReadBody(r *http.Request, dst []byte, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return dst, nil
	}
	if r.ContentLength > limit {
		return dst, awserr.RequestTooLarge.New("Request body is too large")
	}
	if n := int(r.ContentLength); n > 0 && cap(dst)-len(dst) < n {
		grown := make([]byte, len(dst), len(dst)+n+1)
		copy(grown, dst)
		dst = grown
	}
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Body.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if int64(len(dst)) > limit {
			return dst, awserr.RequestTooLarge.New("Request body is too large")
		}
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			return dst, awserr.SerializationError.New("Failed to read the request body")
		}
	}
}

// ContentType returns the media type of svc's JSON version.
func ContentType(svc *model.Service) string {
	if svc.JSONVersion == "1.1" {
		return "application/x-amz-json-1.1"
	}
	return "application/x-amz-json-1.0"
}

// Encode writes the output as JSON ({} when there is none).
func (Codec) Encode(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, out any) error {
	info := request.FromContext(r.Context())
	buf := jsoncodec.GetBuffer()
	defer buf.Release()
	if out == nil {
		buf.B = append(buf.B, '{', '}')
	} else {
		buf.B = jsoncodec.Append(buf.B, out)
	}
	status := info.Status
	if status == 0 && op != nil {
		status = op.ResponseCode
	}
	if status == 0 {
		status = http.StatusOK
	}
	return write(w, svc, info, nil, status, buf.B)
}

func write(w http.ResponseWriter, svc *model.Service, info *request.Info, extra http.Header, status int, body []byte) error {
	h := w.Header()
	for k, vs := range info.Header {
		h[k] = vs
	}
	for k, vs := range extra {
		h[k] = vs
	}
	h.Set("Content-Type", ContentType(svc))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if info.RequestID != "" && h.Get("X-Amzn-Requestid") == "" {
		h.Set("X-Amzn-Requestid", info.RequestID)
	}
	if crc32Services[svc.Name] {
		h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// crc32Services send x-amz-crc32, the CRC32 (IEEE) of the body, on every
// response; their SDK clients check it when it is present.
var crc32Services = map[string]bool{"dynamodb": true}

// EncodeError writes err as {"__type": ..., "message": ...} with the
// members of its error shape beside them.
func (Codec) EncodeError(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, err *awserr.Error) {
	info := request.FromContext(r.Context())
	buf := jsoncodec.GetBuffer()
	defer buf.Release()
	buf.B = AppendError(buf.B, svc, err)
	extra := http.Header{}
	for k, vs := range err.Header {
		extra[k] = vs
	}
	extra.Set("X-Amzn-Errortype", err.Code)
	if svc.QueryCompatible {
		extra.Set("X-Amzn-Query-Error", QueryErrorHeader(err))
	}
	// A failed request keeps none of the success extras the service may
	// already have set.
	_ = write(w, svc, &request.Info{RequestID: info.RequestID}, extra, Status(err), buf.B)
}

// Status returns the HTTP status of err.
func Status(err *awserr.Error) int {
	switch {
	case err.Status != 0:
		return err.Status
	case err.Sender:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// QueryErrorHeader is the x-amzn-query-error value of query-compatible
// services: the query protocol's code and the fault, e.g.
// "AWS.SimpleQueueService.NonExistentQueue;Sender".
func QueryErrorHeader(err *awserr.Error) string {
	code := err.QueryCode
	if code == "" {
		code = err.Code
	}
	if err.Sender || (err.Status >= 400 && err.Status < 500) {
		return code + ";Sender"
	}
	return code + ";Receiver"
}

// Namespaces of the "__type" of errors. Errors of a service's model are
// "<namespace>#<Code>"; errors the AWS front end raises before a request
// reaches the service carry the front end's own namespace, as AWS sends
// them. Clients keep only what follows '#', so these matter for fidelity,
// not for function.
var (
	// serviceNamespaces holds services whose namespace is not
	// "com.amazonaws.<name>".
	serviceNamespaces = map[string]string{
		"dynamodb":        "com.amazonaws.dynamodb.v20120810",
		"dynamodbstreams": "com.amazonaws.dynamodb.v20120810",
	}
	// frontEndNamespaces holds the codes raised by the front end.
	frontEndNamespaces = map[string]string{
		"SerializationException":              "com.amazon.coral.service",
		"UnknownOperationException":           "com.amazon.coral.service",
		"UnrecognizedClientException":         "com.amazon.coral.service",
		"MissingAuthenticationTokenException": "com.amazon.coral.service",
		"InvalidSignatureException":           "com.amazon.coral.service",
		"IncompleteSignatureException":        "com.amazon.coral.service",
		"AccessDeniedException":               "com.amazon.coral.service",
		"ValidationException":                 "com.amazon.coral.validate",
	}
)

// ErrorType returns the "__type" of err for svc.
func ErrorType(svc *model.Service, err *awserr.Error) string {
	if _, modelled := svc.Errors[err.Code]; !modelled {
		if ns, ok := frontEndNamespaces[err.Code]; ok {
			return ns + "#" + err.Code
		}
	}
	ns, ok := serviceNamespaces[svc.Name]
	if !ok {
		ns = "com.amazonaws." + svc.Name
	}
	return ns + "#" + err.Code
}

// AppendError appends the JSON body of err.
func AppendError(b []byte, svc *model.Service, err *awserr.Error) []byte {
	b = append(b, `{"__type":`...)
	b = appendJSONString(b, ErrorType(svc, err))
	msgKey := messageKey(svc, err)
	if err.Message != "" {
		b = append(b, ',')
		b = appendJSONString(b, msgKey)
		b = append(b, ':')
		b = appendJSONString(b, err.Message)
	}
	b = AppendDetailMembers(b, err.Detail, msgKey)
	return append(b, '}')
}

// messageKey is the wire name of the message member of err's shape:
// "message" for most services, "Message" for some.
func messageKey(svc *model.Service, err *awserr.Error) string {
	var t reflect.Type
	if err.Detail != nil {
		t = reflect.TypeOf(err.Detail)
	} else if shape, ok := svc.Errors[err.Code]; ok {
		t = shape.Type
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && t.Kind() == reflect.Struct {
		for _, f := range model.StructOf(t).Fields {
			if strings.EqualFold(f.GoName, "message") {
				return f.Name
			}
		}
	}
	return "message"
}

// AppendDetailMembers appends ',"name":value' for each member of an error
// shape struct (or a map[string]string) in detail; the member named msgKey
// is skipped, since the error's message goes out on its own.
func AppendDetailMembers(b []byte, detail any, msgKey string) []byte {
	switch d := detail.(type) {
	case nil:
	case map[string]string:
		for _, k := range sortedKeys(d) {
			if strings.EqualFold(k, msgKey) {
				continue
			}
			b = append(b, ',')
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, d[k])
		}
	default:
		obj := jsoncodec.Marshal(withoutMessage(detail))
		if len(obj) > 2 {
			b = append(b, ',')
			b = append(b, obj[1:len(obj)-1]...)
		}
	}
	return b
}

// withoutMessage returns a copy of the error shape struct v with its message
// member cleared.
func withoutMessage(v any) any {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	cp := reflect.New(rv.Type())
	cp.Elem().Set(rv)
	for _, f := range model.StructOf(rv.Type()).Fields {
		if strings.EqualFold(f.GoName, "message") {
			cp.Elem().Field(f.Index).SetZero()
		}
	}
	return cp.Interface()
}

func appendJSONString(b []byte, s string) []byte {
	return jsoncodec.AppendString(b, s)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
