// Package checksum implements the S3 flexible checksums: CRC32, CRC32C,
// CRC64NVME, SHA1, SHA256 (and MD5 for Content-MD5), in the form S3 puts on
// the wire (base64 of the big-endian digest), a streaming hasher that computes
// several at once, and the two multipart forms: the COMPOSITE "checksum of
// checksums" (`<b64>-N`) and FULL_OBJECT CRCs combined from part CRCs.
package checksum

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"strings"
)

// Algorithm is a checksum algorithm as S3 names it in ChecksumAlgorithm.
type Algorithm string

const (
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
	// MD5 is not a flexible checksum; it is here for Content-MD5 and ETags.
	MD5 Algorithm = "MD5"
)

// Flexible lists the algorithms S3 accepts as x-amz-checksum-*, in the order
// S3 documents them.
var Flexible = []Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

// Parse returns the algorithm named s (any case), or false.
func Parse(s string) (Algorithm, bool) {
	switch a := Algorithm(strings.ToUpper(s)); a {
	case CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5:
		return a, true
	}
	return "", false
}

// FromHeader returns the algorithm of a checksum header name such as
// "x-amz-checksum-crc32c" (any case), or false.
func FromHeader(name string) (Algorithm, bool) {
	const prefix = "x-amz-checksum-"
	if len(name) <= len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return "", false
	}
	a, ok := Parse(name[len(prefix):])
	if !ok || a == MD5 {
		return "", false
	}
	return a, true
}

// Header is the HTTP header that carries this checksum: x-amz-checksum-<alg>
// in lower case as S3 sends it, or Content-MD5.
func (a Algorithm) Header() string {
	if a == MD5 {
		return "Content-MD5"
	}
	return "x-amz-checksum-" + strings.ToLower(string(a))
}

// IsCRC reports whether the algorithm is a CRC, the only kind that S3 can
// combine into a FULL_OBJECT multipart checksum.
func (a Algorithm) IsCRC() bool { return a == CRC32 || a == CRC32C || a == CRC64NVME }

// Size is the digest length in bytes, 0 for an unknown algorithm.
func (a Algorithm) Size() int {
	switch a {
	case CRC32, CRC32C:
		return 4
	case CRC64NVME:
		return 8
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	case MD5:
		return md5.Size
	}
	return 0
}

// New returns a new hash of the algorithm; it panics on an unknown one, which
// is a programming error (callers get algorithms from Parse).
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case CRC64NVME:
		return NewCRC64NVME()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	case MD5:
		return md5.New()
	}
	panic("checksum: unknown algorithm " + string(a))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode is the wire form of a digest: standard base64 with padding.
func Encode(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// ErrInvalid reports a checksum value that is not base64 of a digest of the
// algorithm's size.
var ErrInvalid = errors.New("checksum: invalid value")

// Decode parses the wire form of a checksum of algorithm a.
func Decode(a Algorithm, s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != a.Size() || a.Size() == 0 {
		return nil, fmt.Errorf("%w: %s %q", ErrInvalid, a, s)
	}
	return b, nil
}

// Valid reports whether s is a well-formed checksum value of algorithm a.
func Valid(a Algorithm, s string) bool {
	_, err := Decode(a, s)
	return err == nil
}

// Sum returns the wire form of the checksum of data.
func Sum(a Algorithm, data []byte) string {
	h := a.New()
	h.Write(data)
	return Encode(h.Sum(nil))
}

// Hasher computes several checksums of one stream at once, plus its size.
// It is an io.Writer; write the whole payload, then read the sums.
type Hasher struct {
	algs   []Algorithm
	hashes []hash.Hash
	w      io.Writer
	size   int64
}

// NewHasher returns a Hasher for the given algorithms (duplicates ignored).
func NewHasher(algs ...Algorithm) *Hasher {
	h := &Hasher{}
	var writers []io.Writer
	for _, a := range algs {
		if h.index(a) >= 0 {
			continue
		}
		hh := a.New()
		h.algs = append(h.algs, a)
		h.hashes = append(h.hashes, hh)
		writers = append(writers, hh)
	}
	h.w = io.MultiWriter(writers...)
	return h
}

func (h *Hasher) index(a Algorithm) int {
	for i, x := range h.algs {
		if x == a {
			return i
		}
	}
	return -1
}

// Write adds p to every checksum; it never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	h.size += int64(len(p))
	return h.w.Write(p)
}

// Size is the number of bytes written so far.
func (h *Hasher) Size() int64 { return h.size }

// Raw returns the digest of algorithm a so far, or nil if the Hasher does
// not compute it.
func (h *Hasher) Raw(a Algorithm) []byte {
	i := h.index(a)
	if i < 0 {
		return nil
	}
	return h.hashes[i].Sum(nil)
}

// Sum returns the wire form of checksum a so far, or "" if the Hasher does
// not compute it.
func (h *Hasher) Sum(a Algorithm) string {
	raw := h.Raw(a)
	if raw == nil {
		return ""
	}
	return Encode(raw)
}

// Sums returns the wire form of every checksum computed.
func (h *Hasher) Sums() map[Algorithm]string {
	m := make(map[Algorithm]string, len(h.algs))
	for i, a := range h.algs {
		m[a] = Encode(h.hashes[i].Sum(nil))
	}
	return m
}

// ETag is the quoted hex MD5 of what was written, as S3 sends for a
// single-part object; the Hasher must compute MD5.
func (h *Hasher) ETag() string {
	raw := h.Raw(MD5)
	if raw == nil {
		return ""
	}
	return `"` + hex.EncodeToString(raw) + `"`
}

// Composite returns the multipart COMPOSITE checksum of algorithm a: the
// checksum of the concatenated raw part checksums, then "-" and the number of
// parts. parts holds each part's wire-form checksum in part order.
func Composite(a Algorithm, parts []string) (string, error) {
	if len(parts) == 0 {
		return "", fmt.Errorf("%w: no parts", ErrInvalid)
	}
	h := a.New()
	for _, p := range parts {
		raw, err := Decode(a, p)
		if err != nil {
			return "", err
		}
		h.Write(raw)
	}
	return fmt.Sprintf("%s-%d", Encode(h.Sum(nil)), len(parts)), nil
}

// MultipartETag returns the ETag S3 gives a completed multipart upload: the
// hex MD5 of the concatenated binary part MD5s, then "-" and the number of
// parts, quoted. partETags are the parts' ETags, quoted or not.
func MultipartETag(partETags []string) (string, error) {
	h := md5.New()
	for _, e := range partETags {
		raw, err := hex.DecodeString(strings.Trim(e, `"`))
		if err != nil || len(raw) != md5.Size {
			return "", fmt.Errorf("%w: ETag %q", ErrInvalid, e)
		}
		h.Write(raw)
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(partETags)), nil
}

// Part is one part of a multipart upload for FULL_OBJECT combining.
type Part struct {
	Checksum string // wire form
	Size     int64  // bytes in the part
}

// CombineFullObject returns the FULL_OBJECT checksum of a multipart upload:
// the CRC of the whole object, computed from the parts' CRCs and sizes
// without reading the data. Only CRC algorithms can be combined.
func CombineFullObject(a Algorithm, parts []Part) (string, error) {
	if !a.IsCRC() {
		return "", fmt.Errorf("checksum: %s cannot be combined into a full-object checksum", a)
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("%w: no parts", ErrInvalid)
	}
	var total uint64
	for i, p := range parts {
		raw, err := Decode(a, p.Checksum)
		if err != nil {
			return "", err
		}
		if p.Size < 0 {
			return "", fmt.Errorf("%w: negative part size", ErrInvalid)
		}
		v := fromBigEndian(raw)
		if i == 0 {
			total = v
			continue
		}
		total = Combine(a, total, v, p.Size)
	}
	return Encode(toBigEndian(a, total)), nil
}

func fromBigEndian(b []byte) uint64 {
	if len(b) == 4 {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

func toBigEndian(a Algorithm, v uint64) []byte {
	if a.Size() == 4 {
		return binary.BigEndian.AppendUint32(nil, uint32(v))
	}
	return binary.BigEndian.AppendUint64(nil, v)
}
