package dynamodb

import (
	"fmt"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Items stored in the layout of earlier versions (one storage table, a
// partition hash in every key) are moved at start and read as before.
func TestMigrateLegacyItems(t *testing.T) {
	s := newTestService(t)
	indexedTable(t, s, "Old")
	const n = legacyMigrateMax + 7 // more than one chunk
	for i := range n {
		writeRaw(t, s, "Old", nil, attr.Item{"pk": sv(fmt.Sprint("p", i%10)), "sk": sv(fmt.Sprint(i)), "g": sv("g")})
	}
	// Turn the stored entries back into the old layout.
	var spaces []uint64
	err := s.db.Update(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref("Old"), errNoResource)
		if err != nil {
			return err
		}
		spaces = append(append(spaces, tm.ID), lsiIDs(tm)...)
		for _, ix := range tm.GSIs {
			spaces = append(spaces, ix.ID)
		}
		for _, id := range spaces {
			var kvs [][2][]byte
			if err := tx.Scan(itemsTable(id), storage.Range{}, func(k, v []byte) bool {
				old := append(append(append([]byte{}, k[:idLen]...), 0xde, 0xad, 0xbe, 0xef), k[idLen:]...)
				kvs = append(kvs, [2][]byte{old, append([]byte{}, v...)})
				return true
			}); err != nil {
				return err
			}
			for _, kv := range kvs {
				if err := tx.Put(legacyItems, kv[0], kv[1]); err != nil {
					return err
				}
			}
			if err := tx.DropTable(itemsTable(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	moved, err := migrateLegacyItems(bg, s.db)
	if err != nil || moved < n*2 {
		t.Fatalf("moved %d entries, %v; want at least %d", moved, err, n*2)
	}
	out, err := s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("Old"), KeyConditionExpression: ptr("pk = :p"),
		ExpressionAttributeValues: vals(":p", sv("p3")), Select: ptr("COUNT")})
	if err != nil || *out.Count != int32(n/10+1) {
		t.Fatalf("query after the move: %v %+v", err, out)
	}
	if got := len(entries(t, s, "Old", "byG")); got != n {
		t.Fatalf("index holds %d entries after the move, want %d", got, n)
	}
	if moved, err := migrateLegacyItems(bg, s.db); moved != 0 || err != nil {
		t.Fatalf("second start moved %d, %v", moved, err)
	}
}
