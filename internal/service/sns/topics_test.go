package sns

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
)

func TestCreateTopic(t *testing.T) {
	f := newFixture(t)
	arn := f.createTopic("orders", map[string]string{"DisplayName": "Orders"})
	if arn != "arn:aws:sns:us-east-1:000000000000:orders" {
		t.Fatalf("ARN %s", arn)
	}
	// The same name and attributes: the same topic.
	if again := f.createTopic("orders", map[string]string{"DisplayName": "Orders"}); again != arn {
		t.Errorf("second CreateTopic answered %s", again)
	}
	if again := f.createTopic("orders", nil); again != arn {
		t.Errorf("CreateTopic without attributes answered %s", again)
	}
	tests := []struct {
		name   string
		in     snsapi.CreateTopicInput
		code   string
		substr string
	}{
		{"different attributes", snsapi.CreateTopicInput{Name: ptr("orders"), Attributes: map[string]string{"DisplayName": "Other"}},
			"InvalidParameter", "Invalid parameter: Attributes Reason: Topic already exists with different attributes"},
		{"different tags", snsapi.CreateTopicInput{Name: ptr("orders"), Tags: []snsapi.Tag{{Key: ptr("k"), Value: ptr("v")}}},
			"InvalidParameter", "Invalid parameter: Tags Reason: Topic already exists with different tags"},
		{"bad name", snsapi.CreateTopicInput{Name: ptr("a b")}, "InvalidParameter", "Invalid parameter: Topic Name"},
		{"empty name", snsapi.CreateTopicInput{Name: ptr("")}, "InvalidParameter", "Invalid parameter: Topic Name"},
		{"long name", snsapi.CreateTopicInput{Name: ptr(strings.Repeat("a", 257))}, "InvalidParameter", "Invalid parameter: Topic Name"},
		{".fifo without FifoTopic", snsapi.CreateTopicInput{Name: ptr("t.fifo")}, "InvalidParameter", "Invalid parameter: Topic Name"},
		{"FifoTopic without .fifo", snsapi.CreateTopicInput{Name: ptr("t"), Attributes: map[string]string{"FifoTopic": "true"}}, "InvalidParameter",
			"Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."},
		{"unknown attribute", snsapi.CreateTopicInput{Name: ptr("t"), Attributes: map[string]string{"Colour": "red"}}, "InvalidParameter", "Invalid parameter: AttributeName"},
		{"content dedup on standard", snsapi.CreateTopicInput{Name: ptr("t"), Attributes: map[string]string{"ContentBasedDeduplication": "true"}}, "InvalidParameter", ""},
		{"bad signature version", snsapi.CreateTopicInput{Name: ptr("t"), Attributes: map[string]string{"SignatureVersion": "3"}}, "InvalidParameter", "Invalid parameter: SignatureVersion"},
		{"bad delivery policy", snsapi.CreateTopicInput{Name: ptr("t"), Attributes: map[string]string{"DeliveryPolicy": "{"}}, "InvalidParameter", ""},
		{"bad policy", snsapi.CreateTopicInput{Name: ptr("t"), Attributes: map[string]string{"Policy": "nope"}}, "InvalidParameter", ""},
	}
	for _, tc := range tests {
		_, err := f.svc.CreateTopic(f.ctx, &tc.in)
		wantError(t, tc.name, err, tc.code, tc.substr)
	}
}

func TestTopicAttributes(t *testing.T) {
	f := newFixture(t)
	arn := f.createTopic("t", nil)
	f.subscribe(arn, "sqs", queueARN, nil)
	f.subscribe(arn, "http", "http://127.0.0.1:1/hook", nil)
	out, err := f.svc.GetTopicAttributes(f.ctx, &snsapi.GetTopicAttributesInput{TopicArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	a := out.Attributes
	want := map[string]string{
		"TopicArn": arn, "Owner": testAccount, "DisplayName": "", "SubscriptionsConfirmed": "1",
		"SubscriptionsPending": "1", "SubscriptionsDeleted": "0",
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`,
		"Policy":                  `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"arn:aws:sns:us-east-1:000000000000:t","Condition":{"StringEquals":{"AWS:SourceOwner":"000000000000"}}}]}`,
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q; want %q", k, a[k], v)
		}
	}
	for _, absent := range []string{"FifoTopic", "ContentBasedDeduplication", "DeliveryPolicy"} {
		if _, ok := a[absent]; ok {
			t.Errorf("a standard topic has %s", absent)
		}
	}

	set := func(name, value string) error {
		_, err := f.svc.SetTopicAttributes(f.ctx, &snsapi.SetTopicAttributesInput{TopicArn: &arn, AttributeName: &name, AttributeValue: &value})
		return err
	}
	if err := set("DisplayName", "Shown"); err != nil {
		t.Fatal(err)
	}
	dp := `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":5,"numRetries":2}}}`
	if err := set("DeliveryPolicy", dp); err != nil {
		t.Fatal(err)
	}
	out, _ = f.svc.GetTopicAttributes(f.ctx, &snsapi.GetTopicAttributesInput{TopicArn: &arn})
	if out.Attributes["DisplayName"] != "Shown" || out.Attributes["DeliveryPolicy"] != dp {
		t.Errorf("after SetTopicAttributes: %v", out.Attributes)
	}
	var eff topicDeliveryPolicy
	if err := json.Unmarshal([]byte(out.Attributes["EffectiveDeliveryPolicy"]), &eff); err != nil || eff.HTTP.DefaultHealthyRetryPolicy.MaxDelayTarget != 5 {
		t.Errorf("EffectiveDeliveryPolicy %s", out.Attributes["EffectiveDeliveryPolicy"])
	}
	wantError(t, "set FifoTopic", set("FifoTopic", "true"), "InvalidParameter", "Invalid parameter: AttributeName")
	wantError(t, "set unknown", set("Nope", "x"), "InvalidParameter", "Invalid parameter: AttributeName")

	missing := "arn:aws:sns:us-east-1:000000000000:missing"
	_, err = f.svc.GetTopicAttributes(f.ctx, &snsapi.GetTopicAttributesInput{TopicArn: &missing})
	wantError(t, "missing topic", err, "NotFound", "Topic does not exist")
	_, err = f.svc.GetTopicAttributes(f.ctx, &snsapi.GetTopicAttributesInput{TopicArn: ptr("not-an-arn")})
	wantError(t, "bad arn", err, "InvalidParameter", "Invalid parameter: TopicArn")
}

func TestFifoTopicAttributes(t *testing.T) {
	f := newFixture(t)
	arn := f.createTopic("t.fifo", map[string]string{"FifoTopic": "true"})
	out, err := f.svc.GetTopicAttributes(f.ctx, &snsapi.GetTopicAttributesInput{TopicArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes["FifoTopic"] != "true" || out.Attributes["ContentBasedDeduplication"] != "false" {
		t.Errorf("FIFO attributes %v", out.Attributes)
	}
	if _, err := f.svc.SetTopicAttributes(f.ctx, &snsapi.SetTopicAttributesInput{TopicArn: &arn,
		AttributeName: ptr("ContentBasedDeduplication"), AttributeValue: ptr("true")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetTopicAttributes(f.ctx, &snsapi.SetTopicAttributesInput{TopicArn: &arn,
		AttributeName: ptr("ArchivePolicy"), AttributeValue: ptr(`{"MessageRetentionPeriod":"30"}`)}); err != nil {
		t.Fatal(err)
	}
}

func TestListTopicsPages(t *testing.T) {
	f := newFixture(t)
	for i := range 230 {
		f.createTopic(fmt.Sprintf("topic-%03d", i), nil)
	}
	var all []string
	var token *string
	pages := 0
	for {
		out, err := f.svc.ListTopics(f.ctx, &snsapi.ListTopicsInput{NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tp := range out.Topics {
			all = append(all, *tp.TopicArn)
		}
		if out.NextToken == nil {
			break
		}
		if len(out.Topics) != 100 {
			t.Errorf("page %d has %d topics", pages, len(out.Topics))
		}
		token = out.NextToken
	}
	if pages != 3 || len(all) != 230 || all[0] != topicARN(testRegion, testAccount, "topic-000") || all[229] != topicARN(testRegion, testAccount, "topic-229") {
		t.Errorf("%d pages, %d topics", pages, len(all))
	}
	_, err := f.svc.ListTopics(f.ctx, &snsapi.ListTopicsInput{NextToken: ptr("garbage!")})
	wantError(t, "bad token", err, "InvalidParameter", "Invalid parameter: NextToken")
}

func TestDeleteTopic(t *testing.T) {
	f := newFixture(t)
	arn := f.createTopic("t", nil)
	sub := f.subscribe(arn, "sqs", queueARN, nil)
	if _, err := f.svc.DeleteTopic(f.ctx, &snsapi.DeleteTopicInput{TopicArn: &arn}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.GetSubscriptionAttributes(f.ctx, &snsapi.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	wantError(t, "subscription of a deleted topic", err, "NotFound", "Subscription does not exist")
	// Deleting again is fine.
	if _, err := f.svc.DeleteTopic(f.ctx, &snsapi.DeleteTopicInput{TopicArn: &arn}); err != nil {
		t.Errorf("second DeleteTopic: %v", err)
	}
	_, err = f.svc.Publish(f.ctx, &snsapi.PublishInput{TopicArn: &arn, Message: ptr("x")})
	wantError(t, "publish to a deleted topic", err, "NotFound", "Topic does not exist")
}

func TestTags(t *testing.T) {
	f := newFixture(t)
	arn := f.createTopic("t", nil)
	if _, err := f.svc.TagResource(f.ctx, &snsapi.TagResourceInput{ResourceArn: &arn, Tags: []snsapi.Tag{
		{Key: ptr("a"), Value: ptr("1")}, {Key: ptr("b"), Value: ptr("2")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.TagResource(f.ctx, &snsapi.TagResourceInput{ResourceArn: &arn, Tags: []snsapi.Tag{{Key: ptr("a"), Value: ptr("3")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UntagResource(f.ctx, &snsapi.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.ListTagsForResource(f.ctx, &snsapi.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != 1 || *out.Tags[0].Key != "a" || *out.Tags[0].Value != "3" {
		t.Errorf("tags %+v", out.Tags)
	}
	missing := "arn:aws:sns:us-east-1:000000000000:nope"
	_, err = f.svc.ListTagsForResource(f.ctx, &snsapi.ListTagsForResourceInput{ResourceArn: &missing})
	wantError(t, "tags of a missing topic", err, "ResourceNotFound", "")
	many := make([]snsapi.Tag, 51)
	for i := range many {
		many[i] = snsapi.Tag{Key: ptr(fmt.Sprint("k", i)), Value: ptr("v")}
	}
	_, err = f.svc.TagResource(f.ctx, &snsapi.TagResourceInput{ResourceArn: &arn, Tags: many})
	wantError(t, "51 tags", err, "TagLimitExceeded", "")
}

func TestPermissions(t *testing.T) {
	f := newFixture(t)
	arn := f.createTopic("t", nil)
	add := func(label string, actions ...string) error {
		_, err := f.svc.AddPermission(f.ctx, &snsapi.AddPermissionInput{TopicArn: &arn, Label: &label,
			AWSAccountId: []string{"111122223333"}, ActionName: actions})
		return err
	}
	if err := add("publishers", "Publish"); err != nil {
		t.Fatal(err)
	}
	wantError(t, "same label", add("publishers", "Publish"), "InvalidParameter", "Invalid parameter: Statement already exists")
	wantError(t, "bad action", add("x", "Fly"), "InvalidParameter", "Invalid parameter: Policy statement action out of service scope!")
	policy := func() string {
		out, err := f.svc.GetTopicAttributes(f.ctx, &snsapi.GetTopicAttributesInput{TopicArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["Policy"]
	}
	want := `{"Sid":"publishers","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"SNS:Publish","Resource":"` + arn + `"}`
	if p := policy(); !strings.Contains(p, want) || !strings.Contains(p, "__default_statement_ID") {
		t.Errorf("policy after AddPermission: %s", p)
	}
	if _, err := f.svc.RemovePermission(f.ctx, &snsapi.RemovePermissionInput{TopicArn: &arn, Label: ptr("publishers")}); err != nil {
		t.Fatal(err)
	}
	if p := policy(); strings.Contains(p, "publishers") {
		t.Errorf("policy after RemovePermission: %s", p)
	}
}
