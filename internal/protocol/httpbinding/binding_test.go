package httpbinding

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

// Hand-written shapes with the tags of the generated S3 types.
type putObjectInput struct {
	ACL                       *string           `aws:"name=x-amz-acl,loc=header"`
	Body                      io.Reader         `aws:"payload,streaming"`
	Bucket                    *string           `aws:"loc=uri,required"`
	BucketKeyEnabled          *bool             `aws:"name=x-amz-server-side-encryption-bucket-key-enabled,loc=header"`
	ContentLength             *int64            `aws:"name=Content-Length,loc=header"`
	ContentType               *string           `aws:"name=Content-Type,loc=header"`
	Key                       *string           `aws:"loc=uri,required,min=1"`
	Metadata                  map[string]string `aws:"name=x-amz-meta-,loc=headers"`
	ObjectLockRetainUntilDate *time.Time        `aws:"name=x-amz-object-lock-retain-until-date,loc=header,ts=iso8601"`
	IfModifiedSince           *time.Time        `aws:"name=If-Modified-Since,loc=header"`
	WriteOffsetBytes          *int64            `aws:"name=x-amz-write-offset-bytes,loc=header"`
}

type uploadPartInput struct {
	Bucket     *string `aws:"loc=uri,required"`
	Key        *string `aws:"loc=uri,required"`
	PartNumber *int32  `aws:"name=partNumber,loc=querystring,required"`
	UploadID   *string `aws:"name=uploadId,loc=querystring,required"`
}

type listInput struct {
	Bucket     *string           `aws:"loc=uri,required"`
	MaxKeys    *int32            `aws:"name=max-keys,loc=querystring"`
	FetchOwner *bool             `aws:"name=fetch-owner,loc=querystring"`
	Since      *time.Time        `aws:"name=since,loc=querystring"`
	Tags       []string          `aws:"name=tag,loc=querystring"`
	Attributes []string          `aws:"name=x-amz-optional-object-attributes,loc=header"`
	Dates      []time.Time       `aws:"name=x-dates,loc=header"`
	Rest       map[string]string `aws:"loc=querystring"`
	Context    *string           `aws:"name=x-amz-context,loc=header,jsonvalue"`
	Document   any               `aws:"name=x-amz-document,loc=header,jsonvalue"`
	Blob       []byte            `aws:"name=x-amz-blob,loc=header"`
	Ratio      *float64          `aws:"name=ratio,loc=querystring"`
}

type multiQueryInput struct {
	Params map[string][]string `aws:"loc=querystring"`
}

func ptr[T any](v T) *T { return &v }

func op(uri string, in any) *model.Operation {
	return &model.Operation{Name: "Op", Method: "GET", RequestURI: uri, Input: reflect.TypeOf(in).Elem()}
}

func TestDecodeRequest(t *testing.T) {
	retain := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, tc := range map[string]struct {
		op     *model.Operation
		method string
		target string
		header map[string][]string
		in     any
		want   any
	}{
		"put object headers and metadata": {
			op:     op("/{Bucket}/{Key+}", &putObjectInput{}),
			method: "PUT", target: "/b/photos/a%20b.jpg",
			header: map[string][]string{
				"X-Amz-Acl": {"private"},
				"X-Amz-Server-Side-Encryption-Bucket-Key-Enabled": {"TRUE"},
				"Content-Type":                        {"image/jpeg"},
				"X-Amz-Meta-Camera":                   {"Nikon"},
				"x-amz-meta-Lens":                     {"50mm"},
				"X-AMZ-META-MULTI":                    {"a", "b"},
				"X-Amz-Object-Lock-Retain-Until-Date": {"2030-01-02T03:04:05.000Z"},
				"If-Modified-Since":                   {"not a date"},
			},
			in: &putObjectInput{},
			want: &putObjectInput{
				ACL: ptr("private"), Bucket: ptr("b"), Key: ptr("photos/a b.jpg"), BucketKeyEnabled: ptr(true),
				ContentType: ptr("image/jpeg"), ContentLength: ptr(int64(0)),
				Metadata:                  map[string]string{"camera": "Nikon", "lens": "50mm", "multi": "a,b"},
				ObjectLockRetainUntilDate: &retain,
			},
		},
		"upload part query": {
			op:     op("/{Bucket}/{Key+}", &uploadPartInput{}),
			method: "PUT", target: "/b/k?partNumber=7&uploadId=abc%2Bdef",
			in:   &uploadPartInput{},
			want: &uploadPartInput{Bucket: ptr("b"), Key: ptr("k"), PartNumber: ptr(int32(7)), UploadID: ptr("abc+def")},
		},
		"query scalars, lists, map and header lists": {
			op:     op("/{Bucket}?list-type=2", &listInput{}),
			method: "GET",
			target: "/b?list-type=2&max-keys=10&fetch-owner=true&since=2024-05-06T07:08:09Z&tag=a&tag=b&ratio=0.5&color=red&X-Amz-Signature=x",
			header: map[string][]string{
				"X-Amz-Optional-Object-Attributes": {"RestoreStatus, Owner", "\"a,b\""},
				"X-Dates":                          {"Mon, 02 Jan 2006 15:04:05 GMT, Tue, 03 Jan 2006 15:04:05 GMT"},
				"X-Amz-Context":                    {"eyJhIjoxfQ=="},
				"X-Amz-Document":                   {"eyJhIjpbMSwyXX0="},
				"X-Amz-Blob":                       {"aGVsbG8="},
			},
			in: &listInput{},
			want: &listInput{
				Bucket: ptr("b"), MaxKeys: ptr(int32(10)), FetchOwner: ptr(true),
				Since: ptr(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)), Tags: []string{"a", "b"}, Ratio: ptr(0.5),
				Attributes: []string{"RestoreStatus", "Owner", "a,b"},
				Dates:      []time.Time{time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC), time.Date(2006, 1, 3, 15, 4, 5, 0, time.UTC)},
				Rest:       map[string]string{"color": "red"},
				Context:    ptr(`{"a":1}`),
				Document:   map[string]any{"a": []any{1.0, 2.0}},
				Blob:       []byte("hello"),
			},
		},
		"query map of lists": {
			op:     op("/things", &multiQueryInput{}),
			method: "GET", target: "/things?a=1&a=2&b=3",
			in:   &multiQueryInput{},
			want: &multiQueryInput{Params: map[string][]string{"a": {"1", "2"}, "b": {"3"}}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, nil)
			for k, vs := range tc.header {
				r.Header[k] = vs
			}
			if err := DecodeRequest(r, tc.op, tc.in); err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			if !reflect.DeepEqual(tc.in, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", tc.in, tc.want)
			}
		})
	}
}

func TestDecodeRequestTypeErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		target string
		header map[string]string
		in     any
		want   Error
	}{
		"part number not an integer": {target: "/b/k?partNumber=abc&uploadId=x", in: &uploadPartInput{},
			want: Error{Location: "querystring", Name: "partNumber", Value: "abc"}},
		"part number out of range": {target: "/b/k?partNumber=99999999999&uploadId=x", in: &uploadPartInput{},
			want: Error{Location: "querystring", Name: "partNumber", Value: "99999999999"}},
		"boolean header": {target: "/b/k", in: &putObjectInput{}, header: map[string]string{"x-amz-server-side-encryption-bucket-key-enabled": "yes"},
			want: Error{Location: "header", Name: "X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", Value: "yes"}},
		"timestamp header": {target: "/b/k", in: &putObjectInput{}, header: map[string]string{"x-amz-object-lock-retain-until-date": "soon"},
			want: Error{Location: "header", Name: "X-Amz-Object-Lock-Retain-Until-Date", Value: "soon"}},
		"long header": {target: "/b/k", in: &putObjectInput{}, header: map[string]string{"x-amz-write-offset-bytes": "1.5"},
			want: Error{Location: "header", Name: "X-Amz-Write-Offset-Bytes", Value: "1.5"}},
		"jsonvalue header": {target: "/b", in: &listInput{}, header: map[string]string{"x-amz-context": "not base64!"},
			want: Error{Location: "header", Name: "X-Amz-Context", Value: "not base64!"}},
		"float query": {target: "/b?ratio=half", in: &listInput{},
			want: Error{Location: "querystring", Name: "ratio", Value: "half"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", tc.target, nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			err := DecodeRequest(r, op("/{Bucket}/{Key+}", tc.in), tc.in)
			var be *Error
			if !errors.As(err, &be) {
				t.Fatalf("got %v, want *Error", err)
			}
			if be.Location != tc.want.Location || be.Name != tc.want.Name || be.Value != tc.want.Value || be.Reason == "" {
				t.Fatalf("got %+v, want %+v", be, tc.want)
			}
		})
	}
}

type getObjectOutput struct {
	Body          io.Reader         `aws:"payload,streaming"`
	ContentLength *int64            `aws:"name=Content-Length,loc=header"`
	DeleteMarker  *bool             `aws:"name=x-amz-delete-marker,loc=header"`
	ETag          *string           `aws:"loc=header"`
	LastModified  *time.Time        `aws:"name=Last-Modified,loc=header"`
	Metadata      map[string]string `aws:"name=x-amz-meta-,loc=headers"`
	RetainUntil   *time.Time        `aws:"name=x-amz-object-lock-retain-until-date,loc=header,ts=iso8601"`
	Epoch         *time.Time        `aws:"name=x-epoch,loc=header,ts=unixTimestamp"`
	Attributes    []string          `aws:"name=x-amz-attrs,loc=header"`
	StatusCode    *int32            `aws:"loc=statusCode"`
	Context       *string           `aws:"name=x-amz-context,loc=header,jsonvalue"`
	Missing       *string           `aws:"name=x-missing,loc=header"`
}

func TestEncodeResponse(t *testing.T) {
	lm := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	out := &getObjectOutput{
		ContentLength: ptr(int64(42)), DeleteMarker: ptr(false), ETag: ptr(`"abc"`), LastModified: &lm,
		Metadata: map[string]string{"camera": "Nikon"}, RetainUntil: &lm, Epoch: ptr(lm.Add(1500 * time.Millisecond)),
		Attributes: []string{"ETag", "a,b"}, StatusCode: ptr(int32(206)), Context: ptr(`{"a":1}`),
	}
	h := http.Header{}
	status := EncodeResponse(h, out)
	if status != 206 {
		t.Errorf("status = %d, want 206", status)
	}
	want := map[string]string{
		"Content-Length":                      "42",
		"X-Amz-Delete-Marker":                 "false",
		"Etag":                                `"abc"`,
		"Last-Modified":                       "Thu, 29 Feb 2024 12:00:00 GMT",
		"x-amz-meta-camera":                   "Nikon",
		"X-Amz-Object-Lock-Retain-Until-Date": "2024-02-29T12:00:00.000Z",
		"X-Epoch":                             "1709208001.5",
		"X-Amz-Attrs":                         `ETag, "a,b"`,
		"X-Amz-Context":                       "eyJhIjoxfQ==",
	}
	for k, v := range want {
		got := h.Get(k)
		if vs := h[k]; len(vs) > 0 { // metadata headers are sent lower-case
			got = vs[0]
		}
		if got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(h) != len(want) {
		t.Errorf("headers %v, want exactly %v", h, want)
	}
	// What EncodeResponse writes, DecodeRequest reads back.
	r := httptest.NewRequest("GET", "/", nil)
	r.Header = h
	var back struct {
		Attributes []string          `aws:"name=x-amz-attrs,loc=header"`
		Metadata   map[string]string `aws:"name=x-amz-meta-,loc=headers"`
		Epoch      *time.Time        `aws:"name=x-epoch,loc=header,ts=unixTimestamp"`
	}
	if err := DecodeRequest(r, &model.Operation{RequestURI: "/"}, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Attributes, out.Attributes) || back.Metadata["camera"] != "Nikon" || !back.Epoch.Equal(*out.Epoch) {
		t.Errorf("round trip: %+v", back)
	}
	if EncodeResponse(http.Header{}, nil) != 0 || EncodeResponse(http.Header{}, (*getObjectOutput)(nil)) != 0 {
		t.Error("nil output must encode nothing")
	}
}

func TestSplitHeaderList(t *testing.T) {
	for in, want := range map[string][]string{
		"a,b, c":        {"a", "b", "c"},
		`"a,b", "c\"d"`: {"a,b", `c"d`},
		"":              nil,
		" single ":      {"single"},
		`"unterminated`: {"unterminated"},
		"a,,b":          {"a", "", "b"},
	} {
		if got := SplitHeaderList(in, false); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitHeaderList(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTimeFormats(t *testing.T) {
	want := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	for _, s := range []string{
		"2006-01-02T15:04:05Z", "2006-01-02T15:04:05.000Z", "2006-01-02T17:04:05+02:00",
		"Mon, 02 Jan 2006 15:04:05 GMT", "Monday, 02-Jan-06 15:04:05 GMT", "1136214245", "1136214245.000",
	} {
		for _, format := range []string{ISO8601, RFC822, UnixTimestamp, ""} {
			got, err := ParseTime(s, format)
			if err != nil || !got.Equal(want) {
				t.Errorf("ParseTime(%q, %q) = %v, %v", s, format, got, err)
			}
		}
	}
	if _, err := ParseTime("yesterday", ISO8601); err == nil {
		t.Error("ParseTime accepted garbage")
	}
	if !strings.HasSuffix(FormatTime(want, ""), ".000Z") {
		t.Error("ISO 8601 output must carry milliseconds")
	}
}
