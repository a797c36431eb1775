package e2e

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/nimbus-cloud/nimbus"
)

func streamsClient(cloud *nimbus.Instance) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(awsConfig(cloud.Endpoint))
}

// readShard reads a shard from iterator to what is there now, a page of
// limit records at a time, and returns the records and the next iterator
// (nil once a closed shard is read to its end).
func readShard(t *testing.T, sc *dynamodbstreams.Client, it *string, limit int32) ([]streamtypes.Record, *string) {
	t.Helper()
	var out []streamtypes.Record
	for it != nil {
		page, err := sc.GetRecords(ctx(t), &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(limit)})
		if err != nil {
			t.Fatalf("GetRecords: %v", err)
		}
		out = append(out, page.Records...)
		it = page.NextShardIterator
		if len(page.Records) == 0 {
			break
		}
	}
	return out, it
}

func recordSummary(recs []streamtypes.Record) string {
	var parts []string
	for _, r := range recs {
		pk := r.Dynamodb.Keys["pk"].(*streamtypes.AttributeValueMemberS).Value
		parts = append(parts, string(r.EventName)+" "+pk)
	}
	return strings.Join(parts, ", ")
}

func TestDynamoDBStreamsSDK(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	sc := streamsClient(cloud)
	created := createTable(t, c, &dynamodb.CreateTableInput{
		TableName: aws.String("Events"), AttributeDefinitions: attrDefs("pk", "S"), KeySchema: keySchema("pk"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	arn := created.LatestStreamArn

	list, err := sc.ListStreams(ctx(t), &dynamodbstreams.ListStreamsInput{TableName: aws.String("Events")})
	if err != nil || len(list.Streams) != 1 || *list.Streams[0].StreamArn != *arn || *list.Streams[0].StreamLabel != *created.LatestStreamLabel {
		t.Fatalf("ListStreams: %+v %v", list, err)
	}
	desc, err := sc.DescribeStream(ctx(t), &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	d := desc.StreamDescription
	if d.StreamStatus != streamtypes.StreamStatusEnabled || d.StreamViewType != streamtypes.StreamViewTypeNewAndOldImages ||
		*d.TableName != "Events" || len(d.KeySchema) != 1 || d.CreationRequestDateTime == nil || len(d.Shards) != 1 {
		t.Fatalf("DescribeStream: %+v", d)
	}
	shardID := d.Shards[0].ShardId

	latest, err := sc.GetShardIterator(ctx(t), &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shardID, ShardIteratorType: streamtypes.ShardIteratorTypeLatest})
	if err != nil {
		t.Fatal(err)
	}
	key := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
	}
	for i := range 5 {
		item := key(fmt.Sprint("k", i))
		item["n"] = &types.AttributeValueMemberN{Value: fmt.Sprint(i)}
		if _, err := c.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("Events"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("Events"), Key: key("k1"),
		UpdateExpression: aws.String("SET n = n + :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}}); err != nil {
		t.Fatal(err)
	}
	// A write that changes nothing leaves no record.
	if _, err := c.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("Events"), Key: key("k2"),
		UpdateExpression: aws.String("SET n = :two"), ExpressionAttributeValues: map[string]types.AttributeValue{":two": &types.AttributeValueMemberN{Value: "2"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("Events"), Key: key("k0")}); err != nil {
		t.Fatal(err)
	}

	recs, next := readShard(t, sc, latest.ShardIterator, 2)
	if got := recordSummary(recs); got != "INSERT k0, INSERT k1, INSERT k2, INSERT k3, INSERT k4, MODIFY k1, REMOVE k0" {
		t.Fatalf("records: %s", got)
	}
	if next == nil {
		t.Fatal("no next iterator on an open shard")
	}
	for i, r := range recs {
		if r.EventVersion == nil || *r.EventVersion != "1.1" || *r.EventSource != "aws:dynamodb" || *r.AwsRegion != "us-east-1" ||
			r.Dynamodb.ApproximateCreationDateTime == nil || *r.Dynamodb.SizeBytes <= 0 || r.Dynamodb.StreamViewType != streamtypes.StreamViewTypeNewAndOldImages {
			t.Fatalf("record %d: %+v", i, r)
		}
		if i > 0 && *r.Dynamodb.SequenceNumber <= *recs[i-1].Dynamodb.SequenceNumber {
			t.Fatalf("sequence numbers out of order: %s after %s", *r.Dynamodb.SequenceNumber, *recs[i-1].Dynamodb.SequenceNumber)
		}
	}
	mod := recs[5].Dynamodb
	if mod.OldImage["n"].(*streamtypes.AttributeValueMemberN).Value != "1" || mod.NewImage["n"].(*streamtypes.AttributeValueMemberN).Value != "2" {
		t.Fatalf("MODIFY images: %+v %+v", mod.OldImage, mod.NewImage)
	}

	// AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER.
	at, err := sc.GetShardIterator(ctx(t), &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shardID,
		ShardIteratorType: streamtypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: recs[5].Dynamodb.SequenceNumber})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := readShard(t, sc, at.ShardIterator, 100); recordSummary(got) != "MODIFY k1, REMOVE k0" {
		t.Fatalf("AT_SEQUENCE_NUMBER: %s", recordSummary(got))
	}

	// Errors as AWS sends them.
	_, err = sc.GetRecords(ctx(t), &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("not-an-iterator")})
	wantAPIError(t, err, "ValidationException")
	_, err = sc.DescribeStream(ctx(t), &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(strings.Replace(*arn, "Events", "Nothing", 1))})
	var notFound *streamtypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("DescribeStream of a missing stream: %v", err)
	}

	// Disabling closes the shard: a reader gets the rest and then no
	// next iterator.
	if _, err := c.UpdateTable(ctx(t), &dynamodb.UpdateTableInput{TableName: aws.String("Events"), StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	desc, err = sc.DescribeStream(ctx(t), &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	if err != nil || desc.StreamDescription.StreamStatus != streamtypes.StreamStatusDisabled || desc.StreamDescription.Shards[0].SequenceNumberRange.EndingSequenceNumber == nil {
		t.Fatalf("disabled stream: %+v %v", desc, err)
	}
	trim, err := sc.GetShardIterator(ctx(t), &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shardID, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	all, next := readShard(t, sc, trim.ShardIterator, 1000)
	if len(all) != 7 || next != nil {
		t.Fatalf("closed shard: %d records, next %v", len(all), next)
	}
}

func TestDynamoDBStreamsBoto3(t *testing.T) {
	boto3Cases(t, "dynamodb_streams.py", "records", "keys_only_and_disable", "errors")
}
