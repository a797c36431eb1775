package attr

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func TestNumberKeyOrder(t *testing.T) {
	nums := []string{
		"-9.9999999999999999999999999999999999999E+125", "-1E125", "-100", "-10.5", "-10.01", "-10",
		"-9.99", "-1.0001", "-1", "-0.5", "-0.05", "-1E-130", "0", "1E-130", "0.0001", "0.001",
		"0.0011", "0.1", "0.105", "0.11", "1", "1.000000000000000000000000000000000001", "1.01", "1.1",
		"2", "9", "10", "10.01", "99", "100", "101", "1000", "12345678901234567890123456789012345678",
		"1E125", "9.9999999999999999999999999999999999999E+125",
	}
	var prev []byte
	for i, s := range nums {
		v := nv(s)
		key, err := AppendKey(nil, &v)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && bytes.Compare(prev, key) >= 0 {
			t.Errorf("key(%s) = %x does not sort after key(%s) = %x", s, key, nums[i-1], prev)
		}
		prev = key
		back, rest, err := DecodeKey(key, TypeN)
		want, _ := CanonicalNumber(s)
		if err != nil || len(rest) != 0 || *back.N != want {
			t.Errorf("DecodeKey(key(%s)) = %v, %x, %v", s, back.N, rest, err)
		}
	}
}

func TestNumberKeyOrderRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var nums []Number
	for range 2000 {
		digits := r.IntN(38) + 1
		text := ""
		if r.IntN(2) == 0 {
			text = "-"
		}
		for i := range digits {
			d := r.IntN(10)
			if i == 0 && d == 0 {
				d = 1
			}
			text += strconv.Itoa(d)
		}
		text += "e" + strconv.Itoa(r.IntN(160)-90)
		n, err := ParseNumber(text)
		if err != nil {
			t.Fatal(text, err)
		}
		nums = append(nums, n)
	}
	byValue := slices.Clone(nums)
	slices.SortFunc(byValue, Number.Cmp)
	byKey := slices.Clone(nums)
	slices.SortFunc(byKey, func(a, b Number) int {
		return bytes.Compare(AppendNumberKey(nil, a), AppendNumberKey(nil, b))
	})
	for i := range byValue {
		if byValue[i].Cmp(byKey[i]) != 0 {
			t.Fatalf("order differs at %d: %v by value, %v by key", i, byValue[i], byKey[i])
		}
	}
}

func TestStringKeyOrderAndComposite(t *testing.T) {
	strs := []string{"", "\x00", "\x00\x00", "\x00a", "a", "a\x00", "a\x00b", "a\x01", "ab", "b", "\xff"}
	for i := range strs {
		for j := range strs {
			for _, hashes := range [][2]string{{"h", "h"}, {"h", "h\x00"}, {"h\x00", "h"}} {
				a, b := sv(hashes[0]), sv(hashes[1])
				ra, rb := sv(strs[i]), sv(strs[j])
				ka, _ := AppendKey(nil, &a)
				ka, _ = AppendKey(ka, &ra)
				kb, _ := AppendKey(nil, &b)
				kb, _ = AppendKey(kb, &rb)
				want := cmpPair(hashes[0], strs[i], hashes[1], strs[j])
				if got := bytes.Compare(ka, kb); got != want {
					t.Errorf("(%q,%q) vs (%q,%q): key order %d, want %d", hashes[0], strs[i], hashes[1], strs[j], got, want)
				}
			}
		}
		v := sv(strs[i])
		key, _ := AppendKey(nil, &v)
		back, rest, err := DecodeKey(append(key, 0x42), TypeS)
		if err != nil || *back.S != strs[i] || !bytes.Equal(rest, []byte{0x42}) {
			t.Errorf("DecodeKey(%q) = %v %x %v", strs[i], back.S, rest, err)
		}
		bin := bv([]byte(strs[i])...)
		key, _ = AppendKey(nil, &bin)
		back, _, err = DecodeKey(key, TypeB)
		if err != nil || back.B == nil || !bytes.Equal(back.B, bin.B) {
			t.Errorf("DecodeKey(B %q) = %v %v", strs[i], back.B, err)
		}
	}
}

func cmpPair(h1, r1, h2, r2 string) int {
	if c := bytes.Compare([]byte(h1), []byte(h2)); c != 0 {
		return c
	}
	return bytes.Compare([]byte(r1), []byte(r2))
}

func TestKeyPrefix(t *testing.T) {
	prefix := AppendKeyPrefix(nil, "ab\x00")
	for _, s := range []string{"ab\x00", "ab\x00c", "ab\x00\x00"} {
		v := sv(s)
		key, _ := AppendKey(nil, &v)
		if !bytes.HasPrefix(key, prefix) {
			t.Errorf("key(%q) lacks prefix", s)
		}
	}
	for _, s := range []string{"ab", "ab\x01", "abc", "a"} {
		v := sv(s)
		key, _ := AppendKey(nil, &v)
		if bytes.HasPrefix(key, prefix) {
			t.Errorf("key(%q) has prefix of ab\\x00", s)
		}
	}
}

func FuzzDecodeKey(f *testing.F) {
	f.Add([]byte{0x03, 0x81, 0x0b, 0x00}, uint8(TypeN))
	f.Add([]byte("abc\x00\x01"), uint8(TypeS))
	f.Fuzz(func(t *testing.T, src []byte, typ uint8) {
		v, _, err := DecodeKey(src, Type(typ%4))
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a prefix of the input.
		key, err := AppendKey(nil, &v)
		if err != nil || !bytes.HasPrefix(src, key) {
			t.Fatalf("decoded %x from %x, re-encoded %x, %v", v, src, key, err)
		}
	})
}
