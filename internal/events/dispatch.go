package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// pending is one delivery read from the outbox, with its key.
type pending struct {
	key []byte
	d   *Delivery
}

// errBatchFailed rolls back a batch in which a local sink failed; the
// failure is recorded, and the rest of the batch goes in the next round.
var errBatchFailed = errors.New("events: a delivery of the batch failed")

// Run is the dispatcher: it delivers due deliveries until ctx ends. It
// sleeps only until it is kicked or the next delivery is due, and waits for
// the external deliveries in progress before it returns.
func (b *Bus) Run(ctx context.Context) {
	jobs := make(chan pending)
	var wg sync.WaitGroup
	for range b.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				b.deliverExternal(ctx, p)
			}
		}()
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		next, more, err := b.round(ctx, jobs)
		wait := time.Duration(-1) // until kicked
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			b.log.Warn("events: dispatching", "err", err)
			wait = errorPause
		case more:
			continue
		case !next.IsZero():
			wait = max(next.Sub(b.now()), 0)
		}
		if wait == 0 {
			continue
		}
		var fire <-chan time.Time
		if wait > 0 {
			timer.Reset(wait)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-b.kick:
		case <-fire:
		}
		if wait > 0 && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// round delivers the local deliveries that are due (one batch, in one
// transaction) and hands due external ones to the workers. It returns when
// the next delivery not yet taken is due (zero for none), and whether more
// are due right now.
//
// When a local sink fails, the whole transaction rolls back (the failed
// sink's writes with it), the failure is recorded, and the deliveries before
// it are delivered again by the next round.
func (b *Bus) round(ctx context.Context, jobs chan<- pending) (next time.Time, more bool, err error) {
	var batch, external []pending
	var failedAt int
	var cause error
	hooks := &commitHooks{}
	dctx := context.WithValue(ctx, commitHooksKey{}, hooks)
	free := b.workers - b.inflightCount()
	err = b.db.Update(ctx, func(tx storage.Tx) error {
		// The clock is read inside the transaction: it may have waited
		// for the commit of the producer that kicked us.
		now := b.now()
		batch, external, next, more, cause = batch[:0], external[:0], time.Time{}, false, nil
		hooks.fns = hooks.fns[:0]
		var err error
		if batch, next, more, err = b.due(tx, laneLocal, now, b.batch); err != nil {
			return err
		}
		for i, p := range batch {
			if cause = b.deliverLocal(dctx, tx, p.d); cause != nil {
				failedAt = i
				return errBatchFailed
			}
			if err := tx.Delete(outboxTable, p.key); err != nil {
				return err
			}
		}
		// With more due external deliveries than free workers, the rest
		// wait for the kick of the worker that finishes.
		extNext, err := b.dueExternal(tx, now, free, &external)
		if err != nil {
			return err
		}
		if !extNext.IsZero() && (next.IsZero() || extNext.Before(next)) {
			next = extNext
		}
		return nil
	})
	if errors.Is(err, errBatchFailed) {
		b.failed(ctx, batch[failedAt], cause)
		return time.Time{}, true, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	runHooks(hooks)
	for _, p := range external {
		b.setInflight(p.key, true)
		select {
		case jobs <- p:
		case <-ctx.Done():
			b.setInflight(p.key, false)
			return next, false, ctx.Err()
		}
	}
	return next, more, nil
}

// deliverLocal calls the local sink of d's kind in tx.
func (b *Bus) deliverLocal(ctx context.Context, tx storage.Tx, d *Delivery) error {
	s := b.sink(d.Kind)
	switch {
	case s == nil:
		return fmt.Errorf("%w: %q", ErrNoSink, d.Kind)
	case isExternal(s):
		// Enqueued in the local lane, but its sink now talks to the
		// outside and must not be called inside a transaction.
		return Permanent{fmt.Errorf("events: kind %q is no longer local", d.Kind)}
	}
	return s.Deliver(ctx, tx, d)
}

// due reads up to limit deliveries of a lane that are due at now. It
// returns the due time of the first one left (zero for none) and whether
// that one is due too.
func (b *Bus) due(tx storage.Tx, lane byte, now time.Time, limit int) (out []pending, next time.Time, more bool, err error) {
	err = tx.Scan(outboxTable, storage.Range{Prefix: []byte{lane}}, func(k, v []byte) bool {
		due := keyDue(k)
		if due.After(now) {
			next = due
			return false
		}
		if len(out) == limit {
			next, more = due, true
			return false
		}
		out = append(out, b.decode(k, v))
		return true
	})
	return out, next, more, err
}

// dueExternal appends up to free due external deliveries that no worker has
// yet to *out, skipping those in progress, and returns when the next one is
// due.
func (b *Bus) dueExternal(tx storage.Tx, now time.Time, free int, out *[]pending) (next time.Time, err error) {
	b.inflightMu.Lock()
	defer b.inflightMu.Unlock()
	err = tx.Scan(outboxTable, storage.Range{Prefix: []byte{laneExternal}}, func(k, v []byte) bool {
		if b.inflight[string(k)] {
			return true
		}
		due := keyDue(k)
		if due.After(now) {
			next = due
			return false
		}
		if len(*out) >= free {
			return false
		}
		*out = append(*out, b.decode(k, v))
		return true
	})
	return next, err
}

// decode reads an outbox record. A record that does not decode cannot be
// delivered; it is handed on with a nil Delivery's kind so that the failure
// path logs and drops it.
func (b *Bus) decode(k, v []byte) pending {
	p := pending{key: append([]byte(nil), k...), d: &Delivery{}}
	if err := json.Unmarshal(v, p.d); err != nil {
		b.log.Error("events: unreadable delivery", "key", fmt.Sprintf("%x", k), "err", err)
		p.d = &Delivery{Kind: "", Retry: RetryPolicy{MaxAttempts: 1}}
	}
	return p
}

// deliverExternal runs on a worker: it calls the external sink outside any
// transaction, then removes or reschedules the delivery.
func (b *Bus) deliverExternal(ctx context.Context, p pending) {
	defer func() {
		b.setInflight(p.key, false)
		b.Kick()
	}()
	s := b.sink(p.d.Kind)
	var err error
	if s == nil {
		err = fmt.Errorf("%w: %q", ErrNoSink, p.d.Kind)
	} else {
		err = s.Deliver(ctx, nil, p.d)
	}
	if err != nil {
		if ctx.Err() != nil {
			return // shutting down: the delivery stays for the next start
		}
		b.failed(ctx, p, err)
		return
	}
	err = b.db.Update(ctx, func(tx storage.Tx) error { return tx.Delete(outboxTable, p.key) })
	if err != nil {
		b.log.Warn("events: removing a delivered delivery", "kind", p.d.Kind, "target", p.d.Target, "err", err)
	}
}

// failed records a failed attempt: it schedules the next one, or, when the
// policy is exhausted or the error is Permanent, hands the delivery to its
// dead-letter queue or drops it with a log line.
func (b *Bus) failed(ctx context.Context, p pending, cause error) {
	err := b.db.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Get(outboxTable, p.key); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			return err
		}
		if err := tx.Delete(outboxTable, p.key); err != nil {
			return err
		}
		d := *p.d
		var later Deferred
		deferred := errors.As(cause, &later)
		if !deferred {
			d.Attempts++
		}
		policy := d.Retry.effective()
		var perm Permanent
		if deferred || !errors.As(cause, &perm) && d.Attempts < policy.MaxAttempts {
			if deferred {
				d.NotBefore = later.Until
			} else {
				d.NotBefore = b.now().Add(policy.delay(d.Attempts))
			}
			v, err := json.Marshal(&d)
			if err != nil {
				return err
			}
			b.log.Debug("events: delivery failed; retrying", "kind", d.Kind, "target", d.Target,
				"attempt", d.Attempts, "at", d.NotBefore, "err", cause)
			return tx.Put(outboxTable, outboxKey(p.key[0], d.NotBefore, keySeq(p.key)), v)
		}
		return b.giveUp(tx, &d, cause)
	})
	if err != nil {
		b.log.Warn("events: recording a failed delivery", "kind", p.d.Kind, "target", p.d.Target, "err", err)
		return
	}
	b.Kick()
}

// giveUp sends an exhausted delivery to its dead-letter queue, or logs and
// drops it.
func (b *Bus) giveUp(tx storage.Tx, d *Delivery, cause error) error {
	if d.DeadLetter != "" && b.Handles(KindSQS) {
		dl := &Delivery{Kind: KindSQS, Target: d.DeadLetter, Body: d.Body, Source: d.Source}
		for k, v := range d.Attributes {
			if isSQSAttribute(k) {
				if dl.Attributes == nil {
					dl.Attributes = map[string]string{}
				}
				dl.Attributes[k] = v
			}
		}
		b.log.Info("events: delivery failed; sent to its dead-letter queue", "kind", d.Kind, "target", d.Target,
			"dlq", d.DeadLetter, "attempts", d.Attempts, "source", d.Source, "err", cause)
		return b.put(tx, dl, b.now())
	}
	b.log.Warn("events: delivery failed; dropped", "kind", d.Kind, "target", d.Target,
		"attempts", d.Attempts, "source", d.Source, "err", cause)
	return nil
}

func isSQSAttribute(k string) bool { return len(k) > 4 && k[:4] == "sqs." }

func runHooks(h *commitHooks) {
	for _, fn := range h.fns {
		fn()
	}
}

func (b *Bus) inflightCount() int {
	b.inflightMu.Lock()
	defer b.inflightMu.Unlock()
	return len(b.inflight)
}

func (b *Bus) setInflight(key []byte, on bool) {
	b.inflightMu.Lock()
	defer b.inflightMu.Unlock()
	if on {
		b.inflight[string(key)] = true
	} else {
		delete(b.inflight, string(key))
	}
}
