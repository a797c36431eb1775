package s3

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/checksum"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Multipart uploads. An upload collects its parts as blobs; completing it
// makes an object whose segments are those blobs, so no byte is copied.
//
// Rows:
//
//	tableUploads       bucket \x00 uploadID          -> uploadRecord
//	tableUploadsByKey  bucket \x00 key \x00 uploadID -> empty (listing index)
//	tableParts         uploadID \x00 %05d            -> partRecord
//
// Upload IDs begin with the sequence number of their creation in an
// order-preserving alphabet, so the index lists the uploads of a key in
// initiation order, which is also the lexicographic order of their IDs
// that ListMultipartUploads documents for upload-id-marker.
const tableUploadsByKey = "s3.uploads.bykey"

const (
	maxPartNumber      = 10000
	defaultMinPartSize = 5 << 20 // every part but the last
	maxListParts       = 1000
	maxListUploads     = 1000
)

// uploadRecord is an upload in progress.
type uploadRecord struct {
	ID        string    `json:"id"`
	Bucket    string    `json:"bucket"`
	Initiated time.Time `json:"init"`
	// ChecksumAlgorithm and ChecksumType are the checksum mode chosen at
	// creation ("" when none).
	ChecksumAlgorithm string `json:"cka,omitempty"`
	ChecksumType      string `json:"ckt,omitempty"`
	// Object holds what the completed object takes from the creation
	// request: key, owner, content headers, metadata, tags, ACL, storage
	// class, encryption and Object Lock settings.
	Object objectRecord `json:"obj"`
}

// partRecord is one uploaded part.
type partRecord struct {
	Number   int32             `json:"n"`
	ETag     string            `json:"e"` // quoted
	Size     int64             `json:"s"`
	Blob     string            `json:"b"`
	Modified time.Time         `json:"m"`
	Checksum map[string]string `json:"c,omitempty"` // algorithm -> wire value
}

// uploadIDEncoding is base64 with an alphabet in ASCII order, so that IDs
// of equal length sort as the bytes they encode. Its characters are all
// unreserved in URLs, and no ID begins with '-' (which command lines would
// take for an option).
var uploadIDEncoding = base64.NewEncoding("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~").WithPadding(base64.NoPadding)

// newUploadID returns an opaque, unguessable upload ID: the creation
// sequence number (for ordering) and 128 random bits.
func newUploadID(seq uint64) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], seq)
	_, _ = rand.Read(b[8:])
	return uploadIDEncoding.EncodeToString(b[:])
}

func uploadKey(bucket, uploadID string) []byte {
	return append(bucketPrefix(bucket), uploadID...)
}

func uploadIndexKey(bucket, key, uploadID string) []byte {
	return append(keyPrefix(bucket, key), uploadID...)
}

func partKey(uploadID string, n int32) []byte {
	return fmt.Appendf(nil, "%s\x00%05d", uploadID, n)
}

func partsPrefix(uploadID string) []byte {
	return append([]byte(uploadID), 0)
}

func noSuchUpload(uploadID string) error {
	return errNoSuchUpload.New("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").
		WithDetail(map[string]string{"UploadId": uploadID})
}

// loadUpload returns the upload uploadID of key in bucket, or NoSuchUpload.
func loadUpload(tx storage.Tx, bucket, key, uploadID string) (*uploadRecord, error) {
	var up uploadRecord
	if uploadID == "" {
		return nil, noSuchUpload(uploadID)
	}
	if err := getJSON(tx, tableUploads, uploadKey(bucket, uploadID), &up); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, noSuchUpload(uploadID)
		}
		return nil, err
	}
	if up.Object.Key != key {
		return nil, noSuchUpload(uploadID)
	}
	return &up, nil
}

// scanParts returns the parts of an upload in part-number order, starting
// after part number after, at most limit of them (limit < 0: all).
func scanParts(tx storage.Tx, uploadID string, after int32, limit int) ([]partRecord, error) {
	var parts []partRecord
	var derr error
	r := storage.Range{Prefix: partsPrefix(uploadID)}
	if after > 0 {
		r.After = partKey(uploadID, after)
	}
	err := tx.Scan(tableParts, r, func(_, v []byte) bool {
		if limit >= 0 && len(parts) == limit {
			return false
		}
		var p partRecord
		if derr = json.Unmarshal(v, &p); derr != nil {
			return false
		}
		parts = append(parts, p)
		return true
	})
	if err == nil {
		err = derr
	}
	return parts, err
}

// abortUpload removes an upload and its parts and returns the part blobs,
// which the caller releases once the transaction committed. Lifecycle's
// AbortIncompleteMultipartUpload uses it as well.
func abortUpload(tx storage.Tx, bucket, uploadID string) ([]segment, error) {
	var up uploadRecord
	if err := getJSON(tx, tableUploads, uploadKey(bucket, uploadID), &up); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, noSuchUpload(uploadID)
		}
		return nil, err
	}
	parts, err := scanParts(tx, uploadID, 0, -1)
	if err != nil {
		return nil, err
	}
	segs := make([]segment, 0, len(parts))
	for _, p := range parts {
		if err := tx.Delete(tableParts, partKey(uploadID, p.Number)); err != nil {
			return nil, err
		}
		segs = append(segs, segment{Blob: p.Blob, Size: p.Size})
	}
	if err := tx.Delete(tableUploadsByKey, uploadIndexKey(bucket, up.Object.Key, uploadID)); err != nil {
		return nil, err
	}
	return segs, tx.Delete(tableUploads, uploadKey(bucket, uploadID))
}

// abortBucketUploads removes every upload of a bucket (when the bucket is
// deleted) and returns the part blobs to release after commit.
func abortBucketUploads(tx storage.Tx, bucket string) ([]segment, error) {
	var ids []string
	if err := tx.Scan(tableUploads, storage.Range{Prefix: bucketPrefix(bucket)}, func(k, _ []byte) bool {
		ids = append(ids, string(k[len(bucket)+1:]))
		return true
	}); err != nil {
		return nil, err
	}
	var segs []segment
	for _, id := range ids {
		s, err := abortUpload(tx, bucket, id)
		if err != nil {
			return nil, err
		}
		segs = append(segs, s...)
	}
	return segs, nil
}

// uploadChecksumMode validates the checksum algorithm and type of a
// CreateMultipartUpload: CRC64NVME is FULL_OBJECT only, SHA1 and SHA256
// COMPOSITE only, CRC32 and CRC32C either (COMPOSITE by default).
func uploadChecksumMode(algoIn, typeIn *string) (algo, typ string, err error) {
	algo, typ = strings.ToUpper(deref(algoIn)), strings.ToUpper(deref(typeIn))
	var a checksum.Algorithm
	if algo != "" {
		var ok bool
		if a, ok = checksum.Parse(algo); !ok || a == checksum.MD5 {
			return "", "", errInvalidRequest.New("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
	}
	if typ != "" && algo == "" {
		return "", "", errInvalidRequest.New("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	}
	if algo == "" {
		return "", "", nil
	}
	switch typ {
	case "":
		typ = "COMPOSITE"
		if a == checksum.CRC64NVME {
			typ = "FULL_OBJECT"
		}
	case "COMPOSITE", "FULL_OBJECT":
	default:
		return "", "", errInvalidRequest.New("Value for x-amz-checksum-type header is invalid.")
	}
	if typ == "FULL_OBJECT" && !a.IsCRC() || typ == "COMPOSITE" && a == checksum.CRC64NVME {
		return "", "", errInvalidRequest.Newf("The %s checksum type cannot be used with the %s checksum algorithm.", typ, strings.ToLower(algo))
	}
	return algo, typ, nil
}

// uploadAbortRule finds the bucket lifecycle rule that will abort an
// upload (AbortIncompleteMultipartUpload), for the x-amz-abort-date and
// x-amz-abort-rule-id headers; nil when none applies.
func uploadAbortRule(b *bucketRecord, up *uploadRecord) (date *time.Time, ruleID *string) {
	for _, r := range enabledRules(b) {
		a := r.AbortIncompleteMultipartUpload
		if a == nil || a.DaysAfterInitiation == nil || !strings.HasPrefix(up.Object.Key, rulePrefix(r)) {
			continue
		}
		if due := lifecycleDue(up.Initiated, *a.DaysAfterInitiation); date == nil || due.Before(*date) {
			date, ruleID = &due, r.ID
		}
	}
	return date, ruleID
}

func (s *Service) CreateMultipartUpload(ctx context.Context, in *s3api.CreateMultipartUploadInput) (*s3api.CreateMultipartUploadOutput, error) {
	info := request.FromContext(ctx)
	bucketName, key := deref(in.Bucket), deref(in.Key)
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if sc := deref(in.StorageClass); sc != "" && !storageClasses[sc] {
		return nil, errInvalidStorageClass.New("The storage class you specified is not valid").WithDetail(map[string]string{"StorageClassRequested": sc})
	}
	tags, err := parseTagging(in.Tagging)
	if err != nil {
		return nil, err
	}
	acl, err := aclFromRequest(info.Account, in.ACL, grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, nil, in.GrantWriteACP}, objectCannedACLs)
	if err != nil {
		return nil, err
	}
	algo, typ, err := uploadChecksumMode(in.ChecksumAlgorithm, in.ChecksumType)
	if err != nil {
		return nil, err
	}
	seq, now := s.clock.next()
	id := newUploadID(seq)
	up := &uploadRecord{
		ID: id, Bucket: bucketName, Initiated: now.UTC().Truncate(time.Millisecond),
		ChecksumAlgorithm: algo, ChecksumType: typ,
		Object: objectRecord{
			Key: key, Owner: info.Account,
			ContentType: deref(in.ContentType), CacheControl: deref(in.CacheControl),
			ContentDisposition: deref(in.ContentDisposition), ContentEncoding: deref(in.ContentEncoding),
			ContentLanguage: deref(in.ContentLanguage), Expires: deref(in.Expires),
			WebsiteRedirect: deref(in.WebsiteRedirectLocation), Metadata: in.Metadata,
			StorageClass: deref(in.StorageClass), Tags: tags, ACL: acl,
			SSEKMSKeyID: deref(in.SSEKMSKeyId), BucketKey: deref(in.BucketKeyEnabled),
			SSECustAlgo: deref(in.SSECustomerAlgorithm), SSECustKeyMD5: deref(in.SSECustomerKeyMD5),
			LockMode: deref(in.ObjectLockMode), LegalHold: deref(in.ObjectLockLegalHoldStatus),
		},
	}
	if in.ObjectLockRetainUntilDate != nil {
		up.Object.LockRetainUntil = in.ObjectLockRetainUntilDate.UTC()
	}
	var abortDate *time.Time
	var abortRule *string
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		b, err := s.ownedBucket(tx, bucketName, in.ExpectedBucketOwner)
		if err != nil {
			return err
		}
		abortDate, abortRule = uploadAbortRule(b, up)
		if err := applyEncryptionDefaults(b, &up.Object, in.ServerSideEncryption); err != nil {
			return err
		}
		// Object Lock settings are checked now; the bucket's default
		// retention applies when the object comes into being.
		probe := up.Object
		probe.LastModified = up.Initiated
		if err := applyLockDefaults(b, &probe); err != nil {
			return err
		}
		if err := putJSON(tx, tableUploads, uploadKey(bucketName, id), up); err != nil {
			return err
		}
		return tx.Put(tableUploadsByKey, uploadIndexKey(bucketName, key, id), []byte{})
	})
	if err != nil {
		return nil, err
	}
	out := &s3api.CreateMultipartUploadOutput{
		Bucket: &bucketName, Key: &key, UploadId: &id,
		ChecksumAlgorithm: nonEmpty(algo), ChecksumType: nonEmpty(typ),
		AbortDate: abortDate, AbortRuleId: abortRule,
	}
	setSSEOutput(&up.Object, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	if out.SSEKMSKeyId != nil {
		out.SSEKMSEncryptionContext = in.SSEKMSEncryptionContext
	}
	return out, nil
}

// checkPartNumber validates the partNumber of UploadPart and
// UploadPartCopy.
func checkPartNumber(pn *int32) (int32, error) {
	if pn == nil || *pn < 1 || *pn > maxPartNumber {
		v := ""
		if pn != nil {
			v = strconv.Itoa(int(*pn))
		}
		return 0, errInvalidArgument.New("Part number must be an integer between 1 and 10000, inclusive").
			WithDetail(map[string]string{"ArgumentName": "partNumber", "ArgumentValue": v})
	}
	return *pn, nil
}

// checkPartSSECustomer makes the parts of an SSE-C upload carry the key
// the upload was created with.
func checkPartSSECustomer(up *uploadRecord, algo, keyMD5 *string) error {
	if up.Object.SSECustAlgo == "" {
		return nil
	}
	if algo == nil {
		return errInvalidRequest.New("The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
	}
	if up.Object.SSECustKeyMD5 != "" && deref(keyMD5) != up.Object.SSECustKeyMD5 {
		return errInvalidArgument.New("The provided encryption parameters did not match the ones used originally.")
	}
	return nil
}

// checkPartChecksum makes a part's flexible checksum agree with the
// upload's checksum mode. A COMPOSITE upload needs each part's checksum;
// a FULL_OBJECT one computes it when the part comes without. An upload
// without a mode accepts any checksum, verifies and keeps it.
func checkPartChecksum(up *uploadRecord, algo string) error {
	if up.ChecksumAlgorithm == "" || algo == up.ChecksumAlgorithm || algo == "" && up.ChecksumType == "FULL_OBJECT" {
		return nil
	}
	actual := "null"
	if algo != "" {
		actual = strings.ToLower(algo)
	}
	return errInvalidRequest.Newf("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s", strings.ToLower(up.ChecksumAlgorithm), actual)
}

// partRequest names the upload an UploadPart or UploadPartCopy adds to.
type partRequest struct {
	Bucket, Key, UploadID string
	PartNumber            *int32
	ExpectedOwner         *string
	// SSECustomerAlgorithm and SSECustomerKeyMD5 must repeat the SSE-C key
	// the upload was created with.
	SSECustomerAlgorithm, SSECustomerKeyMD5 *string
}

// openPartUpload checks a part request (part number, bucket owner, SSE-C
// key) and returns its part number and upload.
func (s *Service) openPartUpload(ctx context.Context, r partRequest) (int32, *uploadRecord, error) {
	pn, err := checkPartNumber(r.PartNumber)
	if err != nil {
		return 0, nil, err
	}
	var up *uploadRecord
	err = s.db.View(ctx, func(tx storage.Tx) error {
		_, err := s.ownedBucket(tx, r.Bucket, r.ExpectedOwner)
		if err != nil {
			return err
		}
		up, err = loadUpload(tx, r.Bucket, r.Key, r.UploadID)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	if err := checkPartSSECustomer(up, r.SSECustomerAlgorithm, r.SSECustomerKeyMD5); err != nil {
		return 0, nil, err
	}
	return pn, up, nil
}

// partChecksumAlgorithms returns the checksums to compute over a part's
// bytes: the upload's own algorithm when it has a checksum mode, else the
// ones the request asked for.
func (up *uploadRecord) partChecksumAlgorithms(requested []string) []string {
	if up.ChecksumAlgorithm != "" {
		return []string{up.ChecksumAlgorithm}
	}
	return requested
}

// storePart records a received part as part pn of the upload, with sums
// as its checksums (only the upload's own when it has a checksum mode),
// and releases the blob of an earlier upload of the same part number. The
// caller still owns body's blob when storePart fails.
func (s *Service) storePart(ctx context.Context, r partRequest, up *uploadRecord, pn int32, body *received, sums map[string]string) (*partRecord, error) {
	if up.ChecksumAlgorithm != "" {
		sums = map[string]string{up.ChecksumAlgorithm: body.sums[up.ChecksumAlgorithm]}
	}
	part := &partRecord{Number: pn, ETag: etagOf(body.md5), Size: body.seg.Size, Blob: body.seg.Blob, Modified: s.now().UTC().Truncate(time.Millisecond), Checksum: sums}
	var replaced *segment
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		if _, err := s.bucket(tx, r.Bucket); err != nil {
			return err
		}
		if _, err := loadUpload(tx, r.Bucket, r.Key, r.UploadID); err != nil {
			return err
		}
		var old partRecord
		err := getJSON(tx, tableParts, partKey(r.UploadID, pn), &old)
		switch {
		case err == nil:
			replaced = &segment{Blob: old.Blob, Size: old.Size}
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
		return putJSON(tx, tableParts, partKey(r.UploadID, pn), part)
	})
	if err != nil {
		return nil, err
	}
	if replaced != nil {
		s.releaseBlobs([]segment{*replaced})
	}
	return part, nil
}

func (s *Service) UploadPart(ctx context.Context, in *s3api.UploadPartInput) (*s3api.UploadPartOutput, error) {
	r := partRequest{
		Bucket: deref(in.Bucket), Key: deref(in.Key), UploadID: deref(in.UploadId), PartNumber: in.PartNumber,
		ExpectedOwner: in.ExpectedBucketOwner, SSECustomerAlgorithm: in.SSECustomerAlgorithm, SSECustomerKeyMD5: in.SSECustomerKeyMD5,
	}
	pn, up, err := s.openPartUpload(ctx, r)
	if err != nil {
		return nil, err
	}
	want, err := requestedChecksums(ctx, in.ChecksumAlgorithm, checksumHeaders{
		"CRC32": in.ChecksumCRC32, "CRC32C": in.ChecksumCRC32C, "CRC64NVME": in.ChecksumCRC64NVME,
		"SHA1": in.ChecksumSHA1, "SHA256": in.ChecksumSHA256,
	})
	if err != nil {
		return nil, err
	}
	if err := checkPartChecksum(up, want.algo); err != nil {
		return nil, err
	}
	size := int64(-1)
	if in.ContentLength != nil {
		size = *in.ContentLength
	}
	body, err := s.receiveBody(in.Body, size, up.partChecksumAlgorithms(want.algorithms()))
	if err != nil {
		return nil, err
	}
	stored := false
	defer func() {
		if !stored {
			s.releaseBlobs([]segment{body.seg})
		}
	}()
	if err := checkContentMD5(in.ContentMD5, body.md5); err != nil {
		return nil, err
	}
	sums, err := want.verify(ctx, body.sums)
	if err != nil {
		return nil, err
	}
	part, err := s.storePart(ctx, r, up, pn, body, sums)
	if err != nil {
		return nil, err
	}
	stored = true
	out := &s3api.UploadPartOutput{ETag: &part.ETag}
	setSSEOutput(&up.Object, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	setChecksumOutput(part.Checksum, "", checksumOutputs{
		"CRC32": &out.ChecksumCRC32, "CRC32C": &out.ChecksumCRC32C, "CRC64NVME": &out.ChecksumCRC64NVME,
		"SHA1": &out.ChecksumSHA1, "SHA256": &out.ChecksumSHA256,
	}, nil)
	return out, nil
}

func (s *Service) UploadPartCopy(ctx context.Context, in *s3api.UploadPartCopyInput) (*s3api.UploadPartCopyOutput, error) {
	r := partRequest{
		Bucket: deref(in.Bucket), Key: deref(in.Key), UploadID: deref(in.UploadId), PartNumber: in.PartNumber,
		ExpectedOwner: in.ExpectedBucketOwner, SSECustomerAlgorithm: in.SSECustomerAlgorithm, SSECustomerKeyMD5: in.SSECustomerKeyMD5,
	}
	pn, up, err := s.openPartUpload(ctx, r)
	if err != nil {
		return nil, err
	}
	src, err := s.loadCopySource(ctx, copySourceRequest{
		Header: deref(in.CopySource), ExpectedOwner: in.ExpectedSourceBucketOwner,
		SSECustomerAlgorithm: in.CopySourceSSECustomerAlgorithm, SSECustomerKeyMD5: in.CopySourceSSECustomerKeyMD5,
		Conditions: copyConditions{
			IfMatch: in.CopySourceIfMatch, IfNoneMatch: in.CopySourceIfNoneMatch,
			IfModifiedSince: in.CopySourceIfModifiedSince, IfUnmodifiedSince: in.CopySourceIfUnmodifiedSince,
		},
	})
	if err != nil {
		return nil, err
	}
	rd, rng, err := s.copySourceReader(src.Rec, in.CopySourceRange)
	if err != nil {
		return nil, err
	}
	// A part is its own blob: the source may be deleted before the upload
	// completes, so its bytes are copied, streamed.
	body, err := s.receiveBody(rd, rng.end-rng.start+1, up.partChecksumAlgorithms(nil))
	_ = rd.Close()
	if err != nil {
		return nil, err
	}
	part, err := s.storePart(ctx, r, up, pn, body, nil)
	if err != nil {
		s.releaseBlobs([]segment{body.seg})
		return nil, err
	}
	res := &s3api.CopyPartResult{ETag: &part.ETag, LastModified: ptr(part.Modified)}
	setChecksumOutput(part.Checksum, "", checksumOutputs{
		"CRC32": &res.ChecksumCRC32, "CRC32C": &res.ChecksumCRC32C, "CRC64NVME": &res.ChecksumCRC64NVME,
		"SHA1": &res.ChecksumSHA1, "SHA256": &res.ChecksumSHA256,
	}, nil)
	out := &s3api.UploadPartCopyOutput{CopyPartResult: res, CopySourceVersionId: src.VersionHeader()}
	setSSEOutput(&up.Object, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	return out, nil
}

func (s *Service) AbortMultipartUpload(ctx context.Context, in *s3api.AbortMultipartUploadInput) (*s3api.AbortMultipartUploadOutput, error) {
	bucketName, key, uploadID := deref(in.Bucket), deref(in.Key), deref(in.UploadId)
	var released []segment
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		_, err := s.ownedBucket(tx, bucketName, in.ExpectedBucketOwner)
		if err != nil {
			return err
		}
		up, err := loadUpload(tx, bucketName, key, uploadID)
		if err != nil {
			return err
		}
		if t := in.IfMatchInitiatedTime; t != nil && !t.Equal(up.Initiated.Truncate(time.Second)) {
			return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").WithDetail(map[string]string{"Condition": "x-amz-if-match-initiated-time"})
		}
		released, err = abortUpload(tx, bucketName, uploadID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.releaseBlobs(released)
	return &s3api.AbortMultipartUploadOutput{}, nil
}
