package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbus-cloud/nimbus"
)

// streamSize is above 2 GiB so that every offset past int32 is crossed,
// and far above the heap bound so that buffering shows.
const (
	streamSize  = 3 << 30
	maxHeapUsed = 256 << 20
)

// generated is an object body made on the fly: byte i is a function of i
// alone, so any range can be produced again without keeping it anywhere.
// It is an io.ReadSeeker (the SDK rewinds bodies to sign and retry them)
// and an io.ReaderAt (the upload manager cuts parts from it).
type generated struct {
	size, pos int64
	seed      uint64
}

func (g *generated) Read(p []byte) (int, error) {
	n, err := g.ReadAt(p, g.pos)
	g.pos += int64(n)
	return n, err
}

func (g *generated) ReadAt(p []byte, off int64) (int, error) {
	if off >= g.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.size-off))
	fillGenerated(p[:n], off, g.seed)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (g *generated) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += g.pos
	case io.SeekEnd:
		offset += g.size
	}
	if offset < 0 {
		return 0, errors.New("seek before start")
	}
	g.pos = offset
	return offset, nil
}

// fillGenerated writes the bytes at [off, off+len(p)): little-endian
// 8-byte words, word w being a mix of w and the seed.
func fillGenerated(p []byte, off int64, seed uint64) {
	word := func(w uint64) uint64 { // the splitmix64 finaliser
		z := w*0x9e3779b97f4a7c15 + seed
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	var buf [8]byte
	if r := off % 8; r != 0 {
		binary.LittleEndian.PutUint64(buf[:], word(uint64(off/8)))
		n := copy(p, buf[r:])
		p, off = p[n:], off+int64(n)
	}
	w := uint64(off / 8)
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, word(w))
		p, w = p[8:], w+1
	}
	if len(p) > 0 {
		binary.LittleEndian.PutUint64(buf[:], word(w))
		copy(p, buf[:])
	}
}

func TestGeneratedBodyIsConsistent(t *testing.T) {
	g := &generated{size: 1000, seed: 7}
	whole, err := io.ReadAll(g)
	if err != nil || len(whole) != 1000 {
		t.Fatalf("ReadAll: %v, %d bytes", err, len(whole))
	}
	for _, r := range [][2]int{{0, 1}, {3, 17}, {8, 16}, {5, 1000}, {999, 1000}, {13, 14}} {
		p := make([]byte, r[1]-r[0])
		if _, err := g.ReadAt(p, int64(r[0])); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if !bytes.Equal(p, whole[r[0]:r[1]]) {
			t.Fatalf("ReadAt(%d..%d) differs from the sequential bytes", r[0], r[1])
		}
	}
	if _, err := g.Seek(500, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(g)
	if !bytes.Equal(rest, whole[500:]) {
		t.Fatal("Read after Seek differs")
	}
}

// generatedSHA256 is the SHA-256 of the first size bytes of seed's stream.
func generatedSHA256(t *testing.T, size int64, seed uint64) []byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, &generated{size: size, seed: seed}, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil)
}

// heapWatch samples this process's heap (the cloud runs in it) until
// stopped, and keeps the highest HeapInuse it saw.
type heapWatch struct {
	peak atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

func watchHeap() *heapWatch {
	runtime.GC()
	w := &heapWatch{stop: make(chan struct{})}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > w.peak.Load() {
				w.peak.Store(ms.HeapInuse)
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// check stops the sampling and fails the test when the heap grew past the
// bound at any moment.
func (w *heapWatch) check(t *testing.T, what string) {
	t.Helper()
	close(w.stop)
	w.done.Wait()
	peak := w.peak.Load()
	t.Logf("%s: peak HeapInuse %d MiB", what, peak>>20)
	if peak > maxHeapUsed {
		t.Errorf("%s: HeapInuse reached %d MiB for a %d MiB object; the body is being buffered", what, peak>>20, streamSize>>20)
	}
}

// downloadSHA256 streams an object (or a range of it) through SHA-256.
func downloadSHA256(t *testing.T, c *s3.Client, in *s3.GetObjectInput) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, out.Body, make([]byte, 1<<20))
	if err != nil {
		t.Fatalf("reading the body after %d bytes: %v", n, err)
	}
	if n != aws.ToInt64(out.ContentLength) {
		t.Fatalf("read %d bytes, Content-Length %d", n, aws.ToInt64(out.ContentLength))
	}
	return h.Sum(nil), out
}

// checkRanges compares ranges around the 2 GiB boundary and at the end of
// the object with the generator.
func checkRanges(t *testing.T, c *s3.Client, b, key string, seed uint64) {
	t.Helper()
	g := &generated{size: streamSize, seed: seed}
	for _, r := range [][2]int64{{1<<31 - 5, 1<<31 + 4}, {streamSize - 10, streamSize - 1}, {0, 99}} {
		out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, Range: aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1]))})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, r[1]-r[0]+1)
		_, _ = g.ReadAt(want, r[0])
		if !bytes.Equal(got, want) || aws.ToString(out.ContentRange) != fmt.Sprintf("bytes %d-%d/%d", r[0], r[1], int64(streamSize)) {
			t.Fatalf("range %v: %d bytes, Content-Range %s", r, len(got), aws.ToString(out.ContentRange))
		}
	}
}

func TestS3StreamLargeObject(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c := s3Client(cloud)
	b := bucketName("stream")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	const seed = 1
	want := generatedSHA256(t, streamSize, seed)
	wantB64 := base64.StdEncoding.EncodeToString(want)

	// One PutObject of the whole body: the SDK sends its SHA-256, which the
	// cloud computes again while storing and refuses on a mismatch.
	start := time.Now()
	heap := watchHeap()
	put, err := c.PutObject(ctx(t), &s3.PutObjectInput{
		Bucket: &b, Key: aws.String("single"), Body: &generated{size: streamSize, seed: seed},
		ContentLength: aws.Int64(streamSize), ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	heap.check(t, "PutObject")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.ChecksumSHA256) != wantB64 {
		t.Fatalf("PutObject ChecksumSHA256 %s, want %s", aws.ToString(put.ChecksumSHA256), wantB64)
	}
	t.Logf("PutObject of %d MiB: %v", streamSize>>20, time.Since(start))

	start = time.Now()
	heap = watchHeap()
	got, out := downloadSHA256(t, c, &s3.GetObjectInput{Bucket: &b, Key: aws.String("single"), ChecksumMode: types.ChecksumModeEnabled})
	heap.check(t, "GetObject")
	if !bytes.Equal(got, want) || aws.ToString(out.ChecksumSHA256) != wantB64 {
		t.Fatalf("GetObject: SHA-256 %x (header %s), want %x", got, aws.ToString(out.ChecksumSHA256), want)
	}
	t.Logf("GetObject of %d MiB: %v", streamSize>>20, time.Since(start))
	checkRanges(t, c, b, "single", seed)
}

func TestS3StreamLargeMultipart(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c := s3Client(cloud)
	b := bucketName("stream-mpu")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	const seed, partSize = 2, 64 << 20
	want := generatedSHA256(t, streamSize, seed)

	// The upload manager cuts parts straight from the io.ReaderAt, two at
	// a time, so nothing on the client side holds a part either.
	start := time.Now()
	heap := watchHeap()
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize, u.Concurrency = partSize, 2 })
	res, err := up.Upload(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("multi"), Body: &generated{size: streamSize, seed: seed}})
	heap.check(t, "multipart upload")
	if err != nil {
		t.Fatal(err)
	}
	parts := (streamSize + partSize - 1) / partSize
	if etag := aws.ToString(res.ETag); !bytes.HasSuffix([]byte(etag), fmt.Appendf(nil, "-%d\"", parts)) {
		t.Fatalf("multipart ETag %s, want %d parts", etag, parts)
	}
	t.Logf("multipart upload of %d MiB in %d parts: %v", streamSize>>20, parts, time.Since(start))

	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("multi"), PartNumber: aws.Int32(int32(parts))})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(streamSize-(parts-1)*partSize) || aws.ToInt32(head.PartsCount) != int32(parts) {
		t.Fatalf("HeadObject of the last part: %v %+v", err, head)
	}

	start = time.Now()
	heap = watchHeap()
	got, out := downloadSHA256(t, c, &s3.GetObjectInput{Bucket: &b, Key: aws.String("multi")})
	heap.check(t, "multipart GetObject")
	if !bytes.Equal(got, want) || aws.ToInt64(out.ContentLength) != streamSize {
		t.Fatalf("GetObject: SHA-256 %x, want %x", got, want)
	}
	t.Logf("GetObject of %d MiB: %v", streamSize>>20, time.Since(start))
	checkRanges(t, c, b, "multi", seed)
}
