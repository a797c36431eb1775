package restxml

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"sync"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol/httpbinding"
	"github.com/nimbus-cloud/nimbus/internal/protocol/xmlcodec"
)

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Encode implements protocol.Codec. Header members and request.Info.Header
// become response headers; the status is request.Info.Status, else the
// statusCode member, else the operation's; the body is the payload member
// (a stream is copied and then closed) or the body members under the output
// root element. HEAD responses have no body.
func (Codec) Encode(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, out any) error {
	info := request.FromContext(r.Context())
	h := w.Header()
	status := op.ResponseCode
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

	v := reflect.ValueOf(out)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		w.WriteHeader(status)
		return nil
	}
	st := model.StructOf(v.Type())
	if st.Payload >= 0 {
		return writePayload(w, r, svc, status, st.Fields[st.Payload], st, v)
	}
	if r.Method == http.MethodHead || !bodyAllowed(status) || !xmlcodec.HasBody(v.Type()) {
		w.WriteHeader(status)
		return nil
	}
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	b := append((*buf)[:0], xmlcodec.Header...)
	root := st.XMLName
	if root == "" {
		root = v.Type().Name()
	}
	if member := rootText[svc.Name][op.Name]; member != "" {
		b = appendRootText(b, root, namespace(svc), st, v, member)
	} else {
		b = xmlcodec.AppendRoot(b, root, namespace(svc), v.Addr().Interface())
	}
	*buf = b
	return writeXML(w, status, b)
}

// writePayload writes the payload member f of output v.
func writePayload(w http.ResponseWriter, r *http.Request, svc *model.Service, status int, f *model.Field, st *model.Struct, v reflect.Value) error {
	fv := v.Field(f.Index)
	if fv.Kind() == reflect.Interface {
		// A stream: copied with io.Copy so that an *os.File goes out with
		// sendfile, and closed afterwards whatever happens.
		var body io.Reader
		if !fv.IsNil() {
			body, _ = fv.Interface().(io.Reader)
		}
		if c, ok := body.(io.Closer); ok {
			defer c.Close()
		}
		if body == nil || r.Method == http.MethodHead || !bodyAllowed(status) {
			w.WriteHeader(status)
			return nil
		}
		suppressSniffing(w.Header())
		w.WriteHeader(status)
		_, err := io.Copy(w, body)
		return err
	}
	if r.Method == http.MethodHead || !bodyAllowed(status) {
		w.WriteHeader(status)
		return nil
	}
	switch {
	case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Uint8:
		return writeRaw(w, status, fv.Bytes())
	case fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.String:
		if fv.IsNil() {
			w.WriteHeader(status)
			return nil
		}
		return writeRaw(w, status, []byte(fv.Elem().String()))
	case fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.Struct:
		if fv.IsNil() {
			w.WriteHeader(status)
			return nil
		}
		ns := f.XMLNS
		if ns == "" {
			ns = namespace(svc)
		}
		buf := buffers.Get().(*[]byte)
		defer buffers.Put(buf)
		b := append((*buf)[:0], xmlcodec.Header...)
		b = xmlcodec.AppendRoot(b, payloadRoot(f), ns, fv.Interface())
		*buf = b
		return writeXML(w, status, b)
	}
	w.WriteHeader(status)
	return nil
}

// payloadRoot is the element name of a structure payload: the member's
// wire name when the model gives one, else the structure's own.
func payloadRoot(f *model.Field) string {
	if f.Name == f.GoName {
		if xn := model.StructOf(f.Type).XMLName; xn != "" {
			return xn
		}
	}
	return f.Name
}

// appendRootText writes <root xmlns=ns>text</root> with the text of member.
func appendRootText(b []byte, root, ns string, st *model.Struct, v reflect.Value, member string) []byte {
	b = append(b, '<')
	b = append(b, root...)
	if ns != "" {
		b = append(b, ` xmlns="`...)
		b = xmlcodec.AppendEscaped(b, ns)
		b = append(b, '"')
	}
	b = append(b, '>')
	if f := st.FieldByName(member); f != nil {
		if s, ok := httpbinding.FormatText(v.Field(f.Index), f.TimestampFormat); ok {
			b = xmlcodec.AppendEscaped(b, s)
		}
	}
	b = append(b, "</"...)
	b = append(b, root...)
	return append(b, '>')
}

func writeXML(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

func writeRaw(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	suppressSniffing(h)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// suppressSniffing keeps net/http from guessing a Content-Type for a body
// whose type the output did not give: AWS sends none then.
func suppressSniffing(h http.Header) {
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil
	}
}

// bodyAllowed reports whether HTTP allows a body with status.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// EncodeError implements protocol.Codec. S3 and S3 Control write
//
//	<Error><Code/><Message/>{detail}<RequestId/><HostId/></Error>
//
// and the other rest-xml services
//
//	<ErrorResponse xmlns=".."><Error><Type>Sender</Type><Code/><Message/>{detail}</Error><RequestId/></ErrorResponse>
//
// Detail members (a map[string]string or an error structure) are written
// beside Code and Message; Error.Header goes into the response headers.
// HEAD responses and 304s carry no body.
func (Codec) EncodeError(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, e *awserr.Error) {
	if e == nil {
		e = awserr.InternalFailure.New("We encountered an internal error. Please try again.")
	}
	info := request.FromContext(r.Context())
	h := w.Header()
	for k, vs := range e.Header {
		h[k] = vs
	}
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	code := e.Code
	unwrapped := unwrappedErrors[svc.Name]
	if unwrapped && code == awserr.InternalFailure.Code {
		code = "InternalError" // S3's spelling
	}
	if r.Method == http.MethodHead || !bodyAllowed(status) {
		w.WriteHeader(status)
		return
	}
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	b := append((*buf)[:0], xmlcodec.Header...)
	if unwrapped {
		b = append(b, "<Error>"...)
		b = xmlcodec.AppendElement(b, "Code", code)
		b = xmlcodec.AppendElement(b, "Message", e.Message)
		b = appendDetail(b, e.Detail)
		b = xmlcodec.AppendElement(b, "RequestId", info.RequestID)
		b = xmlcodec.AppendElement(b, "HostId", hostID(info.RequestID))
		b = append(b, "</Error>"...)
	} else {
		b = append(b, "<ErrorResponse"...)
		if ns := namespace(svc); ns != "" {
			b = append(b, ` xmlns="`...)
			b = xmlcodec.AppendEscaped(b, ns)
			b = append(b, '"')
		}
		b = append(b, "><Error>"...)
		fault := "Receiver"
		if e.Sender {
			fault = "Sender"
		}
		b = xmlcodec.AppendElement(b, "Type", fault)
		b = xmlcodec.AppendElement(b, "Code", code)
		b = xmlcodec.AppendElement(b, "Message", e.Message)
		b = appendDetail(b, e.Detail)
		b = append(b, "</Error>"...)
		b = xmlcodec.AppendElement(b, "RequestId", info.RequestID)
		b = append(b, "</ErrorResponse>"...)
	}
	*buf = b
	_ = writeXML(w, status, b)
}

// errorEnvelope are the elements the envelope writes itself.
var errorEnvelope = map[string]bool{"Code": true, "Message": true, "message": true, "RequestId": true, "HostId": true, "Type": true}

func appendDetail(b []byte, detail any) []byte {
	switch d := detail.(type) {
	case nil:
		return b
	case map[string]string:
		for k := range d {
			if errorEnvelope[k] {
				m := make(map[string]string, len(d))
				for k, v := range d {
					if !errorEnvelope[k] {
						m[k] = v
					}
				}
				return xmlcodec.AppendStringMap(b, m)
			}
		}
		return xmlcodec.AppendStringMap(b, d)
	}
	return xmlcodec.AppendMembers(b, detail, func(name string) bool { return errorEnvelope[name] })
}

// hostID is S3's x-amz-id-2 style host id, derived from the request id so
// that the two stay paired.
func hostID(requestID string) string {
	sum := sha256.Sum256([]byte("nimbus-host-id/" + requestID))
	return base64.StdEncoding.EncodeToString(sum[:])
}
