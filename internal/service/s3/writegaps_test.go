package s3

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

func TestPutObjectRefusesACLsWhenDisabled(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "put-enforced", false) // BucketOwnerEnforced, as new buckets are
	owner := `id="` + canonicalID("000000000000") + `"`
	for _, tc := range []struct {
		name string
		in   s3api.PutObjectInput
		code string
	}{
		{"no ACL", s3api.PutObjectInput{}, ""},
		{"private", s3api.PutObjectInput{ACL: ptr("private")}, ""},
		{"bucket-owner-full-control", s3api.PutObjectInput{ACL: ptr("bucket-owner-full-control")}, ""},
		{"owner full control grant", s3api.PutObjectInput{GrantFullControl: &owner}, ""},
		{"public-read", s3api.PutObjectInput{ACL: ptr("public-read")}, "AccessControlListNotSupported"},
		{"read grant", s3api.PutObjectInput{GrantRead: ptr(`uri="http://acs.amazonaws.com/groups/global/AllUsers"`)}, "AccessControlListNotSupported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket, in.Key, in.Body = ptr("put-enforced"), ptr("k"), strings.NewReader("x")
			_, err := s.PutObject(ctx, &in)
			wantResult(t, err, tc.code)
			if tc.code != "" && awserr.From(err).Message != "The bucket does not allow ACLs" {
				t.Fatalf("message %q", awserr.From(err).Message)
			}
		})
	}
	// The ACL check does not hide a missing bucket.
	_, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("no-such-bucket"), Key: ptr("k"), ACL: ptr("public-read"), Body: strings.NewReader("x")})
	wantCode(t, err, "NoSuchBucket")
	// A bucket with ACLs on takes them.
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("put-acls"), ObjectOwnership: ptr("ObjectWriter")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("put-acls"), Key: ptr("k"), ACL: ptr("public-read"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
}

func TestCopyAndCompleteReportExpiration(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "exp-writes", 1)
	putLifecycle(t, s, "exp-writes", s3api.LifecycleRule{ID: ptr("expire logs"), Status: ptr("Enabled"),
		Filter: &s3api.LifecycleRuleFilter{Prefix: ptr("logs/")}, Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(3))}})
	putString(t, s, "exp-writes", "src", "data")
	wantExpiration := func(what string, got *string) {
		t.Helper()
		if got == nil || !strings.HasPrefix(*got, `expiry-date="`) || !strings.HasSuffix(*got, `", rule-id="expire%20logs"`) {
			t.Fatalf("%s: x-amz-expiration %v", what, deref(got))
		}
	}
	c, err := s.CopyObject(ctx, &s3api.CopyObjectInput{Bucket: ptr("exp-writes"), Key: ptr("logs/copy"), CopySource: ptr("exp-writes/src")})
	if err != nil {
		t.Fatal(err)
	}
	wantExpiration("copy", c.Expiration)
	c, err = s.CopyObject(ctx, &s3api.CopyObjectInput{Bucket: ptr("exp-writes"), Key: ptr("other/copy"), CopySource: ptr("exp-writes/src")})
	if err != nil || c.Expiration != nil {
		t.Fatalf("copy outside the rule: %v %v", err, deref(c.Expiration))
	}
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("exp-writes"), Key: ptr("logs/mp")})
	p := mpPart(t, s, "exp-writes", "logs/mp", id, 1, "part")
	out, err := mpComplete(s, "exp-writes", "logs/mp", id, completed(1, p.ETag))
	if err != nil {
		t.Fatal(err)
	}
	wantExpiration("complete", out.Expiration)
	// What the writes announce is what a HEAD says.
	h, err := s.HeadObject(ctx, &s3api.HeadObjectInput{Bucket: ptr("exp-writes"), Key: ptr("logs/mp")})
	if err != nil || deref(h.Expiration) != deref(out.Expiration) {
		t.Fatalf("head %v %q, complete said %q", err, deref(h.Expiration), deref(out.Expiration))
	}
}

func TestRetainUntilDateMustBeInTheFuture(t *testing.T) {
	ctx := context.Background()
	s := lockService(t, "lock-dates")
	putString(t, s, "lock-dates", "src", "x")
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name  string
		write func(until time.Time) error
	}{
		{"put", func(until time.Time) error {
			_, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("lock-dates"), Key: ptr("k"), Body: strings.NewReader("x"),
				ObjectLockMode: ptr("GOVERNANCE"), ObjectLockRetainUntilDate: &until})
			return err
		}},
		{"copy", func(until time.Time) error {
			_, err := s.CopyObject(ctx, &s3api.CopyObjectInput{Bucket: ptr("lock-dates"), Key: ptr("c"), CopySource: ptr("lock-dates/src"),
				ObjectLockMode: ptr("COMPLIANCE"), ObjectLockRetainUntilDate: &until})
			return err
		}},
		{"create multipart upload", func(until time.Time) error {
			_, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: ptr("lock-dates"), Key: ptr("m"),
				ObjectLockMode: ptr("GOVERNANCE"), ObjectLockRetainUntilDate: &until})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.write(past)
			wantCode(t, err, "InvalidArgument")
			if msg := awserr.From(err).Message; msg != "The retain until date must be in the future!" {
				t.Fatalf("message %q", msg)
			}
			if err := tc.write(future); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGetObjectPartChecksum(t *testing.T) {
	ctx := context.Background()
	bodies := []string{"first part", "second part"}
	for _, tc := range []struct {
		algo, typ string
		parts     int
		// wantPart: a partNumber read returns the part's own checksum
		wantPart bool
	}{
		{"SHA256", "COMPOSITE", 2, true},
		{"CRC32", "COMPOSITE", 2, true},
		{"CRC32", "FULL_OBJECT", 2, false},
		{"CRC64NVME", "FULL_OBJECT", 1, true},
	} {
		t.Run(tc.algo+"/"+tc.typ, func(t *testing.T) {
			s := mpService(t, "part-sums", 1)
			id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("part-sums"), Key: ptr("k"),
				ChecksumAlgorithm: ptr(tc.algo), ChecksumType: ptr(tc.typ)})
			var parts []s3api.CompletedPart
			for i, body := range bodies[:tc.parts] {
				n := int32(i + 1)
				in := &s3api.UploadPartInput{Bucket: ptr("part-sums"), Key: ptr("k"), UploadId: &id, PartNumber: &n,
					Body: strings.NewReader(body), ContentLength: ptr(int64(len(body)))}
				setPartChecksum(&in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256, tc.algo, b64Digest(tc.algo, []byte(body)))
				out, err := s.UploadPart(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				cp := completed(n, out.ETag)
				setPartChecksum(&cp.ChecksumCRC32, &cp.ChecksumCRC32C, &cp.ChecksumCRC64NVME, &cp.ChecksumSHA1, &cp.ChecksumSHA256, tc.algo, b64Digest(tc.algo, []byte(body)))
				parts = append(parts, cp)
			}
			if _, err := mpComplete(s, "part-sums", "k", id, parts...); err != nil {
				t.Fatal(err)
			}
			last := int32(tc.parts)
			body, g := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("part-sums"), Key: ptr("k"), PartNumber: &last, ChecksumMode: ptr("ENABLED")})
			if body != bodies[last-1] {
				t.Fatalf("part body %q", body)
			}
			got := getChecksum(g.ChecksumCRC32, g.ChecksumCRC32C, g.ChecksumCRC64NVME, g.ChecksumSHA1, g.ChecksumSHA256, tc.algo)
			if !tc.wantPart {
				if got != "" || g.ChecksumType != nil {
					t.Fatalf("part of a FULL_OBJECT object answered %q %v", got, deref(g.ChecksumType))
				}
				return
			}
			if want := b64Digest(tc.algo, []byte(body)); got != want || deref(g.ChecksumType) != tc.typ {
				t.Fatalf("part checksum %q %s, want %q %s", got, deref(g.ChecksumType), want, tc.typ)
			}
			h, err := s.HeadObject(ctx, &s3api.HeadObjectInput{Bucket: ptr("part-sums"), Key: ptr("k"), PartNumber: &last, ChecksumMode: ptr("ENABLED")})
			if err != nil || getChecksum(h.ChecksumCRC32, h.ChecksumCRC32C, h.ChecksumCRC64NVME, h.ChecksumSHA1, h.ChecksumSHA256, tc.algo) != got {
				t.Fatalf("head of the part: %v %+v", err, h)
			}
		})
	}
}
