package blobfs_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/blobfs"
)

func open(t *testing.T, dir string, fsync bool) *blobfs.Store {
	t.Helper()
	s, err := blobfs.Open(dir, fsync)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestLayout(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		dir := t.TempDir()
		s := open(t, dir, fsync)
		w, err := s.Create()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("body"))
		tmp := filepath.Join(dir, "blobs", "tmp")
		if n := len(entries(t, tmp)); n != 1 {
			t.Fatalf("fsync=%v: %d files in tmp/ while writing; want 1", fsync, n)
		}
		id, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if n := len(entries(t, tmp)); n != 0 {
			t.Errorf("fsync=%v: %d files left in tmp/ after Commit", fsync, n)
		}
		data, err := os.ReadFile(filepath.Join(dir, "blobs", id[:2], id))
		if err != nil || string(data) != "body" {
			t.Errorf("fsync=%v: committed file = %q, %v", fsync, data, err)
		}
		// A second blob in the same fan-out directory, which now exists.
		w2, _ := s.Create()
		id2, err := w2.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(id2); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAbortRemovesTempFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, false)
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte("x"), 1<<20))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if names := entries(t, filepath.Join(dir, "blobs", "tmp")); len(names) != 0 {
		t.Fatalf("tmp/ after Abort: %v", names)
	}
}

func TestOpenClearsUnfinishedBlobs(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, false)
	w, _ := s.Create()
	w.Write([]byte("never committed"))
	keep, _ := s.Create()
	keep.Write([]byte("kept"))
	id, err := keep.Commit()
	if err != nil {
		t.Fatal(err)
	}
	// A process that dies here leaves w's file behind.
	s = open(t, dir, false)
	if names := entries(t, filepath.Join(dir, "blobs", "tmp")); len(names) != 0 {
		t.Fatalf("tmp/ after reopen: %v", names)
	}
	r, err := s.Open(id)
	if err != nil {
		t.Fatalf("committed blob lost at reopen: %v", err)
	}
	r.Close()
}

func TestCommitAfterCloseDiscards(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, false)
	w, _ := s.Create()
	w.Write([]byte("late"))
	s.Close()
	if _, err := w.Commit(); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Commit after Close = %v; want ErrClosed", err)
	}
	if names := entries(t, filepath.Join(dir, "blobs", "tmp")); len(names) != 0 {
		t.Fatalf("tmp/ after a refused Commit: %v", names)
	}
}

// TestServeContent serves a blob the way the S3 GetObject handler will, with
// a Range, through a real TCP connection, where net/http can use sendfile
// because *Blob exposes its file descriptor.
func TestServeContent(t *testing.T) {
	s := open(t, t.TempDir(), false)
	want := bytes.Repeat([]byte("0123456789"), 100000)
	w, _ := s.Create()
	w.Write(want)
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, err := s.Open(id)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		defer b.Close()
		if _, ok := b.(syscall.Conn); !ok {
			t.Error("Blob does not expose its file descriptor")
		}
		if f := b.(*blobfs.Blob).File(); f == nil {
			t.Error("File() = nil")
		}
		http.ServeContent(rw, r, "", time.Time{}, b)
	}))
	defer srv.Close()
	tests := []struct {
		rangeHeader string
		status      int
		want        []byte
	}{
		{"", http.StatusOK, want},
		{"bytes=5-14", http.StatusPartialContent, want[5:15]},
		{"bytes=999990-", http.StatusPartialContent, want[999990:]},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if tc.rangeHeader != "" {
			req.Header.Set("Range", tc.rangeHeader)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.status || !bytes.Equal(got, tc.want) {
			t.Errorf("Range %q: status %d, %d bytes, %v; want %d, %d bytes",
				tc.rangeHeader, resp.StatusCode, len(got), err, tc.status, len(tc.want))
		}
	}
}
