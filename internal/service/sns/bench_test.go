package sns

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/bolt"
)

// BenchmarkPublishFanOut measures Publish to a topic with one SQS
// subscription, from the call to the queue's commit: an op is one message
// delivered. Four publishers run at once, as awsbench's sns suite does.
func BenchmarkPublishFanOut(b *testing.B) {
	for _, raw := range []bool{true, false} {
		b.Run("raw="+strconv.FormatBool(raw), func(b *testing.B) {
			db, err := bolt.Open(storage.Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			f := newFixtureOn(&testing.T{}, db, false)
			f.t = nil
			stop := runBus(b, f)
			defer stop()
			topic := mustTopic(b, f, "bench")
			if _, err := f.svc.Subscribe(f.ctx, &snsapi.SubscribeInput{TopicArn: &topic, Protocol: ptr("sqs"), Endpoint: ptr(queueARN),
				Attributes: map[string]string{"RawMessageDelivery": strconv.FormatBool(raw)}}); err != nil {
				b.Fatal(err)
			}
			msg := strings.Repeat("x", 256)
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < b.N; i += 4 {
						if _, err := f.svc.Publish(f.ctx, &snsapi.PublishInput{TopicArn: &topic, Message: &msg}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			for range b.N {
				<-f.queue.got
			}
		})
	}
}
