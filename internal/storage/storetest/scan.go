package storetest

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// scanKeys is a key set with the awkward neighbours a range can trip on:
// a key and its extensions, 0x00 and 0xff bytes, keys at both ends.
var scanKeys = []string{
	"\x00", "a", "a\x00", "ab", "abc", "abd", "abd\x00", "ab\xff", "ac",
	"b", "ba", "bb", "c", "\xff", "\xff\xff", "\xff\xff\x01",
}

func putScanKeys(t *testing.T, b storage.Backend, table string) {
	t.Helper()
	update(t, b, func(tx storage.Tx) error {
		for _, k := range scanKeys {
			if err := tx.Put(table, []byte(k), []byte("v:"+k)); err != nil {
				return err
			}
		}
		return nil
	})
	// A neighbouring table that a scan must never wander into.
	put(t, b, table+"\x00", "a", "other", "zz", "other")
}

func scan(t *testing.T, b storage.Backend, table string, r storage.Range) []string {
	t.Helper()
	var got []string
	view(t, b, func(tx storage.Tx) error {
		return tx.Scan(table, r, func(k, v []byte) bool {
			if string(v) != "v:"+string(k) {
				t.Errorf("Scan: key %q has value %q", k, v)
			}
			got = append(got, string(k))
			return true
		})
	})
	return got
}

func testScanRanges(t *testing.T, b storage.Backend) {
	if !slices.IsSorted(scanKeys) {
		t.Fatal("scanKeys must be listed in byte order")
	}
	putScanKeys(t, b, "t")
	all := scanKeys
	rev := slices.Clone(all)
	slices.Reverse(rev)
	tests := []struct {
		name string
		r    storage.Range
		want []string
	}{
		{"all", storage.Range{}, all},
		{"all reversed", storage.Range{Reverse: true}, rev},
		{"prefix", storage.Range{Prefix: []byte("ab")}, []string{"ab", "abc", "abd", "abd\x00", "ab\xff"}},
		{"prefix reversed", storage.Range{Prefix: []byte("ab"), Reverse: true}, []string{"ab\xff", "abd\x00", "abd", "abc", "ab"}},
		{"prefix with no keys", storage.Range{Prefix: []byte("abz")}, nil},
		{"prefix of 0xff", storage.Range{Prefix: []byte("\xff\xff")}, []string{"\xff\xff", "\xff\xff\x01"}},
		{"prefix of 0xff reversed", storage.Range{Prefix: []byte("\xff"), Reverse: true}, []string{"\xff\xff\x01", "\xff\xff", "\xff"}},
		{"prefix ending in 0xff", storage.Range{Prefix: []byte("ab\xff")}, []string{"ab\xff"}},
		{"start on a key", storage.Range{Start: []byte("b")}, []string{"b", "ba", "bb", "c", "\xff", "\xff\xff", "\xff\xff\x01"}},
		{"start between keys", storage.Range{Start: []byte("bab")}, []string{"bb", "c", "\xff", "\xff\xff", "\xff\xff\x01"}},
		{"start past the end", storage.Range{Start: []byte("\xff\xff\x02")}, nil},
		{"start reversed on a key", storage.Range{Start: []byte("ab"), Reverse: true}, []string{"ab", "a\x00", "a", "\x00"}},
		{"start reversed between keys", storage.Range{Start: []byte("abcd"), Reverse: true}, []string{"abc", "ab", "a\x00", "a", "\x00"}},
		{"start reversed on the first key", storage.Range{Start: []byte("\x00"), Reverse: true}, []string{"\x00"}},
		{"start reversed past the end", storage.Range{Start: []byte("\xff\xff\x02"), Reverse: true}, rev},
		{"after a key", storage.Range{After: []byte("bb")}, []string{"c", "\xff", "\xff\xff", "\xff\xff\x01"}},
		{"after between keys", storage.Range{After: []byte("abcc")}, []string{"abd", "abd\x00", "ab\xff", "ac", "b", "ba", "bb", "c", "\xff", "\xff\xff", "\xff\xff\x01"}},
		{"after the last key", storage.Range{After: []byte("\xff\xff\x01")}, nil},
		{"after reversed", storage.Range{After: []byte("ab"), Reverse: true}, []string{"a\x00", "a", "\x00"}},
		{"after reversed the first key", storage.Range{After: []byte("\x00"), Reverse: true}, nil},
		{"prefix and start inside", storage.Range{Prefix: []byte("ab"), Start: []byte("abc")}, []string{"abc", "abd", "abd\x00", "ab\xff"}},
		{"prefix and start below", storage.Range{Prefix: []byte("ab"), Start: []byte("a")}, []string{"ab", "abc", "abd", "abd\x00", "ab\xff"}},
		{"prefix and start above", storage.Range{Prefix: []byte("ab"), Start: []byte("b")}, nil},
		{"prefix and start reversed inside", storage.Range{Prefix: []byte("ab"), Start: []byte("abc"), Reverse: true}, []string{"abc", "ab"}},
		{"prefix and start reversed above", storage.Range{Prefix: []byte("ab"), Start: []byte("b"), Reverse: true}, []string{"ab\xff", "abd\x00", "abd", "abc", "ab"}},
		{"prefix and start reversed below", storage.Range{Prefix: []byte("ab"), Start: []byte("aa"), Reverse: true}, nil},
		{"prefix and after", storage.Range{Prefix: []byte("ab"), After: []byte("abc")}, []string{"abd", "abd\x00", "ab\xff"}},
		{"prefix and after the prefix itself", storage.Range{Prefix: []byte("ab"), After: []byte("ab")}, []string{"abc", "abd", "abd\x00", "ab\xff"}},
		{"prefix and after reversed", storage.Range{Prefix: []byte("ab"), After: []byte("abd"), Reverse: true}, []string{"abc", "ab"}},
		{"start and after, after wins", storage.Range{Start: []byte("b"), After: []byte("ba")}, []string{"bb", "c", "\xff", "\xff\xff", "\xff\xff\x01"}},
		{"start and after, start wins", storage.Range{Start: []byte("ba"), After: []byte("a")}, []string{"ba", "bb", "c", "\xff", "\xff\xff", "\xff\xff\x01"}},
		{"start equals after", storage.Range{Start: []byte("ba"), After: []byte("ba")}, []string{"bb", "c", "\xff", "\xff\xff", "\xff\xff\x01"}},
		{"start and after reversed, after wins", storage.Range{Start: []byte("ba"), After: []byte("b"), Reverse: true}, []string{"ac", "ab\xff", "abd\x00", "abd", "abc", "ab", "a\x00", "a", "\x00"}},
		{"start and after reversed, start wins", storage.Range{Start: []byte("ab"), After: []byte("b"), Reverse: true}, []string{"ab", "a\x00", "a", "\x00"}},
		{"start equals after reversed", storage.Range{Start: []byte("b"), After: []byte("b"), Reverse: true}, []string{"ac", "ab\xff", "abd\x00", "abd", "abc", "ab", "a\x00", "a", "\x00"}},
		{"all three", storage.Range{Prefix: []byte("a"), Start: []byte("ab"), After: []byte("abc")}, []string{"abd", "abd\x00", "ab\xff", "ac"}},
		{"all three reversed", storage.Range{Prefix: []byte("a"), Start: []byte("abd"), After: []byte("ac"), Reverse: true}, []string{"abd", "abc", "ab", "a\x00", "a"}},
		{"empty slices are absent", storage.Range{Prefix: []byte{}, Start: []byte{}, After: []byte{}, Reverse: true}, rev},
	}
	for _, tc := range tests {
		got := scan(t, b, "t", tc.r)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Scan(%s) = %q; want %q", tc.name, rangeString(tc.r), got, tc.want)
		}
	}
}

// reference is Scan written straight from the storage.Range documentation:
// filter every key, sort, reverse.
func reference(r storage.Range) []string { return referenceOf(scanKeys, r) }

func referenceOf(keys []string, r storage.Range) []string {
	var out []string
	for _, k := range keys {
		kb := []byte(k)
		if !bytes.HasPrefix(kb, r.Prefix) {
			continue
		}
		if r.Reverse {
			if len(r.Start) > 0 && bytes.Compare(kb, r.Start) > 0 || len(r.After) > 0 && bytes.Compare(kb, r.After) >= 0 {
				continue
			}
		} else {
			if len(r.Start) > 0 && bytes.Compare(kb, r.Start) < 0 || len(r.After) > 0 && bytes.Compare(kb, r.After) <= 0 {
				continue
			}
		}
		out = append(out, k)
	}
	slices.Sort(out)
	if r.Reverse {
		slices.Reverse(out)
	}
	return out
}

// testScanMatchesReference compares Scan with the reference on many random
// ranges built from the keys themselves and their near neighbours.
func testScanMatchesReference(t *testing.T, b storage.Backend) {
	putScanKeys(t, b, "t")
	var probes [][]byte
	for _, k := range append(slices.Clone(scanKeys), "", "aa", "abcd", "b\xff", "zz") {
		probes = append(probes, []byte(k), append([]byte(k), 0), append([]byte(k), 0xff))
		if len(k) > 0 {
			probes = append(probes, []byte(k[:len(k)-1]))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() []byte {
		if rng.IntN(3) == 0 {
			return nil
		}
		return probes[rng.IntN(len(probes))]
	}
	failures := 0
	for range 3000 {
		r := storage.Range{Prefix: pick(), Start: pick(), After: pick(), Reverse: rng.IntN(2) == 0}
		got, want := scan(t, b, "t", r), reference(r)
		if !slices.Equal(got, want) {
			t.Errorf("Scan(%s) = %q; want %q", rangeString(r), got, want)
			if failures++; failures == 10 {
				t.FailNow()
			}
		}
	}
}

// testScanLargeTable repeats the reference comparison on a table spread
// over many pages, where seeks land on page boundaries.
func testScanLargeTable(t *testing.T, b storage.Backend) {
	rng := rand.New(rand.NewPCG(3, 4))
	var all []string
	seen := map[string]bool{}
	update(t, b, func(tx storage.Tx) error {
		for len(all) < 4000 {
			k := make([]byte, 1+rng.IntN(6))
			for i := range k {
				k[i] = "\x00ab\xffz"[rng.IntN(5)]
			}
			if seen[string(k)] {
				continue
			}
			seen[string(k)] = true
			all = append(all, string(k))
			if err := tx.Put("big", k, []byte("v:"+string(k))); err != nil {
				return err
			}
		}
		return nil
	})
	slices.Sort(all)
	pick := func() []byte {
		if rng.IntN(3) == 0 {
			return nil
		}
		k := []byte(all[rng.IntN(len(all))])
		switch rng.IntN(4) {
		case 0:
			return k[:rng.IntN(len(k)+1)]
		case 1:
			return append(k, 0)
		}
		return k
	}
	for range 400 {
		r := storage.Range{Prefix: pick(), Start: pick(), After: pick(), Reverse: rng.IntN(2) == 0}
		got, want := scan(t, b, "big", r), referenceOf(all, r)
		if !slices.Equal(got, want) {
			t.Fatalf("Scan(%s) visited %d keys; want %d (first diff near %q)", rangeString(r), len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return "the end"
}

func testScanEarlyStop(t *testing.T, b storage.Backend) {
	putScanKeys(t, b, "t")
	for _, r := range []storage.Range{{}, {Reverse: true}, {Prefix: []byte("ab")}, {Start: []byte("b"), Reverse: true}} {
		var got []string
		view(t, b, func(tx storage.Tx) error {
			return tx.Scan("t", r, func(k, v []byte) bool {
				got = append(got, string(k))
				return len(got) < 2
			})
		})
		if want := reference(r)[:2]; !slices.Equal(got, want) {
			t.Errorf("Scan(%s) stopping after 2 = %q; want %q", rangeString(r), got, want)
		}
	}
}

func testScanMissingTable(t *testing.T, b storage.Backend) {
	put(t, b, "a", "k", "v")
	put(t, b, "c", "k", "v")
	for _, r := range []storage.Range{{}, {Reverse: true}, {Prefix: []byte("k")}} {
		view(t, b, func(tx storage.Tx) error {
			return tx.Scan("b", r, func(k, v []byte) bool {
				t.Errorf("Scan of a missing table visited %q", k)
				return true
			})
		})
	}
}

func testScanSeesOwnWrites(t *testing.T, b storage.Backend) {
	put(t, b, "t", "a", "1", "b", "2", "c", "3")
	update(t, b, func(tx storage.Tx) error {
		tx.Delete("t", []byte("b"))
		tx.Put("t", []byte("bb"), []byte("4"))
		var got []string
		tx.Scan("t", storage.Range{Reverse: true}, func(k, v []byte) bool {
			got = append(got, string(k)+"="+string(v))
			return true
		})
		if s := strings.Join(got, ","); s != "c=3,bb=4,a=1" {
			t.Errorf("Scan inside the Update = %s", s)
		}
		return nil
	})
}

func rangeString(r storage.Range) string {
	return strings.NewReplacer("\x00", `\x00`, "\xff", `\xff`, "\x01", `\x01`).Replace(
		"prefix=" + string(r.Prefix) + " start=" + string(r.Start) + " after=" + string(r.After) +
			map[bool]string{true: " reverse", false: ""}[r.Reverse])
}
