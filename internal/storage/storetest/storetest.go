// Package storetest is the conformance suite every storage engine passes:
// the same tests, run against each engine's Backend, pin down the contract
// written in package storage (ordering, ranges, isolation, rollback, blobs,
// Close) so that services behave the same on every engine.
package storetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Run runs the suite. open returns a new, empty backend for each subtest;
// the suite closes it.
func Run(t *testing.T, open func(t *testing.T) storage.Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b storage.Backend)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"EmptyValue", testEmptyValue},
		{"PutCopiesBuffers", testPutCopiesBuffers},
		{"InvalidWrites", testInvalidWrites},
		{"TableIsolation", testTableIsolation},
		{"DropTable", testDropTable},
		{"ScanRanges", testScanRanges},
		{"ScanMatchesReference", testScanMatchesReference},
		{"ScanLargeTable", testScanLargeTable},
		{"ScanEarlyStop", testScanEarlyStop},
		{"ScanMissingTable", testScanMissingTable},
		{"ScanSeesOwnWrites", testScanSeesOwnWrites},
		{"Rollback", testRollback},
		{"RollbackOnPanic", testRollbackOnPanic},
		{"ViewCannotWrite", testViewCannotWrite},
		{"TxUnusableAfterEnd", testTxUnusableAfterEnd},
		{"CanceledContext", testCanceledContext},
		{"SnapshotIsolation", testSnapshotIsolation},
		{"ConcurrentUpdatesSerialised", testConcurrentUpdates},
		{"BlobLifecycle", testBlobLifecycle},
		{"BlobAbort", testBlobAbort},
		{"BlobEmpty", testBlobEmpty},
		{"BlobBadIDs", testBlobBadIDs},
		{"BlobConcurrentWriters", testBlobConcurrentWriters},
		{"BlobLargeStreamed", testBlobLargeStreamed},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := open(t)
			t.Cleanup(func() { b.Close() })
			tc.fn(t, b)
		})
	}
}

var errBoom = errors.New("storetest: boom")

func update(t *testing.T, b storage.Backend, fn func(tx storage.Tx) error) {
	t.Helper()
	if err := b.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, b storage.Backend, fn func(tx storage.Tx) error) {
	t.Helper()
	if err := b.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// get reads one key in its own View; ok is false for ErrNotFound.
func get(t *testing.T, b storage.Backend, table, key string) (value string, ok bool) {
	t.Helper()
	view(t, b, func(tx storage.Tx) error {
		v, err := tx.Get(table, []byte(key))
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		value, ok = string(v), true
		return nil
	})
	return value, ok
}

func put(t *testing.T, b storage.Backend, table string, kv ...string) {
	t.Helper()
	update(t, b, func(tx storage.Tx) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if err := tx.Put(table, []byte(kv[i]), []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
}

// keys returns every key of table in order, as one string for comparison.
func keys(t *testing.T, b storage.Backend, table string) string {
	t.Helper()
	var got []string
	view(t, b, func(tx storage.Tx) error {
		return tx.Scan(table, storage.Range{}, func(k, v []byte) bool {
			got = append(got, string(k)+"="+string(v))
			return true
		})
	})
	return strings.Join(got, ",")
}

func testGetPutDelete(t *testing.T, b storage.Backend) {
	if _, ok := get(t, b, "t", "k"); ok {
		t.Fatal("Get in a missing table found a value")
	}
	put(t, b, "t", "k", "v1", "\x00\xff", "binary")
	if v, ok := get(t, b, "t", "k"); !ok || v != "v1" {
		t.Fatalf("Get k = %q, %v; want v1", v, ok)
	}
	if v, ok := get(t, b, "t", "\x00\xff"); !ok || v != "binary" {
		t.Fatalf("Get binary key = %q, %v", v, ok)
	}
	put(t, b, "t", "k", "v2")
	if v, _ := get(t, b, "t", "k"); v != "v2" {
		t.Fatalf("after overwrite Get k = %q; want v2", v)
	}
	update(t, b, func(tx storage.Tx) error {
		if err := tx.Delete("t", []byte("k")); err != nil {
			return err
		}
		if _, err := tx.Get("t", []byte("k")); !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("Get after Delete in the same Update: %v; want ErrNotFound", err)
		}
		if err := tx.Delete("t", []byte("never-there")); err != nil {
			return fmt.Errorf("Delete of a missing key: %v", err)
		}
		if err := tx.Delete("no-such-table", []byte("k")); err != nil {
			return fmt.Errorf("Delete in a missing table: %v", err)
		}
		return nil
	})
	view(t, b, func(tx storage.Tx) error {
		if _, err := tx.Get("t", []byte("k")); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Get deleted key: %v; want ErrNotFound", err)
		}
		if _, err := tx.Get("t", []byte("missing")); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Get missing key: %v; want ErrNotFound", err)
		}
		if _, err := tx.Get("nope", []byte("k")); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Get in missing table: %v; want ErrNotFound", err)
		}
		return nil
	})
	update(t, b, func(tx storage.Tx) error {
		if err := tx.Put("t", []byte("own"), []byte("write")); err != nil {
			return err
		}
		v, err := tx.Get("t", []byte("own"))
		if err != nil || string(v) != "write" {
			return fmt.Errorf("Update does not read its own write: %q, %v", v, err)
		}
		return nil
	})
}

func testEmptyValue(t *testing.T, b storage.Backend) {
	update(t, b, func(tx storage.Tx) error {
		if err := tx.Put("t", []byte("nil"), nil); err != nil {
			return err
		}
		return tx.Put("t", []byte("empty"), []byte{})
	})
	// Enough other writes that the empty values leave the writer's
	// in-memory node and are read back from a page.
	update(t, b, func(tx storage.Tx) error {
		for i := range 2000 {
			if err := tx.Put("t", fmt.Appendf(nil, "filler-%05d", i), bytes.Repeat([]byte{'x'}, 64)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, k := range []string{"nil", "empty"} {
		if v, ok := get(t, b, "t", k); !ok || v != "" {
			t.Errorf("Get %s = %q, found %v; want an empty value that exists", k, v, ok)
		}
	}
}

func testPutCopiesBuffers(t *testing.T, b storage.Backend) {
	update(t, b, func(tx storage.Tx) error {
		k, v := []byte("key"), []byte("value")
		if err := tx.Put("t", k, v); err != nil {
			return err
		}
		copy(k, "XXX")
		copy(v, "XXXXX")
		return nil
	})
	if v, ok := get(t, b, "t", "key"); !ok || v != "value" {
		t.Fatalf("Get key = %q, %v: Put kept the caller's buffers", v, ok)
	}
	if got := keys(t, b, "t"); got != "key=value" {
		t.Fatalf("table = %s", got)
	}
}

func testDropTable(t *testing.T, b storage.Backend) {
	put(t, b, "a", "k1", "1", "k2", "2")
	put(t, b, "b", "k1", "other")
	var many []string
	for i := range 5000 {
		many = append(many, fmt.Sprintf("key-%05d", i), strings.Repeat("v", 100))
	}
	put(t, b, "big", many...)
	update(t, b, func(tx storage.Tx) error {
		if err := tx.DropTable("a"); err != nil {
			return err
		}
		if _, err := tx.Get("a", []byte("k1")); !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("Get after DropTable in the same Update: %v; want ErrNotFound", err)
		}
		if err := tx.DropTable("never-there"); err != nil {
			return fmt.Errorf("DropTable of a missing table: %v", err)
		}
		return tx.DropTable("big")
	})
	if got := keys(t, b, "a") + keys(t, b, "big"); got != "" {
		t.Fatalf("dropped tables still hold %.80s", got)
	}
	if got := keys(t, b, "b"); got != "k1=other" {
		t.Fatalf("a neighbour of the dropped table holds %s", got)
	}
	// A dropped table can be written again, and a rolled-back drop
	// changes nothing.
	put(t, b, "a", "k3", "3")
	err := b.Update(context.Background(), func(tx storage.Tx) error {
		if err := tx.DropTable("a"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v; want errBoom", err)
	}
	if got := keys(t, b, "a"); got != "k3=3" {
		t.Fatalf("after a rolled-back drop, table = %s", got)
	}
	err = b.View(context.Background(), func(tx storage.Tx) error { return tx.DropTable("a") })
	if err == nil {
		t.Fatal("DropTable in a View succeeded")
	}
}

func testInvalidWrites(t *testing.T, b storage.Backend) {
	tests := []struct {
		name string
		fn   func(tx storage.Tx) error
	}{
		{"empty key", func(tx storage.Tx) error { return tx.Put("t", nil, []byte("v")) }},
		{"empty table", func(tx storage.Tx) error { return tx.Put("", []byte("k"), []byte("v")) }},
		{"key over 32 KiB", func(tx storage.Tx) error { return tx.Put("t", make([]byte, 32769), nil) }},
		{"delete empty key", func(tx storage.Tx) error { return tx.Delete("t", nil) }},
	}
	for _, tc := range tests {
		err := b.Update(context.Background(), func(tx storage.Tx) error {
			if err := tx.Put("t", []byte("before"), []byte("x")); err != nil {
				return err
			}
			return tc.fn(tx)
		})
		if err == nil {
			t.Errorf("%s: Update succeeded; want an error", tc.name)
		}
	}
	if got := keys(t, b, "t"); got != "" {
		t.Fatalf("failed Updates left %s", got)
	}
	put(t, b, "t", strings.Repeat("k", 32768), "max key")
	if v, _ := get(t, b, "t", strings.Repeat("k", 32768)); v != "max key" {
		t.Fatalf("32 KiB key: got %q", v)
	}
}

func testTableIsolation(t *testing.T, b storage.Backend) {
	tables := []string{"t", "t\x00", "t\x00x", "ta", "u"}
	for _, table := range tables {
		put(t, b, table, "a", table+"/a", "z", table+"/z")
	}
	for _, table := range tables {
		want := "a=" + table + "/a,z=" + table + "/z"
		if got := keys(t, b, table); got != want {
			t.Errorf("table %q = %q; want %q", table, got, want)
		}
		var rev []string
		view(t, b, func(tx storage.Tx) error {
			return tx.Scan(table, storage.Range{Reverse: true}, func(k, v []byte) bool {
				rev = append(rev, string(v))
				return true
			})
		})
		if got, want := strings.Join(rev, ","), table+"/z,"+table+"/a"; got != want {
			t.Errorf("table %q reversed = %q; want %q", table, got, want)
		}
	}
	update(t, b, func(tx storage.Tx) error { return tx.Delete("t", []byte("a")) })
	if _, ok := get(t, b, "u", "a"); !ok {
		t.Fatal("Delete in one table removed the key from another")
	}
}

func testRollback(t *testing.T, b storage.Backend) {
	put(t, b, "t", "keep", "1", "gone", "2")
	err := b.Update(context.Background(), func(tx storage.Tx) error {
		for _, kv := range [][2]string{{"keep", "changed"}, {"new", "3"}} {
			if err := tx.Put("t", []byte(kv[0]), []byte(kv[1])); err != nil {
				return err
			}
		}
		if err := tx.Delete("t", []byte("gone")); err != nil {
			return err
		}
		if err := tx.Put("fresh-table", []byte("k"), []byte("v")); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v; want fn's error", err)
	}
	if got := keys(t, b, "t"); got != "gone=2,keep=1" {
		t.Fatalf("after rollback t = %s", got)
	}
	if got := keys(t, b, "fresh-table"); got != "" {
		t.Fatalf("after rollback a table created in it holds %s", got)
	}
	put(t, b, "t", "after", "4")
	if got := keys(t, b, "t"); got != "after=4,gone=2,keep=1" {
		t.Fatalf("Update after a rollback: t = %s", got)
	}
}

func testRollbackOnPanic(t *testing.T, b storage.Backend) {
	put(t, b, "t", "k", "before")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic in fn did not reach the caller")
			}
		}()
		b.Update(context.Background(), func(tx storage.Tx) error {
			tx.Put("t", []byte("k"), []byte("during"))
			panic("storetest: panic in Update")
		})
	}()
	if v, _ := get(t, b, "t", "k"); v != "before" {
		t.Fatalf("after a panic k = %q; want before", v)
	}
	// The writer must have been released.
	put(t, b, "t", "k", "after")
	if v, _ := get(t, b, "t", "k"); v != "after" {
		t.Fatalf("Update after a panic: k = %q", v)
	}
}

func testViewCannotWrite(t *testing.T, b storage.Backend) {
	put(t, b, "t", "k", "v")
	view(t, b, func(tx storage.Tx) error {
		if tx.Writable() {
			t.Error("View tx is Writable")
		}
		if err := tx.Put("t", []byte("k"), []byte("x")); !errors.Is(err, storage.ErrReadOnly) {
			t.Errorf("Put in View = %v; want ErrReadOnly", err)
		}
		if err := tx.Put("new", []byte("k"), []byte("x")); !errors.Is(err, storage.ErrReadOnly) {
			t.Errorf("Put to a new table in View = %v; want ErrReadOnly", err)
		}
		if err := tx.Delete("t", []byte("k")); !errors.Is(err, storage.ErrReadOnly) {
			t.Errorf("Delete in View = %v; want ErrReadOnly", err)
		}
		return nil
	})
	update(t, b, func(tx storage.Tx) error {
		if !tx.Writable() {
			t.Error("Update tx is not Writable")
		}
		return nil
	})
	if got := keys(t, b, "t") + "|" + keys(t, b, "new"); got != "k=v|" {
		t.Fatalf("after writes in a View: %s", got)
	}
}

func testTxUnusableAfterEnd(t *testing.T, b storage.Backend) {
	put(t, b, "t", "k", "v")
	var leaked storage.Tx
	view(t, b, func(tx storage.Tx) error { leaked = tx; return nil })
	if _, err := leaked.Get("t", []byte("k")); err == nil {
		t.Error("Get on an ended View succeeded")
	}
	if err := leaked.Scan("t", storage.Range{}, func(k, v []byte) bool { return true }); err == nil {
		t.Error("Scan on an ended View succeeded")
	}
	update(t, b, func(tx storage.Tx) error { leaked = tx; return nil })
	if err := leaked.Put("t", []byte("k"), []byte("late")); err == nil {
		t.Error("Put on an ended Update succeeded")
	}
	if v, _ := get(t, b, "t", "k"); v != "v" {
		t.Fatalf("k = %q after a late Put", v)
	}
}

func testCanceledContext(t *testing.T, b storage.Backend) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	fn := func(tx storage.Tx) error { called = true; return nil }
	if err := b.Update(ctx, fn); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context = %v", err)
	}
	if err := b.View(ctx, fn); !errors.Is(err, context.Canceled) {
		t.Errorf("View with a canceled context = %v", err)
	}
	if called {
		t.Error("fn ran under a canceled context")
	}
}

// testSnapshotIsolation holds a View open while an Update commits: the View
// keeps seeing the state it started with.
func testSnapshotIsolation(t *testing.T, b storage.Backend) {
	put(t, b, "t", "k", "old")
	started, committed := make(chan struct{}), make(chan error)
	go func() {
		<-started
		committed <- b.Update(context.Background(), func(tx storage.Tx) error {
			if err := tx.Put("t", []byte("k"), []byte("new")); err != nil {
				return err
			}
			return tx.Put("t", []byte("k2"), []byte("added"))
		})
	}()
	view(t, b, func(tx storage.Tx) error {
		v, err := tx.Get("t", []byte("k"))
		if err != nil || string(v) != "old" {
			return fmt.Errorf("before: %q, %v", v, err)
		}
		close(started)
		if err := <-committed; err != nil {
			return fmt.Errorf("concurrent Update: %w", err)
		}
		v, err = tx.Get("t", []byte("k"))
		if err != nil || string(v) != "old" {
			t.Errorf("View saw a commit made after it began: k = %q, %v", v, err)
		}
		if _, err := tx.Get("t", []byte("k2")); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("View saw a key added after it began: %v", err)
		}
		n := 0
		tx.Scan("t", storage.Range{}, func(k, v []byte) bool { n++; return true })
		if n != 1 {
			t.Errorf("View's Scan saw %d keys; want 1", n)
		}
		return nil
	})
	if got := keys(t, b, "t"); got != "k=new,k2=added" {
		t.Fatalf("after the View: %s", got)
	}
}

func testConcurrentUpdates(t *testing.T, b storage.Backend) {
	const workers, increments = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range increments {
				err := b.Update(context.Background(), func(tx storage.Tx) error {
					var n uint64
					v, err := tx.Get("counter", []byte("n"))
					switch {
					case err == nil:
						n = binary.BigEndian.Uint64(v)
					case !errors.Is(err, storage.ErrNotFound):
						return err
					}
					return tx.Put("counter", []byte("n"), binary.BigEndian.AppendUint64(nil, n+1))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	v, ok := get(t, b, "counter", "n")
	if !ok || binary.BigEndian.Uint64([]byte(v)) != workers*increments {
		t.Fatalf("counter = %x, %v; want %d", v, ok, workers*increments)
	}
}

func testClose(t *testing.T, b storage.Backend) {
	put(t, b, "t", "k", "v")
	w, err := b.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("body"))
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	fn := func(tx storage.Tx) error { t.Error("fn ran after Close"); return nil }
	if err := b.Update(context.Background(), fn); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Update after Close = %v; want ErrClosed", err)
	}
	if err := b.View(context.Background(), fn); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("View after Close = %v; want ErrClosed", err)
	}
	if _, err := b.Blobs().Create(); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Blobs().Create after Close = %v; want ErrClosed", err)
	}
	if _, err := b.Blobs().Open(id); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Blobs().Open after Close = %v; want ErrClosed", err)
	}
	if err := b.Blobs().Delete(id); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Blobs().Delete after Close = %v; want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
}
