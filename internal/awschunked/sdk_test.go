package awschunked

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbus-cloud/nimbus/internal/checksum"
)

// The S3 client sends an unseekable body over TLS as aws-chunked with the
// checksum in a trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER); the Reader must
// decode exactly what the SDK encoded.
func TestSDKTrailingChecksumUpload(t *testing.T) {
	type upload struct {
		body    []byte
		trailer http.Header
		header  http.Header
		err     error
	}
	got := make(chan upload, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := upload{header: r.Header.Clone()}
		length, ok := DecodedLength(r.Header)
		cr := NewReader(r.Body, Options{CheckLength: ok, DecodedLength: length, MinChunkSize: 8192, Trailers: Trailers(r.Header)})
		u.body, u.err = io.ReadAll(cr)
		u.trailer = cr.Trailer()
		got <- u
		w.Header().Set("ETag", `"0"`)
	}))
	defer srv.Close()

	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		HTTPClient:   srv.Client(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
	for name, tc := range map[string]struct {
		size int
		alg  types.ChecksumAlgorithm
		want checksum.Algorithm
	}{
		"small crc32":     {size: 11, alg: types.ChecksumAlgorithmCrc32, want: checksum.CRC32},
		"multi-chunk c":   {size: 200000, alg: types.ChecksumAlgorithmCrc32c, want: checksum.CRC32C},
		"crc64nvme":       {size: 70000, alg: types.ChecksumAlgorithmCrc64nvme, want: checksum.CRC64NVME},
		"sha256 one byte": {size: 1, alg: types.ChecksumAlgorithmSha256, want: checksum.SHA256},
		"sha1 exact 64k":  {size: 65536, alg: types.ChecksumAlgorithmSha1, want: checksum.SHA1},
	} {
		t.Run(name, func(t *testing.T) {
			payload := bytes.Repeat([]byte("nimbus!"), tc.size/7+1)[:tc.size]
			_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
				Bucket:            aws.String("bucket"),
				Key:               aws.String("key"),
				Body:              struct{ io.Reader }{bytes.NewReader(payload)}, // unseekable
				ContentLength:     aws.Int64(int64(tc.size)),
				ChecksumAlgorithm: tc.alg,
			})
			if err != nil {
				t.Fatal(err)
			}
			u := <-got
			if u.err != nil {
				t.Fatal(u.err)
			}
			if !IsChunked(u.header) {
				t.Fatalf("the SDK did not send aws-chunked: %v", u.header)
			}
			if !bytes.Equal(u.body, payload) {
				t.Fatalf("decoded %d bytes, want %d", len(u.body), len(payload))
			}
			if want := checksum.Sum(tc.want, payload); u.trailer.Get(tc.want.Header()) != want {
				t.Fatalf("trailer %v, want %s=%s", u.trailer, tc.want.Header(), want)
			}
		})
	}
}
