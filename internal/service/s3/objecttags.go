package s3

import (
	"context"
	"net/http"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

var errNoSuchTagSet = awserr.Def{Code: "NoSuchTagSet", Status: http.StatusNotFound, Sender: true}

// objectTarget finds the version that an operation on an object's
// sub-resource (tagging, ACL) acts on, with the errors S3 gives for a
// missing key or version and for delete markers. method names the HTTP
// method in the MethodNotAllowed error.
func objectTarget(tx storage.Tx, bucket, key string, versionID *string, method string) (*objectRecord, error) {
	var rec *objectRecord
	var err error
	if versionID != nil {
		if *versionID != "null" {
			if _, ok := seqFromVersionID(*versionID); !ok {
				return nil, errInvalidArgument.New("Invalid version id specified").WithDetail(map[string]string{"ArgumentName": "versionId", "ArgumentValue": *versionID})
			}
		}
		rec, err = version(tx, bucket, key, *versionID)
	} else {
		rec, err = latest(tx, bucket, key)
	}
	switch {
	case err != nil:
		return nil, err
	case rec == nil && versionID != nil:
		return nil, errNoSuchVersion.New("The specified version does not exist.").WithDetail(map[string]string{"Key": key, "VersionId": *versionID})
	case rec == nil:
		return nil, noSuchKey(key)
	case rec.DeleteMarker && versionID != nil:
		return nil, errMethodNotAllowed.New("The specified method is not allowed against this resource.").
			WithDetail(map[string]string{"Method": method, "ResourceType": "DeleteMarker"}).
			WithHeader("x-amz-delete-marker", "true").WithHeader("x-amz-version-id", rec.VersionID)
	case rec.DeleteMarker:
		return nil, errNoSuchKey.New("The specified key does not exist.").WithDetail(map[string]string{"Key": key}).
			WithHeader("x-amz-delete-marker", "true").WithHeader("x-amz-version-id", rec.VersionID)
	}
	return rec, nil
}

// updateObject applies fn to the version an object sub-resource operation
// targets and stores it in place (the version keeps its id and date).
func (s *Service) updateObject(ctx context.Context, bucketName, key string, versionID, expectedOwner *string, method string, fn func(b *bucketRecord, rec *objectRecord) error) (*bucketRecord, *objectRecord, error) {
	var b *bucketRecord
	var rec *objectRecord
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = s.ownedBucket(tx, bucketName, expectedOwner); err != nil {
			return err
		}
		if rec, err = objectTarget(tx, bucketName, key, versionID, method); err != nil {
			return err
		}
		if err := fn(b, rec); err != nil {
			return err
		}
		return putObjectRow(tx, bucketName, rec)
	})
	return b, rec, err
}

// viewObject loads the version an object sub-resource read targets.
func (s *Service) viewObject(ctx context.Context, bucketName, key string, versionID, expectedOwner *string) (*bucketRecord, *objectRecord, error) {
	var b *bucketRecord
	var rec *objectRecord
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = s.ownedBucket(tx, bucketName, expectedOwner); err != nil {
			return err
		}
		rec, err = objectTarget(tx, bucketName, key, versionID, "GET")
		return err
	})
	return b, rec, err
}

// versionHeader is the x-amz-version-id an object sub-resource operation
// answers: the version's id in a bucket that has had versioning.
func versionHeader(b *bucketRecord, rec *objectRecord) *string {
	if b.Versioning == "" {
		return nil
	}
	return ptr(rec.VersionID)
}

func copyTags(tags []s3api.Tag) []s3api.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]s3api.Tag, len(tags))
	for i, t := range tags {
		out[i] = s3api.Tag{Key: ptr(deref(t.Key)), Value: ptr(deref(t.Value))}
	}
	return out
}

func (s *Service) PutObjectTagging(ctx context.Context, in *s3api.PutObjectTaggingInput) (*s3api.PutObjectTaggingOutput, error) {
	var tags []s3api.Tag
	if in.Tagging != nil {
		tags = copyTags(in.Tagging.TagSet)
	}
	if err := validateTags(tags, maxObjectTags); err != nil {
		return nil, err
	}
	b, rec, err := s.updateObject(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, in.ExpectedBucketOwner, "PUT", func(_ *bucketRecord, rec *objectRecord) error {
		rec.Tags = tags
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutObjectTaggingOutput{VersionId: versionHeader(b, rec)}, nil
}

func (s *Service) GetObjectTagging(ctx context.Context, in *s3api.GetObjectTaggingInput) (*s3api.GetObjectTaggingOutput, error) {
	b, rec, err := s.viewObject(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	// An object without tags answers an empty TagSet element.
	tags := rec.Tags
	if tags == nil {
		tags = []s3api.Tag{}
	}
	return &s3api.GetObjectTaggingOutput{TagSet: tags, VersionId: versionHeader(b, rec)}, nil
}

func (s *Service) DeleteObjectTagging(ctx context.Context, in *s3api.DeleteObjectTaggingInput) (*s3api.DeleteObjectTaggingOutput, error) {
	b, rec, err := s.updateObject(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, in.ExpectedBucketOwner, "DELETE", func(_ *bucketRecord, rec *objectRecord) error {
		rec.Tags = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteObjectTaggingOutput{VersionId: versionHeader(b, rec)}, nil
}

func (s *Service) PutBucketTagging(ctx context.Context, in *s3api.PutBucketTaggingInput) (*s3api.PutBucketTaggingOutput, error) {
	if err := requireIntegrityHeader(ctx); err != nil {
		return nil, err
	}
	var tags []s3api.Tag
	if in.Tagging != nil {
		tags = copyTags(in.Tagging.TagSet)
	}
	if err := validateTags(tags, maxBucketTags); err != nil {
		return nil, err
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Tags = tags
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketTaggingOutput{}, nil
}

func (s *Service) GetBucketTagging(ctx context.Context, in *s3api.GetBucketTaggingInput) (*s3api.GetBucketTaggingOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if len(b.Tags) == 0 {
		return nil, errNoSuchTagSet.New("The TagSet does not exist").WithDetail(map[string]string{"BucketName": b.Name})
	}
	return &s3api.GetBucketTaggingOutput{TagSet: b.Tags}, nil
}

func (s *Service) DeleteBucketTagging(ctx context.Context, in *s3api.DeleteBucketTaggingInput) (*s3api.DeleteBucketTaggingOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Tags = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketTaggingOutput{}, nil
}
