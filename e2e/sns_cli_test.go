package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus"
)

// SNS through the AWS CLI v2: topics, subscriptions with a filter policy,
// publish (also with MessageStructure json), delivery to SQS, SMS to the
// outbox, and the CLI's exit status on errors.
func TestSNSCLI(t *testing.T) {
	cloud := nimbus.Start(t)
	var topic struct{ TopicArn string }
	mustJSON(t, cli(t, cloud, "sns", "create-topic", "--name", "cli-topic", "--attributes", "DisplayName=CLI", "--tags", "Key=team,Value=infra"), &topic)
	if topic.TopicArn != "arn:aws:sns:us-east-1:000000000000:cli-topic" {
		t.Fatalf("create-topic %+v", topic)
	}
	var topics struct{ Topics []struct{ TopicArn string } }
	mustJSON(t, cli(t, cloud, "sns", "list-topics"), &topics)
	if len(topics.Topics) != 1 || topics.Topics[0].TopicArn != topic.TopicArn {
		t.Fatalf("list-topics %+v", topics)
	}
	var attrs struct{ Attributes map[string]string }
	mustJSON(t, cli(t, cloud, "sns", "get-topic-attributes", "--topic-arn", topic.TopicArn), &attrs)
	if attrs.Attributes["DisplayName"] != "CLI" || attrs.Attributes["SubscriptionsConfirmed"] != "0" {
		t.Fatalf("get-topic-attributes %+v", attrs)
	}
	cli(t, cloud, "sns", "set-topic-attributes", "--topic-arn", topic.TopicArn, "--attribute-name", "DisplayName", "--attribute-value", "Renamed")

	var queue struct{ QueueUrl string }
	mustJSON(t, cli(t, cloud, "sqs", "create-queue", "--queue-name", "cli-sub"), &queue)
	queueARN := "arn:aws:sqs:us-east-1:000000000000:cli-sub"
	var sub struct{ SubscriptionArn string }
	mustJSON(t, cli(t, cloud, "sns", "subscribe", "--topic-arn", topic.TopicArn, "--protocol", "sqs", "--notification-endpoint", queueARN,
		"--attributes", `{"RawMessageDelivery":"true","FilterPolicy":"{\"kind\":[\"order\"]}"}`, "--return-subscription-arn"), &sub)
	if !strings.HasPrefix(sub.SubscriptionArn, topic.TopicArn+":") {
		t.Fatalf("subscribe %+v", sub)
	}
	var subAttrs struct{ Attributes map[string]string }
	mustJSON(t, cli(t, cloud, "sns", "get-subscription-attributes", "--subscription-arn", sub.SubscriptionArn), &subAttrs)
	if subAttrs.Attributes["FilterPolicy"] != `{"kind":["order"]}` || subAttrs.Attributes["RawMessageDelivery"] != "true" {
		t.Fatalf("get-subscription-attributes %+v", subAttrs)
	}
	cli(t, cloud, "sns", "publish", "--topic-arn", topic.TopicArn, "--message", "ignored", "--message-attributes", `{"kind":{"DataType":"String","StringValue":"refund"}}`)
	var pub struct{ MessageId string }
	mustJSON(t, cli(t, cloud, "sns", "publish", "--topic-arn", topic.TopicArn, "--message", "order 1", "--message-attributes",
		`{"kind":{"DataType":"String","StringValue":"order"}}`), &pub)
	if pub.MessageId == "" {
		t.Fatal("publish gave no MessageId")
	}
	var got struct {
		Messages []struct {
			Body              string
			MessageAttributes map[string]map[string]string
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(got.Messages) == 0 && time.Now().Before(deadline) {
		// An empty receive has no Messages member, and the CLI prints nothing.
		if out := cli(t, cloud, "sqs", "receive-message", "--queue-url", queue.QueueUrl, "--wait-time-seconds", "1", "--message-attribute-names", "All"); strings.TrimSpace(out) != "" {
			mustJSON(t, out, &got)
		}
	}
	if len(got.Messages) != 1 || got.Messages[0].Body != "order 1" || got.Messages[0].MessageAttributes["kind"]["StringValue"] != "order" {
		t.Fatalf("receive-message %+v", got)
	}

	// Per-protocol messages, and an SMS captured in the outbox.
	mustJSON(t, cli(t, cloud, "sns", "subscribe", "--topic-arn", topic.TopicArn, "--protocol", "sms", "--notification-endpoint", "+15555550100"), &sub)
	cli(t, cloud, "sns", "publish", "--topic-arn", topic.TopicArn, "--message-structure", "json", "--message", `{"default":"for all","sms":"short"}`)
	resp, err := http.Get(cloud.Endpoint + "/_nimbus/sns/outbox?protocol=sms")
	if err != nil {
		t.Fatal(err)
	}
	var box struct {
		Messages []struct{ Endpoint, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&box)
	resp.Body.Close()
	if len(box.Messages) != 1 || box.Messages[0].Message != "short" || box.Messages[0].Endpoint != "+15555550100" {
		t.Fatalf("outbox %+v", box)
	}

	var subs struct {
		Subscriptions []struct{ Protocol, Endpoint string }
	}
	mustJSON(t, cli(t, cloud, "sns", "list-subscriptions-by-topic", "--topic-arn", topic.TopicArn), &subs)
	if len(subs.Subscriptions) != 2 {
		t.Fatalf("list-subscriptions-by-topic %+v", subs)
	}
	var tags struct{ Tags []struct{ Key, Value string } }
	mustJSON(t, cli(t, cloud, "sns", "list-tags-for-resource", "--resource-arn", topic.TopicArn), &tags)
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "team" {
		t.Fatalf("list-tags-for-resource %+v", tags)
	}

	// Errors exit non-zero with AWS's code and message.
	out, err := cliRun(cloud, "sns", "publish", "--topic-arn", topic.TopicArn, "--message-structure", "json", "--message", `{"sqs":"x"}`)
	if err == nil || !strings.Contains(out, "InvalidParameter") || !strings.Contains(out, "No default entry in JSON message body") {
		t.Fatalf("publish without default: %v %s", err, out)
	}
	out, err = cliRun(cloud, "sns", "get-topic-attributes", "--topic-arn", "arn:aws:sns:us-east-1:000000000000:nope")
	if err == nil || !strings.Contains(out, "NotFound") || !strings.Contains(out, "Topic does not exist") {
		t.Fatalf("missing topic: %v %s", err, out)
	}
	out, err = cliRun(cloud, "sns", "subscribe", "--topic-arn", topic.TopicArn, "--protocol", "sqs", "--notification-endpoint", queueARN,
		"--attributes", `{"FilterPolicy":"{\"a\":\"b\"}"}`)
	if err == nil || !strings.Contains(out, "InvalidParameter") {
		t.Fatalf("bad filter policy: %v %s", err, out)
	}
	cli(t, cloud, "sns", "unsubscribe", "--subscription-arn", sub.SubscriptionArn)
	cli(t, cloud, "sns", "delete-topic", "--topic-arn", topic.TopicArn)
	mustJSON(t, cli(t, cloud, "sns", "list-topics"), &topics)
	if len(topics.Topics) != 0 {
		t.Fatalf("after delete-topic: %+v", topics)
	}
}
