package httpbinding

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// FuzzRequest feeds arbitrary paths, query strings and header values to the
// router and the binding decoder: errors are fine, panics are not.
func FuzzRequest(f *testing.F) {
	f.Add("/b/k", "partNumber=1&uploadId=x", "2030-01-01T00:00:00Z")
	f.Add("/b", "list-type=2&max-keys=a", "Mon, 02 Jan 2006 15:04:05 GMT")
	f.Add("/", "", "\"a,b\", c")
	rt := RouterFor(s3api.Service)
	f.Fuzz(func(t *testing.T, path, query, header string) {
		u, err := url.Parse("http://h" + path)
		if err != nil || u.Path == "" {
			return
		}
		u.RawQuery = query
		for _, method := range []string{"GET", "PUT", "POST", "DELETE", "HEAD"} {
			r := httptest.NewRequest(method, "http://h/", nil)
			r.URL = u
			for _, h := range []string{"X-Amz-Copy-Source", "X-Amz-Object-Lock-Retain-Until-Date", "If-Modified-Since",
				"X-Amz-Optional-Object-Attributes", "X-Amz-Meta-A", "X-Amz-Bucket-Object-Lock-Enabled", "Content-Length"} {
				r.Header.Set(h, header)
			}
			op, _ := rt.Match(r)
			if op == nil {
				continue
			}
			_ = DecodeRequest(r, op, op.NewInput())
		}
	})
}
