package e2e

import (
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nimbus-cloud/nimbus"
)

func sAttr(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func nAttr(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func TestDynamoDBSDKBatch(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Readings"), AttributeDefinitions: attrDefs("sensor", "S", "ts", "N"), KeySchema: keySchema("sensor", "ts")})
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Sensors"), AttributeDefinitions: attrDefs("id", "S"), KeySchema: keySchema("id")})

	type reading struct {
		Sensor string  `dynamodbav:"sensor"`
		TS     int     `dynamodbav:"ts"`
		Value  float64 `dynamodbav:"value"`
	}
	var writes []types.WriteRequest
	for i := range 23 {
		av, err := attributevalue.MarshalMap(reading{Sensor: fmt.Sprint("s", i%2), TS: i, Value: float64(i) / 2})
		if err != nil {
			t.Fatal(err)
		}
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	out, err := c.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{
			"Readings": writes,
			"Sensors": {
				{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"id": sAttr("s0"), "room": sAttr("lab")}}},
				{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"id": sAttr("never")}}},
			},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.UnprocessedItems == nil || len(out.UnprocessedItems) != 0 || len(out.ConsumedCapacity) != 2 {
		t.Fatalf("BatchWriteItem: %+v", out)
	}

	keys := []map[string]types.AttributeValue{
		{"sensor": sAttr("s1"), "ts": nAttr("1")}, {"sensor": sAttr("s0"), "ts": nAttr("4")}, {"sensor": sAttr("s0"), "ts": nAttr("99")},
	}
	got, err := c.BatchGetItem(ctx(t), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"Readings": {Keys: keys, ProjectionExpression: aws.String("#v, ts"), ExpressionAttributeNames: map[string]string{"#v": "value"}},
		"Sensors":  {Keys: []map[string]types.AttributeValue{{"id": sAttr("s0")}}, ConsistentRead: aws.Bool(true)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var rs []reading
	if err := attributevalue.UnmarshalListOfMaps(got.Responses["Readings"], &rs); err != nil {
		t.Fatal(err)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].TS < rs[j].TS })
	if len(rs) != 2 || rs[0].TS != 1 || rs[0].Value != 0.5 || rs[1].Value != 2 || rs[0].Sensor != "" {
		t.Fatalf("Readings %+v", rs)
	}
	if len(got.Responses["Sensors"]) != 1 || len(got.UnprocessedKeys) != 0 {
		t.Fatalf("BatchGetItem %+v", got)
	}

	// Errors as DynamoDB words them.
	dup := []types.WriteRequest{
		{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"id": sAttr("a")}}},
		{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"id": sAttr("a")}}},
	}
	_, err = c.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"Sensors": dup}})
	wantDDBError(t, err, "ValidationException", "Provided list of item keys contains duplicates")
	var many []types.WriteRequest
	for i := range 26 {
		many = append(many, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"id": sAttr(fmt.Sprint(i))}}})
	}
	_, err = c.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"Sensors": many}})
	wantDDBError(t, err, "ValidationException", "Member must have length less than or equal to 25")
	_, err = c.BatchGetItem(ctx(t), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"Sensors": {Keys: []map[string]types.AttributeValue{{"id": sAttr("a")}, {"id": sAttr("a")}}}}})
	wantDDBError(t, err, "ValidationException", "Provided list of item keys contains duplicates")
	_, err = c.BatchGetItem(ctx(t), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"Nope": {Keys: []map[string]types.AttributeValue{{"id": sAttr("a")}}}}})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("missing table: %v", err)
	}
}

func TestDynamoDBSDKTransactions(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Accounts"), AttributeDefinitions: attrDefs("id", "S"), KeySchema: keySchema("id")})
	for id, balance := range map[string]string{"alice": "100", "bob": "10"} {
		if _, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Accounts"), Item: map[string]types.AttributeValue{"id": sAttr(id), "balance": nAttr(balance)}}); err != nil {
			t.Fatal(err)
		}
	}
	transfer := func(from, to, amount string) []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String("Accounts"), Key: map[string]types.AttributeValue{"id": sAttr(from)},
				UpdateExpression: aws.String("SET balance = balance - :a"), ConditionExpression: aws.String("balance >= :a"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":a": nAttr(amount)}, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Update: &types.Update{TableName: aws.String("Accounts"), Key: map[string]types.AttributeValue{"id": sAttr(to)},
				UpdateExpression: aws.String("SET balance = balance + :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": nAttr(amount)}}},
		}
	}
	balance := func(id string) string {
		out, err := c.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("Accounts"), Key: map[string]types.AttributeValue{"id": sAttr(id)}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item["balance"].(*types.AttributeValueMemberN).Value
	}

	w, err := c.TransactWriteItems(ctx(t), &dynamodb.TransactWriteItemsInput{TransactItems: transfer("alice", "bob", "30"),
		ClientRequestToken: aws.String("transfer-1"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if balance("alice") != "70" || balance("bob") != "40" || len(w.ConsumedCapacity) != 1 || *w.ConsumedCapacity[0].WriteCapacityUnits != 4 {
		t.Fatalf("after transfer: %s %s %+v", balance("alice"), balance("bob"), w.ConsumedCapacity)
	}
	// The same request with the same token is not applied again.
	if _, err := c.TransactWriteItems(ctx(t), &dynamodb.TransactWriteItemsInput{TransactItems: transfer("alice", "bob", "30"), ClientRequestToken: aws.String("transfer-1")}); err != nil {
		t.Fatal(err)
	}
	if balance("alice") != "70" {
		t.Fatalf("replay applied: %s", balance("alice"))
	}
	_, err = c.TransactWriteItems(ctx(t), &dynamodb.TransactWriteItemsInput{TransactItems: transfer("alice", "bob", "31"), ClientRequestToken: aws.String("transfer-1")})
	var mismatch *types.IdempotentParameterMismatchException
	if !errors.As(err, &mismatch) {
		t.Fatalf("token reuse: %v", err)
	}

	// Bob cannot send 500: the transaction is cancelled, with a reason per
	// action and bob's item.
	_, err = c.TransactWriteItems(ctx(t), &dynamodb.TransactWriteItemsInput{TransactItems: transfer("bob", "alice", "500")})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("want TransactionCanceledException, got %v", err)
	}
	r := tce.CancellationReasons
	if len(r) != 2 || *r[0].Code != "ConditionalCheckFailed" || *r[1].Code != "None" || r[0].Item["balance"].(*types.AttributeValueMemberN).Value != "40" ||
		*r[0].Message != "The conditional request failed" {
		t.Fatalf("reasons %+v", r)
	}
	if tce.ErrorMessage() != "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]" {
		t.Fatalf("message %q", tce.ErrorMessage())
	}
	if balance("alice") != "70" || balance("bob") != "40" {
		t.Fatal("a cancelled transaction wrote")
	}
	_, err = c.TransactWriteItems(ctx(t), &dynamodb.TransactWriteItemsInput{TransactItems: append(transfer("alice", "bob", "1"),
		types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String("Accounts"), Key: map[string]types.AttributeValue{"id": sAttr("bob")},
			ConditionExpression: aws.String("attribute_exists(id)")}})})
	wantDDBError(t, err, "ValidationException", "Transaction request cannot include multiple operations on one item")

	g, err := c.TransactGetItems(ctx(t), &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("Accounts"), Key: map[string]types.AttributeValue{"id": sAttr("alice")}, ProjectionExpression: aws.String("balance")}},
		{Get: &types.Get{TableName: aws.String("Accounts"), Key: map[string]types.AttributeValue{"id": sAttr("carol")}}},
	}})
	if err != nil || len(g.Responses) != 2 || len(g.Responses[0].Item) != 1 || g.Responses[1].Item != nil {
		t.Fatalf("TransactGetItems %v %+v", err, g)
	}
}

func TestDynamoDBSDKBackups(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Prices"), AttributeDefinitions: attrDefs("sku", "S", "cat", "S"), KeySchema: keySchema("sku"),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byCat"), KeySchema: keySchema("cat"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}})
	for i := range 30 {
		if _, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Prices"), Item: map[string]types.AttributeValue{
			"sku": sAttr(fmt.Sprint("sku", i)), "cat": sAttr(fmt.Sprint("c", i%3))}}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := c.CreateBackup(ctx(t), &dynamodb.CreateBackupInput{TableName: aws.String("Prices"), BackupName: aws.String("before-sale")})
	if err != nil {
		t.Fatal(err)
	}
	arn := b.BackupDetails.BackupArn
	list, err := c.ListBackups(ctx(t), &dynamodb.ListBackupsInput{TableName: aws.String("Prices")})
	if err != nil || len(list.BackupSummaries) != 1 || list.BackupSummaries[0].BackupStatus != types.BackupStatusAvailable {
		t.Fatalf("ListBackups %v %+v", err, list)
	}
	if _, err := c.RestoreTableFromBackup(ctx(t), &dynamodb.RestoreTableFromBackupInput{BackupArn: arn, TargetTableName: aws.String("PricesCopy")}); err != nil {
		t.Fatal(err)
	}
	waiter := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := waiter.Wait(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("PricesCopy")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	q, err := c.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("PricesCopy"), IndexName: aws.String("byCat"),
		KeyConditionExpression: aws.String("cat = :c"), ExpressionAttributeValues: map[string]types.AttributeValue{":c": sAttr("c1")}})
	if err != nil || q.Count != 10 {
		t.Fatalf("query of the restored table: %v %+v", err, q)
	}
	_, err = c.RestoreTableFromBackup(ctx(t), &dynamodb.RestoreTableFromBackupInput{BackupArn: arn, TargetTableName: aws.String("PricesCopy")})
	var exists *types.TableAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("restore onto an existing table: %v", err)
	}
	if _, err := c.DeleteBackup(ctx(t), &dynamodb.DeleteBackupInput{BackupArn: arn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeBackup(ctx(t), &dynamodb.DescribeBackupInput{BackupArn: arn})
	var notFound *types.BackupNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("deleted backup: %v", err)
	}
}

func TestDynamoDBBoto3Batch(t *testing.T) {
	boto3Cases(t, "dynamodb_batch.py", "batch_writer", "batch_client", "transactions")
}
