package gateway

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/protocol"
)

func newTestGateway(t *testing.T, mod func(*Config)) *Gateway {
	t.Helper()
	cfg := Config{Services: testServices(), Codecs: fakeCodecs(), Region: "us-east-1", Version: "test",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC) }}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func authz(akid, region, service string) string {
	return "AWS4-HMAC-SHA256 Credential=" + akid + "/20260101/" + region + "/" + service +
		"/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}

// req builds a request as a client would send it; headers alternate name
// and value.
func req(method, host, target, body string, headers ...string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	r.Host = host
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

const (
	formCT = "application/x-www-form-urlencoded; charset=utf-8"
	json10 = "application/x-amz-json-1.0"
)

func TestResolution(t *testing.T) {
	g := newTestGateway(t, nil)
	for name, tc := range map[string]struct {
		r       *http.Request
		service string
		codec   string
		op      string
		path    string // the path the service sees
		rule    string
	}{
		"s3 path style": {
			r:       req("GET", "localhost:4566", "/mybucket/photos/cat.jpg", "", "Authorization", authz("AKID", "us-east-1", "s3")),
			service: "s3", codec: protoRESTXML, op: "GetObject", path: "/mybucket/photos/cat.jpg", rule: "scope",
		},
		"s3 list buckets": {
			r:       req("GET", "127.0.0.1:4566", "/", "", "Authorization", authz("AKID", "us-east-1", "s3")),
			service: "s3", codec: protoRESTXML, op: "ListBuckets", path: "/", rule: "scope",
		},
		"s3 virtual host localstack style": {
			r:       req("GET", "mybucket.s3.localhost.localstack.cloud:4566", "/photos/cat.jpg", "", "Authorization", authz("AKID", "us-east-1", "s3")),
			service: "s3", codec: protoRESTXML, op: "GetObject", path: "/mybucket/photos/cat.jpg", rule: "scope",
		},
		"s3 virtual host amazonaws regional": {
			r:       req("GET", "my.dotted.bucket.s3.us-west-2.amazonaws.com", "/k", "", "Authorization", authz("AKID", "us-west-2", "s3")),
			service: "s3", codec: protoRESTXML, op: "GetObject", path: "/my.dotted.bucket/k", rule: "scope",
		},
		"s3 virtual host legacy dash region": {
			r:       req("GET", "mybucket.s3-eu-west-1.amazonaws.com", "/k", "", "Authorization", authz("AKID", "eu-west-1", "s3")),
			service: "s3", codec: protoRESTXML, op: "GetObject", path: "/mybucket/k", rule: "scope",
		},
		"s3 virtual host localhost bucket root": {
			r:       req("GET", "mybucket.localhost:4566", "/?list-type=2", "", "Authorization", authz("AKID", "us-east-1", "s3")),
			service: "s3", codec: protoRESTXML, op: "ListObjects", path: "/mybucket", rule: "scope",
		},
		"s3 virtual host unsigned browser": {
			r:       req("GET", "site.s3.localhost.localstack.cloud:4566", "/index.html", ""),
			service: "s3", codec: protoRESTXML, op: "GetObject", path: "/site/index.html", rule: "host",
		},
		"s3 unsigned path style falls back": {
			r:       req("GET", "localhost:4566", "/public/readme.txt", ""),
			service: "s3", codec: protoRESTXML, op: "GetObject", path: "/public/readme.txt", rule: "fallback",
		},
		"s3 presigned v4": {
			r: req("PUT", "localhost:4566", "/bucket/upload.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Feu-central-1%2Fs3%2Faws4_request"+
				"&X-Amz-Date=20260101T000000Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=00", "data"),
			service: "s3", codec: protoRESTXML, op: "PutObject", path: "/bucket/upload.bin", rule: "scope",
		},
		"s3 presigned v2": {
			r:       req("GET", "localhost:4566", "/bucket/k?AWSAccessKeyId=AKID&Expires=4102444800&Signature=abc%3D", ""),
			service: "s3", codec: protoRESTXML, op: "GetObject", path: "/bucket/k", rule: "fallback",
		},
		"s3 sigv2 header": {
			r:       req("GET", "localhost:4566", "/bucket/k", "", "Authorization", "AWS AKID:c2lnbmF0dXJl"),
			service: "s3", codec: protoRESTXML, op: "GetObject", path: "/bucket/k", rule: "fallback",
		},
		"s3 form body is not a query action": {
			r:       req("PUT", "localhost:4566", "/bucket/form.txt", "a=b", "Content-Type", formCT, "Authorization", authz("AKID", "us-east-1", "s3")),
			service: "s3", codec: protoRESTXML, op: "PutObject", path: "/bucket/form.txt", rule: "scope",
		},
		"s3 control by host": {
			r:       req("GET", "123456789012.s3-control.localhost.localstack.cloud:4566", "/v20180820/jobs", "", "Authorization", authz("AKID", "us-east-1", "s3")),
			service: "s3control", codec: protoRESTXML, op: "ListJobs", path: "/v20180820/jobs", rule: "scope",
		},
		"s3 control by route": {
			r:       req("GET", "localhost:4566", "/v20180820/jobs", "", "Authorization", authz("AKID", "us-east-1", "s3")),
			service: "s3control", codec: protoRESTXML, op: "ListJobs", path: "/v20180820/jobs", rule: "scope",
		},
		"dynamodb": {
			r: req("POST", "localhost:4566", "/", `{"TableName":"orders"}`, "Authorization", authz("AKID", "us-east-1", "dynamodb"),
				"X-Amz-Target", "DynamoDB_20120810.PutItem", "Content-Type", json10),
			service: "dynamodb", codec: protoJSON, op: "PutItem", path: "/", rule: "scope",
		},
		"dynamodb streams shares the signing name": {
			r: req("POST", "localhost:4566", "/", `{}`, "Authorization", authz("AKID", "us-east-1", "dynamodb"),
				"X-Amz-Target", "DynamoDBStreams_20120810.ListStreams", "Content-Type", json10),
			service: "dynamodbstreams", codec: protoJSON, op: "ListStreams", path: "/", rule: "scope",
		},
		"dynamodb target unsigned": {
			r:       req("POST", "localhost:4566", "/", `{}`, "X-Amz-Target", "DynamoDB_20120810.DescribeTable", "Content-Type", json10),
			service: "dynamodb", codec: protoJSON, op: "DescribeTable", path: "/", rule: "target",
		},
		"sns query": {
			r: req("POST", "localhost:4566", "/", "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Message=hi",
				"Content-Type", formCT, "Authorization", authz("AKID", "us-east-1", "sns")),
			service: "sns", codec: protoQuery, op: "Publish", path: "/", rule: "scope",
		},
		"sns query unsigned": {
			r:       req("POST", "localhost:4566", "/", "Action=ListTopics&Version=2010-03-31", "Content-Type", formCT),
			service: "sns", codec: protoQuery, op: "ListTopics", path: "/", rule: "action",
		},
		"sqs json": {
			r: req("POST", "localhost:4566", "/", `{"QueueUrl":"http://localhost:4566/000000000000/q","MessageBody":"m"}`,
				"Authorization", authz("AKID", "us-east-1", "sqs"), "X-Amz-Target", "AmazonSQS.SendMessage", "Content-Type", json10),
			service: "sqs", codec: protoJSON, op: "SendMessage", path: "/", rule: "scope",
		},
		"sqs query on a queue url": {
			r: req("POST", "localhost:4566", "/000000000000/q", "Action=SendMessage&MessageBody=m&Version=2012-11-05",
				"Content-Type", formCT, "Authorization", authz("AKID", "us-east-1", "sqs")),
			service: "sqs", codec: protoQuery, op: "SendMessage", path: "/000000000000/q", rule: "scope",
		},
		"sqs query on a queue url unsigned": {
			r: req("POST", "localhost:4566", "/000000000000/q", "Action=SendMessage&MessageBody=m&Version=2012-11-05",
				"Content-Type", formCT),
			service: "sqs", codec: protoQuery, op: "SendMessage", path: "/000000000000/q", rule: "action",
		},
		"sqs query presigned get": {
			r: req("GET", "localhost:4566", "/?Action=ListQueues&Version=2012-11-05&X-Amz-Algorithm=AWS4-HMAC-SHA256"+
				"&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00", ""),
			service: "sqs", codec: protoQuery, op: "ListQueues", path: "/", rule: "scope",
		},
		"cloudwatch cbor": {
			r: req("POST", "localhost:4566", "/service/GraniteServiceVersion20100801/operation/GetMetricData", "\xa0",
				"Authorization", authz("AKID", "us-east-1", "monitoring"), "Smithy-Protocol", "rpc-v2-cbor", "Content-Type", "application/cbor"),
			service: "cloudwatch", codec: protoCBOR, op: "GetMetricData", rule: "scope",
			path: "/service/GraniteServiceVersion20100801/operation/GetMetricData",
		},
		"cloudwatch cbor unsigned": {
			r: req("POST", "localhost:4566", "/service/GraniteServiceVersion20100801/operation/PutMetricData", "\xa0",
				"Smithy-Protocol", "rpc-v2-cbor", "Content-Type", "application/cbor"),
			service: "cloudwatch", codec: protoCBOR, op: "PutMetricData", rule: "cbor",
			path: "/service/GraniteServiceVersion20100801/operation/PutMetricData",
		},
		"cloudwatch json": {
			r: req("POST", "localhost:4566", "/", `{}`, "Authorization", authz("AKID", "us-east-1", "monitoring"),
				"X-Amz-Target", "GraniteServiceVersion20100801.GetMetricData", "Content-Type", json10),
			service: "cloudwatch", codec: protoJSON, op: "GetMetricData", path: "/", rule: "scope",
		},
		"cloudwatch query": {
			r: req("POST", "localhost:4566", "/", "Action=PutMetricData&Version=2010-08-01&Namespace=n",
				"Authorization", authz("AKID", "us-east-1", "monitoring"), "Content-Type", formCT),
			service: "cloudwatch", codec: protoQuery, op: "PutMetricData", path: "/", rule: "scope",
		},
		"lambda rest-json": {
			r: req("POST", "localhost:4566", "/2015-03-31/functions/my-fn/invocations", `{"k":1}`,
				"Authorization", authz("AKID", "us-east-1", "lambda"), "Content-Type", "application/json"),
			service: "lambda", codec: protoRESTJSON, op: "Invoke", path: "/2015-03-31/functions/my-fn/invocations", rule: "scope",
		},
		"lambda by host unsigned": {
			r:       req("GET", "lambda.us-east-1.localhost.localstack.cloud:4566", "/2015-03-31/functions/", ""),
			service: "lambda", codec: protoRESTJSON, op: "ListFunctions", path: "/2015-03-31/functions/", rule: "host",
		},
		"sigv4a scope": {
			r: req("GET", "localhost:4566", "/b/k", "", "Authorization",
				"AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/s3/aws4_request, SignedHeaders=host;x-amz-region-set, Signature=3045",
				"X-Amz-Region-Set", "eu-west-3"),
			service: "s3", codec: protoRESTXML, op: "GetObject", path: "/b/k", rule: "scope",
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if rt := g.resolve(tc.r, mustParse(t, tc.r)); rt == nil || rt.rule != tc.rule {
				t.Fatalf("rule: got %+v, want %s", rt, tc.rule)
			}
			g.ServeHTTP(w, tc.r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var e echo
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			if e.Service != tc.service || w.Header().Get("X-Codec") != tc.codec || e.Op != tc.op || e.Path != tc.path {
				t.Fatalf("got service %s codec %s op %s path %s; want %s %s %s %s",
					e.Service, w.Header().Get("X-Codec"), e.Op, e.Path, tc.service, tc.codec, tc.op, tc.path)
			}
		})
	}
}

func TestUnknownService(t *testing.T) {
	g := newTestGateway(t, nil)
	for name, tc := range map[string]struct {
		r     *http.Request
		codec string
		code  string
	}{
		"unknown scope, rest": {
			r:     req("GET", "localhost:4566", "/2020-01-01/things", "", "Authorization", authz("AKID", "us-east-1", "foo")),
			codec: protoRESTXML, code: "UnknownOperationException",
		},
		"unknown scope, json": {
			r: req("POST", "localhost:4566", "/", "{}", "Authorization", authz("AKID", "us-east-1", "kinesis"),
				"X-Amz-Target", "Kinesis_20131202.ListStreams", "Content-Type", "application/x-amz-json-1.1"),
			codec: protoJSON, code: "UnknownOperationException",
		},
		"unknown target": {
			r:     req("POST", "localhost:4566", "/", "{}", "X-Amz-Target", "Foo_2020.Bar", "Content-Type", json10),
			codec: protoJSON, code: "UnknownOperationException",
		},
		"unknown query action": {
			r:     req("POST", "localhost:4566", "/", "Action=CreateUser&Version=2010-05-08", "Content-Type", formCT),
			codec: protoQuery, code: "InvalidAction",
		},
		"unknown scope, rest json body": {
			r: req("POST", "localhost:4566", "/v1/apis", `{}`, "Authorization", authz("AKID", "us-east-1", "apigateway"),
				"Content-Type", "application/json"),
			codec: protoRESTJSON, code: "UnknownOperationException",
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			g.ServeHTTP(w, tc.r)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d", w.Code)
			}
			var we wireError
			json.Unmarshal(w.Body.Bytes(), &we)
			if we.Codec != tc.codec || we.Code != tc.code || tc.code == "InvalidAction" && we.Message != "The action CreateUser is not valid for this web service." {
				t.Fatalf("got %+v", we)
			}
			if w.Header().Get("X-Amzn-Requestid") == "" {
				t.Fatal("no request id")
			}
		})
	}
	// Without any codec for the request's protocol the gateway still answers
	// in AWS's form.
	bare := New(Config{Services: []Service{{Model: models()["s3"], Handlers: echoHandlers(models()["s3"])}},
		Codecs: []protocol.Codec{fakeCodec{protoRESTXML}}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w := httptest.NewRecorder()
	bare.ServeHTTP(w, req("POST", "localhost:4566", "/", "{}", "X-Amz-Target", "Foo_2020.Bar", "Content-Type", json10))
	if w.Code != 400 || !strings.Contains(w.Body.String(), `"__type":"UnknownOperationException"`) {
		t.Fatalf("bare JSON error: %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	bare.ServeHTTP(w, req("POST", "localhost:4566", "/", "Action=Nope", "Content-Type", formCT))
	if w.Code != 400 || !strings.Contains(w.Body.String(), "<Code>InvalidAction</Code>") {
		t.Fatalf("bare XML error: %d %s", w.Code, w.Body)
	}
}

func TestS3VirtualHost(t *testing.T) {
	for host, want := range map[string]string{
		"bucket.s3.amazonaws.com":                         "bucket",
		"bucket.s3.us-east-1.amazonaws.com":               "bucket",
		"bucket.s3-us-west-2.amazonaws.com":               "bucket",
		"bucket.s3-website-us-east-1.amazonaws.com":       "bucket",
		"bucket.s3-website.eu-west-1.amazonaws.com":       "bucket",
		"bucket.s3.localhost.localstack.cloud:4566":       "bucket",
		"a.s3.b.s3.amazonaws.com":                         "a.s3.b",
		"bucket.localhost:4566":                           "bucket",
		"Bucket.LOCALHOST":                                "bucket",
		"bucket.s3.dualstack.us-east-1.amazonaws.com":     "bucket",
		"bucket.s3.nimbus.internal:4566":                  "bucket",
		"s3.amazonaws.com":                                "",
		"s3.us-east-1.amazonaws.com":                      "",
		"s3.localhost.localstack.cloud:4566":              "",
		"localhost:4566":                                  "",
		"127.0.0.1:4566":                                  "",
		"[::1]:4566":                                      "",
		"localhost.localstack.cloud:4566":                 "",
		"123456789012.s3-control.us-east-1.amazonaws.com": "",
		"sqs.us-east-1.localhost.localstack.cloud":        "",
		"ab.localhost":                                    "",
		"s3.localhost":                                    "",
	} {
		got, ok := s3VirtualHost(host)
		if got != want || ok != (want != "") {
			t.Errorf("%s: got %q, %v; want %q", host, got, ok, want)
		}
	}
}
