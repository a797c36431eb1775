package restjson

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

// Hand-written shapes with the tags of the generated Lambda types.

type environment struct {
	Variables map[string]string
}

type createFunctionInput struct {
	FunctionName *string `aws:"required,min=1,max=140"`
	Runtime      *string `aws:"enum=Runtime"`
	Timeout      *int32  `aws:"min=1"`
	Environment  *environment
	Code         *functionCode `aws:"required"`
}

type functionCode struct {
	ZipFile []byte
}

type functionConfiguration struct {
	FunctionName *string
	FunctionArn  *string
	Timeout      *int32
	LastModified *string
	Environment  *environment
}

type getFunctionInput struct {
	FunctionName *string `aws:"loc=uri,required,min=1,max=170"`
	Qualifier    *string `aws:"loc=querystring,min=1,max=128"`
}

type getFunctionOutput struct {
	Configuration *functionConfiguration
	Tags          map[string]string
}

type listFunctionsInput struct {
	Marker   *string `aws:"loc=querystring"`
	MaxItems *int32  `aws:"loc=querystring,min=1,max=10000"`
}

type listFunctionsOutput struct {
	Functions  []functionConfiguration
	NextMarker *string
}

type invokeInput struct {
	FunctionName   *string `aws:"loc=uri,required"`
	InvocationType *string `aws:"name=X-Amz-Invocation-Type,loc=header,enum=InvocationType"`
	Payload        []byte  `aws:"payload"`
}

type invokeOutput struct {
	ExecutedVersion *string `aws:"name=X-Amz-Executed-Version,loc=header"`
	FunctionError   *string `aws:"name=X-Amz-Function-Error,loc=header"`
	Payload         []byte  `aws:"payload"`
	StatusCode      *int32  `aws:"loc=statusCode"`
}

type deleteFunctionInput struct {
	FunctionName *string `aws:"loc=uri,required"`
}

type putPolicyInput struct {
	RestAPIID *string     `aws:"name=restapi_id,loc=uri,required"`
	Body      *policyBody `aws:"payload"`
}

type policyBody struct {
	Version   *string
	Statement []json.RawMessage
}

type getArchiveOutput struct {
	ContentType *string   `aws:"name=Content-Type,loc=header"`
	Body        io.Reader `aws:"payload,streaming"`
}

type getDocumentOutput struct {
	Document any `aws:"payload"`
}

type resourceNotFoundException struct {
	_       struct{} `aws:"error=ResourceNotFoundException"`
	Message *string
	Type    *string
}

var lambda = (&model.Service{
	Name: "lambda", ID: "Lambda", Protocol: Protocol, Protocols: []string{Protocol},
	Operations: []*model.Operation{
		{Name: "CreateFunction", Method: "POST", RequestURI: "/2015-03-31/functions", ResponseCode: 201, Input: reflect.TypeFor[createFunctionInput](), Output: reflect.TypeFor[functionConfiguration]()},
		{Name: "GetFunction", Method: "GET", RequestURI: "/2015-03-31/functions/{FunctionName}", Input: reflect.TypeFor[getFunctionInput](), Output: reflect.TypeFor[getFunctionOutput]()},
		{Name: "ListFunctions", Method: "GET", RequestURI: "/2015-03-31/functions/", Input: reflect.TypeFor[listFunctionsInput](), Output: reflect.TypeFor[listFunctionsOutput]()},
		{Name: "Invoke", Method: "POST", RequestURI: "/2015-03-31/functions/{FunctionName}/invocations", Input: reflect.TypeFor[invokeInput](), Output: reflect.TypeFor[invokeOutput]()},
		{Name: "DeleteFunction", Method: "DELETE", RequestURI: "/2015-03-31/functions/{FunctionName}", ResponseCode: 204, Input: reflect.TypeFor[deleteFunctionInput]()},
		{Name: "PutPolicy", Method: "PUT", RequestURI: "/restapis/{restapi_id}/policy", Input: reflect.TypeFor[putPolicyInput](), Output: reflect.TypeFor[policyBody]()},
	},
	Enums: map[string][]string{"Runtime": {"python3.12", "nodejs20.x"}, "InvocationType": {"Event", "RequestResponse", "DryRun"}},
	Errors: map[string]model.ErrorShape{
		"ResourceNotFoundException": {Code: "ResourceNotFoundException", Status: 404, Sender: true, Type: reflect.TypeFor[resourceNotFoundException]()},
	},
}).Init()

func ptr[T any](v T) *T { return &v }

func TestOperation(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"POST", "/2015-03-31/functions", "CreateFunction"},
		{"GET", "/2015-03-31/functions/my-fn", "GetFunction"},
		{"GET", "/2015-03-31/functions/", "ListFunctions"},
		{"POST", "/2015-03-31/functions/my-fn/invocations", "Invoke"},
		{"DELETE", "/2015-03-31/functions/my-fn", "DeleteFunction"},
		{"GET", "/2015-03-31/nothing", ""},
		{"PATCH", "/2015-03-31/functions/my-fn", ""},
	}
	for _, tc := range tests {
		op, err := Codec{}.Operation(httptest.NewRequest(tc.method, tc.path, nil), lambda)
		if tc.want == "" {
			var e *awserr.Error
			if !errors.As(err, &e) || e.Code != "UnknownOperationException" || e.Status != 404 {
				t.Errorf("%s %s: %v %v", tc.method, tc.path, op, err)
			}
			continue
		}
		if err != nil || op.Name != tc.want {
			t.Errorf("%s %s: %v %v", tc.method, tc.path, op, err)
		}
	}
}

func decode(t *testing.T, r *http.Request) (any, error) {
	t.Helper()
	op, err := Codec{}.Operation(r, lambda)
	if err != nil {
		t.Fatal(err)
	}
	in := op.NewInput()
	return in, Codec{}.Decode(r, lambda, op, in)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name      string
		req       *http.Request
		want      any
		code, msg string
	}{
		{
			name: "body members",
			req:  httptest.NewRequest("POST", "/2015-03-31/functions", strings.NewReader(`{"FunctionName":"f","Runtime":"python3.12","Timeout":3,"Code":{"ZipFile":"UEsDBA=="},"Environment":{"Variables":{"A":"1"}}}`)),
			want: &createFunctionInput{FunctionName: ptr("f"), Runtime: ptr("python3.12"), Timeout: ptr(int32(3)), Code: &functionCode{ZipFile: []byte("PK\x03\x04")}, Environment: &environment{Variables: map[string]string{"A": "1"}}},
		},
		{
			name: "uri and query",
			req:  httptest.NewRequest("GET", "/2015-03-31/functions/my%3Afn?Qualifier=prod", nil),
			want: &getFunctionInput{FunctionName: ptr("my:fn"), Qualifier: ptr("prod")},
		},
		{
			name: "query integer",
			req:  httptest.NewRequest("GET", "/2015-03-31/functions/?MaxItems=50&Marker=m", nil),
			want: &listFunctionsInput{MaxItems: ptr(int32(50)), Marker: ptr("m")},
		},
		{
			name: "blob payload and header",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "/2015-03-31/functions/f/invocations", strings.NewReader(`{"raw": true}`))
				r.Header.Set("X-Amz-Invocation-Type", "Event")
				return r
			}(),
			want: &invokeInput{FunctionName: ptr("f"), InvocationType: ptr("Event"), Payload: []byte(`{"raw": true}`)},
		},
		{
			name: "structure payload",
			req:  httptest.NewRequest("PUT", "/restapis/abc/policy", strings.NewReader(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`)),
			want: &putPolicyInput{RestAPIID: ptr("abc"), Body: &policyBody{Version: ptr("2012-10-17"), Statement: []json.RawMessage{json.RawMessage(`{"Effect":"Allow"}`)}}},
		},
		{
			name: "empty structure payload",
			req:  httptest.NewRequest("PUT", "/restapis/abc/policy", nil),
			want: &putPolicyInput{RestAPIID: ptr("abc")},
		},
		{
			name: "missing required body member",
			req:  httptest.NewRequest("POST", "/2015-03-31/functions", strings.NewReader(`{"FunctionName":"f"}`)),
			code: "ValidationException",
			msg:  "1 validation error detected: Value null at 'code' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "empty body",
			req:  httptest.NewRequest("POST", "/2015-03-31/functions", nil),
			code: "ValidationException",
			msg:  "2 validation errors detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null; Value null at 'code' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "query out of range",
			req:  httptest.NewRequest("GET", "/2015-03-31/functions/?MaxItems=0", nil),
			code: "ValidationException",
			msg:  "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
		},
		{
			name: "query not a number",
			req:  httptest.NewRequest("GET", "/2015-03-31/functions/?MaxItems=ten", nil),
			code: "SerializationException",
		},
		{
			name: "no payload",
			req:  httptest.NewRequest("POST", "/2015-03-31/functions/f/invocations", nil),
			want: &invokeInput{FunctionName: ptr("f")},
		},
		{
			name: "enum header",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "/2015-03-31/functions/f/invocations", nil)
				r.Header.Set("X-Amz-Invocation-Type", "Sync")
				return r
			}(),
			code: "ValidationException",
			msg:  "1 validation error detected: Value 'Sync' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
		},
		{
			name: "wrong body type",
			req:  httptest.NewRequest("POST", "/2015-03-31/functions", strings.NewReader(`{"FunctionName":"f","Timeout":"3","Code":{}}`)),
			code: "SerializationException",
			msg:  "STRING_VALUE can not be converted to an Integer",
		},
		{
			name: "malformed body",
			req:  httptest.NewRequest("POST", "/2015-03-31/functions", strings.NewReader(`{"FunctionName":`)),
			code: "SerializationException",
			msg:  "Malformed JSON: unexpected end of input",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := decode(t, tc.req)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(in, tc.want) {
					t.Fatalf("got %+v\nwant %+v", in, tc.want)
				}
				return
			}
			var e *awserr.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Status != 400 || (tc.msg != "" && e.Message != tc.msg) {
				t.Fatalf("got %v, want %s: %s", err, tc.code, tc.msg)
			}
		})
	}
}

func TestDecodeStreamingPayload(t *testing.T) {
	type putArchiveInput struct {
		Name *string   `aws:"loc=uri,required"`
		Body io.Reader `aws:"payload,streaming"`
	}
	svc := (&model.Service{Name: "x", Protocol: Protocol, Operations: []*model.Operation{
		{Name: "PutArchive", Method: "PUT", RequestURI: "/archives/{Name}", Input: reflect.TypeFor[putArchiveInput]()},
	}}).Init()
	r := httptest.NewRequest("PUT", "/archives/a", strings.NewReader("bytes of the archive"))
	var in putArchiveInput
	if err := (Codec{}).Decode(r, svc, svc.Op("PutArchive"), &in); err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(in.Body)
	if *in.Name != "a" || string(body) != "bytes of the archive" {
		t.Fatalf("got %q %q", *in.Name, body)
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestEncode(t *testing.T) {
	stream := &closeRecorder{Reader: strings.NewReader("zip bytes")}
	tests := []struct {
		name    string
		method  string
		op      string
		info    *request.Info
		out     any
		status  int
		body    string
		headers map[string]string
	}{
		{
			name: "body members with default status", op: "CreateFunction",
			out:    &functionConfiguration{FunctionName: ptr("f"), Timeout: ptr(int32(3)), Environment: &environment{Variables: map[string]string{}}},
			status: 201, body: `{"FunctionName":"f","Timeout":3,"Environment":{"Variables":{}}}`,
			headers: map[string]string{"Content-Type": "application/json", "Content-Length": "63"},
		},
		{
			name: "empty output struct", op: "GetFunction", out: &getFunctionOutput{},
			status: 200, body: `{}`,
		},
		{
			name: "blob payload, headers and status member", op: "Invoke",
			out:    &invokeOutput{Payload: []byte(`{"ok":1}`), FunctionError: ptr("Unhandled"), ExecutedVersion: ptr("$LATEST"), StatusCode: ptr(int32(200))},
			status: 200, body: `{"ok":1}`,
			headers: map[string]string{"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST", "Content-Type": "application/octet-stream"},
		},
		{
			name: "status member 202", op: "Invoke", out: &invokeOutput{StatusCode: ptr(int32(202))},
			status: 202, body: ``, headers: map[string]string{"Content-Length": "0"},
		},
		{
			name: "info overrides", op: "Invoke", info: &request.Info{Status: 206, RequestID: "rid", Header: http.Header{"X-Extra": {"1"}}},
			out:    &invokeOutput{StatusCode: ptr(int32(200)), Payload: []byte("x")},
			status: 206, body: `x`, headers: map[string]string{"X-Extra": "1", "X-Amzn-Requestid": "rid"},
		},
		{
			name: "no output and 204", op: "DeleteFunction", out: nil, status: 204, body: ``,
		},
		{
			name: "structure payload", op: "PutPolicy", out: &putPolicyInput{Body: &policyBody{Version: ptr("v")}, RestAPIID: ptr("ignored")},
			status: 200, body: `{"Version":"v"}`, headers: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "streaming payload", op: "PutPolicy", out: &getArchiveOutput{ContentType: ptr("application/zip"), Body: stream},
			status: 200, body: `zip bytes`, headers: map[string]string{"Content-Type": "application/zip"},
		},
		{
			name: "document payload", op: "PutPolicy", out: &getDocumentOutput{Document: map[string]any{"a": 1}},
			status: 200, body: `{"a":1}`,
		},
		{
			name: "HEAD has no body", method: "HEAD", op: "GetFunction", out: &getFunctionOutput{Tags: map[string]string{"a": "b"}},
			status: 200, body: ``,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "POST"
			}
			r := httptest.NewRequest(method, "/", nil)
			if tc.info != nil {
				r = r.WithContext(request.With(context.Background(), tc.info))
			}
			w := httptest.NewRecorder()
			if err := (Codec{}).Encode(w, r, lambda, lambda.Op(tc.op), tc.out); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.status || w.Body.String() != tc.body {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Body.String(), tc.status, tc.body)
			}
			for k, v := range tc.headers {
				if got := w.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
	if !stream.closed {
		t.Error("streamed payload not closed")
	}
}

func TestEncodeError(t *testing.T) {
	tests := []struct {
		name   string
		err    *awserr.Error
		status int
		body   string
	}{
		{"lambda error gets its Type", awserr.Def{Code: "ResourceNotFoundException", Status: 404, Sender: true}.New("Function not found: arn:aws:lambda:us-east-1:000000000000:function:f"),
			404, `{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:f"}`},
		{"detail keeps its own Type", awserr.Def{Code: "ResourceNotFoundException", Status: 404, Sender: true}.New("gone").WithDetail(&resourceNotFoundException{Type: ptr("Custom"), Message: ptr("x")}),
			404, `{"Message":"gone","Type":"Custom"}`},
		{"server fault", awserr.From(errors.New("boom")), 500, `{"message":"We encountered an internal error. Please try again."}`},
		{"unmodelled validation", awserr.ValidationException.New("1 validation error detected: x"), 400, `{"message":"1 validation error detected: x"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			Codec{}.EncodeError(w, httptest.NewRequest("GET", "/", nil), lambda, nil, tc.err)
			if w.Code != tc.status || w.Body.String() != tc.body {
				t.Fatalf("got %d %s\nwant %d %s", w.Code, w.Body.String(), tc.status, tc.body)
			}
			if w.Header().Get("X-Amzn-Errortype") != tc.err.Code || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", w.Header())
			}
		})
	}
	// Other services keep "message" and get no Type.
	apigw := (&model.Service{Name: "apigateway", Protocol: Protocol}).Init()
	w := httptest.NewRecorder()
	Codec{}.EncodeError(w, httptest.NewRequest("GET", "/", nil), apigw, nil, awserr.Def{Code: "NotFoundException", Status: 404, Sender: true}.New("Invalid API identifier specified"))
	if w.Body.String() != `{"message":"Invalid API identifier specified"}` || w.Code != 404 {
		t.Fatalf("got %d %s", w.Code, w.Body.String())
	}
}

// TestOverHTTP serves a Lambda-like API over a real listener.
func TestOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := Codec{}
		op, err := c.Operation(r, lambda)
		if err != nil {
			c.EncodeError(w, r, lambda, nil, awserr.From(err))
			return
		}
		in := op.NewInput()
		if err := c.Decode(r, lambda, op, in); err != nil {
			c.EncodeError(w, r, lambda, op, awserr.From(err))
			return
		}
		_ = c.Encode(w, r, lambda, op, &getFunctionOutput{Configuration: &functionConfiguration{FunctionName: in.(*getFunctionInput).FunctionName, LastModified: ptr(time.Unix(0, 0).UTC().Format(time.RFC3339))}})
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/2015-03-31/functions/f1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"Configuration":{"FunctionName":"f1","LastModified":"1970-01-01T00:00:00Z"}}` {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(srv.URL + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("X-Amzn-Errortype") != "UnknownOperationException" {
		t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
	}
}
