package rpcv2cbor

import (
	"encoding/hex"
	"reflect"
	"testing"
)

// FuzzUnmarshal feeds arbitrary bytes to the decoder: it must never panic,
// and whatever it accepts must survive a round trip through the encoder.
func FuzzUnmarshal(f *testing.F) {
	boto, _ := hex.DecodeString(botoPutMetricData)
	f.Add(boto)
	f.Add([]byte{0xa0})
	f.Add(Append(nil, &getMetricStatisticsOutput{Label: ptr("x"), Datapoints: []datapoint{{Average: ptr(1.0), Extended: map[string]float64{"a": 1}}}, Blob: []byte{1}, Doc: map[string]any{"k": []any{int64(1), "v"}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, target := range []func() any{
			func() any { return &putMetricDataInput{} },
			func() any { return &getMetricStatisticsOutput{} },
		} {
			v := target()
			if err := Unmarshal(data, v); err != nil {
				continue
			}
			out := Append(nil, v)
			w := target()
			if err := Unmarshal(out, w); err != nil {
				t.Fatalf("re-decoding %x: %v", out, err)
			}
			if again := Append(nil, w); string(again) != string(out) && !reflect.DeepEqual(v, w) {
				t.Fatalf("not stable:\n%x\n%x", out, again)
			}
		}
	})
}
