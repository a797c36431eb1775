package s3

import (
	"hash"
	"io"
	"sync"
)

// A large upload costs three things per byte: reading it from the
// connection, hashing it (MD5 for the ETag, and the flexible checksums)
// and writing it to its blob. MD5 cannot be split, so it sets the pace;
// copyHashing keeps the other two off its path by reading, hashing and
// writing in three goroutines, each a chunk apart.

// pipeChunkSize is the unit the three stages pass on, and pipeChunks how
// many chunks one upload has: its memory, whatever the size of the body.
const (
	pipeChunkSize = 256 << 10
	pipeChunks    = 4
)

// pipeRings recycles the chunks of finished uploads.
var pipeRings = sync.Pool{New: func() any {
	r := new([pipeChunks][]byte)
	for i := range r {
		r[i] = make([]byte, pipeChunkSize)
	}
	return r
}}

type pipeChunk struct {
	buf []byte // a whole chunk
	n   int
}

// copyHashing copies src to dst, feeding every byte to hashes in order. It
// returns the bytes read and the first error of reading (readErr) or of
// writing (writeErr); a read error ends the copy, a write error stops the
// reading. Nothing touches src once it returns.
func copyHashing(dst io.Writer, src io.Reader, hashes []hash.Hash) (n int64, readErr, writeErr error) {
	ring := pipeRings.Get().(*[pipeChunks][]byte)
	defer pipeRings.Put(ring)
	free := make(chan []byte, pipeChunks)
	for _, b := range ring {
		free <- b
	}
	toHash := make(chan pipeChunk, pipeChunks)
	toWrite := make(chan pipeChunk, pipeChunks)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(toHash)
		for {
			var buf []byte
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			got, err := readChunk(src, buf)
			if got > 0 {
				toHash <- pipeChunk{buf, got}
			} else {
				free <- buf
			}
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for c := range toWrite {
			if writeErr == nil {
				if _, err := dst.Write(c.buf[:c.n]); err != nil {
					writeErr = err
					close(stop)
				}
			}
			free <- c.buf
		}
	}()
	for c := range toHash {
		for _, h := range hashes {
			h.Write(c.buf[:c.n])
		}
		n += int64(c.n)
		toWrite <- c
	}
	close(toWrite)
	wg.Wait()
	return n, readErr, writeErr
}

// readChunk reads from r until buf is full or r fails; err is io.EOF at a
// clean end.
func readChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
