package bolt

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(storage.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// holdWriter starts an Update that keeps the writer's role until release
// is called, so that the updates started meanwhile queue into one batch.
func holdWriter(t *testing.T, db *DB) (release func()) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.Update(context.Background(), func(tx storage.Tx) error {
			close(entered)
			<-gate
			return tx.Put("t", []byte("holder"), []byte("1"))
		})
	}()
	<-entered
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("holder: %v", err)
		}
	}
}

// waitQueued waits until n updates wait in the writer's queue.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for i := 0; ; i++ {
		db.writer.mu.Lock()
		got := len(db.writer.queue)
		db.writer.mu.Unlock()
		if got == n {
			return
		}
		if i > 10000 {
			t.Fatalf("%d updates queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func dump(t *testing.T, db *DB, table string) string {
	t.Helper()
	var kv []string
	err := db.View(context.Background(), func(tx storage.Tx) error {
		return tx.Scan(table, storage.Range{}, func(k, v []byte) bool {
			kv = append(kv, string(k)+"="+string(v))
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(kv, ",")
}

var errFail = errors.New("fn failed")

// A batch commits the updates that succeed, in order, each seeing the ones
// before it; a failed or panicking update leaves no trace; every fn runs
// exactly once.
func TestBatchIsolatesFailures(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if err := db.Update(ctx, func(tx storage.Tx) error { return tx.Put("t", []byte("k0"), []byte("zero")) }); err != nil {
		t.Fatal(err)
	}
	var calls [6]atomic.Int32
	var sawA atomic.Bool
	updates := []struct {
		name      string
		fn        func(tx storage.Tx) error
		wantErr   error
		wantPanic bool
	}{
		{"A puts", func(tx storage.Tx) error { return tx.Put("t", []byte("k1"), []byte("a")) }, nil, false},
		{"B writes then fails", func(tx storage.Tx) error {
			for _, kv := range [][2]string{{"k1", "b"}, {"k2", "b"}, {"k0", ""}} {
				if err := tx.Put("t", []byte(kv[0]), []byte(kv[1])); err != nil {
					return err
				}
			}
			if err := tx.Put("fresh", []byte("x"), []byte("b")); err != nil {
				return err
			}
			if err := tx.Put("fresh", []byte("y"), []byte("b")); err != nil {
				return err
			}
			return errFail
		}, errFail, false},
		{"C reads A, deletes k0", func(tx storage.Tx) error {
			v, err := tx.Get("t", []byte("k1"))
			sawA.Store(err == nil && string(v) == "a")
			return tx.Delete("t", []byte("k0"))
		}, nil, false},
		{"D writes then panics", func(tx storage.Tx) error {
			_ = tx.Put("t", []byte("k3"), []byte("d"))
			panic("D")
		}, nil, true},
		{"E deletes then fails", func(tx storage.Tx) error {
			if err := tx.Delete("t", []byte("k1")); err != nil {
				return err
			}
			return errFail
		}, errFail, false},
		{"F puts", func(tx storage.Tx) error { return tx.Put("t", []byte("k4"), []byte("f")) }, nil, false},
	}
	release := holdWriter(t, db)
	var wg sync.WaitGroup
	for i, u := range updates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); (v != nil) != u.wantPanic {
					t.Errorf("%s: panic %v", u.name, v)
				}
			}()
			err := db.Update(ctx, func(tx storage.Tx) error {
				calls[i].Add(1)
				return u.fn(tx)
			})
			if !errors.Is(err, u.wantErr) || (err == nil) != (u.wantErr == nil) {
				t.Errorf("%s: err %v, want %v", u.name, err, u.wantErr)
			}
		}()
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	for i := range calls {
		if n := calls[i].Load(); n != 1 {
			t.Errorf("%s ran %d times", updates[i].name, n)
		}
	}
	if !sawA.Load() {
		t.Error("C did not see A's write")
	}
	if got, want := dump(t, db, "t"), "holder=1,k1=a,k4=f"; got != want {
		t.Errorf("t = %s, want %s", got, want)
	}
	if got := dump(t, db, "fresh"); got != "" {
		t.Errorf("a table created by a failed update holds %s", got)
	}
	// The writer is free again.
	if err := db.Update(ctx, func(tx storage.Tx) error { return tx.Put("fresh", []byte("z"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db, "fresh"); got != "z=1" {
		t.Errorf("fresh = %s", got)
	}
}

// An fn that ends its goroutine (t.FailNow does) in a batch run by that
// goroutine aborts the batch and releases the writer.
func TestBatchGoexit(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	release := holdWriter(t, db)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		_ = db.Update(ctx, func(tx storage.Tx) error {
			_ = tx.Put("t", []byte("gone"), []byte("1"))
			runtime.Goexit()
			return nil
		})
		t.Error("Update returned after Goexit")
	}()
	waitQueued(t, db, 1)
	other := make(chan error)
	go func() {
		other <- db.Update(ctx, func(tx storage.Tx) error { return tx.Put("t", []byte("other"), []byte("1")) })
	}()
	waitQueued(t, db, 2)
	release()
	<-exited
	if err := <-other; !errors.Is(err, errBatchAborted) {
		t.Fatalf("the other update of the batch: %v", err)
	}
	if err := db.Update(ctx, func(tx storage.Tx) error { return tx.Put("t", []byte("after"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db, "t"); got != "after=1,holder=1" {
		t.Fatalf("t = %s", got)
	}
}

// Close while updates queue: they fail with ErrClosed, none hangs.
func TestBatchClose(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	release := holdWriter(t, db)
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			errs <- db.Update(ctx, func(tx storage.Tx) error { return tx.Put("t", []byte{byte('a' + i)}, []byte("1")) })
		}()
		waitQueued(t, db, i+1)
	}
	closed := make(chan error)
	go func() { closed <- db.Close() }()
	release()
	for range 3 {
		if err := <-errs; err != nil && !errors.Is(err, storage.ErrClosed) {
			t.Errorf("queued update: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}
