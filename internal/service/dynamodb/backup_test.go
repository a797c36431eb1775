package dynamodb

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

func createBackup(t *testing.T, s *Service, table, name string) *dynamodbapi.BackupDetails {
	t.Helper()
	out, err := s.CreateBackup(bg, &dynamodbapi.CreateBackupInput{TableName: ptr(table), BackupName: ptr(name)})
	if err != nil {
		t.Fatalf("CreateBackup %s: %v", table, err)
	}
	return out.BackupDetails
}

func restoreFrom(s *Service, arn, target string) (*dynamodbapi.TableDescription, error) {
	out, err := s.RestoreTableFromBackup(bg, &dynamodbapi.RestoreTableFromBackupInput{BackupArn: ptr(arn), TargetTableName: ptr(target)})
	if err != nil {
		return nil, err
	}
	return out.TableDescription, nil
}

func TestBackupAndRestore(t *testing.T) {
	s, clock := newClockService(t)
	indexedTable(t, s, "Orders")
	enableTTL(t, s, "Orders", "exp")
	// More items than one restore transaction takes.
	for i := range restoreBatch + 500 {
		writeRaw(t, s, "Orders", nil, attr.Item{"pk": sv(fmt.Sprint("p", i%7)), "sk": sv(fmt.Sprintf("%05d", i)), "g": sv(fmt.Sprint("g", i%3)), "l": nv(fmt.Sprint(i))})
	}
	src := mustDescribe(t, s, "Orders")

	details := createBackup(t, s, "Orders", "nightly")
	if *details.BackupStatus != "CREATING" || *details.BackupType != "USER" || *details.BackupSizeBytes != *src.TableSizeBytes ||
		len(*details.BackupArn) < 37 {
		t.Fatalf("CreateBackup %+v", details)
	}
	arn := *details.BackupArn

	// Changes after the backup are not in it.
	put(t, s, "Orders", attr.Item{"pk": sv("late"), "sk": sv("0")})
	clock.advance(time.Minute)

	d, err := s.DescribeBackup(bg, &dynamodbapi.DescribeBackupInput{BackupArn: ptr(arn)})
	if err != nil {
		t.Fatal(err)
	}
	bd := d.BackupDescription
	if *bd.BackupDetails.BackupStatus != "AVAILABLE" || *bd.SourceTableDetails.ItemCount != *src.ItemCount || *bd.SourceTableDetails.TableName != "Orders" ||
		len(bd.SourceTableFeatureDetails.GlobalSecondaryIndexes) != 2 || len(bd.SourceTableFeatureDetails.LocalSecondaryIndexes) != 1 ||
		*bd.SourceTableFeatureDetails.TimeToLiveDescription.TimeToLiveStatus != "ENABLED" || bd.SourceTableFeatureDetails.StreamDescription == nil {
		t.Fatalf("DescribeBackup %+v %+v", bd.SourceTableDetails, bd.SourceTableFeatureDetails)
	}

	rd, err := restoreFrom(s, arn, "OrdersCopy")
	if err != nil {
		t.Fatal(err)
	}
	if *rd.TableStatus != "CREATING" || !*rd.RestoreSummary.RestoreInProgress || *rd.RestoreSummary.SourceBackupArn != arn {
		t.Fatalf("restore answer %+v %+v", rd.TableStatus, rd.RestoreSummary)
	}
	got := mustDescribe(t, s, "OrdersCopy")
	if *got.TableStatus != "ACTIVE" || *got.ItemCount != *src.ItemCount || *got.TableSizeBytes != *src.TableSizeBytes ||
		*got.RestoreSummary.RestoreInProgress || *got.RestoreSummary.SourceTableArn != *src.TableArn || got.StreamSpecification != nil {
		t.Fatalf("restored table %+v", got)
	}
	for i, ix := range got.GlobalSecondaryIndexes {
		if *ix.ItemCount != *src.GlobalSecondaryIndexes[i].ItemCount || *ix.IndexSizeBytes != *src.GlobalSecondaryIndexes[i].IndexSizeBytes {
			t.Fatalf("index %s: %d items, source %d", *ix.IndexName, *ix.ItemCount, *src.GlobalSecondaryIndexes[i].ItemCount)
		}
	}
	if *got.LocalSecondaryIndexes[0].ItemCount != *src.LocalSecondaryIndexes[0].ItemCount {
		t.Fatal("local index not restored")
	}
	q, err := s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("OrdersCopy"), IndexName: ptr("byG"), KeyConditionExpression: ptr("g = :g"),
		ExpressionAttributeValues: attr.Item{":g": sv("g1")}, Select: ptr("COUNT")})
	if err != nil || *q.Count != 500 {
		t.Fatalf("query of the restored index: %v %+v", err, q)
	}
	if it := get(t, s, "OrdersCopy", attr.Item{"pk": sv("late"), "sk": sv("0")}); it != nil {
		t.Fatal("the restore holds an item written after the backup")
	}
	ttl, _ := s.DescribeTimeToLive(bg, &dynamodbapi.DescribeTimeToLiveInput{TableName: ptr("OrdersCopy")})
	if *ttl.TimeToLiveDescription.TimeToLiveStatus != "DISABLED" {
		t.Fatal("time to live was restored")
	}

	_, err = restoreFrom(s, arn, "OrdersCopy")
	wantErr(t, err, "TableAlreadyExistsException", "Table already exists: OrdersCopy")
	// Another backup of the table: the ARN with its last character changed
	// (to "0", or "1" when it is "0" already).
	other := arn[:len(arn)-1] + "0"
	if other == arn {
		other = arn[:len(arn)-1] + "1"
	}
	_, err = restoreFrom(s, other, "Other")
	wantErr(t, err, "BackupNotFoundException", "Backup not found: ")

	// Backups outlive their table.
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Orders")}); err != nil {
		t.Fatal(err)
	}
	if _, err := restoreFrom(s, arn, "Orders"); err != nil {
		t.Fatal(err)
	}
	if d := mustDescribe(t, s, "Orders"); *d.ItemCount != *src.ItemCount {
		t.Fatalf("restored under the old name: %d items", *d.ItemCount)
	}

	del, err := s.DeleteBackup(bg, &dynamodbapi.DeleteBackupInput{BackupArn: ptr(arn)})
	if err != nil || *del.BackupDescription.BackupDetails.BackupStatus != "DELETED" {
		t.Fatalf("DeleteBackup %v %v", del, err)
	}
	_, err = s.DescribeBackup(bg, &dynamodbapi.DescribeBackupInput{BackupArn: ptr(arn)})
	wantErr(t, err, "BackupNotFoundException", "Backup not found: "+arn)
	_, err = s.CreateBackup(bg, &dynamodbapi.CreateBackupInput{TableName: ptr("Nope"), BackupName: ptr("bak")})
	wantErr(t, err, "TableNotFoundException", "Table not found: Nope")
	_, err = s.CreateBackup(bg, &dynamodbapi.CreateBackupInput{TableName: ptr("Orders"), BackupName: ptr("no spaces")})
	wantErr(t, err, "ValidationException", "at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern")
	_, err = restoreFrom(s, arn, "bad name")
	wantErr(t, err, "ValidationException", "at 'targetTableName' failed to satisfy constraint")
}

func TestRestoreOverrides(t *testing.T) {
	s := newTestService(t)
	indexedTable(t, s, "Src")
	for i := range 10 {
		put(t, s, "Src", attr.Item{"pk": sv("p"), "sk": sv(fmt.Sprint(i)), "g": sv("G"), "l": nv(fmt.Sprint(i))})
	}
	arn := *createBackup(t, s, "Src", "b").BackupArn
	out, err := s.RestoreTableFromBackup(bg, &dynamodbapi.RestoreTableFromBackupInput{
		BackupArn: ptr(arn), TargetTableName: ptr("Slim"),
		BillingModeOverride:           ptr("PROVISIONED"),
		ProvisionedThroughputOverride: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(int64(5)), WriteCapacityUnits: ptr(int64(6))},
		GlobalSecondaryIndexOverride:  []dynamodbapi.GlobalSecondaryIndex{},
		SSESpecificationOverride:      &dynamodbapi.SSESpecification{Enabled: ptr(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := mustDescribe(t, s, "Slim")
	if len(d.GlobalSecondaryIndexes) != 0 || len(d.LocalSecondaryIndexes) != 1 || *d.ProvisionedThroughput.WriteCapacityUnits != 6 ||
		d.SSEDescription == nil || *d.ItemCount != 10 || len(out.TableDescription.AttributeDefinitions) != 3 {
		t.Fatalf("restored with overrides: %+v", d)
	}
	// An override that names an attribute the table does not define.
	_, err = s.RestoreTableFromBackup(bg, &dynamodbapi.RestoreTableFromBackupInput{BackupArn: ptr(arn), TargetTableName: ptr("Bad"),
		GlobalSecondaryIndexOverride: []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byZ"), KeySchema: ks("z"), Projection: projAllOf()}}})
	wantErr(t, err, "ValidationException", "")
	if _, err := s.DescribeTable(bg, &dynamodbapi.DescribeTableInput{TableName: ptr("Bad")}); err == nil {
		t.Fatal("a refused restore created its table")
	}
}

func TestListBackups(t *testing.T) {
	s, clock := newClockService(t)
	mustCreate(t, s, onDemand("Alpha", ks("id"), defs("id", "S")))
	mustCreate(t, s, onDemand("Beta", ks("id"), defs("id", "S")))
	start := clock.now()
	var alpha []string
	for i := range 3 {
		alpha = append(alpha, *createBackup(t, s, "Alpha", fmt.Sprint("a", i)).BackupArn)
		clock.advance(time.Hour)
	}
	createBackup(t, s, "Beta", "b0")
	list := func(in *dynamodbapi.ListBackupsInput) []string {
		t.Helper()
		out, err := s.ListBackups(bg, in)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range out.BackupSummaries {
			names = append(names, *b.BackupName)
		}
		return names
	}
	if got := fmt.Sprint(list(&dynamodbapi.ListBackupsInput{})); got != "[a0 a1 a2 b0]" {
		t.Fatalf("all: %s", got)
	}
	if got := fmt.Sprint(list(&dynamodbapi.ListBackupsInput{TableName: ptr("Alpha"), BackupType: ptr("USER")})); got != "[a0 a1 a2]" {
		t.Fatalf("Alpha: %s", got)
	}
	if got := fmt.Sprint(list(&dynamodbapi.ListBackupsInput{BackupType: ptr("SYSTEM")})); got != "[]" {
		t.Fatalf("SYSTEM: %s", got)
	}
	lower, upper := start.Add(time.Hour), start.Add(2*time.Hour)
	if got := fmt.Sprint(list(&dynamodbapi.ListBackupsInput{TimeRangeLowerBound: &lower, TimeRangeUpperBound: &upper})); got != "[a1]" {
		t.Fatalf("time range: %s", got)
	}
	var pages []string
	in := &dynamodbapi.ListBackupsInput{TableName: ptr("Alpha"), Limit: ptr(int32(2))}
	for {
		out, err := s.ListBackups(bg, in)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, fmt.Sprint(len(out.BackupSummaries)))
		if out.LastEvaluatedBackupArn == nil {
			break
		}
		in.ExclusiveStartBackupArn = out.LastEvaluatedBackupArn
	}
	if fmt.Sprint(pages) != "[2 1]" || *in.ExclusiveStartBackupArn != alpha[1] {
		t.Fatalf("pages %v", pages)
	}
}

func TestRestoreTableToPointInTime(t *testing.T) {
	s, clock := newClockService(t)
	mustCreate(t, s, onDemand("Live", ks("id"), defs("id", "S")))
	put(t, s, "Live", attr.Item{"id": sv("a")})
	pitr := func(in *dynamodbapi.RestoreTableToPointInTimeInput) error {
		_, err := s.RestoreTableToPointInTime(bg, in)
		return err
	}
	err := pitr(&dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr("Live"), TargetTableName: ptr("Then"), UseLatestRestorableTime: ptr(true)})
	wantErr(t, err, "PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'Live'")
	enabledAt := clock.now()
	if _, err := s.UpdateContinuousBackups(bg, &dynamodbapi.UpdateContinuousBackupsInput{TableName: ptr("Live"),
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: ptr(true)}}); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Hour)
	put(t, s, "Live", attr.Item{"id": sv("b")})
	before := enabledAt.Add(-time.Minute)
	err = pitr(&dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr("Live"), TargetTableName: ptr("Then"), RestoreDateTime: &before})
	wantErr(t, err, "InvalidRestoreTimeException", "")
	err = pitr(&dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr("Gone"), TargetTableName: ptr("Then"), UseLatestRestorableTime: ptr(true)})
	wantErr(t, err, "TableNotFoundException", "Table not found: Gone")
	err = pitr(&dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr("Live"), TargetTableName: ptr("Live"), UseLatestRestorableTime: ptr(true)})
	wantErr(t, err, "TableAlreadyExistsException", "Table already exists: Live")

	half := enabledAt.Add(30 * time.Minute)
	out, err := s.RestoreTableToPointInTime(bg, &dynamodbapi.RestoreTableToPointInTimeInput{
		SourceTableArn: ptr("arn:aws:dynamodb:us-east-1:000000000000:table/Live"), TargetTableName: ptr("Then"), RestoreDateTime: &half})
	if err != nil {
		t.Fatal(err)
	}
	// The table as it was then, before b.
	if !out.TableDescription.RestoreSummary.RestoreDateTime.Equal(half) || out.TableDescription.RestoreSummary.SourceBackupArn != nil {
		t.Fatalf("RestoreSummary %+v", out.TableDescription.RestoreSummary)
	}
	if d := mustDescribe(t, s, "Then"); *d.ItemCount != 1 {
		t.Fatalf("restored %d items", *d.ItemCount)
	}
}

// A restore that a crash interrupted is removed at the next start.
func TestAbandonedRestoreIsPurged(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Seed", ks("id"), defs("id", "S")))
	put(t, s, "Seed", attr.Item{"id": sv("a")})
	arn := *createBackup(t, s, "Seed", "b").BackupArn
	// Do what a restore does before its crash: claim the key spaces and
	// copy the items, but never publish the table.
	var b *backupMeta
	_ = s.db.View(bg, func(tx storage.Tx) error {
		var err error
		b, err = loadBackup(tx, arn)
		return err
	})
	tm, err := restoredTable(b.Table, "Never", restoreOverrides{}, request.FromContext(bg), s.now())
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(bg, func(tx storage.Tx) error {
		if tm.ID, err = nextID(tx); err != nil {
			return err
		}
		raw, _ := json.Marshal([]uint64{tm.ID})
		return tx.Put(tableRestores, statsKey(tm.ID), raw)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.copySnapshot(bg, tm, b.Blob); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		_ = s.db.View(bg, func(tx storage.Tx) error {
			return tx.Scan(itemsTable(tm.ID), storage.Range{Prefix: appendUint64(nil, tm.ID)}, func(_, _ []byte) bool { n++; return true })
		})
		return n
	}
	if count() != 1 {
		t.Fatal("the copy wrote nothing")
	}
	s.abandonRestores(bg)
	s.purge(bg)
	if n := count(); n != 0 {
		t.Fatalf("%d entries of the abandoned restore left", n)
	}
}
