package sqs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// committer runs the service's read-write transactions with group commit:
// transactions that arrive while a commit is being written wait and then
// go together in the next one, so concurrent sends and receives share the
// cost of a commit (which dominates theirs) instead of queueing for one
// each. A caller with no company commits at once.
//
// A function may therefore run more than once (when another one in its
// batch fails, the batch is rolled back and run again without it): it must
// derive everything from the transaction and reset what it reports.
type committer struct {
	db storage.Backend

	mu      sync.Mutex
	pending []*commitJob
	leading bool
}

type commitJob struct {
	ctx  context.Context
	fn   func(tx storage.Tx) error
	done chan error
}

// errLead hands the leadership of the next batch to a waiting job.
var errLead = errors.New("sqs: lead the next commit")

// errJobFailed rolls a batch back when one of its functions failed.
var errJobFailed = errors.New("sqs: a function of the batch failed")

// maxBatch bounds how many transactions one commit carries.
const maxBatch = 64

func (c *committer) update(ctx context.Context, fn func(tx storage.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &commitJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.pending = append(c.pending, j)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	if lead {
		c.lead()
	}
	for {
		err := <-j.done
		if err != errLead {
			return err
		}
		c.lead()
	}
}

// lead commits batches of the pending jobs, up to four (a hand-off to
// another goroutine costs a scheduling round, which a loaded machine makes
// long), then passes the lead to the first job still waiting, so that no
// caller serves others for long.
func (c *committer) lead() {
	c.mu.Lock()
	n := min(len(c.pending), maxBatch)
	batch := c.pending[:n:n]
	c.pending = c.pending[n:]
	c.mu.Unlock()

	c.run(batch)
	for range 3 {
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.leading = false
			c.mu.Unlock()
			return
		}
		n := min(len(c.pending), maxBatch)
		batch = c.pending[:n:n]
		c.pending = c.pending[n:]
		c.mu.Unlock()
		c.run(batch)
	}
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.leading = false
		c.mu.Unlock()
		return
	}
	next := c.pending[0]
	c.mu.Unlock()
	next.done <- errLead
}

// run commits batch, giving each job its result. A failing job is run
// alone for its own answer and the others are committed without it.
func (c *committer) run(batch []*commitJob) {
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live = append(live, j)
	}
	for len(live) > 0 {
		failed := -1
		var failure error
		err := c.db.Update(context.Background(), func(tx storage.Tx) error {
			for i, j := range live {
				if err := safely(j.fn, tx); err != nil {
					failed, failure = i, err
					return errJobFailed
				}
			}
			return nil
		})
		if failed < 0 {
			for _, j := range live {
				j.done <- err
			}
			return
		}
		bad := live[failed]
		if failed == 0 {
			// It ran first, on the committed state: its error is its answer.
			bad.done <- failure
		} else {
			bad.done <- c.db.Update(context.Background(), func(tx storage.Tx) error { return safely(bad.fn, tx) })
		}
		live = append(live[:failed:failed], live[failed+1:]...)
	}
}

// errPanicked answers a function that panicked: the batch goes on without
// it, and the leader, which serves other callers, survives.
var errPanicked = errors.New("sqs: internal error")

func safely(fn func(tx storage.Tx) error, tx storage.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanicked, r)
		}
	}()
	return fn(tx)
}
