package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// commitBlob writes data as a new blob and returns its id.
func commitBlob(t testing.TB, bs storage.BlobStore, data []byte) string {
	t.Helper()
	w, err := bs.Create()
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	id, err := w.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return id
}

// writeBlob is commitBlob for goroutines other than the test's.
func writeBlob(bs storage.BlobStore, data []byte) (string, error) {
	w, err := bs.Create()
	if err != nil {
		return "", err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return "", err
	}
	return w.Commit()
}

func readBlob(t *testing.T, bs storage.BlobStore, id string) []byte {
	t.Helper()
	r, err := bs.Open(id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading blob %s: %v", id, err)
	}
	if int64(len(data)) != r.Size() {
		t.Fatalf("blob %s: read %d bytes, Size() = %d", id, len(data), r.Size())
	}
	return data
}

func testBlobLifecycle(t *testing.T, b storage.Backend) {
	bs := b.Blobs()
	want := []byte("hello, blob world: 0123456789")
	w, err := bs.Create()
	if err != nil {
		t.Fatal(err)
	}
	// In pieces, through both Write and ReadFrom.
	if _, err := w.Write(want[:5]); err != nil {
		t.Fatal(err)
	}
	if n, err := w.ReadFrom(bytes.NewReader(want[5:])); err != nil || n != int64(len(want)-5) {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatal("Commit returned an empty id")
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Commit succeeded")
	}
	if _, err := w.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit = %v; want nil (a deferred Abort is harmless)", err)
	}
	if got := readBlob(t, bs, id); !bytes.Equal(got, want) {
		t.Fatalf("blob = %q; want %q", got, want)
	}

	r, err := bs.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if n, err := r.ReadAt(buf, 7); err != nil || string(buf[:n]) != "blob" {
		t.Errorf("ReadAt(7) = %q, %v", buf[:n], err)
	}
	if n, err := r.ReadAt(make([]byte, 10), r.Size()-3); n != 3 || err != io.EOF {
		t.Errorf("ReadAt past the end = %d, %v; want 3, EOF", n, err)
	}
	if pos, err := r.Seek(-4, io.SeekEnd); err != nil || pos != int64(len(want)-4) {
		t.Errorf("Seek(-4, End) = %d, %v", pos, err)
	}
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "6789" {
		t.Errorf("read after Seek = %q, %v", rest, err)
	}
	if pos, err := r.Seek(6, io.SeekStart); err != nil || pos != 6 {
		t.Errorf("Seek(6, Start) = %d, %v", pos, err)
	}
	if n, err := io.ReadFull(r, buf); err != nil || string(buf[:n]) != " blo" {
		t.Errorf("read after Seek(6) = %q, %v", buf[:n], err)
	}

	if err := bs.Delete(id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	// A reader opened before the Delete keeps its bytes.
	if n, err := r.ReadAt(buf, 0); err != nil || string(buf[:n]) != "hell" {
		t.Errorf("ReadAt on a blob deleted while open = %q, %v", buf[:n], err)
	}
	r.Close()
	if _, err := bs.Open(id); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Open after Delete = %v; want ErrNotFound", err)
	}
	if err := bs.Delete(id); err != nil {
		t.Errorf("second Delete = %v; want nil", err)
	}
}

func testBlobAbort(t *testing.T, b storage.Backend) {
	bs := b.Blobs()
	w, err := bs.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("discard me"))
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort = %v", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Abort succeeded")
	}
	if id, err := w.Commit(); err == nil {
		t.Errorf("Commit after Abort returned blob %q", id)
	}
}

func testBlobEmpty(t *testing.T, b storage.Backend) {
	w, err := b.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, b.Blobs(), id); len(got) != 0 {
		t.Fatalf("empty blob reads %q", got)
	}
}

func testBlobBadIDs(t *testing.T, b storage.Backend) {
	bs := b.Blobs()
	id := commitBlob(t, bs, []byte("x"))
	for _, bad := range []string{"", "..", "../meta.db", "/etc/passwd", "tmp", id[:len(id)-1], id + "0", "ZZ" + id[2:]} {
		if _, err := bs.Open(bad); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Open(%q) = %v; want ErrNotFound", bad, err)
		}
		if err := bs.Delete(bad); err != nil {
			t.Errorf("Delete(%q) = %v; want nil", bad, err)
		}
	}
	if got := readBlob(t, bs, id); string(got) != "x" {
		t.Fatalf("blob damaged by bad ids: %q", got)
	}
}

func testBlobConcurrentWriters(t *testing.T, b storage.Backend) {
	const writers, each = 4, 25
	bs := b.Blobs()
	var (
		mu  sync.Mutex
		ids = map[string][]byte{}
		wg  sync.WaitGroup
	)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				data := bytes.Repeat([]byte{byte(g), byte(i)}, 100*i+1)
				id, err := writeBlob(bs, data)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if _, dup := ids[id]; dup {
					t.Errorf("blob id %s handed out twice", id)
				}
				ids[id] = data
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(ids) != writers*each {
		t.Fatalf("%d distinct blobs; want %d", len(ids), writers*each)
	}
	for id, want := range ids {
		if got := readBlob(t, bs, id); !bytes.Equal(got, want) {
			t.Fatalf("blob %s holds another writer's bytes", id)
		}
	}
}

// patternReader yields n bytes of a cheap deterministic pattern without
// holding them in memory.
type patternReader struct {
	n, off int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if rem := p.n - p.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	for i := range b {
		x := uint64(p.off + int64(i))
		b[i] = byte(x ^ x>>8 ^ x>>19)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// testBlobLargeStreamed writes 64 MiB through ReadFrom and checks that the
// bytes arrive intact and that the write did not allocate anything near the
// size of the blob: bodies must stream, whatever their size.
func testBlobLargeStreamed(t *testing.T, b storage.Backend) {
	const size = 64 << 20
	want := sha256.New()
	if _, err := io.Copy(want, &patternReader{n: size}); err != nil {
		t.Fatal(err)
	}
	w, err := b.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := w.ReadFrom(&patternReader{n: size})
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("streaming %d MiB allocated %d bytes: the body is being buffered", size>>20, alloc)
	}
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Blobs().Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != size {
		t.Fatalf("Size = %d; want %d", r.Size(), size)
	}
	got := sha256.New()
	if _, err := io.Copy(got, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("64 MiB blob read back with different contents")
	}
	tail := make([]byte, 1000)
	if _, err := r.ReadAt(tail, size-1000); err != nil {
		t.Fatal(err)
	}
	ref := make([]byte, 1000)
	(&patternReader{n: size, off: size - 1000}).Read(ref)
	if !bytes.Equal(tail, ref) {
		t.Fatal("ReadAt near the end of the 64 MiB blob returned other bytes")
	}
}
