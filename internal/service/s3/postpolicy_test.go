package s3

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// The example of "Example: Browser-Based Upload using HTTP POST (Using AWS
// Signature Version 4)": its policy (with CRLF line ends) and signature.
const (
	awsExamplePolicy = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
	awsExampleSig    = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
)

func TestPostSignatureV4Example(t *testing.T) {
	if got := postSignatureV4(testSecret, "20151229", "us-east-1", "s3", awsExamplePolicy); got != awsExampleSig {
		t.Fatalf("signature %s, want %s", got, awsExampleSig)
	}
	// The example form, fields named as the example names them, passes its
	// own policy on the day it was signed.
	f := testForm([][2]string{
		{"key", "user/user1/${filename}"}, {"acl", "public-read"},
		{"success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"},
		{"Content-Type", "image/jpeg"}, {"x-amz-meta-uuid", "14365123651274"}, {"x-amz-server-side-encryption", "AES256"},
		{"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"}, {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
		{"X-Amz-Date", "20151229T000000Z"}, {"x-amz-meta-tag", ""}, {"Policy", awsExamplePolicy}, {"X-Amz-Signature", awsExampleSig},
	}, "photo.jpg")
	a, err := parsePostAuth(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.verify(func(ak string) (string, bool) { return testSecret, ak == testAccessKey }, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	p, err := parsePostPolicy(a.policy)
	if err != nil {
		t.Fatal(err)
	}
	exempt := postExempt[postSigV4]
	if _, err := p.check(time.Date(2015, 12, 29, 0, 0, 0, 0, time.UTC), f, "sigv4examplebucket", func(n string) bool { return exempt[n] }); err != nil {
		t.Fatal(err)
	}
	_, err = p.check(time.Date(2015, 12, 31, 0, 0, 0, 0, time.UTC), f, "sigv4examplebucket", func(n string) bool { return exempt[n] })
	if awserr.From(err).Message != "Invalid according to Policy: Policy expired." {
		t.Fatalf("a day late: %v", err)
	}
}

// testForm is a form with fields, expanded for a file named fileName.
func testForm(fields [][2]string, fileName string) *postForm {
	f := &postForm{values: map[string]string{}, fileName: fileName, hasFileName: true}
	for _, fd := range fields {
		f.fields = append(f.fields, formField{fd[0], fd[1]})
		f.values[lowerASCII(fd[0])] = fd[1]
	}
	f.expandFileName()
	return f
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestParsePostPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		doc, msg string
	}{
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [`, "Invalid Policy: Invalid JSON."},
		{`[]`, "Invalid Policy: Invalid JSON."},
		{`{"conditions": []}`, "Invalid Policy: Policy missing expiration."},
		{`{"expiration": "2030-01-01T00:00:00Z"}`, "Invalid Policy: Policy missing conditions."},
		{`{"Version": "2012-10-17", "Statement": []}`, "Invalid Policy: Unexpected: 'statement'"},
		{`{"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []}`, "Invalid Policy: Unexpected: 'expiration'"},
		{`{"expiration": "2011-09-13T07:52:58+02:00", "conditions": []}`, "Invalid Policy: Invalid 'expiration' value: '2011-09-13T07:52:58+02:00'"},
		{`{"expiration": "2015-10-17 03:15:59 UTC", "conditions": []}`, "Invalid Policy: Invalid 'expiration' value: '2015-10-17 03:15:59 UTC'"},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": {}}`, "Invalid Policy: Invalid 'conditions' value: must be a List."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{}]}`, "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"bucket": "b", "key": "k"}]}`, "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"Content-Length": 6199034}]}`, "Invalid Policy: Invalid Simple-Condition: value must be a string."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"success_action_redirect": null}]}`, "Invalid Policy: Invalid JSON."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [[]]}`, "Invalid Policy: Invalid Condition: missing operation identifier."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["ends-with", "$key", "x"]]}`, "Invalid Policy: Invalid Condition: unknown operation 'ends-with'."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key"]]}`, "Invalid Policy: Invalid eq: wrong number of arguments."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 0]]}`, "Invalid Policy: Invalid content-length-range: wrong number of arguments."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 0, 512.0]]}`, "Invalid Policy: Invalid JSON."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 0]]}`, "Invalid Policy: Invalid content-length-range: values must be non-negative."},
		{`{"expiration": "2030-01-01T00:00:00Z", "conditions": ["key"]}`, "Invalid Policy: Invalid condition test: must be a List or Object."},
	} {
		_, err := parsePostPolicy(base64.StdEncoding.EncodeToString([]byte(tc.doc)))
		if e := awserr.From(err); err == nil || e.Code != "InvalidPolicyDocument" || e.Status != 400 || e.Message != tc.msg {
			t.Errorf("%s:\n got %v\nwant %s", tc.doc, err, tc.msg)
		}
	}
	if _, err := parsePostPolicy("not base64!"); awserr.From(err).Message != "Invalid Policy: invalid Base64 encoding." {
		t.Errorf("base64: %v", err)
	}
}

func TestPostPolicyConditions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	policy := func(conds string) *postPolicy {
		p, err := parsePostPolicy(base64.StdEncoding.EncodeToString([]byte(`{"expiration": "2026-01-02T00:00:00.000Z", "conditions": ` + conds + `}`)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	none := func(string) bool { return false }
	for _, tc := range []struct {
		name   string
		conds  string
		fields [][2]string
		msg    string // "" when the form passes
		sizes  sizeRange
	}{
		{"names ignore case", `[["StArTs-WiTh", "$KeY", "foo"], {"AcL": "private"}, ["eq", "$content-type", "text/plain"]]`,
			[][2]string{{"kEy", "foo.txt"}, {"aCl", "private"}, {"Content-Type", "text/plain"}}, "", sizeRange{}},
		{"values keep case", `[["eq", "$key", "A.txt"]]`, [][2]string{{"key", "a.txt"}},
			`Invalid according to Policy: Policy Condition failed: ["eq", "$key", "A.txt"]`, sizeRange{}},
		{"list condition without $", `[["eq", "key", "a"]]`, [][2]string{{"key", "a"}},
			`Invalid according to Policy: Policy Condition failed: ["eq", "key", "a"]`, sizeRange{}},
		{"any value", `[["starts-with", "$success_action_redirect", ""], {"key": "k"}]`,
			[][2]string{{"key", "k"}, {"success_action_redirect", "https://x.test/"}}, "", sizeRange{}},
		{"content type list", `[["starts-with", "$Content-Type", "image/"], {"key": "k"}]`,
			[][2]string{{"key", "k"}, {"Content-Type", "image/jpg,image/png, image/gif"}}, "", sizeRange{}},
		{"commas elsewhere are text", `[["starts-with", "$key", "a/"]]`, [][2]string{{"key", "a/1,b/2"}}, "", sizeRange{}},
		{"quotes are escaped", `[["eq", "$Content-Disposition", "filename=\"test.png\""], {"key": "k"}]`,
			[][2]string{{"key", "k"}, {"Content-Disposition", "inline"}},
			`Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Disposition", "filename=\"test.png\""]`, sizeRange{}},
		{"repeated fields join with commas", `[["eq", "$x-amz-meta-tag", "Ninja,Stallman"], {"key": "k"}]`,
			[][2]string{{"key", "k"}, {"x-amz-meta-tag", "Ninja"}, {"x-amz-meta-tag", "Stallman"}}, "", sizeRange{}},
		{"extra field", `[{"key": "k"}]`, [][2]string{{"key", "k"}, {"Filename", "x"}},
			"Invalid according to Policy: Extra input fields: Filename", sizeRange{}},
		{"ignored field", `[{"key": "k"}]`, [][2]string{{"key", "k"}, {"X-Ignore-Flash", "x"}}, "", sizeRange{}},
		{"size range", `[{"key": "k"}, ["content-length-range", "5", 10]]`, [][2]string{{"key", "k"}}, "", sizeRange{true, 5, 10}},
		{"size ranges intersect", `[{"key": "k"}, ["content-length-range", 0, 10], ["content-length-range", 2, 20]]`,
			[][2]string{{"key", "k"}}, "", sizeRange{true, 2, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &postForm{values: map[string]string{}}
			for _, fd := range tc.fields {
				f.fields = append(f.fields, formField{fd[0], fd[1]})
				if v, ok := f.values[lowerASCII(fd[0])]; ok {
					f.values[lowerASCII(fd[0])] = v + "," + fd[1]
				} else {
					f.values[lowerASCII(fd[0])] = fd[1]
				}
			}
			sizes, err := policy(tc.conds).check(now, f, "b", none)
			if tc.msg == "" {
				if err != nil || sizes != tc.sizes {
					t.Fatalf("%v %+v", err, sizes)
				}
				return
			}
			if e := awserr.From(err); err == nil || e.Code != "AccessDenied" || e.Status != 403 || e.Message != tc.msg {
				t.Fatalf("got %v\nwant %s", err, tc.msg)
			}
		})
	}
}
