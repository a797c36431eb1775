package dynamodb

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Group commit. A commit of the state engine costs more than the work of
// one PutItem, and the engine runs one writer at a time, so single-item
// writes that arrive together share a transaction: the first becomes the
// leader, runs every write queued so far one after the other in one
// Update, answers them all, and hands the lead to a write that queued
// meanwhile. Alone, a write commits at once, as before. Each write still
// reads what the writes before it in the same transaction wrote, so
// conditional writes on one item stay serialised.
//
// A write's function must fail, if it fails, before it writes anything
// (validation, conditions): its failure then leaves the others' writes
// intact. A function that fails after writing forces the batch to be
// redone one transaction per write.

// maxGroup bounds how many writes share a transaction, and so the wait of
// the last one.
const maxGroup = 64

type groupQueue struct {
	mu      sync.Mutex
	pending []*groupOp
	busy    bool
}

type groupOp struct {
	ctx context.Context
	fn  func(w *itemWriter) error
	err error
	// wake receives false when the op is done, true when its goroutine is
	// to lead the next batch.
	wake chan bool
}

// errPartialWrite aborts a batch in which a write failed after writing.
var errPartialWrite = errors.New("dynamodb: a grouped write failed after writing")

// updateItem runs fn, the whole of one single-item write, in a storage
// transaction that it may share with other such writes.
func (s *Service) updateItem(ctx context.Context, fn func(w *itemWriter) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &groupOp{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	q := &s.group
	q.mu.Lock()
	q.pending = append(q.pending, op)
	if q.busy {
		q.mu.Unlock()
		if lead := <-op.wake; !lead {
			return op.err
		}
	} else {
		q.busy = true
		q.mu.Unlock()
		// Let writes that are about to queue join this batch: a commit
		// costs far more than the yield, which is free when nothing else
		// is runnable.
		runtime.Gosched()
	}
	// Lead one batch (which holds op), then pass the lead on.
	q.mu.Lock()
	n := min(len(q.pending), maxGroup)
	batch := q.pending[:n:n]
	q.pending = q.pending[n:]
	q.mu.Unlock()

	s.commitGroup(batch)

	q.mu.Lock()
	if len(q.pending) > 0 {
		q.pending[0].wake <- true
	} else {
		q.busy = false
	}
	q.mu.Unlock()
	for _, o := range batch {
		if o != op {
			o.wake <- false
		}
	}
	return op.err
}

// commitGroup runs a batch of writes in one transaction, or one by one
// when that cannot keep their failures apart.
func (s *Service) commitGroup(batch []*groupOp) {
	if len(batch) == 1 {
		op := batch[0]
		op.err = s.update(op.ctx, op.fn)
		return
	}
	err := s.db.Update(context.Background(), func(tx storage.Tx) error {
		w := s.newWriter(tx)
		for _, op := range batch {
			if op.err = op.ctx.Err(); op.err != nil {
				continue
			}
			w.dirty = false
			if op.err = op.fn(w); op.err != nil && w.dirty {
				return errPartialWrite
			}
		}
		return w.flush()
	})
	switch {
	case errors.Is(err, errPartialWrite):
		for _, op := range batch {
			op.err = s.update(op.ctx, op.fn)
		}
	case err != nil:
		for _, op := range batch {
			if op.err == nil {
				op.err = err
			}
		}
	}
}
