package s3

import (
	"context"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

func TestBucketVersioning(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "vers-cfg", false)
	get := func() *s3api.GetBucketVersioningOutput {
		t.Helper()
		out, err := s.GetBucketVersioning(ctx, &s3api.GetBucketVersioningInput{Bucket: ptr("vers-cfg")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := get(); out.Status != nil || out.MFADelete != nil {
		t.Fatalf("never versioned: %+v", out)
	}
	put := func(status, mfa *string) error {
		_, err := s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr("vers-cfg"),
			VersioningConfiguration: &s3api.VersioningConfiguration{Status: status, MFADelete: mfa}})
		return err
	}
	for _, c := range []struct {
		name        string
		status, mfa *string
		code        string
		want        string
	}{
		{"enable", ptr("Enabled"), nil, "", "Enabled"},
		{"suspend with mfa delete off", ptr("Suspended"), ptr("Disabled"), "", "Suspended"},
		{"bad status", ptr("Off"), nil, "MalformedXML", "Suspended"},
		{"bad mfa delete", ptr("Enabled"), ptr("Maybe"), "MalformedXML", "Suspended"},
		{"empty configuration", nil, nil, "MalformedXML", "Suspended"},
		{"enable again", ptr("Enabled"), nil, "", "Enabled"},
	} {
		err := put(c.status, c.mfa)
		if c.code != "" {
			wantCode(t, err, c.code)
		} else if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := deref(get().Status); got != c.want {
			t.Fatalf("%s: status %q, want %q", c.name, got, c.want)
		}
	}
	if deref(get().MFADelete) != "Disabled" {
		t.Fatal("MfaDelete not kept")
	}
	_, err := s.GetBucketVersioning(ctx, &s3api.GetBucketVersioningInput{Bucket: ptr("vers-none")})
	wantCode(t, err, "NoSuchBucket")
}

func TestVersioningObjectLockBucket(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("vers-lock"), ObjectLockEnabledForBucket: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	_, err := s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr("vers-lock"),
		VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr("Suspended")}})
	wantCode(t, err, "InvalidBucketState")
	out, _ := s.GetBucketVersioning(ctx, &s3api.GetBucketVersioningInput{Bucket: ptr("vers-lock")})
	if deref(out.Status) != "Enabled" {
		t.Fatalf("status %v", out.Status)
	}
}

// Suspending versioning makes new writes the "null" version while older
// versions stay listed.
func TestVersioningSuspendedWrites(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "vers-susp", true)
	v1 := putString(t, s, "vers-susp", "k", "one")
	if _, err := s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr("vers-susp"),
		VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr("Suspended")}}); err != nil {
		t.Fatal(err)
	}
	if out := putString(t, s, "vers-susp", "k", "two"); deref(out.VersionId) != "null" {
		t.Fatalf("suspended write version %v", out.VersionId)
	}
	putString(t, s, "vers-susp", "k", "three") // replaces the null version
	out, err := s.ListObjectVersions(ctx, &s3api.ListObjectVersionsInput{Bucket: ptr("vers-susp")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 2 || *out.Versions[0].VersionId != "null" || !*out.Versions[0].IsLatest || *out.Versions[1].VersionId != *v1.VersionId {
		t.Fatalf("versions %+v", out.Versions)
	}
}
