package e2e

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ddbsvc "github.com/nimbus-cloud/nimbus/internal/service/dynamodb"
)

// Item collections of a table with a local secondary index, with a limit
// of 4,000 bytes instead of 10 GB: the SDK sees
// ItemCollectionSizeLimitExceededException, the cancellation reason of a
// transaction, and ReturnItemCollectionMetrics per table.
func TestDynamoDBSDKItemCollections(t *testing.T) {
	c, _ := ddbAlone(t, ddbsvc.Deps{ItemCollectionLimit: 4000})
	createTable(t, c, &dynamodb.CreateTableInput{
		TableName: aws.String("Threads"), AttributeDefinitions: attrDefs("forum", "S", "subject", "S", "posted", "S"),
		KeySchema: keySchema("forum", "subject"),
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{IndexName: aws.String("byPosted"), KeySchema: keySchema("forum", "posted"),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
	})
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Forums"), AttributeDefinitions: attrDefs("name", "S"), KeySchema: keySchema("name")})
	thread := func(forum, subject string, body int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"forum": sAttr(forum), "subject": sAttr(subject), "posted": sAttr("2025-01-01"),
			"body": sAttr(strings.Repeat("b", body))}
	}

	// One thread of about 1 KB: the collection holds it and its index
	// entry, about 2.1 KB.
	out, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Threads"), Item: thread("S3", "a", 1000),
		ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize})
	if err != nil {
		t.Fatal(err)
	}
	m := out.ItemCollectionMetrics
	if m == nil || m.ItemCollectionKey["forum"].(*types.AttributeValueMemberS).Value != "S3" || fmt.Sprint(m.SizeEstimateRangeGB) != "[0 1]" {
		t.Fatalf("ItemCollectionMetrics %+v", m)
	}

	// A second one does not fit.
	_, err = c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Threads"), Item: thread("S3", "b", 1000)})
	var tooLarge *types.ItemCollectionSizeLimitExceededException
	if !errors.As(err, &tooLarge) || tooLarge.ErrorMessage() != "Collection size exceeded" {
		t.Fatalf("PutItem past the limit: %v", err)
	}
	_, err = c.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"Threads": {{PutRequest: &types.PutRequest{Item: thread("S3", "b", 1000)}}},
	}})
	if !errors.As(err, &tooLarge) {
		t.Fatalf("BatchWriteItem past the limit: %v", err)
	}
	_, err = c.TransactWriteItems(ctx(t), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("Forums"), Item: map[string]types.AttributeValue{"name": sAttr("S3")}}},
		{Put: &types.Put{TableName: aws.String("Threads"), Item: thread("S3", "b", 1000)}},
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 || *tce.CancellationReasons[0].Code != "None" ||
		*tce.CancellationReasons[1].Code != "ItemCollectionSizeLimitExceeded" || *tce.CancellationReasons[1].Message != "Collection size exceeded" {
		t.Fatalf("TransactWriteItems past the limit: %v", err)
	}

	// Other collections and tables without local indexes: per table, only
	// the tables with local indexes report their collections.
	bw, err := c.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"Threads": {{PutRequest: &types.PutRequest{Item: thread("EC2", "a", 10)}}, {PutRequest: &types.PutRequest{Item: thread("EC2", "b", 10)}},
			{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"forum": sAttr("S3"), "subject": sAttr("a")}}}},
		"Forums": {{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"name": sAttr("EC2")}}}},
	}, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range bw.ItemCollectionMetrics["Threads"] {
		keys = append(keys, m.ItemCollectionKey["forum"].(*types.AttributeValueMemberS).Value)
	}
	if _, ok := bw.ItemCollectionMetrics["Forums"]; ok || len(bw.ItemCollectionMetrics) != 1 || strings.Join(keys, ",") != "EC2,S3" {
		t.Fatalf("BatchWriteItem ItemCollectionMetrics %+v", bw.ItemCollectionMetrics)
	}
	// With the first thread deleted, collection S3 has room again.
	if _, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Threads"), Item: thread("S3", "b", 1000)}); err != nil {
		t.Fatal(err)
	}
}

// A key of the wrong type in a transaction cancels it with a
// ValidationError reason; an empty one is the request's error.
func TestDynamoDBSDKTransactionKeyFaults(t *testing.T) {
	c, _ := ddbAlone(t, ddbsvc.Deps{})
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Keys"), AttributeDefinitions: attrDefs("id", "S"), KeySchema: keySchema("id")})
	_, err := c.TransactWriteItems(ctx(t), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("Keys"), Item: map[string]types.AttributeValue{"id": sAttr("a")}}},
		{Delete: &types.Delete{TableName: aws.String("Keys"), Key: map[string]types.AttributeValue{"id": nAttr("1")}}},
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 || *tce.CancellationReasons[0].Code != "None" ||
		*tce.CancellationReasons[1].Code != "ValidationError" || *tce.CancellationReasons[1].Message != "The provided key element does not match the schema" {
		t.Fatalf("TransactWriteItems with a wrong-typed key: %v", err)
	}
	_, err = c.TransactGetItems(ctx(t), &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("Keys"), Key: map[string]types.AttributeValue{}}},
	}})
	if !errors.As(err, &tce) || tce.ErrorMessage() != "Transaction cancelled, please refer cancellation reasons for specific reasons [ValidationError]" {
		t.Fatalf("TransactGetItems with an empty key: %v", err)
	}
	_, err = c.TransactWriteItems(ctx(t), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("Keys"), Item: map[string]types.AttributeValue{"id": sAttr("")}}},
	}})
	wantDDBError(t, err, "ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id")
}
