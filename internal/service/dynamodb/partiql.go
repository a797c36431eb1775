package dynamodb

import (
	"context"
	"errors"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/partiql"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// ExecuteStatement runs one PartiQL statement: a SELECT a page at a
// time, or an INSERT, UPDATE or DELETE of one item.
func (s *Service) ExecuteStatement(ctx context.Context, in *dynamodbapi.ExecuteStatementInput) (*dynamodbapi.ExecuteStatementOutput, error) {
	q, err := parseStatement(in.Statement, in.Parameters)
	if err != nil {
		return nil, err
	}
	switch q.st.Kind {
	case partiql.Select:
		return s.execSelect(ctx, q, qlPage{limit: int(deref(in.Limit)), nextToken: in.NextToken, consistent: deref(in.ConsistentRead), capacity: in.ReturnConsumedCapacity})
	case partiql.Exists:
		return nil, errExistsOutsideTransaction()
	}
	w, err := s.planWrite(ctx, q, in.ReturnValuesOnConditionCheckFailure, in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	items, capacity, err := s.runWrite(ctx, w)
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.ExecuteStatementOutput{Items: items, ConsumedCapacity: capacity}, nil
}

func errExistsOutsideTransaction() error {
	return validation("EXISTS is only supported in ExecuteTransaction")
}

func errDuplicateItem() error {
	return dynamodbapi.ErrDuplicateItemException.New("Duplicate primary key exists in table")
}

// qlWrite is a write statement bound to its table: exactly one of the
// item operations is set.
type qlWrite struct {
	q      *qlStatement
	put    *dynamodbapi.PutItemInput
	update *dynamodbapi.UpdateItemInput
	del    *dynamodbapi.DeleteItemInput
	check  *dynamodbapi.ConditionCheck
}

// returnValues maps a RETURNING clause to ReturnValues.
var returnValues = map[string]string{
	"ALL OLD": rvAllOld, "MODIFIED OLD": rvUpdatedOld, "ALL NEW": rvAllNew, "MODIFIED NEW": rvUpdatedNew,
}

// planWrite binds an INSERT, UPDATE, DELETE or EXISTS to its table's key
// schema and builds the item operation that runs it:
//   - INSERT is a PutItem on condition that no item has the key;
//   - UPDATE is an UpdateItem of the key its WHERE clause names, on
//     condition of the whole clause (so the item must exist);
//   - DELETE is a DeleteItem on condition that the item is absent or
//     satisfies the clause;
//   - EXISTS is a condition check of the clause.
func (s *Service) planWrite(ctx context.Context, q *qlStatement, rvOnFail, capacity *string) (*qlWrite, error) {
	st := q.st
	ref := refOf(request.FromContext(ctx), st.Table)
	var ks keySchema
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, errNoResource)
		if err == nil {
			ks = t.Key
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	w := &qlWrite{q: q}
	b := newExprBuilder(q)
	switch st.Kind {
	case partiql.Insert:
		v, err := q.constValue(st.Item)
		if err != nil {
			return nil, err
		}
		if v.M == nil {
			return nil, validation("Unsupported operation: INSERT VALUE must be a map of attribute names to values")
		}
		cond := "attribute_not_exists(" + b.name(ks.Hash.Name) + ")"
		names, _ := b.nameValues()
		w.put = &dynamodbapi.PutItemInput{TableName: &st.Table, Item: v.M, ConditionExpression: &cond, ExpressionAttributeNames: names,
			ReturnValuesOnConditionCheckFailure: rvOnFail, ReturnConsumedCapacity: capacity}
		return w, nil
	}
	key, err := q.itemKey(ks)
	if err != nil {
		return nil, err
	}
	cond, err := b.condition(st.Where)
	if err != nil {
		return nil, err
	}
	switch st.Kind {
	case partiql.Update:
		upd, err := b.update(st)
		if err != nil {
			return nil, err
		}
		names, values := b.nameValues()
		w.update = &dynamodbapi.UpdateItemInput{TableName: &st.Table, Key: key, UpdateExpression: &upd, ConditionExpression: &cond,
			ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValuesOnConditionCheckFailure: rvOnFail, ReturnConsumedCapacity: capacity}
		if rv, ok := returnValues[st.Returning]; ok {
			w.update.ReturnValues = &rv
		}
	case partiql.Delete:
		if st.Returning != "" && st.Returning != "ALL OLD" {
			return nil, validationf("Invalid returning clause: RETURNING %s *. Only RETURNING ALL OLD * is allowed in DELETE statements.", st.Returning)
		}
		cond = "(attribute_not_exists(" + b.name(ks.Hash.Name) + ") OR " + cond + ")"
		names, values := b.nameValues()
		w.del = &dynamodbapi.DeleteItemInput{TableName: &st.Table, Key: key, ConditionExpression: &cond,
			ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValuesOnConditionCheckFailure: rvOnFail, ReturnConsumedCapacity: capacity}
		if st.Returning != "" {
			w.del.ReturnValues = ptr(rvAllOld)
		}
	case partiql.Exists:
		names, values := b.nameValues()
		w.check = &dynamodbapi.ConditionCheck{TableName: &st.Table, Key: key, ConditionExpression: &cond,
			ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValuesOnConditionCheckFailure: rvOnFail}
	}
	return w, nil
}

// runWrite runs a planned write on its own and returns the items its
// RETURNING clause asks for.
func (s *Service) runWrite(ctx context.Context, w *qlWrite) ([]map[string]dynamodbapi.AttributeValue, *dynamodbapi.ConsumedCapacity, error) {
	items := []map[string]dynamodbapi.AttributeValue{}
	switch {
	case w.put != nil:
		out, err := s.PutItem(ctx, w.put)
		if dynamodbapi.ErrConditionalCheckFailedException.Is(err) {
			return nil, nil, errDuplicateItem()
		}
		if err != nil {
			return nil, nil, err
		}
		return items, out.ConsumedCapacity, nil
	case w.update != nil:
		out, err := s.UpdateItem(ctx, w.update)
		if err != nil {
			return nil, nil, err
		}
		if w.update.ReturnValues != nil && len(out.Attributes) > 0 {
			items = append(items, out.Attributes)
		}
		return items, out.ConsumedCapacity, nil
	case w.del != nil:
		out, err := s.DeleteItem(ctx, w.del)
		if err != nil {
			return nil, nil, err
		}
		if w.del.ReturnValues != nil && len(out.Attributes) > 0 {
			items = append(items, out.Attributes)
		}
		return items, out.ConsumedCapacity, nil
	}
	return nil, nil, errExistsOutsideTransaction()
}

// qlGet is a SELECT that names one item by its full primary key, as
// batches and transactions require: its result is the item when it
// exists and satisfies the WHERE clause, projected.
type qlGet struct {
	q      *qlStatement
	key    attr.Item
	filter *expr.Condition
}

// planGet binds a SELECT of a batch or transaction to its table.
func (s *Service) planGet(ctx context.Context, q *qlStatement) (*qlGet, error) {
	st := q.st
	if st.Index != "" {
		return nil, validation("Unsupported operation: reads of an index are not supported in batches and transactions")
	}
	ref := refOf(request.FromContext(ctx), st.Table)
	var ks keySchema
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, errNoResource)
		if err == nil {
			ks = t.Key
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	key, err := q.itemKey(ks)
	if err != nil {
		return nil, err
	}
	filter, err := q.filterOf(st.Where)
	if err != nil {
		return nil, err
	}
	return &qlGet{q: q, key: key, filter: filter}, nil
}

// result filters and projects the item a get read (nil when none).
func (g *qlGet) result(item attr.Item) (attr.Item, error) {
	if item == nil {
		return nil, nil
	}
	ok, err := g.filter.Eval(item)
	if err != nil || !ok {
		return nil, err
	}
	return qlProject(g.q.st.Projection, item), nil
}

// batchError turns the error of one statement of a batch into the
// response's Error; errors that are not the statement's fault stay
// errors.
func batchError(err error) (*dynamodbapi.BatchStatementError, error) {
	var e *awserr.Error
	if !errors.As(err, &e) {
		return nil, err
	}
	out := &dynamodbapi.BatchStatementError{Message: ptr(e.Message)}
	switch e.Code {
	case dynamodbapi.ErrConditionalCheckFailedException.Code:
		out.Code = ptr("ConditionalCheckFailed")
		if d, ok := e.Detail.(*dynamodbapi.ConditionalCheckFailedException); ok {
			out.Item = d.Item
		}
	case dynamodbapi.ErrDuplicateItemException.Code:
		out.Code = ptr("DuplicateItem")
	case dynamodbapi.ErrResourceNotFoundException.Code:
		out.Code = ptr("ResourceNotFound")
	case awserr.ValidationException.Code:
		out.Code = ptr("ValidationError")
	case dynamodbapi.ErrItemCollectionSizeLimitExceededException.Code:
		out.Code = ptr("ItemCollectionSizeLimitExceeded")
	default:
		return nil, err
	}
	return out, nil
}
