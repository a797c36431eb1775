package dynamodb

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// storedItem is an item with its billed size. In storage, an item (or an
// index entry) is the uvarint of its size followed by attr's binary
// encoding, so that a write learns the size of the item it replaces
// without decoding it.
type storedItem struct {
	item attr.Item
	size int
}

func newStoredItem(item attr.Item) *storedItem {
	return &storedItem{item: item, size: attr.ItemSize(item)}
}

func encodeValue(dst []byte, it *storedItem) []byte {
	dst = binary.AppendUvarint(dst, uint64(it.size))
	return attr.AppendItem(dst, it.item)
}

// valueSize reads the size in front of a stored value.
func valueSize(v []byte) (int, []byte, error) {
	n, w := binary.Uvarint(v)
	if w <= 0 {
		return 0, nil, errCorrupt
	}
	return int(n), v[w:], nil
}

var errCorrupt = errors.New("dynamodb: corrupt stored item")

// decodeValue decodes a stored value. The item does not share memory with
// v, which belongs to the transaction.
func decodeValue(v []byte) (*storedItem, error) {
	size, rest, err := valueSize(v)
	if err != nil {
		return nil, err
	}
	item, err := attr.DecodeItem(rest)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: decoding stored item: %w", err)
	}
	return &storedItem{item: item, size: size}, nil
}

// getItem reads the item at key; nil when there is none.
func getItem(tx storage.Tx, key []byte) (*storedItem, error) {
	v, err := tx.Get(tableItems, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeValue(v)
}

// spaceStats are the item count and byte size of a table or an index,
// kept up to date by every write in its own transaction.
type spaceStats struct {
	Count int64
	Bytes int64
}

func statsKey(id uint64) []byte { return appendUint64(make([]byte, 0, idLen), id) }

func readStats(tx storage.Tx, id uint64) (spaceStats, error) {
	v, err := tx.Get(tableStats, statsKey(id))
	if errors.Is(err, storage.ErrNotFound) {
		return spaceStats{}, nil
	}
	if err != nil {
		return spaceStats{}, err
	}
	if len(v) != 16 {
		return spaceStats{}, errCorrupt
	}
	return spaceStats{Count: int64(getUint64(v)), Bytes: int64(getUint64(v[8:]))}, nil
}

func addStats(tx storage.Tx, id uint64, d spaceStats) error {
	if d == (spaceStats{}) {
		return nil
	}
	st, err := readStats(tx, id)
	if err != nil {
		return err
	}
	st.Count += d.Count
	st.Bytes += d.Bytes
	v := appendUint64(make([]byte, 0, 16), uint64(st.Count))
	return tx.Put(tableStats, statsKey(id), appendUint64(v, uint64(st.Bytes)))
}

// indexEntryOverhead is what DynamoDB adds to the size of each index
// entry ("Item sizes and formats" in the developer guide).
const indexEntryOverhead = 100
