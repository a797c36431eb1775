package sqs

import (
	"context"
	"encoding/binary"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// sweepChunk bounds the work of one sweeping transaction, so that sends and
// receives are not held up behind a large purge.
const sweepChunk = 2000

// sweep removes expired messages, expired deduplication ids and receive
// attempts, and the messages of deleted queues.
func (s *Service) sweep(ctx context.Context) error {
	var garbage []uint64
	var live []*queue
	err := s.db.View(ctx, func(tx storage.Tx) error {
		if err := tx.Scan(tGarbage, storage.Range{}, func(k, _ []byte) bool {
			garbage = append(garbage, binary.BigEndian.Uint64(k))
			return true
		}); err != nil {
			return err
		}
		return tx.Scan(tQueues, storage.Range{}, func(_, v []byte) bool {
			var q queue
			if jsonUnmarshal(v, &q) == nil {
				q.settings = parseSettings(q.Attrs)
				live = append(live, &q)
			}
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, qid := range garbage {
		if err := s.dropQueueData(ctx, qid); err != nil {
			return err
		}
	}
	for _, q := range live {
		if err := s.expire(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// expire deletes the messages older than the queue's retention period
// (they are in send order in sqs.msg) and forgets expired deduplication
// ids.
func (s *Service) expire(ctx context.Context, q *queue) error {
	for {
		done := true
		err := s.db.Update(ctx, func(tx storage.Tx) error {
			cur, err := loadQueue(tx, q.Account, q.Region, q.Name)
			if err != nil || cur.ID != q.ID {
				return nil // deleted meanwhile
			}
			now := s.nowMs()
			cutoff := now - int64(cur.settings.retention)*1000
			type old struct {
				seq uint64
				m   message
			}
			var olds []old
			var scanErr error
			err = tx.Scan(tMsg, storage.Range{Prefix: msgPrefix(q.ID)}, func(k, v []byte) bool {
				if msgSeq(k) == stateSeq {
					return false
				}
				m, err := decodeMessage(v)
				if scanErr = err; err != nil {
					return false
				}
				if m.Sent > cutoff {
					return false
				}
				olds = append(olds, old{msgSeq(k), *m})
				return len(olds) < sweepChunk
			})
			if err != nil {
				return err
			}
			if scanErr != nil {
				return scanErr
			}
			st, err := loadState(tx, q.ID)
			if err != nil {
				return err
			}
			groups := map[string]bool{}
			for i := range olds {
				if err := removeMessage(tx, cur, &st, olds[i].seq, &olds[i].m); err != nil {
					return err
				}
				groups[olds[i].m.Group] = true
			}
			if cur.fifo() {
				for g := range groups {
					if err := refreshGroup(tx, cur, g, now); err != nil {
						return err
					}
				}
			}
			done = len(olds) < sweepChunk
			if err := saveState(tx, q.ID, st); err != nil {
				return err
			}
			return s.expireIDs(tx, q.ID, now)
		})
		if err != nil || done {
			return err
		}
	}
}

// expireIDs forgets deduplication ids and receive attempts past their
// five minutes.
func (s *Service) expireIDs(tx storage.Tx, qid uint64, now int64) error {
	var keys [][]byte
	err := tx.Scan(tDedupExp, storage.Range{Prefix: u64(qid)}, func(k, _ []byte) bool {
		if int64(binary.BigEndian.Uint64(k[8:16])) > now {
			return false
		}
		keys = append(keys, append([]byte(nil), k...))
		return len(keys) < sweepChunk
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(tDedupExp, k); err != nil {
			return err
		}
		dk := cat(u64(qid), k[16:])
		var e dedupEntry
		if getJSON(tx, tDedup, dk, &e) == nil && e.Until <= now {
			if err := tx.Delete(tDedup, dk); err != nil {
				return err
			}
		}
	}
	var attempts [][]byte
	err = tx.Scan(tAttempts, storage.Range{Prefix: u64(qid)}, func(k, v []byte) bool {
		var a attempt
		if jsonUnmarshal(v, &a) == nil && a.Until <= now {
			attempts = append(attempts, append([]byte(nil), k...))
		}
		return len(attempts) < sweepChunk
	})
	if err != nil {
		return err
	}
	for _, k := range attempts {
		if err := tx.Delete(tAttempts, k); err != nil {
			return err
		}
	}
	return nil
}

// dropQueueData deletes everything stored under a deleted queue's id.
func (s *Service) dropQueueData(ctx context.Context, qid uint64) error {
	for _, table := range []string{tMsg, tFMsgs, tFReady, tFGroup, tDedup, tDedupExp, tAttempts} {
		for {
			n, err := s.deletePrefix(ctx, table, u64(qid))
			if err != nil {
				return err
			}
			if n < sweepChunk {
				break
			}
		}
	}
	return s.db.Update(ctx, func(tx storage.Tx) error {
		return tx.Delete(tGarbage, u64(qid))
	})
}

func (s *Service) deletePrefix(ctx context.Context, table string, prefix []byte) (int, error) {
	var n int
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		var keys [][]byte
		if err := tx.Scan(table, storage.Range{Prefix: prefix}, func(k, _ []byte) bool {
			keys = append(keys, append([]byte(nil), k...))
			return len(keys) < sweepChunk
		}); err != nil {
			return err
		}
		n = len(keys)
		for _, k := range keys {
			if err := tx.Delete(table, k); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// deleteMessagesBelow deletes the messages of q whose sequence is
// below seq (a purge), a chunk per transaction.
func (s *Service) deleteMessagesBelow(ctx context.Context, q *queue, below uint64) error {
	qid := q.ID
	for {
		done := true
		err := s.db.Update(ctx, func(tx storage.Tx) error {
			var seqs []uint64
			var msgs []message
			var scanErr error
			err := tx.Scan(tMsg, storage.Range{Prefix: msgPrefix(qid)}, func(k, v []byte) bool {
				seq := msgSeq(k)
				if seq >= below {
					return false
				}
				m, err := decodeMessage(v)
				if scanErr = err; err != nil {
					return false
				}
				seqs, msgs = append(seqs, seq), append(msgs, *m)
				return len(seqs) < sweepChunk
			})
			if err != nil {
				return err
			}
			if scanErr != nil {
				return scanErr
			}
			st, err := loadState(tx, qid)
			if err != nil {
				return err
			}
			groups := map[string]bool{}
			for i, seq := range seqs {
				if err := removeMessage(tx, q, &st, seq, &msgs[i]); err != nil {
					return err
				}
				groups[msgs[i].Group] = true
			}
			if q.fifo() {
				for g := range groups {
					if err := refreshGroup(tx, q, g, s.nowMs()); err != nil {
						return err
					}
				}
			}
			done = len(seqs) < sweepChunk
			return saveState(tx, qid, st)
		})
		if err != nil || done {
			return err
		}
	}
}
