package sqs

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/bolt"
)

func benchService(b *testing.B) (*Service, string) {
	b.Helper()
	db, err := bolt.Open(storage.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := New(Deps{Store: db})
	out, err := s.CreateQueue(context.Background(), &sqsapi.CreateQueueInput{QueueName: ptr("bench")})
	if err != nil {
		b.Fatal(err)
	}
	return s, *out.QueueUrl
}

var body256 = strings.Repeat("x", 256)

func BenchmarkSendMessage(b *testing.B) {
	s, url := benchService(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.SendMessage(ctx, &sqsapi.SendMessageInput{QueueUrl: &url, MessageBody: &body256}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSendMessageBatch(b *testing.B) {
	s, url := benchService(b)
	ctx := context.Background()
	entries := make([]sqsapi.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = sqsapi.SendMessageBatchRequestEntry{Id: ptr(strconv.Itoa(i)), MessageBody: &body256}
	}
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.SendMessageBatch(ctx, &sqsapi.SendMessageBatchInput{QueueUrl: &url, Entries: entries}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkReceiveDeleteBatch(b *testing.B) {
	s, url := benchService(b)
	ctx := context.Background()
	entries := make([]sqsapi.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = sqsapi.SendMessageBatchRequestEntry{Id: ptr(strconv.Itoa(i)), MessageBody: &body256}
	}
	for i := 0; i < b.N/10+1; i++ {
		if _, err := s.SendMessageBatch(ctx, &sqsapi.SendMessageBatchInput{QueueUrl: &url, Entries: entries}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 10 {
		r, err := s.ReceiveMessage(ctx, &sqsapi.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: ptr(int32(10))})
		if err != nil || len(r.Messages) == 0 {
			b.Fatal(err, len(r.Messages))
		}
		del := make([]sqsapi.DeleteMessageBatchRequestEntry, len(r.Messages))
		for j, m := range r.Messages {
			del[j] = sqsapi.DeleteMessageBatchRequestEntry{Id: ptr(strconv.Itoa(j)), ReceiptHandle: m.ReceiptHandle}
		}
		if _, err := s.DeleteMessageBatch(ctx, &sqsapi.DeleteMessageBatchInput{QueueUrl: &url, Entries: del}); err != nil {
			b.Fatal(err)
		}
	}
}
