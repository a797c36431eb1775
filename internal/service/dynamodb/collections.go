package dynamodb

import (
	"errors"
	"strconv"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Item collections. In a table with local secondary indexes, the items
// that share a partition key value and their entries in the local indexes
// form an item collection, which may not grow past 10 GB: a write that
// would make it bigger fails with ItemCollectionSizeLimitExceededException
// (a TransactWriteItems is cancelled with the reason
// ItemCollectionSizeLimitExceeded), while writes that shrink it always
// succeed. ReturnItemCollectionMetrics reports the collection's size.
//
// The size of each collection is a counter that writeItem keeps in the
// write's own transaction, in a storage table per table (dropped with the
// table's key space): an item counts its size, and each local index entry
// the size of its projection plus the entry overhead, as DynamoDB counts
// them and as the entries are stored. Tables without local indexes keep
// no counter and pay nothing.

// maxCollectionBytes is DynamoDB's limit on an item collection.
const maxCollectionBytes = 10 << 30

// msgCollectionTooLarge is DynamoDB's message for a collection past its
// limit, and of the cancellation reason that reports it.
const msgCollectionTooLarge = "Collection size exceeded"

// reasonCollectionTooLarge is the cancellation reason code of an action
// that would grow a collection past its limit.
const reasonCollectionTooLarge = "ItemCollectionSizeLimitExceeded"

func errCollectionTooLarge() error {
	return dynamodbapi.ErrItemCollectionSizeLimitExceededException.New(msgCollectionTooLarge)
}

// collectionsTable is the storage table of the collection counters of
// the table with key space id: key partitionPrefix(id, hash), value the
// size in bytes (8 bytes, big-endian). An empty collection has none.
func collectionsTable(id uint64) string {
	return "ddb.collections." + strconv.FormatUint(id, 16)
}

// collectionCount is a collection's size as the transaction sees it.
type collectionCount struct {
	size  int64
	dirty bool // changed since read: flush stores it
}

// collectionShare is what item (nil: none), of billed size size, counts
// towards its collection: itself and its entries in t's local indexes.
func (t *tableMeta) collectionShare(item attr.Item, size int) int64 {
	if item == nil {
		return 0
	}
	n := int64(size)
	for _, ix := range t.LSIs {
		if !inIndex(ix, item) {
			continue
		}
		if ix.Projection == projAll {
			n += int64(size + indexEntryOverhead)
		} else {
			n += int64(attr.ItemSize(project(ix, t.Key, item)) + indexEntryOverhead)
		}
	}
	return n
}

// collection returns the counter of the collection of partition key hv
// in t (which has local indexes), reading it on first use in the writer.
func (w *itemWriter) collection(t *tableMeta, hv *attr.Value) (*collectionCount, []byte, error) {
	prefix, err := partitionPrefix(t.ID, hv)
	if err != nil {
		return nil, nil, err
	}
	if c := w.collections[string(prefix)]; c != nil {
		return c, prefix, nil
	}
	c := &collectionCount{}
	v, err := w.tx.Get(collectionsTable(t.ID), prefix)
	switch {
	case err == nil && len(v) == 8:
		c.size = int64(getUint64(v))
	case err == nil:
		return nil, nil, errCorrupt
	case !errors.Is(err, storage.ErrNotFound):
		return nil, nil, err
	case !t.Collections:
		// No counter yet in a table older than the counters: count the
		// collection as it is, once.
		if c.size, err = scanCollection(w.tx, t, hv); err != nil {
			return nil, nil, err
		}
		c.dirty = c.size != 0
	}
	if w.collections == nil {
		w.collections = make(map[string]*collectionCount, 2)
	}
	w.collections[string(prefix)] = c
	return c, prefix, nil
}

// scanCollection adds up the stored sizes of the items and local index
// entries of one collection.
func scanCollection(tx storage.Tx, t *tableMeta, hv *attr.Value) (int64, error) {
	var total int64
	for _, id := range append([]uint64{t.ID}, lsiIDs(t)...) {
		prefix, err := partitionPrefix(id, hv)
		if err != nil {
			return 0, err
		}
		var serr error
		err = tx.Scan(itemsTable(id), storage.Range{Prefix: prefix}, func(_, v []byte) bool {
			n, _, err := valueSize(v)
			if err != nil {
				serr = err
				return false
			}
			total += int64(n)
			return true
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return 0, err
		}
	}
	return total, nil
}

func lsiIDs(t *tableMeta) []uint64 {
	ids := make([]uint64, len(t.LSIs))
	for i, ix := range t.LSIs {
		ids[i] = ix.ID
	}
	return ids
}

// growCollection checks that replacing old with new (either nil) keeps
// the collection within the writer's limit, and returns the counter and
// the change to apply once the write is done. It writes nothing.
func (w *itemWriter) growCollection(t *tableMeta, old attr.Item, oldSize int, new attr.Item, newSize int) (*collectionCount, int64, error) {
	item := new
	if item == nil {
		item = old
	}
	hv := item[t.Key.Hash.Name]
	c, _, err := w.collection(t, &hv)
	if err != nil {
		return nil, 0, err
	}
	delta := t.collectionShare(new, newSize) - t.collectionShare(old, oldSize)
	// Only growth is refused: a write that shrinks a collection that is
	// over the limit (a lowered limit, a restore) goes through.
	if delta > 0 && w.collectionLimit > 0 && c.size+delta > w.collectionLimit {
		return nil, 0, errCollectionTooLarge()
	}
	return c, delta, nil
}

// flushCollections stores the counters the writer changed.
func (w *itemWriter) flushCollections() error {
	for prefix, c := range w.collections {
		if !c.dirty {
			continue
		}
		key := []byte(prefix)
		table := collectionsTable(getUint64(key))
		var err error
		if c.size <= 0 {
			err = w.tx.Delete(table, key)
		} else {
			err = w.tx.Put(table, key, appendUint64(make([]byte, 0, 8), uint64(c.size)))
		}
		if err != nil {
			return err
		}
		c.dirty = false
	}
	return nil
}

// collectionMetrics answers ReturnItemCollectionMetrics SIZE for tables
// with local secondary indexes, from the counter of the collection of
// item's partition key, as the writes so far left it.
func (w *itemWriter) collectionMetrics(t *tableMeta, mode *string, item attr.Item) (*dynamodbapi.ItemCollectionMetrics, error) {
	if deref(mode) != "SIZE" || len(t.LSIs) == 0 {
		return nil, nil
	}
	hv := item[t.Key.Hash.Name]
	c, _, err := w.collection(t, &hv)
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.ItemCollectionMetrics{
		ItemCollectionKey:   attr.Item{t.Key.Hash.Name: hv},
		SizeEstimateRangeGB: sizeEstimateGB(c.size),
	}, nil
}

// sizeEstimateGB is the SizeEstimateRangeGB of a collection of size
// bytes: the whole gigabytes below and above it.
func sizeEstimateGB(size int64) []float64 {
	lower := float64(size / (1 << 30))
	return []float64{lower, lower + 1}
}
