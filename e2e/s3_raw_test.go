package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbus-cloud/nimbus"
)

// S3 features that live outside the API model, driven with plain HTTP as a
// browser drives them: form uploads with a POST policy, website endpoints,
// and CORS.

// noRedirects is an HTTP client that shows redirects instead of following
// them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// s3ErrorBody is an S3 XML error.
type s3ErrorBody struct {
	Code, Message, ArgumentName, ArgumentValue         string
	ProposedSize, MaxSizeAllowed, Method, ResourceType string
}

func readS3Error(t *testing.T, resp *http.Response, status int, code string) s3ErrorBody {
	t.Helper()
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e s3ErrorBody
	if err := xml.Unmarshal(data, &e); err != nil || resp.StatusCode != status || e.Code != code {
		t.Fatalf("got %d %s, want %d %s (%v)", resp.StatusCode, data, status, code, err)
	}
	return e
}

// postPolicy is a SigV4-signed POST policy and the fields a form sends
// with it.
type postPolicy struct {
	fields [][2]string
}

// signPostPolicy builds the policy document (expiration, conditions and
// the signature fields' own conditions), encodes it and signs it as AWS
// documents: the hex HMAC-SHA256 of the base64 text under the SigV4
// signing key of the credential's day, region and service.
func signPostPolicy(t *testing.T, accessKey, secret string, signedAt, expires time.Time, conditions ...any) postPolicy {
	t.Helper()
	day := signedAt.UTC().Format("20060102")
	credential := accessKey + "/" + day + "/us-east-1/s3/aws4_request"
	amzDate := signedAt.UTC().Format("20060102T150405Z")
	conditions = append(conditions,
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": credential},
		map[string]string{"x-amz-date": amzDate})
	doc, err := json.Marshal(map[string]any{"expiration": expires.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conditions})
	if err != nil {
		t.Fatal(err)
	}
	policy := base64.StdEncoding.EncodeToString(doc)
	hmacOf := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	key := hmacOf([]byte("AWS4"+secret), day)
	for _, part := range []string{"us-east-1", "s3", "aws4_request"} {
		key = hmacOf(key, part)
	}
	return postPolicy{fields: [][2]string{
		{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"}, {"X-Amz-Credential", credential}, {"X-Amz-Date", amzDate},
		{"Policy", policy}, {"X-Amz-Signature", hex.EncodeToString(hmacOf(key, policy))},
	}}
}

// postForm uploads content as a browser form does: fields, then the file.
func postForm(t *testing.T, url string, fields [][2]string, fileName, content string) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, err := mw.CreateFormFile("file", fileName)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, content)
	mw.WriteField("submit", "Upload to Amazon S3") // after the file: ignored
	mw.Close()
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestRawPostPolicyUpload(t *testing.T) {
	cloud := nimbus.Start(t)
	c := s3Client(cloud)
	b := bucketName("post")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	bucketURL := cloud.Endpoint + "/" + b
	now := time.Now()
	conditions := []any{
		map[string]string{"bucket": b},
		[]string{"starts-with", "$key", "user/eric/"},
		[]string{"starts-with", "$Content-Type", "image/"},
		map[string]string{"x-amz-meta-uuid": "14365123651274"},
		[]string{"starts-with", "$x-amz-meta-tag", ""},
		[]any{"content-length-range", 1, 1 << 20},
	}
	policy := signPostPolicy(t, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", now, now.Add(time.Hour), conditions...)
	fields := append([][2]string{
		{"key", "user/eric/${filename}"}, {"Content-Type", "image/jpeg"},
		{"x-amz-meta-uuid", "14365123651274"}, {"x-amz-meta-tag", "cats"},
	}, policy.fields...)

	resp := postForm(t, bucketURL, fields, "photo.jpg", "not really a jpeg")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Location") != bucketURL+"/user%2Feric%2Fphoto.jpg" || resp.Header.Get("ETag") == "" {
		t.Fatalf("upload: %d %v", resp.StatusCode, resp.Header)
	}
	got, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("user/eric/photo.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != "not really a jpeg" || aws.ToString(got.ContentType) != "image/jpeg" || got.Metadata["uuid"] != "14365123651274" || got.Metadata["tag"] != "cats" {
		t.Fatalf("stored %q %+v", data, got)
	}
	if aws.ToString(got.ETag) != resp.Header.Get("ETag") {
		t.Fatalf("ETag %s, upload said %s", aws.ToString(got.ETag), resp.Header.Get("ETag"))
	}

	t.Run("201 answers a PostResponse", func(t *testing.T) {
		p := signPostPolicy(t, "AKIDEXAMPLE", "secret", now, now.Add(time.Hour),
			[]string{"starts-with", "$key", ""}, map[string]string{"success_action_status": "201"})
		resp := postForm(t, bucketURL, append([][2]string{{"key", "doc.txt"}, {"success_action_status", "201"}}, p.fields...), "doc.txt", "hello")
		defer resp.Body.Close()
		var pr struct {
			XMLName                     xml.Name `xml:"PostResponse"`
			Location, Bucket, Key, ETag string
		}
		data, _ := io.ReadAll(resp.Body)
		if err := xml.Unmarshal(data, &pr); err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("%d %v %s", resp.StatusCode, err, data)
		}
		if pr.Location != bucketURL+"/doc.txt" || pr.Bucket != b || pr.Key != "doc.txt" || pr.ETag != `"5d41402abc4b2a76b9719d911017c592"` {
			t.Fatalf("PostResponse %+v", pr)
		}
	})
	t.Run("redirect", func(t *testing.T) {
		p := signPostPolicy(t, "AKIDEXAMPLE", "secret", now, now.Add(time.Hour),
			map[string]string{"key": "a b.txt"}, []string{"starts-with", "$success_action_redirect", "https://app.example.com/"})
		resp := postForm(t, bucketURL, append([][2]string{{"key", "a b.txt"}, {"success_action_redirect", "https://app.example.com/uploaded"}}, p.fields...), "x", "hello")
		resp.Body.Close()
		want := "https://app.example.com/uploaded?bucket=" + b + "&key=a+b.txt&etag=%225d41402abc4b2a76b9719d911017c592%22"
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("expired policy", func(t *testing.T) {
		p := signPostPolicy(t, "AKIDEXAMPLE", "secret", now.Add(-2*time.Hour), now.Add(-time.Hour), map[string]string{"key": "late.txt"})
		e := readS3Error(t, postForm(t, bucketURL, append([][2]string{{"key", "late.txt"}}, p.fields...), "x", "late"), 403, "AccessDenied")
		if e.Message != "Invalid according to Policy: Policy expired." {
			t.Fatalf("message %q", e.Message)
		}
	})
	t.Run("condition fails", func(t *testing.T) {
		p := signPostPolicy(t, "AKIDEXAMPLE", "secret", now, now.Add(time.Hour), []string{"starts-with", "$key", "user/eric/"})
		e := readS3Error(t, postForm(t, bucketURL, append([][2]string{{"key", "user/mallory/x"}}, p.fields...), "x", "data"), 403, "AccessDenied")
		if e.Message != `Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/eric/"]` {
			t.Fatalf("message %q", e.Message)
		}
	})
	t.Run("field the policy does not name", func(t *testing.T) {
		p := signPostPolicy(t, "AKIDEXAMPLE", "secret", now, now.Add(time.Hour), map[string]string{"key": "k"})
		e := readS3Error(t, postForm(t, bucketURL, append([][2]string{{"key", "k"}, {"x-amz-meta-extra", "1"}}, p.fields...), "x", "data"), 403, "AccessDenied")
		if e.Message != "Invalid according to Policy: Extra input fields: x-amz-meta-extra" {
			t.Fatalf("message %q", e.Message)
		}
	})
	t.Run("content-length-range", func(t *testing.T) {
		p := signPostPolicy(t, "AKIDEXAMPLE", "secret", now, now.Add(time.Hour), map[string]string{"key": "big"}, []any{"content-length-range", 0, 10})
		e := readS3Error(t, postForm(t, bucketURL, append([][2]string{{"key", "big"}}, p.fields...), "x", strings.Repeat("z", 11)), 400, "EntityTooLarge")
		if e.Message != "Your proposed upload exceeds the maximum allowed size" || e.ProposedSize != "11" || e.MaxSizeAllowed != "10" {
			t.Fatalf("error %+v", e)
		}
		_, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("big")})
		wantAPIError(t, err, "NotFound")
	})
	t.Run("no file", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, bucketURL, strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--b--\r\n"))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		e := readS3Error(t, resp, 400, "InvalidArgument")
		if e.Message != "POST requires exactly one file upload per request." || e.ArgumentName != "file" || e.ArgumentValue != "0" {
			t.Fatalf("error %+v", e)
		}
	})
	t.Run("virtual-hosted form", func(t *testing.T) {
		host := b + ".s3.localhost.localstack.cloud:" + cloud.Endpoint[strings.LastIndexByte(cloud.Endpoint, ':')+1:]
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("key", "vhost.txt")
		fw, _ := mw.CreateFormFile("file", "v")
		io.WriteString(fw, "virtual")
		mw.Close()
		req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, cloud.Endpoint+"/", &body)
		req.Host = host
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Location") != "http://"+host+"/vhost.txt" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
	})
}

// websiteRequest sends a request to the website endpoint of bucket; the
// Host header names the endpoint, so no DNS is needed.
func websiteRequest(t *testing.T, cloud *nimbus.Instance, method, host, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx(t), method, cloud.Endpoint+path, nil)
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func TestRawWebsiteHosting(t *testing.T) {
	cloud := nimbus.Start(t)
	c := s3Client(cloud)
	b := bucketName("site")
	port := cloud.Endpoint[strings.LastIndexByte(cloud.Endpoint, ':')+1:]
	local := b + ".s3-website.localhost:" + port
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	resp, body := websiteRequest(t, cloud, "GET", local, "/")
	if resp.StatusCode != 404 || !strings.Contains(body, "<li>Code: NoSuchWebsiteConfiguration</li>\n<li>Message: The specified bucket does not have a website configuration</li>\n<li>BucketName: "+b+"</li>") {
		t.Fatalf("unconfigured: %d %s", resp.StatusCode, body)
	}
	_, err := c.PutBucketWebsite(ctx(t), &s3.PutBucketWebsiteInput{Bucket: &b, WebsiteConfiguration: &types.WebsiteConfiguration{
		IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")},
		ErrorDocument: &types.ErrorDocument{Key: aws.String("error.html")},
		RoutingRules: []types.RoutingRule{{
			Condition: &types.Condition{KeyPrefixEquals: aws.String("docs/")},
			Redirect:  &types.Redirect{ReplaceKeyPrefixWith: aws.String("documents/")},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for key, content := range map[string]string{"index.html": "<h1>home</h1>", "blog/index.html": "<h1>blog</h1>", "error.html": "<h1>oops</h1>"} {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String(key), Body: strings.NewReader(content), ContentType: aws.String("text/html")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("old.html"), Body: strings.NewReader(""), WebsiteRedirectLocation: aws.String("/blog/")}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, host, path string
		status             int
		body, location     string
	}{
		{"GET", local, "/", 200, "<h1>home</h1>", ""},
		{"GET", b + ".s3-website-us-east-1.amazonaws.com", "/", 200, "<h1>home</h1>", ""},
		{"GET", b + ".s3-website.us-east-1.amazonaws.com", "/blog/", 200, "<h1>blog</h1>", ""},
		{"HEAD", local, "/", 200, "", ""},
		{"GET", local, "/blog", 302, "", "/blog/"},
		{"GET", local, "/old.html", 301, "", "/blog/"},
		{"GET", local, "/docs/guide.html", 301, "", "http://" + local + "/documents/guide.html"},
		{"GET", local, "/missing.html", 404, "<h1>oops</h1>", ""},
	} {
		resp, body := websiteRequest(t, cloud, tc.method, tc.host, tc.path)
		if resp.StatusCode != tc.status || body != tc.body || resp.Header.Get("Location") != tc.location {
			t.Fatalf("%s %s%s: %d %q %v", tc.method, tc.host, tc.path, resp.StatusCode, body, resp.Header)
		}
		if tc.status == 200 && resp.Header.Get("Content-Type") != "text/html" {
			t.Fatalf("%s: Content-Type %q", tc.path, resp.Header.Get("Content-Type"))
		}
	}
	resp, body = websiteRequest(t, cloud, "DELETE", local, "/index.html")
	if resp.StatusCode != 405 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.HasPrefix(body, "<html>\n<head><title>405 Method Not Allowed</title></head>\n<body>\n<h1>405 Method Not Allowed</h1>\n<ul>\n<li>Code: MethodNotAllowed</li>") {
		t.Fatalf("DELETE on the website: %d %s", resp.StatusCode, body)
	}
	// The website changed nothing: the object is still there.
	if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("index.html")}); err != nil {
		t.Fatal(err)
	}
	// Without an error document, S3's own page.
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("error.html")}); err != nil {
		t.Fatal(err)
	}
	resp, body = websiteRequest(t, cloud, "GET", local, "/missing.html")
	if resp.StatusCode != 404 || !strings.Contains(body, "<li>Code: NoSuchKey</li>\n<li>Message: The specified key does not exist.</li>\n<li>Key: missing.html</li>\n<li>RequestId: "+resp.Header.Get("x-amz-request-id")+"</li>") ||
		!strings.Contains(body, "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>") {
		t.Fatalf("missing error document: %d %s", resp.StatusCode, body)
	}
	resp, _ = websiteRequest(t, cloud, "GET", "no-such-site-bucket.s3-website.localhost:"+port, "/")
	if resp.StatusCode != 404 {
		t.Fatalf("missing bucket: %d", resp.StatusCode)
	}
}

func TestRawBrowserCORS(t *testing.T) {
	cloud := nimbus.Start(t)
	c := s3Client(cloud)
	b := bucketName("cors")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{
		{
			AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT", "POST"},
			AllowedHeaders: []string{"Content-Type", "x-amz-meta-*"}, ExposeHeaders: []string{"ETag", "x-amz-version-id"},
			MaxAgeSeconds: aws.Int32(3000),
		},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("data.json"), Body: strings.NewReader(`{"ok":true}`)}); err != nil {
		t.Fatal(err)
	}
	objectURL := cloud.Endpoint + "/" + b + "/data.json"
	send := func(method, url string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx(t), method, url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	wantHeaders := func(what string, resp *http.Response, want map[string]string) {
		t.Helper()
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Fatalf("%s: %s = %q, want %q (all: %v)", what, k, got, v, resp.Header)
			}
		}
	}
	const vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

	resp := send(http.MethodOptions, objectURL, "Origin", "https://app.example.com",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "Content-Type, X-Amz-Meta-Color")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preflight: %d", resp.StatusCode)
	}
	wantHeaders("preflight", resp, map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Methods":     "GET, PUT, POST",
		"Access-Control-Allow-Headers":     "content-type, x-amz-meta-color",
		"Access-Control-Expose-Headers":    "ETag, x-amz-version-id",
		"Access-Control-Max-Age":           "3000",
		"Access-Control-Allow-Credentials": "true",
		"Vary":                             vary,
	})

	resp = send(http.MethodGet, objectURL, "Origin", "https://app.example.com")
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(data) != `{"ok":true}` {
		t.Fatalf("GET with Origin: %d %s", resp.StatusCode, data)
	}
	wantHeaders("GET", resp, map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Methods":     "GET, PUT, POST",
		"Access-Control-Expose-Headers":    "ETag, x-amz-version-id",
		"Access-Control-Max-Age":           "3000",
		"Access-Control-Allow-Credentials": "true",
		"Vary":                             vary,
		"Access-Control-Allow-Headers":     "",
	})

	// Another origin falls to the wildcard rule: "*", no credentials.
	resp = send(http.MethodGet, objectURL, "Origin", "https://other.example.org")
	resp.Body.Close()
	wantHeaders("GET from elsewhere", resp, map[string]string{
		"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET", "Access-Control-Allow-Credentials": "", "Vary": vary,
	})
	// A GET without Origin gets no CORS headers.
	resp = send(http.MethodGet, objectURL)
	resp.Body.Close()
	wantHeaders("GET without Origin", resp, map[string]string{"Access-Control-Allow-Origin": ""})

	// A preflight no rule allows.
	e := readS3Error(t, send(http.MethodOptions, objectURL, "Origin", "https://evil.example.net", "Access-Control-Request-Method", "DELETE"), 403, "AccessForbidden")
	if e.Message != "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec." ||
		e.Method != "DELETE" || e.ResourceType != "OBJECT" {
		t.Fatalf("refused preflight %+v", e)
	}
	e = readS3Error(t, send(http.MethodOptions, objectURL, "Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT",
		"Access-Control-Request-Headers", "authorization"), 403, "AccessForbidden")
	if e.Method != "PUT" {
		t.Fatalf("refused headers %+v", e)
	}

	// A browser form upload from the allowed origin gets the rule's headers.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("key", "from-browser.txt")
	fw, _ := mw.CreateFormFile("file", "f.txt")
	io.WriteString(fw, "hi")
	mw.Close()
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, cloud.Endpoint+"/"+b, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", "https://app.example.com")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("form upload: %d", resp.StatusCode)
	}
	wantHeaders("form upload", resp, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Expose-Headers": "ETag, x-amz-version-id"})
}
