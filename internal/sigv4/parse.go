// Package sigv4 reads and verifies AWS request signatures: Signature Version
// 4 in the Authorization header and in presigned query parameters, and the
// legacy Signature Version 2 forms (header `AWS AKID:sig` and the
// AWSAccessKeyId/Expires/Signature query) for identification only.
//
// Parse never fails on an unsigned request and gives back what it could
// read of a malformed one, so the gateway can still route the request;
// Verify checks a signature against a secret key when IAM is enforced.
package sigv4

import (
	"net/http"
	"net/url"
	"strings"
)

// Kind tells how a request is signed.
type Kind int

const (
	Unsigned    Kind = iota
	HeaderV4         // Authorization: AWS4-HMAC-SHA256 ...
	PresignedV4      // X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...
	HeaderV2         // Authorization: AWS AKID:signature
	PresignedV2      // AWSAccessKeyId=...&Signature=...&Expires=...
)

// Algorithms of Signature Version 4.
const (
	AlgorithmHMAC  = "AWS4-HMAC-SHA256"
	AlgorithmECDSA = "AWS4-ECDSA-P256-SHA256" // SigV4a: scope has no region
	terminator     = "aws4_request"
	timeFormat     = "20060102T150405Z"
)

// Payload hash values of x-amz-content-sha256 that are not hex digests.
const (
	UnsignedPayload              = "UNSIGNED-PAYLOAD"
	StreamingPayload             = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingPayloadTrailer      = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedTrailer     = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	StreamingECDSAPayload        = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	StreamingECDSAPayloadTrailer = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
)

// Auth is what a request says about its signature.
type Auth struct {
	Kind      Kind
	Algorithm string
	AccessKey string

	// Credential scope (Signature Version 4 only).
	Date    string // yyyymmdd
	Region  string // empty for SigV4a, whose regions are in X-Amz-Region-Set
	Service string

	SignedHeaders []string // lower case, as listed
	Signature     string
	// AmzDate is X-Amz-Date (query for presigned, else header), or the Date
	// header for Signature Version 2.
	AmzDate string
	// Expires is X-Amz-Expires (seconds) for presigned V4, or Expires
	// (Unix seconds) for presigned V2, as sent.
	Expires       string
	SecurityToken string
}

// Presigned reports whether the signature is in the query string.
func (a *Auth) Presigned() bool { return a.Kind == PresignedV4 || a.Kind == PresignedV2 }

// V4 reports whether the request uses Signature Version 4 (or 4a).
func (a *Auth) V4() bool { return a.Kind == HeaderV4 || a.Kind == PresignedV4 }

// Scope is the credential scope, e.g. "20260101/us-east-1/s3/aws4_request".
func (a *Auth) Scope() string {
	if a.Algorithm == AlgorithmECDSA {
		return a.Date + "/" + a.Service + "/" + terminator
	}
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + terminator
}

// FormatError reports a malformed signature: the Authorization header or
// the presigned query parameters cannot be read.
type FormatError struct {
	Presigned bool
	Msg       string
}

func (e *FormatError) Error() string { return "sigv4: " + e.Msg }

// Parse reads the signature of r. It returns (nil, nil) for an unsigned
// request. For a malformed signature it returns a *FormatError together with
// whatever it could read (often the access key and credential scope), which
// is enough to route the request.
func Parse(r *http.Request) (*Auth, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseHeader(r, h)
	}
	q := r.URL.Query()
	if q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Signature") {
		return parsePresignedV4(q)
	}
	if q.Has("AWSAccessKeyId") {
		a := &Auth{
			Kind:          PresignedV2,
			AccessKey:     q.Get("AWSAccessKeyId"),
			Signature:     q.Get("Signature"),
			Expires:       q.Get("Expires"),
			SecurityToken: q.Get("x-amz-security-token"),
		}
		if a.Signature == "" {
			return a, &FormatError{Presigned: true, Msg: "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"}
		}
		return a, nil
	}
	return nil, nil
}

func parseHeader(r *http.Request, h string) (*Auth, error) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	switch alg {
	case AlgorithmHMAC, AlgorithmECDSA:
	case "AWS":
		a := &Auth{Kind: HeaderV2, Algorithm: alg, AmzDate: firstNonEmpty(r.Header.Get("X-Amz-Date"), r.Header.Get("Date")), SecurityToken: r.Header.Get("X-Amz-Security-Token")}
		key, sig, ok := strings.Cut(strings.TrimSpace(rest), ":")
		a.AccessKey, a.Signature = key, sig
		if !ok || key == "" || sig == "" {
			return a, &FormatError{Msg: "Authorization header is invalid -- one and only one ' ' (space) required"}
		}
		return a, nil
	default:
		return &Auth{Kind: HeaderV4, Algorithm: alg}, &FormatError{Msg: "Unsupported Authorization Type"}
	}
	a := &Auth{
		Kind:          HeaderV4,
		Algorithm:     alg,
		AmzDate:       firstNonEmpty(r.Header.Get("X-Amz-Date"), r.Header.Get("Date")),
		SecurityToken: r.Header.Get("X-Amz-Security-Token"),
	}
	var credential, signedHeaders string
	var haveCred, haveHeaders, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential, haveCred = v, true
		case "SignedHeaders":
			signedHeaders, haveHeaders = v, true
		case "Signature":
			a.Signature, haveSig = v, true
		}
	}
	credErr := a.setCredential(credential)
	a.SignedHeaders = splitSignedHeaders(signedHeaders)
	switch {
	case !haveCred:
		return a, &FormatError{Msg: "Authorization header requires 'Credential' parameter. Authorization=" + h}
	case !haveHeaders:
		return a, &FormatError{Msg: "Authorization header requires 'SignedHeaders' parameter. Authorization=" + h}
	case !haveSig:
		return a, &FormatError{Msg: "Authorization header requires 'Signature' parameter. Authorization=" + h}
	case credErr != nil:
		return a, credErr
	}
	return a, nil
}

func parsePresignedV4(q url.Values) (*Auth, error) {
	a := &Auth{
		Kind:          PresignedV4,
		Algorithm:     q.Get("X-Amz-Algorithm"),
		AmzDate:       q.Get("X-Amz-Date"),
		Expires:       q.Get("X-Amz-Expires"),
		Signature:     q.Get("X-Amz-Signature"),
		SignedHeaders: splitSignedHeaders(q.Get("X-Amz-SignedHeaders")),
		SecurityToken: q.Get("X-Amz-Security-Token"),
	}
	credErr := a.setCredential(q.Get("X-Amz-Credential"))
	if credErr != nil {
		credErr.Presigned = true
	}
	for _, p := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"} {
		if !q.Has(p) {
			return a, &FormatError{Presigned: true, Msg: "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."}
		}
	}
	if a.Algorithm != AlgorithmHMAC && a.Algorithm != AlgorithmECDSA {
		return a, &FormatError{Presigned: true, Msg: "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256\""}
	}
	if credErr != nil {
		return a, credErr
	}
	return a, nil
}

// setCredential reads "AKID/date/region/service/aws4_request" (or, for
// SigV4a, without the region). The access key is everything before the
// scope, so it is found even when the scope is short or wrong.
func (a *Auth) setCredential(c string) *FormatError {
	if c == "" {
		return &FormatError{Msg: "missing credential"}
	}
	parts := strings.Split(c, "/")
	scopeLen := 4
	if a.Algorithm == AlgorithmECDSA {
		scopeLen = 3
	}
	if len(parts) < scopeLen+1 {
		a.AccessKey = parts[0]
		if len(parts) >= 4 { // a SigV4a-shaped scope under the HMAC algorithm
			a.Date, a.Service = parts[1], parts[len(parts)-2]
		}
		return &FormatError{Msg: "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."}
	}
	n := len(parts)
	a.AccessKey = strings.Join(parts[:n-scopeLen], "/")
	a.Date = parts[n-scopeLen]
	if scopeLen == 4 {
		a.Region = parts[n-3]
	}
	a.Service = parts[n-2]
	if parts[n-1] != terminator {
		return &FormatError{Msg: "Credential should be scoped with a valid terminator: 'aws4_request', not '" + parts[n-1] + "'."}
	}
	if len(a.Date) != 8 {
		return &FormatError{Msg: "Invalid credential date \"" + a.Date + "\". This date is not the same as X-Amz-Date: \"" + a.AmzDate + "\"."}
	}
	return nil
}

func splitSignedHeaders(s string) []string {
	if s == "" {
		return nil
	}
	hs := strings.Split(s, ";")
	for i, h := range hs {
		hs[i] = strings.ToLower(strings.TrimSpace(h))
	}
	return hs
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
