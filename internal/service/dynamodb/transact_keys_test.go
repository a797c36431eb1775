package dynamodb

import (
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// A key that does not fit the table's schema (an attribute missing or of
// the wrong type, in the key or in an index key) cancels a transaction
// with a ValidationError reason, as DynamoDB finds it while the
// transaction runs; an empty key value is refused outright, before it
// runs, as are a missing table and a duplicate target wherever they are.
func TestTransactKeyFaults(t *testing.T) {
	s := newTestService(t)
	in := onDemand("TxK", ks("pk", "sk"), defs("pk", "S", "sk", "S", "g", "S"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byG"), KeySchema: ks("g"), Projection: projAllOf()}}
	mustCreate(t, s, in)
	mustCreate(t, s, onDemand("TxKB", ks("pk"), defs("pk", "B")))
	put(t, s, "TxK", attr.Item{"pk": sv("here"), "sk": sv("1")})

	const (
		schema      = "The provided key element does not match the schema"
		emptyKey    = "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
		emptyBinKey = "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk"
	)
	key := func(pk, sk attr.Value) attr.Item { return attr.Item{"pk": pk, "sk": sk} }
	list := attr.Value{L: []attr.Value{sv("x")}}
	ok := key(sv("new"), sv("1"))
	setG := func(k attr.Item, v attr.Value) dynamodbapi.TransactWriteItem {
		return txUpdate("TxK", k, "SET g = :g", attr.Item{":g": v})
	}
	check := func(table string, k attr.Item) dynamodbapi.TransactWriteItem {
		return txCheck(table, k, "attribute_not_exists(pk)", nil, false)
	}
	tests := []struct {
		name  string
		items []dynamodbapi.TransactWriteItem
		// reasons are the codes and messages of a cancellation ("" for
		// None); without them, the request fails with code and msg.
		reasons   []string
		code, msg string
	}{
		{"Put wrong-typed key", []dynamodbapi.TransactWriteItem{txPut("TxK", key(nv("5"), sv("1")), "", nil)},
			[]string{"One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"}, "", ""},
		{"Put non-scalar key", []dynamodbapi.TransactWriteItem{txPut("TxK", key(list, sv("1")), "", nil)},
			[]string{"One or more parameter values were invalid: Type mismatch for key pk expected: S actual: L"}, "", ""},
		{"Put without its sort key", []dynamodbapi.TransactWriteItem{txPut("TxK", attr.Item{"pk": sv("a")}, "", nil)},
			[]string{"One or more parameter values were invalid: Missing the key sk in the item"}, "", ""},
		{"Put wrong-typed index key", []dynamodbapi.TransactWriteItem{txPut("TxK", attr.Item{"pk": sv("a"), "sk": sv("1"), "g": nv("5")}, "", nil)},
			[]string{"One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: byG"}, "", ""},
		{"Update to a wrong-typed index key", []dynamodbapi.TransactWriteItem{setG(ok, list)},
			[]string{"One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: L IndexName: byG"}, "", ""},
		{"Update wrong-typed key", []dynamodbapi.TransactWriteItem{setG(key(nv("5"), sv("1")), sv("x"))}, []string{schema}, "", ""},
		{"Delete non-scalar key", []dynamodbapi.TransactWriteItem{txDelete("TxK", key(list, sv("1")))}, []string{schema}, "", ""},
		{"Delete key of another attribute", []dynamodbapi.TransactWriteItem{txDelete("TxK", attr.Item{"pk": sv("a"), "other": sv("1")})}, []string{schema}, "", ""},
		{"ConditionCheck wrong-typed key", []dynamodbapi.TransactWriteItem{check("TxK", key(sv("a"), nv("1")))}, []string{schema}, "", ""},
		{"faults beside conditions", []dynamodbapi.TransactWriteItem{
			txPut("TxK", ok, "", nil),
			txPut("TxK", key(sv("here"), sv("1")), "attribute_not_exists(pk)", nil),
			txDelete("TxK", key(nv("5"), sv("1"))),
		}, []string{"", "ConditionalCheckFailed: The conditional request failed", schema}, "", ""},

		{"Put empty key", []dynamodbapi.TransactWriteItem{txPut("TxK", key(sv(""), sv("1")), "", nil)}, nil, "ValidationException", emptyKey},
		{"Update empty key", []dynamodbapi.TransactWriteItem{setG(key(sv(""), sv("1")), sv("x"))}, nil, "ValidationException", emptyKey},
		{"Delete empty key", []dynamodbapi.TransactWriteItem{txDelete("TxK", key(sv(""), sv("1")))}, nil, "ValidationException", emptyKey},
		{"ConditionCheck empty binary key", []dynamodbapi.TransactWriteItem{check("TxKB", attr.Item{"pk": {B: []byte{}}})}, nil, "ValidationException", emptyBinKey},
		{"Put empty index key", []dynamodbapi.TransactWriteItem{txPut("TxK", attr.Item{"pk": sv("a"), "sk": sv("1"), "g": sv("")}, "", nil)}, nil, "ValidationException",
			"One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byG, IndexKey: g"},
		{"Update to an empty index key", []dynamodbapi.TransactWriteItem{setG(ok, sv(""))}, nil, "ValidationException",
			"One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value."},
		{"missing table after a fault", []dynamodbapi.TransactWriteItem{txDelete("TxK", key(nv("5"), sv("1"))), txPut("Nope", ok, "", nil)},
			nil, "ResourceNotFoundException", "Requested resource not found"},
		{"empty key after a fault", []dynamodbapi.TransactWriteItem{txDelete("TxK", key(nv("5"), sv("1"))), txDelete("TxK", key(sv(""), sv("1")))},
			nil, "ValidationException", emptyKey},
		{"duplicate target after a fault", []dynamodbapi.TransactWriteItem{txDelete("TxK", key(nv("5"), sv("1"))), txPut("TxK", ok, "", nil), check("TxK", ok)},
			nil, "ValidationException", "Transaction request cannot include multiple operations on one item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := transact(s, "", tt.items...)
			if tt.reasons == nil {
				wantErr(t, err, tt.code, tt.msg)
				if m := awserr.From(err).Message; m != tt.msg {
					t.Fatalf("message %q", m)
				}
				return
			}
			reasons := cancelReasons(t, err)
			if len(reasons) != len(tt.reasons) {
				t.Fatalf("%d reasons, want %d", len(reasons), len(tt.reasons))
			}
			for i, want := range tt.reasons {
				got := deref(reasons[i].Code)
				if reasons[i].Message != nil {
					got += ": " + *reasons[i].Message
				}
				switch {
				case want == "" && got != "None":
					t.Errorf("reason %d: %s, want None", i, got)
				case want != "" && got != want && got != "ValidationError: "+want:
					t.Errorf("reason %d: %s\nwant %s", i, got, want)
				}
			}
		})
	}
	if d := mustDescribe(t, s, "TxK"); *d.ItemCount != 1 {
		t.Fatalf("refused transactions wrote: %d items", *d.ItemCount)
	}
}

func TestTransactGetKeyFaults(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("TGK", ks("id"), defs("id", "S")))
	put(t, s, "TGK", attr.Item{"id": sv("a")})
	get := func(table string, key attr.Item) dynamodbapi.TransactGetItem {
		return dynamodbapi.TransactGetItem{Get: &dynamodbapi.Get{TableName: ptr(table), Key: key}}
	}
	run := func(gets ...dynamodbapi.TransactGetItem) error {
		_, err := s.TransactGetItems(bg, &dynamodbapi.TransactGetItemsInput{TransactItems: gets})
		return err
	}
	for _, c := range []struct {
		name  string
		gets  []dynamodbapi.TransactGetItem
		codes string
	}{
		{"empty key", []dynamodbapi.TransactGetItem{get("TGK", attr.Item{})}, "[ValidationError]"},
		{"wrong-typed key", []dynamodbapi.TransactGetItem{get("TGK", id("a")), get("TGK", attr.Item{"id": nv("1")})}, "[None, ValidationError]"},
	} {
		err := run(c.gets...)
		wantErr(t, err, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons "+c.codes)
		for _, r := range cancelReasons(t, err) {
			if deref(r.Code) == "ValidationError" && deref(r.Message) != "The provided key element does not match the schema" {
				t.Fatalf("%s: reason %q", c.name, deref(r.Message))
			}
		}
	}
	// The request's own errors come first, wherever they are.
	wantErr(t, run(get("TGK", attr.Item{"id": nv("1")}), get("TGK", attr.Item{"id": sv("")})), "ValidationException",
		"The AttributeValue for a key attribute cannot contain an empty string value. Key: id")
	wantErr(t, run(get("TGK", attr.Item{}), get("Nope", id("a"))), "ResourceNotFoundException", "Requested resource not found")
}
