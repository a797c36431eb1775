package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// The service's share of the awsbench S3 workloads, on the on-disk engine
// Nimbus runs by default (the wire and the gateway are benchmarked in their
// own packages).

func benchService(b *testing.B, bucket string) *Service {
	b.Helper()
	db, err := engine.Open(storage.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := New(Deps{Store: db})
	if _, err := s.CreateBucket(context.Background(), &s3api.CreateBucketInput{Bucket: &bucket}); err != nil {
		b.Fatal(err)
	}
	return s
}

func benchPut(b *testing.B, s *Service, bucket, key string, body []byte) {
	_, err := s.PutObject(context.Background(), &s3api.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: ptr(int64(len(body))),
	})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPutObject4KiB(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 4096)
	b.Run("serial", func(b *testing.B) {
		s := benchService(b, "bench")
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		i := 0
		for b.Loop() {
			benchPut(b, s, "bench", fmt.Sprintf("put/%08d", i), body)
			i++
		}
	})
	// Four writers, as awsbench's four workers.
	b.Run("parallel4", func(b *testing.B) {
		s := benchService(b, "bench")
		var next atomic.Int64
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		b.SetParallelism(2) // GOMAXPROCS is 2 here: 4 goroutines
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				benchPut(b, s, "bench", fmt.Sprintf("put/%08d", next.Add(1)), body)
			}
		})
	})
}

func BenchmarkGetObject4KiB(b *testing.B) {
	s := benchService(b, "bench")
	body := bytes.Repeat([]byte("x"), 4096)
	const keys = 1000
	for i := range keys {
		benchPut(b, s, "bench", fmt.Sprintf("get/%06d", i), body)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	i := 0
	for b.Loop() {
		out, err := s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr("bench"), Key: ptr(fmt.Sprintf("get/%06d", i%keys))})
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, out.Body); err != nil || n != 4096 {
			b.Fatalf("read %d: %v", n, err)
		}
		out.Body.(io.Closer).Close()
		i++
	}
}

func BenchmarkPutObject8MiB(b *testing.B) {
	s := benchService(b, "bench")
	body := bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		benchPut(b, s, "bench", "big", body)
	}
}
