package httpbinding

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

func TestTemplateMatchPath(t *testing.T) {
	for name, tc := range map[string]struct {
		tmpl, path string
		ok         bool
		labels     []Label
	}{
		"root":                     {tmpl: "/", path: "/", ok: true},
		"root is not a bucket":     {tmpl: "/{Bucket}", path: "/", ok: false},
		"bucket":                   {tmpl: "/{Bucket}", path: "/b", ok: true, labels: []Label{{"Bucket", "b"}}},
		"bucket trailing slash":    {tmpl: "/{Bucket}", path: "/b/", ok: true, labels: []Label{{"Bucket", "b"}}},
		"bucket is one segment":    {tmpl: "/{Bucket}", path: "/b/k", ok: false},
		"key":                      {tmpl: "/{Bucket}/{Key+}", path: "/b/k", ok: true, labels: []Label{{"Bucket", "b"}, {"Key", "k"}}},
		"key keeps slashes":        {tmpl: "/{Bucket}/{Key+}", path: "/b/a/b/c.txt", ok: true, labels: []Label{{"Bucket", "b"}, {"Key", "a/b/c.txt"}}},
		"key trailing slash":       {tmpl: "/{Bucket}/{Key+}", path: "/b/dir/", ok: true, labels: []Label{{"Bucket", "b"}, {"Key", "dir/"}}},
		"key of one slash":         {tmpl: "/{Bucket}/{Key+}", path: "/b//", ok: true, labels: []Label{{"Bucket", "b"}, {"Key", "/"}}},
		"empty key":                {tmpl: "/{Bucket}/{Key+}", path: "/b/", ok: false},
		"key percent-decoded":      {tmpl: "/{Bucket}/{Key+}", path: "/b/a%2Fb%20c%2Bd", ok: true, labels: []Label{{"Bucket", "b"}, {"Key", "a/b c+d"}}},
		"label percent-decoded":    {tmpl: "/v1/{Name}", path: "/v1/a%3Ab", ok: true, labels: []Label{{"Name", "a:b"}}},
		"literal":                  {tmpl: "/WriteGetObjectResponse", path: "/WriteGetObjectResponse", ok: true},
		"literal mismatch":         {tmpl: "/2015-03-31/functions", path: "/2015-03-31/layers", ok: false},
		"template trailing slash":  {tmpl: "/2015-03-31/functions/", path: "/2015-03-31/functions", ok: true},
		"template trailing slash2": {tmpl: "/2015-03-31/functions/", path: "/2015-03-31/functions/", ok: true},
		"empty segment":            {tmpl: "/v1/{A}/{B}", path: "/v1//x", ok: false},
		"greedy in the middle": {tmpl: "/portals/{portalArn+}/browserSettings", path: "/portals/arn:aws:x/y/z/browserSettings", ok: true,
			labels: []Label{{"portalArn", "arn:aws:x/y/z"}}},
		"greedy in the middle needs suffix": {tmpl: "/portals/{portalArn+}/browserSettings", path: "/portals/arn/other", ok: false},
		"greedy in the middle needs value":  {tmpl: "/portals/{portalArn+}/browserSettings", path: "/portals/browserSettings", ok: false},
	} {
		t.Run(name, func(t *testing.T) {
			labels, ok := ParseTemplate(tc.tmpl).MatchPath(tc.path, nil)
			if ok != tc.ok {
				t.Fatalf("MatchPath(%q) on %q = %v, want %v", tc.path, tc.tmpl, ok, tc.ok)
			}
			if ok && !reflect.DeepEqual(labels, tc.labels) {
				t.Fatalf("labels = %v, want %v", labels, tc.labels)
			}
		})
	}
}

func TestRouterS3CommonRequests(t *testing.T) {
	rt := NewRouter(s3api.Service)
	for _, tc := range []struct {
		method, target string
		header         string // "Name: value"
		want           string
	}{
		{"GET", "/", "", "ListBuckets"},
		{"GET", "/b", "", "ListObjects"},
		{"GET", "/b/", "", "ListObjects"},
		{"GET", "/b?list-type=2", "", "ListObjectsV2"},
		{"GET", "/b?list-type=2&prefix=a%2F&max-keys=10", "", "ListObjectsV2"},
		{"GET", "/b?list-type=1", "", "ListObjects"},
		{"GET", "/b?versions", "", "ListObjectVersions"},
		{"GET", "/b?uploads", "", "ListMultipartUploads"},
		{"GET", "/b?location", "", "GetBucketLocation"},
		{"GET", "/b?lifecycle", "", "GetBucketLifecycleConfiguration"},
		{"PUT", "/b?lifecycle", "", "PutBucketLifecycleConfiguration"},
		{"GET", "/b?notification", "", "GetBucketNotificationConfiguration"},
		{"PUT", "/b?notification", "", "PutBucketNotificationConfiguration"},
		{"GET", "/b?analytics", "", "ListBucketAnalyticsConfigurations"},
		{"GET", "/b?analytics&id=x", "", "GetBucketAnalyticsConfiguration"},
		{"GET", "/b?versioning", "", "GetBucketVersioning"},
		{"PUT", "/b?versioning", "", "PutBucketVersioning"},
		{"PUT", "/b", "", "CreateBucket"},
		{"DELETE", "/b", "", "DeleteBucket"},
		{"HEAD", "/b", "", "HeadBucket"},
		{"POST", "/b?delete", "", "DeleteObjects"},
		{"PUT", "/b/k", "", "PutObject"},
		{"PUT", "/b/k", "X-Amz-Copy-Source: src/k", "CopyObject"},
		{"PUT", "/b/k?partNumber=1&uploadId=x", "", "UploadPart"},
		{"PUT", "/b/k?partNumber=1&uploadId=x", "x-amz-copy-source: src/k", "UploadPartCopy"},
		{"GET", "/b/k", "", "GetObject"},
		{"GET", "/b/dir/k.txt?versionId=3", "", "GetObject"},
		{"GET", "/b/k?partNumber=2", "", "GetObject"},
		{"GET", "/b/k?uploadId=x", "", "ListParts"},
		{"HEAD", "/b/k", "", "HeadObject"},
		{"DELETE", "/b/k", "", "DeleteObject"},
		{"DELETE", "/b/k?uploadId=x", "", "AbortMultipartUpload"},
		{"POST", "/b/k?uploads", "", "CreateMultipartUpload"},
		{"POST", "/b/k?uploadId=x", "", "CompleteMultipartUpload"},
		{"GET", "/b/a/b/c?acl", "", "GetObjectAcl"},
		{"GET", "/b?acl", "", "GetBucketAcl"},
		{"GET", "/b/k?tagging", "", "GetObjectTagging"},
		{"PUT", "/b/k?tagging", "", "PutObjectTagging"},
		{"DELETE", "/b?tagging", "", "DeleteBucketTagging"},
		{"POST", "/b/k?select&select-type=2", "", "SelectObjectContent"},
		{"POST", "/b/k?restore", "", "RestoreObject"},
		{"GET", "/b/k%3Fx?attributes", "", "GetObjectAttributes"},
		{"POST", "/WriteGetObjectResponse", "", "WriteGetObjectResponse"},
		{"GET", "/b?session", "", "CreateSession"},
		{"PUT", "/b/k?x-id=PutObject", "", "PutObject"},
		{"PUT", "/b/k?x-id=CopyObject", "X-Amz-Copy-Source: src/k", "CopyObject"},
		{"GET", "/b/k?uploadId=u&x-id=ListParts", "", "ListParts"},
		{"GET", "/b?lifecycle&x-id=GetBucketLifecycle", "", "GetBucketLifecycle"},
		{"GET", "/b/k?x-id=NoSuchOperation", "", "GetObject"},
		{"GET", "/b/k?x-id=ListBuckets", "", "GetObject"},
	} {
		t.Run(tc.method+" "+tc.target+" "+tc.header, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, nil)
			if tc.header != "" {
				k, v, _ := strings.Cut(tc.header, ": ")
				r.Header.Set(k, v)
			}
			op, known := rt.Match(r)
			if op == nil || !known {
				t.Fatalf("no operation (pathKnown=%v), want %s", known, tc.want)
			}
			if op.Name != tc.want {
				t.Fatalf("got %s, want %s", op.Name, tc.want)
			}
		})
	}
}

func TestRouterUnknown(t *testing.T) {
	rt := RouterFor(s3api.Service)
	for _, tc := range []struct {
		method, target string
		known          bool
	}{
		{"PATCH", "/b/k", true},
		{"POST", "/b", true},
		{"OPTIONS", "/", true},
	} {
		op, known := rt.Match(httptest.NewRequest(tc.method, tc.target, nil))
		if op != nil || known != tc.known {
			t.Errorf("%s %s: got %v, known=%v; want none, known=%v", tc.method, tc.target, op, known, tc.known)
		}
	}
	other := &model.Service{Name: "example", Operations: []*model.Operation{{Name: "GetThing", Method: "GET", RequestURI: "/things/{Id}"}}}
	if op, known := NewRouter(other).Match(httptest.NewRequest("GET", "/widgets/1", nil)); op != nil || known {
		t.Errorf("unknown path: got %v, known=%v", op, known)
	}
}

// TestRouterReachesEveryS3Operation builds, for each operation of the S3
// model, the request an SDK sends (labels filled in, template query
// literals, required query parameters, the copy-source header of copies)
// and checks that it resolves to that operation. Shadowed operations send
// exactly their successor's request.
func TestRouterReachesEveryS3Operation(t *testing.T) {
	rt := RouterFor(s3api.Service)
	successor := map[string]string{
		"GetBucketLifecycle":    "GetBucketLifecycleConfiguration",
		"PutBucketLifecycle":    "PutBucketLifecycleConfiguration",
		"GetBucketNotification": "GetBucketNotificationConfiguration",
		"PutBucketNotification": "PutBucketNotificationConfiguration",
		"ListDirectoryBuckets":  "ListBuckets",
	}
	if len(s3api.Service.Operations) < 100 {
		t.Fatalf("S3 model has only %d operations", len(s3api.Service.Operations))
	}
	for _, op := range s3api.Service.Operations {
		t.Run(op.Name, func(t *testing.T) {
			r := sdkRequest(op)
			got, _ := rt.Match(r)
			want := op.Name
			if s, ok := successor[op.Name]; ok {
				want = s
			}
			if got == nil || got.Name != want {
				t.Fatalf("%s %s: got %v, want %s", r.Method, r.URL, got, want)
			}
		})
	}
}

// sdkRequest builds a request for op the way an SDK would.
func sdkRequest(op *model.Operation) *http.Request {
	path, query, _ := strings.Cut(op.RequestURI, "?")
	path = strings.NewReplacer("{Bucket}", "amzn-s3-demo-bucket", "{Key+}", "photos/2024/cat.jpg").Replace(path)
	var params []string
	if query != "" {
		params = append(params, query)
	}
	r := httptest.NewRequest(op.Method, "http://s3.localhost"+path, nil)
	if op.Input != nil {
		for _, f := range model.StructOf(op.Input).Fields {
			if f.Required && f.Location == "querystring" {
				params = append(params, f.Name+"=1")
			}
			if f.Required && f.Location == "header" {
				r.Header.Set(f.Name, "1")
			}
		}
	}
	r.URL.RawQuery = strings.Join(params, "&")
	return r
}
