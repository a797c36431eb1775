package s3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// mpService returns a service with a bucket, where parts but the last
// must be at least minPart bytes.
func mpService(t *testing.T, bucket string, minPart int64) *Service {
	t.Helper()
	s := newTestService(t)
	s.minPartSize = minPart
	if _, err := s.CreateBucket(context.Background(), &s3api.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	return s
}

func mpCreate(t *testing.T, s *Service, in *s3api.CreateMultipartUploadInput) string {
	t.Helper()
	out, err := s.CreateMultipartUpload(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return *out.UploadId
}

func mpPart(t *testing.T, s *Service, bucket, key, id string, n int32, body string) *s3api.UploadPartOutput {
	t.Helper()
	out, err := s.UploadPart(context.Background(), &s3api.UploadPartInput{
		Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: &n,
		Body: strings.NewReader(body), ContentLength: ptr(int64(len(body))),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mpComplete(s *Service, bucket, key, id string, parts ...s3api.CompletedPart) (*s3api.CompleteMultipartUploadOutput, error) {
	return s.CompleteMultipartUpload(context.Background(), &s3api.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: &id, MultipartUpload: &s3api.CompletedMultipartUpload{Parts: parts},
	})
}

func completed(n int32, etag *string) s3api.CompletedPart {
	return s3api.CompletedPart{PartNumber: &n, ETag: etag}
}

// md5OfMD5s is the multipart ETag computed here from the part bodies.
func md5OfMD5s(bodies ...string) string {
	var cat []byte
	for _, b := range bodies {
		sum := md5.Sum([]byte(b))
		cat = append(cat, sum[:]...)
	}
	sum := md5.Sum(cat)
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sum[:]), len(bodies))
}

// blobExists reports whether a blob is still in the store.
func blobExists(t *testing.T, s *Service, id string) bool {
	t.Helper()
	b, err := s.blobs.Open(id)
	if errors.Is(err, storage.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	return true
}

// partBlobs returns the blob of each stored part of an upload.
func partBlobs(t *testing.T, s *Service, uploadID string) map[int32]string {
	t.Helper()
	out := map[int32]string{}
	err := s.db.View(context.Background(), func(tx storage.Tx) error {
		parts, err := scanParts(tx, uploadID, 0, -1)
		for _, p := range parts {
			out[p.Number] = p.Blob
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMultipartRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-bucket", 4)
	bodies := []string{"aaaa1", "bbbb22", "c"}
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{
		Bucket: ptr("mp-bucket"), Key: ptr("dir/my file"), ContentType: ptr("text/plain"),
		Metadata: map[string]string{"color": "blue"}, Tagging: ptr("a=1&b=2"), StorageClass: ptr("STANDARD_IA"),
	})
	if len(id) < 32 || strings.HasPrefix(id, "-") {
		t.Fatalf("upload id %q", id)
	}
	if id2 := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-bucket"), Key: ptr("dir/my file")}); id2 <= id {
		t.Fatalf("upload ids not in creation order: %q then %q", id, id2)
	}
	var parts []s3api.CompletedPart
	for i, b := range bodies {
		out := mpPart(t, s, "mp-bucket", "dir/my file", id, int32(i+1), b)
		sum := md5.Sum([]byte(b))
		if *out.ETag != `"`+hex.EncodeToString(sum[:])+`"` {
			t.Fatalf("part %d etag %s", i+1, *out.ETag)
		}
		parts = append(parts, completed(int32(i+1), out.ETag))
	}
	info := &request.Info{Account: "000000000000", Region: "us-east-1", Endpoint: "http://127.0.0.1:4566"}
	out, err := s.CompleteMultipartUpload(request.With(ctx, info), &s3api.CompleteMultipartUploadInput{
		Bucket: ptr("mp-bucket"), Key: ptr("dir/my file"), UploadId: &id, MultipartUpload: &s3api.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := md5OfMD5s(bodies...); *out.ETag != want {
		t.Fatalf("etag %s, want %s", *out.ETag, want)
	}
	if *out.Location != "http://127.0.0.1:4566/mp-bucket/dir/my%20file" || *out.Bucket != "mp-bucket" || *out.Key != "dir/my file" {
		t.Fatalf("location %s bucket %s key %s", *out.Location, *out.Bucket, *out.Key)
	}
	if out.VersionId != nil || out.ChecksumType != nil {
		t.Fatalf("unversioned, checksum-less upload answered %+v", out)
	}
	body, g := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("mp-bucket"), Key: ptr("dir/my file")})
	if body != strings.Join(bodies, "") || *g.ETag != *out.ETag || *g.ContentType != "text/plain" ||
		g.Metadata["color"] != "blue" || *g.TagCount != 2 || *g.StorageClass != "STANDARD_IA" {
		t.Fatalf("got %q %+v", body, g)
	}
	// GetObject ?partNumber serves one part, with the part count.
	ictx := request.With(ctx, &request.Info{})
	g2, err := s.GetObject(ictx, &s3api.GetObjectInput{Bucket: ptr("mp-bucket"), Key: ptr("dir/my file"), PartNumber: ptr(int32(2))})
	if err != nil {
		t.Fatal(err)
	}
	b2 := readAllClose(t, g2.Body)
	if b2 != "bbbb22" || *g2.PartsCount != 3 || *g2.ContentRange != "bytes 5-10/12" || *g2.ContentLength != 6 || request.FromContext(ictx).Status != 206 {
		t.Fatalf("part 2: %q %+v", b2, g2)
	}
	_, err = s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr("mp-bucket"), Key: ptr("dir/my file"), PartNumber: ptr(int32(4))})
	wantCode(t, err, "InvalidPartNumber")
	// The upload is gone; its parts now belong to the object.
	_, err = s.ListParts(ctx, &s3api.ListPartsInput{Bucket: ptr("mp-bucket"), Key: ptr("dir/my file"), UploadId: &id})
	wantCode(t, err, "NoSuchUpload")
	if got := partBlobs(t, s, id); len(got) != 0 {
		t.Fatalf("part rows left: %v", got)
	}
}

func readAllClose(t *testing.T, r any) string {
	t.Helper()
	var sb strings.Builder
	rd := r.(interface {
		Read([]byte) (int, error)
		Close() error
	})
	buf := make([]byte, 4096)
	for {
		n, err := rd.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	rd.Close()
	return sb.String()
}

func TestCompleteMultipartUploadErrors(t *testing.T) {
	const bucket, key = "mp-errors", "k"
	tests := []struct {
		name   string
		parts  func(etags []*string) []s3api.CompletedPart
		code   string
		detail map[string]string
	}{
		{"empty list", func([]*string) []s3api.CompletedPart { return nil }, "MalformedXML", nil},
		{"no part number", func(e []*string) []s3api.CompletedPart { return []s3api.CompletedPart{{ETag: e[0]}} }, "MalformedXML", nil},
		{"descending", func(e []*string) []s3api.CompletedPart {
			return []s3api.CompletedPart{completed(2, e[1]), completed(1, e[0])}
		}, "InvalidPartOrder", nil},
		{"duplicate", func(e []*string) []s3api.CompletedPart {
			return []s3api.CompletedPart{completed(1, e[0]), completed(1, e[0])}
		}, "InvalidPartOrder", nil},
		{"missing part", func(e []*string) []s3api.CompletedPart {
			return []s3api.CompletedPart{completed(1, e[0]), completed(7, e[1])}
		}, "InvalidPart", map[string]string{"PartNumber": "7"}},
		{"wrong etag", func(e []*string) []s3api.CompletedPart {
			return []s3api.CompletedPart{completed(1, e[1])}
		}, "InvalidPart", map[string]string{"PartNumber": "1"}},
		{"too small", func(e []*string) []s3api.CompletedPart {
			return []s3api.CompletedPart{completed(1, e[0]), completed(2, e[1]), completed(3, e[2])}
		}, "EntityTooSmall", map[string]string{"PartNumber": "2", "ProposedSize": "2", "MinSizeAllowed": "5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mpService(t, bucket, 5)
			id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr(bucket), Key: ptr(key)})
			var etags []*string
			for i, b := range []string{"12345", "ab", "z"} {
				etags = append(etags, mpPart(t, s, bucket, key, id, int32(i+1), b).ETag)
			}
			_, err := mpComplete(s, bucket, key, id, tc.parts(etags)...)
			wantCode(t, err, tc.code)
			if d, _ := awserr.From(err).Detail.(map[string]string); tc.detail != nil {
				for k, v := range tc.detail {
					if d[k] != v {
						t.Errorf("detail %s = %q, want %q (all: %v)", k, d[k], v, d)
					}
				}
			}
			// A failed completion leaves the upload as it was.
			lp, err := s.ListParts(context.Background(), &s3api.ListPartsInput{Bucket: ptr(bucket), Key: ptr(key), UploadId: &id})
			if err != nil || len(lp.Parts) != 3 {
				t.Fatalf("after failed complete: %v %+v", err, lp)
			}
		})
	}
}

func TestCompleteLastPartMaySmallAndUnquotedETags(t *testing.T) {
	s := mpService(t, "mp-small", 0) // S3's real 5 MiB minimum
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-small"), Key: ptr("k")})
	big := strings.Repeat("x", 5<<20)
	e1 := mpPart(t, s, "mp-small", "k", id, 1, big).ETag
	e2 := mpPart(t, s, "mp-small", "k", id, 2, "tail").ETag
	out, err := mpComplete(s, "mp-small", "k", id, completed(1, ptr(strings.Trim(*e1, `"`))), completed(2, e2))
	if err != nil {
		t.Fatal(err)
	}
	if *out.ETag != md5OfMD5s(big, "tail") {
		t.Fatalf("etag %s", *out.ETag)
	}
	id = mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-small"), Key: ptr("k2")})
	e1 = mpPart(t, s, "mp-small", "k2", id, 1, "short").ETag
	e2 = mpPart(t, s, "mp-small", "k2", id, 2, "tail").ETag
	_, err = mpComplete(s, "mp-small", "k2", id, completed(1, e1), completed(2, e2))
	wantCode(t, err, "EntityTooSmall")
	if d := awserr.From(err).Detail.(map[string]string); d["MinSizeAllowed"] != "5242880" || d["ETag"] != strings.Trim(*e1, `"`) {
		t.Fatalf("detail %v", d)
	}
}

func TestUploadPartReplacesAndReleases(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-replace", 1)
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-replace"), Key: ptr("k")})
	mpPart(t, s, "mp-replace", "k", id, 1, "first")
	old := partBlobs(t, s, id)[1]
	e2 := mpPart(t, s, "mp-replace", "k", id, 1, "second").ETag
	if blobExists(t, s, old) {
		t.Fatal("replaced part's blob was not released")
	}
	lp, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: ptr("mp-replace"), Key: ptr("k"), UploadId: &id})
	if err != nil || len(lp.Parts) != 1 || *lp.Parts[0].ETag != *e2 || *lp.Parts[0].Size != 6 {
		t.Fatalf("%v %+v", err, lp)
	}
	// Unlisted parts are released on completion.
	mpPart(t, s, "mp-replace", "k", id, 2, "unlisted")
	unlisted := partBlobs(t, s, id)[2]
	if _, err := mpComplete(s, "mp-replace", "k", id, completed(1, e2)); err != nil {
		t.Fatal(err)
	}
	if blobExists(t, s, unlisted) {
		t.Fatal("unlisted part's blob was not released")
	}
	if body, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("mp-replace"), Key: ptr("k")}); body != "second" {
		t.Fatalf("body %q", body)
	}
}

func TestUploadPartErrors(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-part-errors", 1)
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-part-errors"), Key: ptr("k")})
	wrongMD5 := base64.StdEncoding.EncodeToString(make([]byte, 16))
	tests := []struct {
		name string
		in   s3api.UploadPartInput
		code string
	}{
		{"part 0", s3api.UploadPartInput{PartNumber: ptr(int32(0))}, "InvalidArgument"},
		{"part 10001", s3api.UploadPartInput{PartNumber: ptr(int32(10001))}, "InvalidArgument"},
		{"unknown upload", s3api.UploadPartInput{PartNumber: ptr(int32(1)), UploadId: ptr("nope")}, "NoSuchUpload"},
		{"upload of another key", s3api.UploadPartInput{PartNumber: ptr(int32(1)), Key: ptr("other")}, "NoSuchUpload"},
		{"no bucket", s3api.UploadPartInput{PartNumber: ptr(int32(1)), Bucket: ptr("no-such-bucket")}, "NoSuchBucket"},
		{"bad content-md5", s3api.UploadPartInput{PartNumber: ptr(int32(1)), ContentMD5: &wrongMD5}, "BadDigest"},
		{"short body", s3api.UploadPartInput{PartNumber: ptr(int32(1)), ContentLength: ptr(int64(100))}, "IncompleteBody"},
		{"wrong checksum", s3api.UploadPartInput{PartNumber: ptr(int32(1)), ChecksumCRC32: ptr("AAAAAA==")}, "BadDigest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.Bucket == nil {
				in.Bucket = ptr("mp-part-errors")
			}
			if in.Key == nil {
				in.Key = ptr("k")
			}
			if in.UploadId == nil {
				in.UploadId = &id
			}
			in.Body = strings.NewReader("data")
			if in.ContentLength == nil {
				in.ContentLength = ptr(int64(4))
			}
			_, err := s.UploadPart(ctx, &in)
			wantCode(t, err, tc.code)
		})
	}
	if got := partBlobs(t, s, id); len(got) != 0 {
		t.Fatalf("failed uploads stored parts: %v", got)
	}
}

func TestAbortMultipartUpload(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-abort", 1)
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-abort"), Key: ptr("k")})
	mpPart(t, s, "mp-abort", "k", id, 1, "one")
	mpPart(t, s, "mp-abort", "k", id, 2, "two")
	blobs := partBlobs(t, s, id)
	_, err := s.AbortMultipartUpload(ctx, &s3api.AbortMultipartUploadInput{Bucket: ptr("mp-abort"), Key: ptr("other"), UploadId: &id})
	wantCode(t, err, "NoSuchUpload")
	if _, err := s.AbortMultipartUpload(ctx, &s3api.AbortMultipartUploadInput{Bucket: ptr("mp-abort"), Key: ptr("k"), UploadId: &id}); err != nil {
		t.Fatal(err)
	}
	for n, b := range blobs {
		if blobExists(t, s, b) {
			t.Fatalf("part %d blob not released", n)
		}
	}
	_, err = s.AbortMultipartUpload(ctx, &s3api.AbortMultipartUploadInput{Bucket: ptr("mp-abort"), Key: ptr("k"), UploadId: &id})
	wantCode(t, err, "NoSuchUpload")
	if e := awserr.From(err); e.Status != 404 || e.Message != "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed." {
		t.Fatalf("%d %q", e.Status, e.Message)
	}
	_, err = s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: ptr("mp-abort"), Key: ptr("k"), UploadId: &id, PartNumber: ptr(int32(1)), Body: strings.NewReader("x")})
	wantCode(t, err, "NoSuchUpload")
	_, err = mpComplete(s, "mp-abort", "k", id, completed(1, ptr("x")))
	wantCode(t, err, "NoSuchUpload")
	l, err := s.ListMultipartUploads(ctx, &s3api.ListMultipartUploadsInput{Bucket: ptr("mp-abort")})
	if err != nil || len(l.Uploads) != 0 {
		t.Fatalf("%v %+v", err, l)
	}
}

func TestAbortUploadForLifecycle(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-lifecycle", 1)
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-lifecycle"), Key: ptr("k")})
	mpPart(t, s, "mp-lifecycle", "k", id, 1, "one")
	var segs []segment
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		var err error
		segs, err = abortUpload(tx, "mp-lifecycle", id)
		return err
	})
	if err != nil || len(segs) != 1 || segs[0].Size != 3 {
		t.Fatalf("%v %+v", err, segs)
	}
	s.releaseBlobs(segs)
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		_, err := abortUpload(tx, "mp-lifecycle", id)
		return err
	})
	wantCode(t, err, "NoSuchUpload")
}

func TestCompleteConditionalWritesAndVersioning(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-cond", 1)
	put := putString(t, s, "mp-cond", "k", "old")
	oldBlob := ""
	_ = s.db.View(ctx, func(tx storage.Tx) error {
		rec, err := latest(tx, "mp-cond", "k")
		oldBlob = rec.Segments[0].Blob
		return err
	})
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-cond"), Key: ptr("k")})
	e := mpPart(t, s, "mp-cond", "k", id, 1, "new").ETag
	in := &s3api.CompleteMultipartUploadInput{Bucket: ptr("mp-cond"), Key: ptr("k"), UploadId: &id,
		MultipartUpload: &s3api.CompletedMultipartUpload{Parts: []s3api.CompletedPart{completed(1, e)}}}
	in.IfNoneMatch = ptr("*")
	_, err := s.CompleteMultipartUpload(ctx, in)
	wantCode(t, err, "PreconditionFailed")
	in.IfNoneMatch, in.IfMatch = nil, ptr(`"0000"`)
	_, err = s.CompleteMultipartUpload(ctx, in)
	wantCode(t, err, "PreconditionFailed")
	in.IfMatch = put.ETag
	if _, err := s.CompleteMultipartUpload(ctx, in); err != nil {
		t.Fatal(err)
	}
	if blobExists(t, s, oldBlob) {
		t.Fatal("the replaced null version's blob was not released")
	}
	// If-Match on a missing key is NoSuchKey.
	id = mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-cond"), Key: ptr("absent")})
	e = mpPart(t, s, "mp-cond", "absent", id, 1, "x").ETag
	_, err = s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: ptr("mp-cond"), Key: ptr("absent"), UploadId: &id, IfMatch: ptr("*"),
		MultipartUpload: &s3api.CompletedMultipartUpload{Parts: []s3api.CompletedPart{completed(1, e)}}})
	wantCode(t, err, "NoSuchKey")

	// In a versioned bucket the completed object is a new version.
	if err := s.updateBucket(ctx, "mp-cond", func(b *bucketRecord) error { b.Versioning = "Enabled"; return nil }); err != nil {
		t.Fatal(err)
	}
	id = mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-cond"), Key: ptr("k")})
	e = mpPart(t, s, "mp-cond", "k", id, 1, "v2").ETag
	out, err := mpComplete(s, "mp-cond", "k", id, completed(1, e))
	if err != nil || out.VersionId == nil || *out.VersionId == "null" {
		t.Fatalf("%v %+v", err, out)
	}
	body, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("mp-cond"), Key: ptr("k"), VersionId: ptr("null")})
	if body != "new" {
		t.Fatalf("null version %q", body)
	}
}

func TestCompletedLocation(t *testing.T) {
	httpReq := func(host string) *request.Info {
		r := httptest.NewRequest("GET", "http://"+host+"/", nil)
		return &request.Info{Endpoint: "http://" + host, HTTP: r}
	}
	tests := []struct {
		info *request.Info
		key  string
		want string
	}{
		{&request.Info{Endpoint: "http://127.0.0.1:4566"}, "a/b c", "http://127.0.0.1:4566/bkt/a/b%20c"},
		{httpReq("bkt.s3.localhost.localstack.cloud:4566"), "k", "http://bkt.s3.localhost.localstack.cloud:4566/k"},
		{httpReq("localhost:4566"), "k+1", "http://localhost:4566/bkt/k+1"},
		{&request.Info{Endpoint: "https://s3.example"}, "q?x", "https://s3.example/bkt/q%3Fx"},
	}
	for _, tc := range tests {
		if got := completedLocation(tc.info, "bkt", tc.key); got != tc.want {
			t.Errorf("completedLocation(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

func TestCreateMultipartUploadErrors(t *testing.T) {
	s := mpService(t, "mp-create", 1)
	tests := []struct {
		name string
		in   s3api.CreateMultipartUploadInput
		code string
	}{
		{"no bucket", s3api.CreateMultipartUploadInput{Bucket: ptr("missing-bucket")}, "NoSuchBucket"},
		{"storage class", s3api.CreateMultipartUploadInput{StorageClass: ptr("COLD")}, "InvalidStorageClass"},
		{"tagging", s3api.CreateMultipartUploadInput{Tagging: ptr("a=1&a=2")}, "InvalidArgument"},
		{"acl", s3api.CreateMultipartUploadInput{ACL: ptr("log-delivery-write")}, "InvalidArgument"},
		{"lock without lock bucket", s3api.CreateMultipartUploadInput{ObjectLockLegalHoldStatus: ptr("ON")}, "InvalidRequest"},
		{"expected owner", s3api.CreateMultipartUploadInput{ExpectedBucketOwner: ptr("111111111111")}, "AccessDenied"},
		{"key too long", s3api.CreateMultipartUploadInput{Key: ptr(strings.Repeat("k", 1025))}, "KeyTooLongError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.Bucket == nil {
				in.Bucket = ptr("mp-create")
			}
			if in.Key == nil {
				in.Key = ptr("k")
			}
			_, err := s.CreateMultipartUpload(context.Background(), &in)
			wantCode(t, err, tc.code)
		})
	}
}

func TestDeleteBucketDropsUploads(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-dropped", 1)
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-dropped"), Key: ptr("k")})
	mpPart(t, s, "mp-dropped", "k", id, 1, "x")
	blob := partBlobs(t, s, id)[1]
	if _, err := s.DeleteBucket(ctx, &s3api.DeleteBucketInput{Bucket: ptr("mp-dropped")}); err != nil {
		t.Fatal(err)
	}
	if blobExists(t, s, blob) {
		t.Fatal("part blob of a deleted bucket's upload was not released")
	}
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("mp-dropped")}); err != nil {
		t.Fatal(err)
	}
	l, err := s.ListMultipartUploads(ctx, &s3api.ListMultipartUploadsInput{Bucket: ptr("mp-dropped")})
	if err != nil || len(l.Uploads) != 0 {
		t.Fatalf("re-created bucket lists old uploads: %v %+v", err, l)
	}
	if got := partBlobs(t, s, id); len(got) != 0 {
		t.Fatalf("part rows left: %v", got)
	}
}

// zeros is an endless body that allocates nothing.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestUploadPartStreamsInConstantMemory(t *testing.T) {
	s := mpService(t, "mp-memory", 1)
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-memory"), Key: ptr("k"), ChecksumAlgorithm: ptr("CRC32C"), ChecksumType: ptr("FULL_OBJECT")})
	const size = 64 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := int32(1)
	out, err := s.UploadPart(context.Background(), &s3api.UploadPartInput{Bucket: ptr("mp-memory"), Key: ptr("k"), UploadId: &id, PartNumber: &n,
		Body: io.LimitReader(zeros{}, size), ContentLength: ptr(int64(size))})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Fatalf("a %d MiB part allocated %d bytes", size>>20, alloc)
	}
	if *out.ChecksumCRC32C != b64Digest("CRC32C", make([]byte, size)) {
		t.Fatalf("checksum %s", *out.ChecksumCRC32C)
	}
}

func TestUploadAbortDateFromLifecycle(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-abort-rule", 1)
	rule := func(id, prefix string, days int32) s3api.LifecycleRule {
		return s3api.LifecycleRule{ID: &id, Status: ptr("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: &prefix},
			AbortIncompleteMultipartUpload: &s3api.AbortIncompleteMultipartUpload{DaysAfterInitiation: &days}}
	}
	err := s.updateBucket(ctx, "mp-abort-rule", func(b *bucketRecord) error {
		b.Lifecycle = &s3api.BucketLifecycleConfiguration{Rules: []s3api.LifecycleRule{rule("all", "", 7), rule("logs", "logs/", 2)}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-abort-rule"), Key: ptr("logs/today")})
	if err != nil {
		t.Fatal(err)
	}
	if out.AbortRuleId == nil || *out.AbortRuleId != "logs" || out.AbortDate == nil || out.AbortDate.Before(time.Now().Add(48*time.Hour)) {
		t.Fatalf("abort %v %v", deref(out.AbortRuleId), out.AbortDate)
	}
	lp, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: ptr("mp-abort-rule"), Key: ptr("logs/today"), UploadId: out.UploadId})
	if err != nil || !lp.AbortDate.Equal(*out.AbortDate) || *lp.AbortRuleId != "logs" {
		t.Fatalf("%v %+v", err, lp)
	}
	out, err = s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-abort-rule"), Key: ptr("data")})
	if err != nil || deref(out.AbortRuleId) != "all" {
		t.Fatalf("%v %+v", err, out)
	}
}
