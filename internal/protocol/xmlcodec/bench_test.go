package xmlcodec

import (
	"encoding/xml"
	"fmt"
	"testing"
	"time"
)

func listPage(n int) *listObjectsV2Output {
	lm := time.Date(2024, 3, 1, 12, 30, 45, 123e6, time.UTC)
	out := &listObjectsV2Output{
		IsTruncated: ptr(true), KeyCount: ptr(int32(n)), MaxKeys: ptr(int32(1000)), Name: ptr("amzn-s3-demo-bucket"),
		Prefix: ptr("logs/"), NextContinuationToken: ptr("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="),
	}
	for i := range n {
		out.Contents = append(out.Contents, object{
			ChecksumAlgorithm: []string{"CRC64NVME"},
			ETag:              ptr(`"d41d8cd98f00b204e9800998ecf8427e"`),
			Key:               ptr(fmt.Sprintf("logs/2024/03/01/app-server-%06d.log.gz", i)),
			LastModified:      &lm,
			Size:              ptr(int64(1024 * i)),
			StorageClass:      ptr("STANDARD"),
		})
	}
	return out
}

// BenchmarkEncodeListObjectsV2 encodes a full page of 1000 keys.
func BenchmarkEncodeListObjectsV2(b *testing.B) {
	page := listPage(1000)
	buf := AppendRoot(nil, "ListBucketResult", "http://s3.amazonaws.com/doc/2006-03-01/", page)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRoot(buf[:0], "ListBucketResult", "http://s3.amazonaws.com/doc/2006-03-01/", page)
	}
}

// BenchmarkEncodeListObjectsV2StdlibReference is the same page through
// encoding/xml with equivalent xml tags, for comparison only.
func BenchmarkEncodeListObjectsV2StdlibReference(b *testing.B) {
	type obj struct {
		ChecksumAlgorithm []string  `xml:"ChecksumAlgorithm"`
		ETag              *string   `xml:"ETag"`
		Key               *string   `xml:"Key"`
		LastModified      time.Time `xml:"LastModified"`
		Size              *int64    `xml:"Size"`
		StorageClass      *string   `xml:"StorageClass"`
	}
	type page struct {
		XMLName  xml.Name `xml:"ListBucketResult"`
		Contents []obj    `xml:"Contents"`
		Name     *string  `xml:"Name"`
	}
	src := listPage(1000)
	p := page{Name: src.Name}
	for _, o := range src.Contents {
		p.Contents = append(p.Contents, obj{o.ChecksumAlgorithm, o.ETag, o.Key, *o.LastModified, o.Size, o.StorageClass})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := xml.Marshal(&p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeDeleteObjects decodes a DeleteObjects request of 1000 keys.
func BenchmarkDecodeDeleteObjects(b *testing.B) {
	in := &deleteRequest{Quiet: ptr(true)}
	for i := range 1000 {
		in.Objects = append(in.Objects, objectIdentifier{Key: ptr(fmt.Sprintf("logs/2024/03/01/app-server-%06d.log.gz", i))})
	}
	doc := AppendRoot(nil, "Delete", "http://s3.amazonaws.com/doc/2006-03-01/", in)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var out deleteRequest
		if err := Unmarshal(doc, &out); err != nil {
			b.Fatal(err)
		}
	}
}
