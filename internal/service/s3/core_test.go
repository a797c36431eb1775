package s3

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// newTestService returns an S3 service on an ephemeral store.
func newTestService(t *testing.T) *Service {
	t.Helper()
	db, err := engine.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(Deps{Store: db})
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if e := awserr.From(err); err == nil || e.Code != code {
		t.Fatalf("got error %v, want %s", err, code)
	}
}

func putString(t *testing.T, s *Service, bucket, key, body string) *s3api.PutObjectOutput {
	t.Helper()
	out, err := s.PutObject(context.Background(), &s3api.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(body), ContentLength: ptr(int64(len(body)))})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func getString(t *testing.T, s *Service, in *s3api.GetObjectInput) (string, *s3api.GetObjectOutput) {
	t.Helper()
	out, err := s.GetObject(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.(io.Closer).Close()
	return string(b), out
}

func TestObjectLifecycleUnversioned(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("bucket-one")}); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("Bad_Name")})
	wantCode(t, err, "InvalidBucketName")
	out := putString(t, s, "bucket-one", "k", "hello")
	if *out.ETag != `"5d41402abc4b2a76b9719d911017c592"` {
		t.Fatalf("etag %s", *out.ETag)
	}
	body, g := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("bucket-one"), Key: ptr("k")})
	if body != "hello" || *g.ContentLength != 5 || *g.ContentType != "binary/octet-stream" {
		t.Fatalf("got %q %+v", body, g)
	}
	body, g = getString(t, s, &s3api.GetObjectInput{Bucket: ptr("bucket-one"), Key: ptr("k"), Range: ptr("bytes=1-3")})
	if body != "ell" || *g.ContentRange != "bytes 1-3/5" {
		t.Fatalf("range got %q %v", body, *g.ContentRange)
	}
	_, err = s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr("bucket-one"), Key: ptr("k"), Range: ptr("bytes=10-")})
	wantCode(t, err, "InvalidRange")
	_, err = s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr("bucket-one"), Key: ptr("k"), IfNoneMatch: out.ETag})
	wantCode(t, err, "NotModified")
	_, err = s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("bucket-one"), Key: ptr("k"), Body: strings.NewReader("x"), IfNoneMatch: ptr("*")})
	wantCode(t, err, "PreconditionFailed")
	_, err = s.DeleteBucket(ctx, &s3api.DeleteBucketInput{Bucket: ptr("bucket-one")})
	wantCode(t, err, "BucketNotEmpty")
	if _, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("bucket-one"), Key: ptr("k")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr("bucket-one"), Key: ptr("k")})
	wantCode(t, err, "NoSuchKey")
	if _, err := s.DeleteBucket(ctx, &s3api.DeleteBucketInput{Bucket: ptr("bucket-one")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.HeadBucket(ctx, &s3api.HeadBucketInput{Bucket: ptr("bucket-one")})
	wantCode(t, err, "NoSuchBucket")
}

func TestVersionedDeleteMarker(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("bucket-ver")}); err != nil {
		t.Fatal(err)
	}
	if err := s.updateBucket(ctx, "bucket-ver", func(b *bucketRecord) error { b.Versioning = "Enabled"; return nil }); err != nil {
		t.Fatal(err)
	}
	v1 := putString(t, s, "bucket-ver", "k", "one")
	v2 := putString(t, s, "bucket-ver", "k", "two")
	if *v1.VersionId == *v2.VersionId {
		t.Fatal("same version id")
	}
	d, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("bucket-ver"), Key: ptr("k")})
	if err != nil || !*d.DeleteMarker {
		t.Fatalf("delete: %v %+v", err, d)
	}
	_, err = s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr("bucket-ver"), Key: ptr("k")})
	wantCode(t, err, "NoSuchKey")
	body, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("bucket-ver"), Key: ptr("k"), VersionId: v1.VersionId})
	if body != "one" {
		t.Fatalf("v1 = %q", body)
	}
	_, err = s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr("bucket-ver"), Key: ptr("k"), VersionId: d.VersionId})
	wantCode(t, err, "MethodNotAllowed")
	// Removing the marker brings v2 back.
	if _, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("bucket-ver"), Key: ptr("k"), VersionId: d.VersionId}); err != nil {
		t.Fatal(err)
	}
	body, _ = getString(t, s, &s3api.GetObjectInput{Bucket: ptr("bucket-ver"), Key: ptr("k")})
	if body != "two" {
		t.Fatalf("latest = %q", body)
	}
}
