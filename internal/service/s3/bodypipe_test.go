package s3

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

func TestCopyHashing(t *testing.T) {
	random := func(n int) []byte {
		b := make([]byte, n)
		r := rand.New(rand.NewPCG(1, uint64(n)))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	tests := []struct {
		name string
		size int
		src  func(b []byte) io.Reader
	}{
		{"empty", 0, func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"small", 100, func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"one chunk", pipeChunkSize, func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"chunk and a byte", pipeChunkSize + 1, func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"many chunks, one byte reads", 3*pipeChunkSize + 12345, func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
		{"data with EOF", 2*pipeChunkSize - 7, func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := random(tc.size)
			var out bytes.Buffer
			m, s := md5.New(), sha256.New()
			n, rerr, werr := copyHashing(&out, tc.src(data), []hash.Hash{m, s})
			if rerr != nil || werr != nil || n != int64(len(data)) {
				t.Fatalf("n=%d read=%v write=%v", n, rerr, werr)
			}
			if !bytes.Equal(out.Bytes(), data) {
				t.Fatal("written bytes differ")
			}
			wantMD5, wantSHA := md5.Sum(data), sha256.Sum256(data)
			if !bytes.Equal(m.Sum(nil), wantMD5[:]) || !bytes.Equal(s.Sum(nil), wantSHA[:]) {
				t.Fatal("hashes differ")
			}
		})
	}
}

var errDisk = errors.New("disk full")

type failingWriter struct{ after, wrote int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.wrote+len(p) > w.after {
		return 0, errDisk
	}
	w.wrote += len(p)
	return len(p), nil
}

// endless counts the bytes read from it and, once closed, reports reads.
type endless struct {
	read      atomic.Int64
	closed    atomic.Bool
	lateReads atomic.Int32
}

func (e *endless) Read(p []byte) (int, error) {
	if e.closed.Load() {
		e.lateReads.Add(1)
	}
	e.read.Add(int64(len(p)))
	return len(p), nil
}

func TestCopyHashingErrors(t *testing.T) {
	// A read error ends the copy with what came before it.
	src := io.MultiReader(strings.NewReader(strings.Repeat("a", pipeChunkSize+10)), iotest.ErrReader(io.ErrUnexpectedEOF))
	var out bytes.Buffer
	n, rerr, werr := copyHashing(&out, src, []hash.Hash{md5.New()})
	if !errors.Is(rerr, io.ErrUnexpectedEOF) || werr != nil || n != pipeChunkSize+10 {
		t.Fatalf("read error: n=%d read=%v write=%v", n, rerr, werr)
	}
	// A write error stops the reading of an endless body, and the body is
	// not read once copyHashing has returned.
	e := &endless{}
	_, rerr, werr = copyHashing(&failingWriter{after: 2 * pipeChunkSize}, e, []hash.Hash{md5.New()})
	e.closed.Store(true)
	if rerr != nil || !errors.Is(werr, errDisk) {
		t.Fatalf("write error: read=%v write=%v", rerr, werr)
	}
	if got := e.read.Load(); got > (4+pipeChunks)*pipeChunkSize {
		t.Fatalf("read %d bytes after the write failed", got)
	}
	if e.lateReads.Load() != 0 {
		t.Fatal("the body was read after copyHashing returned")
	}
}

// Bodies larger than the inline limit go through copyHashing: their
// errors are those of S3.
func TestLargeBodyErrors(t *testing.T) {
	s := newTestService(t)
	bucketForTest(t, s, "large", false)
	big := strings.Repeat("z", 3*pipeChunkSize/2)
	tests := []struct {
		name string
		body io.Reader
		size *int64
		code string
	}{
		{"short", strings.NewReader(big), ptr(int64(len(big) + 1)), "IncompleteBody"},
		{"long", strings.NewReader(big + "!"), ptr(int64(len(big))), "InvalidRequest"},
		{"cut, no length", io.MultiReader(strings.NewReader(big), iotest.ErrReader(io.ErrUnexpectedEOF)), nil, "IncompleteBody"},
	}
	for _, tc := range tests {
		_, err := s.PutObject(t.Context(), &s3api.PutObjectInput{Bucket: ptr("large"), Key: ptr("k"), Body: tc.body, ContentLength: tc.size})
		if err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		wantCode(t, err, tc.code)
	}
	out := putString(t, s, "large", "k", big)
	if want := etagOf(md5Sum(big)); *out.ETag != want {
		t.Fatalf("etag %s, want %s", *out.ETag, want)
	}
	if got, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("large"), Key: ptr("k")}); got != big {
		t.Fatal("body read back differs")
	}
}

func md5Sum(s string) []byte {
	sum := md5.Sum([]byte(s))
	return sum[:]
}
