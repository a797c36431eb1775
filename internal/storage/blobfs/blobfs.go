// Package blobfs is the blob store shared by every storage engine: each blob
// is one file under <dir>/blobs/, so object bodies of any size stream to and
// from disk and never sit in memory.
//
// Layout:
//
//	<dir>/blobs/tmp/<id>      a blob being written (removed at startup)
//	<dir>/blobs/<id[:2]>/<id> a committed blob
//
// Ids are 32 lowercase hex characters of crypto/rand; the two-character
// fan-out keeps directories small when there are millions of blobs.
//
// Durability follows storage.Backend: Commit returns once the bytes and the
// rename have reached the kernel, so a committed blob survives kill -9 of
// the process (the page cache outlives it). With fsync set, Commit also
// fsyncs the file and the directories it changed, so it survives power loss.
//
// A blob that is committed but never referenced by metadata (the process
// died between Commit and the Update that records the id) is an orphan: it
// wastes space but is never read.
package blobfs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

const (
	dirPerm  = 0o700
	filePerm = 0o600
	idLen    = 32
)

var errWriterDone = errors.New("blobfs: blob writer already committed or aborted")

// Store is a storage.BlobStore on a directory.
type Store struct {
	root   string // <dir>/blobs
	tmp    string // <dir>/blobs/tmp
	fsync  bool
	closed atomic.Bool
}

var _ storage.BlobStore = (*Store)(nil)

// Open opens (creating it if needed) the blob store under dir/blobs and
// removes the leftovers of writes a previous process did not finish.
func Open(dir string, fsync bool) (*Store, error) {
	root := filepath.Join(dir, "blobs")
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(root, dirPerm); err != nil {
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("blobfs: clearing unfinished blobs: %w", err)
	}
	if err := os.Mkdir(tmp, dirPerm); err != nil {
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	return &Store{root: root, tmp: tmp, fsync: fsync}, nil
}

// Close makes every later call fail with storage.ErrClosed. Blobs already
// open stay readable.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// Create starts a new blob in tmp/.
func (s *Store) Create() (storage.BlobWriter, error) {
	if s.closed.Load() {
		return nil, storage.ErrClosed
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	tmpPath := filepath.Join(s.tmp, id)
	f, err := os.OpenFile(tmpPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	return &Writer{store: s, id: id, tmpPath: tmpPath, f: f}, nil
}

// Open opens a committed blob. An id the store could not have made is
// reported as storage.ErrNotFound, so ids never reach the file system
// unchecked.
func (s *Store) Open(id string) (storage.Blob, error) {
	if s.closed.Load() {
		return nil, storage.ErrClosed
	}
	if !validID(id) {
		return nil, storage.ErrNotFound
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, storage.ErrNotFound
		}
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blobfs: %w", err)
	}
	return &Blob{f: f, size: fi.Size()}, nil
}

// Delete removes a committed blob; readers that have it open keep reading.
func (s *Store) Delete(id string) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	if !validID(id) {
		return nil
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blobfs: %w", err)
	}
	return nil
}

func (s *Store) path(id string) string {
	return filepath.Join(s.root, id[:2], id)
}

func newID() (string, error) {
	var b [idLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("blobfs: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Writer is a blob being written to its temporary file.
type Writer struct {
	store   *Store
	id      string
	tmpPath string
	f       *os.File // nil once committed or aborted
}

var _ storage.BlobWriter = (*Writer)(nil)

// Write appends p to the blob.
func (w *Writer) Write(p []byte) (int, error) {
	if w.f == nil {
		return 0, errWriterDone
	}
	return w.f.Write(p)
}

// ReadFrom streams r into the blob through the file's own ReadFrom, which
// uses copy_file_range or splice where it can and a fixed-size buffer
// otherwise: memory stays constant whatever the size of the blob.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.f == nil {
		return 0, errWriterDone
	}
	return w.f.ReadFrom(r)
}

// Commit moves the blob into place and returns its id.
func (w *Writer) Commit() (string, error) {
	if w.f == nil {
		return "", errWriterDone
	}
	f := w.f
	w.f = nil
	if w.store.closed.Load() {
		f.Close()
		os.Remove(w.tmpPath)
		return "", storage.ErrClosed
	}
	if w.store.fsync {
		if err := f.Sync(); err != nil {
			f.Close()
			os.Remove(w.tmpPath)
			return "", fmt.Errorf("blobfs: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(w.tmpPath)
		return "", fmt.Errorf("blobfs: %w", err)
	}
	if err := w.store.moveIntoPlace(w.tmpPath, w.id); err != nil {
		os.Remove(w.tmpPath)
		return "", err
	}
	return w.id, nil
}

// moveIntoPlace renames a finished temporary file to its final path,
// creating the fan-out directory the first time it is needed.
func (s *Store) moveIntoPlace(tmpPath, id string) error {
	dst := s.path(id)
	fanout := filepath.Dir(dst)
	err := os.Rename(tmpPath, dst)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(fanout, dirPerm); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("blobfs: %w", err)
		}
		if s.fsync {
			if err := syncDir(s.root); err != nil {
				return err
			}
		}
		err = os.Rename(tmpPath, dst)
	}
	if err != nil {
		return fmt.Errorf("blobfs: %w", err)
	}
	if s.fsync {
		return syncDir(fanout)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blobfs: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("blobfs: syncing %s: %w", dir, err)
	}
	return nil
}

// Abort discards the blob. After Commit (or a second Abort) it does
// nothing, so callers may defer it right after Create.
func (w *Writer) Abort() error {
	if w.f == nil {
		return nil
	}
	w.f.Close()
	w.f = nil
	if err := os.Remove(w.tmpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blobfs: %w", err)
	}
	return nil
}

// Blob is a committed blob open for reading.
//
// It implements syscall.Conn, which is what net's sendfile looks for: an
// http.ServeContent of a *Blob (or io.Copy to a TCP connection) sends the
// file from the kernel without copying it through user space.
type Blob struct {
	f    *os.File
	size int64
}

var (
	_ storage.Blob = (*Blob)(nil)
	_ syscall.Conn = (*Blob)(nil)
)

func (b *Blob) Read(p []byte) (int, error)                { return b.f.Read(p) }
func (b *Blob) ReadAt(p []byte, off int64) (int, error)   { return b.f.ReadAt(p, off) }
func (b *Blob) Seek(off int64, whence int) (int64, error) { return b.f.Seek(off, whence) }
func (b *Blob) Close() error                              { return b.f.Close() }

// Size is the length of the blob in bytes.
func (b *Blob) Size() int64 { return b.size }

// File is the open file behind the blob, for callers that want it directly
// (for example to hand it to io.Copy towards a socket).
func (b *Blob) File() *os.File { return b.f }

// SyscallConn exposes the file descriptor so that sendfile can be used.
func (b *Blob) SyscallConn() (syscall.RawConn, error) { return b.f.SyscallConn() }

// WriteTo lets io.Copy hand the whole blob to the file's own WriteTo, which
// uses sendfile or splice when dst is a socket or pipe.
func (b *Blob) WriteTo(dst io.Writer) (int64, error) { return b.f.WriteTo(dst) }
