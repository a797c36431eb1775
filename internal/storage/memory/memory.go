// Package memory is the ephemeral storage engine (--ephemeral): metadata in
// an ordered in-memory tree, blobs as files in a temporary directory that
// Close removes. Nothing survives the process; in exchange nothing touches
// the disk but object bodies, which may be far larger than memory.
//
// All tables live in one copy-on-write B-tree ordered by (table, key). The
// committed tree is immutable: an Update works on a Clone (O(1); nodes are
// copied only on first write), and commit publishes the clone with one
// atomic store. So a View reads a consistent snapshot without any lock, a
// failed Update leaves no trace (its clone is dropped), and Updates are
// serialised by a single writer mutex.
package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/google/btree"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/blobfs"
)

// The same limits as the on-disk engine, so that code tested against the
// ephemeral engine does not fail only in production.
const (
	maxKeySize   = 32768
	maxValueSize = 1<<31 - 2
	treeDegree   = 32
)

var (
	errTableRequired = errors.New("memory: table name required")
	errKeyRequired   = errors.New("memory: key required")
	errKeyTooLarge   = errors.New("memory: key too large")
	errValueTooLarge = errors.New("memory: value too large")
)

// item is one key in one table. Items in a committed tree are never
// modified: a Put replaces the item instead.
type item struct {
	table string
	key   []byte
	value []byte
}

func less(a, b *item) bool {
	if a.table != b.table {
		return a.table < b.table
	}
	return bytes.Compare(a.key, b.key) < 0
}

// DB is the ephemeral storage.Backend.
type DB struct {
	writer    sync.Mutex                          // held for the whole of an Update
	committed atomic.Pointer[btree.BTreeG[*item]] // replaced, never modified
	closed    atomic.Bool
	blobs     *blobfs.Store
	blobDir   string
}

var _ storage.Backend = (*DB)(nil)

// Open creates an empty store whose blobs live in a new temporary
// directory. Options other than Ephemeral do not apply and are ignored.
func Open(opts storage.Options) (*DB, error) {
	if opts.Dir != "" {
		return nil, fmt.Errorf("memory: Dir must be empty for the ephemeral engine (got %q)", opts.Dir)
	}
	dir, err := os.MkdirTemp("", "nimbus-ephemeral-")
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	blobs, err := blobfs.Open(dir, false)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	db := &DB{blobs: blobs, blobDir: dir}
	db.committed.Store(btree.NewG(treeDegree, less))
	return db, nil
}

// Update runs fn on a private copy of the tree and publishes it when fn
// returns nil. fn must not call Update or wait for one (deadlock).
func (db *DB) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.writer.Lock()
	defer db.writer.Unlock()
	if db.closed.Load() {
		return storage.ErrClosed
	}
	tx := &tx{tree: db.committed.Load().Clone(), writable: true}
	err := fn(tx)
	tx.done = true
	if err != nil {
		return err
	}
	db.committed.Store(tx.tree)
	return nil
}

// View runs fn on the tree as last committed; Updates that commit while fn
// runs are not seen.
func (db *DB) View(ctx context.Context, fn func(tx storage.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.closed.Load() {
		return storage.ErrClosed
	}
	tx := &tx{tree: db.committed.Load()}
	err := fn(tx)
	tx.done = true
	return err
}

// Blobs returns the blob store in the temporary directory.
func (db *DB) Blobs() storage.BlobStore { return db.blobs }

// Close drops the metadata and removes the blob directory. It waits for a
// running Update to finish; closing twice does nothing.
func (db *DB) Close() error {
	db.writer.Lock()
	defer db.writer.Unlock()
	if db.closed.Swap(true) {
		return nil
	}
	db.blobs.Close()
	db.committed.Store(btree.NewG(treeDegree, less))
	if err := os.RemoveAll(db.blobDir); err != nil {
		return fmt.Errorf("memory: removing blob directory: %w", err)
	}
	return nil
}

type tx struct {
	tree     *btree.BTreeG[*item]
	writable bool
	done     bool
}

var errTxDone = errors.New("memory: transaction has ended")

func (t *tx) Writable() bool { return t.writable }

func (t *tx) Get(table string, key []byte) ([]byte, error) {
	if t.done {
		return nil, errTxDone
	}
	it, ok := t.tree.Get(&item{table: table, key: key})
	if !ok {
		return nil, storage.ErrNotFound
	}
	return it.value, nil
}

// Put copies key and value, so the caller may reuse its buffers.
func (t *tx) Put(table string, key, value []byte) error {
	if err := t.checkWrite(table, key); err != nil {
		return err
	}
	if len(value) > maxValueSize {
		return errValueTooLarge
	}
	buf := make([]byte, len(key)+len(value))
	copy(buf, key)
	copy(buf[len(key):], value)
	t.tree.ReplaceOrInsert(&item{table: table, key: buf[:len(key):len(key)], value: buf[len(key):]})
	return nil
}

func (t *tx) Delete(table string, key []byte) error {
	if err := t.checkWrite(table, key); err != nil {
		return err
	}
	t.tree.Delete(&item{table: table, key: key})
	return nil
}

func (t *tx) DropTable(table string) error {
	if err := t.checkWrite(table, []byte{0}); err != nil {
		return err
	}
	var doomed []*item
	t.tree.AscendGreaterOrEqual(&item{table: table}, func(it *item) bool {
		if it.table != table {
			return false
		}
		doomed = append(doomed, it)
		return true
	})
	for _, it := range doomed {
		t.tree.Delete(it)
	}
	return nil
}

func (t *tx) checkWrite(table string, key []byte) error {
	switch {
	case t.done:
		return errTxDone
	case !t.writable:
		return storage.ErrReadOnly
	case table == "":
		return errTableRequired
	case len(key) == 0:
		return errKeyRequired
	case len(key) > maxKeySize:
		return errKeyTooLarge
	}
	return nil
}

// Scan seeks to the end of the interval the scan starts from and walks
// towards the other end, stopping at the first key outside it.
func (t *tx) Scan(table string, r storage.Range, fn func(key, value []byte) bool) error {
	if t.done {
		return errTxDone
	}
	lo, hi := r.Interval()
	if r.Reverse {
		visit := func(it *item) bool {
			if it.table != table || !lo.AboveLow(it.key) {
				return false
			}
			if !hi.BelowHigh(it.key) { // only the exclusive end itself
				return true
			}
			return fn(it.key, it.value)
		}
		if hi.Key == nil {
			// (table+"\x00", "") sorts after every key of table and before
			// every key of any other table, since keys are never empty.
			t.tree.DescendLessOrEqual(&item{table: table + "\x00"}, visit)
		} else {
			t.tree.DescendLessOrEqual(&item{table: table, key: hi.Key}, visit)
		}
		return nil
	}
	t.tree.AscendGreaterOrEqual(&item{table: table, key: lo.Key}, func(it *item) bool {
		if it.table != table || !hi.BelowHigh(it.key) {
			return false
		}
		if !lo.AboveLow(it.key) { // only the exclusive end itself
			return true
		}
		return fn(it.key, it.value)
	})
	return nil
}
