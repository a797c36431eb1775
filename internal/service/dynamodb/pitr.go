package dynamodb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"sort"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Point-in-time recovery. While it is on, every change of one of the
// table's items leaves an entry in the table's history, a key space of
// its own (pitrMeta.History), written by writeItem in the transaction of
// the change:
//
//	historyID | uint64 unix nanoseconds | item key without its prefix
//
// holding the item's image before the change (a stored value, as the
// items table keeps it; empty when the change created the item). Writes
// to tables without recovery pay nothing: writeItem tests one field.
//
// The state at time T is the current items with every item changed after
// T put back as its oldest image after T. A restore computes it in one
// read transaction and snapshots it into a blob, then restores that as a
// backup (backup_restore.go). Deletions by time to live go through
// writeItem and are rolled back alike.
//
// History older than the recovery period is trimmed by trimHistories
// (which RunExpiry runs); turning recovery off, or deleting the table,
// gives the whole history to the purge.

// defaultRecoveryDays is the recovery period when the request names none.
const defaultRecoveryDays = 35

// historyKeyLen is the length of a history key before the item key.
const historyKeyLen = idLen + 8

// historyKey appends the key of a history entry of key space id at time
// at; suffix is the item's storage key without its key space prefix.
func historyKey(dst []byte, id uint64, at time.Time, suffix []byte) []byte {
	dst = appendUint64(dst, id)
	dst = appendUint64(dst, uint64(at.UnixNano()))
	return append(dst, suffix...)
}

// recordHistory keeps old, the image of the item at key before this
// write, in t's history. Of several changes to one item at one instant
// (a transaction or a group commit writes them with one time) the first
// one's image is the state before that instant, and it stays.
func (w *itemWriter) recordHistory(t *tableMeta, key []byte, old *storedItem) error {
	table := itemsTable(t.PITR.History)
	hk := historyKey(make([]byte, 0, historyKeyLen+len(key)-keyPrefix), t.PITR.History, w.now, key[keyPrefix:])
	if _, err := w.tx.Get(table, hk); err == nil {
		return nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	var image []byte
	if old != nil {
		image = storedImage(old)
	}
	return w.tx.Put(table, hk, image)
}

// storedImage is the stored value of it, in memory of its own: a peeked
// item's raw bytes belong to its transaction.
func storedImage(it *storedItem) []byte {
	if it.item == nil && it.raw != nil {
		v := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(it.raw)), uint64(it.size))
		return append(v, it.raw...)
	}
	return encodeValue(nil, it)
}

// restorableWindow is the interval of times a table can be restored to.
// It ends now: DynamoDB's LatestRestorableDateTime is "typically 5
// minutes before the current time" because its backups trail the table,
// but the history here is written in each write's own transaction, so the
// present is as restorable as any moment before it, and a restore with
// UseLatestRestorableTime copies every acknowledged write.
func restorableWindow(p pitrMeta, now time.Time) (earliest, latest time.Time) {
	earliest = p.EnabledAt
	if limit := now.Add(-time.Duration(p.Days) * 24 * time.Hour); earliest.Before(limit) {
		earliest = limit
	}
	return earliest, now
}

// restoreTime picks the time a point-in-time restore restores to: the one
// requested, checked against the window, or the latest restorable one.
// Times compare to the millisecond, the precision of the timestamps
// DescribeContinuousBackups sends, so that its bounds are valid requests.
func restoreTime(p pitrMeta, now time.Time, requested *time.Time) (time.Time, error) {
	earliest, latest := restorableWindow(p, now)
	if requested == nil {
		return latest, nil
	}
	at := requested.UTC()
	if at.UnixMilli() < earliest.UnixMilli() || at.UnixMilli() > latest.UnixMilli() {
		return time.Time{}, dynamodbapi.ErrInvalidRestoreTimeException.New(
			"An invalid restore time was specified. RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime.")
	}
	return at, nil
}

// changesAfter returns, for every item of t changed after at, its image
// at that time (empty when it did not exist then), keyed by its storage
// key without the key space prefix.
func changesAfter(tx storage.Tx, t *tableMeta, at time.Time) (map[string][]byte, error) {
	changes := map[string][]byte{}
	id := t.PITR.History
	if id == 0 {
		return changes, nil
	}
	r := storage.Range{Prefix: appendUint64(nil, id), Start: historyKey(nil, id, at.Add(time.Nanosecond), nil)}
	err := tx.Scan(itemsTable(id), r, func(k, v []byte) bool {
		suffix := string(k[historyKeyLen:])
		if _, seen := changes[suffix]; !seen {
			changes[suffix] = bytes.Clone(v)
		}
		return true
	})
	return changes, err
}

// snapshotAt writes the items t held at time at, as tx sees the table
// and its history, to a new blob.
func (s *Service) snapshotAt(tx storage.Tx, t *tableMeta, at time.Time) (string, error) {
	changes, err := changesAfter(tx, t, at)
	if err != nil {
		return "", err
	}
	snap, err := s.newSnapshot()
	if err != nil {
		return "", err
	}
	err = tx.Scan(itemsTable(t.ID), storage.Range{Prefix: appendUint64(nil, t.ID)}, func(k, v []byte) bool {
		if image, ok := changes[string(k[keyPrefix:])]; ok {
			delete(changes, string(k[keyPrefix:]))
			v = image
		}
		return len(v) == 0 || snap.add(v) == nil
	})
	// Items deleted since: in key order, as the scan wrote the others.
	gone := make([]string, 0, len(changes))
	for k, image := range changes {
		if len(image) > 0 {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		if err != nil {
			break
		}
		err = snap.add(changes[k])
	}
	return snap.finish(err)
}

// trimHistories deletes the history older than the recovery period of
// every table whose point-in-time recovery is on.
func (s *Service) trimHistories(ctx context.Context) error {
	type due struct {
		id     uint64
		cutoff []byte
	}
	var list []due
	now := s.now()
	err := s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tableTables, storage.Range{}, func(k, v []byte) bool {
			t, err := s.metas.get(k, v)
			if err == nil && t.PITR.Enabled && t.PITR.History != 0 {
				cutoff := now.Add(-time.Duration(t.PITR.Days) * 24 * time.Hour)
				list = append(list, due{t.PITR.History, historyKey(nil, t.PITR.History, cutoff, nil)})
			}
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, d := range list {
		if err := s.trimHistory(ctx, d.id, d.cutoff); err != nil {
			return err
		}
	}
	return nil
}

// trimHistory deletes the entries of history id before cutoff, oldest
// first, a batch per transaction. A history with nothing to trim costs a
// read, not a write transaction.
func (s *Service) trimHistory(ctx context.Context, id uint64, cutoff []byte) error {
	r := storage.Range{Prefix: appendUint64(nil, id)}
	table := itemsTable(id)
	old := func(tx storage.Tx, max int) ([][]byte, error) {
		var keys [][]byte
		err := tx.Scan(table, r, func(k, _ []byte) bool {
			if bytes.Compare(k, cutoff) >= 0 {
				return false
			}
			keys = append(keys, bytes.Clone(k))
			return len(keys) < max
		})
		return keys, err
	}
	var any [][]byte
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		any, err = old(tx, 1)
		return err
	})
	if err != nil || len(any) == 0 {
		return err
	}
	for {
		full := false
		err := s.db.Update(ctx, func(tx storage.Tx) error {
			keys, err := old(tx, purgeBatch)
			if err != nil {
				return err
			}
			full = len(keys) == purgeBatch
			for _, k := range keys {
				if err := tx.Delete(table, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || !full {
			return err
		}
	}
}
