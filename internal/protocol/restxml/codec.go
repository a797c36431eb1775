// Package restxml is the codec of the rest-xml protocol (S3, S3 Control,
// Route 53, CloudFront): HTTP bindings (httpbinding) plus an XML body
// (xmlcodec), driven by the service model and the struct tags.
//
// Quirks, kept in the tables of quirks.go: S3 and S3 Control write errors
// without the <ErrorResponse> wrapper; services whose models carry no XML
// namespace get AWS's; S3's GetBucketLocation answers with the location as
// the root element's text.
package restxml

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/checksum"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/protocol/httpbinding"
	"github.com/nimbus-cloud/nimbus/internal/protocol/validate"
	"github.com/nimbus-cloud/nimbus/internal/protocol/xmlcodec"
)

// Codec reads and writes the rest-xml protocol.
type Codec struct{}

var _ protocol.Codec = Codec{}

// Name implements protocol.Codec.
func (Codec) Name() string { return "rest-xml" }

// maxXMLBody bounds the XML documents read into memory (S3's largest,
// CompleteMultipartUpload of 10,000 parts, is about 1 MiB).
const maxXMLBody = 32 << 20

var (
	errMethodNotAllowed = awserr.Def{Code: "MethodNotAllowed", Status: http.StatusMethodNotAllowed, Sender: true}
	errUnknownOperation = awserr.Def{Code: "UnknownOperationException", Status: http.StatusNotFound, Sender: true}
	errMalformedXML     = awserr.Def{Code: "MalformedXML", Status: http.StatusBadRequest, Sender: true}
)

// Operation implements protocol.Codec: the operation whose method and URI
// template fit r best (see httpbinding.Router).
func (Codec) Operation(r *http.Request, svc *model.Service) (*model.Operation, error) {
	op, pathKnown := httpbinding.RouterFor(svc).Match(r)
	if op != nil {
		return op, nil
	}
	if pathKnown {
		e := errMethodNotAllowed.New("The specified method is not allowed against this resource.")
		detail := map[string]string{"Method": r.Method}
		if unwrappedErrors[svc.Name] {
			detail["ResourceType"] = s3ResourceType(r.URL.EscapedPath())
		}
		return nil, e.WithDetail(detail)
	}
	return nil, errUnknownOperation.Newf("No operation of %s matches %s %s.", svc.ID, r.Method, r.URL.EscapedPath())
}

func s3ResourceType(path string) string {
	path = strings.TrimPrefix(path, "/")
	switch {
	case path == "":
		return "SERVICE"
	case strings.Contains(strings.TrimSuffix(path, "/"), "/"):
		return "OBJECT"
	}
	return "BUCKET"
}

// Decode implements protocol.Codec.
func (Codec) Decode(r *http.Request, svc *model.Service, op *model.Operation, in any) error {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return awserr.InternalFailure.New("We encountered an internal error. Please try again.")
	}
	if err := httpbinding.DecodeRequest(r, op, in); err != nil {
		return bindingError(svc, err)
	}
	st := model.StructOf(v.Elem().Type())
	if st.Payload >= 0 {
		if err := decodePayload(r, svc, st.Fields[st.Payload], v.Elem()); err != nil {
			return err
		}
	} else if xmlcodec.HasBody(st.Type) {
		body, err := readBody(r)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := xmlcodec.Unmarshal(body, in); err != nil {
				return malformed(svc)
			}
		}
	}
	if problems := validate.Check(svc, in); len(problems) > 0 {
		if unwrappedErrors[svc.Name] && st.Payload >= 0 && inPayload(problems, st.Fields[st.Payload]) {
			// S3 checks a body against its XML schema before anything else.
			return malformed(svc)
		}
		return validate.ErrorFor(svc, svc.Protocol, problems)
	}
	return nil
}

// inPayload reports whether a problem lies inside the payload document
// (a missing or bad element), not in the payload member itself.
func inPayload(problems []validate.Problem, payload *model.Field) bool {
	prefix := payload.GoName + "."
	for _, p := range problems {
		if len(p.Path) > len(prefix) && strings.EqualFold(p.Path[:len(prefix)], prefix) {
			return true
		}
	}
	return false
}

// decodePayload fills the payload member f: a stream gets the body itself,
// a blob or string the raw bytes, a structure the XML document. An empty
// body leaves the member nil.
func decodePayload(r *http.Request, svc *model.Service, f *model.Field, v reflect.Value) error {
	fv := v.Field(f.Index)
	if f.Streaming || fv.Kind() == reflect.Interface {
		var body io.Reader = http.NoBody
		if r.Body != nil {
			body = r.Body
		}
		if reflect.TypeOf(body).AssignableTo(fv.Type()) {
			fv.Set(reflect.ValueOf(body))
		}
		return nil
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	switch {
	case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Uint8:
		if len(body) > 0 {
			fv.SetBytes(body)
		}
	case fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.String:
		if len(body) > 0 {
			s := reflect.New(fv.Type().Elem())
			s.Elem().SetString(string(body))
			fv.Set(s)
		}
	case fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.Struct:
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		payload := reflect.New(fv.Type().Elem())
		if err := xmlcodec.Unmarshal(body, payload.Interface()); err != nil {
			return malformed(svc)
		}
		fv.Set(payload)
	}
	return nil
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil {
		return nil, awserr.SerializationError.New("The request body could not be read.")
	}
	if len(body) > maxXMLBody {
		return nil, awserr.RequestTooLarge.New("Your request was too big.")
	}
	if err := checkDigests(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

var (
	errBadDigest     = awserr.Def{Code: "BadDigest", Status: http.StatusBadRequest, Sender: true}
	errInvalidDigest = awserr.Def{Code: "InvalidDigest", Status: http.StatusBadRequest, Sender: true}
	errInvalidReq    = awserr.Def{Code: "InvalidRequest", Status: http.StatusBadRequest, Sender: true}
)

// checkDigests verifies the Content-MD5 and x-amz-checksum-* headers of a
// body the codec read whole (streamed payloads are the service's to check),
// so that a configuration or a DeleteObjects batch corrupted on the way is
// refused as S3 refuses it.
func checkDigests(r *http.Request, body []byte) error {
	if v := r.Header.Get("Content-MD5"); v != "" {
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(want) != md5.Size {
			return errInvalidDigest.New("The Content-MD5 you specified was invalid.").WithDetail(map[string]string{"Content-MD5": v})
		}
		if got := md5.Sum(body); !bytes.Equal(got[:], want) {
			return errBadDigest.New("The Content-MD5 you specified did not match what we received.").WithDetail(map[string]string{
				"ExpectedDigest": v, "CalculatedDigest": base64.StdEncoding.EncodeToString(got[:]),
			})
		}
	}
	for name, vals := range r.Header {
		algo, ok := checksum.FromHeader(name)
		if !ok || len(vals) == 0 {
			continue
		}
		if !checksum.Valid(algo, vals[0]) {
			return errInvalidReq.Newf("Value for %s header is invalid.", strings.ToLower(name))
		}
		if checksum.Sum(algo, body) != vals[0] {
			return errBadDigest.Newf("The %s you specified did not match the calculated checksum.", strings.ToLower(string(algo)))
		}
	}
	return nil
}

func malformed(svc *model.Service) error {
	if svc.Name == "route53" {
		return invalidArgument(svc).New("The XML document you provided was not well-formed or did not validate against our published schema.")
	}
	return errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
}

// bindingError answers a URI, query or header value of the wrong type the
// way the service does.
func bindingError(svc *model.Service, err error) error {
	var be *httpbinding.Error
	if !errors.As(err, &be) {
		return awserr.From(err)
	}
	msg := "Invalid value for " + be.Location + " parameter " + be.Name + ": " + strconv.Quote(be.Value)
	if strings.Contains(be.Reason, "integer") {
		msg = "Provided " + be.Name + " not an integer or within integer range"
	}
	e := invalidArgument(svc).New(msg)
	if unwrappedErrors[svc.Name] {
		e.WithDetail(map[string]string{"ArgumentName": be.Name, "ArgumentValue": be.Value})
	}
	return e
}
