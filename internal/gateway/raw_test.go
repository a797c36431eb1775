package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestS3WebsiteHosts(t *testing.T) {
	for host, want := range map[string]string{
		"site.s3-website-us-east-1.amazonaws.com":         "site",
		"site.s3-website.eu-west-1.amazonaws.com":         "site",
		"my.site.s3-website.eu-west-1.amazonaws.com":      "my.site",
		"site.s3-website.localhost:4566":                  "site",
		"site.s3-website.localhost":                       "site",
		"site.s3-website.localhost.localstack.cloud:4566": "site",
		"s3-website.localhost:4566":                       "",
		"s3-website-us-east-1.amazonaws.com":              "",
		"123456789012.s3-control.localhost:4566":          "",
		"my-s3-files.localhost:4566":                      "my-s3-files",
	} {
		got, ok := s3VirtualHost(host)
		if got != want || ok != (want != "") {
			t.Errorf("%s: got %q, %v; want %q", host, got, ok, want)
		}
	}
}

// rawSeen is what a test Raw hook saw of a request it served.
type rawSeen struct {
	path, host string
	body       int
}

func rawGateway(t *testing.T, seen *rawSeen, mod func(*Config)) *Gateway {
	m := models()["s3"]
	cfg := Config{Codecs: fakeCodecs(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Services: []Service{{
		Model: m, Handlers: echoHandlers(m),
		Raw: func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.Contains(r.Host, ".s3-website") && r.Header.Get("Content-Type") != "multipart/form-data; boundary=x" {
				return false
			}
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil {
				t.Errorf("raw body: %v", err)
			}
			*seen = rawSeen{path: r.URL.Path, host: r.Host, body: int(n)}
			w.WriteHeader(http.StatusTeapot)
			return true
		},
	}}}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func TestRawWebsiteRequests(t *testing.T) {
	var seen rawSeen
	g := rawGateway(t, &seen, nil)
	for _, tc := range []struct {
		host, target, path string
	}{
		{"site.s3-website.localhost:4566", "/", "/site"},
		{"site.s3-website.localhost:4566", "/docs/", "/site/docs/"},
		{"site.s3-website-us-east-1.amazonaws.com", "/a%20b.html", "/site/a b.html"},
		{"site.s3-website.us-east-1.amazonaws.com", "/index.html?x=1", "/site/index.html"},
	} {
		seen = rawSeen{}
		r := req("GET", tc.host, tc.target, "")
		if rt := g.resolve(r, nil); rt == nil || rt.rule != "host" || rt.bucketFromHost != "site" {
			t.Fatalf("%s: route %+v", tc.host, rt)
		}
		w := serve(g, r)
		if w.Code != http.StatusTeapot || seen.path != tc.path || seen.host != tc.host {
			t.Fatalf("%s%s: %d, raw saw %+v", tc.host, tc.target, w.Code, seen)
		}
		if w.Header().Get("x-amz-request-id") == "" {
			t.Fatal("no request id")
		}
	}
	// Every method reaches Raw: a website endpoint answers them itself.
	w := serve(g, req("DELETE", "site.s3-website.localhost", "/k", ""))
	if w.Code != http.StatusTeapot || seen.path != "/site/k" {
		t.Fatalf("DELETE on a website: %d %+v", w.Code, seen)
	}
}

func TestRawBodyHasNoLimit(t *testing.T) {
	var seen rawSeen
	g := rawGateway(t, &seen, func(c *Config) { c.MaxXMLBody = 2048 })
	form := "--x\r\n" + `Content-Disposition: form-data; name="file"` + "\r\n\r\n" + strings.Repeat("f", 100000) + "\r\n--x--\r\n"
	w := serve(g, req("POST", "localhost", "/bucket", form, "Content-Type", "multipart/form-data; boundary=x"))
	if w.Code != http.StatusTeapot || seen.body != len(form) {
		t.Fatalf("form upload: %d, raw read %d of %d bytes", w.Code, seen.body, len(form))
	}
	// A request Raw declines keeps the limit.
	w = serve(g, req("POST", "localhost", "/bucket?delete", strings.Repeat("<Object/>", 300), "Authorization", authz("AKID", "us-east-1", "s3")))
	decodeError(t, w, 400, "MaxMessageLengthExceeded")
}
