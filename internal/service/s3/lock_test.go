package s3

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// lockService returns a service with a bucket created with Object Lock.
func lockService(t *testing.T, bucket string) *Service {
	t.Helper()
	s := newTestService(t)
	if _, err := s.CreateBucket(context.Background(), &s3api.CreateBucketInput{Bucket: &bucket, ObjectLockEnabledForBucket: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	return s
}

func lockConfig(mode string, days, years *int32) *s3api.ObjectLockConfiguration {
	return &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr("Enabled"), Rule: &s3api.ObjectLockRule{
		DefaultRetention: &s3api.DefaultRetention{Mode: nonEmpty(mode), Days: days, Years: years},
	}}
}

func TestObjectLockConfigurationValidation(t *testing.T) {
	ctx := context.Background()
	s := lockService(t, "lock-config")
	tests := []struct {
		name   string
		config *s3api.ObjectLockConfiguration
		code   string
	}{
		{"no body", nil, "MalformedXML"},
		{"not enabled", &s3api.ObjectLockConfiguration{}, "MalformedXML"},
		{"disabled", &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr("Disabled")}, "MalformedXML"},
		{"rule without retention", &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr("Enabled"), Rule: &s3api.ObjectLockRule{}}, "MalformedXML"},
		{"no mode", lockConfig("", ptr(int32(1)), nil), "MalformedXML"},
		{"bad mode", lockConfig("FOREVER", ptr(int32(1)), nil), "MalformedXML"},
		{"no period", lockConfig("GOVERNANCE", nil, nil), "MalformedXML"},
		{"days and years", lockConfig("GOVERNANCE", ptr(int32(1)), ptr(int32(1))), "MalformedXML"},
		{"zero days", lockConfig("GOVERNANCE", ptr(int32(0)), nil), "InvalidArgument"},
		{"negative years", lockConfig("COMPLIANCE", nil, ptr(int32(-1))), "InvalidArgument"},
		{"too many days", lockConfig("COMPLIANCE", ptr(int32(36501)), nil), "InvalidArgument"},
		{"too many years", lockConfig("COMPLIANCE", nil, ptr(int32(101))), "InvalidArgument"},
		{"days", lockConfig("GOVERNANCE", ptr(int32(1)), nil), ""},
		{"years", lockConfig("COMPLIANCE", nil, ptr(int32(100))), ""},
		{"enabled without rule", &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr("Enabled")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.PutObjectLockConfiguration(ctx, &s3api.PutObjectLockConfigurationInput{Bucket: ptr("lock-config"), ObjectLockConfiguration: tc.config})
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.GetObjectLockConfiguration(ctx, &s3api.GetObjectLockConfigurationInput{Bucket: ptr("lock-config")})
				if err != nil || *got.ObjectLockConfiguration.ObjectLockEnabled != "Enabled" ||
					(got.ObjectLockConfiguration.Rule == nil) != (tc.config.Rule == nil) {
					t.Fatalf("%v %+v", err, got)
				}
				return
			}
			wantCode(t, err, tc.code)
		})
	}
}

func TestObjectLockOnExistingBuckets(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	for _, b := range []string{"lock-plain", "lock-versioned"} {
		if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr(b)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.GetObjectLockConfiguration(ctx, &s3api.GetObjectLockConfigurationInput{Bucket: ptr("lock-plain")})
	wantCode(t, err, "ObjectLockConfigurationNotFoundError")
	if e := awserr.From(err); e.Status != 404 || e.Message != "Object Lock configuration does not exist for this bucket" {
		t.Fatalf("%d %q", e.Status, e.Message)
	}
	// Object Lock needs versioning Enabled.
	_, err = s.PutObjectLockConfiguration(ctx, &s3api.PutObjectLockConfigurationInput{Bucket: ptr("lock-plain"), ObjectLockConfiguration: lockConfig("GOVERNANCE", ptr(int32(1)), nil)})
	wantCode(t, err, "InvalidBucketState")
	if e := awserr.From(err); e.Status != 409 {
		t.Fatalf("status %d", e.Status)
	}
	// ... and then turns on for an existing bucket, which can no longer
	// suspend versioning.
	if _, err := s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr("lock-versioned"), VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr("Enabled")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutObjectLockConfiguration(ctx, &s3api.PutObjectLockConfigurationInput{Bucket: ptr("lock-versioned"), ObjectLockConfiguration: &s3api.ObjectLockConfiguration{ObjectLockEnabled: ptr("Enabled")}}); err != nil {
		t.Fatal(err)
	}
	_, err = s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr("lock-versioned"), VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr("Suspended")}})
	wantCode(t, err, "InvalidBucketState")
	if _, err := s.PutObjectLegalHold(ctx, &s3api.PutObjectLegalHoldInput{Bucket: ptr("lock-versioned"), Key: ptr("k"), LegalHold: &s3api.ObjectLockLegalHold{Status: ptr("ON")}}); awsCode(err) != "NoSuchKey" {
		t.Fatalf("legal hold on a missing key: %v", err)
	}
	// A bucket created with Object Lock is versioned: a PUT never replaces.
	s2 := lockService(t, "lock-new")
	v1 := putString(t, s2, "lock-new", "k", "one")
	v2 := putString(t, s2, "lock-new", "k", "two")
	if v1.VersionId == nil || v2.VersionId == nil || *v1.VersionId == *v2.VersionId || *v1.VersionId == "null" {
		t.Fatalf("versions %v %v", v1.VersionId, v2.VersionId)
	}
}

func TestObjectLockRequestsOnPlainBucket(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("lock-none")}); err != nil {
		t.Fatal(err)
	}
	putString(t, s, "lock-none", "k", "x")
	_, err := s.PutObjectRetention(ctx, &s3api.PutObjectRetentionInput{Bucket: ptr("lock-none"), Key: ptr("k"),
		Retention: &s3api.ObjectLockRetention{Mode: ptr("GOVERNANCE"), RetainUntilDate: ptr(time.Now().Add(time.Hour))}})
	wantCode(t, err, "InvalidRequest")
	_, err = s.GetObjectRetention(ctx, &s3api.GetObjectRetentionInput{Bucket: ptr("lock-none"), Key: ptr("k")})
	wantCode(t, err, "InvalidRequest")
	_, err = s.PutObjectLegalHold(ctx, &s3api.PutObjectLegalHoldInput{Bucket: ptr("lock-none"), Key: ptr("k"), LegalHold: &s3api.ObjectLockLegalHold{Status: ptr("ON")}})
	wantCode(t, err, "InvalidRequest")
	_, err = s.GetObjectLegalHold(ctx, &s3api.GetObjectLegalHoldInput{Bucket: ptr("lock-none"), Key: ptr("k")})
	wantCode(t, err, "InvalidRequest")
}

func TestDefaultRetentionApplies(t *testing.T) {
	ctx := context.Background()
	s := lockService(t, "lock-default")
	s.minPartSize = 1
	if _, err := s.PutObjectLockConfiguration(ctx, &s3api.PutObjectLockConfigurationInput{Bucket: ptr("lock-default"), ObjectLockConfiguration: lockConfig("GOVERNANCE", ptr(int32(2)), nil)}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	putString(t, s, "lock-default", "put", "x")
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("lock-default"), Key: ptr("mp")})
	e := mpPart(t, s, "lock-default", "mp", id, 1, "y").ETag
	if _, err := mpComplete(s, "lock-default", "mp", id, completed(1, e)); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"put", "mp"} {
		r, err := s.GetObjectRetention(ctx, &s3api.GetObjectRetentionInput{Bucket: ptr("lock-default"), Key: ptr(key)})
		if err != nil {
			t.Fatal(err)
		}
		until := *r.Retention.RetainUntilDate
		if *r.Retention.Mode != "GOVERNANCE" || until.Before(before.Add(48*time.Hour-time.Second)) || until.After(time.Now().Add(48*time.Hour)) {
			t.Fatalf("%s: %s until %v", key, *r.Retention.Mode, until)
		}
		_, err = s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("lock-default"), Key: ptr(key), VersionId: ptr(headVersion(t, s, "lock-default", key))})
		wantCode(t, err, "AccessDenied")
	}
	// Explicit settings of the upload win over the default.
	until := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	id = mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("lock-default"), Key: ptr("explicit"),
		ObjectLockMode: ptr("COMPLIANCE"), ObjectLockRetainUntilDate: &until, ObjectLockLegalHoldStatus: ptr("ON")})
	e = mpPart(t, s, "lock-default", "explicit", id, 1, "z").ETag
	if _, err := mpComplete(s, "lock-default", "explicit", id, completed(1, e)); err != nil {
		t.Fatal(err)
	}
	r, err := s.GetObjectRetention(ctx, &s3api.GetObjectRetentionInput{Bucket: ptr("lock-default"), Key: ptr("explicit")})
	if err != nil || *r.Retention.Mode != "COMPLIANCE" || !r.Retention.RetainUntilDate.Equal(until) {
		t.Fatalf("%v %+v", err, r)
	}
	h, err := s.GetObjectLegalHold(ctx, &s3api.GetObjectLegalHoldInput{Bucket: ptr("lock-default"), Key: ptr("explicit")})
	if err != nil || *h.LegalHold.Status != "ON" {
		t.Fatalf("%v %+v", err, h)
	}
}

func headVersion(t *testing.T, s *Service, bucket, key string) string {
	t.Helper()
	h, err := s.HeadObject(context.Background(), &s3api.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	return *h.VersionId
}

func TestObjectRetentionChanges(t *testing.T) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	day := 24 * time.Hour
	retention := func(mode string, until time.Time) *s3api.ObjectLockRetention {
		r := &s3api.ObjectLockRetention{Mode: nonEmpty(mode)}
		if !until.IsZero() {
			r.RetainUntilDate = &until
		}
		return r
	}
	type step struct {
		retention *s3api.ObjectLockRetention
		bypass    bool
		code      string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"compliance can only be extended", []step{
			{retention("COMPLIANCE", now.Add(2*day)), false, ""},
			{retention("COMPLIANCE", now.Add(day)), true, "AccessDenied"},
			{retention("GOVERNANCE", now.Add(3*day)), true, "AccessDenied"},
			{&s3api.ObjectLockRetention{}, true, "AccessDenied"},
			{retention("COMPLIANCE", now.Add(3*day)), false, ""},
		}},
		{"governance needs bypass to shorten or remove", []step{
			{retention("GOVERNANCE", now.Add(2*day)), false, ""},
			{retention("GOVERNANCE", now.Add(3*day)), false, ""},
			{retention("GOVERNANCE", now.Add(day)), false, "AccessDenied"},
			{retention("GOVERNANCE", now.Add(day)), true, ""},
			{&s3api.ObjectLockRetention{}, false, "AccessDenied"},
			{&s3api.ObjectLockRetention{}, true, ""},
		}},
		{"governance may become compliance", []step{
			{retention("GOVERNANCE", now.Add(2*day)), false, ""},
			{retention("COMPLIANCE", now.Add(2*day)), false, ""},
			{retention("GOVERNANCE", now.Add(2*day)), true, "AccessDenied"},
		}},
		{"invalid requests", []step{
			{nil, false, "MalformedXML"},
			{retention("GOVERNANCE", time.Time{}), false, "MalformedXML"},
			{&s3api.ObjectLockRetention{RetainUntilDate: ptr(now.Add(day))}, false, "MalformedXML"},
			{retention("FOREVER", now.Add(day)), false, "MalformedXML"},
			{retention("GOVERNANCE", now.Add(-day)), false, "InvalidArgument"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := lockService(t, "lock-retention")
			putString(t, s, "lock-retention", "k", "x")
			var last *s3api.ObjectLockRetention
			for i, st := range tc.steps {
				_, err := s.PutObjectRetention(ctx, &s3api.PutObjectRetentionInput{Bucket: ptr("lock-retention"), Key: ptr("k"),
					Retention: st.retention, BypassGovernanceRetention: ptr(st.bypass)})
				if awsCode(err) != st.code {
					t.Fatalf("step %d: %v, want %q", i, err, st.code)
				}
				if err == nil {
					last = st.retention
				}
			}
			got, err := s.GetObjectRetention(ctx, &s3api.GetObjectRetentionInput{Bucket: ptr("lock-retention"), Key: ptr("k")})
			if last == nil || last.Mode == nil {
				wantCode(t, err, "NoSuchObjectLockConfiguration")
				return
			}
			if err != nil || *got.Retention.Mode != *last.Mode || !got.Retention.RetainUntilDate.Equal(*last.RetainUntilDate) {
				t.Fatalf("%v %+v, want %+v", err, got, last)
			}
		})
	}
}

func TestRetentionAndLegalHoldPerVersion(t *testing.T) {
	ctx := context.Background()
	s := lockService(t, "lock-versions")
	v1 := *putString(t, s, "lock-versions", "k", "one").VersionId
	v2 := *putString(t, s, "lock-versions", "k", "two").VersionId
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if _, err := s.PutObjectRetention(ctx, &s3api.PutObjectRetentionInput{Bucket: ptr("lock-versions"), Key: ptr("k"), VersionId: &v1,
		Retention: &s3api.ObjectLockRetention{Mode: ptr("GOVERNANCE"), RetainUntilDate: &until}}); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetObjectRetention(ctx, &s3api.GetObjectRetentionInput{Bucket: ptr("lock-versions"), Key: ptr("k")})
	wantCode(t, err, "NoSuchObjectLockConfiguration")
	if r, err := s.GetObjectRetention(ctx, &s3api.GetObjectRetentionInput{Bucket: ptr("lock-versions"), Key: ptr("k"), VersionId: &v1}); err != nil || *r.Retention.Mode != "GOVERNANCE" {
		t.Fatalf("%v %+v", err, r)
	}
	// Legal hold on the latest version.
	_, err = s.GetObjectLegalHold(ctx, &s3api.GetObjectLegalHoldInput{Bucket: ptr("lock-versions"), Key: ptr("k")})
	wantCode(t, err, "NoSuchObjectLockConfiguration")
	for _, bad := range []*s3api.ObjectLockLegalHold{nil, {}, {Status: ptr("on")}} {
		_, err = s.PutObjectLegalHold(ctx, &s3api.PutObjectLegalHoldInput{Bucket: ptr("lock-versions"), Key: ptr("k"), LegalHold: bad})
		wantCode(t, err, "MalformedXML")
	}
	if _, err := s.PutObjectLegalHold(ctx, &s3api.PutObjectLegalHoldInput{Bucket: ptr("lock-versions"), Key: ptr("k"), LegalHold: &s3api.ObjectLockLegalHold{Status: ptr("ON")}}); err != nil {
		t.Fatal(err)
	}
	h, err := s.GetObjectLegalHold(ctx, &s3api.GetObjectLegalHoldInput{Bucket: ptr("lock-versions"), Key: ptr("k"), VersionId: &v2})
	if err != nil || *h.LegalHold.Status != "ON" {
		t.Fatalf("%v %+v", err, h)
	}
	_, err = s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("lock-versions"), Key: ptr("k"), VersionId: &v2, BypassGovernanceRetention: ptr(true)})
	wantCode(t, err, "AccessDenied")
	// The governance-retained version goes only with bypass.
	_, err = s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("lock-versions"), Key: ptr("k"), VersionId: &v1})
	wantCode(t, err, "AccessDenied")
	if _, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("lock-versions"), Key: ptr("k"), VersionId: &v1, BypassGovernanceRetention: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutObjectLegalHold(ctx, &s3api.PutObjectLegalHoldInput{Bucket: ptr("lock-versions"), Key: ptr("k"), VersionId: &v2, LegalHold: &s3api.ObjectLockLegalHold{Status: ptr("OFF")}}); err != nil {
		t.Fatal(err)
	}
	if h, err := s.GetObjectLegalHold(ctx, &s3api.GetObjectLegalHoldInput{Bucket: ptr("lock-versions"), Key: ptr("k")}); err != nil || *h.LegalHold.Status != "OFF" {
		t.Fatalf("%v %+v", err, h)
	}
	if _, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("lock-versions"), Key: ptr("k"), VersionId: &v2}); err != nil {
		t.Fatal(err)
	}

	// Version and key errors.
	targets := []struct {
		key, version string
		code         string
	}{
		{"k", v1, "NoSuchVersion"},
		{"k", "garbage", "InvalidArgument"},
		{"missing", "", "NoSuchKey"},
	}
	for _, tg := range targets {
		in := &s3api.GetObjectLegalHoldInput{Bucket: ptr("lock-versions"), Key: ptr(tg.key), VersionId: nonEmpty(tg.version)}
		_, err := s.GetObjectLegalHold(ctx, in)
		if awsCode(err) != tg.code {
			t.Errorf("%s@%s: %v, want %s", tg.key, tg.version, err, tg.code)
		}
	}
	putString(t, s, "lock-versions", "gone", "x")
	d, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("lock-versions"), Key: ptr("gone")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GetObjectRetention(ctx, &s3api.GetObjectRetentionInput{Bucket: ptr("lock-versions"), Key: ptr("gone")})
	wantCode(t, err, "NoSuchKey")
	_, err = s.GetObjectRetention(ctx, &s3api.GetObjectRetentionInput{Bucket: ptr("lock-versions"), Key: ptr("gone"), VersionId: d.VersionId})
	wantCode(t, err, "MethodNotAllowed")
	if !strings.Contains(awserr.From(err).Header.Get("x-amz-delete-marker"), "true") {
		t.Fatalf("headers %v", awserr.From(err).Header)
	}
}
