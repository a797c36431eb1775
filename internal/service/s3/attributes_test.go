package s3

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

func TestParseObjectAttributes(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
		ok   bool
	}{
		{[]string{"ETag"}, "ETag", true},
		{[]string{"ETag,ObjectSize", " StorageClass "}, "ETag,ObjectSize,StorageClass", true},
		{[]string{"Checksum,ObjectParts"}, "Checksum,ObjectParts", true},
		{[]string{"etag"}, "", false},
		{[]string{"ETag,,ObjectSize"}, "", false},
		{nil, "", false},
	} {
		got, err := parseObjectAttributes(c.in)
		if !c.ok {
			wantCode(t, err, "InvalidArgument")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range strings.Split(c.want, ",") {
			if !got[name] {
				t.Errorf("%q: %s missing", c.in, name)
			}
		}
		if len(got) != len(strings.Split(c.want, ",")) {
			t.Errorf("%q: got %v", c.in, got)
		}
	}
}

func TestGetObjectAttributes(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "attrs", true)
	put, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("attrs"), Key: ptr("plain"), Body: strings.NewReader("hello"),
		ChecksumCRC32: ptr("NhCmhg=="), StorageClass: ptr("STANDARD_IA")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.GetObjectAttributes(ctx, &s3api.GetObjectAttributesInput{Bucket: ptr("attrs"), Key: ptr("plain"),
		ObjectAttributes: []string{"ETag,Checksum,ObjectParts,StorageClass,ObjectSize"}})
	if err != nil {
		t.Fatal(err)
	}
	if *out.ETag != strings.Trim(*put.ETag, `"`) || *out.ObjectSize != 5 || *out.StorageClass != "STANDARD_IA" ||
		deref(out.Checksum.ChecksumCRC32) != "NhCmhg==" || deref(out.Checksum.ChecksumType) != "FULL_OBJECT" ||
		out.ObjectParts != nil || *out.VersionId != *put.VersionId || out.LastModified == nil {
		t.Fatalf("attributes %+v", out)
	}
	only, _ := s.GetObjectAttributes(ctx, &s3api.GetObjectAttributesInput{Bucket: ptr("attrs"), Key: ptr("plain"), ObjectAttributes: []string{"ObjectSize"}})
	if only.ETag != nil || only.StorageClass != nil || only.Checksum != nil || *only.ObjectSize != 5 {
		t.Fatalf("only ObjectSize asked: %+v", only)
	}

	// A multipart object pages its parts.
	seq, now := s.clock.next()
	parts := []partInfo{{Size: 5, ETag: `"p1"`, Checksum: map[string]string{"CRC32": "AAAAAA=="}}, {Size: 5, ETag: `"p2"`}, {Size: 3, ETag: `"p3"`}}
	rec := &objectRecord{Key: "multi", VersionID: newVersionID(seq), Seq: seq, LastModified: now.UTC().Truncate(time.Millisecond),
		Owner: "000000000000", Size: 13, ETag: `"abc-3"`, Parts: parts}
	if err := s.db.Update(ctx, func(tx storage.Tx) error { return putObjectRow(tx, "attrs", rec) }); err != nil {
		t.Fatal(err)
	}
	var got []int32
	marker := int32(0)
	for page := 0; ; page++ {
		out, err := s.GetObjectAttributes(ctx, &s3api.GetObjectAttributesInput{Bucket: ptr("attrs"), Key: ptr("multi"),
			ObjectAttributes: []string{"ObjectParts"}, MaxParts: ptr(int32(2)), PartNumberMarker: ptr(marker)})
		if err != nil {
			t.Fatal(err)
		}
		p := out.ObjectParts
		if *p.TotalPartsCount != 3 || *p.MaxParts != 2 || *p.PartNumberMarker != marker {
			t.Fatalf("page %d: %+v", page, p)
		}
		for _, part := range p.Parts {
			got = append(got, *part.PartNumber)
			if *part.PartNumber == 1 && deref(part.ChecksumCRC32) != "AAAAAA==" {
				t.Fatalf("part 1 checksum %+v", part)
			}
		}
		if !*p.IsTruncated {
			break
		}
		marker = *p.NextPartNumberMarker
	}
	if len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Fatalf("parts %v", got)
	}
}

func TestGetObjectAttributesErrors(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "attrs-errs", true)
	putString(t, s, "attrs-errs", "gone", "x")
	dm, _ := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("attrs-errs"), Key: ptr("gone")})
	for _, c := range []struct {
		name    string
		key     string
		version *string
		attrs   []string
		code    string
	}{
		{"bad attribute", "gone", nil, []string{"Size"}, "InvalidArgument"},
		{"no such key", "nope", nil, []string{"ETag"}, "NoSuchKey"},
		{"delete marker", "gone", nil, []string{"ETag"}, "NoSuchKey"},
		{"delete marker version", "gone", dm.VersionId, []string{"ETag"}, "MethodNotAllowed"},
		{"no such version", "gone", ptr("00000000000000010000000000000000"), []string{"ETag"}, "NoSuchVersion"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.GetObjectAttributes(ctx, &s3api.GetObjectAttributesInput{Bucket: ptr("attrs-errs"), Key: ptr(c.key), VersionId: c.version, ObjectAttributes: c.attrs})
			wantCode(t, err, c.code)
		})
	}
	_, err := s.GetObjectAttributes(ctx, &s3api.GetObjectAttributesInput{Bucket: ptr("attrs-errs"), Key: ptr("gone"), ObjectAttributes: []string{"ETag"}})
	if e := awserr.From(err); e == nil || e.Header.Get("x-amz-delete-marker") != "true" {
		t.Fatalf("a delete marker answers x-amz-delete-marker: %v", err)
	}
}
