package dynamodb

import (
	"bytes"
	"context"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Time to live. For each table whose time to live is on, the expiry
// worker deletes the items whose TTL attribute is a Number (Unix epoch
// seconds) earlier than now, as DynamoDB's background process does:
// through writeItem, so indexes and counts follow, with stream records
// that name DynamoDB itself as the principal. Items whose attribute is
// missing or not a Number are never deleted, nor are items whose expiry
// lies more than five years in the past (DynamoDB ignores those, so that
// a mistaken unit does not wipe a table). AWS takes up to a few days;
// Nimbus deletes an item within one pass of the worker after it expires.

const (
	// ttlBatch is how many expired items one transaction deletes.
	ttlBatch = 100
	// ttlScanPage is how many items one read transaction looks at.
	ttlScanPage = 1000
	// ttlMaxAge is how far in the past an expiry may lie and still count.
	ttlMaxAge = 5 * 365 * 24 * time.Hour
)

// RunExpiry deletes expired items every interval, forgets expired
// transaction tokens and trims point-in-time recovery histories to their
// recovery periods, until ctx ends.
func (s *Service) RunExpiry(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	s.runExpiry(ctx, t.C)
}

// runExpiry makes a pass at once and then one per tick.
func (s *Service) runExpiry(ctx context.Context, ticks <-chan time.Time) {
	for {
		if _, err := s.ExpireItems(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("dynamodb: expiring items", "err", err)
		}
		if err := s.sweepTokens(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("dynamodb: forgetting transaction tokens", "err", err)
		}
		if err := s.trimHistories(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("dynamodb: trimming point-in-time recovery histories", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
	}
}

// ExpireItems makes one pass over the tables with time to live on and
// deletes their expired items; it returns how many it deleted.
func (s *Service) ExpireItems(ctx context.Context) (int, error) {
	tables, err := s.TTLTables(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, tt := range tables {
		n, err := s.expireTable(ctx, tableRef{tt.Account, tt.Region, tt.Name})
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// expired reports whether item's TTL attribute says it has expired at now.
func expired(item attr.Item, attribute string, now, oldest attr.Number) bool {
	v, ok := item[attribute]
	if !ok || v.N == nil {
		return false
	}
	n, err := attr.ParseNumber(*v.N)
	if err != nil {
		return false
	}
	return n.Cmp(now) < 0 && n.Cmp(oldest) >= 0
}

// expireTable deletes the expired items of one table, a batch per
// transaction. Items are found in a read transaction and checked again
// in the write one, since they may have changed in between.
func (s *Service) expireTable(ctx context.Context, ref tableRef) (int, error) {
	deleted := 0
	var after []byte
	for {
		now := s.now()
		nowN := attr.NumberFromInt(now.Unix())
		oldest := attr.NumberFromInt(now.Add(-ttlMaxAge).Unix())
		var keys [][]byte
		var tableID uint64
		end := true
		err := s.db.View(ctx, func(tx storage.Tx) error {
			t, err := s.loadTable(tx, ref)
			if err != nil || t == nil || !t.TTL.Enabled {
				return err
			}
			tableID = t.ID
			r := storage.Range{Prefix: appendUint64(nil, t.ID), After: after}
			seen := 0
			var derr error
			err = tx.Scan(itemsTable(t.ID), r, func(k, v []byte) bool {
				seen++
				after = bytes.Clone(k)
				it, err := decodeValue(v)
				if err != nil {
					derr = err
					return false
				}
				if expired(it.item, t.TTL.Attribute, nowN, oldest) {
					keys = append(keys, after)
				}
				if len(keys) == ttlBatch || seen == ttlScanPage {
					end = false
					return false
				}
				return true
			})
			if err != nil {
				return err
			}
			return derr
		})
		if err != nil || tableID == 0 {
			return deleted, err
		}
		if len(keys) > 0 {
			n := 0
			err = s.update(ctx, func(w *itemWriter) error {
				n = 0
				w.ttl = true
				t, err := s.loadTable(w.tx, ref)
				if err != nil || t == nil || t.ID != tableID || !t.TTL.Enabled {
					return err
				}
				for _, k := range keys {
					old, err := getItem(w.tx, k)
					if err != nil {
						return err
					}
					if old == nil || !expired(old.item, t.TTL.Attribute, nowN, oldest) {
						continue
					}
					if _, err := w.writeItem(t, k, old, nil); err != nil {
						return err
					}
					n++
				}
				return nil
			})
			if err != nil {
				return deleted, err
			}
			deleted += n
		}
		if end {
			return deleted, nil
		}
	}
}
