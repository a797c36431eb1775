package dynamodb

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Shards. A stream's records carry one sequence of numbers (stream.go);
// shards cut that sequence into consecutive ranges, as DynamoDB's shards
// of one partition follow each other: every shard but the last is closed
// and has an ending sequence number, its successor names it as parent.
// The retention sweep closes the open shard once it is shardLife old and
// holds a record, so long-lived readers meet rollovers as on AWS. A
// closed shard is stored in tableStreamShards at
//
//	streamID | shard index (8 bytes, big-endian, from 0)
//
// holding its last sequence number and when it closed (the next shard's
// creation time). The open shard is the one after the last stored; when
// the stream is disabled it ends at the stream's last record.
const tableStreamShards = "ddb.streamshards"

// shard is one shard of a stream as readers see it.
type shard struct {
	index   uint64
	id      string
	parent  string // "" for the first shard
	start   uint64 // first sequence number
	end     uint64 // last sequence number when closed; start-1 when it closed empty
	closed  bool
	created time.Time
}

// shardID names a shard as DynamoDB does: shardId-, the creation time in
// milliseconds on 20 digits, and 8 hex digits that tell the shards of
// different streams apart.
func shardID(streamARN string, index uint64, created time.Time) string {
	return fmt.Sprintf("shardId-%020d-%08x", created.UnixMilli(), hash32([]byte(streamARN+"#"+strconv.FormatUint(index, 10))))
}

func shardKey(streamID, index uint64) []byte {
	return appendUint64(appendUint64(make([]byte, 0, 16), streamID), index)
}

// lastSeq reads the sequence number of the stream's newest record; 0 when
// it has none.
func lastSeq(tx storage.Tx, streamID uint64) (uint64, error) {
	v, err := tx.Get(tableSeq, streamSeqKey(streamID))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case len(v) != 8:
		return 0, errCorrupt
	}
	return getUint64(v), nil
}

// trimmedSeq is the sequence number up to which the stream's records are
// gone: the one before the oldest kept record, or the last one when none
// is kept. Sequence numbers have no gaps, so this finds the trim point
// with one seek.
func trimmedSeq(tx storage.Tx, streamID, last uint64) (uint64, error) {
	first := uint64(0)
	err := tx.Scan(tableStreams, storage.Range{Prefix: appendUint64(nil, streamID)}, func(k, _ []byte) bool {
		first = getUint64(k[idLen:])
		return false
	})
	if err != nil {
		return 0, err
	}
	if first == 0 {
		return last, nil
	}
	return first - 1, nil
}

// streamShards lists every shard of a stream, oldest first, trimmed ones
// included; last is the stream's last sequence number.
func streamShards(tx storage.Tx, info *streamInfo, last uint64) ([]shard, error) {
	var out []shard
	start, created := uint64(1), info.Created
	var derr error
	err := tx.Scan(tableStreamShards, storage.Range{Prefix: appendUint64(nil, info.ID)}, func(k, v []byte) bool {
		if len(v) != 16 {
			derr = errCorrupt
			return false
		}
		sh := shard{index: uint64(len(out)), start: start, end: getUint64(v), closed: true, created: created}
		out = append(out, sh)
		start, created = sh.end+1, time.UnixMilli(int64(getUint64(v[8:]))).UTC()
		return true
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return nil, err
	}
	open := shard{index: uint64(len(out)), start: start, created: created}
	if !info.Closed.IsZero() {
		open.closed, open.end = true, max(last, start-1)
	}
	out = append(out, open)
	for i := range out {
		out[i].id = shardID(info.ARN, out[i].index, out[i].created)
		if i > 0 {
			out[i].parent = out[i-1].id
		}
	}
	return out, nil
}

// live reports whether a shard still holds records a reader may get: an
// open shard always, a closed one until all its records are trimmed.
func (sh *shard) live(trimmed uint64) bool {
	return !sh.closed || sh.end > trimmed || sh.end < sh.start
}

// contains reports whether seq lies in the shard as it stands (last is the
// stream's last sequence number).
func (sh *shard) contains(seq, last uint64) bool {
	if seq < sh.start {
		return false
	}
	if sh.closed {
		return seq <= sh.end
	}
	return seq <= last
}

// rollShard closes the open shard of an enabled stream at its last record,
// when the shard is at least age old and holds a record.
func rollShard(tx storage.Tx, arn string, now time.Time, age time.Duration) error {
	info, err := streamInfoByARN(tx, arn)
	if err != nil || info == nil || !info.Closed.IsZero() {
		return err
	}
	last, err := lastSeq(tx, info.ID)
	if err != nil {
		return err
	}
	shards, err := streamShards(tx, info, last)
	if err != nil {
		return err
	}
	open := shards[len(shards)-1]
	if last < open.start || now.Sub(open.created) < age {
		return nil
	}
	v := appendUint64(appendUint64(make([]byte, 0, 16), last), uint64(now.UnixMilli()))
	return tx.Put(tableStreamShards, shardKey(info.ID, open.index), v)
}

// Sequence numbers go on the wire as 21 decimal digits: a 1 and the
// number on 20 digits, so that they compare alike as numbers and as text.
func formatSeq(n uint64) string {
	return "1" + fmt.Sprintf("%020d", n)
}

// parseSeq reads a sequence number written by formatSeq.
func parseSeq(s string) (uint64, bool) {
	if len(s) != 21 || s[0] != '1' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	if err != nil {
		return 0, false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	return n, true
}
