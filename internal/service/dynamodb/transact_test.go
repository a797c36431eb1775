package dynamodb

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// testClock is a clock that tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newClockService is newTestService with a clock the test moves.
func newClockService(t *testing.T) (*Service, *testClock) {
	t.Helper()
	db, err := engine.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := New(Deps{Store: db, Now: clock.now})
	t.Cleanup(func() {
		s.Close()
		db.Close()
	})
	return s, clock
}

func txPut(table string, item attr.Item, cond string, values attr.Item) dynamodbapi.TransactWriteItem {
	p := &dynamodbapi.Put{TableName: ptr(table), Item: item, ExpressionAttributeValues: values}
	if cond != "" {
		p.ConditionExpression = ptr(cond)
	}
	return dynamodbapi.TransactWriteItem{Put: p}
}

func txUpdate(table string, key attr.Item, update string, values attr.Item) dynamodbapi.TransactWriteItem {
	return dynamodbapi.TransactWriteItem{Update: &dynamodbapi.Update{TableName: ptr(table), Key: key, UpdateExpression: ptr(update), ExpressionAttributeValues: values}}
}

func txDelete(table string, key attr.Item) dynamodbapi.TransactWriteItem {
	return dynamodbapi.TransactWriteItem{Delete: &dynamodbapi.Delete{TableName: ptr(table), Key: key}}
}

func txCheck(table string, key attr.Item, cond string, values attr.Item, allOld bool) dynamodbapi.TransactWriteItem {
	c := &dynamodbapi.ConditionCheck{TableName: ptr(table), Key: key, ConditionExpression: ptr(cond), ExpressionAttributeValues: values}
	if allOld {
		c.ReturnValuesOnConditionCheckFailure = ptr("ALL_OLD")
	}
	return dynamodbapi.TransactWriteItem{ConditionCheck: c}
}

func transact(s *Service, token string, items ...dynamodbapi.TransactWriteItem) (*dynamodbapi.TransactWriteItemsOutput, error) {
	in := &dynamodbapi.TransactWriteItemsInput{TransactItems: items, ReturnConsumedCapacity: ptr("TOTAL")}
	if token != "" {
		in.ClientRequestToken = ptr(token)
	}
	return s.TransactWriteItems(bg, in)
}

func id(v string) attr.Item { return attr.Item{"id": sv(v)} }

func cancelReasons(t *testing.T, err error) []dynamodbapi.CancellationReason {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code != "TransactionCanceledException" {
		t.Fatalf("got %v, want TransactionCanceledException", err)
	}
	d, ok := e.Detail.(*dynamodbapi.TransactionCanceledException)
	if !ok || deref(d.Message) != e.Message {
		t.Fatalf("detail %#v", e.Detail)
	}
	return d.CancellationReasons
}

func TestTransactWriteItems(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Accounts", ks("id"), defs("id", "S")))
	indexedTable(t, s, "Ledger")
	put(t, s, "Accounts", attr.Item{"id": sv("a"), "balance": nv("100")})
	put(t, s, "Accounts", attr.Item{"id": sv("b"), "balance": nv("5")})
	put(t, s, "Accounts", attr.Item{"id": sv("old")})

	out, err := transact(s, "",
		txUpdate("Accounts", id("a"), "SET balance = balance - :n", attr.Item{":n": nv("30")}),
		txUpdate("Accounts", id("b"), "SET balance = balance + :n", attr.Item{":n": nv("30")}),
		txPut("Ledger", attr.Item{"pk": sv("a"), "sk": sv("1"), "g": sv("out")}, "attribute_not_exists(pk)", nil),
		txDelete("Accounts", id("old")),
		txCheck("Accounts", id("b2"), "attribute_not_exists(balance)", nil, false),
	)
	if err != nil {
		t.Fatal(err)
	}
	if b := get(t, s, "Accounts", id("a")); *b["balance"].N != "70" {
		t.Fatalf("a: %v", b)
	}
	if b := get(t, s, "Accounts", id("b")); *b["balance"].N != "35" {
		t.Fatalf("b: %v", b)
	}
	if get(t, s, "Accounts", id("old")) != nil || get(t, s, "Ledger", attr.Item{"pk": sv("a"), "sk": sv("1")}) == nil {
		t.Fatal("delete or put not applied")
	}
	// Transactional writes cost twice: Accounts 2 updates, a delete and a
	// check; Ledger a put and its entries in byG and byGInc (not in the LSI:
	// the item has no l).
	if len(out.ConsumedCapacity) != 2 || *out.ConsumedCapacity[0].TableName != "Accounts" || *out.ConsumedCapacity[0].CapacityUnits != 8 ||
		*out.ConsumedCapacity[1].CapacityUnits != 6 {
		t.Fatalf("ConsumedCapacity %+v", out.ConsumedCapacity)
	}
	if n := len(entries(t, s, "Ledger", "byG")); n != 1 {
		t.Fatalf("byG has %d entries", n)
	}
	if n := len(streamRecords(t, s, "Ledger")); n != 1 {
		t.Fatalf("%d stream records", n)
	}
}

func TestTransactWriteItemsCancelled(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Stock", ks("id"), defs("id", "S")))
	put(t, s, "Stock", attr.Item{"id": sv("apple"), "n": nv("1"), "name": sv("x")})

	addToName := txUpdate("Stock", id("lemon"), "ADD #nm :one", attr.Item{":one": nv("1")})
	addToName.Update.ExpressionAttributeNames = map[string]string{"#nm": "name"}
	put(t, s, "Stock", attr.Item{"id": sv("lemon"), "name": sv("y")})
	_, err := transact(s, "",
		txPut("Stock", attr.Item{"id": sv("pear"), "n": nv("3")}, "", nil),
		txCheck("Stock", id("apple"), "n > :z", attr.Item{":z": nv("5")}, true),
		addToName,
	)
	reasons := cancelReasons(t, err)
	wantErr(t, err, "TransactionCanceledException",
		"Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, ValidationError]")
	if len(reasons) != 3 || *reasons[0].Code != "None" || reasons[0].Message != nil ||
		*reasons[1].Code != "ConditionalCheckFailed" || *reasons[1].Message != "The conditional request failed" || *reasons[1].Item["n"].N != "1" ||
		*reasons[2].Code != "ValidationError" || *reasons[2].Message != "An operand in the update expression has an incorrect data type" {
		t.Fatalf("reasons %+v %s", reasons, deref(reasons[2].Message))
	}
	// Nothing was written.
	if get(t, s, "Stock", id("pear")) != nil {
		t.Fatal("cancelled transaction wrote its put")
	}

	// An update that makes an item too big is a ValidationError as well.
	_, err = transact(s, "", txUpdate("Stock", id("apple"), "SET big = :b", attr.Item{":b": sv(strings.Repeat("x", 400*1024))}))
	if r := cancelReasons(t, err); *r[0].Code != "ValidationError" || *r[0].Message != "Item size to update has exceeded the maximum allowed size" {
		t.Fatalf("reasons %+v", r)
	}
}

func TestTransactWriteItemsRefused(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("TxR", ks("id"), defs("id", "S")))
	big := strings.Repeat("x", 390*1024)
	var tooBig []dynamodbapi.TransactWriteItem
	for i := range 11 {
		tooBig = append(tooBig, txPut("TxR", attr.Item{"id": sv(fmt.Sprint(i)), "b": sv(big)}, "", nil))
	}
	tests := []struct {
		name      string
		items     []dynamodbapi.TransactWriteItem
		code, msg string
	}{
		{"empty action", []dynamodbapi.TransactWriteItem{{}}, "ValidationException", "The action or operation requested is invalid"},
		{"two kinds", []dynamodbapi.TransactWriteItem{{Put: txPut("TxR", id("a"), "", nil).Put, Delete: txDelete("TxR", id("a")).Delete}},
			"ValidationException", "TransactItems can only contain one of Check, Put, Update or Delete"},
		{"one item twice", []dynamodbapi.TransactWriteItem{txPut("TxR", id("a"), "", nil), txCheck("TxR", id("a"), "attribute_exists(id)", nil, false)},
			"ValidationException", "Transaction request cannot include multiple operations on one item"},
		{"missing table", []dynamodbapi.TransactWriteItem{txPut("TxR", id("a"), "", nil), txDelete("Nope", id("a"))},
			"ResourceNotFoundException", "Requested resource not found"},
		{"key update", []dynamodbapi.TransactWriteItem{txUpdate("TxR", id("a"), "SET id = :v", attr.Item{":v": sv("b")})},
			"ValidationException", "Cannot update attribute id. This attribute is part of the key"},
		{"unused value", []dynamodbapi.TransactWriteItem{txPut("TxR", id("a"), "attribute_not_exists(id)", attr.Item{":x": sv("1")})},
			"ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"},
		{"bad condition", []dynamodbapi.TransactWriteItem{txPut("TxR", id("a"), "id = ", nil)},
			"ValidationException", "Invalid ConditionExpression: Syntax error"},
		{"over 4 MB", tooBig, "ValidationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := transact(s, "", tt.items...)
			wantErr(t, err, tt.code, tt.msg)
		})
	}
	if d := mustDescribe(t, s, "TxR"); *d.ItemCount != 0 {
		t.Fatalf("refused transactions wrote %d items", *d.ItemCount)
	}
}

func TestTransactWriteItemsIdempotency(t *testing.T) {
	s, clock := newClockService(t)
	mustCreate(t, s, onDemand("Counters", ks("id"), defs("id", "S")))
	incr := func() dynamodbapi.TransactWriteItem {
		return txUpdate("Counters", id("c"), "ADD n :one", attr.Item{":one": nv("1")})
	}
	count := func() string { return *get(t, s, "Counters", id("c"))["n"].N }

	if _, err := transact(s, "tok-1", incr()); err != nil {
		t.Fatal(err)
	}
	out, err := transact(s, "tok-1", incr())
	if err != nil || count() != "1" {
		t.Fatalf("replay: %v, count %s", err, count())
	}
	// A replay reports the capacity of reading the item, not of writing it.
	if c := out.ConsumedCapacity; len(c) != 1 || c[0].ReadCapacityUnits == nil || c[0].WriteCapacityUnits != nil {
		t.Fatalf("replay capacity %+v", c)
	}
	// Same token, other actions.
	_, err = transact(s, "tok-1", txUpdate("Counters", id("c"), "ADD n :two", attr.Item{":two": nv("2")}))
	wantErr(t, err, "IdempotentParameterMismatchException", "")
	// The token is per account and region, and other tokens are free.
	if _, err := transact(s, "tok-2", incr()); err != nil || count() != "2" {
		t.Fatalf("second token: %v %s", err, count())
	}
	// Ten minutes after, the token is new again.
	clock.advance(10 * time.Minute)
	if _, err := transact(s, "tok-1", incr()); err != nil || count() != "3" {
		t.Fatalf("after the window: %v %s", err, count())
	}

	// A cancelled transaction does not take its token.
	failing := txPut("Counters", id("d"), "attribute_exists(id)", nil)
	_, err = transact(s, "tok-3", failing)
	cancelReasons(t, err)
	if _, err := transact(s, "tok-3", txPut("Counters", id("d"), "attribute_not_exists(id)", nil)); err != nil {
		t.Fatalf("retry after cancel: %v", err)
	}

	// Expired tokens are swept.
	clock.advance(11 * time.Minute)
	if err := s.sweepTokens(bg); err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = s.db.View(bg, func(tx storage.Tx) error {
		return tx.Scan(tableTxTokens, storage.Range{}, func(_, _ []byte) bool { n++; return true })
	})
	if n != 0 {
		t.Fatalf("%d tokens left after the sweep", n)
	}
}

// Requests racing with one token apply once.
func TestTransactWriteItemsTokenRace(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Race", ks("id"), defs("id", "S")))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := transact(s, "same", txUpdate("Race", id("c"), "ADD n :one", attr.Item{":one": nv("1")}))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := *get(t, s, "Race", id("c"))["n"].N; n != "1" {
		t.Fatalf("applied %s times", n)
	}
}

func TestTransactGetItems(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("TGT", ks("id"), defs("id", "S")))
	mustCreate(t, s, onDemand("TGT2", ks("pk", "sk"), defs("pk", "S", "sk", "N")))
	put(t, s, "TGT", attr.Item{"id": sv("a"), "x": sv("1"), "y": sv("2")})
	put(t, s, "TGT2", attr.Item{"pk": sv("p"), "sk": nv("1"), "big": sv(strings.Repeat("z", 6000))})
	get := func(table string, key attr.Item, proj string) dynamodbapi.TransactGetItem {
		g := &dynamodbapi.Get{TableName: ptr(table), Key: key}
		if proj != "" {
			g.ProjectionExpression = ptr(proj)
		}
		return dynamodbapi.TransactGetItem{Get: g}
	}
	out, err := s.TransactGetItems(bg, &dynamodbapi.TransactGetItemsInput{TransactItems: []dynamodbapi.TransactGetItem{
		get("TGT", id("a"), "x"), get("TGT", id("missing"), ""), get("TGT2", attr.Item{"pk": sv("p"), "sk": nv("1.0")}, ""),
	}, ReturnConsumedCapacity: ptr("TOTAL")})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Responses
	if len(r) != 3 || len(r[0].Item) != 1 || *r[0].Item["x"].S != "1" || r[1].Item != nil || len(r[2].Item) != 3 {
		t.Fatalf("Responses %+v", r)
	}
	// Two reads of at most 4 KB on TG, one of 8 KB on TG2, twice over.
	if c := out.ConsumedCapacity; len(c) != 2 || *c[0].ReadCapacityUnits != 4 || *c[1].ReadCapacityUnits != 4 {
		t.Fatalf("ConsumedCapacity %+v", c)
	}
	_, err = s.TransactGetItems(bg, &dynamodbapi.TransactGetItemsInput{TransactItems: []dynamodbapi.TransactGetItem{get("TGT", id("a"), ""), get("TGT", id("a"), "y")}})
	wantErr(t, err, "ValidationException", "Transaction request cannot include multiple operations on one item")
	_, err = s.TransactGetItems(bg, &dynamodbapi.TransactGetItemsInput{TransactItems: []dynamodbapi.TransactGetItem{get("Nope", id("a"), "")}})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found")
}
