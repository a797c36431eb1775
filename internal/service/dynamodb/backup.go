package dynamodb

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// On-demand backups. A backup is a consistent snapshot of one table, read
// in one View: its items go to a blob (each stored value, as ddb.items
// keeps it, behind a uvarint length) and its description to ddb.backups.
// A restore (backup_restore.go) writes the items into a new table.
//
// Backups are kept when their table is deleted, as on AWS. A crash between
// the blob's commit and the record's leaves an unreferenced blob behind.

// tableBackups maps metaKey(account, region, backup ARN) to a JSON
// backupMeta. ARNs hold the table name and then the creation time, so the
// backups of a table are adjacent and in time order.
const tableBackups = "ddb.backups"

// Backup statuses and types.
const (
	backupCreating  = "CREATING"
	backupAvailable = "AVAILABLE"
	backupDeleted   = "DELETED"
	backupUser      = "USER"
)

type backupMeta struct {
	ARN     string    `json:"arn"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Type    string    `json:"type"`
	// Table is the table's description when the backup was taken; its
	// key space ids mean nothing any more.
	Table *tableMeta `json:"table"`
	Count int64      `json:"count"`
	Bytes int64      `json:"bytes"`
	Blob  string     `json:"blob"`
}

func backupKey(arn string) ([]byte, error) {
	// arn:aws:dynamodb:region:account:table/name/backup/id
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" || !strings.Contains(parts[5], "/backup/") {
		return nil, errBackupNotFound(arn)
	}
	return metaKey(parts[4], parts[3], arn), nil
}

func errBackupNotFound(arn string) error {
	return dynamodbapi.ErrBackupNotFoundException.New("Backup not found: " + arn)
}

// newBackupARN names a backup as DynamoDB does: the creation time in
// milliseconds, 14 digits, and a random suffix.
func newBackupARN(t *tableMeta, now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/backup/%014d-%s", t.arn(), now.UnixMilli(), hex.EncodeToString(b[:]))
}

// snapshot is a blob being written with stored values, each behind its
// uvarint length.
type snapshot struct {
	bw     storage.BlobWriter
	w      *bufio.Writer
	lenBuf [binary.MaxVarintLen64]byte
	// err is the first write error; add does nothing after it.
	err error
}

func (s *Service) newSnapshot() (*snapshot, error) {
	bw, err := s.db.Blobs().Create()
	if err != nil {
		return nil, err
	}
	return &snapshot{bw: bw, w: bufio.NewWriterSize(bw, 64<<10)}, nil
}

// add appends one stored value.
func (b *snapshot) add(v []byte) error {
	if b.err != nil {
		return b.err
	}
	n := binary.PutUvarint(b.lenBuf[:], uint64(len(v)))
	if _, b.err = b.w.Write(b.lenBuf[:n]); b.err == nil {
		_, b.err = b.w.Write(v)
	}
	return b.err
}

func (b *snapshot) commit() (string, error) {
	if err := b.w.Flush(); err != nil {
		b.abort()
		return "", err
	}
	return b.bw.Commit()
}

func (b *snapshot) abort() { _ = b.bw.Abort() }

// finish ends a snapshot whose values were written with scanErr as the
// error of the scan that wrote them: it commits the blob and returns its
// id, or abandons it if the scan or a write failed.
func (b *snapshot) finish(scanErr error) (string, error) {
	err := scanErr
	if err == nil {
		err = b.err
	}
	if err != nil {
		b.abort()
		return "", err
	}
	return b.commit()
}

// snapshotItems writes the items of t, as tx sees them, to a new blob.
func (s *Service) snapshotItems(tx storage.Tx, t *tableMeta) (string, error) {
	snap, err := s.newSnapshot()
	if err != nil {
		return "", err
	}
	err = tx.Scan(itemsTable(t.ID), storage.Range{Prefix: appendUint64(nil, t.ID)}, func(_, v []byte) bool {
		return snap.add(v) == nil
	})
	return snap.finish(err)
}

// readSnapshot calls fn with each stored value of a snapshot blob, in
// order; the slice is fn's only until it returns.
func (s *Service) readSnapshot(id string, fn func(v []byte) error) error {
	b, err := s.db.Blobs().Open(id)
	if err != nil {
		return err
	}
	defer b.Close()
	r := bufio.NewReaderSize(b, 64<<10)
	var buf []byte
	for {
		n, err := binary.ReadUvarint(r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n > 1<<20 {
			return errCorrupt
		}
		if uint64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
}

// CreateBackup takes a snapshot of a table. Nimbus takes it within the
// request; the answer says CREATING, as DynamoDB's does, and the backup is
// AVAILABLE from then on.
func (s *Service) CreateBackup(ctx context.Context, in *dynamodbapi.CreateBackupInput) (*dynamodbapi.CreateBackupOutput, error) {
	if name := deref(in.BackupName); !validNameChars(name) {
		return nil, validationf("1 validation error detected: Value '%s' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name)
	}
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	var b *backupMeta
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, func() error { return errBackupTableNotFound(ref.name) })
		if err != nil {
			return err
		}
		st, err := readStats(tx, t.ID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		b = &backupMeta{ARN: newBackupARN(t, now), Name: deref(in.BackupName), Created: now, Type: backupUser,
			Table: t, Count: st.Count, Bytes: st.Bytes}
		b.Blob, err = s.snapshotItems(tx, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(b)
	if err == nil {
		err = s.db.Update(ctx, func(tx storage.Tx) error {
			key, err := backupKey(b.ARN)
			if err != nil {
				return err
			}
			return tx.Put(tableBackups, key, raw)
		})
	}
	if err != nil {
		_ = s.db.Blobs().Delete(b.Blob)
		return nil, err
	}
	d := b.details()
	d.BackupStatus = ptr(backupCreating)
	return &dynamodbapi.CreateBackupOutput{BackupDetails: d}, nil
}

func (b *backupMeta) details() *dynamodbapi.BackupDetails {
	return &dynamodbapi.BackupDetails{
		BackupArn: ptr(b.ARN), BackupName: ptr(b.Name), BackupCreationDateTime: ptr(b.Created),
		BackupSizeBytes: ptr(b.Bytes), BackupStatus: ptr(backupAvailable), BackupType: ptr(b.Type),
	}
}

func (b *backupMeta) description() *dynamodbapi.BackupDescription {
	t := b.Table
	src := &dynamodbapi.SourceTableDetails{
		TableName: ptr(t.Name), TableId: ptr(t.UUID), TableArn: ptr(t.arn()), TableSizeBytes: ptr(b.Bytes),
		KeySchema: t.Key.elements(), TableCreationDateTime: ptr(t.Created), ItemCount: ptr(b.Count),
		ProvisionedThroughput: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(t.RCU), WriteCapacityUnits: ptr(t.WCU)},
		BillingMode:           ptr(t.Billing),
	}
	if t.OnDemand != nil {
		src.OnDemandThroughput = &dynamodbapi.OnDemandThroughput{MaxReadRequestUnits: ptr(t.OnDemand.Read), MaxWriteRequestUnits: ptr(t.OnDemand.Write)}
	}
	f := &dynamodbapi.SourceTableFeatureDetails{}
	for _, ix := range t.LSIs {
		f.LocalSecondaryIndexes = append(f.LocalSecondaryIndexes, dynamodbapi.LocalSecondaryIndexInfo{
			IndexName: ptr(ix.Name), KeySchema: ix.Key.elements(), Projection: projectionDesc(ix)})
	}
	for _, ix := range t.GSIs {
		g := dynamodbapi.GlobalSecondaryIndexInfo{IndexName: ptr(ix.Name), KeySchema: ix.Key.elements(), Projection: projectionDesc(ix),
			ProvisionedThroughput: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(ix.RCU), WriteCapacityUnits: ptr(ix.WCU)}}
		if ix.OnDemand != nil {
			g.OnDemandThroughput = &dynamodbapi.OnDemandThroughput{MaxReadRequestUnits: ptr(ix.OnDemand.Read), MaxWriteRequestUnits: ptr(ix.OnDemand.Write)}
		}
		f.GlobalSecondaryIndexes = append(f.GlobalSecondaryIndexes, g)
	}
	if t.Stream.Enabled {
		f.StreamDescription = &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr(t.Stream.ViewType)}
	}
	f.TimeToLiveDescription = &dynamodbapi.TimeToLiveDescription{TimeToLiveStatus: ptr("DISABLED")}
	if t.TTL.Enabled {
		f.TimeToLiveDescription = &dynamodbapi.TimeToLiveDescription{TimeToLiveStatus: ptr("ENABLED"), AttributeName: ptr(t.TTL.Attribute)}
	}
	if t.SSE != nil {
		f.SSEDescription = &dynamodbapi.SSEDescription{Status: ptr("ENABLED"), SSEType: ptr(t.SSE.Type), KMSMasterKeyArn: ptr(t.SSE.KMSKey)}
	}
	return &dynamodbapi.BackupDescription{BackupDetails: b.details(), SourceTableDetails: src, SourceTableFeatureDetails: f}
}

func (b *backupMeta) summary() dynamodbapi.BackupSummary {
	t := b.Table
	return dynamodbapi.BackupSummary{
		BackupArn: ptr(b.ARN), BackupName: ptr(b.Name), BackupCreationDateTime: ptr(b.Created),
		BackupSizeBytes: ptr(b.Bytes), BackupStatus: ptr(backupAvailable), BackupType: ptr(b.Type),
		TableArn: ptr(t.arn()), TableId: ptr(t.UUID), TableName: ptr(t.Name),
	}
}

// loadBackup reads a backup by ARN.
func loadBackup(tx storage.Tx, arn string) (*backupMeta, error) {
	key, err := backupKey(arn)
	if err != nil {
		return nil, err
	}
	raw, err := tx.Get(tableBackups, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errBackupNotFound(arn)
	}
	if err != nil {
		return nil, err
	}
	var b backupMeta
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// DescribeBackup describes a backup.
func (s *Service) DescribeBackup(ctx context.Context, in *dynamodbapi.DescribeBackupInput) (*dynamodbapi.DescribeBackupOutput, error) {
	var b *backupMeta
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		b, err = loadBackup(tx, deref(in.BackupArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DescribeBackupOutput{BackupDescription: b.description()}, nil
}

// DeleteBackup deletes a backup and its snapshot.
func (s *Service) DeleteBackup(ctx context.Context, in *dynamodbapi.DeleteBackupInput) (*dynamodbapi.DeleteBackupOutput, error) {
	var b *backupMeta
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		var err error
		if b, err = loadBackup(tx, deref(in.BackupArn)); err != nil {
			return err
		}
		key, _ := backupKey(b.ARN)
		return tx.Delete(tableBackups, key)
	})
	if err != nil {
		return nil, err
	}
	if err := s.db.Blobs().Delete(b.Blob); err != nil {
		s.log.Warn("dynamodb: deleting a backup's snapshot", "backup", b.ARN, "err", err)
	}
	d := b.description()
	d.BackupDetails.BackupStatus = ptr(backupDeleted)
	return &dynamodbapi.DeleteBackupOutput{BackupDescription: d}, nil
}

// ListBackups lists the backups of the account and region, or of one
// table, optionally in a creation time range [lower, upper).
func (s *Service) ListBackups(ctx context.Context, in *dynamodbapi.ListBackupsInput) (*dynamodbapi.ListBackupsOutput, error) {
	info := request.FromContext(ctx)
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	prefix := metaKey(info.Account, info.Region, "")
	if in.TableName != nil {
		ref := refOf(info, *in.TableName)
		t := tableMeta{Account: ref.account, Region: ref.region, Name: ref.name}
		prefix = metaKey(ref.account, ref.region, t.arn()+"/backup/")
	}
	r := storage.Range{Prefix: prefix}
	if in.ExclusiveStartBackupArn != nil {
		after, err := backupKey(*in.ExclusiveStartBackupArn)
		if err != nil {
			return nil, err
		}
		r.After = after
	}
	typ := deref(in.BackupType)
	out := &dynamodbapi.ListBackupsOutput{BackupSummaries: []dynamodbapi.BackupSummary{}}
	more := false
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var derr error
		err := tx.Scan(tableBackups, r, func(_, v []byte) bool {
			var b backupMeta
			if derr = json.Unmarshal(v, &b); derr != nil {
				return false
			}
			switch {
			case typ != "" && typ != "ALL" && typ != b.Type,
				in.TimeRangeLowerBound != nil && b.Created.Before(*in.TimeRangeLowerBound),
				in.TimeRangeUpperBound != nil && !b.Created.Before(*in.TimeRangeUpperBound):
				return true
			}
			if len(out.BackupSummaries) == limit {
				more = true
				return false
			}
			out.BackupSummaries = append(out.BackupSummaries, b.summary())
			return true
		})
		if err != nil {
			return err
		}
		return derr
	})
	if err != nil {
		return nil, err
	}
	if more {
		out.LastEvaluatedBackupArn = out.BackupSummaries[len(out.BackupSummaries)-1].BackupArn
	}
	return out, nil
}
