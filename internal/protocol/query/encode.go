package query

import (
	"net/http"
	"reflect"
	"strconv"
	"sync"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol/xmlcodec"
)

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// Encode implements protocol.Codec: the output goes in the result wrapper
// element of the operation, empty when the output has no members (directly
// in the response element when the model names no wrapper), followed by the
// response metadata.
func (Codec) Encode(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, out any) error {
	info := request.FromContext(r.Context())
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	b := (*buf)[:0]
	b = append(b, '<')
	b = append(b, op.Name...)
	b = append(b, "Response"...)
	b = appendNS(b, svc.XMLNamespace)
	b = append(b, '>')
	switch {
	case isNil(out):
	case op.ResultWrapper != "":
		b = xmlcodec.AppendRoot(b, op.ResultWrapper, "", out)
	default:
		b = xmlcodec.AppendMembers(b, out, nil)
	}
	b = append(b, "<ResponseMetadata>"...)
	b = xmlcodec.AppendElement(b, "RequestId", info.RequestID)
	b = append(b, "</ResponseMetadata></"...)
	b = append(b, op.Name...)
	b = append(b, "Response>"...)
	*buf = b

	status := http.StatusOK
	if info.Status != 0 {
		status = info.Status
	}
	h := w.Header()
	for k, vs := range info.Header {
		h[k] = vs
	}
	return writeXML(w, status, b)
}

func isNil(out any) bool {
	v := reflect.ValueOf(out)
	return !v.IsValid() || (v.Kind() == reflect.Pointer && v.IsNil())
}

func appendNS(b []byte, ns string) []byte {
	if ns == "" {
		return b
	}
	b = append(b, ` xmlns="`...)
	b = xmlcodec.AppendEscaped(b, ns)
	return append(b, '"')
}

func writeXML(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// EncodeError implements protocol.Codec:
//
//	<ErrorResponse xmlns=".."><Error><Type>Sender</Type><Code/><Message/>{detail}</Error><RequestId/></ErrorResponse>
//
// A query-compatible service (a JSON service that also speaks query) uses
// the error's query code when it has one.
func (Codec) EncodeError(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, e *awserr.Error) {
	if e == nil {
		e = awserr.InternalFailure.New("We encountered an internal error. Please try again.")
	}
	info := request.FromContext(r.Context())
	code := e.Code
	if svc.QueryCompatible && e.QueryCode != "" {
		code = e.QueryCode
	}
	fault := "Receiver"
	if e.Sender {
		fault = "Sender"
	}
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	b := append((*buf)[:0], "<ErrorResponse"...)
	b = appendNS(b, svc.XMLNamespace)
	b = append(b, "><Error>"...)
	b = xmlcodec.AppendElement(b, "Type", fault)
	b = xmlcodec.AppendElement(b, "Code", code)
	b = xmlcodec.AppendElement(b, "Message", e.Message)
	b = appendDetail(b, e.Detail)
	b = append(b, "</Error>"...)
	b = xmlcodec.AppendElement(b, "RequestId", info.RequestID)
	b = append(b, "</ErrorResponse>"...)
	*buf = b

	h := w.Header()
	for k, vs := range e.Header {
		h[k] = vs
	}
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	_ = writeXML(w, status, b)
}

// errorEnvelope are the elements EncodeError writes itself.
var errorEnvelope = map[string]bool{"Type": true, "Code": true, "Message": true, "message": true, "RequestId": true}

func appendDetail(b []byte, detail any) []byte {
	switch d := detail.(type) {
	case nil:
		return b
	case map[string]string:
		m := make(map[string]string, len(d))
		for k, v := range d {
			if !errorEnvelope[k] {
				m[k] = v
			}
		}
		return xmlcodec.AppendStringMap(b, m)
	}
	return xmlcodec.AppendMembers(b, detail, func(name string) bool { return errorEnvelope[name] })
}
