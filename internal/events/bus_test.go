package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/bolt"
	"github.com/nimbus-cloud/nimbus/internal/storage/memory"
)

// waitLimit only keeps a broken test from hanging; no assertion is about
// how fast something happens.
const waitLimit = 20 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// localSink writes each delivery's body into a table through the
// dispatcher's transaction and, once committed, reports it on a channel.
type localSink struct {
	mu    sync.Mutex
	fail  func(d *Delivery) error // nil: always succeed
	calls int
	got   chan *Delivery
}

func newLocalSink() *localSink { return &localSink{got: make(chan *Delivery, 100000)} }

func (s *localSink) Deliver(ctx context.Context, tx storage.Tx, d *Delivery) error {
	s.mu.Lock()
	s.calls++
	fail := s.fail
	s.mu.Unlock()
	if err := tx.Put("sink", []byte(d.ID), d.Body); err != nil {
		return err
	}
	if fail != nil {
		if err := fail(d); err != nil {
			return err
		}
	}
	if !AfterCommit(ctx, func() { s.got <- d }) {
		return errors.New("no commit hook in a dispatcher context")
	}
	return nil
}

func (s *localSink) setFail(f func(d *Delivery) error) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

// externalSink is called outside transactions; block, when set, holds each
// call until it is closed.
type externalSink struct {
	running, peak atomic.Int32
	block         chan struct{}
	fail          atomic.Pointer[func(d *Delivery) error]
	got           chan *Delivery
}

func (s *externalSink) External() bool { return true }

func (s *externalSink) Deliver(ctx context.Context, tx storage.Tx, d *Delivery) error {
	if tx != nil {
		return errors.New("external sink called with a transaction")
	}
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f := s.fail.Load(); f != nil {
		if err := (*f)(d); err != nil {
			return err
		}
	}
	s.got <- d
	return nil
}

func openMemory(t testing.TB) storage.Backend {
	db, err := memory.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openBolt(t testing.TB, dir string) storage.Backend {
	db, err := bolt.Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// run starts the dispatcher and returns its stop function.
func run(t testing.TB, b *Bus) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func enqueue(t testing.TB, db storage.Backend, b *Bus, ds ...*Delivery) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx storage.Tx) error { return b.Enqueue(tx, ds...) }); err != nil {
		t.Fatal(err)
	}
}

func receive(t testing.TB, ch <-chan *Delivery, n int) []*Delivery {
	t.Helper()
	out := make([]*Delivery, 0, n)
	timeout := time.After(waitLimit)
	for len(out) < n {
		select {
		case d := <-ch:
			out = append(out, d)
		case <-timeout:
			t.Fatalf("received %d deliveries of %d", len(out), n)
		}
	}
	return out
}

// waitPending waits until the outbox holds n deliveries.
func waitPending(t testing.TB, b *Bus, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		got, err := b.Pending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries pending; want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// outbox returns the pending deliveries in key order.
func outbox(t testing.TB, db storage.Backend) []pending {
	t.Helper()
	var out []pending
	b := &Bus{log: quiet}
	err := db.View(context.Background(), func(tx storage.Tx) error {
		return tx.Scan(outboxTable, storage.Range{}, func(k, v []byte) bool {
			out = append(out, b.decode(k, v))
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func body(i int) []byte { return []byte(strconv.Itoa(i)) }

func TestDeliversInOrder(t *testing.T) {
	db := openMemory(t)
	b := New(db, nil, quiet)
	b.batch = 7 // several batches
	sink := newLocalSink()
	b.Register("q", sink)
	// Some deliveries wait for the dispatcher, some arrive while it runs.
	for i := range 50 {
		enqueue(t, db, b, &Delivery{Kind: "q", Target: "t", Body: body(i)})
	}
	run(t, b)
	for i := 50; i < 100; i += 2 {
		enqueue(t, db, b, &Delivery{Kind: "q", Body: body(i)}, &Delivery{Kind: "q", Body: body(i + 1)})
	}
	got := receive(t, sink.got, 100)
	for i, d := range got {
		if string(d.Body) != strconv.Itoa(i) {
			t.Fatalf("delivery %d has body %q", i, d.Body)
		}
	}
	waitPending(t, b, 0)
	// Each body was written by the sink exactly once.
	n := 0
	db.View(context.Background(), func(tx storage.Tx) error {
		return tx.Scan("sink", storage.Range{}, func(_, _ []byte) bool { n++; return true })
	})
	if n != 100 {
		t.Errorf("sink table holds %d records; want 100", n)
	}
}

func TestDelayedDeliveryWaitsForItsTime(t *testing.T) {
	db := openMemory(t)
	clock := newClock()
	b := New(db, clock.Now, quiet)
	sink := newLocalSink()
	b.Register("q", sink)
	enqueue(t, db, b,
		&Delivery{Kind: "q", Body: []byte("later"), NotBefore: clock.Now().Add(time.Minute)},
		&Delivery{Kind: "q", Body: []byte("now")})
	run(t, b)
	if d := receive(t, sink.got, 1)[0]; string(d.Body) != "now" {
		t.Fatalf("first delivery %q; want now", d.Body)
	}
	waitPending(t, b, 1)
	clock.Advance(time.Minute)
	b.Kick()
	if d := receive(t, sink.got, 1)[0]; string(d.Body) != "later" {
		t.Fatalf("second delivery %q; want later", d.Body)
	}
}

func TestRetriesWithBackoff(t *testing.T) {
	db := openMemory(t)
	clock := newClock()
	b := New(db, clock.Now, quiet)
	sink := newLocalSink()
	sink.setFail(func(d *Delivery) error {
		if d.Attempts < 3 {
			return errors.New("queue busy")
		}
		return nil
	})
	b.Register("q", sink)
	policy := RetryPolicy{MaxAttempts: 5, MinDelay: time.Second, MaxDelay: 3 * time.Second}
	start := clock.Now()
	enqueue(t, db, b, &Delivery{Kind: "q", Body: []byte("x"), Retry: policy})
	run(t, b)

	// Attempts 1..3 fail; the retries are due 1s, 2s, then 3s (capped)
	// after each failure.
	for attempt, delay := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		var rec []pending
		deadline := time.Now().Add(waitLimit)
		for {
			rec = outbox(t, db)
			if len(rec) == 1 && rec[0].d.Attempts == attempt+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("attempt %d was not recorded: %+v", attempt+1, rec)
			}
			time.Sleep(time.Millisecond)
		}
		if due := keyDue(rec[0].key); !due.Equal(clock.Now().Add(delay)) {
			t.Errorf("after attempt %d the retry is due %v after the failure; want %v", attempt+1, due.Sub(clock.Now()), delay)
		}
		clock.Advance(delay)
		b.Kick()
	}
	d := receive(t, sink.got, 1)[0]
	if d.Attempts != 3 || string(d.Body) != "x" {
		t.Errorf("delivered %+v; want the 4th attempt (3 failed before)", d)
	}
	if clock.Now().Sub(start) != 6*time.Second {
		t.Errorf("clock moved %v", clock.Now().Sub(start))
	}
	waitPending(t, b, 0)
}

func TestRetryPolicyDelays(t *testing.T) {
	tests := []struct {
		policy RetryPolicy
		want   []time.Duration
	}{
		{RetryPolicy{MaxAttempts: 5, MinDelay: time.Second, MaxDelay: 10 * time.Second}, []time.Duration{1e9, 2e9, 4e9, 8e9, 10e9, 10e9}},
		{RetryPolicy{MaxAttempts: 4, MinDelay: 20 * time.Second, MaxDelay: 20 * time.Second}, []time.Duration{20e9, 20e9, 20e9}},
		{RetryPolicy{}, []time.Duration{1e9, 2e9, 4e9, 8e9, 16e9, 32e9, 64e9, 128e9, 256e9, 300e9, 300e9}},
		{RetryPolicy{MinDelay: 10 * time.Minute}, []time.Duration{10 * time.Minute, 10 * time.Minute}},
		// A schedule of the producer's wins; its last delay repeats.
		{RetryPolicy{MaxAttempts: 5, MinDelay: time.Second, Delays: []time.Duration{0, 0, 3e9}}, []time.Duration{0, 0, 3e9, 3e9}},
		{RetryPolicy{Delays: []time.Duration{7e9}}, []time.Duration{7e9, 7e9}},
	}
	for _, tc := range tests {
		p := tc.policy.effective()
		for i, want := range tc.want {
			if got := p.delay(i + 1); got != want {
				t.Errorf("%+v: delay after attempt %d = %v; want %v", tc.policy, i+1, got, want)
			}
		}
	}
	if got := (RetryPolicy{}).effective().MaxAttempts; got != DefaultRetry.MaxAttempts {
		t.Errorf("zero policy has %d attempts; want %d", got, DefaultRetry.MaxAttempts)
	}
}

func TestPermanentErrorGoesToDeadLetterAtOnce(t *testing.T) {
	db := openMemory(t)
	b := New(db, nil, quiet)
	target := newLocalSink()
	target.setFail(func(*Delivery) error { return Permanent{errors.New("no such endpoint")} })
	dlq := newLocalSink()
	b.Register("http-ish", target)
	b.Register(KindSQS, dlq)
	enqueue(t, db, b, &Delivery{
		Kind: "http-ish", Target: "https://example.com", Body: []byte("payload"),
		Attributes: map[string]string{SQSMessageAttributes: `{"a":{"DataType":"String","StringValue":"v"}}`, "http.header": "x"},
		Source:     "arn:topic", DeadLetter: "arn:aws:sqs:us-east-1:000000000000:dlq",
	})
	run(t, b)
	d := receive(t, dlq.got, 1)[0]
	if d.Target != "arn:aws:sqs:us-east-1:000000000000:dlq" || string(d.Body) != "payload" || d.Source != "arn:topic" {
		t.Errorf("dead letter %+v", d)
	}
	if len(d.Attributes) != 1 || d.Attributes[SQSMessageAttributes] == "" {
		t.Errorf("dead letter attributes %v; want only the sqs ones", d.Attributes)
	}
	target.mu.Lock()
	calls := target.calls
	target.mu.Unlock()
	if calls != 1 {
		t.Errorf("a permanent failure was attempted %d times", calls)
	}
	waitPending(t, b, 0)
}

func TestExhaustedDeliveryGoesToDeadLetterOrIsDropped(t *testing.T) {
	for _, withDLQ := range []bool{true, false} {
		t.Run(fmt.Sprint("dlq=", withDLQ), func(t *testing.T) {
			db := openMemory(t)
			clock := newClock()
			b := New(db, clock.Now, quiet)
			target := newLocalSink()
			target.setFail(func(*Delivery) error { return errors.New("down") })
			dlq := newLocalSink()
			b.Register("q", target)
			b.Register(KindSQS, dlq)
			d := &Delivery{Kind: "q", Body: []byte("m"), Retry: RetryPolicy{MaxAttempts: 2, MinDelay: time.Second, MaxDelay: time.Second}}
			if withDLQ {
				d.DeadLetter = "dlq"
			}
			enqueue(t, db, b, d)
			run(t, b)
			waitAttempts(t, db, 1)
			clock.Advance(time.Second)
			b.Kick()
			if withDLQ {
				if got := receive(t, dlq.got, 1)[0]; got.Target != "dlq" || string(got.Body) != "m" {
					t.Errorf("dead letter %+v", got)
				}
			}
			waitPending(t, b, 0)
		})
	}
}

func waitAttempts(t *testing.T, db storage.Backend, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		rec := outbox(t, db)
		if len(rec) == 1 && rec[0].d.Attempts == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no record with %d attempts: %+v", n, rec)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFailureInABatchRollsBackOnlyItsOwnWrites(t *testing.T) {
	db := openMemory(t)
	clock := newClock()
	b := New(db, clock.Now, quiet)
	sink := newLocalSink()
	sink.setFail(func(d *Delivery) error {
		if string(d.Body) == "5" && d.Attempts == 0 {
			return errors.New("refused")
		}
		return nil
	})
	b.Register("q", sink)
	for i := range 10 {
		enqueue(t, db, b, &Delivery{Kind: "q", Body: body(i)})
	}
	run(t, b)
	got := receive(t, sink.got, 9)
	for _, d := range got {
		if string(d.Body) == "5" {
			t.Fatal("the failed delivery was reported delivered")
		}
	}
	waitPending(t, b, 1)
	// The failed attempt's write was rolled back with it.
	rec := outbox(t, db)
	db.View(context.Background(), func(tx storage.Tx) error {
		if _, err := tx.Get("sink", []byte(rec[0].d.ID)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the failed delivery's write survived: %v", err)
		}
		return nil
	})
	clock.Advance(time.Second)
	b.Kick()
	if d := receive(t, sink.got, 1)[0]; string(d.Body) != "5" {
		t.Errorf("retried %q", d.Body)
	}
}

func TestRolledBackProducerDeliversNothing(t *testing.T) {
	db := openMemory(t)
	b := New(db, nil, quiet)
	sink := newLocalSink()
	b.Register("q", sink)
	run(t, b)
	errAbort := errors.New("abort")
	err := db.Update(context.Background(), func(tx storage.Tx) error {
		if err := b.Enqueue(tx, &Delivery{Kind: "q", Body: []byte("ghost")}); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatal(err)
	}
	enqueue(t, db, b, &Delivery{Kind: "q", Body: []byte("real")})
	if d := receive(t, sink.got, 1)[0]; string(d.Body) != "real" {
		t.Errorf("delivered %q", d.Body)
	}
	waitPending(t, b, 0)
}

func TestEnqueueUnknownKind(t *testing.T) {
	db := openMemory(t)
	b := New(db, nil, quiet)
	err := db.Update(context.Background(), func(tx storage.Tx) error {
		return b.Enqueue(tx, &Delivery{Kind: "nowhere"})
	})
	if !errors.Is(err, ErrNoSink) {
		t.Errorf("Enqueue = %v; want ErrNoSink", err)
	}
	if b.Handles("nowhere") {
		t.Error("Handles an unregistered kind")
	}
}

func TestAfterCommitSeesTheCommittedWrite(t *testing.T) {
	db := openMemory(t)
	b := New(db, nil, quiet)
	seen := make(chan error, 1)
	b.Register("q", sinkFunc(func(ctx context.Context, tx storage.Tx, d *Delivery) error {
		if err := tx.Put("sink", []byte("k"), []byte("v")); err != nil {
			return err
		}
		AfterCommit(ctx, func() {
			seen <- db.View(context.Background(), func(tx storage.Tx) error {
				_, err := tx.Get("sink", []byte("k"))
				return err
			})
		})
		return nil
	}))
	if AfterCommit(context.Background(), func() {}) {
		t.Error("AfterCommit accepted a context outside a delivery")
	}
	enqueue(t, db, b, &Delivery{Kind: "q"})
	run(t, b)
	select {
	case err := <-seen:
		if err != nil {
			t.Errorf("the hook did not see the sink's write: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("hook never ran")
	}
}

type sinkFunc func(ctx context.Context, tx storage.Tx, d *Delivery) error

func (f sinkFunc) Deliver(ctx context.Context, tx storage.Tx, d *Delivery) error {
	return f(ctx, tx, d)
}

func TestRestartResumesPendingDeliveries(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	db := openBolt(t, dir)
	b := New(db, clock.Now, quiet)
	sink := newLocalSink()
	sink.setFail(func(d *Delivery) error { return errors.New("down") })
	ext := &externalSink{got: make(chan *Delivery, 100), block: make(chan struct{})}
	b.Register("q", sink)
	b.Register("http", ext)
	for i := range 20 {
		enqueue(t, db, b, &Delivery{Kind: "q", Body: body(i)})
	}
	enqueue(t, db, b, &Delivery{Kind: "http", Body: []byte("ext")})
	stop := run(t, b)
	// The local deliveries fail once and wait for their retry; the external
	// one is stuck in its sink when the process stops.
	for ext.running.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	waitAllAttempted(t, db, 20)
	stop()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openBolt(t, dir)
	defer db.Close()
	clock.Advance(time.Hour)
	b = New(db, clock.Now, quiet)
	sink = newLocalSink()
	ext = &externalSink{got: make(chan *Delivery, 100)}
	b.Register("q", sink)
	b.Register("http", ext)
	// New ids continue above the ones in the outbox.
	enqueue(t, db, b, &Delivery{Kind: "q", Body: []byte("after restart")})
	run(t, b)
	got := receive(t, sink.got, 21)
	ids := map[string]bool{}
	for i, d := range got[:20] {
		if string(d.Body) != strconv.Itoa(i) {
			t.Errorf("resumed delivery %d has body %q", i, d.Body)
		}
		ids[d.ID] = true
	}
	if d := got[20]; string(d.Body) != "after restart" || ids[d.ID] {
		t.Errorf("last delivery %+v (id reused: %v)", d, ids[d.ID])
	}
	if d := receive(t, ext.got, 1)[0]; string(d.Body) != "ext" {
		t.Errorf("external delivery %q", d.Body)
	}
	waitPending(t, b, 0)
}

func waitAllAttempted(t *testing.T, db storage.Backend, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		attempted := 0
		for _, p := range outbox(t, db) {
			if p.d.Attempts > 0 {
				attempted++
			}
		}
		if attempted == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries attempted; want %d", attempted, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestExternalDeliveriesUseABoundedPool(t *testing.T) {
	db := openMemory(t)
	b := New(db, nil, quiet)
	b.workers = 3
	ext := &externalSink{got: make(chan *Delivery, 100), block: make(chan struct{})}
	local := newLocalSink()
	b.Register("http", ext)
	b.Register("q", local)
	for i := range 12 {
		enqueue(t, db, b, &Delivery{Kind: "http", Body: body(i)})
	}
	run(t, b)
	for ext.running.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	// Busy external workers hold up no local delivery.
	enqueue(t, db, b, &Delivery{Kind: "q", Body: []byte("local")})
	receive(t, local.got, 1)
	close(ext.block)
	got := receive(t, ext.got, 12)
	seen := map[string]bool{}
	for _, d := range got {
		if seen[string(d.Body)] {
			t.Errorf("delivered %q twice", d.Body)
		}
		seen[string(d.Body)] = true
	}
	if p := ext.peak.Load(); p > 3 {
		t.Errorf("%d external deliveries ran at once; the pool has 3", p)
	}
	waitPending(t, b, 0)
}

func TestExternalFailureIsRetried(t *testing.T) {
	db := openMemory(t)
	clock := newClock()
	b := New(db, clock.Now, quiet)
	ext := &externalSink{got: make(chan *Delivery, 10)}
	fail := func(d *Delivery) error {
		if d.Attempts == 0 {
			return errors.New("503")
		}
		return nil
	}
	ext.fail.Store(&fail)
	b.Register("http", ext)
	enqueue(t, db, b, &Delivery{Kind: "http", Body: []byte("x"), Retry: RetryPolicy{MaxAttempts: 3, MinDelay: 20 * time.Second, MaxDelay: 20 * time.Second}})
	run(t, b)
	waitAttempts(t, db, 1)
	clock.Advance(20 * time.Second)
	b.Kick()
	if d := receive(t, ext.got, 1)[0]; d.Attempts != 1 {
		t.Errorf("delivered on attempt %d; want the second", d.Attempts+1)
	}
	waitPending(t, b, 0)
}

// A deferred delivery waits for its time without using up an attempt.
func TestDeferredDeliveryKeepsItsAttempts(t *testing.T) {
	db := openMemory(t)
	clock := newClock()
	b := New(db, clock.Now, quiet)
	ext := &externalSink{got: make(chan *Delivery, 10)}
	until := clock.Now().Add(5 * time.Second)
	fail := func(d *Delivery) error {
		if clock.Now().Before(until) {
			return Deferred{Until: until}
		}
		return nil
	}
	ext.fail.Store(&fail)
	b.Register("http", ext)
	enqueue(t, db, b, &Delivery{Kind: "http", Body: []byte("x"), Retry: RetryPolicy{MaxAttempts: 1}})
	run(t, b)
	deadline := time.Now().Add(waitLimit)
	for {
		rec := outbox(t, db)
		if len(rec) == 1 && keyDue(rec[0].key).Equal(until) {
			if rec[0].d.Attempts != 0 {
				t.Errorf("a deferral counted as attempt %d", rec[0].d.Attempts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery was not deferred: %+v", rec)
		}
		time.Sleep(time.Millisecond)
	}
	clock.Advance(5 * time.Second)
	b.Kick()
	if d := receive(t, ext.got, 1)[0]; d.Attempts != 0 {
		t.Errorf("delivered on attempt %d; want the first", d.Attempts+1)
	}
	waitPending(t, b, 0)
}

func TestConcurrentProducers(t *testing.T) {
	db := openBolt(t, t.TempDir())
	defer db.Close()
	b := New(db, nil, quiet)
	b.batch = 16
	sink := newLocalSink()
	ext := &externalSink{got: make(chan *Delivery, 10000)}
	b.Register("q", sink)
	b.Register("http", ext)
	run(t, b)
	const producers, each = 8, 100
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				kind := "q"
				if i%10 == 0 {
					kind = "http"
				}
				enqueue(t, db, b, &Delivery{Kind: kind, Body: fmt.Appendf(nil, "%d-%d", p, i)})
			}
		}()
	}
	wg.Wait()
	got := append(receive(t, sink.got, producers*each*9/10), receive(t, ext.got, producers*each/10)...)
	seen := map[string]bool{}
	last := map[byte]int{}
	for _, d := range got {
		if seen[string(d.Body)] {
			t.Errorf("delivered %s twice", d.Body)
		}
		seen[string(d.Body)] = true
		if d.Kind == "q" {
			// Each producer's local deliveries arrive in its order.
			var p, i int
			fmt.Sscanf(string(d.Body), "%d-%d", &p, &i)
			if prev, ok := last[byte(p)]; ok && i < prev {
				t.Errorf("producer %d: %d after %d", p, i, prev)
			}
			last[byte(p)] = i
		}
	}
	waitPending(t, b, 0)
}

type checkingSink struct {
	localSink
	known map[string]bool
}

func (c *checkingSink) Exists(_ context.Context, target string) (bool, error) {
	return c.known[target], nil
}

func TestTargetExists(t *testing.T) {
	b := New(openMemory(t), nil, quiet)
	b.Register("checked", &checkingSink{known: map[string]bool{"a": true}})
	b.Register("unchecked", newLocalSink())
	tests := []struct {
		kind, target string
		want         bool
	}{
		{"checked", "a", true}, {"checked", "b", false}, {"unchecked", "anything", true}, {"unregistered", "a", false},
	}
	for _, tc := range tests {
		got, err := b.TargetExists(context.Background(), tc.kind, tc.target)
		if err != nil || got != tc.want {
			t.Errorf("TargetExists(%s, %s) = %v, %v; want %v", tc.kind, tc.target, got, err, tc.want)
		}
	}
}

func TestDeliverInline(t *testing.T) {
	db := openMemory(t)
	b := New(db, nil, quiet)
	sink := newLocalSink()
	ext := &externalSink{got: make(chan *Delivery, 10)}
	b.Register("q", sink)
	b.Register("http", ext)
	ctx, hooks := WithCommitHooks(context.Background())

	// Delivered in the producer's transaction; the sink's hook waits for
	// the producer's commit.
	err := db.Update(ctx, func(tx storage.Tx) error {
		return b.DeliverInline(ctx, tx, &Delivery{Kind: "q", Body: []byte("now")}, &Delivery{Kind: "http", Body: []byte("later")})
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-sink.got:
		t.Fatalf("hook ran before the producer ran them: %s", d.Body)
	default:
	}
	hooks(true)
	if d := receive(t, sink.got, 1)[0]; string(d.Body) != "now" || d.ID == "" {
		t.Errorf("inline delivery %+v", d)
	}
	if n, _ := b.Pending(context.Background()); n != 1 {
		t.Errorf("%d pending; want the external one", n)
	}

	// A failing sink: ErrNotInline, and the producer rolls back.
	sink.setFail(func(*Delivery) error { return errors.New("full") })
	err = db.Update(ctx, func(tx storage.Tx) error {
		return b.DeliverInline(ctx, tx, &Delivery{Kind: "q", Body: []byte("x")})
	})
	if !errors.Is(err, ErrNotInline) {
		t.Errorf("DeliverInline with a failing sink = %v", err)
	}
	hooks(false)
	sink.setFail(nil)

	// With a local delivery waiting, new ones queue behind it.
	enqueue(t, db, b, &Delivery{Kind: "q", Body: []byte("first")})
	err = db.Update(ctx, func(tx storage.Tx) error {
		return b.DeliverInline(ctx, tx, &Delivery{Kind: "q", Body: []byte("second")})
	})
	if err != nil {
		t.Fatal(err)
	}
	hooks(true)
	select {
	case d := <-sink.got:
		t.Fatalf("overtook the outbox: %s", d.Body)
	default:
	}
	run(t, b)
	got := receive(t, sink.got, 2)
	if string(got[0].Body) != "first" || string(got[1].Body) != "second" {
		t.Errorf("order %q %q", got[0].Body, got[1].Body)
	}
	receive(t, ext.got, 1)

	// Without a hook collector there is no inline delivery.
	err = db.Update(context.Background(), func(tx storage.Tx) error {
		return b.DeliverInline(context.Background(), tx, &Delivery{Kind: "q", Body: []byte("queued")})
	})
	if err != nil {
		t.Fatal(err)
	}
	receive(t, sink.got, 1)
	waitPending(t, b, 0)
}
