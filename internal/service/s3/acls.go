package s3

import (
	"context"
	"net/http"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

var (
	errAccessControlListNotSupported = awserr.Def{Code: "AccessControlListNotSupported", Status: http.StatusBadRequest, Sender: true}
	errMalformedACL                  = awserr.Def{Code: "MalformedACLError", Status: http.StatusBadRequest, Sender: true}
	errUnexpectedContent             = awserr.Def{Code: "UnexpectedContent", Status: http.StatusBadRequest, Sender: true}
	errMissingSecurityHeader         = awserr.Def{Code: "MissingSecurityHeader", Status: http.StatusBadRequest, Sender: true}
)

const ownershipEnforced = "BucketOwnerEnforced"

// checkACLsEnabled applies Object Ownership: a bucket with
// BucketOwnerEnforced has ACLs disabled, and accepts only requests that set
// no ACL or one that gives the bucket owner full control (the canned
// bucket-owner-full-control or private, or the same as explicit grants).
func checkACLsEnabled(b *bucketRecord, canned *string, grants grantHeaders, body *s3api.AccessControlPolicy) error {
	if b.Ownership != ownershipEnforced {
		return nil
	}
	allowed := true
	switch {
	case canned != nil:
		allowed = *canned == "bucket-owner-full-control" || *canned == "private"
	case grants.any():
		allowed = grants[0] != nil && grants[1] == nil && grants[2] == nil && grants[3] == nil && grants[4] == nil
		if allowed {
			p, err := aclFromRequest(b.Account, nil, grants, nil)
			allowed = err == nil && ownerOnly(b.Account, p.Grants)
		}
	case body != nil:
		allowed = ownerOnly(b.Account, body.Grants)
	}
	if !allowed {
		return errAccessControlListNotSupported.New("The bucket does not allow ACLs")
	}
	return nil
}

// ownerOnly reports whether grants give exactly the account's canonical
// user full control.
func ownerOnly(account string, grants []s3api.Grant) bool {
	if len(grants) != 1 {
		return false
	}
	g := grants[0]
	return g.Grantee != nil && deref(g.Grantee.ID) == canonicalID(account) && deref(g.Permission) == "FULL_CONTROL"
}

var aclPermissions = map[string]bool{"FULL_CONTROL": true, "READ": true, "WRITE": true, "READ_ACP": true, "WRITE_ACP": true}

var aclGroups = map[string]bool{groupAllUsers: true, groupAuthenticated: true, groupLogDelivery: true}

// validatePolicy checks an AccessControlPolicy body as S3 does before it
// stores it.
func validatePolicy(p *s3api.AccessControlPolicy) error {
	malformed := errMalformedACL.New("The XML you provided was not well-formed or did not validate against our published schema")
	if p.Owner == nil || deref(p.Owner.ID) == "" {
		return malformed
	}
	for _, g := range p.Grants {
		if g.Grantee == nil || !aclPermissions[deref(g.Permission)] {
			return malformed
		}
		switch deref(g.Grantee.Type) {
		case "CanonicalUser":
			if deref(g.Grantee.ID) == "" {
				return malformed
			}
		case "Group":
			if !aclGroups[deref(g.Grantee.URI)] {
				return errInvalidArgument.New("Invalid group uri").WithDetail(map[string]string{"ArgumentName": "uri", "ArgumentValue": deref(g.Grantee.URI)})
			}
		case "AmazonCustomerByEmail":
			if deref(g.Grantee.EmailAddress) == "" {
				return malformed
			}
		default:
			return malformed
		}
	}
	return nil
}

// aclFromPut builds the ACL a PutBucketAcl or PutObjectAcl sets: a canned
// ACL, grant headers, or an AccessControlPolicy body (exactly one).
func aclFromPut(account string, canned *string, grants grantHeaders, body *s3api.AccessControlPolicy, allowed map[string]bool) (*s3api.AccessControlPolicy, error) {
	if body != nil {
		if canned != nil || grants.any() {
			return nil, errUnexpectedContent.New("This request does not support content")
		}
		if err := validatePolicy(body); err != nil {
			return nil, err
		}
		// The owner cannot be changed through an ACL.
		return &s3api.AccessControlPolicy{Owner: ownerOf(account), Grants: body.Grants}, nil
	}
	if canned == nil && !grants.any() {
		return nil, errMissingSecurityHeader.New("Your request was missing a required header").WithDetail(map[string]string{"MissingHeaderName": "x-amz-acl"})
	}
	return aclFromRequest(account, canned, grants, allowed)
}

func aclOutput(p *s3api.AccessControlPolicy, account string) (*s3api.Owner, []s3api.Grant) {
	if p == nil {
		p = cannedACL(account, "private")
	}
	grants := p.Grants
	if grants == nil {
		grants = []s3api.Grant{}
	}
	return p.Owner, grants
}

func (s *Service) GetBucketAcl(ctx context.Context, in *s3api.GetBucketAclInput) (*s3api.GetBucketAclOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	acl := b.ACL
	if b.Ownership == ownershipEnforced {
		acl = nil // ACLs are disabled: the owner has full control, nobody else.
	}
	out := &s3api.GetBucketAclOutput{}
	out.Owner, out.Grants = aclOutput(acl, b.Account)
	return out, nil
}

// aclForPut returns the ACL that PutBucketAcl or PutObjectAcl stores for
// a resource of owner in bucket b: the request's ACL, which only a bucket
// with ACLs enabled takes; under BucketOwnerEnforced, a private one.
func aclForPut(b *bucketRecord, owner string, canned *string, grants grantHeaders, body *s3api.AccessControlPolicy, allowed map[string]bool) (*s3api.AccessControlPolicy, error) {
	acl, err := aclFromPut(owner, canned, grants, body, allowed)
	if err != nil {
		return nil, err
	}
	if err := checkACLsEnabled(b, canned, grants, body); err != nil {
		return nil, err
	}
	if b.Ownership == ownershipEnforced {
		acl = cannedACL(b.Account, "private")
	}
	return acl, nil
}

func (s *Service) PutBucketAcl(ctx context.Context, in *s3api.PutBucketAclInput) (*s3api.PutBucketAclOutput, error) {
	grants := grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, in.GrantWrite, in.GrantWriteACP}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		acl, err := aclForPut(b, b.Account, in.ACL, grants, in.AccessControlPolicy, bucketCannedACLs)
		if err != nil {
			return err
		}
		b.ACL = acl
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketAclOutput{}, nil
}

func (s *Service) GetObjectAcl(ctx context.Context, in *s3api.GetObjectAclInput) (*s3api.GetObjectAclOutput, error) {
	b, rec, err := s.viewObject(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	acl, owner := rec.ACL, ownerAccount(rec.Owner, b.Account)
	if b.Ownership == ownershipEnforced {
		// With ACLs disabled the bucket owner owns every object.
		acl, owner = nil, b.Account
	}
	out := &s3api.GetObjectAclOutput{}
	out.Owner, out.Grants = aclOutput(acl, owner)
	return out, nil
}

func (s *Service) PutObjectAcl(ctx context.Context, in *s3api.PutObjectAclInput) (*s3api.PutObjectAclOutput, error) {
	grants := grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, in.GrantWrite, in.GrantWriteACP}
	_, _, err := s.updateObject(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, in.ExpectedBucketOwner, "PUT", func(b *bucketRecord, rec *objectRecord) error {
		acl, err := aclForPut(b, ownerAccount(rec.Owner, b.Account), in.ACL, grants, in.AccessControlPolicy, objectCannedACLs)
		if err != nil {
			return err
		}
		rec.ACL = acl
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutObjectAclOutput{}, nil
}
