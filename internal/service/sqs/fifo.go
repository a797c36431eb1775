package sqs

import (
	"encoding/binary"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// A FIFO queue hands out each message group in order, and holds a group
// back while any of its messages is in flight. Every group with messages
// has one entry in sqs.fready at the time it can next be received from:
// its head's visibility (a queue delay) when nothing of it is in flight,
// else the end of its in-flight messages' visibility. Receives scan
// sqs.fready from the front up to now; deletes and visibility changes
// recompute their group's entry. A message once received stays before the
// group's never-received messages (received messages are a prefix of the
// group), so the state of a group is read from its first messages only.

// setGroupReady moves group's sqs.fready entry to at.
func setGroupReady(tx storage.Tx, qid uint64, group string, at int64) error {
	gk := fgroupKey(qid, group)
	if b, err := tx.Get(tFGroup, gk); err == nil && len(b) == 8 {
		old := int64(decodeU64(b))
		if old == at {
			return nil
		}
		if err := tx.Delete(tFReady, freadyKey(qid, old, group)); err != nil {
			return err
		}
	} else if err != nil && !notFound(err) {
		return err
	}
	if err := tx.Put(tFGroup, gk, u64(uint64(at))); err != nil {
		return err
	}
	return tx.Put(tFReady, freadyKey(qid, at, group), nil)
}

func dropGroup(tx storage.Tx, qid uint64, group string) error {
	gk := fgroupKey(qid, group)
	b, err := tx.Get(tFGroup, gk)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := tx.Delete(tFReady, freadyKey(qid, int64(decodeU64(b)), group)); err != nil {
		return err
	}
	return tx.Delete(tFGroup, gk)
}

// groupHead is what the first messages of a group say about it.
type groupHead struct {
	empty    bool
	locked   bool  // a message is in flight
	lockedTo int64 // when the last in-flight message becomes visible again
	next     []uint64
	nextMsgs []*message
	headAt   int64 // visibility of the first message not in flight
}

// readGroup reads the messages of group in order: the received ones (to
// know whether the group is locked) and up to limit after them.
func readGroup(tx storage.Tx, q *queue, group string, now int64, limit int) (groupHead, error) {
	var h groupHead
	h.empty = true
	var seqs []uint64
	prefix := fmsgsPrefix(q.ID, group)
	err := tx.Scan(tFMsgs, storage.Range{Prefix: prefix}, func(k, _ []byte) bool {
		seqs = append(seqs, binary.BigEndian.Uint64(k[len(prefix):]))
		return len(seqs) < 10+limit+1
	})
	if err != nil {
		return h, err
	}
	for _, seq := range seqs {
		m, err := loadMessage(tx, q.ID, seq)
		if notFound(err) {
			if err := tx.Delete(tFMsgs, cat(prefix, u64(seq))); err != nil {
				return h, err
			}
			continue
		}
		if err != nil {
			return h, err
		}
		h.empty = false
		if m.Receives > 0 && m.VisibleAt > now {
			h.locked = true
			h.lockedTo = max(h.lockedTo, m.VisibleAt)
			continue
		}
		if len(h.next) == 0 {
			h.headAt = m.VisibleAt
		}
		if len(h.next) >= limit {
			break
		}
		h.next = append(h.next, seq)
		h.nextMsgs = append(h.nextMsgs, m)
	}
	return h, nil
}

// refreshGroup recomputes group's sqs.fready entry after a change to one
// of its messages.
func refreshGroup(tx storage.Tx, q *queue, group string, now int64) error {
	h, err := readGroup(tx, q, group, now, 1)
	if err != nil {
		return err
	}
	switch {
	case h.empty:
		return dropGroup(tx, q.ID, group)
	case h.locked:
		return setGroupReady(tx, q.ID, group, h.lockedTo)
	case len(h.next) > 0:
		return setGroupReady(tx, q.ID, group, h.headAt)
	}
	return nil
}

// fifo receives from a FIFO queue: ready groups in the order they became
// ready, as many messages of each group, in order, as the request wants.
func (rc *receiveCtx) fifo() error {
	q := rc.q
	var groups []string
	rc.nextAt = 0
	err := rc.tx.Scan(tFReady, storage.Range{Prefix: u64(q.ID)}, func(k, _ []byte) bool {
		at := int64(binary.BigEndian.Uint64(k[8:16]))
		if at > rc.now {
			rc.nextAt = at
			return false
		}
		groups = append(groups, string(k[16:]))
		// Each group gives at least one message, or is moved back.
		return len(groups) < 64
	})
	if err != nil {
		return err
	}
	for _, g := range groups {
		if len(rc.out) >= rc.p.max {
			break
		}
		if err := rc.fromGroup(g); err != nil {
			return err
		}
	}
	return rc.saveState()
}

func (rc *receiveCtx) fromGroup(group string) error {
	q := rc.q
	h, err := readGroup(rc.tx, q, group, rc.now, rc.p.max-len(rc.out))
	if err != nil {
		return err
	}
	if h.empty {
		return dropGroup(rc.tx, q.ID, group)
	}
	if h.locked {
		return setGroupReady(rc.tx, q.ID, group, h.lockedTo)
	}
	took := false
	for i, seq := range h.next {
		m := h.nextMsgs[i]
		if m.VisibleAt > rc.now {
			break
		}
		ok, err := rc.take(seq, m)
		if err != nil {
			return err
		}
		took = took || ok
	}
	return refreshGroup(rc.tx, q, group, rc.now)
}

// attempt remembers what a FIFO receive with a ReceiveRequestAttemptId
// returned, so that a retry gets the same messages and receipt handles.
type attempt struct {
	Seqs     []uint64 `json:"seqs"`
	Receives []int    `json:"receives"`
	Until    int64    `json:"until"`
}

func attemptKey(qid uint64, id string) []byte { return cat(u64(qid), []byte(id)) }

// retryAttempt answers a repeated ReceiveRequestAttemptId within five
// minutes with the messages of the first call, as long as none of them was
// deleted or received since, and restarts their visibility timeout.
func (rc *receiveCtx) retryAttempt() (bool, error) {
	var a attempt
	err := getJSON(rc.tx, tAttempts, attemptKey(rc.q.ID, rc.p.attemptID), &a)
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if a.Until <= rc.now {
		return false, rc.tx.Delete(tAttempts, attemptKey(rc.q.ID, rc.p.attemptID))
	}
	msgs := make([]*message, len(a.Seqs))
	for i, seq := range a.Seqs {
		m, err := loadMessage(rc.tx, rc.q.ID, seq)
		if err != nil || m.Receives != a.Receives[i] {
			return false, nil
		}
		msgs[i] = m
	}
	groups := map[string]bool{}
	for i, seq := range a.Seqs {
		m := msgs[i]
		if err := rc.tx.Delete(tVis, visKey(rc.q.ID, m.VisibleAt, seq)); err != nil {
			return false, err
		}
		m.VisibleAt = rc.now + int64(rc.vt)*1000
		if err := rc.tx.Put(tVis, visKey(rc.q.ID, m.VisibleAt, seq), []byte{1}); err != nil {
			return false, err
		}
		if err := putMessage(rc.tx, rc.q.ID, seq, m); err != nil {
			return false, err
		}
		groups[m.Group] = true
		rc.out = append(rc.out, rc.s.output(rc.q, seq, m, rc.p))
	}
	for g := range groups {
		if err := refreshGroup(rc.tx, rc.q, g, rc.now); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (rc *receiveCtx) saveAttempt() error {
	a := attempt{Until: rc.now + dedupWindow}
	a.Seqs = append(a.Seqs, rc.seqs...)
	for _, m := range rc.out {
		r, _ := parseReceipt(deref(m.ReceiptHandle))
		a.Receives = append(a.Receives, int(r.receives))
	}
	return putJSON(rc.tx, tAttempts, attemptKey(rc.q.ID, rc.p.attemptID), a)
}
