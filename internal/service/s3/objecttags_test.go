package s3

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

func tagSet(kv ...string) []s3api.Tag {
	var tags []s3api.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, s3api.Tag{Key: ptr(kv[i]), Value: ptr(kv[i+1])})
	}
	return tags
}

func tagString(tags []s3api.Tag) string {
	var parts []string
	for _, t := range tags {
		parts = append(parts, *t.Key+"="+*t.Value)
	}
	return strings.Join(parts, ",")
}

func TestObjectTagging(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "tags-obj", true)
	v1 := putString(t, s, "tags-obj", "k", "one")
	v2 := putString(t, s, "tags-obj", "k", "two")
	get := func(version *string) string {
		t.Helper()
		out, err := s.GetObjectTagging(ctx, &s3api.GetObjectTaggingInput{Bucket: ptr("tags-obj"), Key: ptr("k"), VersionId: version})
		if err != nil {
			t.Fatal(err)
		}
		if out.TagSet == nil {
			t.Fatal("TagSet must be present, even empty")
		}
		return tagString(out.TagSet)
	}
	if got := get(nil); got != "" {
		t.Fatalf("fresh object has tags %q", got)
	}
	out, err := s.PutObjectTagging(ctx, &s3api.PutObjectTaggingInput{Bucket: ptr("tags-obj"), Key: ptr("k"), Tagging: &s3api.Tagging{TagSet: tagSet("b", "2", "a", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	if deref(out.VersionId) != *v2.VersionId {
		t.Fatalf("version %v", out.VersionId)
	}
	// The set is replaced as a whole, on the version named.
	if _, err := s.PutObjectTagging(ctx, &s3api.PutObjectTaggingInput{Bucket: ptr("tags-obj"), Key: ptr("k"), VersionId: v1.VersionId, Tagging: &s3api.Tagging{TagSet: tagSet("old", "yes")}}); err != nil {
		t.Fatal(err)
	}
	if get(nil) != "b=2,a=1" || get(v1.VersionId) != "old=yes" {
		t.Fatalf("tags: latest %q, v1 %q", get(nil), get(v1.VersionId))
	}
	_, g := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("tags-obj"), Key: ptr("k")})
	if deref(g.TagCount) != 2 {
		t.Fatalf("TagCount %v", g.TagCount)
	}
	if _, err := s.DeleteObjectTagging(ctx, &s3api.DeleteObjectTaggingInput{Bucket: ptr("tags-obj"), Key: ptr("k")}); err != nil {
		t.Fatal(err)
	}
	if get(nil) != "" || get(v1.VersionId) != "old=yes" {
		t.Fatal("delete touched the wrong version")
	}
	_, g = getString(t, s, &s3api.GetObjectInput{Bucket: ptr("tags-obj"), Key: ptr("k")})
	if g.TagCount != nil {
		t.Fatalf("TagCount after delete %v", *g.TagCount)
	}
	// The version keeps its date and body.
	body, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("tags-obj"), Key: ptr("k"), VersionId: v1.VersionId})
	if body != "one" {
		t.Fatalf("v1 body %q", body)
	}
}

func TestObjectTaggingErrors(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "tags-errs", true)
	putString(t, s, "tags-errs", "k", "x")
	putString(t, s, "tags-errs", "gone", "x")
	dm, _ := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("tags-errs"), Key: ptr("gone")})
	eleven := make([]string, 0, 22)
	for i := range 11 {
		eleven = append(eleven, fmt.Sprintf("k%d", i), "v")
	}
	for _, c := range []struct {
		name    string
		key     string
		version *string
		tags    []s3api.Tag
		code    string
	}{
		{"too many tags", "k", nil, tagSet(eleven...), "BadRequest"},
		{"duplicate keys", "k", nil, tagSet("a", "1", "a", "2"), "InvalidTag"},
		{"aws prefix", "k", nil, tagSet("aws:x", "1"), "InvalidTag"},
		{"long key", "k", nil, tagSet(strings.Repeat("k", 129), "1"), "InvalidTag"},
		{"long value", "k", nil, tagSet("k", strings.Repeat("v", 257)), "InvalidTag"},
		{"no such key", "nope", nil, tagSet("a", "1"), "NoSuchKey"},
		{"deleted key", "gone", nil, tagSet("a", "1"), "NoSuchKey"},
		{"delete marker version", "gone", dm.VersionId, tagSet("a", "1"), "MethodNotAllowed"},
		{"no such version", "k", ptr("00000000000000010000000000000000"), tagSet("a", "1"), "NoSuchVersion"},
		{"bad version", "k", ptr("v1"), tagSet("a", "1"), "InvalidArgument"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.PutObjectTagging(ctx, &s3api.PutObjectTaggingInput{Bucket: ptr("tags-errs"), Key: ptr(c.key), VersionId: c.version, Tagging: &s3api.Tagging{TagSet: c.tags}})
			wantCode(t, err, c.code)
		})
	}
	_, err := s.GetObjectTagging(ctx, &s3api.GetObjectTaggingInput{Bucket: ptr("tags-errs"), Key: ptr("nope")})
	wantCode(t, err, "NoSuchKey")
}

func TestBucketTagging(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "tags-bucket", false)
	_, err := s.GetBucketTagging(ctx, &s3api.GetBucketTaggingInput{Bucket: ptr("tags-bucket")})
	wantCode(t, err, "NoSuchTagSet")
	if _, err := s.PutBucketTagging(ctx, &s3api.PutBucketTaggingInput{Bucket: ptr("tags-bucket"), Tagging: &s3api.Tagging{TagSet: tagSet("env", "dev", "team", "x")}}); err != nil {
		t.Fatal(err)
	}
	out, err := s.GetBucketTagging(ctx, &s3api.GetBucketTaggingInput{Bucket: ptr("tags-bucket")})
	if err != nil || tagString(out.TagSet) != "env=dev,team=x" {
		t.Fatalf("%v %+v", err, out)
	}
	var fiftyOne []string
	for i := range 51 {
		fiftyOne = append(fiftyOne, fmt.Sprintf("k%d", i), "v")
	}
	_, err = s.PutBucketTagging(ctx, &s3api.PutBucketTaggingInput{Bucket: ptr("tags-bucket"), Tagging: &s3api.Tagging{TagSet: tagSet(fiftyOne...)}})
	wantCode(t, err, "InvalidTag")
	if _, err := s.DeleteBucketTagging(ctx, &s3api.DeleteBucketTaggingInput{Bucket: ptr("tags-bucket")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketTagging(ctx, &s3api.GetBucketTaggingInput{Bucket: ptr("tags-bucket")})
	wantCode(t, err, "NoSuchTagSet")
	_, err = s.PutBucketTagging(ctx, &s3api.PutBucketTaggingInput{Bucket: ptr("tags-none"), Tagging: &s3api.Tagging{TagSet: tagSet("a", "b")}})
	wantCode(t, err, "NoSuchBucket")
}
