package s3

import (
	"crypto/md5"
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

// received is a request body stored as a blob.
type received struct {
	seg    segment
	md5    []byte
	sums   map[string]string // flexible checksums computed while receiving
	closed bool
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

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
	writers := []io.Writer{w, h}
	for _, c := range sums {
		writers = append(writers, c)
	}
	var n int64
	if body != nil {
		bufp := copyBufs.Get().(*[]byte)
		limit := int64(maxObjectSize + 1)
		if size >= 0 {
			limit = size + 1
		}
		n, err = io.CopyBuffer(io.MultiWriter(writers...), io.LimitReader(body, limit), *bufp)
		copyBufs.Put(bufp)
		if err != nil {
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
// segs. A read inside one segment is an *os.File section, so net/http can
// send it with sendfile.
func (s *Service) objectReader(segs []segment, off, n int64) (io.Reader, error) {
	var readers []io.Reader
	var closers []io.Closer
	closeAll := func() {
		for _, c := range closers {
			_ = c.Close()
		}
	}
	for _, sg := range segs {
		if n <= 0 {
			break
		}
		if off >= sg.Size {
			off -= sg.Size
			continue
		}
		b, err := s.blobs.Open(sg.Blob)
		if err != nil {
			closeAll()
			if errors.Is(err, storage.ErrNotFound) {
				return nil, fmt.Errorf("s3: object body %s is missing: %w", sg.Blob, err)
			}
			return nil, err
		}
		closers = append(closers, b)
		take := min(sg.Size-off, n)
		if _, err := b.Seek(off, io.SeekStart); err != nil {
			closeAll()
			return nil, err
		}
		var r io.Reader = b
		if f, ok := b.(interface{ File() *os.File }); ok {
			r = f.File()
		}
		readers = append(readers, &io.LimitedReader{R: r, N: take})
		n -= take
		off = 0
	}
	if len(readers) == 1 {
		return &readCloser{Reader: readers[0], closers: closers}, nil
	}
	return &readCloser{Reader: io.MultiReader(readers...), closers: closers}, nil
}

// readCloser closes the blobs of an object body once the response is sent.
type readCloser struct {
	io.Reader
	closers []io.Closer
}

func (r *readCloser) Close() error {
	for _, c := range r.closers {
		_ = c.Close()
	}
	return nil
}

// WriteTo lets io.Copy hand a single-file body to the connection's
// ReadFrom (sendfile) when the body is one *os.File section.
func (r *readCloser) WriteTo(w io.Writer) (int64, error) {
	if rf, ok := w.(io.ReaderFrom); ok {
		return rf.ReadFrom(r.Reader)
	}
	return io.Copy(w, r.Reader)
}
