package dynamodb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Tables are usable as soon as CreateTable returns. CreateTable answers
// with TableStatus CREATING, as DynamoDB does, and DescribeTable already
// says ACTIVE: SDK waiters (TableExists) and Terraform poll DescribeTable
// for ACTIVE and so finish on their first poll, while code that reads the
// CreateTable response sees what it would see on AWS.

// CreateTable creates a table with its indexes, stream and settings.
func (s *Service) CreateTable(ctx context.Context, in *dynamodbapi.CreateTableInput) (*dynamodbapi.CreateTableOutput, error) {
	def, err := validateCreateTable(in)
	if err != nil {
		return nil, err
	}
	info := request.FromContext(ctx)
	now := s.now().UTC()
	t := &tableMeta{
		Account: info.Account, Region: info.Region, Name: *in.TableName,
		UUID: newUUID(), Created: now, Status: statusActive,
		Key: def.key, AttrDefs: def.attrs,
		Billing: def.billing, RCU: def.rcu, WCU: def.wcu,
		OnDemand: limitsOf(in.OnDemandThroughput), Warm: warmOf(in.WarmThroughput),
		TableClass:         deref(in.TableClass),
		DeletionProtection: deref(in.DeletionProtectionEnabled),
		LSIs:               def.lsis, GSIs: def.gsis,
		Collections: len(def.lsis) > 0,
	}
	if in.StreamSpecification != nil {
		if err := checkStreamSpec(in.StreamSpecification); err != nil {
			return nil, err
		}
	}
	if t.SSE, err = sseOf(in.SSESpecification, info.Account, info.Region); err != nil {
		return nil, err
	}
	if t.Tags, err = mergeTags(nil, in.Tags); err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		existing, err := s.loadTable(tx, tableRef{t.Account, t.Region, t.Name})
		if err != nil {
			return err
		}
		if existing != nil {
			return dynamodbapi.ErrResourceInUseException.New("Table already exists: " + t.Name)
		}
		if t.ID, err = nextID(tx); err != nil {
			return err
		}
		for _, ix := range t.indexes() {
			if ix.ID, err = nextID(tx); err != nil {
				return err
			}
		}
		if err := s.attachCreatePolicy(tx, t, in.ResourcePolicy); err != nil {
			return err
		}
		if spec := in.StreamSpecification; spec != nil && deref(spec.StreamEnabled) {
			if t.Stream, err = newStream(tx, deref(spec.StreamViewType), now, nil); err != nil {
				return err
			}
			if err := openStream(tx, t, t.Stream, now); err != nil {
				return err
			}
		}
		return saveTable(tx, t)
	})
	if err != nil {
		return nil, err
	}
	d := describeStatic(t)
	d.TableStatus = ptr(statusCreating)
	for i := range d.GlobalSecondaryIndexes {
		d.GlobalSecondaryIndexes[i].IndexStatus = ptr(statusCreating)
	}
	return &dynamodbapi.CreateTableOutput{TableDescription: d}, nil
}

// checkStreamSpec validates a StreamSpecification.
func checkStreamSpec(spec *dynamodbapi.StreamSpecification) error {
	if deref(spec.StreamEnabled) && spec.StreamViewType == nil {
		return validation("One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true")
	}
	return nil
}

// newStream starts a stream: a new key space for its records and a label
// (its creation time) that differs from the previous stream's.
func newStream(tx storage.Tx, viewType string, now time.Time, last *streamMeta) (streamMeta, error) {
	id, err := nextID(tx)
	if err != nil {
		return streamMeta{}, err
	}
	label := now.UTC().Format("2006-01-02T15:04:05.000")
	if last != nil && last.Label >= label {
		// Two streams in one millisecond: labels must still differ.
		prev, err := time.Parse("2006-01-02T15:04:05.000", last.Label)
		if err == nil {
			label = prev.Add(time.Millisecond).Format("2006-01-02T15:04:05.000")
		}
	}
	return streamMeta{Enabled: true, ViewType: viewType, Label: label, ID: id}, nil
}

// sseOf turns an SSESpecification into the table's encryption setting:
// nil for the AWS-owned key (SSE not enabled), else a KMS key.
func sseOf(spec *dynamodbapi.SSESpecification, account, region string) (*sseMeta, error) {
	if spec == nil || !deref(spec.Enabled) {
		return nil, nil
	}
	typ := "KMS"
	if spec.SSEType != nil {
		typ = *spec.SSEType
	}
	key := deref(spec.KMSMasterKeyId)
	switch {
	case key == "":
		// The AWS managed key alias/aws/dynamodb, one per account and region.
		key = "arn:aws:kms:" + region + ":" + account + ":key/" + stableUUID("alias/aws/dynamodb/"+account+"/"+region)
	case strings.HasPrefix(key, "arn:"):
	case strings.HasPrefix(key, "alias/"):
		key = "arn:aws:kms:" + region + ":" + account + ":" + key
	default:
		key = "arn:aws:kms:" + region + ":" + account + ":key/" + key
	}
	return &sseMeta{Type: typ, KMSKey: key}, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b)
}

// stableUUID derives a version-4-shaped UUID from seed.
func stableUUID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	var b [16]byte
	copy(b[:], sum[:16])
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// DescribeTable describes a table with live item counts and sizes.
func (s *Service) DescribeTable(ctx context.Context, in *dynamodbapi.DescribeTableInput) (*dynamodbapi.DescribeTableOutput, error) {
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	var out dynamodbapi.DescribeTableOutput
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, func() error { return errTableNotFound(ref.name) })
		if err != nil {
			return err
		}
		out.Table, err = describe(tx, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTables lists the account's tables in the region, by name.
func (s *Service) ListTables(ctx context.Context, in *dynamodbapi.ListTablesInput) (*dynamodbapi.ListTablesOutput, error) {
	info := request.FromContext(ctx)
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	prefix := metaKey(info.Account, info.Region, "")
	r := storage.Range{Prefix: prefix}
	if in.ExclusiveStartTableName != nil {
		r.After = metaKey(info.Account, info.Region, *in.ExclusiveStartTableName)
	}
	out := &dynamodbapi.ListTablesOutput{TableNames: []string{}}
	more := false
	err := s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tableTables, r, func(k, _ []byte) bool {
			if len(out.TableNames) == limit {
				more = true
				return false
			}
			out.TableNames = append(out.TableNames, string(k[len(prefix):]))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if more {
		out.LastEvaluatedTableName = ptr(out.TableNames[len(out.TableNames)-1])
	}
	return out, nil
}

// DeleteTable deletes a table. Its metadata goes in the request's
// transaction; its items and index entries are purged afterwards in
// batches (their key spaces are never reused, so nothing can see them).
func (s *Service) DeleteTable(ctx context.Context, in *dynamodbapi.DeleteTableInput) (*dynamodbapi.DeleteTableOutput, error) {
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	var desc *dynamodbapi.TableDescription
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, func() error { return errTableNotFound(ref.name) })
		if err != nil {
			return err
		}
		if t.DeletionProtection {
			return validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
		}
		if desc, err = describe(tx, t); err != nil {
			return err
		}
		if err := tx.Delete(tableTables, ref.key()); err != nil {
			return err
		}
		if err := dropTableExtras(tx, t); err != nil {
			return err
		}
		if t.Stream.Enabled {
			if err := closeStream(tx, t, t.Stream, s.now().UTC()); err != nil {
				return err
			}
		}
		ids := []uint64{t.ID}
		for _, ix := range t.indexes() {
			ids = append(ids, ix.ID)
		}
		if t.PITR.History != 0 {
			ids = append(ids, t.PITR.History)
		}
		return schedulePurge(tx, ids...)
	})
	if err != nil {
		return nil, err
	}
	s.metas.forget(ref.key())
	desc.TableStatus = ptr(statusDeleting)
	s.goWork(s.purge)
	return &dynamodbapi.DeleteTableOutput{TableDescription: desc}, nil
}
