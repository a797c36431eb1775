package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/nimbus-cloud/nimbus"
)

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("got error %v (code %q), want %s", err, got, code)
	}
}

func TestS3SDKBucketsAndObjects(t *testing.T) {
	cloud := nimbus.Start(t)
	c := s3Client(cloud)
	b := bucketName("sdk")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("Invalid_Name")})
	wantAPIError(t, err, "InvalidBucketName")
	_, err = c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket-here")})
	wantAPIError(t, err, "NotFound")

	lb, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || *lb.Buckets[0].Name != b {
		t.Fatalf("ListBuckets: %v %+v", err, lb)
	}

	body := []byte("hello, nimbus")
	put, err := c.PutObject(ctx(t), &s3.PutObjectInput{
		Bucket: &b, Key: aws.String("dir/hello.txt"), Body: bytes.NewReader(body),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"color": "blue"},
		Tagging: aws.String("a=1&b=2"),
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	if want := `"` + hex.EncodeToString(sum[:]) + `"`; aws.ToString(put.ETag) != want {
		t.Fatalf("ETag %s, want %s", aws.ToString(put.ETag), want)
	}
	got, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/hello.txt")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != string(body) || aws.ToString(got.ContentType) != "text/plain" || got.Metadata["color"] != "blue" || aws.ToInt32(got.TagCount) != 2 {
		t.Fatalf("GetObject: %q %+v", data, got)
	}
	rng, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/hello.txt"), Range: aws.String("bytes=7-")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(rng.Body)
	rng.Body.Close()
	if string(data) != "nimbus" || aws.ToString(rng.ContentRange) != "bytes 7-12/13" {
		t.Fatalf("range: %q %v", data, aws.ToString(rng.ContentRange))
	}
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/hello.txt"), Range: aws.String("bytes=100-")})
	wantAPIError(t, err, "InvalidRange")
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("missing")})
	wantAPIError(t, err, "NoSuchKey")
	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("missing")})
	wantAPIError(t, err, "NotFound")
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/hello.txt"), IfMatch: aws.String(`"nope"`)})
	wantAPIError(t, err, "PreconditionFailed")
	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("dir/hello.txt"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	wantAPIError(t, err, "PreconditionFailed")

	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("dir/hello.txt")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) {
		t.Fatalf("HeadObject: %v %+v", err, head)
	}
	_, err = c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b})
	wantAPIError(t, err, "BucketNotEmpty")
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("dir/hello.txt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
}

func TestS3SDKChecksums(t *testing.T) {
	cloud := nimbus.Start(t)
	// The SDK's default: it computes a CRC32 for every upload and checks
	// the checksums of downloads.
	c := s3Client(cloud)
	b := bucketName("cks")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	for _, algo := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
		key := "obj-" + string(algo)
		put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: strings.NewReader(strings.Repeat("checksum ", 1000)), ChecksumAlgorithm: algo})
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		got, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		if _, err := io.ReadAll(got.Body); err != nil {
			t.Fatalf("%s: reading body: %v", algo, err)
		}
		got.Body.Close()
		var p, g *string
		switch algo {
		case types.ChecksumAlgorithmCrc32:
			p, g = put.ChecksumCRC32, got.ChecksumCRC32
		case types.ChecksumAlgorithmCrc32c:
			p, g = put.ChecksumCRC32C, got.ChecksumCRC32C
		case types.ChecksumAlgorithmCrc64nvme:
			p, g = put.ChecksumCRC64NVME, got.ChecksumCRC64NVME
		case types.ChecksumAlgorithmSha1:
			p, g = put.ChecksumSHA1, got.ChecksumSHA1
		case types.ChecksumAlgorithmSha256:
			p, g = put.ChecksumSHA256, got.ChecksumSHA256
		}
		if p == nil || g == nil || *p != *g {
			t.Fatalf("%s: put checksum %v, get checksum %v", algo, aws.ToString(p), aws.ToString(g))
		}
	}
	// A wrong Content-MD5 is refused and stores nothing.
	_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad-md5"), Body: strings.NewReader("data"), ContentMD5: aws.String("1B2M2Y8AsgTpgAmY7PhCfg==")})
	wantAPIError(t, err, "BadDigest")
	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("bad-md5")})
	wantAPIError(t, err, "NotFound")
}

func TestS3SDKListPagination(t *testing.T) {
	cloud := nimbus.Start(t)
	c := s3Client(cloud)
	b := bucketName("list")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 25 {
		key := fmt.Sprintf("k/%03d", i)
		if i%5 == 0 {
			key = fmt.Sprintf("k/sub%d/x", i)
		}
		want = append(want, key)
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &b, MaxKeys: aws.Int32(7)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Contents {
			keys = append(keys, *o.Key)
		}
	}
	if len(keys) != 25 || pages != 4 {
		t.Fatalf("got %d keys in %d pages", len(keys), pages)
	}
	del, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String("k/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.CommonPrefixes) != 5 || len(del.Contents) != 20 {
		t.Fatalf("delimiter: %d prefixes, %d keys", len(del.CommonPrefixes), len(del.Contents))
	}
}

func TestS3SDKVersioning(t *testing.T) {
	cloud := nimbus.Start(t)
	c := s3Client(cloud)
	b := bucketName("ver")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	v1, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("one")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("two")}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil || !aws.ToBool(d.DeleteMarker) {
		t.Fatalf("delete: %v %+v", err, d)
	}
	vs, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b})
	if err != nil || len(vs.Versions) != 2 || len(vs.DeleteMarkers) != 1 {
		t.Fatalf("versions: %v %+v", err, vs)
	}
	old, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: v1.VersionId})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(old.Body)
	old.Body.Close()
	if string(data) != "one" {
		t.Fatalf("v1 = %q", data)
	}
}

func TestS3SDKMultipartManager(t *testing.T) {
	cloud := nimbus.Start(t)
	c := s3Client(cloud)
	b := bucketName("mpu")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB: 4 parts of 5 MiB
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
	res, err := up.Upload(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("big"), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(aws.ToString(res.ETag), `-4"`) {
		t.Fatalf("multipart ETag %s", aws.ToString(res.ETag))
	}
	buf := manager.NewWriteAtBuffer(nil)
	dl := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize = 3 << 20 })
	n, err := dl.Download(ctx(t), buf, &s3.GetObjectInput{Bucket: &b, Key: aws.String("big")})
	if err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("download: %v, %d bytes", err, n)
	}
}

func TestS3SDKPresignedURLs(t *testing.T) {
	cloud := nimbus.Start(t)
	c := s3Client(cloud)
	b := bucketName("presign")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	ps := s3.NewPresignClient(c)
	putReq, err := ps.PresignPutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("p")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, putReq.URL, strings.NewReader("presigned body"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %v %v", err, resp)
	}
	resp.Body.Close()
	getReq, err := ps.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("p")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(getReq.URL)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(data) != "presigned body" {
		t.Fatalf("presigned GET: %d %q", resp.StatusCode, data)
	}
}

func TestS3SDKRestartKeepsData(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c := s3Client(cloud)
	b := bucketName("restart")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("persisted")}); err != nil {
		t.Fatal(err)
	}
	cloud.Restart()
	c = s3Client(cloud)
	got, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != "persisted" {
		t.Fatalf("after restart: %q", data)
	}
}
