package memory_test

import (
	"os"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/memory"
	"github.com/nimbus-cloud/nimbus/internal/storage/storetest"
)

func open(tb testing.TB) storage.Backend {
	tb.Helper()
	db, err := memory.Open(storage.Options{Ephemeral: true})
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Backend { return open(t) })
}

func BenchmarkEngine(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) storage.Backend { return open(b) })
}

func TestOpenRejectsDir(t *testing.T) {
	if db, err := memory.Open(storage.Options{Ephemeral: true, Dir: t.TempDir()}); err == nil {
		db.Close()
		t.Fatal("Open with a Dir succeeded")
	}
}

// TestCloseRemovesBlobDir checks that an ephemeral store leaves nothing
// behind on disk.
func TestCloseRemovesBlobDir(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	db, err := memory.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	w, err := db.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("body"))
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	pending, err := db.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(os.Getenv("TMPDIR"))
	if len(entries) != 1 {
		t.Fatalf("TMPDIR holds %d entries while open; want the one blob directory", len(entries))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pending.Commit(); err == nil {
		t.Error("Commit of a blob begun before Close succeeded")
	}
	entries, _ = os.ReadDir(os.Getenv("TMPDIR"))
	if len(entries) != 0 {
		t.Fatalf("after Close TMPDIR still holds %v", entries)
	}
}
