package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKey    = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// verdict is what the server side saw.
type verdict struct {
	auth    *Auth
	err     error
	bodyErr error
	body    []byte
	result  *Result
}

// verifyServer parses and verifies every request with secret, reads the
// whole body (so content-hash checks run) and reports what it found.
func verifyServer(t *testing.T, secret string) (*httptest.Server, chan verdict) {
	t.Helper()
	seen := make(chan verdict, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v verdict
		v.auth, v.err = Parse(r)
		if v.err == nil && v.auth != nil {
			v.result, v.err = Verify(r, v.auth, secret, VerifyOptions{})
		}
		v.body, v.bodyErr = io.ReadAll(r.Body)
		seen <- v
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func send(t *testing.T, req *http.Request, seen chan verdict) verdict {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return <-seen
}

func TestVerifyAgainstSDKSigner(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	signer := v4.NewSigner()
	for name, tc := range map[string]struct {
		method, path, query string
		body                string
		headers             map[string]string
		service             string
		payloadHash         string // "" = sha256 of body
		setContentSHA       bool   // send x-amz-content-sha256 as S3 clients do
		s3                  bool   // sign as S3 does: the path is not escaped again
		token               string
	}{
		"s3 get with odd key": {
			method: "GET", path: "/bucket/a%20b/c%2Bd/%E2%82%AC~x.txt", query: "versionId=3%2F4&response-content-type=text%2Fplain",
			service: "s3", payloadHash: UnsignedPayload, setContentSHA: true, s3: true,
		},
		"s3 put with body and metadata": {
			method: "PUT", path: "/bucket/key", body: "hello world",
			headers: map[string]string{"X-Amz-Meta-Color": "  deep   blue ", "Content-Type": "text/plain", "X-Amz-Checksum-Crc32": "DUoRhQ=="},
			service: "s3", setContentSHA: true, s3: true,
		},
		"s3 list with empty query values": {
			method: "GET", path: "/bucket", query: "list-type=2&prefix=&delimiter=%2F&encoding-type=url",
			service: "s3", payloadHash: EmptySHA256, setContentSHA: true, s3: true,
		},
		"s3 subresource without value": {
			method: "GET", path: "/bucket", query: "acl",
			service: "s3", payloadHash: EmptySHA256, setContentSHA: true, s3: true,
		},
		"dynamodb json body without content hash header": {
			method: "POST", path: "/", body: `{"TableName":"t"}`,
			headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.DescribeTable", "Content-Type": "application/x-amz-json-1.0"},
			service: "dynamodb",
		},
		"sqs query form": {
			method: "POST", path: "/", body: "Action=ListQueues&Version=2012-11-05",
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
			service: "sqs",
		},
		"lambda path with escaped arn is escaped twice": {
			method: "POST", path: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations",
			body: `{}`, service: "lambda",
		},
		"session token": {
			method: "POST", path: "/", body: "Action=GetCallerIdentity&Version=2011-06-15", service: "sts", token: "FQoGZXIvYXdzEBY=",
		},
		"multi-valued header": {
			method: "GET", path: "/bucket/key", service: "s3", payloadHash: UnsignedPayload, setContentSHA: true, s3: true,
			headers: map[string]string{"X-Amz-Meta-A": "1"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv, seen := verifyServer(t, testSecret)
			url := srv.URL + tc.path
			if tc.query != "" {
				url += "?" + tc.query
			}
			req, err := http.NewRequest(tc.method, url, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.body == "" {
				req.Body, req.ContentLength = http.NoBody, 0
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if strings.HasPrefix(name, "multi") {
				req.Header.Add("X-Amz-Meta-A", "2")
			}
			hash := tc.payloadHash
			if hash == "" {
				hash = hashHex([]byte(tc.body))
			}
			if tc.setContentSHA {
				req.Header.Set("X-Amz-Content-Sha256", hash)
			}
			c := creds
			c.SessionToken = tc.token
			err = signer.SignHTTP(context.Background(), c, req, hash, tc.service, "us-west-2", time.Now(), func(o *v4.SignerOptions) {
				o.DisableURIPathEscaping = tc.s3
			})
			if err != nil {
				t.Fatal(err)
			}
			v := send(t, req, seen)
			if v.err != nil {
				t.Fatalf("verify: %v\n%s", v.err, detail(v.err))
			}
			if v.bodyErr != nil || string(v.body) != tc.body {
				t.Fatalf("body %q, %v", v.body, v.bodyErr)
			}
			if v.auth.Region != "us-west-2" || v.auth.Service != tc.service || v.auth.SecurityToken != tc.token {
				t.Fatalf("auth %+v", v.auth)
			}
			if v.result == nil || len(v.result.SigningKey) != 32 {
				t.Fatalf("result %+v", v.result)
			}

			// The same request with the wrong secret fails.
			srv2, seen2 := verifyServer(t, "another secret")
			req2, _ := http.NewRequest(tc.method, strings.Replace(url, srv.URL, srv2.URL, 1), strings.NewReader(tc.body))
			if tc.body == "" {
				req2.Body, req2.ContentLength = http.NoBody, 0
			}
			req2.Header = req.Header.Clone()
			req2.Host = strings.TrimPrefix(srv.URL, "http://") // keep the signed host
			if v := send(t, req2, seen2); kindOf(v.err) != ErrMismatch {
				t.Fatalf("wrong secret: %v", v.err)
			}
		})
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	for name, tc := range map[string]struct {
		tamper func(r *http.Request)
		want   ErrorKind
		inBody bool // the failure shows when the body is read
	}{
		"changed signed header": {tamper: func(r *http.Request) { r.Header.Set("X-Amz-Meta-Color", "red") }, want: ErrMismatch},
		"changed query":         {tamper: func(r *http.Request) { r.URL.RawQuery = "versionId=2" }, want: ErrMismatch},
		"changed method":        {tamper: func(r *http.Request) { r.Method = "DELETE" }, want: ErrMismatch},
		"changed path":          {tamper: func(r *http.Request) { r.URL.Path = "/bucket/other" }, want: ErrMismatch},
		"changed body": {tamper: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("HELLO WORLD"))
		}, want: ErrContentSHA256, inBody: true},
		"unsigned header added": {tamper: func(r *http.Request) { r.Header.Set("X-Unsigned", "1") }, want: -1},
	} {
		t.Run(name, func(t *testing.T) {
			srv, seen := verifyServer(t, testSecret)
			req, _ := http.NewRequest("PUT", srv.URL+"/bucket/key?versionId=1", strings.NewReader("hello world"))
			req.Header.Set("X-Amz-Meta-Color", "blue")
			hash := hashHex([]byte("hello world"))
			req.Header.Set("X-Amz-Content-Sha256", hash)
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1", time.Now(), func(o *v4.SignerOptions) {
				o.DisableURIPathEscaping = true
			}); err != nil {
				t.Fatal(err)
			}
			tc.tamper(req)
			v := send(t, req, seen)
			err := v.err
			if tc.inBody {
				if v.err != nil {
					t.Fatalf("header verification failed: %v", v.err)
				}
				err = v.bodyErr
			}
			if tc.want < 0 {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			if kindOf(err) != tc.want {
				t.Fatalf("got %v, want kind %d", err, tc.want)
			}
		})
	}
}

func TestVerifyPresignedAgainstSDK(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret, SessionToken: "session"}
	for name, tc := range map[string]struct {
		method      string
		path        string
		headers     map[string]string
		payloadHash string
		service     string
	}{
		"s3 get":                     {method: "GET", path: "/bucket/photos/cat%20pic.jpg", payloadHash: UnsignedPayload, service: "s3"},
		"s3 put with hoisted header": {method: "PUT", path: "/bucket/key", payloadHash: UnsignedPayload, service: "s3", headers: map[string]string{"X-Amz-Acl": "public-read", "Content-Type": "image/png"}},
		"sts presigned get":          {method: "GET", path: "/", payloadHash: EmptySHA256, service: "sts"},
	} {
		t.Run(name, func(t *testing.T) {
			srv, seen := verifyServer(t, testSecret)
			query := "X-Amz-Expires=900"
			if tc.service == "sts" {
				query = "Action=GetCallerIdentity&Version=2011-06-15&" + query
			}
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path+"?"+query, nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, tc.payloadHash, tc.service, "eu-central-1", time.Now(), func(o *v4.SignerOptions) {
				o.DisableURIPathEscaping = tc.service == "s3"
			})
			if err != nil {
				t.Fatal(err)
			}
			out, _ := http.NewRequest(tc.method, signed, nil)
			for k, vs := range hdr {
				if !strings.EqualFold(k, "host") {
					out.Header[k] = vs
				}
			}
			v := send(t, out, seen)
			if v.err != nil {
				t.Fatalf("verify: %v\n%s\nurl %s", v.err, detail(v.err), signed)
			}
			if v.auth.Kind != PresignedV4 || v.auth.Region != "eu-central-1" || v.auth.Expires != "900" || v.auth.SecurityToken != "session" {
				t.Fatalf("auth %+v", v.auth)
			}
			// Changing a signed query parameter breaks the signature.
			srv2, seen2 := verifyServer(t, testSecret)
			bad, _ := http.NewRequest(tc.method, strings.Replace(strings.Replace(signed, "X-Amz-Expires=900", "X-Amz-Expires=901", 1), srv.URL, srv2.URL, 1), nil)
			bad.Host = strings.TrimPrefix(srv.URL, "http://")
			for k, vs := range hdr {
				if !strings.EqualFold(k, "host") {
					bad.Header[k] = vs
				}
			}
			if v := send(t, bad, seen2); kindOf(v.err) != ErrMismatch {
				t.Fatalf("tampered expiry: %v", v.err)
			}
		})
	}
}

// The seed signature of AWS's documented streaming upload example
// ("Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks").
func TestVerifyStreamingSeedFromAWSExample(t *testing.T) {
	r := httptest.NewRequest("PUT", "/examplebucket/chunkObject.txt", bytes.NewReader(nil))
	r.Host = "s3.amazonaws.com"
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
		"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
		"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
	r.Header.Set("X-Amz-Content-Sha256", StreamingPayload)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("Content-Length", "66824")
	a, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(r, a, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", VerifyOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, detail(err))
	}
	if res.Signature != "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9" || res.PayloadHash != StreamingPayload ||
		res.AmzDate != "20130524T000000Z" || res.Scope != "20130524/us-east-1/s3/aws4_request" {
		t.Fatalf("result %+v", res)
	}
}

func TestVerifyRefusesWhatItCannotCheck(t *testing.T) {
	for name, a := range map[string]*Auth{
		"v2":       {Kind: HeaderV2},
		"v4a":      {Kind: HeaderV4, Algorithm: AlgorithmECDSA},
		"no host":  {Kind: HeaderV4, Algorithm: AlgorithmHMAC, Date: "20260101", AmzDate: "20260101T000000Z", SignedHeaders: []string{"x-amz-date"}},
		"bad date": {Kind: HeaderV4, Algorithm: AlgorithmHMAC, Date: "20260101", AmzDate: "20260102T000000Z", SignedHeaders: []string{"host"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if _, err := Verify(r, a, "s", VerifyOptions{}); err == nil {
				t.Fatal("verified")
			}
		})
	}
}

func TestURIEncode(t *testing.T) {
	for in, want := range map[string]string{
		"/a b/c":      "/a%20b/c",
		"/%41":        "/%2541",
		"a+b=c&d":     "a%2Bb%3Dc%26d",
		"/~._-":       "/~._-",
		"/\u20ac":     "/%E2%82%AC",
		"/a/./b/../c": "/a/./b/../c",
	} {
		if got := uriEncode(in, false); got != want {
			t.Errorf("uriEncode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := normalizePath("/a//b/./c/../d/"); got != "/a/b/d/" {
		t.Errorf("normalizePath = %q", got)
	}
	if got := canonicalQuery("b=2&a=1&a=0&c&X-Amz-Signature=zz&sp=a+b", true); got != "a=0&a=1&b=2&c=&sp=a%20b" {
		t.Errorf("canonicalQuery = %q", got)
	}
}

func kindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return -1
}

func detail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return "canonical request:\n" + e.CanonicalRequest + "\nstring to sign:\n" + e.StringToSign
	}
	return ""
}
