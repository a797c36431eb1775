package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

func TestParseCopySource(t *testing.T) {
	vid := "0000000000000001aaaaaaaaaaaaaaaa"
	for _, c := range []struct {
		in, bucket, key, version, code string
	}{
		{in: "src/key", bucket: "src", key: "key"},
		{in: "/src/key", bucket: "src", key: "key"},
		{in: "src/dir%2Fa%20b+c", bucket: "src", key: "dir/a b+c"},
		{in: "src/%E6%97%A5%E6%9C%AC", bucket: "src", key: "日本"},
		{in: "src/a%3Fb", bucket: "src", key: "a?b"},
		{in: "src/k?versionId=" + vid, bucket: "src", key: "k", version: vid},
		{in: "src/k?versionId=null", bucket: "src", key: "k", version: "null"},
		{in: "", code: "InvalidArgument"},
		{in: "/", code: "InvalidArgument"},
		{in: "src", code: "InvalidArgument"},
		{in: "src/", code: "InvalidArgument"},
		{in: "src/%%%%", code: "InvalidArgument"},
		{in: "src/k?versionId=junk", code: "InvalidArgument"},
		{in: "src/" + strings.Repeat("k", maxKeyLength+1), code: "KeyTooLongError"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := parseCopySource(c.in)
			if c.code != "" {
				wantCode(t, err, c.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Bucket != c.bucket || got.Key != c.key || deref(got.VersionID) != c.version {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestParseCopySourceRange(t *testing.T) {
	for _, c := range []struct {
		in         string
		start, end int64
		msg        string
	}{
		{in: "bytes=0-9", start: 0, end: 9},
		{in: "bytes=3-3", start: 3, end: 3},
		{in: "bytes=5-99", msg: "Range specified is not valid for source object of size: 10"},
		{in: "bytes=6-5", msg: "Range specified is not valid for source object of size: 10"},
		{in: "0-5", msg: "must be of the form"},
		{in: "bytes=0-", msg: "must be of the form"},
		{in: "bytes=-5", msg: "must be of the form"},
		{in: "bytes=a-b", msg: "must be of the form"},
		{in: "bytes=0-1,2-3", msg: "must be of the form"},
	} {
		r, err := parseCopySourceRange(c.in, 10)
		if c.msg != "" {
			wantCode(t, err, "InvalidArgument")
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%s: %v", c.in, err)
			}
			continue
		}
		if err != nil || r.start != c.start || r.end != c.end {
			t.Errorf("%s: %+v %v", c.in, r, err)
		}
	}
}

func TestCopySourceReaderRange(t *testing.T) {
	s := newTestService(t)
	bucketForTest(t, s, "copy-range", false)
	putString(t, s, "copy-range", "k", "0123456789")
	src, err := s.loadCopySource(context.Background(), copySourceRequest{Header: "copy-range/k"})
	if err != nil {
		t.Fatal(err)
	}
	rd, r, err := s.copySourceReader(src.Rec, ptr("bytes=2-5"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rd)
	rd.Close()
	if string(got) != "2345" || r.start != 2 || r.end != 5 {
		t.Fatalf("got %q %+v", got, r)
	}
	if src.VersionHeader() != nil {
		t.Fatal("unversioned source has a version header")
	}
}

func TestCopyObjectBasics(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "copy-src", true)
	bucketForTest(t, s, "copy-dst", false)
	src, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("copy-src"), Key: ptr("a b/ü"), Body: strings.NewReader("hello"),
		ContentType: ptr("text/plain"), Metadata: map[string]string{"color": "blue"}, Tagging: ptr("t=1")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.CopyObject(ctx, &s3api.CopyObjectInput{Bucket: ptr("copy-dst"), Key: ptr("copy"), CopySource: ptr("copy-src/a%20b/%C3%BC")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.CopyObjectResult.ETag != *src.ETag || out.CopyObjectResult.LastModified == nil ||
		deref(out.CopySourceVersionId) != *src.VersionId || out.VersionId != nil || deref(out.ServerSideEncryption) != "AES256" {
		t.Fatalf("output %+v result %+v", out, out.CopyObjectResult)
	}
	body, g := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("copy-dst"), Key: ptr("copy")})
	if body != "hello" || *g.ContentType != "text/plain" || g.Metadata["color"] != "blue" || deref(g.TagCount) != 1 {
		t.Fatalf("copy: %q %+v", body, g)
	}
	// REPLACE takes metadata from the request; tags follow their own directive.
	_, err = s.CopyObject(ctx, &s3api.CopyObjectInput{Bucket: ptr("copy-dst"), Key: ptr("replaced"), CopySource: ptr("copy-src/a%20b/%C3%BC"),
		MetadataDirective: ptr("REPLACE"), Metadata: map[string]string{"size": "xl"}, TaggingDirective: ptr("REPLACE"), Tagging: ptr("a=1&b=2"),
		StorageClass: ptr("STANDARD_IA")})
	if err != nil {
		t.Fatal(err)
	}
	_, g = getString(t, s, &s3api.GetObjectInput{Bucket: ptr("copy-dst"), Key: ptr("replaced")})
	if g.Metadata["size"] != "xl" || g.Metadata["color"] != "" || *g.ContentType != "binary/octet-stream" ||
		deref(g.TagCount) != 2 || deref(g.StorageClass) != "STANDARD_IA" {
		t.Fatalf("replaced: %+v", g)
	}
	// An older version is copied by version id.
	putString(t, s, "copy-src", "a b/ü", "newer")
	_, err = s.CopyObject(ctx, &s3api.CopyObjectInput{Bucket: ptr("copy-dst"), Key: ptr("old"), CopySource: ptr("copy-src/a%20b/%C3%BC?versionId=" + *src.VersionId)})
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("copy-dst"), Key: ptr("old")}); body != "hello" {
		t.Fatalf("old version copy = %q", body)
	}
}

func TestCopyObjectErrors(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "copy-errs", true)
	put := putString(t, s, "copy-errs", "k", "body")
	del, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("copy-errs"), Key: ptr("gone")})
	if err != nil {
		t.Fatal(err)
	}
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	for _, c := range []struct {
		name string
		in   s3api.CopyObjectInput
		code string
	}{
		{"onto itself", s3api.CopyObjectInput{Key: ptr("k"), CopySource: ptr("copy-errs/k")}, "InvalidRequest"},
		{"onto itself by current version", s3api.CopyObjectInput{Key: ptr("k"), CopySource: ptr("copy-errs/k?versionId=" + *put.VersionId)}, "InvalidRequest"},
		{"onto itself with new metadata", s3api.CopyObjectInput{Key: ptr("k"), CopySource: ptr("copy-errs/k"), MetadataDirective: ptr("REPLACE")}, ""},
		{"onto itself with new storage class", s3api.CopyObjectInput{Key: ptr("k"), CopySource: ptr("copy-errs/k"), StorageClass: ptr("GLACIER")}, ""},
		{"onto itself with encryption", s3api.CopyObjectInput{Key: ptr("k"), CopySource: ptr("copy-errs/k"), ServerSideEncryption: ptr("AES256")}, ""},
		{"no such key", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/nope")}, "NoSuchKey"},
		{"deleted key", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/gone")}, "NoSuchKey"},
		{"delete marker by version", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/gone?versionId=" + *del.VersionId)}, "InvalidRequest"},
		{"no such version", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k?versionId=00000000000000010000000000000000")}, "NoSuchVersion"},
		{"no source bucket", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("nope-src/k")}, "NoSuchBucket"},
		{"bad source", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs")}, "InvalidArgument"},
		{"bad metadata directive", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), MetadataDirective: ptr("MOVE")}, "InvalidArgument"},
		{"bad tagging directive", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), TaggingDirective: ptr("MOVE")}, "InvalidArgument"},
		{"bad storage class", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), StorageClass: ptr("COLD")}, "InvalidStorageClass"},
		{"if-match fails", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), CopySourceIfMatch: ptr(`"abc"`)}, "PreconditionFailed"},
		{"if-match holds", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), CopySourceIfMatch: put.ETag}, ""},
		{"if-match beats if-unmodified-since", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), CopySourceIfMatch: put.ETag, CopySourceIfUnmodifiedSince: &past}, ""},
		{"if-unmodified-since fails", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), CopySourceIfUnmodifiedSince: &past}, "PreconditionFailed"},
		{"if-none-match fails", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), CopySourceIfNoneMatch: put.ETag}, "PreconditionFailed"},
		{"if-none-match beats if-modified-since", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), CopySourceIfNoneMatch: put.ETag, CopySourceIfModifiedSince: &past}, "PreconditionFailed"},
		{"if-modified-since fails", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), CopySourceIfModifiedSince: &future}, "PreconditionFailed"},
		{"destination if-none-match", s3api.CopyObjectInput{Key: ptr("k"), CopySource: ptr("copy-errs/k"), MetadataDirective: ptr("REPLACE"), IfNoneMatch: ptr("*")}, "PreconditionFailed"},
		{"public ACL on an enforced bucket", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), ACL: ptr("public-read")}, "AccessControlListNotSupported"},
		{"wrong source owner", s3api.CopyObjectInput{Key: ptr("x"), CopySource: ptr("copy-errs/k"), ExpectedSourceBucketOwner: ptr("111111111111")}, "AccessDenied"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.Bucket = ptr("copy-errs")
			_, err := s.CopyObject(ctx, &in)
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

func TestCopyObjectChecksumsAndLargeBody(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "copy-big", true)
	data := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB: several copy buffers
	if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("copy-big"), Key: ptr("src"), Body: bytes.NewReader(data), ContentLength: ptr(int64(len(data)))}); err != nil {
		t.Fatal(err)
	}
	out, err := s.CopyObject(ctx, &s3api.CopyObjectInput{Bucket: ptr("copy-big"), Key: ptr("dst"), CopySource: ptr("copy-big/src"), ChecksumAlgorithm: ptr("SHA256")})
	if err != nil {
		t.Fatal(err)
	}
	if out.VersionId == nil || out.CopyObjectResult.ChecksumSHA256 == nil || deref(out.CopyObjectResult.ChecksumType) != "FULL_OBJECT" {
		t.Fatalf("output %+v result %+v", out, out.CopyObjectResult)
	}
	if *out.CopyObjectResult.ETag != fmt.Sprintf(`"%x"`, md5.Sum(data)) {
		t.Fatalf("ETag %s", *out.CopyObjectResult.ETag)
	}
	// A copy of the copy keeps its checksum algorithm.
	again, err := s.CopyObject(ctx, &s3api.CopyObjectInput{Bucket: ptr("copy-big"), Key: ptr("dst2"), CopySource: ptr("copy-big/dst")})
	if err != nil {
		t.Fatal(err)
	}
	if deref(again.CopyObjectResult.ChecksumSHA256) != *out.CopyObjectResult.ChecksumSHA256 {
		t.Fatalf("checksum not kept: %+v", again.CopyObjectResult)
	}
	body, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("copy-big"), Key: ptr("dst2")})
	if body != string(data) {
		t.Fatal("copied body differs")
	}
}
