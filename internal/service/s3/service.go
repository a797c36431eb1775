package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Deps are what the S3 service needs from the rest of Nimbus.
type Deps struct {
	Store storage.Backend
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// Events, when set, receives the bucket event notifications (see
	// notify.go): enqueued in the transaction of the write they report.
	Events *events.Bus
	// SecretKey, when set, returns the secret of an access key: Nimbus then
	// verifies signatures, and S3 checks those of browser form uploads,
	// which carry theirs inside the form. It is the gateway's SecretKey.
	SecretKey func(ctx context.Context, accessKey string) (secret string, ok bool)
}

// Service implements the S3 API on the state engine.
type Service struct {
	s3api.Unimplemented

	db    storage.Backend
	blobs storage.BlobStore
	now   func() time.Time
	clock *clock
	log   *slog.Logger
	// events carries bucket event notifications (Deps.Events).
	events *events.Bus
	// buckets caches decoded bucket records (see bucketcache.go).
	buckets bucketCache
	// secretKey verifies form upload signatures when set (Deps.SecretKey).
	secretKey func(ctx context.Context, accessKey string) (string, bool)

	// minPartSize is the least size of a multipart part but the last;
	// zero means S3's 5 MiB (tests lower it).
	minPartSize int64
}

var _ s3api.API = (*Service)(nil)

// New returns the S3 service.
func New(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: d.Store, blobs: d.Store.Blobs(), now: now, clock: &clock{now: now}, log: log, secretKey: d.SecretKey, events: d.Events}
}

// releaseBlobs deletes the blobs of versions that a committed transaction
// removed. A failure only leaks disk space, so it is logged, not returned.
func (s *Service) releaseBlobs(segs []segment) {
	var inline []string
	for _, sg := range segs {
		if sg.Inline {
			inline = append(inline, sg.Blob)
			continue
		}
		if err := s.blobs.Delete(sg.Blob); err != nil {
			s.log.Warn("s3: releasing blob", "blob", sg.Blob, "err", err)
		}
	}
	if len(inline) == 0 {
		return
	}
	err := s.db.Update(context.Background(), func(tx storage.Tx) error {
		for _, id := range inline {
			if err := tx.Delete(tableInline, []byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("s3: releasing inline bodies", "err", err)
	}
}

// canonicalIDs caches canonicalID for a bounded number of accounts: every
// object write needs it twice (for the owner and the grant of its ACL).
var canonicalIDs struct {
	sync.RWMutex
	m map[string]string
}

const maxCachedCanonicalIDs = 1024

// canonicalID is the S3 canonical user id of an account: 64 hex digits,
// stable for the account.
func canonicalID(account string) string {
	canonicalIDs.RLock()
	id, ok := canonicalIDs.m[account]
	canonicalIDs.RUnlock()
	if ok {
		return id
	}
	sum := sha256.Sum256([]byte("nimbus-canonical-user:" + account))
	id = hex.EncodeToString(sum[:])
	canonicalIDs.Lock()
	if canonicalIDs.m == nil {
		canonicalIDs.m = map[string]string{}
	}
	if len(canonicalIDs.m) < maxCachedCanonicalIDs {
		canonicalIDs.m[account] = id
	}
	canonicalIDs.Unlock()
	return id
}

// ownerDisplayName is the display name of every owner.
const ownerDisplayName = "nimbus"

func ownerOf(account string) *s3api.Owner {
	id := canonicalID(account)
	name := ownerDisplayName
	return &s3api.Owner{ID: &id, DisplayName: &name}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// contextDone lets long loops stop when the client went away.
func contextDone(ctx context.Context) bool { return ctx.Err() != nil }
