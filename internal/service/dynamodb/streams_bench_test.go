package dynamodb

import (
	"fmt"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbstreamsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// streamBench is a table on the on-disk engine with a stream holding
// records records, and an iterator at its newest record.
func streamBench(b *testing.B, records int) (*Service, *StreamsService, string, string) {
	b.Helper()
	db, err := engine.Open(storage.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	s := New(Deps{Store: db})
	b.Cleanup(func() {
		s.Close()
		db.Close()
	})
	in := onDemand("Bench", ks("pk", "sk"), defs("pk", "S", "sk", "S"))
	in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr("NEW_AND_OLD_IMAGES")}
	out, err := s.CreateTable(bg, in)
	if err != nil {
		b.Fatal(err)
	}
	arn := *out.TableDescription.LatestStreamArn
	// Few transactions: one batch of writes each.
	for i := 0; i < records; i += 500 {
		err := s.update(bg, func(w *itemWriter) error {
			t, err := s.table(w.tx, ref("Bench"), errNoResource)
			if err != nil {
				return err
			}
			for j := i; j < min(i+500, records); j++ {
				it := newStoredItem(benchItem(fmt.Sprint("p", j), "s"))
				key, err := t.itemKeyOf(it.item)
				if err != nil {
					return err
				}
				if _, err := w.writeItem(t, key, nil, it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	st := NewStreams(s)
	d, err := st.DescribeStream(bg, &dynamodbstreamsapi.DescribeStreamInput{StreamArn: &arn})
	if err != nil {
		b.Fatal(err)
	}
	return s, st, arn, *d.StreamDescription.Shards[0].ShardId
}

// BenchmarkStreamPollTail is a reader polling the end of a long stream,
// as event-source mappings do: no new record, a next iterator.
func BenchmarkStreamPollTail(b *testing.B) {
	_, st, arn, shard := streamBench(b, 20000)
	it, err := st.GetShardIterator(bg, &dynamodbstreamsapi.GetShardIteratorInput{StreamArn: &arn, ShardId: &shard, ShardIteratorType: ptr("LATEST")})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := st.GetRecords(bg, &dynamodbstreamsapi.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil || len(out.Records) != 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamReadNewest reads the 100 newest records of a long stream.
func BenchmarkStreamReadNewest(b *testing.B) {
	_, st, arn, shard := streamBench(b, 20000)
	it, err := st.GetShardIterator(bg, &dynamodbstreamsapi.GetShardIteratorInput{StreamArn: &arn, ShardId: &shard,
		ShardIteratorType: ptr("AFTER_SEQUENCE_NUMBER"), SequenceNumber: ptr(formatSeq(19900))})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := st.GetRecords(bg, &dynamodbstreamsapi.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: ptr(int32(100))})
		if err != nil || len(out.Records) != 100 {
			b.Fatal(err)
		}
	}
}
