package bolt

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Group commit.
//
// bbolt has one writer at a time, and most of a small Update's cost is the
// commit: writing the changed pages, the free list and the meta page. When
// Updates arrive while another one commits, they wait in a queue; the next
// writer then runs every queued fn, one after the other, in one bbolt
// transaction and commits them together. Each fn still sees the effects of
// the ones before it, exactly as if they had been committed one by one in
// that order, and each caller gets its answer only once the shared commit
// is done, so durability is unchanged.
//
// An fn that fails (or panics) must not take the others down with it, and
// must not have run twice: while a batch holds more than one fn, every Put
// and Delete first records what it replaces (undoLog), and a failed fn's
// writes are reverted in place before the next fn runs. A lone fn pays
// nothing for this: its failure rolls the bbolt transaction back.

// errBatchAborted is the answer of updates whose shared transaction could
// not be committed because another update in it could not be reverted.
var errBatchAborted = errors.New("bolt: a concurrent update in the same commit could not be reverted")

// writer queues updates and elects the goroutine that commits them.
type writer struct {
	mu    sync.Mutex
	busy  bool // a goroutine is committing a batch
	queue []*pending
}

// pending is one Update waiting for its commit.
type pending struct {
	fn func(storage.Tx) error
	// writeFreelist makes the commit write bbolt's free list.
	writeFreelist bool
	err           error
	panicked      bool
	panicVal      any
	// wake tells a queued update that it was committed (false) or that it
	// is to commit the next batch (true).
	wake chan bool
}

func (w *writer) update(db *bbolt.DB, fn func(storage.Tx) error) error {
	return w.submit(db, &pending{fn: fn, wake: make(chan bool, 1)})
}

// syncFreelist commits a transaction that writes bbolt's free list (which
// other commits leave out, see bolt.go), for Close.
func (w *writer) syncFreelist(db *bbolt.DB) error {
	return w.submit(db, &pending{fn: func(storage.Tx) error { return nil }, writeFreelist: true, wake: make(chan bool, 1)})
}

func (w *writer) submit(db *bbolt.DB, p *pending) error {
	w.mu.Lock()
	w.queue = append(w.queue, p)
	lead := !w.busy
	w.busy = true
	w.mu.Unlock()
	if lead || <-p.wake {
		w.lead(db, p)
	}
	if p.panicked {
		panic(p.panicVal)
	}
	return p.err
}

// lead commits every queued update (own among them), then hands the
// writer's role to the first update that arrived in the meantime.
func (w *writer) lead(db *bbolt.DB, own *pending) {
	w.mu.Lock()
	batch := w.queue
	w.queue = nil
	w.mu.Unlock()
	finished := false
	defer func() {
		if !finished {
			// An fn called runtime.Goexit: the batch was rolled back.
			for _, p := range batch {
				if p.err == nil && !p.panicked {
					p.err = errBatchAborted
				}
			}
		}
		w.mu.Lock()
		if len(w.queue) > 0 {
			w.queue[0].wake <- true
		} else {
			w.busy = false
		}
		w.mu.Unlock()
		for _, p := range batch {
			if p != own {
				p.wake <- false
			}
		}
	}()
	commitBatch(db, batch)
	finished = true
}

// commitBatch runs the fns of batch in one transaction and commits it,
// leaving each one's outcome in its pending.
func commitBatch(db *bbolt.DB, batch []*pending) {
	btx, err := db.Begin(true)
	if err != nil {
		err = closedErr(fmt.Errorf("bolt: %w", err))
		for _, p := range batch {
			p.err = err
		}
		return
	}
	committed := false
	defer func() {
		if !committed {
			_ = btx.Rollback()
		}
	}()
	var undo *undoLog
	if len(batch) > 1 {
		undo = new(undoLog)
	}
	succeeded := 0
	for i, p := range batch {
		undo.reset()
		run(p, &tx{btx: btx, undo: undo})
		if p.err == nil && !p.panicked {
			succeeded++
			continue
		}
		if undo == nil {
			return // the lone fn failed: roll back
		}
		if err := undo.revert(btx); err != nil {
			for _, q := range batch[:i] {
				if q.err == nil && !q.panicked {
					q.err = errBatchAborted
				}
			}
			for _, q := range batch[i+1:] {
				q.err = errBatchAborted
			}
			return
		}
	}
	if succeeded == 0 {
		return
	}
	for _, p := range batch {
		if p.writeFreelist && p.err == nil {
			// Only the committing goroutine reads the setting; a later
			// commit that also writes the list does no harm.
			db.NoFreelistSync = false
		}
	}
	if err := btx.Commit(); err != nil {
		err = closedErr(fmt.Errorf("bolt: %w", err))
		for _, p := range batch {
			if p.err == nil && !p.panicked {
				p.err = err
			}
		}
		return
	}
	committed = true
}

// run calls p.fn, catching a panic for its caller to re-raise.
func run(p *pending, t *tx) {
	defer func() {
		t.end()
		if v := recover(); v != nil {
			p.panicked, p.panicVal = true, v
		}
	}()
	p.err = p.fn(t)
}

// undoLog remembers, for the fn running in a batch, what its writes
// replaced.
type undoLog struct {
	entries []undoEntry
	tables  []string // tables the fn created
	// drops is set when the fn dropped a table: that cannot be taken
	// back, so its failure aborts the whole batch.
	drops bool
}

type undoEntry struct {
	table   string
	key     []byte
	old     []byte
	existed bool
}

func (u *undoLog) reset() {
	if u != nil {
		clear(u.entries)
		u.entries, u.tables, u.drops = u.entries[:0], u.tables[:0], false
	}
}

// record saves the current value of key before a write changes it. A
// table the fn created is dropped as a whole instead.
func (u *undoLog) record(b *bbolt.Bucket, table string, key []byte) {
	if u == nil {
		return
	}
	for _, t := range u.tables {
		if t == table {
			return
		}
	}
	e := undoEntry{table: table, key: bytes.Clone(key)}
	if v, ok := get(b, key); ok {
		e.old, e.existed = bytes.Clone(v), true
	}
	u.entries = append(u.entries, e)
}

func (u *undoLog) created(table string) {
	if u != nil {
		u.tables = append(u.tables, table)
	}
}

func (u *undoLog) dropped() {
	if u != nil {
		u.drops = true
	}
}

// errDropIrreversible fails the revert of an fn that dropped a table.
var errDropIrreversible = errors.New("bolt: a dropped table cannot be restored")

// revert takes the fn's writes back, newest first.
func (u *undoLog) revert(btx *bbolt.Tx) error {
	if u.drops {
		return errDropIrreversible
	}
	for i := len(u.entries) - 1; i >= 0; i-- {
		e := u.entries[i]
		b := btx.Bucket([]byte(e.table))
		if b == nil {
			return fmt.Errorf("bolt: table %q vanished", e.table)
		}
		var err error
		if e.existed {
			err = b.Put(e.key, e.old)
		} else {
			err = b.Delete(e.key)
		}
		if err != nil {
			return fmt.Errorf("bolt: %w", err)
		}
	}
	for _, t := range u.tables {
		if err := btx.DeleteBucket([]byte(t)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return fmt.Errorf("bolt: %w", err)
		}
	}
	return nil
}
