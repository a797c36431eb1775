package sigv4

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary Authorization headers and presigned queries to
// Parse, CheckTime and Verify: none may panic, whatever the input.
func FuzzParse(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "")
	f.Add("AWS AKID:sig", "")
	f.Add("AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/s3/aws4_request, SignedHeaders=host, Signature=30", "")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20260101%2Fr%2Fs%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("", "AWSAccessKeyId=A&Expires=1&Signature=x")
	f.Add("AWS4-HMAC-SHA256 Credential=////, SignedHeaders=;;, Signature=", "a=%zz&&=")
	f.Fuzz(func(t *testing.T, header, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		if _, err := url.ParseQuery(query); err == nil {
			r.URL.RawQuery = query
			r.RequestURI = "/?" + query
		}
		r.Header.Set("Authorization", header)
		r.Header.Set("X-Amz-Date", "20260101T000000Z")
		a, _ := Parse(r)
		if a == nil {
			return
		}
		a.Scope()
		a.CheckTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		Verify(r, a, "secret", VerifyOptions{})
	})
}
