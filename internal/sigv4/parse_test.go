package sigv4

import (
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for name, tc := range map[string]struct {
		target  string
		headers map[string]string
		want    *Auth // nil: unsigned
		bad     bool  // a *FormatError is expected
	}{
		"unsigned": {target: "/bucket/key"},
		"header v4": {
			target: "/",
			headers: map[string]string{
				"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=abc123",
				"X-Amz-Date":    "20260101T000000Z",
			},
			want: &Auth{Kind: HeaderV4, Algorithm: AlgorithmHMAC, AccessKey: "AKID", Date: "20260101", Region: "us-east-1", Service: "s3",
				SignedHeaders: []string{"host", "x-amz-content-sha256", "x-amz-date"}, Signature: "abc123", AmzDate: "20260101T000000Z"},
		},
		"header v4 without spaces and with token": {
			target: "/",
			headers: map[string]string{
				"Authorization":        "AWS4-HMAC-SHA256 Credential=123456789012/20260101/eu-west-1/dynamodb/aws4_request,SignedHeaders=host;x-amz-date,Signature=ff",
				"X-Amz-Security-Token": "tok",
			},
			want: &Auth{Kind: HeaderV4, Algorithm: AlgorithmHMAC, AccessKey: "123456789012", Date: "20260101", Region: "eu-west-1", Service: "dynamodb",
				SignedHeaders: []string{"host", "x-amz-date"}, Signature: "ff", SecurityToken: "tok"},
		},
		"header v4a": {
			target: "/",
			headers: map[string]string{
				"Authorization": "AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/s3/aws4_request, SignedHeaders=host;x-amz-region-set, Signature=3045",
			},
			want: &Auth{Kind: HeaderV4, Algorithm: AlgorithmECDSA, AccessKey: "AKID", Date: "20260101", Service: "s3",
				SignedHeaders: []string{"host", "x-amz-region-set"}, Signature: "3045"},
		},
		"header v4 missing signature keeps the scope": {
			target:  "/",
			headers: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/sqs/aws4_request, SignedHeaders=host"},
			want: &Auth{Kind: HeaderV4, Algorithm: AlgorithmHMAC, AccessKey: "AKID", Date: "20260101", Region: "us-west-2", Service: "sqs",
				SignedHeaders: []string{"host"}},
			bad: true,
		},
		"header v4 short credential": {
			target:  "/",
			headers: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101, SignedHeaders=host, Signature=aa"},
			want:    &Auth{Kind: HeaderV4, Algorithm: AlgorithmHMAC, AccessKey: "AKID", SignedHeaders: []string{"host"}, Signature: "aa"},
			bad:     true,
		},
		"header v4 wrong terminator": {
			target:  "/",
			headers: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws5_request, SignedHeaders=host, Signature=aa"},
			want: &Auth{Kind: HeaderV4, Algorithm: AlgorithmHMAC, AccessKey: "AKID", Date: "20260101", Region: "us-east-1", Service: "s3",
				SignedHeaders: []string{"host"}, Signature: "aa"},
			bad: true,
		},
		"unknown scheme": {
			target:  "/",
			headers: map[string]string{"Authorization": "Bearer xyz"},
			want:    &Auth{Kind: HeaderV4, Algorithm: "Bearer"},
			bad:     true,
		},
		"header v2": {
			target:  "/bucket/key",
			headers: map[string]string{"Authorization": "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", "Date": "Tue, 27 Mar 2007 19:36:42 +0000"},
			want: &Auth{Kind: HeaderV2, Algorithm: "AWS", AccessKey: "AKIAIOSFODNN7EXAMPLE", Signature: "frJIUN8DYpKDtOLCwo//yllqDzg=",
				AmzDate: "Tue, 27 Mar 2007 19:36:42 +0000"},
		},
		"header v2 malformed": {
			target:  "/",
			headers: map[string]string{"Authorization": "AWS AKIDONLY"},
			want:    &Auth{Kind: HeaderV2, Algorithm: "AWS", AccessKey: "AKIDONLY"},
			bad:     true,
		},
		"presigned v4": {
			target: "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fap-south-1%2Fs3%2Faws4_request" +
				"&X-Amz-Date=20260101T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok",
			want: &Auth{Kind: PresignedV4, Algorithm: AlgorithmHMAC, AccessKey: "AKID", Date: "20260101", Region: "ap-south-1", Service: "s3",
				SignedHeaders: []string{"host"}, Signature: "deadbeef", AmzDate: "20260101T120000Z", Expires: "900", SecurityToken: "tok"},
		},
		"presigned v4 missing expires": {
			target: "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request" +
				"&X-Amz-Date=20260101T120000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeef",
			want: &Auth{Kind: PresignedV4, Algorithm: AlgorithmHMAC, AccessKey: "AKID", Date: "20260101", Region: "us-east-1", Service: "s3",
				SignedHeaders: []string{"host"}, Signature: "deadbeef", AmzDate: "20260101T120000Z"},
			bad: true,
		},
		"presigned v2": {
			target: "/bucket/key?AWSAccessKeyId=AKID&Expires=1141889120&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
			want:   &Auth{Kind: PresignedV2, AccessKey: "AKID", Signature: "vjbyPxybdZaNmGa+yT272YEAiv4=", Expires: "1141889120"},
		},
		"presigned v2 without signature": {
			target: "/bucket/key?AWSAccessKeyId=AKID",
			want:   &Auth{Kind: PresignedV2, AccessKey: "AKID"},
			bad:    true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			got, err := Parse(r)
			var fe *FormatError
			if tc.bad != errors.As(err, &fe) {
				t.Fatalf("error = %v, want format error: %v", err, tc.bad)
			}
			if tc.want == nil {
				if got != nil {
					t.Fatalf("got %+v for an unsigned request", got)
				}
				return
			}
			if got == nil {
				t.Fatal("got nil")
			}
			if !sameAuth(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", *got, *tc.want)
			}
		})
	}
}

func sameAuth(a, b *Auth) bool {
	return a.Kind == b.Kind && a.Algorithm == b.Algorithm && a.AccessKey == b.AccessKey && a.Date == b.Date &&
		a.Region == b.Region && a.Service == b.Service && slices.Equal(a.SignedHeaders, b.SignedHeaders) &&
		a.Signature == b.Signature && a.AmzDate == b.AmzDate && a.Expires == b.Expires && a.SecurityToken == b.SecurityToken
}

func TestScope(t *testing.T) {
	a := &Auth{Algorithm: AlgorithmHMAC, Date: "20260101", Region: "us-east-1", Service: "s3"}
	if a.Scope() != "20260101/us-east-1/s3/aws4_request" {
		t.Fatal(a.Scope())
	}
	a.Algorithm = AlgorithmECDSA
	if a.Scope() != "20260101/s3/aws4_request" {
		t.Fatal(a.Scope())
	}
}

func TestCheckTime(t *testing.T) {
	signed := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	presigned := func(expires string) *Auth {
		return &Auth{Kind: PresignedV4, AmzDate: "20260101T120000Z", Expires: expires}
	}
	for name, tc := range map[string]struct {
		auth *Auth
		now  time.Time
		want ErrorKind // -1: valid
	}{
		"presigned within expiry":        {presigned("900"), signed.Add(899 * time.Second), -1},
		"presigned at expiry":            {presigned("900"), signed.Add(900 * time.Second), -1},
		"presigned past expiry":          {presigned("900"), signed.Add(901 * time.Second), ErrExpired},
		"presigned a week":               {presigned("604800"), signed.Add(24 * time.Hour), -1},
		"presigned over a week":          {presigned("604801"), signed, ErrMalformed},
		"presigned negative":             {presigned("-1"), signed, ErrMalformed},
		"presigned not a number":         {presigned("soon"), signed, ErrMalformed},
		"presigned in the future":        {presigned("900"), signed.Add(-16 * time.Minute), ErrNotYetValid},
		"presigned slightly early":       {presigned("900"), signed.Add(-time.Minute), -1},
		"presigned bad date":             {&Auth{Kind: PresignedV4, AmzDate: "yesterday", Expires: "60"}, signed, ErrMalformed},
		"v2 before expiry":               {&Auth{Kind: PresignedV2, Expires: "1767268800"}, signed, -1},
		"v2 after expiry":                {&Auth{Kind: PresignedV2, Expires: "1767268800"}, signed.Add(time.Second), ErrExpired},
		"header on time":                 {&Auth{Kind: HeaderV4, AmzDate: "20260101T120000Z"}, signed.Add(14 * time.Minute), -1},
		"header skewed":                  {&Auth{Kind: HeaderV4, AmzDate: "20260101T120000Z"}, signed.Add(16 * time.Minute), ErrSkewed},
		"header with an http date":       {&Auth{Kind: HeaderV2, AmzDate: "Thu, 01 Jan 2026 12:00:00 GMT"}, signed, -1},
		"header with an http date, late": {&Auth{Kind: HeaderV2, AmzDate: "Thu, 01 Jan 2026 12:00:00 GMT"}, signed.Add(time.Hour), ErrSkewed},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.auth.CheckTime(tc.now)
			if tc.want < 0 {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.want {
				t.Fatalf("got %v, want kind %d", err, tc.want)
			}
		})
	}
	err := presigned("900").CheckTime(signed.Add(time.Hour))
	var e *Error
	if !errors.As(err, &e) || e.ExpiresIn != "900" || !e.ExpiresAt.Equal(signed.Add(900*time.Second)) || !e.ServerTime.Equal(signed.Add(time.Hour)) {
		t.Fatalf("expiry details: %+v", e)
	}
}
