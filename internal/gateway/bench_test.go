package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkServe measures the gateway's own work per request (routing,
// request info, ids, codec dispatch) with the fake codec.
func BenchmarkServe(b *testing.B) {
	g := New(Config{Services: testServices(), Codecs: fakeCodecs(), Logger: discardLogger()})
	for name, build := range map[string]func() *http.Request{
		"s3 get": func() *http.Request {
			return req("GET", "localhost:4566", "/bucket/key", "", "Authorization", authz("AKID", "us-east-1", "s3"))
		},
		"s3 vhost": func() *http.Request {
			return req("GET", "bucket.s3.localhost.localstack.cloud:4566", "/key", "", "Authorization", authz("AKID", "us-east-1", "s3"))
		},
		"dynamodb json": func() *http.Request {
			return req("POST", "localhost:4566", "/", `{"TableName":"t"}`, "Authorization", authz("AKID", "us-east-1", "dynamodb"), "X-Amz-Target", "DynamoDB_20120810.PutItem")
		},
		"sns query": func() *http.Request {
			return req("POST", "localhost:4566", "/", "Action=Publish&Version=2010-03-31&Message=m", "Content-Type", formCT, "Authorization", authz("AKID", "us-east-1", "sns"))
		},
	} {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				r := build()
				w := httptest.NewRecorder()
				b.StartTimer()
				g.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
