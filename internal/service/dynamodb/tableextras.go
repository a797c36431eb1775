package dynamodb

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Settings that DynamoDB keeps beside a table rather than in its
// description (Contributor Insights, resource-based policies, Kinesis
// streaming destinations) live in storage tables of their own, keyed by
// extrasKey: the table's metadata key, a zero byte, then what the record
// is about within the table (an index name, a stream label, or nothing).
// A zero byte cannot occur in a table name, so a table's records sort
// together, the table's own record first. Each record carries the key
// space id of the table it was written for (ids are never reused): a
// record left from a deleted table of the same name is not this table's.
const (
	// tableInsights maps extrasKey(table, index name) to insightsMeta.
	tableInsights = "ddb.insights"
	// tablePolicies maps extrasKey(table, "" or "stream/"+label) to
	// policyMeta.
	tablePolicies = "ddb.policies"
	// tableKinesis maps extrasKey(table, "") to kinesisMeta.
	tableKinesis = "ddb.kinesis"
)

var extrasTables = []string{tableInsights, tablePolicies, tableKinesis}

func extrasKey(account, region, table, sub string) []byte {
	k := append(metaKey(account, region, table), 0)
	return append(k, sub...)
}

// extrasPrefix is the prefix of every extras record of a table.
func extrasPrefix(t *tableMeta) []byte {
	return extrasKey(t.Account, t.Region, t.Name, "")
}

// dropTableExtras removes the extras records of a table that is being
// deleted (DeleteTable calls it in its transaction).
func dropTableExtras(tx storage.Tx, t *tableMeta) error {
	prefix := extrasPrefix(t)
	for _, table := range extrasTables {
		var keys [][]byte
		err := tx.Scan(table, storage.Range{Prefix: prefix}, func(k, _ []byte) bool {
			keys = append(keys, bytes.Clone(k))
			return true
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(table, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadExtra decodes the record under key into v; it reports false when
// there is none.
func loadExtra(tx storage.Tx, table string, key []byte, v any) (bool, error) {
	raw, err := tx.Get(table, key)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(raw, v)
}

func saveExtra(tx storage.Tx, table string, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(table, key, raw)
}
