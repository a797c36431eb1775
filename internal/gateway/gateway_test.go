package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/sigv4"
)

func mustParse(t *testing.T, r *http.Request) *sigv4.Auth {
	t.Helper()
	a, _ := sigv4.Parse(r)
	return a
}

func serve(g http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

func decodeEcho(t *testing.T, w *httptest.ResponseRecorder) echo {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var e echo
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	return e
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) wireError {
	t.Helper()
	var we wireError
	if err := json.Unmarshal(w.Body.Bytes(), &we); err != nil {
		t.Fatalf("%v: %d %s", err, w.Code, w.Body)
	}
	if w.Code != status || we.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", w.Code, we.Code, we.Message, status, code)
	}
	return we
}

func TestAccountAndRegion(t *testing.T) {
	g := newTestGateway(t, func(c *Config) {
		c.Region = "eu-north-1"
		c.AccountForKey = func(k string) (string, bool) { return "111122223333", k == "AKIAIAMUSER" }
	})
	for name, tc := range map[string]struct {
		r               *http.Request
		account, region string
	}{
		"12-digit key":     {req("GET", "localhost", "/b/k", "", "Authorization", authz("123456789012", "ap-south-1", "s3")), "123456789012", "ap-south-1"},
		"other key":        {req("GET", "localhost", "/b/k", "", "Authorization", authz("test", "us-west-1", "s3")), DefaultAccount, "us-west-1"},
		"13 digits":        {req("GET", "localhost", "/b/k", "", "Authorization", authz("1234567890123", "us-west-1", "s3")), DefaultAccount, "us-west-1"},
		"iam key":          {req("GET", "localhost", "/b/k", "", "Authorization", authz("AKIAIAMUSER", "us-west-1", "s3")), "111122223333", "us-west-1"},
		"unsigned":         {req("GET", "localhost", "/b/k", ""), DefaultAccount, "eu-north-1"},
		"presigned v2 key": {req("GET", "localhost", "/b/k?AWSAccessKeyId=000000000042&Expires=4102444800&Signature=x", ""), "000000000042", "eu-north-1"},
		"sigv4a region set": {req("GET", "localhost", "/b/k", "", "Authorization",
			"AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/s3/aws4_request, SignedHeaders=host, Signature=30", "X-Amz-Region-Set", "ca-central-1,us-east-1"),
			DefaultAccount, "ca-central-1"},
	} {
		t.Run(name, func(t *testing.T) {
			e := decodeEcho(t, serve(g, tc.r))
			if e.Account != tc.account || e.Region != tc.region {
				t.Fatalf("account %s region %s", e.Account, e.Region)
			}
		})
	}
}

var (
	s3RequestID   = regexp.MustCompile(`^[0-9A-F]{16}$`)
	uuidRequestID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func TestRequestIDs(t *testing.T) {
	g := newTestGateway(t, nil)
	w := serve(g, req("GET", "localhost", "/b/k", "", "Authorization", authz("AKID", "us-east-1", "s3")))
	e := decodeEcho(t, w)
	if id := w.Header().Get("x-amz-request-id"); !s3RequestID.MatchString(id) || id != e.RequestID {
		t.Fatalf("s3 request id %q (service saw %q)", id, e.RequestID)
	}
	if w.Header().Get("x-amz-id-2") != hostID(e.RequestID) || w.Header().Get("x-amzn-RequestId") != "" {
		t.Fatalf("s3 headers %v", w.Header())
	}
	w = serve(g, req("POST", "localhost", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.PutItem", "Content-Type", json10))
	e = decodeEcho(t, w)
	if id := w.Header().Get("x-amzn-RequestId"); !uuidRequestID.MatchString(id) || id != e.RequestID {
		t.Fatalf("json request id %q (service saw %q)", id, e.RequestID)
	}
	if w.Header().Get("x-amz-request-id") != "" {
		t.Fatal("x-amz-request-id on a non-S3 response")
	}
	// Errors carry the id too.
	w = serve(g, req("GET", "localhost", "/b", "", "Authorization", authz("AKID", "us-east-1", "s3"), "X-Test", "1"))
	if w.Header().Get("x-amz-request-id") == "" {
		t.Fatal("no id")
	}
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID(true)
		if seen[id] {
			t.Fatal("request ids repeat")
		}
		seen[id] = true
	}
}

func TestEndpoint(t *testing.T) {
	g := newTestGateway(t, nil)
	e := decodeEcho(t, serve(g, req("GET", "mybucket.s3.localhost.localstack.cloud:4566", "/k", "", "Authorization", authz("AKID", "us-east-1", "s3"))))
	if e.Endpoint != "http://mybucket.s3.localhost.localstack.cloud:4566" || e.Host != "mybucket.s3.localhost.localstack.cloud:4566" {
		t.Fatalf("endpoint %s host %s", e.Endpoint, e.Host)
	}
	r := req("POST", "localhost:4566", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.PutItem", "X-Forwarded-Proto", "https")
	if e := decodeEcho(t, serve(g, r)); e.Endpoint != "https://localhost:4566" {
		t.Fatalf("endpoint %s", e.Endpoint)
	}
}

func TestVirtualHostKeepsEncoding(t *testing.T) {
	g := newTestGateway(t, nil)
	e := decodeEcho(t, serve(g, req("GET", "bucket.s3.localhost.localstack.cloud:4566", "/dir%2Fa%20b+c.txt", "",
		"Authorization", authz("AKID", "us-east-1", "s3"))))
	if e.Path != "/bucket/dir/a b+c.txt" || e.EscapedPath != "/bucket/dir%2Fa%20b+c.txt" {
		t.Fatalf("path %q escaped %q", e.Path, e.EscapedPath)
	}
}

func chunked(payload string, trailer string) string {
	var b strings.Builder
	if payload != "" {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(payload), payload)
	}
	b.WriteString("0\r\n" + trailer + "\r\n")
	return b.String()
}

func TestAWSChunkedBody(t *testing.T) {
	g := newTestGateway(t, nil)
	body := chunked("hello, chunked world", "x-amz-checksum-crc32:hIdKxg==\r\n")
	r := req("PUT", "localhost", "/bucket/key", body, "Authorization", authz("AKID", "us-east-1", "s3"),
		"X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding", "aws-chunked",
		"X-Amz-Decoded-Content-Length", "20", "X-Amz-Trailer", "x-amz-checksum-crc32")
	e := decodeEcho(t, serve(g, r))
	if e.Body != "hello, chunked world" || e.ContentLength != 20 || e.ContentEncoding != "" {
		t.Fatalf("service saw %+v", e)
	}
	if e.Trailer["x-amz-checksum-crc32"] != "hIdKxg==" {
		t.Fatalf("trailer %v", e.Trailer)
	}
	// The object's own encoding survives.
	r = req("PUT", "localhost", "/bucket/key", chunked("gz", ""), "Authorization", authz("AKID", "us-east-1", "s3"),
		"X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding", "aws-chunked,gzip", "X-Amz-Decoded-Content-Length", "2")
	if e := decodeEcho(t, serve(g, r)); e.ContentEncoding != "gzip" || e.Body != "gz" {
		t.Fatalf("service saw %+v", e)
	}
	// A malformed body reaches the service as an AWS error.
	r = req("PUT", "localhost", "/bucket/key", "zz\r\nxx", "Authorization", authz("AKID", "us-east-1", "s3"),
		"X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding", "aws-chunked", "X-Amz-Decoded-Content-Length", "2")
	decodeError(t, serve(g, r), http.StatusBadRequest, "IncompleteBody")
	// Short of the announced length.
	r = req("PUT", "localhost", "/bucket/key", chunked("abc", ""), "Authorization", authz("AKID", "us-east-1", "s3"),
		"X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding", "aws-chunked", "X-Amz-Decoded-Content-Length", "4")
	decodeError(t, serve(g, r), http.StatusBadRequest, "IncompleteBody")
}

func TestPanicBecomesInternalFailure(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	m := models()["dynamodb"]
	hs := echoHandlers(m)
	hs["PutItem"] = func(ctx context.Context, in any) (any, error) { panic("boom") }
	hs["DescribeTable"] = func(ctx context.Context, in any) (any, error) { return nil, errors.New("disk on fire") }
	g := New(Config{Services: []Service{{Model: m, Handlers: hs}}, Codecs: fakeCodecs(),
		Logger: slog.New(slog.NewJSONHandler(lockedWriter{&logs, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	srv := httptest.NewServer(g)
	defer srv.Close()

	for name, tc := range map[string]struct{ target, logged string }{
		"panic":          {"DynamoDB_20120810.PutItem", "boom"},
		"internal error": {"DynamoDB_20120810.DescribeTable", "disk on fire"},
	} {
		t.Run(name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader("{}"))
			r.Header.Set("X-Amz-Target", tc.target)
			r.Header.Set("Content-Type", json10)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatalf("connection dropped: %v", err)
			}
			defer resp.Body.Close()
			var we wireError
			json.NewDecoder(resp.Body).Decode(&we)
			if resp.StatusCode != 500 || we.Code != "InternalFailure" || strings.Contains(we.Message, tc.logged) {
				t.Fatalf("got %d %+v", resp.StatusCode, we)
			}
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(logs.String(), tc.logged) {
				t.Fatalf("not logged: %s", logs.String())
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), `"stack":"goroutine`) {
		t.Fatal("panic stack not logged")
	}
	if !strings.Contains(logs.String(), `"msg":"request","method":"POST","path":"/","service":"dynamodb","op":"PutItem","status":500`) {
		t.Fatalf("access log missing: %s", logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestHandlerErrorsAndMissingHandlers(t *testing.T) {
	m := models()["dynamodb"]
	notFound := awserr.Def{Code: "ResourceNotFoundException", Status: 400, Sender: true}
	g := New(Config{Services: []Service{{Model: m, Handlers: map[string]model.Handler{
		"DescribeTable": func(ctx context.Context, in any) (any, error) {
			return nil, fmt.Errorf("wrapped: %w", notFound.New("Requested resource not found"))
		},
	}}}, Codecs: fakeCodecs(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w := serve(g, req("POST", "localhost", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.DescribeTable"))
	decodeError(t, w, 400, "ResourceNotFoundException")
	w = serve(g, req("POST", "localhost", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.PutItem"))
	decodeError(t, w, 501, "NotImplemented")
	w = serve(g, req("POST", "localhost", "/", "{not json", "X-Amz-Target", "DynamoDB_20120810.DescribeTable"))
	decodeError(t, w, 400, "SerializationException")
	w = serve(g, req("POST", "localhost", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.Nope"))
	decodeError(t, w, 400, "InvalidAction")
}

func TestBodyLimits(t *testing.T) {
	g := newTestGateway(t, func(c *Config) { c.MaxJSONBody = 1024; c.MaxXMLBody = 2048 })
	big := `{"TableName":"` + strings.Repeat("x", 2000) + `"}`
	for name, tc := range map[string]struct {
		r      func() *http.Request
		status int
		code   string
	}{
		"json with content length": {
			r:      func() *http.Request { return req("POST", "l", "/", big, "X-Amz-Target", "DynamoDB_20120810.PutItem") },
			status: 413, code: "RequestEntityTooLarge",
		},
		"json without content length": {
			r: func() *http.Request {
				r := req("POST", "l", "/", "", "X-Amz-Target", "DynamoDB_20120810.PutItem")
				r.Body, r.ContentLength = io.NopCloser(strings.NewReader(big)), -1
				return r
			},
			status: 413, code: "RequestEntityTooLarge",
		},
		"query form": {
			r: func() *http.Request {
				return req("POST", "l", "/", "Action=Publish&Version=2010-03-31&Message="+strings.Repeat("m", 2000), "Content-Type", formCT,
					"Authorization", authz("AKID", "us-east-1", "sns"))
			},
			status: 413, code: "RequestEntityTooLarge",
		},
		"service's own code": {
			r: func() *http.Request {
				return req("POST", "l", "/2015-03-31/functions/f/invocations", big, "Authorization", authz("AKID", "us-east-1", "lambda"))
			},
			status: 413, code: "RequestTooLargeException",
		},
		"s3 non-streaming": {
			r: func() *http.Request {
				return req("POST", "l", "/bucket?delete", strings.Repeat("<Object/>", 300), "Authorization", authz("AKID", "us-east-1", "s3"))
			},
			status: 400, code: "MaxMessageLengthExceeded",
		},
		"json within limit": {
			r: func() *http.Request {
				return req("POST", "l", "/", `{"TableName":"t"}`, "X-Amz-Target", "DynamoDB_20120810.PutItem")
			},
			status: 200,
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := serve(g, tc.r())
			if tc.status == 200 {
				decodeEcho(t, w)
				return
			}
			decodeError(t, w, tc.status, tc.code)
		})
	}
	// Streaming payloads have no limit.
	payload := strings.Repeat("p", 100000)
	e := decodeEcho(t, serve(g, req("PUT", "l", "/bucket/big", payload, "Authorization", authz("AKID", "us-east-1", "s3"))))
	if len(e.Body) != len(payload) {
		t.Fatalf("streamed %d bytes", len(e.Body))
	}
	e = decodeEcho(t, serve(g, req("PUT", "l", "/bucket/big", chunked(payload, ""), "Authorization", authz("AKID", "us-east-1", "s3"),
		"X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding", "aws-chunked", "X-Amz-Decoded-Content-Length", "100000")))
	if len(e.Body) != len(payload) {
		t.Fatalf("streamed %d chunked bytes", len(e.Body))
	}
}

func TestPresignedExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	g := newTestGateway(t, func(c *Config) { c.Now = func() time.Time { return now } })
	url := func(date, expires string) string {
		return "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request" +
			"&X-Amz-Date=" + date + "&X-Amz-Expires=" + expires + "&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
	}
	decodeEcho(t, serve(g, req("GET", "localhost", url("20260101T115500Z", "600"), "")))
	we := decodeError(t, serve(g, req("GET", "localhost", url("20260101T110000Z", "600"), "")), 403, "AccessDenied")
	if we.Message != "Request has expired" {
		t.Fatalf("message %q", we.Message)
	}
	d, _ := we.Detail.(map[string]any)
	if d["XAmzExpires"] != "600" || d["Expires"] != "2026-01-01T11:10:00Z" || d["ServerTime"] != "2026-01-01T12:00:00Z" {
		t.Fatalf("detail %v", we.Detail)
	}
	decodeError(t, serve(g, req("GET", "localhost", url("20260101T110000Z", "604801"), "")), 400, "AuthorizationQueryParametersError")
	decodeError(t, serve(g, req("GET", "localhost", url("20260102T110000Z", "60"), "")), 403, "AccessDenied")
	// SigV2 presigned URLs expire too.
	decodeError(t, serve(g, req("GET", "localhost", "/bucket/key?AWSAccessKeyId=AKID&Expires=1767268000&Signature=x", "")), 403, "AccessDenied")
	decodeEcho(t, serve(g, req("GET", "localhost", "/bucket/key?AWSAccessKeyId=AKID&Expires=1767269000&Signature=x", "")))
}

func TestRawHook(t *testing.T) {
	m := models()["s3"]
	g := New(Config{Codecs: fakeCodecs(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Services: []Service{{
		Model: m, Handlers: echoHandlers(m),
		Raw: func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				return false
			}
			w.WriteHeader(http.StatusNoContent)
			return true
		},
	}}})
	w := serve(g, req("POST", "mybucket.s3.localhost.localstack.cloud", "/", "--x--", "Content-Type", "multipart/form-data; boundary=x"))
	if w.Code != http.StatusNoContent || w.Header().Get("x-amz-request-id") == "" {
		t.Fatalf("raw: %d %v", w.Code, w.Header())
	}
	decodeEcho(t, serve(g, req("GET", "mybucket.s3.localhost.localstack.cloud", "/k", "")))
}

func TestRegistrationPanics(t *testing.T) {
	ms := models()
	dupTarget := *ms["dynamodbstreams"]
	dupTarget.Name, dupTarget.TargetPrefix = "other", "DynamoDB_20120810"
	dupQuery := *ms["sns"]
	dupQuery.Name = "sns2"
	for name, cfg := range map[string]Config{
		"same name":        {Services: []Service{{Model: ms["s3"]}, {Model: ms["s3"]}}, Codecs: fakeCodecs()},
		"same target":      {Services: []Service{{Model: ms["dynamodb"]}, {Model: &dupTarget}}, Codecs: fakeCodecs()},
		"same query op":    {Services: []Service{{Model: ms["sns"]}, {Model: &dupQuery}}, Codecs: fakeCodecs()},
		"no codec":         {Services: []Service{{Model: ms["lambda"]}}, Codecs: fakeCodecs()[:1]},
		"duplicate codecs": {Codecs: append(fakeCodecs(), fakeCodec{protoJSON})},
		"no model":         {Services: []Service{{}}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			New(cfg)
		})
	}
}

func TestHealth(t *testing.T) {
	g := newTestGateway(t, func(c *Config) { c.Version = "1.2.3" })
	for _, path := range []string{"/_nimbus/health", "/_localstack/health"} {
		w := serve(g, req("GET", "localhost:4566", path, ""))
		var h struct {
			Services map[string]string `json:"services"`
			Edition  string            `json:"edition"`
			Version  string            `json:"version"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &h); err != nil || w.Code != 200 {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		if len(h.Services) != 8 || h.Services["s3"] != "running" || h.Services["dynamodbstreams"] != "running" || h.Version != "1.2.3" || h.Edition == "" {
			t.Fatalf("%s: %+v", path, h)
		}
		if w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("content type %q", w.Header().Get("Content-Type"))
		}
	}
	if w := serve(g, req("HEAD", "localhost", "/_localstack/health", "")); w.Code != 200 {
		t.Fatalf("HEAD %d", w.Code)
	}
	if w := serve(g, req("GET", "localhost", "/_nimbus/unknown", "")); w.Code != 404 {
		t.Fatalf("unknown internal path %d", w.Code)
	}
	internal := newTestGateway(t, func(c *Config) {
		c.Internal = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	})
	if w := serve(internal, req("GET", "localhost", "/_nimbus/console/", "")); w.Code != http.StatusTeapot {
		t.Fatalf("internal handler %d", w.Code)
	}
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	g := newTestGateway(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(lockedWriter{&logs, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	serve(g, req("GET", "localhost", "/bucket/key", "", "Authorization", authz("AKID", "us-east-1", "s3")))
	serve(g, req("POST", "localhost", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.Nope"))
	out := logs.String()
	for _, want := range []string{
		"level=DEBUG msg=request method=GET path=/bucket/key service=s3 op=GetObject status=200 duration=",
		"level=WARN msg=\"request failed\" service=dynamodb op=\"\" code=InvalidAction status=400",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// An empty upload that announces Expect: 100-continue gets the interim
// response before the final one, as S3 sends it.
func TestExpectContinueOnEmptyBody(t *testing.T) {
	g := New(Config{Services: nil, Codecs: nil})
	srv := httptest.NewServer(g)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /bucket/key HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n")
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("first status line %q, want 100 Continue", line)
	}
}
