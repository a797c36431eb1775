package sns

import (
	"context"
	"errors"
	"sync"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// maxGroup bounds how many publishes share one transaction.
const maxGroup = 64

// committer runs concurrent publishes in shared transactions (group
// commit): the store has one writer at a time and a commit costs the same
// for one publish as for many, so the publishes that arrive while a
// transaction commits are run together in the next one. A publish whose
// function fails is taken out and the rest run again, so that no publish
// sees another's error or keeps another's writes.
type committer struct {
	db storage.Backend

	mu      sync.Mutex
	queue   []*groupEntry
	running bool
}

type groupEntry struct {
	ctx  context.Context
	fn   func(tx storage.Tx) error
	done chan error
}

var errGroupAbort = errors.New("sns: a publish of the group failed")

// update runs fn in a transaction shared with concurrent callers; fn may
// run more than once (in transactions that rolled back), so it must not
// keep effects outside tx from one run to the next.
func (c *committer) update(ctx context.Context, fn func(tx storage.Tx) error) error {
	e := &groupEntry{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, e)
	lead := !c.running
	c.running = true
	c.mu.Unlock()
	if lead {
		c.lead(e)
	}
	return <-e.done
}

// lead commits groups while callers wait. The caller that found no leader
// leads, so no caller waits on a leader that is not running; once its own
// publish is done it hands the lead to a new goroutine (own nil), which
// leads until the queue is empty, so that no caller's call lasts longer
// than its own publish takes.
func (c *committer) lead(own *groupEntry) {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		if own != nil && len(own.done) > 0 {
			c.mu.Unlock()
			go c.lead(nil)
			return
		}
		group := c.queue
		if len(group) > maxGroup {
			group = group[:maxGroup]
		}
		c.queue = c.queue[len(group):]
		c.mu.Unlock()
		c.commit(group)
	}
}

func (c *committer) commit(group []*groupEntry) {
	for len(group) > 0 {
		live := group[:0]
		for _, e := range group {
			if err := e.ctx.Err(); err != nil {
				e.done <- err
				continue
			}
			live = append(live, e)
		}
		group = live
		if len(group) == 0 {
			return
		}
		failed, ferr := -1, error(nil)
		err := c.db.Update(context.Background(), func(tx storage.Tx) error {
			for i, e := range group {
				if err := e.fn(tx); err != nil {
					failed, ferr = i, err
					return errGroupAbort
				}
			}
			return nil
		})
		if failed < 0 {
			for _, e := range group {
				e.done <- err
			}
			return
		}
		group[failed].done <- ferr
		group = append(group[:failed:failed], group[failed+1:]...)
	}
}
