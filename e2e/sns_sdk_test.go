package e2e

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nimbus-cloud/nimbus"
)

func snsClient(cloud *nimbus.Instance) *sns.Client {
	return sns.NewFromConfig(awsConfig(cloud.Endpoint))
}

func createTopic(t *testing.T, c *sns.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateTopic %s: %v", name, err)
	}
	return *out.TopicArn
}

func subscribeQueue(t *testing.T, c *sns.Client, topic, queue string, attrs map[string]string) string {
	t.Helper()
	out, err := c.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: &queue,
		Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatalf("Subscribe %s: %v", queue, err)
	}
	return *out.SubscriptionArn
}

// httpSubscriber serves an SNS HTTP subscriber on 127.0.0.1 until the
// test ends: it hands the Token of each SubscriptionConfirmation to
// tokens and passes every other request, with its body, to deliver.
func httpSubscriber(t *testing.T, tokens chan<- string, deliver func(w http.ResponseWriter, r *http.Request, body []byte)) *httptest.Server {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("x-amz-sns-message-type") == "SubscriptionConfirmation" {
			var m map[string]string
			json.Unmarshal(b, &m)
			tokens <- m["Token"]
			return
		}
		deliver(w, r, b)
	}))
	t.Cleanup(hook.Close)
	return hook
}

// receiveAll long-polls a queue until it holds n messages (deleting them)
// and then checks that nothing more arrives within a short poll.
func receiveAll(t *testing.T, c *sqs.Client, url string, n int) []sqstypes.Message {
	t.Helper()
	var out []sqstypes.Message
	deadline := time.Now().Add(20 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		res, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Messages {
			out = append(out, m)
			if _, err := c.DeleteMessage(ctx(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(out) != n {
		t.Fatalf("%s: received %d messages; want %d", url, len(out), n)
	}
	res, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 0 {
		t.Fatalf("%s: an extra message %s", url, aws.ToString(res.Messages[0].Body))
	}
	return out
}

type notification struct {
	Type, MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion, Signature, SigningCertURL, UnsubscribeURL string
	SequenceNumber                                                                                                      string
	MessageAttributes                                                                                                   map[string]struct{ Type, Value string }
}

func TestSNSSDKTopics(t *testing.T) {
	cloud := nimbus.Start(t)
	c := snsClient(cloud)
	arn := createTopic(t, c, "orders", map[string]string{"DisplayName": "Orders"})
	if arn != "arn:aws:sns:us-east-1:000000000000:orders" {
		t.Fatalf("TopicArn %s", arn)
	}
	if again := createTopic(t, c, "orders", map[string]string{"DisplayName": "Orders"}); again != arn {
		t.Errorf("CreateTopic again: %s", again)
	}
	_, err := c.CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String("orders"), Attributes: map[string]string{"DisplayName": "x"}})
	wantAPIError(t, err, "InvalidParameter")
	fifo := createTopic(t, c, "events.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	attrs, err := c.GetTopicAttributes(ctx(t), &sns.GetTopicAttributesInput{TopicArn: &fifo})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["FifoTopic"] != "true" || attrs.Attributes["ContentBasedDeduplication"] != "true" || attrs.Attributes["Owner"] != "000000000000" {
		t.Errorf("attributes %v", attrs.Attributes)
	}
	for i := range 105 {
		createTopic(t, c, fmt.Sprintf("t%03d", i), nil)
	}
	var names []string
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tp := range out.Topics {
			names = append(names, *tp.TopicArn)
		}
	}
	if len(names) != 107 || pages != 2 {
		t.Errorf("ListTopics: %d topics in %d pages", len(names), pages)
	}
	if _, err := c.TagResource(ctx(t), &sns.TagResourceInput{ResourceArn: &arn, Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx(t), &sns.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Value != "a" {
		t.Errorf("tags %+v %v", tags, err)
	}
	if _, err := c.AddPermission(ctx(t), &sns.AddPermissionInput{TopicArn: &arn, Label: aws.String("p"), AWSAccountId: []string{"111122223333"},
		ActionName: []string{"Publish"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTopic(ctx(t), &sns.DeleteTopicInput{TopicArn: &arn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetTopicAttributes(ctx(t), &sns.GetTopicAttributesInput{TopicArn: &arn})
	wantAPIError(t, err, "NotFound")
	_, err = c.Publish(ctx(t), &sns.PublishInput{TopicArn: &fifo, Message: aws.String("x")})
	wantAPIError(t, err, "InvalidParameter")
}

func TestSNSSDKFanOutWithFilters(t *testing.T) {
	cloud := nimbus.Start(t)
	c, q := snsClient(cloud), sqsClient(cloud)
	topic := createTopic(t, c, "shop", nil)
	urls := map[string]string{}
	for _, name := range []string{"all", "red", "body", "raw"} {
		urls[name] = createQueue(t, q, name, nil)
	}
	subscribeQueue(t, c, topic, queueArn(t, q, urls["all"]), nil)
	subscribeQueue(t, c, topic, queueArn(t, q, urls["red"]), map[string]string{"FilterPolicy": `{"color":["red"],"price":[{"numeric":[">=",10]}]}`})
	subscribeQueue(t, c, topic, queueArn(t, q, urls["body"]), map[string]string{"FilterPolicyScope": "MessageBody",
		"FilterPolicy": `{"order":{"state":[{"prefix":"ship"}]}}`})
	subscribeQueue(t, c, topic, queueArn(t, q, urls["raw"]), map[string]string{"RawMessageDelivery": "true"})

	str := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: &v}
	}
	num := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: &v}
	}
	msgs := []sns.PublishInput{
		{Message: aws.String("cheap red"), MessageAttributes: map[string]snstypes.MessageAttributeValue{"color": str("red"), "price": num("5")}},
		{Message: aws.String("dear red"), Subject: aws.String("Sale"), MessageAttributes: map[string]snstypes.MessageAttributeValue{"color": str("red"), "price": num("25")}},
		{Message: aws.String(`{"order":{"state":"shipped"}}`)},
	}
	for i := range msgs {
		msgs[i].TopicArn = &topic
		if _, err := c.Publish(ctx(t), &msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	all := receiveAll(t, q, urls["all"], 3)
	var bodies []string
	for _, m := range all {
		var n notification
		if err := json.Unmarshal([]byte(*m.Body), &n); err != nil {
			t.Fatalf("not an envelope: %s", *m.Body)
		}
		if n.Type != "Notification" || n.TopicArn != topic || n.SignatureVersion != "1" || !strings.HasPrefix(n.UnsubscribeURL, cloud.Endpoint+"/?Action=Unsubscribe") {
			t.Errorf("envelope %s", *m.Body)
		}
		bodies = append(bodies, n.Message)
		if n.Message == "dear red" && (n.Subject != "Sale" || n.MessageAttributes["price"].Value != "25" || n.MessageAttributes["price"].Type != "Number") {
			t.Errorf("envelope of dear red: %s", *m.Body)
		}
	}
	sort.Strings(bodies)
	if strings.Join(bodies, "|") != `cheap red|dear red|{"order":{"state":"shipped"}}` {
		t.Errorf("all got %q", bodies)
	}
	var n notification
	red := receiveAll(t, q, urls["red"], 1)
	if json.Unmarshal([]byte(*red[0].Body), &n); n.Message != "dear red" {
		t.Errorf("red got %s", *red[0].Body)
	}
	body := receiveAll(t, q, urls["body"], 1)
	if json.Unmarshal([]byte(*body[0].Body), &n); n.Message != `{"order":{"state":"shipped"}}` {
		t.Errorf("body got %s", *body[0].Body)
	}
	raw := receiveAll(t, q, urls["raw"], 3)
	for _, m := range raw {
		if *m.Body == "dear red" {
			if a := m.MessageAttributes["color"]; aws.ToString(a.StringValue) != "red" || aws.ToString(a.DataType) != "String" {
				t.Errorf("raw attributes %+v", m.MessageAttributes)
			}
			if a := m.MessageAttributes["price"]; aws.ToString(a.StringValue) != "25" || aws.ToString(a.DataType) != "Number" {
				t.Errorf("raw attributes %+v", m.MessageAttributes)
			}
		}
	}
	// PublishBatch reaches the same subscriptions.
	out, err := c.PublishBatch(ctx(t), &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("b1")}, {Id: aws.String("b"), Message: aws.String("b2")},
	}})
	if err != nil || len(out.Successful) != 2 {
		t.Fatalf("PublishBatch %+v %v", out, err)
	}
	receiveAll(t, q, urls["raw"], 2)
}

// An HTTP subscriber confirms through the SubscribeURL, verifies
// signatures with the certificate at SigningCertURL, and gets a failed
// delivery again.
func TestSNSSDKHTTPSubscriber(t *testing.T) {
	cloud := nimbus.Start(t)
	c := snsClient(cloud)
	type post struct {
		header http.Header
		body   map[string]string
	}
	posts := make(chan post, 10)
	var mu sync.Mutex
	failNext := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &m)
		posts <- post{r.Header.Clone(), m}
		mu.Lock()
		defer mu.Unlock()
		if failNext > 0 {
			failNext--
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer hook.Close()
	next := func() post {
		select {
		case p := <-posts:
			return p
		case <-time.After(20 * time.Second):
			t.Fatal("the subscriber got nothing")
		}
		return post{}
	}
	topic := createTopic(t, c, "hooks", nil)
	out, err := c.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(hook.URL + "/in"),
		Attributes: map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":3}}`}})
	if err != nil {
		t.Fatal(err)
	}
	if *out.SubscriptionArn != "pending confirmation" {
		t.Errorf("SubscriptionArn %s", *out.SubscriptionArn)
	}
	conf := next()
	if conf.header.Get("x-amz-sns-message-type") != "SubscriptionConfirmation" || conf.body["Type"] != "SubscriptionConfirmation" {
		t.Fatalf("confirmation %v %v", conf.header, conf.body)
	}
	verifySNSSignature(t, conf.body, "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
	resp, err := http.Get(conf.body["SubscribeURL"])
	if err != nil {
		t.Fatal(err)
	}
	confirmed, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(confirmed), "<ConfirmSubscriptionResult><SubscriptionArn>"+topic+":") {
		t.Fatalf("GET SubscribeURL: %d %s", resp.StatusCode, confirmed)
	}
	subs, err := c.ListSubscriptionsByTopic(ctx(t), &sns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	if err != nil || len(subs.Subscriptions) != 1 || !strings.HasPrefix(*subs.Subscriptions[0].SubscriptionArn, topic+":") {
		t.Fatalf("subscriptions %+v %v", subs, err)
	}
	mu.Lock()
	failNext = 1
	mu.Unlock()
	pub, err := c.Publish(ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("ping"), Subject: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	first, second := next(), next()
	for _, p := range []post{first, second} {
		if p.header.Get("x-amz-sns-message-id") != *pub.MessageId || p.body["Message"] != "ping" || p.header.Get("x-amz-sns-subscription-arn") != *subs.Subscriptions[0].SubscriptionArn {
			t.Errorf("notification %v %v", p.header, p.body)
		}
	}
	verifySNSSignature(t, second.body, "Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
	// The UnsubscribeURL works too.
	resp, err = http.Get(second.body["UnsubscribeURL"])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET UnsubscribeURL: %d", resp.StatusCode)
	}
	subs, _ = c.ListSubscriptionsByTopic(ctx(t), &sns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	if len(subs.Subscriptions) != 0 {
		t.Errorf("still subscribed: %+v", subs.Subscriptions)
	}
}

// verifySNSSignature checks a message the way SNS subscribers do: fetch
// the certificate at SigningCertURL and verify the SHA1withRSA signature
// of the canonical string.
func verifySNSSignature(t *testing.T, m map[string]string, fields ...string) {
	t.Helper()
	resp, err := http.Get(m["SigningCertURL"])
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("no certificate at %s: %s", m["SigningCertURL"], pemBytes)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var canonical strings.Builder
	for _, f := range fields {
		canonical.WriteString(f + "\n" + m[f] + "\n")
	}
	sig, _ := base64.StdEncoding.DecodeString(m["Signature"])
	sum := sha1.Sum([]byte(canonical.String()))
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA1, sum[:], sig); err != nil {
		t.Errorf("signature: %v", err)
	}
}

func TestSNSSDKFifoOrdering(t *testing.T) {
	cloud := nimbus.Start(t)
	c, q := snsClient(cloud), sqsClient(cloud)
	topic := createTopic(t, c, "ledger.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	url := createQueue(t, q, "ledger.fifo", map[string]string{"FifoQueue": "true"})
	subscribeQueue(t, c, topic, queueArn(t, q, url), map[string]string{"RawMessageDelivery": "true"})
	var seqs []string
	for i := range 20 {
		out, err := c.Publish(ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String(fmt.Sprintf("g%d-%02d", i%2, i)),
			MessageGroupId: aws.String(fmt.Sprint("g", i%2))})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, *out.SequenceNumber)
	}
	if !sort.StringsAreSorted(seqs) || len(seqs[0]) != 20 {
		t.Errorf("sequence numbers %v", seqs)
	}
	// A duplicate (same content) within five minutes is dropped.
	dup, err := c.Publish(ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("g0-00"), MessageGroupId: aws.String("g0")})
	if err != nil || *dup.SequenceNumber != seqs[0] {
		t.Errorf("duplicate publish %+v %v", dup, err)
	}
	msgs := receiveAll(t, q, url, 20)
	last := map[string]string{}
	for _, m := range msgs {
		group := m.Attributes["MessageGroupId"]
		if *m.Body <= last[group] {
			t.Errorf("group %s: %s after %s", group, *m.Body, last[group])
		}
		last[group] = *m.Body
	}
	// Delivery to a standard queue from a FIFO topic is allowed; a FIFO
	// queue on a standard topic is not.
	std := createTopic(t, c, "plain", nil)
	_, err = c.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: &std, Protocol: aws.String("sqs"), Endpoint: aws.String(queueArn(t, q, url))})
	wantAPIError(t, err, "InvalidParameter")
}

func TestSNSSDKSubscriptionDeadLetterQueue(t *testing.T) {
	cloud := nimbus.Start(t)
	c, q := snsClient(cloud), sqsClient(cloud)
	topic := createTopic(t, c, "t", nil)
	target := createQueue(t, q, "target", nil)
	dlq := createQueue(t, q, "dlq", nil)
	subscribeQueue(t, c, topic, queueArn(t, q, target), map[string]string{"RawMessageDelivery": "true",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + queueArn(t, q, dlq) + `"}`})
	if _, err := q.DeleteQueue(ctx(t), &sqs.DeleteQueueInput{QueueUrl: &target}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("undeliverable")}); err != nil {
		t.Fatal(err)
	}
	if m := receiveAll(t, q, dlq, 1); *m[0].Body != "undeliverable" {
		t.Errorf("dead letter %s", *m[0].Body)
	}
}

// A fan-out interrupted by a restart finishes after it: publishes are
// durable when Publish returns, and deliveries waiting for a retry (here
// to an HTTP subscriber that is down) resume after the restart.
func TestSNSSDKRestartDuringFanOut(t *testing.T) {
	cloud := nimbus.Start(t, nimbus.Options{DataDir: t.TempDir()})
	c, q := snsClient(cloud), sqsClient(cloud)
	topic := createTopic(t, c, "t", nil)
	var urls []string
	for i := range 3 {
		url := createQueue(t, q, fmt.Sprint("q", i), nil)
		urls = append(urls, url)
		subscribeQueue(t, c, topic, queueArn(t, q, url), map[string]string{"RawMessageDelivery": "true"})
	}
	var (
		mu       sync.Mutex
		down     = false
		attempts = 0
		got      = map[string]bool{}
		tokens   = make(chan string, 1)
	)
	hook := httpSubscriber(t, tokens, func(w http.ResponseWriter, _ *http.Request, b []byte) {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got[string(b)] = true
	})
	if _, err := c.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: &hook.URL, Attributes: map[string]string{
		"RawMessageDelivery": "true", "DeliveryPolicy": `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":50}}`}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ConfirmSubscription(ctx(t), &sns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String(<-tokens)}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	down = true
	mu.Unlock()
	const n = 300
	for i := 0; i < n; i += 10 {
		var entries []snstypes.PublishBatchRequestEntry
		for j := i; j < i+10; j++ {
			entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint("e", j)), Message: aws.String(fmt.Sprint(j))})
		}
		if out, err := c.PublishBatch(ctx(t), &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: entries}); err != nil || len(out.Failed) > 0 {
			t.Fatalf("PublishBatch: %+v %v", out, err)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		a := attempts
		mu.Unlock()
		if a > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the HTTP subscriber was never tried")
		}
	}
	cloud.Restart()
	mu.Lock()
	down = false
	mu.Unlock()
	c, q = snsClient(cloud), sqsClient(cloud)
	for _, url := range urls {
		msgs := receiveAll(t, q, url, n)
		seen := map[string]bool{}
		for _, m := range msgs {
			if seen[*m.Body] {
				t.Errorf("%s: %s twice", url, *m.Body)
			}
			seen[*m.Body] = true
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the HTTP subscriber got %d of %d messages after the restart", k, n)
		}
	}
}

// S3 event notifications reach a queue directly and through a topic.
func TestSNSSDKS3EventNotifications(t *testing.T) {
	cloud := nimbus.Start(t)
	c, q, s := snsClient(cloud), sqsClient(cloud), s3Client(cloud)
	direct := createQueue(t, q, "s3-direct", nil)
	viaTopic := createQueue(t, q, "s3-via-topic", nil)
	topic := createTopic(t, c, "s3-events", nil)
	subscribeQueue(t, c, topic, queueArn(t, q, viaTopic), map[string]string{"RawMessageDelivery": "true"})
	bucket := bucketName("notify")
	if _, err := s.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	// A destination that does not exist is refused.
	_, err := s.PutBucketNotificationConfiguration(ctx(t), &s3.PutBucketNotificationConfigurationInput{Bucket: &bucket,
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String("arn:aws:sqs:us-east-1:000000000000:nope"), Events: []s3types.Event{"s3:ObjectCreated:*"}}}}})
	wantAPIError(t, err, "InvalidArgument")
	_, err = s.PutBucketNotificationConfiguration(ctx(t), &s3.PutBucketNotificationConfigurationInput{Bucket: &bucket,
		NotificationConfiguration: &s3types.NotificationConfiguration{
			QueueConfigurations: []s3types.QueueConfiguration{{Id: aws.String("uploads"), QueueArn: aws.String(queueArn(t, q, direct)),
				Events: []s3types.Event{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"},
				Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
					{Name: "prefix", Value: aws.String("uploads/")}}}}}},
			TopicConfigurations: []s3types.TopicConfiguration{{Id: aws.String("reports"), TopicArn: &topic,
				Events: []s3types.Event{"s3:ObjectCreated:Put"},
				Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
					{Name: "prefix", Value: aws.String("reports/")}, {Name: "suffix", Value: aws.String(".csv")}}}}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	// Each destination first gets the test event.
	for _, url := range []string{direct, viaTopic} {
		m := receiveAll(t, q, url, 1)
		var te map[string]string
		if json.Unmarshal([]byte(*m[0].Body), &te); te["Event"] != "s3:TestEvent" || te["Bucket"] != bucket || te["Service"] != "Amazon S3" {
			t.Errorf("%s: test event %s", url, *m[0].Body)
		}
	}
	put, err := s.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("uploads/my photo.jpg"), Body: strings.NewReader("pixels")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("reports/q1.csv"), Body: strings.NewReader("a,b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("uploads/my photo.jpg")}); err != nil {
		t.Fatal(err)
	}
	type s3event struct {
		Records []struct {
			EventVersion, EventSource, AwsRegion, EventName string
			S3                                              struct {
				ConfigurationID string
				Bucket          struct{ Name, Arn string }
				Object          struct {
					Key  string
					Size int64
					ETag string
				}
			}
		}
	}
	msgs := receiveAll(t, q, direct, 2)
	var names []string
	for _, m := range msgs {
		var ev s3event
		if err := json.Unmarshal([]byte(*m.Body), &ev); err != nil || len(ev.Records) != 1 {
			t.Fatalf("event %s", *m.Body)
		}
		r := ev.Records[0]
		names = append(names, r.EventName)
		if r.EventVersion != "2.1" || r.EventSource != "aws:s3" || r.AwsRegion != "us-east-1" || r.S3.Bucket.Name != bucket ||
			r.S3.Bucket.Arn != "arn:aws:s3:::"+bucket || r.S3.ConfigurationID != "uploads" || r.S3.Object.Key != "uploads/my+photo.jpg" {
			t.Errorf("record %s", *m.Body)
		}
		if r.EventName == "ObjectCreated:Put" && (r.S3.Object.Size != 6 || `"`+r.S3.Object.ETag+`"` != *put.ETag) {
			t.Errorf("object %s", *m.Body)
		}
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "ObjectCreated:Put,ObjectRemoved:Delete" {
		t.Errorf("events %v", names)
	}
	// Through the topic: the raw delivery's body is the event record.
	m := receiveAll(t, q, viaTopic, 1)
	var ev s3event
	if err := json.Unmarshal([]byte(*m[0].Body), &ev); err != nil || ev.Records[0].S3.Object.Key != "reports/q1.csv" || ev.Records[0].S3.ConfigurationID != "reports" {
		t.Errorf("via topic %s", *m[0].Body)
	}
}
