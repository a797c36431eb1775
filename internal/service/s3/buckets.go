package s3

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"sort"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// validBucketName applies the general-purpose bucket naming rules of the S3
// User Guide ("Bucket naming rules").
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return false
	}
	if strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, suf := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, suf) {
			return false
		}
	}
	return true
}

func (s *Service) CreateBucket(ctx context.Context, in *s3api.CreateBucketInput) (*s3api.CreateBucketOutput, error) {
	info := request.FromContext(ctx)
	name := deref(in.Bucket)
	if !validBucketName(name) {
		return nil, errInvalidBucketName.New("The specified bucket is not valid.").WithDetail(map[string]string{"BucketName": name})
	}
	region := info.Region
	if region == "" {
		region = "us-east-1"
	}
	var constraint string
	var tags []s3api.Tag
	if c := in.CreateBucketConfiguration; c != nil {
		constraint = deref(c.LocationConstraint)
		tags = c.Tags
	}
	switch {
	case constraint == "" && region != "us-east-1":
		return nil, errIllegalLocation.New("The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
	case constraint == "us-east-1":
		return nil, errInvalidLocationConstraint.New("The specified location-constraint is not valid").WithDetail(map[string]string{"LocationConstraint": constraint})
	case constraint != "" && constraint != region && !(constraint == "EU" && region == "eu-west-1"):
		return nil, errIllegalLocation.Newf("The %s location constraint is incompatible for the region specific endpoint this request was sent to.", constraint)
	}
	if in.ObjectOwnership != nil {
		switch *in.ObjectOwnership {
		case "BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced":
		default:
			return nil, errInvalidArgument.New("Invalid x-amz-object-ownership header").WithDetail(map[string]string{"ArgumentName": "x-amz-object-ownership", "ArgumentValue": *in.ObjectOwnership})
		}
	}
	acl, err := aclFromRequest(info.Account, in.ACL, grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, in.GrantWrite, in.GrantWriteACP}, bucketCannedACLs)
	if err != nil {
		return nil, err
	}
	rec := &bucketRecord{
		Name:              name,
		Account:           info.Account,
		Region:            region,
		Created:           s.now().UTC(),
		ObjectLockEnabled: deref(in.ObjectLockEnabledForBucket),
		Ownership:         deref(in.ObjectOwnership),
		ACL:               acl,
		Tags:              tags,
	}
	if rec.Ownership == "" {
		// New buckets default to BucketOwnerEnforced (ACLs disabled) since
		// April 2023.
		rec.Ownership = "BucketOwnerEnforced"
	}
	if rec.ObjectLockEnabled {
		// Object Lock requires versioning, and S3 enables it at creation.
		rec.Versioning = "Enabled"
		rec.ObjectLock = &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr("Enabled")}
	}
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		existing, err := s.bucket(tx, name)
		if err == nil {
			if existing.Account != info.Account {
				return errBucketAlreadyExists.New("The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").WithDetail(map[string]string{"BucketName": name})
			}
			// us-east-1 keeps its legacy answer: re-creating your own
			// bucket there succeeds.
			if region == "us-east-1" && existing.Region == "us-east-1" {
				return errAlreadyMine
			}
			return errBucketAlreadyOwnedByYou.New("Your previous request to create the named bucket succeeded and you already own it.").WithDetail(map[string]string{"BucketName": name})
		}
		if !errNoSuchBucket.Is(err) {
			return err
		}
		return putJSON(tx, tableBuckets, []byte(name), rec)
	})
	if err != nil && err != errAlreadyMine {
		return nil, err
	}
	arn := "arn:aws:s3:::" + name
	return &s3api.CreateBucketOutput{Location: ptr("/" + name), BucketArn: &arn}, nil
}

// errAlreadyMine rolls back a CreateBucket that re-creates one's own
// us-east-1 bucket, which S3 answers with success.
var errAlreadyMine = errors.New("bucket already owned in us-east-1")

func (s *Service) HeadBucket(ctx context.Context, in *s3api.HeadBucketInput) (*s3api.HeadBucketOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	return &s3api.HeadBucketOutput{BucketRegion: &b.Region, AccessPointAlias: ptr(false), BucketArn: ptr("arn:aws:s3:::" + b.Name)}, nil
}

// checkExpectedOwner enforces x-amz-expected-bucket-owner.
func checkExpectedOwner(b *bucketRecord, expected *string) error {
	if expected != nil && *expected != b.Account {
		return errAccessDenied.New("Access Denied")
	}
	return nil
}

func (s *Service) GetBucketLocation(ctx context.Context, in *s3api.GetBucketLocationInput) (*s3api.GetBucketLocationOutput, error) {
	b, err := s.viewBucket(ctx, deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	out := &s3api.GetBucketLocationOutput{}
	// us-east-1 buckets answer an empty LocationConstraint.
	if b.Region != "us-east-1" {
		out.LocationConstraint = &b.Region
	}
	return out, nil
}

func (s *Service) DeleteBucket(ctx context.Context, in *s3api.DeleteBucketInput) (*s3api.DeleteBucketOutput, error) {
	name := deref(in.Bucket)
	var released []segment
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		_, err := s.ownedBucket(tx, name, in.ExpectedBucketOwner)
		if err != nil {
			return err
		}
		empty := true
		if err := tx.Scan(tableObjects, storage.Range{Prefix: bucketPrefix(name)}, func(_, _ []byte) bool {
			empty = false
			return false
		}); err != nil {
			return err
		}
		if !empty {
			return errBucketNotEmpty.New("The bucket you tried to delete is not empty").WithDetail(map[string]string{"BucketName": name})
		}
		// Open multipart uploads do not keep a bucket alive in S3; their
		// parts go with it.
		if released, err = abortBucketUploads(tx, name); err != nil {
			return err
		}
		return tx.Delete(tableBuckets, []byte(name))
	})
	if err != nil {
		return nil, err
	}
	s.releaseBlobs(released)
	return &s3api.DeleteBucketOutput{}, nil
}

func (s *Service) ListBuckets(ctx context.Context, in *s3api.ListBucketsInput) (*s3api.ListBucketsOutput, error) {
	info := request.FromContext(ctx)
	max := 10000
	if in.MaxBuckets != nil {
		if *in.MaxBuckets < 1 || *in.MaxBuckets > 10000 {
			return nil, errInvalidArgument.New("Argument max-buckets must be an integer between 1 and 10000")
		}
		max = int(*in.MaxBuckets)
	}
	after := ""
	if t := deref(in.ContinuationToken); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			return nil, errInvalidArgument.New("The continuation token provided is incorrect")
		}
		after = string(raw)
	}
	var buckets []bucketRecord
	err := s.db.View(ctx, func(tx storage.Tx) error {
		r := storage.Range{Prefix: []byte(deref(in.Prefix))}
		if after != "" {
			r.After = []byte(after)
		}
		var derr error
		err := tx.Scan(tableBuckets, r, func(_, v []byte) bool {
			var b bucketRecord
			if derr = json.Unmarshal(v, &b); derr != nil {
				return false
			}
			if b.Account != info.Account {
				return true
			}
			if in.BucketRegion != nil && b.Region != *in.BucketRegion {
				return true
			}
			buckets = append(buckets, b)
			return len(buckets) <= max
		})
		if err == nil {
			err = derr
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &s3api.ListBucketsOutput{Owner: ownerOf(info.Account), Prefix: in.Prefix, Buckets: []s3api.Bucket{}}
	if len(buckets) > max {
		buckets = buckets[:max]
		out.ContinuationToken = ptr(base64.RawURLEncoding.EncodeToString([]byte(buckets[max-1].Name)))
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	for _, b := range buckets {
		out.Buckets = append(out.Buckets, s3api.Bucket{Name: ptr(b.Name), CreationDate: ptr(b.Created), BucketRegion: ptr(b.Region), BucketArn: ptr("arn:aws:s3:::" + b.Name)})
	}
	return out, nil
}
