package e2e

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nimbus-cloud/nimbus"
)

func ddbClient(cloud *nimbus.Instance) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsConfig(cloud.Endpoint))
}

// createTable creates a pay-per-request table and waits for it as SDK
// users do.
func createTable(t *testing.T, c *dynamodb.Client, in *dynamodb.CreateTableInput) *types.TableDescription {
	t.Helper()
	if in.BillingMode == "" && in.ProvisionedThroughput == nil {
		in.BillingMode = types.BillingModePayPerRequest
	}
	out, err := c.CreateTable(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateTable %s: %v", *in.TableName, err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := w.Wait(ctx(t), &dynamodb.DescribeTableInput{TableName: in.TableName}, 10*time.Second); err != nil {
		t.Fatalf("waiting for %s: %v", *in.TableName, err)
	}
	return out.TableDescription
}

func attrDefs(pairs ...string) []types.AttributeDefinition {
	var out []types.AttributeDefinition
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, types.AttributeDefinition{AttributeName: aws.String(pairs[i]), AttributeType: types.ScalarAttributeType(pairs[i+1])})
	}
	return out
}

func keySchema(hash string, rng ...string) []types.KeySchemaElement {
	out := []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}}
	if len(rng) > 0 {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(rng[0]), KeyType: types.KeyTypeRange})
	}
	return out
}

func wantDDBError(t *testing.T, err error, code, msg string) {
	t.Helper()
	wantAPIError(t, err, code)
	if msg != "" && !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %v does not say %q", err, msg)
	}
}

func TestDynamoDBSDKTables(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	created := createTable(t, c, &dynamodb.CreateTableInput{
		TableName:            aws.String("Orders"),
		AttributeDefinitions: attrDefs("customer", "S", "order", "N", "status", "S", "total", "N"),
		KeySchema:            keySchema("customer", "order"),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String("byStatus"), KeySchema: keySchema("status", "order"),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"total"}},
		}},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
			IndexName: aws.String("byTotal"), KeySchema: keySchema("customer", "total"),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage},
		Tags:                []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
	})
	if created.TableStatus != types.TableStatusCreating || created.LatestStreamArn == nil {
		t.Fatalf("CreateTable answered %s, stream %v", created.TableStatus, created.LatestStreamArn)
	}

	_, err := c.CreateTable(ctx(t), &dynamodb.CreateTableInput{
		TableName: aws.String("Orders"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: attrDefs("id", "S"), KeySchema: keySchema("id"),
	})
	wantDDBError(t, err, "ResourceInUseException", "Table already exists: Orders")
	_, err = c.CreateTable(ctx(t), &dynamodb.CreateTableInput{
		TableName: aws.String("Bad"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: attrDefs("id", "S", "extra", "N"), KeySchema: keySchema("id"),
	})
	wantDDBError(t, err, "ValidationException", "Some AttributeDefinitions are not used. AttributeDefinitions: [id, extra], keys used: [id]")

	d, err := c.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("Orders")})
	if err != nil {
		t.Fatal(err)
	}
	if d.Table.TableStatus != types.TableStatusActive || len(d.Table.GlobalSecondaryIndexes) != 1 || len(d.Table.LocalSecondaryIndexes) != 1 ||
		d.Table.BillingModeSummary.BillingMode != types.BillingModePayPerRequest || *d.Table.ItemCount != 0 {
		t.Fatalf("DescribeTable: %+v", d.Table)
	}

	for i := range 3 {
		createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String(fmt.Sprintf("Extra%d", i)), AttributeDefinitions: attrDefs("id", "S"), KeySchema: keySchema("id")})
	}
	var listed []string
	pages := dynamodb.NewListTablesPaginator(c, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, p.TableNames...)
	}
	if fmt.Sprint(listed) != "[Extra0 Extra1 Extra2 Orders]" {
		t.Fatalf("ListTables: %v", listed)
	}

	// Add a GSI to a table with items; it is usable once ACTIVE.
	for i := range 10 {
		_, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Extra0"), Item: map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}, "kind": &types.AttributeValueMemberS{Value: []string{"a", "b"}[i%2]},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.UpdateTable(ctx(t), &dynamodb.UpdateTableInput{
		TableName:            aws.String("Extra0"),
		AttributeDefinitions: attrDefs("kind", "S"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String("byKind"), KeySchema: keySchema("kind"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("Extra0"), IndexName: aws.String("byKind"),
		KeyConditionExpression: aws.String("kind = :k"), ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "a"}}})
	if err != nil || q.Count != 5 {
		t.Fatalf("query on the new index: %v %+v", err, q)
	}
	d, _ = c.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("Extra0")})
	if g := d.Table.GlobalSecondaryIndexes[0]; g.IndexStatus != types.IndexStatusActive || *g.ItemCount != 10 || *d.Table.ItemCount != 10 {
		t.Fatalf("index %s %d items, table %d items", g.IndexStatus, *g.ItemCount, *d.Table.ItemCount)
	}

	// Tags, time to live, deletion protection.
	arn := created.TableArn
	if _, err := c.TagResource(ctx(t), &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsOfResource(ctx(t), &dynamodb.ListTagsOfResourceInput{ResourceArn: arn})
	if err != nil || len(tags.Tags) != 2 {
		t.Fatalf("tags: %v %+v", err, tags)
	}
	if _, err := c.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Orders"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	ttl, err := c.DescribeTimeToLive(ctx(t), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("Orders")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Fatalf("ttl: %v %+v", err, ttl)
	}
	if _, err := c.UpdateTable(ctx(t), &dynamodb.UpdateTableInput{TableName: aws.String("Orders"), DeletionProtectionEnabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("Orders")})
	wantDDBError(t, err, "ValidationException", "protected against deletion")
	if _, err := c.UpdateTable(ctx(t), &dynamodb.UpdateTableInput{TableName: aws.String("Orders"), DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("Orders")}); err != nil {
		t.Fatal(err)
	}
	gone := dynamodb.NewTableNotExistsWaiter(c, func(o *dynamodb.TableNotExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := gone.Wait(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("Orders")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("Orders")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeTable after delete: %v", err)
	}
}

// order is a record as Go programs keep them in DynamoDB.
type order struct {
	Customer string            `dynamodbav:"customer"`
	Order    int               `dynamodbav:"order"`
	Total    float64           `dynamodbav:"total"`
	Big      string            `dynamodbav:"big,omitempty"`
	Tags     []string          `dynamodbav:"tags,stringset,omitempty"`
	Lines    []line            `dynamodbav:"lines"`
	Meta     map[string]string `dynamodbav:"meta"`
	Blob     []byte            `dynamodbav:"blob"`
	Paid     bool              `dynamodbav:"paid"`
	Note     *string           `dynamodbav:"note"`
	Version  int               `dynamodbav:"version"`
}

type line struct {
	SKU string `dynamodbav:"sku"`
	Qty int    `dynamodbav:"qty"`
}

func TestDynamoDBSDKItems(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Items"), AttributeDefinitions: attrDefs("customer", "S", "order", "N"), KeySchema: keySchema("customer", "order")})

	in := order{Customer: "alice", Order: 1, Total: 12.5, Tags: []string{"b", "a"}, Lines: []line{{"x", 2}, {"y", 1}},
		Meta: map[string]string{"src": "web"}, Blob: []byte{0, 1, 2}, Paid: true, Version: 1}
	av, err := attributevalue.MarshalMap(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Items"), Item: av}); err != nil {
		t.Fatal(err)
	}
	key := map[string]types.AttributeValue{"customer": &types.AttributeValueMemberS{Value: "alice"}, "order": &types.AttributeValueMemberN{Value: "1.0"}}
	got, err := c.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("Items"), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var out order
	if err := attributevalue.UnmarshalMap(got.Item, &out); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out.Tags)
	in.Tags = []string{"a", "b"}
	if fmt.Sprintf("%+v", out) != fmt.Sprintf("%+v", in) {
		t.Fatalf("round trip:\n%+v\n%+v", out, in)
	}

	// Update with the expression builder: SET, ADD, REMOVE, conditions.
	upd := expression.Set(expression.Name("total"), expression.Name("total").Plus(expression.Value(7.5))).
		Add(expression.Name("version"), expression.Value(1)).
		Set(expression.Name("lines[1].qty"), expression.Value(5)).
		Remove(expression.Name("meta.src"))
	cond := expression.Name("version").Equal(expression.Value(1))
	e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("Items"), Key: key,
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ReturnValues: types.ReturnValueUpdatedNew})
	if err != nil {
		t.Fatal(err)
	}
	var changed struct {
		Total   float64 `dynamodbav:"total"`
		Version int     `dynamodbav:"version"`
	}
	if err := attributevalue.UnmarshalMap(u.Attributes, &changed); err != nil || changed.Total != 20 || changed.Version != 2 {
		t.Fatalf("UPDATED_NEW %v %+v", err, u.Attributes)
	}

	// The same conditional update again fails, and returns the item.
	_, err = c.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("Items"), Key: key,
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || ccf.Item["version"].(*types.AttributeValueMemberN).Value != "2" {
		t.Fatalf("conditional failure: %v", err)
	}

	// Validation errors as AWS words them.
	_, err = c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Items"), Item: map[string]types.AttributeValue{"customer": &types.AttributeValueMemberS{Value: "bob"}}})
	wantDDBError(t, err, "ValidationException", "One or more parameter values were invalid: Missing the key order in the item")
	_, err = c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Items"), Item: map[string]types.AttributeValue{
		"customer": &types.AttributeValueMemberN{Value: "1"}, "order": &types.AttributeValueMemberN{Value: "1"}}})
	wantDDBError(t, err, "ValidationException", "One or more parameter values were invalid: Type mismatch for key customer expected: S actual: N")
	_, err = c.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("Items"), Key: map[string]types.AttributeValue{"customer": &types.AttributeValueMemberS{Value: "alice"}}})
	wantDDBError(t, err, "ValidationException", "The provided key element does not match the schema")
	_, err = c.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("Items"), Key: key, UpdateExpression: aws.String("SET customer = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: "x"}}})
	wantDDBError(t, err, "ValidationException", "Cannot update attribute customer. This attribute is part of the key")
	_, err = c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Items"), Item: av, ReturnValues: types.ReturnValueAllNew})
	wantDDBError(t, err, "ValidationException", "Return values set to invalid value")
	_, err = c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Items"), Item: av,
		ExpressionAttributeValues: map[string]types.AttributeValue{":unused": &types.AttributeValueMemberS{Value: "x"}}, ConditionExpression: aws.String("attribute_exists(customer)")})
	wantAPIError(t, err, "ValidationException")
	_, err = c.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("Nope"), Key: key})
	wantDDBError(t, err, "ResourceNotFoundException", "Requested resource not found")
	big := strings.Repeat("x", 400*1024)
	_, err = c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Items"), Item: map[string]types.AttributeValue{
		"customer": &types.AttributeValueMemberS{Value: "big"}, "order": &types.AttributeValueMemberN{Value: "1"}, "big": &types.AttributeValueMemberS{Value: big}}})
	wantDDBError(t, err, "ValidationException", "Item size has exceeded the maximum allowed size")

	// Capacity, ReturnValues on delete.
	p, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Items"), Item: av, ReturnValues: types.ReturnValueAllOld, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || p.Attributes["version"].(*types.AttributeValueMemberN).Value != "2" || *p.ConsumedCapacity.CapacityUnits != 1 {
		t.Fatalf("PutItem ALL_OLD: %v %+v", err, p)
	}
	del, err := c.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("Items"), Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil || del.Attributes["customer"].(*types.AttributeValueMemberS).Value != "alice" {
		t.Fatalf("DeleteItem ALL_OLD: %v %+v", err, del)
	}
	got, err = c.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("Items"), Key: key})
	if err != nil || got.Item != nil {
		t.Fatalf("after delete: %v %+v", err, got.Item)
	}
}

func TestDynamoDBSDKQueryScan(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	createTable(t, c, &dynamodb.CreateTableInput{
		TableName:            aws.String("Events"),
		AttributeDefinitions: attrDefs("device", "S", "ts", "N", "kind", "S"),
		KeySchema:            keySchema("device", "ts"),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String("byKind"), KeySchema: keySchema("kind", "ts"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
	})
	total := 0
	for d := range 4 {
		for ts := range 30 {
			item, _ := attributevalue.MarshalMap(map[string]any{
				"device": fmt.Sprint("dev", d), "ts": ts, "kind": []string{"boot", "tick", "tick"}[ts%3], "v": ts * d,
			})
			if _, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Events"), Item: item}); err != nil {
				t.Fatal(err)
			}
			total++
		}
	}

	// Key condition, filter and projection through the expression builder,
	// paged with Limit.
	kc := expression.Key("device").Equal(expression.Value("dev2")).And(expression.Key("ts").Between(expression.Value(5), expression.Value(24)))
	filt := expression.Name("v").GreaterThan(expression.Value(20))
	proj := expression.NamesList(expression.Name("ts"), expression.Name("v"))
	e, err := expression.NewBuilder().WithKeyCondition(kc).WithFilter(filt).WithProjection(proj).Build()
	if err != nil {
		t.Fatal(err)
	}
	var tss []int
	scanned, pages := 0, 0
	qp := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{TableName: aws.String("Events"), KeyConditionExpression: e.KeyCondition(),
		FilterExpression: e.Filter(), ProjectionExpression: e.Projection(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		Limit: aws.Int32(6), ScanIndexForward: aws.Bool(false)})
	for qp.HasMorePages() {
		page, err := qp.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		scanned += int(page.ScannedCount)
		var rows []struct {
			TS int `dynamodbav:"ts"`
			V  int `dynamodbav:"v"`
		}
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			tss = append(tss, r.TS)
		}
		if len(page.Items) > 0 && len(page.Items[0]) != 2 {
			t.Fatalf("projection kept %v", page.Items[0])
		}
	}
	// ts 5..24 is 20 items; v = 2*ts > 20 keeps ts 11..24, newest first.
	want := []int{}
	for ts := 24; ts >= 11; ts-- {
		want = append(want, ts)
	}
	if fmt.Sprint(tss) != fmt.Sprint(want) || scanned != 20 || pages < 4 {
		t.Fatalf("query: %v (scanned %d in %d pages)", tss, scanned, pages)
	}

	// The GSI: eventually consistent only, keys projected.
	_, err = c.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("Events"), IndexName: aws.String("byKind"), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("kind = :k"), ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "boot"}}})
	wantDDBError(t, err, "ValidationException", "Consistent reads are not supported on global secondary indexes")
	q, err := c.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("Events"), IndexName: aws.String("byKind"), Limit: aws.Int32(3),
		KeyConditionExpression: aws.String("kind = :k"), ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "boot"}}})
	if err != nil || len(q.Items) != 3 || len(q.Items[0]) != 3 || len(q.LastEvaluatedKey) != 3 {
		t.Fatalf("GSI query: %v %+v", err, q)
	}
	boots := 3
	for q.LastEvaluatedKey != nil {
		q, err = c.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("Events"), IndexName: aws.String("byKind"), Limit: aws.Int32(3), ExclusiveStartKey: q.LastEvaluatedKey,
			KeyConditionExpression: aws.String("kind = :k"), ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "boot"}}})
		if err != nil {
			t.Fatal(err)
		}
		boots += len(q.Items)
	}
	if boots != 40 {
		t.Fatalf("GSI paging found %d boots, want 40", boots)
	}

	// A parallel scan's segments cover the table exactly once.
	seen := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for seg := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sp := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String("Events"), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(4), Limit: aws.Int32(7)})
			for sp.HasMorePages() {
				page, err := sp.NextPage(ctx(t))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, it := range page.Items {
					seen[it["device"].(*types.AttributeValueMemberS).Value+"/"+it["ts"].(*types.AttributeValueMemberN).Value]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("parallel scan saw %d distinct items, want %d", len(seen), total)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", k, n)
		}
	}

	cnt, err := c.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("Events"), Select: types.SelectCount,
		FilterExpression: aws.String("kind = :k"), ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "tick"}}})
	if err != nil || cnt.Count != 80 || cnt.ScannedCount != 120 || cnt.Items != nil {
		t.Fatalf("Scan COUNT: %v %+v", err, cnt)
	}
}

// TestDynamoDBConditionalContention: many clients race to create the same
// item and to bump a counter; exactly one create wins and no increment is
// lost.
func TestDynamoDBConditionalContention(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Locks"), AttributeDefinitions: attrDefs("id", "S"), KeySchema: keySchema("id")})
	const workers = 16
	var wins, losses atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Locks"),
				Item:                map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "lock"}, "owner": &types.AttributeValueMemberN{Value: fmt.Sprint(w)}},
				ConditionExpression: aws.String("attribute_not_exists(id)")})
			var ccf *types.ConditionalCheckFailedException
			switch {
			case err == nil:
				wins.Add(1)
			case errors.As(err, &ccf):
				losses.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != workers-1 {
		t.Fatalf("%d winners, %d losers", wins.Load(), losses.Load())
	}

	const bumps = 10
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range bumps {
				// Optimistic locking: read the version, write it +1 on condition.
				for {
					g, err := c.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("Locks"), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "counter"}}})
					if err != nil {
						t.Error(err)
						return
					}
					cur := "0"
					cond := "attribute_not_exists(id)"
					vals := map[string]types.AttributeValue{}
					if g.Item != nil {
						cur = g.Item["n"].(*types.AttributeValueMemberN).Value
						cond = "n = :cur"
						vals[":cur"] = &types.AttributeValueMemberN{Value: cur}
					}
					var n int
					fmt.Sscan(cur, &n)
					vals[":next"] = &types.AttributeValueMemberN{Value: fmt.Sprint(n + 1)}
					_, err = c.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("Locks"),
						Key:              map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "counter"}},
						UpdateExpression: aws.String("SET n = :next"), ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals})
					var ccf *types.ConditionalCheckFailedException
					if errors.As(err, &ccf) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	g, err := c.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("Locks"), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "counter"}}})
	if err != nil || g.Item["n"].(*types.AttributeValueMemberN).Value != fmt.Sprint(workers*bumps) {
		t.Fatalf("counter: %v %+v", err, g.Item)
	}
}

func TestDynamoDBBoto3Client(t *testing.T) {
	boto3Cases(t, "dynamodb_client.py", "tables", "items", "query_scan", "errors")
}

func TestDynamoDBBoto3Resource(t *testing.T) {
	boto3Cases(t, "dynamodb_resource.py", "table_and_items", "batch_writer", "conditions")
}

// TestDynamoDBSurvivesRestart: tables, items and index entries are on disk.
func TestDynamoDBSurvivesRestart(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c := ddbClient(cloud)
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Durable"), AttributeDefinitions: attrDefs("id", "S", "g", "S"), KeySchema: keySchema("id"),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byG"), KeySchema: keySchema("g"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}})
	if _, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Durable"), Item: map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "1"}, "g": &types.AttributeValueMemberS{Value: "x"}}}); err != nil {
		t.Fatal(err)
	}
	cloud.Restart()
	c = ddbClient(cloud)
	q, err := c.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("Durable"), IndexName: aws.String("byG"),
		KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": &types.AttributeValueMemberS{Value: "x"}}})
	if err != nil || q.Count != 1 {
		t.Fatalf("after restart: %v %+v", err, q)
	}
	d, err := c.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("Durable")})
	if err != nil || *d.Table.ItemCount != 1 {
		t.Fatalf("DescribeTable after restart: %v %+v", err, d)
	}
}
