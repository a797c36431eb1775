package s3

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// grantString summarises grants as "grantee:permission" items, sorted.
func grantString(grants []s3api.Grant) string {
	var parts []string
	for _, g := range grants {
		who := deref(g.Grantee.ID)
		if g.Grantee.URI != nil {
			who = strings.TrimPrefix(*g.Grantee.URI, "http://acs.amazonaws.com/groups/")
		}
		if who == canonicalID("000000000000") {
			who = "owner"
		}
		parts = append(parts, who+":"+deref(g.Permission))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func TestBucketAcl(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("acl-open"), ObjectOwnership: ptr("ObjectWriter")}); err != nil {
		t.Fatal(err)
	}
	get := func() string {
		t.Helper()
		out, err := s.GetBucketAcl(ctx, &s3api.GetBucketAclInput{Bucket: ptr("acl-open")})
		if err != nil {
			t.Fatal(err)
		}
		if *out.Owner.ID != canonicalID("000000000000") {
			t.Fatalf("owner %+v", out.Owner)
		}
		return grantString(out.Grants)
	}
	if got := get(); got != "owner:FULL_CONTROL" {
		t.Fatalf("default ACL %q", got)
	}
	owner := ownerOf("000000000000")
	for _, c := range []struct {
		name string
		in   s3api.PutBucketAclInput
		code string
		want string
	}{
		{"canned", s3api.PutBucketAclInput{ACL: ptr("public-read")}, "", "global/AllUsers:READ,owner:FULL_CONTROL"},
		{"grant headers", s3api.PutBucketAclInput{GrantRead: ptr(`uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers", id="abc"`), GrantWrite: ptr(`id="def"`)}, "",
			"abc:READ,def:WRITE,global/AuthenticatedUsers:READ"},
		{"body", s3api.PutBucketAclInput{AccessControlPolicy: &s3api.AccessControlPolicy{Owner: owner, Grants: []s3api.Grant{
			{Grantee: &s3api.Grantee{Type: ptr("CanonicalUser"), ID: owner.ID}, Permission: ptr("FULL_CONTROL")},
			{Grantee: &s3api.Grantee{Type: ptr("Group"), URI: ptr(groupLogDelivery)}, Permission: ptr("WRITE")},
		}}}, "", "owner:FULL_CONTROL,s3/LogDelivery:WRITE"},
		{"canned and body", s3api.PutBucketAclInput{ACL: ptr("private"), AccessControlPolicy: &s3api.AccessControlPolicy{Owner: owner}}, "UnexpectedContent", ""},
		{"canned and grants", s3api.PutBucketAclInput{ACL: ptr("private"), GrantRead: ptr(`id="abc"`)}, "InvalidRequest", ""},
		{"nothing", s3api.PutBucketAclInput{}, "MissingSecurityHeader", ""},
		{"bad canned", s3api.PutBucketAclInput{ACL: ptr("bucket-owner-read")}, "InvalidArgument", ""},
		{"body without owner", s3api.PutBucketAclInput{AccessControlPolicy: &s3api.AccessControlPolicy{}}, "MalformedACLError", ""},
		{"bad permission", s3api.PutBucketAclInput{AccessControlPolicy: &s3api.AccessControlPolicy{Owner: owner, Grants: []s3api.Grant{
			{Grantee: &s3api.Grantee{Type: ptr("CanonicalUser"), ID: ptr("abc")}, Permission: ptr("EVERYTHING")}}}}, "MalformedACLError", ""},
		{"bad group", s3api.PutBucketAclInput{AccessControlPolicy: &s3api.AccessControlPolicy{Owner: owner, Grants: []s3api.Grant{
			{Grantee: &s3api.Grantee{Type: ptr("Group"), URI: ptr("http://example.com/everyone")}, Permission: ptr("READ")}}}}, "InvalidArgument", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.Bucket = ptr("acl-open")
			_, err := s.PutBucketAcl(ctx, &in)
			if c.code != "" {
				wantCode(t, err, c.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := get(); got != c.want {
				t.Fatalf("ACL %q, want %q", got, c.want)
			}
		})
	}
}

func TestAclsDisabledByOwnership(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "acl-enforced", false) // new buckets enforce bucket ownership
	putString(t, s, "acl-enforced", "k", "x")
	_, err := s.PutBucketAcl(ctx, &s3api.PutBucketAclInput{Bucket: ptr("acl-enforced"), ACL: ptr("public-read")})
	wantCode(t, err, "AccessControlListNotSupported")
	if _, err := s.PutBucketAcl(ctx, &s3api.PutBucketAclInput{Bucket: ptr("acl-enforced"), ACL: ptr("private")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.PutObjectAcl(ctx, &s3api.PutObjectAclInput{Bucket: ptr("acl-enforced"), Key: ptr("k"), GrantRead: ptr(`id="abc"`)})
	wantCode(t, err, "AccessControlListNotSupported")
	for _, in := range []s3api.PutObjectAclInput{
		{ACL: ptr("bucket-owner-full-control")},
		{GrantFullControl: ptr(`id="` + canonicalID("000000000000") + `"`)},
	} {
		in.Bucket, in.Key = ptr("acl-enforced"), ptr("k")
		if _, err := s.PutObjectAcl(ctx, &in); err != nil {
			t.Fatal(err)
		}
	}
	// Reading ACLs always works.
	b, err := s.GetBucketAcl(ctx, &s3api.GetBucketAclInput{Bucket: ptr("acl-enforced")})
	if err != nil || grantString(b.Grants) != "owner:FULL_CONTROL" {
		t.Fatalf("bucket ACL %v %+v", err, b)
	}
	o, err := s.GetObjectAcl(ctx, &s3api.GetObjectAclInput{Bucket: ptr("acl-enforced"), Key: ptr("k")})
	if err != nil || grantString(o.Grants) != "owner:FULL_CONTROL" {
		t.Fatalf("object ACL %v %+v", err, o)
	}
}

func TestObjectAcl(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("acl-objects"), ObjectOwnership: ptr("BucketOwnerPreferred")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr("acl-objects"),
		VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr("Enabled")}}); err != nil {
		t.Fatal(err)
	}
	v1 := putString(t, s, "acl-objects", "k", "1")
	putString(t, s, "acl-objects", "k", "2")
	if _, err := s.PutObjectAcl(ctx, &s3api.PutObjectAclInput{Bucket: ptr("acl-objects"), Key: ptr("k"), VersionId: v1.VersionId, ACL: ptr("public-read")}); err != nil {
		t.Fatal(err)
	}
	get := func(version *string) string {
		t.Helper()
		out, err := s.GetObjectAcl(ctx, &s3api.GetObjectAclInput{Bucket: ptr("acl-objects"), Key: ptr("k"), VersionId: version})
		if err != nil {
			t.Fatal(err)
		}
		return grantString(out.Grants)
	}
	if get(v1.VersionId) != "global/AllUsers:READ,owner:FULL_CONTROL" || get(nil) != "owner:FULL_CONTROL" {
		t.Fatalf("v1 %q latest %q", get(v1.VersionId), get(nil))
	}
	_, err := s.GetObjectAcl(ctx, &s3api.GetObjectAclInput{Bucket: ptr("acl-objects"), Key: ptr("nope")})
	wantCode(t, err, "NoSuchKey")
	_, err = s.PutObjectAcl(ctx, &s3api.PutObjectAclInput{Bucket: ptr("acl-objects"), Key: ptr("k"), ACL: ptr("log-delivery-write")})
	wantCode(t, err, "InvalidArgument")
}
