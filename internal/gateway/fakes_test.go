package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
)

// Hand-written stand-ins for generated service packages and protocol
// codecs: small models with the traits routing looks at, and a codec that
// reports which protocol, service and operation served a request.

type emptyInput struct{}

type jsonInput struct {
	TableName *string `aws:"name=TableName"`
}

type putObjectInput struct {
	Bucket        *string   `aws:"loc=uri,name=Bucket,required"`
	Key           *string   `aws:"loc=uri,name=Key,required"`
	ContentLength *int64    `aws:"loc=header,name=Content-Length"`
	Body          io.Reader `aws:"payload,streaming"`
}

// echo is what the test handlers answer: what the service saw.
type echo struct {
	Service, Op, Account, Region, AccessKey, RequestID, Endpoint string
	Path, EscapedPath, Host                                      string
	ContentLength                                                int64
	ContentEncoding                                              string
	Body                                                         string
	Trailer                                                      map[string]string
	Table                                                        string
}

func op(name, method, uri string, in any) *model.Operation {
	o := &model.Operation{Name: name, Method: method, RequestURI: uri}
	if in != nil {
		o.Input = reflect.TypeOf(in)
	}
	return o
}

func models() map[string]*model.Service {
	ms := map[string]*model.Service{
		"s3": {Name: "s3", ID: "S3", APIVersion: "2006-03-01", Protocol: protoRESTXML, Protocols: []string{protoRESTXML},
			SigningName: "s3", EndpointPrefix: "s3", Operations: []*model.Operation{
				op("ListBuckets", "GET", "/", emptyInput{}),
				op("ListObjects", "GET", "/{Bucket}", emptyInput{}),
				op("GetObject", "GET", "/{Bucket}/{Key+}", emptyInput{}),
				op("PutObject", "PUT", "/{Bucket}/{Key+}", putObjectInput{}),
				op("DeleteObjects", "POST", "/{Bucket}?delete", emptyInput{}),
			}},
		"s3control": {Name: "s3control", APIVersion: "2018-08-20", Protocol: protoRESTXML, Protocols: []string{protoRESTXML},
			SigningName: "s3", EndpointPrefix: "s3-control", Operations: []*model.Operation{
				op("ListJobs", "GET", "/v20180820/jobs", emptyInput{}),
			}},
		"dynamodb": {Name: "dynamodb", APIVersion: "2012-08-10", Protocol: protoJSON, Protocols: []string{protoJSON},
			SigningName: "dynamodb", EndpointPrefix: "dynamodb", TargetPrefix: "DynamoDB_20120810", JSONVersion: "1.0",
			Operations: []*model.Operation{op("PutItem", "POST", "/", jsonInput{}), op("DescribeTable", "POST", "/", jsonInput{})},
			Errors:     map[string]model.ErrorShape{}},
		"dynamodbstreams": {Name: "dynamodbstreams", APIVersion: "2012-08-10", Protocol: protoJSON, Protocols: []string{protoJSON},
			SigningName: "dynamodb", EndpointPrefix: "streams.dynamodb", TargetPrefix: "DynamoDBStreams_20120810", JSONVersion: "1.0",
			Operations: []*model.Operation{op("ListStreams", "POST", "/", jsonInput{})}},
		"sns": {Name: "sns", APIVersion: "2010-03-31", Protocol: protoQuery, Protocols: []string{protoQuery},
			SigningName: "sns", EndpointPrefix: "sns", Operations: []*model.Operation{op("Publish", "POST", "/", emptyInput{}), op("ListTopics", "POST", "/", emptyInput{})}},
		"sqs": {Name: "sqs", APIVersion: "2012-11-05", Protocol: protoJSON, Protocols: []string{protoJSON, protoQuery},
			SigningName: "sqs", EndpointPrefix: "sqs", TargetPrefix: "AmazonSQS", JSONVersion: "1.0", QueryCompatible: true,
			Operations: []*model.Operation{op("SendMessage", "POST", "/", emptyInput{}), op("ListQueues", "POST", "/", emptyInput{})}},
		"cloudwatch": {Name: "cloudwatch", APIVersion: "2010-08-01", Protocol: protoCBOR, Protocols: []string{protoCBOR, protoJSON, protoQuery},
			SigningName: "monitoring", EndpointPrefix: "monitoring", TargetPrefix: "GraniteServiceVersion20100801", JSONVersion: "1.0",
			Operations: []*model.Operation{op("GetMetricData", "POST", "/", emptyInput{}), op("PutMetricData", "POST", "/", emptyInput{})}},
		"lambda": {Name: "lambda", APIVersion: "2015-03-31", Protocol: protoRESTJSON, Protocols: []string{protoRESTJSON},
			SigningName: "lambda", EndpointPrefix: "lambda", Operations: []*model.Operation{
				op("Invoke", "POST", "/2015-03-31/functions/{FunctionName}/invocations", emptyInput{}),
				op("ListFunctions", "GET", "/2015-03-31/functions/", emptyInput{}),
			},
			Errors: map[string]model.ErrorShape{"RequestTooLargeException": {Code: "RequestTooLargeException", Status: 413, Sender: true}}},
	}
	for _, m := range ms {
		m.Init()
	}
	return ms
}

// echoHandlers answers every operation of m with an echo.
func echoHandlers(m *model.Service) map[string]model.Handler {
	hs := map[string]model.Handler{}
	for _, o := range m.Operations {
		hs[o.Name] = func(ctx context.Context, in any) (any, error) {
			info := request.FromContext(ctx)
			e := &echo{Service: info.Service, Op: info.Operation, Account: info.Account, Region: info.Region,
				AccessKey: info.AccessKey, RequestID: info.RequestID, Endpoint: info.Endpoint,
				Path: info.HTTP.URL.Path, EscapedPath: info.HTTP.URL.EscapedPath(), Host: info.HTTP.Host, ContentLength: info.HTTP.ContentLength,
				ContentEncoding: info.HTTP.Header.Get("Content-Encoding")}
			switch v := in.(type) {
			case *putObjectInput:
				b, err := io.ReadAll(v.Body)
				if err != nil {
					return nil, err
				}
				e.Body = string(b)
			case *jsonInput:
				if v.TableName != nil {
					e.Table = *v.TableName
				}
			}
			if info.Trailer != nil {
				e.Trailer = map[string]string{}
				for k := range info.Trailer() {
					e.Trailer[strings.ToLower(k)] = info.Trailer().Get(k)
				}
			}
			return e, nil
		}
	}
	return hs
}

func testServices() []Service {
	var out []Service
	for _, name := range []string{"s3", "s3control", "dynamodb", "dynamodbstreams", "sns", "sqs", "cloudwatch", "lambda"} {
		m := models()[name]
		out = append(out, Service{Model: m, Handlers: echoHandlers(m)})
	}
	return out
}

func fakeCodecs() []protocol.Codec {
	return []protocol.Codec{fakeCodec{protoRESTXML}, fakeCodec{protoRESTJSON}, fakeCodec{protoJSON}, fakeCodec{protoQuery}, fakeCodec{protoCBOR}}
}

// fakeCodec routes and decodes just enough of each protocol for the
// gateway tests, and answers in JSON with the protocol it stands for.
type fakeCodec struct{ name string }

func (c fakeCodec) Name() string { return c.name }

func (c fakeCodec) Operation(r *http.Request, svc *model.Service) (*model.Operation, error) {
	var name string
	switch c.name {
	case protoJSON:
		t := r.Header.Get("X-Amz-Target")
		prefix, opName, _ := strings.Cut(t, ".")
		if prefix != svc.TargetPrefix {
			return nil, awserr.UnknownOperation.New("bad target " + t)
		}
		name = opName
	case protoQuery:
		name = formOf(r).Get("Action")
	case protoCBOR:
		_, name, _ = strings.Cut(r.URL.Path, "/operation/")
	default:
		for _, o := range svc.Operations {
			if o.Method == r.Method && matchTemplate(o.RequestURI, r.URL.Path, r.URL.Query()) {
				return o, nil
			}
		}
		return nil, awserr.UnknownOperation.New("no route for " + r.Method + " " + r.URL.Path)
	}
	if o := svc.Op(name); o != nil {
		return o, nil
	}
	return nil, awserr.InvalidAction.New("The action " + name + " is not valid for this web service.")
}

// matchTemplate matches "/{Bucket}/{Key+}?delete"-style templates.
func matchTemplate(tmpl, path string, q url.Values) bool {
	tpath, tquery, _ := strings.Cut(tmpl, "?")
	if tquery != "" && !q.Has(strings.Split(tquery, "=")[0]) {
		return false
	}
	ts := strings.Split(strings.Trim(tpath, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if tpath == "/" {
		return path == "/" || path == ""
	}
	for i, t := range ts {
		if strings.HasSuffix(t, "+}") {
			return len(ps) > i && ps[i] != ""
		}
		if i >= len(ps) {
			return false
		}
		if strings.HasPrefix(t, "{") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if t != ps[i] {
			return false
		}
	}
	return len(ps) == len(ts)
}

func formOf(r *http.Request) url.Values {
	v := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method == http.MethodPost && ct == "application/x-www-form-urlencoded" && r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		post, _ := url.ParseQuery(string(b))
		for k, vs := range post {
			v[k] = vs
		}
	}
	return v
}

var readerType = reflect.TypeFor[io.Reader]()

func (c fakeCodec) Decode(r *http.Request, svc *model.Service, op *model.Operation, in any) error {
	v := reflect.ValueOf(in).Elem()
	if f := v.FieldByName("Body"); f.IsValid() && f.Type() == readerType {
		f.Set(reflect.ValueOf(r.Body))
		return nil
	}
	if r.Body == nil {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return awserr.SerializationError.New("could not read the body") // what a codec might make of it
	}
	if (c.name == protoJSON || c.name == protoRESTJSON) && len(body) > 0 {
		if err := json.Unmarshal(body, in); err != nil {
			return awserr.SerializationError.New(err.Error())
		}
	}
	return nil
}

func (c fakeCodec) Encode(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, out any) error {
	info := request.FromContext(r.Context())
	for k, vs := range info.Header {
		w.Header()[k] = vs
	}
	w.Header().Set("X-Codec", c.name)
	w.Header().Set("Content-Type", "application/json")
	status := info.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(out)
}

// wireError is how the fake codec writes an error.
type wireError struct {
	Codec, Service, Code, Message string
	Detail                        any
}

func (c fakeCodec) EncodeError(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, e *awserr.Error) {
	for k, vs := range e.Header {
		w.Header()[k] = vs
	}
	w.Header().Set("X-Codec", c.name)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(wireError{Codec: c.name, Service: svc.Name, Code: e.Code, Message: e.Message, Detail: e.Detail})
}
