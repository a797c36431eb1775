package s3

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// checkMaxArgument validates max-parts / max-uploads and caps it at limit.
func checkMaxArgument(name string, v *int32, limit int) (int, error) {
	if v == nil {
		return limit, nil
	}
	if *v < 0 {
		return 0, errInvalidArgument.Newf("Argument %s must be an integer between 0 and 2147483647", name).
			WithDetail(map[string]string{"ArgumentName": name, "ArgumentValue": strconv.Itoa(int(*v))})
	}
	return min(int(*v), limit), nil
}

func (s *Service) ListParts(ctx context.Context, in *s3api.ListPartsInput) (*s3api.ListPartsOutput, error) {
	bucketName, key, uploadID := deref(in.Bucket), deref(in.Key), deref(in.UploadId)
	max, err := checkMaxArgument("max-parts", in.MaxParts, maxListParts)
	if err != nil {
		return nil, err
	}
	marker := deref(in.PartNumberMarker)
	if marker < 0 {
		return nil, errInvalidArgument.New("Argument part-number-marker must be an integer between 0 and 2147483647").
			WithDetail(map[string]string{"ArgumentName": "part-number-marker", "ArgumentValue": strconv.Itoa(int(marker))})
	}
	var up *uploadRecord
	var parts []partRecord
	var b *bucketRecord
	err = s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = s.ownedBucket(tx, bucketName, in.ExpectedBucketOwner); err != nil {
			return err
		}
		if up, err = loadUpload(tx, bucketName, key, uploadID); err != nil {
			return err
		}
		parts, err = scanParts(tx, uploadID, marker, max+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	truncated := len(parts) > max
	if truncated {
		parts = parts[:max]
	}
	owner := ownerOf(up.Object.Owner)
	out := &s3api.ListPartsOutput{
		Bucket: &bucketName, Key: &key, UploadId: &uploadID,
		PartNumberMarker: ptr(marker), NextPartNumberMarker: ptr(int32(0)),
		MaxParts: ptr(int32(max)), IsTruncated: ptr(truncated),
		Initiator: &s3api.Initiator{ID: owner.ID, DisplayName: owner.DisplayName}, Owner: owner,
		StorageClass:      ptr(storageClassOrStandard(up.Object.StorageClass)),
		ChecksumAlgorithm: nonEmpty(up.ChecksumAlgorithm), ChecksumType: nonEmpty(up.ChecksumType),
	}
	out.AbortDate, out.AbortRuleId = uploadAbortRule(b, up)
	for _, p := range parts {
		lp := s3api.Part{PartNumber: ptr(p.Number), ETag: ptr(p.ETag), Size: ptr(p.Size), LastModified: ptr(p.Modified)}
		setChecksumOutput(p.Checksum, "", checksumOutputs{
			"CRC32": &lp.ChecksumCRC32, "CRC32C": &lp.ChecksumCRC32C, "CRC64NVME": &lp.ChecksumCRC64NVME,
			"SHA1": &lp.ChecksumSHA1, "SHA256": &lp.ChecksumSHA256,
		}, nil)
		out.Parts = append(out.Parts, lp)
	}
	if len(parts) > 0 {
		out.NextPartNumberMarker = ptr(parts[len(parts)-1].Number)
	}
	return out, nil
}

func storageClassOrStandard(sc string) string {
	if sc == "" {
		return "STANDARD"
	}
	return sc
}

// uploadListing is one page of ListMultipartUploads.
type uploadListing struct {
	uploads   []*uploadRecord
	prefixes  []string
	truncated bool
	// nextKey and nextID are the position of the last entry (for a common
	// prefix, nextID is "").
	nextKey, nextID string
}

// listUploads walks the key index of bucket in key then initiation order.
func listUploads(tx storage.Tx, bucket, prefix, delimiter, keyMarker, uploadIDMarker string, max int) (*uploadListing, error) {
	l := &uploadListing{}
	base := bucketPrefix(bucket)
	r := storage.Range{Prefix: append(append([]byte(nil), base...), prefix...)}
	switch {
	case keyMarker != "" && uploadIDMarker != "":
		r.After = uploadIndexKey(bucket, keyMarker, uploadIDMarker)
	case keyMarker != "":
		// Past every upload of keyMarker: keys hold no NUL, so "\x01" is
		// the least byte that can follow it.
		r.Start = append(append(append([]byte(nil), base...), keyMarker...), 1)
	}
	for {
		var skipTo []byte
		var ferr error
		err := tx.Scan(tableUploadsByKey, r, func(k, _ []byte) bool {
			key, id := splitUploadIndexKey(bucket, k)
			if delimiter != "" {
				if i := strings.Index(key[len(prefix):], delimiter); i >= 0 {
					cp := key[:len(prefix)+i+len(delimiter)]
					skipTo = append(append([]byte(nil), base...), cp...)
					skipTo = prefixEnd(skipTo)
					if keyMarker != "" && cp <= keyMarker {
						return false // already listed on an earlier page
					}
					if len(l.uploads)+len(l.prefixes) == max {
						l.truncated, skipTo = true, nil
						return false
					}
					l.prefixes = append(l.prefixes, cp)
					l.nextKey, l.nextID = cp, ""
					return false
				}
			}
			if len(l.uploads)+len(l.prefixes) == max {
				l.truncated = true
				return false
			}
			var up uploadRecord
			if err := getJSON(tx, tableUploads, uploadKey(bucket, id), &up); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return true // an index row without its upload: nothing to list
				}
				ferr = err
				return false
			}
			l.uploads = append(l.uploads, &up)
			l.nextKey, l.nextID = key, id
			return true
		})
		if err == nil {
			err = ferr
		}
		if err != nil {
			return nil, err
		}
		if skipTo == nil {
			return l, nil
		}
		r = storage.Range{Prefix: r.Prefix, Start: skipTo}
	}
}

// splitUploadIndexKey returns the object key and upload ID of an index
// row of bucket.
func splitUploadIndexKey(bucket string, row []byte) (key, uploadID string) {
	rest := row[len(bucket)+1:]
	i := strings.LastIndexByte(string(rest), 0)
	return string(rest[:i]), string(rest[i+1:])
}

// prefixEnd returns the least key after every key that begins with p.
func prefixEnd(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			end := append([]byte(nil), p[:i+1]...)
			end[i]++
			return end
		}
	}
	return nil
}

func (s *Service) ListMultipartUploads(ctx context.Context, in *s3api.ListMultipartUploadsInput) (*s3api.ListMultipartUploadsOutput, error) {
	bucketName := deref(in.Bucket)
	max, err := checkMaxArgument("max-uploads", in.MaxUploads, maxListUploads)
	if err != nil {
		return nil, err
	}
	enc, err := keyEncoder(in.EncodingType)
	if err != nil {
		return nil, err
	}
	prefix, delimiter, keyMarker := deref(in.Prefix), deref(in.Delimiter), deref(in.KeyMarker)
	uploadIDMarker := deref(in.UploadIdMarker)
	if keyMarker == "" {
		uploadIDMarker = "" // documented: ignored without key-marker
	}
	var l *uploadListing
	err = s.db.View(ctx, func(tx storage.Tx) error {
		_, err := s.ownedBucket(tx, bucketName, in.ExpectedBucketOwner)
		if err != nil {
			return err
		}
		l, err = listUploads(tx, bucketName, prefix, delimiter, keyMarker, uploadIDMarker, max)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &s3api.ListMultipartUploadsOutput{
		Bucket: &bucketName, KeyMarker: ptr(enc(keyMarker)), UploadIdMarker: ptr(uploadIDMarker),
		MaxUploads: ptr(int32(max)), IsTruncated: ptr(l.truncated), EncodingType: in.EncodingType,
	}
	if in.Prefix != nil {
		out.Prefix = ptr(enc(prefix))
	}
	if in.Delimiter != nil {
		out.Delimiter = ptr(enc(delimiter))
	}
	if l.nextKey != "" {
		out.NextKeyMarker, out.NextUploadIdMarker = ptr(enc(l.nextKey)), ptr(l.nextID)
	}
	for _, up := range l.uploads {
		owner := ownerOf(up.Object.Owner)
		out.Uploads = append(out.Uploads, s3api.MultipartUpload{
			Key: ptr(enc(up.Object.Key)), UploadId: ptr(up.ID), Initiated: ptr(up.Initiated),
			Initiator: &s3api.Initiator{ID: owner.ID, DisplayName: owner.DisplayName}, Owner: owner,
			StorageClass:      ptr(storageClassOrStandard(up.Object.StorageClass)),
			ChecksumAlgorithm: nonEmpty(up.ChecksumAlgorithm), ChecksumType: nonEmpty(up.ChecksumType),
		})
	}
	for _, p := range l.prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, s3api.CommonPrefix{Prefix: ptr(enc(p))})
	}
	return out, nil
}
