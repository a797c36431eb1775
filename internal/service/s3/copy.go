package s3

import (
	"context"
	"io"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// copySource is the object an x-amz-copy-source header names.
type copySource struct {
	Bucket    string
	Key       string
	VersionID *string
}

func invalidCopySource(msg, header string) error {
	return errInvalidArgument.New(msg).WithDetail(map[string]string{"ArgumentName": "x-amz-copy-source", "ArgumentValue": header})
}

// parseCopySource reads x-amz-copy-source: "bucket/key", URL-encoded, with
// or without a leading slash, optionally followed by "?versionId=...".
// The query is split off before decoding, so an encoded '?' (%3F) stays in
// the key.
func parseCopySource(h string) (copySource, error) {
	path, query, _ := strings.Cut(h, "?")
	decoded, err := url.PathUnescape(strings.TrimPrefix(path, "/"))
	if err != nil {
		return copySource{}, invalidCopySource("Invalid copy source encoding", h)
	}
	bucket, key, _ := strings.Cut(decoded, "/")
	if bucket == "" {
		return copySource{}, invalidCopySource("Invalid copy source bucket name", h)
	}
	if key == "" {
		return copySource{}, invalidCopySource("Invalid copy source object key", h)
	}
	if len(key) > maxKeyLength {
		return copySource{}, checkKey(key)
	}
	src := copySource{Bucket: bucket, Key: key}
	if query != "" {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return copySource{}, invalidCopySource("Invalid copy source encoding", h)
		}
		if vs, ok := vals["versionId"]; ok {
			v := vs[0]
			if _, ok := seqFromVersionID(v); !ok && v != "null" {
				return copySource{}, errInvalidArgument.New("Invalid version id specified").WithDetail(map[string]string{"ArgumentName": "x-amz-copy-source", "ArgumentValue": h})
			}
			src.VersionID = &v
		}
	}
	return src, nil
}

// copyConditions are the x-amz-copy-source-if-* headers. Unlike a GET, every
// failed condition is 412 PreconditionFailed.
type copyConditions struct {
	IfMatch, IfNoneMatch               *string
	IfModifiedSince, IfUnmodifiedSince *time.Time
}

// check applies the conditions with S3's precedence: a true if-match
// overrides a false if-unmodified-since, and a false if-none-match
// overrides a true if-modified-since.
func (c copyConditions) check(rec *objectRecord) error {
	fail := func(cond string) error {
		return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").WithDetail(map[string]string{"Condition": cond})
	}
	mod := rec.LastModified.Truncate(time.Second)
	if c.IfMatch != nil {
		if !etagMatches(*c.IfMatch, rec.ETag) {
			return fail("x-amz-copy-source-If-Match")
		}
	} else if c.IfUnmodifiedSince != nil && mod.After(*c.IfUnmodifiedSince) {
		return fail("x-amz-copy-source-If-Unmodified-Since")
	}
	if c.IfNoneMatch != nil {
		if etagMatches(*c.IfNoneMatch, rec.ETag) {
			return fail("x-amz-copy-source-If-None-Match")
		}
	} else if c.IfModifiedSince != nil && !mod.After(*c.IfModifiedSince) {
		return fail("x-amz-copy-source-If-Modified-Since")
	}
	return nil
}

// copySourceRequest is what CopyObject and UploadPartCopy say about the
// object they read.
type copySourceRequest struct {
	Header        string  // x-amz-copy-source
	ExpectedOwner *string // x-amz-source-expected-bucket-owner
	// x-amz-copy-source-server-side-encryption-customer-algorithm and -key-MD5
	SSECustomerAlgorithm, SSECustomerKeyMD5 *string
	Conditions                              copyConditions
}

// copySourceObject is the version a copy reads.
type copySourceObject struct {
	Source copySource
	Bucket *bucketRecord
	Rec    *objectRecord
	// Latest: Rec is the current version of its key.
	Latest bool
}

// VersionHeader is the x-amz-copy-source-version-id a copy answers: the
// source's version id when its bucket has had versioning.
func (c *copySourceObject) VersionHeader() *string {
	if c.Bucket.Versioning == "" {
		return nil
	}
	return ptr(c.Rec.VersionID)
}

// loadCopySource resolves the source of a copy and checks its bucket
// owner, SSE-C key and copy conditions.
func (s *Service) loadCopySource(ctx context.Context, r copySourceRequest) (*copySourceObject, error) {
	src, err := parseCopySource(r.Header)
	if err != nil {
		return nil, err
	}
	c := &copySourceObject{Source: src}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		if c.Bucket, err = s.ownedBucket(tx, src.Bucket, r.ExpectedOwner); err != nil {
			return err
		}
		cur, err := latest(tx, src.Bucket, src.Key)
		if err != nil {
			return err
		}
		if src.VersionID == nil {
			c.Rec, c.Latest = cur, true
			return nil
		}
		if c.Rec, err = version(tx, src.Bucket, src.Key, *src.VersionID); err != nil {
			return err
		}
		c.Latest = c.Rec != nil && cur != nil && cur.Seq == c.Rec.Seq
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch {
	case c.Rec == nil && src.VersionID != nil:
		return nil, errNoSuchVersion.New("The specified version does not exist.").WithDetail(map[string]string{"Key": src.Key, "VersionId": *src.VersionID})
	case c.Rec == nil:
		return nil, noSuchKey(src.Key)
	case c.Rec.DeleteMarker && src.VersionID != nil:
		return nil, errInvalidRequest.New("The source of a copy request may not specifically refer to a delete marker by version id.")
	case c.Rec.DeleteMarker:
		return nil, noSuchKey(src.Key)
	}
	if err := checkSSECustomer(c.Rec, r.SSECustomerAlgorithm, r.SSECustomerKeyMD5); err != nil {
		return nil, err
	}
	if err := r.Conditions.check(c.Rec); err != nil {
		return nil, err
	}
	return c, nil
}

// parseCopySourceRange reads x-amz-copy-source-range, which must be exactly
// "bytes=first-last" inside an object of size bytes.
func parseCopySourceRange(h string, size int64) (byteRange, error) {
	malformed := errInvalidArgument.New("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy").
		WithDetail(map[string]string{"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": h})
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return byteRange{}, malformed
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok || !allDigits(first) || !allDigits(last) {
		return byteRange{}, malformed
	}
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil {
		return byteRange{}, malformed
	}
	if a > b || b >= size {
		return byteRange{}, errInvalidArgument.Newf("Range specified is not valid for source object of size: %d", size).
			WithDetail(map[string]string{"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": h})
	}
	return byteRange{a, b}, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// copySourceReader returns a reader of the bytes a copy takes from its
// source: the whole object, or the range of x-amz-copy-source-range
// (UploadPartCopy). The caller closes it.
func (s *Service) copySourceReader(rec *objectRecord, rangeHeader *string) (io.ReadCloser, byteRange, error) {
	r := byteRange{0, rec.Size - 1}
	if rangeHeader != nil {
		var err error
		if r, err = parseCopySourceRange(*rangeHeader, rec.Size); err != nil {
			return nil, r, err
		}
	}
	body, err := s.objectReader(rec.Segments, r.start, r.end-r.start+1)
	if err != nil {
		return nil, r, err
	}
	return body.(io.ReadCloser), r, nil
}

func directive(v *string, header, msg string) (string, error) {
	switch d := deref(v); d {
	case "", "COPY":
		return "COPY", nil
	case "REPLACE":
		return d, nil
	default:
		return "", errInvalidArgument.New(msg).WithDetail(map[string]string{"ArgumentName": header, "ArgumentValue": d})
	}
}

// maxCopySize is the largest object CopyObject copies in one request.
const maxCopySize = 5 << 30

func (s *Service) CopyObject(ctx context.Context, in *s3api.CopyObjectInput) (*s3api.CopyObjectOutput, error) {
	info := request.FromContext(ctx)
	bucketName, key := deref(in.Bucket), deref(in.Key)
	if err := checkKey(key); err != nil {
		return nil, err
	}
	metaDirective, err := directive(in.MetadataDirective, "x-amz-metadata-directive", "Unknown metadata directive.")
	if err != nil {
		return nil, err
	}
	tagDirective, err := directive(in.TaggingDirective, "x-amz-tagging-directive", "Unknown tagging directive.")
	if err != nil {
		return nil, err
	}
	if sc := deref(in.StorageClass); sc != "" && !storageClasses[sc] {
		return nil, errInvalidStorageClass.New("The storage class you specified is not valid").WithDetail(map[string]string{"StorageClassRequested": sc})
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
	b, err := s.viewOwnedBucket(ctx, bucketName, in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	grants := grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, nil, in.GrantWriteACP}
	if err := checkACLsEnabled(b, in.ACL, grants, nil); err != nil {
		return nil, err
	}
	acl, err := aclFromRequest(info.Account, in.ACL, grants, objectCannedACLs)
	if err != nil {
		return nil, err
	}
	changesStorageClass := in.StorageClass != nil && *in.StorageClass != storageClassOf(src.Rec.StorageClass)
	changesEncryption := in.ServerSideEncryption != nil || in.SSEKMSKeyId != nil || in.SSECustomerAlgorithm != nil || in.BucketKeyEnabled != nil
	if src.Bucket.Name == bucketName && src.Source.Key == key && src.Latest && metaDirective == "COPY" &&
		!changesStorageClass && !changesEncryption && in.WebsiteRedirectLocation == nil {
		return nil, errInvalidRequest.New("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if src.Rec.Size > maxCopySize {
		return nil, errInvalidRequest.Newf("The specified copy source is larger than the maximum allowable size for a copy source: %d", maxCopySize)
	}
	var tags []s3api.Tag
	if tagDirective == "COPY" {
		tags = copyTags(src.Rec.Tags)
	} else if tags, err = parseTagging(in.Tagging); err != nil {
		return nil, err
	}
	// The copy keeps the source's checksum algorithm unless the request
	// names another; either way the checksum is computed afresh.
	var algos []string
	if in.ChecksumAlgorithm != nil {
		a := strings.ToUpper(*in.ChecksumAlgorithm)
		if _, err := newChecksumHash(a); err != nil {
			return nil, err
		}
		algos = []string{a}
	} else {
		algos = checksumAlgorithms(src.Rec.Checksum)
	}

	reader, _, err := s.copySourceReader(src.Rec, nil)
	if err != nil {
		return nil, err
	}
	body, err := s.receiveBody(reader, src.Rec.Size, algos)
	_ = reader.Close()
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.releaseBlobs([]segment{body.seg})
		}
	}()

	seq, now := s.clock.next()
	rec := &objectRecord{
		Key: key, Seq: seq, LastModified: now.UTC().Truncate(time.Millisecond), Owner: info.Account,
		Size: body.seg.Size, ETag: etagOf(body.md5), Segments: []segment{body.seg},
		StorageClass: deref(in.StorageClass), Tags: tags, ACL: acl,
		WebsiteRedirect: deref(in.WebsiteRedirectLocation),
		SSEKMSKeyID:     deref(in.SSEKMSKeyId), BucketKey: deref(in.BucketKeyEnabled),
		SSECustAlgo: deref(in.SSECustomerAlgorithm), SSECustKeyMD5: deref(in.SSECustomerKeyMD5),
		LockMode: deref(in.ObjectLockMode), LegalHold: deref(in.ObjectLockLegalHoldStatus),
	}
	if in.ObjectLockRetainUntilDate != nil {
		rec.LockRetainUntil = in.ObjectLockRetainUntilDate.UTC()
	}
	if len(body.sums) > 0 {
		rec.Checksum, rec.ChecksumType = body.sums, "FULL_OBJECT"
	}
	if metaDirective == "COPY" {
		from := src.Rec
		rec.ContentType, rec.CacheControl, rec.ContentDisposition = from.ContentType, from.CacheControl, from.ContentDisposition
		rec.ContentEncoding, rec.ContentLanguage, rec.Expires = from.ContentEncoding, from.ContentLanguage, from.Expires
		rec.Metadata = maps.Clone(from.Metadata)
	} else {
		rec.ContentType, rec.CacheControl, rec.ContentDisposition = deref(in.ContentType), deref(in.CacheControl), deref(in.ContentDisposition)
		rec.ContentEncoding, rec.ContentLanguage, rec.Expires = deref(in.ContentEncoding), deref(in.ContentLanguage), deref(in.Expires)
		rec.Metadata = maps.Clone(in.Metadata)
	}

	var released []segment
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = s.bucketForNewVersion(tx, bucketName, rec, in.ServerSideEncryption, in.IfMatch, in.IfNoneMatch); err != nil {
			return err
		}
		released, err = s.putVersion(tx, b, rec)
		return s.notifyCreated(ctx, tx, b, eventCopy, rec, err)
	})
	if err != nil {
		return nil, err
	}
	ok = true
	s.releaseBlobs(released)

	res := &s3api.CopyObjectResult{ETag: ptr(rec.ETag), LastModified: ptr(rec.LastModified)}
	setChecksumOutput(rec.Checksum, rec.ChecksumType, checksumOutputs{
		"CRC32": &res.ChecksumCRC32, "CRC32C": &res.ChecksumCRC32C, "CRC64NVME": &res.ChecksumCRC64NVME,
		"SHA1": &res.ChecksumSHA1, "SHA256": &res.ChecksumSHA256,
	}, &res.ChecksumType)
	out := &s3api.CopyObjectOutput{CopyObjectResult: res, CopySourceVersionId: src.VersionHeader()}
	out.Expiration = nonEmpty(expirationHeader(b, rec))
	if b.Versioning != "" {
		out.VersionId = ptr(rec.VersionID)
	}
	setSSEOutput(rec, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	return out, nil
}
