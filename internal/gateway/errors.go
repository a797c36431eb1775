package gateway

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/sigv4"
)

// unknownServiceError is the answer to a request that names no service
// Nimbus serves, in the terms of the protocol the request speaks.
func unknownServiceError(r *http.Request, auth *sigv4.Auth) *awserr.Error {
	var what string
	switch {
	case auth != nil && auth.Service != "":
		what = fmt.Sprintf("the service %q", auth.Service)
	case r.Header.Get("X-Amz-Target") != "":
		what = fmt.Sprintf("the X-Amz-Target %q", r.Header.Get("X-Amz-Target"))
	case cborService(r) != "":
		what = fmt.Sprintf("the service %q", cborService(r))
	default:
		what = "this request's service"
	}
	if requestProtocol(r) == protoQuery {
		form := lazyForm{r: r}
		if action := form.values().Get("Action"); action != "" {
			return awserr.InvalidAction.Newf("The action %s is not valid for this web service.", action)
		}
		return awserr.InvalidAction.Newf("Nimbus does not serve %s.", what)
	}
	return awserr.UnknownOperation.Newf("Nimbus does not serve %s.", what)
}

// writeUnknownService answers a request no service claimed: a 400 in the
// wire form of the protocol the request speaks, written by that protocol's
// codec for a stand-in service, never a bare 404 page.
func (g *Gateway) writeUnknownService(w http.ResponseWriter, r *http.Request, auth *sigv4.Auth, reqID string) {
	ae := unknownServiceError(r, auth)
	w.Header().Set("X-Amzn-Requestid", reqID)
	p := requestProtocol(r)
	if p == "" {
		p = protoRESTXML
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.Contains(ct, "json") {
			p = protoRESTJSON
		}
	}
	codec := g.codecs[p]
	if codec == nil {
		writeBareError(w, r, ae, reqID)
		return
	}
	name := "unknown"
	if auth != nil && auth.Service != "" {
		name = auth.Service
	}
	jsonVersion := "1.0"
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-amz-json-1.1" {
		jsonVersion = "1.1"
	}
	stand := (&model.Service{Name: name, Protocol: p, Protocols: []string{p}, JSONVersion: jsonVersion, SigningName: name}).Init()
	defer func() {
		if v := recover(); v != nil {
			g.log.Error("codec panicked writing an unknown-service error", "protocol", p, "panic", fmt.Sprint(v))
			writeBareError(w, r, ae, reqID)
		}
	}()
	codec.EncodeError(w, r, stand, nil, ae)
}

// writeBareError writes an error without a codec, for the rare case where
// none can: JSON when the request speaks JSON, else the query/REST XML
// error envelope.
func writeBareError(w http.ResponseWriter, r *http.Request, ae *awserr.Error, requestID string) {
	status := ae.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if p := requestProtocol(r); p == protoJSON || p == protoCBOR || strings.Contains(ct, "json") {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", ae.Code)
		w.WriteHeader(status)
		b, _ := json.Marshal(map[string]string{"__type": ae.Code, "message": ae.Message})
		w.Write(b)
		return
	}
	fault := "Receiver"
	if ae.Sender {
		fault = "Sender"
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<ErrorResponse><Error><Type>" + fault + "</Type><Code>")
	xml.EscapeText(&b, []byte(ae.Code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(ae.Message))
	b.WriteString("</Message></Error><RequestId>")
	xml.EscapeText(&b, []byte(requestID))
	b.WriteString("</RequestId></ErrorResponse>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

// newRequestID returns S3's 16 upper-case hex digits, or a UUID for every
// other service.
func newRequestID(s3 bool) string {
	var b [16]byte
	rand.Read(b[:])
	if s3 {
		return strings.ToUpper(hex.EncodeToString(b[:8]))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// setRequestIDHeaders names the request in the response: S3 sends
// x-amz-request-id with its x-amz-id-2 host id, the others x-amzn-RequestId.
func setRequestIDHeaders(h http.Header, id string, s3 bool) {
	if s3 {
		h.Set("X-Amz-Request-Id", id)
		h.Set("X-Amz-Id-2", hostID(id))
		return
	}
	h.Set("X-Amzn-Requestid", id)
}

// hostID derives x-amz-id-2 from the request id, the same way the rest-xml
// codec derives the HostId of S3 error bodies, so header and body agree.
func hostID(requestID string) string {
	sum := sha256.Sum256([]byte("nimbus-host-id/" + requestID))
	return base64.StdEncoding.EncodeToString(sum[:])
}
