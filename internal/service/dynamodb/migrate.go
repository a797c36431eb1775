package dynamodb

import (
	"bytes"
	"context"
	"errors"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Data written by earlier versions kept every table's items and every
// index's entries in one storage table, legacyItems, under keys with a
// 4-byte hash of the partition key after the key space id:
//
//	id | h32(enc(hash)) | enc(hash) | enc(range)
//
// migrateLegacyItems moves them to today's layout (keys.go): one storage
// table per key space, the hash left out. It copies a chunk per
// transaction and drops the old table at the end; a crash part-way
// leaves the old table in place, and the next start copies again from the
// beginning (a Put of an entry already copied is harmless).
const (
	legacyItems      = "ddb.items"
	legacyHashLen    = 4
	legacyMigrateMax = 5000
)

func migrateLegacyItems(ctx context.Context, db storage.Backend) (moved int, err error) {
	legacy := false
	err = db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(legacyItems, storage.Range{}, func(_, _ []byte) bool {
			legacy = true
			return false
		})
	})
	if err != nil || !legacy {
		return 0, err
	}
	var after []byte
	for {
		n := 0
		var last []byte
		err := db.Update(ctx, func(tx storage.Tx) error {
			n, last = 0, nil
			type entry struct{ key, value []byte }
			var chunk []entry
			err := tx.Scan(legacyItems, storage.Range{After: after}, func(k, v []byte) bool {
				chunk = append(chunk, entry{bytes.Clone(k), bytes.Clone(v)})
				return len(chunk) < legacyMigrateMax
			})
			if err != nil {
				return err
			}
			for _, e := range chunk {
				if len(e.key) <= idLen+legacyHashLen {
					return errors.New("dynamodb: a stored item key is shorter than its prefix")
				}
				key := append(bytes.Clone(e.key[:idLen]), e.key[idLen+legacyHashLen:]...)
				if err := tx.Put(itemsTableOf(key), key, e.value); err != nil {
					return err
				}
			}
			n = len(chunk)
			if n > 0 {
				last = chunk[n-1].key
			}
			if n < legacyMigrateMax {
				return tx.DropTable(legacyItems)
			}
			return nil
		})
		if err != nil {
			return moved, err
		}
		moved += n
		if n < legacyMigrateMax {
			return moved, nil
		}
		after = last
	}
}
