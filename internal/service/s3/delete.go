package s3

import (
	"context"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// deleteResult is what one object deletion did.
type deleteResult struct {
	versionID    string // version removed or delete marker created; "" when none
	deleteMarker bool   // a delete marker was created or removed
}

// deleteObject removes key (or one version of it) following the bucket's
// versioning state: without a version id, an unversioned bucket drops the
// object and a versioned one gains a delete marker; with a version id that
// version is removed for good, unless Object Lock protects it.
func (s *Service) deleteObject(tx storage.Tx, b *bucketRecord, key string, versionID *string, bypassGovernance bool, now time.Time) (deleteResult, []segment, error) {
	if versionID != nil {
		if *versionID != "null" {
			if _, ok := seqFromVersionID(*versionID); !ok {
				return deleteResult{}, nil, errInvalidArgument.New("Invalid version id specified").WithDetail(map[string]string{"ArgumentName": "versionId", "ArgumentValue": *versionID})
			}
		}
		rec, err := version(tx, b.Name, key, *versionID)
		if err != nil || rec == nil {
			return deleteResult{versionID: *versionID}, nil, err
		}
		if !rec.DeleteMarker && lockedAgainstDelete(rec, now, bypassGovernance) {
			return deleteResult{}, nil, errAccessDenied.New("Access Denied because object protected by object lock.")
		}
		if err := tx.Delete(tableObjects, objectKey(b.Name, key, rec.Seq)); err != nil {
			return deleteResult{}, nil, err
		}
		return deleteResult{versionID: rec.VersionID, deleteMarker: rec.DeleteMarker}, rec.Segments, nil
	}
	if b.Versioning == "" {
		rec, err := findNullVersion(tx, b.Name, key)
		if err != nil || rec == nil {
			return deleteResult{}, nil, err
		}
		if err := tx.Delete(tableObjects, objectKey(b.Name, key, rec.Seq)); err != nil {
			return deleteResult{}, nil, err
		}
		return deleteResult{}, rec.Segments, nil
	}
	seq, t := s.clock.next()
	marker := &objectRecord{Key: key, Seq: seq, DeleteMarker: true, LastModified: t.UTC().Truncate(time.Millisecond), Owner: b.Account}
	released, err := s.putVersion(tx, b, marker)
	if err != nil {
		return deleteResult{}, nil, err
	}
	return deleteResult{versionID: marker.VersionID, deleteMarker: true}, released, nil
}

func (s *Service) DeleteObject(ctx context.Context, in *s3api.DeleteObjectInput) (*s3api.DeleteObjectOutput, error) {
	bucketName, key := deref(in.Bucket), deref(in.Key)
	var res deleteResult
	var released []segment
	var b *bucketRecord
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = s.ownedBucket(tx, bucketName, in.ExpectedBucketOwner); err != nil {
			return err
		}
		if in.IfMatch != nil || in.IfMatchSize != nil || in.IfMatchLastModifiedTime != nil {
			cur, err := latest(tx, bucketName, key)
			if err != nil {
				return err
			}
			if cur == nil || cur.DeleteMarker {
				return noSuchKey(key)
			}
			if in.IfMatch != nil && !etagMatches(*in.IfMatch, cur.ETag) ||
				in.IfMatchSize != nil && *in.IfMatchSize != cur.Size ||
				in.IfMatchLastModifiedTime != nil && !in.IfMatchLastModifiedTime.Equal(cur.LastModified.Truncate(time.Second)) {
				return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").WithDetail(map[string]string{"Condition": "If-Match"})
			}
		}
		res, released, err = s.deleteObject(tx, b, key, in.VersionId, deref(in.BypassGovernanceRetention), s.now())
		return s.notifyRemoved(ctx, tx, b, key, res, err)
	})
	if err != nil {
		return nil, err
	}
	s.releaseBlobs(released)
	out := &s3api.DeleteObjectOutput{}
	if res.versionID != "" {
		out.VersionId = ptr(res.versionID)
	}
	if res.deleteMarker {
		out.DeleteMarker = ptr(true)
	}
	return out, nil
}
