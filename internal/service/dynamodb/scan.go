package dynamodb

import (
	"context"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Scan reads a whole table or index a page at a time, in the order of the
// partition key hash. A parallel scan (Segment of TotalSegments) reads one
// contiguous range of that hash: segments partition the table exactly.
func (s *Service) Scan(ctx context.Context, in *dynamodbapi.ScanInput) (*dynamodbapi.ScanOutput, error) {
	if err := expr.CheckParams(
		setParams("AttributesToGet", in.AttributesToGet != nil, "ScanFilter", in.ScanFilter != nil, "ConditionalOperator", in.ConditionalOperator),
		setParams("ProjectionExpression", in.ProjectionExpression, "FilterExpression", in.FilterExpression),
		[]string{"FilterExpression"}, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err != nil {
		return nil, err
	}
	switch {
	case in.Segment != nil && in.TotalSegments == nil:
		return nil, validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	case in.Segment == nil && in.TotalSegments != nil:
		return nil, validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
	case in.Segment != nil && *in.Segment >= *in.TotalSegments:
		return nil, validationf("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *in.Segment, *in.TotalSegments)
	}
	filter, used, err := readFilter(in.FilterExpression, "ScanFilter", in.ScanFilter, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	proj, pused, err := parseProjection(in.ProjectionExpression, in.AttributesToGet, in.ExpressionAttributeNames)
	if err != nil {
		return nil, err
	}
	if err := expr.CheckUnused(in.ExpressionAttributeNames, in.ExpressionAttributeValues, append(used, pused...)...); err != nil {
		return nil, err
	}
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	out := &dynamodbapi.ScanOutput{}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, errNoResource)
		if err != nil {
			return err
		}
		src, err := sourceOf(t, in.IndexName, in.ConsistentRead)
		if err != nil {
			return err
		}
		sel, err := selectOf(in.Select, src, in.ProjectionExpression != nil, in.AttributesToGet != nil)
		if err != nil {
			return err
		}
		after, err := startKey(src, in.ExclusiveStartKey)
		if err != nil {
			return err
		}
		lo, hi := segmentBounds(src.id(), deref(in.Segment), in.TotalSegments)
		p := &pageReader{tx: tx, src: src, limit: int(deref(in.Limit)), filter: filter, proj: proj, sel: sel}
		p.fetch = needsFetch(src, sel, proj)
		if err := scanRange(tx, lo, hi, after, false, p.visit); err != nil {
			return err
		}
		if p.err != nil {
			return p.err
		}
		fillPage(out, p, sel)
		out.ConsumedCapacity = readCapacity(in.ReturnConsumedCapacity, *in.TableName, src, p, deref(in.ConsistentRead))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// segmentBounds is the key range of one segment of a parallel scan: the
// partitions whose 32-bit hash lies in [seg·2³²/total, (seg+1)·2³²/total).
func segmentBounds(id uint64, seg int32, total *int32) (lo, hi []byte) {
	space := appendUint64(make([]byte, 0, idLen), id)
	if total == nil || *total <= 1 {
		return space, prefixEnd(space)
	}
	bound := func(s int64) []byte {
		h := uint64(s) << 32 / uint64(*total)
		if h >= 1<<32 {
			return prefixEnd(space)
		}
		return append(appendUint64(make([]byte, 0, keyPrefix), id), byte(h>>24), byte(h>>16), byte(h>>8), byte(h))
	}
	return bound(int64(seg)), bound(int64(seg) + 1)
}
