package dynamodb

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

func putReq(item attr.Item) dynamodbapi.WriteRequest {
	return dynamodbapi.WriteRequest{PutRequest: &dynamodbapi.PutRequest{Item: item}}
}

func delReq(key attr.Item) dynamodbapi.WriteRequest {
	return dynamodbapi.WriteRequest{DeleteRequest: &dynamodbapi.DeleteRequest{Key: key}}
}

func batchWriteReq(s *Service, items map[string][]dynamodbapi.WriteRequest) (*dynamodbapi.BatchWriteItemOutput, error) {
	return s.BatchWriteItem(bg, &dynamodbapi.BatchWriteItemInput{RequestItems: items})
}

func TestBatchWriteItemValidation(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("BWT", ks("pk", "sk"), defs("pk", "S", "sk", "N")))
	mustCreate(t, s, onDemand("BWT2", ks("id"), defs("id", "S")))
	item := func(pk, sk string) attr.Item { return attr.Item{"pk": sv(pk), "sk": nv(sk)} }
	many := func(table string, n int) []dynamodbapi.WriteRequest {
		var out []dynamodbapi.WriteRequest
		for i := range n {
			if table == "BWT" {
				out = append(out, putReq(item("p", fmt.Sprint(i))))
			} else {
				out = append(out, putReq(attr.Item{"id": sv(fmt.Sprint(i))}))
			}
		}
		return out
	}
	tests := []struct {
		name      string
		items     map[string][]dynamodbapi.WriteRequest
		code, msg string
	}{
		{"26 in one table", map[string][]dynamodbapi.WriteRequest{"BWT": many("BWT", 26)}, "ValidationException",
			"at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"},
		{"empty list", map[string][]dynamodbapi.WriteRequest{"BWT": {}}, "ValidationException", "Value '{BWT=[]}' at 'requestItems'"},
		{"26 across tables", map[string][]dynamodbapi.WriteRequest{"BWT": many("BWT", 13), "BWT2": many("BWT2", 13)}, "ValidationException",
			"Too many items requested for the BatchWriteItem call"},
		{"neither put nor delete", map[string][]dynamodbapi.WriteRequest{"BWT": {{}}}, "ValidationException", msgWriteRequestUnion},
		{"both put and delete", map[string][]dynamodbapi.WriteRequest{"BWT": {{PutRequest: &dynamodbapi.PutRequest{Item: item("a", "1")},
			DeleteRequest: &dynamodbapi.DeleteRequest{Key: item("a", "1")}}}}, "ValidationException", msgWriteRequestUnion},
		{"same key twice", map[string][]dynamodbapi.WriteRequest{"BWT": {putReq(item("a", "1")), delReq(item("a", "1.0"))}},
			"ValidationException", "Provided list of item keys contains duplicates"},
		{"missing table", map[string][]dynamodbapi.WriteRequest{"BWT": {putReq(item("a", "1"))}, "Nope": {putReq(attr.Item{"id": sv("x")})}},
			"ResourceNotFoundException", "Requested resource not found"},
		{"put without a key attribute", map[string][]dynamodbapi.WriteRequest{"BWT": {putReq(attr.Item{"pk": sv("a")})}},
			"ValidationException", "The provided key element does not match the schema"},
		{"put of a wrong-typed key", map[string][]dynamodbapi.WriteRequest{"BWT": {putReq(attr.Item{"pk": nv("5"), "sk": nv("1")})}},
			"ValidationException", "The provided key element does not match the schema"},
		{"put of a non-scalar key", map[string][]dynamodbapi.WriteRequest{"BWT2": {putReq(attr.Item{"id": {L: []attr.Value{sv("x")}}})}},
			"ValidationException", "The provided key element does not match the schema"},
		{"put of an empty key", map[string][]dynamodbapi.WriteRequest{"BWT2": {putReq(attr.Item{"id": sv("")})}},
			"ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id"},
		{"wrong key type", map[string][]dynamodbapi.WriteRequest{"BWT": {delReq(attr.Item{"pk": sv("a"), "sk": sv("1")})}},
			"ValidationException", "The provided key element does not match the schema"},
		{"bad number", map[string][]dynamodbapi.WriteRequest{"BWT": {putReq(attr.Item{"pk": sv("a"), "sk": nv("x")})}}, "ValidationException", ""},
		{"too big", map[string][]dynamodbapi.WriteRequest{"BWT": {putReq(attr.Item{"pk": sv("a"), "sk": nv("1"), "x": sv(strings.Repeat("x", 400*1024))})}},
			"ValidationException", "Item size has exceeded the maximum allowed size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := batchWriteReq(s, tt.items)
			wantErr(t, err, tt.code, tt.msg)
		})
	}
	// A refused batch wrote nothing, not even its valid entries.
	if d := mustDescribe(t, s, "BWT"); *d.ItemCount != 0 {
		t.Fatalf("refused batches wrote %d items", *d.ItemCount)
	}
}

func TestBatchWriteItem(t *testing.T) {
	s := newTestService(t)
	indexedTable(t, s, "BWI")
	mustCreate(t, s, onDemand("Plain", ks("id"), defs("id", "S")))
	put(t, s, "BWI", attr.Item{"pk": sv("gone"), "sk": sv("0"), "g": sv("G")})
	var reqs []dynamodbapi.WriteRequest
	for i := range 20 {
		reqs = append(reqs, putReq(attr.Item{"pk": sv(fmt.Sprint("p", i%2)), "sk": sv(fmt.Sprint(i)), "g": sv("G"), "l": nv(fmt.Sprint(i))}))
	}
	reqs = append(reqs, delReq(attr.Item{"pk": sv("gone"), "sk": sv("0")}), delReq(attr.Item{"pk": sv("never"), "sk": sv("0")}))
	out, err := s.BatchWriteItem(bg, &dynamodbapi.BatchWriteItemInput{
		RequestItems: map[string][]dynamodbapi.WriteRequest{
			"BWI":   reqs,
			"Plain": {putReq(attr.Item{"id": sv("x")}), putReq(attr.Item{"id": sv("y")})},
		},
		ReturnConsumedCapacity: ptr("INDEXES"), ReturnItemCollectionMetrics: ptr("SIZE"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.UnprocessedItems == nil || len(out.UnprocessedItems) != 0 {
		t.Fatalf("UnprocessedItems = %v, want an empty map", out.UnprocessedItems)
	}
	if len(out.ConsumedCapacity) != 2 || *out.ConsumedCapacity[0].TableName != "BWI" || *out.ConsumedCapacity[1].TableName != "Plain" {
		t.Fatalf("ConsumedCapacity %+v", out.ConsumedCapacity)
	}
	// 20 puts and one delete (the missing item costs one unit too) on the
	// table; GSIs byG and byGInc and LSI byL get entries.
	c := out.ConsumedCapacity[0]
	if *c.Table.WriteCapacityUnits != 22 || c.GlobalSecondaryIndexes["byG"].WriteCapacityUnits == nil || *c.LocalSecondaryIndexes["byL"].CapacityUnits != 20 {
		t.Fatalf("BWI capacity %+v", c)
	}
	if *out.ConsumedCapacity[1].CapacityUnits != 2 {
		t.Fatalf("Plain capacity %+v", out.ConsumedCapacity[1])
	}
	// Two partitions written on a table with a local index: two item
	// collections (the deletes' partitions count too).
	var colls []string
	for _, m := range out.ItemCollectionMetrics["BWI"] {
		colls = append(colls, *m.ItemCollectionKey["pk"].S)
	}
	sort.Strings(colls)
	if strings.Join(colls, ",") != "gone,never,p0,p1" || out.ItemCollectionMetrics["Plain"] != nil {
		t.Fatalf("ItemCollectionMetrics %v", out.ItemCollectionMetrics)
	}
	if d := mustDescribe(t, s, "BWI"); *d.ItemCount != 20 {
		t.Fatalf("ItemCount %d", *d.ItemCount)
	}
	if n := len(entries(t, s, "BWI", "byG")); n != 20 {
		t.Fatalf("byG has %d entries", n)
	}
	// Stream records: the earlier put, 20 inserts, one remove (not the
	// delete of a missing item).
	if n := len(streamRecords(t, s, "BWI")); n != 22 {
		t.Fatalf("%d stream records", n)
	}
}

func TestBatchGetItem(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("BGT", ks("pk", "sk"), defs("pk", "S", "sk", "N")))
	mustCreate(t, s, onDemand("BGT2", ks("id"), defs("id", "S")))
	for i := range 5 {
		put(t, s, "BGT", attr.Item{"pk": sv("p"), "sk": nv(fmt.Sprint(i)), "v": sv(fmt.Sprint("v", i)), "w": nv("1")})
	}
	put(t, s, "BGT2", attr.Item{"id": sv("a"), "big": sv(strings.Repeat("x", 5000))})
	key := func(i int) attr.Item { return attr.Item{"pk": sv("p"), "sk": nv(fmt.Sprint(i))} }
	out, err := s.BatchGetItem(bg, &dynamodbapi.BatchGetItemInput{
		RequestItems: map[string]dynamodbapi.KeysAndAttributes{
			"BGT": {Keys: []map[string]dynamodbapi.AttributeValue{key(0), key(3), key(9)}, ProjectionExpression: ptr("#v, sk"),
				ExpressionAttributeNames: map[string]string{"#v": "v"}},
			"BGT2": {Keys: []map[string]dynamodbapi.AttributeValue{{"id": sv("a")}, {"id": sv("b")}}, ConsistentRead: ptr(true), AttributesToGet: []string{"id"}},
		},
		ReturnConsumedCapacity: ptr("TOTAL"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := out.Responses["BGT"]
	sort.Slice(got, func(i, j int) bool { return *got[i]["sk"].N < *got[j]["sk"].N })
	if len(got) != 2 || len(got[0]) != 2 || *got[0]["v"].S != "v0" || *got[1]["sk"].N != "3" {
		t.Fatalf("BG responses %v", got)
	}
	if r := out.Responses["BGT2"]; len(r) != 1 || len(r[0]) != 1 {
		t.Fatalf("BG2 responses %v", r)
	}
	if out.UnprocessedKeys == nil || len(out.UnprocessedKeys) != 0 {
		t.Fatalf("UnprocessedKeys %v", out.UnprocessedKeys)
	}
	// Eventually consistent: half a unit per key; BG2: 5 KB is two units
	// consistent, and one for the missing key.
	if len(out.ConsumedCapacity) != 2 || *out.ConsumedCapacity[0].CapacityUnits != 1.5 || *out.ConsumedCapacity[1].CapacityUnits != 3 {
		t.Fatalf("ConsumedCapacity %+v", out.ConsumedCapacity)
	}

	// Nothing found: the table is still in Responses, with no items.
	out, err = s.BatchGetItem(bg, &dynamodbapi.BatchGetItemInput{RequestItems: map[string]dynamodbapi.KeysAndAttributes{
		"BGT": {Keys: []map[string]dynamodbapi.AttributeValue{key(42)}}}})
	if err != nil || out.Responses["BGT"] == nil || len(out.Responses["BGT"]) != 0 {
		t.Fatalf("empty result: %v %v", out, err)
	}
}

func TestBatchGetItemValidation(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("BGT", ks("pk"), defs("pk", "S")))
	keys := func(n int) []map[string]dynamodbapi.AttributeValue {
		var out []map[string]dynamodbapi.AttributeValue
		for i := range n {
			out = append(out, attr.Item{"pk": sv(fmt.Sprint(i))})
		}
		return out
	}
	tests := []struct {
		name      string
		items     map[string]dynamodbapi.KeysAndAttributes
		code, msg string
	}{
		{"101 keys", map[string]dynamodbapi.KeysAndAttributes{"BGT": {Keys: keys(60)}, "Other": {Keys: keys(41)}},
			"ValidationException", "Too many items requested for the BatchGetItem call"},
		{"duplicates", map[string]dynamodbapi.KeysAndAttributes{"BGT": {Keys: []map[string]dynamodbapi.AttributeValue{{"pk": sv("a")}, {"pk": sv("a")}}}},
			"ValidationException", "Provided list of item keys contains duplicates"},
		{"missing table", map[string]dynamodbapi.KeysAndAttributes{"Nope": {Keys: keys(1)}}, "ResourceNotFoundException", "Requested resource not found"},
		{"wrong key", map[string]dynamodbapi.KeysAndAttributes{"BGT": {Keys: []map[string]dynamodbapi.AttributeValue{{"id": sv("a")}}}},
			"ValidationException", "The provided key element does not match the schema"},
		{"mixed projection", map[string]dynamodbapi.KeysAndAttributes{"BGT": {Keys: keys(1), AttributesToGet: []string{"a"}, ProjectionExpression: ptr("a")}},
			"ValidationException", "Can not use both expression and non-expression parameters in the same request"},
		{"unused name", map[string]dynamodbapi.KeysAndAttributes{"BGT": {Keys: keys(1), ProjectionExpression: ptr("a"), ExpressionAttributeNames: map[string]string{"#n": "n"}}},
			"ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.BatchGetItem(bg, &dynamodbapi.BatchGetItemInput{RequestItems: tt.items})
			wantErr(t, err, tt.code, tt.msg)
		})
	}
}

func TestBatchGetItemSizeLimit(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Big", ks("pk"), defs("pk", "S")))
	// 50 items of about 390 KB: only 42 fit in 16 MB.
	big := strings.Repeat("x", 390*1024)
	var keys []map[string]dynamodbapi.AttributeValue
	for i := range 50 {
		put(t, s, "Big", attr.Item{"pk": sv(fmt.Sprintf("k%02d", i)), "data": sv(big)})
		keys = append(keys, attr.Item{"pk": sv(fmt.Sprintf("k%02d", i))})
	}
	out, err := s.BatchGetItem(bg, &dynamodbapi.BatchGetItemInput{RequestItems: map[string]dynamodbapi.KeysAndAttributes{
		"Big": {Keys: keys, ProjectionExpression: ptr("pk")}}})
	if err != nil {
		t.Fatal(err)
	}
	got, rest := len(out.Responses["Big"]), len(out.UnprocessedKeys["Big"].Keys)
	if got+rest != 50 || got != 42 || *out.UnprocessedKeys["Big"].ProjectionExpression != "pk" {
		t.Fatalf("got %d items and %d unprocessed keys", got, rest)
	}
}

// BenchmarkBatchWriteItem25 is awsbench's ddb-batchwrite-25 at the
// service: batches of 25 new 1 KB items from four writers.
func BenchmarkBatchWriteItem25(b *testing.B) {
	s := benchService(b)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(2)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			reqs := make([]dynamodbapi.WriteRequest, 25)
			for j := range reqs {
				reqs[j] = putReq(benchItem(fmt.Sprint("bw-", i), fmt.Sprint(j)))
			}
			if _, err := s.BatchWriteItem(bg, &dynamodbapi.BatchWriteItemInput{RequestItems: map[string][]dynamodbapi.WriteRequest{"Bench": reqs}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
