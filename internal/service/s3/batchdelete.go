package s3

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// maxDeleteObjects is the most keys one DeleteObjects request may name.
const maxDeleteObjects = 1000

// requireIntegrityHeader enforces what S3 asks of the operations whose body
// must carry an integrity check: a Content-MD5 header or a flexible
// checksum (x-amz-checksum-*, or one announced in x-amz-trailer). The
// values themselves are verified where the body is read. A call without
// an HTTP request (in-process) has nothing to check.
func requireIntegrityHeader(ctx context.Context) error {
	r := request.FromContext(ctx).HTTP
	if r == nil {
		return nil
	}
	if r.Header.Get("Content-MD5") != "" || r.Header.Get("X-Amz-Trailer") != "" {
		return nil
	}
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-checksum-") && !strings.EqualFold(name, "x-amz-checksum-type") {
			return nil
		}
	}
	return errInvalidRequest.New("Missing required header for this request: Content-MD5")
}

func (s *Service) DeleteObjects(ctx context.Context, in *s3api.DeleteObjectsInput) (*s3api.DeleteObjectsOutput, error) {
	if err := requireIntegrityHeader(ctx); err != nil {
		return nil, err
	}
	if in.Delete == nil || len(in.Delete.Objects) == 0 || len(in.Delete.Objects) > maxDeleteObjects {
		return nil, malformedXML()
	}
	quiet := deref(in.Delete.Quiet)
	bypass := deref(in.BypassGovernanceRetention)
	out := &s3api.DeleteObjectsOutput{}
	var released []segment
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		out.Deleted, out.Errors, released = nil, nil, nil
		b, err := s.ownedBucket(tx, deref(in.Bucket), in.ExpectedBucketOwner)
		if err != nil {
			return err
		}
		now := s.now()
		for _, obj := range in.Delete.Objects {
			key := deref(obj.Key)
			res, segs, err := s.deleteOne(tx, b, obj, bypass, now)
			err = s.notifyRemoved(ctx, tx, b, key, res, err)
			if err != nil {
				var ae *awserr.Error
				if !errors.As(err, &ae) {
					return err
				}
				out.Errors = append(out.Errors, s3api.Error{Key: ptr(key), VersionId: obj.VersionId, Code: ptr(ae.Code), Message: ptr(ae.Message)})
				continue
			}
			released = append(released, segs...)
			if quiet {
				continue
			}
			d := s3api.DeletedObject{Key: ptr(key), VersionId: obj.VersionId}
			if res.deleteMarker {
				d.DeleteMarker = ptr(true)
				d.DeleteMarkerVersionId = ptr(res.versionID)
			}
			out.Deleted = append(out.Deleted, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.releaseBlobs(released)
	return out, nil
}

// deleteOne deletes one entry of a DeleteObjects request, after its
// optional conditions (ETag, LastModifiedTime, Size of the current version).
func (s *Service) deleteOne(tx storage.Tx, b *bucketRecord, obj s3api.ObjectIdentifier, bypass bool, now time.Time) (deleteResult, []segment, error) {
	key := deref(obj.Key)
	if err := checkKey(key); err != nil {
		return deleteResult{}, nil, err
	}
	if obj.ETag != nil || obj.Size != nil || obj.LastModifiedTime != nil {
		cur, err := latest(tx, b.Name, key)
		if err != nil {
			return deleteResult{}, nil, err
		}
		if cur == nil || cur.DeleteMarker {
			return deleteResult{}, nil, errNoSuchKey.New("The specified key does not exist.")
		}
		if obj.ETag != nil && !etagMatches(*obj.ETag, cur.ETag) ||
			obj.Size != nil && *obj.Size != cur.Size ||
			obj.LastModifiedTime != nil && !obj.LastModifiedTime.Equal(cur.LastModified.Truncate(time.Second)) {
			return deleteResult{}, nil, errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold")
		}
	}
	return s.deleteObject(tx, b, key, obj.VersionId, bypass, now)
}
