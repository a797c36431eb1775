package restxml

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/checksum"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

func ptr[T any](v T) *T { return &v }

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// newRequest builds a request as the gateway hands it to the codec.
func newRequest(method, target, body string, header map[string]string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	info := &request.Info{Service: "s3", RequestID: "4442587FB7D0A2F9", Header: http.Header{}}
	return r.WithContext(request.With(r.Context(), info))
}

// decode resolves and decodes a request against the real S3 model.
func decode(t *testing.T, r *http.Request) (*model.Operation, any, error) {
	t.Helper()
	var c Codec
	op, err := c.Operation(r, s3api.Service)
	if err != nil {
		return nil, nil, err
	}
	in := op.NewInput()
	return op, in, c.Decode(r, s3api.Service, op, in)
}

func TestDecodeS3Requests(t *testing.T) {
	for name, tc := range map[string]struct {
		method, target, body string
		header               map[string]string
		wantOp               string
		want                 any
	}{
		"PutObject with metadata": {
			method: "PUT", target: "/bucket/photos/2024/cat%20one.jpg", body: "meow",
			header: map[string]string{"Content-Type": "image/jpeg", "X-Amz-Meta-Owner": "alice", "x-amz-meta-Camera": "Nikon",
				"x-amz-storage-class": "STANDARD_IA", "x-amz-tagging": "a=b"},
			wantOp: "PutObject",
			want: &s3api.PutObjectInput{Bucket: ptr("bucket"), Key: ptr("photos/2024/cat one.jpg"), ContentType: ptr("image/jpeg"),
				ContentLength: ptr(int64(4)), Metadata: map[string]string{"owner": "alice", "camera": "Nikon"},
				StorageClass: ptr("STANDARD_IA"), Tagging: ptr("a=b")},
		},
		"CreateBucket with configuration": {
			method: "PUT", target: "/bucket",
			body:   `<CreateBucketConfiguration xmlns="` + s3NS + `"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`,
			header: map[string]string{"x-amz-acl": "private"},
			wantOp: "CreateBucket",
			want: &s3api.CreateBucketInput{Bucket: ptr("bucket"), ACL: ptr("private"),
				CreateBucketConfiguration: &s3api.CreateBucketConfiguration{LocationConstraint: ptr("eu-west-1")}},
		},
		"CreateBucket without body": {
			method: "PUT", target: "/bucket", wantOp: "CreateBucket",
			want: &s3api.CreateBucketInput{Bucket: ptr("bucket")},
		},
		"DeleteObjects": {
			method: "POST", target: "/bucket?delete",
			body: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Delete xmlns="` + s3NS + `"><Object><Key>a</Key></Object>` +
				`<Object><Key>b&amp;c</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>`,
			wantOp: "DeleteObjects",
			want: &s3api.DeleteObjectsInput{Bucket: ptr("bucket"), Delete: &s3api.Delete{
				Objects: []s3api.ObjectIdentifier{{Key: ptr("a")}, {Key: ptr("b&c"), VersionId: ptr("v1")}}, Quiet: ptr(true)}},
		},
		"PutBucketAcl with xsi:type grantees": {
			method: "PUT", target: "/bucket?acl",
			body: `<AccessControlPolicy xmlns="` + s3NS + `"><AccessControlList><Grant>` +
				`<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>` +
				`<Permission>READ</Permission></Grant></AccessControlList><Owner><ID>o</ID></Owner></AccessControlPolicy>`,
			wantOp: "PutBucketAcl",
			want: &s3api.PutBucketAclInput{Bucket: ptr("bucket"), AccessControlPolicy: &s3api.AccessControlPolicy{
				Grants: []s3api.Grant{{Grantee: &s3api.Grantee{Type: ptr("Group"), URI: ptr("http://acs.amazonaws.com/groups/global/AllUsers")},
					Permission: ptr("READ")}},
				Owner: &s3api.Owner{ID: ptr("o")}}},
		},
		"PutBucketPolicy raw string payload": {
			method: "PUT", target: "/bucket?policy", body: `{"Version":"2012-10-17"}`,
			wantOp: "PutBucketPolicy",
			want:   &s3api.PutBucketPolicyInput{Bucket: ptr("bucket"), Policy: ptr(`{"Version":"2012-10-17"}`)},
		},
		"ListObjectsV2 query": {
			method: "GET", target: "/bucket?list-type=2&prefix=logs%2F&max-keys=50&fetch-owner=true&continuation-token=abc",
			wantOp: "ListObjectsV2",
			want: &s3api.ListObjectsV2Input{Bucket: ptr("bucket"), Prefix: ptr("logs/"), MaxKeys: ptr(int32(50)),
				FetchOwner: ptr(true), ContinuationToken: ptr("abc")},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRequest(tc.method, tc.target, tc.body, tc.header)
			op, in, err := decode(t, r)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if op.Name != tc.wantOp {
				t.Fatalf("operation %s, want %s", op.Name, tc.wantOp)
			}
			if put, ok := in.(*s3api.PutObjectInput); ok {
				// The stream is handed over unread.
				if put.Body != r.Body {
					t.Fatalf("Body is not the request body")
				}
				b, _ := io.ReadAll(put.Body)
				if string(b) != tc.body {
					t.Fatalf("body %q", b)
				}
				put.Body = nil
			}
			if !reflect.DeepEqual(in, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", in, tc.want)
			}
		})
	}
}

func TestDecodeS3Errors(t *testing.T) {
	for name, tc := range map[string]struct {
		method, target, body string
		header               map[string]string
		code                 string
		status               int
		detail               map[string]string
	}{
		"malformed DeleteObjects": {method: "POST", target: "/bucket?delete", body: "<Delete><Object><Key>a</Key></Delete>",
			code: "MalformedXML", status: 400},
		"malformed CreateBucketConfiguration": {method: "PUT", target: "/bucket", body: "not xml",
			code: "MalformedXML", status: 400},
		"wrong type in the document": {method: "POST", target: "/bucket?delete", body: "<Delete><Quiet>sometimes</Quiet></Delete>",
			code: "MalformedXML", status: 400},
		"part number not an integer": {method: "PUT", target: "/bucket/key?partNumber=abc&uploadId=u", body: "x",
			code: "InvalidArgument", status: 400, detail: map[string]string{"ArgumentName": "partNumber", "ArgumentValue": "abc"}},
		"max-keys not an integer": {method: "GET", target: "/bucket?list-type=2&max-keys=lots",
			code: "InvalidArgument", status: 400, detail: map[string]string{"ArgumentName": "max-keys", "ArgumentValue": "lots"}},
		"bad boolean header": {method: "PUT", target: "/bucket", header: map[string]string{"x-amz-bucket-object-lock-enabled": "perhaps"},
			code: "InvalidArgument", status: 400},
		"DeleteObjects without body fails validation": {method: "POST", target: "/bucket?delete",
			code: "InvalidArgument", status: 400},
		"unsupported method": {method: "PATCH", target: "/bucket/key",
			code: "MethodNotAllowed", status: 405, detail: map[string]string{"Method": "PATCH", "ResourceType": "OBJECT"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := decode(t, newRequest(tc.method, tc.target, tc.body, tc.header))
			var e *awserr.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *awserr.Error", err)
			}
			if e.Code != tc.code || e.Status != tc.status {
				t.Fatalf("got %s %d (%s), want %s %d", e.Code, e.Status, e.Message, tc.code, tc.status)
			}
			if tc.detail != nil && !reflect.DeepEqual(e.Detail, tc.detail) {
				t.Fatalf("detail %v, want %v", e.Detail, tc.detail)
			}
		})
	}
}

// closeTracker is a streamed body that records being closed.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func TestEncodeS3Responses(t *testing.T) {
	lm := time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC)
	xmlHeader := `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	for name, tc := range map[string]struct {
		method string
		op     string
		out    any
		status int         // request.Info.Status override
		extra  http.Header // request.Info.Header
		want   string
		code   int
		header map[string]string
	}{
		"ListObjectsV2": {
			op: "ListObjectsV2",
			out: &s3api.ListObjectsV2Output{Name: ptr("bucket"), KeyCount: ptr(int32(1)), MaxKeys: ptr(int32(1000)), IsTruncated: ptr(false),
				Contents:       []s3api.Object{{Key: ptr("a<b"), LastModified: &lm, ETag: ptr(`"e"`), Size: ptr(int64(3)), StorageClass: ptr("STANDARD")}},
				RequestCharged: ptr("requester")},
			want: xmlHeader + `<ListBucketResult xmlns="` + s3NS + `"><Contents><ETag>&quot;e&quot;</ETag><Key>a&lt;b</Key>` +
				`<LastModified>2024-03-01T12:30:45.000Z</LastModified><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>` +
				`<IsTruncated>false</IsTruncated><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><Name>bucket</Name></ListBucketResult>`,
			code:   200,
			header: map[string]string{"Content-Type": "application/xml", "X-Amz-Request-Charged": "requester"},
		},
		"ListBuckets empty": {
			op:   "ListBuckets",
			out:  &s3api.ListBucketsOutput{Buckets: []s3api.Bucket{}, Owner: &s3api.Owner{ID: ptr("o")}},
			want: xmlHeader + `<ListAllMyBucketsResult xmlns="` + s3NS + `"><Buckets></Buckets><Owner><ID>o</ID></Owner></ListAllMyBucketsResult>`,
			code: 200,
		},
		"GetBucketLocation": {
			op:   "GetBucketLocation",
			out:  &s3api.GetBucketLocationOutput{LocationConstraint: ptr("eu-west-1")},
			want: xmlHeader + `<LocationConstraint xmlns="` + s3NS + `">eu-west-1</LocationConstraint>`,
			code: 200,
		},
		"GetBucketLocation us-east-1": {
			op:   "GetBucketLocation",
			out:  &s3api.GetBucketLocationOutput{},
			want: xmlHeader + `<LocationConstraint xmlns="` + s3NS + `"></LocationConstraint>`,
			code: 200,
		},
		"GetObjectLegalHold structure payload": {
			op:   "GetObjectLegalHold",
			out:  &s3api.GetObjectLegalHoldOutput{LegalHold: &s3api.ObjectLockLegalHold{Status: ptr("ON")}},
			want: xmlHeader + `<LegalHold xmlns="` + s3NS + `"><Status>ON</Status></LegalHold>`,
			code: 200,
		},
		"GetBucketPolicy string payload": {
			op:   "GetBucketPolicy",
			out:  &s3api.GetBucketPolicyOutput{Policy: ptr(`{"Version":"2012-10-17"}`)},
			want: `{"Version":"2012-10-17"}`,
			code: 200,
		},
		"PutObject headers only": {
			op:     "PutObject",
			out:    &s3api.PutObjectOutput{ETag: ptr(`"abc"`), VersionId: ptr("v1")},
			code:   200,
			header: map[string]string{"ETag": `"abc"`, "X-Amz-Version-Id": "v1", "Content-Type": ""},
		},
		"DeleteObject 204": {
			op:     "DeleteObject",
			out:    &s3api.DeleteObjectOutput{DeleteMarker: ptr(true)},
			code:   204,
			header: map[string]string{"X-Amz-Delete-Marker": "true"},
		},
		"nil output": {op: "DeleteBucket", out: nil, code: 204},
		"GetObject partial with extra headers": {
			op: "GetObject",
			out: &s3api.GetObjectOutput{Body: strings.NewReader("ell"), ContentLength: ptr(int64(3)), ContentRange: ptr("bytes 1-3/5"),
				LastModified: &lm, Metadata: map[string]string{"owner": "alice"}},
			status: 206, extra: http.Header{"X-Amz-Mp-Parts-Count": {"2"}},
			want: "ell", code: 206,
			header: map[string]string{"Content-Length": "3", "Content-Range": "bytes 1-3/5", "Last-Modified": "Fri, 01 Mar 2024 12:30:45 GMT",
				"x-amz-meta-owner": "alice", "X-Amz-Mp-Parts-Count": "2", "Content-Type": ""},
		},
		"HeadObject": {
			method: "HEAD", op: "HeadObject",
			out:  &s3api.HeadObjectOutput{ContentLength: ptr(int64(5)), ContentType: ptr("text/plain"), ETag: ptr(`"x"`)},
			code: 200, header: map[string]string{"Content-Length": "5", "Content-Type": "text/plain", "ETag": `"x"`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			r := newRequest(method, "/bucket/key", "", nil)
			info := request.FromContext(r.Context())
			info.Status = tc.status
			info.Header = tc.extra
			w := httptest.NewRecorder()
			op := s3api.Service.Op(tc.op)
			if err := (Codec{}).Encode(w, r, s3api.Service, op, tc.out); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.code {
				t.Errorf("status %d, want %d", w.Code, tc.code)
			}
			if got := w.Body.String(); got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
			for k, v := range tc.header {
				got := w.Header().Get(k)
				if vs := w.Header()[k]; len(vs) > 0 { // metadata headers are sent lower-case
					got = vs[0]
				}
				if got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestEncodeStreamIsClosed(t *testing.T) {
	for _, method := range []string{"GET", "HEAD"} {
		body := &closeTracker{Reader: strings.NewReader("data")}
		w := httptest.NewRecorder()
		r := newRequest(method, "/b/k", "", nil)
		op := s3api.Service.Op("GetObject")
		if err := (Codec{}).Encode(w, r, s3api.Service, op, &s3api.GetObjectOutput{Body: body}); err != nil {
			t.Fatal(err)
		}
		if !body.closed {
			t.Errorf("%s: stream not closed", method)
		}
		if want := map[string]string{"GET": "data", "HEAD": ""}[method]; w.Body.String() != want {
			t.Errorf("%s: body %q, want %q", method, w.Body.String(), want)
		}
	}
}

func TestEncodeS3Errors(t *testing.T) {
	xmlHeader := `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	host := hostID("4442587FB7D0A2F9")
	for name, tc := range map[string]struct {
		method string
		err    *awserr.Error
		want   string
		header map[string]string
	}{
		"NoSuchKey with detail": {
			err: s3api.ErrNoSuchKey.New("The specified key does not exist.").WithDetail(map[string]string{"Key": "a&b"}),
			want: xmlHeader + `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&amp;b</Key>` +
				`<RequestId>4442587FB7D0A2F9</RequestId><HostId>` + host + `</HostId></Error>`,
		},
		"delete marker header": {
			err: s3api.ErrNoSuchKey.New("The specified key does not exist.").WithHeader("x-amz-delete-marker", "true"),
			want: xmlHeader + `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>` +
				`<RequestId>4442587FB7D0A2F9</RequestId><HostId>` + host + `</HostId></Error>`,
			header: map[string]string{"X-Amz-Delete-Marker": "true", "Content-Type": "application/xml"},
		},
		"HEAD has no body": {
			method: "HEAD",
			err:    s3api.ErrNoSuchKey.New("The specified key does not exist."),
			header: map[string]string{"Content-Type": ""},
		},
		"structure detail": {
			err: awserr.Def{Code: "InvalidRequest", Status: 400, Sender: true}.New("bad").
				WithDetail(&s3api.Error{Code: ptr("ignored"), Key: ptr("k"), Message: ptr("ignored")}),
			want: xmlHeader + `<Error><Code>InvalidRequest</Code><Message>bad</Message><Key>k</Key>` +
				`<RequestId>4442587FB7D0A2F9</RequestId><HostId>` + host + `</HostId></Error>`,
		},
		"internal failure": {
			err: awserr.From(errors.New("disk on fire")),
			want: xmlHeader + `<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message>` +
				`<RequestId>4442587FB7D0A2F9</RequestId><HostId>` + host + `</HostId></Error>`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			w := httptest.NewRecorder()
			(Codec{}).EncodeError(w, newRequest(method, "/b/k", "", nil), s3api.Service, s3api.Service.Op("GetObject"), tc.err)
			if w.Code != tc.err.Status {
				t.Errorf("status %d, want %d", w.Code, tc.err.Status)
			}
			if got := w.Body.String(); got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
			for k, v := range tc.header {
				if got := w.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// A Route 53-like service: wrapped errors, a body without payload member.
type createHostedZoneInput struct {
	_               struct{} `aws:"xmlname=CreateHostedZoneRequest,xmlns=https://route53.amazonaws.com/doc/2013-04-01/"`
	CallerReference *string  `aws:"required"`
	Name            *string  `aws:"required"`
	VPCs            []string `aws:"name=VPCs,member=VPC"`
}

type createHostedZoneOutput struct {
	HostedZone *hostedZone `aws:"required"`
	Location   *string     `aws:"loc=header,required"`
}

type hostedZone struct {
	ID   *string `aws:"name=Id"`
	Name *string
}

var route53 = (&model.Service{
	Name: "route53", ID: "Route 53", Protocol: "rest-xml",
	Operations: []*model.Operation{{
		Name: "CreateHostedZone", Method: "POST", RequestURI: "/2013-04-01/hostedzone", ResponseCode: 201,
		Input: reflect.TypeFor[createHostedZoneInput](), Output: reflect.TypeFor[createHostedZoneOutput](),
	}},
}).Init()

func TestRoute53Style(t *testing.T) {
	var c Codec
	body := `<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>example.com</Name>` +
		`<CallerReference>ref</CallerReference><VPCs><VPC>a</VPC><VPC>b</VPC></VPCs></CreateHostedZoneRequest>`
	r := newRequest("POST", "/2013-04-01/hostedzone", body, nil)
	op, err := c.Operation(r, route53)
	if err != nil {
		t.Fatal(err)
	}
	var in createHostedZoneInput
	if err := c.Decode(r, route53, op, &in); err != nil {
		t.Fatal(err)
	}
	if *in.Name != "example.com" || *in.CallerReference != "ref" || !reflect.DeepEqual(in.VPCs, []string{"a", "b"}) {
		t.Fatalf("decoded %+v", in)
	}

	w := httptest.NewRecorder()
	out := &createHostedZoneOutput{HostedZone: &hostedZone{ID: ptr("/hostedzone/Z1"), Name: ptr("example.com.")}, Location: ptr("https://x/Z1")}
	if err := c.Encode(w, r, route53, op, out); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<createHostedZoneOutput xmlns="https://route53.amazonaws.com/doc/2013-04-01/">` +
		`<HostedZone><Id>/hostedzone/Z1</Id><Name>example.com.</Name></HostedZone></createHostedZoneOutput>`
	if w.Code != 201 || w.Body.String() != want || w.Header().Get("Location") != "https://x/Z1" {
		t.Fatalf("got %d %s %v", w.Code, w.Body, w.Header())
	}

	w = httptest.NewRecorder()
	c.EncodeError(w, r, route53, op, awserr.Def{Code: "NoSuchHostedZone", Status: 404, Sender: true}.New("No hosted zone found with ID: Z1"))
	want = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error>` +
		`<Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>No hosted zone found with ID: Z1</Message></Error>` +
		`<RequestId>4442587FB7D0A2F9</RequestId></ErrorResponse>`
	if w.Code != 404 || w.Body.String() != want {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}

	// Missing required members: Route 53's InvalidInput.
	r = newRequest("POST", "/2013-04-01/hostedzone", "<CreateHostedZoneRequest/>", nil)
	err = c.Decode(r, route53, op, &createHostedZoneInput{})
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code != "InvalidInput" {
		t.Fatalf("got %v", err)
	}
	if _, err := c.Operation(newRequest("GET", "/2013-04-01/nothing", "", nil), route53); !errors.As(err, &e) || e.Status != 404 {
		t.Fatalf("unknown path: %v", err)
	}
}

func TestCheckDigests(t *testing.T) {
	body := []byte("<Delete><Object><Key>a</Key></Object></Delete>")
	sum := md5.Sum(body)
	good := base64.StdEncoding.EncodeToString(sum[:])
	for name, tc := range map[string]struct {
		header, value, code string
	}{
		"no digest":          {},
		"good md5":           {"Content-MD5", good, ""},
		"wrong md5":          {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==", "BadDigest"},
		"not base64 md5":     {"Content-MD5", "!!", "InvalidDigest"},
		"good crc32":         {"x-amz-checksum-crc32", checksum.Sum(checksum.CRC32, body), ""},
		"wrong crc32":        {"x-amz-checksum-crc32", "AAAAAA==", "BadDigest"},
		"malformed checksum": {"x-amz-checksum-sha256", "abc", "InvalidRequest"},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/b?delete", bytes.NewReader(body))
			if tc.header != "" {
				r.Header.Set(tc.header, tc.value)
			}
			err := checkDigests(r, body)
			if tc.code == "" && err != nil || tc.code != "" && awserr.From(err).Code != tc.code {
				t.Fatalf("got %v, want %q", err, tc.code)
			}
		})
	}
}
