package awschunked

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// FuzzReader feeds arbitrary bodies to the decoder: it must never panic,
// never yield more bytes than it was given, fail only with AWS errors, and
// decode the same way however the input is split.
func FuzzReader(f *testing.F) {
	f.Add([]byte("3\r\nabc\r\n0\r\n\r\n"))
	f.Add([]byte("3;chunk-signature=00\r\nabc\r\n0;chunk-signature=00\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"))
	f.Add(encode(bytes.Repeat([]byte("z"), 40), 16, [][2]string{{"x-amz-checksum-crc64nvme", "AAAAAAAAAAA="}}))
	f.Add([]byte("ffffffffffffffff\r\n"))
	f.Add([]byte("0\r\nx:y\r\nx-amz-trailer-signature:00\r\n\r\n"))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		opts := Options{MinChunkSize: 16, Trailers: nil}
		whole, errWhole := io.ReadAll(NewReader(bytes.NewReader(body), opts))
		if len(whole) > len(body) {
			t.Fatalf("decoded %d bytes from %d", len(whole), len(body))
		}
		if errWhole != nil {
			var ae *awserr.Error
			if !errors.As(errWhole, &ae) {
				t.Fatalf("non-AWS error %v", errWhole)
			}
		}
		split, errSplit := io.ReadAll(NewReader(iotest.OneByteReader(bytes.NewReader(body)), opts))
		if (errWhole == nil) != (errSplit == nil) || errWhole == nil && !bytes.Equal(whole, split) {
			t.Fatalf("split input decodes differently: %v / %v", errWhole, errSplit)
		}
	})
}
