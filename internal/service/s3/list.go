package s3

import (
	"bytes"
	"context"
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// maxListKeys is the most entries one listing page returns, whatever
// max-keys asks for.
const maxListKeys = 1000

// seekAfterSkips is how many rows a listing steps over inside one key group
// (older versions) or one common prefix before it starts a new Scan past
// them: stepping is cheaper for a few rows, seeking for many.
const seekAfterSkips = 32

// listedVersion is the part of an objectRecord a listing shows. Decoding
// only these members keeps a page of a thousand keys cheap.
type listedVersion struct {
	VersionID    string            `json:"vid"`
	DeleteMarker bool              `json:"dm,omitempty"`
	LastModified time.Time         `json:"mod"`
	Owner        string            `json:"owner,omitempty"`
	Size         int64             `json:"size"`
	ETag         string            `json:"etag,omitempty"`
	StorageClass string            `json:"sc,omitempty"`
	Checksum     map[string]string `json:"ck,omitempty"`
	ChecksumType string            `json:"ckt,omitempty"`
}

// listEntry is one result of a listing: a version of a key, or a common
// prefix that stands for every key under it.
type listEntry struct {
	key      string // object key, or the common prefix
	wireKey  string // key as the response writes it (encoding-type)
	isPrefix bool
	latest   bool // the newest version of its key
	v        listedVersion
}

// listQuery describes one page of a listing.
type listQuery struct {
	bucket    string
	prefix    string
	delimiter string
	// after: only keys and common prefixes greater than it are listed.
	after string
	// With afterVersion, the page resumes inside the versions of the key
	// after, below the version with seq afterSeq.
	afterVersion bool
	afterSeq     uint64
	// versions lists every version and delete marker; otherwise only the
	// current version of each key that is not a delete marker.
	versions bool
	max      int
}

type listPage struct {
	entries   []listEntry
	truncated bool
}

// seekPast returns the first row key after every row of bucket prefix bp
// whose object key starts with p, or nil when no key can follow them.
func seekPast(bp, p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			s := make([]byte, 0, len(bp)+i+1)
			s = append(append(s, bp...), p[:i]...)
			return append(s, p[i]+1)
		}
	}
	return nil
}

// walkList reads one page of a bucket listing in a single ordered Scan of
// the version rows (bucket, key, newest first). Older versions of a key and
// the keys under a common prefix are stepped over without decoding; a long
// run of them ends the Scan and a new one starts past the run.
func walkList(tx storage.Tx, q listQuery) (listPage, error) {
	var page listPage
	if q.max <= 0 {
		return page, nil
	}
	bp := bucketPrefix(q.bucket)
	scanPrefix := append(append([]byte(nil), bp...), q.prefix...)
	r := storage.Range{Prefix: scanPrefix}
	var groupKey []byte // key of the group the last row belonged to
	switch {
	case q.delimiter != "" && strings.HasPrefix(q.after, q.prefix) && strings.Contains(q.after[len(q.prefix):], q.delimiter):
		// The marker lies under a common prefix, which sorts before it and
		// so was listed already: start past every key under it.
		i := strings.Index(q.after[len(q.prefix):], q.delimiter)
		if r.Start = seekPast(bp, []byte(q.after[:len(q.prefix)+i+len(q.delimiter)])); r.Start == nil {
			return page, nil
		}
	case q.afterVersion:
		r.After = objectKey(q.bucket, q.after, q.afterSeq)
		groupKey = []byte(q.after)
	case q.after != "":
		r.Start = append(append(append([]byte(nil), bp...), q.after...), 1)
	}
	delim := []byte(q.delimiter)
	var interned []string
	var lastPrefix []byte
	skipped := 0
	for {
		var seek []byte
		var derr error
		full := false
		err := tx.Scan(tableObjects, r, func(k, v []byte) bool {
			key := k[len(bp) : len(k)-9]
			if len(delim) > 0 {
				if i := bytes.Index(key[len(q.prefix):], delim); i >= 0 {
					cp := key[:len(q.prefix)+i+len(delim)]
					if !bytes.Equal(cp, lastPrefix) {
						lastPrefix = append(lastPrefix[:0], cp...)
						skipped = 0
						if string(cp) > q.after {
							if len(page.entries) == q.max {
								page.truncated, full = true, true
								return false
							}
							page.entries = append(page.entries, listEntry{key: string(cp), isPrefix: true})
						}
					}
					if skipped++; skipped > seekAfterSkips {
						seek = seekPast(bp, cp)
						return false
					}
					return true
				}
			}
			latest := !bytes.Equal(key, groupKey)
			if latest {
				groupKey = append(groupKey[:0], key...)
				skipped = 0
			} else if !q.versions {
				if skipped++; skipped > seekAfterSkips {
					seek = append(append(append([]byte(nil), bp...), key...), 1)
					return false
				}
				return true
			}
			var e listEntry
			if derr = decodeListedRow(v, &e.v, &interned); derr != nil {
				return false
			}
			if !q.versions && e.v.DeleteMarker {
				return true
			}
			if len(page.entries) == q.max {
				page.truncated, full = true, true
				return false
			}
			e.key, e.latest = string(key), latest
			page.entries = append(page.entries, e)
			return true
		})
		if err == nil {
			err = derr
		}
		if err != nil || full || seek == nil {
			return page, err
		}
		r = storage.Range{Prefix: scanPrefix, Start: seek}
	}
}

// urlEncodeKey applies S3's encoding-type=url: every byte but letters,
// digits and - _ . * / is percent-encoded (UTF-8, upper-case hex), and a
// space becomes '+', as in an HTML form.
func urlEncodeKey(s string) string {
	i := 0
	for i < len(s) && keepUnencoded(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case keepUnencoded(c):
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func keepUnencoded(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '*' || c == '/'
}

// keyEncoder returns how a listing writes keys, after checking the
// encoding-type parameter.
func keyEncoder(encodingType *string) (func(string) string, error) {
	if encodingType == nil {
		return func(s string) string { return s }, nil
	}
	if *encodingType != "url" {
		return nil, errInvalidArgument.New("Invalid Encoding Method specified in Request").
			WithDetail(map[string]string{"ArgumentName": "encoding-type", "ArgumentValue": *encodingType})
	}
	return urlEncodeKey, nil
}

// pageSize applies max-keys: 1000 when absent, at most 1000 keys per page.
// negative is the message S3 gives a negative value for this operation.
func pageSize(maxKeys *int32, negative string) (int, int32, error) {
	if maxKeys == nil {
		return maxListKeys, maxListKeys, nil
	}
	if *maxKeys < 0 {
		return 0, 0, errInvalidArgument.New(negative).
			WithDetail(map[string]string{"ArgumentName": "maxKeys", "ArgumentValue": strconv.Itoa(int(*maxKeys))})
	}
	return min(int(*maxKeys), maxListKeys), *maxKeys, nil
}

const negativeMaxKeys = "Argument maxKeys must be an integer between 0 and 2147483647"

// listBucket loads the bucket and one page of its listing in one snapshot.
// versionMarker is ListObjectVersions' version-id-marker, resolved here
// because the "null" version is found by a lookup.
func (s *Service) listBucket(ctx context.Context, name string, expectedOwner *string, q listQuery, versionMarker *string) (*bucketRecord, listPage, error) {
	var b *bucketRecord
	var page listPage
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = s.ownedBucket(tx, name, expectedOwner); err != nil {
			return err
		}
		q.bucket = name
		if versionMarker != nil && *versionMarker != "" {
			if *versionMarker == "null" {
				rec, err := findNullVersion(tx, name, q.after)
				if err != nil {
					return err
				}
				if rec != nil {
					q.afterVersion, q.afterSeq = true, rec.Seq
				}
			} else {
				seq, _ := seqFromVersionID(*versionMarker)
				q.afterVersion, q.afterSeq = true, seq
			}
		}
		page, err = walkList(tx, q)
		return err
	})
	return b, page, err
}

func checksumAlgorithms(sums map[string]string) []string {
	if len(sums) == 0 {
		return nil
	}
	algos := make([]string, 0, len(sums))
	for a := range sums {
		algos = append(algos, a)
	}
	sort.Strings(algos)
	return algos
}

func storageClassOf(sc string) string {
	if sc == "" {
		return "STANDARD"
	}
	return sc
}

// object builds the Contents entry of e. Its members point into e, which a
// page owns, so a thousand entries cost no allocation per member.
func (e *listEntry) object(enc func(string) string, owner func(string) *s3api.Owner) s3api.Object {
	e.wireKey = enc(e.key)
	e.v.StorageClass = storageClassOf(e.v.StorageClass)
	o := s3api.Object{
		Key: &e.wireKey, LastModified: &e.v.LastModified, ETag: &e.v.ETag, Size: &e.v.Size,
		StorageClass: &e.v.StorageClass, ChecksumAlgorithm: checksumAlgorithms(e.v.Checksum),
	}
	if o.ChecksumAlgorithm != nil {
		o.ChecksumType = nonEmpty(e.v.ChecksumType)
	}
	if owner != nil {
		o.Owner = owner(e.v.Owner)
	}
	return o
}

// ownerCache hands out one Owner per account for a page of entries.
func ownerCache(bucketAccount string) func(string) *s3api.Owner {
	owners := map[string]*s3api.Owner{}
	return func(account string) *s3api.Owner {
		account = ownerAccount(account, bucketAccount)
		o, ok := owners[account]
		if !ok {
			o = ownerOf(account)
			owners[account] = o
		}
		return o
	}
}

func ownerAccount(owner, bucketAccount string) string {
	if owner == "" {
		return bucketAccount
	}
	return owner
}

// splitEntries turns a page into Contents and CommonPrefixes.
func splitEntries(page listPage, enc func(string) string, withOwner bool, bucketAccount string) ([]s3api.Object, []s3api.CommonPrefix) {
	var owner func(string) *s3api.Owner
	if withOwner {
		owner = ownerCache(bucketAccount)
	}
	var contents []s3api.Object
	var prefixes []s3api.CommonPrefix
	for i := range page.entries {
		e := &page.entries[i]
		if e.isPrefix {
			prefixes = append(prefixes, s3api.CommonPrefix{Prefix: ptr(enc(e.key))})
			continue
		}
		if contents == nil {
			contents = make([]s3api.Object, 0, len(page.entries)-i)
		}
		contents = append(contents, e.object(enc, owner))
	}
	return contents, prefixes
}

func (s *Service) ListObjects(ctx context.Context, in *s3api.ListObjectsInput) (*s3api.ListObjectsOutput, error) {
	enc, err := keyEncoder(in.EncodingType)
	if err != nil {
		return nil, err
	}
	limit, echoed, err := pageSize(in.MaxKeys, negativeMaxKeys)
	if err != nil {
		return nil, err
	}
	q := listQuery{prefix: deref(in.Prefix), delimiter: deref(in.Delimiter), after: deref(in.Marker), max: limit}
	b, page, err := s.listBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, q, nil)
	if err != nil {
		return nil, err
	}
	out := &s3api.ListObjectsOutput{
		Name: ptr(b.Name), Prefix: ptr(enc(q.prefix)), Marker: ptr(enc(q.after)),
		MaxKeys: ptr(echoed), IsTruncated: ptr(page.truncated), EncodingType: in.EncodingType,
	}
	if q.delimiter != "" {
		out.Delimiter = ptr(enc(q.delimiter))
	}
	out.Contents, out.CommonPrefixes = splitEntries(page, enc, true, b.Account)
	// NextMarker is sent only with a delimiter; without one, clients
	// continue from the last key.
	if page.truncated && q.delimiter != "" && len(page.entries) > 0 {
		out.NextMarker = ptr(enc(page.entries[len(page.entries)-1].key))
	}
	return out, nil
}

// Continuation tokens are opaque to clients: a version byte and the key or
// common prefix the next page starts after.
const tokenVersion = 1

func encodeContinuation(after string) string {
	return base64.StdEncoding.EncodeToString(append([]byte{tokenVersion}, after...))
}

func decodeContinuation(token string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 2 || raw[0] != tokenVersion {
		return "", errInvalidArgument.New("The continuation token provided is incorrect").
			WithDetail(map[string]string{"ArgumentName": "continuation-token"})
	}
	return string(raw[1:]), nil
}

func (s *Service) ListObjectsV2(ctx context.Context, in *s3api.ListObjectsV2Input) (*s3api.ListObjectsV2Output, error) {
	enc, err := keyEncoder(in.EncodingType)
	if err != nil {
		return nil, err
	}
	limit, echoed, err := pageSize(in.MaxKeys, negativeMaxKeys)
	if err != nil {
		return nil, err
	}
	q := listQuery{prefix: deref(in.Prefix), delimiter: deref(in.Delimiter), after: deref(in.StartAfter), max: limit}
	if t := deref(in.ContinuationToken); t != "" {
		// The token wins over start-after, which is only echoed.
		if q.after, err = decodeContinuation(t); err != nil {
			return nil, err
		}
	}
	b, page, err := s.listBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, q, nil)
	if err != nil {
		return nil, err
	}
	out := &s3api.ListObjectsV2Output{
		Name: ptr(b.Name), Prefix: ptr(enc(q.prefix)), MaxKeys: ptr(echoed),
		KeyCount: ptr(int32(len(page.entries))), IsTruncated: ptr(page.truncated),
		EncodingType: in.EncodingType, ContinuationToken: in.ContinuationToken,
	}
	if q.delimiter != "" {
		out.Delimiter = ptr(enc(q.delimiter))
	}
	if in.StartAfter != nil {
		out.StartAfter = ptr(enc(*in.StartAfter))
	}
	out.Contents, out.CommonPrefixes = splitEntries(page, enc, deref(in.FetchOwner), b.Account)
	if page.truncated && len(page.entries) > 0 {
		out.NextContinuationToken = ptr(encodeContinuation(page.entries[len(page.entries)-1].key))
	}
	return out, nil
}

func (s *Service) ListObjectVersions(ctx context.Context, in *s3api.ListObjectVersionsInput) (*s3api.ListObjectVersionsOutput, error) {
	enc, err := keyEncoder(in.EncodingType)
	if err != nil {
		return nil, err
	}
	limit, echoed, err := pageSize(in.MaxKeys, "max-keys cannot be negative")
	if err != nil {
		return nil, err
	}
	keyMarker, versionMarker := deref(in.KeyMarker), deref(in.VersionIdMarker)
	if versionMarker != "" {
		if keyMarker == "" {
			return nil, errInvalidArgument.New("A version-id marker cannot be specified without a key marker.").
				WithDetail(map[string]string{"ArgumentName": "version-id-marker", "ArgumentValue": versionMarker})
		}
		if _, ok := seqFromVersionID(versionMarker); !ok && versionMarker != "null" {
			return nil, errInvalidArgument.New("Invalid version id specified").
				WithDetail(map[string]string{"ArgumentName": "version-id-marker", "ArgumentValue": versionMarker})
		}
	}
	q := listQuery{prefix: deref(in.Prefix), delimiter: deref(in.Delimiter), after: keyMarker, versions: true, max: limit}
	b, page, err := s.listBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, q, in.VersionIdMarker)
	if err != nil {
		return nil, err
	}
	out := &s3api.ListObjectVersionsOutput{
		Name: ptr(b.Name), Prefix: ptr(enc(q.prefix)), KeyMarker: ptr(enc(keyMarker)),
		VersionIdMarker: ptr(versionMarker), MaxKeys: ptr(echoed), IsTruncated: ptr(page.truncated),
		EncodingType: in.EncodingType,
	}
	if q.delimiter != "" {
		out.Delimiter = ptr(enc(q.delimiter))
	}
	owner := ownerCache(b.Account)
	for i := range page.entries {
		e := &page.entries[i]
		e.wireKey = enc(e.key)
		switch {
		case e.isPrefix:
			out.CommonPrefixes = append(out.CommonPrefixes, s3api.CommonPrefix{Prefix: &e.wireKey})
		case e.v.DeleteMarker:
			out.DeleteMarkers = append(out.DeleteMarkers, s3api.DeleteMarkerEntry{
				Key: &e.wireKey, VersionId: &e.v.VersionID, IsLatest: &e.latest,
				LastModified: &e.v.LastModified, Owner: owner(e.v.Owner),
			})
		default:
			e.v.StorageClass = storageClassOf(e.v.StorageClass)
			ov := s3api.ObjectVersion{
				Key: &e.wireKey, VersionId: &e.v.VersionID, IsLatest: &e.latest,
				LastModified: &e.v.LastModified, ETag: &e.v.ETag, Size: &e.v.Size,
				StorageClass: &e.v.StorageClass, Owner: owner(e.v.Owner),
				ChecksumAlgorithm: checksumAlgorithms(e.v.Checksum),
			}
			if ov.ChecksumAlgorithm != nil {
				ov.ChecksumType = nonEmpty(e.v.ChecksumType)
			}
			out.Versions = append(out.Versions, ov)
		}
	}
	if page.truncated && len(page.entries) > 0 {
		last := &page.entries[len(page.entries)-1]
		out.NextKeyMarker = ptr(last.wireKey)
		if !last.isPrefix {
			out.NextVersionIdMarker = ptr(last.v.VersionID)
		}
	}
	return out, nil
}
