package events

import (
	"context"
	"sync"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// BenchmarkPublishToLocalSink measures the end-to-end rate of the pattern
// SNS → SQS uses: producers each commit one delivery per transaction, and
// the dispatcher delivers them into the same store. An op is one delivery,
// from its producer's transaction to its sink's commit.
func BenchmarkPublishToLocalSink(b *testing.B) {
	for _, engine := range []string{"memory", "bolt"} {
		b.Run(engine, func(b *testing.B) {
			var db storage.Backend
			if engine == "memory" {
				db = openMemory(b)
			} else {
				db = openBolt(b, b.TempDir())
				defer db.Close()
			}
			bus := New(db, nil, quiet)
			sink := newLocalSink()
			bus.Register("q", sink)
			run(b, bus)
			const producers = 4
			body := make([]byte, 256)
			b.ResetTimer()
			var wg sync.WaitGroup
			for p := range producers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := p; i < b.N; i += producers {
						err := db.Update(context.Background(), func(tx storage.Tx) error {
							if err := tx.Put("producer", []byte{byte(p), byte(i), byte(i >> 8), byte(i >> 16)}, body); err != nil {
								return err
							}
							return bus.Enqueue(tx, &Delivery{Kind: "q", Target: "arn:queue", Body: body})
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			receive(b, sink.got, b.N)
		})
	}
}
