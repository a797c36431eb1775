package s3

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// configTestBucket creates a bucket for the configuration tests.
func configTestBucket(t *testing.T, s *Service, name string) {
	t.Helper()
	if _, err := s.CreateBucket(context.Background(), &s3api.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatal(err)
	}
}

func enableVersioning(t *testing.T, s *Service, name string) {
	t.Helper()
	if err := s.updateBucket(context.Background(), name, func(b *bucketRecord) error { b.Versioning = "Enabled"; return nil }); err != nil {
		t.Fatal(err)
	}
}

// wantResult fails the test on an error when code is "", else checks that
// the error has code.
func wantResult(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	wantCode(t, err, code)
}

func TestBucketEncryption(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "enc")
	out, err := s.GetBucketEncryption(ctx, &s3api.GetBucketEncryptionInput{Bucket: ptr("enc")})
	if err != nil {
		t.Fatal(err)
	}
	if r := out.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || *r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != "AES256" || *r[0].BucketKeyEnabled {
		t.Fatalf("default encryption = %+v", r)
	}
	rule := func(algo string, key *string) *s3api.ServerSideEncryptionConfiguration {
		return &s3api.ServerSideEncryptionConfiguration{Rules: []s3api.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3api.ServerSideEncryptionByDefault{SSEAlgorithm: &algo, KMSMasterKeyID: key},
		}}}
	}
	cases := []struct {
		name string
		cfg  *s3api.ServerSideEncryptionConfiguration
		code string
	}{
		{"no rules", &s3api.ServerSideEncryptionConfiguration{}, "MalformedXML"},
		{"bad algorithm", rule("DES", nil), "MalformedXML"},
		{"kms key with AES256", rule("AES256", ptr("k")), "InvalidArgument"},
		{"kms", rule("aws:kms", ptr("arn:aws:kms:us-east-1:000000000000:key/k")), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.PutBucketEncryption(ctx, &s3api.PutBucketEncryptionInput{Bucket: ptr("enc"), ServerSideEncryptionConfiguration: c.cfg})
			wantResult(t, err, c.code)
		})
	}
	out, _ = s.GetBucketEncryption(ctx, &s3api.GetBucketEncryptionInput{Bucket: ptr("enc")})
	if *out.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != "aws:kms" {
		t.Fatal("kms configuration not kept")
	}
	if _, err := s.DeleteBucketEncryption(ctx, &s3api.DeleteBucketEncryptionInput{Bucket: ptr("enc")}); err != nil {
		t.Fatal(err)
	}
	out, _ = s.GetBucketEncryption(ctx, &s3api.GetBucketEncryptionInput{Bucket: ptr("enc")})
	if *out.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != "AES256" {
		t.Fatal("delete did not restore the default")
	}
	_, err = s.GetBucketEncryption(ctx, &s3api.GetBucketEncryptionInput{Bucket: ptr("enc"), ExpectedBucketOwner: ptr("111111111111")})
	wantCode(t, err, "AccessDenied")
	_, err = s.GetBucketEncryption(ctx, &s3api.GetBucketEncryptionInput{Bucket: ptr("missing")})
	wantCode(t, err, "NoSuchBucket")
}

func TestOwnershipControls(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "own")
	out, err := s.GetBucketOwnershipControls(ctx, &s3api.GetBucketOwnershipControlsInput{Bucket: ptr("own")})
	if err != nil || *out.OwnershipControls.Rules[0].ObjectOwnership != "BucketOwnerEnforced" {
		t.Fatalf("default ownership: %v %+v", err, out)
	}
	for _, c := range []struct {
		value, code string
	}{{"ObjectWriter", ""}, {"Nobody", "MalformedXML"}} {
		_, err := s.PutBucketOwnershipControls(ctx, &s3api.PutBucketOwnershipControlsInput{Bucket: ptr("own"),
			OwnershipControls: &s3api.OwnershipControls{Rules: []s3api.OwnershipControlsRule{{ObjectOwnership: ptr(c.value)}}}})
		wantResult(t, err, c.code)
	}
	out, _ = s.GetBucketOwnershipControls(ctx, &s3api.GetBucketOwnershipControlsInput{Bucket: ptr("own")})
	if *out.OwnershipControls.Rules[0].ObjectOwnership != "ObjectWriter" {
		t.Fatal("ownership not kept")
	}
	if _, err := s.DeleteBucketOwnershipControls(ctx, &s3api.DeleteBucketOwnershipControlsInput{Bucket: ptr("own")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketOwnershipControls(ctx, &s3api.GetBucketOwnershipControlsInput{Bucket: ptr("own")})
	wantCode(t, err, "OwnershipControlsNotFoundError")
}

func TestPublicAccessBlock(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "pab")
	out, err := s.GetPublicAccessBlock(ctx, &s3api.GetPublicAccessBlockInput{Bucket: ptr("pab")})
	if err != nil {
		t.Fatal(err)
	}
	if c := out.PublicAccessBlockConfiguration; !*c.BlockPublicAcls || !*c.IgnorePublicAcls || !*c.BlockPublicPolicy || !*c.RestrictPublicBuckets {
		t.Fatalf("new buckets block everything, got %+v", c)
	}
	if _, err := s.PutPublicAccessBlock(ctx, &s3api.PutPublicAccessBlockInput{Bucket: ptr("pab"),
		PublicAccessBlockConfiguration: &s3api.PublicAccessBlockConfiguration{BlockPublicAcls: ptr(true)}}); err != nil {
		t.Fatal(err)
	}
	out, _ = s.GetPublicAccessBlock(ctx, &s3api.GetPublicAccessBlockInput{Bucket: ptr("pab")})
	if c := out.PublicAccessBlockConfiguration; !*c.BlockPublicAcls || *c.IgnorePublicAcls || *c.BlockPublicPolicy || *c.RestrictPublicBuckets {
		t.Fatalf("absent settings are false, got %+v", c)
	}
	if _, err := s.DeletePublicAccessBlock(ctx, &s3api.DeletePublicAccessBlockInput{Bucket: ptr("pab")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetPublicAccessBlock(ctx, &s3api.GetPublicAccessBlockInput{Bucket: ptr("pab")})
	wantCode(t, err, "NoSuchPublicAccessBlockConfiguration")
}

func TestBucketLogging(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "logged")
	configTestBucket(t, s, "logs")
	if err := s.updateBucket(ctx, "logs", func(b *bucketRecord) error { b.Account = "111111111111"; return nil }); err != nil {
		t.Fatal(err)
	}
	configTestBucket(t, s, "logs-mine")
	out, err := s.GetBucketLogging(ctx, &s3api.GetBucketLoggingInput{Bucket: ptr("logged")})
	if err != nil || out.LoggingEnabled != nil {
		t.Fatalf("no logging: %v %+v", err, out)
	}
	cases := []struct {
		name   string
		status *s3api.BucketLoggingStatus
		code   string
	}{
		{"missing target", &s3api.BucketLoggingStatus{LoggingEnabled: &s3api.LoggingEnabled{TargetBucket: ptr("nope"), TargetPrefix: ptr("")}}, "InvalidTargetBucketForLogging"},
		{"other owner", &s3api.BucketLoggingStatus{LoggingEnabled: &s3api.LoggingEnabled{TargetBucket: ptr("logs"), TargetPrefix: ptr("")}}, "InvalidTargetBucketForLogging"},
		{"ok", &s3api.BucketLoggingStatus{LoggingEnabled: &s3api.LoggingEnabled{TargetBucket: ptr("logs-mine"), TargetPrefix: ptr("p/")}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.PutBucketLogging(ctx, &s3api.PutBucketLoggingInput{Bucket: ptr("logged"), BucketLoggingStatus: c.status})
			wantResult(t, err, c.code)
		})
	}
	out, _ = s.GetBucketLogging(ctx, &s3api.GetBucketLoggingInput{Bucket: ptr("logged")})
	if out.LoggingEnabled == nil || *out.LoggingEnabled.TargetPrefix != "p/" {
		t.Fatalf("logging not kept: %+v", out)
	}
	if _, err := s.PutBucketLogging(ctx, &s3api.PutBucketLoggingInput{Bucket: ptr("logged"), BucketLoggingStatus: &s3api.BucketLoggingStatus{}}); err != nil {
		t.Fatal(err)
	}
	out, _ = s.GetBucketLogging(ctx, &s3api.GetBucketLoggingInput{Bucket: ptr("logged")})
	if out.LoggingEnabled != nil {
		t.Fatal("empty status did not disable logging")
	}
}

func TestAccelerateAndRequestPayment(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "acc")
	configTestBucket(t, s, "with.dots")
	a, err := s.GetBucketAccelerateConfiguration(ctx, &s3api.GetBucketAccelerateConfigurationInput{Bucket: ptr("acc")})
	if err != nil || a.Status != nil {
		t.Fatalf("default accelerate: %v %+v", err, a)
	}
	cases := []struct {
		bucket, status, code string
	}{
		{"acc", "Enabled", ""},
		{"acc", "On", "MalformedXML"},
		{"with.dots", "Enabled", "InvalidRequest"},
	}
	for _, c := range cases {
		_, err := s.PutBucketAccelerateConfiguration(ctx, &s3api.PutBucketAccelerateConfigurationInput{Bucket: ptr(c.bucket), AccelerateConfiguration: &s3api.AccelerateConfiguration{Status: ptr(c.status)}})
		wantResult(t, err, c.code)
	}
	a, _ = s.GetBucketAccelerateConfiguration(ctx, &s3api.GetBucketAccelerateConfigurationInput{Bucket: ptr("acc")})
	if deref(a.Status) != "Enabled" {
		t.Fatal("accelerate not kept")
	}

	p, err := s.GetBucketRequestPayment(ctx, &s3api.GetBucketRequestPaymentInput{Bucket: ptr("acc")})
	if err != nil || *p.Payer != "BucketOwner" {
		t.Fatalf("default payer: %v %+v", err, p)
	}
	for _, c := range []struct{ payer, code string }{{"Requester", ""}, {"Anyone", "MalformedXML"}} {
		_, err := s.PutBucketRequestPayment(ctx, &s3api.PutBucketRequestPaymentInput{Bucket: ptr("acc"), RequestPaymentConfiguration: &s3api.RequestPaymentConfiguration{Payer: ptr(c.payer)}})
		wantResult(t, err, c.code)
	}
	p, _ = s.GetBucketRequestPayment(ctx, &s3api.GetBucketRequestPaymentInput{Bucket: ptr("acc")})
	if *p.Payer != "Requester" {
		t.Fatal("payer not kept")
	}
}

func TestBucketReplication(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "src")
	configTestBucket(t, s, "dst")
	configTestBucket(t, s, "dst-unversioned")
	_, err := s.GetBucketReplication(ctx, &s3api.GetBucketReplicationInput{Bucket: ptr("src")})
	wantCode(t, err, "ReplicationConfigurationNotFoundError")
	cfg := func(dest string) *s3api.ReplicationConfiguration {
		return &s3api.ReplicationConfiguration{Role: ptr("arn:aws:iam::000000000000:role/r"), Rules: []s3api.ReplicationRule{{
			Status: ptr("Enabled"), Filter: &s3api.ReplicationRuleFilter{Prefix: ptr("")}, Priority: ptr(int32(1)),
			Destination: &s3api.Destination{Bucket: ptr(dest)},
		}}}
	}
	put := func(c *s3api.ReplicationConfiguration) error {
		_, err := s.PutBucketReplication(ctx, &s3api.PutBucketReplicationInput{Bucket: ptr("src"), ReplicationConfiguration: c})
		return err
	}
	enableVersioning(t, s, "dst")
	wantCode(t, put(cfg("arn:aws:s3:::dst")), "InvalidRequest") // source not versioned
	enableVersioning(t, s, "src")
	wantCode(t, put(cfg("arn:aws:s3:::nowhere")), "InvalidRequest")
	wantCode(t, put(cfg("arn:aws:s3:::dst-unversioned")), "InvalidRequest")
	wantCode(t, put(cfg("dst")), "InvalidArgument")
	wantCode(t, put(&s3api.ReplicationConfiguration{Role: ptr("r")}), "MalformedXML")
	if err := put(cfg("arn:aws:s3:::dst")); err != nil {
		t.Fatal(err)
	}
	out, err := s.GetBucketReplication(ctx, &s3api.GetBucketReplicationInput{Bucket: ptr("src")})
	if err != nil || deref(out.ReplicationConfiguration.Rules[0].ID) == "" {
		t.Fatalf("replication: %v %+v (a rule without ID gets one)", err, out)
	}
	if _, err := s.DeleteBucketReplication(ctx, &s3api.DeleteBucketReplicationInput{Bucket: ptr("src")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketReplication(ctx, &s3api.GetBucketReplicationInput{Bucket: ptr("src")})
	wantCode(t, err, "ReplicationConfigurationNotFoundError")
}

func TestMetricsConfigurationsPaginate(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "metrics")
	for i := range 150 {
		id := fmt.Sprintf("m%03d", i)
		if _, err := s.PutBucketMetricsConfiguration(ctx, &s3api.PutBucketMetricsConfigurationInput{Bucket: ptr("metrics"), Id: &id, MetricsConfiguration: &s3api.MetricsConfiguration{Id: &id}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.PutBucketMetricsConfiguration(ctx, &s3api.PutBucketMetricsConfigurationInput{Bucket: ptr("metrics"), Id: ptr("a"), MetricsConfiguration: &s3api.MetricsConfiguration{Id: ptr("b")}})
	wantCode(t, err, "InvalidArgument")
	var ids []string
	var token *string
	pages := 0
	for {
		out, err := s.ListBucketMetricsConfigurations(ctx, &s3api.ListBucketMetricsConfigurationsInput{Bucket: ptr("metrics"), ContinuationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range out.MetricsConfigurationList {
			ids = append(ids, *c.Id)
		}
		if !*out.IsTruncated {
			if out.NextContinuationToken != nil {
				t.Fatal("last page has a next token")
			}
			break
		}
		token = out.NextContinuationToken
	}
	if pages != 2 || len(ids) != 150 || ids[0] != "m000" || ids[149] != "m149" {
		t.Fatalf("pages %d, %d ids", pages, len(ids))
	}
	_, err = s.ListBucketMetricsConfigurations(ctx, &s3api.ListBucketMetricsConfigurationsInput{Bucket: ptr("metrics"), ContinuationToken: ptr("!!")})
	wantCode(t, err, "InvalidArgument")
	if _, err := s.DeleteBucketMetricsConfiguration(ctx, &s3api.DeleteBucketMetricsConfigurationInput{Bucket: ptr("metrics"), Id: ptr("m000")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketMetricsConfiguration(ctx, &s3api.GetBucketMetricsConfigurationInput{Bucket: ptr("metrics"), Id: ptr("m000")})
	wantCode(t, err, "NoSuchConfiguration")
	_, err = s.DeleteBucketMetricsConfiguration(ctx, &s3api.DeleteBucketMetricsConfigurationInput{Bucket: ptr("metrics"), Id: ptr("m000")})
	wantCode(t, err, "NoSuchConfiguration")
}

func TestAnalyticsInventoryTieringConfigurations(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "cfgs")
	b := ptr("cfgs")

	_, err := s.PutBucketAnalyticsConfiguration(ctx, &s3api.PutBucketAnalyticsConfigurationInput{Bucket: b, Id: ptr("a1"),
		AnalyticsConfiguration: &s3api.AnalyticsConfiguration{Id: ptr("a1"), StorageClassAnalysis: &s3api.StorageClassAnalysis{}}})
	wantResult(t, err, "")
	a, err := s.GetBucketAnalyticsConfiguration(ctx, &s3api.GetBucketAnalyticsConfigurationInput{Bucket: b, Id: ptr("a1")})
	if err != nil || *a.AnalyticsConfiguration.Id != "a1" {
		t.Fatalf("analytics: %v", err)
	}
	al, _ := s.ListBucketAnalyticsConfigurations(ctx, &s3api.ListBucketAnalyticsConfigurationsInput{Bucket: b})
	if len(al.AnalyticsConfigurationList) != 1 || *al.IsTruncated {
		t.Fatalf("analytics list %+v", al)
	}

	inv := func(bucketARN, format string) *s3api.InventoryConfiguration {
		return &s3api.InventoryConfiguration{Id: ptr("i1"), IsEnabled: ptr(true), IncludedObjectVersions: ptr("All"),
			Schedule:    &s3api.InventorySchedule{Frequency: ptr("Daily")},
			Destination: &s3api.InventoryDestination{S3BucketDestination: &s3api.InventoryS3BucketDestination{Bucket: ptr(bucketARN), Format: ptr(format)}}}
	}
	for _, c := range []struct {
		cfg  *s3api.InventoryConfiguration
		code string
	}{
		{inv("arn:aws:s3:::cfgs", "XML"), "MalformedXML"},
		{inv("cfgs", "CSV"), "InvalidArgument"},
		{inv("arn:aws:s3:::cfgs", "CSV"), ""},
	} {
		_, err := s.PutBucketInventoryConfiguration(ctx, &s3api.PutBucketInventoryConfigurationInput{Bucket: b, Id: ptr("i1"), InventoryConfiguration: c.cfg})
		wantResult(t, err, c.code)
	}
	il, _ := s.ListBucketInventoryConfigurations(ctx, &s3api.ListBucketInventoryConfigurationsInput{Bucket: b})
	if len(il.InventoryConfigurationList) != 1 {
		t.Fatalf("inventory list %+v", il)
	}

	tier := func(tierName string, days int32) *s3api.IntelligentTieringConfiguration {
		return &s3api.IntelligentTieringConfiguration{Id: ptr("t1"), Status: ptr("Enabled"), Tierings: []s3api.Tiering{{AccessTier: ptr(tierName), Days: ptr(days)}}}
	}
	for _, c := range []struct {
		cfg  *s3api.IntelligentTieringConfiguration
		code string
	}{
		{tier("ARCHIVE_ACCESS", 30), "InvalidArgument"},
		{tier("DEEP_ARCHIVE_ACCESS", 90), "InvalidArgument"},
		{tier("COLD", 90), "MalformedXML"},
		{tier("ARCHIVE_ACCESS", 90), ""},
	} {
		_, err := s.PutBucketIntelligentTieringConfiguration(ctx, &s3api.PutBucketIntelligentTieringConfigurationInput{Bucket: b, Id: ptr("t1"), IntelligentTieringConfiguration: c.cfg})
		wantResult(t, err, c.code)
	}
	tl, _ := s.ListBucketIntelligentTieringConfigurations(ctx, &s3api.ListBucketIntelligentTieringConfigurationsInput{Bucket: b})
	if len(tl.IntelligentTieringConfigurationList) != 1 {
		t.Fatalf("tiering list %+v", tl)
	}
	if _, err := s.DeleteBucketIntelligentTieringConfiguration(ctx, &s3api.DeleteBucketIntelligentTieringConfigurationInput{Bucket: b, Id: ptr("t1")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketIntelligentTieringConfiguration(ctx, &s3api.GetBucketIntelligentTieringConfigurationInput{Bucket: b, Id: ptr("t1")})
	wantCode(t, err, "NoSuchConfiguration")
}

func TestGeneratedIDShape(t *testing.T) {
	id := generatedID()
	if len(id) != 48 || strings.ContainsAny(id, "=") || id == generatedID() {
		t.Fatalf("generated id %q", id)
	}
}
