package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/nimbus-cloud/nimbus"
)

// snsOutbox reads the messages Nimbus captured for endpoints it cannot
// reach (SMS, mobile push, email), filtered by the query parameters.
func snsOutbox(t *testing.T, cloud *nimbus.Instance, query url.Values) []map[string]any {
	t.Helper()
	resp, err := http.Get(cloud.Endpoint + "/_nimbus/sns/outbox?" + query.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var box struct{ Messages []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&box); err != nil {
		t.Fatal(err)
	}
	return box.Messages
}

// wantSNSError checks err is the AWS error code (and message, if given).
func wantSNSError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: %v; want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Errorf("%s: %s %q; want %s %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func TestSNSPlatformSDK(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c := snsClient(cloud)
	app, err := c.CreatePlatformApplication(ctx(t), &sns.CreatePlatformApplicationInput{Name: aws.String("photos"), Platform: aws.String("GCM"),
		Attributes: map[string]string{"PlatformCredential": "server-key", "SuccessFeedbackSampleRate": "100"}})
	if err != nil {
		t.Fatal(err)
	}
	appArn := *app.PlatformApplicationArn
	if appArn != "arn:aws:sns:us-east-1:000000000000:app/GCM/photos" {
		t.Errorf("application ARN %s", appArn)
	}
	attrs, err := c.GetPlatformApplicationAttributes(ctx(t), &sns.GetPlatformApplicationAttributesInput{PlatformApplicationArn: &appArn})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["PlatformCredential"] != "" || attrs.Attributes["Enabled"] != "true" || attrs.Attributes["SuccessFeedbackSampleRate"] != "100" {
		t.Errorf("application attributes %v", attrs.Attributes)
	}
	if _, err := c.SetPlatformApplicationAttributes(ctx(t), &sns.SetPlatformApplicationAttributesInput{PlatformApplicationArn: &appArn,
		Attributes: map[string]string{"SuccessFeedbackSampleRate": "10"}}); err != nil {
		t.Fatal(err)
	}
	apps, err := c.ListPlatformApplications(ctx(t), &sns.ListPlatformApplicationsInput{})
	if err != nil || len(apps.PlatformApplications) != 1 || apps.PlatformApplications[0].Attributes["SuccessFeedbackSampleRate"] != "10" {
		t.Fatalf("ListPlatformApplications: %+v %v", apps, err)
	}

	ep, err := c.CreatePlatformEndpoint(ctx(t), &sns.CreatePlatformEndpointInput{PlatformApplicationArn: &appArn, Token: aws.String("device-token"),
		CustomUserData: aws.String("user-1")})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := *ep.EndpointArn
	again, err := c.CreatePlatformEndpoint(ctx(t), &sns.CreatePlatformEndpointInput{PlatformApplicationArn: &appArn, Token: aws.String("device-token"),
		CustomUserData: aws.String("user-1")})
	if err != nil || *again.EndpointArn != endpoint {
		t.Errorf("idempotent create: %v %v", again, err)
	}
	_, err = c.CreatePlatformEndpoint(ctx(t), &sns.CreatePlatformEndpointInput{PlatformApplicationArn: &appArn, Token: aws.String("device-token"),
		CustomUserData: aws.String("user-2")})
	wantSNSError(t, "same token, other data", err, "InvalidParameter",
		"Invalid parameter: Token Reason: Endpoint "+endpoint+" already exists with the same Token, but different attributes.")
	var notFound *snstypes.NotFoundException
	if _, err := c.GetEndpointAttributes(ctx(t), &sns.GetEndpointAttributesInput{EndpointArn: aws.String(endpoint + "0")}); !errors.As(err, &notFound) {
		t.Errorf("missing endpoint: %v", err)
	}

	// Publish to the endpoint: the GCM entry of a JSON message.
	if _, err := c.Publish(ctx(t), &sns.PublishInput{TargetArn: &endpoint, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"d","GCM":"{\"data\":{\"k\":\"v\"}}"}`)}); err != nil {
		t.Fatal(err)
	}
	box := snsOutbox(t, cloud, url.Values{"endpoint": {endpoint}})
	if len(box) != 1 || box[0]["Message"] != `{"data":{"k":"v"}}` || box[0]["Platform"] != "GCM" || box[0]["DeviceToken"] != "device-token" {
		t.Fatalf("outbox %v", box)
	}

	// Through a topic.
	topic := createTopic(t, c, "news", nil)
	if _, err := c.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("application"), Endpoint: &endpoint}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("to everyone")}); err != nil {
		t.Fatal(err)
	}
	box = snsOutbox(t, cloud, url.Values{"endpoint": {endpoint}, "topicArn": {topic}})
	if len(box) != 1 || box[0]["Message"] != "to everyone" {
		t.Fatalf("outbox %v", box)
	}

	// Disabled: Publish refuses.
	if _, err := c.SetEndpointAttributes(ctx(t), &sns.SetEndpointAttributesInput{EndpointArn: &endpoint, Attributes: map[string]string{"Enabled": "false"}}); err != nil {
		t.Fatal(err)
	}
	var disabled *snstypes.EndpointDisabledException
	if _, err := c.Publish(ctx(t), &sns.PublishInput{TargetArn: &endpoint, Message: aws.String("m")}); !errors.As(err, &disabled) {
		t.Errorf("publish to a disabled endpoint: %v", err)
	}

	// Everything survives a restart.
	cloud.Restart()
	c = snsClient(cloud)
	eps, err := c.ListEndpointsByPlatformApplication(ctx(t), &sns.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: &appArn})
	if err != nil || len(eps.Endpoints) != 1 || eps.Endpoints[0].Attributes["Enabled"] != "false" || eps.Endpoints[0].Attributes["CustomUserData"] != "user-1" {
		t.Fatalf("ListEndpointsByPlatformApplication after a restart: %+v %v", eps, err)
	}
	if _, err := c.DeletePlatformApplication(ctx(t), &sns.DeletePlatformApplicationInput{PlatformApplicationArn: &appArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteEndpoint(ctx(t), &sns.DeleteEndpointInput{EndpointArn: &endpoint}); err != nil {
		t.Errorf("deleting a deleted endpoint: %v", err)
	}
	_, err = c.ListEndpointsByPlatformApplication(ctx(t), &sns.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: &appArn})
	wantSNSError(t, "endpoints of a deleted application", err, "NotFound", "PlatformApplication does not exist")
}

func TestSNSSMSSDK(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c := snsClient(cloud)
	if _, err := c.SetSMSAttributes(ctx(t), &sns.SetSMSAttributesInput{Attributes: map[string]string{"MonthlySpendLimit": "10", "DefaultSMSType": "Promotional"}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.SetSMSAttributes(ctx(t), &sns.SetSMSAttributesInput{Attributes: map[string]string{"DeliveryStatusSuccessSamplingRate": "200"}})
	wantSNSError(t, "bad sampling rate", err, "InvalidParameter", "")
	resp, err := http.Post(cloud.Endpoint+"/_nimbus/sns/opt-out?phoneNumber=%2B15550123", "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("opt-out: %v %v", resp, err)
	}
	resp.Body.Close()
	cloud.Restart()
	c = snsClient(cloud)
	attrs, err := c.GetSMSAttributes(ctx(t), &sns.GetSMSAttributesInput{Attributes: []string{"MonthlySpendLimit"}})
	if err != nil || len(attrs.Attributes) != 1 || attrs.Attributes["MonthlySpendLimit"] != "10" {
		t.Errorf("GetSMSAttributes after a restart: %+v %v", attrs, err)
	}
	out, err := c.CheckIfPhoneNumberIsOptedOut(ctx(t), &sns.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: aws.String("+15550123")})
	if err != nil || !out.IsOptedOut {
		t.Errorf("CheckIfPhoneNumberIsOptedOut after a restart: %+v %v", out, err)
	}
	list, err := c.ListPhoneNumbersOptedOut(ctx(t), &sns.ListPhoneNumbersOptedOutInput{})
	if err != nil || len(list.PhoneNumbers) != 1 || list.PhoneNumbers[0] != "+15550123" || list.NextToken != nil {
		t.Errorf("ListPhoneNumbersOptedOut: %+v %v", list, err)
	}
	if _, err := c.Publish(ctx(t), &sns.PublishInput{PhoneNumber: aws.String("+15550123"), Message: aws.String("opted out")}); err != nil {
		t.Fatal(err)
	}
	if box := snsOutbox(t, cloud, url.Values{"protocol": {"sms"}}); len(box) != 0 {
		t.Errorf("texted a number that opted out: %v", box)
	}
	if _, err := c.OptInPhoneNumber(ctx(t), &sns.OptInPhoneNumberInput{PhoneNumber: aws.String("+15550123")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx(t), &sns.PublishInput{PhoneNumber: aws.String("+15550123"), Message: aws.String("opted in")}); err != nil {
		t.Fatal(err)
	}
	if box := snsOutbox(t, cloud, url.Values{"protocol": {"sms"}}); len(box) != 1 || box[0]["Message"] != "opted in" {
		t.Errorf("outbox %v", box)
	}

	if _, err := c.CreateSMSSandboxPhoneNumber(ctx(t), &sns.CreateSMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15550124"),
		LanguageCode: snstypes.LanguageCodeStringEnUs}); err != nil {
		t.Fatal(err)
	}
	box := snsOutbox(t, cloud, url.Values{"type": {"SMSSandboxVerification"}})
	if len(box) != 1 {
		t.Fatalf("outbox %v", box)
	}
	if _, err := c.VerifySMSSandboxPhoneNumber(ctx(t), &sns.VerifySMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15550124"),
		OneTimePassword: aws.String(box[0]["Token"].(string))}); err != nil {
		t.Fatal(err)
	}
	nums, err := c.ListSMSSandboxPhoneNumbers(ctx(t), &sns.ListSMSSandboxPhoneNumbersInput{})
	if err != nil || len(nums.PhoneNumbers) != 1 || nums.PhoneNumbers[0].Status != snstypes.SMSSandboxPhoneNumberVerificationStatusVerified {
		t.Errorf("ListSMSSandboxPhoneNumbers: %+v %v", nums, err)
	}
	var nf *snstypes.ResourceNotFoundException
	if _, err := c.DeleteSMSSandboxPhoneNumber(ctx(t), &sns.DeleteSMSSandboxPhoneNumberInput{PhoneNumber: aws.String("+15550199")}); !errors.As(err, &nf) {
		t.Errorf("deleting a number not in the sandbox: %v", err)
	}
}

func TestSNSPlatformBoto3(t *testing.T) {
	boto3Cases(t, "sns_platform.py", "platform", "sms", "delivery_policy")
}

// An HTTP subscriber's retries follow its delivery policy's phases, and
// its throttle policy spaces deliveries out.
func TestSNSHTTPDeliveryPolicySDK(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c := snsClient(cloud)
	topic := createTopic(t, c, "policies", nil)
	var (
		mu       sync.Mutex
		attempts = map[string][]time.Time{} // by message
		tokens   = make(chan string, 2)
	)
	hook := httpSubscriber(t, tokens, func(w http.ResponseWriter, r *http.Request, b []byte) {
		mu.Lock()
		defer mu.Unlock()
		attempts[string(b)] = append(attempts[string(b)], time.Now())
		if r.URL.Path == "/flaky" && len(attempts[string(b)]) <= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	subscribe := func(path, policy string) {
		if _, err := c.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(hook.URL + path),
			Attributes: map[string]string{"RawMessageDelivery": "true", "DeliveryPolicy": policy,
				"FilterPolicy": `{"to":["` + path[1:] + `"]}`}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ConfirmSubscription(ctx(t), &sns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String(<-tokens)}); err != nil {
			t.Fatal(err)
		}
	}
	// Retries: one at once, one after 1 s, then the backoff phase's one
	// after 2 s; the fourth attempt succeeds.
	subscribe("/flaky", `{"healthyRetryPolicy":{"numRetries":3,"numNoDelayRetries":1,"numMinDelayRetries":1,"minDelayTarget":1,"maxDelayTarget":2}}`)
	subscribe("/slow", `{"healthyRetryPolicy":{"numRetries":0,"minDelayTarget":1,"maxDelayTarget":1},"throttlePolicy":{"maxReceivesPerSecond":1}}`)
	publish := func(to, msg string) {
		if _, err := c.Publish(ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String(msg), MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"to": {DataType: aws.String("String"), StringValue: aws.String(to)}}}); err != nil {
			t.Fatal(err)
		}
	}
	publish("flaky", "retried")
	for i := range 3 {
		publish("slow", fmt.Sprint("throttled-", i))
	}
	waitFor := func(what string, done func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			ok := done()
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: attempts %v", what, attempts)
			}
		}
	}
	waitFor("the flaky subscriber's 4 attempts", func() bool { return len(attempts["retried"]) == 4 })
	waitFor("the throttled subscriber's 3 messages", func() bool {
		return len(attempts["throttled-0"])+len(attempts["throttled-1"])+len(attempts["throttled-2"]) == 3
	})
	mu.Lock()
	defer mu.Unlock()
	at := attempts["retried"]
	// SNS's delays are lower bounds here: the gaps are at least the
	// schedule's (less a margin for the clock), whatever the machine's load.
	for i, want := range []time.Duration{0, time.Second, 2 * time.Second} {
		if gap := at[i+1].Sub(at[i]); gap < want-50*time.Millisecond {
			t.Errorf("retry %d came %v after the attempt before; want at least %v", i+1, gap, want)
		}
	}
	var slow []time.Time
	for i := range 3 {
		slow = append(slow, attempts[fmt.Sprint("throttled-", i)]...)
	}
	sort.Slice(slow, func(i, j int) bool { return slow[i].Before(slow[j]) })
	if span := slow[2].Sub(slow[0]); span < 2*time.Second-50*time.Millisecond {
		t.Errorf("3 messages at 1 a second took %v; want at least 2s", span)
	}
}
