package dynamodb

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Run sweeps the streams at once and then every interval until ctx ends.
func (s *StreamsService) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("dynamodb streams: sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep trims the records older than the retention period, deletes the
// streams disabled for longer than that, and closes open shards that
// reached shardLife. Each step is its own small transaction, so a sweep
// never holds up writes for long and an interrupted one resumes.
func (s *StreamsService) Sweep(ctx context.Context) error {
	now := s.now()
	var infos []streamInfo
	err := s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tableStreamIndex, storage.Range{}, func(_, v []byte) bool {
			var info streamInfo
			if json.Unmarshal(v, &info) == nil {
				infos = append(infos, info)
			}
			return true
		})
	})
	if err != nil {
		return err
	}
	for i := range infos {
		info := &infos[i]
		if s.expired(info, now) {
			err = s.dropStream(ctx, info)
		} else {
			err = s.trimStream(ctx, info.ID, now.Add(-s.retention))
			if err == nil && info.Closed.IsZero() {
				err = s.rollShard(ctx, info, now)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// recordCreated reads the creation time in front of an encoded record.
func recordCreated(v []byte) (time.Time, bool) {
	if len(v) < 5 {
		return time.Time{}, false
	}
	ms, n := binary.Uvarint(v[4:])
	if n <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)), true
}

// trimStream deletes the stream's records created before cutoff, oldest
// first, a batch per transaction. A stream with nothing to trim costs a
// read, not a write transaction.
func (s *StreamsService) trimStream(ctx context.Context, id uint64, cutoff time.Time) error {
	prefix := appendUint64(nil, id)
	due := false
	err := s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tableStreams, storage.Range{Prefix: prefix}, func(_, v []byte) bool {
			created, ok := recordCreated(v)
			due = !ok || created.Before(cutoff)
			return false
		})
	})
	if err != nil || !due {
		return err
	}
	for {
		full := false
		err := s.db.Update(ctx, func(tx storage.Tx) error {
			var keys [][]byte
			err := tx.Scan(tableStreams, storage.Range{Prefix: prefix}, func(k, v []byte) bool {
				created, ok := recordCreated(v)
				if ok && !created.Before(cutoff) {
					return false
				}
				keys = append(keys, append([]byte(nil), k...))
				return len(keys) < s.sweepBatch
			})
			if err != nil {
				return err
			}
			full = len(keys) == s.sweepBatch
			for _, k := range keys {
				if err := tx.Delete(tableStreams, k); err != nil {
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

// rollShard closes the open shard of an enabled stream when it is due
// (see rollShard in streams_shards.go), checking first in a read.
func (s *StreamsService) rollShard(ctx context.Context, info *streamInfo, now time.Time) error {
	due := false
	err := s.db.View(ctx, func(tx storage.Tx) error {
		last, err := lastSeq(tx, info.ID)
		if err != nil {
			return err
		}
		shards, err := streamShards(tx, info, last)
		if err != nil {
			return err
		}
		open := shards[len(shards)-1]
		due = last >= open.start && now.Sub(open.created) >= s.shardLife
		return nil
	})
	if err != nil || !due {
		return err
	}
	return s.db.Update(ctx, func(tx storage.Tx) error { return rollShard(tx, info.ARN, now, s.shardLife) })
}

// dropStream deletes a stream past its retention: its records, shards and
// sequence counter, and last its index entry, so that an interrupted drop
// is finished by the next sweep.
func (s *StreamsService) dropStream(ctx context.Context, info *streamInfo) error {
	prefix := appendUint64(nil, info.ID)
	for {
		done := false
		err := s.db.Update(ctx, func(tx storage.Tx) error {
			var keys [][]byte
			collect := func(k, _ []byte) bool {
				keys = append(keys, append([]byte(nil), k...))
				return len(keys) < s.sweepBatch
			}
			if err := tx.Scan(tableStreams, storage.Range{Prefix: prefix}, collect); err != nil {
				return err
			}
			for _, k := range keys {
				if err := tx.Delete(tableStreams, k); err != nil {
					return err
				}
			}
			if len(keys) == s.sweepBatch {
				return nil
			}
			keys = keys[:0]
			if err := tx.Scan(tableStreamShards, storage.Range{Prefix: prefix}, collect); err != nil {
				return err
			}
			for _, k := range keys {
				if err := tx.Delete(tableStreamShards, k); err != nil {
					return err
				}
			}
			if err := tx.Delete(tableSeq, streamSeqKey(info.ID)); err != nil {
				return err
			}
			done = true
			return tx.Delete(tableStreamIndex, []byte(info.ARN))
		})
		if err != nil || done {
			return err
		}
	}
}
