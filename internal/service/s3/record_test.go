package s3

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// fullRecord sets every member of objectRecord, so that a member the row
// format forgets fails the round trip.
func fullRecord() *objectRecord {
	acl := cannedACL("111122223333", "public-read")
	return &objectRecord{
		Key: "photos/2024/cat.jpg", VersionID: "0000018c2f3e4a5b9f3c2d1e0a9b8c7d", Seq: 1 << 60, DeleteMarker: true,
		LastModified: time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC), Owner: "111122223333",
		Size: 12345, ETag: `"abc-2"`,
		Segments:    []segment{{Blob: "0123456789abcdef0123456789abcdef", Size: 10000}, {Blob: "fedcba9876543210fedcba9876543210", Size: 2345, Inline: true}},
		Parts:       []partInfo{{Size: 10000, ETag: `"p1"`, Checksum: map[string]string{"CRC32": "AAAAAA==", "SHA1": "x"}}, {Size: 2345, ETag: `"p2"`}},
		ContentType: "image/jpeg", CacheControl: "max-age=60", ContentDisposition: "inline", ContentEncoding: "gzip",
		ContentLanguage: "en", Expires: "Wed, 21 Oct 2015 07:28:00 GMT", WebsiteRedirect: "/other",
		Metadata: map[string]string{"a": "1", "b": "", "c-d": "three"}, StorageClass: "STANDARD_IA",
		Tags: []s3api.Tag{{Key: ptr("k"), Value: ptr("")}, {Key: ptr("k2"), Value: ptr("v2")}},
		ACL:  acl, Checksum: map[string]string{"CRC32C": "yZRlqg=="}, ChecksumType: "COMPOSITE",
		SSE: "aws:kms", SSEKMSKeyID: "arn:aws:kms:us-east-1:111122223333:key/1", BucketKey: true,
		SSECustAlgo: "AES256", SSECustKeyMD5: "bWQ1", LockMode: "GOVERNANCE",
		LockRetainUntil: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), LegalHold: "ON",
	}
}

func TestObjectRowRoundTrip(t *testing.T) {
	full := fullRecord()
	v := reflect.ValueOf(full).Elem()
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("fullRecord leaves %s unset", v.Type().Field(i).Name)
		}
	}
	tests := []struct {
		name string
		rec  *objectRecord
	}{
		{"every member", full},
		{"empty", &objectRecord{}},
		{"plain put", &objectRecord{Key: "k", VersionID: "null", Seq: 7, LastModified: time.Unix(1700000000, 0).UTC(), Owner: "000000000000",
			Size: 4096, ETag: `"e"`, Segments: []segment{{Blob: "b", Size: 4096, Inline: true}}}},
		{"negative and old times", &objectRecord{Key: "k", LastModified: time.Date(1600, 1, 1, 0, 0, 0, 1, time.UTC), Size: -1}},
		{"nil tag members", &objectRecord{Key: "k", Tags: []s3api.Tag{{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			row, err := appendObjectRow(nil, tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			var got objectRecord
			if err := decodeObjectRow(row, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, tc.rec) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", &got, tc.rec)
			}
			var lv listedVersion
			var seen []string
			if err := decodeListedRow(row, &lv, &seen); err != nil {
				t.Fatal(err)
			}
			want := listedVersion{VersionID: tc.rec.VersionID, DeleteMarker: tc.rec.DeleteMarker, LastModified: tc.rec.LastModified,
				Owner: tc.rec.Owner, Size: tc.rec.Size, ETag: tc.rec.ETag, StorageClass: tc.rec.StorageClass,
				Checksum: tc.rec.Checksum, ChecksumType: tc.rec.ChecksumType}
			if !reflect.DeepEqual(lv, want) {
				t.Fatalf("listed:\n got %+v\nwant %+v", lv, want)
			}
		})
	}
}

// The owner's private ACL is what nearly every object has: rows leave it
// out, and a nil ACL reads as exactly that ACL.
func TestObjectRowPrivateACL(t *testing.T) {
	rec := &objectRecord{Key: "k", Owner: "111122223333", ACL: cannedACL("111122223333", "private")}
	row, err := appendObjectRow(nil, rec)
	if err != nil {
		t.Fatal(err)
	}
	var got objectRecord
	if err := decodeObjectRow(row, &got); err != nil {
		t.Fatal(err)
	}
	if got.ACL != nil {
		t.Fatalf("private ACL kept: %+v", got.ACL)
	}
	wantOwner, wantGrants := aclOutput(rec.ACL, rec.Owner)
	gotOwner, gotGrants := aclOutput(got.ACL, got.Owner)
	if !reflect.DeepEqual(gotOwner, wantOwner) || !reflect.DeepEqual(gotGrants, wantGrants) {
		t.Fatalf("ACL read back as %+v %+v, want %+v %+v", gotOwner, gotGrants, wantOwner, wantGrants)
	}
	// The private ACL of another account is not the owner's: it is kept.
	rec.ACL = cannedACL("999999999999", "private")
	row, _ = appendObjectRow(nil, rec)
	if err := decodeObjectRow(row, &got); err != nil || !reflect.DeepEqual(got.ACL, rec.ACL) {
		t.Fatalf("foreign private ACL: %v %+v", err, got.ACL)
	}
}

// Rows written as JSON (before the binary format) stay readable.
func TestObjectRowReadsJSON(t *testing.T) {
	rec := fullRecord()
	raw, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var got objectRecord
	if err := decodeObjectRow(raw, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, rec) {
		t.Fatalf("JSON row:\n got %+v\nwant %+v", &got, rec)
	}
	var lv listedVersion
	if err := decodeListedRow(raw, &lv, new([]string)); err != nil || lv.ETag != rec.ETag || lv.Size != rec.Size {
		t.Fatalf("JSON listed row: %v %+v", err, lv)
	}
}

func TestObjectRowMalformed(t *testing.T) {
	good, _ := appendObjectRow(nil, fullRecord())
	rows := map[string][]byte{
		"empty":          {},
		"unknown format": {9, 1, 2},
		"truncated":      good[:len(good)/2],
		"long length":    {objectRowFormat, fKey<<1 | wireBytes, 0xff, 0xff, 0x7f, 'a'},
		"bad varint":     {objectRowFormat, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	}
	for name, row := range rows {
		var rec objectRecord
		if err := decodeObjectRow(row, &rec); err == nil {
			t.Errorf("%s: no error", name)
		}
		if err := decodeListedRow(row, new(listedVersion), new([]string)); err == nil {
			t.Errorf("%s: listed: no error", name)
		}
	}
	// A field this version does not know is skipped.
	row := binary.AppendUvarint(append([]byte{}, good...), 200<<1|wireBytes)
	row = append(row, 3, 'x', 'y', 'z')
	row = binary.AppendUvarint(row, 201<<1|wireVarint)
	row = binary.AppendUvarint(row, 1<<40)
	var rec objectRecord
	if err := decodeObjectRow(row, &rec); err != nil {
		t.Fatalf("unknown field: %v", err)
	}
}

func FuzzDecodeObjectRow(f *testing.F) {
	good, _ := appendObjectRow(nil, fullRecord())
	f.Add(good)
	f.Add([]byte{objectRowFormat})
	f.Fuzz(func(t *testing.T, row []byte) {
		var rec objectRecord
		if decodeObjectRow(row, &rec) != nil {
			return
		}
		if len(row) > 0 && row[0] == '{' {
			return
		}
		// What decodes re-encodes to a row that decodes the same.
		again, err := appendObjectRow(nil, &rec)
		if err != nil {
			t.Fatal(err)
		}
		var rec2 objectRecord
		if err := decodeObjectRow(again, &rec2); err != nil {
			t.Fatal(err)
		}
		_ = decodeListedRow(row, new(listedVersion), new([]string))
	})
}

// A 4 KiB PUT's record, as a GET decodes it and a listing reads it.
func benchRecord() *objectRecord {
	return &objectRecord{Key: "awsbench-123456/get/000123", VersionID: "null", Seq: 1763864400123456789,
		LastModified: time.Unix(1763864400, 123e6).UTC(), Owner: "000000000000", Size: 4096,
		ETag: `"620f0b67a91f7f74151bc5be745b7110"`, Segments: []segment{{Blob: "0123456789abcdef0123456789abcdef", Size: 4096, Inline: true}},
		ACL: cannedACL("000000000000", "private")}
}

func BenchmarkObjectRow(b *testing.B) {
	rec := benchRecord()
	row, _ := appendObjectRow(nil, rec)
	js, _ := json.Marshal(rec)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf, _ = appendObjectRow(buf[:0], rec)
		}
	})
	b.Run("encode-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(rec)
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		var got objectRecord
		for b.Loop() {
			_ = decodeObjectRow(row, &got)
		}
	})
	b.Run("decode-json", func(b *testing.B) {
		b.ReportAllocs()
		var got objectRecord
		for b.Loop() {
			got = objectRecord{}
			_ = json.Unmarshal(js, &got)
		}
	})
	b.Run("decode-listed", func(b *testing.B) {
		b.ReportAllocs()
		var got listedVersion
		var seen []string
		for b.Loop() {
			_ = decodeListedRow(row, &got, &seen)
		}
	})
}
