// Package storage is the state engine behind every service: ordered,
// transactional key-value state for metadata, and a blob store for large
// bytes (object bodies, function code). Services are written against these
// interfaces only; the engines live in sub-packages (bolt: embedded, on disk;
// memory: ephemeral), and all engines pass the same conformance suite
// (storage/storetest).
package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// ErrNotFound is returned by Tx.Get for a missing key and by BlobStore.Open
// for a missing blob.
var ErrNotFound = errors.New("storage: not found")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("storage: closed")

// ErrReadOnly is returned by Put and Delete in a View.
var ErrReadOnly = errors.New("storage: read-only transaction")

// Backend is the metadata engine. Transactions are serializable. An Update
// that returned nil is durable against a crash of the process (kill -9); with
// Options.Fsync it is durable against power loss as well.
type Backend interface {
	// Update runs fn in a read-write transaction; it commits when fn returns
	// nil and rolls back otherwise. fn may run only once. Concurrent Updates
	// are serialised.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction over a consistent snapshot.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Blobs returns the blob store that lives beside the metadata.
	Blobs() BlobStore
	Close() error
}

// Tx is a transaction. Tables are created on first Put. Keys order by bytes.
// Slices passed to callbacks or returned by Get are valid only until the
// transaction ends, and must not be modified (they may be the engine's own
// memory, or a read-only mapping of its file): copy them to keep them.
type Tx interface {
	Get(table string, key []byte) ([]byte, error)
	// Put stores value under key; it fails in a View.
	Put(table string, key, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(table string, key []byte) error
	// DropTable removes a table and every key in it, at a cost that grows
	// with the table's size on disk, not with its number of keys times the
	// cost of a Delete; dropping a missing table is not an error.
	DropTable(table string) error
	// Scan calls fn for each key in the table in ascending (or, with
	// Reverse, descending) order that has the prefix and lies in the
	// range; fn returns false to stop. fn must not modify the table.
	Scan(table string, r Range, fn func(key, value []byte) bool) error
	// Writable reports whether the transaction may write.
	Writable() bool
}

// Range selects keys for Scan. Every field is optional; an empty slice is
// the same as an absent one.
type Range struct {
	Prefix []byte
	// Start is the first key to visit (inclusive); with Reverse, the first
	// key visited is the greatest key <= Start.
	Start []byte
	// After skips keys <= After (keys >= After with Reverse).
	After   []byte
	Reverse bool
}

// BlobStore keeps large byte strings as files (or memory, when ephemeral).
// Blobs are immutable once committed, and are addressed by an id the store
// chooses.
type BlobStore interface {
	// Create starts a new blob. Write its bytes, then Commit (which
	// returns its id) or Abort.
	Create() (BlobWriter, error)
	// Open returns a reader of a committed blob.
	Open(id string) (Blob, error)
	// Delete removes a blob; a missing blob is not an error.
	Delete(id string) error
}

// BlobWriter receives the bytes of a new blob.
type BlobWriter interface {
	io.Writer
	io.ReaderFrom
	// Commit makes the blob durable (as Update is) and returns its id.
	Commit() (id string, err error)
	// Abort discards the blob.
	Abort() error
}

// Blob reads a committed blob.
type Blob interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	Size() int64
}

// Options configure a backend.
type Options struct {
	// Dir is the data directory; empty with Ephemeral.
	Dir string
	// Ephemeral keeps metadata in memory and blobs in a temporary
	// directory removed by Close.
	Ephemeral bool
	// Fsync makes every commit durable against power loss (slower).
	Fsync bool
}

// Bound is one end of the key interval a Range selects. A nil Key means the
// interval is open on that side.
type Bound struct {
	Key       []byte
	Inclusive bool
}

// Interval turns r into the interval [lo, hi] of keys a Scan visits, so
// that an engine only has to seek to one end and walk towards the other.
// A prefix p becomes p <= key < successor(p); Start and After bound the end
// the scan starts from (lo, or hi with Reverse). Where two bounds meet at
// the same key the tighter (exclusive) one wins.
func (r Range) Interval() (lo, hi Bound) {
	if len(r.Prefix) > 0 {
		lo = Bound{Key: r.Prefix, Inclusive: true}
		hi = Bound{Key: prefixSuccessor(r.Prefix)}
	}
	if r.Reverse {
		if len(r.Start) > 0 {
			hi = tighterHigh(hi, Bound{Key: r.Start, Inclusive: true})
		}
		if len(r.After) > 0 {
			hi = tighterHigh(hi, Bound{Key: r.After})
		}
	} else {
		if len(r.Start) > 0 {
			lo = tighterLow(lo, Bound{Key: r.Start, Inclusive: true})
		}
		if len(r.After) > 0 {
			lo = tighterLow(lo, Bound{Key: r.After})
		}
	}
	return lo, hi
}

// AboveLow reports whether key lies on the inside of the lower bound b.
func (b Bound) AboveLow(key []byte) bool {
	if b.Key == nil {
		return true
	}
	c := bytes.Compare(key, b.Key)
	return c > 0 || (c == 0 && b.Inclusive)
}

// BelowHigh reports whether key lies on the inside of the upper bound b.
func (b Bound) BelowHigh(key []byte) bool {
	if b.Key == nil {
		return true
	}
	c := bytes.Compare(key, b.Key)
	return c < 0 || (c == 0 && b.Inclusive)
}

func tighterLow(a, b Bound) Bound {
	if a.Key == nil {
		return b
	}
	switch c := bytes.Compare(a.Key, b.Key); {
	case c > 0:
		return a
	case c < 0:
		return b
	case !a.Inclusive:
		return a
	}
	return b
}

func tighterHigh(a, b Bound) Bound {
	if a.Key == nil {
		return b
	}
	switch c := bytes.Compare(a.Key, b.Key); {
	case c < 0:
		return a
	case c > 0:
		return b
	case !a.Inclusive:
		return a
	}
	return b
}

// prefixSuccessor returns the least key greater than every key with prefix
// p, or nil when there is none (p is all 0xff bytes).
func prefixSuccessor(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			s := make([]byte, i+1)
			copy(s, p)
			s[i]++
			return s
		}
	}
	return nil
}
