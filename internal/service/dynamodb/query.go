package dynamodb

import (
	"context"
	"math"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Query reads the items of one partition of a table or index, in sort key
// order (or reverse), a page at a time.
func (s *Service) Query(ctx context.Context, in *dynamodbapi.QueryInput) (*dynamodbapi.QueryOutput, error) {
	if err := expr.CheckParams(
		setParams("AttributesToGet", in.AttributesToGet != nil, "QueryFilter", in.QueryFilter != nil, "ConditionalOperator", in.ConditionalOperator, "KeyConditions", in.KeyConditions != nil),
		setParams("ProjectionExpression", in.ProjectionExpression, "FilterExpression", in.FilterExpression, "KeyConditionExpression", in.KeyConditionExpression),
		[]string{"FilterExpression", "KeyConditionExpression"}, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err != nil {
		return nil, err
	}
	if in.KeyConditionExpression == nil && in.KeyConditions == nil {
		return nil, validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	filter, used, err := readFilter(in.FilterExpression, "QueryFilter", in.QueryFilter, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	proj, pused, err := parseProjection(in.ProjectionExpression, in.AttributesToGet, in.ExpressionAttributeNames)
	if err != nil {
		return nil, err
	}
	used = append(used, pused...)
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	out := &dynamodbapi.QueryOutput{}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, errNoResource)
		if err != nil {
			return err
		}
		src, err := sourceOf(t, in.IndexName, in.ConsistentRead)
		if err != nil {
			return err
		}
		var kc *expr.KeyCondition
		if in.KeyConditionExpression != nil {
			if kc, err = expr.ParseKeyCondition(*in.KeyConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, src.exprSchema()); err != nil {
				return err
			}
			used = append(used, kc.Usage())
		} else if kc, err = expr.KeyConditionFromLegacy(in.KeyConditions, src.exprSchema()); err != nil {
			return err
		}
		if err := expr.CheckUnused(in.ExpressionAttributeNames, in.ExpressionAttributeValues, used...); err != nil {
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
		hv := kc.PartitionValue
		if err := attr.Normalize(&hv); err != nil {
			return err
		}
		prefix, err := partitionPrefix(src.id(), &hv)
		if err != nil {
			return err
		}
		if kc.SortOp != expr.KeyNone {
			for i := range kc.SortValues {
				if err := attr.Normalize(&kc.SortValues[i]); err != nil {
					return err
				}
			}
		}
		lo, hi, err := keyBounds(prefix, kc)
		if err != nil {
			return err
		}
		if after != nil && (len(after) < len(prefix) || string(after[:len(prefix)]) != string(prefix)) {
			return validation("The provided starting key is outside query boundaries based on provided conditions")
		}
		p := &pageReader{tx: tx, src: src, limit: int(deref(in.Limit)), filter: filter, proj: proj, sel: sel}
		p.fetch = needsFetch(src, sel, proj)
		forward := in.ScanIndexForward == nil || *in.ScanIndexForward
		if err := scanRange(tx, lo, hi, after, !forward, p.visit); err != nil {
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

// readFilter parses FilterExpression or the legacy QueryFilter/ScanFilter.
func readFilter(fexpr *string, legacyName string, legacy map[string]dynamodbapi.Condition, op *string, names expr.Names, values expr.Values) (*expr.Condition, []expr.Usage, error) {
	switch {
	case fexpr != nil:
		c, err := expr.ParseCondition(expr.KindFilter, *fexpr, names, values)
		if err != nil {
			return nil, nil, err
		}
		return c, usages(c), nil
	case legacy != nil:
		c, err := expr.ConditionFromFilter(legacyName, legacy, op)
		return c, nil, err
	}
	return nil, nil, nil
}

// page is what Query and Scan outputs share.
type page interface {
	*dynamodbapi.QueryOutput | *dynamodbapi.ScanOutput
}

func fillPage[P page](out P, p *pageReader, sel string) {
	items := p.items
	if sel != selectCount && items == nil {
		items = []map[string]dynamodbapi.AttributeValue{}
	}
	count, scanned := ptr(clamp32(p.count)), ptr(clamp32(p.scanned))
	switch o := any(out).(type) {
	case *dynamodbapi.QueryOutput:
		o.Items, o.Count, o.ScannedCount, o.LastEvaluatedKey = items, count, scanned, p.lastEvaluated()
	case *dynamodbapi.ScanOutput:
		o.Items, o.Count, o.ScannedCount, o.LastEvaluatedKey = items, count, scanned, p.lastEvaluated()
	}
}

func clamp32(n int) int32 {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(n)
}

// readCapacity charges a page: the bytes read from the table or index,
// plus items fetched from the table for a local index.
func readCapacity(mode *string, name string, src readSource, p *pageReader, consistent bool) *dynamodbapi.ConsumedCapacity {
	if mode == nil {
		return nil
	}
	units := readUnits(p.bytesRead, consistent)
	if src.ix == nil {
		return consumed(mode, name, false, units, nil, 1)
	}
	var table float64
	if p.fetchedBytes > 0 {
		table = readUnits(p.fetchedBytes, consistent)
	}
	return consumed(mode, name, false, table, map[*indexMeta]float64{src.ix: units}, 1)
}
