package dynamodb

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Restores. A restore builds the new table in key spaces that no table
// names yet, a batch of items per transaction through writeItem (so its
// indexes and counts are built as it goes), and publishes the table in a
// last transaction: nobody sees it half restored. Its key spaces are
// listed in ddb.restores meanwhile; a restore that fails gives them to the
// purge, and Start does the same for restores a crash interrupted.
//
// As on AWS, a restored table gets the source's key schema, indexes
// (unless overridden), billing (unless overridden), encryption (unless
// overridden) and table class, but not its stream, time to live, tags,
// point-in-time recovery or deletion protection.
//
// A point-in-time restore restores a snapshot of the source's state at
// the requested time, which pitr.go builds from its items and history.

// tableRestores maps statsKey(new table id) to the JSON list of key space
// ids of a restore in progress.
const tableRestores = "ddb.restores"

// restoreBatch is how many items one restore transaction writes.
const restoreBatch = 1000

// restoreMeta is the RestoreSummary a restored table keeps.
type restoreMeta struct {
	SourceBackup string    `json:"backup,omitempty"`
	SourceTable  string    `json:"table,omitempty"`
	Time         time.Time `json:"time"`
}

func (r *restoreMeta) summary() *dynamodbapi.RestoreSummary {
	s := &dynamodbapi.RestoreSummary{RestoreDateTime: ptr(r.Time), RestoreInProgress: ptr(false), SourceTableArn: ptr(r.SourceTable)}
	if r.SourceBackup != "" {
		s.SourceBackupArn = ptr(r.SourceBackup)
	}
	return s
}

// restoreOverrides are the settings a restore request may change.
type restoreOverrides struct {
	billing    *string
	throughput *dynamodbapi.ProvisionedThroughput
	onDemand   *dynamodbapi.OnDemandThroughput
	gsis       []dynamodbapi.GlobalSecondaryIndex
	lsis       []dynamodbapi.LocalSecondaryIndex
	sse        *dynamodbapi.SSESpecification
}

// restoredTable builds the definition of the new table from the source's
// and the overrides, checked as CreateTable checks its input.
func restoredTable(src *tableMeta, target string, o restoreOverrides, info *request.Info, now time.Time) (*tableMeta, error) {
	in := &dynamodbapi.CreateTableInput{TableName: ptr(target), KeySchema: src.Key.elements(), BillingMode: ptr(src.Billing)}
	if o.billing != nil {
		in.BillingMode = o.billing
	}
	provisioned := deref(in.BillingMode) == billingProvisioned
	switch {
	case o.throughput != nil:
		in.ProvisionedThroughput = o.throughput
	case provisioned && src.Billing == billingProvisioned:
		in.ProvisionedThroughput = &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(src.RCU), WriteCapacityUnits: ptr(src.WCU)}
	}
	in.OnDemandThroughput = o.onDemand
	if o.onDemand == nil && src.OnDemand != nil && !provisioned {
		in.OnDemandThroughput = &dynamodbapi.OnDemandThroughput{MaxReadRequestUnits: ptr(src.OnDemand.Read), MaxWriteRequestUnits: ptr(src.OnDemand.Write)}
	}
	// An override replaces the source's indexes; an empty one drops them.
	in.LocalSecondaryIndexes = nonEmptyList(o.lsis)
	if o.lsis == nil {
		for _, ix := range src.LSIs {
			in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, dynamodbapi.LocalSecondaryIndex{
				IndexName: ptr(ix.Name), KeySchema: ix.Key.elements(), Projection: projectionDesc(ix)})
		}
	}
	in.GlobalSecondaryIndexes = nonEmptyList(o.gsis)
	if o.gsis == nil {
		for _, ix := range src.GSIs {
			g := dynamodbapi.GlobalSecondaryIndex{IndexName: ptr(ix.Name), KeySchema: ix.Key.elements(), Projection: projectionDesc(ix)}
			if provisioned && ix.RCU > 0 {
				g.ProvisionedThroughput = &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(ix.RCU), WriteCapacityUnits: ptr(ix.WCU)}
			}
			if ix.OnDemand != nil && !provisioned {
				g.OnDemandThroughput = &dynamodbapi.OnDemandThroughput{MaxReadRequestUnits: ptr(ix.OnDemand.Read), MaxWriteRequestUnits: ptr(ix.OnDemand.Write)}
			}
			in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, g)
		}
	}
	// Only the attributes the new table's keys use: an index left out
	// must not leave its attributes behind.
	used := map[string]bool{src.Key.Hash.Name: true, src.Key.Range.Name: true}
	for _, l := range in.LocalSecondaryIndexes {
		for _, e := range l.KeySchema {
			used[deref(e.AttributeName)] = true
		}
	}
	for _, g := range in.GlobalSecondaryIndexes {
		for _, e := range g.KeySchema {
			used[deref(e.AttributeName)] = true
		}
	}
	for _, a := range src.AttrDefs {
		if used[a.Name] {
			in.AttributeDefinitions = append(in.AttributeDefinitions, dynamodbapi.AttributeDefinition{AttributeName: ptr(a.Name), AttributeType: ptr(a.Type)})
		}
	}
	def, err := validateCreateTable(in)
	if err != nil {
		return nil, err
	}
	t := &tableMeta{
		Account: info.Account, Region: info.Region, Name: target,
		UUID: newUUID(), Created: now, Status: statusActive,
		Key: def.key, AttrDefs: def.attrs,
		Billing: def.billing, RCU: def.rcu, WCU: def.wcu,
		OnDemand: limitsOf(in.OnDemandThroughput), TableClass: src.TableClass,
		LSIs: def.lsis, GSIs: def.gsis, SSE: src.SSE,
		Collections: len(def.lsis) > 0,
	}
	if o.sse != nil {
		if t.SSE, err = sseOf(o.sse, info.Account, info.Region); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func nonEmptyList[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return l
}

func errTableExists(name string) error {
	return dynamodbapi.ErrTableAlreadyExistsException.New("Table already exists: " + name)
}

// restoreTable fills the new table t from a snapshot blob and publishes
// it. It returns the table's description as RestoreTable* answer it.
func (s *Service) restoreTable(ctx context.Context, t *tableMeta, blob string) (*dynamodbapi.TableDescription, error) {
	ref := tableRef{t.Account, t.Region, t.Name}
	var ids []uint64
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		existing, err := s.loadTable(tx, ref)
		if err != nil {
			return err
		}
		if existing != nil {
			return errTableExists(t.Name)
		}
		if t.ID, err = nextID(tx); err != nil {
			return err
		}
		ids = []uint64{t.ID}
		for _, ix := range t.indexes() {
			if ix.ID, err = nextID(tx); err != nil {
				return err
			}
			ids = append(ids, ix.ID)
		}
		raw, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		return tx.Put(tableRestores, statsKey(t.ID), raw)
	})
	if err != nil {
		return nil, err
	}
	if err := s.copySnapshot(ctx, t, blob); err != nil {
		s.abandonRestore(t.ID, ids)
		return nil, err
	}
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		existing, err := s.loadTable(tx, ref)
		if err != nil {
			return err
		}
		if existing != nil {
			return errTableExists(t.Name)
		}
		if err := saveTable(tx, t); err != nil {
			return err
		}
		return tx.Delete(tableRestores, statsKey(t.ID))
	})
	if err != nil {
		s.abandonRestore(t.ID, ids)
		return nil, err
	}
	d := describeStatic(t)
	d.TableStatus = ptr(statusCreating)
	d.RestoreSummary.RestoreInProgress = ptr(true)
	return d, nil
}

// copySnapshot writes a snapshot's items into t's key spaces.
func (s *Service) copySnapshot(ctx context.Context, t *tableMeta, blob string) error {
	var batch []*storedItem
	flush := func() error {
		err := s.update(ctx, func(w *itemWriter) error {
			// A restore writes what the backup holds: the collection
			// limit is for requests (new local indexes may make a
			// collection bigger than the source's).
			w.collectionLimit = 0
			for _, it := range batch {
				key, err := t.itemKeyOf(it.item)
				if err != nil {
					return err
				}
				if _, err := w.writeItem(t, key, nil, it); err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	err := s.readSnapshot(blob, func(v []byte) error {
		it, err := decodeValue(v)
		if err != nil {
			return err
		}
		batch = append(batch, it)
		if len(batch) == restoreBatch {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	return err
}

// abandonRestore gives the key spaces of a failed restore to the purge.
func (s *Service) abandonRestore(id uint64, ids []uint64) {
	err := s.db.Update(context.Background(), func(tx storage.Tx) error {
		if err := schedulePurge(tx, ids...); err != nil {
			return err
		}
		return tx.Delete(tableRestores, statsKey(id))
	})
	if err != nil {
		s.log.Warn("dynamodb: abandoning a failed restore", "err", err)
		return
	}
	s.goWork(s.purge)
}

// abandonRestores hands the key spaces of restores that a previous run
// left unfinished to the purge (which runs after it at start).
func (s *Service) abandonRestores(ctx context.Context) {
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		type pending struct {
			key []byte
			ids []uint64
		}
		var list []pending
		var derr error
		err := tx.Scan(tableRestores, storage.Range{}, func(k, v []byte) bool {
			var ids []uint64
			if derr = json.Unmarshal(v, &ids); derr != nil {
				return false
			}
			list = append(list, pending{append([]byte(nil), k...), ids})
			return true
		})
		if err == nil {
			err = derr
		}
		if err != nil {
			return err
		}
		for _, p := range list {
			if err := schedulePurge(tx, p.ids...); err != nil {
				return err
			}
			if err := tx.Delete(tableRestores, p.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.log.Warn("dynamodb: abandoning unfinished restores", "err", err)
	}
}

// RestoreTableFromBackup creates a table from a backup. The table is
// complete when the call returns; the answer says CREATING, as DynamoDB's
// does.
func (s *Service) RestoreTableFromBackup(ctx context.Context, in *dynamodbapi.RestoreTableFromBackupInput) (*dynamodbapi.RestoreTableFromBackupOutput, error) {
	info := request.FromContext(ctx)
	target := deref(in.TargetTableName)
	if err := validTableName(target, "targetTableName"); err != nil {
		return nil, err
	}
	var b *backupMeta
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = loadBackup(tx, deref(in.BackupArn)); err != nil {
			return err
		}
		existing, err := s.loadTable(tx, tableRef{info.Account, info.Region, target})
		if err == nil && existing != nil {
			err = errTableExists(target)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	t, err := restoredTable(b.Table, target, restoreOverrides{
		billing: in.BillingModeOverride, throughput: in.ProvisionedThroughputOverride, onDemand: in.OnDemandThroughputOverride,
		gsis: in.GlobalSecondaryIndexOverride, lsis: in.LocalSecondaryIndexOverride, sse: in.SSESpecificationOverride,
	}, info, s.now().UTC())
	if err != nil {
		return nil, err
	}
	t.Restore = &restoreMeta{SourceBackup: b.ARN, SourceTable: b.Table.arn(), Time: b.Created}
	d, err := s.restoreTable(ctx, t, b.Blob)
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.RestoreTableFromBackupOutput{TableDescription: d}, nil
}

// RestoreTableToPointInTime creates a table from the state a table whose
// point-in-time recovery is on had at a time of its recovery window: its
// current items rolled back through its history (pitr.go).
func (s *Service) RestoreTableToPointInTime(ctx context.Context, in *dynamodbapi.RestoreTableToPointInTimeInput) (*dynamodbapi.RestoreTableToPointInTimeOutput, error) {
	info := request.FromContext(ctx)
	var ref tableRef
	switch {
	case in.SourceTableArn != nil:
		ref = refOf(info, *in.SourceTableArn)
	case in.SourceTableName != nil:
		ref = refOf(info, *in.SourceTableName)
	default:
		return nil, validation("Either SourceTableArn or SourceTableName must be specified")
	}
	if in.RestoreDateTime != nil && deref(in.UseLatestRestorableTime) {
		return nil, validation("Only one of RestoreDateTime or UseLatestRestorableTime can be specified")
	}
	target := deref(in.TargetTableName)
	if err := validTableName(target, "targetTableName"); err != nil {
		return nil, err
	}
	var src *tableMeta
	var blob string
	var at time.Time
	now := s.now().UTC()
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		if src, err = s.table(tx, ref, func() error { return errBackupTableNotFound(ref.name) }); err != nil {
			return err
		}
		if !src.PITR.Enabled {
			return dynamodbapi.ErrPointInTimeRecoveryUnavailableException.New("Point in time recovery is not enabled for table '" + src.Name + "'")
		}
		if at, err = restoreTime(src.PITR, now, in.RestoreDateTime); err != nil {
			return err
		}
		existing, err := s.loadTable(tx, tableRef{info.Account, info.Region, target})
		if err != nil {
			return err
		}
		if existing != nil {
			return errTableExists(target)
		}
		blob, err = s.snapshotAt(tx, src, at)
		return err
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := s.db.Blobs().Delete(blob); err != nil {
			s.log.Warn("dynamodb: deleting a restore's snapshot", "err", err)
		}
	}()
	t, err := restoredTable(src, target, restoreOverrides{
		billing: in.BillingModeOverride, throughput: in.ProvisionedThroughputOverride, onDemand: in.OnDemandThroughputOverride,
		gsis: in.GlobalSecondaryIndexOverride, lsis: in.LocalSecondaryIndexOverride, sse: in.SSESpecificationOverride,
	}, info, now)
	if err != nil {
		return nil, err
	}
	t.Restore = &restoreMeta{SourceTable: src.arn(), Time: at}
	d, err := s.restoreTable(ctx, t, blob)
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.RestoreTableToPointInTimeOutput{TableDescription: d}, nil
}
