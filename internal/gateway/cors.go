package gateway

import (
	"net/http"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// Generic CORS answers, for every service but S3: local clouds let any
// page call them.
const (
	corsAllowMethods = "HEAD,GET,PUT,POST,DELETE,OPTIONS,PATCH"
	corsAllowHeaders = "authorization,cache-control,content-length,content-md5,content-type,etag,location,x-amz-acl," +
		"x-amz-content-sha256,x-amz-date,x-amz-request-id,x-amz-security-token,x-amz-tagging,x-amz-target," +
		"x-amz-user-agent,x-amz-version-id,x-amzn-requestid,amz-sdk-invocation-id,amz-sdk-request,smithy-protocol"
	corsExposeHeaders = "etag,x-amz-version-id,x-amz-request-id,x-amz-id-2,x-amzn-requestid,x-amzn-errortype," +
		"x-amz-delete-marker,x-amz-checksum-crc32,x-amz-checksum-crc32c,x-amz-checksum-crc64nvme,x-amz-checksum-sha1," +
		"x-amz-checksum-sha256,x-amz-server-side-encryption,content-length,content-type"
	corsMaxAge = "86400"
)

var (
	errCORSForbidden = awserr.Def{Code: "AccessForbidden", Status: http.StatusForbidden, Sender: true}
	errBadRequest    = awserr.Def{Code: "BadRequest", Status: http.StatusBadRequest, Sender: true}
)

// handleCORS answers preflights and adds CORS headers to responses. It
// returns true when it answered the request.
func (g *Gateway) handleCORS(ex *exchange) bool {
	if ex.rt.svc.Model.Name == "s3" {
		return g.s3CORS(ex)
	}
	return genericCORS(ex.w, ex.r)
}

// genericCORS allows any origin, method and header. It answers OPTIONS
// itself (no AWS operation uses that method) and returns true then.
func genericCORS(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	origin := r.Header.Get("Origin")
	if origin == "" && r.Method != http.MethodOptions {
		return false
	}
	if origin == "" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	if r.Method != http.MethodOptions {
		return false
	}
	h.Set("Access-Control-Allow-Methods", corsAllowMethods)
	if want := r.Header.Get("Access-Control-Request-Headers"); want != "" {
		h.Set("Access-Control-Allow-Headers", want)
	} else {
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	}
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusOK)
	return true
}

// isPreflight reports whether r is a browser's CORS preflight.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// s3Preflight tells whether a preflight is for S3. A preflight carries no
// signature and no X-Amz-Target (it only announces them), so the usual
// rules would send every one to S3. It is S3's when the host is a bucket's,
// or when the path names a bucket and no other REST service's route
// matches it; it is not when it announces X-Amz-Target or smithy-protocol
// (JSON and CBOR services), or addresses "/" (query services).
func (g *Gateway) s3Preflight(r *http.Request) bool {
	if g.reg.s3 == nil {
		return false
	}
	if _, ok := s3VirtualHost(r.Host); ok {
		return true
	}
	announced := strings.ToLower(r.Header.Get("Access-Control-Request-Headers"))
	if strings.Contains(announced, "x-amz-target") || strings.Contains(announced, "smithy-protocol") {
		return false
	}
	if r.URL.Path == "/" || r.URL.Path == "" {
		return false
	}
	probe := r.Clone(r.Context())
	probe.Method = strings.ToUpper(r.Header.Get("Access-Control-Request-Method"))
	probe.Header.Del("Origin")
	for _, e := range g.reg.all {
		if e == g.reg.s3 || !speaksREST(e.Model) {
			continue
		}
		if c := g.codecFor(e.Model, probe); c != nil {
			if _, err := c.Operation(probe, e.Model); err == nil {
				return false
			}
		}
	}
	return true
}

// s3CORS follows the bucket's CORS configuration through the S3CORS hook:
// a preflight without a matching rule is refused with 403, as S3 does; an
// ordinary request gets the rule's headers when one matches.
func (g *Gateway) s3CORS(ex *exchange) bool {
	r := ex.r
	origin := r.Header.Get("Origin")
	bucket, key := bucketAndKey(r.URL.Path)
	if r.Method != http.MethodOptions {
		if origin != "" && g.cfg.S3CORS != nil {
			if hdrs, found := g.cfg.S3CORS(r, bucket); found {
				copyHeaders(ex.w.Header(), hdrs)
			}
		}
		return false
	}
	if origin == "" {
		ex.fail(errBadRequest.New("Insufficient information. Origin request header needed."))
		return true
	}
	if g.cfg.S3CORS != nil {
		if hdrs, found := g.cfg.S3CORS(r, bucket); found {
			copyHeaders(ex.w.Header(), hdrs)
			ex.w.WriteHeader(http.StatusOK)
			return true
		}
	}
	resource := "BUCKET"
	if key != "" {
		resource = "OBJECT"
	}
	method := r.Header.Get("Access-Control-Request-Method")
	ex.fail(errCORSForbidden.New("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, " +
		"request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.").
		WithDetail(&corsDetail{Method: strPtr(method), ResourceType: strPtr(resource)}))
	return true
}

type corsDetail struct {
	Method       *string `aws:"name=Method"`
	ResourceType *string `aws:"name=ResourceType"`
}

// bucketAndKey splits a path-style S3 path.
func bucketAndKey(path string) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return bucket, key
}

func copyHeaders(dst, src http.Header) {
	for k, vs := range src {
		dst[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
}
