package s3

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

func TestListPartsPagination(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-list-parts", 1)
	id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-list-parts"), Key: ptr("k"), StorageClass: ptr("GLACIER")})
	for _, n := range []int32{5, 1, 3, 2, 4} {
		mpPart(t, s, "mp-list-parts", "k", id, n, strings.Repeat("p", int(n)))
	}
	var got []int32
	var marker *int32
	pages := 0
	for {
		out, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: ptr("mp-list-parts"), Key: ptr("k"), UploadId: &id, MaxParts: ptr(int32(2)), PartNumberMarker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if *out.MaxParts != 2 || *out.StorageClass != "GLACIER" || out.Initiator == nil || *out.Owner.ID != canonicalID("000000000000") || *out.UploadId != id {
			t.Fatalf("page %d: %+v", pages, out)
		}
		for _, p := range out.Parts {
			if *p.Size != int64(*p.PartNumber) {
				t.Fatalf("part %d size %d", *p.PartNumber, *p.Size)
			}
			got = append(got, *p.PartNumber)
		}
		if !*out.IsTruncated {
			break
		}
		marker = out.NextPartNumberMarker
	}
	if !reflect.DeepEqual(got, []int32{1, 2, 3, 4, 5}) || pages != 3 {
		t.Fatalf("parts %v in %d pages", got, pages)
	}
	out, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: ptr("mp-list-parts"), Key: ptr("k"), UploadId: &id})
	if err != nil || *out.MaxParts != 1000 || *out.IsTruncated || len(out.Parts) != 5 || *out.PartNumberMarker != 0 || *out.NextPartNumberMarker != 5 {
		t.Fatalf("%v %+v", err, out)
	}
	_, err = s.ListParts(ctx, &s3api.ListPartsInput{Bucket: ptr("mp-list-parts"), Key: ptr("k"), UploadId: &id, MaxParts: ptr(int32(-1))})
	wantCode(t, err, "InvalidArgument")
	_, err = s.ListParts(ctx, &s3api.ListPartsInput{Bucket: ptr("mp-list-parts"), Key: ptr("k"), UploadId: ptr("unknown")})
	wantCode(t, err, "NoSuchUpload")
}

// listedUpload is one entry of a ListMultipartUploads page, as a string
// ("key@n" for the n-th upload of the test, or "prefix/").
func listedUploads(out *s3api.ListMultipartUploadsOutput, names map[string]string) []string {
	var got []string
	for _, u := range out.Uploads {
		got = append(got, *u.Key+"@"+names[*u.UploadId])
	}
	for _, p := range out.CommonPrefixes {
		got = append(got, *p.Prefix)
	}
	return got
}

func TestListMultipartUploadsOrderAndPagination(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-list", 1)
	names := map[string]string{} // upload id -> creation index
	ids := map[string]string{}   // creation index -> upload id
	// Several uploads per key, created out of key order.
	for i, key := range []string{"b", "a", "c/x", "a", "c/y", "b", "a", "a!", "d"} {
		id := mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-list"), Key: ptr(key)})
		names[id] = fmt.Sprint(i)
		ids[fmt.Sprint(i)] = id
	}
	all := []string{"a@1", "a@3", "a@6", "a!@7", "b@0", "b@5", "c/x@2", "c/y@4", "d@8"}
	out, err := s.ListMultipartUploads(ctx, &s3api.ListMultipartUploadsInput{Bucket: ptr("mp-list")})
	if err != nil {
		t.Fatal(err)
	}
	if got := listedUploads(out, names); !reflect.DeepEqual(got, all) {
		t.Fatalf("listing %v, want %v", got, all)
	}
	if *out.MaxUploads != 1000 || *out.IsTruncated || *out.KeyMarker != "" || *out.UploadIdMarker != "" {
		t.Fatalf("%+v", out)
	}
	u := out.Uploads[0]
	if u.Initiated == nil || u.Initiator == nil || *u.StorageClass != "STANDARD" || u.Owner == nil {
		t.Fatalf("upload %+v", u)
	}

	// Following NextKeyMarker / NextUploadIdMarker visits every upload once,
	// for every page size.
	for size := int32(1); size <= 4; size++ {
		var got []string
		in := &s3api.ListMultipartUploadsInput{Bucket: ptr("mp-list"), MaxUploads: &size}
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("pagination does not end")
			}
			out, err := s.ListMultipartUploads(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			page := listedUploads(out, names)
			if len(page) > int(size) {
				t.Fatalf("page of %d entries for max %d", len(page), size)
			}
			got = append(got, page...)
			if !*out.IsTruncated {
				break
			}
			in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
		}
		if !reflect.DeepEqual(got, all) {
			t.Fatalf("max %d: %v, want %v", size, got, all)
		}
	}

	tests := []struct {
		name string
		in   s3api.ListMultipartUploadsInput
		want []string
	}{
		{"key marker skips the key", s3api.ListMultipartUploadsInput{KeyMarker: ptr("a")}, all[3:]},
		{"key and upload markers", s3api.ListMultipartUploadsInput{KeyMarker: ptr("a"), UploadIdMarker: ptr(ids["3"])}, all[2:]},
		{"upload marker alone is ignored", s3api.ListMultipartUploadsInput{UploadIdMarker: ptr(ids["3"])}, all},
		{"prefix", s3api.ListMultipartUploadsInput{Prefix: ptr("a")}, all[:4]},
		{"delimiter", s3api.ListMultipartUploadsInput{Delimiter: ptr("/")}, []string{"a@1", "a@3", "a@6", "a!@7", "b@0", "b@5", "d@8", "c/"}},
		{"prefix and delimiter", s3api.ListMultipartUploadsInput{Prefix: ptr("c/"), Delimiter: ptr("/")}, []string{"c/x@2", "c/y@4"}},
		{"marker past a common prefix", s3api.ListMultipartUploadsInput{Delimiter: ptr("/"), KeyMarker: ptr("c/")}, []string{"d@8"}},
		{"max zero", s3api.ListMultipartUploadsInput{MaxUploads: ptr(int32(0))}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket = ptr("mp-list")
			out, err := s.ListMultipartUploads(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			if got := listedUploads(out, names); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}

	// A common prefix counts as one entry of a page.
	out, err = s.ListMultipartUploads(ctx, &s3api.ListMultipartUploadsInput{Bucket: ptr("mp-list"), Delimiter: ptr("/"), Prefix: ptr("c"), MaxUploads: ptr(int32(1))})
	if err != nil || len(out.CommonPrefixes) != 1 || *out.IsTruncated || *out.NextKeyMarker != "c/" {
		t.Fatalf("%v %+v", err, out)
	}

	_, err = s.ListMultipartUploads(ctx, &s3api.ListMultipartUploadsInput{Bucket: ptr("mp-list"), MaxUploads: ptr(int32(-1))})
	wantCode(t, err, "InvalidArgument")
	_, err = s.ListMultipartUploads(ctx, &s3api.ListMultipartUploadsInput{Bucket: ptr("mp-list"), EncodingType: ptr("base64")})
	wantCode(t, err, "InvalidArgument")
	_, err = s.ListMultipartUploads(ctx, &s3api.ListMultipartUploadsInput{Bucket: ptr("no-such-bucket")})
	wantCode(t, err, "NoSuchBucket")
}

func TestListMultipartUploadsURLEncoding(t *testing.T) {
	ctx := context.Background()
	s := mpService(t, "mp-list-enc", 1)
	mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-list-enc"), Key: ptr("dir one/a+b é")})
	mpCreate(t, s, &s3api.CreateMultipartUploadInput{Bucket: ptr("mp-list-enc"), Key: ptr("top file")})
	out, err := s.ListMultipartUploads(ctx, &s3api.ListMultipartUploadsInput{Bucket: ptr("mp-list-enc"), EncodingType: ptr("url"), Delimiter: ptr("/"), MaxUploads: ptr(int32(1))})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CommonPrefixes) != 1 || *out.CommonPrefixes[0].Prefix != "dir+one/" || *out.EncodingType != "url" || *out.NextKeyMarker != "dir+one/" {
		t.Fatalf("%+v", out)
	}
	// The next page starts after the decoded marker.
	out, err = s.ListMultipartUploads(ctx, &s3api.ListMultipartUploadsInput{Bucket: ptr("mp-list-enc"), EncodingType: ptr("url"), Delimiter: ptr("/"), KeyMarker: ptr("dir one/")})
	if err != nil || len(out.Uploads) != 1 || *out.Uploads[0].Key != "top+file" {
		t.Fatalf("%v %+v", err, out)
	}
}
