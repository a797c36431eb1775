package gateway

import (
	"net/http"
	"testing"
)

func preflight(host, path, method, headers string) *http.Request {
	r := req("OPTIONS", host, path, "", "Origin", "http://app.example", "Access-Control-Request-Method", method)
	if headers != "" {
		r.Header.Set("Access-Control-Request-Headers", headers)
	}
	return r
}

func TestGenericCORS(t *testing.T) {
	g := newTestGateway(t, nil)
	for name, r := range map[string]*http.Request{
		"dynamodb from a page":   preflight("localhost:4566", "/", "POST", "content-type,x-amz-target,x-amz-date,authorization"),
		"query service at root":  preflight("localhost:4566", "/", "POST", "content-type,authorization"),
		"lambda rest route":      preflight("localhost:4566", "/2015-03-31/functions/f/invocations", "POST", "authorization,content-type"),
		"cbor service":           preflight("localhost:4566", "/service/GraniteServiceVersion20100801/operation/GetMetricData", "POST", "smithy-protocol"),
		"sqs query on queue url": preflight("localhost:4566", "/000000000000/q", "POST", "x-amz-target"),
	} {
		t.Run(name, func(t *testing.T) {
			w := serve(g, r)
			h := w.Header()
			if w.Code != 200 || h.Get("Access-Control-Allow-Origin") != "http://app.example" ||
				h.Get("Access-Control-Allow-Methods") == "" || h.Get("Access-Control-Allow-Headers") != r.Header.Get("Access-Control-Request-Headers") ||
				h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Max-Age") == "" {
				t.Fatalf("%d %v", w.Code, h)
			}
		})
	}
	// Responses to ordinary requests with an Origin carry the headers too.
	w := serve(g, req("POST", "localhost", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.PutItem", "Origin", "http://app.example"))
	decodeEcho(t, w)
	if w.Header().Get("Access-Control-Allow-Origin") != "http://app.example" || w.Header().Get("Access-Control-Expose-Headers") == "" {
		t.Fatalf("headers %v", w.Header())
	}
	// Without an Origin, no CORS headers.
	w = serve(g, req("POST", "localhost", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.PutItem"))
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS header without Origin")
	}
}

func TestS3CORS(t *testing.T) {
	var asked []string
	hook := func(r *http.Request, bucket string) (http.Header, bool) {
		asked = append(asked, bucket)
		if bucket != "open" {
			return nil, false
		}
		return http.Header{
			"Access-Control-Allow-Origin":  {r.Header.Get("Origin")},
			"Access-Control-Allow-Methods": {"GET, PUT"},
			"Vary":                         {"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
		}, true
	}
	withHook := newTestGateway(t, func(c *Config) { c.S3CORS = hook })
	without := newTestGateway(t, nil)

	w := serve(withHook, preflight("localhost:4566", "/open/photo.jpg", "PUT", "content-type"))
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "http://app.example" || w.Header().Get("Access-Control-Allow-Methods") != "GET, PUT" {
		t.Fatalf("allowed preflight: %d %v", w.Code, w.Header())
	}
	w = serve(withHook, preflight("open.s3.localhost.localstack.cloud:4566", "/photo.jpg", "PUT", ""))
	if w.Code != 200 || asked[len(asked)-1] != "open" {
		t.Fatalf("virtual-host preflight: %d, asked %v", w.Code, asked)
	}
	for name, tc := range map[string]struct {
		g        *Gateway
		r        *http.Request
		resource string
	}{
		"no matching rule":   {withHook, preflight("localhost:4566", "/closed/photo.jpg", "PUT", ""), "OBJECT"},
		"bucket preflight":   {withHook, preflight("localhost:4566", "/closed", "GET", ""), "BUCKET"},
		"no hook":            {without, preflight("localhost:4566", "/open/photo.jpg", "GET", ""), "OBJECT"},
		"no hook, vhost":     {without, preflight("open.localhost:4566", "/photo.jpg", "GET", ""), "OBJECT"},
		"s3 header announce": {without, preflight("localhost:4566", "/open/k", "PUT", "x-amz-acl,content-type"), "OBJECT"},
	} {
		t.Run(name, func(t *testing.T) {
			we := decodeError(t, serve(tc.g, tc.r), 403, "AccessForbidden")
			d, _ := we.Detail.(map[string]any)
			if d["Method"] != tc.r.Header.Get("Access-Control-Request-Method") || d["ResourceType"] != tc.resource {
				t.Fatalf("detail %v", we.Detail)
			}
			if we.Message != "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec." {
				t.Fatalf("message %q", we.Message)
			}
		})
	}
	// OPTIONS without Origin.
	decodeError(t, serve(withHook, req("OPTIONS", "localhost", "/open/k", "")), 400, "BadRequest")

	// Actual requests: the rule's headers when one matches, none otherwise.
	w = serve(withHook, req("GET", "localhost", "/open/k", "", "Origin", "http://app.example"))
	decodeEcho(t, w)
	if w.Header().Get("Access-Control-Allow-Origin") != "http://app.example" {
		t.Fatalf("headers %v", w.Header())
	}
	w = serve(withHook, req("GET", "localhost", "/closed/k", "", "Origin", "http://app.example"))
	decodeEcho(t, w)
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("headers %v", w.Header())
	}
}
