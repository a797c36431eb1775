package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

// Hand-written shapes with the tags of the generated DynamoDB and SQS types.

type attributeValue struct {
	B    []byte
	BOOL *bool
	L    []attributeValue
	M    map[string]attributeValue
	N    *string
	NS   []string
	S    *string
	SS   []string
}

type putItemInput struct {
	Item         map[string]attributeValue `aws:"required"`
	ReturnValues *string                   `aws:"enum=ReturnValue"`
	TableName    *string                   `aws:"required,min=1,max=1024"`
}

type putItemOutput struct {
	Attributes map[string]attributeValue
}

type conditionalCheckFailedException struct {
	_       struct{} `aws:"error=ConditionalCheckFailedException"`
	Item    map[string]attributeValue
	Message *string `aws:"name=message"`
}

type describeLimitsInput struct{}

var dynamo = (&model.Service{
	Name: "dynamodb", Protocol: "json", Protocols: []string{"json"}, TargetPrefix: "DynamoDB_20120810", JSONVersion: "1.0",
	Operations: []*model.Operation{
		{Name: "PutItem", Method: "POST", RequestURI: "/", Input: reflect.TypeFor[putItemInput](), Output: reflect.TypeFor[putItemOutput]()},
		{Name: "DescribeLimits", Method: "POST", RequestURI: "/", Input: reflect.TypeFor[describeLimitsInput]()},
	},
	Enums: map[string][]string{"ReturnValue": {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}},
	Errors: map[string]model.ErrorShape{
		"ConditionalCheckFailedException": {Code: "ConditionalCheckFailedException", Status: 400, Sender: true, Type: reflect.TypeFor[conditionalCheckFailedException]()},
	},
}).Init()

type getQueueURLInput struct {
	QueueName *string `aws:"required"`
}

type queueDoesNotExist struct {
	_       struct{} `aws:"error=QueueDoesNotExist"`
	Message *string  `aws:"name=message"`
}

var sqs = (&model.Service{
	Name: "sqs", Protocol: "json", Protocols: []string{"json"}, TargetPrefix: "AmazonSQS", JSONVersion: "1.0", QueryCompatible: true,
	Operations: []*model.Operation{{Name: "GetQueueUrl", Input: reflect.TypeFor[getQueueURLInput]()}},
	Errors: map[string]model.ErrorShape{
		"QueueDoesNotExist": {Code: "QueueDoesNotExist", Status: 400, Sender: true, QueryCode: "AWS.SimpleQueueService.NonExistentQueue", Type: reflect.TypeFor[queueDoesNotExist]()},
	},
}).Init()

var logs = (&model.Service{Name: "logs", Protocol: "json", TargetPrefix: "Logs_20140328", JSONVersion: "1.1"}).Init()

func ptr[T any](v T) *T { return &v }

func newRequest(target, body string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", target)
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	return r
}

func TestOperation(t *testing.T) {
	tests := []struct {
		target string
		want   string
	}{
		{"DynamoDB_20120810.PutItem", "PutItem"},
		{"DynamoDB_20120810.DescribeLimits", "DescribeLimits"},
		{"DynamoDB_20120810.NoSuchThing", ""},
		{"DynamoDB_20111205.PutItem", ""},
		{"PutItem", ""},
		{"", ""},
	}
	for _, tc := range tests {
		op, err := Codec{}.Operation(newRequest(tc.target, ""), dynamo)
		if tc.want == "" {
			var e *awserr.Error
			if !errors.As(err, &e) || e.Code != "UnknownOperationException" || e.Status != 400 {
				t.Errorf("%q: got %v %v", tc.target, op, err)
			}
			continue
		}
		if err != nil || op.Name != tc.want {
			t.Errorf("%q: got %v %v", tc.target, op, err)
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, body string
		want       putItemInput
		code, msg  string
	}{
		{name: "item", body: `{"TableName":"Music","Item":{"a":{"S":"x"},"b":{"L":[{"N":"1"}]}}}`,
			want: putItemInput{TableName: ptr("Music"), Item: map[string]attributeValue{"a": {S: ptr("x")}, "b": {L: []attributeValue{{N: ptr("1")}}}}}},
		{name: "missing required", body: `{"Item":{}}`, code: "ValidationException",
			msg: "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"},
		{name: "enum", body: `{"TableName":"T","Item":{},"ReturnValues":"SOME"}`, code: "ValidationException",
			msg: "1 validation error detected: Value 'SOME' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW]"},
		{name: "empty body", body: ``, code: "ValidationException",
			msg: "2 validation errors detected: Value null at 'item' failed to satisfy constraint: Member must not be null; Value null at 'tableName' failed to satisfy constraint: Member must not be null"},
		{name: "wrong type", body: `{"TableName":1}`, code: "SerializationException", msg: "NUMBER_VALUE can not be converted to a String"},
		{name: "malformed", body: `{"TableName":`, code: "SerializationException", msg: "Malformed JSON: unexpected end of input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in putItemInput
			err := Codec{}.Decode(newRequest("DynamoDB_20120810.PutItem", tc.body), dynamo, dynamo.Op("PutItem"), &in)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(in, tc.want) {
					t.Fatalf("got %+v", in)
				}
				return
			}
			var e *awserr.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Message != tc.msg || e.Status != 400 {
				t.Fatalf("got %v, want %s: %s", err, tc.code, tc.msg)
			}
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	r := newRequest("DynamoDB_20120810.PutItem", "{}")
	r.ContentLength = MaxBody + 1
	var in putItemInput
	err := Codec{}.Decode(r, dynamo, dynamo.Op("PutItem"), &in)
	var e *awserr.Error
	if !errors.As(err, &e) || e.Status != 413 {
		t.Fatalf("got %v", err)
	}
	// A body that lies about its length is cut off too.
	big := strings.NewReader(`{"TableName":"` + strings.Repeat("x", 1<<10) + `"}`)
	if _, err := ReadBody(&http.Request{Body: io.NopCloser(big), ContentLength: -1}, nil, 100); err == nil {
		t.Fatal("oversized body accepted")
	}
}

func TestEncode(t *testing.T) {
	w := httptest.NewRecorder()
	r := newRequest("DynamoDB_20120810.PutItem", "")
	info := &request.Info{RequestID: "req-1", Header: http.Header{"X-Extra": {"1"}}}
	r = r.WithContext(request.With(context.Background(), info))
	out := &putItemOutput{Attributes: map[string]attributeValue{"a": {SS: []string{"x", "y"}}}}
	if err := (Codec{}).Encode(w, r, dynamo, dynamo.Op("PutItem"), out); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	if w.Code != 200 || body != `{"Attributes":{"a":{"SS":["x","y"]}}}` {
		t.Fatalf("got %d %s", w.Code, body)
	}
	h := w.Header()
	if h.Get("Content-Type") != "application/x-amz-json-1.0" || h.Get("X-Amzn-Requestid") != "req-1" || h.Get("X-Extra") != "1" ||
		h.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Fatalf("headers %v", h)
	}
	if got, want := h.Get("X-Amz-Crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10); got != want {
		t.Fatalf("crc32 %s want %s", got, want)
	}
}

func TestEncodeNoOutputAndOverrides(t *testing.T) {
	w := httptest.NewRecorder()
	r := newRequest("Logs_20140328.PutRetentionPolicy", "")
	r = r.WithContext(request.With(context.Background(), &request.Info{Status: 202}))
	if err := (Codec{}).Encode(w, r, logs, &model.Operation{Name: "PutRetentionPolicy"}, nil); err != nil {
		t.Fatal(err)
	}
	if w.Code != 202 || w.Body.String() != "{}" || w.Header().Get("Content-Type") != "application/x-amz-json-1.1" || w.Header().Get("X-Amz-Crc32") != "" {
		t.Fatalf("got %d %q %v", w.Code, w.Body.String(), w.Header())
	}
}

func TestEncodeError(t *testing.T) {
	tests := []struct {
		name    string
		svc     *model.Service
		err     *awserr.Error
		status  int
		body    string
		headers map[string]string
	}{
		{
			name: "modelled error with detail", svc: dynamo,
			err: awserr.Def{Code: "ConditionalCheckFailedException", Status: 400, Sender: true}.New("The conditional request failed").
				WithDetail(&conditionalCheckFailedException{Message: ptr("ignored"), Item: map[string]attributeValue{"a": {S: ptr("old")}}}),
			status:  400,
			body:    `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"a":{"S":"old"}}}`,
			headers: map[string]string{"X-Amzn-Errortype": "ConditionalCheckFailedException", "X-Amzn-Query-Error": ""},
		},
		{
			name: "front-end error", svc: dynamo, err: awserr.UnknownOperation.New(""), status: 400,
			body:    `{"__type":"com.amazon.coral.service#UnknownOperationException"}`,
			headers: map[string]string{"X-Amzn-Errortype": "UnknownOperationException"},
		},
		{
			name: "access denied", svc: dynamo, err: awserr.Def{Code: "AccessDeniedException", Status: 400, Sender: true}.New("denied"), status: 400,
			body:    `{"__type":"com.amazon.coral.service#AccessDeniedException","message":"denied"}`,
			headers: map[string]string{"X-Amzn-Errortype": "AccessDeniedException"},
		},
		{
			name: "validation", svc: dynamo, err: awserr.ValidationException.New("1 validation error detected: x"), status: 400,
			body: `{"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error detected: x"}`,
		},
		{
			name: "internal failure", svc: logs, err: awserr.From(errors.New("disk on fire")), status: 500,
			body: `{"__type":"com.amazonaws.logs#InternalFailure","message":"We encountered an internal error. Please try again."}`,
		},
		{
			name: "query compatible", svc: sqs,
			err:    awserr.Def{Code: "QueueDoesNotExist", Status: 400, Sender: true, QueryCode: "AWS.SimpleQueueService.NonExistentQueue"}.New("The specified queue does not exist."),
			status: 400,
			body:   `{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}`,
			headers: map[string]string{"X-Amzn-Query-Error": "AWS.SimpleQueueService.NonExistentQueue;Sender", "X-Amzn-Errortype": "QueueDoesNotExist",
				"Content-Type": "application/x-amz-json-1.0"},
		},
		{
			name: "query compatible without query code, server fault", svc: sqs,
			err: awserr.InternalFailure.New("oops"), status: 500,
			body:    `{"__type":"com.amazonaws.sqs#InternalFailure","message":"oops"}`,
			headers: map[string]string{"X-Amzn-Query-Error": "InternalFailure;Receiver"},
		},
		{
			name: "map detail and extra header", svc: logs,
			err:     awserr.Def{Code: "ResourceAlreadyExistsException", Status: 400, Sender: true}.New("exists").WithDetail(map[string]string{"b": "2", "a": "1", "message": "dup"}).WithHeader("X-Why", "because"),
			status:  400,
			body:    `{"__type":"com.amazonaws.logs#ResourceAlreadyExistsException","message":"exists","a":"1","b":"2"}`,
			headers: map[string]string{"X-Why": "because", "Content-Type": "application/x-amz-json-1.1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := newRequest("", "")
			r = r.WithContext(request.With(context.Background(), &request.Info{Status: 206, Header: http.Header{"X-Success-Only": {"1"}}}))
			Codec{}.EncodeError(w, r, tc.svc, nil, tc.err)
			if w.Code != tc.status || w.Body.String() != tc.body {
				t.Fatalf("got %d %s\nwant %d %s", w.Code, w.Body.String(), tc.status, tc.body)
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Fatal("invalid JSON")
			}
			if w.Header().Get("X-Success-Only") != "" {
				t.Error("success headers leaked into the error response")
			}
			for k, v := range tc.headers {
				if got := w.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestOverHTTP runs the codec behind a real listener, as the gateway will.
func TestOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := Codec{}
		op, err := c.Operation(r, dynamo)
		if err != nil {
			c.EncodeError(w, r, dynamo, nil, awserr.From(err))
			return
		}
		in := op.NewInput()
		if err := c.Decode(r, dynamo, op, in); err != nil {
			c.EncodeError(w, r, dynamo, op, awserr.From(err))
			return
		}
		p := in.(*putItemInput)
		_ = c.Encode(w, r, dynamo, op, &putItemOutput{Attributes: p.Item})
	}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(`{"TableName":"T","Item":{"k":{"B":"AAE="}}}`))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"Attributes":{"k":{"B":"AAE="}}}` {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}
