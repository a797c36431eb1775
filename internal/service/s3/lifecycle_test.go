package s3

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLifecycleDue(t *testing.T) {
	cases := []struct {
		start string
		days  int32
		want  string
	}{
		// The examples of the S3 User Guide and of AWS's answers.
		{"2018-08-14T19:57:04Z", 60, "2018-10-14T00:00:00Z"},
		{"2014-01-15T10:30:00Z", 3, "2014-01-19T00:00:00Z"},
		{"2020-01-02T11:30:00Z", 1, "2020-01-04T00:00:00Z"},
		{"2020-02-28T23:59:59Z", 1, "2020-03-01T00:00:00Z"},
	}
	for _, c := range cases {
		if got := lifecycleDue(day(c.start), c.days); !got.Equal(day(c.want)) {
			t.Errorf("lifecycleDue(%s, %d) = %s, want %s", c.start, c.days, got, c.want)
		}
	}
}

func TestValidateLifecycle(t *testing.T) {
	enabled := ptr("Enabled")
	all := &s3api.LifecycleRuleFilter{Prefix: ptr("")}
	exp := func(days int32) *s3api.LifecycleExpiration { return &s3api.LifecycleExpiration{Days: ptr(days)} }
	midnight, noon := day("2030-01-01T00:00:00Z"), day("2030-01-01T12:00:00Z")
	tagFilter := &s3api.LifecycleRuleFilter{Tag: &s3api.Tag{Key: ptr("k"), Value: ptr("v")}}
	rules := func(r ...s3api.LifecycleRule) *s3api.BucketLifecycleConfiguration {
		return &s3api.BucketLifecycleConfiguration{Rules: r}
	}
	tooMany := make([]s3api.LifecycleRule, 1001)
	for i := range tooMany {
		tooMany[i] = s3api.LifecycleRule{ID: ptr(fmt.Sprint(i)), Status: enabled, Filter: all, Expiration: exp(1)}
	}
	cases := []struct {
		name string
		cfg  *s3api.BucketLifecycleConfiguration
		code string
		msg  string
	}{
		{"days", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Expiration: exp(30)}), "", ""},
		{"legacy prefix", rules(s3api.LifecycleRule{Status: ptr("Disabled"), Prefix: ptr("logs/"), Expiration: exp(30)}), "", ""},
		{"date at midnight", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Expiration: &s3api.LifecycleExpiration{Date: &midnight}}), "", ""},
		{"everything", rules(s3api.LifecycleRule{ID: ptr("r"), Status: enabled,
			Filter:                       &s3api.LifecycleRuleFilter{And: &s3api.LifecycleRuleAndOperator{Prefix: ptr("a/"), Tags: []s3api.Tag{{Key: ptr("k"), Value: ptr("v")}}, ObjectSizeGreaterThan: ptr(int64(10)), ObjectSizeLessThan: ptr(int64(1000))}},
			Expiration:                   exp(365),
			Transitions:                  []s3api.Transition{{Days: ptr(int32(30)), StorageClass: ptr("STANDARD_IA")}, {Days: ptr(int32(90)), StorageClass: ptr("GLACIER")}},
			NoncurrentVersionTransitions: []s3api.NoncurrentVersionTransition{{NoncurrentDays: ptr(int32(30)), StorageClass: ptr("GLACIER_IR")}},
			NoncurrentVersionExpiration:  &s3api.NoncurrentVersionExpiration{NoncurrentDays: ptr(int32(60)), NewerNoncurrentVersions: ptr(int32(3))},
		}), "", ""},
		{"multipart abort", rules(s3api.LifecycleRule{Status: enabled, Filter: all, AbortIncompleteMultipartUpload: &s3api.AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(int32(7))}}), "", ""},
		{"delete markers", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Expiration: &s3api.LifecycleExpiration{ExpiredObjectDeleteMarker: ptr(true)}}), "", ""},
		{"no rules", rules(), "MalformedXML", ""},
		{"too many rules", &s3api.BucketLifecycleConfiguration{Rules: tooMany}, "MalformedXML", ""},
		{"bad status", rules(s3api.LifecycleRule{Status: ptr("On"), Filter: all, Expiration: exp(1)}), "MalformedXML", ""},
		{"no filter nor prefix", rules(s3api.LifecycleRule{Status: enabled, Expiration: exp(1)}), "MalformedXML", ""},
		{"filter and prefix", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Prefix: ptr(""), Expiration: exp(1)}), "MalformedXML", ""},
		{"two filter members", rules(s3api.LifecycleRule{Status: enabled, Filter: &s3api.LifecycleRuleFilter{Prefix: ptr("a"), Tag: tagFilter.Tag}, Expiration: exp(1)}), "MalformedXML", ""},
		{"long id", rules(s3api.LifecycleRule{ID: ptr(strings.Repeat("x", 256)), Status: enabled, Filter: all, Expiration: exp(1)}), "InvalidArgument", "ID length should not exceed allowed limit of 255"},
		{"duplicate id", rules(s3api.LifecycleRule{ID: ptr("a"), Status: enabled, Filter: all, Expiration: exp(1)}, s3api.LifecycleRule{ID: ptr("a"), Status: enabled, Filter: all, Expiration: exp(2)}),
			"InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"},
		{"no action", rules(s3api.LifecycleRule{Status: enabled, Filter: all}), "InvalidRequest", "At least one action needs to be specified in a rule"},
		{"zero days", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Expiration: exp(0)}), "InvalidArgument", "'Days' for Expiration action must be a positive integer"},
		{"date not midnight", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Expiration: &s3api.LifecycleExpiration{Date: &noon}}), "InvalidArgument", "'Date' must be at midnight GMT"},
		{"days and date", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(1)), Date: &midnight}}), "MalformedXML", ""},
		{"marker with days", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(1)), ExpiredObjectDeleteMarker: ptr(true)}}), "MalformedXML", ""},
		{"empty expiration", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Expiration: &s3api.LifecycleExpiration{}}), "MalformedXML", ""},
		{"marker with tags", rules(s3api.LifecycleRule{Status: enabled, Filter: tagFilter, Expiration: &s3api.LifecycleExpiration{ExpiredObjectDeleteMarker: ptr(true)}}), "InvalidRequest", ""},
		{"noncurrent zero", rules(s3api.LifecycleRule{Status: enabled, Filter: all, NoncurrentVersionExpiration: &s3api.NoncurrentVersionExpiration{NoncurrentDays: ptr(int32(0))}}),
			"InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
		{"newer noncurrent too many", rules(s3api.LifecycleRule{Status: enabled, Filter: all, NoncurrentVersionExpiration: &s3api.NoncurrentVersionExpiration{NoncurrentDays: ptr(int32(1)), NewerNoncurrentVersions: ptr(int32(101))}}), "InvalidArgument", ""},
		{"abort zero days", rules(s3api.LifecycleRule{Status: enabled, Filter: all, AbortIncompleteMultipartUpload: &s3api.AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(int32(0))}}),
			"InvalidArgument", "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"},
		{"abort with tags", rules(s3api.LifecycleRule{Status: enabled, Filter: tagFilter, AbortIncompleteMultipartUpload: &s3api.AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(int32(1))}}), "InvalidRequest", ""},
		{"IA too early", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Transitions: []s3api.Transition{{Days: ptr(int32(10)), StorageClass: ptr("STANDARD_IA")}}}),
			"InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"},
		{"unknown storage class", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Transitions: []s3api.Transition{{Days: ptr(int32(10)), StorageClass: ptr("TAPE")}}}), "MalformedXML", ""},
		{"same class twice", rules(s3api.LifecycleRule{Status: enabled, Filter: all, Transitions: []s3api.Transition{{Days: ptr(int32(10)), StorageClass: ptr("GLACIER")}, {Days: ptr(int32(20)), StorageClass: ptr("GLACIER")}}}), "InvalidArgument", ""},
		{"duplicate and tags", rules(s3api.LifecycleRule{Status: enabled, Filter: &s3api.LifecycleRuleFilter{And: &s3api.LifecycleRuleAndOperator{Tags: []s3api.Tag{{Key: ptr("k"), Value: ptr("1")}, {Key: ptr("k"), Value: ptr("2")}}}}, Expiration: exp(1)}), "InvalidRequest", "Duplicate Tag Keys are not allowed."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validateLifecycle(c.cfg)
			wantResult(t, err, c.code)
			if c.msg != "" && awserr.From(err).Message != c.msg {
				t.Fatalf("message %q", awserr.From(err).Message)
			}
			if err == nil {
				for _, r := range c.cfg.Rules {
					if deref(r.ID) == "" {
						t.Fatal("rule left without an ID")
					}
				}
			}
		})
	}
}

func TestExpirationHeader(t *testing.T) {
	rule := func(id string, days int32, f *s3api.LifecycleRuleFilter) s3api.LifecycleRule {
		return s3api.LifecycleRule{ID: ptr(id), Status: ptr("Enabled"), Filter: f, Expiration: &s3api.LifecycleExpiration{Days: ptr(days)}}
	}
	b := &bucketRecord{Lifecycle: &s3api.BucketLifecycleConfiguration{Rules: []s3api.LifecycleRule{
		rule("lifecycle-test-rule", 60, &s3api.LifecycleRuleFilter{Prefix: ptr("")}),
		rule("short rule", 5, &s3api.LifecycleRuleFilter{Prefix: ptr("tmp/")}),
		rule("tagged", 1, &s3api.LifecycleRuleFilter{Tag: &s3api.Tag{Key: ptr("class"), Value: ptr("scratch")}}),
		{ID: ptr("off"), Status: ptr("Disabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr("")}, Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(1))}},
	}}}
	mod := day("2018-08-14T19:57:04Z")
	cases := []struct {
		name string
		b    *bucketRecord
		rec  *objectRecord
		want string
	}{
		{"days", b, &objectRecord{Key: "a", LastModified: mod}, `expiry-date="Sun, 14 Oct 2018 00:00:00 GMT", rule-id="lifecycle-test-rule"`},
		{"earliest rule wins, id encoded", b, &objectRecord{Key: "tmp/a", LastModified: mod}, `expiry-date="Mon, 20 Aug 2018 00:00:00 GMT", rule-id="short%20rule"`},
		{"tag filter", b, &objectRecord{Key: "a", LastModified: mod, Tags: []s3api.Tag{{Key: ptr("class"), Value: ptr("scratch")}}}, `expiry-date="Thu, 16 Aug 2018 00:00:00 GMT", rule-id="tagged"`},
		{"delete marker", b, &objectRecord{Key: "a", LastModified: mod, DeleteMarker: true}, ""},
		{"no lifecycle", &bucketRecord{}, &objectRecord{Key: "a", LastModified: mod}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := expirationHeader(c.b, c.rec); got != c.want {
				t.Fatalf("got %q\nwant %q", got, c.want)
			}
		})
	}
	if expirationOutput(b, &objectRecord{Key: "a", LastModified: mod}, ptr("v")) != nil {
		t.Fatal("a versioned read got an expiration")
	}
}

func TestPlanKey(t *testing.T) {
	enabled := ptr("Enabled")
	all := &s3api.LifecycleRuleFilter{Prefix: ptr("")}
	expireDays := func(days int32, f *s3api.LifecycleRuleFilter) *s3api.LifecycleRule {
		return &s3api.LifecycleRule{ID: ptr("r"), Status: enabled, Filter: f, Expiration: &s3api.LifecycleExpiration{Days: ptr(days)}}
	}
	noncurrent := func(days int32, newer *int32) *s3api.LifecycleRule {
		return &s3api.LifecycleRule{ID: ptr("n"), Status: enabled, Filter: all, NoncurrentVersionExpiration: &s3api.NoncurrentVersionExpiration{NoncurrentDays: ptr(days), NewerNoncurrentVersions: newer}}
	}
	markerRule := &s3api.LifecycleRule{ID: ptr("m"), Status: enabled, Filter: all, Expiration: &s3api.LifecycleExpiration{ExpiredObjectDeleteMarker: ptr(true)}}
	date := day("2020-03-01T00:00:00Z")
	obj := func(seq uint64, mod string) *objectRecord {
		return &objectRecord{Key: "k", Seq: seq, VersionID: fmt.Sprint(seq), LastModified: day(mod), Size: 100}
	}
	marker := func(seq uint64, mod string) *objectRecord {
		r := obj(seq, mod)
		r.DeleteMarker, r.Size = true, 0
		return r
	}
	v3, v2, v1 := obj(3, "2020-01-11T10:00:00Z"), obj(2, "2020-01-06T10:00:00Z"), obj(1, "2020-01-01T10:00:00Z")
	held := obj(1, "2020-01-01T10:00:00Z")
	held.LegalHold = "ON"
	tagged := obj(1, "2020-01-01T10:00:00Z")
	tagged.Tags = []s3api.Tag{{Key: ptr("t"), Value: ptr("x")}}
	type plan struct {
		expire  bool
		removed []uint64
	}
	cases := []struct {
		name     string
		rules    []*s3api.LifecycleRule
		versions []*objectRecord
		now      string
		want     plan
	}{
		{"current not yet due", []*s3api.LifecycleRule{expireDays(30, all)}, []*objectRecord{v1}, "2020-01-31T23:59:59Z", plan{}},
		{"current due at midnight", []*s3api.LifecycleRule{expireDays(30, all)}, []*objectRecord{v1}, "2020-02-01T00:00:00Z", plan{expire: true}},
		{"date passed", []*s3api.LifecycleRule{{Status: enabled, Filter: all, Expiration: &s3api.LifecycleExpiration{Date: &date}}}, []*objectRecord{v3}, "2020-03-01T00:00:00Z", plan{expire: true}},
		{"date ahead", []*s3api.LifecycleRule{{Status: enabled, Filter: all, Expiration: &s3api.LifecycleExpiration{Date: &date}}}, []*objectRecord{v3}, "2020-02-29T23:00:00Z", plan{}},
		{"prefix excludes", []*s3api.LifecycleRule{expireDays(1, &s3api.LifecycleRuleFilter{Prefix: ptr("logs/")})}, []*objectRecord{v1}, "2021-01-01T00:00:00Z", plan{}},
		{"size excludes", []*s3api.LifecycleRule{expireDays(1, &s3api.LifecycleRuleFilter{ObjectSizeGreaterThan: ptr(int64(100))})}, []*objectRecord{v1}, "2021-01-01T00:00:00Z", plan{}},
		{"size includes", []*s3api.LifecycleRule{expireDays(1, &s3api.LifecycleRuleFilter{ObjectSizeLessThan: ptr(int64(101))})}, []*objectRecord{v1}, "2021-01-01T00:00:00Z", plan{expire: true}},
		{"tags and prefix", []*s3api.LifecycleRule{expireDays(1, &s3api.LifecycleRuleFilter{And: &s3api.LifecycleRuleAndOperator{Prefix: ptr("k"), Tags: []s3api.Tag{{Key: ptr("t"), Value: ptr("x")}}}})},
			[]*objectRecord{tagged}, "2021-01-01T00:00:00Z", plan{expire: true}},
		{"tag missing", []*s3api.LifecycleRule{expireDays(1, &s3api.LifecycleRuleFilter{Tag: &s3api.Tag{Key: ptr("t"), Value: ptr("y")}})}, []*objectRecord{tagged}, "2021-01-01T00:00:00Z", plan{}},
		// v2 became noncurrent on Jan 11 (due Jan 15), v1 on Jan 6 (due Jan 10).
		{"noncurrent days", []*s3api.LifecycleRule{noncurrent(3, nil)}, []*objectRecord{v3, v2, v1}, "2020-01-11T12:00:00Z", plan{removed: []uint64{1}}},
		{"noncurrent both due", []*s3api.LifecycleRule{noncurrent(3, nil)}, []*objectRecord{v3, v2, v1}, "2020-01-15T00:00:00Z", plan{removed: []uint64{2, 1}}},
		{"keep newer noncurrent", []*s3api.LifecycleRule{noncurrent(1, ptr(int32(1)))}, []*objectRecord{v3, v2, v1}, "2021-01-01T00:00:00Z", plan{removed: []uint64{1}}},
		{"legal hold kept", []*s3api.LifecycleRule{noncurrent(1, nil)}, []*objectRecord{v3, held}, "2021-01-01T00:00:00Z", plan{}},
		{"current expiry leaves noncurrent alone", []*s3api.LifecycleRule{expireDays(1, all)}, []*objectRecord{v3, v2}, "2021-01-01T00:00:00Z", plan{expire: true}},
		{"marker only, marker rule", []*s3api.LifecycleRule{markerRule}, []*objectRecord{marker(4, "2020-01-20T00:00:00Z")}, "2020-01-20T00:00:01Z", plan{removed: []uint64{4}}},
		{"marker with versions stays", []*s3api.LifecycleRule{markerRule}, []*objectRecord{marker(4, "2020-01-20T00:00:00Z"), v3}, "2021-01-01T00:00:00Z", plan{}},
		{"marker only, days rule not yet", []*s3api.LifecycleRule{expireDays(5, all)}, []*objectRecord{marker(4, "2020-01-20T10:00:00Z")}, "2020-01-25T12:00:00Z", plan{}},
		{"marker only, days rule due", []*s3api.LifecycleRule{expireDays(5, all)}, []*objectRecord{marker(4, "2020-01-20T10:00:00Z")}, "2020-01-26T00:00:00Z", plan{removed: []uint64{4}}},
		{"noncurrent marker removed", []*s3api.LifecycleRule{noncurrent(1, nil)}, []*objectRecord{v3, marker(2, "2020-01-06T10:00:00Z")}, "2021-01-01T00:00:00Z", plan{removed: []uint64{2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := planKey(c.rules, c.versions, day(c.now))
			got := plan{expire: p.expireCurrent}
			for _, r := range p.remove {
				got.removed = append(got.removed, r.Seq)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// storedVersions lists every version row of a bucket as key/versionId,
// with "(dm)" for delete markers, in key order, newest first.
func storedVersions(t *testing.T, s *Service, bucket string) []string {
	t.Helper()
	var out []string
	err := s.db.View(context.Background(), func(tx storage.Tx) error {
		return tx.Scan(tableObjects, storage.Range{Prefix: bucketPrefix(bucket)}, func(_, v []byte) bool {
			var r objectRecord
			if err := decodeObjectRow(v, &r); err != nil {
				t.Error(err)
				return false
			}
			e := r.Key + "/" + r.VersionID
			if r.DeleteMarker {
				e += "(dm)"
			}
			out = append(out, e)
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func putLifecycle(t *testing.T, s *Service, bucket string, rules ...s3api.LifecycleRule) {
	t.Helper()
	out, err := s.PutBucketLifecycleConfiguration(context.Background(), &s3api.PutBucketLifecycleConfigurationInput{
		Bucket: &bucket, LifecycleConfiguration: &s3api.BucketLifecycleConfiguration{Rules: rules}})
	if err != nil {
		t.Fatal(err)
	}
	if *out.TransitionDefaultMinimumObjectSize != "all_storage_classes_128K" {
		t.Fatalf("min size header %q", *out.TransitionDefaultMinimumObjectSize)
	}
}

func TestLifecycleOperations(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "lc-ops")
	_, err := s.GetBucketLifecycleConfiguration(ctx, &s3api.GetBucketLifecycleConfigurationInput{Bucket: ptr("lc-ops")})
	wantCode(t, err, "NoSuchLifecycleConfiguration")
	rule := s3api.LifecycleRule{Status: ptr("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr("tmp/")}, Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(7))}}
	_, err = s.PutBucketLifecycleConfiguration(ctx, &s3api.PutBucketLifecycleConfigurationInput{Bucket: ptr("lc-ops"),
		LifecycleConfiguration: &s3api.BucketLifecycleConfiguration{Rules: []s3api.LifecycleRule{rule}}, TransitionDefaultMinimumObjectSize: ptr("huge")})
	wantCode(t, err, "InvalidArgument")
	out, err := s.PutBucketLifecycleConfiguration(ctx, &s3api.PutBucketLifecycleConfigurationInput{Bucket: ptr("lc-ops"),
		LifecycleConfiguration: &s3api.BucketLifecycleConfiguration{Rules: []s3api.LifecycleRule{rule}}, TransitionDefaultMinimumObjectSize: ptr("varies_by_storage_class")})
	if err != nil || *out.TransitionDefaultMinimumObjectSize != "varies_by_storage_class" {
		t.Fatalf("put: %v %+v", err, out)
	}
	got, err := s.GetBucketLifecycleConfiguration(ctx, &s3api.GetBucketLifecycleConfigurationInput{Bucket: ptr("lc-ops")})
	if err != nil || len(got.Rules) != 1 || deref(got.Rules[0].ID) == "" || *got.TransitionDefaultMinimumObjectSize != "varies_by_storage_class" {
		t.Fatalf("get: %v %+v", err, got)
	}

	put := putString(t, s, "lc-ops", "tmp/a", "x")
	if put.Expiration == nil || !strings.Contains(*put.Expiration, `rule-id="`+*got.Rules[0].ID+`"`) {
		t.Fatalf("PutObject x-amz-expiration = %v", deref(put.Expiration))
	}
	head, err := s.HeadObject(ctx, &s3api.HeadObjectInput{Bucket: ptr("lc-ops"), Key: ptr("tmp/a")})
	if err != nil || deref(head.Expiration) != *put.Expiration {
		t.Fatalf("HeadObject x-amz-expiration = %v (%v)", deref(head.Expiration), err)
	}
	_, g := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("lc-ops"), Key: ptr("tmp/a")})
	if deref(g.Expiration) != *put.Expiration {
		t.Fatalf("GetObject x-amz-expiration = %v", deref(g.Expiration))
	}
	if other := putString(t, s, "lc-ops", "keep/a", "x"); other.Expiration != nil {
		t.Fatalf("object outside the rule got %q", *other.Expiration)
	}

	if _, err := s.DeleteBucketLifecycle(ctx, &s3api.DeleteBucketLifecycleInput{Bucket: ptr("lc-ops")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketLifecycleConfiguration(ctx, &s3api.GetBucketLifecycleConfigurationInput{Bucket: ptr("lc-ops")})
	wantCode(t, err, "NoSuchLifecycleConfiguration")
}

func TestRunLifecycleUnversioned(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "lc-plain")
	putString(t, s, "lc-plain", "logs/a", "old log")
	putString(t, s, "lc-plain", "data/b", "keep")
	var blob string
	_ = s.db.View(ctx, func(tx storage.Tx) error {
		rec, err := latest(tx, "lc-plain", "logs/a")
		blob = rec.Segments[0].Blob
		return err
	})
	putLifecycle(t, s, "lc-plain", s3api.LifecycleRule{Status: ptr("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr("logs/")}, Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(1))}})

	now := time.Now()
	if err := s.RunLifecycle(ctx, now); err != nil {
		t.Fatal(err)
	}
	if got := storedVersions(t, s, "lc-plain"); len(got) != 2 {
		t.Fatalf("nothing is due yet, got %v", got)
	}
	if err := s.RunLifecycle(ctx, now.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := storedVersions(t, s, "lc-plain"); fmt.Sprint(got) != "[data/b/null]" {
		t.Fatalf("after expiry: %v", got)
	}
	if _, err := s.blobs.Open(blob); err == nil {
		t.Fatal("the expired object's blob was not released")
	}
}

func TestRunLifecycleVersioned(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "lc-ver")
	enableVersioning(t, s, "lc-ver")
	putString(t, s, "lc-ver", "k", "one")
	putString(t, s, "lc-ver", "k", "two")
	putLifecycle(t, s, "lc-ver", s3api.LifecycleRule{Status: ptr("Enabled"), Filter: &s3api.LifecycleRuleFilter{},
		Expiration:                  &s3api.LifecycleExpiration{Days: ptr(int32(1))},
		NoncurrentVersionExpiration: &s3api.NoncurrentVersionExpiration{NoncurrentDays: ptr(int32(1))}})
	later := time.Now().Add(72 * time.Hour)
	kinds := func() string {
		var b strings.Builder
		for _, v := range storedVersions(t, s, "lc-ver") {
			if strings.HasSuffix(v, "(dm)") {
				b.WriteString("M")
			} else {
				b.WriteString("V")
			}
		}
		return b.String()
	}
	// Run 1: the current version gets a delete marker; the version that
	// was already noncurrent goes.
	if err := s.RunLifecycle(ctx, later); err != nil {
		t.Fatal(err)
	}
	if k := kinds(); k != "MV" {
		t.Fatalf("after run 1: %s %v", k, storedVersions(t, s, "lc-ver"))
	}
	_, err := s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr("lc-ver"), Key: ptr("k")})
	wantCode(t, err, "NoSuchKey")
	// Run 2: the version hidden by the marker is noncurrent long enough.
	if err := s.RunLifecycle(ctx, later); err != nil {
		t.Fatal(err)
	}
	if k := kinds(); k != "M" {
		t.Fatalf("after run 2: %s", k)
	}
	// Run 3: the marker is an expired object delete marker.
	if err := s.RunLifecycle(ctx, later); err != nil {
		t.Fatal(err)
	}
	if k := kinds(); k != "" {
		t.Fatalf("after run 3: %s", k)
	}
}

func TestRunLifecycleNewerNoncurrentVersions(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "lc-keep")
	enableVersioning(t, s, "lc-keep")
	var ids []string
	for i := range 5 {
		ids = append(ids, *putString(t, s, "lc-keep", "k", fmt.Sprint(i)).VersionId)
	}
	putLifecycle(t, s, "lc-keep", s3api.LifecycleRule{Status: ptr("Enabled"), Prefix: ptr(""),
		NoncurrentVersionExpiration: &s3api.NoncurrentVersionExpiration{NoncurrentDays: ptr(int32(1)), NewerNoncurrentVersions: ptr(int32(2))}})
	if err := s.RunLifecycle(ctx, time.Now().Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]string{"k/" + ids[4], "k/" + ids[3], "k/" + ids[2]})
	if got := fmt.Sprint(storedVersions(t, s, "lc-keep")); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestRunLifecycleBatches(t *testing.T) {
	oldScan, oldApply := lifecycleScanBatch, lifecycleApplyBatch
	lifecycleScanBatch, lifecycleApplyBatch = 7, 3
	t.Cleanup(func() { lifecycleScanBatch, lifecycleApplyBatch = oldScan, oldApply })
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "lc-many")
	for i := range 40 {
		prefix := "keep/"
		if i%2 == 0 {
			prefix = "tmp/"
		}
		putString(t, s, "lc-many", fmt.Sprintf("%s%02d", prefix, i), "x")
	}
	putLifecycle(t, s, "lc-many", s3api.LifecycleRule{Status: ptr("Enabled"), Prefix: ptr("tmp/"), Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(1))}})
	if err := s.RunLifecycle(ctx, time.Now().Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := storedVersions(t, s, "lc-many")
	if len(got) != 20 {
		t.Fatalf("%d versions left: %v", len(got), got)
	}
	for _, v := range got {
		if !strings.HasPrefix(v, "keep/") {
			t.Fatalf("%s survived", v)
		}
	}
}

func TestRunLifecycleAbortsUploads(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "lc-mpu")
	start := func(key string) string {
		out, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: ptr("lc-mpu"), Key: ptr(key)})
		if err != nil {
			t.Fatal(err)
		}
		return *out.UploadId
	}
	stale, kept := start("tmp/big"), start("keep/big")
	part, err := s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: ptr("lc-mpu"), Key: ptr("tmp/big"), UploadId: &stale, PartNumber: ptr(int32(1)),
		Body: strings.NewReader("part"), ContentLength: ptr(int64(4))})
	if err != nil || part.ETag == nil {
		t.Fatal(err)
	}
	putLifecycle(t, s, "lc-mpu", s3api.LifecycleRule{Status: ptr("Enabled"), Filter: &s3api.LifecycleRuleFilter{Prefix: ptr("tmp/")},
		AbortIncompleteMultipartUpload: &s3api.AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(int32(7))}})
	uploads := func() []string {
		var ids []string
		_ = s.db.View(ctx, func(tx storage.Tx) error {
			return tx.Scan(tableUploads, storage.Range{Prefix: bucketPrefix("lc-mpu")}, func(_, v []byte) bool {
				var up uploadRecord
				_ = json.Unmarshal(v, &up)
				ids = append(ids, up.ID)
				return true
			})
		})
		return ids
	}
	if err := s.RunLifecycle(ctx, time.Now().Add(6*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(uploads()) != 2 {
		t.Fatal("aborted too early")
	}
	if err := s.RunLifecycle(ctx, time.Now().Add(9*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := uploads(); len(got) != 1 || got[0] != kept {
		t.Fatalf("uploads left %v, want only %s", got, kept)
	}
}

// TestStartLifecycle runs the periodic worker on a clock moved forward and
// waits for its first run to expire an object.
func TestStartLifecycle(t *testing.T) {
	db, err := engine.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var offset atomic.Int64
	s := New(Deps{Store: db, Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	configTestBucket(t, s, "lc-tick")
	putString(t, s, "lc-tick", "k", "x")
	putLifecycle(t, s, "lc-tick", s3api.LifecycleRule{Status: ptr("Enabled"), Prefix: ptr(""), Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(1))}})
	offset.Store(int64(72 * time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.StartLifecycle(ctx, time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	for len(storedVersions(t, s, "lc-tick")) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not expire the object")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
