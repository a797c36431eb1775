package s3

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// maxObjectSize is the largest single PUT S3 accepts (5 GiB).
const maxObjectSize = 5 << 30

// received is a request body stored as a blob, or held for inline storage.
type received struct {
	seg  segment
	md5  []byte
	sums map[string]string // flexible checksums computed while receiving
	// inline holds the bytes of a small body (seg.Inline); the caller
	// stores them with storeInline in the transaction that commits the
	// object, then calls done.
	inline []byte
	// pooled is the buffer inline lives in.
	pooled *[]byte
}

// done gives back the memory of an inline body once it has been stored.
func (r *received) done() {
	if r.pooled != nil {
		inlineBufs.Put(r.pooled)
		r.pooled, r.inline = nil, nil
	}
}

// maxInlineSize is the largest body kept inside the metadata store. Below
// it, creating and renaming a file costs more than the bytes themselves.
const maxInlineSize = 64 << 10

var inlineBufs = sync.Pool{New: func() any { b := make([]byte, maxInlineSize+1); return &b }}

// receiveSmallBody is receiveBody for callers that can store a small body
// inline: a body of at most maxInlineSize bytes comes back in memory (the
// caller calls done when it no longer needs it), a larger one is streamed
// into a blob as receiveBody does.
func (s *Service) receiveSmallBody(body io.Reader, size int64, algos []string) (*received, error) {
	if size > maxInlineSize || body == nil {
		return s.receiveBody(body, size, algos)
	}
	bufp := inlineBufs.Get().(*[]byte)
	kept := false
	defer func() {
		if !kept {
			inlineBufs.Put(bufp)
		}
	}()
	buf := *bufp
	n, err := io.ReadFull(body, buf)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
	case err != nil:
		return nil, bodyError(err)
	default:
		// More than maxInlineSize bytes: stream the rest to a blob.
		return s.receiveBody(io.MultiReader(bytes.NewReader(buf[:n]), body), size, algos)
	}
	data := buf[:n]
	if size >= 0 && int64(n) != size {
		return nil, errIncompleteBody.New("You did not provide the number of bytes specified by the Content-Length HTTP header")
	}
	sums, err := newChecksums(algos)
	if err != nil {
		return nil, err
	}
	sum := md5.Sum(data)
	kept = true
	r := &received{seg: segment{Blob: newInlineID(), Size: int64(n), Inline: true}, md5: sum[:], sums: map[string]string{}, inline: data, pooled: bufp}
	for name, c := range sums {
		c.Write(data)
		r.sums[name] = base64.StdEncoding.EncodeToString(c.Sum(nil))
	}
	return r, nil
}

// readInline returns a copy of the bytes of an inline segment.
func readInline(tx storage.Tx, sg segment) ([]byte, error) {
	v, err := tx.Get(tableInline, []byte(sg.Blob))
	if err != nil {
		return nil, fmt.Errorf("s3: inline body %s: %w", sg.Blob, err)
	}
	if int64(len(v)) != sg.Size {
		return nil, fmt.Errorf("s3: inline body %s has %d bytes, want %d", sg.Blob, len(v), sg.Size)
	}
	return bytes.Clone(v), nil
}

// inlineReader reads bytes [off, off+n) of an inline body.
func inlineReader(data []byte, off, n int64) io.Reader {
	return &segmentReader{cur: bytes.NewReader(data[off : off+n])}
}

// storeInline writes an inline body in the transaction that commits its
// object; it does nothing for a body kept as a blob.
func storeInline(tx storage.Tx, r *received) error {
	if !r.seg.Inline {
		return nil
	}
	return tx.Put(tableInline, []byte(r.seg.Blob), r.inline)
}

func newInlineID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// receiveBody streams body into a new blob, computing its MD5 and the
// flexible checksums named in algos. size is the declared length (-1 when
// unknown); a body shorter than declared is IncompleteBody.
func (s *Service) receiveBody(body io.Reader, size int64, algos []string) (*received, error) {
	if size > maxObjectSize {
		return nil, errEntityTooLarge.New("Your proposed upload exceeds the maximum allowed object size.")
	}
	w, err := s.blobs.Create()
	if err != nil {
		return nil, err
	}
	h := md5.New()
	sums, err := newChecksums(algos)
	if err != nil {
		_ = w.Abort()
		return nil, err
	}
	hashes := []hash.Hash{h}
	for _, c := range sums {
		hashes = append(hashes, c)
	}
	var n int64
	if body != nil {
		limit := int64(maxObjectSize + 1)
		if size >= 0 {
			limit = size + 1
		}
		var readErr, writeErr error
		n, readErr, writeErr = copyHashing(w, io.LimitReader(body, limit), hashes)
		if err := cmp.Or(readErr, writeErr); err != nil {
			_ = w.Abort()
			return nil, bodyError(err)
		}
	}
	if size >= 0 && n != size {
		_ = w.Abort()
		if n > size {
			return nil, errInvalidRequest.New("The request body is longer than the declared Content-Length.")
		}
		return nil, errIncompleteBody.New("You did not provide the number of bytes specified by the Content-Length HTTP header")
	}
	if n > maxObjectSize {
		_ = w.Abort()
		return nil, errEntityTooLarge.New("Your proposed upload exceeds the maximum allowed object size.")
	}
	id, err := w.Commit()
	if err != nil {
		return nil, err
	}
	r := &received{seg: segment{Blob: id, Size: n}, md5: h.Sum(nil), sums: map[string]string{}}
	for name, c := range sums {
		r.sums[name] = base64.StdEncoding.EncodeToString(c.Sum(nil))
	}
	return r, nil
}

// bodyError turns a failure while reading the request body into the error
// the client sees: a decoding error of the protocol layer (an *awserr.Error,
// for example a bad aws-chunked signature) passes through.
func bodyError(err error) error {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return err
	}
	return errIncompleteBody.New("The request body terminated unexpectedly")
}

// etagOf is the ETag of a single-part object: the quoted hex MD5.
func etagOf(md5sum []byte) string { return `"` + hex.EncodeToString(md5sum) + `"` }

// checkContentMD5 compares a Content-MD5 header with the digest of the body.
func checkContentMD5(header *string, sum []byte) error {
	if header == nil {
		return nil
	}
	want, err := base64.StdEncoding.DecodeString(*header)
	if err != nil || len(want) != md5.Size {
		return errInvalidDigest.New("The Content-MD5 you specified was invalid.").WithDetail(map[string]string{"Content-MD5": *header})
	}
	if string(want) != string(sum) {
		return errBadDigest.New("The Content-MD5 you specified did not match what we received.").WithDetail(map[string]string{
			"ExpectedDigest":   *header,
			"CalculatedDigest": base64.StdEncoding.EncodeToString(sum),
		})
	}
	return nil
}

// newChecksums starts the computations for the named algorithms.
func newChecksums(algos []string) (map[string]hash.Hash, error) {
	out := map[string]hash.Hash{}
	for _, a := range algos {
		h, err := newChecksumHash(a)
		if err != nil {
			return nil, err
		}
		out[a] = h
	}
	return out, nil
}

// objectReader returns a reader of bytes [off, off+n) of an object made of
// segs. Segments are opened one at a time as the reader reaches them (an
// object may have 10,000 parts). A read inside one file segment is a plain
// *os.File section, so net/http can send it with sendfile.
func (s *Service) objectReader(segs []segment, off, n int64) (io.Reader, error) {
	var pieces []piece
	for _, sg := range segs {
		if n <= 0 {
			break
		}
		if off >= sg.Size {
			off -= sg.Size
			continue
		}
		take := min(sg.Size-off, n)
		pieces = append(pieces, piece{seg: sg, off: off, n: take})
		n -= take
		off = 0
	}
	r := &segmentReader{s: s, pieces: pieces}
	// Open the first piece now, so that a missing body fails the request
	// before any header is written.
	if err := r.openNext(); err != nil {
		return nil, err
	}
	return r, nil
}

// piece is the part of one segment that a read covers.
type piece struct {
	seg    segment
	off, n int64
}

// segmentReader reads pieces in order, holding at most one blob open.
type segmentReader struct {
	s      *Service
	pieces []piece
	cur    io.Reader
	closer io.Closer
}

func (r *segmentReader) openNext() error {
	r.closeCurrent()
	if len(r.pieces) == 0 {
		r.cur = nil
		return nil
	}
	p := r.pieces[0]
	r.pieces = r.pieces[1:]
	if p.seg.Inline {
		var data []byte
		err := r.s.db.View(context.Background(), func(tx storage.Tx) error {
			var err error
			data, err = readInline(tx, p.seg)
			return err
		})
		if err != nil {
			return err
		}
		r.cur = bytes.NewReader(data[p.off : p.off+p.n])
		return nil
	}
	b, err := r.s.blobs.Open(p.seg.Blob)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("s3: object body %s is missing: %w", p.seg.Blob, err)
		}
		return err
	}
	if _, err := b.Seek(p.off, io.SeekStart); err != nil {
		_ = b.Close()
		return err
	}
	var src io.Reader = b
	if f, ok := b.(interface{ File() *os.File }); ok {
		src = f.File()
	}
	r.cur, r.closer = &io.LimitedReader{R: src, N: p.n}, b
	return nil
}

func (r *segmentReader) closeCurrent() {
	if r.closer != nil {
		_ = r.closer.Close()
		r.closer = nil
	}
}

func (r *segmentReader) Read(p []byte) (int, error) {
	for r.cur != nil {
		n, err := r.cur.Read(p)
		if err == io.EOF {
			err = nil
			if n == 0 {
				if oerr := r.openNext(); oerr != nil {
					return 0, oerr
				}
				continue
			}
		}
		return n, err
	}
	return 0, io.EOF
}

// WriteTo hands each file piece to the connection's ReadFrom, which uses
// sendfile for an *os.File section.
func (r *segmentReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.cur != nil {
		var n int64
		var err error
		if rf, ok := w.(io.ReaderFrom); ok {
			n, err = rf.ReadFrom(r.cur)
		} else {
			n, err = io.Copy(w, r.cur)
		}
		total += n
		if err != nil {
			return total, err
		}
		if err := r.openNext(); err != nil {
			return total, err
		}
	}
	return total, nil
}

// Close releases the blob being read.
func (r *segmentReader) Close() error {
	r.closeCurrent()
	r.cur, r.pieces = nil, nil
	return nil
}
