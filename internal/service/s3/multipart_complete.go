package s3

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/checksum"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

func (s *Service) minPart() int64 {
	if s.minPartSize > 0 {
		return s.minPartSize
	}
	return defaultMinPartSize
}

// completedPartChecksum is the checksum of algo that a CompletedPart of
// CompleteMultipartUpload carries.
func completedPartChecksum(p *s3api.CompletedPart, algo string) *string {
	switch algo {
	case "CRC32":
		return p.ChecksumCRC32
	case "CRC32C":
		return p.ChecksumCRC32C
	case "CRC64NVME":
		return p.ChecksumCRC64NVME
	case "SHA1":
		return p.ChecksumSHA1
	case "SHA256":
		return p.ChecksumSHA256
	}
	return nil
}

func unquoteETag(e string) string { return strings.Trim(strings.TrimSpace(e), `"`) }

// assembly is the object that the listed parts of an upload make.
type assembly struct {
	segs     []segment
	parts    []partInfo
	etags    []string
	sums     []checksum.Part // the upload's checksum of each listed part
	size     int64
	unlisted []segment // uploaded parts left out, to release
}

func invalidPart(uploadID string, p *s3api.CompletedPart) error {
	return errInvalidPart.New("One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.").
		WithDetail(map[string]string{"UploadId": uploadID, "PartNumber": strconv.Itoa(int(deref(p.PartNumber))), "ETag": deref(p.ETag)})
}

// assemble checks the part list of a CompleteMultipartUpload against the
// uploaded parts (both in ascending part-number order) as S3 does: order,
// existence and ETag, part checksums, and the minimum size of every part
// but the last.
func (s *Service) assemble(up *uploadRecord, listed []s3api.CompletedPart, stored []partRecord) (*assembly, error) {
	if len(listed) == 0 {
		return nil, malformedXML()
	}
	for i := range listed {
		pn := listed[i].PartNumber
		if pn == nil {
			return nil, malformedXML()
		}
		if i > 0 && *pn <= *listed[i-1].PartNumber {
			return nil, errInvalidPartOrder.New("The list of parts was not in ascending order. Parts must be ordered by part number.").
				WithDetail(map[string]string{"UploadId": up.ID})
		}
	}
	algo := up.ChecksumAlgorithm
	if algo != "" {
		// With checksums the parts must be 1..N, without gaps.
		for i := range listed {
			if int(*listed[i].PartNumber) != i+1 {
				return nil, errInvalidPartOrder.New("The list of parts was not in ascending order. Parts must be ordered by part number.").
					WithDetail(map[string]string{"UploadId": up.ID})
			}
		}
	}
	a := &assembly{
		segs: make([]segment, 0, len(listed)), parts: make([]partInfo, 0, len(listed)),
		etags: make([]string, 0, len(listed)),
	}
	j := 0
	for i := range listed {
		lp := &listed[i]
		for j < len(stored) && stored[j].Number < *lp.PartNumber {
			a.unlisted = append(a.unlisted, segment{Blob: stored[j].Blob, Size: stored[j].Size})
			j++
		}
		if j == len(stored) || stored[j].Number != *lp.PartNumber || unquoteETag(deref(lp.ETag)) != unquoteETag(stored[j].ETag) {
			return nil, invalidPart(up.ID, lp)
		}
		sp := &stored[j]
		j++
		info := partInfo{Size: sp.Size, ETag: sp.ETag}
		if algo != "" {
			given := completedPartChecksum(lp, algo)
			switch {
			case given == nil && up.ChecksumType == "COMPOSITE":
				return nil, errInvalidRequest.Newf("The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.", strings.ToLower(algo), *lp.PartNumber)
			case given != nil && *given != sp.Checksum[algo]:
				return nil, invalidPart(up.ID, lp)
			}
			info.Checksum = map[string]string{algo: sp.Checksum[algo]}
			a.sums = append(a.sums, checksum.Part{Checksum: sp.Checksum[algo], Size: sp.Size})
		}
		if i < len(listed)-1 && sp.Size < s.minPart() {
			return nil, errEntityTooSmall.New("Your proposed upload is smaller than the minimum allowed size").WithDetail(map[string]string{
				"ProposedSize": strconv.FormatInt(sp.Size, 10), "MinSizeAllowed": strconv.FormatInt(s.minPart(), 10),
				"PartNumber": strconv.Itoa(int(sp.Number)), "ETag": unquoteETag(sp.ETag),
			})
		}
		a.segs = append(a.segs, segment{Blob: sp.Blob, Size: sp.Size})
		a.parts = append(a.parts, info)
		a.etags = append(a.etags, sp.ETag)
		a.size += sp.Size
	}
	for ; j < len(stored); j++ {
		a.unlisted = append(a.unlisted, segment{Blob: stored[j].Blob, Size: stored[j].Size})
	}
	return a, nil
}

// objectChecksum computes the checksum of the completed object in the
// upload's mode: COMPOSITE is the checksum of the part checksums with
// "-N"; FULL_OBJECT is the CRC of the whole object, combined from the
// part CRCs without reading the data.
func (a *assembly) objectChecksum(up *uploadRecord) (string, error) {
	alg := checksum.Algorithm(up.ChecksumAlgorithm)
	if up.ChecksumType == "FULL_OBJECT" {
		return checksum.CombineFullObject(alg, a.sums)
	}
	values := make([]string, len(a.sums))
	for i, p := range a.sums {
		values[i] = p.Checksum
	}
	return checksum.Composite(alg, values)
}

// checkCompleteChecksumType compares x-amz-checksum-type of a
// CompleteMultipartUpload with the upload's mode.
func checkCompleteChecksumType(up *uploadRecord, typ *string) error {
	if typ == nil {
		return nil
	}
	t := strings.ToUpper(*typ)
	switch {
	case t != "COMPOSITE" && t != "FULL_OBJECT":
		return errInvalidRequest.New("Value for x-amz-checksum-type header is invalid.")
	case up.ChecksumType == "":
		return errInvalidRequest.New("The upload was not created with a checksum mode. The complete request must not include a x-amz-checksum-type header.")
	case t != up.ChecksumType:
		return errInvalidRequest.Newf("The upload was created using the %s checksum mode. The complete request must use the same checksum mode.", up.ChecksumType)
	}
	return nil
}

// expectedObjectChecksum is the x-amz-checksum-* header of a
// CompleteMultipartUpload: the checksum the client expects the object to
// have.
func expectedObjectChecksum(h checksumHeaders) (algo, value string, err error) {
	for a, v := range h {
		if v == nil {
			continue
		}
		if algo != "" {
			return "", "", errInvalidRequest.New("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		algo, value = a, *v
	}
	return algo, value, nil
}

// checksumMatches compares an expected object checksum with the computed
// one; a COMPOSITE value may come with or without its "-N".
func checksumMatches(expected, computed string) bool {
	if expected == computed {
		return true
	}
	if i := strings.LastIndexByte(computed, '-'); i > 0 {
		return expected == computed[:i]
	}
	return false
}

// completedLocation is the URL of the completed object, in the addressing
// style of the request.
func completedLocation(info *request.Info, bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, sg := range segs {
		segs[i] = url.PathEscape(sg)
	}
	path := strings.Join(segs, "/")
	scheme := "http"
	if strings.HasPrefix(info.Endpoint, "https://") {
		scheme = "https"
	}
	if info.HTTP != nil && strings.HasPrefix(info.HTTP.Host, bucket+".") {
		return scheme + "://" + info.HTTP.Host + "/" + path
	}
	base := info.Endpoint
	if base == "" && info.HTTP != nil && info.HTTP.Host != "" {
		base = scheme + "://" + info.HTTP.Host
	}
	return base + "/" + bucket + "/" + path
}

func (s *Service) CompleteMultipartUpload(ctx context.Context, in *s3api.CompleteMultipartUploadInput) (*s3api.CompleteMultipartUploadOutput, error) {
	info := request.FromContext(ctx)
	bucketName, key, uploadID := deref(in.Bucket), deref(in.Key), deref(in.UploadId)
	var listed []s3api.CompletedPart
	if in.MultipartUpload != nil {
		listed = in.MultipartUpload.Parts
	}
	if len(listed) == 0 {
		return nil, malformedXML()
	}
	wantAlgo, wantSum, err := expectedObjectChecksum(checksumHeaders{
		"CRC32": in.ChecksumCRC32, "CRC32C": in.ChecksumCRC32C, "CRC64NVME": in.ChecksumCRC64NVME,
		"SHA1": in.ChecksumSHA1, "SHA256": in.ChecksumSHA256,
	})
	if err != nil {
		return nil, err
	}
	var b *bucketRecord
	var rec *objectRecord
	var released []segment
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = s.ownedBucket(tx, bucketName, in.ExpectedBucketOwner); err != nil {
			return err
		}
		up, err := loadUpload(tx, bucketName, key, uploadID)
		if err != nil {
			return err
		}
		if err := checkCompleteChecksumType(up, in.ChecksumType); err != nil {
			return err
		}
		if in.IfMatch != nil || in.IfNoneMatch != nil {
			cur, err := latest(tx, bucketName, key)
			if err != nil {
				return err
			}
			if cur == nil {
				cur = &objectRecord{Key: key}
				cur.DeleteMarker = true // nothing there: If-Match answers NoSuchKey for key
			}
			if err := checkWritePreconditions(cur, in.IfMatch, in.IfNoneMatch); err != nil {
				return err
			}
		}
		stored, err := scanParts(tx, uploadID, 0, -1)
		if err != nil {
			return err
		}
		a, err := s.assemble(up, listed, stored)
		if err != nil {
			return err
		}
		if in.MpuObjectSize != nil && *in.MpuObjectSize != a.size {
			return errInvalidRequest.Newf("The provided 'x-amz-mp-object-size' header value %d does not match what was computed: %d", *in.MpuObjectSize, a.size)
		}
		etag, err := checksum.MultipartETag(a.etags)
		if err != nil {
			return err
		}
		seq, now := s.clock.next()
		obj := up.Object
		rec = &obj
		rec.Seq, rec.LastModified = seq, now.UTC().Truncate(time.Millisecond)
		rec.Size, rec.ETag, rec.Segments, rec.Parts = a.size, etag, a.segs, a.parts
		if up.ChecksumAlgorithm != "" {
			sum, err := a.objectChecksum(up)
			if err != nil {
				return err
			}
			rec.Checksum = map[string]string{up.ChecksumAlgorithm: sum}
			rec.ChecksumType = up.ChecksumType
		}
		// Without a checksum mode Nimbus keeps no object checksum to check
		// the header against, so it is accepted as is.
		if wantAlgo != "" && up.ChecksumAlgorithm != "" && (wantAlgo != up.ChecksumAlgorithm || !checksumMatches(wantSum, rec.Checksum[wantAlgo])) {
			return errBadDigest.Newf("The %s you specified did not match the calculated checksum.", strings.ToLower(wantAlgo))
		}
		if err := applyLockDefaults(b, rec); err != nil {
			return err
		}
		replaced, err := s.putVersion(tx, b, rec)
		if err := s.notifyCreated(ctx, tx, b, eventCompleteMultipart, rec, err); err != nil {
			return err
		}
		for _, p := range stored {
			if err := tx.Delete(tableParts, partKey(uploadID, p.Number)); err != nil {
				return err
			}
		}
		if err := tx.Delete(tableUploadsByKey, uploadIndexKey(bucketName, key, uploadID)); err != nil {
			return err
		}
		if err := tx.Delete(tableUploads, uploadKey(bucketName, uploadID)); err != nil {
			return err
		}
		released = append(a.unlisted, replaced...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.releaseBlobs(released)
	out := &s3api.CompleteMultipartUploadOutput{
		Location: ptr(completedLocation(info, bucketName, key)),
		Bucket:   &bucketName, Key: &key, ETag: &rec.ETag,
	}
	out.Expiration = nonEmpty(expirationHeader(b, rec))
	if b.Versioning != "" {
		out.VersionId = &rec.VersionID
	}
	setSSEOutput(rec, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, new(*string), new(*string))
	setChecksumOutput(rec.Checksum, rec.ChecksumType, checksumOutputs{
		"CRC32": &out.ChecksumCRC32, "CRC32C": &out.ChecksumCRC32C, "CRC64NVME": &out.ChecksumCRC64NVME,
		"SHA1": &out.ChecksumSHA1, "SHA256": &out.ChecksumSHA256,
	}, &out.ChecksumType)
	return out, nil
}
