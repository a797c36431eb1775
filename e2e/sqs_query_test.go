package e2e

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus"
)

// queryCall posts a form-encoded SQS query request, as older SDKs do, and
// returns the status and body.
func queryCall(t *testing.T, endpoint string, form url.Values) (int, string) {
	t.Helper()
	form.Set("Version", "2012-11-05")
	resp, err := http.Post(endpoint, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSQSQueryProtocol(t *testing.T) {
	cloud := nimbus.Start(t)
	status, body := queryCall(t, cloud.Endpoint, url.Values{"Action": {"CreateQueue"}, "QueueName": {"raw"},
		"Attribute.1.Name": {"VisibilityTimeout"}, "Attribute.1.Value": {"5"}, "Tag.1.Key": {"a"}, "Tag.1.Value": {"b"}})
	var created struct {
		QueueURL  string `xml:"CreateQueueResult>QueueUrl"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &created); err != nil || status != 200 || created.RequestID == "" {
		t.Fatalf("CreateQueue: %d %v %s", status, err, body)
	}
	qurl := created.QueueURL

	// Older clients post to the queue URL and leave QueueUrl out.
	status, body = queryCall(t, qurl, url.Values{"Action": {"SendMessage"}, "MessageBody": {"via path"},
		"MessageAttribute.1.Name": {"n"}, "MessageAttribute.1.Value.DataType": {"Number"}, "MessageAttribute.1.Value.StringValue": {"7"}})
	if status != 200 || !strings.Contains(body, "<MD5OfMessageBody>") || !strings.Contains(body, "<MD5OfMessageAttributes>") {
		t.Fatalf("SendMessage to the queue URL: %d %s", status, body)
	}
	status, body = queryCall(t, qurl, url.Values{"Action": {"ReceiveMessage"}, "AttributeName.1": {"All"}, "MessageAttributeName.1": {"All"}, "WaitTimeSeconds": {"1"}})
	var received struct {
		Messages []struct {
			Body          string `xml:"Body"`
			ReceiptHandle string `xml:"ReceiptHandle"`
			Attributes    []struct {
				Name  string `xml:"Name"`
				Value string `xml:"Value"`
			} `xml:"Attribute"`
			MessageAttributes []struct {
				Name  string `xml:"Name"`
				Value struct {
					DataType    string `xml:"DataType"`
					StringValue string `xml:"StringValue"`
				} `xml:"Value"`
			} `xml:"MessageAttribute"`
		} `xml:"ReceiveMessageResult>Message"`
	}
	if err := xml.Unmarshal([]byte(body), &received); err != nil || status != 200 || len(received.Messages) != 1 {
		t.Fatalf("ReceiveMessage: %d %v %s", status, err, body)
	}
	m := received.Messages[0]
	if m.Body != "via path" || len(m.Attributes) < 4 || len(m.MessageAttributes) != 1 || m.MessageAttributes[0].Value.StringValue != "7" {
		t.Fatalf("message %+v", m)
	}
	status, body = queryCall(t, cloud.Endpoint, url.Values{"Action": {"DeleteMessageBatch"}, "QueueUrl": {qurl},
		"DeleteMessageBatchRequestEntry.1.Id": {"x"}, "DeleteMessageBatchRequestEntry.1.ReceiptHandle": {m.ReceiptHandle},
		"DeleteMessageBatchRequestEntry.2.Id": {"y"}, "DeleteMessageBatchRequestEntry.2.ReceiptHandle": {"junk"}})
	if status != 200 || !strings.Contains(body, "<DeleteMessageBatchResultEntry><Id>x</Id></DeleteMessageBatchResultEntry>") ||
		!strings.Contains(body, "<Code>ReceiptHandleIsInvalid</Code>") {
		t.Fatalf("DeleteMessageBatch: %d %s", status, body)
	}
	status, body = queryCall(t, cloud.Endpoint, url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {qurl}, "AttributeName.1": {"VisibilityTimeout"}})
	if status != 200 || !strings.Contains(body, "<Attribute><Name>VisibilityTimeout</Name><Value>5</Value></Attribute>") {
		t.Fatalf("GetQueueAttributes: %d %s", status, body)
	}

	// Errors: query codes in the XML error document.
	for _, tc := range []struct {
		form   url.Values
		status int
		code   string
	}{
		{url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"missing"}}, 400, "AWS.SimpleQueueService.NonExistentQueue"},
		{url.Values{"Action": {"SendMessage"}, "QueueUrl": {qurl}}, 400, "MissingParameter"},
		{url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {qurl}, "MaxNumberOfMessages": {"11"}}, 400, "InvalidParameterValue"},
		{url.Values{"Action": {"PurgeQueue"}, "QueueUrl": {qurl}}, 200, ""},
		{url.Values{"Action": {"PurgeQueue"}, "QueueUrl": {qurl}}, 403, "AWS.SimpleQueueService.PurgeQueueInProgress"},
		{url.Values{"Action": {"ChangeMessageVisibilityBatch"}, "QueueUrl": {qurl}}, 400, "MissingParameter"},
	} {
		status, body := queryCall(t, cloud.Endpoint, tc.form)
		if status != tc.status || (tc.code != "" && !strings.Contains(body, "<Code>"+tc.code+"</Code>")) {
			t.Errorf("%s: %d %s; want %d %s", tc.form.Get("Action"), status, body, tc.status, tc.code)
		}
	}
}
