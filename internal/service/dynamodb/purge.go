package dynamodb

import (
	"context"
	"encoding/json"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// purgeBatch is how many expired entries (idempotency tokens, recovery
// history) one clean-up transaction removes: small enough that it never
// holds the write lock for long. Deleted tables go whole (purgeSpace).
const purgeBatch = 2000

// schedulePurge records key spaces whose entries are to be removed.
func schedulePurge(tx storage.Tx, ids ...uint64) error {
	for _, id := range ids {
		if err := tx.Put(tablePurge, statsKey(id), []byte{}); err != nil {
			return err
		}
		if err := tx.Delete(tableStats, statsKey(id)); err != nil {
			return err
		}
	}
	return nil
}

// purge removes the entries of every key space scheduled for purging.
func (s *Service) purge(ctx context.Context) {
	for ctx.Err() == nil {
		var ids [][]byte
		err := s.db.View(ctx, func(tx storage.Tx) error {
			return tx.Scan(tablePurge, storage.Range{}, func(k, _ []byte) bool {
				ids = append(ids, append([]byte(nil), k...))
				return len(ids) < 100
			})
		})
		if err != nil || len(ids) == 0 {
			if err != nil && ctx.Err() == nil {
				s.log.Warn("dynamodb: listing key spaces to purge", "err", err)
			}
			return
		}
		for _, id := range ids {
			if err := s.purgeSpace(ctx, id); err != nil {
				if ctx.Err() == nil {
					s.log.Warn("dynamodb: purging a deleted table", "err", err)
				}
				return
			}
		}
	}
}

// purgeSpace drops the storage table of one key space, then its purge
// record.
func (s *Service) purgeSpace(ctx context.Context, id []byte) error {
	return s.db.Update(ctx, func(tx storage.Tx) error {
		if err := tx.DropTable(itemsTableOf(id)); err != nil {
			return err
		}
		// A table's collection counters go with its items.
		if err := tx.DropTable(collectionsTable(getUint64(id))); err != nil {
			return err
		}
		return tx.Delete(tablePurge, id)
	})
}

// resumeWork finishes what a previous run started: purges of deleted
// tables and backfills of new global secondary indexes.
func (s *Service) resumeWork(ctx context.Context) {
	s.purge(ctx)
	var refs []tableRef
	err := s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tableTables, storage.Range{}, func(_, v []byte) bool {
			var t tableMeta
			if json.Unmarshal(v, &t) != nil {
				return true
			}
			for _, ix := range t.GSIs {
				if ix.Status == statusCreating {
					refs = append(refs, tableRef{t.Account, t.Region, t.Name})
					break
				}
			}
			return true
		})
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("dynamodb: looking for unfinished index backfills", "err", err)
		}
		return
	}
	for _, ref := range refs {
		s.backfill(ctx, ref)
	}
}
