package sqs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Deps are what the SQS service needs from the rest of Nimbus.
type Deps struct {
	Store storage.Backend
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Service implements the SQS API on the state engine.
type Service struct {
	sqsapi.Unimplemented

	db  storage.Backend
	now func() time.Time
	log *slog.Logger

	waiters waiters
	// closing ends long polls when Nimbus shuts down (EndLongPolls).
	closing   chan struct{}
	closeOnce sync.Once

	// tasks are the message move tasks running in this process.
	tasksMu sync.Mutex
	tasks   map[string]context.CancelFunc
	bgCtx   context.Context
	bg      sync.WaitGroup
}

var _ sqsapi.API = (*Service)(nil)

// New returns the SQS service.
func New(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: d.Store, now: now, log: log, closing: make(chan struct{}), waiters: waiters{m: map[uint64]chan struct{}{}},
		tasks: map[string]context.CancelFunc{}, bgCtx: context.Background()}
}

// Run does the service's background work until ctx ends: it resumes the
// message move tasks that were running when Nimbus stopped and sweeps
// expired messages, deduplication ids and the messages of deleted queues.
func (s *Service) Run(ctx context.Context, sweepEvery time.Duration) {
	s.tasksMu.Lock()
	s.bgCtx = ctx
	s.tasksMu.Unlock()
	s.resumeMoveTasks(ctx)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		if err := s.sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sqs: sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			s.bg.Wait()
			return
		case <-t.C:
		}
	}
}

// EndLongPolls makes waiting and future long polls answer at once (with no
// messages, as a poll that times out does), so that a shutdown does not
// wait for them.
func (s *Service) EndLongPolls() {
	s.closeOnce.Do(func() { close(s.closing) })
}

// waiters wakes long polls: each queue id has a channel that is closed (and
// replaced) when something may have become receivable on it.
type waiters struct {
	mu sync.Mutex
	m  map[uint64]chan struct{}
}

// channel returns the channel that the next wake of qid closes. Take it
// before looking at the queue, so that a wake between the look and the
// wait is not lost.
func (w *waiters) channel(qid uint64) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.m[qid]
	if !ok {
		ch = make(chan struct{})
		w.m[qid] = ch
	}
	return ch
}

// wake wakes every long poll on qid. Call it after the transaction that
// made messages receivable has committed.
func (w *waiters) wake(qid uint64) {
	w.mu.Lock()
	ch, ok := w.m[qid]
	if ok {
		delete(w.m, qid)
	}
	w.mu.Unlock()
	if ok {
		close(ch)
	}
}

// lookup resolves a QueueUrl to its queue in tx, or answers as SQS does
// for a queue that does not exist.
func (s *Service) lookup(ctx context.Context, tx storage.Tx, queueURL *string) (*queue, error) {
	ref, ok := parseQueueURL(ctx, deref(queueURL))
	if !ok {
		return nil, queueDoesNotExist(ctx)
	}
	q, err := loadQueue(tx, ref.account, ref.region, ref.name)
	if notFound(err) {
		return nil, queueDoesNotExist(ctx)
	}
	return q, err
}

// nowMs is the clock in unix milliseconds.
func (s *Service) nowMs() int64 { return s.now().UnixMilli() }

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func account(ctx context.Context) string { return request.FromContext(ctx).Account }
