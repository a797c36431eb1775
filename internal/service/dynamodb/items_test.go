package dynamodb

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

func put(t *testing.T, s *Service, table string, item attr.Item) {
	t.Helper()
	if _, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr(table), Item: item}); err != nil {
		t.Fatalf("PutItem %v: %v", item, err)
	}
}

func get(t *testing.T, s *Service, table string, key attr.Item) attr.Item {
	t.Helper()
	out, err := s.GetItem(bg, &dynamodbapi.GetItemInput{TableName: ptr(table), Key: key})
	if err != nil {
		t.Fatalf("GetItem %v: %v", key, err)
	}
	return out.Item
}

func TestPutGetDelete(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Items", ks("pk", "sk"), defs("pk", "S", "sk", "N")))
	put(t, s, "Items", attr.Item{"pk": sv("a"), "sk": nv("1.50"), "n": nv("007"), "l": {L: []attr.Value{sv("x"), {NULL: ptr(true)}}}})
	// 1.5 and 1.50 are one key.
	it := get(t, s, "Items", attr.Item{"pk": sv("a"), "sk": nv("1.5")})
	if it == nil || *it["n"].N != "7" || *it["sk"].N != "1.5" || len(it["l"].L) != 2 {
		t.Fatalf("GetItem: %v", it)
	}
	if it := get(t, s, "Items", attr.Item{"pk": sv("a"), "sk": nv("2")}); it != nil {
		t.Fatalf("missing item: %v", it)
	}
	out, err := s.DeleteItem(bg, &dynamodbapi.DeleteItemInput{TableName: ptr("Items"), Key: attr.Item{"pk": sv("a"), "sk": nv("1.5")}, ReturnValues: ptr("ALL_OLD")})
	if err != nil || *out.Attributes["n"].N != "7" {
		t.Fatalf("DeleteItem: %v %v", out, err)
	}
	if d := mustDescribe(t, s, "Items"); *d.ItemCount != 0 || *d.TableSizeBytes != 0 {
		t.Fatalf("after delete: %d items, %d bytes", *d.ItemCount, *d.TableSizeBytes)
	}
}

func TestItemValidation(t *testing.T) {
	s := newTestService(t)
	in := onDemand("Valid", ks("id"), defs("id", "S", "g", "N"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byG"), KeySchema: ks("g"), Projection: projAllOf()}}
	mustCreate(t, s, in)
	in = onDemand("Valid2", ks("id"), defs("id", "S", "g", "S"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byG"), KeySchema: ks("g"), Projection: projAllOf()}}
	mustCreate(t, s, in)
	huge := strings.Repeat("x", 400*1024)
	tests := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"missing key", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Valid"), Item: attr.Item{"x": sv("1")}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Missing the key id in the item"},
		{"key type", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Valid"), Item: attr.Item{"id": nv("1")}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N"},
		{"empty key", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Valid"), Item: attr.Item{"id": sv("")}})
			return err
		}, "ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id"},
		{"index key type", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Valid"), Item: attr.Item{"id": sv("1"), "g": sv("x")}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key g Expected: N Actual: S IndexName: byG"},
		{"empty index key", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Valid2"), Item: attr.Item{"id": sv("1"), "g": sv("")}})
			return err
		}, "ValidationException", "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byG, IndexKey: g"},
		{"too large", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Valid"), Item: attr.Item{"id": sv("1"), "big": sv(huge)}})
			return err
		}, "ValidationException", "Item size has exceeded the maximum allowed size"},
		{"get with a wrong key", func() error {
			_, err := s.GetItem(bg, &dynamodbapi.GetItemInput{TableName: ptr("Valid"), Key: attr.Item{"other": sv("1")}})
			return err
		}, "ValidationException", "The provided key element does not match the schema"},
		{"get with a key of the wrong type", func() error {
			_, err := s.GetItem(bg, &dynamodbapi.GetItemInput{TableName: ptr("Valid"), Key: attr.Item{"id": nv("1")}})
			return err
		}, "ValidationException", "The provided key element does not match the schema"},
		{"get with extra attributes", func() error {
			_, err := s.GetItem(bg, &dynamodbapi.GetItemInput{TableName: ptr("Valid"), Key: attr.Item{"id": sv("1"), "x": sv("2")}})
			return err
		}, "ValidationException", "The provided key element does not match the schema"},
		{"missing table", func() error {
			_, err := s.GetItem(bg, &dynamodbapi.GetItemInput{TableName: ptr("Nope"), Key: attr.Item{"id": sv("1")}})
			return err
		}, "ResourceNotFoundException", "Requested resource not found"},
		{"put ALL_NEW", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Valid"), Item: attr.Item{"id": sv("1")}, ReturnValues: ptr("ALL_NEW")})
			return err
		}, "ValidationException", "Return values set to invalid value"},
		{"delete UPDATED_OLD", func() error {
			_, err := s.DeleteItem(bg, &dynamodbapi.DeleteItemInput{TableName: ptr("Valid"), Key: attr.Item{"id": sv("1")}, ReturnValues: ptr("UPDATED_OLD")})
			return err
		}, "ValidationException", "Return values set to invalid value"},
		{"update a key", func() error {
			_, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Valid"), Key: attr.Item{"id": sv("1")},
				UpdateExpression: ptr("SET id = :v"), ExpressionAttributeValues: attr.Item{":v": sv("2")}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key"},
		{"update an index key to an empty string", func() error {
			_, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Valid2"), Key: attr.Item{"id": sv("1")},
				UpdateExpression: ptr("SET g = :v"), ExpressionAttributeValues: attr.Item{":v": sv("")}})
			return err
		}, "ValidationException", "The update expression attempted to update a secondary index key to a value that is not supported"},
		{"unused value", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Valid"), Item: attr.Item{"id": sv("1")},
				ConditionExpression: ptr("attribute_not_exists(id)"), ExpressionAttributeValues: attr.Item{":x": sv("1")}})
			return err
		}, "ValidationException", "unused in expressions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.call(), tc.code, tc.msg)
		})
	}
	if d := mustDescribe(t, s, "Valid"); *d.ItemCount != 0 {
		t.Fatalf("failed writes left %d items", *d.ItemCount)
	}
}

func TestConditionalWrites(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Cond", ks("id"), defs("id", "S")))
	put(t, s, "Cond", attr.Item{"id": sv("a"), "v": nv("1")})
	_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Cond"), Item: attr.Item{"id": sv("a"), "v": nv("2")},
		ConditionExpression: ptr("attribute_not_exists(id)"), ReturnValuesOnConditionCheckFailure: ptr("ALL_OLD")})
	wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	var e *awserr.Error
	errors.As(err, &e)
	if d, ok := e.Detail.(*dynamodbapi.ConditionalCheckFailedException); !ok || *d.Item["v"].N != "1" {
		t.Fatalf("detail %#v", e.Detail)
	}
	// Without ALL_OLD, no item in the error.
	_, err = s.DeleteItem(bg, &dynamodbapi.DeleteItemInput{TableName: ptr("Cond"), Key: attr.Item{"id": sv("a")},
		ConditionExpression: ptr("v = :two"), ExpressionAttributeValues: attr.Item{":two": nv("2")}})
	wantErr(t, err, "ConditionalCheckFailedException", "")
	errors.As(err, &e)
	if d := e.Detail.(*dynamodbapi.ConditionalCheckFailedException); d.Item != nil {
		t.Fatalf("item without ALL_OLD: %v", d.Item)
	}

	out, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Cond"), Key: attr.Item{"id": sv("a")},
		UpdateExpression: ptr("SET v = v + :one, w = :one"), ConditionExpression: ptr("v = :one"),
		ExpressionAttributeValues: attr.Item{":one": nv("1")}, ReturnValues: ptr("UPDATED_OLD")})
	if err != nil || len(out.Attributes) != 1 || *out.Attributes["v"].N != "1" {
		t.Fatalf("UPDATED_OLD: %v %v", out, err)
	}
	out, err = s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Cond"), Key: attr.Item{"id": sv("new")},
		UpdateExpression: ptr("SET v = :one"), ExpressionAttributeValues: attr.Item{":one": nv("1")}, ReturnValues: ptr("ALL_NEW")})
	if err != nil || names(out.Attributes) != "[id v]" {
		t.Fatalf("update creates: %v %v", out, err)
	}
}

// TestConditionalContention races many conditional writers on one item:
// writes are serialised, so exactly one create wins and no increment is
// lost.
func TestConditionalContention(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Race", ks("id"), defs("id", "S")))
	const n = 32
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Race"), Item: attr.Item{"id": sv("lock"), "owner": nv(fmt.Sprint(i))},
				ConditionExpression: ptr("attribute_not_exists(id)")})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		switch {
		case err == nil:
			wins++
		case !dynamodbapi.ErrConditionalCheckFailedException.Is(err):
			t.Fatal(err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won", wins)
	}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				_, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Race"), Key: attr.Item{"id": sv("counter")},
					UpdateExpression: ptr("ADD c :one"), ExpressionAttributeValues: attr.Item{":one": nv("1")}})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if it := get(t, s, "Race", attr.Item{"id": sv("counter")}); *it["c"].N != fmt.Sprint(n*20) {
		t.Fatalf("counter %v", it)
	}
}

func TestWriteCapacity(t *testing.T) {
	s := newTestService(t)
	in := onDemand("Cap", ks("id"), defs("id", "S", "g", "S"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byG"), KeySchema: ks("g"), Projection: &dynamodbapi.Projection{ProjectionType: ptr("KEYS_ONLY")}}}
	mustCreate(t, s, in)
	big := strings.Repeat("x", 2500)
	out, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Cap"), Item: attr.Item{"id": sv("1"), "g": sv("a"), "big": sv(big)}, ReturnConsumedCapacity: ptr("INDEXES")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.ConsumedCapacity
	if *c.CapacityUnits != 4 || *c.Table.CapacityUnits != 3 || *c.GlobalSecondaryIndexes["byG"].CapacityUnits != 1 || *c.TableName != "Cap" {
		t.Fatalf("capacity %+v table %+v gsi %+v", c, c.Table, c.GlobalSecondaryIndexes)
	}
	g, err := s.GetItem(bg, &dynamodbapi.GetItemInput{TableName: ptr("Cap"), Key: attr.Item{"id": sv("1")}, ReturnConsumedCapacity: ptr("TOTAL"), ConsistentRead: ptr(true)})
	if err != nil || *g.ConsumedCapacity.CapacityUnits != 1 {
		t.Fatalf("read capacity %v %v", g.ConsumedCapacity, err)
	}
}

func TestItemCollectionMetrics(t *testing.T) {
	s := newTestService(t)
	in := onDemand("Coll", ks("pk", "sk"), defs("pk", "S", "sk", "S", "l", "S"))
	in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{{IndexName: ptr("byL"), KeySchema: ks("pk", "l"), Projection: projAllOf()}}
	mustCreate(t, s, in)
	mustCreate(t, s, onDemand("NoLSI", ks("pk"), defs("pk", "S")))
	out, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Coll"), Item: attr.Item{"pk": sv("a"), "sk": sv("1"), "l": sv("x")}, ReturnItemCollectionMetrics: ptr("SIZE")})
	if err != nil {
		t.Fatal(err)
	}
	m := out.ItemCollectionMetrics
	if m == nil || *m.ItemCollectionKey["pk"].S != "a" || len(m.ItemCollectionKey) != 1 || fmt.Sprint(m.SizeEstimateRangeGB) != "[0 1]" {
		t.Fatalf("metrics %+v", m)
	}
	out, err = s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("NoLSI"), Item: attr.Item{"pk": sv("a")}, ReturnItemCollectionMetrics: ptr("SIZE")})
	if err != nil || out.ItemCollectionMetrics != nil {
		t.Fatalf("metrics without an LSI: %+v %v", out.ItemCollectionMetrics, err)
	}
}

// Sets may hold an empty string or binary: they are stored, read back and
// updated like any other member.
func TestSetsWithEmptyMembers(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Sets", ks("id"), defs("id", "S")))
	put(t, s, "Sets", attr.Item{"id": sv("a"), "ss": {SS: []string{"", "x"}}, "bs": {BS: [][]byte{{}, {1}}}})
	_, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Sets"), Key: attr.Item{"id": sv("a")},
		UpdateExpression: ptr("ADD ss :y DELETE bs :e"), ExpressionAttributeValues: attr.Item{":y": {SS: []string{"y"}}, ":e": {BS: [][]byte{{}}}}})
	if err != nil {
		t.Fatal(err)
	}
	it := get(t, s, "Sets", attr.Item{"id": sv("a")})
	if got := fmt.Sprint(it["ss"].SS, len(it["bs"].BS), it["bs"].BS[0]); got != "[ x y] 1 [1]" {
		t.Fatalf("sets %s", got)
	}
}
