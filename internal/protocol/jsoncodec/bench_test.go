package jsoncodec

import (
	"testing"
)

// putItemBody is a PutItem request of about 1 KB.
func putItemBody() []byte {
	return Marshal(&PutItemInput{TableName: ptr("Music"), Item: sampleItem(1)})
}

func BenchmarkDecodePutItem(b *testing.B) {
	data := putItemBody()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var in PutItemInput
		if err := Unmarshal(data, &in); err != nil {
			b.Fatal(err)
		}
	}
}

func queryOutput(n int) *QueryOutput {
	out := &QueryOutput{Count: ptr(int32(n)), ScannedCount: ptr(int32(n))}
	for i := range n {
		out.Items = append(out.Items, sampleItem(i))
	}
	return out
}

func BenchmarkEncodeQuery100(b *testing.B) {
	out := queryOutput(100)
	b.SetBytes(int64(len(Marshal(out))))
	b.ReportAllocs()
	for b.Loop() {
		buf := GetBuffer()
		buf.B = Append(buf.B, out)
		buf.Release()
	}
}

func BenchmarkDecodeQuery100(b *testing.B) {
	data := Marshal(queryOutput(100))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var out QueryOutput
		if err := Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
	}
}
