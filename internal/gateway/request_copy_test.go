package gateway

import (
	"net/http"
	"testing"
)

// The gateway works on a shallow copy of the server's request: rewriting a
// virtual-hosted path or decoding aws-chunked must leave the server's
// request as it came.
func TestServerRequestUnchanged(t *testing.T) {
	g := newTestGateway(t, nil)
	tests := []struct {
		name string
		r    *http.Request
		want echo // what the service sees
	}{
		{"virtual host", req("GET", "mybucket.s3.localhost.localstack.cloud:4566", "/a%2Fb", "", "Authorization", authz("AKID", "us-east-1", "s3")),
			echo{Path: "/mybucket/a/b", EscapedPath: "/mybucket/a%2Fb"}},
		{"aws-chunked", req("PUT", "localhost", "/bucket/key", chunked("hello", ""), "Authorization", authz("AKID", "us-east-1", "s3"),
			"X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding", "aws-chunked", "X-Amz-Decoded-Content-Length", "5"),
			echo{Path: "/bucket/key", Body: "hello", ContentLength: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url, rawPath := tc.r.URL.String(), tc.r.URL.RawPath
			header := tc.r.Header.Clone()
			length := tc.r.ContentLength
			e := decodeEcho(t, serve(g, tc.r))
			if e.Path != tc.want.Path || tc.want.EscapedPath != "" && e.EscapedPath != tc.want.EscapedPath ||
				e.Body != tc.want.Body || e.ContentEncoding != "" || tc.want.ContentLength != 0 && e.ContentLength != tc.want.ContentLength {
				t.Fatalf("service saw %+v", e)
			}
			if tc.r.URL.String() != url || tc.r.URL.RawPath != rawPath {
				t.Errorf("server's URL changed to %s", tc.r.URL)
			}
			if tc.r.ContentLength != length {
				t.Errorf("server's ContentLength changed to %d", tc.r.ContentLength)
			}
			for k, v := range header {
				if got := tc.r.Header.Values(k); len(got) != len(v) || len(v) > 0 && got[0] != v[0] {
					t.Errorf("server's header %s changed from %v to %v", k, v, got)
				}
			}
			if len(tc.r.Header) != len(header) {
				t.Errorf("server's header has %d keys, had %d", len(tc.r.Header), len(header))
			}
		})
	}
}
