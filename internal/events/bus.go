package events

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// ErrNoSink is returned by Enqueue for a delivery whose kind has no sink.
var ErrNoSink = errors.New("events: no sink registered for this kind")

// outboxTable holds the pending deliveries. A key is
//
//	lane (1 byte) | due time (8 bytes, Unix nanoseconds, big-endian) | sequence (8 bytes)
//
// so that a scan of one lane visits deliveries in order of due time, and
// deliveries due at the same time in the order they were enqueued. Local and
// external deliveries live in separate lanes so that a slow HTTP endpoint
// with a long backlog never stands in front of a queue.
const outboxTable = "events.outbox"

const (
	laneLocal    byte = 'l'
	laneExternal byte = 'x'
	keyLen            = 1 + 8 + 8
)

// Defaults of the dispatcher; tests in this package lower them.
const (
	defaultBatch   = 128 // local deliveries per transaction
	defaultWorkers = 16  // concurrent external deliveries
	// errorPause is how long the dispatcher waits after a storage error
	// before it looks again (unless kicked).
	errorPause = time.Second
)

// Bus is the durable delivery bus: producers Enqueue deliveries in their
// transactions, and Run delivers them through the registered sinks.
//
// Enqueue wakes the dispatcher itself, while the producer's transaction is
// still open: the dispatcher then looks for due deliveries in a read-write
// transaction, and because the storage engine serialises read-write
// transactions, that look starts only after the producer's commit (or
// rollback). Producers therefore need no post-commit call; Kick exists for
// deliveries that became due by other means.
//
// External deliveries being worked on are remembered in memory only: after
// a crash they are still in the outbox and are delivered again, which is
// the at-least-once contract of external sinks. Only one Bus may run on a
// store.
type Bus struct {
	db  storage.Backend
	now func() time.Time
	log *slog.Logger

	regMu sync.Mutex
	sinks atomic.Pointer[map[string]Sink] // copied on Register

	seq  atomic.Uint64
	kick chan struct{}

	batch   int
	workers int

	inflightMu sync.Mutex
	inflight   map[string]bool // outbox keys handed to external workers
}

// New returns a Bus on db. now is the clock (nil means time.Now).
func New(db storage.Backend, now func() time.Time, log *slog.Logger) *Bus {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	b := &Bus{
		db: db, now: now, log: log,
		kick:     make(chan struct{}, 1),
		batch:    defaultBatch,
		workers:  defaultWorkers,
		inflight: map[string]bool{},
	}
	b.sinks.Store(&map[string]Sink{})
	b.seq.Store(b.firstSequence())
	return b
}

// firstSequence is above every sequence number in the outbox and, so that
// ids do not repeat across restarts, no lower than the clock in nanoseconds.
func (b *Bus) firstSequence() uint64 {
	floor := uint64(max(b.now().UnixNano(), 0))
	err := b.db.View(context.Background(), func(tx storage.Tx) error {
		return tx.Scan(outboxTable, storage.Range{}, func(k, _ []byte) bool {
			if len(k) == keyLen {
				floor = max(floor, binary.BigEndian.Uint64(k[9:]))
			}
			return true
		})
	})
	if err != nil {
		b.log.Warn("events: reading the outbox", "err", err)
	}
	return floor
}

// Register sets the sink of a kind. Register sinks before Run.
func (b *Bus) Register(kind string, s Sink) {
	b.regMu.Lock()
	defer b.regMu.Unlock()
	m := make(map[string]Sink, len(*b.sinks.Load())+1)
	for k, v := range *b.sinks.Load() {
		m[k] = v
	}
	m[kind] = s
	b.sinks.Store(&m)
}

// Handles reports whether a sink is registered for kind; producers skip
// destinations whose service is absent.
func (b *Bus) Handles(kind string) bool { return b.sink(kind) != nil }

// TargetExists reports whether target exists for the sink of kind: false
// when no sink handles the kind, true when the sink cannot tell (it does
// not implement Checker).
func (b *Bus) TargetExists(ctx context.Context, kind, target string) (bool, error) {
	s := b.sink(kind)
	if s == nil {
		return false, nil
	}
	c, ok := s.(Checker)
	if !ok {
		return true, nil
	}
	return c.Exists(ctx, target)
}

func (b *Bus) sink(kind string) Sink { return (*b.sinks.Load())[kind] }

func isExternal(s Sink) bool {
	e, ok := s.(External)
	return ok && e.External()
}

// Enqueue adds deliveries inside the producer's transaction tx: they exist
// exactly when tx commits. It assigns each delivery its ID and Enqueued
// time; a NotBefore in the future delays the first attempt.
func (b *Bus) Enqueue(tx storage.Tx, ds ...*Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	now := b.now()
	for _, d := range ds {
		if err := b.put(tx, d, now); err != nil {
			return err
		}
	}
	b.Kick()
	return nil
}

func (b *Bus) put(tx storage.Tx, d *Delivery, now time.Time) error {
	s := b.sink(d.Kind)
	if s == nil {
		return fmt.Errorf("%w: %q", ErrNoSink, d.Kind)
	}
	seq := b.seq.Add(1)
	d.ID = strconv.FormatUint(seq, 36)
	d.Enqueued = now
	due := now
	if d.NotBefore.After(now) {
		due = d.NotBefore
	}
	d.NotBefore = due
	v, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("events: encoding delivery: %w", err)
	}
	return tx.Put(outboxTable, outboxKey(laneOf(s), due, seq), v)
}

func laneOf(s Sink) byte {
	if isExternal(s) {
		return laneExternal
	}
	return laneLocal
}

// Kick wakes the dispatcher. Enqueue kicks by itself.
func (b *Bus) Kick() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Pending counts the deliveries not yet delivered (or given up).
func (b *Bus) Pending(ctx context.Context) (int, error) {
	n := 0
	err := b.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(outboxTable, storage.Range{}, func(_, _ []byte) bool { n++; return true })
	})
	return n, err
}

func outboxKey(lane byte, due time.Time, seq uint64) []byte {
	k := make([]byte, keyLen)
	k[0] = lane
	binary.BigEndian.PutUint64(k[1:], uint64(max(due.UnixNano(), 0)))
	binary.BigEndian.PutUint64(k[9:], seq)
	return k
}

func keyDue(k []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k[1:9])))
}

func keySeq(k []byte) uint64 { return binary.BigEndian.Uint64(k[9:]) }

// delay is the wait before the retry that follows attempt n (1-based).
func (p RetryPolicy) delay(n int) time.Duration {
	if len(p.Delays) > 0 {
		return p.Delays[min(n, len(p.Delays))-1]
	}
	d := p.MinDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// effective fills the fields a policy leaves zero from DefaultRetry.
func (p RetryPolicy) effective() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetry.MaxAttempts
	}
	if p.MinDelay <= 0 {
		p.MinDelay = DefaultRetry.MinDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = max(DefaultRetry.MaxDelay, p.MinDelay)
	}
	return p
}

// ErrNotInline is returned by DeliverInline when a sink failed inside the
// producer's transaction: its writes may be in tx, so the producer must
// roll tx back and enqueue the deliveries instead.
var ErrNotInline = errors.New("events: inline delivery failed; roll back and Enqueue")

// DeliverInline delivers ds inside tx, the producer's own read-write
// transaction, when their sinks are local and no local delivery waits in
// the outbox (so that nothing is overtaken): one commit then both produces
// and delivers them, exactly once, with no work left for the dispatcher.
// Deliveries to external sinks or not due yet, or any when the outbox is
// not empty, are enqueued as by Enqueue.
//
// The sinks' AfterCommit functions go to the collector of ctx (see
// WithCommitHooks): the producer runs them once tx committed. A sink's
// failure is ErrNotInline.
func (b *Bus) DeliverInline(ctx context.Context, tx storage.Tx, ds ...*Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	hooks, _ := ctx.Value(commitHooksKey{}).(*commitHooks)
	if hooks == nil || b.waiting(tx) {
		return b.Enqueue(tx, ds...)
	}
	now := b.now()
	var rest []*Delivery
	for _, d := range ds {
		s := b.sink(d.Kind)
		if s == nil || isExternal(s) || d.NotBefore.After(now) {
			rest = append(rest, d)
			continue
		}
		d.ID = strconv.FormatUint(b.seq.Add(1), 36)
		d.Enqueued, d.NotBefore = now, now
		if err := s.Deliver(ctx, tx, d); err != nil {
			return fmt.Errorf("%w: %v", ErrNotInline, err)
		}
	}
	return b.Enqueue(tx, rest...)
}

// waiting reports whether a local delivery is in the outbox.
func (b *Bus) waiting(tx storage.Tx) bool {
	found := false
	_ = tx.Scan(outboxTable, storage.Range{Prefix: []byte{laneLocal}}, func(_, _ []byte) bool {
		found = true
		return false
	})
	return found
}

// WithCommitHooks returns a context in which DeliverInline collects the
// sinks' AfterCommit functions, and the function that runs them; the
// producer calls it after its transaction committed (and drops it after a
// rollback). Calling it resets the collection, so one context can serve a
// transaction that is retried.
func WithCommitHooks(ctx context.Context) (context.Context, func(committed bool)) {
	h := &commitHooks{}
	return context.WithValue(ctx, commitHooksKey{}, h), func(committed bool) {
		fns := h.fns
		h.fns = nil
		if committed {
			for _, fn := range fns {
				fn()
			}
		}
	}
}
