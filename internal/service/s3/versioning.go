package s3

import (
	"context"
	"net/http"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

var errInvalidBucketState = awserr.Def{Code: "InvalidBucketState", Status: http.StatusConflict, Sender: true}

func (s *Service) PutBucketVersioning(ctx context.Context, in *s3api.PutBucketVersioningInput) (*s3api.PutBucketVersioningOutput, error) {
	c := in.VersioningConfiguration
	if c == nil || c.Status == nil && c.MFADelete == nil {
		return nil, malformedXML()
	}
	if c.Status != nil && *c.Status != "Enabled" && *c.Status != "Suspended" {
		return nil, malformedXML()
	}
	if c.MFADelete != nil && *c.MFADelete != "Enabled" && *c.MFADelete != "Disabled" {
		return nil, malformedXML()
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		if c.Status != nil {
			if *c.Status == "Suspended" && b.ObjectLockEnabled {
				return errInvalidBucketState.New("An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
			}
			b.Versioning = *c.Status
		}
		if c.MFADelete != nil {
			b.MFADelete = *c.MFADelete
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketVersioningOutput{}, nil
}

func (s *Service) GetBucketVersioning(ctx context.Context, in *s3api.GetBucketVersioningInput) (*s3api.GetBucketVersioningOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	// A bucket that was never versioned answers an empty configuration.
	return &s3api.GetBucketVersioningOutput{Status: nonEmpty(b.Versioning), MFADelete: nonEmpty(b.MFADelete)}, nil
}
