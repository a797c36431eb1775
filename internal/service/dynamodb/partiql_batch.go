package dynamodb

import (
	"context"
	"errors"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/partiql"
)

// BatchExecuteStatement runs up to 25 statements, all reads (each of one
// item, named by its full primary key) or all writes. Each statement
// succeeds or fails on its own: its error is in its response.
func (s *Service) BatchExecuteStatement(ctx context.Context, in *dynamodbapi.BatchExecuteStatementInput) (*dynamodbapi.BatchExecuteStatementOutput, error) {
	out := &dynamodbapi.BatchExecuteStatementOutput{Responses: make([]dynamodbapi.BatchStatementResponse, len(in.Statements))}
	qs := make([]*qlStatement, len(in.Statements))
	reads, writes := 0, 0
	for i := range in.Statements {
		r := &in.Statements[i]
		q, err := parseStatement(r.Statement, r.Parameters)
		if err != nil {
			if out.Responses[i].Error, err = batchError(err); err != nil {
				return nil, err
			}
			continue
		}
		qs[i] = q
		out.Responses[i].TableName = ptr(q.st.Table)
		if q.isRead() {
			reads++
		} else {
			writes++
		}
	}
	if reads > 0 && writes > 0 {
		return nil, validation("The entire batch must consist of either read statements or write statements, you cannot mix both in one batch")
	}
	var caps capacityByTable
	for i, q := range qs {
		if q == nil {
			continue
		}
		r := &in.Statements[i]
		var capacity *dynamodbapi.ConsumedCapacity
		var err error
		switch q.st.Kind {
		case partiql.Select:
			out.Responses[i].Item, capacity, err = s.batchGet(ctx, q, r.ConsistentRead, in.ReturnConsumedCapacity)
		case partiql.Exists:
			err = errExistsOutsideTransaction()
		default:
			var w *qlWrite
			if w, err = s.planWrite(ctx, q, r.ReturnValuesOnConditionCheckFailure, in.ReturnConsumedCapacity); err == nil {
				_, capacity, err = s.runWrite(ctx, w)
			}
		}
		if err != nil {
			if out.Responses[i].Error, err = batchError(err); err != nil {
				return nil, err
			}
			continue
		}
		caps.add(capacity)
	}
	out.ConsumedCapacity = caps.list
	return out, nil
}

// batchGet reads the one item a SELECT of a batch names.
func (s *Service) batchGet(ctx context.Context, q *qlStatement, consistent *bool, capacity *string) (attr.Item, *dynamodbapi.ConsumedCapacity, error) {
	g, err := s.planGet(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	out, err := s.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: &q.st.Table, Key: g.key, ConsistentRead: consistent, ReturnConsumedCapacity: capacity})
	if err != nil {
		return nil, nil, err
	}
	item, err := g.result(out.Item)
	return item, out.ConsumedCapacity, err
}

// capacityByTable sums the consumed capacity of several operations per
// table, in the order the tables came.
type capacityByTable struct {
	list []dynamodbapi.ConsumedCapacity
}

func (c *capacityByTable) add(cc *dynamodbapi.ConsumedCapacity) {
	if cc == nil {
		return
	}
	sum := func(a, b *float64) *float64 {
		if a == nil && b == nil {
			return nil
		}
		return ptr(deref(a) + deref(b))
	}
	for i := range c.list {
		t := &c.list[i]
		if deref(t.TableName) == deref(cc.TableName) {
			t.CapacityUnits = sum(t.CapacityUnits, cc.CapacityUnits)
			t.ReadCapacityUnits = sum(t.ReadCapacityUnits, cc.ReadCapacityUnits)
			t.WriteCapacityUnits = sum(t.WriteCapacityUnits, cc.WriteCapacityUnits)
			return
		}
	}
	c.list = append(c.list, dynamodbapi.ConsumedCapacity{TableName: cc.TableName, CapacityUnits: cc.CapacityUnits,
		ReadCapacityUnits: cc.ReadCapacityUnits, WriteCapacityUnits: cc.WriteCapacityUnits})
}

// ExecuteTransaction runs up to 100 statements atomically: all reads
// (through TransactGetItems) or all writes and EXISTS checks (through
// TransactWriteItems, ClientRequestToken included).
func (s *Service) ExecuteTransaction(ctx context.Context, in *dynamodbapi.ExecuteTransactionInput) (*dynamodbapi.ExecuteTransactionOutput, error) {
	qs := make([]*qlStatement, len(in.TransactStatements))
	reads := 0
	for i := range in.TransactStatements {
		ps := &in.TransactStatements[i]
		q, err := parseStatement(ps.Statement, ps.Parameters)
		if err != nil {
			return nil, err
		}
		qs[i] = q
		if q.isRead() {
			reads++
		}
	}
	if reads > 0 && reads < len(qs) {
		return nil, validation("The entire transaction must consist of either read statements or write statements, you cannot mix both in one transaction")
	}
	if reads > 0 {
		return s.readTransaction(ctx, qs, in)
	}
	items := make([]dynamodbapi.TransactWriteItem, len(qs))
	for i, q := range qs {
		w, err := s.planWrite(ctx, q, in.TransactStatements[i].ReturnValuesOnConditionCheckFailure, nil)
		if err != nil {
			return nil, err
		}
		items[i] = w.transactItem()
	}
	tout, err := s.TransactWriteItems(ctx, &dynamodbapi.TransactWriteItemsInput{TransactItems: items,
		ClientRequestToken: in.ClientRequestToken, ReturnConsumedCapacity: in.ReturnConsumedCapacity})
	if err != nil {
		return nil, insertCancellations(err, qs)
	}
	return &dynamodbapi.ExecuteTransactionOutput{ConsumedCapacity: tout.ConsumedCapacity}, nil
}

func (s *Service) readTransaction(ctx context.Context, qs []*qlStatement, in *dynamodbapi.ExecuteTransactionInput) (*dynamodbapi.ExecuteTransactionOutput, error) {
	gets := make([]*qlGet, len(qs))
	items := make([]dynamodbapi.TransactGetItem, len(qs))
	for i, q := range qs {
		g, err := s.planGet(ctx, q)
		if err != nil {
			return nil, err
		}
		gets[i] = g
		items[i] = dynamodbapi.TransactGetItem{Get: &dynamodbapi.Get{TableName: ptr(q.st.Table), Key: g.key}}
	}
	tout, err := s.TransactGetItems(ctx, &dynamodbapi.TransactGetItemsInput{TransactItems: items, ReturnConsumedCapacity: in.ReturnConsumedCapacity})
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.ExecuteTransactionOutput{ConsumedCapacity: tout.ConsumedCapacity, Responses: make([]dynamodbapi.ItemResponse, len(gets))}
	for i, g := range gets {
		var item attr.Item
		if i < len(tout.Responses) {
			item = tout.Responses[i].Item
		}
		if out.Responses[i].Item, err = g.result(item); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// transactItem is the TransactWriteItems action of a planned write.
func (w *qlWrite) transactItem() dynamodbapi.TransactWriteItem {
	switch {
	case w.put != nil:
		p := w.put
		return dynamodbapi.TransactWriteItem{Put: &dynamodbapi.Put{TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
			ExpressionAttributeNames: p.ExpressionAttributeNames, ReturnValuesOnConditionCheckFailure: p.ReturnValuesOnConditionCheckFailure}}
	case w.update != nil:
		u := w.update
		return dynamodbapi.TransactWriteItem{Update: &dynamodbapi.Update{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
			ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames,
			ExpressionAttributeValues: u.ExpressionAttributeValues, ReturnValuesOnConditionCheckFailure: u.ReturnValuesOnConditionCheckFailure}}
	case w.del != nil:
		d := w.del
		return dynamodbapi.TransactWriteItem{Delete: &dynamodbapi.Delete{TableName: d.TableName, Key: d.Key, ConditionExpression: d.ConditionExpression,
			ExpressionAttributeNames: d.ExpressionAttributeNames, ExpressionAttributeValues: d.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: d.ReturnValuesOnConditionCheckFailure}}
	}
	return dynamodbapi.TransactWriteItem{ConditionCheck: w.check}
}

// insertCancellations gives the cancellation reason of an INSERT whose
// item exists the code DynamoDB uses for it, DuplicateItem.
func insertCancellations(err error, qs []*qlStatement) error {
	var e *awserr.Error
	if !errors.As(err, &e) {
		return err
	}
	d, ok := e.Detail.(*dynamodbapi.TransactionCanceledException)
	if !ok || len(d.CancellationReasons) != len(qs) {
		return err
	}
	reasons := append([]dynamodbapi.CancellationReason(nil), d.CancellationReasons...)
	changed := false
	for i, q := range qs {
		if q.st.Kind == partiql.Insert && deref(reasons[i].Code) == "ConditionalCheckFailed" {
			reasons[i] = dynamodbapi.CancellationReason{Code: ptr("DuplicateItem"), Message: ptr("Duplicate primary key exists in table")}
			changed = true
		}
	}
	if !changed {
		return err
	}
	return errTransactionCanceled(reasons)
}
