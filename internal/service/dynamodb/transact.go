package dynamodb

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Transactions. A TransactWriteItems runs in one storage transaction:
// every action is checked against the items as they are, and either all
// of them are written or (a condition failed, an update would make an
// invalid item) none is, with a TransactionCanceledException that gives
// a reason per action. A TransactGetItems reads in one snapshot.
//
// DynamoDB refuses with TransactionConflictException (or cancels with
// reason TransactionConflict) a request that touches an item an
// unfinished transaction is writing. Nimbus's state engine runs one
// writer at a time and a transaction reads and writes within it, so no
// request ever sees another's transaction half done: conflicts cannot
// happen, and Nimbus never answers with them.

// maxTransactBytes is the most item data one TransactWriteItems may carry.
const maxTransactBytes = 4 << 20

// Transaction action kinds, as CancellationReasons and errors name them.
const (
	actPut            = "Put"
	actUpdate         = "Update"
	actDelete         = "Delete"
	actConditionCheck = "ConditionCheck"
)

// txAction is one checked action of a TransactWriteItems.
type txAction struct {
	kind  string
	table string
	// key holds the key parameter (Update, Delete, ConditionCheck) or the
	// whole item (Put).
	key      attr.Item
	put      *storedItem
	cond     *expr.Condition
	upd      *expr.Update
	rvOnFail *string
}

// parseTransactWrite checks one TransactWriteItem on its own, before any
// table is read.
func parseTransactWrite(item *dynamodbapi.TransactWriteItem) (*txAction, error) {
	n := 0
	for _, set := range []bool{item.Put != nil, item.Update != nil, item.Delete != nil, item.ConditionCheck != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, validation("The action or operation requested is invalid. Verify that the action is typed correctly.")
	case n > 1:
		return nil, validation("TransactItems can only contain one of Check, Put, Update or Delete")
	}
	a := &txAction{}
	var cexpr *string
	var names expr.Names
	var values expr.Values
	switch {
	case item.Put != nil:
		p := item.Put
		a.kind, a.table, a.key, a.rvOnFail = actPut, deref(p.TableName), p.Item, p.ReturnValuesOnConditionCheckFailure
		cexpr, names, values = p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues
	case item.Update != nil:
		u := item.Update
		a.kind, a.table, a.key, a.rvOnFail = actUpdate, deref(u.TableName), u.Key, u.ReturnValuesOnConditionCheckFailure
		cexpr, names, values = u.ConditionExpression, u.ExpressionAttributeNames, u.ExpressionAttributeValues
	case item.Delete != nil:
		d := item.Delete
		a.kind, a.table, a.key, a.rvOnFail = actDelete, deref(d.TableName), d.Key, d.ReturnValuesOnConditionCheckFailure
		cexpr, names, values = d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues
	default:
		c := item.ConditionCheck
		a.kind, a.table, a.key, a.rvOnFail = actConditionCheck, deref(c.TableName), c.Key, c.ReturnValuesOnConditionCheckFailure
		cexpr, names, values = c.ConditionExpression, c.ExpressionAttributeNames, c.ExpressionAttributeValues
	}
	exprs := setParams("ConditionExpression", cexpr)
	valueExprs := []string{"ConditionExpression"}
	if a.kind == actUpdate {
		exprs = setParams("UpdateExpression", item.Update.UpdateExpression, "ConditionExpression", cexpr)
		valueExprs = []string{"UpdateExpression", "ConditionExpression"}
	}
	if err := expr.CheckParams(nil, exprs, valueExprs, names, values); err != nil {
		return nil, err
	}
	var used []expr.Usage
	if a.kind == actUpdate {
		upd, err := expr.ParseUpdate(deref(item.Update.UpdateExpression), names, values)
		if err != nil {
			return nil, err
		}
		a.upd = upd
		used = append(used, upd.Usage())
	}
	if cexpr != nil {
		cond, err := expr.ParseCondition(expr.KindCondition, *cexpr, names, values)
		if err != nil {
			return nil, err
		}
		a.cond = cond
		used = append(used, cond.Usage())
	}
	if err := expr.CheckUnused(names, values, used...); err != nil {
		return nil, err
	}
	if err := attr.NormalizeItem(a.key); err != nil {
		return nil, err
	}
	if a.kind == actPut {
		a.put = newStoredItem(a.key)
		if err := checkItemSize(a.put, "Item size has exceeded the maximum allowed size"); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// size is what the action counts towards the 4 MB of a transaction.
func (a *txAction) size() int {
	if a.put != nil {
		return a.put.size
	}
	return attr.ItemSize(a.key)
}

// boundAction is an action resolved against its table in the transaction.
type boundAction struct {
	*txAction
	t      *tableMeta
	itemID []byte
	old    *storedItem
	next   *storedItem // what the action writes; nil deletes
	// fault, when set, cancels the transaction: a key that does not fit
	// the table's schema, which DynamoDB finds while the transaction runs.
	fault *dynamodbapi.CancellationReason
}

// bindActions resolves the actions' tables and keys and refuses two
// actions on one item. Its errors are the request's own (a missing table,
// an empty key value, a duplicate target); a key attribute missing or of
// the wrong type is a cancellation reason instead (boundAction.fault), as
// DynamoDB reports it.
func (s *Service) bindActions(tx storage.Tx, info *request.Info, actions []*txAction) ([]boundAction, error) {
	tables := make(map[string]*tableMeta, 4)
	out := make([]boundAction, len(actions))
	seen := make(map[string]struct{}, len(actions))
	for i, a := range actions {
		t := tables[a.table]
		if t == nil {
			var err error
			if t, err = s.table(tx, refOf(info, a.table), errNoResource); err != nil {
				return nil, err
			}
			tables[a.table] = t
		}
		out[i] = boundAction{txAction: a, t: t}
		var shape error
		if a.kind == actPut {
			shape = t.checkItemKeyTypes(a.key)
		} else {
			shape = t.checkKeyShape(a.key)
		}
		if shape == nil {
			if err := t.checkKeyValues(a.key); err != nil {
				return nil, err
			}
		}
		if a.kind == actPut {
			if err := t.checkIndexKeysFor(a.key, false, indexKeyEmpty); err != nil {
				return nil, err
			}
			if shape == nil {
				shape = t.checkIndexKeysFor(a.key, false, indexKeyTypes)
			}
		}
		if a.upd != nil {
			for _, name := range a.upd.Attributes() {
				if t.Key.isKey(name) {
					return nil, validationf("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", name)
				}
			}
		}
		if shape != nil {
			r, err := validationReason(shape)
			if err != nil {
				return nil, err
			}
			out[i].fault = r
			continue
		}
		k, err := t.itemKeyOf(a.key)
		if err != nil {
			return nil, err
		}
		if _, dup := seen[string(k)]; dup {
			return nil, validation("Transaction request cannot include multiple operations on one item")
		}
		seen[string(k)] = struct{}{}
		out[i].itemID = k
	}
	return out, nil
}

// reasonNone is the cancellation reason of an action that did not fail.
var reasonNone = dynamodbapi.CancellationReason{Code: ptr("None")}

// evaluate reads the action's item and works out what it writes; a
// non-nil reason cancels the transaction.
func (b *boundAction) evaluate(tx storage.Tx) (*dynamodbapi.CancellationReason, error) {
	old, err := getItem(tx, b.itemID)
	if err != nil {
		return nil, err
	}
	b.old = old
	var current attr.Item
	if old != nil {
		current = old.item
	}
	if b.cond != nil {
		ok, err := b.cond.Eval(current)
		if err != nil {
			return validationReason(err)
		}
		if !ok {
			r := &dynamodbapi.CancellationReason{Code: ptr("ConditionalCheckFailed"), Message: ptr("The conditional request failed")}
			if deref(b.rvOnFail) == rvAllOld && old != nil {
				r.Item = old.item
			}
			return r, nil
		}
	}
	switch b.kind {
	case actPut:
		b.next = b.put
	case actUpdate:
		base := current
		if base == nil {
			base = maps.Clone(b.key)
		}
		item, _, err := b.upd.Apply(base)
		if err != nil {
			return validationReason(err)
		}
		for name, v := range b.key {
			item[name] = v
		}
		b.next = newStoredItem(item)
		if err := checkItemSize(b.next, "Item size to update has exceeded the maximum allowed size"); err != nil {
			return validationReason(err)
		}
		// An empty index key value is the request's error, a value of the
		// wrong type a cancellation reason.
		if err := b.t.checkIndexKeysFor(item, true, indexKeyEmpty); err != nil {
			return nil, err
		}
		if err := b.t.checkIndexKeysFor(item, true, indexKeyTypes); err != nil {
			return validationReason(err)
		}
	}
	return nil, nil
}

// isCode reports whether err is an AWS error with the given code.
func isCode(err error, code string) bool {
	var e *awserr.Error
	return errors.As(err, &e) && e.Code == code
}

// validationReason turns a request error found while evaluating an action
// into its cancellation reason; other errors stay errors.
func validationReason(err error) (*dynamodbapi.CancellationReason, error) {
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code != awserr.ValidationException.Code {
		return nil, err
	}
	return &dynamodbapi.CancellationReason{Code: ptr("ValidationError"), Message: ptr(e.Message)}, nil
}

// errTransactionCanceled is DynamoDB's answer to a cancelled transaction,
// with a reason per action in the order of the request.
func errTransactionCanceled(reasons []dynamodbapi.CancellationReason) error {
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = deref(r.Code)
	}
	msg := "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"
	return dynamodbapi.ErrTransactionCanceledException.New(msg).
		WithDetail(&dynamodbapi.TransactionCanceledException{Message: ptr(msg), CancellationReasons: reasons})
}

// TransactWriteItems applies up to 100 actions atomically.
func (s *Service) TransactWriteItems(ctx context.Context, in *dynamodbapi.TransactWriteItemsInput) (*dynamodbapi.TransactWriteItemsOutput, error) {
	actions := make([]*txAction, len(in.TransactItems))
	total := 0
	for i := range in.TransactItems {
		a, err := parseTransactWrite(&in.TransactItems[i])
		if err != nil {
			return nil, err
		}
		actions[i] = a
		total += a.size()
	}
	if total > maxTransactBytes {
		return nil, validation("Transaction request cannot be larger than 4 MB")
	}
	info := request.FromContext(ctx)
	var tok *txToken
	if in.ClientRequestToken != nil {
		tok = newTxToken(info, *in.ClientRequestToken, in.TransactItems)
	}
	var out *dynamodbapi.TransactWriteItemsOutput
	err := s.updateItem(ctx, func(w *itemWriter) error {
		out = &dynamodbapi.TransactWriteItemsOutput{}
		if tok != nil {
			replay, err := tok.check(w.tx, w.now)
			if err != nil {
				return err
			}
			if replay {
				return s.replayTransaction(w.tx, info, in, actions, out)
			}
		}
		bound, err := s.bindActions(w.tx, info, actions)
		if err != nil {
			return err
		}
		reasons := make([]dynamodbapi.CancellationReason, len(bound))
		failed := false
		for i := range bound {
			r := bound[i].fault
			if r == nil {
				if r, err = bound[i].evaluate(w.tx); err != nil {
					return err
				}
			}
			reasons[i] = reasonNone
			if r != nil {
				reasons[i], failed = *r, true
			}
		}
		if failed {
			return errTransactionCanceled(reasons)
		}
		costs := newCostsByTable()
		for i := range bound {
			b := &bound[i]
			if b.kind == actConditionCheck {
				size := 0
				if b.old != nil {
					size = b.old.size
				}
				costs.add(b.table, writeCost{table: writeUnits(size)})
				continue
			}
			cost, err := w.writeItem(b.t, b.itemID, b.old, b.next)
			if isCode(err, dynamodbapi.ErrItemCollectionSizeLimitExceededException.Code) {
				// The writes before it go with the storage transaction.
				reasons[i] = dynamodbapi.CancellationReason{Code: ptr(reasonCollectionTooLarge), Message: ptr(msgCollectionTooLarge)}
				return errTransactionCanceled(reasons)
			}
			if err != nil {
				return err
			}
			costs.add(b.table, cost)
		}
		out.ConsumedCapacity = costs.consumed(in.ReturnConsumedCapacity, true, 2)
		if deref(in.ReturnItemCollectionMetrics) == "SIZE" {
			if out.ItemCollectionMetrics, err = transactCollections(w, bound); err != nil {
				return err
			}
		}
		if tok != nil {
			return tok.save(w.tx, w.now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// replayTransaction answers a repeated request (same token, same actions)
// without applying it again. As on DynamoDB, its consumed capacity is that
// of reading the items.
func (s *Service) replayTransaction(tx storage.Tx, info *request.Info, in *dynamodbapi.TransactWriteItemsInput, actions []*txAction, out *dynamodbapi.TransactWriteItemsOutput) error {
	if deref(in.ReturnConsumedCapacity) == "" || deref(in.ReturnConsumedCapacity) == "NONE" {
		return nil
	}
	bound, err := s.bindActions(tx, info, actions)
	if err != nil {
		return err
	}
	costs := newCostsByTable()
	for _, b := range bound {
		if b.fault != nil {
			continue // not the request that succeeded: it cannot be replayed
		}
		it, err := peekItem(tx, b.itemID)
		if err != nil {
			return err
		}
		size := 0
		if it != nil {
			size = it.size
		}
		costs.add(b.table, writeCost{table: readUnits(size, true)})
	}
	out.ConsumedCapacity = costs.consumed(in.ReturnConsumedCapacity, false, 1)
	return nil
}

// transactCollections lists the item collections the transaction wrote in
// tables with local secondary indexes.
func transactCollections(w *itemWriter, bound []boundAction) (map[string][]dynamodbapi.ItemCollectionMetrics, error) {
	var out map[string][]dynamodbapi.ItemCollectionMetrics
	done := map[string]bool{}
	for _, b := range bound {
		if b.kind == actConditionCheck || len(b.t.LSIs) == 0 {
			continue
		}
		hv := b.key[b.t.Key.Hash.Name]
		id := b.table + "\x00" + keyIdentity(attr.Item{"": hv})
		if done[id] {
			continue
		}
		done[id] = true
		m, err := w.collectionMetrics(b.t, ptr("SIZE"), b.key)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string][]dynamodbapi.ItemCollectionMetrics{}
		}
		out[b.table] = append(out[b.table], *m)
	}
	return out, nil
}

// costsByTable sums the capacity of a multi-table request per table, in
// the order the tables first appear.
type costsByTable struct {
	order []string
	by    map[string]*writeCost
}

func newCostsByTable() *costsByTable { return &costsByTable{by: map[string]*writeCost{}} }

func (c *costsByTable) add(table string, cost writeCost) {
	tc := c.by[table]
	if tc == nil {
		tc = &writeCost{}
		c.by[table] = tc
		c.order = append(c.order, table)
	}
	tc.table += cost.table
	for ix, u := range cost.indexes {
		tc.addIndex(ix, u)
	}
}

func (c *costsByTable) consumed(mode *string, write bool, factor float64) []dynamodbapi.ConsumedCapacity {
	var out []dynamodbapi.ConsumedCapacity
	for _, name := range c.order {
		tc := c.by[name]
		if cc := consumed(mode, name, write, tc.table, tc.indexes, factor); cc != nil {
			out = append(out, *cc)
		}
	}
	return out
}

// txGet is one checked Get of a TransactGetItems.
type txGet struct {
	table string
	key   attr.Item
	proj  *expr.Projection
}

// TransactGetItems reads up to 100 items in one consistent snapshot.
func (s *Service) TransactGetItems(ctx context.Context, in *dynamodbapi.TransactGetItemsInput) (*dynamodbapi.TransactGetItemsOutput, error) {
	gets := make([]txGet, len(in.TransactItems))
	for i, ti := range in.TransactItems {
		g := ti.Get
		if err := expr.CheckParams(nil, setParams("ProjectionExpression", g.ProjectionExpression), nil, g.ExpressionAttributeNames, nil); err != nil {
			return nil, err
		}
		proj, used, err := parseProjection(g.ProjectionExpression, nil, g.ExpressionAttributeNames)
		if err != nil {
			return nil, err
		}
		if err := expr.CheckUnused(g.ExpressionAttributeNames, nil, used...); err != nil {
			return nil, err
		}
		if err := attr.NormalizeItem(g.Key); err != nil {
			return nil, err
		}
		gets[i] = txGet{table: deref(g.TableName), key: g.Key, proj: proj}
	}
	info := request.FromContext(ctx)
	out := &dynamodbapi.TransactGetItemsOutput{Responses: make([]dynamodbapi.ItemResponse, len(gets))}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		tables := map[string]*tableMeta{}
		keys := make([][]byte, len(gets))
		seen := make(map[string]struct{}, len(gets))
		// A key that does not match its table's schema cancels the
		// transaction, after the request's own errors.
		var reasons []dynamodbapi.CancellationReason
		for i, g := range gets {
			t := tables[g.table]
			if t == nil {
				var err error
				if t, err = s.table(tx, refOf(info, g.table), errNoResource); err != nil {
					return err
				}
				tables[g.table] = t
			}
			if err := t.checkKeyShape(g.key); err != nil {
				r, err := validationReason(err)
				if err != nil {
					return err
				}
				if reasons == nil {
					reasons = make([]dynamodbapi.CancellationReason, len(gets))
					for j := range reasons {
						reasons[j] = reasonNone
					}
				}
				reasons[i] = *r
				continue
			}
			if err := t.checkKeyValues(g.key); err != nil {
				return err
			}
			k, err := t.itemKeyOf(g.key)
			if err != nil {
				return err
			}
			if _, dup := seen[string(k)]; dup {
				return validation("Transaction request cannot include multiple operations on one item")
			}
			seen[string(k)] = struct{}{}
			keys[i] = k
		}
		if reasons != nil {
			return errTransactionCanceled(reasons)
		}
		costs := newCostsByTable()
		for i, g := range gets {
			it, err := getItem(tx, keys[i])
			if err != nil {
				return err
			}
			size := 0
			if it != nil {
				size = it.size
				out.Responses[i].Item = it.item
				if g.proj != nil {
					out.Responses[i].Item = g.proj.Apply(it.item)
				}
			}
			costs.add(g.table, writeCost{table: readUnits(size, true)})
		}
		out.ConsumedCapacity = costs.consumed(in.ReturnConsumedCapacity, false, 2)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
