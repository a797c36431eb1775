package s3

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Object rows are the hottest data Nimbus keeps: a GET decodes one, a
// listing page a thousand. They are stored in a compact binary form, not
// JSON, which took most of a listing's time and a tenth of a GET's.
//
// A row is the byte objectRowFormat followed by fields, each a tag
// (uvarint: field number << 1 | wire type) and a value. Wire type 0 is a
// uvarint; wire type 1 is a uvarint length and that many bytes (a string,
// or a nested message of the same form). Absent fields are zero values, and
// decoders skip fields they do not know, so fields can be added without
// rewriting rows. A row whose first byte is '{' is an older JSON record.
const objectRowFormat = 1

const (
	wireVarint = 0
	wireBytes  = 1
)

// Field numbers of objectRecord. Never reuse a number.
const (
	fKey = 1 + iota
	fVersionID
	fSeq
	fDeleteMarker
	fLastModified
	fOwner
	fSize
	fETag
	fSegment // repeated, nested: fSegBlob, fSegSize, fSegInline
	fPart    // repeated, nested: fPartSize, fPartETag, fPartChecksum
	fContentType
	fCacheControl
	fContentDisposition
	fContentEncoding
	fContentLanguage
	fExpires
	fWebsiteRedirect
	fMetadata // repeated, nested: fPairKey, fPairValue
	fStorageClass
	fTag // repeated, nested: fPairKey, fPairValue (absent member = nil)
	fACL // JSON of an ACL other than the owner's private one
	fChecksum
	fChecksumType
	fSSE
	fSSEKMSKeyID
	fBucketKey
	fSSECustAlgo
	fSSECustKeyMD5
	fLockMode
	fLockRetainUntil
	fLegalHold
)

// Nested message fields.
const (
	fSegBlob   = 1
	fSegSize   = 2
	fSegInline = 3

	fPartSize     = 1
	fPartETag     = 2
	fPartChecksum = 3 // repeated pair

	fPairKey   = 1
	fPairValue = 2

	fTimeSec  = 1 // zigzag seconds since the Unix epoch
	fTimeNsec = 2
)

var errBadRow = errors.New("s3: malformed object row")

// rowWriter appends fields to a row.
type rowWriter struct{ b []byte }

func (w *rowWriter) tag(field, wire int) {
	w.b = binary.AppendUvarint(w.b, uint64(field)<<1|uint64(wire))
}

func (w *rowWriter) uint(field int, v uint64) {
	if v != 0 {
		w.tag(field, wireVarint)
		w.b = binary.AppendUvarint(w.b, v)
	}
}

func (w *rowWriter) int(field int, v int64) { w.uint(field, zigzag(v)) }

func (w *rowWriter) bool(field int, v bool) {
	if v {
		w.uint(field, 1)
	}
}

// str writes s when it is not empty.
func (w *rowWriter) str(field int, s string) {
	if s != "" {
		w.bytesField(field, s)
	}
}

// bytesField writes s even when it is empty (presence matters).
func (w *rowWriter) bytesField(field int, s string) {
	w.tag(field, wireBytes)
	w.b = binary.AppendUvarint(w.b, uint64(len(s)))
	w.b = append(w.b, s...)
}

// nested writes a nested message built by fn: fn appends the message,
// then its length is put in front of it.
func (w *rowWriter) nested(field int, fn func(w *rowWriter)) {
	w.tag(field, wireBytes)
	start := len(w.b)
	fn(w)
	n := len(w.b) - start
	var lb [binary.MaxVarintLen64]byte
	l := binary.PutUvarint(lb[:], uint64(n))
	w.b = append(w.b, lb[:l]...)
	copy(w.b[start+l:], w.b[start:start+n])
	copy(w.b[start:], lb[:l])
}

func (w *rowWriter) time(field int, t time.Time) {
	if t.IsZero() {
		return
	}
	w.nested(field, func(w *rowWriter) {
		w.int(fTimeSec, t.Unix())
		w.uint(fTimeNsec, uint64(t.Nanosecond()))
	})
}

// pairs writes a map as repeated key/value messages, in key order so
// that equal records encode to equal rows.
func (w *rowWriter) pairs(field int, m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.nested(field, func(w *rowWriter) {
			w.bytesField(fPairKey, k)
			w.bytesField(fPairValue, m[k])
		})
	}
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// appendObjectRow appends the row of rec to dst.
func appendObjectRow(dst []byte, rec *objectRecord) ([]byte, error) {
	w := rowWriter{b: append(dst, objectRowFormat)}
	w.str(fKey, rec.Key)
	w.str(fVersionID, rec.VersionID)
	w.uint(fSeq, rec.Seq)
	w.bool(fDeleteMarker, rec.DeleteMarker)
	w.time(fLastModified, rec.LastModified)
	w.str(fOwner, rec.Owner)
	w.int(fSize, rec.Size)
	w.str(fETag, rec.ETag)
	for _, sg := range rec.Segments {
		w.nested(fSegment, func(w *rowWriter) {
			w.str(fSegBlob, sg.Blob)
			w.int(fSegSize, sg.Size)
			w.bool(fSegInline, sg.Inline)
		})
	}
	for _, p := range rec.Parts {
		w.nested(fPart, func(w *rowWriter) {
			w.int(fPartSize, p.Size)
			w.str(fPartETag, p.ETag)
			w.pairs(fPartChecksum, p.Checksum)
		})
	}
	w.str(fContentType, rec.ContentType)
	w.str(fCacheControl, rec.CacheControl)
	w.str(fContentDisposition, rec.ContentDisposition)
	w.str(fContentEncoding, rec.ContentEncoding)
	w.str(fContentLanguage, rec.ContentLanguage)
	w.str(fExpires, rec.Expires)
	w.str(fWebsiteRedirect, rec.WebsiteRedirect)
	w.pairs(fMetadata, rec.Metadata)
	w.str(fStorageClass, rec.StorageClass)
	for _, t := range rec.Tags {
		w.nested(fTag, func(w *rowWriter) {
			if t.Key != nil {
				w.bytesField(fPairKey, *t.Key)
			}
			if t.Value != nil {
				w.bytesField(fPairValue, *t.Value)
			}
		})
	}
	if rec.ACL != nil && !isPrivateACL(rec.ACL, rec.Owner) {
		raw, err := json.Marshal(rec.ACL)
		if err != nil {
			return nil, err
		}
		w.bytesField(fACL, string(raw))
	}
	w.pairs(fChecksum, rec.Checksum)
	w.str(fChecksumType, rec.ChecksumType)
	w.str(fSSE, rec.SSE)
	w.str(fSSEKMSKeyID, rec.SSEKMSKeyID)
	w.bool(fBucketKey, rec.BucketKey)
	w.str(fSSECustAlgo, rec.SSECustAlgo)
	w.str(fSSECustKeyMD5, rec.SSECustKeyMD5)
	w.str(fLockMode, rec.LockMode)
	w.time(fLockRetainUntil, rec.LockRetainUntil)
	w.str(fLegalHold, rec.LegalHold)
	return w.b, nil
}

// isPrivateACL reports whether acl is exactly the private canned ACL of
// owner: the ACL of nearly every object. Rows leave it out, and a record
// read back has a nil ACL, which every reader takes to mean the owner's
// private ACL (see aclOutput).
func isPrivateACL(acl *s3api.AccessControlPolicy, owner string) bool {
	if owner == "" || acl.Owner == nil || len(acl.Grants) != 1 {
		return false
	}
	id := canonicalID(owner)
	o, g := acl.Owner, acl.Grants[0]
	if deref(o.ID) != id || deref(o.DisplayName) != ownerDisplayName || deref(g.Permission) != "FULL_CONTROL" || g.Grantee == nil {
		return false
	}
	ge := g.Grantee
	return deref(ge.Type) == "CanonicalUser" && deref(ge.ID) == id && deref(ge.DisplayName) == ownerDisplayName &&
		ge.EmailAddress == nil && ge.URI == nil
}

// rowReader reads the fields of a row or of a nested message.
type rowReader struct {
	b   []byte
	err error
}

// next returns the next field's number and wire type; ok is false at the
// end or after an error.
func (r *rowReader) next() (field, wire int, ok bool) {
	if len(r.b) == 0 || r.err != nil {
		return 0, 0, false
	}
	t := r.uvarint()
	if r.err != nil || t>>1 > math.MaxInt32 {
		r.fail()
		return 0, 0, false
	}
	return int(t >> 1), int(t & 1), true
}

func (r *rowReader) fail() {
	if r.err == nil {
		r.err = errBadRow
	}
	r.b = nil
}

func (r *rowReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// value reads a value of the given wire type; for wireBytes it returns the
// bytes (aliasing the row), for wireVarint the number.
func (r *rowReader) value(wire int) (uint64, []byte) {
	v := r.uvarint()
	if wire == wireVarint || r.err != nil {
		return v, nil
	}
	if v > uint64(len(r.b)) {
		r.fail()
		return 0, nil
	}
	b := r.b[:v]
	r.b = r.b[v:]
	return 0, b
}

func readTime(b []byte) time.Time {
	var sec int64
	var nsec uint64
	r := rowReader{b: b}
	for f, wire, ok := r.next(); ok; f, wire, ok = r.next() {
		v, _ := r.value(wire)
		switch f {
		case fTimeSec:
			sec = unzigzag(v)
		case fTimeNsec:
			nsec = v
		}
	}
	if nsec >= 1e9 {
		nsec = 0
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func readPair(b []byte) (k, v []byte, hasK, hasV bool) {
	r := rowReader{b: b}
	for f, wire, ok := r.next(); ok; f, wire, ok = r.next() {
		_, s := r.value(wire)
		switch f {
		case fPairKey:
			k, hasK = s, true
		case fPairValue:
			v, hasV = s, true
		}
	}
	return k, v, hasK, hasV
}

func addPair(m map[string]string, b []byte) map[string]string {
	k, v, _, _ := readPair(b)
	if m == nil {
		m = map[string]string{}
	}
	m[string(k)] = string(v)
	return m
}

// openObjectRow returns a reader of the fields of a stored object row.
// A row written before the binary format is JSON: openObjectRow decodes it
// into legacy itself and answers done, as it does for a row it cannot read.
func openObjectRow(row []byte, legacy any) (r rowReader, done bool, err error) {
	if len(row) > 0 && row[0] == '{' {
		return r, true, json.Unmarshal(row, legacy)
	}
	if len(row) == 0 || row[0] != objectRowFormat {
		return r, true, errBadRow
	}
	return rowReader{b: row[1:]}, false, nil
}

// decodeObjectRow reads a stored object row into rec. The row may be the
// engine's memory: nothing of rec aliases it.
func decodeObjectRow(row []byte, rec *objectRecord) error {
	r, done, err := openObjectRow(row, rec)
	if done {
		return err
	}
	*rec = objectRecord{}
	for f, wire, ok := r.next(); ok; f, wire, ok = r.next() {
		v, b := r.value(wire)
		switch f {
		case fKey:
			rec.Key = string(b)
		case fVersionID:
			rec.VersionID = versionIDString(b)
		case fSeq:
			rec.Seq = v
		case fDeleteMarker:
			rec.DeleteMarker = v != 0
		case fLastModified:
			rec.LastModified = readTime(b)
		case fOwner:
			rec.Owner = string(b)
		case fSize:
			rec.Size = unzigzag(v)
		case fETag:
			rec.ETag = string(b)
		case fSegment:
			rec.Segments = append(rec.Segments, readSegment(b))
		case fPart:
			rec.Parts = append(rec.Parts, readPart(b))
		case fContentType:
			rec.ContentType = string(b)
		case fCacheControl:
			rec.CacheControl = string(b)
		case fContentDisposition:
			rec.ContentDisposition = string(b)
		case fContentEncoding:
			rec.ContentEncoding = string(b)
		case fContentLanguage:
			rec.ContentLanguage = string(b)
		case fExpires:
			rec.Expires = string(b)
		case fWebsiteRedirect:
			rec.WebsiteRedirect = string(b)
		case fMetadata:
			rec.Metadata = addPair(rec.Metadata, b)
		case fStorageClass:
			rec.StorageClass = string(b)
		case fTag:
			k, v, hasK, hasV := readPair(b)
			var t s3api.Tag
			if hasK {
				t.Key = ptr(string(k))
			}
			if hasV {
				t.Value = ptr(string(v))
			}
			rec.Tags = append(rec.Tags, t)
		case fACL:
			rec.ACL = new(s3api.AccessControlPolicy)
			if err := json.Unmarshal(b, rec.ACL); err != nil {
				return err
			}
		case fChecksum:
			rec.Checksum = addPair(rec.Checksum, b)
		case fChecksumType:
			rec.ChecksumType = string(b)
		case fSSE:
			rec.SSE = string(b)
		case fSSEKMSKeyID:
			rec.SSEKMSKeyID = string(b)
		case fBucketKey:
			rec.BucketKey = v != 0
		case fSSECustAlgo:
			rec.SSECustAlgo = string(b)
		case fSSECustKeyMD5:
			rec.SSECustKeyMD5 = string(b)
		case fLockMode:
			rec.LockMode = string(b)
		case fLockRetainUntil:
			rec.LockRetainUntil = readTime(b)
		case fLegalHold:
			rec.LegalHold = string(b)
		}
	}
	return r.err
}

// versionIDString avoids an allocation for the most common version id.
func versionIDString(b []byte) string {
	if string(b) == "null" {
		return "null"
	}
	return string(b)
}

func readSegment(b []byte) segment {
	var sg segment
	r := rowReader{b: b}
	for f, wire, ok := r.next(); ok; f, wire, ok = r.next() {
		v, s := r.value(wire)
		switch f {
		case fSegBlob:
			sg.Blob = string(s)
		case fSegSize:
			sg.Size = unzigzag(v)
		case fSegInline:
			sg.Inline = v != 0
		}
	}
	return sg
}

func readPart(b []byte) partInfo {
	var p partInfo
	r := rowReader{b: b}
	for f, wire, ok := r.next(); ok; f, wire, ok = r.next() {
		v, s := r.value(wire)
		switch f {
		case fPartSize:
			p.Size = unzigzag(v)
		case fPartETag:
			p.ETag = string(s)
		case fPartChecksum:
			p.Checksum = addPair(p.Checksum, s)
		}
	}
	return p
}

// decodeListedRow reads only what a listing shows of a row. owners interns
// owner ids across the rows of one page (they are nearly always the same
// few accounts).
func decodeListedRow(row []byte, v *listedVersion, owners *[]string) error {
	r, done, err := openObjectRow(row, v)
	if done {
		return err
	}
	*v = listedVersion{}
	for f, wire, ok := r.next(); ok; f, wire, ok = r.next() {
		n, b := r.value(wire)
		switch f {
		case fVersionID:
			v.VersionID = versionIDString(b)
		case fDeleteMarker:
			v.DeleteMarker = n != 0
		case fLastModified:
			v.LastModified = readTime(b)
		case fOwner:
			v.Owner = intern(owners, b)
		case fSize:
			v.Size = unzigzag(n)
		case fETag:
			v.ETag = string(b)
		case fStorageClass:
			v.StorageClass = intern(owners, b)
		case fChecksum:
			v.Checksum = addPair(v.Checksum, b)
		case fChecksumType:
			v.ChecksumType = intern(owners, b)
		}
	}
	return r.err
}

// intern returns b as a string, reusing an equal string of seen (a short
// list: a page shows few distinct owners and storage classes).
func intern(seen *[]string, b []byte) string {
	for _, s := range *seen {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	if len(*seen) < 16 {
		*seen = append(*seen, s)
	}
	return s
}

// getObjectRow loads the object row at key into rec.
func getObjectRow(tx storage.Tx, key []byte, rec *objectRecord) error {
	raw, err := tx.Get(tableObjects, key)
	if err != nil {
		return err
	}
	return decodeObjectRow(raw, rec)
}

// putObjectRow stores rec as the row of its version.
func putObjectRow(tx storage.Tx, bucket string, rec *objectRecord) error {
	raw, err := appendObjectRow(make([]byte, 0, 256), rec)
	if err != nil {
		return err
	}
	return tx.Put(tableObjects, objectKey(bucket, rec.Key, rec.Seq), raw)
}
