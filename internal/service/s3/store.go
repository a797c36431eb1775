package s3

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Tables. Bucket names are global across accounts, as in AWS, so bucket
// keys carry no account or region.
const (
	tableBuckets = "s3.buckets" // bucket name -> bucketRecord
	tableObjects = "s3.objects" // objectKey(bucket, key, seq) -> objectRecord
	tableUploads = "s3.uploads" // bucket \x00 uploadID -> uploadRecord
	tableParts   = "s3.parts"   // uploadID \x00 %05d partNumber -> partRecord
	// tableInline holds the bytes of small object bodies, keyed by their
	// segment id, so that a small PUT is one metadata commit and no file.
	tableInline = "s3.inline"
)

// bucketRecord is everything S3 keeps about a bucket. Sub-resource
// configurations are kept as the typed structures of the API, as the
// client sent them (after validation).
type bucketRecord struct {
	Name    string    `json:"name"`
	Account string    `json:"account"`
	Region  string    `json:"region"`
	Created time.Time `json:"created"`
	// Versioning is "", "Enabled" or "Suspended".
	Versioning string `json:"versioning,omitempty"`
	MFADelete  string `json:"mfaDelete,omitempty"`

	ObjectLockEnabled bool                           `json:"objectLockEnabled,omitempty"`
	ObjectLock        *s3api.ObjectLockConfiguration `json:"objectLock,omitempty"`
	Ownership         string                         `json:"ownership,omitempty"` // BucketOwnerEnforced, ...

	ACL          *s3api.AccessControlPolicy                        `json:"acl,omitempty"`
	Policy       string                                            `json:"policy,omitempty"`
	Tags         []s3api.Tag                                       `json:"tags,omitempty"`
	CORS         *s3api.CORSConfiguration                          `json:"cors,omitempty"`
	Lifecycle    *s3api.BucketLifecycleConfiguration               `json:"lifecycle,omitempty"`
	Website      *s3api.WebsiteConfiguration                       `json:"website,omitempty"`
	Encryption   *s3api.ServerSideEncryptionConfiguration          `json:"encryption,omitempty"`
	Notification *s3api.NotificationConfiguration                  `json:"notification,omitempty"`
	Logging      *s3api.LoggingEnabled                             `json:"logging,omitempty"`
	Accelerate   string                                            `json:"accelerate,omitempty"`
	RequestPayer string                                            `json:"requestPayer,omitempty"`
	PublicAccess *s3api.PublicAccessBlockConfiguration             `json:"publicAccess,omitempty"`
	Replication  *s3api.ReplicationConfiguration                   `json:"replication,omitempty"`
	Analytics    map[string]*s3api.AnalyticsConfiguration          `json:"analytics,omitempty"`
	Inventory    map[string]*s3api.InventoryConfiguration          `json:"inventory,omitempty"`
	Metrics      map[string]*s3api.MetricsConfiguration            `json:"metrics,omitempty"`
	Intelligent  map[string]*s3api.IntelligentTieringConfiguration `json:"intelligent,omitempty"`

	// LifecycleMinSize is the x-amz-transition-default-minimum-object-size
	// the lifecycle configuration was put with.
	LifecycleMinSize string `json:"lifecycleMinSize,omitempty"`
}

// segment is one stretch of an object's bytes, kept as a blob. A simple
// object has one; a multipart object has one per part, so completing an
// upload never copies bytes.
type segment struct {
	Blob string `json:"b"`
	Size int64  `json:"s"`
	// Inline segments live in tableInline instead of the blob store.
	Inline bool `json:"i,omitempty"`
}

// partInfo describes one part of a multipart object, for GetObject
// ?partNumber and GetObjectAttributes.
type partInfo struct {
	Size     int64             `json:"s"`
	ETag     string            `json:"e"`
	Checksum map[string]string `json:"c,omitempty"`
}

// objectRecord is one version of an object (or a delete marker).
type objectRecord struct {
	Key          string    `json:"key"`
	VersionID    string    `json:"vid"` // "null" for the null version
	Seq          uint64    `json:"seq"`
	DeleteMarker bool      `json:"dm,omitempty"`
	LastModified time.Time `json:"mod"`
	Owner        string    `json:"owner,omitempty"` // account id

	Size     int64      `json:"size"`
	ETag     string     `json:"etag,omitempty"` // quoted, as sent on the wire
	Segments []segment  `json:"seg,omitempty"`
	Parts    []partInfo `json:"parts,omitempty"`

	ContentType        string                     `json:"ct,omitempty"`
	CacheControl       string                     `json:"cc,omitempty"`
	ContentDisposition string                     `json:"cd,omitempty"`
	ContentEncoding    string                     `json:"ce,omitempty"`
	ContentLanguage    string                     `json:"cl,omitempty"`
	Expires            string                     `json:"exp,omitempty"`
	WebsiteRedirect    string                     `json:"wr,omitempty"`
	Metadata           map[string]string          `json:"meta,omitempty"`
	StorageClass       string                     `json:"sc,omitempty"`
	Tags               []s3api.Tag                `json:"tags,omitempty"`
	ACL                *s3api.AccessControlPolicy `json:"acl,omitempty"`

	// Checksum holds the flexible checksum (algorithm -> base64 value) and
	// ChecksumType is FULL_OBJECT or COMPOSITE.
	Checksum     map[string]string `json:"ck,omitempty"`
	ChecksumType string            `json:"ckt,omitempty"`

	SSE           string `json:"sse,omitempty"`
	SSEKMSKeyID   string `json:"kms,omitempty"`
	BucketKey     bool   `json:"bk,omitempty"`
	SSECustAlgo   string `json:"ssec,omitempty"`
	SSECustKeyMD5 string `json:"ssecmd5,omitempty"`

	LockMode        string    `json:"lm,omitempty"`
	LockRetainUntil time.Time `json:"lru,omitzero"`
	LegalHold       string    `json:"lh,omitempty"`
}

// objectKey builds the row key of one version: bucket, NUL, object key,
// NUL, then the bitwise complement of the sequence number so that the
// newest version of a key sorts first. S3 object keys cannot contain NUL
// (it cannot be sent in XML), so the key group of "a" sorts before "a!".
func objectKey(bucket, key string, seq uint64) []byte {
	b := make([]byte, 0, len(bucket)+len(key)+10)
	b = append(b, bucket...)
	b = append(b, 0)
	b = append(b, key...)
	b = append(b, 0)
	return binary.BigEndian.AppendUint64(b, ^seq)
}

// keyPrefix is the prefix of every version row of key in bucket.
func keyPrefix(bucket, key string) []byte {
	b := make([]byte, 0, len(bucket)+len(key)+2)
	b = append(b, bucket...)
	b = append(b, 0)
	b = append(b, key...)
	return append(b, 0)
}

// bucketPrefix is the prefix of every object row of bucket.
func bucketPrefix(bucket string) []byte {
	return append([]byte(bucket), 0)
}

// splitObjectKey returns the object key of a row key of bucket.
func splitObjectKey(bucket string, row []byte) string {
	return string(row[len(bucket)+1 : len(row)-9])
}

// clock hands out strictly increasing sequence numbers derived from the wall
// clock, so versions order by write time even across restarts.
type clock struct {
	mu   sync.Mutex
	last uint64
	now  func() time.Time
}

func (c *clock) next() (uint64, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now()
	n := uint64(t.UnixNano())
	if n <= c.last {
		n = c.last + 1
	}
	c.last = n
	return n, t
}

// newVersionID returns a version id for a versioned write: 32 URL-safe
// characters, like AWS's.
func newVersionID(seq uint64) string {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], seq)
	copy(b[8:], rnd[:])
	return hex.EncodeToString(b[:])
}

// seqFromVersionID recovers the sequence number encoded in a version id, so
// that a version is found without an index.
func seqFromVersionID(v string) (uint64, bool) {
	if len(v) != 32 {
		return 0, false
	}
	b, err := hex.DecodeString(v[:16])
	if err != nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

func getJSON(tx storage.Tx, table string, key []byte, v any) error {
	raw, err := tx.Get(table, key)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

func putJSON(tx storage.Tx, table string, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(table, key, raw)
}

// bucket loads a bucket record or returns NoSuchBucket. The record is the
// caller's own to change.
func (s *Service) bucket(tx storage.Tx, name string) (*bucketRecord, error) {
	raw, err := tx.Get(tableBuckets, []byte(name))
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			s.buckets.forget(name)
			return nil, noSuchBucket(name)
		}
		return nil, err
	}
	return s.buckets.record(name, raw)
}

// ownedBucket is bucket for a request that may name the bucket's expected
// owner (x-amz-expected-bucket-owner).
func (s *Service) ownedBucket(tx storage.Tx, name string, expectedOwner *string) (*bucketRecord, error) {
	b, err := s.bucket(tx, name)
	if err != nil {
		return nil, err
	}
	if err := checkExpectedOwner(b, expectedOwner); err != nil {
		return nil, err
	}
	return b, nil
}

// viewBucket loads a bucket outside of any other transaction.
func (s *Service) viewBucket(ctx context.Context, name string) (*bucketRecord, error) {
	var b *bucketRecord
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		b, err = s.bucket(tx, name)
		return err
	})
	return b, err
}

// viewOwnedBucket is viewBucket for a request that may name the bucket's
// expected owner (x-amz-expected-bucket-owner).
func (s *Service) viewOwnedBucket(ctx context.Context, name string, expectedOwner *string) (*bucketRecord, error) {
	b, err := s.viewBucket(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := checkExpectedOwner(b, expectedOwner); err != nil {
		return nil, err
	}
	return b, nil
}

// bucketExists returns NoSuchBucket for a missing bucket, without decoding
// the bucket's record.
func (s *Service) bucketExists(ctx context.Context, name string) error {
	return s.db.View(ctx, func(tx storage.Tx) error {
		if _, err := tx.Get(tableBuckets, []byte(name)); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return noSuchBucket(name)
			}
			return err
		}
		return nil
	})
}

// updateBucket loads a bucket, lets fn change it and stores it.
func (s *Service) updateBucket(ctx context.Context, name string, fn func(b *bucketRecord) error) error {
	return s.db.Update(ctx, func(tx storage.Tx) error {
		b, err := s.bucket(tx, name)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		return putJSON(tx, tableBuckets, []byte(name), b)
	})
}

// updateOwnedBucket is updateBucket for a request that may name the
// bucket's expected owner.
func (s *Service) updateOwnedBucket(ctx context.Context, name string, expectedOwner *string, fn func(b *bucketRecord) error) error {
	return s.updateBucket(ctx, name, func(b *bucketRecord) error {
		if err := checkExpectedOwner(b, expectedOwner); err != nil {
			return err
		}
		return fn(b)
	})
}

// latest returns the newest version row of key (possibly a delete marker),
// or nil when the key has no versions.
func latest(tx storage.Tx, bucket, key string) (*objectRecord, error) {
	var rec *objectRecord
	var derr error
	err := tx.Scan(tableObjects, storage.Range{Prefix: keyPrefix(bucket, key)}, func(_, v []byte) bool {
		rec = new(objectRecord)
		derr = decodeObjectRow(v, rec)
		return false
	})
	if err == nil {
		err = derr
	}
	return rec, err
}

// version returns the given version of key, or nil when it does not exist.
func version(tx storage.Tx, bucket, key, versionID string) (*objectRecord, error) {
	if versionID == "null" {
		return findNullVersion(tx, bucket, key)
	}
	seq, ok := seqFromVersionID(versionID)
	if !ok {
		return nil, nil
	}
	var rec objectRecord
	if err := getObjectRow(tx, objectKey(bucket, key, seq), &rec); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	if rec.VersionID != versionID {
		return nil, nil
	}
	return &rec, nil
}

// findNullVersion returns the "null" version of key, if any.
func findNullVersion(tx storage.Tx, bucket, key string) (*objectRecord, error) {
	var rec *objectRecord
	var derr error
	err := tx.Scan(tableObjects, storage.Range{Prefix: keyPrefix(bucket, key)}, func(_, v []byte) bool {
		var r objectRecord
		if derr = decodeObjectRow(v, &r); derr != nil {
			return false
		}
		if r.VersionID == "null" {
			rec = &r
			return false
		}
		return true
	})
	if err == nil {
		err = derr
	}
	return rec, err
}
