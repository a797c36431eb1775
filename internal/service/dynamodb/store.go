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
	// raw is the encoded item, not yet decoded (item is nil): see
	// peekItem. It belongs to the transaction that read it.
	raw []byte
}

// decoded returns the item, decoding it on first use.
func (it *storedItem) decoded() (attr.Item, error) {
	if it.item == nil && it.raw != nil {
		item, err := attr.DecodeItem(it.raw)
		if err != nil {
			return nil, fmt.Errorf("dynamodb: decoding stored item: %w", err)
		}
		it.item, it.raw = item, nil
	}
	return it.item, nil
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
	it, err := peekItem(tx, key)
	if it == nil || err != nil {
		return nil, err
	}
	if _, err := it.decoded(); err != nil {
		return nil, err
	}
	return it, nil
}

// peekItem reads the item at key but decodes only its size: writes that
// need nothing else of the item they replace skip the decoding. Call
// decoded, inside the transaction, for the item itself.
func peekItem(tx storage.Tx, key []byte) (*storedItem, error) {
	v, err := tx.Get(itemsTableOf(key), key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	size, rest, err := valueSize(v)
	if err != nil {
		return nil, err
	}
	return &storedItem{size: size, raw: rest}, nil
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
