package s3

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// Errors of the bucket sub-resource operations that the model does not
// declare (Amazon S3 API Reference, "List of error codes").
var (
	errNoSuchBucketPolicy             = awserr.Def{Code: "NoSuchBucketPolicy", Status: http.StatusNotFound, Sender: true}
	errNoSuchCORSConfiguration        = awserr.Def{Code: "NoSuchCORSConfiguration", Status: http.StatusNotFound, Sender: true}
	errNoSuchLifecycleConfiguration   = awserr.Def{Code: "NoSuchLifecycleConfiguration", Status: http.StatusNotFound, Sender: true}
	errNoSuchWebsiteConfiguration     = awserr.Def{Code: "NoSuchWebsiteConfiguration", Status: http.StatusNotFound, Sender: true}
	errOwnershipControlsNotFound      = awserr.Def{Code: "OwnershipControlsNotFoundError", Status: http.StatusNotFound, Sender: true}
	errNoSuchPublicAccessBlock        = awserr.Def{Code: "NoSuchPublicAccessBlockConfiguration", Status: http.StatusNotFound, Sender: true}
	errReplicationNotFound            = awserr.Def{Code: "ReplicationConfigurationNotFoundError", Status: http.StatusNotFound, Sender: true}
	errNoSuchConfiguration            = awserr.Def{Code: "NoSuchConfiguration", Status: http.StatusNotFound, Sender: true}
	errTooManyConfigurations          = awserr.Def{Code: "TooManyConfigurations", Status: http.StatusBadRequest, Sender: true}
	errInvalidTargetBucketForLogging  = awserr.Def{Code: "InvalidTargetBucketForLogging", Status: http.StatusBadRequest, Sender: true}
	errCrossLocationLoggingProhibited = awserr.Def{Code: "CrossLocationLoggingProhibitted", Status: http.StatusForbidden, Sender: true}
	errAccessForbidden                = awserr.Def{Code: "AccessForbidden", Status: http.StatusForbidden, Sender: true}
	errCORSBadRequest                 = awserr.Def{Code: "BadRequest", Status: http.StatusBadRequest, Sender: true}
)

const malformedXMLMessage = "The XML you provided was not well-formed or did not validate against our published schema"

func malformedXML() error { return errMalformedXML.New(malformedXMLMessage) }

// invalidArgument is S3's InvalidArgument with the ArgumentName and
// ArgumentValue elements it carries.
func invalidArgument(msg, name, value string) error {
	return errInvalidArgument.New(msg).WithDetail(map[string]string{"ArgumentName": name, "ArgumentValue": value})
}

// generatedID returns an id for a rule or configuration sent without one.
// S3 makes up the base64 form of a random UUID; Nimbus does the same so
// that clients see ids of the usual shape.
func generatedID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	uuid := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	return base64.StdEncoding.EncodeToString([]byte(uuid))
}

// ---- default encryption ----

var sseAlgorithms = map[string]bool{"AES256": true, "aws:kms": true, "aws:kms:dsse": true}

func validateEncryption(c *s3api.ServerSideEncryptionConfiguration) error {
	if c == nil || len(c.Rules) != 1 {
		return malformedXML()
	}
	r := c.Rules[0]
	d := r.ApplyServerSideEncryptionByDefault
	if d == nil {
		if r.BucketKeyEnabled == nil && r.BlockedEncryptionTypes == nil {
			return malformedXML()
		}
		return nil
	}
	algo := deref(d.SSEAlgorithm)
	if !sseAlgorithms[algo] {
		return malformedXML()
	}
	if d.KMSMasterKeyID != nil && algo != "aws:kms" && algo != "aws:kms:dsse" {
		return invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse", "ApplyServerSideEncryptionByDefault", "")
	}
	return nil
}

func (s *Service) PutBucketEncryption(ctx context.Context, in *s3api.PutBucketEncryptionInput) (*s3api.PutBucketEncryptionOutput, error) {
	if err := validateEncryption(in.ServerSideEncryptionConfiguration); err != nil {
		return nil, err
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Encryption = in.ServerSideEncryptionConfiguration
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketEncryptionOutput{}, nil
}

// GetBucketEncryption answers the bucket's default encryption. Since
// January 2023 every bucket has one: without a configuration of its own,
// S3 answers SSE-S3 (AES256) rather than an error.
func (s *Service) GetBucketEncryption(ctx context.Context, in *s3api.GetBucketEncryptionInput) (*s3api.GetBucketEncryptionOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	cfg := b.Encryption
	if cfg == nil {
		cfg = &s3api.ServerSideEncryptionConfiguration{Rules: []s3api.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3api.ServerSideEncryptionByDefault{SSEAlgorithm: ptr("AES256")},
			BucketKeyEnabled:                   ptr(false),
		}}}
	}
	return &s3api.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: cfg}, nil
}

func (s *Service) DeleteBucketEncryption(ctx context.Context, in *s3api.DeleteBucketEncryptionInput) (*s3api.DeleteBucketEncryptionOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Encryption = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketEncryptionOutput{}, nil
}

// ---- object ownership ----

var objectOwnerships = map[string]bool{"BucketOwnerPreferred": true, "ObjectWriter": true, "BucketOwnerEnforced": true}

func (s *Service) PutBucketOwnershipControls(ctx context.Context, in *s3api.PutBucketOwnershipControlsInput) (*s3api.PutBucketOwnershipControlsOutput, error) {
	c := in.OwnershipControls
	if c == nil || len(c.Rules) != 1 || !objectOwnerships[deref(c.Rules[0].ObjectOwnership)] {
		return nil, malformedXML()
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Ownership = *c.Rules[0].ObjectOwnership
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketOwnershipControlsOutput{}, nil
}

func (s *Service) GetBucketOwnershipControls(ctx context.Context, in *s3api.GetBucketOwnershipControlsInput) (*s3api.GetBucketOwnershipControlsOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if b.Ownership == "" {
		return nil, errOwnershipControlsNotFound.New("The bucket ownership controls were not found").WithDetail(map[string]string{"BucketName": b.Name})
	}
	return &s3api.GetBucketOwnershipControlsOutput{OwnershipControls: &s3api.OwnershipControls{
		Rules: []s3api.OwnershipControlsRule{{ObjectOwnership: ptr(b.Ownership)}},
	}}, nil
}

func (s *Service) DeleteBucketOwnershipControls(ctx context.Context, in *s3api.DeleteBucketOwnershipControlsInput) (*s3api.DeleteBucketOwnershipControlsOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Ownership = ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketOwnershipControlsOutput{}, nil
}

// ---- public access block ----

// publicAccessBlock returns the bucket's effective Block Public Access
// settings, or nil when it has none. New buckets block everything (the
// S3 default since April 2023) until PutPublicAccessBlock or
// DeletePublicAccessBlock says otherwise; bucketRecord.PublicAccess is
// nil for that default and an empty configuration once deleted.
func publicAccessBlock(b *bucketRecord) *s3api.PublicAccessBlockConfiguration {
	p := b.PublicAccess
	if p == nil {
		return &s3api.PublicAccessBlockConfiguration{BlockPublicAcls: ptr(true), IgnorePublicAcls: ptr(true), BlockPublicPolicy: ptr(true), RestrictPublicBuckets: ptr(true)}
	}
	if p.BlockPublicAcls == nil && p.IgnorePublicAcls == nil && p.BlockPublicPolicy == nil && p.RestrictPublicBuckets == nil {
		return nil
	}
	return p
}

func (s *Service) PutPublicAccessBlock(ctx context.Context, in *s3api.PutPublicAccessBlockInput) (*s3api.PutPublicAccessBlockOutput, error) {
	c := in.PublicAccessBlockConfiguration
	if c == nil {
		return nil, malformedXML()
	}
	// An absent setting is false; storing all four keeps an explicit
	// configuration apart from a deleted one.
	stored := &s3api.PublicAccessBlockConfiguration{
		BlockPublicAcls: ptr(deref(c.BlockPublicAcls)), IgnorePublicAcls: ptr(deref(c.IgnorePublicAcls)),
		BlockPublicPolicy: ptr(deref(c.BlockPublicPolicy)), RestrictPublicBuckets: ptr(deref(c.RestrictPublicBuckets)),
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.PublicAccess = stored
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutPublicAccessBlockOutput{}, nil
}

func (s *Service) GetPublicAccessBlock(ctx context.Context, in *s3api.GetPublicAccessBlockInput) (*s3api.GetPublicAccessBlockOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	p := publicAccessBlock(b)
	if p == nil {
		return nil, errNoSuchPublicAccessBlock.New("The public access block configuration was not found").WithDetail(map[string]string{"BucketName": b.Name})
	}
	return &s3api.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: p}, nil
}

func (s *Service) DeletePublicAccessBlock(ctx context.Context, in *s3api.DeletePublicAccessBlockInput) (*s3api.DeletePublicAccessBlockOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.PublicAccess = &s3api.PublicAccessBlockConfiguration{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeletePublicAccessBlockOutput{}, nil
}

// ---- server access logging ----

func (s *Service) PutBucketLogging(ctx context.Context, in *s3api.PutBucketLoggingInput) (*s3api.PutBucketLoggingOutput, error) {
	if in.BucketLoggingStatus == nil {
		return nil, malformedXML()
	}
	le := in.BucketLoggingStatus.LoggingEnabled
	if le != nil {
		if le.TargetBucket == nil || le.TargetPrefix == nil {
			return nil, malformedXML()
		}
		target, err := s.viewBucket(ctx, *le.TargetBucket)
		if err != nil {
			if errNoSuchBucket.Is(err) {
				return nil, errInvalidTargetBucketForLogging.New("The target bucket for logging does not exist").WithDetail(map[string]string{"TargetBucket": *le.TargetBucket})
			}
			return nil, err
		}
		source, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
		if err != nil {
			return nil, err
		}
		if target.Account != source.Account {
			return nil, errInvalidTargetBucketForLogging.New("The owner for the bucket to be logged and the target bucket must be the same.").WithDetail(map[string]string{"TargetBucket": target.Name})
		}
		if target.Region != source.Region {
			return nil, errCrossLocationLoggingProhibited.New("Cross S3 location logging not allowed. ").WithDetail(map[string]string{"TargetBucketLocation": target.Region})
		}
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Logging = le
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketLoggingOutput{}, nil
}

func (s *Service) GetBucketLogging(ctx context.Context, in *s3api.GetBucketLoggingInput) (*s3api.GetBucketLoggingOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	return &s3api.GetBucketLoggingOutput{LoggingEnabled: b.Logging}, nil
}

// ---- transfer acceleration ----

func (s *Service) PutBucketAccelerateConfiguration(ctx context.Context, in *s3api.PutBucketAccelerateConfigurationInput) (*s3api.PutBucketAccelerateConfigurationOutput, error) {
	status := ""
	if in.AccelerateConfiguration != nil {
		status = deref(in.AccelerateConfiguration.Status)
	}
	if status != "Enabled" && status != "Suspended" {
		return nil, malformedXML()
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		// Accelerated endpoints are virtual-hosted over TLS, which a
		// dotted name cannot match with the wildcard certificate.
		if strings.Contains(b.Name, ".") {
			return errInvalidRequest.New("S3 Transfer Acceleration is not supported for buckets with periods (.) in their names")
		}
		b.Accelerate = status
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketAccelerateConfigurationOutput{}, nil
}

func (s *Service) GetBucketAccelerateConfiguration(ctx context.Context, in *s3api.GetBucketAccelerateConfigurationInput) (*s3api.GetBucketAccelerateConfigurationOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	// A bucket that never had acceleration answers an empty document.
	return &s3api.GetBucketAccelerateConfigurationOutput{Status: nonEmpty(b.Accelerate)}, nil
}

// ---- requester pays ----

func (s *Service) PutBucketRequestPayment(ctx context.Context, in *s3api.PutBucketRequestPaymentInput) (*s3api.PutBucketRequestPaymentOutput, error) {
	payer := ""
	if in.RequestPaymentConfiguration != nil {
		payer = deref(in.RequestPaymentConfiguration.Payer)
	}
	if payer != "BucketOwner" && payer != "Requester" {
		return nil, malformedXML()
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.RequestPayer = payer
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketRequestPaymentOutput{}, nil
}

func (s *Service) GetBucketRequestPayment(ctx context.Context, in *s3api.GetBucketRequestPaymentInput) (*s3api.GetBucketRequestPaymentOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	payer := b.RequestPayer
	if payer == "" {
		payer = "BucketOwner"
	}
	return &s3api.GetBucketRequestPaymentOutput{Payer: &payer}, nil
}

// ---- replication (stored, not performed) ----

// bucketFromARN returns the bucket name of an S3 bucket ARN.
func bucketFromARN(arn string) (string, bool) {
	for _, p := range []string{"arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"} {
		if name, ok := strings.CutPrefix(arn, p); ok && name != "" && !strings.Contains(name, "/") {
			return name, true
		}
	}
	return "", false
}

func (s *Service) PutBucketReplication(ctx context.Context, in *s3api.PutBucketReplicationInput) (*s3api.PutBucketReplicationOutput, error) {
	c := in.ReplicationConfiguration
	if c == nil || deref(c.Role) == "" || len(c.Rules) == 0 || len(c.Rules) > 1000 {
		return nil, malformedXML()
	}
	ids := map[string]bool{}
	priorities := map[int32]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if st := deref(r.Status); st != "Enabled" && st != "Disabled" {
			return nil, malformedXML()
		}
		if r.Destination == nil {
			return nil, malformedXML()
		}
		if r.Filter != nil && r.Prefix != nil {
			return nil, malformedXML()
		}
		if r.ID == nil {
			r.ID = ptr(generatedID())
		}
		if len(*r.ID) > 255 {
			return nil, invalidArgument("ID length should not exceed allowed limit of 255", "ID", *r.ID)
		}
		if ids[*r.ID] {
			return nil, invalidArgument("Rule Id must be unique.", "ID", *r.ID)
		}
		ids[*r.ID] = true
		if r.Priority != nil {
			if priorities[*r.Priority] {
				return nil, invalidArgument("Found duplicate priority "+strconv.Itoa(int(*r.Priority))+" for rules", "Priority", strconv.Itoa(int(*r.Priority)))
			}
			priorities[*r.Priority] = true
		}
		dest, ok := bucketFromARN(deref(r.Destination.Bucket))
		if !ok {
			return nil, invalidArgument("Invalid bucket ARN.", "Bucket", deref(r.Destination.Bucket))
		}
		db, err := s.viewBucket(ctx, dest)
		if err != nil {
			if errNoSuchBucket.Is(err) {
				return nil, errInvalidRequest.New("Destination bucket must exist.")
			}
			return nil, err
		}
		if db.Versioning != "Enabled" {
			return nil, errInvalidRequest.New("Destination bucket must have versioning enabled.")
		}
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		if b.Versioning != "Enabled" {
			return errInvalidRequest.New("Versioning must be 'Enabled' on the bucket to apply a replication configuration")
		}
		b.Replication = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketReplicationOutput{}, nil
}

func (s *Service) GetBucketReplication(ctx context.Context, in *s3api.GetBucketReplicationInput) (*s3api.GetBucketReplicationOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if b.Replication == nil {
		return nil, errReplicationNotFound.New("The replication configuration was not found").WithDetail(map[string]string{"BucketName": b.Name})
	}
	return &s3api.GetBucketReplicationOutput{ReplicationConfiguration: b.Replication}, nil
}

func (s *Service) DeleteBucketReplication(ctx context.Context, in *s3api.DeleteBucketReplicationInput) (*s3api.DeleteBucketReplicationOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Replication = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketReplicationOutput{}, nil
}

// ---- analytics, inventory, metrics and intelligent-tiering configurations ----

// maxConfigurationsPerKind is how many configurations of one kind
// (analytics, inventory, metrics, intelligent-tiering) a bucket may hold.
const maxConfigurationsPerKind = 1000

// configPageSize is the page size of the List*Configurations operations.
const configPageSize = 100

// putConfigByID stores cfg under id, checking that the body names the same
// id as the query string.
func putConfigByID[T any](m *map[string]*T, id string, bodyID *string, cfg *T) error {
	if id == "" {
		return invalidArgument("Missing required parameter: id", "id", "")
	}
	if bodyID == nil || *bodyID != id {
		return invalidArgument("The Id in the request body does not match the id in the query string", "id", id)
	}
	if *m == nil {
		*m = map[string]*T{}
	}
	if _, exists := (*m)[id]; !exists && len(*m) >= maxConfigurationsPerKind {
		return errTooManyConfigurations.New("You are attempting to create a new configuration but have already reached the 1,000-configuration limit.")
	}
	(*m)[id] = cfg
	return nil
}

func noSuchConfiguration() error {
	return errNoSuchConfiguration.New("The specified configuration does not exist.")
}

// pageConfigs returns one page of m in id order after the continuation
// token, and the token of the next page ("" when none).
func pageConfigs[T any](m map[string]*T, token *string) ([]T, string, error) {
	after := ""
	if token != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*token)
		if err != nil || len(raw) == 0 {
			return nil, "", invalidArgument("The continuation token provided is incorrect", "continuation-token", *token)
		}
		after = string(raw)
	}
	ids := make([]string, 0, len(m))
	for id := range m {
		if token == nil || id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	next := ""
	if len(ids) > configPageSize {
		ids = ids[:configPageSize]
		next = base64.RawURLEncoding.EncodeToString([]byte(ids[len(ids)-1]))
	}
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		out = append(out, *m[id])
	}
	return out, next, nil
}

func (s *Service) PutBucketAnalyticsConfiguration(ctx context.Context, in *s3api.PutBucketAnalyticsConfigurationInput) (*s3api.PutBucketAnalyticsConfigurationOutput, error) {
	c := in.AnalyticsConfiguration
	if c == nil || c.StorageClassAnalysis == nil {
		return nil, malformedXML()
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		return putConfigByID(&b.Analytics, deref(in.Id), c.Id, c)
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketAnalyticsConfigurationOutput{}, nil
}

func (s *Service) GetBucketAnalyticsConfiguration(ctx context.Context, in *s3api.GetBucketAnalyticsConfigurationInput) (*s3api.GetBucketAnalyticsConfigurationOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	c, ok := b.Analytics[deref(in.Id)]
	if !ok {
		return nil, noSuchConfiguration()
	}
	return &s3api.GetBucketAnalyticsConfigurationOutput{AnalyticsConfiguration: c}, nil
}

func (s *Service) DeleteBucketAnalyticsConfiguration(ctx context.Context, in *s3api.DeleteBucketAnalyticsConfigurationInput) (*s3api.DeleteBucketAnalyticsConfigurationOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		if _, ok := b.Analytics[deref(in.Id)]; !ok {
			return noSuchConfiguration()
		}
		delete(b.Analytics, deref(in.Id))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketAnalyticsConfigurationOutput{}, nil
}

func (s *Service) ListBucketAnalyticsConfigurations(ctx context.Context, in *s3api.ListBucketAnalyticsConfigurationsInput) (*s3api.ListBucketAnalyticsConfigurationsOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	page, next, err := pageConfigs(b.Analytics, in.ContinuationToken)
	if err != nil {
		return nil, err
	}
	return &s3api.ListBucketAnalyticsConfigurationsOutput{
		AnalyticsConfigurationList: page, ContinuationToken: in.ContinuationToken,
		IsTruncated: ptr(next != ""), NextContinuationToken: nonEmpty(next),
	}, nil
}

var (
	inventoryFormats     = map[string]bool{"CSV": true, "ORC": true, "Parquet": true}
	inventoryFrequencies = map[string]bool{"Daily": true, "Weekly": true}
)

func validateInventory(c *s3api.InventoryConfiguration) error {
	if c == nil || c.Destination == nil || c.Destination.S3BucketDestination == nil || c.Schedule == nil || c.IsEnabled == nil {
		return malformedXML()
	}
	d := c.Destination.S3BucketDestination
	if !inventoryFormats[deref(d.Format)] || !inventoryFrequencies[deref(c.Schedule.Frequency)] {
		return malformedXML()
	}
	if v := deref(c.IncludedObjectVersions); v != "All" && v != "Current" {
		return malformedXML()
	}
	if _, ok := bucketFromARN(deref(d.Bucket)); !ok {
		return invalidArgument("Invalid bucket ARN.", "Bucket", deref(d.Bucket))
	}
	return nil
}

func (s *Service) PutBucketInventoryConfiguration(ctx context.Context, in *s3api.PutBucketInventoryConfigurationInput) (*s3api.PutBucketInventoryConfigurationOutput, error) {
	c := in.InventoryConfiguration
	if err := validateInventory(c); err != nil {
		return nil, err
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		return putConfigByID(&b.Inventory, deref(in.Id), c.Id, c)
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketInventoryConfigurationOutput{}, nil
}

func (s *Service) GetBucketInventoryConfiguration(ctx context.Context, in *s3api.GetBucketInventoryConfigurationInput) (*s3api.GetBucketInventoryConfigurationOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	c, ok := b.Inventory[deref(in.Id)]
	if !ok {
		return nil, noSuchConfiguration()
	}
	return &s3api.GetBucketInventoryConfigurationOutput{InventoryConfiguration: c}, nil
}

func (s *Service) DeleteBucketInventoryConfiguration(ctx context.Context, in *s3api.DeleteBucketInventoryConfigurationInput) (*s3api.DeleteBucketInventoryConfigurationOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		if _, ok := b.Inventory[deref(in.Id)]; !ok {
			return noSuchConfiguration()
		}
		delete(b.Inventory, deref(in.Id))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketInventoryConfigurationOutput{}, nil
}

func (s *Service) ListBucketInventoryConfigurations(ctx context.Context, in *s3api.ListBucketInventoryConfigurationsInput) (*s3api.ListBucketInventoryConfigurationsOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	page, next, err := pageConfigs(b.Inventory, in.ContinuationToken)
	if err != nil {
		return nil, err
	}
	return &s3api.ListBucketInventoryConfigurationsOutput{
		InventoryConfigurationList: page, ContinuationToken: in.ContinuationToken,
		IsTruncated: ptr(next != ""), NextContinuationToken: nonEmpty(next),
	}, nil
}

func (s *Service) PutBucketMetricsConfiguration(ctx context.Context, in *s3api.PutBucketMetricsConfigurationInput) (*s3api.PutBucketMetricsConfigurationOutput, error) {
	c := in.MetricsConfiguration
	if c == nil {
		return nil, malformedXML()
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		return putConfigByID(&b.Metrics, deref(in.Id), c.Id, c)
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketMetricsConfigurationOutput{}, nil
}

func (s *Service) GetBucketMetricsConfiguration(ctx context.Context, in *s3api.GetBucketMetricsConfigurationInput) (*s3api.GetBucketMetricsConfigurationOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	c, ok := b.Metrics[deref(in.Id)]
	if !ok {
		return nil, noSuchConfiguration()
	}
	return &s3api.GetBucketMetricsConfigurationOutput{MetricsConfiguration: c}, nil
}

func (s *Service) DeleteBucketMetricsConfiguration(ctx context.Context, in *s3api.DeleteBucketMetricsConfigurationInput) (*s3api.DeleteBucketMetricsConfigurationOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		if _, ok := b.Metrics[deref(in.Id)]; !ok {
			return noSuchConfiguration()
		}
		delete(b.Metrics, deref(in.Id))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketMetricsConfigurationOutput{}, nil
}

func (s *Service) ListBucketMetricsConfigurations(ctx context.Context, in *s3api.ListBucketMetricsConfigurationsInput) (*s3api.ListBucketMetricsConfigurationsOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	page, next, err := pageConfigs(b.Metrics, in.ContinuationToken)
	if err != nil {
		return nil, err
	}
	return &s3api.ListBucketMetricsConfigurationsOutput{
		MetricsConfigurationList: page, ContinuationToken: in.ContinuationToken,
		IsTruncated: ptr(next != ""), NextContinuationToken: nonEmpty(next),
	}, nil
}

// validateIntelligentTiering applies the archive tier bounds of the S3 User
// Guide: Archive Access after 90 to 730 days, Deep Archive Access after 180
// to 730 days.
func validateIntelligentTiering(c *s3api.IntelligentTieringConfiguration) error {
	if c == nil || len(c.Tierings) == 0 {
		return malformedXML()
	}
	if st := deref(c.Status); st != "Enabled" && st != "Disabled" {
		return malformedXML()
	}
	seen := map[string]bool{}
	for _, t := range c.Tierings {
		tier, days := deref(t.AccessTier), deref(t.Days)
		lo := int32(90)
		switch tier {
		case "ARCHIVE_ACCESS":
		case "DEEP_ARCHIVE_ACCESS":
			lo = 180
		default:
			return malformedXML()
		}
		if seen[tier] {
			return invalidArgument("Multiple Tierings with the same AccessTier are not allowed", "AccessTier", tier)
		}
		seen[tier] = true
		if days < lo || days > 730 {
			return invalidArgument("Days for "+tier+" must be between "+strconv.Itoa(int(lo))+" and 730", "Days", strconv.Itoa(int(days)))
		}
	}
	return nil
}

func (s *Service) PutBucketIntelligentTieringConfiguration(ctx context.Context, in *s3api.PutBucketIntelligentTieringConfigurationInput) (*s3api.PutBucketIntelligentTieringConfigurationOutput, error) {
	c := in.IntelligentTieringConfiguration
	if err := validateIntelligentTiering(c); err != nil {
		return nil, err
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		return putConfigByID(&b.Intelligent, deref(in.Id), c.Id, c)
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketIntelligentTieringConfigurationOutput{}, nil
}

func (s *Service) GetBucketIntelligentTieringConfiguration(ctx context.Context, in *s3api.GetBucketIntelligentTieringConfigurationInput) (*s3api.GetBucketIntelligentTieringConfigurationOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	c, ok := b.Intelligent[deref(in.Id)]
	if !ok {
		return nil, noSuchConfiguration()
	}
	return &s3api.GetBucketIntelligentTieringConfigurationOutput{IntelligentTieringConfiguration: c}, nil
}

func (s *Service) DeleteBucketIntelligentTieringConfiguration(ctx context.Context, in *s3api.DeleteBucketIntelligentTieringConfigurationInput) (*s3api.DeleteBucketIntelligentTieringConfigurationOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		if _, ok := b.Intelligent[deref(in.Id)]; !ok {
			return noSuchConfiguration()
		}
		delete(b.Intelligent, deref(in.Id))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketIntelligentTieringConfigurationOutput{}, nil
}

func (s *Service) ListBucketIntelligentTieringConfigurations(ctx context.Context, in *s3api.ListBucketIntelligentTieringConfigurationsInput) (*s3api.ListBucketIntelligentTieringConfigurationsOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	page, next, err := pageConfigs(b.Intelligent, in.ContinuationToken)
	if err != nil {
		return nil, err
	}
	return &s3api.ListBucketIntelligentTieringConfigurationsOutput{
		IntelligentTieringConfigurationList: page, ContinuationToken: in.ContinuationToken,
		IsTruncated: ptr(next != ""), NextContinuationToken: nonEmpty(next),
	}, nil
}
