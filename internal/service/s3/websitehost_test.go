package s3

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

const siteHost = "site.s3-website.localhost:4566"

// websiteGet sends a request to the website endpoint of bucket, as the
// gateway hands it to Raw: path style, website Host.
func websiteGet(t *testing.T, s *Service, method, bucket, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "/"+bucket+path, nil)
	r.Host = strings.Replace(siteHost, "site", bucket, 1)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return rawRequest(t, s, r)
}

func putSiteObject(t *testing.T, s *Service, key, body, contentType string, redirect *string) {
	t.Helper()
	_, err := s.PutObject(context.Background(), &s3api.PutObjectInput{Bucket: ptr("site"), Key: &key, Body: strings.NewReader(body),
		ContentType: &contentType, WebsiteRedirectLocation: redirect})
	if err != nil {
		t.Fatal(err)
	}
}

func websiteService(t *testing.T, cfg *s3api.WebsiteConfiguration) *Service {
	t.Helper()
	s := newTestService(t)
	configTestBucket(t, s, "site")
	if cfg != nil {
		if _, err := s.PutBucketWebsite(context.Background(), &s3api.PutBucketWebsiteInput{Bucket: ptr("site"), WebsiteConfiguration: cfg}); err != nil {
			t.Fatal(err)
		}
	}
	putSiteObject(t, s, "index.html", "<h1>home</h1>", "text/html", nil)
	putSiteObject(t, s, "docs/index.html", "<h1>docs</h1>", "text/html", nil)
	putSiteObject(t, s, "docs/a.html", "<p>a</p>", "text/html", nil)
	putSiteObject(t, s, "style.css", "body{}", "text/css", nil)
	putSiteObject(t, s, "404.html", "<h1>lost</h1>", "text/html", nil)
	putSiteObject(t, s, "moved.html", "", "text/html", ptr("/docs/a.html"))
	return s
}

func wantHTMLError(t *testing.T, w *httptest.ResponseRecorder, status int, lines ...string) {
	t.Helper()
	body := w.Body.String()
	title := strconv.Itoa(status) + " " + http.StatusText(status)
	head := "<html>\n<head><title>" + title + "</title></head>\n<body>\n<h1>" + title + "</h1>\n<ul>\n"
	if w.Code != status || !strings.HasPrefix(body, head) || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("got %d %q\n%s", w.Code, w.Header().Get("Content-Type"), body)
	}
	for _, l := range append(lines, "<li>RequestId: REQ123</li>\n<li>HostId: host-id</li>\n</ul>\n") {
		if !strings.Contains(body, l) {
			t.Fatalf("missing %q in\n%s", l, body)
		}
	}
	if !strings.HasSuffix(body, "<hr/>\n</body>\n</html>\n") {
		t.Fatalf("ending of\n%s", body)
	}
}

func TestWebsiteEndpointErrors(t *testing.T) {
	s := websiteService(t, nil)
	wantHTMLError(t, websiteGet(t, s, "GET", "nosuchsite", "/"), 404,
		"<li>Code: NoSuchBucket</li>\n<li>Message: The specified bucket does not exist</li>\n<li>BucketName: nosuchsite</li>\n")
	wantHTMLError(t, websiteGet(t, s, "GET", "site", "/"), 404,
		"<li>Code: NoSuchWebsiteConfiguration</li>\n<li>Message: The specified bucket does not have a website configuration</li>\n<li>BucketName: site</li>\n")
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		wantHTMLError(t, websiteGet(t, s, m, "site", "/index.html"), 405,
			"<li>Code: MethodNotAllowed</li>\n<li>Message: The specified method is not allowed against this resource.</li>\n<li>Method: "+m+"</li>\n<li>ResourceType: OBJECT</li>\n")
	}
	// HEAD gets the status without the page.
	if w := websiteGet(t, s, "HEAD", "site", "/"); w.Code != 404 || w.Body.Len() != 0 {
		t.Fatalf("HEAD: %d %q", w.Code, w.Body)
	}
}

func TestWebsiteServing(t *testing.T) {
	s := websiteService(t, &s3api.WebsiteConfiguration{IndexDocument: &s3api.IndexDocument{Suffix: ptr("index.html")}})
	for _, tc := range []struct {
		path, body, contentType string
	}{
		{"", "<h1>home</h1>", "text/html"},
		{"/", "<h1>home</h1>", "text/html"},
		{"/docs/", "<h1>docs</h1>", "text/html"},
		{"/docs/a.html", "<p>a</p>", "text/html"},
		{"/style.css", "body{}", "text/css"},
	} {
		w := websiteGet(t, s, "GET", "site", tc.path)
		if w.Code != 200 || w.Body.String() != tc.body || w.Header().Get("Content-Type") != tc.contentType || w.Header().Get("ETag") == "" {
			t.Fatalf("%q: %d %v %q", tc.path, w.Code, w.Header(), w.Body)
		}
	}
	// A folder named without its slash is redirected to it.
	if w := websiteGet(t, s, "GET", "site", "/docs"); w.Code != http.StatusFound || w.Header().Get("Location") != "/docs/" {
		t.Fatalf("folder: %d %v", w.Code, w.Header())
	}
	// An object's website redirect.
	if w := websiteGet(t, s, "GET", "site", "/moved.html"); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/docs/a.html" || w.Body.Len() != 0 {
		t.Fatalf("object redirect: %d %v", w.Code, w.Header())
	}
	// Ranges and conditions are those of GetObject.
	if w := websiteGet(t, s, "GET", "site", "/style.css", "Range", "bytes=0-3"); w.Code != http.StatusPartialContent || w.Body.String() != "body" {
		t.Fatalf("range: %d %q", w.Code, w.Body)
	}
	etag := websiteGet(t, s, "HEAD", "site", "/style.css").Header().Get("ETag")
	if w := websiteGet(t, s, "GET", "site", "/style.css", "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Fatalf("conditional: %d %q", w.Code, w.Body)
	}
	// Without an error document, S3's own page.
	wantHTMLError(t, websiteGet(t, s, "GET", "site", "/missing.html"), 404,
		"<li>Code: NoSuchKey</li>\n<li>Message: The specified key does not exist.</li>\n<li>Key: missing.html</li>\n")
	wantHTMLError(t, websiteGet(t, s, "GET", "site", "/nothing/"), 404, "<li>Key: nothing/index.html</li>\n")
}

func TestWebsiteErrorDocument(t *testing.T) {
	s := websiteService(t, &s3api.WebsiteConfiguration{IndexDocument: &s3api.IndexDocument{Suffix: ptr("index.html")},
		ErrorDocument: &s3api.ErrorDocument{Key: ptr("404.html")}})
	if w := websiteGet(t, s, "GET", "site", "/missing.html"); w.Code != 404 || w.Body.String() != "<h1>lost</h1>" || w.Header().Get("Content-Type") != "text/html" {
		t.Fatalf("error document: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if _, err := s.DeleteObject(context.Background(), &s3api.DeleteObjectInput{Bucket: ptr("site"), Key: ptr("404.html")}); err != nil {
		t.Fatal(err)
	}
	wantHTMLError(t, websiteGet(t, s, "GET", "site", "/missing.html"), 404, "<li>Key: missing.html</li>\n",
		"</ul>\n<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n<li>Code: NoSuchKey</li>\n<li>Message: The specified key does not exist.</li>\n<li>Key: 404.html</li>\n</ul>\n<hr/>")
}

func TestWebsiteRedirects(t *testing.T) {
	s := websiteService(t, &s3api.WebsiteConfiguration{IndexDocument: &s3api.IndexDocument{Suffix: ptr("index.html")}, RoutingRules: []s3api.RoutingRule{
		{Condition: &s3api.Condition{KeyPrefixEquals: ptr("old/")}, Redirect: &s3api.Redirect{ReplaceKeyPrefixWith: ptr("docs/")}},
		{Condition: &s3api.Condition{KeyPrefixEquals: ptr("gone.html")}, Redirect: &s3api.Redirect{ReplaceKeyWith: ptr("index.html"), HttpRedirectCode: ptr("302")}},
		{Condition: &s3api.Condition{HttpErrorCodeReturnedEquals: ptr("404")}, Redirect: &s3api.Redirect{HostName: ptr("fallback.test"), Protocol: ptr("https"), ReplaceKeyPrefixWith: ptr("report/")}},
	}})
	for _, tc := range []struct {
		path, location string
		status         int
	}{
		{"/old/a.html", "http://" + siteHost + "/docs/a.html", 301},
		{"/gone.html", "http://" + siteHost + "/index.html", 302},
		{"/nowhere.html", "https://fallback.test/report/nowhere.html", 301},
	} {
		w := websiteGet(t, s, "GET", "site", tc.path)
		if w.Code != tc.status || w.Header().Get("Location") != tc.location {
			t.Fatalf("%s: %d %v", tc.path, w.Code, w.Header())
		}
	}
	// Objects that exist are served: the error rule waits for an error.
	if w := websiteGet(t, s, "GET", "site", "/style.css"); w.Code != 200 {
		t.Fatalf("existing object: %d", w.Code)
	}
	all := newTestService(t)
	configTestBucket(t, all, "site")
	_, err := all.PutBucketWebsite(context.Background(), &s3api.PutBucketWebsiteInput{Bucket: ptr("site"), WebsiteConfiguration: &s3api.WebsiteConfiguration{
		RedirectAllRequestsTo: &s3api.RedirectAllRequestsTo{HostName: ptr("www.example.com"), Protocol: ptr("https")}}})
	if err != nil {
		t.Fatal(err)
	}
	if w := websiteGet(t, all, "GET", "site", "/a/b.html"); w.Code != 301 || w.Header().Get("Location") != "https://www.example.com/a/b.html" {
		t.Fatalf("redirect all: %d %v", w.Code, w.Header())
	}
}
