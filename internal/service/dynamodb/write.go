package dynamodb

import (
	"bytes"
	"context"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// itemWriter is the one write path of items: PutItem, UpdateItem,
// DeleteItem, and the batch, transaction and TTL code all go through
// writeItem, which keeps every index, the table's statistics and its
// stream in step with the item, inside the caller's transaction.
type itemWriter struct {
	tx  storage.Tx
	now time.Time
	// ttl marks the writes of the TTL worker: their stream records name
	// DynamoDB itself as the principal.
	ttl bool
	// dirty records that the transaction was written to (see groupcommit.go).
	dirty bool
	// collectionLimit bounds the item collections the writes may grow
	// (collections.go); 0 lets them grow, as a restore must.
	collectionLimit int64

	stats       map[uint64]spaceStats
	collections map[string]*collectionCount
	buf         []byte
}

func (s *Service) newWriter(tx storage.Tx) *itemWriter {
	return &itemWriter{tx: tx, now: s.now(), collectionLimit: s.collectionLimit}
}

// update runs fn in one storage transaction with an itemWriter, and
// commits the writer's statistics with it.
func (s *Service) update(ctx context.Context, fn func(w *itemWriter) error) error {
	return s.db.Update(ctx, func(tx storage.Tx) error {
		w := s.newWriter(tx)
		if err := fn(w); err != nil {
			return err
		}
		return w.flush()
	})
}

func (w *itemWriter) addStats(id uint64, count, size int) {
	if w.stats == nil {
		w.stats = make(map[uint64]spaceStats, 4)
	}
	st := w.stats[id]
	st.Count += int64(count)
	st.Bytes += int64(size)
	w.stats[id] = st
}

func (w *itemWriter) flush() error {
	for id, d := range w.stats {
		if err := addStats(w.tx, id, d); err != nil {
			return err
		}
	}
	w.stats = nil
	return w.flushCollections()
}

// writeCost is what a write consumed, in write units, on the table and on
// each index it touched.
type writeCost struct {
	table   float64
	indexes map[*indexMeta]float64
}

func (c *writeCost) addIndex(ix *indexMeta, units float64) {
	if units == 0 {
		return
	}
	if c.indexes == nil {
		c.indexes = make(map[*indexMeta]float64, 2)
	}
	c.indexes[ix] += units
}

func (c *writeCost) total() float64 {
	t := c.table
	for _, u := range c.indexes {
		t += u
	}
	return t
}

// writeUnits is DynamoDB's charge for writing size bytes: one unit per KB
// or part of one.
func writeUnits(size int) float64 {
	if size <= 0 {
		return 1
	}
	return float64((size + 1023) / 1024)
}

// writeItem replaces old with new at key in table t: new nil deletes, old
// nil inserts. The caller has validated new (keys, index key types, size)
// and read old in the same transaction (with getItem, or peekItem when it
// needs only the old item's size: writeItem decodes it if it must).
func (w *itemWriter) writeItem(t *tableMeta, key []byte, old, new *storedItem) (writeCost, error) {
	var cost writeCost
	var oldItem, newItem attr.Item
	oldSize, newSize := 0, 0
	if old != nil {
		oldSize = old.size
		if len(t.LSIs) > 0 || len(t.GSIs) > 0 || t.Stream.Enabled {
			var err error
			if oldItem, err = old.decoded(); err != nil {
				return cost, err
			}
		}
	}
	if new != nil {
		newItem, newSize = new.item, new.size
	}
	cost.table = writeUnits(max(oldSize, newSize))
	if old == nil && new == nil {
		return cost, nil // deleting an item that is not there
	}
	var coll *collectionCount
	var collDelta int64
	if len(t.LSIs) > 0 {
		var err error
		if coll, collDelta, err = w.growCollection(t, oldItem, oldSize, newItem, newSize); err != nil {
			return cost, err
		}
	}

	w.dirty = true
	switch {
	case new != nil:
		w.buf = encodeValue(w.buf[:0], new)
		if err := w.tx.Put(itemsTableOf(key), key, w.buf); err != nil {
			return cost, err
		}
	default:
		if err := w.tx.Delete(itemsTableOf(key), key); err != nil {
			return cost, err
		}
	}
	if t.PITR.History != 0 {
		if err := w.recordHistory(t, key, old); err != nil {
			return cost, err
		}
	}
	w.addStats(t.ID, b2i(new != nil)-b2i(old != nil), newSize-oldSize)
	if coll != nil && collDelta != 0 {
		coll.size += collDelta
		coll.dirty = true
	}

	for _, ix := range t.indexes() {
		if ix.Status == statusCreating && (ix.Backfilled == nil || bytes.Compare(key, ix.Backfilled) > 0) {
			continue // the backfill will copy this item
		}
		units, err := w.writeIndex(t, ix, key, oldItem, newItem)
		if err != nil {
			return cost, err
		}
		cost.addIndex(ix, units)
	}

	if t.Stream.Enabled && !sameItem(oldItem, newItem) {
		if err := w.appendStream(t, oldItem, newItem); err != nil {
			return cost, err
		}
	}
	return cost, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeIndex brings the entry of one item in ix up to date and returns
// the write units it took.
func (w *itemWriter) writeIndex(t *tableMeta, ix *indexMeta, itemKey []byte, old, new attr.Item) (float64, error) {
	suffix := itemKey[keyPrefix:]
	var oldKey, newKey []byte
	var oldProj, newProj attr.Item
	var err error
	if inIndex(ix, old) {
		if oldKey, err = spaceKey(ix.ID, ix.Key, old, suffix); err != nil {
			return 0, err
		}
		oldProj = project(ix, t.Key, old)
	}
	if inIndex(ix, new) {
		if newKey, err = spaceKey(ix.ID, ix.Key, new, suffix); err != nil {
			return 0, err
		}
		newProj = project(ix, t.Key, new)
	}
	var units float64
	if oldKey != nil && newKey != nil && bytes.Equal(oldKey, newKey) && sameItem(oldProj, newProj) {
		return 0, nil // nothing the index keeps has changed
	}
	oldSize := 0
	if oldKey != nil {
		oldSize = attr.ItemSize(oldProj) + indexEntryOverhead
	}
	if oldKey != nil && (newKey == nil || !bytes.Equal(oldKey, newKey)) {
		if err := w.tx.Delete(itemsTableOf(oldKey), oldKey); err != nil {
			return 0, err
		}
		w.addStats(ix.ID, -1, -oldSize)
		units += writeUnits(oldSize)
	}
	if newKey != nil {
		entry := &storedItem{item: newProj, size: attr.ItemSize(newProj) + indexEntryOverhead}
		if err := w.tx.Put(itemsTableOf(newKey), newKey, encodeValue(nil, entry)); err != nil {
			return 0, err
		}
		if oldKey != nil && bytes.Equal(oldKey, newKey) {
			w.addStats(ix.ID, 0, entry.size-oldSize)
		} else {
			w.addStats(ix.ID, 1, entry.size)
		}
		units += writeUnits(entry.size)
	}
	return units, nil
}

// sameItem reports whether two items (either may be nil) hold the same
// attributes with equal values.
func sameItem(a, b attr.Item) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for name, av := range a {
		bv, ok := b[name]
		if !ok || !attr.Equal(&av, &bv) {
			return false
		}
	}
	return true
}
