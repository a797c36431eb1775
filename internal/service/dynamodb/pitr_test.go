package dynamodb

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

func enablePITR(t *testing.T, s *Service, table string, days *int32) *dynamodbapi.PointInTimeRecoveryDescription {
	t.Helper()
	out, err := s.UpdateContinuousBackups(bg, &dynamodbapi.UpdateContinuousBackupsInput{TableName: ptr(table),
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: ptr(true), RecoveryPeriodInDays: days}})
	if err != nil {
		t.Fatal(err)
	}
	return out.ContinuousBackupsDescription.PointInTimeRecoveryDescription
}

func disablePITR(t *testing.T, s *Service, table string) {
	t.Helper()
	_, err := s.UpdateContinuousBackups(bg, &dynamodbapi.UpdateContinuousBackupsInput{TableName: ptr(table),
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: ptr(false)}})
	if err != nil {
		t.Fatal(err)
	}
}

// tableContents renders a table's items sorted, as "id=v" pairs.
func tableContents(t *testing.T, s *Service, table string) string {
	t.Helper()
	out, err := s.Scan(bg, &dynamodbapi.ScanInput{TableName: ptr(table)})
	if err != nil {
		t.Fatal(err)
	}
	var l []string
	for _, it := range out.Items {
		v := "-"
		if x, ok := it["v"]; ok {
			v = deref(x.S)
		}
		l = append(l, deref(it["id"].S)+"="+v)
	}
	sort.Strings(l)
	return strings.Join(l, " ")
}

func item(id, v string) attr.Item { return attr.Item{"id": sv(id), "v": sv(v), "g": sv("all")} }

// TestRestoreToPointInTime plays a history of writes of every kind and
// restores the table at each moment of it.
func TestRestoreToPointInTime(t *testing.T) {
	s, clock := newClockService(t)
	in := onDemand("Src", ks("id"), defs("id", "S", "g", "S"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byG"), KeySchema: ks("g", "id"), Projection: projAllOf()}}
	mustCreate(t, s, in)
	enableTTL(t, s, "Src", "exp")
	put(t, s, "Src", item("a", "0"))
	put(t, s, "Src", item("gone", "0"))
	clock.advance(time.Hour)
	t0 := clock.now()
	enablePITR(t, s, "Src", nil)

	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	step := func(m int) { clock.advance(at(m).Sub(clock.now())) }
	del := func(id string) {
		if _, err := s.DeleteItem(bg, &dynamodbapi.DeleteItemInput{TableName: ptr("Src"), Key: attr.Item{"id": sv(id)}}); err != nil {
			t.Fatal(err)
		}
	}
	step(1)
	put(t, s, "Src", item("a", "1"))
	put(t, s, "Src", item("b", "1"))
	del("gone")
	step(2)
	del("a")
	c := item("c", "1")
	c["exp"] = nv(fmt.Sprint(at(3).Unix() + 30))
	put(t, s, "Src", c)
	step(3)
	// Two writes of one item at one instant: the older image counts.
	put(t, s, "Src", item("b", "2"))
	put(t, s, "Src", item("b", "3"))
	if _, err := batchWriteReq(s, map[string][]dynamodbapi.WriteRequest{"Src": {putReq(item("d", "1")), putReq(item("e", "1"))}}); err != nil {
		t.Fatal(err)
	}
	if _, err := transact(s, "", txDelete("Src", id("e")), txPut("Src", item("f", "1"), "", nil)); err != nil {
		t.Fatal(err)
	}
	step(4)
	if n, err := s.ExpireItems(bg); err != nil || n != 1 {
		t.Fatalf("expired %d, %v", n, err)
	}
	step(30)
	// What is there now, and was before the history started.
	for _, id := range []string{"z1", "z2"} {
		put(t, s, "Src", item(id, "1"))
	}

	tests := []struct {
		name   string
		when   *time.Time
		latest bool
		want   string
		err    string
	}{
		{name: "when enabled", when: ptr(t0), want: "a=0 gone=0"},
		{name: "first writes", when: ptr(at(1)), want: "a=1 b=1"},
		{name: "between", when: ptr(at(1).Add(30 * time.Second)), want: "a=1 b=1"},
		{name: "deleted and added", when: ptr(at(2)), want: "b=1 c=1"},
		{name: "same instant, batch, transaction", when: ptr(at(3)), want: "b=3 c=1 d=1 f=1"},
		{name: "expired", when: ptr(at(4)), want: "b=3 d=1 f=1"},
		{name: "latest restorable", latest: true, want: "b=3 d=1 f=1 z1=1 z2=1"},
		{name: "neither: latest", want: "b=3 d=1 f=1 z1=1 z2=1"},
		{name: "before the last writes", when: ptr(at(25)), want: "b=3 d=1 f=1"},
		{name: "latest by time", when: ptr(at(30)), want: "b=3 d=1 f=1 z1=1 z2=1"},
		{name: "millisecond of latest", when: ptr(at(30).Add(999 * time.Microsecond)), want: "b=3 d=1 f=1 z1=1 z2=1"},
		{name: "before enabled", when: ptr(t0.Add(-time.Second)), err: "InvalidRestoreTimeException"},
		{name: "too recent", when: ptr(at(30).Add(time.Millisecond)), err: "InvalidRestoreTimeException"},
		{name: "future", when: ptr(at(40)), err: "InvalidRestoreTimeException"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := fmt.Sprint("Dst", i)
			in := &dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr("Src"), TargetTableName: ptr(target), RestoreDateTime: tc.when}
			if tc.latest {
				in.UseLatestRestorableTime = ptr(true)
			}
			out, err := s.RestoreTableToPointInTime(bg, in)
			if tc.err != "" {
				wantErr(t, err, tc.err, "RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := at(30)
			if tc.when != nil {
				want = *tc.when
			}
			if got := *out.TableDescription.RestoreSummary.RestoreDateTime; !got.Equal(want) {
				t.Fatalf("RestoreDateTime %v, want %v", got, want)
			}
			if got := tableContents(t, s, target); got != tc.want {
				t.Fatalf("restored %q, want %q", got, tc.want)
			}
			d := mustDescribe(t, s, target)
			n := int64(strings.Count(tc.want, "="))
			if *d.ItemCount != n || *d.GlobalSecondaryIndexes[0].ItemCount != n {
				t.Fatalf("counts %d/%d, want %d", *d.ItemCount, *d.GlobalSecondaryIndexes[0].ItemCount, n)
			}
		})
	}
}

func TestContinuousBackupsWindow(t *testing.T) {
	s, clock := newClockService(t)
	mustCreate(t, s, onDemand("Window", ks("id"), defs("id", "S")))
	enabled := clock.now()
	days := func(n int32) *int32 { return &n }
	tests := []struct {
		name             string
		advance          time.Duration
		period           *int32
		earliest, latest time.Time
		days             int32
	}{
		{name: "just enabled", earliest: enabled, latest: enabled, days: 35},
		{name: "an hour later", advance: time.Hour, earliest: enabled, latest: enabled.Add(time.Hour), days: 35},
		{name: "past the period", advance: 40 * 24 * time.Hour, earliest: enabled.Add(5*24*time.Hour + time.Hour), latest: enabled.Add(40*24*time.Hour + time.Hour), days: 35},
		{name: "period shortened", period: days(7), earliest: enabled.Add(33*24*time.Hour + time.Hour), latest: enabled.Add(40*24*time.Hour + time.Hour), days: 7},
	}
	for _, tc := range tests {
		clock.advance(tc.advance)
		p := enablePITR(t, s, "Window", tc.period)
		if !p.EarliestRestorableDateTime.Equal(tc.earliest) || !p.LatestRestorableDateTime.Equal(tc.latest) || *p.RecoveryPeriodInDays != tc.days || *p.PointInTimeRecoveryStatus != "ENABLED" {
			t.Fatalf("%s: earliest %v latest %v days %d, want %v %v %d", tc.name, p.EarliestRestorableDateTime, p.LatestRestorableDateTime, *p.RecoveryPeriodInDays, tc.earliest, tc.latest, tc.days)
		}
		out, err := s.DescribeContinuousBackups(bg, &dynamodbapi.DescribeContinuousBackupsInput{TableName: ptr("Window")})
		if err != nil || !out.ContinuousBackupsDescription.PointInTimeRecoveryDescription.EarliestRestorableDateTime.Equal(tc.earliest) {
			t.Fatalf("%s: DescribeContinuousBackups %+v, %v", tc.name, out, err)
		}
	}
}

// historyEntries counts the entries of a table's history.
func historyEntries(t *testing.T, s *Service, id uint64) int {
	t.Helper()
	n := 0
	err := s.db.View(bg, func(tx storage.Tx) error {
		return tx.Scan(itemsTable(id), storage.Range{Prefix: appendUint64(nil, id)}, func(_, _ []byte) bool { n++; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func pitrOf(t *testing.T, s *Service, table string) pitrMeta {
	t.Helper()
	var p pitrMeta
	err := s.db.View(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref(table), errNoResource)
		if err == nil {
			p = tm.PITR
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHistoryTrimmedToPeriod(t *testing.T) {
	s, clock := newClockService(t)
	mustCreate(t, s, onDemand("Trim", ks("id"), defs("id", "S")))
	enablePITR(t, s, "Trim", ptr(int32(1)))
	hist := pitrOf(t, s, "Trim").History
	for i := range 5 {
		put(t, s, "Trim", item(fmt.Sprint(i), "old"))
	}
	clock.advance(20 * time.Hour)
	put(t, s, "Trim", item("0", "new"))
	if n := historyEntries(t, s, hist); n != 6 {
		t.Fatalf("%d history entries, want 6", n)
	}
	clock.advance(5 * time.Hour)
	if err := s.trimHistories(bg); err != nil {
		t.Fatal(err)
	}
	if n := historyEntries(t, s, hist); n != 1 {
		t.Fatalf("%d history entries after the trim, want 1", n)
	}
	// The earliest restorable time still restores right.
	p := enablePITR(t, s, "Trim", ptr(int32(1)))
	if _, err := s.RestoreTableToPointInTime(bg, &dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr("Trim"), TargetTableName: ptr("Back"),
		RestoreDateTime: p.EarliestRestorableDateTime}); err != nil {
		t.Fatal(err)
	}
	if got := tableContents(t, s, "Back"); got != "0=old 1=old 2=old 3=old 4=old" {
		t.Fatalf("restored %q", got)
	}
}

// Turning recovery off drops the history; turning it on again starts a
// new one, restorable from then on only. Deleting the table drops it too.
func TestHistoryDropped(t *testing.T) {
	s, clock := newClockService(t)
	mustCreate(t, s, onDemand("Drop", ks("id"), defs("id", "S")))
	enablePITR(t, s, "Drop", nil)
	first := pitrOf(t, s, "Drop").History
	put(t, s, "Drop", item("a", "1"))
	disablePITR(t, s, "Drop")
	s.purge(bg)
	if n := historyEntries(t, s, first); n != 0 || pitrOf(t, s, "Drop") != (pitrMeta{}) {
		t.Fatalf("%d entries left, %+v", n, pitrOf(t, s, "Drop"))
	}
	clock.advance(time.Hour)
	p := enablePITR(t, s, "Drop", nil)
	second := pitrOf(t, s, "Drop").History
	if second == first || !p.EarliestRestorableDateTime.Equal(clock.now()) {
		t.Fatalf("history %d after %d, earliest %v", second, first, p.EarliestRestorableDateTime)
	}
	put(t, s, "Drop", item("a", "2"))
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Drop")}); err != nil {
		t.Fatal(err)
	}
	s.purge(bg)
	if n := historyEntries(t, s, second); n != 0 {
		t.Fatalf("%d entries left of a deleted table's history", n)
	}
}

// countingStore counts the reads and writes of every transaction.
type countingStore struct {
	storage.Backend
	mu  sync.Mutex
	ops map[string]int
}

type countingTx struct {
	storage.Tx
	c *countingStore
}

func (c *countingStore) count(op, table string) {
	c.mu.Lock()
	c.ops[op+" "+strings.TrimRight(table, "0123456789abcdef.")]++
	c.mu.Unlock()
}

func (c *countingStore) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	return c.Backend.Update(ctx, func(tx storage.Tx) error { return fn(countingTx{tx, c}) })
}

func (t countingTx) Get(table string, key []byte) ([]byte, error) {
	t.c.count("get", table)
	return t.Tx.Get(table, key)
}

func (t countingTx) Put(table string, key, value []byte) error {
	t.c.count("put", table)
	return t.Tx.Put(table, key, value)
}

func (t countingTx) Delete(table string, key []byte) error {
	t.c.count("delete", table)
	return t.Tx.Delete(table, key)
}

func (c *countingStore) take() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var l []string
	for k, n := range c.ops {
		l = append(l, fmt.Sprint(k, ":", n))
	}
	sort.Strings(l)
	c.ops = map[string]int{}
	return strings.Join(l, " ")
}

// A write pays for the history only while recovery is on.
func TestHistoryCostsNothingWhenOff(t *testing.T) {
	s := newTestService(t)
	cs := &countingStore{Backend: s.db, ops: map[string]int{}}
	s.db = cs
	mustCreate(t, s, onDemand("Cost", ks("id"), defs("id", "S")))
	putOps := func(id string) string {
		cs.take()
		put(t, s, "Cost", item(id, "1"))
		return cs.take()
	}
	const off = "get ddb.items:1 get ddb.stats:1 get ddb.tables:1 put ddb.items:1 put ddb.stats:1"
	const on = "get ddb.items:2 get ddb.stats:1 get ddb.tables:1 put ddb.items:2 put ddb.stats:1"
	if got := putOps("a"); got != off {
		t.Fatalf("without recovery: %s", got)
	}
	enablePITR(t, s, "Cost", nil)
	if got := putOps("b"); got != on {
		t.Fatalf("with recovery: %s", got)
	}
	disablePITR(t, s, "Cost")
	s.workers.Wait() // the purge of the history
	if got := putOps("c"); got != off {
		t.Fatalf("recovery turned off: %s", got)
	}
}

func TestRestoreToPointInTimeOverrides(t *testing.T) {
	s, clock := newClockService(t)
	in := onDemand("Over", ks("id"), defs("id", "S", "g", "S"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byG"), KeySchema: ks("g"), Projection: projAllOf()}}
	mustCreate(t, s, in)
	enablePITR(t, s, "Over", nil)
	put(t, s, "Over", item("a", "1"))
	clock.advance(10 * time.Minute)
	tests := []struct {
		name  string
		in    dynamodbapi.RestoreTableToPointInTimeInput
		check func(d *dynamodbapi.TableDescription) string
		err   string
	}{
		{name: "by ARN, as is", in: dynamodbapi.RestoreTableToPointInTimeInput{SourceTableArn: ptr("arn:aws:dynamodb:us-east-1:000000000000:table/Over")},
			check: func(d *dynamodbapi.TableDescription) string {
				return fmt.Sprint(*d.BillingModeSummary.BillingMode, " ", len(d.GlobalSecondaryIndexes), " ", *d.RestoreSummary.SourceTableArn)
			}},
		{name: "provisioned, no index, KMS", in: dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr("Over"),
			BillingModeOverride:           ptr("PROVISIONED"),
			ProvisionedThroughputOverride: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(int64(3)), WriteCapacityUnits: ptr(int64(4))},
			GlobalSecondaryIndexOverride:  []dynamodbapi.GlobalSecondaryIndex{},
			SSESpecificationOverride:      &dynamodbapi.SSESpecification{Enabled: ptr(true)}},
			check: func(d *dynamodbapi.TableDescription) string {
				return fmt.Sprint(*d.ProvisionedThroughput.ReadCapacityUnits, *d.ProvisionedThroughput.WriteCapacityUnits, " ", len(d.GlobalSecondaryIndexes), " ", *d.SSEDescription.SSEType)
			}},
		{name: "unknown index attribute", in: dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr("Over"),
			GlobalSecondaryIndexOverride: []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byZ"), KeySchema: ks("z"), Projection: projAllOf()}}},
			err: "ValidationException"},
		{name: "no source", in: dynamodbapi.RestoreTableToPointInTimeInput{}, err: "ValidationException"},
	}
	wants := []string{"PAY_PER_REQUEST 1 arn:aws:dynamodb:us-east-1:000000000000:table/Over", "3 4 0 KMS"}
	for i, tc := range tests {
		tc.in.TargetTableName = ptr(fmt.Sprint("Restored", i))
		tc.in.UseLatestRestorableTime = ptr(true)
		out, err := s.RestoreTableToPointInTime(bg, &tc.in)
		if tc.err != "" {
			wantErr(t, err, tc.err, "")
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := tc.check(out.TableDescription); got != wants[i] {
			t.Fatalf("%s: %s, want %s", tc.name, got, wants[i])
		}
		if got := tableContents(t, s, *tc.in.TargetTableName); got != "a=1" {
			t.Fatalf("%s: restored %q", tc.name, got)
		}
	}
}
