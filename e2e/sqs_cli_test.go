package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus"
)

// The AWS CLI v2 that Debian packages predates SQS's JSON protocol: these
// tests drive SQS's query protocol through a real client.
func TestSQSCLI(t *testing.T) {
	cloud := nimbus.Start(t)
	var created struct{ QueueUrl string }
	mustJSON(t, cli(t, cloud, "sqs", "create-queue", "--queue-name", "cli-q", "--attributes", "VisibilityTimeout=60,DelaySeconds=0", "--tags", "team=infra"), &created)
	url := created.QueueUrl
	if url != cloud.Endpoint+"/000000000000/cli-q" {
		t.Fatalf("QueueUrl %q", url)
	}
	var listed struct{ QueueUrls []string }
	mustJSON(t, cli(t, cloud, "sqs", "list-queues", "--queue-name-prefix", "cli-"), &listed)
	if len(listed.QueueUrls) != 1 || listed.QueueUrls[0] != url {
		t.Fatalf("list-queues %+v", listed)
	}
	var sent struct{ MessageId, MD5OfMessageBody, MD5OfMessageAttributes string }
	mustJSON(t, cli(t, cloud, "sqs", "send-message", "--queue-url", url, "--message-body", "hello cli",
		"--message-attributes", `{"k":{"DataType":"String","StringValue":"v"},"b":{"DataType":"Binary","BinaryValue":"AAE="}}`), &sent)
	if sent.MessageId == "" || sent.MD5OfMessageAttributes == "" {
		t.Fatalf("send-message %+v", sent)
	}
	var got struct {
		Messages []struct {
			Body, ReceiptHandle string
			Attributes          map[string]string
			MessageAttributes   map[string]map[string]string
		}
	}
	mustJSON(t, cli(t, cloud, "sqs", "receive-message", "--queue-url", url, "--attribute-names", "All", "--message-attribute-names", "All"), &got)
	if len(got.Messages) != 1 || got.Messages[0].Body != "hello cli" || got.Messages[0].Attributes["ApproximateReceiveCount"] != "1" ||
		got.Messages[0].MessageAttributes["b"]["BinaryValue"] != "AAE=" {
		t.Fatalf("receive-message %+v", got)
	}
	cli(t, cloud, "sqs", "change-message-visibility", "--queue-url", url, "--receipt-handle", got.Messages[0].ReceiptHandle, "--visibility-timeout", "100")
	var attrs struct{ Attributes map[string]string }
	mustJSON(t, cli(t, cloud, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All"), &attrs)
	if attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" || attrs.Attributes["VisibilityTimeout"] != "60" {
		t.Fatalf("get-queue-attributes %+v", attrs)
	}
	cli(t, cloud, "sqs", "delete-message", "--queue-url", url, "--receipt-handle", got.Messages[0].ReceiptHandle)
	var batch struct{ Successful, Failed []map[string]any }
	mustJSON(t, cli(t, cloud, "sqs", "send-message-batch", "--queue-url", url, "--entries",
		`[{"Id":"a","MessageBody":"one"},{"Id":"b","MessageBody":"two","DelaySeconds":1}]`), &batch)
	if len(batch.Successful) != 2 {
		t.Fatalf("send-message-batch %+v", batch)
	}
	cli(t, cloud, "sqs", "set-queue-attributes", "--queue-url", url, "--attributes", "MessageRetentionPeriod=120")
	var tags struct{ Tags map[string]string }
	mustJSON(t, cli(t, cloud, "sqs", "list-queue-tags", "--queue-url", url), &tags)
	if tags.Tags["team"] != "infra" {
		t.Fatalf("list-queue-tags %+v", tags)
	}
	cli(t, cloud, "sqs", "purge-queue", "--queue-url", url)

	// Errors carry the query protocol's codes.
	out, err := cliRun(cloud, "sqs", "get-queue-url", "--queue-name", "missing")
	if err == nil || !strings.Contains(out, "AWS.SimpleQueueService.NonExistentQueue") {
		t.Fatalf("get-queue-url of a missing queue: %v %s", err, out)
	}
	out, err = cliRun(cloud, "sqs", "create-queue", "--queue-name", "cli-q", "--attributes", "VisibilityTimeout=61")
	if err == nil || !strings.Contains(out, "QueueAlreadyExists") {
		t.Fatalf("conflicting create-queue: %v %s", err, out)
	}
	out, err = cliRun(cloud, "sqs", "delete-message", "--queue-url", url, "--receipt-handle", "bogus")
	if err == nil || !strings.Contains(out, "ReceiptHandleIsInvalid") {
		t.Fatalf("delete-message with a bad handle: %v %s", err, out)
	}

	// FIFO through the query protocol.
	mustJSON(t, cli(t, cloud, "sqs", "create-queue", "--queue-name", "cli.fifo", "--attributes", "FifoQueue=true,ContentBasedDeduplication=true"), &created)
	for _, body := range []string{"1", "2", "3"} {
		cli(t, cloud, "sqs", "send-message", "--queue-url", created.QueueUrl, "--message-body", body, "--message-group-id", "g")
	}
	mustJSON(t, cli(t, cloud, "sqs", "receive-message", "--queue-url", created.QueueUrl, "--max-number-of-messages", "10"), &got)
	if len(got.Messages) != 3 || got.Messages[0].Body != "1" || got.Messages[2].Body != "3" {
		t.Fatalf("fifo receive %+v", got)
	}
	cli(t, cloud, "sqs", "delete-queue", "--queue-url", url)
}

func mustJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
}
