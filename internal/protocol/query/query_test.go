package query

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

func ptr[T any](v T) *T { return &v }

func formRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return withInfo(r)
}

func withInfo(r *http.Request) *http.Request {
	info := &request.Info{Service: "sns", RequestID: "f187a3c1-376f-11df-8963-01868b7c937a"}
	return r.WithContext(request.With(r.Context(), info))
}

func decode(t *testing.T, svc *model.Service, r *http.Request) (*model.Operation, any, error) {
	t.Helper()
	var c Codec
	op, err := c.Operation(r, svc)
	if err != nil {
		return nil, nil, err
	}
	in := op.NewInput()
	return op, in, c.Decode(r, svc, op, in)
}

func TestDecodeSNS(t *testing.T) {
	for name, tc := range map[string]struct {
		req    *http.Request
		wantOp string
		want   any
	}{
		"Publish with MessageAttributes": {
			req: formRequest(url.Values{
				"Action": {"Publish"}, "Version": {"2010-03-31"}, "TopicArn": {"arn:aws:sns:us-east-1:000000000000:t"},
				"Message":                                     {"hello & goodbye"},
				"MessageAttributes.entry.1.Name":              {"color"},
				"MessageAttributes.entry.1.Value.DataType":    {"String"},
				"MessageAttributes.entry.1.Value.StringValue": {"red"},
				"MessageAttributes.entry.2.Name":              {"bin"},
				"MessageAttributes.entry.2.Value.DataType":    {"Binary"},
				"MessageAttributes.entry.2.Value.BinaryValue": {"AAEC"},
			}.Encode()),
			wantOp: "Publish",
			want: &snsapi.PublishInput{TopicArn: ptr("arn:aws:sns:us-east-1:000000000000:t"), Message: ptr("hello & goodbye"),
				MessageAttributes: map[string]snsapi.MessageAttributeValue{
					"color": {DataType: ptr("String"), StringValue: ptr("red")},
					"bin":   {DataType: ptr("Binary"), BinaryValue: []byte{0, 1, 2}},
				}},
		},
		"CreateTopic with attributes and tags": {
			req: formRequest("Action=CreateTopic&Version=2010-03-31&Name=orders" +
				"&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Orders" +
				"&Attributes.entry.2.key=FifoTopic&Attributes.entry.2.value=false" +
				"&Tags.member.1.Key=team&Tags.member.1.Value=data&Tags.member.2.Key=env&Tags.member.2.Value=dev"),
			wantOp: "CreateTopic",
			want: &snsapi.CreateTopicInput{Name: ptr("orders"),
				Attributes: map[string]string{"DisplayName": "Orders", "FifoTopic": "false"},
				Tags:       []snsapi.Tag{{Key: ptr("team"), Value: ptr("data")}, {Key: ptr("env"), Value: ptr("dev")}}},
		},
		"ListTopics over GET": {
			req:    withInfo(httptest.NewRequest("GET", "/?Action=ListTopics&NextToken=abc&X-Amz-Signature=x", nil)),
			wantOp: "ListTopics",
			want:   &snsapi.ListTopicsInput{NextToken: ptr("abc")},
		},
		"form without content type": {
			req:    withInfo(httptest.NewRequest("POST", "/", strings.NewReader("Action=ListTopics&NextToken=n%2B1"))),
			wantOp: "ListTopics",
			want:   &snsapi.ListTopicsInput{NextToken: ptr("n+1")},
		},
	} {
		t.Run(name, func(t *testing.T) {
			op, in, err := decode(t, snsapi.Service, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if op.Name != tc.wantOp {
				t.Fatalf("operation %s, want %s", op.Name, tc.wantOp)
			}
			if !reflect.DeepEqual(in, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", in, tc.want)
			}
		})
	}
}

// Shapes for the less common forms: flattened lists and maps, member name
// overrides, nested lists, timestamps, blobs, empty lists.
type shapesInput struct {
	Items   []string          `aws:"name=Item,flat"`
	Attrs   map[string]string `aws:"name=Attribute,flat,key=Name,value=Value"`
	Named   []string          `aws:"member=Name"`
	Nested  *nested
	Count   *int32
	Ratio   *float64
	Enabled *bool
	When    *time.Time
	Epoch   *time.Time `aws:"ts=unixTimestamp"`
	Data    []byte
	Matrix  [][]string
	Structs []nested `aws:"member=Entry"`
	Empty   []string
	Absent  *nested
}

type nested struct {
	Label *string
	Deep  *nested
}

var shapes = (&model.Service{
	Name: "shapes", Protocol: "query", XMLNamespace: "https://shapes.example/doc/2024-01-01/",
	Operations: []*model.Operation{
		{Name: "Shapes", Input: reflect.TypeFor[shapesInput](), Output: reflect.TypeFor[shapesInput](), ResultWrapper: "ShapesResult"},
		{Name: "NoOutput"},
		{Name: "EmptyOutput", Output: reflect.TypeFor[struct{}](), ResultWrapper: "EmptyOutputResult"},
	},
}).Init()

func TestDecodeShapes(t *testing.T) {
	r := formRequest("Action=Shapes&Item.1=a&Item.2=b&Attribute.1.Name=k&Attribute.1.Value=v" +
		"&Named.Name.1=x&Nested.Label=top&Nested.Deep.Label=inner&Count=42&Ratio=1.5&Enabled=true" +
		"&When=2024-05-06T07%3A08%3A09.123Z&Epoch=1700000000&Data=aGk%3D" +
		"&Matrix.member.1.member.1=m11&Matrix.member.1.member.2=m12&Matrix.member.2.member.1=m21" +
		"&Structs.Entry.1.Label=s1&Structs.Entry.2.Deep.Label=s2&Empty=&Item.4=gap")
	_, in, err := decode(t, shapes, r)
	if err != nil {
		t.Fatal(err)
	}
	want := &shapesInput{
		Items: []string{"a", "b"}, Attrs: map[string]string{"k": "v"}, Named: []string{"x"},
		Nested: &nested{Label: ptr("top"), Deep: &nested{Label: ptr("inner")}},
		Count:  ptr(int32(42)), Ratio: ptr(1.5), Enabled: ptr(true),
		When: ptr(time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)), Epoch: ptr(time.Unix(1700000000, 0).UTC()),
		Data: []byte("hi"), Matrix: [][]string{{"m11", "m12"}, {"m21"}},
		Structs: []nested{{Label: ptr("s1")}, {Deep: &nested{Label: ptr("s2")}}},
		Empty:   []string{},
	}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("got  %+v\nwant %+v", in, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		svc    *model.Service
		req    *http.Request
		code   string
		status int
		msg    string
	}{
		"unknown action": {svc: snsapi.Service, req: formRequest("Action=Frobnicate"),
			code: "InvalidAction", status: 400, msg: "The action Frobnicate is not valid for this web service."},
		"missing action":      {svc: snsapi.Service, req: formRequest("TopicArn=x"), code: "MissingAction", status: 400},
		"not an integer":      {svc: shapes, req: formRequest("Action=Shapes&Count=many"), code: "ValidationError", status: 400},
		"integer overflow":    {svc: shapes, req: formRequest("Action=Shapes&Count=99999999999"), code: "ValidationError", status: 400},
		"not a boolean":       {svc: shapes, req: formRequest("Action=Shapes&Enabled=yes"), code: "ValidationError", status: 400},
		"not a timestamp":     {svc: shapes, req: formRequest("Action=Shapes&When=tomorrow"), code: "ValidationError", status: 400},
		"nested not a number": {svc: shapes, req: formRequest("Action=Shapes&Ratio=x"), code: "ValidationError", status: 400},
		"map entry without key": {svc: shapes, req: formRequest("Action=Shapes&Attribute.1.Value=v"),
			code: "ValidationError", status: 400},
		"required member missing": {svc: snsapi.Service, req: formRequest("Action=Publish&TopicArn=x"),
			code: "ValidationError", status: 400, msg: "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null"},
		"malformed form": {svc: snsapi.Service, req: formRequest("Action=ListTopics&x=%zz"), code: "MalformedQueryString", status: 400},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := decode(t, tc.svc, tc.req)
			var e *awserr.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *awserr.Error", err)
			}
			if e.Code != tc.code || e.Status != tc.status || (tc.msg != "" && e.Message != tc.msg) {
				t.Fatalf("got %s %d %q", e.Code, e.Status, e.Message)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	const rid = "<RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId>"
	for name, tc := range map[string]struct {
		svc  *model.Service
		op   string
		out  any
		want string
	}{
		"ListTopics": {
			svc: snsapi.Service, op: "ListTopics",
			out: &snsapi.ListTopicsOutput{Topics: []snsapi.Topic{{TopicArn: ptr("arn:aws:sns:us-east-1:000000000000:a")}, {TopicArn: ptr("arn:aws:sns:us-east-1:000000000000:b")}}},
			want: `<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics>` +
				`<member><TopicArn>arn:aws:sns:us-east-1:000000000000:a</TopicArn></member>` +
				`<member><TopicArn>arn:aws:sns:us-east-1:000000000000:b</TopicArn></member>` +
				`</Topics></ListTopicsResult><ResponseMetadata>` + rid + `</ResponseMetadata></ListTopicsResponse>`,
		},
		"Publish": {
			svc: snsapi.Service, op: "Publish", out: &snsapi.PublishOutput{MessageId: ptr("94f20ce6-13c5-43a0-9a9e-ca52d816e90b")},
			want: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>` +
				`<MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>` +
				`<ResponseMetadata>` + rid + `</ResponseMetadata></PublishResponse>`,
		},
		"GetTopicAttributes map": {
			svc: snsapi.Service, op: "GetTopicAttributes", out: &snsapi.GetTopicAttributesOutput{Attributes: map[string]string{"Owner": "1", "DisplayName": "<d>"}},
			want: `<GetTopicAttributesResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><GetTopicAttributesResult><Attributes>` +
				`<entry><key>DisplayName</key><value>&lt;d&gt;</value></entry><entry><key>Owner</key><value>1</value></entry>` +
				`</Attributes></GetTopicAttributesResult><ResponseMetadata>` + rid + `</ResponseMetadata></GetTopicAttributesResponse>`,
		},
		"no result wrapper": {
			svc: snsapi.Service, op: "DeleteTopic", out: &snsapi.DeleteTopicOutput{},
			want: `<DeleteTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata>` + rid + `</ResponseMetadata></DeleteTopicResponse>`,
		},
		"nil output": {
			svc: shapes, op: "NoOutput", out: nil,
			want: `<NoOutputResponse xmlns="https://shapes.example/doc/2024-01-01/"><ResponseMetadata>` + rid + `</ResponseMetadata></NoOutputResponse>`,
		},
		"empty result": {
			svc: shapes, op: "EmptyOutput", out: &struct{}{},
			want: `<EmptyOutputResponse xmlns="https://shapes.example/doc/2024-01-01/"><EmptyOutputResult></EmptyOutputResult>` +
				`<ResponseMetadata>` + rid + `</ResponseMetadata></EmptyOutputResponse>`,
		},
		"flattened members": {
			svc: shapes, op: "Shapes", out: &shapesInput{Items: []string{"a", "b"}, Attrs: map[string]string{"k": "v"}, Empty: []string{}},
			want: `<ShapesResponse xmlns="https://shapes.example/doc/2024-01-01/"><ShapesResult><Item>a</Item><Item>b</Item>` +
				`<Attribute><Name>k</Name><Value>v</Value></Attribute><Empty></Empty></ShapesResult>` +
				`<ResponseMetadata>` + rid + `</ResponseMetadata></ShapesResponse>`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := formRequest("Action=" + tc.op)
			if err := (Codec{}).Encode(w, r, tc.svc, tc.svc.Op(tc.op), tc.out); err != nil {
				t.Fatal(err)
			}
			if w.Code != 200 || w.Header().Get("Content-Type") != "text/xml" {
				t.Errorf("status %d, type %q", w.Code, w.Header().Get("Content-Type"))
			}
			if got := w.Body.String(); got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestEncodeError(t *testing.T) {
	const rid = "<RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId>"
	queryCompatible := &model.Service{Name: "sqs", Protocol: "json", QueryCompatible: true, XMLNamespace: "http://queue.amazonaws.com/doc/2012-11-05/"}
	for name, tc := range map[string]struct {
		svc  *model.Service
		err  *awserr.Error
		want string
	}{
		"SNS NotFound": {
			svc: snsapi.Service, err: snsapi.ErrNotFoundException.New("Topic does not exist"),
			want: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code>` +
				`<Message>Topic does not exist</Message></Error>` + rid + `</ErrorResponse>`,
		},
		"server fault with detail": {
			svc: snsapi.Service,
			err: awserr.Def{Code: "InternalError", Status: 500}.New("oops").WithDetail(&snsapi.InternalErrorException{Message: ptr("skipped")}),
			want: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type><Code>InternalError</Code>` +
				`<Message>oops</Message></Error>` + rid + `</ErrorResponse>`,
		},
		"map detail": {
			svc: snsapi.Service,
			err: awserr.Def{Code: "Throttling", Status: 400, Sender: true}.New("slow down").WithDetail(map[string]string{"RetryAfter": "1", "Code": "x"}),
			want: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>Throttling</Code>` +
				`<Message>slow down</Message><RetryAfter>1</RetryAfter></Error>` + rid + `</ErrorResponse>`,
		},
		"query-compatible code": {
			svc: queryCompatible,
			err: awserr.Def{Code: "QueueDoesNotExist", QueryCode: "AWS.SimpleQueueService.NonExistentQueue", Status: 400, Sender: true}.New("The specified queue does not exist."),
			want: `<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type>` +
				`<Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist.</Message></Error>` + rid + `</ErrorResponse>`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			(Codec{}).EncodeError(w, formRequest(""), tc.svc, nil, tc.err)
			if w.Code != tc.err.Status {
				t.Errorf("status %d, want %d", w.Code, tc.err.Status)
			}
			if got := w.Body.String(); got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
