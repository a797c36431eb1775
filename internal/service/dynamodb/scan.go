package dynamodb

import (
	"context"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Scan reads a whole table or index a page at a time, in key order. A
// parallel scan (Segment of TotalSegments) reads the partitions whose key
// hashes into its segment: segments partition the table exactly, and
// evenly whatever the keys look like.
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
		lo, hi := spaceBounds(src.id())
		p := &pageReader{tx: tx, src: src, limit: int(deref(in.Limit)), filter: filter, proj: proj, sel: sel}
		p.fetch = needsFetch(src, sel, proj)
		visit := p.visit
		if in.TotalSegments != nil && *in.TotalSegments > 1 {
			visit = segmentFilter(src, *in.Segment, *in.TotalSegments, p)
		}
		if err := scanRange(tx, lo, hi, after, false, visit); err != nil {
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

// spaceBounds is the key range of a whole key space.
func spaceBounds(id uint64) (lo, hi []byte) {
	space := appendUint64(make([]byte, 0, idLen), id)
	return space, prefixEnd(space)
}

// segmentOf is the segment, of total, that holds the partition whose
// encoded key is hashEnc: the one whose share of the 32-bit hash space
// holds the partition's hash.
func segmentOf(hashEnc []byte, total int32) int32 {
	return int32(uint64(hash32(hashEnc)) * uint64(total) >> 32)
}

// segmentFilter passes to p the items of src whose partitions fall in
// segment seg of total; the others are skipped unread and uncounted.
func segmentFilter(src readSource, seg, total int32, p *pageReader) func(k, v []byte) bool {
	hashType, _ := attr.ParseType(src.key().Hash.Type)
	return func(k, v []byte) bool {
		enc := k[idLen:]
		_, rest, err := attr.DecodeKey(enc, hashType)
		if err != nil {
			p.err = err
			return false
		}
		if segmentOf(enc[:len(enc)-len(rest)], total) != seg {
			return true
		}
		return p.visit(k, v)
	}
}
