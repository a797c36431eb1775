package sqs

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Storage layout. Every message lives under its queue's numeric id (qid), a
// number never reused, so a deleted queue's messages are garbage that a
// sweep removes without touching a live queue of the same name.
//
//	sqs.queues   account \0 region \0 name      -> queue (JSON)
//	sqs.deleted  account \0 region \0 name      -> deletion time (unix ms)
//	sqs.meta     "qid"                          -> last qid handed out
//	sqs.data     qid 'm' seq                    -> message (codec.go)
//	sqs.data     qid 'm' 0xffffffffffffffff     -> queueState (next seq, count)
//	sqs.data     qid 'v' visibleAt seq          -> 1 byte: received before?
//	sqs.fgroup   qid group                      -> readyAt of the group's sqs.fready entry
//	sqs.fmsgs    qid group \0 seq               -> (FIFO: the group's messages in order)
//	sqs.fready   qid readyAt group              -> (FIFO: groups by when they can be received)
//	sqs.dedup    qid scope \0 dedupId           -> dedupEntry (JSON)
//	sqs.dedupexp qid until scope \0 dedupId     -> (dedup entries by expiry)
//	sqs.attempts qid attemptId                  -> attempt (JSON, FIFO ReceiveRequestAttemptId)
//	sqs.garbage  qid                            -> (deleted queues whose messages remain)
//	sqs.tasks    taskId                         -> moveTask (JSON)
//
// qid, seq and times (unix milliseconds) are 8-byte big-endian, so keys
// order by them. Receiving from a standard queue scans the 'v' keys from the
// front up to now: the cost does not grow with the queue's depth, because
// messages in flight or delayed sit behind the visible ones. A FIFO queue
// scans sqs.fready the same way and then reads the head of each ready
// group from sqs.fmsgs. The 'v' keys cover every message of both kinds, so the
// Approximate* counters need only the part of it that lies in the future.
const (
	tQueues  = "sqs.queues"
	tDeleted = "sqs.deleted"
	tMeta    = "sqs.meta"
	// Messages and their visibility index share one table (told apart by
	// a kind byte after the queue id): a send or a receive then rewrites
	// the pages of one B+tree, not two.
	tMsg      = "sqs.data"
	tVis      = tMsg
	tFGroup   = "sqs.fgroup"
	tFMsgs    = "sqs.fmsgs"
	tFReady   = "sqs.fready"
	tDedup    = "sqs.dedup"
	tDedupExp = "sqs.dedupexp"
	tAttempts = "sqs.attempts"
	tGarbage  = "sqs.garbage"
	tTasks    = "sqs.tasks"
)

// queue is the stored description of a queue.
type queue struct {
	ID       uint64            `json:"id"`
	Account  string            `json:"account"`
	Region   string            `json:"region"`
	Name     string            `json:"name"`
	Attrs    map[string]string `json:"attrs"` // settable attributes, as set
	Tags     map[string]string `json:"tags,omitempty"`
	Created  int64             `json:"created"`  // unix seconds
	Modified int64             `json:"modified"` // unix seconds
	// LastPurge is when PurgeQueue last ran (unix ms).
	LastPurge int64 `json:"lastPurge,omitempty"`

	settings settings // parsed from Attrs when loaded
}

func (q *queue) fifo() bool { return q.settings.fifo }

func (q *queue) arn() string { return queueARN(q.Region, q.Account, q.Name) }

func queueKey(account, region, name string) []byte {
	return []byte(account + "\x00" + region + "\x00" + name)
}

// queueState is the per-queue record every send touches; kept apart from
// the queue so that sends do not rewrite its attributes, and stored after
// the queue's messages in sqs.data after them, where it shares a page with the newest
// of them: a send then dirties one page fewer.
type queueState struct {
	NextSeq uint64 // sequence of the next message
	Count   int64  // messages stored
}

func encodeState(s queueState) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, s.NextSeq)
	binary.BigEndian.PutUint64(b[8:], uint64(s.Count))
	return b
}

func decodeState(b []byte) queueState {
	if len(b) < 16 {
		return queueState{}
	}
	return queueState{NextSeq: binary.BigEndian.Uint64(b), Count: int64(binary.BigEndian.Uint64(b[8:]))}
}

// message is one stored message (see codec.go for its stored form).
type message struct {
	ID        string
	Body      string
	Attrs     map[string]sqsapi.MessageAttributeValue
	MD5Body   string
	MD5Attrs  string
	Sent      int64 // unix ms
	SenderID  string
	Trace     string // AWSTraceHeader
	Group     string
	DedupID   string
	SeqNumber string
	// DLQSource is the ARN of the queue a dead-lettered message came from.
	DLQSource string

	Receives     int
	FirstReceive int64 // unix ms
	LastReceive  int64 // unix ms
	VisibleAt    int64 // unix ms
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func decodeU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return errCorrupt
	}
	return nil
}

const (
	kindMsg = 'm'
	kindVis = 'v'
)

func msgPrefix(qid uint64) []byte { return append(u64(qid), kindMsg) }
func visPrefix(qid uint64) []byte { return append(u64(qid), kindVis) }

func msgKey(qid, seq uint64) []byte { return cat(msgPrefix(qid), u64(seq)) }

// msgSeq is the sequence of a message key; visAt and visSeq read a
// visibility key.
func msgSeq(k []byte) uint64 { return binary.BigEndian.Uint64(k[9:17]) }
func visAt(k []byte) int64   { return int64(binary.BigEndian.Uint64(k[9:17])) }
func visSeq(k []byte) uint64 { return binary.BigEndian.Uint64(k[17:25]) }

// stateSeq is the sequence under which a queue's state is kept; no message
// ever gets it.
const stateSeq = ^uint64(0)

func stateKey(qid uint64) []byte { return msgKey(qid, stateSeq) }

func visKey(qid uint64, at int64, seq uint64) []byte {
	return cat(visPrefix(qid), u64(uint64(at)), u64(seq))
}

func fmsgsPrefix(qid uint64, group string) []byte {
	return cat(u64(qid), []byte(group), []byte{0})
}

func fgroupKey(qid uint64, group string) []byte { return cat(u64(qid), []byte(group)) }

func freadyKey(qid uint64, at int64, group string) []byte {
	return cat(u64(qid), u64(uint64(at)), []byte(group))
}

var errCorrupt = errors.New("sqs: corrupt record")

func getJSON(tx storage.Tx, table string, key []byte, v any) error {
	b, err := tx.Get(table, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errCorrupt
	}
	return nil
}

func putJSON(tx storage.Tx, table string, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(table, key, b)
}

// parsedQueues caches decoded queue records by their stored bytes: every
// request loads its queue, and decoding its JSON cost more than the rest
// of a send. A hit is checked against the bytes just read, so the cache is
// never stale; it is cleared when it grows past maxParsedQueues.
var parsedQueues sync.Map // string(key) -> *parsedQueue

type parsedQueue struct {
	raw []byte
	q   queue
}

const maxParsedQueues = 10000

var parsedCount atomic.Int64

// loadQueue reads a queue; storage.ErrNotFound when there is none. The
// result's maps may be shared with the cache: change them only through
// updateQueue (or replace them), which copies them first.
func loadQueue(tx storage.Tx, account, region, name string) (*queue, error) {
	key := queueKey(account, region, name)
	raw, err := tx.Get(tQueues, key)
	if err != nil {
		return nil, err
	}
	if c, ok := parsedQueues.Load(string(key)); ok && bytes.Equal(c.(*parsedQueue).raw, raw) {
		q := c.(*parsedQueue).q
		return &q, nil
	}
	var q queue
	if err := jsonUnmarshal(raw, &q); err != nil {
		return nil, err
	}
	q.settings = parseSettings(q.Attrs)
	if parsedCount.Add(1) > maxParsedQueues {
		parsedQueues.Clear()
		parsedCount.Store(0)
	}
	parsedQueues.Store(string(key), &parsedQueue{raw: bytes.Clone(raw), q: q})
	return &q, nil
}

func saveQueue(tx storage.Tx, q *queue) error {
	return putJSON(tx, tQueues, queueKey(q.Account, q.Region, q.Name), q)
}

func loadState(tx storage.Tx, qid uint64) (queueState, error) {
	b, err := tx.Get(tMsg, stateKey(qid))
	if errors.Is(err, storage.ErrNotFound) {
		return queueState{}, nil
	}
	if err != nil {
		return queueState{}, err
	}
	return decodeState(b), nil
}

func saveState(tx storage.Tx, qid uint64, s queueState) error {
	return tx.Put(tMsg, stateKey(qid), encodeState(s))
}

func loadMessage(tx storage.Tx, qid, seq uint64) (*message, error) {
	b, err := tx.Get(tMsg, msgKey(qid, seq))
	if err != nil {
		return nil, err
	}
	return decodeMessage(b)
}

func putMessage(tx storage.Tx, qid, seq uint64, m *message) error {
	return tx.Put(tMsg, msgKey(qid, seq), encodeMessage(m))
}

// nextQueueID hands out a queue id that was never used.
func nextQueueID(tx storage.Tx) (uint64, error) {
	var last uint64
	b, err := tx.Get(tMeta, []byte("qid"))
	switch {
	case err == nil && len(b) == 8:
		last = binary.BigEndian.Uint64(b)
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return 0, err
	}
	last++
	return last, tx.Put(tMeta, []byte("qid"), u64(last))
}

// splitQueueKey reverses queueKey.
func splitQueueKey(k []byte) (account, region, name string) {
	parts := strings.SplitN(string(k), "\x00", 3)
	if len(parts) != 3 {
		return "", "", ""
	}
	return parts[0], parts[1], parts[2]
}
