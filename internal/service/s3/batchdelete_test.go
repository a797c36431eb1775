package s3

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
)

func deleteIDs(keys ...string) []s3api.ObjectIdentifier {
	ids := make([]s3api.ObjectIdentifier, len(keys))
	for i, k := range keys {
		ids[i] = s3api.ObjectIdentifier{Key: ptr(k)}
	}
	return ids
}

func TestDeleteObjectsUnversioned(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "del-plain", false)
	putString(t, s, "del-plain", "a", "1")
	putString(t, s, "del-plain", "b", "2")
	out, err := s.DeleteObjects(ctx, &s3api.DeleteObjectsInput{Bucket: ptr("del-plain"), Delete: &s3api.Delete{Objects: deleteIDs("a", "b", "missing")}})
	if err != nil {
		t.Fatal(err)
	}
	// A key that does not exist is reported deleted, as S3 does.
	if len(out.Deleted) != 3 || len(out.Errors) != 0 {
		t.Fatalf("deleted %+v errors %+v", out.Deleted, out.Errors)
	}
	for i, d := range out.Deleted {
		if *d.Key != []string{"a", "b", "missing"}[i] || d.VersionId != nil || d.DeleteMarker != nil || d.DeleteMarkerVersionId != nil {
			t.Fatalf("entry %d: %+v", i, d)
		}
	}
	list, _ := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("del-plain")})
	if *list.KeyCount != 0 {
		t.Fatalf("%d keys left", *list.KeyCount)
	}
}

func TestDeleteObjectsVersioned(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "del-vers", true)
	v1 := putString(t, s, "del-vers", "k", "1")
	putString(t, s, "del-vers", "k", "2")
	putString(t, s, "del-vers", "m", "1")
	out, err := s.DeleteObjects(ctx, &s3api.DeleteObjectsInput{Bucket: ptr("del-vers"), Delete: &s3api.Delete{Objects: []s3api.ObjectIdentifier{
		{Key: ptr("k")},                          // creates a delete marker
		{Key: ptr("k"), VersionId: v1.VersionId}, // removes v1 for good
		{Key: ptr("m"), VersionId: ptr("00000000000000010000000000000000")}, // no such version: still "deleted"
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 3 || len(out.Errors) != 0 {
		t.Fatalf("deleted %+v errors %+v", out.Deleted, out.Errors)
	}
	marker := out.Deleted[0]
	if !deref(marker.DeleteMarker) || marker.DeleteMarkerVersionId == nil || marker.VersionId != nil {
		t.Fatalf("marker entry %+v", marker)
	}
	if d := out.Deleted[1]; *d.VersionId != *v1.VersionId || d.DeleteMarker != nil {
		t.Fatalf("version entry %+v", d)
	}
	// Deleting the marker by its version id reports it as a marker.
	out, err = s.DeleteObjects(ctx, &s3api.DeleteObjectsInput{Bucket: ptr("del-vers"), Delete: &s3api.Delete{Objects: []s3api.ObjectIdentifier{
		{Key: ptr("k"), VersionId: marker.DeleteMarkerVersionId},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Deleted[0]; !deref(d.DeleteMarker) || *d.DeleteMarkerVersionId != *marker.DeleteMarkerVersionId || *d.VersionId != *marker.DeleteMarkerVersionId {
		t.Fatalf("marker removal %+v", d)
	}
	body, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("del-vers"), Key: ptr("k")})
	if body != "2" {
		t.Fatalf("k = %q after removing the marker", body)
	}
}

func TestDeleteObjectsQuietAndErrors(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("del-lock"), ObjectLockEnabledForBucket: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	held, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("del-lock"), Key: ptr("held"), ObjectLockLegalHoldStatus: ptr("ON")})
	if err != nil {
		t.Fatal(err)
	}
	free := putString(t, s, "del-lock", "free", "x")
	out, err := s.DeleteObjects(ctx, &s3api.DeleteObjectsInput{Bucket: ptr("del-lock"), Delete: &s3api.Delete{Quiet: ptr(true), Objects: []s3api.ObjectIdentifier{
		{Key: ptr("held"), VersionId: held.VersionId},
		{Key: ptr("free"), VersionId: free.VersionId},
		{Key: ptr("free2"), ETag: ptr(`"nope"`)},
		{Key: ptr("bad"), VersionId: ptr("not-a-version")},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 0 {
		t.Fatalf("quiet mode reported %+v", out.Deleted)
	}
	want := []struct{ key, code string }{{"held", "AccessDenied"}, {"free2", "NoSuchKey"}, {"bad", "InvalidArgument"}}
	if len(out.Errors) != len(want) {
		t.Fatalf("errors %+v", out.Errors)
	}
	for i, w := range want {
		if e := out.Errors[i]; *e.Key != w.key || *e.Code != w.code || deref(e.Message) == "" {
			t.Fatalf("error %d: %+v, want %s %s", i, e, w.key, w.code)
		}
	}
	if *out.Errors[0].VersionId != *held.VersionId {
		t.Fatal("error entry lost its version id")
	}
	putString(t, s, "del-lock", "cond", "x")
	out, _ = s.DeleteObjects(ctx, &s3api.DeleteObjectsInput{Bucket: ptr("del-lock"), Delete: &s3api.Delete{Objects: []s3api.ObjectIdentifier{
		{Key: ptr("cond"), ETag: ptr(`"0000"`)},
	}}})
	if len(out.Errors) != 1 || *out.Errors[0].Code != "PreconditionFailed" {
		t.Fatalf("conditional delete: %+v %+v", out.Deleted, out.Errors)
	}
}

func TestDeleteObjectsRequestErrors(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "del-errs", false)
	many := make([]string, maxDeleteObjects+1)
	for i := range many {
		many[i] = fmt.Sprintf("k%d", i)
	}
	withHeaders := func(h map[string]string) context.Context {
		r := httptest.NewRequest(http.MethodPost, "/del-errs?delete", nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return request.With(ctx, &request.Info{Account: "000000000000", Region: "us-east-1", HTTP: r})
	}
	for _, c := range []struct {
		name string
		ctx  context.Context
		keys []string
		code string
	}{
		{"too many keys", ctx, many, "MalformedXML"},
		{"no keys", ctx, nil, "MalformedXML"},
		{"no integrity header", withHeaders(nil), []string{"a"}, "InvalidRequest"},
		{"content-md5", withHeaders(map[string]string{"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}), []string{"a"}, ""},
		{"flexible checksum", withHeaders(map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}), []string{"a"}, ""},
		{"no bucket", ctx, []string{"a"}, "NoSuchBucket"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bucket := "del-errs"
			if c.code == "NoSuchBucket" {
				bucket = "del-missing"
			}
			_, err := s.DeleteObjects(c.ctx, &s3api.DeleteObjectsInput{Bucket: ptr(bucket), Delete: &s3api.Delete{Objects: deleteIDs(c.keys...)}})
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, c.code)
		})
	}
}
