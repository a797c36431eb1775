package s3

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
)

// postFile is the file part of a test form.
type postFile struct {
	name     string // the part's filename; "-" for a part without one
	content  string
	partName string // "file" unless set
}

// buildForm encodes fields, then the file (unless nil), then trailing
// fields, as a browser does.
func buildForm(t *testing.T, fields [][2]string, file *postFile, after ...[2]string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		name := file.partName
		if name == "" {
			name = "file"
		}
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name="%s"`, name)
		if file.name != "-" {
			disp += fmt.Sprintf(`; filename="%s"`, file.name)
		}
		h.Set("Content-Disposition", disp)
		h.Set("Content-Type", "image/jpeg")
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(pw, file.content)
	}
	for _, f := range after {
		mw.WriteField(f[0], f[1])
	}
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

// rawRequest serves r through s.Raw as the gateway would: path style,
// request.Info in the context.
func rawRequest(t *testing.T, s *Service, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	w.Header().Set("X-Amz-Id-2", "host-id")
	info := &request.Info{Account: "000000000000", Region: "us-east-1", RequestID: "REQ123", Endpoint: "http://" + r.Host, Header: http.Header{}}
	r = r.WithContext(request.With(r.Context(), info))
	info.HTTP = r
	if !s.Raw(w, r) {
		t.Fatalf("Raw declined %s %s", r.Method, r.URL)
	}
	return w
}

func sendForm(t *testing.T, s *Service, bucket, body, contentType string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", "/"+bucket, strings.NewReader(body))
	r.Host = "127.0.0.1:4566"
	r.Header.Set("Content-Type", contentType)
	return rawRequest(t, s, r)
}

// wireError is an S3 XML error with the elements the tests look at.
type wireError struct {
	Code, Message, ArgumentName, ArgumentValue, Condition              string
	ProposedSize, MaxSizeAllowed, MinSizeAllowed                       string
	AWSAccessKeyId, StringToSign, SignatureProvided, StringToSignBytes string
	Region, RequestId, MaxPostPreDataLengthBytes                       string
}

func readWireError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) wireError {
	t.Helper()
	var e wireError
	if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("%d %v: %s", w.Code, err, w.Body)
	}
	if w.Code != status || e.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", w.Code, e.Code, e.Message, status, code)
	}
	return e
}

const (
	testAccessKey = "AKIAIOSFODNN7EXAMPLE"
	testSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// signedFields returns the SigV4 fields of a policy whose conditions are
// conds plus the signature fields themselves, signed at now.
func signedFields(t *testing.T, expiration time.Time, now time.Time, conds ...any) [][2]string {
	t.Helper()
	date := now.UTC().Format("20060102")
	cred := testAccessKey + "/" + date + "/us-east-1/s3/aws4_request"
	amzDate := now.UTC().Format("20060102T150405Z")
	conds = append(conds, map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred}, map[string]string{"x-amz-date": amzDate})
	doc, err := json.Marshal(map[string]any{"expiration": expiration.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conds})
	if err != nil {
		t.Fatal(err)
	}
	policy := base64.StdEncoding.EncodeToString(doc)
	return [][2]string{{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, {"x-amz-credential", cred}, {"x-amz-date", amzDate},
		{"policy", policy}, {"x-amz-signature", postSignatureV4(testSecret, date, "us-east-1", "s3", policy)}}
}

func postService(t *testing.T, buckets ...string) *Service {
	t.Helper()
	s := newTestService(t)
	for _, b := range buckets {
		configTestBucket(t, s, b)
	}
	return s
}

func TestPostObjectAnonymous(t *testing.T) {
	s := postService(t, "forms")
	body, ct := buildForm(t, [][2]string{{"key", "uploads/${filename}"}}, &postFile{name: `C:\Users\me\photo.jpg`, content: "hello"})
	w := sendForm(t, s, "forms", body, ct)
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	sum := md5.Sum([]byte("hello"))
	if w.Header().Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` || w.Header().Get("Location") != "http://127.0.0.1:4566/forms/uploads%2Fphoto.jpg" {
		t.Fatalf("headers %v", w.Header())
	}
	if w.Header().Get("Content-Type") != "" {
		t.Fatalf("204 with a Content-Type %q", w.Header().Get("Content-Type"))
	}
	got, out := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("forms"), Key: ptr("uploads/photo.jpg")})
	if got != "hello" || *out.ContentType != "binary/octet-stream" {
		t.Fatalf("stored %q %s", got, *out.ContentType)
	}
}

func TestPostObjectSignedPolicy(t *testing.T) {
	s := postService(t, "forms")
	now := time.Now()
	fields := append([][2]string{
		{"key", "user/eric/${filename}"},
		{"acl", "bucket-owner-full-control"},
		{"Content-Type", "image/jpeg"},
		{"x-amz-meta-Color", "blue"},
		{"tagging", "<Tagging><TagSet><Tag><Key>b</Key><Value>2</Value></Tag><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"},
		{"success_action_status", "201"},
		{"x-ignore-extra", "anything"},
	}, signedFields(t, now.Add(time.Hour), now,
		map[string]string{"bucket": "forms"},
		[]string{"starts-with", "$key", "user/eric/"},
		map[string]string{"acl": "bucket-owner-full-control"},
		[]string{"starts-with", "$Content-Type", "image/"},
		[]string{"eq", "$x-amz-meta-color", "blue"},
		[]string{"starts-with", "$tagging", ""},
		map[string]string{"success_action_status": "201"},
		[]any{"content-length-range", 1, 1024},
	)...)
	body, ct := buildForm(t, fields, &postFile{name: "cat.jpg", content: "meow"}, [2]string{"submit", "Upload"})
	w := sendForm(t, s, "forms", body, ct)
	if w.Code != http.StatusCreated {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var pr struct {
		XMLName                     xml.Name `xml:"PostResponse"`
		Location, Bucket, Key, ETag string
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &pr); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.Body.String(), `<?xml version="1.0" encoding="UTF-8"?>`+"\n<PostResponse><Location>") || w.Header().Get("Content-Type") != "application/xml" {
		t.Fatalf("body %s", w.Body)
	}
	if pr.Location != "http://127.0.0.1:4566/forms/user%2Feric%2Fcat.jpg" || pr.Bucket != "forms" || pr.Key != "user/eric/cat.jpg" || pr.ETag != w.Header().Get("ETag") {
		t.Fatalf("PostResponse %+v, headers %v", pr, w.Header())
	}
	got, out := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("forms"), Key: ptr("user/eric/cat.jpg")})
	if got != "meow" || *out.ContentType != "image/jpeg" || out.Metadata["color"] != "blue" || deref(out.TagCount) != 2 {
		t.Fatalf("stored %q %+v", got, out)
	}
	tags, err := s.GetObjectTagging(context.Background(), &s3api.GetObjectTaggingInput{Bucket: ptr("forms"), Key: ptr("user/eric/cat.jpg")})
	if err != nil || len(tags.TagSet) != 2 || *tags.TagSet[0].Key != "a" {
		t.Fatalf("tags %v %+v", err, tags)
	}
}

func TestPostObjectPolicyFailures(t *testing.T) {
	now := time.Now()
	later := now.Add(time.Hour)
	base := func(extra ...[2]string) [][2]string { return append([][2]string{{"key", "k.txt"}}, extra...) }
	keyCond := []string{"eq", "$key", "k.txt"}
	for _, tc := range []struct {
		name   string
		fields [][2]string
		file   string
		status int
		code   string
		msg    string
		check  func(t *testing.T, e wireError)
	}{
		{
			name:   "expired",
			fields: append(base(), signedFields(t, now.Add(-time.Minute), now.Add(-time.Hour), keyCond)...),
			status: 403, code: "AccessDenied", msg: "Invalid according to Policy: Policy expired.",
		},
		{
			name:   "eq fails",
			fields: append(base(), signedFields(t, later, now, []string{"eq", "$key", "other.txt"})...),
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "other.txt"]`,
		},
		{
			name:   "simple condition printed as eq",
			fields: append(base(), signedFields(t, later, now, keyCond, map[string]string{"bucket": "elsewhere"})...),
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "elsewhere"]`,
		},
		{
			name:   "starts-with fails",
			fields: append(base(), signedFields(t, later, now, []string{"starts-with", "$key", "user/"})...),
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/"]`,
		},
		{
			name:   "condition on an absent field",
			fields: append(base(), signedFields(t, later, now, keyCond, []string{"starts-with", "$Content-Type", ""})...),
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", ""]`,
		},
		{
			name:   "content type list",
			fields: append(base([2]string{"Content-Type", "image/png,text/plain"}), signedFields(t, later, now, keyCond, []string{"starts-with", "$Content-Type", "image/"})...),
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]`,
		},
		{
			name:   "field without condition",
			fields: append(base([2]string{"x-amz-meta-Note", "hi"}), signedFields(t, later, now, keyCond)...),
			status: 403, code: "AccessDenied", msg: "Invalid according to Policy: Extra input fields: x-amz-meta-Note",
		},
		{
			name:   "too large",
			fields: append(base(), signedFields(t, later, now, keyCond, []any{"content-length-range", 1, 3})...),
			file:   "12345", status: 400, code: "EntityTooLarge", msg: "Your proposed upload exceeds the maximum allowed size",
			check: func(t *testing.T, e wireError) {
				if e.ProposedSize != "5" || e.MaxSizeAllowed != "3" {
					t.Fatalf("detail %+v", e)
				}
			},
		},
		{
			name:   "too small",
			fields: append(base(), signedFields(t, later, now, keyCond, []any{"content-length-range", "10", "20"})...),
			file:   "12345", status: 400, code: "EntityTooSmall", msg: "Your proposed upload is smaller than the minimum allowed size",
			check: func(t *testing.T, e wireError) {
				if e.ProposedSize != "5" || e.MinSizeAllowed != "10" {
					t.Fatalf("detail %+v", e)
				}
			},
		},
		{
			name:   "range bound not a number",
			fields: append(base(), signedFields(t, later, now, keyCond, []any{"content-length-range", "test", "10"})...),
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["content-length-range", "test", "10"]`,
		},
		{
			name:   "signature missing",
			fields: base([2]string{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, [2]string{"x-amz-credential", "AK/20260101/us-east-1/s3/aws4_request"}, [2]string{"x-amz-date", "20260101T000000Z"}, [2]string{"policy", "e30="}),
			status: 400, code: "InvalidArgument", msg: "Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of the fields.",
			check: func(t *testing.T, e wireError) {
				if e.ArgumentName != "X-Amz-Signature" {
					t.Fatalf("detail %+v", e)
				}
			},
		},
		{
			name:   "sigv2 without access key",
			fields: base([2]string{"signature", "abc="}, [2]string{"policy", "e30="}),
			status: 400, code: "InvalidArgument", msg: "Bucket POST must contain a field named 'AWSAccessKeyId'.  If it is specified, please check the order of the fields.",
		},
		{
			name:   "policy not base64 JSON",
			fields: base([2]string{"policy", base64.StdEncoding.EncodeToString([]byte(`{"expiration": `))}),
			status: 400, code: "InvalidPolicyDocument", msg: "Invalid Policy: Invalid JSON.",
		},
		{
			name:   "policy without conditions",
			fields: base([2]string{"policy", base64.StdEncoding.EncodeToString([]byte(`{"expiration": "2099-01-01T00:00:00Z"}`))}),
			status: 400, code: "InvalidPolicyDocument", msg: "Invalid Policy: Policy missing conditions.",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := postService(t, "forms")
			content := tc.file
			if content == "" {
				content = "data"
			}
			body, ct := buildForm(t, tc.fields, &postFile{name: "k.txt", content: content})
			w := sendForm(t, s, "forms", body, ct)
			e := readWireError(t, w, tc.status, tc.code)
			if e.Message != tc.msg {
				t.Fatalf("message %q\nwant    %q", e.Message, tc.msg)
			}
			if e.RequestId != "REQ123" {
				t.Fatalf("request id %q", e.RequestId)
			}
			if tc.check != nil {
				tc.check(t, e)
			}
			_, err := s.HeadObject(context.Background(), &s3api.HeadObjectInput{Bucket: ptr("forms"), Key: ptr("k.txt")})
			wantCode(t, err, "NoSuchKey")
		})
	}
}

func TestPostObjectFormErrors(t *testing.T) {
	s := postService(t, "forms")
	// No file.
	body, ct := buildForm(t, [][2]string{{"key", "k"}}, nil)
	e := readWireError(t, sendForm(t, s, "forms", body, ct), 400, "InvalidArgument")
	if e.Message != "POST requires exactly one file upload per request." || e.ArgumentName != "file" || e.ArgumentValue != "0" {
		t.Fatalf("no file: %+v", e)
	}
	// Fields after the file are ignored, so the key is missing.
	body, ct = buildForm(t, nil, &postFile{name: "a.txt", content: "x"}, [2]string{"key", "k"})
	e = readWireError(t, sendForm(t, s, "forms", body, ct), 400, "InvalidArgument")
	if e.ArgumentName != "key" || !strings.HasPrefix(e.Message, "Bucket POST must contain a field named 'key'.") {
		t.Fatalf("key after file: %+v", e)
	}
	// Not a form.
	e = readWireError(t, sendForm(t, s, "forms", "key=k", "application/x-www-form-urlencoded"), 412, "PreconditionFailed")
	if e.Condition != "Bucket POST must be of the enclosure-type multipart/form-data" {
		t.Fatalf("not a form: %+v", e)
	}
	// A form without a boundary, or cut short.
	readWireError(t, sendForm(t, s, "forms", "--x\r\n", "multipart/form-data"), 400, "MalformedPOSTRequest")
	readWireError(t, sendForm(t, s, "forms", "--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk", "multipart/form-data; boundary=x"), 400, "MalformedPOSTRequest")
	// Too many bytes before the file.
	body, ct = buildForm(t, [][2]string{{"key", "k"}, {"x-ignore-pad", strings.Repeat("p", 21000)}}, &postFile{name: "a", content: "x"})
	e = readWireError(t, sendForm(t, s, "forms", body, ct), 400, "MaxPostPreDataLengthExceeded")
	if e.MaxPostPreDataLengthBytes != "20480" {
		t.Fatalf("pre-data: %+v", e)
	}
	// No such bucket.
	body, ct = buildForm(t, [][2]string{{"key", "k"}}, &postFile{name: "a", content: "x"})
	readWireError(t, sendForm(t, s, "nowhere", body, ct), 404, "NoSuchBucket")
	// Tagging that is not XML.
	body, ct = buildForm(t, [][2]string{{"key", "k"}, {"tagging", "not-xml"}}, &postFile{name: "a", content: "x"})
	readWireError(t, sendForm(t, s, "forms", body, ct), 400, "MalformedXML")
	// ACLs are off on new buckets.
	body, ct = buildForm(t, [][2]string{{"key", "k"}, {"acl", "public-read"}}, &postFile{name: "a", content: "x"})
	readWireError(t, sendForm(t, s, "forms", body, ct), 400, "AccessControlListNotSupported")
}

func TestPostObjectResponses(t *testing.T) {
	s := postService(t, "forms")
	post := func(fields ...[2]string) *httptest.ResponseRecorder {
		body, ct := buildForm(t, append([][2]string{{"key", "dir/a b.txt"}}, fields...), &postFile{name: "a", content: "abc"})
		return sendForm(t, s, "forms", body, ct)
	}
	etag := `"900150983cd24fb0d6963f7d28e17f72"`
	for _, tc := range []struct {
		name     string
		fields   [][2]string
		status   int
		location string
	}{
		{"default", nil, 204, "http://127.0.0.1:4566/forms/dir%2Fa+b.txt"},
		{"200", [][2]string{{"success_action_status", "200"}}, 200, "http://127.0.0.1:4566/forms/dir%2Fa+b.txt"},
		{"not a valid status", [][2]string{{"success_action_status", "404"}}, 204, "http://127.0.0.1:4566/forms/dir%2Fa+b.txt"},
		{"redirect", [][2]string{{"success_action_redirect", "https://app.test/done"}, {"success_action_status", "201"}}, 303,
			"https://app.test/done?bucket=forms&key=dir%2Fa+b.txt&etag=%22900150983cd24fb0d6963f7d28e17f72%22"},
		{"redirect with a query", [][2]string{{"redirect", "http://app.test/done?id=7"}}, 303,
			"http://app.test/done?id=7&bucket=forms&key=dir%2Fa+b.txt&etag=%22900150983cd24fb0d6963f7d28e17f72%22"},
		{"relative redirect is ignored", [][2]string{{"success_action_redirect", "/done"}}, 204, "http://127.0.0.1:4566/forms/dir%2Fa+b.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := post(tc.fields...)
			if w.Code != tc.status || w.Header().Get("Location") != tc.location || w.Header().Get("ETag") != etag || w.Body.Len() != 0 {
				t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
			}
		})
	}
	// A virtual-hosted form answers with the virtual-hosted URL.
	body, ct := buildForm(t, [][2]string{{"key", "v.txt"}}, &postFile{name: "a", content: "abc"})
	r := httptest.NewRequest("POST", "/forms", strings.NewReader(body))
	r.Host, r.Header["Content-Type"] = "forms.s3.localhost.localstack.cloud:4566", []string{ct}
	if w := rawRequest(t, s, r); w.Code != 204 || w.Header().Get("Location") != "http://forms.s3.localhost.localstack.cloud:4566/v.txt" {
		t.Fatalf("virtual host: %d %v", w.Code, w.Header())
	}
	// A versioned bucket names the version.
	enableVersioning(t, s, "forms")
	if w := post(); w.Header().Get("X-Amz-Version-Id") == "" {
		t.Fatalf("no version id: %v", w.Header())
	}
}

func TestPostObjectFileNames(t *testing.T) {
	s := postService(t, "forms")
	for _, tc := range []struct {
		file postFile
		want string
	}{
		{postFile{name: "/home/me/report.pdf", content: "x"}, "in/report.pdf"},
		{postFile{name: "", content: "x"}, "in/"},
		{postFile{name: "-", content: "x"}, "in/${filename}"}, // no filename parameter: kept, as S3 does
		{postFile{name: "x.bin", content: "x", partName: "File"}, "in/x.bin"},
	} {
		body, ct := buildForm(t, [][2]string{{"key", "in/${filename}"}}, &tc.file)
		if w := sendForm(t, s, "forms", body, ct); w.Code != 204 {
			t.Fatalf("%+v: %d %s", tc.file, w.Code, w.Body)
		}
		if _, err := s.HeadObject(context.Background(), &s3api.HeadObjectInput{Bucket: ptr("forms"), Key: &tc.want}); err != nil {
			t.Fatalf("%+v: %s not stored: %v", tc.file, tc.want, err)
		}
	}
}

// A file bigger than an inline body streams into a blob and keeps every
// byte.
func TestPostObjectLargeFile(t *testing.T) {
	s := postService(t, "forms")
	now := time.Now()
	data := strings.Repeat("0123456789abcdef", 20000)
	fields := append([][2]string{{"key", "big"}}, signedFields(t, now.Add(time.Minute), now, []string{"eq", "$key", "big"}, []any{"content-length-range", 0, len(data)})...)
	body, ct := buildForm(t, fields, &postFile{name: "big", content: data})
	if w := sendForm(t, s, "forms", body, ct); w.Code != 204 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	got, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("forms"), Key: ptr("big")})
	if got != data {
		t.Fatalf("stored %d bytes, want %d", len(got), len(data))
	}
}

func TestPostObjectSignatureVerification(t *testing.T) {
	s := postService(t, "forms")
	s.secretKey = func(_ context.Context, ak string) (string, bool) { return testSecret, ak == testAccessKey }
	now := time.Now()
	keyCond := []string{"eq", "$key", "k"}
	post := func(fields [][2]string) *httptest.ResponseRecorder {
		body, ct := buildForm(t, append([][2]string{{"key", "k"}}, fields...), &postFile{name: "k", content: "x"})
		return sendForm(t, s, "forms", body, ct)
	}
	good := signedFields(t, now.Add(time.Hour), now, keyCond)
	if w := post(good); w.Code != 204 {
		t.Fatalf("good signature: %d %s", w.Code, w.Body)
	}
	bad := append([][2]string(nil), good...)
	bad[4][1] = strings.Repeat("0", 64)
	e := readWireError(t, post(bad), 403, "SignatureDoesNotMatch")
	if e.AWSAccessKeyId != testAccessKey || e.StringToSign != good[3][1] || e.SignatureProvided != bad[4][1] || !strings.HasPrefix(e.StringToSignBytes, "65 79 ") {
		t.Fatalf("mismatch detail %+v", e)
	}
	unknown := append([][2]string(nil), good...)
	unknown[1][1] = strings.Replace(unknown[1][1], testAccessKey, "AKIDUNKNOWN", 1)
	if e := readWireError(t, post(unknown), 403, "InvalidAccessKeyId"); e.AWSAccessKeyId != "AKIDUNKNOWN" {
		t.Fatalf("unknown key %+v", e)
	}
	region := append([][2]string(nil), good...)
	region[1][1] = strings.Replace(region[1][1], "us-east-1", "eu-west-1", 1)
	if e := readWireError(t, post(region), 400, "InvalidArgument"); e.Message != "the region 'eu-west-1' is wrong; expecting 'us-east-1'" || e.Region != "us-east-1" {
		t.Fatalf("region %+v", e)
	}
	// SigV2: base64 HMAC-SHA1 of the policy.
	policy := base64.StdEncoding.EncodeToString([]byte(`{"expiration": "` + now.Add(time.Hour).UTC().Format(time.RFC3339) + `", "conditions": [["eq", "$key", "k"]]}`))
	mac := hmac.New(sha1.New, []byte(testSecret))
	mac.Write([]byte(policy))
	v2 := [][2]string{{"AWSAccessKeyId", testAccessKey}, {"policy", policy}, {"signature", base64.StdEncoding.EncodeToString(mac.Sum(nil))}}
	if w := post(v2); w.Code != 204 {
		t.Fatalf("sigv2: %d %s", w.Code, w.Body)
	}
	v2[2][1] = "AAAA"
	readWireError(t, post(v2), 403, "SignatureDoesNotMatch")
}

func TestRawDeclinesAPIRequests(t *testing.T) {
	s := postService(t, "forms")
	for _, r := range []*http.Request{
		httptest.NewRequest("POST", "/forms?delete", strings.NewReader("<Delete/>")),
		httptest.NewRequest("POST", "/forms/k?uploads", nil),
		httptest.NewRequest("GET", "/forms", nil),
		httptest.NewRequest("PUT", "/forms/k", strings.NewReader("x")),
		httptest.NewRequest("POST", "/WriteGetObjectResponse", strings.NewReader("x")),
	} {
		r.Host = "localhost:4566"
		if s.Raw(httptest.NewRecorder(), r) {
			t.Errorf("Raw served %s %s", r.Method, r.URL)
		}
	}
}
