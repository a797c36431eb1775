package bolt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/bolt"
	"github.com/nimbus-cloud/nimbus/internal/storage/storetest"
)

func TestMain(m *testing.M) {
	// The crash test runs this binary again as the process it kills.
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func openIn(tb testing.TB, dir string, fsync bool) *bolt.DB {
	tb.Helper()
	db, err := bolt.Open(storage.Options{Dir: dir, Fsync: fsync})
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Backend { return openIn(t, t.TempDir(), false) })
}

func TestConformanceFsync(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Backend { return openIn(t, t.TempDir(), true) })
}

func BenchmarkEngine(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) storage.Backend { return openIn(b, b.TempDir(), false) })
}

func BenchmarkEngineFsync(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) storage.Backend { return openIn(b, b.TempDir(), true) })
}

func TestOpenOptions(t *testing.T) {
	tests := []struct {
		name string
		opts storage.Options
	}{
		{"no dir", storage.Options{}},
		{"ephemeral", storage.Options{Dir: t.TempDir(), Ephemeral: true}},
	}
	for _, tc := range tests {
		if db, err := bolt.Open(tc.opts); err == nil {
			db.Close()
			t.Errorf("%s: Open succeeded", tc.name)
		}
	}
}

func TestLayoutAndReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	db := openIn(t, dir, false)
	ctx := context.Background()
	if err := db.Update(ctx, func(tx storage.Tx) error {
		return tx.Put("buckets", []byte("photos"), []byte("meta"))
	}); err != nil {
		t.Fatal(err)
	}
	w, err := db.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("object body"))
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bolt.MetaFile, "blobs/tmp", "blobs/" + id[:2] + "/" + id} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("layout: %v", err)
		}
	}
	// A blob left half-written by a dead process.
	leftover := filepath.Join(dir, "blobs", "tmp", "0123456789abcdef0123456789abcdef")
	if err := os.WriteFile(leftover, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}

	db = openIn(t, dir, false)
	defer db.Close()
	if err := db.View(ctx, func(tx storage.Tx) error {
		v, err := tx.Get("buckets", []byte("photos"))
		if err != nil || string(v) != "meta" {
			t.Errorf("after reopen Get = %q, %v", v, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r, err := db.Blobs().Open(id)
	if err != nil {
		t.Fatalf("blob after reopen: %v", err)
	}
	r.Close()
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unfinished blob survived reopen: %v", err)
	}
}

// TestSecondOpenFails keeps two processes (or two Opens) from sharing one
// data directory; it waits out the lock timeout.
func TestSecondOpenFails(t *testing.T) {
	dir := t.TempDir()
	db := openIn(t, dir, false)
	defer db.Close()
	if db2, err := bolt.Open(storage.Options{Dir: dir}); err == nil {
		db2.Close()
		t.Fatal("a second Open of the same directory succeeded")
	}
}
