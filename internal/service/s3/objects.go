package s3

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// maxKeyLength is the longest object key S3 accepts, in bytes.
const maxKeyLength = 1024

var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "OUTPOSTS": true,
	"GLACIER_IR": true, "SNOW": true, "EXPRESS_ONEZONE": true, "FSX_OPENZFS": true,
}

func checkKey(key string) error {
	if len(key) > maxKeyLength {
		return errKeyTooLong.New("Your key is too long").WithDetail(map[string]string{"Size": strconv.Itoa(len(key)), "MaxSizeAllowed": strconv.Itoa(maxKeyLength)})
	}
	if key == "" {
		return errInvalidArgument.New("Key must not be empty")
	}
	return nil
}

// parseTagging reads the x-amz-tagging header: URL query encoding.
func parseTagging(h *string) ([]s3api.Tag, error) {
	if h == nil || *h == "" {
		return nil, nil
	}
	vals, err := url.ParseQuery(*h)
	if err != nil {
		return nil, errInvalidArgument.New("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	var tags []s3api.Tag
	for k, vs := range vals {
		if len(vs) > 1 {
			return nil, errInvalidArgument.New("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
		}
		tags = append(tags, s3api.Tag{Key: ptr(k), Value: ptr(vs[0])})
	}
	if err := validateTags(tags, maxObjectTags); err != nil {
		return nil, err
	}
	sortTags(tags)
	return tags, nil
}

// putVersion stores rec as the newest version of its key, following the
// bucket's versioning state, and returns the bodies of versions it
// replaced.
func (s *Service) putVersion(tx storage.Tx, b *bucketRecord, rec *objectRecord) ([]segment, error) {
	var released []segment
	if b.Versioning == "Enabled" {
		rec.VersionID = newVersionID(rec.Seq)
	} else {
		rec.VersionID = "null"
		old, err := findNullVersion(tx, b.Name, rec.Key)
		if err != nil {
			return nil, err
		}
		if old != nil {
			if err := tx.Delete(tableObjects, objectKey(b.Name, old.Key, old.Seq)); err != nil {
				return nil, err
			}
			released = old.Segments
		}
	}
	return released, putObjectRow(tx, b.Name, rec)
}

// bucketForNewVersion loads the bucket that PutObject or CopyObject writes
// rec into, gives rec the bucket's default encryption (unless sse names
// one) and Object Lock retention, and applies the write's If-Match and
// If-None-Match to the key's current version.
func (s *Service) bucketForNewVersion(tx storage.Tx, bucketName string, rec *objectRecord, sse, ifMatch, ifNoneMatch *string) (*bucketRecord, error) {
	b, err := s.bucket(tx, bucketName)
	if err != nil {
		return nil, err
	}
	if err := applyEncryptionDefaults(b, rec, sse); err != nil {
		return nil, err
	}
	if err := applyLockDefaults(b, rec); err != nil {
		return nil, err
	}
	if ifMatch != nil || ifNoneMatch != nil {
		cur, err := latest(tx, bucketName, rec.Key)
		if err != nil {
			return nil, err
		}
		if err := checkWritePreconditions(cur, ifMatch, ifNoneMatch); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// checkWritePreconditions applies If-Match / If-None-Match of a write to
// the current version of a key (conditional writes).
func checkWritePreconditions(cur *objectRecord, ifMatch, ifNoneMatch *string) error {
	exists := cur != nil && !cur.DeleteMarker
	if ifNoneMatch != nil {
		if *ifNoneMatch != "*" {
			return errNotImplementedHeader("If-None-Match")
		}
		if exists {
			return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").WithDetail(map[string]string{"Condition": "If-None-Match"})
		}
	}
	if ifMatch != nil {
		if !exists {
			return noSuchKey(deref(keyOf(cur)))
		}
		if !etagMatches(*ifMatch, cur.ETag) {
			return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").WithDetail(map[string]string{"Condition": "If-Match"})
		}
	}
	return nil
}

func keyOf(r *objectRecord) *string {
	if r == nil {
		return nil
	}
	return &r.Key
}

func errNotImplementedHeader(h string) error {
	return s3NotImplemented.New("A header you provided implies functionality that is not implemented").WithDetail(map[string]string{"Header": h})
}

// etagMatches compares an If-Match / If-None-Match list with an ETag.
func etagMatches(list, etag string) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "*" || strings.Trim(e, `"`) == strings.Trim(etag, `"`) {
			return true
		}
	}
	return false
}

func (s *Service) PutObject(ctx context.Context, in *s3api.PutObjectInput) (*s3api.PutObjectOutput, error) {
	return s.putObject(ctx, in, nil)
}

// putObject stores an object as PutObject does. formTags, when not nil,
// are the tags of a form upload (its tagging field, already validated),
// used instead of the x-amz-tagging header.
func (s *Service) putObject(ctx context.Context, in *s3api.PutObjectInput, formTags []s3api.Tag) (*s3api.PutObjectOutput, error) {
	info := request.FromContext(ctx)
	bucketName, key := deref(in.Bucket), deref(in.Key)
	if err := checkKey(key); err != nil {
		return nil, err
	}
	grants := grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, nil, in.GrantWriteACP}
	if in.ACL != nil || grants.any() {
		// Object Ownership may have turned ACLs off; only a request that
		// sets one needs the bucket's record this early.
		b, err := s.viewBucket(ctx, bucketName)
		if err != nil {
			return nil, err
		}
		if err := checkACLsEnabled(b, in.ACL, grants, nil); err != nil {
			return nil, err
		}
	}
	// Fail before reading a body into a missing bucket; the commit below
	// checks again.
	if err := s.bucketExists(ctx, bucketName); err != nil {
		return nil, err
	}
	if sc := deref(in.StorageClass); sc != "" && !storageClasses[sc] {
		return nil, errInvalidStorageClass.New("The storage class you specified is not valid").WithDetail(map[string]string{"StorageClassRequested": sc})
	}
	tags := formTags
	if tags == nil {
		var err error
		if tags, err = parseTagging(in.Tagging); err != nil {
			return nil, err
		}
	}
	// Without ACL headers the ACL is the owner's private one, which stored
	// rows leave out (isPrivateACL): nil says the same without building it.
	var acl *s3api.AccessControlPolicy
	if in.ACL != nil || grants.any() || info.Account == "" {
		var err error
		if acl, err = aclFromRequest(info.Account, in.ACL, grants, objectCannedACLs); err != nil {
			return nil, err
		}
	}
	want, err := requestedChecksums(ctx, in.ChecksumAlgorithm, checksumHeaders{
		"CRC32": in.ChecksumCRC32, "CRC32C": in.ChecksumCRC32C, "CRC64NVME": in.ChecksumCRC64NVME,
		"SHA1": in.ChecksumSHA1, "SHA256": in.ChecksumSHA256,
	})
	if err != nil {
		return nil, err
	}
	size := int64(-1)
	if in.ContentLength != nil {
		size = *in.ContentLength
	}
	body, err := s.receiveSmallBody(in.Body, size, want.algorithms())
	if err != nil {
		return nil, err
	}
	defer body.done()
	ok := false
	defer func() {
		if !ok && !body.seg.Inline {
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
	seq, now := s.clock.next()
	rec := &objectRecord{
		Key: key, Seq: seq, LastModified: now.UTC().Truncate(time.Millisecond), Owner: info.Account,
		Size: body.seg.Size, ETag: etagOf(body.md5), Segments: []segment{body.seg},
		ContentType: deref(in.ContentType), CacheControl: deref(in.CacheControl),
		ContentDisposition: deref(in.ContentDisposition), ContentEncoding: deref(in.ContentEncoding),
		ContentLanguage: deref(in.ContentLanguage), WebsiteRedirect: deref(in.WebsiteRedirectLocation),
		Metadata: in.Metadata, StorageClass: deref(in.StorageClass), Tags: tags, ACL: acl,
		Checksum: sums, SSEKMSKeyID: deref(in.SSEKMSKeyId), BucketKey: deref(in.BucketKeyEnabled),
		SSECustAlgo: deref(in.SSECustomerAlgorithm), SSECustKeyMD5: deref(in.SSECustomerKeyMD5),
		LockMode: deref(in.ObjectLockMode), LegalHold: deref(in.ObjectLockLegalHoldStatus),
	}
	if len(sums) > 0 {
		rec.ChecksumType = "FULL_OBJECT"
	}
	rec.Expires = deref(in.Expires)
	if in.ObjectLockRetainUntilDate != nil {
		rec.LockRetainUntil = in.ObjectLockRetainUntilDate.UTC()
	}
	var released []segment
	var b *bucketRecord
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = s.bucketForNewVersion(tx, bucketName, rec, in.ServerSideEncryption, in.IfMatch, in.IfNoneMatch); err != nil {
			return err
		}
		if err := storeInline(tx, body); err != nil {
			return err
		}
		released, err = s.putVersion(tx, b, rec)
		return s.notifyCreated(ctx, tx, b, eventPut, rec, err)
	})
	if err != nil {
		return nil, err
	}
	ok = true
	s.releaseBlobs(released)
	out := &s3api.PutObjectOutput{ETag: &rec.ETag}
	out.Expiration = nonEmpty(expirationHeader(b, rec))
	if b.Versioning != "" {
		out.VersionId = &rec.VersionID
	}
	setSSEOutput(rec, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	setChecksumOutput(rec.Checksum, rec.ChecksumType, checksumOutputs{
		"CRC32": &out.ChecksumCRC32, "CRC32C": &out.ChecksumCRC32C, "CRC64NVME": &out.ChecksumCRC64NVME,
		"SHA1": &out.ChecksumSHA1, "SHA256": &out.ChecksumSHA256,
	}, &out.ChecksumType)
	return out, nil
}

// readTarget finds the version a GET or HEAD reads, with S3's errors for
// missing keys, versions and delete markers.
func (s *Service) readTarget(ctx context.Context, bucketName, key string, versionID *string) (*bucketRecord, *objectRecord, error) {
	b, rec, _, err := s.readTargetBody(ctx, bucketName, key, versionID, false)
	return b, rec, err
}

// readTargetBody is readTarget that, with withInline, also returns the body
// of an object kept inline, read in the same transaction as its record.
func (s *Service) readTargetBody(ctx context.Context, bucketName, key string, versionID *string, withInline bool) (*bucketRecord, *objectRecord, []byte, error) {
	var b *bucketRecord
	var rec *objectRecord
	var inline []byte
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = s.bucket(tx, bucketName); err != nil {
			return err
		}
		if versionID != nil {
			if *versionID != "null" {
				if _, ok := seqFromVersionID(*versionID); !ok {
					return errInvalidArgument.New("Invalid version id specified").WithDetail(map[string]string{"ArgumentName": "versionId", "ArgumentValue": *versionID})
				}
			}
			rec, err = version(tx, bucketName, key, *versionID)
		} else {
			rec, err = latest(tx, bucketName, key)
		}
		if err == nil && withInline && rec != nil && len(rec.Segments) == 1 && rec.Segments[0].Inline {
			inline, err = readInline(tx, rec.Segments[0])
		}
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	switch {
	case rec == nil && versionID != nil:
		return nil, nil, nil, errNoSuchVersion.New("The specified version does not exist.").WithDetail(map[string]string{"Key": key, "VersionId": *versionID})
	case rec == nil:
		return nil, nil, nil, noSuchKey(key)
	case rec.DeleteMarker && versionID != nil:
		return nil, nil, nil, errMethodNotAllowed.New("The specified method is not allowed against this resource.").
			WithDetail(map[string]string{"Method": "GET", "ResourceType": "DeleteMarker"}).
			WithHeader("x-amz-delete-marker", "true").WithHeader("x-amz-version-id", rec.VersionID).
			WithHeader("Last-Modified", httpDate(rec.LastModified))
	case rec.DeleteMarker:
		return nil, nil, nil, errNoSuchKey.New("The specified key does not exist.").WithDetail(map[string]string{"Key": key}).
			WithHeader("x-amz-delete-marker", "true").WithHeader("x-amz-version-id", rec.VersionID)
	}
	return b, rec, inline, nil
}

func httpDate(t time.Time) string { return t.UTC().Format(http1123) }

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

// checkReadPreconditions applies the conditional headers of a GET or HEAD
// (RFC 7232 precedence, as S3 documents it).
func checkReadPreconditions(rec *objectRecord, ifMatch *string, ifUnmodified *time.Time, ifNoneMatch *string, ifModified *time.Time) error {
	mod := rec.LastModified.Truncate(time.Second)
	if ifMatch != nil {
		if !etagMatches(*ifMatch, rec.ETag) {
			return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").WithDetail(map[string]string{"Condition": "If-Match"})
		}
	} else if ifUnmodified != nil && mod.After(*ifUnmodified) {
		return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").WithDetail(map[string]string{"Condition": "If-Unmodified-Since"})
	}
	notModified := func() error {
		return errNotModified.New("Not Modified").WithHeader("ETag", rec.ETag).WithHeader("Last-Modified", httpDate(rec.LastModified))
	}
	if ifNoneMatch != nil {
		if etagMatches(*ifNoneMatch, rec.ETag) {
			return notModified()
		}
	} else if ifModified != nil && !mod.After(*ifModified) {
		return notModified()
	}
	return nil
}

// byteRange is an inclusive range of an object.
type byteRange struct{ start, end int64 }

// parseRange reads a Range header against an object of size bytes. ok is
// false when the header is absent or not a single byte range (S3 then
// serves the whole object); an unsatisfiable range is InvalidRange.
func parseRange(h string, size int64) (r byteRange, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return r, false, nil
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return r, false, nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	invalid := func() error {
		return errInvalidRange.New("The requested range is not satisfiable").WithDetail(map[string]string{"RangeRequested": h, "ActualObjectSize": strconv.FormatInt(size, 10)})
	}
	switch {
	case first == "" && last == "":
		return r, false, nil
	case first == "":
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return r, false, nil
		}
		if n == 0 || size == 0 {
			return r, false, invalid()
		}
		return byteRange{max(size-n, 0), size - 1}, true, nil
	default:
		a, perr := strconv.ParseInt(first, 10, 64)
		if perr != nil || a < 0 {
			return r, false, nil
		}
		b := size - 1
		if last != "" {
			if b2, perr := strconv.ParseInt(last, 10, 64); perr != nil || b2 < a {
				return r, false, nil
			} else if b2 < b {
				b = b2
			}
		}
		if a >= size {
			return r, false, invalid()
		}
		return byteRange{a, b}, true, nil
	}
}

// objectRead is the part of an object a GET or HEAD returns.
type objectRead struct {
	off, n  int64
	partial bool   // 206
	crange  string // Content-Range
	parts   int32  // x-amz-mp-parts-count
	part    int    // the part a partNumber read returns (1-based), or 0
}

func selectRead(rec *objectRecord, rangeHeader *string, partNumber *int32) (objectRead, error) {
	rd := objectRead{n: rec.Size}
	if partNumber != nil {
		pn := *partNumber
		if rangeHeader != nil {
			return rd, errInvalidRequest.New("Cannot specify both Range header and partNumber query parameter")
		}
		if pn < 1 || pn > 10000 {
			return rd, errInvalidArgument.New("Part number must be an integer between 1 and 10000, inclusive").WithDetail(map[string]string{"ArgumentName": "partNumber", "ArgumentValue": strconv.Itoa(int(pn))})
		}
		if len(rec.Parts) == 0 {
			if pn != 1 {
				return rd, errInvalidPartNumber.New("The requested partnumber is not satisfiable").WithDetail(map[string]string{"PartNumberRequested": strconv.Itoa(int(pn)), "ActualPartCount": "1"})
			}
			return rd, nil
		}
		if int(pn) > len(rec.Parts) {
			return rd, errInvalidPartNumber.New("The requested partnumber is not satisfiable").WithDetail(map[string]string{"PartNumberRequested": strconv.Itoa(int(pn)), "ActualPartCount": strconv.Itoa(len(rec.Parts))})
		}
		for i := 0; i < int(pn)-1; i++ {
			rd.off += rec.Parts[i].Size
		}
		rd.n = rec.Parts[pn-1].Size
		rd.part = int(pn)
		rd.partial = true
		rd.parts = int32(len(rec.Parts))
		rd.crange = "bytes " + strconv.FormatInt(rd.off, 10) + "-" + strconv.FormatInt(rd.off+rd.n-1, 10) + "/" + strconv.FormatInt(rec.Size, 10)
		return rd, nil
	}
	if rangeHeader != nil {
		r, ok, err := parseRange(*rangeHeader, rec.Size)
		if err != nil {
			return rd, err
		}
		if ok {
			rd.off, rd.n, rd.partial = r.start, r.end-r.start+1, true
			rd.crange = "bytes " + strconv.FormatInt(r.start, 10) + "-" + strconv.FormatInt(r.end, 10) + "/" + strconv.FormatInt(rec.Size, 10)
		}
	}
	return rd, nil
}

func (s *Service) GetObject(ctx context.Context, in *s3api.GetObjectInput) (*s3api.GetObjectOutput, error) {
	return s.getObject(ctx, in, true)
}

// HeadObject answers the headers GetObject would, but for the tag count,
// which Nimbus sends on a GET only.
func (s *Service) HeadObject(ctx context.Context, in *s3api.HeadObjectInput) (*s3api.HeadObjectOutput, error) {
	g, err := s.getObject(ctx, &s3api.GetObjectInput{
		Bucket: in.Bucket, Key: in.Key, VersionId: in.VersionId, PartNumber: in.PartNumber, Range: in.Range,
		ChecksumMode: in.ChecksumMode, ExpectedBucketOwner: in.ExpectedBucketOwner, RequestPayer: in.RequestPayer,
		IfMatch: in.IfMatch, IfModifiedSince: in.IfModifiedSince, IfNoneMatch: in.IfNoneMatch, IfUnmodifiedSince: in.IfUnmodifiedSince,
		SSECustomerAlgorithm: in.SSECustomerAlgorithm, SSECustomerKey: in.SSECustomerKey, SSECustomerKeyMD5: in.SSECustomerKeyMD5,
		ResponseCacheControl: in.ResponseCacheControl, ResponseContentDisposition: in.ResponseContentDisposition,
		ResponseContentEncoding: in.ResponseContentEncoding, ResponseContentLanguage: in.ResponseContentLanguage,
		ResponseContentType: in.ResponseContentType, ResponseExpires: in.ResponseExpires,
	}, false)
	if err != nil {
		return nil, err
	}
	return &s3api.HeadObjectOutput{
		AcceptRanges: g.AcceptRanges, BucketKeyEnabled: g.BucketKeyEnabled, CacheControl: g.CacheControl,
		ChecksumCRC32: g.ChecksumCRC32, ChecksumCRC32C: g.ChecksumCRC32C, ChecksumCRC64NVME: g.ChecksumCRC64NVME,
		ChecksumMD5: g.ChecksumMD5, ChecksumSHA1: g.ChecksumSHA1, ChecksumSHA256: g.ChecksumSHA256, ChecksumSHA512: g.ChecksumSHA512,
		ChecksumXXHASH128: g.ChecksumXXHASH128, ChecksumXXHASH3: g.ChecksumXXHASH3, ChecksumXXHASH64: g.ChecksumXXHASH64,
		ChecksumType: g.ChecksumType, ContentDisposition: g.ContentDisposition, ContentEncoding: g.ContentEncoding,
		ContentLanguage: g.ContentLanguage, ContentLength: g.ContentLength, ContentRange: g.ContentRange,
		ContentType: g.ContentType, DeleteMarker: g.DeleteMarker, ETag: g.ETag, Expiration: g.Expiration,
		Expires: g.Expires, LastModified: g.LastModified, Metadata: g.Metadata, MissingMeta: g.MissingMeta,
		ObjectLockLegalHoldStatus: g.ObjectLockLegalHoldStatus, ObjectLockMode: g.ObjectLockMode,
		ObjectLockRetainUntilDate: g.ObjectLockRetainUntilDate, PartsCount: g.PartsCount,
		ReplicationStatus: g.ReplicationStatus, RequestCharged: g.RequestCharged, Restore: g.Restore,
		SSECustomerAlgorithm: g.SSECustomerAlgorithm, SSECustomerKeyMD5: g.SSECustomerKeyMD5,
		SSEKMSKeyId: g.SSEKMSKeyId, ServerSideEncryption: g.ServerSideEncryption,
		StorageClass: g.StorageClass, VersionId: g.VersionId, WebsiteRedirectLocation: g.WebsiteRedirectLocation,
	}, nil
}

// getObject answers a GetObject; without withBody, the headers alone.
func (s *Service) getObject(ctx context.Context, in *s3api.GetObjectInput, withBody bool) (*s3api.GetObjectOutput, error) {
	b, rec, inline, err := s.readTargetBody(ctx, deref(in.Bucket), deref(in.Key), in.VersionId, withBody)
	if err != nil {
		return nil, err
	}
	if err := checkExpectedOwner(b, in.ExpectedBucketOwner); err != nil {
		return nil, err
	}
	if err := checkSSECustomer(rec, in.SSECustomerAlgorithm, in.SSECustomerKeyMD5); err != nil {
		return nil, err
	}
	if err := checkReadPreconditions(rec, in.IfMatch, in.IfUnmodifiedSince, in.IfNoneMatch, in.IfModifiedSince); err != nil {
		return nil, err
	}
	rd, err := selectRead(rec, in.Range, in.PartNumber)
	if err != nil {
		return nil, err
	}
	out := &s3api.GetObjectOutput{}
	fillObjectHeaders(out, b, rec, rd, deref(in.ChecksumMode) == "ENABLED")
	out.Expiration = expirationOutput(b, rec, in.VersionId)
	applyResponseOverrides(&out.ContentType, &out.ContentLanguage, &out.Expires, &out.CacheControl, &out.ContentDisposition, &out.ContentEncoding,
		in.ResponseContentType, in.ResponseContentLanguage, in.ResponseExpires, in.ResponseCacheControl, in.ResponseContentDisposition, in.ResponseContentEncoding)
	if withBody {
		if inline != nil {
			out.Body = inlineReader(inline, rd.off, rd.n)
		} else if out.Body, err = s.objectReader(rec.Segments, rd.off, rd.n); err != nil {
			return nil, err
		}
	}
	if rd.partial {
		request.FromContext(ctx).Status = 206
	}
	return out, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fillObjectHeaders sets the headers that describe the version rec and
// the part of it rd selects.
func fillObjectHeaders(out *s3api.GetObjectOutput, b *bucketRecord, rec *objectRecord, rd objectRead, checksums bool) {
	out.AcceptRanges = ptr("bytes")
	out.CacheControl = nonEmpty(rec.CacheControl)
	out.ContentDisposition = nonEmpty(rec.ContentDisposition)
	out.ContentEncoding = nonEmpty(rec.ContentEncoding)
	out.ContentLanguage = nonEmpty(rec.ContentLanguage)
	out.ContentLength = ptr(rd.n)
	out.ContentRange = nonEmpty(rd.crange)
	ct := rec.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	out.ContentType = &ct
	out.ETag = ptr(rec.ETag)
	out.Expires = nonEmpty(rec.Expires)
	out.LastModified = ptr(rec.LastModified)
	if len(rec.Metadata) > 0 {
		out.Metadata = rec.Metadata
	}
	if rd.parts > 0 {
		out.PartsCount = ptr(rd.parts)
	}
	if len(rec.Tags) > 0 {
		out.TagCount = ptr(int32(len(rec.Tags)))
	}
	if rec.StorageClass != "" && rec.StorageClass != "STANDARD" {
		out.StorageClass = ptr(rec.StorageClass)
	}
	if b.Versioning != "" {
		out.VersionId = ptr(rec.VersionID)
	}
	out.WebsiteRedirectLocation = nonEmpty(rec.WebsiteRedirect)
	out.ObjectLockMode = nonEmpty(rec.LockMode)
	if !rec.LockRetainUntil.IsZero() {
		out.ObjectLockRetainUntilDate = ptr(rec.LockRetainUntil)
	}
	out.ObjectLockLegalHoldStatus = nonEmpty(rec.LegalHold)
	setSSEOutput(rec, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	if checksums && !rd.partial || checksums && rd.parts > 0 {
		sums, typ := rec.Checksum, rec.ChecksumType
		if rd.part > 0 {
			// A part answers with its own checksum. A FULL_OBJECT object
			// of several parts has none to give: its parts' checksums do
			// not make up the object's.
			sums = nil
			if p := rec.Parts[rd.part-1]; typ == "COMPOSITE" || len(rec.Parts) == 1 {
				sums = p.Checksum
			}
		}
		setChecksumOutput(sums, typ, checksumOutputs{
			"CRC32": &out.ChecksumCRC32, "CRC32C": &out.ChecksumCRC32C, "CRC64NVME": &out.ChecksumCRC64NVME,
			"SHA1": &out.ChecksumSHA1, "SHA256": &out.ChecksumSHA256,
		}, &out.ChecksumType)
	}
}

// applyResponseOverrides applies the response-* query parameters of a GET.
func applyResponseOverrides(ct, lang, exp, cc, cd, ce **string, rct, rlang *string, rexp *time.Time, rcc, rcd, rce *string) {
	if rct != nil {
		*ct = rct
	}
	if rlang != nil {
		*lang = rlang
	}
	if rexp != nil {
		*exp = ptr(httpDate(*rexp))
	}
	if rcc != nil {
		*cc = rcc
	}
	if rcd != nil {
		*cd = rcd
	}
	if rce != nil {
		*ce = rce
	}
}
