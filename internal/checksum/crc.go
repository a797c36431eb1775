package checksum

import (
	"encoding/binary"
	"hash"
)

// Reflected (LSB-first) forms of the CRC polynomials. All three CRCs start
// from all ones and invert the result, so the same combination math serves
// them all.
const (
	polyCRC32     = 0xEDB88320
	polyCRC32C    = 0x82F63B78
	polyCRC64NVME = 0x9A6C9329AC4BC9B5
)

// crc64NVMETable is a slicing-by-8 table: row 0 is the classic byte table,
// row k advances a byte k more positions, so 8 input bytes take 8 lookups.
var crc64NVMETable = func() *[8][256]uint64 {
	var t [8][256]uint64
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ polyCRC64NVME
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 8; k++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[k][i] = crc
		}
	}
	return &t
}()

// UpdateCRC64NVME returns the CRC64NVME of the data whose CRC is crc
// followed by p (crc is 0 for empty data).
func UpdateCRC64NVME(crc uint64, p []byte) uint64 {
	t := crc64NVMETable
	crc = ^crc
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return ^crc
}

type crc64NVME struct{ crc uint64 }

// NewCRC64NVME returns a hash computing the NVMe CRC-64 that S3 calls
// CRC64NVME; Sum appends it big-endian.
func NewCRC64NVME() hash.Hash64 { return &crc64NVME{} }

func (c *crc64NVME) Write(p []byte) (int, error) {
	c.crc = UpdateCRC64NVME(c.crc, p)
	return len(p), nil
}
func (c *crc64NVME) Sum64() uint64       { return c.crc }
func (c *crc64NVME) Sum(b []byte) []byte { return binary.BigEndian.AppendUint64(b, c.crc) }
func (c *crc64NVME) Reset()              { c.crc = 0 }
func (c *crc64NVME) Size() int           { return 8 }
func (c *crc64NVME) BlockSize() int      { return 1 }

// gf2 does polynomial arithmetic modulo one CRC polynomial, in the reflected
// representation where the highest bit is x^0. Combining CRCs needs
// x^(8n) mod P for the length n of the second piece; x2n caches x^(2^k).
type gf2 struct {
	poly  uint64
	width uint
	x2n   [72]uint64
}

func newGF2(poly uint64, width uint) *gf2 {
	g := &gf2{poly: poly, width: width}
	g.x2n[0] = 1 << (width - 2) // x^1
	for k := 1; k < len(g.x2n); k++ {
		g.x2n[k] = g.mul(g.x2n[k-1], g.x2n[k-1])
	}
	return g
}

// mul returns a(x)·b(x) mod P.
func (g *gf2) mul(a, b uint64) uint64 {
	var p uint64
	for m := uint64(1) << (g.width - 1); m != 0 && a != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
			a &^= m
		}
		if b&1 != 0 {
			b = b>>1 ^ g.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8n returns x^(8n) mod P: multiplying a CRC by it shifts the CRC past n
// zero bytes.
func (g *gf2) xPow8n(n uint64) uint64 {
	p := uint64(1) << (g.width - 1) // x^0
	for k := 3; n != 0; k++ {
		if n&1 != 0 {
			p = g.mul(g.x2n[k], p)
		}
		n >>= 1
	}
	return p
}

var (
	gfCRC32     = newGF2(polyCRC32, 32)
	gfCRC32C    = newGF2(polyCRC32C, 32)
	gfCRC64NVME = newGF2(polyCRC64NVME, 64)
)

// Combine returns the CRC of A followed by B, given crcA, crcB and the
// length of B in bytes. It panics for a non-CRC algorithm.
func Combine(a Algorithm, crcA, crcB uint64, lenB int64) uint64 {
	var g *gf2
	switch a {
	case CRC32:
		g = gfCRC32
	case CRC32C:
		g = gfCRC32C
	case CRC64NVME:
		g = gfCRC64NVME
	default:
		panic("checksum: cannot combine " + string(a))
	}
	if lenB <= 0 {
		return crcA
	}
	return g.mul(g.xPow8n(uint64(lenB)), crcA) ^ crcB
}
