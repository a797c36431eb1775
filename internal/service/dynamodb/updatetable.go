package dynamodb

import (
	"context"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// UpdateTable changes a table's billing mode, throughput, global
// secondary indexes, stream, encryption, table class and deletion
// protection. A new index is filled from the table's items: in the
// request's own transaction for tables of up to backfillInline items
// (the index is ACTIVE at once), else in the background, a batch per
// transaction, while the index reports CREATING and Backfilling.
func (s *Service) UpdateTable(ctx context.Context, in *dynamodbapi.UpdateTableInput) (*dynamodbapi.UpdateTableOutput, error) {
	if len(in.ReplicaUpdates) > 0 || len(in.GlobalTableWitnessUpdates) > 0 || in.MultiRegionConsistency != nil {
		return nil, validation("One or more parameter values were invalid: global table replicas are not supported by this endpoint")
	}
	if in.ProvisionedThroughput == nil && in.BillingMode == nil && in.StreamSpecification == nil && len(in.GlobalSecondaryIndexUpdates) == 0 &&
		in.SSESpecification == nil && in.TableClass == nil && in.DeletionProtectionEnabled == nil && in.OnDemandThroughput == nil && in.WarmThroughput == nil {
		return nil, validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	if in.StreamSpecification != nil {
		if err := checkStreamSpec(in.StreamSpecification); err != nil {
			return nil, err
		}
	}
	info := request.FromContext(ctx)
	ref := refOf(info, deref(in.TableName))
	var desc *dynamodbapi.TableDescription
	background := false
	err := s.update(ctx, func(w *itemWriter) error {
		cur, err := s.table(w.tx, ref, func() error { return errTableNotFound(ref.name) })
		if err != nil {
			return err
		}
		t := cur.clone()
		now := w.now.UTC()
		if err := s.applyTableSettings(w.tx, t, in, now); err != nil {
			return err
		}
		created, err := applyIndexUpdates(w.tx, t, in)
		if err != nil {
			return err
		}
		if len(created) > 0 {
			st, err := readStats(w.tx, t.ID)
			if err != nil {
				return err
			}
			for _, ix := range created {
				if st.Count <= s.backfillInline {
					if _, err := w.backfillIndex(t, ix, nil, -1); err != nil {
						return err
					}
					ix.Status = statusActive
					continue
				}
				ix.Status, ix.Backfilling = statusCreating, true
				background = true
			}
		}
		if err := saveTable(w.tx, t); err != nil {
			return err
		}
		if desc, err = describe(w.tx, t); err != nil {
			return err
		}
		desc.TableStatus = ptr(statusUpdating)
		answerIndexChanges(desc, cur, t, created)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if background {
		s.goWork(func(ctx context.Context) { s.backfill(ctx, ref) })
	}
	return &dynamodbapi.UpdateTableOutput{TableDescription: desc}, nil
}

// answerIndexChanges makes UpdateTable's answer show its index changes as
// DynamoDB's does at the moment of the request: a new index CREATING (even
// one already filled, which DescribeTable reports ACTIVE), a deleted one
// DELETING.
func answerIndexChanges(desc *dynamodbapi.TableDescription, before, after *tableMeta, created []*indexMeta) {
	for i := range desc.GlobalSecondaryIndexes {
		g := &desc.GlobalSecondaryIndexes[i]
		for _, ix := range created {
			if ix.Name == deref(g.IndexName) {
				g.IndexStatus, g.Backfilling = ptr(statusCreating), ptr(ix.Backfilling)
			}
		}
	}
	old := describeStatic(before)
	for i, ix := range before.GSIs {
		if after.index(ix.Name) == nil {
			g := old.GlobalSecondaryIndexes[i]
			g.IndexStatus, g.Backfilling = ptr(statusDeleting), nil
			desc.GlobalSecondaryIndexes = append(desc.GlobalSecondaryIndexes, g)
		}
	}
}

// applyTableSettings applies the table-level parts of an UpdateTable.
func (s *Service) applyTableSettings(tx storage.Tx, t *tableMeta, in *dynamodbapi.UpdateTableInput, now time.Time) error {
	billing := t.Billing
	if in.BillingMode != nil {
		billing = *in.BillingMode
	}
	switch {
	case billing == billingOnDemand:
		if in.ProvisionedThroughput != nil {
			return validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		if t.Billing != billingOnDemand {
			t.BillingChanged = now
			t.RCU, t.WCU = 0, 0
			for _, ix := range t.GSIs {
				ix.RCU, ix.WCU = 0, 0
			}
		}
	case t.Billing == billingOnDemand:
		// Switching to provisioned: the table and every index need units.
		t.WasOnDemand = true
		rcu, wcu, err := throughputOf(in.ProvisionedThroughput, billingProvisioned, "")
		if err != nil {
			return err
		}
		t.RCU, t.WCU = rcu, wcu
		for _, ix := range t.GSIs {
			if gsiThroughputUpdate(in, ix.Name) == nil {
				return validationf("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", ix.Name)
			}
		}
	case in.ProvisionedThroughput != nil:
		rcu, wcu, err := throughputOf(in.ProvisionedThroughput, billingProvisioned, "")
		if err != nil {
			return err
		}
		if rcu == t.RCU && wcu == t.WCU && len(in.GlobalSecondaryIndexUpdates) == 0 && in.StreamSpecification == nil {
			return validationf("The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.", t.RCU, rcu, t.WCU, wcu)
		}
		if rcu > t.RCU || wcu > t.WCU {
			t.LastIncrease = now
		}
		if rcu < t.RCU || wcu < t.WCU {
			t.LastDecrease = now
			t.DecreasesToday++
		}
		t.RCU, t.WCU = rcu, wcu
	}
	t.Billing = billing
	if in.OnDemandThroughput != nil {
		t.OnDemand = limitsOf(in.OnDemandThroughput)
	}
	if in.WarmThroughput != nil {
		t.Warm = warmOf(in.WarmThroughput)
	}
	if in.TableClass != nil && *in.TableClass != t.TableClass {
		t.TableClass, t.TableClassChanged = *in.TableClass, now
	}
	if in.DeletionProtectionEnabled != nil {
		t.DeletionProtection = *in.DeletionProtectionEnabled
	}
	if in.SSESpecification != nil {
		sse, err := sseOf(in.SSESpecification, t.Account, t.Region)
		if err != nil {
			return err
		}
		t.SSE = sse
	}
	if spec := in.StreamSpecification; spec != nil {
		switch enable := deref(spec.StreamEnabled); {
		case enable && t.Stream.Enabled:
			return validation("Table already has an enabled stream: TableName: " + t.Name)
		case enable:
			last := t.LastStream
			st, err := newStream(tx, deref(spec.StreamViewType), now, last)
			if err != nil {
				return err
			}
			t.Stream, t.LastStream = st, nil
			if err := openStream(tx, t, st, now); err != nil {
				return err
			}
		case !t.Stream.Enabled:
			return validation("Table already has stream disabled: TableName: " + t.Name)
		default:
			last := t.Stream
			last.Enabled = false
			t.Stream, t.LastStream = streamMeta{}, &last
			if err := closeStream(tx, t, last, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// gsiThroughputUpdate returns the throughput an UpdateTable sets for index
// name, if any.
func gsiThroughputUpdate(in *dynamodbapi.UpdateTableInput, name string) *dynamodbapi.ProvisionedThroughput {
	for _, u := range in.GlobalSecondaryIndexUpdates {
		if u.Update != nil && deref(u.Update.IndexName) == name {
			return u.Update.ProvisionedThroughput
		}
	}
	return nil
}

// applyIndexUpdates applies GlobalSecondaryIndexUpdates and returns the
// indexes it created (still to be filled).
func applyIndexUpdates(tx storage.Tx, t *tableMeta, in *dynamodbapi.UpdateTableInput) ([]*indexMeta, error) {
	// Definitions: the table's own, plus those of the request.
	defs := make([]dynamodbapi.AttributeDefinition, 0, len(t.AttrDefs)+len(in.AttributeDefinitions))
	types := map[string]string{}
	for _, a := range t.AttrDefs {
		defs = append(defs, dynamodbapi.AttributeDefinition{AttributeName: ptr(a.Name), AttributeType: ptr(a.Type)})
		types[a.Name] = a.Type
	}
	given, err := attrDefs(in.AttributeDefinitions)
	if err != nil {
		return nil, err
	}
	for _, d := range in.AttributeDefinitions {
		name := deref(d.AttributeName)
		if have, ok := types[name]; ok {
			if have != given[name] {
				return nil, validationf("One or more parameter values were invalid: Attribute %s is already defined with type %s and cannot be redefined as %s", name, have, given[name])
			}
			continue
		}
		defs = append(defs, d)
		types[name] = given[name]
	}

	var created []*indexMeta
	for i, u := range in.GlobalSecondaryIndexUpdates {
		field := "globalSecondaryIndexUpdates." + itoa(i+1) + ".member"
		switch {
		case u.Create != nil:
			c := u.Create
			ix, err := gsiOf(c.IndexName, c.KeySchema, c.Projection, c.ProvisionedThroughput, c.OnDemandThroughput, c.WarmThroughput,
				defs, types, t.Billing, field+".create")
			if err != nil {
				return nil, err
			}
			if t.index(ix.Name) != nil {
				return nil, validationf("One or more parameter values were invalid: Index already exists: %s", ix.Name)
			}
			if len(t.GSIs) >= maxGSIs {
				return nil, dynamodbapi.ErrLimitExceededException.Newf("Subscriber limit exceeded: The number of global secondary indexes for table %s exceeds the limit of %d", t.Name, maxGSIs)
			}
			if ix.ID, err = nextID(tx); err != nil {
				return nil, err
			}
			t.GSIs = append(t.GSIs, ix)
			created = append(created, ix)
		case u.Delete != nil:
			name := deref(u.Delete.IndexName)
			pos := -1
			for j, ix := range t.GSIs {
				if ix.Name == name {
					pos = j
				}
			}
			if pos < 0 {
				return nil, dynamodbapi.ErrResourceNotFoundException.Newf("Requested resource not found: Index: %s not found", name)
			}
			if err := schedulePurge(tx, t.GSIs[pos].ID); err != nil {
				return nil, err
			}
			t.GSIs = append(t.GSIs[:pos], t.GSIs[pos+1:]...)
		case u.Update != nil:
			name := deref(u.Update.IndexName)
			var ix *indexMeta
			for _, g := range t.GSIs {
				if g.Name == name {
					ix = g
				}
			}
			if ix == nil {
				return nil, dynamodbapi.ErrResourceNotFoundException.Newf("Requested resource not found: Index: %s not found", name)
			}
			if u.Update.ProvisionedThroughput != nil {
				rcu, wcu, err := throughputOf(u.Update.ProvisionedThroughput, t.Billing, name)
				if err != nil {
					return nil, err
				}
				ix.RCU, ix.WCU = rcu, wcu
			}
			if u.Update.OnDemandThroughput != nil {
				ix.OnDemand = limitsOf(u.Update.OnDemandThroughput)
			}
			if u.Update.WarmThroughput != nil {
				ix.Warm = warmOf(u.Update.WarmThroughput)
			}
		}
	}
	// Keep exactly the definitions that some key still uses.
	used := map[string]bool{t.Key.Hash.Name: true, t.Key.Range.Name: true}
	for _, ix := range t.indexes() {
		used[ix.Key.Hash.Name], used[ix.Key.Range.Name] = true, true
	}
	t.AttrDefs = t.AttrDefs[:0]
	for _, d := range defs {
		if used[deref(d.AttributeName)] {
			t.AttrDefs = append(t.AttrDefs, keyAttr{Name: deref(d.AttributeName), Type: deref(d.AttributeType)})
		}
	}
	return created, nil
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// backfillIndex copies table items after the key after into ix, at most
// limit of them (all with a negative limit), and returns the key of the
// last item copied (nil when there was none).
func (w *itemWriter) backfillIndex(t *tableMeta, ix *indexMeta, after []byte, limit int) ([]byte, error) {
	type pending struct {
		key  []byte
		item *storedItem
	}
	prefix := appendUint64(nil, t.ID)
	var last []byte
	for {
		batch := make([]pending, 0, 256)
		var derr error
		err := w.tx.Scan(itemsTable(t.ID), storage.Range{Prefix: prefix, After: after}, func(k, v []byte) bool {
			it, err := decodeValue(v)
			if err != nil {
				derr = err
				return false
			}
			batch = append(batch, pending{key: append([]byte(nil), k...), item: it})
			return len(batch) < cap(batch) && (limit < 0 || len(batch) < limit)
		})
		if err == nil {
			err = derr
		}
		if err != nil {
			return nil, err
		}
		for _, p := range batch {
			if _, err := w.writeIndex(t, ix, p.key, nil, p.item.item); err != nil {
				return nil, err
			}
		}
		if len(batch) == 0 {
			return last, nil
		}
		last = batch[len(batch)-1].key
		after = last
		if limit >= 0 {
			if limit -= len(batch); limit <= 0 {
				return last, nil
			}
		}
	}
}

// backfill fills the CREATING global secondary indexes of a table, one
// batch of items per transaction, and marks each ACTIVE when done.
func (s *Service) backfill(ctx context.Context, ref tableRef) {
	for ctx.Err() == nil {
		pending := false
		err := s.update(ctx, func(w *itemWriter) error {
			cur, err := s.loadTable(w.tx, ref)
			if err != nil || cur == nil {
				return err
			}
			t := cur.clone()
			changed := false
			for _, ix := range t.GSIs {
				if ix.Status != statusCreating {
					continue
				}
				last, err := w.backfillIndex(t, ix, ix.Backfilled, s.backfillBatch)
				if err != nil {
					return err
				}
				changed = true
				if last == nil {
					ix.Status, ix.Backfilling, ix.Backfilled = statusActive, false, nil
					continue
				}
				ix.Backfilled = last
				pending = true
			}
			if !changed {
				return nil
			}
			return saveTable(w.tx, t)
		})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("dynamodb: backfilling an index", "table", ref.name, "err", err)
			}
			return
		}
		if !pending {
			return
		}
	}
}
