package sns

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/bolt"
)

func strAttr(v string) snsapi.MessageAttributeValue {
	return snsapi.MessageAttributeValue{DataType: ptr("String"), StringValue: &v}
}

func TestPublishEnvelope(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	sub := f.subscribe(topic, "sqs", queueARN, nil)
	out := f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr(`hello "<world>"`), Subject: ptr("Hi"),
		MessageAttributes: map[string]snsapi.MessageAttributeValue{
			"b": {DataType: ptr("Binary"), BinaryValue: []byte{1, 2, 3}},
			"a": strAttr("x"),
			"n": {DataType: ptr("Number"), StringValue: ptr("12.5")},
		}})
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(*out.MessageId) || out.SequenceNumber != nil {
		t.Errorf("Publish answered %+v", out)
	}
	d := f.received(1)[0]
	if d.Target != queueARN || d.Kind != "sqs" || d.Attributes[events.SQSMessageAttributes] != "" {
		t.Errorf("delivery %+v", d)
	}
	body := string(d.Body)
	// SNS's layout, field by field.
	re := regexp.MustCompile(`^\{
  "Type" : "Notification",
  "MessageId" : "` + *out.MessageId + `",
  "TopicArn" : "` + topic + `",
  "Subject" : "Hi",
  "Message" : "hello \\"<world>\\"",
  "Timestamp" : "2025-06-01T12:00:00\.000Z",
  "SignatureVersion" : "1",
  "Signature" : "[A-Za-z0-9+/=]+",
  "SigningCertURL" : "http://127\.0\.0\.1:4566/_nimbus/sns/SimpleNotificationService-[0-9a-f]{32}\.pem",
  "UnsubscribeURL" : "http://127\.0\.0\.1:4566/\?Action=Unsubscribe&SubscriptionArn=` + regexp.QuoteMeta(sub) + `",
  "MessageAttributes" : \{
    "a" : \{"Type":"String","Value":"x"\},
    "b" : \{"Type":"Binary","Value":"AQID"\},
    "n" : \{"Type":"Number","Value":"12\.5"\}
  \}
\}$`)
	if !re.MatchString(body) {
		t.Errorf("envelope:\n%s", body)
	}
	var n map[string]any
	if err := json.Unmarshal(d.Body, &n); err != nil {
		t.Fatal(err)
	}
	flat := map[string]string{}
	for k, v := range n {
		if s, ok := v.(string); ok {
			flat[k] = s
		}
	}
	verifySignature(t, f, flat, []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"})
}

func TestSignatureVersion2(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", map[string]string{"SignatureVersion": "2"})
	f.subscribe(topic, "sqs", queueARN, nil)
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("m")})
	var n map[string]string
	json.Unmarshal(f.received(1)[0].Body, &n)
	if n["SignatureVersion"] != "2" {
		t.Errorf("SignatureVersion %q", n["SignatureVersion"])
	}
	verifySignature(t, f, n, []string{"Message", "MessageId", "Timestamp", "TopicArn", "Type"})
}

func TestRawDeliveryToSQS(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("raw body"), MessageAttributes: map[string]snsapi.MessageAttributeValue{
		"color": strAttr("red"),
		"tags":  {DataType: ptr("String.Array"), StringValue: ptr(`["a","b"]`)},
		"blob":  {DataType: ptr("Binary"), BinaryValue: []byte("xy")},
	}})
	d := f.received(1)[0]
	if string(d.Body) != "raw body" {
		t.Errorf("body %q", d.Body)
	}
	attrs, err := events.DecodeMessageAttributes(d.Attributes[events.SQSMessageAttributes])
	if err != nil {
		t.Fatal(err)
	}
	if c := attrs["color"]; c.DataType != "String" || c.StringValue != "red" ||
		attrs["tags"].DataType != "String.Array" || attrs["tags"].StringValue != `["a","b"]` ||
		attrs["blob"].DataType != "Binary" || string(attrs["blob"].BinaryValue) != "xy" {
		t.Errorf("SQS attributes %+v", attrs)
	}
}

func TestFilterPolicies(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	q := func(n string) string { return "arn:aws:sqs:us-east-1:000000000000:" + n }
	f.subscribe(topic, "sqs", q("red"), map[string]string{"FilterPolicy": `{"color":["red"]}`, "RawMessageDelivery": "true"})
	f.subscribe(topic, "sqs", q("big"), map[string]string{"FilterPolicy": `{"size":[{"numeric":[">",10]}]}`, "RawMessageDelivery": "true"})
	f.subscribe(topic, "sqs", q("body"), map[string]string{"FilterPolicyScope": "MessageBody",
		"FilterPolicy": `{"order":{"status":["shipped"]}}`, "RawMessageDelivery": "true"})
	f.subscribe(topic, "sqs", q("all"), map[string]string{"RawMessageDelivery": "true"})
	pub := func(body string, attrs map[string]snsapi.MessageAttributeValue) {
		f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: &body, MessageAttributes: attrs})
	}
	pub("m1", map[string]snsapi.MessageAttributeValue{"color": strAttr("red")})
	pub("m2", map[string]snsapi.MessageAttributeValue{"color": strAttr("blue"), "size": {DataType: ptr("Number"), StringValue: ptr("11")}})
	pub(`{"order":{"status":"shipped"}}`, nil)
	pub(`{"order":{"status":"lost"}}`, nil)
	want := map[string][]string{
		q("red"): {"m1"}, q("big"): {"m2"}, q("body"): {`{"order":{"status":"shipped"}}`},
		q("all"): {"m1", "m2", `{"order":{"status":"shipped"}}`, `{"order":{"status":"lost"}}`},
	}
	got := map[string][]string{}
	for _, d := range f.received(7) {
		got[d.Target] = append(got[d.Target], string(d.Body))
	}
	for queue, bodies := range want {
		if strings.Join(got[queue], "|") != strings.Join(bodies, "|") {
			t.Errorf("%s got %q; want %q", queue, got[queue], bodies)
		}
	}
	f.drained()
}

func TestMessageStructureJSON(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	f.subscribe(topic, "sms", "+15555550100", nil)
	f.publish(&snsapi.PublishInput{TopicArn: &topic, MessageStructure: ptr("json"), Message: ptr(`{"default":"dflt","sqs":"for sqs"}`)})
	if d := f.received(1)[0]; string(d.Body) != "for sqs" {
		t.Errorf("sqs got %q", d.Body)
	}
	box := f.outbox("?protocol=sms")
	if len(box) != 1 || box[0].Message != "dflt" || box[0].Endpoint != "+15555550100" {
		t.Errorf("sms outbox %+v", box)
	}
	_, err := f.svc.Publish(f.ctx, &snsapi.PublishInput{TopicArn: &topic, MessageStructure: ptr("json"), Message: ptr(`{"sqs":"x"}`)})
	wantError(t, "no default", err, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body")
	_, err = f.svc.Publish(f.ctx, &snsapi.PublishInput{TopicArn: &topic, MessageStructure: ptr("json"), Message: ptr(`not json`)})
	wantError(t, "not json", err, "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse")
}

func TestPublishValidation(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	long := strings.Repeat("x", 256*1024+1)
	tests := []struct {
		name      string
		in        snsapi.PublishInput
		code, msg string
	}{
		{"empty message", snsapi.PublishInput{TopicArn: &topic, Message: ptr("")}, "InvalidParameter", "Invalid parameter: Empty message"},
		{"too long", snsapi.PublishInput{TopicArn: &topic, Message: &long}, "InvalidParameter", "Invalid parameter: Message too long"},
		{"no target", snsapi.PublishInput{Message: ptr("x")}, "InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"},
		{"bad subject", snsapi.PublishInput{TopicArn: &topic, Message: ptr("x"), Subject: ptr("a\nb")}, "InvalidParameter", "Invalid parameter: Subject"},
		{"dedup id on a standard topic", snsapi.PublishInput{TopicArn: &topic, Message: ptr("x"), MessageDeduplicationId: ptr("d")}, "InvalidParameter",
			"Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"},
		{"attribute type", snsapi.PublishInput{TopicArn: &topic, Message: ptr("x"), MessageAttributes: map[string]snsapi.MessageAttributeValue{
			"a": {DataType: ptr("Blob"), StringValue: ptr("v")}}}, "ParameterValueInvalid",
			"The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."},
		{"empty string attribute", snsapi.PublishInput{TopicArn: &topic, Message: ptr("x"), MessageAttributes: map[string]snsapi.MessageAttributeValue{
			"a": {DataType: ptr("String"), StringValue: ptr("")}}}, "ParameterValueInvalid",
			"The message attribute 'a' must contain non-empty message attribute value for message attribute type 'String'."},
		{"not a number", snsapi.PublishInput{TopicArn: &topic, Message: ptr("x"), MessageAttributes: map[string]snsapi.MessageAttributeValue{
			"a": {DataType: ptr("Number"), StringValue: ptr("ten")}}}, "ParameterValueInvalid", "Could not cast message attribute 'a' value to number."},
		{"bad string array", snsapi.PublishInput{TopicArn: &topic, Message: ptr("x"), MessageAttributes: map[string]snsapi.MessageAttributeValue{
			"a": {DataType: ptr("String.Array"), StringValue: ptr("[{}]")}}}, "ParameterValueInvalid", ""},
		{"reserved attribute name", snsapi.PublishInput{TopicArn: &topic, Message: ptr("x"), MessageAttributes: map[string]snsapi.MessageAttributeValue{
			"AWS.x": strAttr("v")}}, "InvalidParameter", ""},
		{"bad phone number", snsapi.PublishInput{PhoneNumber: ptr("12ab"), Message: ptr("x")}, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: 12ab is not valid to publish to"},
	}
	for _, tc := range tests {
		_, err := f.svc.Publish(f.ctx, &tc.in)
		wantError(t, tc.name, err, tc.code, tc.msg)
	}
}

func TestFifoPublish(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t.fifo", map[string]string{"FifoTopic": "true"})
	fifoQueue := "arn:aws:sqs:us-east-1:000000000000:q.fifo"
	f.subscribe(topic, "sqs", fifoQueue, map[string]string{"RawMessageDelivery": "true"})
	_, err := f.svc.Publish(f.ctx, &snsapi.PublishInput{TopicArn: &topic, Message: ptr("x")})
	wantError(t, "no group", err, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
	_, err = f.svc.Publish(f.ctx, &snsapi.PublishInput{TopicArn: &topic, Message: ptr("x"), MessageGroupId: ptr("g")})
	wantError(t, "no dedup", err, "InvalidParameter",
		"Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	first := f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("a"), MessageGroupId: ptr("g"), MessageDeduplicationId: ptr("d1")})
	dup := f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("a again"), MessageGroupId: ptr("g"), MessageDeduplicationId: ptr("d1")})
	second := f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("b"), MessageGroupId: ptr("g"), MessageDeduplicationId: ptr("d2")})
	if *first.SequenceNumber != "10000000000000000001" || *second.SequenceNumber != "10000000000000000002" {
		t.Errorf("sequence numbers %s, %s", *first.SequenceNumber, *second.SequenceNumber)
	}
	if *dup.MessageId != *first.MessageId || *dup.SequenceNumber != *first.SequenceNumber {
		t.Errorf("a duplicate got its own id: %+v vs %+v", dup, first)
	}
	got := f.received(2)
	if string(got[0].Body) != "a" || string(got[1].Body) != "b" {
		t.Errorf("delivered %q, %q", got[0].Body, got[1].Body)
	}
	if got[0].Attributes[events.SQSMessageGroupID] != "g" || got[0].Attributes[events.SQSDeduplicationID] != "d1" {
		t.Errorf("FIFO attributes %v", got[0].Attributes)
	}
	f.drained()
	// After the deduplication window the id is new again.
	f.clock.Advance(dedupWindow + time.Second)
	if err := f.svc.sweepDedup(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("a"), MessageGroupId: ptr("g"), MessageDeduplicationId: ptr("d1")})
	if *again.MessageId == *first.MessageId {
		t.Error("deduplicated after the window")
	}
	f.received(1)

	// Content-based deduplication hashes the message.
	cbd := f.createTopic("c.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	f.subscribe(cbd, "sqs", fifoQueue, nil)
	a := f.publish(&snsapi.PublishInput{TopicArn: &cbd, Message: ptr("same"), MessageGroupId: ptr("g")})
	b := f.publish(&snsapi.PublishInput{TopicArn: &cbd, Message: ptr("same"), MessageGroupId: ptr("g2")})
	if *a.MessageId != *b.MessageId {
		t.Error("content-based deduplication let a duplicate through")
	}
	var n map[string]string
	json.Unmarshal(f.received(1)[0].Body, &n)
	if n["SequenceNumber"] != *a.SequenceNumber {
		t.Errorf("envelope SequenceNumber %q", n["SequenceNumber"])
	}
	f.drained()
}

func TestPublishBatch(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	entry := func(id, msg string) snsapi.PublishBatchRequestEntry {
		return snsapi.PublishBatchRequestEntry{Id: &id, Message: &msg}
	}
	out, err := f.svc.PublishBatch(f.ctx, &snsapi.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snsapi.PublishBatchRequestEntry{
		entry("1", "one"), entry("2", ""), entry("3", "three"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 2 || *out.Successful[0].Id != "1" || *out.Successful[1].Id != "3" || len(out.Failed) != 1 ||
		*out.Failed[0].Id != "2" || *out.Failed[0].Code != "InvalidParameter" || !*out.Failed[0].SenderFault {
		t.Errorf("PublishBatch %+v", out)
	}
	got := f.received(2)
	if string(got[0].Body) != "one" || string(got[1].Body) != "three" {
		t.Errorf("delivered %q %q", got[0].Body, got[1].Body)
	}
	many := make([]snsapi.PublishBatchRequestEntry, 11)
	for i := range many {
		many[i] = entry(string(rune('a'+i)), "m")
	}
	tests := []struct {
		name    string
		entries []snsapi.PublishBatchRequestEntry
		code    string
	}{
		{"empty", nil, "EmptyBatchRequest"},
		{"eleven", many, "TooManyEntriesInBatchRequest"},
		{"same ids", []snsapi.PublishBatchRequestEntry{entry("a", "m"), entry("a", "m")}, "BatchEntryIdsNotDistinct"},
		{"bad id", []snsapi.PublishBatchRequestEntry{entry("a b", "m")}, "InvalidBatchEntryId"},
		{"too long", []snsapi.PublishBatchRequestEntry{entry("a", strings.Repeat("x", 200000)), entry("b", strings.Repeat("x", 70000))}, "BatchRequestTooLong"},
	}
	for _, tc := range tests {
		_, err := f.svc.PublishBatch(f.ctx, &snsapi.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: tc.entries})
		wantError(t, tc.name, err, tc.code, "")
	}
}

func (f *fixture) outbox(query string) []outboxMessage {
	f.t.Helper()
	rec := httptest.NewRecorder()
	f.svc.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, OutboxPath+query, nil))
	var out struct{ Messages []outboxMessage }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		f.t.Fatalf("outbox: %v: %s", err, rec.Body)
	}
	return out.Messages
}

func TestOutbox(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	f.subscribe(topic, "email", "a@example.com", nil)
	f.subscribe(topic, "email-json", "b@example.com", nil)
	box := f.outbox("?type=SubscriptionConfirmation")
	if len(box) != 2 || box[0].SubscribeURL == "" || box[0].Token == "" || !strings.Contains(box[0].Message, box[0].SubscribeURL) {
		t.Fatalf("confirmations %+v", box)
	}
	// Confirm the email subscription through its link's token.
	if _, err := f.svc.ConfirmSubscription(f.ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &topic, Token: &box[0].Token}); err != nil {
		t.Fatal(err)
	}
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("news"), Subject: ptr("Weekly")})
	f.publish(&snsapi.PublishInput{PhoneNumber: ptr("+15555550123"), Message: ptr("code 1234")})
	notes := f.outbox("?type=Notification&topicArn=" + topic)
	if len(notes) != 1 || notes[0].Endpoint != "a@example.com" || notes[0].Subject != "Weekly" || !strings.HasPrefix(notes[0].Message, "news\n\n--\n") {
		t.Errorf("email notifications %+v", notes)
	}
	sms := f.outbox("?protocol=sms")
	if len(sms) != 1 || sms[0].Message != "code 1234" || sms[0].Endpoint != "+15555550123" {
		t.Errorf("sms %+v", sms)
	}
	rec := httptest.NewRecorder()
	f.svc.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, OutboxPath, nil))
	if rec.Code != http.StatusOK || len(f.outbox("")) != 0 {
		t.Errorf("DELETE left %d messages", len(f.outbox("")))
	}
}

// A subscription whose queue is gone sends the message to its
// dead-letter queue.
func TestRedrivePolicy(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	gone := "arn:aws:sqs:us-east-1:000000000000:gone"
	dlq := "arn:aws:sqs:us-east-1:000000000000:dlq"
	f.queue.missing[gone] = true
	f.subscribe(topic, "sqs", gone, map[string]string{"RawMessageDelivery": "true", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlq + `"}`})
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("lost"), MessageAttributes: map[string]snsapi.MessageAttributeValue{"k": strAttr("v")}})
	d := f.received(1)[0]
	if d.Target != dlq || string(d.Body) != "lost" || d.Attributes[events.SQSMessageAttributes] == "" {
		t.Errorf("dead letter %+v", d)
	}
}

// S3 and other producers publish through the "sns" sink.
func TestTopicSink(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	f.subscribe(topic, "sqs", queueARN, nil)
	err := f.db.Update(context.Background(), func(tx storage.Tx) error {
		return f.bus.Enqueue(tx, &events.Delivery{Kind: events.KindSNS, Target: topic, Body: []byte(`{"Records":[]}`),
			Attributes: map[string]string{SNSSubjectAttribute: "Amazon S3 Notification", SNSEndpointAttribute: testEndpoint}})
	})
	if err != nil {
		t.Fatal(err)
	}
	var n map[string]string
	json.Unmarshal(f.received(1)[0].Body, &n)
	if n["Message"] != `{"Records":[]}` || n["Subject"] != "Amazon S3 Notification" || n["TopicArn"] != topic {
		t.Errorf("notification %v", n)
	}
	ok, err := f.bus.TargetExists(context.Background(), events.KindSNS, topic)
	if !ok || err != nil {
		t.Errorf("TargetExists(topic) = %v, %v", ok, err)
	}
	ok, _ = f.bus.TargetExists(context.Background(), events.KindSNS, topic+"x")
	if ok {
		t.Error("a missing topic exists")
	}
}

// A publish is durable when it returns: its fan-out survives a restart.
func TestFanOutResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureOn(t, db, false) // no dispatcher, and SQS down: nothing is delivered yet
	f.queue.down = true
	topic := f.createTopic("t", nil)
	f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	for _, m := range []string{"1", "2", "3"} {
		f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr(m)})
	}
	if n, err := f.bus.Pending(context.Background()); err != nil || n != 3 {
		t.Fatalf("%d deliveries pending (%v); want 3", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f = newFixtureOn(t, db, true)
	got := f.received(3)
	for i, d := range got {
		if string(d.Body) != []string{"1", "2", "3"}[i] {
			t.Errorf("delivery %d: %q", i, d.Body)
		}
	}
	f.drained()
}
