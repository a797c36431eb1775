package e2e

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nimbus-cloud/nimbus"
)

func TestDynamoDBSDKContributorInsights(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	for _, name := range []string{"Insights", "Other"} {
		createTable(t, c, &dynamodb.CreateTableInput{
			TableName: aws.String(name), AttributeDefinitions: attrDefs("pk", "S", "g", "S"), KeySchema: keySchema("pk"),
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
				IndexName: aws.String("byG"), KeySchema: keySchema("g"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			}},
		})
	}

	d, err := c.DescribeContributorInsights(ctx(t), &dynamodb.DescribeContributorInsightsInput{TableName: aws.String("Insights")})
	if err != nil || d.ContributorInsightsStatus != types.ContributorInsightsStatusDisabled || d.LastUpdateDateTime != nil {
		t.Fatalf("before: %+v %v", d, err)
	}
	up, err := c.UpdateContributorInsights(ctx(t), &dynamodb.UpdateContributorInsightsInput{
		TableName: aws.String("Insights"), ContributorInsightsAction: types.ContributorInsightsActionEnable,
	})
	if err != nil || up.ContributorInsightsStatus != types.ContributorInsightsStatusEnabling || up.ContributorInsightsMode != types.ContributorInsightsModeAccessedAndThrottledKeys {
		t.Fatalf("enable: %+v %v", up, err)
	}
	up, err = c.UpdateContributorInsights(ctx(t), &dynamodb.UpdateContributorInsightsInput{
		TableName: aws.String("Insights"), IndexName: aws.String("byG"),
		ContributorInsightsAction: types.ContributorInsightsActionEnable, ContributorInsightsMode: types.ContributorInsightsModeThrottledKeys,
	})
	if err != nil || aws.ToString(up.IndexName) != "byG" {
		t.Fatalf("enable index: %+v %v", up, err)
	}
	d, err = c.DescribeContributorInsights(ctx(t), &dynamodb.DescribeContributorInsightsInput{TableName: aws.String("Insights"), IndexName: aws.String("byG")})
	if err != nil || d.ContributorInsightsStatus != types.ContributorInsightsStatusEnabled || d.LastUpdateDateTime == nil ||
		len(d.ContributorInsightsRuleList) != 1 || !strings.HasPrefix(d.ContributorInsightsRuleList[0], "DynamoDBContributorInsights-PKT-Insights-byG-") {
		t.Fatalf("describe index: %+v %v", d, err)
	}
	if _, err := c.UpdateContributorInsights(ctx(t), &dynamodb.UpdateContributorInsightsInput{
		TableName: aws.String("Other"), ContributorInsightsAction: types.ContributorInsightsActionEnable,
	}); err != nil {
		t.Fatal(err)
	}

	var listed []string
	pages := dynamodb.NewListContributorInsightsPaginator(c, &dynamodb.ListContributorInsightsInput{MaxResults: 2})
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.ContributorInsightsSummaries {
			listed = append(listed, aws.ToString(s.TableName)+"/"+aws.ToString(s.IndexName)+"/"+string(s.ContributorInsightsMode))
		}
	}
	want := []string{"Insights//ACCESSED_AND_THROTTLED_KEYS", "Insights/byG/THROTTLED_KEYS", "Other//ACCESSED_AND_THROTTLED_KEYS"}
	if !slices.Equal(listed, want) {
		t.Fatalf("listed %q, want %q", listed, want)
	}

	_, err = c.DescribeContributorInsights(ctx(t), &dynamodb.DescribeContributorInsightsInput{TableName: aws.String("Insights"), IndexName: aws.String("nope")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("unknown index: %v", err)
	}
	wantDDBError(t, err, "ResourceNotFoundException", "Requested resource not found: Index: nope not found for table: Insights")
	_, err = c.UpdateContributorInsights(ctx(t), &dynamodb.UpdateContributorInsightsInput{TableName: aws.String("Missing"), ContributorInsightsAction: types.ContributorInsightsActionEnable})
	wantDDBError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Missing not found")

	if _, err := c.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("Insights")}); err != nil {
		t.Fatal(err)
	}
	l, err := c.ListContributorInsights(ctx(t), &dynamodb.ListContributorInsightsInput{})
	if err != nil || len(l.ContributorInsightsSummaries) != 1 || aws.ToString(l.ContributorInsightsSummaries[0].TableName) != "Other" {
		t.Fatalf("after delete: %+v %v", l, err)
	}
}

func TestDynamoDBSDKResourcePolicy(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	arn := aws.ToString(createTable(t, c, &dynamodb.CreateTableInput{
		TableName: aws.String("Guarded"), AttributeDefinitions: attrDefs("pk", "S"), KeySchema: keySchema("pk"),
	}).TableArn)
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetItem","Resource":"` + arn + `"}]}`

	_, err := c.GetResourcePolicy(ctx(t), &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(arn)})
	var notFound *types.PolicyNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("no policy: %v", err)
	}
	_, err = c.PutResourcePolicy(ctx(t), &dynamodb.PutResourcePolicyInput{ResourceArn: aws.String(arn), Policy: aws.String(`{"Version":`)})
	wantDDBError(t, err, "ValidationException", "Invalid policy document: This policy contains invalid Json")

	// Pretty-printed, with a one-element list: read back canonical.
	pretty := strings.Replace(strings.ReplaceAll(policy, ",", ",\n  "), `"dynamodb:GetItem"`, `["dynamodb:GetItem"]`, 1)
	put, err := c.PutResourcePolicy(ctx(t), &dynamodb.PutResourcePolicyInput{ResourceArn: aws.String(arn), Policy: aws.String(pretty), ExpectedRevisionId: aws.String("NO_POLICY")})
	if err != nil || aws.ToString(put.RevisionId) == "" {
		t.Fatalf("put: %+v %v", put, err)
	}
	got, err := c.GetResourcePolicy(ctx(t), &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(arn)})
	if err != nil || aws.ToString(got.Policy) != policy || aws.ToString(got.RevisionId) != aws.ToString(put.RevisionId) {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = c.PutResourcePolicy(ctx(t), &dynamodb.PutResourcePolicyInput{ResourceArn: aws.String(arn), Policy: aws.String(policy), ExpectedRevisionId: aws.String("1")})
	if !errors.As(err, &notFound) {
		t.Fatalf("stale revision: %v", err)
	}
	_, err = c.PutResourcePolicy(ctx(t), &dynamodb.PutResourcePolicyInput{ResourceArn: aws.String(arn),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"dynamodb:PutResourcePolicy","Resource":"*"}]}`)})
	wantDDBError(t, err, "AccessDeniedException", "The new resource policy will not allow you to update the resource policy in the future.")
	_, err = c.GetResourcePolicy(ctx(t), &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(arn + "/index/byG")})
	wantDDBError(t, err, "ValidationException", "only table or stream is accepted")

	del, err := c.DeleteResourcePolicy(ctx(t), &dynamodb.DeleteResourcePolicyInput{ResourceArn: aws.String(arn), ExpectedRevisionId: put.RevisionId})
	if err != nil || aws.ToString(del.RevisionId) != aws.ToString(put.RevisionId) {
		t.Fatalf("delete: %+v %v", del, err)
	}
	_, err = c.GetResourcePolicy(ctx(t), &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(arn)})
	if !errors.As(err, &notFound) {
		t.Fatalf("after delete: %v", err)
	}

	// A policy given to CreateTable, gone with its table.
	created := createTable(t, c, &dynamodb.CreateTableInput{
		TableName: aws.String("Born"), AttributeDefinitions: attrDefs("pk", "S"), KeySchema: keySchema("pk"),
		ResourcePolicy: aws.String(strings.ReplaceAll(policy, "Guarded", "Born")),
	})
	born := aws.ToString(created.TableArn)
	if got, err := c.GetResourcePolicy(ctx(t), &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(born)}); err != nil || !strings.Contains(aws.ToString(got.Policy), "table/Born") {
		t.Fatalf("create-time policy: %+v %v", got, err)
	}
	if _, err := c.DeleteTable(ctx(t), &dynamodb.DeleteTableInput{TableName: aws.String("Born")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetResourcePolicy(ctx(t), &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(born)})
	wantDDBError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Born not found")
}

func TestDynamoDBSDKKinesisStreamingDestination(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Streamed"), AttributeDefinitions: attrDefs("pk", "S"), KeySchema: keySchema("pk")})
	stream := "arn:aws:kinesis:us-east-1:000000000000:stream/feed"

	d, err := c.DescribeKinesisStreamingDestination(ctx(t), &dynamodb.DescribeKinesisStreamingDestinationInput{TableName: aws.String("Streamed")})
	if err != nil || d.KinesisDataStreamDestinations == nil || len(d.KinesisDataStreamDestinations) != 0 {
		t.Fatalf("fresh table: %+v %v", d, err)
	}
	en, err := c.EnableKinesisStreamingDestination(ctx(t), &dynamodb.EnableKinesisStreamingDestinationInput{TableName: aws.String("Streamed"), StreamArn: aws.String(stream)})
	if err != nil || en.DestinationStatus != types.DestinationStatusEnabling || en.EnableKinesisStreamingConfiguration == nil {
		t.Fatalf("enable: %+v %v", en, err)
	}
	// No such stream: the destination fails, as on AWS.
	d, err = c.DescribeKinesisStreamingDestination(ctx(t), &dynamodb.DescribeKinesisStreamingDestinationInput{TableName: aws.String("Streamed")})
	if err != nil || len(d.KinesisDataStreamDestinations) != 1 {
		t.Fatalf("after enable: %+v %v", d, err)
	}
	if e := d.KinesisDataStreamDestinations[0]; aws.ToString(e.StreamArn) != stream || e.DestinationStatus != types.DestinationStatusEnableFailed ||
		aws.ToString(e.DestinationStatusDescription) != "User does not have a permission to use kinesis stream" {
		t.Fatalf("destination: %+v", e)
	}
	_, err = c.DisableKinesisStreamingDestination(ctx(t), &dynamodb.DisableKinesisStreamingDestinationInput{TableName: aws.String("Streamed"), StreamArn: aws.String(stream)})
	wantDDBError(t, err, "ValidationException", "KinesisStreamingDestination must be ACTIVE to perform DISABLE operation.")
	_, err = c.UpdateKinesisStreamingDestination(ctx(t), &dynamodb.UpdateKinesisStreamingDestinationInput{
		TableName: aws.String("Streamed"), StreamArn: aws.String(stream),
		UpdateKinesisStreamingConfiguration: &types.UpdateKinesisStreamingConfiguration{ApproximateCreationDateTimePrecision: types.ApproximateCreationDateTimePrecisionMicrosecond},
	})
	wantDDBError(t, err, "ValidationException", "Kinesis streaming is not in ACTIVE state")
	_, err = c.EnableKinesisStreamingDestination(ctx(t), &dynamodb.EnableKinesisStreamingDestinationInput{TableName: aws.String("Missing"), StreamArn: aws.String(stream)})
	wantDDBError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Missing not found")
}
