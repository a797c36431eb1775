package checksum

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestKnownVectors(t *testing.T) {
	for name, tc := range map[string]struct {
		alg  Algorithm
		in   string
		want string // hex of the big-endian digest
	}{
		"crc32 check":        {CRC32, "123456789", "cbf43926"},
		"crc32c check":       {CRC32C, "123456789", "e3069283"},
		"crc64nvme check":    {CRC64NVME, "123456789", "ae8b14860a799888"},
		"crc64nvme empty":    {CRC64NVME, "", "0000000000000000"},
		"crc32 empty":        {CRC32, "", "00000000"},
		"sha256 hello world": {SHA256, "Hello world", "64ec88ca00b268e5ba1a35678a1b5316d212f4f366b2477232534a8aeca37f3c"},
		"sha1 abc":           {SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		"md5 empty":          {MD5, "", "d41d8cd98f00b204e9800998ecf8427e"},
	} {
		t.Run(name, func(t *testing.T) {
			h := tc.alg.New()
			h.Write([]byte(tc.in))
			if got := hex.EncodeToString(h.Sum(nil)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// The wire forms S3 and the SDKs exchange for "Hello world".
func TestWireForm(t *testing.T) {
	for alg, want := range map[Algorithm]string{
		CRC32:  "i9aeUg==",
		CRC32C: "crUfeA==",
		SHA1:   "e1AsOh9IyGCa4hLN+2Od7jlnP14=",
		SHA256: "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=",
	} {
		if got := Sum(alg, []byte("Hello world")); got != want {
			t.Errorf("%s: got %s, want %s", alg, got, want)
		}
	}
}

// The slicing-by-8 CRC64NVME must agree with the standard library's generic
// table-driven CRC-64 built from the same reflected polynomial.
func TestCRC64NVMEMatchesStdlib(t *testing.T) {
	table := crc64.MakeTable(polyCRC64NVME)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096, 100003} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		want := crc64.Checksum(data, table)
		if got := UpdateCRC64NVME(0, data); got != want {
			t.Fatalf("len %d: got %x, want %x", n, got, want)
		}
		// Streaming in odd pieces gives the same result.
		h := NewCRC64NVME()
		for rest := data; len(rest) > 0; {
			k := min(len(rest), 1+rng.IntN(13))
			h.Write(rest[:k])
			rest = rest[k:]
		}
		if h.Sum64() != want {
			t.Fatalf("len %d streamed: got %x, want %x", n, h.Sum64(), want)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Algorithm{"crc32": CRC32, "CRC32C": CRC32C, "crc64nvme": CRC64NVME, "Sha256": SHA256, "sha1": SHA1} {
		if got, ok := Parse(in); !ok || got != want {
			t.Errorf("Parse(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := Parse("crc16"); ok {
		t.Error("Parse accepted crc16")
	}
	if a, ok := FromHeader("X-Amz-Checksum-Crc64nvme"); !ok || a != CRC64NVME {
		t.Errorf("FromHeader = %q, %v", a, ok)
	}
	for _, h := range []string{"x-amz-checksum-mode", "x-amz-checksum-", "x-amz-checksum-md5", "content-md5"} {
		if _, ok := FromHeader(h); ok {
			t.Errorf("FromHeader(%q) accepted", h)
		}
	}
	if CRC32C.Header() != "x-amz-checksum-crc32c" || MD5.Header() != "Content-MD5" {
		t.Error("Header names")
	}
}

func TestDecodeRejectsWrongSizes(t *testing.T) {
	for name, tc := range map[string]struct {
		alg Algorithm
		in  string
		ok  bool
	}{
		"crc32 ok":           {CRC32, "i9aeUg==", true},
		"crc32 too long":     {CRC32, "AAAAAAAAAAA=", false},
		"not base64":         {CRC32, "!!!!", false},
		"sha256 of crc size": {SHA256, "i9aeUg==", false},
		"empty":              {CRC64NVME, "", false},
	} {
		t.Run(name, func(t *testing.T) {
			if Valid(tc.alg, tc.in) != tc.ok {
				t.Fatalf("Valid(%s, %q) != %v", tc.alg, tc.in, tc.ok)
			}
		})
	}
}

func TestHasherComputesAllAtOnce(t *testing.T) {
	h := NewHasher(CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5, CRC32)
	data := bytes.Repeat([]byte("nimbus "), 10000)
	for rest := data; len(rest) > 0; {
		k := min(len(rest), 4099)
		h.Write(rest[:k])
		rest = rest[k:]
	}
	if h.Size() != int64(len(data)) {
		t.Fatalf("size %d", h.Size())
	}
	sums := h.Sums()
	if len(sums) != 6 {
		t.Fatalf("got %d sums", len(sums))
	}
	for a, got := range sums {
		if want := Sum(a, data); got != want {
			t.Errorf("%s: got %s, want %s", a, got, want)
		}
	}
	if h.Sum(SHA256) != sums[SHA256] {
		t.Error("Sum disagrees with Sums")
	}
	md := md5.Sum(data)
	if h.ETag() != `"`+hex.EncodeToString(md[:])+`"` {
		t.Errorf("ETag %s", h.ETag())
	}
	if NewHasher(CRC32).Sum(SHA1) != "" {
		t.Error("Sum of an algorithm not computed should be empty")
	}
}

func TestComposite(t *testing.T) {
	parts := [][]byte{[]byte("part one"), []byte("part two"), []byte("3")}
	var wire []string
	var concat []byte
	for _, p := range parts {
		s := sha256.Sum256(p)
		concat = append(concat, s[:]...)
		wire = append(wire, Encode(s[:]))
	}
	outer := sha256.Sum256(concat)
	want := Encode(outer[:]) + "-3"
	got, err := Composite(SHA256, wire)
	if err != nil || got != want {
		t.Fatalf("Composite = %q, %v; want %q", got, err, want)
	}
	// A CRC composite is the CRC of the concatenated big-endian part CRCs.
	var crcConcat []byte
	var crcWire []string
	for _, p := range parts {
		c := crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli))
		crcConcat = binary.BigEndian.AppendUint32(crcConcat, c)
		crcWire = append(crcWire, Encode(binary.BigEndian.AppendUint32(nil, c)))
	}
	got, err = Composite(CRC32C, crcWire)
	if want := Sum(CRC32C, crcConcat) + "-3"; err != nil || got != want {
		t.Fatalf("CRC32C composite = %q, %v; want %q", got, err, want)
	}
	if _, err := Composite(SHA256, []string{"bad"}); err == nil {
		t.Error("bad part accepted")
	}
	if _, err := Composite(SHA256, nil); err == nil {
		t.Error("no parts accepted")
	}
}

func TestMultipartETag(t *testing.T) {
	a, b := md5.Sum([]byte("a")), md5.Sum([]byte("b"))
	want := md5.Sum(append(a[:], b[:]...))
	got, err := MultipartETag([]string{`"` + hex.EncodeToString(a[:]) + `"`, hex.EncodeToString(b[:])})
	if err != nil || got != fmt.Sprintf(`"%s-2"`, hex.EncodeToString(want[:])) {
		t.Fatalf("got %s, %v", got, err)
	}
	if _, err := MultipartETag([]string{"zz"}); err == nil {
		t.Error("bad ETag accepted")
	}
}

func TestCombineEqualsWholeCRC(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 200000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, alg := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		for _, cuts := range [][]int{{0}, {1}, {100000}, {199999}, {3, 3, 70000}, {0, 0, 5}, {65536, 131072}} {
			t.Run(fmt.Sprintf("%s/%v", alg, cuts), func(t *testing.T) {
				var parts []Part
				prev := 0
				for _, c := range append(cuts, len(data)) {
					p := data[prev:c]
					parts = append(parts, Part{Checksum: Sum(alg, p), Size: int64(len(p))})
					prev = c
				}
				got, err := CombineFullObject(alg, parts)
				if err != nil {
					t.Fatal(err)
				}
				if want := Sum(alg, data); got != want {
					t.Fatalf("got %s, want %s", got, want)
				}
			})
		}
	}
}

func TestCombineHugeLength(t *testing.T) {
	// Combining past a multi-terabyte part must still terminate and match
	// two successive shifts.
	const n = 5 << 40
	a, b := uint64(0x12345678), uint64(0x9abcdef0)
	one := Combine(CRC32, a, b, n)
	two := Combine(CRC32, Combine(CRC32, a, 0, n/2), b, n/2)
	if one == a {
		t.Fatalf("combining did not shift: %x", one)
	}
	// Shifting by n equals shifting twice by n/2.
	if one != two {
		t.Fatalf("shift by n (%x) != two shifts by n/2 (%x)", one, two)
	}
}

func TestCombineRejectsNonCRC(t *testing.T) {
	if _, err := CombineFullObject(SHA256, []Part{{Checksum: Sum(SHA256, nil)}}); err == nil {
		t.Fatal("SHA256 combined")
	}
	if _, err := CombineFullObject(CRC32, nil); err == nil {
		t.Fatal("no parts combined")
	}
	if _, err := CombineFullObject(CRC32, []Part{{Checksum: "x"}}); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("bad checksum: %v", err)
	}
}

func BenchmarkCRC64NVME(b *testing.B) {
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		UpdateCRC64NVME(0, data)
	}
}
