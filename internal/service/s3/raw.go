package s3

import (
	"net/http"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/protocol/restxml"
)

// Raw serves the S3 requests that the API model does not describe: requests
// on a bucket's website endpoint and browser form uploads (POST Object). It
// is the gateway's Raw hook: the request arrives path style (/bucket/key),
// with its original Host and request.Info in its context, and Raw reports
// whether it answered. It reads a body only when it answers.
func (s *Service) Raw(w http.ResponseWriter, r *http.Request) bool {
	if isWebsiteHost(r.Host) {
		// The operation names what the access log shows.
		request.FromContext(r.Context()).Operation = "Website" + strings.ToUpper(r.Method[:1]) + strings.ToLower(r.Method[1:])
		s.serveWebsite(w, r)
		return true
	}
	if r.Method != http.MethodPost {
		return false
	}
	bucket, ok := postObjectBucket(r)
	if !ok {
		return false
	}
	request.FromContext(r.Context()).Operation = "PostObject"
	s.servePostObject(w, r, bucket)
	return true
}

// isWebsiteHost reports whether host is a bucket's website endpoint:
// <bucket>.s3-website-<region>.amazonaws.com, <bucket>.s3-website.<region>.amazonaws.com
// or a local form such as <bucket>.s3-website.localhost:4566. The gateway
// has already taken the bucket from it.
func isWebsiteHost(host string) bool {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	host = strings.ToLower(host)
	return strings.Contains(host, ".s3-website.") || strings.Contains(host, ".s3-website-")
}

// postObjectBucket returns the bucket of a POST that is a form upload: a
// POST on the bucket itself that is multipart/form-data, or that carries no
// query at all (S3 answers those with 412 when they are not forms). Other
// POSTs on a bucket (?delete) are API operations.
func postObjectBucket(r *http.Request) (string, bool) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	path = strings.TrimSuffix(path, "/")
	if path == "" || strings.Contains(path, "/") {
		return "", false
	}
	if isMultipartForm(r.Header.Get("Content-Type")) {
		return path, true
	}
	// A bucket name is lower case; an upper-case name is another route
	// (POST /WriteGetObjectResponse).
	if r.URL.RawQuery == "" && strings.ToLower(path) == path {
		return path, true
	}
	return "", false
}

func isMultipartForm(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "multipart/form-data")
}

// writeError writes an S3 XML error through the rest-xml codec, the one
// place that spells S3 errors on the wire.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	restxml.Codec{}.EncodeError(w, r, s3api.Service, nil, awserr.From(err))
}
