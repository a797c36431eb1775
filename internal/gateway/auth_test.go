package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	knownKey    = "AKIAKNOWN"
	knownSecret = "known/secret+key"
)

func secretKey(ctx context.Context, key string) (string, bool) {
	if key == knownKey || key == "AKIAIOSFODNN7EXAMPLE" {
		if key == knownKey {
			return knownSecret, true
		}
		return "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true
	}
	return "", false
}

type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) echo(t *testing.T) echo {
	t.Helper()
	var e echo
	if r.status != 200 || json.Unmarshal(r.body, &e) != nil {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	return e
}

func (r response) wantError(t *testing.T, status int, code string) wireError {
	t.Helper()
	var we wireError
	json.Unmarshal(r.body, &we)
	if r.status != status || we.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", r.status, we.Code, we.Message, status, code)
	}
	return we
}

// signedCall signs a request with the SDK's signer and sends it to srv.
func signedCall(t *testing.T, srv *httptest.Server, method, host, path, body, service, key, secret string, at time.Time, headers ...string) response {
	t.Helper()
	r, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if body == "" {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	if host != "" {
		r.Host = host
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	if service == "s3" {
		r.Header.Set("X-Amz-Content-Sha256", hash)
	}
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, r, hash, service, "us-east-1", at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if err != nil {
		t.Fatal(err)
	}
	return do(t, r)
}

func do(t *testing.T, r *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return response{resp.StatusCode, b.Bytes(), resp.Header}
}

func TestSignatureEnforcement(t *testing.T) {
	g := newTestGateway(t, func(c *Config) { c.SecretKey = secretKey; c.Now = time.Now })
	srv := httptest.NewServer(g)
	defer srv.Close()
	now := time.Now()

	t.Run("s3 signed", func(t *testing.T) {
		e := signedCall(t, srv, "GET", "", "/bucket/dir/a%20b.txt", "", "s3", knownKey, knownSecret, now).echo(t)
		if e.Op != "GetObject" || e.AccessKey != knownKey {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("s3 virtual host signed put", func(t *testing.T) {
		e := signedCall(t, srv, "PUT", "bucket.s3.localhost.localstack.cloud", "/key.txt", "payload", "s3", knownKey, knownSecret, now).echo(t)
		if e.Path != "/bucket/key.txt" || e.Body != "payload" {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("s3 wrong secret", func(t *testing.T) {
		we := signedCall(t, srv, "GET", "", "/bucket/k", "", "s3", knownKey, "wrong", now).wantError(t, 403, "SignatureDoesNotMatch")
		d, _ := we.Detail.(map[string]any)
		if d["AWSAccessKeyID"] != knownKey || !strings.HasPrefix(fmt.Sprint(d["CanonicalRequest"]), "GET\n/bucket/k\n") {
			t.Fatalf("detail %v", we.Detail)
		}
	})
	t.Run("s3 unknown key", func(t *testing.T) {
		signedCall(t, srv, "GET", "", "/bucket/k", "", "s3", "AKIAUNKNOWN", "x", now).wantError(t, 403, "InvalidAccessKeyId")
	})
	t.Run("s3 skewed clock", func(t *testing.T) {
		signedCall(t, srv, "GET", "", "/bucket/k", "", "s3", knownKey, knownSecret, now.Add(-time.Hour)).wantError(t, 403, "RequestTimeTooSkewed")
	})
	t.Run("s3 tampered body", func(t *testing.T) {
		r, _ := http.NewRequest("PUT", srv.URL+"/bucket/k", strings.NewReader("original"))
		sum := sha256.Sum256([]byte("original"))
		r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
		v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: knownKey, SecretAccessKey: knownSecret}, r,
			hex.EncodeToString(sum[:]), "s3", "us-east-1", now, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		r.Body = http.NoBody
		r.Body, r.ContentLength = readCloserOf("tampere!"), 8
		do(t, r).wantError(t, 400, "XAmzContentSHA256Mismatch")
	})
	t.Run("json signed", func(t *testing.T) {
		e := signedCall(t, srv, "POST", "", "/", `{"TableName":"t"}`, "dynamodb", knownKey, knownSecret, now,
			"X-Amz-Target", "DynamoDB_20120810.DescribeTable", "Content-Type", json10).echo(t)
		if e.Table != "t" {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("json wrong secret", func(t *testing.T) {
		signedCall(t, srv, "POST", "", "/", `{}`, "dynamodb", knownKey, "nope", now,
			"X-Amz-Target", "DynamoDB_20120810.DescribeTable", "Content-Type", json10).wantError(t, 400, "InvalidSignatureException")
	})
	t.Run("json unknown key", func(t *testing.T) {
		signedCall(t, srv, "POST", "", "/", `{}`, "dynamodb", "AKIAUNKNOWN", "nope", now,
			"X-Amz-Target", "DynamoDB_20120810.DescribeTable", "Content-Type", json10).wantError(t, 400, "UnrecognizedClientException")
	})
	t.Run("query signed", func(t *testing.T) {
		signedCall(t, srv, "POST", "", "/", "Action=ListTopics&Version=2010-03-31", "sns", knownKey, knownSecret, now,
			"Content-Type", formCT).echo(t)
	})
	t.Run("query unknown key", func(t *testing.T) {
		signedCall(t, srv, "POST", "", "/", "Action=ListTopics&Version=2010-03-31", "sns", "AKIAUNKNOWN", "x", now,
			"Content-Type", formCT).wantError(t, 403, "InvalidClientTokenId")
	})
	t.Run("s3 presigned", func(t *testing.T) {
		r, _ := http.NewRequest("GET", srv.URL+"/bucket/photo.jpg?X-Amz-Expires=300", nil)
		u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: knownKey, SecretAccessKey: knownSecret},
			r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", now, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if err != nil {
			t.Fatal(err)
		}
		out, _ := http.NewRequest("GET", u, nil)
		for k, vs := range hdr {
			if k != "Host" {
				out.Header[k] = vs
			}
		}
		do(t, out).echo(t)
		bad, _ := http.NewRequest("GET", strings.Replace(u, "photo.jpg", "other.jpg", 1), nil)
		do(t, bad).wantError(t, 403, "SignatureDoesNotMatch")
	})
	t.Run("unsigned passes as anonymous", func(t *testing.T) {
		r, _ := http.NewRequest("GET", srv.URL+"/public/k", nil)
		if e := do(t, r).echo(t); e.AccessKey != "" {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("sigv2 refused", func(t *testing.T) {
		r, _ := http.NewRequest("GET", srv.URL+"/bucket/k", nil)
		r.Header.Set("Authorization", "AWS "+knownKey+":c2ln")
		do(t, r).wantError(t, 400, "InvalidRequest")
	})
	t.Run("malformed header", func(t *testing.T) {
		r, _ := http.NewRequest("GET", srv.URL+"/bucket/k", nil)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+knownKey+"/20260101/us-east-1/s3/aws4_request, SignedHeaders=host")
		do(t, r).wantError(t, 400, "AuthorizationHeaderMalformed")
	})
}

// AWS's documented signed streaming upload, through the gateway with
// signature checks on: the seed signature, then every chunk signature.
func TestSignedStreamingUploadFromAWSExample(t *testing.T) {
	g := newTestGateway(t, func(c *Config) {
		c.SecretKey = secretKey
		c.Now = func() time.Time { return time.Date(2013, 5, 24, 0, 1, 0, 0, time.UTC) }
	})
	sigs := []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	body := func(corrupt bool) string {
		var b strings.Builder
		for i, size := range []int{65536, 1024, 0} {
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", size, sigs[i])
			if size > 0 {
				data := strings.Repeat("a", size)
				if corrupt && i == 1 {
					data = "b" + data[1:]
				}
				b.WriteString(data + "\r\n")
			}
		}
		b.WriteString("\r\n")
		return b.String()
	}
	send := func(corrupt bool) *httptest.ResponseRecorder {
		r := req("PUT", "s3.amazonaws.com", "/examplebucket/chunkObject.txt", body(corrupt),
			"X-Amz-Date", "20130524T000000Z", "X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
			"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
				"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
				"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
			"X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "Content-Encoding", "aws-chunked",
			"X-Amz-Decoded-Content-Length", "66560", "Content-Length", "66824")
		return serve(g, r)
	}
	e := decodeEcho(t, send(false))
	if len(e.Body) != 66560 || e.ContentLength != 66560 || e.AccessKey != "AKIAIOSFODNN7EXAMPLE" {
		t.Fatalf("service saw %d bytes, length %d, key %s", len(e.Body), e.ContentLength, e.AccessKey)
	}
	decodeError(t, send(true), 403, "SignatureDoesNotMatch")
}

type stringReadCloser struct{ *strings.Reader }

func (stringReadCloser) Close() error { return nil }

func readCloserOf(s string) stringReadCloser { return stringReadCloser{strings.NewReader(s)} }
