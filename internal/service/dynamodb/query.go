package dynamodb

import (
	"context"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
)

// Query reads the items of one partition of a table or index, in sort key
// order (or reverse), a page at a time (page.go).
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
	filter, proj, used, err := readExpressions(in.FilterExpression, "QueryFilter", in.QueryFilter, in.ConditionalOperator,
		in.ProjectionExpression, in.AttributesToGet, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	var kc *expr.KeyCondition
	req := &pageRequest{
		table: in.TableName, index: in.IndexName, consistent: in.ConsistentRead, selectParam: in.Select,
		projExpr: in.ProjectionExpression != nil, attributesList: in.AttributesToGet != nil,
		startKey: in.ExclusiveStartKey, limit: in.Limit, filter: filter, proj: proj, capacity: in.ReturnConsumedCapacity,
		// The key condition needs the key schema of the table or index.
		checkSource: func(src readSource) error {
			var err error
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
			if in.FilterExpression != nil {
				return checkFilterKeys(filter, src.key())
			}
			return nil
		},
		scope: func(src readSource, after []byte) (pageScope, error) {
			return queryScope(src, kc, after, in.ScanIndexForward == nil || *in.ScanIndexForward)
		},
	}
	out := &dynamodbapi.QueryOutput{}
	if err := readPage(s, ctx, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// queryScope is the key interval of the partition and sort key range a
// key condition selects; a start key must lie in the partition.
func queryScope(src readSource, kc *expr.KeyCondition, after []byte, forward bool) (pageScope, error) {
	hv := kc.PartitionValue
	if err := attr.Normalize(&hv); err != nil {
		return pageScope{}, err
	}
	prefix, err := partitionPrefix(src.id(), &hv)
	if err != nil {
		return pageScope{}, err
	}
	if kc.SortOp != expr.KeyNone {
		for i := range kc.SortValues {
			if err := attr.Normalize(&kc.SortValues[i]); err != nil {
				return pageScope{}, err
			}
		}
	}
	lo, hi, err := keyBounds(prefix, kc)
	if err != nil {
		return pageScope{}, err
	}
	if after != nil && (len(after) < len(prefix) || string(after[:len(prefix)]) != string(prefix)) {
		return pageScope{}, validation("The provided starting key is outside query boundaries based on provided conditions")
	}
	return pageScope{lo: lo, hi: hi, reverse: !forward}, nil
}

// checkFilterKeys refuses a Query filter that names a key attribute of the
// table or index queried: DynamoDB wants key conditions in the key
// condition expression.
func checkFilterKeys(filter *expr.Condition, key keySchema) error {
	names := []string{key.Hash.Name}
	if key.hasRange() {
		names = append(names, key.Range.Name)
	}
	if name, found := filter.FirstTopLevelName(names...); found {
		return validationf("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", name)
	}
	return nil
}
