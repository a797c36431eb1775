package dynamodb

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Deps are what the DynamoDB service needs from the rest of Nimbus.
type Deps struct {
	Store storage.Backend
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// ItemCollectionLimit is the most bytes an item collection of a table
	// with local secondary indexes may hold; 0 means DynamoDB's 10 GB.
	// Tests lower it.
	ItemCollectionLimit int64
}

// Service implements the DynamoDB API on the state engine.
type Service struct {
	dynamodbapi.Unimplemented

	db  storage.Backend
	now func() time.Time
	log *slog.Logger

	// metas caches decoded table metadata by the bytes it was decoded
	// from, so that a request pays one Get and one comparison, not a decode.
	metas metaCache

	// group batches concurrent single-item writes into shared
	// transactions (groupcommit.go).
	group groupQueue

	// collectionLimit is the size limit of item collections (collections.go).
	collectionLimit int64

	// backfillBatch is how many items one transaction of a GSI backfill
	// copies; backfillInline is the item count up to which UpdateTable
	// backfills a new index in its own transaction (tests lower both).
	backfillBatch  int
	backfillInline int64

	// workers tracks background jobs (GSI backfills, purges of deleted
	// tables) so that Close can wait for them.
	workers sync.WaitGroup
	stop    context.CancelFunc
	ctx     context.Context
	// closing guards workers: no job starts once Close began.
	closing sync.Mutex
	closed  bool
}

var _ dynamodbapi.API = (*Service)(nil)

// New returns the DynamoDB service.
func New(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	limit := d.ItemCollectionLimit
	if limit <= 0 {
		limit = maxCollectionBytes
	}
	// Before any request can read items in the old layout.
	if n, err := migrateLegacyItems(context.Background(), d.Store); err != nil {
		log.Error("dynamodb: moving items to the current storage layout", "err", err)
	} else if n > 0 {
		log.Info("dynamodb: moved items to the current storage layout", "entries", n)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Service{
		db: d.Store, now: now, log: log, collectionLimit: limit,
		backfillBatch: 1000, backfillInline: 10000,
		ctx: ctx, stop: stop,
	}
	return s
}

// Start resumes work that a previous run left unfinished: index
// backfills, the purge of deleted tables' items, and the removal of
// restores a crash interrupted.
func (s *Service) Start() {
	s.goWork(func(ctx context.Context) {
		s.abandonRestores(ctx) // before the purge, which takes their key spaces
		s.resumeWork(ctx)
	})
}

// Close stops background work and waits for it. Work that a later
// start finds unfinished (purges, backfills) resumes then.
func (s *Service) Close() {
	s.closing.Lock()
	s.closed = true
	s.closing.Unlock()
	s.stop()
	s.workers.Wait()
}

func (s *Service) goWork(fn func(ctx context.Context)) {
	s.closing.Lock()
	defer s.closing.Unlock()
	if s.closed {
		return
	}
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		fn(s.ctx)
	}()
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
