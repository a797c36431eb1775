package e2e

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/gateway"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/protocol/awsjson"
	ddbsvc "github.com/nimbus-cloud/nimbus/internal/service/dynamodb"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// pitrClock is a clock the test moves: point-in-time recovery works in
// minutes and days, which a test cannot wait for.
type pitrClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *pitrClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *pitrClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// pitrCloud serves DynamoDB alone on 127.0.0.1 with the given clock,
// through the same gateway and codec as Nimbus.
func pitrCloud(t *testing.T, clock *pitrClock) (*dynamodb.Client, *ddbsvc.Service) {
	t.Helper()
	return ddbAlone(t, ddbsvc.Deps{Now: clock.now})
}

// ddbAlone serves DynamoDB alone on 127.0.0.1, on an ephemeral store,
// with the given dependencies (the store aside), through the same gateway
// and codec as Nimbus: for settings nimbus.Start does not offer.
func ddbAlone(t *testing.T, deps ddbsvc.Deps) (*dynamodb.Client, *ddbsvc.Service) {
	t.Helper()
	db, err := engine.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	deps.Store = db
	svc := ddbsvc.New(deps)
	svc.Start()
	gw := gateway.New(gateway.Config{
		Services: []gateway.Service{{Model: dynamodbapi.Service, Handlers: dynamodbapi.Handlers(svc)}},
		Codecs:   []protocol.Codec{awsjson.Codec{}},
	})
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
		db.Close()
	})
	return dynamodb.NewFromConfig(awsConfig(srv.URL)), svc
}

func TestDynamoDBPointInTimeRestore(t *testing.T) {
	start := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := &pitrClock{t: start}
	c, svc := pitrCloud(t, clock)
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }

	createTable(t, c, &dynamodb.CreateTableInput{
		TableName: aws.String("Ledger"), AttributeDefinitions: attrDefs("id", "S"), KeySchema: keySchema("id"),
	})
	if _, err := c.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Ledger"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.RestoreTableToPointInTime(ctx(t), &dynamodb.RestoreTableToPointInTimeInput{SourceTableName: aws.String("Ledger"),
		TargetTableName: aws.String("Never"), UseLatestRestorableTime: aws.Bool(true)})
	var unavailable *types.PointInTimeRecoveryUnavailableException
	if !errors.As(err, &unavailable) {
		t.Fatalf("restore without recovery: %v", err)
	}
	upd, err := c.UpdateContinuousBackups(ctx(t), &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("Ledger"),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if p := upd.ContinuousBackupsDescription.PointInTimeRecoveryDescription; p.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled ||
		aws.ToInt32(p.RecoveryPeriodInDays) != 35 || !aws.ToTime(p.EarliestRestorableDateTime).Equal(start) {
		t.Fatalf("UpdateContinuousBackups: %+v", p)
	}

	put := func(id, v string, extra ...types.AttributeValue) {
		t.Helper()
		item := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}, "v": &types.AttributeValueMemberS{Value: v}}
		if len(extra) > 0 {
			item["exp"] = extra[0]
		}
		if _, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Ledger"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	clock.set(at(1))
	put("a", "1")
	put("b", "1")
	put("t", "1", &types.AttributeValueMemberN{Value: fmt.Sprint(at(3).Unix())})
	recorded := at(2)
	clock.set(at(3))
	put("a", "2")
	if _, err := c.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("Ledger"),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "b"}}}); err != nil {
		t.Fatal(err)
	}
	put("c", "1")
	clock.set(at(4))
	if n, err := svc.ExpireItems(ctx(t)); err != nil || n != 1 {
		t.Fatalf("expired %d items, %v", n, err)
	}
	clock.set(at(20))
	put("d", "1") // the latest restorable time is now: this write is in

	desc, err := c.DescribeContinuousBackups(ctx(t), &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("Ledger")})
	if err != nil {
		t.Fatal(err)
	}
	p := desc.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if !aws.ToTime(p.EarliestRestorableDateTime).Equal(start) || !aws.ToTime(p.LatestRestorableDateTime).Equal(at(20)) {
		t.Fatalf("window %v .. %v", p.EarliestRestorableDateTime, p.LatestRestorableDateTime)
	}

	out, err := c.RestoreTableToPointInTime(ctx(t), &dynamodb.RestoreTableToPointInTimeInput{SourceTableName: aws.String("Ledger"),
		TargetTableName: aws.String("LedgerThen"), RestoreDateTime: aws.Time(recorded)})
	if err != nil {
		t.Fatal(err)
	}
	rs := out.TableDescription.RestoreSummary
	if !aws.ToTime(rs.RestoreDateTime).Equal(recorded) || !strings.HasSuffix(aws.ToString(rs.SourceTableArn), ":table/Ledger") {
		t.Fatalf("RestoreSummary %+v", rs)
	}
	if got := scanPairs(t, c, "LedgerThen"); got != "a=1 b=1 t=1" {
		t.Fatalf("restored at the recorded time: %s", got)
	}

	// By ARN, at the latest restorable time, as provisioned.
	out, err = c.RestoreTableToPointInTime(ctx(t), &dynamodb.RestoreTableToPointInTimeInput{
		SourceTableArn: aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/Ledger"), TargetTableName: aws.String("LedgerNow"),
		UseLatestRestorableTime: aws.Bool(true), BillingModeOverride: types.BillingModeProvisioned,
		ProvisionedThroughputOverride: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(2), WriteCapacityUnits: aws.Int64(3)}})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToTime(out.TableDescription.RestoreSummary.RestoreDateTime).Equal(at(20)) ||
		aws.ToInt64(out.TableDescription.ProvisionedThroughput.WriteCapacityUnits) != 3 {
		t.Fatalf("latest restore: %+v %+v", out.TableDescription.RestoreSummary, out.TableDescription.ProvisionedThroughput)
	}
	if got := scanPairs(t, c, "LedgerNow"); got != "a=2 c=1 d=1" {
		t.Fatalf("restored at the latest time: %s", got)
	}

	for _, when := range []time.Time{start.Add(-time.Second), at(20).Add(time.Second)} {
		_, err = c.RestoreTableToPointInTime(ctx(t), &dynamodb.RestoreTableToPointInTimeInput{SourceTableName: aws.String("Ledger"),
			TargetTableName: aws.String("LedgerBad"), RestoreDateTime: aws.Time(when)})
		var invalid *types.InvalidRestoreTimeException
		if !errors.As(err, &invalid) {
			t.Fatalf("restore at %v: %v", when, err)
		}
	}
}

// scanPairs renders a table's items as sorted id=v pairs.
func scanPairs(t *testing.T, c *dynamodb.Client, table string) string {
	t.Helper()
	out, err := c.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	var l []string
	for _, it := range out.Items {
		id := it["id"].(*types.AttributeValueMemberS).Value
		v := it["v"].(*types.AttributeValueMemberS).Value
		l = append(l, id+"="+v)
	}
	sort.Strings(l)
	return strings.Join(l, " ")
}
