package rpcv2cbor

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
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

// Hand-written shapes with the tags of the generated CloudWatch types.

type dimension struct {
	Name  *string `aws:"required,min=1,max=255"`
	Value *string `aws:"required,min=1,max=1024"`
}

type metricDatum struct {
	Counts            []float64
	Dimensions        []dimension `aws:"max=30"`
	MetricName        *string     `aws:"required,min=1,max=255"`
	StorageResolution *int32      `aws:"min=1"`
	Timestamp         *time.Time
	Unit              *string `aws:"enum=StandardUnit"`
	Value             *float64
	Values            []float64
}

type putMetricDataInput struct {
	MetricData             []metricDatum
	Namespace              *string `aws:"required,min=1,max=255"`
	StrictEntityValidation *bool
}

type datapoint struct {
	Average   *float64
	Maximum   *float64
	Timestamp *time.Time
	Unit      *string
	Extended  map[string]float64 `aws:"name=ExtendedStatistics"`
}

type getMetricStatisticsOutput struct {
	Datapoints []datapoint
	Label      *string
	Blob       []byte
	Doc        any
	Count      *int64
}

type resourceNotFound struct {
	_       struct{} `aws:"error=ResourceNotFound"`
	Message *string  `aws:"name=message"`
	Name    *string  `aws:"name=ResourceName"`
}

var cloudwatch = (&model.Service{
	Name: "cloudwatch", Protocol: Protocol, Protocols: []string{Protocol, "json", "query"}, TargetPrefix: "GraniteServiceVersion20100801", QueryCompatible: true,
	Operations: []*model.Operation{
		{Name: "PutMetricData", Input: reflect.TypeFor[putMetricDataInput]()},
		{Name: "GetMetricStatistics", Output: reflect.TypeFor[getMetricStatisticsOutput]()},
	},
	Enums: map[string][]string{"StandardUnit": {"Seconds", "Milliseconds", "Count"}},
	Errors: map[string]model.ErrorShape{
		"ResourceNotFound": {Code: "ResourceNotFound", Status: 404, Sender: true, Type: reflect.TypeFor[resourceNotFound]()},
	},
}).Init()

func ptr[T any](v T) *T { return &v }

// botoPutMetricData is PutMetricData as boto3 1.43 sends it.
const botoPutMetricData = "a3694e616d657370616365684170702f546573746a4d65747269634461746181a86a4d65747269634e616d65674c6174656e63796a44696d656e73696f6e7381a2644e616d6564486f73746556616c75656268316954696d657374616d70c11a65e078f56556616c7565fb402900000000000064556e69746c4d696c6c697365636f6e64737153746f726167655265736f6c7574696f6e016656616c75657382fb3ff0000000000000fb400400000000000066436f756e747382fb4008000000000000fb401000000000000076537472696374456e7469747956616c69646174696f6ef5"

func newRequest(path string, body []byte) *http.Request {
	r := httptest.NewRequest("POST", path, bytes.NewReader(body))
	r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	r.Header.Set("Content-Type", "application/cbor")
	return r
}

func TestOperation(t *testing.T) {
	tests := []struct {
		method, path, want string
	}{
		{"POST", "/service/GraniteServiceVersion20100801/operation/PutMetricData", "PutMetricData"},
		{"POST", "/prefix/service/GraniteServiceVersion20100801/operation/GetMetricStatistics", "GetMetricStatistics"},
		{"POST", "/service/Other/operation/PutMetricData", ""},
		{"POST", "/service/GraniteServiceVersion20100801/operation/Nope", ""},
		{"POST", "/service/GraniteServiceVersion20100801/operation/PutMetricData/x", ""},
		{"GET", "/service/GraniteServiceVersion20100801/operation/PutMetricData", ""},
		{"POST", "/", ""},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		op, err := Codec{}.Operation(r, cloudwatch)
		if tc.want == "" {
			var e *awserr.Error
			if !errors.As(err, &e) || e.Code != "UnknownOperationException" || e.Status != 404 {
				t.Errorf("%s %s: got %v %v", tc.method, tc.path, op, err)
			}
			continue
		}
		if err != nil || op.Name != tc.want {
			t.Errorf("%s %s: got %v %v", tc.method, tc.path, op, err)
		}
	}
}

func TestDecodeBotoPutMetricData(t *testing.T) {
	body, _ := hex.DecodeString(botoPutMetricData)
	var in putMetricDataInput
	err := Codec{}.Decode(newRequest("/service/GraniteServiceVersion20100801/operation/PutMetricData", body), cloudwatch, cloudwatch.Op("PutMetricData"), &in)
	if err != nil {
		t.Fatal(err)
	}
	want := putMetricDataInput{
		Namespace:              ptr("App/Test"),
		StrictEntityValidation: ptr(true),
		MetricData: []metricDatum{{
			MetricName:        ptr("Latency"),
			Dimensions:        []dimension{{Name: ptr("Host"), Value: ptr("h1")}},
			Timestamp:         ptr(time.Date(2024, 2, 29, 12, 30, 45, 0, time.UTC)),
			Value:             ptr(12.5),
			Unit:              ptr("Milliseconds"),
			StorageResolution: ptr(int32(1)),
			Values:            []float64{1, 2.5},
			Counts:            []float64{3, 4},
		}},
	}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("got %+v", in)
	}
	// Our encoder writes the same members; decoding that gives the same value.
	var again putMetricDataInput
	if err := Unmarshal(Append(nil, &in), &again); err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("round trip: %v %+v", err, again)
	}
}

func TestDecodeErrors(t *testing.T) {
	enc := func(parts ...string) []byte {
		b, _ := hex.DecodeString(strings.Join(parts, ""))
		return b
	}
	deep := bytes.Repeat([]byte{0x81}, MaxDepth+1) // arrays inside arrays
	tests := []struct {
		name string
		body []byte
		code string
		msg  string
	}{
		{"missing namespace", enc("a0"), "ValidationException",
			"1 validation error detected: Value null at 'namespace' failed to satisfy constraint: Member must not be null"},
		{"bad enum in list", enc("a2", "694e616d657370616365", "6161", "6a4d6574726963446174", "61", "81a2", "6a4d65747269634e616d65", "616d", "64556e6974", "6366656c"), "ValidationException",
			"1 validation error detected: Value 'fel' at 'metricData.1.member.unit' failed to satisfy constraint: Member must satisfy enum value set: [Seconds, Milliseconds, Count]"},
		{"number for string", enc("a1", "694e616d657370616365", "01"), "SerializationException", "Expected a String but found a CBOR unsigned integer"},
		{"string for list", enc("a1", "6a4d6574726963446174", "61", "6161"), "SerializationException", "Expected a List but found a CBOR text string"},
		{"string for bool", enc("a1", "76537472696374456e7469747956616c69646174696f6e", "6161"), "SerializationException", "Expected a Boolean but found a CBOR text string"},
		{"not a map", enc("80"), "SerializationException", "Expected a Structure but found a CBOR array"},
		{"truncated", enc("a1", "694e616d657370616365", "65616263"), "SerializationException", "Malformed CBOR: string longer than the input at offset 12"},
		{"huge count", enc("bb", "ffffffffffffffff"), "SerializationException", "Malformed CBOR: container longer than the input at offset 9"},
		{"trailing", enc("a0", "00"), "SerializationException", "Malformed CBOR: unexpected data after the body at offset 1"},
		{"reserved info", enc("a1", "694e616d657370616365", "1c"), "SerializationException", "Malformed CBOR: reserved additional information at offset 12"},
		{"bad utf8", enc("a1", "694e616d657370616365", "62ffff"), "SerializationException", "Malformed CBOR: text string is not valid UTF-8 at offset 14"},
		{"deep unknown member", append(enc("a1", "6158"), deep...), "SerializationException", "Malformed CBOR: nesting deeper than 256 levels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in putMetricDataInput
			err := Codec{}.Decode(newRequest("/", tc.body), cloudwatch, cloudwatch.Op("PutMetricData"), &in)
			var e *awserr.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Message != tc.msg || e.Status != 400 {
				t.Fatalf("got %v\nwant %s: %s", err, tc.code, tc.msg)
			}
		})
	}
}

func TestIndefiniteLengthsAndFloats(t *testing.T) {
	// {_ "Namespace": (_ "ab", "c"), "MetricData": [_ {"MetricName": "m", "Value": half 1.5, "Timestamp": 1(1.5)}]}
	body, _ := hex.DecodeString("bf" + "694e616d657370616365" + "7f626162616" + "3ff" +
		"6a4d65747269634461746" + "1" + "9f" + "a3" + "6a4d65747269634e616d65" + "616d" + "6556616c7565" + "f93e00" +
		"6954696d657374616d70" + "c1" + "fb3ff8000000000000" + "ff" + "ff")
	var in putMetricDataInput
	if err := Unmarshal(body, &in); err != nil {
		t.Fatal(err)
	}
	if *in.Namespace != "abc" || len(in.MetricData) != 1 || *in.MetricData[0].Value != 1.5 ||
		!in.MetricData[0].Timestamp.Equal(time.UnixMilli(1500)) {
		t.Fatalf("got %+v %+v", in, in.MetricData)
	}
}

func TestHalfFloats(t *testing.T) {
	tests := map[uint16]float64{0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: math.Ldexp(1, -24), 0x7c00: math.Inf(1), 0x0000: 0}
	for bits, want := range tests {
		if got := halfToFloat(bits); got != want {
			t.Errorf("%#04x: got %v want %v", bits, got, want)
		}
	}
	if !math.IsNaN(halfToFloat(0x7e00)) {
		t.Error("NaN")
	}
}

func TestEncode(t *testing.T) {
	w := httptest.NewRecorder()
	r := newRequest("/service/GraniteServiceVersion20100801/operation/GetMetricStatistics", nil)
	r = r.WithContext(request.With(context.Background(), &request.Info{RequestID: "rid"}))
	out := &getMetricStatisticsOutput{
		Label: ptr("Latency"),
		Datapoints: []datapoint{{
			Average: ptr(1.5), Timestamp: ptr(time.UnixMilli(1709209845123).UTC()), Unit: ptr("Milliseconds"),
			Extended: map[string]float64{"p99": 9, "p50": 5},
		}},
		Blob:  []byte{0, 1},
		Doc:   json.RawMessage(`{"a":[1,2.5,"x",true,null]}`),
		Count: ptr(int64(-300)),
	}
	if err := (Codec{}).Encode(w, r, cloudwatch, cloudwatch.Op("GetMetricStatistics"), out); err != nil {
		t.Fatal(err)
	}
	h := w.Header()
	if w.Code != 200 || h.Get("Smithy-Protocol") != "rpc-v2-cbor" || h.Get("Content-Type") != "application/cbor" || h.Get("X-Amzn-Requestid") != "rid" {
		t.Fatalf("got %d %v", w.Code, h)
	}
	var back getMetricStatisticsOutput
	if err := Unmarshal(w.Body.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	wantDoc := map[string]any{"a": []any{int64(1), 2.5, "x", true, nil}}
	if !reflect.DeepEqual(back.Doc, wantDoc) {
		t.Fatalf("doc: %#v", back.Doc)
	}
	back.Doc, out.Doc = nil, nil
	if !reflect.DeepEqual(&back, out) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, out)
	}
	// The timestamp is tag 1 around a double: c1 fb ...
	if !bytes.Contains(w.Body.Bytes(), []byte{0xc1, 0xfb}) {
		t.Fatalf("timestamp not tagged: %x", w.Body.Bytes())
	}
}

func TestEncodeNilOutput(t *testing.T) {
	w := httptest.NewRecorder()
	if err := (Codec{}).Encode(w, newRequest("/", nil), cloudwatch, cloudwatch.Op("PutMetricData"), nil); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), []byte{0xa0}) {
		t.Fatalf("got %d %x", w.Code, w.Body.Bytes())
	}
}

func TestEncodeError(t *testing.T) {
	w := httptest.NewRecorder()
	err := awserr.Def{Code: "ResourceNotFound", Status: 404, Sender: true, QueryCode: "ResourceNotFound"}.New("no such alarm").
		WithDetail(&resourceNotFound{Message: ptr("ignored"), Name: ptr("alarm-1")})
	Codec{}.EncodeError(w, newRequest("/", nil), cloudwatch, nil, err)
	if w.Code != 404 || w.Header().Get("X-Amzn-Query-Error") != "ResourceNotFound;Sender" || w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" {
		t.Fatalf("got %d %v", w.Code, w.Header())
	}
	rd := reader{b: w.Body.Bytes()}
	got, decErr := rd.decodeAny()
	want := map[string]any{"__type": "com.amazonaws.cloudwatch#ResourceNotFound", "message": "no such alarm", "ResourceName": "alarm-1"}
	if decErr != nil || !reflect.DeepEqual(got, want) || rd.i != len(rd.b) {
		t.Fatalf("got %#v %v", got, decErr)
	}

	w = httptest.NewRecorder()
	Codec{}.EncodeError(w, newRequest("/", nil), cloudwatch, nil, awserr.InvalidParameter.New("bad").WithDetail(map[string]string{"b": "2", "a": "1"}))
	rd = reader{b: w.Body.Bytes()}
	got, decErr = rd.decodeAny()
	want = map[string]any{"__type": "com.amazonaws.cloudwatch#InvalidParameterValue", "message": "bad", "a": "1", "b": "2"}
	if decErr != nil || !reflect.DeepEqual(got, want) || w.Code != 400 {
		t.Fatalf("got %d %#v %v", w.Code, got, decErr)
	}
}
