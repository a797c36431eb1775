// Package awschunked decodes request bodies sent with
// `Content-Encoding: aws-chunked`: the streaming payloads of S3 uploads
// (x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER).
//
// The body is a series of chunks, each `<hex size>[;chunk-signature=<sig>]\r\n
// <data>\r\n`, ended by a zero-size chunk, optional trailing headers
// (`name:value\r\n`, e.g. x-amz-checksum-crc32) and an empty line. The
// Reader yields the data as it arrives, in constant memory, verifies chunk
// signatures when it is given the signing key, and exposes the trailing
// headers after EOF.
//
// A consumer sees data before the signature of its chunk is checked, so it
// must discard what it read when Read ends with an error rather than io.EOF.
package awschunked

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

const (
	maxLineLen     = 4096     // a chunk header or one trailing header
	maxTrailerSize = 16 << 10 // all trailing headers together
	emptySHA256    = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	maxChunkSize   = 1<<63 - 1 // sizes are parsed into int64
)

// Signing holds what chunk signatures are checked against: the signing key
// and the request's seed signature, date and credential scope (see
// sigv4.Result).
type Signing struct {
	Key     []byte
	Seed    string
	AmzDate string
	Scope   string
}

// Options tunes a Reader. The zero value decodes without checks.
type Options struct {
	// Signing, when set, makes the Reader verify every chunk signature and
	// the trailer signature.
	Signing *Signing
	// CheckLength makes the Reader fail unless the payload is exactly
	// DecodedLength bytes (x-amz-decoded-content-length).
	CheckLength   bool
	DecodedLength int64
	// MinChunkSize, when positive, is the smallest size allowed for every
	// chunk but the last data chunk (S3 requires 8 KiB).
	MinChunkSize int64
	// Trailers lists the trailing headers announced in x-amz-trailer; each
	// must arrive.
	Trailers []string
}

// Errors S3 answers for malformed streaming bodies.
var (
	ErrIncompleteBody = awserr.Def{Code: "IncompleteBody", Status: http.StatusBadRequest, Sender: true}
	// S3 answers a chunk under the minimum with 403 Forbidden.
	ErrInvalidChunkSize = awserr.Def{Code: "InvalidChunkSizeError", Status: http.StatusForbidden, Sender: true}
	ErrMalformedTrailer = awserr.Def{Code: "MalformedTrailerError", Status: http.StatusBadRequest, Sender: true}
)

// Error is a decoding failure. It unwraps to the *awserr.Error that S3
// sends for it, so services can return it as is.
type Error struct {
	AWS *awserr.Error
}

func (e *Error) Error() string { return "awschunked: " + e.AWS.Error() }
func (e *Error) Unwrap() error { return e.AWS }

func malformed() error {
	return &Error{ErrIncompleteBody.New("The request body terminated unexpectedly")}
}

// lengthDetail is the extra content of IncompleteBody for a length
// mismatch, in S3's element order.
type lengthDetail struct {
	NumberBytesExpected *string `aws:"name=NumberBytesExpected"`
	NumberBytesProvided *string `aws:"name=NumberBytesProvided"`
}

type chunkSizeDetail struct {
	Chunk        *string `aws:"name=Chunk"`
	BadChunkSize *string `aws:"name=BadChunkSize"`
}

func str(n int64) *string { s := strconv.FormatInt(n, 10); return &s }

type state int

const (
	stHeader  state = iota // next: a chunk header line
	stData                 // inside a chunk's data
	stDataEnd              // next: the CRLF after a chunk's data
	stDone
)

// Reader decodes an aws-chunked body.
type Reader struct {
	br   *bufio.Reader
	opts Options

	state     state
	remaining int64 // data bytes left in the current chunk
	total     int64 // data bytes delivered
	chunks    int64 // data chunks seen
	lastSize  int64 // size of the previous data chunk
	err       error

	prevSig  string
	chunkSig string
	h        hash.Hash // SHA-256 of the current chunk's data when signing

	trailer http.Header
}

// NewReader returns a Reader decoding the aws-chunked body r.
func NewReader(r io.Reader, opts Options) *Reader {
	cr := &Reader{br: bufio.NewReaderSize(r, 16<<10), opts: opts, trailer: http.Header{}, lastSize: -1}
	if opts.Signing != nil {
		cr.prevSig = opts.Signing.Seed
		cr.h = sha256.New()
	}
	return cr
}

// Trailer returns the trailing headers; it is complete once Read has
// returned io.EOF. The x-amz-trailer-signature header is not included.
func (r *Reader) Trailer() http.Header { return r.trailer }

// Read reads decoded payload bytes.
func (r *Reader) Read(p []byte) (int, error) {
	for {
		if r.err != nil {
			return 0, r.err
		}
		switch r.state {
		case stHeader:
			r.err = r.readChunkHeader()
		case stDataEnd:
			r.err = r.endChunk()
		case stDone:
			return 0, io.EOF
		case stData:
			if len(p) == 0 {
				return 0, nil
			}
			if int64(len(p)) > r.remaining {
				p = p[:r.remaining]
			}
			n, err := r.br.Read(p)
			r.remaining -= int64(n)
			r.total += int64(n)
			if r.h != nil {
				r.h.Write(p[:n])
			}
			if r.opts.CheckLength && r.total > r.opts.DecodedLength {
				r.err = r.lengthError()
				return n, r.err
			}
			if r.remaining == 0 {
				r.state = stDataEnd
			}
			if err == io.EOF && r.remaining > 0 {
				err = malformed()
			}
			if err != nil && err != io.EOF {
				r.err = err
				return n, err
			}
			if n > 0 {
				return n, nil
			}
		}
	}
}

func (r *Reader) lengthError() error {
	return &Error{ErrIncompleteBody.New("You did not provide the number of bytes specified by the Content-Length HTTP header").
		WithDetail(&lengthDetail{NumberBytesExpected: str(r.opts.DecodedLength), NumberBytesProvided: str(r.total)})}
}

// readLine reads one CRLF-terminated line (a bare LF is tolerated) without
// its terminator. At a clean EOF it returns io.EOF.
func (r *Reader) readLine() (string, error) {
	line, err := r.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(line) > maxLineLen:
		return "", malformed()
	case err == io.EOF && len(line) == 0:
		return "", io.EOF
	case err != nil:
		return "", malformed()
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	return string(line), nil
}

func (r *Reader) readChunkHeader() error {
	line, err := r.readLine()
	if err != nil {
		return malformed()
	}
	sizeText, ext, _ := strings.Cut(line, ";")
	sizeText = strings.TrimSpace(sizeText)
	if sizeText == "" || len(sizeText) > 16 {
		return malformed()
	}
	size, err := strconv.ParseUint(sizeText, 16, 64)
	if err != nil || size > maxChunkSize {
		return malformed()
	}
	r.chunkSig = ""
	for item := range strings.SplitSeq(ext, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(item), "=")
		if k == "chunk-signature" {
			r.chunkSig = v
		}
	}
	if r.opts.Signing != nil && r.chunkSig == "" {
		return signatureMismatch()
	}
	if size > 0 {
		// Only the last data chunk may be smaller than the minimum; seeing
		// another one proves the previous was not the last.
		if m := r.opts.MinChunkSize; m > 0 && r.lastSize >= 0 && r.lastSize < m {
			return &Error{ErrInvalidChunkSize.New("Only the last chunk is allowed to have a size less than 8192 bytes").
				WithDetail(&chunkSizeDetail{Chunk: str(r.chunks), BadChunkSize: str(r.lastSize)})}
		}
		r.chunks++
		r.lastSize = int64(size)
		r.remaining = int64(size)
		if r.h != nil {
			r.h.Reset()
		}
		r.state = stData
		return nil
	}
	// The final, empty chunk.
	if r.h != nil {
		r.h.Reset()
		if err := r.verifyChunk(); err != nil {
			return err
		}
	}
	if err := r.readTrailer(); err != nil {
		return err
	}
	if r.opts.CheckLength && r.total != r.opts.DecodedLength {
		return r.lengthError()
	}
	r.state = stDone
	return nil
}

// endChunk consumes the CRLF after a chunk's data and checks its signature.
func (r *Reader) endChunk() error {
	line, err := r.readLine()
	if err != nil || line != "" {
		return malformed()
	}
	if r.h != nil {
		if err := r.verifyChunk(); err != nil {
			return err
		}
	}
	r.state = stHeader
	return nil
}

func signatureMismatch() error {
	return &Error{awserr.SignatureMismatch.New("The request signature we calculated does not match the signature you provided. Check your key and signing method.")}
}

func (r *Reader) verifyChunk() error {
	s := r.opts.Signing
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + s.AmzDate + "\n" + s.Scope + "\n" + r.prevSig + "\n" + emptySHA256 + "\n" + hex.EncodeToString(r.h.Sum(nil))
	want := sign(s.Key, sts)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(r.chunkSig))) {
		return signatureMismatch()
	}
	r.prevSig = want
	return nil
}

// readTrailer reads the trailing headers up to the empty line that ends the
// body. A body that ends right after the final chunk has no trailer.
func (r *Reader) readTrailer() error {
	var canonical strings.Builder
	var signature string
	size := 0
	for {
		line, err := r.readLine()
		if err == io.EOF && size == 0 {
			break
		}
		if err != nil {
			return malformedTrailer()
		}
		if line == "" {
			break
		}
		size += len(line) + 2
		if size > maxTrailerSize {
			return malformedTrailer()
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if !ok || name == "" {
			return malformedTrailer()
		}
		if name == "x-amz-trailer-signature" {
			signature = value
			continue
		}
		r.trailer.Add(name, value)
		canonical.WriteString(name + ":" + value + "\n")
	}
	for _, want := range r.opts.Trailers {
		if want = strings.TrimSpace(want); want != "" && r.trailer.Get(want) == "" {
			return malformedTrailer()
		}
	}
	if s := r.opts.Signing; s != nil && (canonical.Len() > 0 || signature != "") {
		sum := sha256.Sum256([]byte(canonical.String()))
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + s.AmzDate + "\n" + s.Scope + "\n" + r.prevSig + "\n" + hex.EncodeToString(sum[:])
		if !hmac.Equal([]byte(sign(s.Key, sts)), []byte(strings.ToLower(signature))) {
			return signatureMismatch()
		}
	}
	return nil
}

func malformedTrailer() error {
	return &Error{ErrMalformedTrailer.New("The request contained trailing data that was not well-formed or did not conform to our published schema.")}
}

func sign(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// IsChunked reports whether a request with these headers has an
// aws-chunked body: Content-Encoding lists aws-chunked, or the payload hash
// announces a streaming payload.
func IsChunked(h http.Header) bool {
	if strings.HasPrefix(h.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return true
	}
	for _, v := range h.Values("Content-Encoding") {
		for enc := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(enc), "aws-chunked") {
				return true
			}
		}
	}
	return false
}

// StripEncoding removes aws-chunked from Content-Encoding, deleting the
// header when nothing else is left, so what remains is the object's own
// encoding.
func StripEncoding(h http.Header) {
	var keep []string
	for _, v := range h.Values("Content-Encoding") {
		for enc := range strings.SplitSeq(v, ",") {
			if enc = strings.TrimSpace(enc); enc != "" && !strings.EqualFold(enc, "aws-chunked") {
				keep = append(keep, enc)
			}
		}
	}
	if len(keep) == 0 {
		h.Del("Content-Encoding")
		return
	}
	h.Set("Content-Encoding", strings.Join(keep, ","))
}

// DecodedLength returns x-amz-decoded-content-length, or false when it is
// absent or not a non-negative integer.
func DecodedLength(h http.Header) (int64, bool) {
	v := h.Get("X-Amz-Decoded-Content-Length")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// Trailers returns the names announced in x-amz-trailer.
func Trailers(h http.Header) []string {
	var names []string
	for _, v := range h.Values("X-Amz-Trailer") {
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, strings.ToLower(n))
			}
		}
	}
	return names
}
