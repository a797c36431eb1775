// Package bolt is the embedded on-disk storage engine: metadata in one
// bbolt file, <dir>/meta.db (one bbolt bucket per table, created on first
// Put), and blobs as files under <dir>/blobs/ (package blobfs).
//
// # Durability
//
// storage.Backend promises that an Update that returned nil survives kill -9
// of the process, and with Options.Fsync a power loss too. bbolt commits by
// writing the new pages and then the meta page with pwrite(2) before Commit
// returns; once pwrite returns, the bytes are in the kernel's page cache,
// which belongs to the kernel, not to the process, and reaches the disk
// even if the process is killed the next instant. The meta page carries a
// checksum and bbolt keeps two of them, so a kill between the page writes
// and the meta write leaves the previous commit intact.
//
// fsync is what protects against a crash of the machine itself (power
// loss, kernel panic), and it costs a disk flush per commit (milliseconds
// on many disks). Nimbus is a local emulator whose usual failure is a killed
// process, so by default the database is opened with NoSync and NoGrowSync:
// a small Update costs tens of microseconds. Options.Fsync turns both off,
// so every commit is fdatasync'ed (and blobs fsync'ed with their
// directories) before it returns.
//
// The free-page list is not written by every commit (bbolt's NoFreelistSync),
// only by Close. Written at each commit, the list cost a commit time in
// proportion to the free pages of the whole file: after S3 deleted a few
// thousand small objects (whose bodies live in this file), every small PUT
// rewrote hundreds of kilobytes of free list and took three times the CPU.
// Kept in memory it is bbolt's hash map, which finds a run of free pages
// without scanning the list. The price is paid after a crash only: when the
// last commit did not leave the list in the file (kill -9), Open rebuilds it
// by walking the database's pages (about 85 ms for a 0.5 GB file in the page
// cache); after a clean Close, Open reads it in a few milliseconds.
//
// Concurrent Updates share commits (group commit, see batch.go), which
// matters most with Options.Fsync, where every commit waits for the disk.
//
// # Memory
//
// bbolt reads through a shared read-only mmap of the file; the mapping is
// reserved at 1 GiB up front (virtual address space only: resident memory
// grows with the pages actually read). Reserving it means the file can grow
// to 1 GiB without remapping, and a remap is the one moment a writer has to
// wait for every open View to finish.
package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/blobfs"
)

// MetaFile is the name of the metadata database inside the data directory.
const MetaFile = "meta.db"

// lockTimeout bounds the wait for the file lock that keeps a second process
// from opening the same data directory.
const lockTimeout = 2 * time.Second

var (
	errKeyRequired = errors.New("bolt: key required")
	errTxDone      = errors.New("bolt: transaction has ended")
)

// DB is the on-disk storage.Backend.
type DB struct {
	db     *bbolt.DB
	blobs  *blobfs.Store
	closed atomic.Bool
	writer writer
}

var _ storage.Backend = (*DB)(nil)

// Open opens (creating it if needed) the store in opts.Dir.
func Open(opts storage.Options) (*DB, error) {
	if opts.Dir == "" {
		return nil, errors.New("bolt: a data directory is required")
	}
	if opts.Ephemeral {
		return nil, errors.New("bolt: the on-disk engine cannot be ephemeral")
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("bolt: %w", err)
	}
	bopts := &bbolt.Options{
		Timeout:        lockTimeout,
		NoSync:         !opts.Fsync,
		NoGrowSync:     !opts.Fsync,
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
	}
	if math.MaxInt > math.MaxInt32 {
		bopts.InitialMmapSize = 1 << 30
	}
	path := filepath.Join(opts.Dir, MetaFile)
	bdb, err := bbolt.Open(path, 0o600, bopts)
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("bolt: %s is in use by another process", path)
		}
		return nil, fmt.Errorf("bolt: opening %s: %w", path, err)
	}
	blobs, err := blobfs.Open(opts.Dir, opts.Fsync)
	if err != nil {
		bdb.Close()
		return nil, err
	}
	return &DB{db: bdb, blobs: blobs}, nil
}

// Update runs fn in a read-write transaction. Updates that arrive while
// another commits are committed together (see batch.go). fn must not call
// Update, or wait for one, from inside a View or an Update (deadlock), and
// must not call runtime.Goexit (it may run on another caller's goroutine).
func (d *DB) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.closed.Load() {
		return storage.ErrClosed
	}
	return d.writer.update(d.db, fn)
}

// View runs fn in a bbolt read transaction, a snapshot of the last commit.
func (d *DB) View(ctx context.Context, fn func(tx storage.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.closed.Load() {
		return storage.ErrClosed
	}
	return closedErr(d.db.View(func(btx *bbolt.Tx) error {
		t := &tx{btx: btx}
		defer t.end()
		return fn(t)
	}))
}

// closedErr reports bbolt's "not open" (a Close that raced the call) as
// storage.ErrClosed; fn's own errors pass through untouched.
func closedErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return storage.ErrClosed
	}
	return err
}

// Blobs returns the blob store under <dir>/blobs.
func (d *DB) Blobs() storage.BlobStore { return d.blobs }

// Close waits for running transactions and closes the database; closing
// twice does nothing.
func (d *DB) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	d.blobs.Close()
	// One last commit writes the free list, so that the next Open reads it
	// instead of rebuilding it. Failing that only makes that Open slower.
	_ = d.writer.syncFreelist(d.db)
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	return nil
}

type tx struct {
	btx  *bbolt.Tx
	done bool
	// undo, when set, records what each write replaces, so that a failed
	// update can be taken back out of a batch without the others.
	undo *undoLog
}

// end makes later use of the Tx an error instead of a touch of freed
// bbolt state.
func (t *tx) end() { t.done = true }

func (t *tx) Writable() bool { return t.btx.Writable() }

func (t *tx) bucket(table string) *bbolt.Bucket {
	return t.btx.Bucket([]byte(table))
}

func (t *tx) Get(table string, key []byte) ([]byte, error) {
	if t.done {
		return nil, errTxDone
	}
	b := t.bucket(table)
	if b == nil {
		return nil, storage.ErrNotFound
	}
	v, ok := get(b, key)
	if !ok {
		return nil, storage.ErrNotFound
	}
	return v, nil
}

// get looks key up in b.
func get(b *bbolt.Bucket, key []byte) ([]byte, bool) {
	if v := b.Get(key); v != nil {
		return v, true
	}
	// bbolt's Get answers nil both for a missing key and, in some page
	// layouts, for an empty value: the cursor tells them apart.
	k, _ := b.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, false
	}
	return []byte{}, true
}

// Put copies key and value: bbolt keeps the caller's slices until commit,
// and callers may reuse their buffers.
func (t *tx) Put(table string, key, value []byte) error {
	if err := t.checkWrite(key); err != nil {
		return err
	}
	b := t.bucket(table)
	if b == nil {
		var err error
		if b, err = t.btx.CreateBucket([]byte(table)); err != nil {
			return fmt.Errorf("bolt: table %q: %w", table, err)
		}
		t.undo.created(table)
	} else {
		t.undo.record(b, table, key)
	}
	buf := make([]byte, len(key)+len(value))
	copy(buf, key)
	copy(buf[len(key):], value)
	if err := b.Put(buf[:len(key):len(key)], buf[len(key):]); err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	return nil
}

func (t *tx) Delete(table string, key []byte) error {
	if err := t.checkWrite(key); err != nil {
		return err
	}
	b := t.bucket(table)
	if b == nil {
		return nil
	}
	t.undo.record(b, table, key)
	if err := b.Delete(key); err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	return nil
}

// DropTable deletes the table's bucket: bbolt frees its pages without
// rewriting any of them, where deleting its keys would rewrite every page.
func (t *tx) DropTable(table string) error {
	if err := t.checkWrite([]byte{0}); err != nil {
		return err
	}
	if t.bucket(table) == nil {
		return nil
	}
	t.undo.dropped()
	if err := t.btx.DeleteBucket([]byte(table)); err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	return nil
}

func (t *tx) checkWrite(key []byte) error {
	switch {
	case t.done:
		return errTxDone
	case !t.btx.Writable():
		return storage.ErrReadOnly
	case len(key) == 0:
		return errKeyRequired
	}
	return nil
}

// Scan seeks to the end of the interval the scan starts from and walks
// towards the other end, stopping at the first key outside it.
func (t *tx) Scan(table string, r storage.Range, fn func(key, value []byte) bool) error {
	if t.done {
		return errTxDone
	}
	b := t.bucket(table)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	lo, hi := r.Interval()
	var k, v []byte
	if r.Reverse {
		if hi.Key == nil {
			k, v = c.Last()
		} else if k, v = c.Seek(hi.Key); k == nil {
			k, v = c.Last()
		} else if !hi.BelowHigh(k) {
			k, v = c.Prev()
		}
		for ; k != nil && lo.AboveLow(k); k, v = c.Prev() {
			if !fn(k, v) {
				break
			}
		}
		return nil
	}
	if lo.Key == nil {
		k, v = c.First()
	} else if k, v = c.Seek(lo.Key); k != nil && !lo.AboveLow(k) {
		k, v = c.Next()
	}
	for ; k != nil && hi.BelowHigh(k); k, v = c.Next() {
		if !fn(k, v) {
			break
		}
	}
	return nil
}
