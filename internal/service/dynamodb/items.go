package dynamodb

import (
	"context"
	"maps"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// ReturnValues settings.
const (
	rvNone       = "NONE"
	rvAllOld     = "ALL_OLD"
	rvUpdatedOld = "UPDATED_OLD"
	rvAllNew     = "ALL_NEW"
	rvUpdatedNew = "UPDATED_NEW"
)

// checkReturnValues allows NONE and ALL_OLD (PutItem, DeleteItem) or, with
// all set, every setting (UpdateItem).
func checkReturnValues(rv *string, all bool) error {
	if rv == nil || *rv == rvNone || *rv == rvAllOld || all {
		return nil
	}
	return validation("Return values set to invalid value")
}

// writeCondition parses a write's condition: ConditionExpression or the
// legacy Expected (never both). It returns nil when there is none.
func writeCondition(cexpr *string, expected map[string]dynamodbapi.ExpectedAttributeValue, op *string,
	names expr.Names, values expr.Values) (*expr.Condition, error) {
	if cexpr != nil {
		return expr.ParseCondition(expr.KindCondition, *cexpr, names, values)
	}
	if expected != nil {
		return expr.ConditionFromExpected(expected, op)
	}
	return nil, nil
}

// setParams lists the names of the parameters that are set, for
// expr.CheckMixed.
func setParams(pairs ...any) []string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		set := false
		switch v := pairs[i+1].(type) {
		case *string:
			set = v != nil
		case bool:
			set = v
		}
		if set {
			out = append(out, pairs[i].(string))
		}
	}
	return out
}

func usages(parts ...interface{ Usage() expr.Usage }) []expr.Usage {
	var out []expr.Usage
	for _, p := range parts {
		out = append(out, p.Usage())
	}
	return out
}

// errConditionFailed is DynamoDB's answer to a failed condition; with
// ReturnValuesOnConditionCheckFailure ALL_OLD it carries the item.
func errConditionFailed(rvOnFailure *string, old *storedItem) error {
	const msg = "The conditional request failed"
	e := dynamodbapi.ErrConditionalCheckFailedException.New(msg)
	detail := &dynamodbapi.ConditionalCheckFailedException{Message: ptr(msg)}
	if deref(rvOnFailure) == rvAllOld && old != nil {
		detail.Item = old.item
	}
	return e.WithDetail(detail)
}

// checkCondition evaluates cond (nil passes) against the current item.
func checkCondition(cond *expr.Condition, old *storedItem, rvOnFailure *string) error {
	if cond == nil {
		return nil
	}
	var item attr.Item
	if old != nil {
		item = old.item
	}
	ok, err := cond.Eval(item)
	if err != nil {
		return err
	}
	if !ok {
		return errConditionFailed(rvOnFailure, old)
	}
	return nil
}

// checkItemSize refuses items over DynamoDB's 400 KB.
func checkItemSize(it *storedItem, msg string) error {
	if it.size > attr.MaxItemBytes {
		return validation(msg)
	}
	return nil
}

// requestCondition checks the condition parameters of a PutItem or
// DeleteItem (expression or legacy Expected, never both; no unused
// placeholders) and parses the condition; nil means none.
func requestCondition(condition *string, expected map[string]dynamodbapi.ExpectedAttributeValue, op *string,
	names map[string]string, values map[string]dynamodbapi.AttributeValue) (*expr.Condition, error) {
	if err := expr.CheckParams(setParams("Expected", expected != nil, "ConditionalOperator", op),
		setParams("ConditionExpression", condition), []string{"ConditionExpression"}, names, values); err != nil {
		return nil, err
	}
	cond, err := writeCondition(condition, expected, op, names, values)
	if err != nil {
		return nil, err
	}
	var used []expr.Usage
	if cond != nil && condition != nil {
		used = usages(cond)
	}
	if err := expr.CheckUnused(names, values, used...); err != nil {
		return nil, err
	}
	return cond, nil
}

// replaceItem writes new (nil deletes) in place of old and computes what a
// PutItem or DeleteItem returns: the old item for ALL_OLD, consumed
// capacity and the item collection metrics of collectionKey.
func (w *itemWriter) replaceItem(t *tableMeta, key []byte, old, new *storedItem, collectionKey attr.Item,
	returnValues, capacityMode, metricsMode *string, tableName string) (attr.Item, *dynamodbapi.ConsumedCapacity, *dynamodbapi.ItemCollectionMetrics, error) {
	cost, err := w.writeItem(t, key, old, new)
	if err != nil {
		return nil, nil, nil, err
	}
	var attrs attr.Item
	if deref(returnValues) == rvAllOld && old != nil {
		attrs = old.item
	}
	cc := consumed(capacityMode, tableName, true, cost.table, cost.indexes, 1)
	icm, err := w.collectionMetrics(t, metricsMode, collectionKey)
	return attrs, cc, icm, err
}

// PutItem creates or replaces an item.
func (s *Service) PutItem(ctx context.Context, in *dynamodbapi.PutItemInput) (*dynamodbapi.PutItemOutput, error) {
	if err := checkReturnValues(in.ReturnValues, false); err != nil {
		return nil, err
	}
	cond, err := requestCondition(in.ConditionExpression, in.Expected, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if err := attr.NormalizeItem(in.Item); err != nil {
		return nil, err
	}
	item := newStoredItem(in.Item)
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	out := &dynamodbapi.PutItemOutput{}
	err = s.updateItem(ctx, func(w *itemWriter) error {
		t, err := s.table(w.tx, ref, errNoResource)
		if err != nil {
			return err
		}
		if err := t.checkItemKey(item.item); err != nil {
			return err
		}
		if err := checkItemSize(item, "Item size has exceeded the maximum allowed size"); err != nil {
			return err
		}
		if err := t.checkIndexKeys(item.item, false); err != nil {
			return err
		}
		key, err := t.itemKeyOf(item.item)
		if err != nil {
			return err
		}
		old, err := peekItem(w.tx, key)
		if err != nil {
			return err
		}
		if old != nil && (cond != nil || deref(in.ReturnValues) == rvAllOld) {
			if _, err := old.decoded(); err != nil {
				return err
			}
		}
		if err := checkCondition(cond, old, in.ReturnValuesOnConditionCheckFailure); err != nil {
			return err
		}
		out.Attributes, out.ConsumedCapacity, out.ItemCollectionMetrics, err = w.replaceItem(t, key, old, item, item.item,
			in.ReturnValues, in.ReturnConsumedCapacity, in.ReturnItemCollectionMetrics, *in.TableName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteItem deletes an item.
func (s *Service) DeleteItem(ctx context.Context, in *dynamodbapi.DeleteItemInput) (*dynamodbapi.DeleteItemOutput, error) {
	if err := checkReturnValues(in.ReturnValues, false); err != nil {
		return nil, err
	}
	cond, err := requestCondition(in.ConditionExpression, in.Expected, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if err := attr.NormalizeItem(in.Key); err != nil {
		return nil, err
	}
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	out := &dynamodbapi.DeleteItemOutput{}
	err = s.updateItem(ctx, func(w *itemWriter) error {
		t, err := s.table(w.tx, ref, errNoResource)
		if err != nil {
			return err
		}
		if err := t.checkKeyArg(in.Key); err != nil {
			return err
		}
		key, err := t.itemKeyOf(in.Key)
		if err != nil {
			return err
		}
		old, err := getItem(w.tx, key)
		if err != nil {
			return err
		}
		if err := checkCondition(cond, old, in.ReturnValuesOnConditionCheckFailure); err != nil {
			return err
		}
		out.Attributes, out.ConsumedCapacity, out.ItemCollectionMetrics, err = w.replaceItem(t, key, old, nil, in.Key,
			in.ReturnValues, in.ReturnConsumedCapacity, in.ReturnItemCollectionMetrics, *in.TableName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateItem changes (or creates) an item with an UpdateExpression or the
// legacy AttributeUpdates.
func (s *Service) UpdateItem(ctx context.Context, in *dynamodbapi.UpdateItemInput) (*dynamodbapi.UpdateItemOutput, error) {
	if err := expr.CheckParams(
		setParams("AttributeUpdates", in.AttributeUpdates != nil, "Expected", in.Expected != nil, "ConditionalOperator", in.ConditionalOperator),
		setParams("UpdateExpression", in.UpdateExpression, "ConditionExpression", in.ConditionExpression),
		[]string{"UpdateExpression", "ConditionExpression"}, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err != nil {
		return nil, err
	}
	var upd *expr.Update
	var err error
	var used []expr.Usage
	switch {
	case in.UpdateExpression != nil:
		if upd, err = expr.ParseUpdate(*in.UpdateExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err != nil {
			return nil, err
		}
		used = append(used, upd.Usage())
	case in.AttributeUpdates != nil:
		if upd, err = expr.UpdateFromAttributeUpdates(in.AttributeUpdates); err != nil {
			return nil, err
		}
	}
	cond, err := writeCondition(in.ConditionExpression, in.Expected, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if cond != nil && in.ConditionExpression != nil {
		used = append(used, cond.Usage())
	}
	if err := expr.CheckUnused(in.ExpressionAttributeNames, in.ExpressionAttributeValues, used...); err != nil {
		return nil, err
	}
	if err := attr.NormalizeItem(in.Key); err != nil {
		return nil, err
	}
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	rv := deref(in.ReturnValues)
	out := &dynamodbapi.UpdateItemOutput{}
	err = s.updateItem(ctx, func(w *itemWriter) error {
		t, err := s.table(w.tx, ref, errNoResource)
		if err != nil {
			return err
		}
		if err := t.checkKeyArg(in.Key); err != nil {
			return err
		}
		if upd != nil {
			for _, name := range upd.Attributes() {
				if t.Key.isKey(name) {
					return validationf("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", name)
				}
			}
		}
		key, err := t.itemKeyOf(in.Key)
		if err != nil {
			return err
		}
		old, err := getItem(w.tx, key)
		if err != nil {
			return err
		}
		if err := checkCondition(cond, old, in.ReturnValuesOnConditionCheckFailure); err != nil {
			return err
		}
		base := maps.Clone(in.Key)
		if old != nil {
			base = old.item
		}
		newItem := base
		if upd != nil {
			if newItem, _, err = upd.Apply(base); err != nil {
				return err
			}
		}
		// The key always survives an update, whatever the update did.
		for name, v := range in.Key {
			newItem[name] = v
		}
		next := newStoredItem(newItem)
		if err := checkItemSize(next, "Item size to update has exceeded the maximum allowed size"); err != nil {
			return err
		}
		if err := t.checkIndexKeys(next.item, true); err != nil {
			return err
		}
		cost, err := w.writeItem(t, key, old, next)
		if err != nil {
			return err
		}
		switch rv {
		case rvAllOld:
			if old != nil {
				out.Attributes = old.item
			}
		case rvAllNew:
			out.Attributes = next.item
		case rvUpdatedOld:
			if old != nil && upd != nil {
				out.Attributes = nonEmpty(upd.Project(old.item))
			}
		case rvUpdatedNew:
			if upd != nil {
				out.Attributes = nonEmpty(upd.Project(next.item))
			}
		}
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, *in.TableName, true, cost.table, cost.indexes, 1)
		out.ItemCollectionMetrics, err = w.collectionMetrics(t, in.ReturnItemCollectionMetrics, next.item)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func nonEmpty(it attr.Item) attr.Item {
	if len(it) == 0 {
		return nil
	}
	return it
}

// GetItem reads one item. Every read is strongly consistent; ConsistentRead
// changes only the capacity charged.
func (s *Service) GetItem(ctx context.Context, in *dynamodbapi.GetItemInput) (*dynamodbapi.GetItemOutput, error) {
	if err := expr.CheckParams(setParams("AttributesToGet", in.AttributesToGet != nil), setParams("ProjectionExpression", in.ProjectionExpression),
		nil, in.ExpressionAttributeNames, nil); err != nil {
		return nil, err
	}
	proj, used, err := parseProjection(in.ProjectionExpression, in.AttributesToGet, in.ExpressionAttributeNames)
	if err != nil {
		return nil, err
	}
	if err := expr.CheckUnused(in.ExpressionAttributeNames, nil, used...); err != nil {
		return nil, err
	}
	if err := attr.NormalizeItem(in.Key); err != nil {
		return nil, err
	}
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	out := &dynamodbapi.GetItemOutput{}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, errNoResource)
		if err != nil {
			return err
		}
		if err := t.checkKeyArg(in.Key); err != nil {
			return err
		}
		key, err := t.itemKeyOf(in.Key)
		if err != nil {
			return err
		}
		it, err := getItem(tx, key)
		if err != nil {
			return err
		}
		size := 0
		if it != nil {
			size = it.size
			out.Item = it.item
			if proj != nil {
				out.Item = proj.Apply(it.item)
			}
		}
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, *in.TableName, false, readUnits(size, deref(in.ConsistentRead)), nil, 1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseProjection parses ProjectionExpression or the legacy
// AttributesToGet; nil means every attribute.
func parseProjection(pexpr *string, toGet []string, names expr.Names) (*expr.Projection, []expr.Usage, error) {
	switch {
	case pexpr != nil:
		p, err := expr.ParseProjection(*pexpr, names)
		if err != nil {
			return nil, nil, err
		}
		return p, usages(p), nil
	case toGet != nil:
		p, err := expr.ProjectionFromAttributesToGet(toGet)
		return p, nil, err
	}
	return nil, nil, nil
}
