package dynamodb

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strconv"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbstreamsapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Shard iterator types.
const (
	iterTrimHorizon = "TRIM_HORIZON"
	iterLatest      = "LATEST"
	iterAt          = "AT_SEQUENCE_NUMBER"
	iterAfter       = "AFTER_SEQUENCE_NUMBER"
)

// shardIterator is a position in a shard: the next record to read is the
// first with a sequence number above after. On the wire it is opaque:
// base64url of a version byte, the shard index, after and the issue time
// (uvarints), the stream ARN and a CRC-32 of all that, which tells a
// mangled iterator from a real one.
type shardIterator struct {
	arn    string
	shard  uint64
	after  uint64
	issued time.Time
}

func (it shardIterator) encode() string {
	b := make([]byte, 0, 32+len(it.arn))
	b = append(b, 1)
	b = binary.AppendUvarint(b, it.shard)
	b = binary.AppendUvarint(b, it.after)
	b = binary.AppendUvarint(b, uint64(it.issued.UnixMilli()))
	b = append(b, it.arn...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeIterator(s string) (shardIterator, bool) {
	var it shardIterator
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 5 {
		return it, false
	}
	body := b[:len(b)-4]
	if crc32.ChecksumIEEE(body) != binary.BigEndian.Uint32(b[len(b)-4:]) || body[0] != 1 {
		return it, false
	}
	body = body[1:]
	var vals [3]uint64
	for i := range vals {
		v, n := binary.Uvarint(body)
		if n <= 0 {
			return it, false
		}
		vals[i], body = v, body[n:]
	}
	it.shard, it.after, it.issued, it.arn = vals[0], vals[1], time.UnixMilli(int64(vals[2])), string(body)
	return it, len(it.arn) > 0
}

func errInvalidIterator() error { return validation("Invalid ShardIterator") }

func errTrimmed() error {
	return dynamodbstreamsapi.ErrTrimmedDataAccessException.New("The operation attempted to read past the oldest stream record in a shard.")
}

// streamPosition is what reading a stream needs to know of it, read in
// the reader's transaction.
type streamPosition struct {
	info    *streamInfo
	last    uint64
	trimmed uint64
	shards  []shard
}

func (s *StreamsService) position(ctx context.Context, tx storage.Tx, arn string, now time.Time) (*streamPosition, error) {
	info, err := s.stream(ctx, tx, arn, now)
	if err != nil {
		return nil, err
	}
	p := &streamPosition{info: info}
	if p.last, err = lastSeq(tx, info.ID); err != nil {
		return nil, err
	}
	if p.trimmed, err = trimmedSeq(tx, info.ID, p.last); err != nil {
		return nil, err
	}
	if p.shards, err = streamShards(tx, info, p.last); err != nil {
		return nil, err
	}
	return p, nil
}

// upper is the last sequence number shard sh can hold now.
func (p *streamPosition) upper(sh *shard) uint64 {
	if sh.closed {
		return sh.end
	}
	return p.last
}

// GetShardIterator returns an iterator at the oldest kept record, after
// the newest, or at or after a given record of a shard.
func (s *StreamsService) GetShardIterator(ctx context.Context, in *dynamodbstreamsapi.GetShardIteratorInput) (*dynamodbstreamsapi.GetShardIteratorOutput, error) {
	typ := deref(in.ShardIteratorType)
	var seq uint64
	if typ == iterAt || typ == iterAfter {
		if in.SequenceNumber == nil {
			return nil, validationf("Must specify a SequenceNumber for ShardIteratorType %s", typ)
		}
		var ok bool
		if seq, ok = parseSeq(*in.SequenceNumber); !ok {
			return nil, validationf("Invalid SequenceNumber: %s", *in.SequenceNumber)
		}
	}
	now := s.now()
	var it shardIterator
	err := s.db.View(ctx, func(tx storage.Tx) error {
		p, err := s.position(ctx, tx, deref(in.StreamArn), now)
		if err != nil {
			return err
		}
		var sh *shard
		for i := range p.shards {
			if p.shards[i].id == deref(in.ShardId) && p.shards[i].live(p.trimmed) {
				sh = &p.shards[i]
			}
		}
		if sh == nil {
			return dynamodbstreamsapi.ErrResourceNotFoundException.New("Requested resource not found: Shard does not exist")
		}
		it = shardIterator{arn: p.info.ARN, shard: sh.index, issued: now}
		switch typ {
		case iterTrimHorizon:
			it.after = max(sh.start-1, min(p.trimmed, p.upper(sh)))
		case iterLatest:
			it.after = max(sh.start-1, p.upper(sh))
		case iterAt, iterAfter:
			if !sh.contains(seq, p.last) {
				return validationf("Invalid SequenceNumber %s for shard %s", *in.SequenceNumber, sh.id)
			}
			it.after = seq
			if typ == iterAt {
				it.after = seq - 1
			}
			if it.after < p.trimmed {
				return errTrimmed()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbstreamsapi.GetShardIteratorOutput{ShardIterator: ptr(it.encode())}, nil
}

// GetRecords reads the records of a shard after an iterator's position,
// in sequence order, up to Limit records and 1 MB. The next iterator is
// omitted once a closed shard is read to its end.
func (s *StreamsService) GetRecords(ctx context.Context, in *dynamodbstreamsapi.GetRecordsInput) (*dynamodbstreamsapi.GetRecordsOutput, error) {
	limit := maxRecordsPerCall
	if in.Limit != nil {
		if *in.Limit > maxRecordsPerCall {
			return nil, validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to %d", *in.Limit, maxRecordsPerCall)
		}
		limit = int(*in.Limit)
	}
	it, ok := decodeIterator(deref(in.ShardIterator))
	if !ok {
		return nil, errInvalidIterator()
	}
	now := s.now()
	if now.Sub(it.issued) > s.iteratorLife {
		return nil, dynamodbstreamsapi.ErrExpiredIteratorException.New("The provided iterator exceeds the maximum age allowed.")
	}
	out := &dynamodbstreamsapi.GetRecordsOutput{Records: []dynamodbstreamsapi.Record{}}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		p, err := s.position(ctx, tx, it.arn, now)
		if err != nil {
			return err
		}
		if it.shard >= uint64(len(p.shards)) {
			return errInvalidIterator()
		}
		sh := &p.shards[it.shard]
		upper := p.upper(sh)
		if it.after < sh.start-1 || it.after > max(upper, sh.start-1) {
			return errInvalidIterator()
		}
		if it.after < p.trimmed && it.after < upper {
			return errTrimmed()
		}
		next, size := it.after, 0
		err = readStream(tx, p.info.ID, it.after, func(r *streamRecord) bool {
			if r.Seq > upper || len(out.Records) == limit || len(out.Records) > 0 && size+r.Size > maxRecordsBytes {
				return false
			}
			out.Records = append(out.Records, apiRecord(p.info, r))
			next, size = r.Seq, size+r.Size
			return true
		})
		if err != nil {
			return err
		}
		if !sh.closed || next < sh.end {
			out.NextShardIterator = ptr(shardIterator{arn: it.arn, shard: it.shard, after: next, issued: now}.encode())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ttlPrincipal is the identity of deletions by time to live.
var ttlPrincipal = dynamodbstreamsapi.Identity{PrincipalId: ptr("dynamodb.amazonaws.com"), Type: ptr("Service")}

// apiRecord turns a stored record into the Streams API's form.
func apiRecord(info *streamInfo, r *streamRecord) dynamodbstreamsapi.Record {
	seq := formatSeq(r.Seq)
	sum := md5.Sum([]byte(info.ARN + "#" + strconv.FormatUint(r.Seq, 10)))
	out := dynamodbstreamsapi.Record{
		AwsRegion:    ptr(info.Region),
		EventID:      ptr(hex.EncodeToString(sum[:])),
		EventName:    ptr(r.Event),
		EventSource:  ptr("aws:dynamodb"),
		EventVersion: ptr("1.1"),
		Dynamodb: &dynamodbstreamsapi.StreamRecord{
			ApproximateCreationDateTime: ptr(r.Created.Truncate(time.Second)),
			Keys:                        streamItem(r.Keys),
			NewImage:                    streamItem(r.NewImage),
			OldImage:                    streamItem(r.OldImage),
			SequenceNumber:              ptr(seq),
			SizeBytes:                   ptr(int64(max(r.Size, 1))),
			StreamViewType:              ptr(r.ViewType),
		},
	}
	if r.TTL {
		id := ttlPrincipal
		out.UserIdentity = &id
	}
	return out
}

// streamItem converts an item to the Streams API's attribute values, a
// type of its own with the same members.
func streamItem(it attr.Item) map[string]dynamodbstreamsapi.AttributeValue {
	if it == nil {
		return nil
	}
	out := make(map[string]dynamodbstreamsapi.AttributeValue, len(it))
	for k, v := range it {
		out[k] = streamValue(&v)
	}
	return out
}

func streamValue(v *dynamodbapi.AttributeValue) dynamodbstreamsapi.AttributeValue {
	out := dynamodbstreamsapi.AttributeValue{B: v.B, BOOL: v.BOOL, BS: v.BS, N: v.N, NS: v.NS, NULL: v.NULL, S: v.S, SS: v.SS}
	if v.L != nil {
		out.L = make([]dynamodbstreamsapi.AttributeValue, len(v.L))
		for i := range v.L {
			out.L[i] = streamValue(&v.L[i])
		}
	}
	if v.M != nil {
		out.M = streamItem(v.M)
	}
	return out
}
