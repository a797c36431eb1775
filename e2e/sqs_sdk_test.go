package e2e

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nimbus-cloud/nimbus"
)

func sqsClient(cloud *nimbus.Instance) *sqs.Client {
	return sqs.NewFromConfig(awsConfig(cloud.Endpoint))
}

func createQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(ctx(t), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return *out.QueueUrl
}

func queueArn(t *testing.T, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.GetQueueAttributes(ctx(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

func TestSQSSDKQueues(t *testing.T) {
	cloud := nimbus.Start(t)
	c := sqsClient(cloud)
	url := createQueue(t, c, "orders", map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "0"})
	if want := cloud.Endpoint + "/000000000000/orders"; url != want {
		t.Fatalf("QueueUrl %s, want %s", url, want)
	}
	// Same attributes: the same queue; different: QueueAlreadyExists.
	if again := createQueue(t, c, "orders", map[string]string{"VisibilityTimeout": "45"}); again != url {
		t.Fatalf("re-create gave %s", again)
	}
	_, err := c.CreateQueue(ctx(t), &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "46"}})
	wantAPIError(t, err, "QueueAlreadyExists")
	_, err = c.CreateQueue(ctx(t), &sqs.CreateQueueInput{QueueName: aws.String("bad name")})
	wantAPIError(t, err, "InvalidParameterValue")
	_, err = c.CreateQueue(ctx(t), &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"Bogus": "1"}})
	wantAPIError(t, err, "InvalidAttributeName")
	_, err = c.CreateQueue(ctx(t), &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"DelaySeconds": "901"}})
	wantAPIError(t, err, "InvalidAttributeValue")

	got, err := c.GetQueueUrl(ctx(t), &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	if err != nil || *got.QueueUrl != url {
		t.Fatalf("GetQueueUrl: %v %v", got, err)
	}
	_, err = c.GetQueueUrl(ctx(t), &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	var qdne *types.QueueDoesNotExist
	if !errorsAs(err, &qdne) {
		t.Fatalf("error %T is not *types.QueueDoesNotExist", err)
	}

	attrs, err := c.GetQueueAttributes(ctx(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"VisibilityTimeout": "45", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
		"ApproximateNumberOfMessages": "0", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:orders", "SqsManagedSseEnabled": "true"} {
		if attrs.Attributes[k] != want {
			t.Errorf("attribute %s = %q, want %q", k, attrs.Attributes[k], want)
		}
	}
	if _, err := c.SetQueueAttributes(ctx(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"DelaySeconds": "5"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SetQueueAttributes(ctx(t), &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"FifoQueue": "true"}})
	wantAPIError(t, err, "InvalidAttributeName")

	// Tags.
	if _, err := c.TagQueue(ctx(t), &sqs.TagQueueInput{QueueUrl: &url, Tags: map[string]string{"team": "a", "env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagQueue(ctx(t), &sqs.UntagQueueInput{QueueUrl: &url, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListQueueTags(ctx(t), &sqs.ListQueueTagsInput{QueueUrl: &url})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "a" {
		t.Fatalf("ListQueueTags: %v %v", tags, err)
	}

	// Listing with pagination.
	for i := range 5 {
		createQueue(t, c, fmt.Sprintf("list-%d", i), nil)
	}
	var urls []string
	p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("list-"), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, page.QueueUrls...)
	}
	if len(urls) != 5 || !strings.HasSuffix(urls[4], "/list-4") {
		t.Fatalf("ListQueues pages: %v", urls)
	}

	// Permissions.
	if _, err := c.AddPermission(ctx(t), &sqs.AddPermissionInput{QueueUrl: &url, Label: aws.String("p1"),
		AWSAccountIds: []string{"111111111111"}, Actions: []string{"SendMessage"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AddPermission(ctx(t), &sqs.AddPermissionInput{QueueUrl: &url, Label: aws.String("p1"),
		AWSAccountIds: []string{"111111111111"}, Actions: []string{"SendMessage"}})
	wantAPIError(t, err, "InvalidParameterValue")
	if _, err := c.RemovePermission(ctx(t), &sqs.RemovePermissionInput{QueueUrl: &url, Label: aws.String("p1")}); err != nil {
		t.Fatal(err)
	}

	// Delete, then the name is held for a minute.
	if _, err := c.DeleteQueue(ctx(t), &sqs.DeleteQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetQueueAttributes(ctx(t), &sqs.GetQueueAttributesInput{QueueUrl: &url})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = c.CreateQueue(ctx(t), &sqs.CreateQueueInput{QueueName: aws.String("orders")})
	wantAPIError(t, err, "AWS.SimpleQueueService.QueueDeletedRecently")
}

func TestSQSSDKMessages(t *testing.T) {
	cloud := nimbus.Start(t)
	c := sqsClient(cloud)
	url := createQueue(t, c, "work", nil)
	sent, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("hello"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"color":  {DataType: aws.String("String"), StringValue: aws.String("red")},
			"weight": {DataType: aws.String("Number.float"), StringValue: aws.String("1.5")},
			"blob":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		},
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if *sent.MD5OfMessageBody != "5d41402abc4b2a76b9719d911017c592" || sent.MD5OfMessageAttributes == nil || sent.MD5OfMessageSystemAttributes == nil {
		t.Fatalf("SendMessage: %+v", sent)
	}
	_, err = c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("bad \x01")})
	wantAPIError(t, err, "InvalidMessageContents")

	got, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("ReceiveMessage: %v %+v", err, got)
	}
	m := got.Messages[0]
	if *m.MessageId != *sent.MessageId || *m.Body != "hello" || *m.MD5OfMessageAttributes != *sent.MD5OfMessageAttributes ||
		m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["AWSTraceHeader"] == "" || len(m.MessageAttributes) != 3 {
		t.Fatalf("message %+v", m)
	}
	// In flight: nothing more to receive.
	again, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url})
	if err != nil || len(again.Messages) != 0 {
		t.Fatalf("second receive: %v %+v", err, again)
	}
	attrs, _ := c.GetQueueAttributes(ctx(t), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Fatalf("counters %v", attrs.Attributes)
	}
	// Visibility back to 0: receivable again, with a new handle.
	if _, err := c.ChangeMessageVisibility(ctx(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	again, err = c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
	if err != nil || len(again.Messages) != 1 || again.Messages[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("receive after visibility 0: %v %+v", err, again)
	}
	_, err = c.DeleteMessage(ctx(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
	wantAPIError(t, err, "ReceiptHandleIsInvalid")
	if _, err := c.DeleteMessage(ctx(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: again.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}

	// Batches.
	var entries []types.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf("m%d", i))})
	}
	entries[3].MessageBody = aws.String("\x00")
	bo, err := c.SendMessageBatch(ctx(t), &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
	if err != nil || len(bo.Successful) != 9 || len(bo.Failed) != 1 || *bo.Failed[0].Id != "3" || *bo.Failed[0].Code != "InvalidMessageContents" {
		t.Fatalf("SendMessageBatch: %v %+v", err, bo)
	}
	_, err = c.SendMessageBatch(ctx(t), &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: append(entries, entries[0])})
	wantAPIError(t, err, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
	_, err = c.SendMessageBatch(ctx(t), &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{entries[0], entries[0]}})
	wantAPIError(t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")

	seen := map[string]bool{}
	for len(seen) < 9 {
		r, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil || len(r.Messages) == 0 {
			t.Fatalf("draining: %v (have %d)", err, len(seen))
		}
		var del []types.DeleteMessageBatchRequestEntry
		for i, m := range r.Messages {
			seen[*m.Body] = true
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String("bad"), ReceiptHandle: aws.String("nope")})
		d, err := c.DeleteMessageBatch(ctx(t), &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del})
		if err != nil || len(d.Successful) != len(r.Messages) || len(d.Failed) != 1 || *d.Failed[0].Code != "ReceiptHandleIsInvalid" {
			t.Fatalf("DeleteMessageBatch: %v %+v", err, d)
		}
	}

	// Purge, then once a minute only.
	if _, err := c.PurgeQueue(ctx(t), &sqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PurgeQueue(ctx(t), &sqs.PurgeQueueInput{QueueUrl: &url})
	wantAPIError(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")
}

func TestSQSSDKLongPollWakesOnSend(t *testing.T) {
	cloud := nimbus.Start(t)
	c := sqsClient(cloud)
	url := createQueue(t, c, "poll", nil)
	done := make(chan *sqs.ReceiveMessageOutput, 1)
	go func() {
		out, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	time.Sleep(200 * time.Millisecond)
	if _, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("wake")}); err != nil {
		t.Fatal(err)
	}
	select {
	case out := <-done:
		if out == nil || len(out.Messages) != 1 {
			t.Fatalf("long poll returned %+v", out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll did not wake up on send")
	}
}

func TestSQSSDKFifo(t *testing.T) {
	cloud := nimbus.Start(t)
	c := sqsClient(cloud)
	_, err := c.CreateQueue(ctx(t), &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{"FifoQueue": "true"}})
	wantAPIError(t, err, "InvalidParameterValue")
	url := createQueue(t, c, "jobs.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})

	_, err = c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
	wantAPIError(t, err, "MissingParameter")
	_, err = c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), DelaySeconds: 5})
	wantAPIError(t, err, "InvalidParameterValue")

	// Concurrent senders, one group each: every group arrives in order.
	const groups, per = 4, 25
	var wg sync.WaitGroup
	for g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(fmt.Sprintf("%d:%03d", g, i)),
					MessageGroupId: aws.String(fmt.Sprintf("g%d", g))}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// A duplicate (content-based) answers with the first id and adds nothing.
	first, _ := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("dup"), MessageGroupId: aws.String("d")})
	second, _ := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("dup"), MessageGroupId: aws.String("d")})
	if first == nil || second == nil || *first.MessageId != *second.MessageId || first.SequenceNumber == nil {
		t.Fatalf("dedup: %+v %+v", first, second)
	}

	next := map[string]int{}
	received := 0
	for received < groups*per+1 {
		r, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil || len(r.Messages) == 0 {
			t.Fatalf("receive: %v after %d", err, received)
		}
		for _, m := range r.Messages {
			received++
			g, n, _ := strings.Cut(*m.Body, ":")
			if g == "dup" {
				continue
			}
			i, _ := strconv.Atoi(n)
			if i != next[g] {
				t.Fatalf("group %s: got %d, want %d", g, i, next[g])
			}
			next[g]++
			if _, err := c.DeleteMessage(ctx(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestSQSSDKFifoGroupLock(t *testing.T) {
	cloud := nimbus.Start(t)
	c := sqsClient(cloud)
	url := createQueue(t, c, "lock.fifo", map[string]string{"FifoQueue": "true"})
	for i, g := range []string{"a", "a", "b"} {
		if _, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(g + strconv.Itoa(i)),
			MessageGroupId: aws.String(g), MessageDeduplicationId: aws.String(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	r1, _ := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url})
	if len(r1.Messages) != 1 || *r1.Messages[0].Body != "a0" {
		t.Fatalf("first receive %+v", r1.Messages)
	}
	// a is locked while a0 is in flight; b is not.
	r2, _ := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if len(r2.Messages) != 1 || *r2.Messages[0].Body != "b2" {
		t.Fatalf("second receive %+v", r2.Messages)
	}
	if _, err := c.DeleteMessage(ctx(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: r1.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	r3, _ := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if len(r3.Messages) != 1 || *r3.Messages[0].Body != "a1" {
		t.Fatalf("third receive %+v", r3.Messages)
	}
}

func TestSQSSDKDeadLetterAndRedrive(t *testing.T) {
	cloud := nimbus.Start(t)
	c := sqsClient(cloud)
	dlq := createQueue(t, c, "dead", nil)
	dlqArn := queueArn(t, c, dlq)
	src := createQueue(t, c, "src", map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"2"}`, "VisibilityTimeout": "0"})
	srcArn := queueArn(t, c, src)
	if _, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		r, _ := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &src})
		if len(r.Messages) != 1 {
			t.Fatalf("receive %d: %+v", i, r.Messages)
		}
	}
	// The third receive moves it to the dead-letter queue.
	if r, _ := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &src}); len(r.Messages) != 0 {
		t.Fatalf("poison message received a third time")
	}
	r, _ := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &dlq, VisibilityTimeout: 1,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"DeadLetterQueueSourceArn"}})
	if len(r.Messages) != 1 || *r.Messages[0].Body != "poison" || r.Messages[0].Attributes["DeadLetterQueueSourceArn"] != srcArn {
		t.Fatalf("dead-letter queue: %+v", r.Messages)
	}
	if _, err := c.ChangeMessageVisibility(ctx(t), &sqs.ChangeMessageVisibilityInput{QueueUrl: &dlq, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	sources, err := c.ListDeadLetterSourceQueues(ctx(t), &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil || len(sources.QueueUrls) != 1 || sources.QueueUrls[0] != src {
		t.Fatalf("ListDeadLetterSourceQueues: %v %+v", err, sources)
	}

	// Move it back.
	task, err := c.StartMessageMoveTask(ctx(t), &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn})
	if err != nil || task.TaskHandle == nil {
		t.Fatalf("StartMessageMoveTask: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, err := c.ListMessageMoveTasks(ctx(t), &sqs.ListMessageMoveTasksInput{SourceArn: &dlqArn})
		if err != nil || len(l.Results) != 1 {
			t.Fatalf("ListMessageMoveTasks: %v %+v", err, l)
		}
		if *l.Results[0].Status == "COMPLETED" {
			if l.Results[0].ApproximateNumberOfMessagesMoved != 1 {
				t.Fatalf("moved %d", l.Results[0].ApproximateNumberOfMessagesMoved)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still %s", *l.Results[0].Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	back, _ := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &src, WaitTimeSeconds: 2})
	if len(back.Messages) != 1 || *back.Messages[0].Body != "poison" {
		t.Fatalf("redriven message: %+v", back.Messages)
	}
}

// TestSQSSDKRestartKeepsInFlight restarts Nimbus while messages are in
// flight: none is lost, and they come back once their visibility timeout
// ends.
func TestSQSSDKRestartKeepsInFlight(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c := sqsClient(cloud)
	url := createQueue(t, c, "durable", nil)
	for i := range 20 {
		if _, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(fmt.Sprintf("m%02d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 5, VisibilityTimeout: 2})
	if err != nil || len(r.Messages) != 5 {
		t.Fatalf("receive: %v %d", err, len(r.Messages))
	}
	// A long poll waiting on an empty queue does not hold the restart up.
	empty := createQueue(t, c, "empty", nil)
	polling := make(chan error, 1)
	go func() {
		_, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &empty, WaitTimeSeconds: 20})
		polling <- err
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	cloud.Restart()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("restart took %v with a long poll waiting", d)
	}
	<-polling
	c = sqsClient(cloud)
	var bodies []string
	for len(bodies) < 20 {
		out, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 5})
		if err != nil || len(out.Messages) == 0 {
			t.Fatalf("after restart: %v, %d of 20", err, len(bodies))
		}
		for _, m := range out.Messages {
			bodies = append(bodies, *m.Body)
			if _, err := c.DeleteMessage(ctx(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	sort.Strings(bodies)
	for i, b := range bodies {
		if b != fmt.Sprintf("m%02d", i) {
			t.Fatalf("bodies after restart: %v", bodies)
		}
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// BenchmarkSQSLongPollWakeSDK measures, through HTTP and the SDK, the time
// from the start of a SendMessage to the return of a ReceiveMessage long
// poll that was already waiting; it reports p50 and p99 in milliseconds.
func BenchmarkSQSLongPollWakeSDK(b *testing.B) {
	cloud := nimbus.Start(b, nimbus.Options{DataDir: b.TempDir()})
	c := sqs.NewFromConfig(awsConfig(cloud.Endpoint))
	ctx := b.Context()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("wake")})
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		got := make(chan time.Time)
		go func() {
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 20})
			if err != nil || len(out.Messages) != 1 {
				b.Error(err)
				got <- time.Now()
				return
			}
			got <- time.Now()
			_, _ = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: out.Messages[0].ReceiptHandle})
		}()
		time.Sleep(2 * time.Millisecond) // let the receive reach its wait
		start := time.Now()
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("x")}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// TestSQSSDKMoveTaskResumesAfterRestart: a message move task's state is in
// the store, so a restart in the middle of a slow task does not stop it.
func TestSQSSDKMoveTaskResumesAfterRestart(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c := sqsClient(cloud)
	dlq := createQueue(t, c, "mt-dead", nil)
	dlqArn := queueArn(t, c, dlq)
	src := createQueue(t, c, "mt-src", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":1}`})
	dst := createQueue(t, c, "mt-dst", nil)
	dstArn := queueArn(t, c, dst)
	_ = src
	for i := range 4 {
		if _, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &dlq, MessageBody: aws.String(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.StartMessageMoveTask(ctx(t), &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn, DestinationArn: &dstArn,
		MaxNumberOfMessagesPerSecond: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.StartMessageMoveTask(ctx(t), &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn})
	wantAPIError(t, err, "AWS.SimpleQueueService.UnsupportedOperation")
	time.Sleep(1500 * time.Millisecond)
	cloud.Restart()
	c = sqsClient(cloud)
	deadline := time.Now().Add(20 * time.Second)
	for {
		l, err := c.ListMessageMoveTasks(ctx(t), &sqs.ListMessageMoveTasksInput{SourceArn: &dlqArn})
		if err != nil || len(l.Results) != 1 {
			t.Fatalf("ListMessageMoveTasks: %v %+v", err, l)
		}
		if *l.Results[0].Status == "COMPLETED" {
			if l.Results[0].ApproximateNumberOfMessagesMoved != 4 || aws.ToInt64(l.Results[0].ApproximateNumberOfMessagesToMove) != 4 {
				t.Fatalf("task %+v", l.Results[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still %s after the restart", *l.Results[0].Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	attrs, _ := c.GetQueueAttributes(ctx(t), &sqs.GetQueueAttributesInput{QueueUrl: &dst, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if attrs.Attributes["ApproximateNumberOfMessages"] != "4" {
		t.Fatalf("destination holds %v", attrs.Attributes)
	}
}

// TestSQSSDKFifoConcurrentConsumers: with several consumers, each message
// group is still handed out one in-flight batch at a time and in order.
func TestSQSSDKFifoConcurrentConsumers(t *testing.T) {
	cloud := nimbus.Start(t)
	c := sqsClient(cloud)
	url := createQueue(t, c, "consumers.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	const groups, per = 5, 20
	for i := range per {
		var entries []types.SendMessageBatchRequestEntry
		for g := range groups {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("g%d", g)),
				MessageBody: aws.String(fmt.Sprintf("%d:%03d", g, i)), MessageGroupId: aws.String(fmt.Sprintf("g%d", g))})
		}
		if _, err := c.SendMessageBatch(ctx(t), &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	next := map[string]int{}
	total := 0
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				done := total == groups*per
				mu.Unlock()
				if done {
					return
				}
				r, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 3, WaitTimeSeconds: 1})
				if err != nil {
					t.Error(err)
					return
				}
				for _, m := range r.Messages {
					g, n, _ := strings.Cut(*m.Body, ":")
					i, _ := strconv.Atoi(n)
					mu.Lock()
					if i != next[g] {
						t.Errorf("group %s: got %d, want %d", g, i, next[g])
					}
					next[g] = i + 1
					total++
					mu.Unlock()
					if _, err := c.DeleteMessage(ctx(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
}
