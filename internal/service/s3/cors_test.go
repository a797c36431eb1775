package s3

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

func TestValidateCORS(t *testing.T) {
	rule := func(methods, origins []string) s3api.CORSRule {
		return s3api.CORSRule{AllowedMethods: methods, AllowedOrigins: origins}
	}
	many := make([]s3api.CORSRule, 101)
	for i := range many {
		many[i] = rule([]string{"GET"}, []string{"*"})
	}
	cases := []struct {
		name string
		cfg  *s3api.CORSConfiguration
		code string
		msg  string
	}{
		{"ok", &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{rule([]string{"GET", "PUT", "HEAD", "POST", "DELETE"}, []string{"https://*.example.com"})}}, "", ""},
		{"no rules", &s3api.CORSConfiguration{}, "MalformedXML", ""},
		{"too many rules", &s3api.CORSConfiguration{CORSRules: many}, "MalformedXML", ""},
		{"no origin", &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{rule([]string{"GET"}, nil)}}, "MalformedXML", ""},
		{"no method", &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{rule(nil, []string{"*"})}}, "MalformedXML", ""},
		{"patch", &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{rule([]string{"GET", "PATCH"}, []string{"*"})}}, "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
		{"lower-case get", &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{rule([]string{"get"}, []string{"*"})}}, "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is get"},
		{"two wildcards", &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{rule([]string{"GET"}, []string{"https://*.*.com"})}}, "InvalidRequest", ""},
		{"header wildcards", &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}, AllowedHeaders: []string{"x-*-*"}}}}, "InvalidRequest", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validateCORS(c.cfg)
			wantResult(t, err, c.code)
			if c.msg != "" && awserr.From(err).Message != c.msg {
				t.Fatalf("message %q", awserr.From(err).Message)
			}
		})
	}
}

func TestEvaluateCORS(t *testing.T) {
	cfg := &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{
		{
			AllowedOrigins: []string{"https://app.example.com", "https://*.example.org"},
			AllowedMethods: []string{"PUT", "POST", "DELETE"},
			AllowedHeaders: []string{"Content-Type", "x-amz-*"},
			ExposeHeaders:  []string{"ETag", "x-amz-request-id"},
			MaxAgeSeconds:  ptr(int32(3000)),
		},
		{
			AllowedOrigins: []string{"*"},
			AllowedMethods: []string{"GET", "HEAD"},
		},
	}}
	type want struct {
		allowed                                  bool
		origin, methods, headers, expose, maxAge string
		credentials                              string
	}
	cases := []struct {
		name            string
		method, path    string
		origin, reqMeth string
		reqHeaders      string
		want            want
	}{
		{"preflight exact origin", "OPTIONS", "/b/k", "https://app.example.com", "PUT", "content-type, X-Amz-Meta-Foo",
			want{true, "https://app.example.com", "PUT, POST, DELETE", "content-type, x-amz-meta-foo", "ETag, x-amz-request-id", "3000", "true"}},
		{"preflight wildcard origin", "OPTIONS", "/b/k", "https://cdn.example.org", "DELETE", "",
			want{true, "https://cdn.example.org", "PUT, POST, DELETE", "", "ETag, x-amz-request-id", "3000", "true"}},
		{"wildcard needs its suffix", "OPTIONS", "/b/k", "https://example.org.evil.com", "DELETE", "", want{}},
		{"header not allowed", "OPTIONS", "/b/k", "https://app.example.com", "PUT", "authorization", want{}},
		{"method falls to second rule", "OPTIONS", "/b/k", "https://app.example.com", "GET", "",
			want{true, "*", "GET, HEAD", "", "", "", ""}},
		{"second rule allows no headers", "OPTIONS", "/b/k", "https://any.site", "GET", "x-custom", want{}},
		{"method not allowed anywhere", "OPTIONS", "/b/k", "https://any.site", "PUT", "", want{}},
		{"actual GET", "GET", "/b/k", "https://any.site", "", "",
			want{true, "*", "GET, HEAD", "", "", "", ""}},
		{"actual PUT ignores request headers", "PUT", "/b/k", "https://app.example.com", "", "",
			want{true, "https://app.example.com", "PUT, POST, DELETE", "", "ETag, x-amz-request-id", "3000", "true"}},
		{"no origin", "GET", "/b/k", "", "", "", want{}},
		{"preflight without method", "OPTIONS", "/b/k", "https://any.site", "", "", want{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "http://127.0.0.1"+c.path, nil)
			if c.origin != "" {
				r.Header.Set("Origin", c.origin)
			}
			if c.reqMeth != "" {
				r.Header.Set("Access-Control-Request-Method", c.reqMeth)
			}
			if c.reqHeaders != "" {
				r.Header.Set("Access-Control-Request-Headers", c.reqHeaders)
			}
			h, err := evaluateCORS(cfg, r)
			if !c.want.allowed {
				wantCode(t, err, "AccessForbidden")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{true, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"),
				h.Get("Access-Control-Expose-Headers"), h.Get("Access-Control-Max-Age"), h.Get("Access-Control-Allow-Credentials")}
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
			if h.Get("Vary") != corsVary {
				t.Fatalf("Vary %q", h.Get("Vary"))
			}
		})
	}
}

func TestCORSOperationsAndMatcher(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "cors")
	_, err := s.GetBucketCors(ctx, &s3api.GetBucketCorsInput{Bucket: ptr("cors")})
	wantCode(t, err, "NoSuchCORSConfiguration")

	preflight := httptest.NewRequest(http.MethodOptions, "http://127.0.0.1/cors/k", nil)
	preflight.Header.Set("Origin", "https://site")
	preflight.Header.Set("Access-Control-Request-Method", "GET")
	if _, ok := s.CORS(preflight, "cors"); ok {
		t.Fatal("CORS matched without a configuration")
	}
	_, err = s.CORSPreflight(preflight, "cors")
	if e := awserr.From(err); e == nil || e.Code != "AccessForbidden" || !strings.Contains(e.Message, "CORS is not enabled") {
		t.Fatalf("preflight without CORS: %v", err)
	}

	cfg := &s3api.CORSConfiguration{CORSRules: []s3api.CORSRule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"https://site"}}}}
	if _, err := s.PutBucketCors(ctx, &s3api.PutBucketCorsInput{Bucket: ptr("cors"), CORSConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}
	out, err := s.GetBucketCors(ctx, &s3api.GetBucketCorsInput{Bucket: ptr("cors")})
	if err != nil || len(out.CORSRules) != 1 {
		t.Fatalf("get cors %v %+v", err, out)
	}
	h, ok := s.CORS(preflight, "cors")
	if !ok || h.Get("Access-Control-Allow-Origin") != "https://site" {
		t.Fatalf("matcher: %v %v", ok, h)
	}
	if _, err := s.CORSPreflight(preflight, "cors"); err != nil {
		t.Fatal(err)
	}
	preflight.Header.Set("Access-Control-Request-Method", "PUT")
	_, err = s.CORSPreflight(preflight, "cors")
	wantCode(t, err, "AccessForbidden")
	preflight.Header.Del("Origin")
	_, err = s.CORSPreflight(preflight, "cors")
	wantCode(t, err, "BadRequest")
	if _, ok := s.CORS(preflight, "missing-bucket"); ok {
		t.Fatal("matched on a missing bucket")
	}

	_, err = s.PutBucketCors(ctx, &s3api.PutBucketCorsInput{Bucket: ptr("cors"), CORSConfiguration: &s3api.CORSConfiguration{}})
	wantCode(t, err, "MalformedXML")
	if _, err := s.DeleteBucketCors(ctx, &s3api.DeleteBucketCorsInput{Bucket: ptr("cors")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketCors(ctx, &s3api.GetBucketCorsInput{Bucket: ptr("cors")})
	wantCode(t, err, "NoSuchCORSConfiguration")
}
