package s3

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Lifecycle: validation of the configuration, its operations, the
// x-amz-expiration header, and the worker that applies the rules.

const (
	maxLifecycleRules = 1000
	// defaultTransitionMinSize is the x-amz-transition-default-minimum-object-size
	// S3 applies since September 2024 when a configuration names none.
	defaultTransitionMinSize = "all_storage_classes_128K"
)

var transitionStorageClasses = map[string]bool{
	"GLACIER": true, "STANDARD_IA": true, "ONEZONE_IA": true, "INTELLIGENT_TIERING": true, "DEEP_ARCHIVE": true, "GLACIER_IR": true,
}

// infrequentAccessClasses need objects to stay 30 days before moving there.
var infrequentAccessClasses = map[string]bool{"STANDARD_IA": true, "ONEZONE_IA": true}

// isMidnightUTC reports whether t is 00:00:00 UTC, as lifecycle dates must be.
func isMidnightUTC(t time.Time) bool {
	u := t.UTC()
	return u.Equal(u.Truncate(24 * time.Hour))
}

// filterHasTags reports whether a rule selects objects by tag, which some
// actions do not allow.
func filterHasTags(f *s3api.LifecycleRuleFilter) bool {
	return f != nil && (f.Tag != nil || f.And != nil && len(f.And.Tags) > 0)
}

func validateLifecycleFilter(f *s3api.LifecycleRuleFilter) error {
	set := 0
	for _, present := range []bool{f.Prefix != nil, f.Tag != nil, f.And != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil} {
		if present {
			set++
		}
	}
	if set > 1 {
		return malformedXML()
	}
	if f.Tag != nil {
		if err := validateTags([]s3api.Tag{*f.Tag}, maxObjectTags); err != nil {
			return err
		}
	}
	if a := f.And; a != nil {
		seen := map[string]bool{}
		for _, t := range a.Tags {
			if seen[deref(t.Key)] {
				return errInvalidRequest.New("Duplicate Tag Keys are not allowed.")
			}
			seen[deref(t.Key)] = true
		}
		if err := validateTags(a.Tags, maxObjectTags); err != nil {
			return err
		}
		if a.ObjectSizeGreaterThan != nil && a.ObjectSizeLessThan != nil && *a.ObjectSizeGreaterThan >= *a.ObjectSizeLessThan {
			return invalidArgument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan", "ObjectSizeGreaterThan", "")
		}
	}
	for _, n := range []*int64{f.ObjectSizeGreaterThan, f.ObjectSizeLessThan} {
		if n != nil && *n < 0 {
			return invalidArgument("Object size must be a non-negative integer", "ObjectSize", "")
		}
	}
	return nil
}

func validateLifecycleExpiration(e *s3api.LifecycleExpiration, tagged bool) error {
	marker := e.ExpiredObjectDeleteMarker != nil
	switch {
	case e.Days != nil && e.Date != nil, marker && (e.Days != nil || e.Date != nil), !marker && e.Days == nil && e.Date == nil:
		return malformedXML()
	case e.Days != nil && *e.Days <= 0:
		return invalidArgument("'Days' for Expiration action must be a positive integer", "Days", "")
	case e.Date != nil && !isMidnightUTC(*e.Date):
		return invalidArgument("'Date' must be at midnight GMT", "Date", e.Date.UTC().Format(time.RFC3339))
	case marker && *e.ExpiredObjectDeleteMarker && tagged:
		return errInvalidRequest.New("ExpiredObjectDeleteMarker cannot be specified with Tags.")
	}
	return nil
}

func validateTransitions(r *s3api.LifecycleRule) error {
	classes := map[string]bool{}
	for _, t := range r.Transitions {
		sc := deref(t.StorageClass)
		if !transitionStorageClasses[sc] || (t.Days == nil) == (t.Date == nil) {
			return malformedXML()
		}
		if classes[sc] {
			return invalidArgument("'StorageClass' must be different for 'Transition' actions in same 'Rule'", "StorageClass", sc)
		}
		classes[sc] = true
		if t.Days != nil {
			if *t.Days < 0 {
				return invalidArgument("'Days' in Transition action must be nonnegative", "Days", "")
			}
			if infrequentAccessClasses[sc] && *t.Days < 30 {
				return invalidArgument("'Days' in Transition action must be greater than or equal to 30 for storageClass '"+sc+"'", "Days", "")
			}
		}
		if t.Date != nil && !isMidnightUTC(*t.Date) {
			return invalidArgument("'Date' must be at midnight GMT", "Date", t.Date.UTC().Format(time.RFC3339))
		}
	}
	classes = map[string]bool{}
	for _, t := range r.NoncurrentVersionTransitions {
		sc := deref(t.StorageClass)
		if !transitionStorageClasses[sc] || t.NoncurrentDays == nil {
			return malformedXML()
		}
		if classes[sc] {
			return invalidArgument("'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same 'Rule'", "StorageClass", sc)
		}
		classes[sc] = true
		if *t.NoncurrentDays < 0 {
			return invalidArgument("'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative", "NoncurrentDays", "")
		}
		if infrequentAccessClasses[sc] && *t.NoncurrentDays < 30 {
			return invalidArgument("'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass '"+sc+"'", "NoncurrentDays", "")
		}
	}
	return nil
}

func validateLifecycleRule(r *s3api.LifecycleRule) error {
	if st := deref(r.Status); st != "Enabled" && st != "Disabled" {
		return malformedXML()
	}
	if len(deref(r.ID)) > 255 {
		return invalidArgument("ID length should not exceed allowed limit of 255", "ID", deref(r.ID))
	}
	// A rule names its objects by Filter or, in the older form, by a
	// Prefix beside it; exactly one of the two.
	if (r.Filter == nil) == (r.Prefix == nil) {
		return malformedXML()
	}
	if r.Filter != nil {
		if err := validateLifecycleFilter(r.Filter); err != nil {
			return err
		}
	}
	if r.Expiration == nil && r.NoncurrentVersionExpiration == nil && len(r.Transitions) == 0 &&
		len(r.NoncurrentVersionTransitions) == 0 && r.AbortIncompleteMultipartUpload == nil {
		return errInvalidRequest.New("At least one action needs to be specified in a rule")
	}
	tagged := filterHasTags(r.Filter)
	if r.Expiration != nil {
		if err := validateLifecycleExpiration(r.Expiration, tagged); err != nil {
			return err
		}
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		if n.NoncurrentDays == nil {
			return malformedXML()
		}
		if *n.NoncurrentDays <= 0 {
			return invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer", "NoncurrentDays", "")
		}
		if v := n.NewerNoncurrentVersions; v != nil && (*v <= 0 || *v > 100) {
			return invalidArgument("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to 100", "NewerNoncurrentVersions", "")
		}
	}
	if err := validateTransitions(r); err != nil {
		return err
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		if a.DaysAfterInitiation == nil || *a.DaysAfterInitiation <= 0 {
			return invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer", "DaysAfterInitiation", "")
		}
		if tagged {
			return errInvalidRequest.New("AbortIncompleteMultipartUpload cannot be specified with Tags.")
		}
	}
	return nil
}

// validateLifecycle checks a lifecycle configuration as S3 does and gives
// the rules without an ID one.
func validateLifecycle(c *s3api.BucketLifecycleConfiguration) error {
	if c == nil || len(c.Rules) == 0 || len(c.Rules) > maxLifecycleRules {
		return malformedXML()
	}
	ids := map[string]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if err := validateLifecycleRule(r); err != nil {
			return err
		}
		if r.ID == nil || *r.ID == "" {
			r.ID = ptr(generatedID())
		}
		if ids[*r.ID] {
			return invalidArgument("Rule ID must be unique. Found same ID for more than one rule", "ID", *r.ID)
		}
		ids[*r.ID] = true
	}
	return nil
}

func (s *Service) PutBucketLifecycleConfiguration(ctx context.Context, in *s3api.PutBucketLifecycleConfigurationInput) (*s3api.PutBucketLifecycleConfigurationOutput, error) {
	minSize := deref(in.TransitionDefaultMinimumObjectSize)
	switch minSize {
	case "":
		minSize = defaultTransitionMinSize
	case "varies_by_storage_class", "all_storage_classes_128K":
	default:
		return nil, invalidArgument("Invalid value for x-amz-transition-default-minimum-object-size", "x-amz-transition-default-minimum-object-size", minSize)
	}
	if err := validateLifecycle(in.LifecycleConfiguration); err != nil {
		return nil, err
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Lifecycle = in.LifecycleConfiguration
		b.LifecycleMinSize = minSize
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketLifecycleConfigurationOutput{TransitionDefaultMinimumObjectSize: &minSize}, nil
}

func (s *Service) GetBucketLifecycleConfiguration(ctx context.Context, in *s3api.GetBucketLifecycleConfigurationInput) (*s3api.GetBucketLifecycleConfigurationOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if b.Lifecycle == nil {
		return nil, errNoSuchLifecycleConfiguration.New("The lifecycle configuration does not exist").WithDetail(map[string]string{"BucketName": b.Name})
	}
	minSize := b.LifecycleMinSize
	if minSize == "" {
		minSize = defaultTransitionMinSize
	}
	return &s3api.GetBucketLifecycleConfigurationOutput{Rules: b.Lifecycle.Rules, TransitionDefaultMinimumObjectSize: &minSize}, nil
}

func (s *Service) DeleteBucketLifecycle(ctx context.Context, in *s3api.DeleteBucketLifecycleInput) (*s3api.DeleteBucketLifecycleOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Lifecycle = nil
		b.LifecycleMinSize = ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketLifecycleOutput{}, nil
}

// lifecycleDue is when an action that waits days after start becomes due:
// S3 adds the days and rounds up to the next midnight UTC ("Lifecycle
// rules: Based on an object's age" in the S3 User Guide).
func lifecycleDue(start time.Time, days int32) time.Time {
	t := start.UTC().Add(time.Duration(days) * 24 * time.Hour)
	return t.Truncate(24 * time.Hour).Add(24 * time.Hour)
}

// enabledRules returns the rules of a bucket that are in force.
func enabledRules(b *bucketRecord) []*s3api.LifecycleRule {
	if b.Lifecycle == nil {
		return nil
	}
	var out []*s3api.LifecycleRule
	for i := range b.Lifecycle.Rules {
		if r := &b.Lifecycle.Rules[i]; deref(r.Status) == "Enabled" {
			out = append(out, r)
		}
	}
	return out
}

// rulePrefix is the key prefix a rule selects ("" for all keys).
func rulePrefix(r *s3api.LifecycleRule) string {
	if f := r.Filter; f != nil {
		if f.And != nil {
			return deref(f.And.Prefix)
		}
		return deref(f.Prefix)
	}
	return deref(r.Prefix)
}

// ruleSelects reports whether a rule's filter selects a version with this
// key, size and tags.
func ruleSelects(r *s3api.LifecycleRule, key string, size int64, tags []s3api.Tag) bool {
	if !strings.HasPrefix(key, rulePrefix(r)) {
		return false
	}
	f := r.Filter
	if f == nil {
		return true
	}
	greater, less := f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
	want := []s3api.Tag{}
	if f.Tag != nil {
		want = append(want, *f.Tag)
	}
	if f.And != nil {
		greater, less = f.And.ObjectSizeGreaterThan, f.And.ObjectSizeLessThan
		want = append(want, f.And.Tags...)
	}
	if greater != nil && size <= *greater || less != nil && size >= *less {
		return false
	}
	for _, w := range want {
		if !hasTag(tags, deref(w.Key), deref(w.Value)) {
			return false
		}
	}
	return true
}

func hasTag(tags []s3api.Tag, key, value string) bool {
	for _, t := range tags {
		if deref(t.Key) == key && deref(t.Value) == value {
			return true
		}
	}
	return false
}

// currentExpiry returns when rule r expires a current version, if it has
// a Days or Date expiration.
func currentExpiry(r *s3api.LifecycleRule, lastModified time.Time) (time.Time, bool) {
	e := r.Expiration
	switch {
	case e == nil:
		return time.Time{}, false
	case e.Date != nil:
		return e.Date.UTC(), true
	case e.Days != nil:
		return lifecycleDue(lastModified, *e.Days), true
	}
	return time.Time{}, false
}

// expirationHeader is the x-amz-expiration value of an object version: the
// earliest expiry any enabled rule sets for it, with that rule's ID, or ""
// when no rule expires it. Call it for the current version only
// (PutObject, and GetObject/HeadObject without a versionId or on the
// current version); noncurrent versions expire by NoncurrentDays, which
// depends on their successor.
func expirationHeader(b *bucketRecord, rec *objectRecord) string {
	if b == nil || rec == nil || rec.DeleteMarker {
		return ""
	}
	var best time.Time
	var bestID string
	found := false
	for _, r := range enabledRules(b) {
		due, ok := currentExpiry(r, rec.LastModified)
		if !ok || !ruleSelects(r, rec.Key, rec.Size, rec.Tags) {
			continue
		}
		if !found || due.Before(best) {
			best, bestID, found = due, deref(r.ID), true
		}
	}
	if !found {
		return ""
	}
	id := strings.ReplaceAll(url.QueryEscape(bestID), "+", "%20")
	return `expiry-date="` + best.Format(http.TimeFormat) + `", rule-id="` + id + `"`
}

// expirationOutput is the x-amz-expiration of a GetObject or HeadObject:
// sent when the request reads the current version (no versionId).
func expirationOutput(b *bucketRecord, rec *objectRecord, versionID *string) *string {
	if versionID != nil {
		return nil
	}
	return nonEmpty(expirationHeader(b, rec))
}

// ---- the lifecycle worker ----

// lifecycleScanBatch bounds the versions read in one read transaction,
// and lifecycleApplyBatch the keys changed in one write transaction, so
// that a big bucket never holds the engine for long. They are variables so
// that tests can make the batches small.
var (
	lifecycleScanBatch  = 10000
	lifecycleApplyBatch = 100
)

// keyPlan is what the rules do to one key in a run.
type keyPlan struct {
	expireCurrent bool            // delete the object, or add a delete marker when versioned
	remove        []*objectRecord // versions and delete markers removed for good
}

func (p keyPlan) empty() bool { return !p.expireCurrent && len(p.remove) == 0 }

// planKey works out what the rules do at now to a key whose versions are
// given newest first.
func planKey(rules []*s3api.LifecycleRule, versions []*objectRecord, now time.Time) keyPlan {
	var p keyPlan
	if len(versions) == 0 {
		return p
	}
	cur := versions[0]
	for _, r := range rules {
		if !ruleSelects(r, cur.Key, cur.Size, cur.Tags) {
			continue
		}
		if !cur.DeleteMarker {
			if due, ok := currentExpiry(r, cur.LastModified); ok && !now.Before(due) {
				p.expireCurrent = true
			}
			continue
		}
		if len(versions) > 1 {
			continue
		}
		// An expired object delete marker (the only version left) goes
		// when a rule asks for it, or when a Days/Date expiration would
		// have expired it ("Managing delete markers" in the S3 User Guide).
		due, ok := currentExpiry(r, cur.LastModified)
		if r.Expiration != nil && deref(r.Expiration.ExpiredObjectDeleteMarker) || ok && !now.Before(due) {
			p.remove = append(p.remove, cur)
			return p
		}
	}
	for i := 1; i < len(versions); i++ {
		v := versions[i]
		// A version became noncurrent when the next newer one was written.
		since := versions[i-1].LastModified
		newerNoncurrent := int32(i - 1)
		for _, r := range rules {
			n := r.NoncurrentVersionExpiration
			if n == nil || !ruleSelects(r, v.Key, v.Size, v.Tags) {
				continue
			}
			if n.NewerNoncurrentVersions != nil && newerNoncurrent < *n.NewerNoncurrentVersions {
				continue
			}
			if n.NoncurrentDays == nil || now.Before(lifecycleDue(since, *n.NoncurrentDays)) {
				continue
			}
			if !v.DeleteMarker && lockedAgainstDelete(v, now, false) {
				continue
			}
			p.remove = append(p.remove, v)
			break
		}
	}
	return p
}

// RunLifecycle applies the lifecycle rules of every bucket as of now:
// current versions past their expiration are deleted (or hidden behind a
// delete marker in a versioned bucket), noncurrent versions past
// NoncurrentDays beyond the NewerNoncurrentVersions to keep are removed,
// expired object delete markers are removed, and multipart uploads older
// than DaysAfterInitiation are aborted. Each change is its own committed
// transaction, so a run that stops half-way loses nothing and the next
// run carries on.
func (s *Service) RunLifecycle(ctx context.Context, now time.Time) error {
	var names []string
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var derr error
		err := tx.Scan(tableBuckets, storage.Range{}, func(_, v []byte) bool {
			var b bucketRecord
			if derr = json.Unmarshal(v, &b); derr != nil {
				return false
			}
			if len(enabledRules(&b)) > 0 {
				names = append(names, b.Name)
			}
			return true
		})
		if err == nil {
			err = derr
		}
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.lifecycleObjects(ctx, name, now); err != nil && !errNoSuchBucket.Is(err) {
			errs = append(errs, err)
		}
		if err := s.lifecycleUploads(ctx, name, now); err != nil && !errNoSuchBucket.Is(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// lifecycleObjects applies the rules of one bucket to its objects: it
// finds the keys with something due in a read transaction, then changes
// them in write transactions that plan each key again on fresh state.
func (s *Service) lifecycleObjects(ctx context.Context, name string, now time.Time) error {
	var after []byte
	for {
		var due []string
		done := true
		err := s.db.View(ctx, func(tx storage.Tx) error {
			b, err := s.bucket(tx, name)
			if err != nil {
				return err
			}
			rules := enabledRules(b)
			if len(rules) == 0 {
				return nil
			}
			var group []*objectRecord
			var groupKey string
			scanned := 0
			flush := func() {
				if len(group) > 0 && !planKey(rules, group, now).empty() {
					due = append(due, groupKey)
				}
			}
			var derr error
			err = tx.Scan(tableObjects, storage.Range{Prefix: bucketPrefix(name), After: after}, func(k, v []byte) bool {
				key := splitObjectKey(name, k)
				if len(group) > 0 && key != groupKey {
					flush()
					after = objectKey(name, groupKey, 0) // the last row of groupKey
					group = nil
					if scanned >= lifecycleScanBatch || len(due) >= lifecycleApplyBatch {
						done = false
						return false
					}
				}
				rec := new(objectRecord)
				if derr = decodeObjectRow(v, rec); derr != nil {
					return false
				}
				group, groupKey = append(group, rec), key
				scanned++
				return true
			})
			if err == nil {
				err = derr
			}
			if err == nil && done {
				flush()
			}
			return err
		})
		if err != nil {
			return err
		}
		if len(due) > 0 {
			if err := s.applyLifecycle(ctx, name, due, now); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}

// applyLifecycle carries out the plans of keys in one transaction and
// releases the bodies it removed once it committed.
func (s *Service) applyLifecycle(ctx context.Context, name string, keys []string, now time.Time) error {
	var released []segment
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		released = nil
		b, err := s.bucket(tx, name)
		if err != nil {
			return err
		}
		rules := enabledRules(b)
		for _, key := range keys {
			versions, err := keyVersions(tx, name, key)
			if err != nil {
				return err
			}
			p := planKey(rules, versions, now)
			for _, v := range p.remove {
				if err := tx.Delete(tableObjects, objectKey(name, key, v.Seq)); err != nil {
					return err
				}
				released = append(released, v.Segments...)
			}
			if p.expireCurrent {
				res, segs, err := s.deleteObject(tx, b, key, nil, false, now)
				if err := s.notifyExpired(ctx, tx, b, key, res, err); err != nil {
					return err
				}
				released = append(released, segs...)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.releaseBlobs(released)
	return nil
}

// keyVersions returns every version of key, newest first.
func keyVersions(tx storage.Tx, bucket, key string) ([]*objectRecord, error) {
	var out []*objectRecord
	var derr error
	err := tx.Scan(tableObjects, storage.Range{Prefix: keyPrefix(bucket, key)}, func(_, v []byte) bool {
		rec := new(objectRecord)
		if derr = decodeObjectRow(v, rec); derr != nil {
			return false
		}
		out = append(out, rec)
		return true
	})
	if err == nil {
		err = derr
	}
	return out, err
}

// uploadDue reports whether a rule aborts an upload of key initiated at
// initiated. Uploads have no tags or size yet, so only the prefix counts.
func uploadDue(rules []*s3api.LifecycleRule, key string, initiated, now time.Time) bool {
	for _, r := range rules {
		a := r.AbortIncompleteMultipartUpload
		if a == nil || a.DaysAfterInitiation == nil || !strings.HasPrefix(key, rulePrefix(r)) {
			continue
		}
		if !now.Before(lifecycleDue(initiated, *a.DaysAfterInitiation)) {
			return true
		}
	}
	return false
}

// lifecycleUploads aborts the bucket's incomplete multipart uploads that a
// rule's AbortIncompleteMultipartUpload has made due.
func (s *Service) lifecycleUploads(ctx context.Context, name string, now time.Time) error {
	var due []string
	err := s.db.View(ctx, func(tx storage.Tx) error {
		b, err := s.bucket(tx, name)
		if err != nil {
			return err
		}
		rules := enabledRules(b)
		var derr error
		err = tx.Scan(tableUploads, storage.Range{Prefix: bucketPrefix(name)}, func(_, v []byte) bool {
			var up uploadRecord
			if derr = json.Unmarshal(v, &up); derr != nil {
				return false
			}
			if uploadDue(rules, up.Object.Key, up.Initiated, now) {
				due = append(due, up.ID)
			}
			return true
		})
		if err == nil {
			err = derr
		}
		return err
	})
	if err != nil {
		return err
	}
	for len(due) > 0 {
		batch := due[:min(len(due), lifecycleApplyBatch)]
		due = due[len(batch):]
		var released []segment
		err := s.db.Update(ctx, func(tx storage.Tx) error {
			released = nil
			for _, id := range batch {
				segs, err := abortUpload(tx, name, id)
				if errNoSuchUpload.Is(err) {
					continue // completed or aborted since the scan
				}
				if err != nil {
					return err
				}
				released = append(released, segs...)
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.releaseBlobs(released)
	}
	return nil
}

// StartLifecycle runs RunLifecycle now and then every interval until ctx
// ends. A run that fails is logged; the next one redoes its work, since
// every rule is evaluated afresh against the stored state.
func (s *Service) StartLifecycle(ctx context.Context, every time.Duration) {
	go func() {
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		for {
			if err := s.RunLifecycle(ctx, s.now()); err != nil && ctx.Err() == nil {
				s.log.Warn("s3: lifecycle run", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
}
