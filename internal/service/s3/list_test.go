package s3

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// bucketForTest creates a bucket, versioned when asked.
func bucketForTest(t testing.TB, s *Service, name string, versioned bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr(name)}); err != nil {
		t.Fatal(err)
	}
	if versioned {
		if _, err := s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr(name),
			VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr("Enabled")}}); err != nil {
			t.Fatal(err)
		}
	}
}

// refEntry is one entry of a listing as the reference model computes it.
type refEntry struct {
	key    string
	prefix bool
}

// refList lists current keys the slow, obvious way: filter by prefix, roll
// up by delimiter, keep what sorts after the marker.
func refList(keys []string, prefix, delim, after string) []refEntry {
	seen := map[string]bool{}
	var out []refEntry
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		e := refEntry{key: k}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				e = refEntry{key: k[:len(prefix)+i+len(delim)], prefix: true}
			}
		}
		if e.key <= after || seen[e.key] {
			continue
		}
		seen[e.key] = true
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// mergeV2 puts a page's Contents and CommonPrefixes back in listing order.
func mergeV2(contents []s3api.Object, prefixes []s3api.CommonPrefix) []refEntry {
	var out []refEntry
	for _, c := range contents {
		out = append(out, refEntry{key: *c.Key})
	}
	for _, p := range prefixes {
		out = append(out, refEntry{key: *p.Prefix, prefix: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// listingKeys holds keys that exercise the listing: nesting, a key equal to
// a common prefix, bytes on both sides of '/', unicode, characters that need
// URL encoding, and one directory larger than a Scan steps over.
func listingKeys() []string {
	keys := []string{
		"a", "a!b", "a/", "a/b", "a/b/c", "a/c", "a0", "b", "b/x/y", "bb", "c d/e", "c+d/e",
		"ü/1", "ü/2", "üx", "日本/語", "100%.csv", "x~y*z(1).png", "zzz",
	}
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("dir/%04d", i))
	}
	for i := range 3 {
		keys = append(keys, fmt.Sprintf("dir/sub%d/f", i))
	}
	sort.Strings(keys)
	return keys
}

func TestListObjectsV2MatchesReference(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "list-ref", true)
	keys := listingKeys()
	for _, k := range keys {
		putString(t, s, "list-ref", k, "v1")
	}
	// Noise that a current listing must not show: older versions (more than
	// a Scan steps over for one key), and keys whose latest version is a
	// delete marker.
	for range seekAfterSkips + 5 {
		putString(t, s, "list-ref", "b", "again")
	}
	for _, k := range []string{"a/gone", "dir/0005x", "zz-deleted"} {
		putString(t, s, "list-ref", k, "x")
		if _, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("list-ref"), Key: ptr(k)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, prefix := range []string{"", "a", "dir/", "ü", "nothing"} {
		for _, delim := range []string{"", "/", "b", "/s"} {
			for _, max := range []int32{1, 2, 3, 7, 1000} {
				for _, startAfter := range []string{"", "a/b", "dir/0010", "dir/", "zzz"} {
					name := fmt.Sprintf("prefix=%q,delim=%q,max=%d,start=%q", prefix, delim, max, startAfter)
					want := refList(keys, prefix, delim, startAfter)
					got, pages := paginateV2(t, s, &s3api.ListObjectsV2Input{Bucket: ptr("list-ref"), Prefix: ptr(prefix),
						Delimiter: ptr(delim), MaxKeys: ptr(max), StartAfter: ptr(startAfter)})
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("%s:\n got %v\nwant %v", name, got, want)
					}
					if wantPages := max1((len(want) + int(max) - 1) / int(max)); pages != wantPages {
						t.Fatalf("%s: %d pages, want %d", name, pages, wantPages)
					}
				}
			}
		}
	}
}

func max1(n int) int { return max(n, 1) }

// paginateV2 follows continuation tokens to the end and checks each page.
func paginateV2(t *testing.T, s *Service, in *s3api.ListObjectsV2Input) ([]refEntry, int) {
	t.Helper()
	var all []refEntry
	pages := 0
	for {
		out, err := s.ListObjectsV2(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		page := mergeV2(out.Contents, out.CommonPrefixes)
		if int(*out.KeyCount) != len(page) || len(page) > int(deref(in.MaxKeys)) {
			t.Fatalf("page %d: KeyCount %d, %d entries, max %d", pages, *out.KeyCount, len(page), deref(in.MaxKeys))
		}
		all = append(all, page...)
		if !*out.IsTruncated {
			if out.NextContinuationToken != nil {
				t.Fatal("NextContinuationToken on the last page")
			}
			return all, pages
		}
		if len(page) != int(*in.MaxKeys) {
			t.Fatalf("truncated page %d holds %d entries, max %d", pages, len(page), *in.MaxKeys)
		}
		in.ContinuationToken = out.NextContinuationToken
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
	}
}

func TestListObjectsV1Markers(t *testing.T) {
	s := newTestService(t)
	bucketForTest(t, s, "list-v1", false)
	keys := listingKeys()
	for _, k := range keys {
		putString(t, s, "list-v1", k, "v")
	}
	for _, delim := range []string{"", "/"} {
		for _, max := range []int32{1, 4, 1000} {
			want := refList(keys, "", delim, "")
			var got []refEntry
			in := &s3api.ListObjectsInput{Bucket: ptr("list-v1"), MaxKeys: ptr(max), Delimiter: ptr(delim)}
			for pages := 0; ; pages++ {
				out, err := s.ListObjects(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				if *out.Marker != deref(in.Marker) || *out.Prefix != "" {
					t.Fatalf("Marker %q Prefix %q", *out.Marker, *out.Prefix)
				}
				for _, c := range out.Contents {
					if c.Owner == nil || *c.StorageClass != "STANDARD" {
						t.Fatalf("v1 object without owner or storage class: %+v", c)
					}
				}
				page := mergeV2(out.Contents, out.CommonPrefixes)
				got = append(got, page...)
				if !*out.IsTruncated {
					break
				}
				// S3 sends NextMarker only with a delimiter; otherwise the
				// client goes on from the last key.
				switch {
				case delim == "" && out.NextMarker != nil:
					t.Fatal("NextMarker without a delimiter")
				case delim != "" && (out.NextMarker == nil || *out.NextMarker != page[len(page)-1].key):
					t.Fatalf("NextMarker %v, last entry %q", out.NextMarker, page[len(page)-1].key)
				}
				in.Marker = ptr(page[len(page)-1].key)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("delim %q max %d:\n got %v\nwant %v", delim, max, got, want)
			}
		}
	}
}

// refVersion is one row of a versions listing in the reference model.
type refVersion struct {
	key, id        string
	marker, latest bool
	prefix         bool
}

func TestListObjectVersionsMatchesReference(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "list-vers", true)
	history := map[string][]refVersion{} // newest first
	record := func(key, id string, marker bool) {
		history[key] = append([]refVersion{{key: key, id: id, marker: marker}}, history[key]...)
	}
	for i, k := range []string{"a", "a/1", "a/2", "b", "c d", "ü", "z"} {
		for v := 0; v <= i%3; v++ {
			out := putString(t, s, "list-vers", k, "body")
			record(k, *out.VersionId, false)
		}
	}
	for range seekAfterSkips + 3 {
		out := putString(t, s, "list-vers", "many", "x")
		record("many", *out.VersionId, false)
	}
	for _, k := range []string{"b", "z", "z"} {
		out, err := s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("list-vers"), Key: ptr(k)})
		if err != nil {
			t.Fatal(err)
		}
		record(k, *out.VersionId, true)
	}
	var keys []string
	for k := range history {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	reference := func(delim string) []refVersion {
		var out []refVersion
		lastPrefix := ""
		for _, k := range keys {
			if delim != "" {
				if i := strings.Index(k, delim); i >= 0 {
					if cp := k[:i+len(delim)]; cp != lastPrefix {
						lastPrefix = cp
						out = append(out, refVersion{key: cp, prefix: true})
					}
					continue
				}
			}
			for i, v := range history[k] {
				v.latest = i == 0
				out = append(out, v)
			}
		}
		return out
	}
	for _, delim := range []string{"", "/"} {
		for _, max := range []int32{1, 2, 5, 1000} {
			want := reference(delim)
			var got []refVersion
			in := &s3api.ListObjectVersionsInput{Bucket: ptr("list-vers"), MaxKeys: ptr(max), Delimiter: ptr(delim)}
			for pages := 0; ; pages++ {
				out, err := s.ListObjectVersions(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				if *out.KeyMarker != deref(in.KeyMarker) || *out.VersionIdMarker != deref(in.VersionIdMarker) {
					t.Fatalf("markers not echoed: %q %q", *out.KeyMarker, *out.VersionIdMarker)
				}
				page := mergeVersions(out)
				if len(page) > int(max) {
					t.Fatalf("page of %d, max %d", len(page), max)
				}
				got = append(got, page...)
				if !*out.IsTruncated {
					break
				}
				last := page[len(page)-1]
				if *out.NextKeyMarker != last.key || (last.prefix != (out.NextVersionIdMarker == nil)) ||
					(!last.prefix && *out.NextVersionIdMarker != last.id) {
					t.Fatalf("next markers %v %v, last %+v", out.NextKeyMarker, out.NextVersionIdMarker, last)
				}
				in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
				if pages > 1000 {
					t.Fatal("pagination does not end")
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("delim %q max %d:\n got %v\nwant %v", delim, max, got, want)
			}
		}
	}
}

// mergeVersions puts Versions, DeleteMarkers and CommonPrefixes of a page
// back in listing order: key ascending, newest first within a key.
func mergeVersions(out *s3api.ListObjectVersionsOutput) []refVersion {
	type row struct {
		v   refVersion
		mod time.Time
	}
	var rows []row
	for _, v := range out.Versions {
		rows = append(rows, row{refVersion{key: *v.Key, id: *v.VersionId, latest: *v.IsLatest}, *v.LastModified})
	}
	for _, d := range out.DeleteMarkers {
		rows = append(rows, row{refVersion{key: *d.Key, id: *d.VersionId, marker: true, latest: *d.IsLatest}, *d.LastModified})
	}
	for _, p := range out.CommonPrefixes {
		rows = append(rows, row{v: refVersion{key: *p.Prefix, prefix: true}})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].v.key != rows[j].v.key {
			return rows[i].v.key < rows[j].v.key
		}
		// Version ids begin with the big-endian sequence number.
		return rows[i].v.id > rows[j].v.id
	})
	res := make([]refVersion, len(rows))
	for i, r := range rows {
		res[i] = r.v
	}
	return res
}

func TestURLEncodeKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain/key-1_2.txt", "plain/key-1_2.txt"},
		{"a b.txt", "a+b.txt"},
		{"a+b.txt", "a%2Bb.txt"},
		{"100%.csv", "100%25.csv"},
		{"한글/x.txt", "%ED%95%9C%EA%B8%80/x.txt"},
		{"test_file(3).png", "test_file%283%29.png"},
		{"x~y*z", "x%7Ey*z"},
		{"ctl\x01\n", "ctl%01%0A"},
		{"", ""},
	} {
		if got := urlEncodeKey(c.in); got != c.want {
			t.Errorf("urlEncodeKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestListEncodingTypeURL(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "list-enc", true)
	putString(t, s, "list-enc", "run books/x y.txt", "1")
	putString(t, s, "list-enc", "run books/top+1", "1")
	putString(t, s, "list-enc", "ü a", "1")
	out, err := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("list-enc"), EncodingType: ptr("url"),
		Prefix: ptr("run books/"), Delimiter: ptr(" "), StartAfter: ptr("run books/a b")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Prefix != "run+books/" || *out.Delimiter != "+" || *out.StartAfter != "run+books/a+b" || *out.EncodingType != "url" {
		t.Fatalf("encoded echoes: %q %q %q", *out.Prefix, *out.Delimiter, *out.StartAfter)
	}
	if len(out.Contents) != 1 || *out.Contents[0].Key != "run+books/top%2B1" || len(out.CommonPrefixes) != 1 || *out.CommonPrefixes[0].Prefix != "run+books/x+" {
		t.Fatalf("encoded entries: %+v %+v", out.Contents, out.CommonPrefixes)
	}
	v1, err := s.ListObjects(ctx, &s3api.ListObjectsInput{Bucket: ptr("list-enc"), EncodingType: ptr("url"), Marker: ptr("run books/x"), MaxKeys: ptr(int32(1)), Delimiter: ptr("/")})
	if err != nil {
		t.Fatal(err)
	}
	if *v1.Marker != "run+books/x" || *v1.Contents[0].Key != "%C3%BC+a" || v1.NextMarker != nil {
		t.Fatalf("v1 encoded: marker %q contents %+v next %v", *v1.Marker, v1.Contents, v1.NextMarker)
	}
	vers, err := s.ListObjectVersions(ctx, &s3api.ListObjectVersionsInput{Bucket: ptr("list-enc"), EncodingType: ptr("url"), KeyMarker: ptr("run books/top+1"), MaxKeys: ptr(int32(1)), Prefix: ptr("")})
	if err != nil {
		t.Fatal(err)
	}
	if *vers.KeyMarker != "run+books/top%2B1" || *vers.Versions[0].Key != "run+books/x+y.txt" || *vers.NextKeyMarker != "run+books/x+y.txt" {
		t.Fatalf("versions encoded: %q %+v %v", *vers.KeyMarker, vers.Versions, vers.NextKeyMarker)
	}
	// Without encoding-type the keys are sent as they are.
	plain, _ := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("list-enc"), Prefix: ptr("ü")})
	if plain.EncodingType != nil || *plain.Contents[0].Key != "ü a" {
		t.Fatalf("plain: %+v", plain.Contents)
	}
}

func TestListObjectsV2Fields(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "list-fields", false)
	put := putString(t, s, "list-fields", "k", "hello")
	out, err := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("list-fields")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Contents[0]
	if *out.Name != "list-fields" || *out.Prefix != "" || *out.MaxKeys != 1000 || *out.KeyCount != 1 || *out.IsTruncated ||
		out.Delimiter != nil || out.StartAfter != nil || out.ContinuationToken != nil {
		t.Fatalf("envelope: %+v", out)
	}
	if *c.ETag != *put.ETag || *c.Size != 5 || *c.StorageClass != "STANDARD" || c.Owner != nil || c.LastModified.IsZero() {
		t.Fatalf("object: %+v", c)
	}
	withOwner, _ := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("list-fields"), FetchOwner: ptr(true)})
	if o := withOwner.Contents[0].Owner; o == nil || *o.ID != canonicalID("000000000000") {
		t.Fatalf("FetchOwner: %+v", o)
	}
	// max-keys above 1000 is echoed, the page still holds at most 1000.
	big, _ := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("list-fields"), MaxKeys: ptr(int32(5000))})
	if *big.MaxKeys != 5000 {
		t.Fatalf("MaxKeys %d", *big.MaxKeys)
	}
	zero, _ := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("list-fields"), MaxKeys: ptr(int32(0))})
	if *zero.KeyCount != 0 || *zero.IsTruncated || zero.Contents != nil {
		t.Fatalf("max-keys 0: %+v", zero)
	}
}

func TestListErrors(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "list-errs", true)
	for _, c := range []struct {
		name string
		call func() error
		code string
	}{
		{"v2 no bucket", func() error {
			_, err := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("nope-bucket")})
			return err
		}, "NoSuchBucket"},
		{"v1 negative max-keys", func() error {
			_, err := s.ListObjects(ctx, &s3api.ListObjectsInput{Bucket: ptr("list-errs"), MaxKeys: ptr(int32(-1))})
			return err
		}, "InvalidArgument"},
		{"v2 bad token", func() error {
			_, err := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("list-errs"), ContinuationToken: ptr("not a token!")})
			return err
		}, "InvalidArgument"},
		{"v2 bad encoding", func() error {
			_, err := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("list-errs"), EncodingType: ptr("base64")})
			return err
		}, "InvalidArgument"},
		{"versions marker without key marker", func() error {
			_, err := s.ListObjectVersions(ctx, &s3api.ListObjectVersionsInput{Bucket: ptr("list-errs"), VersionIdMarker: ptr("null")})
			return err
		}, "InvalidArgument"},
		{"versions bad version marker", func() error {
			_, err := s.ListObjectVersions(ctx, &s3api.ListObjectVersionsInput{Bucket: ptr("list-errs"), KeyMarker: ptr("k"), VersionIdMarker: ptr("zzz")})
			return err
		}, "InvalidArgument"},
		{"versions negative max-keys", func() error {
			_, err := s.ListObjectVersions(ctx, &s3api.ListObjectVersionsInput{Bucket: ptr("list-errs"), MaxKeys: ptr(int32(-5))})
			return err
		}, "InvalidArgument"},
		{"wrong expected owner", func() error {
			_, err := s.ListObjectsV2(ctx, &s3api.ListObjectsV2Input{Bucket: ptr("list-errs"), ExpectedBucketOwner: ptr("111111111111")})
			return err
		}, "AccessDenied"},
	} {
		t.Run(c.name, func(t *testing.T) { wantCode(t, c.call(), c.code) })
	}
}

func TestListVersionsNullMarker(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	bucketForTest(t, s, "list-null", false)
	putString(t, s, "list-null", "k", "null version")
	if _, err := s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr("list-null"),
		VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr("Enabled")}}); err != nil {
		t.Fatal(err)
	}
	v2 := putString(t, s, "list-null", "k", "versioned")
	putString(t, s, "list-null", "l", "other")
	out, err := s.ListObjectVersions(ctx, &s3api.ListObjectVersionsInput{Bucket: ptr("list-null"), MaxKeys: ptr(int32(2))})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 2 || *out.Versions[0].VersionId != *v2.VersionId || *out.Versions[1].VersionId != "null" ||
		*out.Versions[1].IsLatest || *out.NextVersionIdMarker != "null" {
		t.Fatalf("first page: %+v next %v", out.Versions, out.NextVersionIdMarker)
	}
	out, err = s.ListObjectVersions(ctx, &s3api.ListObjectVersionsInput{Bucket: ptr("list-null"), KeyMarker: ptr("k"), VersionIdMarker: ptr("null")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 1 || *out.Versions[0].Key != "l" || !*out.Versions[0].IsLatest {
		t.Fatalf("after null marker: %+v", out.Versions)
	}
}

// scanCounter wraps a backend and counts the Scans of its transactions.
type scanCounter struct {
	storage.Backend
	scans int
}

type countingTx struct {
	storage.Tx
	c *scanCounter
}

func (t countingTx) Scan(table string, r storage.Range, fn func(k, v []byte) bool) error {
	t.c.scans++
	return t.Tx.Scan(table, r, fn)
}

func (c *scanCounter) View(ctx context.Context, fn func(storage.Tx) error) error {
	return c.Backend.View(ctx, func(tx storage.Tx) error { return fn(countingTx{tx, c}) })
}

// fillBucket writes n object rows directly, so that listing tests and
// benchmarks need not upload n bodies.
func fillBucket(t testing.TB, s *Service, bucket string, n, versionsEach int) {
	t.Helper()
	err := s.db.Update(context.Background(), func(tx storage.Tx) error {
		for i := range n {
			key := fmt.Sprintf("photos/%06d.jpg", i)
			for range versionsEach {
				seq, now := s.clock.next()
				rec := &objectRecord{Key: key, VersionID: newVersionID(seq), Seq: seq, LastModified: now, Owner: "000000000000",
					Size: 1234, ETag: `"0123456789abcdef0123456789abcdef"`, ContentType: "image/jpeg", Metadata: map[string]string{"camera": "x"}}
				if err := putObjectRow(tx, bucket, rec); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestListOneScanPerPage(t *testing.T) {
	s := newTestService(t)
	counter := &scanCounter{Backend: s.db}
	s.db = counter
	bucketForTest(t, s, "list-scan", true)
	fillBucket(t, s, "list-scan", 2500, 3)
	in := &s3api.ListObjectsV2Input{Bucket: ptr("list-scan")}
	for page := 1; ; page++ {
		counter.scans = 0
		out, err := s.ListObjectsV2(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if counter.scans != 1 {
			t.Fatalf("page %d used %d Scans", page, counter.scans)
		}
		if !*out.IsTruncated {
			if page != 3 {
				t.Fatalf("%d pages", page)
			}
			break
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	// A common prefix holding thousands of keys costs one seek, not a walk.
	counter.scans = 0
	out, err := s.ListObjectsV2(context.Background(), &s3api.ListObjectsV2Input{Bucket: ptr("list-scan"), Delimiter: ptr("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CommonPrefixes) != 1 || *out.IsTruncated || counter.scans != 2 {
		t.Fatalf("%d prefixes, truncated %v, %d Scans", len(out.CommonPrefixes), *out.IsTruncated, counter.scans)
	}
	// A marker under a common prefix starts past it.
	counter.scans = 0
	out, err = s.ListObjectsV2(context.Background(), &s3api.ListObjectsV2Input{Bucket: ptr("list-scan"), Delimiter: ptr("/"), StartAfter: ptr("photos/000100.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.KeyCount != 0 || counter.scans != 1 {
		t.Fatalf("%d entries, %d Scans", *out.KeyCount, counter.scans)
	}
}

// BenchmarkListObjectsV2Pages lists 10,000 keys (three versions each) in ten
// pages of a thousand, following continuation tokens.
func BenchmarkListObjectsV2Pages(b *testing.B) {
	db, err := engine.Open(storage.Options{Ephemeral: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := New(Deps{Store: db})
	bucketForTest(b, s, "bench-list", true)
	fillBucket(b, s, "bench-list", 10000, 3)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		in := &s3api.ListObjectsV2Input{Bucket: ptr("bench-list")}
		pages := 0
		for {
			out, err := s.ListObjectsV2(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			pages++
			if !*out.IsTruncated {
				break
			}
			in.ContinuationToken = out.NextContinuationToken
		}
		if pages != 10 {
			b.Fatalf("%d pages", pages)
		}
	}
}
