package sqs

import (
	"context"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/memory"
)

// newTestService runs on the in-memory engine with the clock of the test
// (inside a synctest bubble, the bubble's fake clock).
func newTestService(t *testing.T) *Service {
	t.Helper()
	db, err := memory.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(Deps{Store: db})
}

func mustCreate(t *testing.T, s *Service, name string, attrs map[string]string) string {
	t.Helper()
	out, err := s.CreateQueue(context.Background(), &sqsapi.CreateQueueInput{QueueName: &name, Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return *out.QueueUrl
}

func send(t *testing.T, s *Service, url, body string, mod ...func(*sqsapi.SendMessageInput)) *sqsapi.SendMessageOutput {
	t.Helper()
	in := &sqsapi.SendMessageInput{QueueUrl: &url, MessageBody: &body}
	for _, m := range mod {
		m(in)
	}
	out, err := s.SendMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("SendMessage %q: %v", body, err)
	}
	return out
}

func receive(t *testing.T, s *Service, url string, max int32, mod ...func(*sqsapi.ReceiveMessageInput)) []sqsapi.Message {
	t.Helper()
	in := &sqsapi.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: &max, WaitTimeSeconds: ptr(int32(0))}
	for _, m := range mod {
		m(in)
	}
	out, err := s.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func bodies(msgs []sqsapi.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = *m.Body
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	e := awserr.From(err)
	if err == nil || (e.Code != code && e.QueryCode != code) {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func TestVisibilityTimeoutAndDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestService(t)
		url := mustCreate(t, s, "q", map[string]string{"VisibilityTimeout": "30"})
		send(t, s, url, "now")
		send(t, s, url, "later", func(in *sqsapi.SendMessageInput) { in.DelaySeconds = ptr(int32(10)) })

		got := receive(t, s, url, 10)
		if len(got) != 1 || *got[0].Body != "now" {
			t.Fatalf("first receive %v", bodies(got))
		}
		time.Sleep(10 * time.Second)
		if got := receive(t, s, url, 10); len(got) != 1 || *got[0].Body != "later" {
			t.Fatalf("after the delay %v", bodies(got))
		}
		time.Sleep(19 * time.Second)
		if got := receive(t, s, url, 10); len(got) != 0 {
			t.Fatalf("before the visibility timeout ends %v", bodies(got))
		}
		time.Sleep(time.Second)
		got = receive(t, s, url, 10, func(in *sqsapi.ReceiveMessageInput) { in.AttributeNames = []string{"ApproximateReceiveCount"} })
		if len(got) != 1 || *got[0].Body != "now" || got[0].Attributes["ApproximateReceiveCount"] != "2" {
			t.Fatalf("after the visibility timeout %+v", got)
		}
	})
}

func TestCountersAndChangeVisibility(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestService(t)
		url := mustCreate(t, s, "q", nil)
		for i := range 3 {
			send(t, s, url, strconv.Itoa(i))
		}
		send(t, s, url, "d", func(in *sqsapi.SendMessageInput) { in.DelaySeconds = ptr(int32(60)) })
		got := receive(t, s, url, 1)
		counters := func() map[string]string {
			out, err := s.GetQueueAttributes(context.Background(), &sqsapi.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []string{"All"}})
			if err != nil {
				t.Fatal(err)
			}
			return out.Attributes
		}
		c := counters()
		if c[attrNumMessages] != "2" || c[attrNumNotVisible] != "1" || c[attrNumDelayed] != "1" {
			t.Fatalf("counters %v", c)
		}
		h := got[0].ReceiptHandle
		if _, err := s.ChangeMessageVisibility(context.Background(), &sqsapi.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: h, VisibilityTimeout: ptr(int32(0))}); err != nil {
			t.Fatal(err)
		}
		if c := counters(); c[attrNumMessages] != "3" || c[attrNumNotVisible] != "0" {
			t.Fatalf("counters after visibility 0: %v", c)
		}
		// The old handle: its receive is over.
		_, err := s.ChangeMessageVisibility(context.Background(), &sqsapi.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: h, VisibilityTimeout: ptr(int32(10))})
		if err != nil {
			t.Fatalf("change of an expired handle: %v", err)
		}
		got = receive(t, s, url, 10)
		if len(got) != 3 {
			t.Fatalf("receive all %v", bodies(got))
		}
		// A handle of an earlier receive deletes nothing from a standard queue.
		if _, err := s.DeleteMessage(context.Background(), &sqsapi.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: h}); err != nil {
			t.Fatal(err)
		}
		if c := counters(); c[attrNumNotVisible] != "3" {
			t.Fatalf("stale delete removed a message: %v", c)
		}
		_, err = s.ChangeMessageVisibility(context.Background(), &sqsapi.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: h, VisibilityTimeout: ptr(int32(5))})
		wantCode(t, err, "InvalidParameterValue")
		_, err = s.DeleteMessage(context.Background(), &sqsapi.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: ptr("not-a-handle")})
		wantCode(t, err, "ReceiptHandleIsInvalid")
	})
}

func TestRetentionExpiresMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestService(t)
		url := mustCreate(t, s, "q", map[string]string{"MessageRetentionPeriod": "60"})
		send(t, s, url, "old")
		time.Sleep(61 * time.Second)
		send(t, s, url, "new")
		if got := receive(t, s, url, 10); len(got) != 1 || *got[0].Body != "new" {
			t.Fatalf("got %v", bodies(got))
		}
		if err := s.sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLongPollWakesAndTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestService(t)
		url := mustCreate(t, s, "q", nil)
		start := time.Now()
		got := receive(t, s, url, 1, func(in *sqsapi.ReceiveMessageInput) { in.WaitTimeSeconds = ptr(int32(20)) })
		if len(got) != 0 || time.Since(start) != 20*time.Second {
			t.Fatalf("empty long poll: %v after %v", bodies(got), time.Since(start))
		}

		done := make(chan []sqsapi.Message)
		go func() {
			done <- receive(t, s, url, 1, func(in *sqsapi.ReceiveMessageInput) { in.WaitTimeSeconds = ptr(int32(20)) })
		}()
		time.Sleep(3 * time.Second)
		synctest.Wait()
		start = time.Now()
		send(t, s, url, "hi")
		got = <-done
		if len(got) != 1 || time.Since(start) != 0 {
			t.Fatalf("woken long poll: %v after %v", bodies(got), time.Since(start))
		}

		// A delayed message wakes a poll when its delay ends.
		send(t, s, url, "delayed", func(in *sqsapi.SendMessageInput) { in.DelaySeconds = ptr(int32(5)) })
		start = time.Now()
		got = receive(t, s, url, 1, func(in *sqsapi.ReceiveMessageInput) { in.WaitTimeSeconds = ptr(int32(20)) })
		if len(got) != 1 || time.Since(start) != 5*time.Second {
			t.Fatalf("delayed message: %v after %v", bodies(got), time.Since(start))
		}
	})
}

func TestFifoGroupsAndDedup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestService(t)
		url := mustCreate(t, s, "q.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "30"})
		group := func(g string) func(*sqsapi.SendMessageInput) {
			return func(in *sqsapi.SendMessageInput) { in.MessageGroupId = &g }
		}
		dedup := func(d string) func(*sqsapi.SendMessageInput) {
			return func(in *sqsapi.SendMessageInput) { in.MessageDeduplicationId = &d }
		}
		first := send(t, s, url, "a1", group("a"), dedup("1"))
		send(t, s, url, "a2", group("a"), dedup("2"))
		send(t, s, url, "b1", group("b"), dedup("3"))
		dup := send(t, s, url, "a1 again", group("a"), dedup("1"))
		if *dup.MessageId != *first.MessageId || *dup.SequenceNumber != *first.SequenceNumber {
			t.Fatalf("duplicate answered %+v, first %+v", dup, first)
		}

		got := receive(t, s, url, 1)
		if len(got) != 1 || *got[0].Body != "a1" {
			t.Fatalf("first %v", bodies(got))
		}
		// Group a is locked while a1 is in flight.
		if got := receive(t, s, url, 10); len(got) != 1 || *got[0].Body != "b1" {
			t.Fatalf("second %v", bodies(got))
		}
		if got := receive(t, s, url, 10); len(got) != 0 {
			t.Fatalf("third %v", bodies(got))
		}
		// The visibility timeout ends: a1 comes back before a2.
		time.Sleep(30 * time.Second)
		got = receive(t, s, url, 10)
		if len(got) != 3 || *got[0].Body != "a1" || *got[1].Body != "a2" || *got[2].Body != "b1" {
			t.Fatalf("after the timeout %v", bodies(got))
		}
		for _, m := range got {
			if _, err := s.DeleteMessage(context.Background(), &sqsapi.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
		// Within five minutes the id is still taken, even though deleted.
		time.Sleep(4 * time.Minute)
		if again := send(t, s, url, "x", group("a"), dedup("1")); *again.MessageId != *first.MessageId {
			t.Fatal("dedup id forgotten within the window")
		}
		if got := receive(t, s, url, 10); len(got) != 0 {
			t.Fatalf("duplicate delivered %v", bodies(got))
		}
		time.Sleep(61 * time.Second)
		if again := send(t, s, url, "y", group("a"), dedup("1")); *again.MessageId == *first.MessageId {
			t.Fatal("dedup id remembered past the window")
		}
		// A FIFO handle whose visibility ran out is refused.
		got = receive(t, s, url, 1)
		time.Sleep(31 * time.Second)
		_, err := s.DeleteMessage(context.Background(), &sqsapi.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: got[0].ReceiptHandle})
		wantCode(t, err, "InvalidParameterValue")
	})
}

func TestFifoContentDedupAndScope(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestService(t)
		url := mustCreate(t, s, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
		a := send(t, s, url, "same", func(in *sqsapi.SendMessageInput) { in.MessageGroupId = ptr("a") })
		b := send(t, s, url, "same", func(in *sqsapi.SendMessageInput) { in.MessageGroupId = ptr("b") })
		if *a.MessageId == *b.MessageId {
			t.Fatal("per-group deduplication treated two groups as one")
		}
		a2 := send(t, s, url, "same", func(in *sqsapi.SendMessageInput) { in.MessageGroupId = ptr("a") })
		if *a2.MessageId != *a.MessageId {
			t.Fatal("content-based duplicate not detected")
		}
	})
}

func TestDeadLetterMoveAtReceive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestService(t)
		dlq := mustCreate(t, s, "dlq", nil)
		src := mustCreate(t, s, "src", map[string]string{"VisibilityTimeout": "5",
			"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":2}`})
		sent := send(t, s, src, "poison")
		for i := range 2 {
			if got := receive(t, s, src, 1); len(got) != 1 {
				t.Fatalf("receive %d: %v", i, bodies(got))
			}
			time.Sleep(5 * time.Second)
		}
		if got := receive(t, s, src, 1); len(got) != 0 {
			t.Fatalf("received past maxReceiveCount: %v", bodies(got))
		}
		got := receive(t, s, dlq, 1, func(in *sqsapi.ReceiveMessageInput) { in.AttributeNames = []string{"All"} })
		if len(got) != 1 || *got[0].MessageId != *sent.MessageId || got[0].Attributes["DeadLetterQueueSourceArn"] != "arn:aws:sqs:us-east-1:000000000000:src" {
			t.Fatalf("dead-letter queue %+v", got)
		}
		// RedriveAllowPolicy denyAll refuses new sources.
		if _, err := s.SetQueueAttributes(context.Background(), &sqsapi.SetQueueAttributesInput{QueueUrl: &dlq,
			Attributes: map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`}}); err != nil {
			t.Fatal(err)
		}
		_, err := s.CreateQueue(context.Background(), &sqsapi.CreateQueueInput{QueueName: ptr("src2"), Attributes: map[string]string{
			"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":2}`}})
		wantCode(t, err, "InvalidParameterValue")
	})
}

func TestQueueDeletedRecentlyAndPurge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestService(t)
		url := mustCreate(t, s, "q", nil)
		send(t, s, url, "m")
		if _, err := s.PurgeQueue(context.Background(), &sqsapi.PurgeQueueInput{QueueUrl: &url}); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, s, url, 10); len(got) != 0 {
			t.Fatalf("purged queue gave %v", bodies(got))
		}
		_, err := s.PurgeQueue(context.Background(), &sqsapi.PurgeQueueInput{QueueUrl: &url})
		wantCode(t, err, "PurgeQueueInProgress")
		time.Sleep(60 * time.Second)
		if _, err := s.PurgeQueue(context.Background(), &sqsapi.PurgeQueueInput{QueueUrl: &url}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteQueue(context.Background(), &sqsapi.DeleteQueueInput{QueueUrl: &url}); err != nil {
			t.Fatal(err)
		}
		_, err = s.CreateQueue(context.Background(), &sqsapi.CreateQueueInput{QueueName: ptr("q")})
		wantCode(t, err, "QueueDeletedRecently")
		time.Sleep(60 * time.Second)
		mustCreate(t, s, "q", nil)
	})
}

// The vectors were recorded from SQS itself (MD5OfMessageAttributes of the
// given attributes).
func TestMD5OfMessageAttributes(t *testing.T) {
	str := func(v string) sqsapi.MessageAttributeValue {
		return sqsapi.MessageAttributeValue{DataType: ptr("String"), StringValue: &v}
	}
	for _, tc := range []struct {
		attrs map[string]sqsapi.MessageAttributeValue
		want  string
	}{
		{map[string]sqsapi.MessageAttributeValue{"Foo": str("Bar")}, "ae7155c6026991b6d54b11589678bf9c"},
		{map[string]sqsapi.MessageAttributeValue{"General": str("Kenobi"), "Hello": str("There"), "Help.Me": str("Me")}, "4c360f3fdafd970e05fae2f149d997f5"},
		{map[string]sqsapi.MessageAttributeValue{"General": str("Kenobi"), "Hello": str("There")}, "fca026605781cb4126a1e9044df24232"},
		{map[string]sqsapi.MessageAttributeValue{"Hello": str("There")}, "a311262e065454b75da111d535b8dacd"},
		{map[string]sqsapi.MessageAttributeValue{"Hello": str("There"), "Help.Me": str("Me")}, "83fee93c1bcd8b9a5a923ffacdc636c7"},
		{map[string]sqsapi.MessageAttributeValue{"attr1": {DataType: ptr("Binary"),
			BinaryValue: []byte("traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01")}}, "8cbe4db156db8a94db8b801b7addb984"},
		{nil, ""},
	} {
		if got := md5OfUserAttributes(tc.attrs); got != tc.want {
			t.Errorf("md5 of %v = %s, want %s", tc.attrs, got, tc.want)
		}
	}
	if got := md5Hex("msg"); got != "6e2baaf3b97dbeef01c0043275f9a0e7" {
		t.Errorf("md5 of the body = %s", got)
	}
}

func TestMessageCodecRoundTrip(t *testing.T) {
	m := &message{ID: "id", Body: "body ✓", MD5Body: "x", Sent: 1, Receives: 3, VisibleAt: -5, Group: "g", DLQSource: "arn",
		Attrs: map[string]sqsapi.MessageAttributeValue{
			"s": {DataType: ptr("String"), StringValue: ptr("")},
			"b": {DataType: ptr("Binary"), BinaryValue: []byte{0, 1}},
			"l": {DataType: ptr("String"), StringListValues: []string{"a", "b"}},
		}}
	got, err := decodeMessage(encodeMessage(m))
	if err != nil || got.Body != m.Body || got.Receives != 3 || got.VisibleAt != -5 || len(got.Attrs) != 3 ||
		*got.Attrs["s"].StringValue != "" || got.Attrs["b"].BinaryValue[1] != 1 || got.Attrs["l"].StringListValues[1] != "b" {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	for i := range len(encodeMessage(m)) {
		if _, err := decodeMessage(encodeMessage(m)[:i]); err == nil {
			t.Fatalf("a record cut at %d decoded", i)
		}
	}
}

func TestAttributeValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		fifo  bool
		code  string
	}{
		{"unknown", map[string]string{"Nope": "1"}, false, "InvalidAttributeName"},
		{"visibility too high", map[string]string{"VisibilityTimeout": "43201"}, false, "InvalidAttributeValue"},
		{"not a number", map[string]string{"DelaySeconds": "x"}, false, "InvalidAttributeValue"},
		{"size too small", map[string]string{"MaximumMessageSize": "1023"}, false, "InvalidAttributeValue"},
		{"size at the max", map[string]string{"MaximumMessageSize": "1048576"}, false, ""},
		{"fifo attribute on standard", map[string]string{"ContentBasedDeduplication": "true"}, false, "InvalidAttributeName"},
		{"throughput per group needs group scope", map[string]string{"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "queue"}, true, "InvalidAttributeValue"},
		{"both encryptions", map[string]string{"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"}, false, "InvalidAttributeName"},
		{"bad redrive json", map[string]string{"RedrivePolicy": "{"}, false, "InvalidParameterValue"},
		{"bad maxReceiveCount", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:d","maxReceiveCount":0}`}, false, "InvalidParameterValue"},
		{"bad redrive allow", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"byQueue"}`}, false, "InvalidParameterValue"},
		{"kms", map[string]string{"KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "600"}, false, ""},
	} {
		_, err := normalizeAttrs(tc.attrs, true, tc.fifo, nil)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		e := awserr.From(err)
		if err == nil || (e.Code != tc.code && e.QueryCode != tc.code) {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
}

func TestSendValidation(t *testing.T) {
	s := newTestService(t)
	url := mustCreate(t, s, "q", map[string]string{"MaximumMessageSize": "1024"})
	big := stringOf('x', 1025)
	for _, tc := range []struct {
		name string
		in   sqsapi.SendMessageInput
		code string
	}{
		{"too big", sqsapi.SendMessageInput{MessageBody: ptr(big)}, "InvalidParameterValue"},
		{"too big counting attributes", sqsapi.SendMessageInput{MessageBody: ptr("x"), MessageAttributes: map[string]sqsapi.MessageAttributeValue{
			"a": {DataType: ptr("String"), StringValue: ptr(stringOf('y', 1020))}}}, "InvalidParameterValue"},
		{"control character", sqsapi.SendMessageInput{MessageBody: ptr("a\x00")}, "InvalidMessageContents"},
		{"empty body", sqsapi.SendMessageInput{MessageBody: ptr("")}, "MissingParameter"},
		{"surrogate", sqsapi.SendMessageInput{MessageBody: ptr("\xed\xa0\x80")}, "InvalidMessageContents"},
		{"delay", sqsapi.SendMessageInput{MessageBody: ptr("x"), DelaySeconds: ptr(int32(901))}, "InvalidParameterValue"},
		{"reserved name", sqsapi.SendMessageInput{MessageBody: ptr("x"), MessageAttributes: map[string]sqsapi.MessageAttributeValue{"AWS.x": {DataType: ptr("String"), StringValue: ptr("v")}}}, "InvalidParameterValue"},
		{"bad type", sqsapi.SendMessageInput{MessageBody: ptr("x"), MessageAttributes: map[string]sqsapi.MessageAttributeValue{"a": {DataType: ptr("Strung"), StringValue: ptr("v")}}}, "InvalidParameterValue"},
		{"not a number", sqsapi.SendMessageInput{MessageBody: ptr("x"), MessageAttributes: map[string]sqsapi.MessageAttributeValue{"a": {DataType: ptr("Number"), StringValue: ptr("v")}}}, "InvalidParameterValue"},
		{"empty binary", sqsapi.SendMessageInput{MessageBody: ptr("x"), MessageAttributes: map[string]sqsapi.MessageAttributeValue{"a": {DataType: ptr("Binary")}}}, "InvalidParameterValue"},
		{"dedup on standard", sqsapi.SendMessageInput{MessageBody: ptr("x"), MessageDeduplicationId: ptr("d")}, "InvalidParameterValue"},
		{"system attribute", sqsapi.SendMessageInput{MessageBody: ptr("x"), MessageSystemAttributes: map[string]sqsapi.MessageSystemAttributeValue{"Other": {DataType: ptr("String"), StringValue: ptr("v")}}}, "InvalidParameterValue"},
	} {
		in := tc.in
		in.QueueUrl = &url
		_, err := s.SendMessage(context.Background(), &in)
		e := awserr.From(err)
		if err == nil || (e.Code != tc.code && e.QueryCode != tc.code) {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
}

func stringOf(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func TestParseQueueURL(t *testing.T) {
	for raw, want := range map[string]queueRef{
		"http://127.0.0.1:4566/000000000000/q":                                {"000000000000", "us-east-1", "q"},
		"https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo":             {"123456789012", "eu-west-1", "q.fifo"},
		"http://sqs.us-west-2.localhost.localstack.cloud:4566/000000000000/q": {"000000000000", "us-west-2", "q"},
		"http://localhost:4566/queue/us-east-1/000000000000/q":                {"000000000000", "us-east-1", "q"},
		"q": {"000000000000", "us-east-1", "q"},
	} {
		got, ok := parseQueueURL(context.Background(), raw)
		if !ok || got != want {
			t.Errorf("%s: %+v %v, want %+v", raw, got, ok, want)
		}
	}
	for _, bad := range []string{"", "http://h/abc/q", "http://h/000000000000/bad name", "http://h/"} {
		if _, ok := parseQueueURL(context.Background(), bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestBatchRules(t *testing.T) {
	for _, tc := range []struct {
		ids  []string
		code string
	}{
		{nil, "EmptyBatchRequest"},
		{[]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}, "TooManyEntriesInBatchRequest"},
		{[]string{"a:b"}, "InvalidBatchEntryId"},
		{[]string{stringOf('a', 81)}, "InvalidBatchEntryId"},
		{[]string{"a", "a"}, "BatchEntryIdsNotDistinct"},
		{[]string{"a-b_C9"}, ""},
	} {
		err := checkBatch("Entry", tc.ids)
		if tc.code == "" && err != nil || tc.code != "" && !(awserr.From(err).Code == tc.code) {
			t.Errorf("%v: got %v, want %s", tc.ids, err, tc.code)
		}
	}
}
