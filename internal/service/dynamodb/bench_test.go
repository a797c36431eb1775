package dynamodb

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// benchService is a service on the on-disk engine, as Nimbus runs by
// default, with the benchmark table of awsbench (pk, sk strings).
func benchService(b *testing.B) *Service {
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
	if _, err := s.CreateTable(bg, onDemand("Bench", ks("pk", "sk"), defs("pk", "S", "sk", "S"))); err != nil {
		b.Fatal(err)
	}
	return s
}

var benchPayload = strings.Repeat("x", 1000)

func benchItem(pk, sk string) attr.Item {
	return attr.Item{"pk": sv(pk), "sk": sv(sk), "n": nv("42"), "data": sv(benchPayload)}
}

func BenchmarkPutItem(b *testing.B) {
	s := benchService(b)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(2) // four writers on two cores, as awsbench runs
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Bench"), Item: benchItem(fmt.Sprint("put-", i), "0")}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGetItem(b *testing.B) {
	s := benchService(b)
	for i := range 1000 {
		if _, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Bench"), Item: benchItem(fmt.Sprint("get-", i), "0")}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		out, err := s.GetItem(bg, &dynamodbapi.GetItemInput{TableName: ptr("Bench"), Key: attr.Item{"pk": sv(fmt.Sprint("get-", i*7919%1000)), "sk": sv("0")}})
		if err != nil || out.Item == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQuery100(b *testing.B) {
	s := benchService(b)
	for j := range 100 {
		if _, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Bench"), Item: benchItem("q", fmt.Sprintf("%03d", j))}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("Bench"), KeyConditionExpression: ptr("pk = :p"),
			ExpressionAttributeValues: attr.Item{":p": sv("q")}})
		if err != nil || len(out.Items) != 100 {
			b.Fatal(err)
		}
	}
}
