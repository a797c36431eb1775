package storetest

import (
	"context"
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Bench runs the engine benchmarks: the costs an S3 PutObject or GetObject
// of a small object pays in the state engine. open returns a new, empty
// backend; Bench closes it.
func Bench(b *testing.B, open func(b *testing.B) storage.Backend) {
	value := make([]byte, 200) // about the size of an object's metadata record
	body := make([]byte, 4096)
	ctx := context.Background()

	b.Run("UpdatePut", func(b *testing.B) {
		s := open(b)
		defer s.Close()
		var key [8]byte
		b.ReportAllocs()
		i := uint64(0)
		for b.Loop() {
			binary.BigEndian.PutUint64(key[:], i)
			i++
			if err := s.Update(ctx, func(tx storage.Tx) error {
				return tx.Put("bench", key[:], value)
			}); err != nil {
				b.Fatal(err)
			}
		}
	})

	// Four writers, as four concurrent S3 clients.
	b.Run("UpdatePut4", func(b *testing.B) {
		s := open(b)
		defer s.Close()
		var next atomic.Uint64
		b.ReportAllocs()
		runParallel4(b, func(pb *testing.PB) {
			var key [8]byte
			for pb.Next() {
				binary.BigEndian.PutUint64(key[:], next.Add(1))
				if err := s.Update(ctx, func(tx storage.Tx) error {
					return tx.Put("bench", key[:], value)
				}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("ViewGet", func(b *testing.B) {
		s := open(b)
		defer s.Close()
		const keys = 10000
		if err := s.Update(ctx, func(tx storage.Tx) error {
			for i := range uint64(keys) {
				if err := tx.Put("bench", binary.BigEndian.AppendUint64(nil, i), value); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		var key [8]byte
		b.ReportAllocs()
		i := uint64(0)
		for b.Loop() {
			binary.BigEndian.PutUint64(key[:], i*7919%keys)
			i++
			if err := s.View(ctx, func(tx storage.Tx) error {
				_, err := tx.Get("bench", key[:])
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("BlobWrite4K", func(b *testing.B) {
		s := open(b)
		defer s.Close()
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			commitBlob(b, s.Blobs(), body)
		}
	})

	// The whole storage side of a 4 KiB PutObject: the body as a blob, then
	// one Update recording it, from four concurrent clients.
	b.Run("PutObject4K4", func(b *testing.B) {
		s := open(b)
		defer s.Close()
		var next atomic.Uint64
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		runParallel4(b, func(pb *testing.PB) {
			var key [8]byte
			for pb.Next() {
				id, err := writeBlob(s.Blobs(), body)
				if err != nil {
					b.Error(err)
					return
				}
				binary.BigEndian.PutUint64(key[:], next.Add(1))
				if err := s.Update(ctx, func(tx storage.Tx) error {
					return tx.Put("bench", key[:], append(value[:0:0], id...))
				}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// runParallel4 runs body in four goroutines (at least four, when
// GOMAXPROCS does not divide four).
func runParallel4(b *testing.B, body func(pb *testing.PB)) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((4 + procs - 1) / procs)
	b.RunParallel(body)
}
