package s3

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// crc64NVME is CRC-64/NVME built from the standard library (reflected
// polynomial 0x9A6C9329AC4BC9B5, init and xorout all ones), to check the
// service against a computation of its own.
var crc64NVME = crc64.MakeTable(0x9A6C9329AC4BC9B5)

// rawDigest is the big-endian digest of data, computed with the standard
// library only.
func rawDigest(algo string, data []byte) []byte {
	switch algo {
	case "CRC32":
		return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	case "CRC32C":
		return binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	case "CRC64NVME":
		return binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, crc64NVME))
	case "SHA1":
		s := sha1.Sum(data)
		return s[:]
	case "SHA256":
		s := sha256.Sum256(data)
		return s[:]
	}
	panic(algo)
}

func b64Digest(algo string, data []byte) string {
	return base64.StdEncoding.EncodeToString(rawDigest(algo, data))
}

func TestCRC64NVMEReference(t *testing.T) {
	// The check value of the CRC-64/NVME catalogue entry.
	if got := crc64.Checksum([]byte("123456789"), crc64NVME); got != 0xAE8B14860A799888 {
		t.Fatalf("reference CRC-64/NVME = %#x", got)
	}
}

// setPartChecksum puts value in the checksum member of algo.
func setPartChecksum(crc32v, crc32c, crc64v, sha1v, sha256v **string, algo, value string) {
	switch algo {
	case "CRC32":
		*crc32v = &value
	case "CRC32C":
		*crc32c = &value
	case "CRC64NVME":
		*crc64v = &value
	case "SHA1":
		*sha1v = &value
	case "SHA256":
		*sha256v = &value
	}
}

func getChecksum(crc32v, crc32c, crc64v, sha1v, sha256v *string, algo string) string {
	return deref(map[string]*string{"CRC32": crc32v, "CRC32C": crc32c, "CRC64NVME": crc64v, "SHA1": sha1v, "SHA256": sha256v}[algo])
}

func TestMultipartChecksums(t *testing.T) {
	ctx := context.Background()
	bodies := []string{"the first part of the object", "second part", "3"}
	whole := []byte(strings.Join(bodies, ""))
	tests := []struct {
		algo, typ string // typ "" lets S3 choose
		wantType  string
		// partWithout uploads this part without a checksum (FULL_OBJECT
		// computes it), 0 for none.
		partWithout int
	}{
		{"CRC32", "", "COMPOSITE", 0},
		{"CRC32C", "COMPOSITE", "COMPOSITE", 0},
		{"SHA1", "", "COMPOSITE", 0},
		{"SHA256", "COMPOSITE", "COMPOSITE", 0},
		{"CRC32", "FULL_OBJECT", "FULL_OBJECT", 2},
		{"CRC32C", "FULL_OBJECT", "FULL_OBJECT", 0},
		{"CRC64NVME", "", "FULL_OBJECT", 3},
	}
	for _, tc := range tests {
		t.Run(tc.algo+"/"+tc.wantType, func(t *testing.T) {
			s := mpService(t, "mp-sums", 1)
			create := &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-sums"), Key: ptr("k"), ChecksumAlgorithm: ptr(tc.algo)}
			if tc.typ != "" {
				create.ChecksumType = ptr(tc.typ)
			}
			co, err := s.CreateMultipartUpload(ctx, create)
			if err != nil {
				t.Fatal(err)
			}
			if *co.ChecksumAlgorithm != tc.algo || *co.ChecksumType != tc.wantType {
				t.Fatalf("create answered %s %s", deref(co.ChecksumAlgorithm), deref(co.ChecksumType))
			}
			id := *co.UploadId
			var parts []s3api.CompletedPart
			var composite []byte
			for i, body := range bodies {
				n := int32(i + 1)
				in := &s3api.UploadPartInput{Bucket: ptr("mp-sums"), Key: ptr("k"), UploadId: &id, PartNumber: &n, Body: strings.NewReader(body), ContentLength: ptr(int64(len(body)))}
				want := b64Digest(tc.algo, []byte(body))
				if i+1 != tc.partWithout {
					setPartChecksum(&in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256, tc.algo, want)
				}
				out, err := s.UploadPart(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				if got := getChecksum(out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256, tc.algo); got != want {
					t.Fatalf("part %d checksum %q, want %q", n, got, want)
				}
				cp := completed(n, out.ETag)
				setPartChecksum(&cp.ChecksumCRC32, &cp.ChecksumCRC32C, &cp.ChecksumCRC64NVME, &cp.ChecksumSHA1, &cp.ChecksumSHA256, tc.algo, want)
				parts = append(parts, cp)
				composite = append(composite, rawDigest(tc.algo, []byte(body))...)
			}
			want := b64Digest(tc.algo, whole)
			if tc.wantType == "COMPOSITE" {
				want = b64Digest(tc.algo, composite) + fmt.Sprintf("-%d", len(bodies))
			}
			lp, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: ptr("mp-sums"), Key: ptr("k"), UploadId: &id})
			if err != nil || *lp.ChecksumAlgorithm != tc.algo || *lp.ChecksumType != tc.wantType {
				t.Fatalf("%v %+v", err, lp)
			}
			p := lp.Parts[len(lp.Parts)-1]
			if getChecksum(p.ChecksumCRC32, p.ChecksumCRC32C, p.ChecksumCRC64NVME, p.ChecksumSHA1, p.ChecksumSHA256, tc.algo) != b64Digest(tc.algo, []byte(bodies[2])) {
				t.Fatalf("listed part %+v", p)
			}

			complete := &s3api.CompleteMultipartUploadInput{Bucket: ptr("mp-sums"), Key: ptr("k"), UploadId: &id, MultipartUpload: &s3api.CompletedMultipartUpload{Parts: parts}}
			wrong := b64Digest(tc.algo, []byte("something else"))
			setPartChecksum(&complete.ChecksumCRC32, &complete.ChecksumCRC32C, &complete.ChecksumCRC64NVME, &complete.ChecksumSHA1, &complete.ChecksumSHA256, tc.algo, wrong)
			_, err = s.CompleteMultipartUpload(ctx, complete)
			wantCode(t, err, "BadDigest")
			setPartChecksum(&complete.ChecksumCRC32, &complete.ChecksumCRC32C, &complete.ChecksumCRC64NVME, &complete.ChecksumSHA1, &complete.ChecksumSHA256, tc.algo, want)
			complete.ChecksumType = ptr(tc.wantType)
			out, err := s.CompleteMultipartUpload(ctx, complete)
			if err != nil {
				t.Fatal(err)
			}
			if got := getChecksum(out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256, tc.algo); got != want || *out.ChecksumType != tc.wantType {
				t.Fatalf("complete answered %q %s, want %q %s", got, deref(out.ChecksumType), want, tc.wantType)
			}
			h, err := s.HeadObject(ctx, &s3api.HeadObjectInput{Bucket: ptr("mp-sums"), Key: ptr("k"), ChecksumMode: ptr("ENABLED")})
			if err != nil {
				t.Fatal(err)
			}
			if got := getChecksum(h.ChecksumCRC32, h.ChecksumCRC32C, h.ChecksumCRC64NVME, h.ChecksumSHA1, h.ChecksumSHA256, tc.algo); got != want || *h.ChecksumType != tc.wantType {
				t.Fatalf("head answered %q %s", got, deref(h.ChecksumType))
			}
		})
	}
}

func TestMultipartChecksumErrors(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-sum-errors", 1)
	creates := []struct {
		algo, typ string
		msg       string
	}{
		{"SHA256", "FULL_OBJECT", "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm."},
		{"CRC64NVME", "COMPOSITE", "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."},
		{"", "COMPOSITE", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."},
		{"XXHASH64", "", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"},
		{"CRC32", "WHOLE", "Value for x-amz-checksum-type header is invalid."},
	}
	for _, c := range creates {
		_, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-sum-errors"), Key: ptr("k"), ChecksumAlgorithm: nonEmpty(c.algo), ChecksumType: nonEmpty(c.typ)})
		wantCode(t, err, "InvalidRequest")
		if err.Error() != "InvalidRequest: "+c.msg {
			t.Errorf("%s/%s: %v", c.algo, c.typ, err)
		}
	}

	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-sum-errors"), Key: ptr("k"), ChecksumAlgorithm: ptr("SHA256")})
	upload := func(n int32, body string, set func(in *s3api.UploadPartInput)) (*s3api.UploadPartOutput, error) {
		in := &s3api.UploadPartInput{Bucket: ptr("mp-sum-errors"), Key: ptr("k"), UploadId: &id, PartNumber: &n, Body: strings.NewReader(body), ContentLength: ptr(int64(len(body)))}
		set(in)
		return s.UploadPart(ctx, in)
	}
	_, err := upload(1, "one", func(*s3api.UploadPartInput) {})
	wantCode(t, err, "InvalidRequest")
	if !strings.Contains(err.Error(), "expected checksum Type: sha256, actual checksum Type: null") {
		t.Errorf("%v", err)
	}
	_, err = upload(1, "one", func(in *s3api.UploadPartInput) { in.ChecksumCRC32 = ptr(b64Digest("CRC32", []byte("one"))) })
	wantCode(t, err, "InvalidRequest")
	_, err = upload(1, "one", func(in *s3api.UploadPartInput) { in.ChecksumSHA256 = ptr(b64Digest("SHA256", []byte("two"))) })
	wantCode(t, err, "BadDigest")
	var parts []s3api.CompletedPart
	for i, body := range []string{"one", "two", "three"} {
		out, err := upload(int32(i+1), body, func(in *s3api.UploadPartInput) { in.ChecksumSHA256 = ptr(b64Digest("SHA256", []byte(body))) })
		if err != nil {
			t.Fatal(err)
		}
		cp := completed(int32(i+1), out.ETag)
		cp.ChecksumSHA256 = out.ChecksumSHA256
		parts = append(parts, cp)
	}
	noSum := append([]s3api.CompletedPart(nil), parts...)
	noSum[1].ChecksumSHA256 = nil
	wrongSum := append([]s3api.CompletedPart(nil), parts...)
	wrongSum[1].ChecksumSHA256 = parts[0].ChecksumSHA256
	completes := []struct {
		name  string
		parts []s3api.CompletedPart
		typ   *string
		code  string
	}{
		{"part checksum missing", noSum, nil, "InvalidRequest"},
		{"part checksum wrong", wrongSum, nil, "InvalidPart"},
		{"gap in part numbers", []s3api.CompletedPart{parts[0], parts[2]}, nil, "InvalidPartOrder"},
		{"not starting at 1", parts[1:], nil, "InvalidPartOrder"},
		{"other checksum type", parts, ptr("FULL_OBJECT"), "InvalidRequest"},
		{"bad checksum type", parts, ptr("PARTIAL"), "InvalidRequest"},
	}
	for _, c := range completes {
		_, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: ptr("mp-sum-errors"), Key: ptr("k"), UploadId: &id,
			ChecksumType: c.typ, MultipartUpload: &s3api.CompletedMultipartUpload{Parts: c.parts}})
		if awsCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := mpComplete(s, "mp-sum-errors", "k", id, parts...); err != nil {
		t.Fatal(err)
	}

	// An upload without a checksum mode takes no checksum type on
	// completion, but verifies and keeps the checksums parts come with.
	id = mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-sum-errors"), Key: ptr("plain")})
	n := int32(1)
	out, err := s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: ptr("mp-sum-errors"), Key: ptr("plain"), UploadId: &id, PartNumber: &n,
		Body: strings.NewReader("x"), ChecksumCRC32: ptr(b64Digest("CRC32", []byte("x")))})
	if err != nil || deref(out.ChecksumCRC32) != b64Digest("CRC32", []byte("x")) {
		t.Fatalf("%v %+v", err, out)
	}
	_, err = s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: ptr("mp-sum-errors"), Key: ptr("plain"), UploadId: &id,
		ChecksumType: ptr("COMPOSITE"), MultipartUpload: &s3api.CompletedMultipartUpload{Parts: []s3api.CompletedPart{completed(1, out.ETag)}}})
	wantCode(t, err, "InvalidRequest")
	done, err := mpComplete(s, "mp-sum-errors", "plain", id, completed(1, out.ETag))
	if err != nil || done.ChecksumCRC32 != nil || done.ChecksumType != nil {
		t.Fatalf("%v %+v", err, done)
	}
}

func awsCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(interface{ ErrorCode() string }); ok {
		return e.ErrorCode()
	}
	return err.Error()
}

func TestUploadPartCopy(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-copy", 1)
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("mp-copy-src")}); err != nil {
		t.Fatal(err)
	}
	putString(t, s, "mp-copy-src", "src key", "0123456789abcdef")
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-copy"), Key: ptr("dst"), ChecksumAlgorithm: ptr("CRC32C")})
	copyPart := func(n int32, rng *string, set func(*s3api.UploadPartCopyInput)) (*s3api.UploadPartCopyOutput, error) {
		in := &s3api.UploadPartCopyInput{Bucket: ptr("mp-copy"), Key: ptr("dst"), UploadId: &id, PartNumber: &n,
			CopySource: ptr("mp-copy-src/src%20key"), CopySourceRange: rng}
		if set != nil {
			set(in)
		}
		return s.UploadPartCopy(ctx, in)
	}
	p1, err := copyPart(1, ptr("bytes=2-5"), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("2345"))
	if *p1.CopyPartResult.ETag != etagOf(sum[:]) || p1.CopyPartResult.LastModified == nil || *p1.CopyPartResult.ChecksumCRC32C != b64Digest("CRC32C", []byte("2345")) {
		t.Fatalf("%+v", p1.CopyPartResult)
	}
	if p1.CopySourceVersionId != nil {
		t.Fatalf("unversioned source answered version %s", *p1.CopySourceVersionId)
	}
	p2, err := copyPart(2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := []struct {
		name string
		rng  *string
		set  func(*s3api.UploadPartCopyInput)
		code string
	}{
		{"range past the end", ptr("bytes=10-16"), nil, "InvalidArgument"},
		{"malformed range", ptr("bytes=5-"), nil, "InvalidArgument"},
		{"missing source", nil, func(in *s3api.UploadPartCopyInput) { in.CopySource = ptr("mp-copy-src/nothing") }, "NoSuchKey"},
		{"missing upload", nil, func(in *s3api.UploadPartCopyInput) { in.UploadId = ptr("nothing") }, "NoSuchUpload"},
		{"part number", nil, func(in *s3api.UploadPartCopyInput) { in.PartNumber = ptr(int32(0)) }, "InvalidArgument"},
		{"source condition", nil, func(in *s3api.UploadPartCopyInput) { in.CopySourceIfMatch = ptr(`"nope"`) }, "PreconditionFailed"},
	}
	for _, c := range errs {
		if _, err := copyPart(3, c.rng, c.set); awsCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if got := partBlobs(t, s, id); len(got) != 2 {
		t.Fatalf("failed copies stored parts: %v", got)
	}
	c1 := completed(1, p1.CopyPartResult.ETag)
	c1.ChecksumCRC32C = p1.CopyPartResult.ChecksumCRC32C
	c2 := completed(2, p2.CopyPartResult.ETag)
	c2.ChecksumCRC32C = p2.CopyPartResult.ChecksumCRC32C
	if _, err := mpComplete(s, "mp-copy", "dst", id, c1, c2); err != nil {
		t.Fatal(err)
	}
	// The copy owns its bytes: deleting the source changes nothing.
	if _, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("mp-copy-src"), Key: ptr("src key")}); err != nil {
		t.Fatal(err)
	}
	if body, _ := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("mp-copy"), Key: ptr("dst")}); body != "23450123456789abcdef" {
		t.Fatalf("body %q", body)
	}
}

// seedParts stores n one-byte parts for an upload directly, all backed by
// one blob, so that large part counts need no per-part file work in tests.
func seedParts(tb testing.TB, s *Service, uploadID string, n int) []s3api.CompletedPart {
	tb.Helper()
	w, err := s.blobs.Create()
	if err != nil {
		tb.Fatal(err)
	}
	w.Write([]byte("x"))
	blob, err := w.Commit()
	if err != nil {
		tb.Fatal(err)
	}
	sum := md5.Sum([]byte("x"))
	etag := etagOf(sum[:])
	parts := make([]s3api.CompletedPart, n)
	err = s.db.Update(context.Background(), func(tx storage.Tx) error {
		for i := range n {
			p := partRecord{Number: int32(i + 1), ETag: etag, Size: 1, Blob: blob, Modified: time.Now().UTC()}
			if err := putJSON(tx, tableParts, partKey(uploadID, p.Number), &p); err != nil {
				return err
			}
			parts[i] = completed(p.Number, &etag)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return parts
}

// newVersionedMultipartService is a service with a versioned bucket (so
// that completing uploads never releases the blobs seedParts shares) and
// a 1-byte part minimum, on the ephemeral engine or, with dir, on disk.
func newVersionedMultipartService(tb testing.TB, dir string) *Service {
	tb.Helper()
	db, err := engine.Open(storage.Options{Ephemeral: dir == "", Dir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s := New(Deps{Store: db})
	s.minPartSize = 1
	if _, err := s.CreateBucket(context.Background(), &s3api.CreateBucketInput{Bucket: ptr("mp-many")}); err != nil {
		tb.Fatal(err)
	}
	if err := s.updateBucket(context.Background(), "mp-many", func(b *bucketRecord) error { b.Versioning = "Enabled"; return nil }); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestCompleteTenThousandParts(t *testing.T) {
	s := newVersionedMultipartService(t, "")
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-many"), Key: ptr("k")})
	parts := seedParts(t, s, id, maxPartNumber)
	out, err := mpComplete(s, "mp-many", "k", id, parts...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(*out.ETag, `-10000"`) {
		t.Fatalf("etag %s", *out.ETag)
	}
	body, g := getString(t, s, &s3api.GetObjectInput{Bucket: ptr("mp-many"), Key: ptr("k"), PartNumber: ptr(int32(10000))})
	if body != "x" || *g.PartsCount != 10000 || *g.ContentRange != "bytes 9999-9999/10000" {
		t.Fatalf("%q %+v", body, g)
	}
	_, err = mpComplete(s, "mp-many", "k", id, parts...)
	wantCode(t, err, "NoSuchUpload")
}

func BenchmarkCompleteMultipartUpload10000Parts(b *testing.B) {
	for _, engineName := range []string{"memory", "bolt"} {
		b.Run(engineName, func(b *testing.B) {
			dir := ""
			if engineName == "bolt" {
				dir = b.TempDir()
			}
			s := newVersionedMultipartService(b, dir)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				id := mpCreateTB(b, s, "k")
				parts := seedParts(b, s, id, maxPartNumber)
				b.StartTimer()
				if _, err := mpComplete(s, "mp-many", "k", id, parts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func mpCreateTB(tb testing.TB, s *Service, key string) string {
	tb.Helper()
	out, err := s.CreateMultipartUpload(context.Background(), &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-many"), Key: &key})
	if err != nil {
		tb.Fatal(err)
	}
	return *out.UploadId
}
