package dynamodb

import (
	"context"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
)

// Scan reads a whole table or index a page at a time (page.go), in key
// order. A parallel scan (Segment of TotalSegments) reads the partitions
// whose key hashes into its segment: segments partition the table
// exactly, and evenly whatever the keys look like.
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
	filter, proj, used, err := readExpressions(in.FilterExpression, "ScanFilter", in.ScanFilter, in.ConditionalOperator,
		in.ProjectionExpression, in.AttributesToGet, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if err := expr.CheckUnused(in.ExpressionAttributeNames, in.ExpressionAttributeValues, used...); err != nil {
		return nil, err
	}
	req := &pageRequest{
		table: in.TableName, index: in.IndexName, consistent: in.ConsistentRead, selectParam: in.Select,
		projExpr: in.ProjectionExpression != nil, attributesList: in.AttributesToGet != nil,
		startKey: in.ExclusiveStartKey, limit: in.Limit, filter: filter, proj: proj, capacity: in.ReturnConsumedCapacity,
		scope: func(src readSource, _ []byte) (pageScope, error) {
			lo, hi := spaceBounds(src.id())
			scope := pageScope{lo: lo, hi: hi}
			if in.TotalSegments != nil && *in.TotalSegments > 1 {
				scope.visit = func(p *pageReader) func(k, v []byte) bool {
					return segmentFilter(src, *in.Segment, *in.TotalSegments, p)
				}
			}
			return scope, nil
		},
	}
	out := &dynamodbapi.ScanOutput{}
	if err := readPage(s, ctx, req, out); err != nil {
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
