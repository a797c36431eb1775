package s3

import (
	"context"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

func TestValidateWebsite(t *testing.T) {
	index := &s3api.IndexDocument{Suffix: ptr("index.html")}
	rule := func(cond *s3api.Condition, r *s3api.Redirect) []s3api.RoutingRule {
		return []s3api.RoutingRule{{Condition: cond, Redirect: r}}
	}
	many := make([]s3api.RoutingRule, 51)
	for i := range many {
		many[i] = s3api.RoutingRule{Redirect: &s3api.Redirect{HostName: ptr("x")}}
	}
	cases := []struct {
		name string
		cfg  *s3api.WebsiteConfiguration
		code string
		msg  string
	}{
		{"index only", &s3api.WebsiteConfiguration{IndexDocument: index}, "", ""},
		{"index and error", &s3api.WebsiteConfiguration{IndexDocument: index, ErrorDocument: &s3api.ErrorDocument{Key: ptr("404.html")}}, "", ""},
		{"redirect all", &s3api.WebsiteConfiguration{RedirectAllRequestsTo: &s3api.RedirectAllRequestsTo{HostName: ptr("example.com"), Protocol: ptr("https")}}, "", ""},
		{"nothing", &s3api.WebsiteConfiguration{}, "InvalidArgument", "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty"},
		{"empty suffix", &s3api.WebsiteConfiguration{IndexDocument: &s3api.IndexDocument{Suffix: ptr("")}}, "InvalidArgument", "The IndexDocument Suffix is not well formed"},
		{"slash in suffix", &s3api.WebsiteConfiguration{IndexDocument: &s3api.IndexDocument{Suffix: ptr("a/index.html")}}, "InvalidArgument", "The IndexDocument Suffix is not well formed"},
		{"empty error key", &s3api.WebsiteConfiguration{IndexDocument: index, ErrorDocument: &s3api.ErrorDocument{Key: ptr("")}}, "MalformedXML", ""},
		{"redirect all with index", &s3api.WebsiteConfiguration{IndexDocument: index, RedirectAllRequestsTo: &s3api.RedirectAllRequestsTo{HostName: ptr("x")}}, "InvalidRequest", ""},
		{"redirect all bad protocol", &s3api.WebsiteConfiguration{RedirectAllRequestsTo: &s3api.RedirectAllRequestsTo{HostName: ptr("x"), Protocol: ptr("ftp")}}, "InvalidRequest", ""},
		{"routing rule", &s3api.WebsiteConfiguration{IndexDocument: index, RoutingRules: rule(&s3api.Condition{KeyPrefixEquals: ptr("docs/")}, &s3api.Redirect{ReplaceKeyPrefixWith: ptr("documents/")})}, "", ""},
		{"empty condition", &s3api.WebsiteConfiguration{IndexDocument: index, RoutingRules: rule(&s3api.Condition{}, &s3api.Redirect{HostName: ptr("x")})}, "InvalidRequest", ""},
		{"bad error code", &s3api.WebsiteConfiguration{IndexDocument: index, RoutingRules: rule(&s3api.Condition{HttpErrorCodeReturnedEquals: ptr("200")}, &s3api.Redirect{HostName: ptr("x")})}, "InvalidRequest", ""},
		{"empty redirect", &s3api.WebsiteConfiguration{IndexDocument: index, RoutingRules: rule(nil, &s3api.Redirect{})}, "InvalidRequest", ""},
		{"both replacements", &s3api.WebsiteConfiguration{IndexDocument: index, RoutingRules: rule(nil, &s3api.Redirect{ReplaceKeyWith: ptr("a"), ReplaceKeyPrefixWith: ptr("b")})}, "InvalidRequest", ""},
		{"redirect code 300", &s3api.WebsiteConfiguration{IndexDocument: index, RoutingRules: rule(nil, &s3api.Redirect{HttpRedirectCode: ptr("300")})}, "InvalidRequest", ""},
		{"redirect code 302", &s3api.WebsiteConfiguration{IndexDocument: index, RoutingRules: rule(nil, &s3api.Redirect{HttpRedirectCode: ptr("302")})}, "", ""},
		{"too many rules", &s3api.WebsiteConfiguration{IndexDocument: index, RoutingRules: many}, "InvalidRequest", ""},
		{"missing redirect", &s3api.WebsiteConfiguration{IndexDocument: index, RoutingRules: rule(&s3api.Condition{KeyPrefixEquals: ptr("a")}, nil)}, "MalformedXML", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validateWebsite(c.cfg)
			wantResult(t, err, c.code)
			if c.msg != "" && awserr.From(err).Message != c.msg {
				t.Fatalf("message %q", awserr.From(err).Message)
			}
		})
	}
}

func TestWebsiteRoute(t *testing.T) {
	cfg := &s3api.WebsiteConfiguration{IndexDocument: &s3api.IndexDocument{Suffix: ptr("index.html")}, RoutingRules: []s3api.RoutingRule{
		{Condition: &s3api.Condition{KeyPrefixEquals: ptr("docs/")}, Redirect: &s3api.Redirect{ReplaceKeyPrefixWith: ptr("documents/")}},
		{Condition: &s3api.Condition{KeyPrefixEquals: ptr("old.html")}, Redirect: &s3api.Redirect{ReplaceKeyWith: ptr("new.html"), HttpRedirectCode: ptr("302")}},
		{Condition: &s3api.Condition{HttpErrorCodeReturnedEquals: ptr("404")}, Redirect: &s3api.Redirect{HostName: ptr("fallback.example.com"), Protocol: ptr("https"), ReplaceKeyPrefixWith: ptr("report-404/")}},
	}}
	cases := []struct {
		name      string
		cfg       *s3api.WebsiteConfiguration
		key       string
		errorCode int
		location  string
		status    int
	}{
		{"prefix replaced", cfg, "docs/a.html", 0, "http://site.test/documents/a.html", 301},
		{"key replaced", cfg, "old.html", 0, "http://site.test/new.html", 302},
		{"no rule before lookup", cfg, "missing.html", 0, "", 0},
		{"error rule after 404", cfg, "missing.html", 404, "https://fallback.example.com/report-404/missing.html", 301},
		{"error rule not for 403", cfg, "missing.html", 403, "", 0},
		{"redirect all", &s3api.WebsiteConfiguration{RedirectAllRequestsTo: &s3api.RedirectAllRequestsTo{HostName: ptr("www.example.com")}}, "a/b", 0, "http://www.example.com/a/b", 301},
		{"no configuration", nil, "a", 0, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc, status, ok := websiteRoute(c.cfg, "http", "site.test", c.key, c.errorCode)
			if ok != (c.location != "") || loc != c.location || status != c.status {
				t.Fatalf("got %q %d %v, want %q %d", loc, status, ok, c.location, c.status)
			}
		})
	}
}

func TestWebsiteOperations(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "site")
	_, err := s.GetBucketWebsite(ctx, &s3api.GetBucketWebsiteInput{Bucket: ptr("site")})
	wantCode(t, err, "NoSuchWebsiteConfiguration")
	cfg := &s3api.WebsiteConfiguration{IndexDocument: &s3api.IndexDocument{Suffix: ptr("index.html")}, ErrorDocument: &s3api.ErrorDocument{Key: ptr("err.html")}}
	if _, err := s.PutBucketWebsite(ctx, &s3api.PutBucketWebsiteInput{Bucket: ptr("site"), WebsiteConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}
	out, err := s.GetBucketWebsite(ctx, &s3api.GetBucketWebsiteInput{Bucket: ptr("site")})
	if err != nil || *out.IndexDocument.Suffix != "index.html" || *out.ErrorDocument.Key != "err.html" {
		t.Fatalf("website %v %+v", err, out)
	}
	if _, err := s.DeleteBucketWebsite(ctx, &s3api.DeleteBucketWebsiteInput{Bucket: ptr("site")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketWebsite(ctx, &s3api.GetBucketWebsiteInput{Bucket: ptr("site")})
	wantCode(t, err, "NoSuchWebsiteConfiguration")
}
