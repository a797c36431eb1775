package sns

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
)

func TestSubscribeValidation(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	fifo := f.createTopic("f.fifo", map[string]string{"FifoTopic": "true"})
	tests := []struct {
		name                      string
		topic, protocol, endpoint string
		attrs                     map[string]string
		code, msg                 string
	}{
		{"unknown protocol", topic, "carrier-pigeon", "x", nil, "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"},
		{"sqs not an arn", topic, "sqs", "https://sqs/q", nil, "InvalidParameter", "Invalid parameter: SQS endpoint ARN"},
		{"http with https url", topic, "http", "https://example.com", nil, "InvalidParameter", "Invalid parameter: Endpoint must match the specified protocol"},
		{"bad email", topic, "email", "nobody", nil, "InvalidParameter", "Invalid parameter: Email address"},
		{"lambda not an arn", topic, "lambda", "fn", nil, "InvalidParameter", "Invalid parameter: Lambda endpoint ARN"},
		{"fifo queue on a standard topic", topic, "sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo", nil, "InvalidParameter",
			"Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"},
		{"email on a fifo topic", fifo, "email", "a@example.com", nil, "InvalidParameter", "Invalid parameter: Invalid parameter: Invalid protocol type: email"},
		{"firehose without role", topic, "firehose", "arn:aws:firehose:us-east-1:000000000000:deliverystream/s", nil, "InvalidParameter",
			"Invalid parameter: Invalid parameter: SubscriptionRoleArn Reason: Delivery protocol [firehose] requires subscription role arn"},
		{"raw delivery on email", topic, "email", "a@example.com", map[string]string{"RawMessageDelivery": "true"}, "InvalidParameter",
			"Invalid parameter: Attributes Reason: Delivery protocol [email] does not support raw message delivery attribute"},
		{"bad raw value", topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "yes"}, "InvalidParameter", ""},
		{"bad filter policy", topic, "sqs", queueARN, map[string]string{"FilterPolicy": `{"a":"b"}`}, "InvalidParameter",
			`Invalid parameter: FilterPolicy: "a" must be an object or an array`},
		{"nested policy in attribute scope", topic, "sqs", queueARN, map[string]string{"FilterPolicy": `{"a":{"b":["c"]}}`}, "InvalidParameter",
			"Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"},
		{"bad scope", topic, "sqs", queueARN, map[string]string{"FilterPolicyScope": "Headers"}, "InvalidParameter", ""},
		{"bad redrive policy", topic, "sqs", queueARN, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"q"}`}, "InvalidParameter",
			"Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"},
		{"unknown attribute", topic, "sqs", queueARN, map[string]string{"Colour": "red"}, "InvalidParameter", "Invalid parameter: AttributeName"},
		{"missing topic", "arn:aws:sns:us-east-1:000000000000:nope", "sqs", queueARN, nil, "NotFound", "Topic does not exist"},
	}
	for _, tc := range tests {
		_, err := f.svc.Subscribe(f.ctx, &snsapi.SubscribeInput{TopicArn: &tc.topic, Protocol: &tc.protocol, Endpoint: &tc.endpoint, Attributes: tc.attrs})
		wantError(t, tc.name, err, tc.code, tc.msg)
	}
	// A nested policy is fine in the body scope; a FIFO topic takes a
	// standard queue.
	f.subscribe(topic, "sqs", queueARN, map[string]string{"FilterPolicyScope": "MessageBody", "FilterPolicy": `{"a":{"b":["c"]}}`})
	f.subscribe(fifo, "sqs", queueARN, nil)
}

func TestSubscribeIsIdempotent(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	a := f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	b := f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	if a != b {
		t.Errorf("same subscription twice: %s, %s", a, b)
	}
	_, err := f.svc.Subscribe(f.ctx, &snsapi.SubscribeInput{TopicArn: &topic, Protocol: ptr("sqs"), Endpoint: ptr(queueARN),
		Attributes: map[string]string{"RawMessageDelivery": "false"}})
	wantError(t, "different attributes", err, "InvalidParameter", "Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
}

func TestSubscriptionAttributes(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	sub := f.subscribe(topic, "sqs", queueARN, nil)
	get := func() map[string]string {
		out, err := f.svc.GetSubscriptionAttributes(f.ctx, &snsapi.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	a := get()
	want := map[string]string{"SubscriptionArn": sub, "TopicArn": topic, "Protocol": "sqs", "Endpoint": queueARN, "Owner": testAccount,
		"PendingConfirmation": "false", "ConfirmationWasAuthenticated": "true", "RawMessageDelivery": "false",
		"SubscriptionPrincipal": "arn:aws:iam::000000000000:root"}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q; want %q", k, a[k], v)
		}
	}
	if _, ok := a["FilterPolicy"]; ok {
		t.Error("FilterPolicy present without a policy")
	}
	set := func(name, value string) error {
		_, err := f.svc.SetSubscriptionAttributes(f.ctx, &snsapi.SetSubscriptionAttributesInput{SubscriptionArn: &sub, AttributeName: &name, AttributeValue: &value})
		return err
	}
	if err := set("FilterPolicy", `{"color":["red"]}`); err != nil {
		t.Fatal(err)
	}
	if a := get(); a["FilterPolicy"] != `{"color":["red"]}` || a["FilterPolicyScope"] != "MessageAttributes" {
		t.Errorf("after setting a filter policy: %v", a)
	}
	// Switching the scope revalidates the policy.
	if err := set("FilterPolicy", `{"color":{"shade":["dark"]}}`); err == nil {
		t.Error("a nested policy was accepted in the attribute scope")
	}
	if err := set("FilterPolicyScope", "MessageBody"); err != nil {
		t.Fatal(err)
	}
	if err := set("FilterPolicy", `{"color":{"shade":["dark"]}}`); err != nil {
		t.Fatal(err)
	}
	wantError(t, "back to attributes with a nested policy", set("FilterPolicyScope", "MessageAttributes"), "InvalidParameter",
		"Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")
	if err := set("FilterPolicy", ""); err != nil {
		t.Fatal(err)
	}
	if a := get(); a["FilterPolicy"] != "" || a["FilterPolicyScope"] != "" {
		t.Errorf("after removing the filter policy: %v", a)
	}
	if err := set("RawMessageDelivery", "True"); err != nil {
		t.Fatal(err)
	}
	if a := get(); a["RawMessageDelivery"] != "true" {
		t.Errorf("RawMessageDelivery %q", a["RawMessageDelivery"])
	}
	missing := topic + ":00000000-0000-0000-0000-000000000000"
	_, err := f.svc.GetSubscriptionAttributes(f.ctx, &snsapi.GetSubscriptionAttributesInput{SubscriptionArn: &missing})
	wantError(t, "missing subscription", err, "NotFound", "Subscription does not exist")
	_, err = f.svc.GetSubscriptionAttributes(f.ctx, &snsapi.GetSubscriptionAttributesInput{SubscriptionArn: ptr("nope")})
	wantError(t, "bad arn", err, "InvalidParameter", "Invalid parameter: SubscriptionArn")
}

func TestListSubscriptions(t *testing.T) {
	f := newFixture(t)
	t1 := f.createTopic("t1", nil)
	t2 := f.createTopic("t2", nil)
	for i := range 120 {
		f.subscribe(t1, "sqs", fmt.Sprintf("arn:aws:sqs:us-east-1:000000000000:q%d", i), nil)
	}
	f.subscribe(t2, "email", "a@example.com", nil)
	count := func(list func(token *string) ([]snsapi.Subscription, *string, error)) (int, int) {
		n, pages := 0, 0
		var token *string
		for {
			subs, next, err := list(token)
			if err != nil {
				t.Fatal(err)
			}
			n += len(subs)
			pages++
			if next == nil {
				return n, pages
			}
			token = next
		}
	}
	n, pages := count(func(token *string) ([]snsapi.Subscription, *string, error) {
		out, err := f.svc.ListSubscriptions(f.ctx, &snsapi.ListSubscriptionsInput{NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		return out.Subscriptions, out.NextToken, nil
	})
	if n != 121 || pages != 2 {
		t.Errorf("ListSubscriptions: %d in %d pages", n, pages)
	}
	out, err := f.svc.ListSubscriptionsByTopic(f.ctx, &snsapi.ListSubscriptionsByTopicInput{TopicArn: &t2})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Subscriptions) != 1 || *out.Subscriptions[0].SubscriptionArn != "PendingConfirmation" || *out.Subscriptions[0].Protocol != "email" {
		t.Errorf("ListSubscriptionsByTopic: %+v", out.Subscriptions)
	}
	_, err = f.svc.ListSubscriptionsByTopic(f.ctx, &snsapi.ListSubscriptionsByTopicInput{TopicArn: ptr("arn:aws:sns:us-east-1:000000000000:nope")})
	wantError(t, "missing topic", err, "NotFound", "Topic does not exist")
}

func TestUnsubscribe(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	sub := f.subscribe(topic, "sqs", queueARN, nil)
	for range 2 { // the second time is not an error
		if _, err := f.svc.Unsubscribe(f.ctx, &snsapi.UnsubscribeInput{SubscriptionArn: &sub}); err != nil {
			t.Fatal(err)
		}
	}
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("x")})
	f.drained()
}

// An HTTP subscriber gets a signed SubscriptionConfirmation whose
// SubscribeURL confirms the subscription.
func TestHTTPConfirmation(t *testing.T) {
	hook := newHookServer(t)
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	out, err := f.svc.Subscribe(f.ctx, &snsapi.SubscribeInput{TopicArn: &topic, Protocol: ptr("http"), Endpoint: ptr(hook.URL + "/sns")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.SubscriptionArn != "pending confirmation" {
		t.Errorf("SubscriptionArn %q", *out.SubscriptionArn)
	}
	req := hook.next(t)
	if req.header.Get("X-Amz-Sns-Message-Type") != "SubscriptionConfirmation" || req.header.Get("X-Amz-Sns-Topic-Arn") != topic ||
		req.header.Get("X-Amz-Sns-Message-Id") == "" || req.header.Get("User-Agent") != userAgent {
		t.Errorf("headers %v", req.header)
	}
	var conf map[string]string
	if err := json.Unmarshal(req.body, &conf); err != nil {
		t.Fatalf("body %s: %v", req.body, err)
	}
	for _, k := range []string{"Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"} {
		if conf[k] == "" {
			t.Errorf("confirmation has no %s: %s", k, req.body)
		}
	}
	wantURL := testEndpoint + "/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=" + conf["Token"]
	if conf["SubscribeURL"] != wantURL {
		t.Errorf("SubscribeURL %s; want %s", conf["SubscribeURL"], wantURL)
	}
	verifySignature(t, f, conf, []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"})

	// Until confirmed, nothing is delivered.
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("early")})
	_, err = f.svc.ConfirmSubscription(f.ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &topic, Token: ptr("wrong")})
	wantError(t, "wrong token", err, "InvalidParameter", "Invalid parameter: Invalid token")
	// The SubscribeURL is an anonymous GET.
	anon := context.Background()
	cout, err := f.svc.ConfirmSubscription(anon, &snsapi.ConfirmSubscriptionInput{TopicArn: &topic, Token: ptr(conf["Token"])})
	if err != nil {
		t.Fatal(err)
	}
	sub := *cout.SubscriptionArn
	attrs, err := f.svc.GetSubscriptionAttributes(f.ctx, &snsapi.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["PendingConfirmation"] != "false" || attrs.Attributes["ConfirmationWasAuthenticated"] != "false" {
		t.Errorf("after confirming: %v", attrs.Attributes)
	}
	if attrs.Attributes["EffectiveDeliveryPolicy"] == "" {
		t.Error("an HTTP subscription without EffectiveDeliveryPolicy")
	}
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("hello"), Subject: ptr("greeting")})
	req = hook.next(t)
	if req.header.Get("X-Amz-Sns-Message-Type") != "Notification" || req.header.Get("X-Amz-Sns-Subscription-Arn") != sub {
		t.Errorf("notification headers %v", req.header)
	}
	var n map[string]string
	if err := json.Unmarshal(req.body, &n); err != nil {
		t.Fatal(err)
	}
	if n["Message"] != "hello" || n["Subject"] != "greeting" || n["Type"] != "Notification" {
		t.Errorf("notification %s", req.body)
	}
	verifySignature(t, f, n, []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"})
}

// hookServer is an HTTP subscriber.
type hookServer struct {
	*httptest.Server
	reqs   chan hookRequest
	status chan int // answers to give, 200 when empty
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{reqs: make(chan hookRequest, 100), status: make(chan int, 100)}
	h.Server = httptest.NewServer(httpHandlerFunc(h))
	t.Cleanup(h.Close)
	return h
}
