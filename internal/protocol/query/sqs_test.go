package query

import (
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
)

// SQS speaks query with the parameter names of its retired query model
// (the qwire tags), which differ from its JSON names.
func TestDecodeSQSQueryNames(t *testing.T) {
	for name, tc := range map[string]struct {
		form url.Values
		path string
		want any
	}{
		"SendMessage with attributes": {
			form: url.Values{
				"Action": {"SendMessage"}, "QueueUrl": {"http://h/000000000000/q"}, "MessageBody": {"hi"},
				"MessageAttribute.1.Name": {"color"}, "MessageAttribute.1.Value.DataType": {"String"}, "MessageAttribute.1.Value.StringValue": {"red"},
				"MessageAttribute.2.Name": {"bin"}, "MessageAttribute.2.Value.DataType": {"Binary"}, "MessageAttribute.2.Value.BinaryValue": {"AAEC"},
				"MessageSystemAttribute.1.Name": {"AWSTraceHeader"}, "MessageSystemAttribute.1.Value.DataType": {"String"}, "MessageSystemAttribute.1.Value.StringValue": {"Root=1"},
			},
			want: &sqsapi.SendMessageInput{
				QueueUrl: ptr("http://h/000000000000/q"), MessageBody: ptr("hi"),
				MessageAttributes: map[string]sqsapi.MessageAttributeValue{
					"color": {DataType: ptr("String"), StringValue: ptr("red")},
					"bin":   {DataType: ptr("Binary"), BinaryValue: []byte{0, 1, 2}},
				},
				MessageSystemAttributes: map[string]sqsapi.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: ptr("String"), StringValue: ptr("Root=1")}},
			},
		},
		"CreateQueue attributes and tags": {
			form: url.Values{"Action": {"CreateQueue"}, "QueueName": {"q"}, "Attribute.1.Name": {"DelaySeconds"}, "Attribute.1.Value": {"5"}, "Tag.1.Key": {"k"}, "Tag.1.Value": {"v"}},
			want: &sqsapi.CreateQueueInput{QueueName: ptr("q"), Attributes: map[string]string{"DelaySeconds": "5"}, Tags: map[string]string{"k": "v"}},
		},
		"DeleteMessageBatch entries": {
			form: url.Values{"Action": {"DeleteMessageBatch"}, "QueueUrl": {"u"}, "DeleteMessageBatchRequestEntry.1.Id": {"a"}, "DeleteMessageBatchRequestEntry.1.ReceiptHandle": {"h1"}, "DeleteMessageBatchRequestEntry.2.Id": {"b"}, "DeleteMessageBatchRequestEntry.2.ReceiptHandle": {"h2"}},
			want: &sqsapi.DeleteMessageBatchInput{QueueUrl: ptr("u"), Entries: []sqsapi.DeleteMessageBatchRequestEntry{{Id: ptr("a"), ReceiptHandle: ptr("h1")}, {Id: ptr("b"), ReceiptHandle: ptr("h2")}}},
		},
		"ReceiveMessage names": {
			form: url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {"u"}, "AttributeName.1": {"All"}, "MessageAttributeName.1": {"foo.*"}, "MaxNumberOfMessages": {"10"}},
			want: &sqsapi.ReceiveMessageInput{QueueUrl: ptr("u"), AttributeNames: []string{"All"}, MessageAttributeNames: []string{"foo.*"}, MaxNumberOfMessages: ptr(int32(10))},
		},
		"QueueUrl from the path": {
			form: url.Values{"Action": {"GetQueueAttributes"}, "AttributeName.1": {"All"}},
			path: "/000000000000/my-queue",
			want: &sqsapi.GetQueueAttributesInput{QueueUrl: ptr("http://127.0.0.1:4566/000000000000/my-queue"), AttributeNames: []string{"All"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = "/"
			}
			r := httptest.NewRequest("POST", path, strings.NewReader(tc.form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r = r.WithContext(request.With(r.Context(), &request.Info{Service: "sqs", Endpoint: "http://127.0.0.1:4566"}))
			_, in, err := decode(t, sqsapi.Service, r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in, tc.want) {
				t.Errorf("decoded %+v\nwant %+v", in, tc.want)
			}
		})
	}
}

func TestSQSMissingParameter(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader("Action=SendMessage&QueueUrl=u"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r = withInfo(r)
	_, _, err := decode(t, sqsapi.Service, r)
	e := awserr.From(err)
	if e.QueryCode != "MissingParameter" || e.Message != "The request must contain the parameter MessageBody." {
		t.Fatalf("got %+v", e)
	}
}

func TestEncodeSQSReceiveMessage(t *testing.T) {
	op := sqsapi.Service.Op("ReceiveMessage")
	out := &sqsapi.ReceiveMessageOutput{Messages: []sqsapi.Message{{
		MessageId: ptr("m1"), Body: ptr("b"),
		Attributes:        map[string]string{"SenderId": "s"},
		MessageAttributes: map[string]sqsapi.MessageAttributeValue{"a": {DataType: ptr("String"), StringValue: ptr("v")}},
	}}}
	w := httptest.NewRecorder()
	r := withInfo(httptest.NewRequest("POST", "/", nil))
	if err := (Codec{}).Encode(w, r, sqsapi.Service, op, out); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	for _, want := range []string{
		`<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ReceiveMessageResult><Message>`,
		`<Attribute><Name>SenderId</Name><Value>s</Value></Attribute>`,
		`<MessageAttribute><Name>a</Name><Value><DataType>String</DataType><StringValue>v</StringValue></Value></MessageAttribute>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("response lacks %s:\n%s", want, body)
		}
	}
}
