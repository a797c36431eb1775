package dynamodb

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Stream records. Each enabled stream has its own key space id
// (streamMeta.ID); its records live in tableStreams at
//
//	streamID | sequence number (8 bytes, big-endian, from 1)
//
// appended by writeItem in the transaction of the change, so a record
// exists exactly when its change committed. The DynamoDB Streams API reads
// them with readStream and finds streams by ARN with streamInfoByARN (or
// by ARN prefix in tableStreamIndex). Records are kept when the stream is
// turned off or the table deleted (AWS keeps them readable for 24 hours);
// trimming them is the Streams API's concern.

// Stream event names.
const (
	eventInsert = "INSERT"
	eventModify = "MODIFY"
	eventRemove = "REMOVE"
)

// Stream view types.
const (
	viewKeysOnly = "KEYS_ONLY"
	viewNew      = "NEW_IMAGE"
	viewOld      = "OLD_IMAGE"
	viewBoth     = "NEW_AND_OLD_IMAGES"
)

// streamRecord is one change of one item as a stream keeps it.
type streamRecord struct {
	Seq      uint64
	Event    string
	Created  time.Time // approximate creation time, to the millisecond
	ViewType string
	Keys     attr.Item
	NewImage attr.Item // per ViewType; nil otherwise
	OldImage attr.Item
	// Size is the record's SizeBytes: keys and images as DynamoDB bills them.
	Size int
	// TTL is true for deletions by Time to Live, whose records carry
	// userIdentity {Type: Service, PrincipalId: dynamodb.amazonaws.com}.
	TTL bool
}

func streamSeqKey(id uint64) []byte {
	return appendUint64([]byte("stream/"), id)
}

func streamRecordKey(id, seq uint64) []byte {
	return appendUint64(appendUint64(make([]byte, 0, 16), id), seq)
}

func (w *itemWriter) appendStream(t *tableMeta, old, new attr.Item) error {
	rec := streamRecord{Created: w.now.Truncate(time.Millisecond), ViewType: t.Stream.ViewType, TTL: w.ttl}
	switch {
	case old == nil:
		rec.Event = eventInsert
		rec.Keys = keyOnly(t.Key, new)
	case new == nil:
		rec.Event = eventRemove
		rec.Keys = keyOnly(t.Key, old)
	default:
		rec.Event = eventModify
		rec.Keys = keyOnly(t.Key, new)
	}
	if rec.ViewType == viewNew || rec.ViewType == viewBoth {
		rec.NewImage = new
	}
	if rec.ViewType == viewOld || rec.ViewType == viewBoth {
		rec.OldImage = old
	}
	rec.Size = attr.ItemSize(rec.Keys) + attr.ItemSize(rec.NewImage) + attr.ItemSize(rec.OldImage)

	seqKey := streamSeqKey(t.Stream.ID)
	v, err := w.tx.Get(tableSeq, seqKey)
	switch {
	case err == nil && len(v) == 8:
		rec.Seq = getUint64(v)
	case err == nil || errors.Is(err, storage.ErrNotFound):
	default:
		return err
	}
	rec.Seq++
	if err := w.tx.Put(tableSeq, seqKey, appendUint64(nil, rec.Seq)); err != nil {
		return err
	}
	return w.tx.Put(tableStreams, streamRecordKey(t.Stream.ID, rec.Seq), encodeStreamRecord(nil, &rec))
}

var viewCodes = []string{"", viewKeysOnly, viewNew, viewOld, viewBoth}
var eventCodes = []string{"", eventInsert, eventModify, eventRemove}

func codeOf(list []string, s string) byte {
	for i, v := range list {
		if v == s {
			return byte(i)
		}
	}
	return 0
}

// encodeStreamRecord writes a record as: version, event, view type, flags,
// uvarint created (Unix ms), uvarint size, then keys, new image and old
// image, each as a uvarint length (0 for none) and attr's item encoding.
func encodeStreamRecord(dst []byte, r *streamRecord) []byte {
	var flags byte
	if r.TTL {
		flags |= 1
	}
	dst = append(dst, 1, codeOf(eventCodes, r.Event), codeOf(viewCodes, r.ViewType), flags)
	dst = binary.AppendUvarint(dst, uint64(r.Created.UnixMilli()))
	dst = binary.AppendUvarint(dst, uint64(r.Size))
	for _, it := range []attr.Item{r.Keys, r.NewImage, r.OldImage} {
		if it == nil {
			dst = append(dst, 0)
			continue
		}
		enc := attr.AppendItem(nil, it)
		dst = binary.AppendUvarint(dst, uint64(len(enc)))
		dst = append(dst, enc...)
	}
	return dst
}

func decodeStreamRecord(seq uint64, b []byte) (*streamRecord, error) {
	if len(b) < 4 || b[0] != 1 || int(b[1]) >= len(eventCodes) || int(b[2]) >= len(viewCodes) {
		return nil, errCorrupt
	}
	r := &streamRecord{Seq: seq, Event: eventCodes[b[1]], ViewType: viewCodes[b[2]], TTL: b[3]&1 != 0}
	b = b[4:]
	ms, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errCorrupt
	}
	b = b[n:]
	r.Created = time.UnixMilli(int64(ms)).UTC()
	size, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errCorrupt
	}
	b = b[n:]
	r.Size = int(size)
	for _, dst := range []*attr.Item{&r.Keys, &r.NewImage, &r.OldImage} {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, errCorrupt
		}
		b = b[n:]
		if l == 0 {
			continue
		}
		it, err := attr.DecodeItem(b[:l])
		if err != nil {
			return nil, err
		}
		*dst = it
		b = b[l:]
	}
	return r, nil
}

// readStream calls fn for the records of stream id with sequence numbers
// after after, in order, until fn returns false.
func readStream(tx storage.Tx, id, after uint64, fn func(*streamRecord) bool) error {
	prefix := appendUint64(nil, id)
	var derr error
	err := tx.Scan(tableStreams, storage.Range{Prefix: prefix, After: streamRecordKey(id, after)}, func(k, v []byte) bool {
		rec, err := decodeStreamRecord(getUint64(k[idLen:]), v)
		if err != nil {
			derr = err
			return false
		}
		return fn(rec)
	})
	if err != nil {
		return err
	}
	return derr
}

// tableStreamIndex maps each stream's ARN to its streamInfo, so that a
// stream stays describable and readable after it was turned off or its
// table deleted, as on AWS. Keys sort by ARN, so a prefix lists the
// streams of an account and region, or of one table.
const tableStreamIndex = "ddb.streamindex"

// streamInfo is what the Streams API needs to know of a stream.
type streamInfo struct {
	ARN       string    `json:"arn"`
	Label     string    `json:"label"`
	ViewType  string    `json:"view"`
	ID        uint64    `json:"id"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Table     string    `json:"table"`
	TableUUID string    `json:"tableId"`
	Key       keySchema `json:"key"`
	Created   time.Time `json:"created"`
	// Closed is when the stream stopped taking records (turned off, or
	// its table deleted); zero while it is enabled.
	Closed time.Time `json:"closed,omitzero"`
}

func putStreamInfo(tx storage.Tx, info *streamInfo) error {
	raw, err := json.Marshal(info)
	if err != nil {
		return err
	}
	return tx.Put(tableStreamIndex, []byte(info.ARN), raw)
}

// openStream records a stream that t has just started.
func openStream(tx storage.Tx, t *tableMeta, st streamMeta, now time.Time) error {
	return putStreamInfo(tx, &streamInfo{
		ARN: t.streamARN(st.Label), Label: st.Label, ViewType: st.ViewType, ID: st.ID,
		Account: t.Account, Region: t.Region, Table: t.Name, TableUUID: t.UUID, Key: t.Key, Created: now,
	})
}

// closeStream marks a stream of t as taking no more records.
func closeStream(tx storage.Tx, t *tableMeta, st streamMeta, now time.Time) error {
	info, err := streamInfoByARN(tx, t.streamARN(st.Label))
	if err != nil || info == nil {
		return err
	}
	info.Closed = now
	return putStreamInfo(tx, info)
}

// streamInfoByARN finds a stream by its ARN; nil when there is none.
func streamInfoByARN(tx storage.Tx, arn string) (*streamInfo, error) {
	raw, err := tx.Get(tableStreamIndex, []byte(arn))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var info streamInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, err
	}
	return &info, nil
}
