package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// freelistInFile reads the current meta page of a bbolt file and reports
// whether it points at a written free list.
func freelistInFile(t *testing.T, dir string) bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	// A page header (16 bytes), then the meta: magic, version, page size,
	// flags (4 bytes each), root bucket (16), free list page id, high
	// water mark, txid (8 each). Metas live in pages 0 and 1.
	pageSize := int(binary.LittleEndian.Uint32(raw[24:]))
	var freelist, txid uint64
	for _, off := range []int{0, pageSize} {
		m := raw[off+16:]
		if tx := binary.LittleEndian.Uint64(m[48:]); tx >= txid {
			txid, freelist = tx, binary.LittleEndian.Uint64(m[32:])
		}
	}
	return freelist != ^uint64(0)
}

// Commits leave the free list out of the file; Close writes it.
func TestFreelistWrittenByClose(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3 {
		if err := db.Update(ctx, func(tx storage.Tx) error {
			return tx.Put("t", []byte(fmt.Sprint(i)), make([]byte, 5000))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if freelistInFile(t, dir) {
		t.Fatal("a commit wrote the free list")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if !freelistInFile(t, dir) {
		t.Fatal("Close did not write the free list")
	}
	// Reopened, the store works on, and data is intact.
	db, err = Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(tx storage.Tx) error { return tx.Delete("t", []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db, "t"); len(got) == 0 || got[0] != '0' {
		t.Fatalf("t = %.40s", got)
	}
}

// BenchmarkUpdateAfterDeletes is a small object's commit in a database
// from which many were deleted: the free pages they left must not make
// every commit slower.
func BenchmarkUpdateAfterDeletes(b *testing.B) {
	db, err := Open(storage.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	body := make([]byte, 4096)
	key := func(i int) []byte { return binary.BigEndian.AppendUint64([]byte("k"), uint64(i)*0x9E3779B97F4A7C15) }
	const n = 20000
	for _, del := range []bool{false, true} {
		for i := 0; i < n; i += 100 {
			if err := db.Update(ctx, func(tx storage.Tx) error {
				for j := i; j < i+100; j++ {
					var err error
					if del {
						err = tx.Delete("bodies", key(j))
					} else {
						err = tx.Put("bodies", key(j), body)
					}
					if err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	i := n
	for b.Loop() {
		if err := db.Update(ctx, func(tx storage.Tx) error { return tx.Put("bodies", key(i), body) }); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
