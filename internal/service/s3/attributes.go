package s3

import (
	"context"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// objectAttributes are the names x-amz-object-attributes accepts.
var objectAttributes = map[string]bool{"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true}

// parseObjectAttributes reads x-amz-object-attributes, a comma-separated
// list that may also arrive as several headers.
func parseObjectAttributes(values []string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if !objectAttributes[name] {
				return nil, errInvalidArgument.New("Invalid attribute name specified.").
					WithDetail(map[string]string{"ArgumentName": "x-amz-object-attributes", "ArgumentValue": name})
			}
			want[name] = true
		}
	}
	if len(want) == 0 {
		return nil, errInvalidArgument.New("Invalid attribute name specified.").
			WithDetail(map[string]string{"ArgumentName": "x-amz-object-attributes", "ArgumentValue": ""})
	}
	return want, nil
}

func (s *Service) GetObjectAttributes(ctx context.Context, in *s3api.GetObjectAttributesInput) (*s3api.GetObjectAttributesOutput, error) {
	want, err := parseObjectAttributes(in.ObjectAttributes)
	if err != nil {
		return nil, err
	}
	maxParts := int32(1000)
	if in.MaxParts != nil {
		if *in.MaxParts < 0 {
			return nil, errInvalidArgument.New("Argument max-parts must be an integer between 0 and 2147483647").
				WithDetail(map[string]string{"ArgumentName": "max-parts", "ArgumentValue": strconv.Itoa(int(*in.MaxParts))})
		}
		maxParts = min(*in.MaxParts, 1000)
	}
	marker := deref(in.PartNumberMarker)
	if marker < 0 {
		return nil, errInvalidArgument.New("Argument part-number-marker must be an integer between 0 and 2147483647").
			WithDetail(map[string]string{"ArgumentName": "part-number-marker", "ArgumentValue": strconv.Itoa(int(marker))})
	}
	b, rec, err := s.readTarget(ctx, deref(in.Bucket), deref(in.Key), in.VersionId)
	if err != nil {
		return nil, err
	}
	if err := checkExpectedOwner(b, in.ExpectedBucketOwner); err != nil {
		return nil, err
	}
	if err := checkSSECustomer(rec, in.SSECustomerAlgorithm, in.SSECustomerKeyMD5); err != nil {
		return nil, err
	}
	out := &s3api.GetObjectAttributesOutput{LastModified: ptr(rec.LastModified)}
	if b.Versioning != "" {
		out.VersionId = ptr(rec.VersionID)
	}
	if want["ETag"] {
		// This operation alone answers the ETag without quotes.
		out.ETag = ptr(strings.Trim(rec.ETag, `"`))
	}
	if want["ObjectSize"] {
		out.ObjectSize = ptr(rec.Size)
	}
	if want["StorageClass"] {
		out.StorageClass = ptr(storageClassOf(rec.StorageClass))
	}
	if want["Checksum"] && len(rec.Checksum) > 0 {
		c := &s3api.Checksum{}
		setChecksumOutput(rec.Checksum, rec.ChecksumType, checksumOutputs{
			"CRC32": &c.ChecksumCRC32, "CRC32C": &c.ChecksumCRC32C, "CRC64NVME": &c.ChecksumCRC64NVME,
			"SHA1": &c.ChecksumSHA1, "SHA256": &c.ChecksumSHA256,
		}, &c.ChecksumType)
		out.Checksum = c
	}
	if want["ObjectParts"] && len(rec.Parts) > 0 {
		out.ObjectParts = objectParts(rec.Parts, marker, maxParts)
	}
	return out, nil
}

// objectParts is one page of the parts of a multipart object: up to
// maxParts parts numbered above marker.
func objectParts(parts []partInfo, marker, maxParts int32) *s3api.GetObjectAttributesParts {
	p := &s3api.GetObjectAttributesParts{
		TotalPartsCount: ptr(int32(len(parts))), PartNumberMarker: ptr(marker),
		MaxParts: ptr(maxParts), IsTruncated: ptr(false),
	}
	for i := int(marker); i < len(parts); i++ {
		if int32(len(p.Parts)) == maxParts {
			p.IsTruncated = ptr(true)
			break
		}
		part := s3api.ObjectPart{PartNumber: ptr(int32(i + 1)), Size: ptr(parts[i].Size)}
		setChecksumOutput(parts[i].Checksum, "", checksumOutputs{
			"CRC32": &part.ChecksumCRC32, "CRC32C": &part.ChecksumCRC32C, "CRC64NVME": &part.ChecksumCRC64NVME,
			"SHA1": &part.ChecksumSHA1, "SHA256": &part.ChecksumSHA256,
		}, nil)
		p.Parts = append(p.Parts, part)
	}
	if len(p.Parts) > 0 {
		p.NextPartNumberMarker = p.Parts[len(p.Parts)-1].PartNumber
	}
	return p
}
