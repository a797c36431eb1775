package s3

import (
	"context"
	"net/http"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// The Object Lock API: a bucket's default retention, and the retention and
// legal hold of one object version. Enforcement lives in objectlock.go.

var (
	errObjectLockConfigNotFound = awserr.Def{Code: "ObjectLockConfigurationNotFoundError", Status: http.StatusNotFound, Sender: true}
	errNoSuchObjectLockConfig   = awserr.Def{Code: "NoSuchObjectLockConfiguration", Status: http.StatusNotFound, Sender: true}
)

// S3's longest default retention: 100 years.
const (
	maxRetentionDays  = 36500
	maxRetentionYears = 100
)

func errLockProtected() error {
	return errAccessDenied.New("Access Denied because object protected by object lock.")
}

func errBucketWithoutLock() error {
	return errInvalidRequest.New("Bucket is missing Object Lock Configuration")
}

// validateLockConfiguration checks an ObjectLockConfiguration as S3 does:
// ObjectLockEnabled must be "Enabled"; a rule needs a default retention
// with a mode and exactly one positive period.
func validateLockConfiguration(c *s3api.ObjectLockConfiguration) error {
	if c == nil || deref(c.ObjectLockEnabled) != "Enabled" {
		return malformedXML()
	}
	if c.Rule == nil {
		return nil
	}
	d := c.Rule.DefaultRetention
	if d == nil || d.Mode == nil || (d.Days == nil) == (d.Years == nil) {
		return malformedXML()
	}
	if m := *d.Mode; m != "GOVERNANCE" && m != "COMPLIANCE" {
		return malformedXML()
	}
	name, v, limit := "Days", d.Days, int32(maxRetentionDays)
	if d.Years != nil {
		name, v, limit = "Years", d.Years, maxRetentionYears
	}
	if *v <= 0 {
		return errInvalidArgument.New("Default retention period must be a positive integer value.").WithDetail(map[string]string{"ArgumentName": name})
	}
	if *v > limit {
		return errInvalidArgument.New("Default retention period is too large.").WithDetail(map[string]string{"ArgumentName": name})
	}
	return nil
}

func (s *Service) PutObjectLockConfiguration(ctx context.Context, in *s3api.PutObjectLockConfigurationInput) (*s3api.PutObjectLockConfigurationOutput, error) {
	c := in.ObjectLockConfiguration
	if err := validateLockConfiguration(c); err != nil {
		return nil, err
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		if !b.ObjectLockEnabled {
			// Since November 2023 S3 turns Object Lock on for an existing
			// bucket, provided its versioning is Enabled (and stays so:
			// PutBucketVersioning refuses to suspend it).
			if b.Versioning != "Enabled" {
				return errInvalidBucketState.New("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
			}
			b.ObjectLockEnabled = true
		}
		b.ObjectLock = &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr("Enabled"), Rule: c.Rule}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutObjectLockConfigurationOutput{}, nil
}

func (s *Service) GetObjectLockConfiguration(ctx context.Context, in *s3api.GetObjectLockConfigurationInput) (*s3api.GetObjectLockConfigurationOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if !b.ObjectLockEnabled {
		return nil, errObjectLockConfigNotFound.New("Object Lock configuration does not exist for this bucket").WithDetail(map[string]string{"BucketName": b.Name})
	}
	c := &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr("Enabled")}
	if b.ObjectLock != nil {
		c.Rule = b.ObjectLock.Rule
	}
	return &s3api.GetObjectLockConfigurationOutput{ObjectLockConfiguration: c}, nil
}

// lockTarget finds the version whose retention or legal hold a request
// reads or changes, in a bucket with Object Lock.
func lockTarget(tx storage.Tx, b *bucketRecord, key string, versionID *string) (*objectRecord, error) {
	if !b.ObjectLockEnabled {
		return nil, errBucketWithoutLock()
	}
	var rec *objectRecord
	var err error
	if versionID != nil {
		if _, ok := seqFromVersionID(*versionID); !ok && *versionID != "null" {
			return nil, errInvalidArgument.New("Invalid version id specified").WithDetail(map[string]string{"ArgumentName": "versionId", "ArgumentValue": *versionID})
		}
		rec, err = version(tx, b.Name, key, *versionID)
	} else {
		rec, err = latest(tx, b.Name, key)
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
			WithDetail(map[string]string{"Method": "GET", "ResourceType": "DeleteMarker"}).
			WithHeader("x-amz-delete-marker", "true")
	case rec.DeleteMarker:
		return nil, errNoSuchKey.New("The specified key does not exist.").WithDetail(map[string]string{"Key": key}).WithHeader("x-amz-delete-marker", "true")
	}
	return rec, nil
}

// updateLockTarget loads the target version, lets fn change it and stores
// it in place.
func (s *Service) updateLockTarget(ctx context.Context, bucket, key string, versionID, expectedOwner *string, fn func(rec *objectRecord) error) error {
	return s.db.Update(ctx, func(tx storage.Tx) error {
		b, err := s.ownedBucket(tx, bucket, expectedOwner)
		if err != nil {
			return err
		}
		rec, err := lockTarget(tx, b, key, versionID)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
		return putObjectRow(tx, bucket, rec)
	})
}

// viewLockTarget loads the target version for reading.
func (s *Service) viewLockTarget(ctx context.Context, bucket, key string, versionID, expectedOwner *string) (*objectRecord, error) {
	var rec *objectRecord
	err := s.db.View(ctx, func(tx storage.Tx) error {
		b, err := s.ownedBucket(tx, bucket, expectedOwner)
		if err != nil {
			return err
		}
		rec, err = lockTarget(tx, b, key, versionID)
		return err
	})
	return rec, err
}

// retentionChangeAllowed applies Object Lock to a change of retention: an
// active COMPLIANCE retention can only be extended; an active GOVERNANCE
// one can be shortened, removed or relaxed only with
// x-amz-bypass-governance-retention.
func retentionChangeAllowed(rec *objectRecord, mode string, until time.Time, now time.Time, bypass bool) error {
	active := rec.LockMode != "" && now.Before(rec.LockRetainUntil)
	if !active {
		return nil
	}
	weakens := mode == "" || until.Before(rec.LockRetainUntil)
	switch rec.LockMode {
	case "COMPLIANCE":
		if weakens || mode != "COMPLIANCE" {
			return errLockProtected()
		}
	case "GOVERNANCE":
		if weakens && !bypass {
			return errLockProtected()
		}
	}
	return nil
}

func (s *Service) PutObjectRetention(ctx context.Context, in *s3api.PutObjectRetentionInput) (*s3api.PutObjectRetentionOutput, error) {
	r := in.Retention
	if r == nil {
		return nil, malformedXML()
	}
	mode := deref(r.Mode)
	if (r.Mode == nil) != (r.RetainUntilDate == nil) || r.Mode != nil && mode != "GOVERNANCE" && mode != "COMPLIANCE" {
		return nil, malformedXML()
	}
	now := s.now()
	var until time.Time
	if r.RetainUntilDate != nil {
		until = r.RetainUntilDate.UTC()
		if !until.After(now) {
			return nil, errInvalidArgument.New("The retain until date must be in the future!").WithDetail(map[string]string{"ArgumentName": "RetainUntilDate"})
		}
	}
	err := s.updateLockTarget(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, in.ExpectedBucketOwner, func(rec *objectRecord) error {
		if err := retentionChangeAllowed(rec, mode, until, now, deref(in.BypassGovernanceRetention)); err != nil {
			return err
		}
		rec.LockMode, rec.LockRetainUntil = mode, until
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutObjectRetentionOutput{}, nil
}

func (s *Service) GetObjectRetention(ctx context.Context, in *s3api.GetObjectRetentionInput) (*s3api.GetObjectRetentionOutput, error) {
	rec, err := s.viewLockTarget(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if rec.LockMode == "" {
		return nil, errNoSuchObjectLockConfig.New("The specified object does not have a ObjectLock configuration")
	}
	return &s3api.GetObjectRetentionOutput{Retention: &s3api.ObjectLockRetention{Mode: ptr(rec.LockMode), RetainUntilDate: ptr(rec.LockRetainUntil)}}, nil
}

func (s *Service) PutObjectLegalHold(ctx context.Context, in *s3api.PutObjectLegalHoldInput) (*s3api.PutObjectLegalHoldOutput, error) {
	if in.LegalHold == nil {
		return nil, malformedXML()
	}
	status := deref(in.LegalHold.Status)
	if status != "ON" && status != "OFF" {
		return nil, malformedXML()
	}
	err := s.updateLockTarget(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, in.ExpectedBucketOwner, func(rec *objectRecord) error {
		rec.LegalHold = status
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutObjectLegalHoldOutput{}, nil
}

func (s *Service) GetObjectLegalHold(ctx context.Context, in *s3api.GetObjectLegalHoldInput) (*s3api.GetObjectLegalHoldOutput, error) {
	rec, err := s.viewLockTarget(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if rec.LegalHold == "" {
		return nil, errNoSuchObjectLockConfig.New("The specified object does not have a ObjectLock configuration")
	}
	return &s3api.GetObjectLegalHoldOutput{LegalHold: &s3api.ObjectLockLegalHold{Status: ptr(rec.LegalHold)}}, nil
}
