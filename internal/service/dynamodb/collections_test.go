package dynamodb

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// newLimitedService is a test service whose item collections may hold
// limit bytes.
func newLimitedService(t *testing.T, limit int64) *Service {
	t.Helper()
	db, err := engine.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := New(Deps{Store: db, Now: func() time.Time { return clock }, ItemCollectionLimit: limit})
	t.Cleanup(func() {
		s.Close()
		db.Close()
	})
	return s
}

// collTable creates table name (pk, sk) with a local index of every
// attribute (byL, on l) and one of keys only (byM, on m, which few items
// have), and a table without local indexes, name+"Plain".
func collTable(t *testing.T, s *Service, name string) {
	t.Helper()
	in := onDemand(name, ks("pk", "sk"), defs("pk", "S", "sk", "S", "l", "S", "m", "N"))
	in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{
		{IndexName: ptr("byL"), KeySchema: ks("pk", "l"), Projection: projAllOf()},
		{IndexName: ptr("byM"), KeySchema: ks("pk", "m"), Projection: &dynamodbapi.Projection{ProjectionType: ptr("KEYS_ONLY")}},
	}
	mustCreate(t, s, in)
	mustCreate(t, s, onDemand(name+"Plain", ks("pk", "sk"), defs("pk", "S", "sk", "S")))
}

// collItem is an item of about pad bytes in collection pk.
func collItem(pk, sk string, pad int) attr.Item {
	return attr.Item{"pk": sv(pk), "sk": sv(sk), "l": sv("x"), "filler": sv(strings.Repeat("p", pad))}
}

func collKey(pk, sk string) attr.Item { return attr.Item{"pk": sv(pk), "sk": sv(sk)} }

// collectionSize returns the counted size of collection pk of table and
// the size its items and local index entries add up to.
func collectionSize(t *testing.T, s *Service, table, pk string) (counted, actual int64) {
	t.Helper()
	err := s.db.View(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref(table), errNoResource)
		if err != nil {
			return err
		}
		hv := sv(pk)
		prefix, err := partitionPrefix(tm.ID, &hv)
		if err != nil {
			return err
		}
		v, err := tx.Get(collectionsTable(tm.ID), prefix)
		switch {
		case err == nil:
			counted = int64(getUint64(v))
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
		actual, err = scanCollection(tx, tm, &hv)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return counted, actual
}

// tableState renders every item and local index entry of table.
func tableState(t *testing.T, s *Service, table string) string {
	t.Helper()
	var b strings.Builder
	for _, ix := range []string{"", "byL", "byM"} {
		for _, it := range entries(t, s, table, ix) {
			fmt.Fprintf(&b, "%s %s %s %d|", ix, *it["pk"].S, *it["sk"].S, attr.ItemSize(it))
		}
	}
	return b.String()
}

func TestItemCollectionLimit(t *testing.T) {
	// Collection a holds one item of share 2*(size)+100 (itself and its
	// byL entry), about 2,250 bytes; the limit is 4,000.
	const limit = 4000
	const tooLarge = "ItemCollectionSizeLimitExceededException"
	tooLargeReason := func(i, n int) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			t.Helper()
			reasons := cancelReasons(t, err)
			if len(reasons) != n {
				t.Fatalf("%d reasons", len(reasons))
			}
			for j, r := range reasons {
				want := "None"
				if j == i {
					want = reasonCollectionTooLarge
					if deref(r.Message) != msgCollectionTooLarge {
						t.Fatalf("reason message %q", deref(r.Message))
					}
				}
				if deref(r.Code) != want {
					t.Fatalf("reason %d: %s, want %s", j, deref(r.Code), want)
				}
			}
		}
	}
	stmt := func(text string, params ...attr.Value) dynamodbapi.ParameterizedStatement {
		return dynamodbapi.ParameterizedStatement{Statement: ptr(text), Parameters: params}
	}
	pad := sv(strings.Repeat("p", 1000))
	big := sv(strings.Repeat("p", 2000))
	cases := []struct {
		name  string
		write func(s *Service) error
		check func(t *testing.T, err error) // nil: the error is ItemCollectionSizeLimitExceededException
	}{
		{"PutItem of a new item", func(s *Service) error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Coll"), Item: collItem("a", "2", 1000)})
			return err
		}, nil},
		{"PutItem replacing an item with a bigger one", func(s *Service) error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Coll"), Item: collItem("a", "1", 2000)})
			return err
		}, nil},
		{"UpdateItem growing an item", func(s *Service) error {
			_, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Coll"), Key: collKey("a", "1"),
				UpdateExpression: ptr("SET filler = :p"), ExpressionAttributeValues: attr.Item{":p": big}})
			return err
		}, nil},
		{"UpdateItem creating an item", func(s *Service) error {
			_, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Coll"), Key: collKey("a", "2"),
				UpdateExpression: ptr("SET filler = :p, l = :l"), ExpressionAttributeValues: attr.Item{":p": pad, ":l": sv("y")}})
			return err
		}, nil},
		{"UpdateItem adding a local index entry", func(s *Service) error {
			// The item and its byL entry would fit (3,934 bytes); its new
			// byM entry (109 bytes) does not.
			_, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Coll"), Key: collKey("a", "1"),
				UpdateExpression: ptr("SET m = :m, filler = :p"), ExpressionAttributeValues: attr.Item{":m": nv("1"), ":p": sv(strings.Repeat("p", 1900))}})
			return err
		}, nil},
		{"BatchWriteItem", func(s *Service) error {
			_, err := s.BatchWriteItem(bg, &dynamodbapi.BatchWriteItemInput{RequestItems: map[string][]dynamodbapi.WriteRequest{
				"Coll":      {putReq(collItem("b", "1", 10)), putReq(collItem("a", "2", 1000))},
				"CollPlain": {putReq(collKey("a", "9"))},
			}})
			return err
		}, nil},
		{"TransactWriteItems", func(s *Service) error {
			_, err := transact(s, "", txPut("Coll", collItem("b", "1", 10), "", nil), txPut("CollPlain", collKey("a", "9"), "", nil),
				txPut("Coll", collItem("a", "2", 1000), "", nil))
			return err
		}, tooLargeReason(2, 3)},
		{"TransactWriteItems growing one collection twice", func(s *Service) error {
			// Each put fits alone; the second does not after the first.
			_, err := transact(s, "", txPut("Coll", collItem("a", "2", 600), "", nil), txPut("Coll", collItem("a", "3", 600), "", nil))
			return err
		}, tooLargeReason(1, 2)},
		{"TransactWriteItems updating", func(s *Service) error {
			_, err := transact(s, "", txUpdate("Coll", collKey("a", "1"), "SET filler = :p", attr.Item{":p": big}))
			return err
		}, tooLargeReason(0, 1)},
		{"ExecuteStatement INSERT", func(s *Service) error {
			_, err := qlTry(s, `INSERT INTO Coll VALUE {'pk': 'a', 'sk': '2', 'l': 'y', 'filler': ?}`, pad)
			return err
		}, nil},
		{"ExecuteStatement UPDATE", func(s *Service) error {
			_, err := qlTry(s, `UPDATE Coll SET filler = ? WHERE pk = 'a' AND sk = '1'`, big)
			return err
		}, nil},
		{"ExecuteTransaction", func(s *Service) error {
			_, err := s.ExecuteTransaction(bg, &dynamodbapi.ExecuteTransactionInput{TransactStatements: []dynamodbapi.ParameterizedStatement{
				stmt(`INSERT INTO Coll VALUE {'pk': 'b', 'sk': '1'}`),
				stmt(`INSERT INTO Coll VALUE {'pk': 'a', 'sk': '2', 'l': 'y', 'filler': ?}`, pad),
			}})
			return err
		}, tooLargeReason(1, 2)},
		{"BatchExecuteStatement", func(s *Service) error {
			out, err := s.BatchExecuteStatement(bg, &dynamodbapi.BatchExecuteStatementInput{Statements: []dynamodbapi.BatchStatementRequest{
				{Statement: ptr(`INSERT INTO Coll VALUE {'pk': 'a', 'sk': '2', 'l': 'y', 'filler': ?}`), Parameters: []attr.Value{pad}},
			}})
			if err != nil {
				return err
			}
			// A batch's statements fail one by one: give the statement's
			// error as the request's, for the check.
			if e := out.Responses[0].Error; e != nil {
				return awserr.Def{Code: deref(e.Code), Status: 400}.New(deref(e.Message))
			}
			return nil
		}, func(t *testing.T, err error) { wantErr(t, err, reasonCollectionTooLarge, msgCollectionTooLarge) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newLimitedService(t, limit)
			collTable(t, s, "Coll")
			put(t, s, "Coll", collItem("a", "1", 1000))
			before := tableState(t, s, "Coll")
			counted, actual := collectionSize(t, s, "Coll", "a")
			if counted != actual || counted < 2000 || counted > limit {
				t.Fatalf("collection a: counted %d, holds %d", counted, actual)
			}
			err := c.write(s)
			if c.check != nil {
				c.check(t, err)
			} else {
				wantErr(t, err, tooLarge, msgCollectionTooLarge)
				if e := awserr.From(err); e.Message != msgCollectionTooLarge {
					t.Fatalf("message %q", e.Message)
				}
			}
			if after := tableState(t, s, "Coll"); after != before {
				t.Fatalf("the failed write changed the table:\n%s\n%s", before, after)
			}
			if n := len(entries(t, s, "CollPlain", "")); n != 0 {
				t.Fatalf("the failed write left %d items in the other table", n)
			}
			if c2, a2 := collectionSize(t, s, "Coll", "a"); c2 != counted || a2 != actual {
				t.Fatalf("collection a after the failed write: counted %d, holds %d", c2, a2)
			}
			if c2, _ := collectionSize(t, s, "Coll", "b"); c2 != 0 {
				t.Fatalf("collection b counted %d", c2)
			}
		})
	}
}

// Writes that do not grow a full collection go through, as do writes to
// other collections and to tables without local indexes.
func TestItemCollectionLimitAllowsShrinking(t *testing.T) {
	s := newLimitedService(t, 4000)
	collTable(t, s, "Coll")
	put(t, s, "Coll", collItem("a", "1", 1000))
	put(t, s, "Coll", collItem("b", "1", 1000))
	for i := range 5 {
		put(t, s, "CollPlain", attr.Item{"pk": sv("a"), "sk": sv(fmt.Sprint(i)), "filler": sv(strings.Repeat("p", 3000))})
	}
	// Lower the limit below what collection a holds.
	s.collectionLimit = 1000
	steps := []struct {
		name  string
		write func() error
	}{
		{"replace with the same item", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Coll"), Item: collItem("a", "1", 1000)})
			return err
		}},
		{"replace with a smaller item", func() error {
			_, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Coll"), Item: collItem("a", "1", 900)})
			return err
		}},
		{"update dropping the local index key", func() error {
			_, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Coll"), Key: collKey("a", "1"), UpdateExpression: ptr("REMOVE l")})
			return err
		}},
		{"batch deleting", func() error {
			_, err := s.BatchWriteItem(bg, &dynamodbapi.BatchWriteItemInput{RequestItems: map[string][]dynamodbapi.WriteRequest{
				"Coll": {delReq(collKey("b", "1"))}}})
			return err
		}},
		{"delete in a transaction", func() error {
			_, err := transact(s, "", txDelete("Coll", collKey("a", "1")))
			return err
		}},
	}
	for _, st := range steps {
		if err := st.write(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	for _, pk := range []string{"a", "b"} {
		if counted, actual := collectionSize(t, s, "Coll", pk); counted != 0 || actual != 0 {
			t.Fatalf("collection %s: counted %d, holds %d", pk, counted, actual)
		}
	}
	// An empty collection keeps no counter.
	if n := countKeys(t, s, "Coll"); n != 0 {
		t.Fatalf("%d counters left", n)
	}
}

// countKeys counts the collection counters of table.
func countKeys(t *testing.T, s *Service, table string) int {
	t.Helper()
	n := 0
	err := s.db.View(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref(table), errNoResource)
		if err != nil {
			return err
		}
		return tx.Scan(collectionsTable(tm.ID), storage.Range{}, func(_, _ []byte) bool { n++; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The counters follow every kind of write: puts, updates that move
// entries in and out of the local indexes, deletes, batches,
// transactions, time to live, and a restore from a backup.
func TestItemCollectionCounters(t *testing.T) {
	s := newTestService(t)
	collTable(t, s, "Coll")
	check := func(table, step string) {
		t.Helper()
		for _, pk := range []string{"a", "b", "c"} {
			if counted, actual := collectionSize(t, s, table, pk); counted != actual {
				t.Fatalf("%s: collection %s counted %d, holds %d", step, pk, counted, actual)
			}
		}
	}
	put(t, s, "Coll", collItem("a", "1", 10))
	put(t, s, "Coll", attr.Item{"pk": sv("a"), "sk": sv("2"), "m": nv("5")})
	put(t, s, "Coll", collItem("b", "1", 100))
	check("Coll", "puts")
	upd := func(key attr.Item, expr string, values attr.Item) {
		t.Helper()
		if _, err := s.UpdateItem(bg, &dynamodbapi.UpdateItemInput{TableName: ptr("Coll"), Key: key, UpdateExpression: ptr(expr), ExpressionAttributeValues: values}); err != nil {
			t.Fatal(err)
		}
	}
	upd(collKey("a", "1"), "SET m = :m, filler = :p", attr.Item{":m": nv("1"), ":p": sv("longer padding")})
	upd(collKey("a", "2"), "REMOVE m SET l = :l", attr.Item{":l": sv("z")})
	upd(collKey("c", "1"), "SET l = :l", attr.Item{":l": sv("new")})
	check("Coll", "updates")
	if _, err := s.BatchWriteItem(bg, &dynamodbapi.BatchWriteItemInput{RequestItems: map[string][]dynamodbapi.WriteRequest{
		"Coll": {delReq(collKey("a", "2")), putReq(collItem("b", "2", 50)), putReq(collItem("b", "1", 5)), delReq(collKey("c", "9"))}}}); err != nil {
		t.Fatal(err)
	}
	check("Coll", "batch")
	if _, err := transact(s, "", txPut("Coll", collItem("c", "2", 7), "", nil), txDelete("Coll", collKey("b", "2")),
		txUpdate("Coll", collKey("a", "1"), "REMOVE filler", nil)); err != nil {
		t.Fatal(err)
	}
	check("Coll", "transaction")
	qlExec(t, s, `INSERT INTO Coll VALUE {'pk': 'c', 'sk': '3', 'l': 'q', 'm': 3}`)
	qlExec(t, s, `DELETE FROM Coll WHERE pk = 'c' AND sk = '1'`)
	check("Coll", "PartiQL")

	arn := createBackup(t, s, "Coll", "bk").BackupArn
	if _, err := restoreFrom(s, *arn, "Restored"); err != nil {
		t.Fatal(err)
	}
	check("Restored", "restore")
	if counted, _ := collectionSize(t, s, "Restored", "c"); counted == 0 {
		t.Fatal("restored collection c not counted")
	}

	// Deleting the table drops its counters with its items.
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Coll")}); err != nil {
		t.Fatal(err)
	}
	s.workers.Wait()
	s.purge(bg)
	err := s.db.View(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref("Restored"), errNoResource)
		if err != nil {
			return err
		}
		for id := uint64(1); id < tm.ID; id++ {
			n := 0
			if err := tx.Scan(collectionsTable(id), storage.Range{}, func(_, _ []byte) bool { n++; return true }); err != nil {
				return err
			}
			if n != 0 {
				return fmt.Errorf("%d counters left in key space %d", n, id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A table from before the counters were kept counts a collection on its
// first write, then keeps the counter.
func TestItemCollectionCountersOfOlderTables(t *testing.T) {
	s := newLimitedService(t, 4000)
	collTable(t, s, "Old")
	put(t, s, "Old", collItem("a", "1", 1000))
	put(t, s, "Old", collItem("b", "1", 10))
	// Make it a table of before: no flag, no counters.
	err := s.db.Update(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref("Old"), errNoResource)
		if err != nil {
			return err
		}
		old := tm.clone()
		old.Collections = false
		if err := saveTable(tx, old); err != nil {
			return err
		}
		return tx.DropTable(collectionsTable(tm.ID))
	})
	if err != nil {
		t.Fatal(err)
	}
	// The limit holds from the first write on.
	_, err = s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Old"), Item: collItem("a", "2", 1000)})
	wantErr(t, err, "ItemCollectionSizeLimitExceededException", msgCollectionTooLarge)
	out, err := s.DeleteItem(bg, &dynamodbapi.DeleteItemInput{TableName: ptr("Old"), Key: collKey("b", "1"), ReturnItemCollectionMetrics: ptr("SIZE")})
	if err != nil || fmt.Sprint(out.ItemCollectionMetrics.SizeEstimateRangeGB) != "[0 1]" {
		t.Fatalf("DeleteItem: %+v %v", out, err)
	}
	put(t, s, "Old", collItem("a", "3", 10))
	for _, pk := range []string{"a", "b"} {
		if counted, actual := collectionSize(t, s, "Old", pk); counted != actual {
			t.Fatalf("collection %s counted %d, holds %d", pk, counted, actual)
		}
	}
}

// Writes to a table with local indexes read and write one counter more;
// other tables pay nothing (see TestHistoryCostsNothingWhenOff).
func TestItemCollectionCounterCost(t *testing.T) {
	s := newTestService(t)
	cs := &countingStore{Backend: s.db, ops: map[string]int{}}
	s.db = cs
	collTable(t, s, "Cost")
	cs.take()
	put(t, s, "Cost", collItem("a", "1", 10))
	const want = "get ddb.collections:1 get ddb.items:1 get ddb.stats:2 get ddb.tables:1 put ddb.collections:1 put ddb.items:2 put ddb.stats:2"
	if got := cs.take(); got != want {
		t.Fatalf("PutItem: %s\nwant %s", got, want)
	}
	put(t, s, "CostPlain", collItem("a", "1", 10))
	if got := cs.take(); strings.Contains(got, "collections") {
		t.Fatalf("PutItem without local indexes: %s", got)
	}
}

func TestSizeEstimateGB(t *testing.T) {
	for _, c := range []struct {
		size int64
		want string
	}{
		{0, "[0 1]"},
		{1<<30 - 1, "[0 1]"},
		{1 << 30, "[1 2]"},
		{10<<30 + 5, "[10 11]"},
	} {
		if got := fmt.Sprint(sizeEstimateGB(c.size)); got != c.want {
			t.Errorf("sizeEstimateGB(%d) = %s, want %s", c.size, got, c.want)
		}
	}
}
