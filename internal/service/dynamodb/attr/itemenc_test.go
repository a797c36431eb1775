package attr

import (
	"reflect"
	"strconv"
	"testing"
)

func sampleItem() Item {
	return Item{
		"pk":      sv("user#12345"),
		"sk":      nv("1700000000"),
		"name":    sv("Ada Lovelace"),
		"empty":   sv(""),
		"bin":     bv(0, 1, 2, 255),
		"nobin":   {B: []byte{}},
		"active":  boolv(true),
		"off":     boolv(false),
		"nothing": nullv(),
		"tags":    {SS: []string{"a", "b", "c"}},
		"scores":  {NS: []string{"1", "2.5", "-3"}},
		"blobs":   {BS: [][]byte{{1}, {2, 3}}},
		"address": {M: map[string]Value{
			"street": sv("12 Main St"),
			"zip":    nv("12345"),
			"geo":    {L: []Value{nv("1.5"), nv("-2.25")}},
			"none":   {M: map[string]Value{}},
		}},
		"history": {L: []Value{
			{M: map[string]Value{"at": nv("1"), "what": sv("created")}},
			{L: []Value{}},
			nullv(),
		}},
	}
}

func TestItemRoundTrip(t *testing.T) {
	items := []Item{{}, sampleItem(), {"a": sv("x")}}
	for _, item := range items {
		enc := AppendItem(nil, item)
		got, err := DecodeItem(enc)
		if err != nil {
			t.Fatalf("DecodeItem: %v", err)
		}
		if !reflect.DeepEqual(got, item) {
			t.Errorf("round trip:\n got %#v\nwant %#v", got, item)
		}
		// Appending to a non-empty buffer leaves its prefix alone.
		enc2 := AppendItem([]byte("prefix"), item)
		if string(enc2[:6]) != "prefix" {
			t.Error("AppendItem clobbered dst")
		}
	}
}

func TestDecodeItemIsIndependentOfInput(t *testing.T) {
	enc := AppendItem(nil, sampleItem())
	got, err := DecodeItem(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc {
		enc[i] = 0xAA
	}
	if !reflect.DeepEqual(got, sampleItem()) {
		t.Error("decoded item changed when the input buffer was overwritten")
	}
	// Growing one decoded binary must not overwrite its neighbour.
	b := got["blobs"].BS
	_ = append(b[0], 9, 9, 9)
	if b[1][0] != 2 {
		t.Error("append to a decoded binary overwrote another value")
	}
}

func TestDecodeItemCorrupt(t *testing.T) {
	enc := AppendItem(nil, sampleItem())
	for n := range len(enc) {
		if _, err := DecodeItem(enc[:n]); err == nil {
			t.Errorf("DecodeItem of %d of %d bytes succeeded", n, len(enc))
		}
	}
	if _, err := DecodeItem(append(enc, 0)); err == nil {
		t.Error("trailing bytes accepted")
	}
}

func FuzzDecodeItem(f *testing.F) {
	f.Add(AppendItem(nil, sampleItem()))
	f.Add(AppendItem(nil, Item{}))
	f.Fuzz(func(t *testing.T, src []byte) {
		item, err := DecodeItem(src)
		if err != nil {
			return
		}
		again, err := DecodeItem(AppendItem(nil, item))
		if err != nil || !reflect.DeepEqual(again, item) {
			t.Fatalf("re-encoding a decoded item does not round-trip: %v", err)
		}
	})
}

// benchItem is about 1 KB, the size of a typical record.
func benchItem() Item {
	item := Item{"pk": sv("tenant#42"), "sk": sv("order#2024-01-01T00:00:00Z#000123")}
	for i := range 20 {
		item["attr"+strconv.Itoa(i)] = sv("some moderately long string value " + strconv.Itoa(i))
		item["num"+strconv.Itoa(i)] = nv(strconv.Itoa(i * 1234567))
	}
	item["nested"] = Value{M: map[string]Value{"a": nv("1"), "b": {L: []Value{sv("x"), sv("y")}}}}
	return item
}

func BenchmarkAppendItem(b *testing.B) {
	item := benchItem()
	buf := AppendItem(nil, item)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendItem(buf[:0], item)
	}
}

func BenchmarkDecodeItem(b *testing.B) {
	enc := AppendItem(nil, benchItem())
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeItem(enc); err != nil {
			b.Fatal(err)
		}
	}
}
