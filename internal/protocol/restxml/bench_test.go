package restxml

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

func putObjectRequestHeaders() map[string]string {
	return map[string]string{
		"Content-Type": "application/octet-stream", "Content-Md5": "1B2M2Y8AsgTpgAj8fePCmA==",
		"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD", "X-Amz-Date": "20240301T123045Z",
		"Authorization":    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240301/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
		"X-Amz-Meta-Owner": "alice", "X-Amz-Meta-Pipeline": "ingest", "X-Amz-Storage-Class": "STANDARD",
		"X-Amz-Sdk-Checksum-Algorithm": "CRC32", "X-Amz-Checksum-Crc32": "AAAAAA==", "X-Amz-Tagging": "a=b",
		"User-Agent": "aws-sdk-go-v2/1.30.0",
	}
}

// BenchmarkDecodePutObject resolves and decodes a PutObject request (route,
// uri labels, headers, metadata, validation); the body is not read.
func BenchmarkDecodePutObject(b *testing.B) {
	var c Codec
	r := httptest.NewRequest("PUT", "/amzn-s3-demo-bucket/logs/2024/03/01/app-server-000001.log.gz", nil)
	for k, v := range putObjectRequestHeaders() {
		r.Header.Set(k, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		op, err := c.Operation(r, s3api.Service)
		if err != nil {
			b.Fatal(err)
		}
		var in s3api.PutObjectInput
		if err := c.Decode(r, s3api.Service, op, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeListObjectsV2 writes a response of 1000 keys.
func BenchmarkEncodeListObjectsV2(b *testing.B) {
	lm := time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC)
	out := &s3api.ListObjectsV2Output{Name: ptr("amzn-s3-demo-bucket"), KeyCount: ptr(int32(1000)), MaxKeys: ptr(int32(1000)), IsTruncated: ptr(true)}
	for i := range 1000 {
		out.Contents = append(out.Contents, s3api.Object{Key: ptr(fmt.Sprintf("logs/2024/03/01/app-server-%06d.log.gz", i)),
			LastModified: &lm, ETag: ptr(`"d41d8cd98f00b204e9800998ecf8427e"`), Size: ptr(int64(i)), StorageClass: ptr("STANDARD")})
	}
	op := s3api.Service.Op("ListObjectsV2")
	r := newRequest("GET", "/amzn-s3-demo-bucket?list-type=2", "", nil)
	var c Codec
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		if err := c.Encode(w, r, s3api.Service, op, out); err != nil {
			b.Fatal(err)
		}
	}
}
