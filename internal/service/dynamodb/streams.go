package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbstreamsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// StreamsService implements the DynamoDB Streams API (ListStreams,
// DescribeStream, GetShardIterator, GetRecords) over the stream records
// that every item write appends (stream.go). It shares the DynamoDB
// service's store and clock; Run trims records past the retention period,
// forgets streams disabled longer than that, and rolls shards over.
type StreamsService struct {
	dynamodbstreamsapi.Unimplemented

	db  storage.Backend
	now func() time.Time
	log *slog.Logger

	// retention is how long records (and disabled streams) stay readable;
	// iteratorLife how long a shard iterator is valid; shardLife the age
	// at which the open shard is closed and a new one begins. Tests
	// shorten them.
	retention    time.Duration
	iteratorLife time.Duration
	shardLife    time.Duration
	// sweepBatch bounds the records one sweep transaction deletes.
	sweepBatch int
}

var _ dynamodbstreamsapi.API = (*StreamsService)(nil)

// DynamoDB's stream limits.
const (
	streamRetention   = 24 * time.Hour
	iteratorLifetime  = 15 * time.Minute
	shardLifetime     = 4 * time.Hour
	maxRecordsPerCall = 1000
	maxRecordsBytes   = 1 << 20
	maxStreamsPerList = 100
	maxShardsPerCall  = 100
)

// NewStreams returns the Streams API of a DynamoDB service.
func NewStreams(ddb *Service) *StreamsService {
	return &StreamsService{
		db: ddb.db, now: ddb.now, log: ddb.log,
		retention: streamRetention, iteratorLife: iteratorLifetime, shardLife: shardLifetime,
		sweepBatch: 1000,
	}
}

// Stream statuses.
const (
	streamEnabled  = "ENABLED"
	streamDisabled = "DISABLED"
)

func errStreamNotFound(arn string) error {
	return dynamodbstreamsapi.ErrResourceNotFoundException.New("Requested resource not found: Stream: " + arn + " not found")
}

// parseStreamARN splits arn:aws:dynamodb:region:account:table/name/stream/label.
func parseStreamARN(arn string) (account, region, table string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" || parts[3] == "" || parts[4] == "" {
		return "", "", "", false
	}
	rest, ok := strings.CutPrefix(parts[5], "table/")
	if !ok {
		return "", "", "", false
	}
	table, label, ok := strings.Cut(rest, "/stream/")
	if !ok || table == "" || label == "" || strings.Contains(table, "/") {
		return "", "", "", false
	}
	return parts[4], parts[3], table, true
}

// expired reports whether a disabled stream is past its retention and so
// gone for readers (the sweep deletes it).
func (s *StreamsService) expired(info *streamInfo, now time.Time) bool {
	return !info.Closed.IsZero() && now.Sub(info.Closed) >= s.retention
}

// stream finds the stream an ARN names in the caller's account and region.
func (s *StreamsService) stream(ctx context.Context, tx storage.Tx, arn string, now time.Time) (*streamInfo, error) {
	account, region, _, ok := parseStreamARN(arn)
	if !ok {
		return nil, validation("Invalid StreamArn")
	}
	ri := request.FromContext(ctx)
	if account != ri.Account || region != ri.Region {
		return nil, errStreamNotFound(arn)
	}
	info, err := streamInfoByARN(tx, arn)
	if err != nil {
		return nil, err
	}
	if info == nil || s.expired(info, now) {
		return nil, errStreamNotFound(arn)
	}
	return info, nil
}

// ListStreams lists the streams of the account and region, or of one
// table, in ARN order, disabled ones included for their retention period.
func (s *StreamsService) ListStreams(ctx context.Context, in *dynamodbstreamsapi.ListStreamsInput) (*dynamodbstreamsapi.ListStreamsOutput, error) {
	ri := request.FromContext(ctx)
	limit := maxStreamsPerList
	if in.Limit != nil && int(*in.Limit) < limit {
		limit = int(*in.Limit)
	}
	prefix := "arn:aws:dynamodb:" + ri.Region + ":" + ri.Account + ":table/"
	if in.TableName != nil {
		prefix += *in.TableName + "/stream/"
	}
	r := storage.Range{Prefix: []byte(prefix)}
	if in.ExclusiveStartStreamArn != nil {
		r.After = []byte(*in.ExclusiveStartStreamArn)
	}
	now := s.now()
	out := &dynamodbstreamsapi.ListStreamsOutput{Streams: []dynamodbstreamsapi.Stream{}}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var derr error
		more := false
		err := tx.Scan(tableStreamIndex, r, func(_, v []byte) bool {
			var info streamInfo
			if derr = json.Unmarshal(v, &info); derr != nil {
				return false
			}
			if s.expired(&info, now) {
				return true
			}
			if len(out.Streams) == limit {
				more = true
				return false
			}
			out.Streams = append(out.Streams, dynamodbstreamsapi.Stream{
				StreamArn: ptr(info.ARN), StreamLabel: ptr(info.Label), TableName: ptr(info.Table),
			})
			return true
		})
		if err == nil {
			err = derr
		}
		if err != nil {
			return err
		}
		if more {
			out.LastEvaluatedStreamArn = out.Streams[len(out.Streams)-1].StreamArn
		}
		if in.TableName != nil && len(out.Streams) == 0 && in.ExclusiveStartStreamArn == nil {
			// A table without streams lists none; a table that does not
			// exist (and left no stream behind) is an error.
			_, err := tx.Get(tableTables, metaKey(ri.Account, ri.Region, *in.TableName))
			if errors.Is(err, storage.ErrNotFound) {
				return dynamodbstreamsapi.ErrResourceNotFoundException.New("Requested resource not found: Table: " + *in.TableName + " not found")
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeStream describes a stream and its shards that still hold
// records, oldest first.
func (s *StreamsService) DescribeStream(ctx context.Context, in *dynamodbstreamsapi.DescribeStreamInput) (*dynamodbstreamsapi.DescribeStreamOutput, error) {
	limit := maxShardsPerCall
	if in.Limit != nil && int(*in.Limit) < limit {
		limit = int(*in.Limit)
	}
	now := s.now()
	var desc *dynamodbstreamsapi.StreamDescription
	err := s.db.View(ctx, func(tx storage.Tx) error {
		info, err := s.stream(ctx, tx, deref(in.StreamArn), now)
		if err != nil {
			return err
		}
		last, err := lastSeq(tx, info.ID)
		if err != nil {
			return err
		}
		trimmed, err := trimmedSeq(tx, info.ID, last)
		if err != nil {
			return err
		}
		shards, err := streamShards(tx, info, last)
		if err != nil {
			return err
		}
		desc = describeStream(info)
		desc.Shards = []dynamodbstreamsapi.Shard{}
		for i := range shards {
			sh := &shards[i]
			switch {
			case !sh.live(trimmed):
				continue
			case in.ShardFilter != nil && in.ShardFilter.ShardId != nil && sh.parent != *in.ShardFilter.ShardId:
				continue
			case in.ExclusiveStartShardId != nil && sh.id <= *in.ExclusiveStartShardId:
				continue
			}
			if len(desc.Shards) == limit {
				desc.LastEvaluatedShardId = desc.Shards[limit-1].ShardId
				break
			}
			desc.Shards = append(desc.Shards, shardDesc(sh))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbstreamsapi.DescribeStreamOutput{StreamDescription: desc}, nil
}

func describeStream(info *streamInfo) *dynamodbstreamsapi.StreamDescription {
	status := streamEnabled
	if !info.Closed.IsZero() {
		status = streamDisabled
	}
	keys := []dynamodbstreamsapi.KeySchemaElement{{AttributeName: ptr(info.Key.Hash.Name), KeyType: ptr("HASH")}}
	if info.Key.hasRange() {
		keys = append(keys, dynamodbstreamsapi.KeySchemaElement{AttributeName: ptr(info.Key.Range.Name), KeyType: ptr("RANGE")})
	}
	return &dynamodbstreamsapi.StreamDescription{
		StreamArn:               ptr(info.ARN),
		StreamLabel:             ptr(info.Label),
		StreamStatus:            ptr(status),
		StreamViewType:          ptr(info.ViewType),
		TableName:               ptr(info.Table),
		KeySchema:               keys,
		CreationRequestDateTime: ptr(info.Created),
	}
}

func shardDesc(sh *shard) dynamodbstreamsapi.Shard {
	out := dynamodbstreamsapi.Shard{
		ShardId:             ptr(sh.id),
		SequenceNumberRange: &dynamodbstreamsapi.SequenceNumberRange{StartingSequenceNumber: ptr(formatSeq(sh.start))},
	}
	if sh.parent != "" {
		out.ParentShardId = ptr(sh.parent)
	}
	if sh.closed {
		// A shard closed before it took a record ends where it starts.
		out.SequenceNumberRange.EndingSequenceNumber = ptr(formatSeq(max(sh.end, sh.start)))
	}
	return out
}
