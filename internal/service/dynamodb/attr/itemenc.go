package attr

import (
	"encoding/binary"
	"errors"
)

// The item encoding is what storage keeps for an item, so it is read and
// written on every item operation. Layout:
//
//	version byte (1)
//	uvarint count of S and N values, uvarint count of BOOL and NULL values,
//	uvarint total bytes of B and BS values (decoding allocates each kind once)
//	the item as a map body: uvarint entry count, then per entry
//	uvarint name length, name, value
//
// A value is a tag byte and its body: S, N (canonical text), B: uvarint
// length and bytes; BOOL and NULL: nothing (the tag holds the value); M: a map
// body; L: uvarint count and values; SS, NS, BS: uvarint count and
// length-prefixed members.
const itemVersion = 1

const (
	tagS byte = iota + 1
	tagN
	tagB
	tagFalse
	tagTrue
	tagNullTrue
	tagNullFalse
	tagM
	tagL
	tagSS
	tagNS
	tagBS
)

type itemCounts struct{ strs, bools, bin, bytes int }

// AppendItem appends the binary encoding of item to dst. Values must be
// well-formed (exactly one member set), as validation guarantees.
func AppendItem(dst []byte, item Item) []byte {
	var c itemCounts
	c.countMap(item)
	if free := cap(dst) - len(dst); free < c.bytes+3*binary.MaxVarintLen64+1 {
		grown := make([]byte, len(dst), len(dst)+c.bytes+3*binary.MaxVarintLen64+1)
		copy(grown, dst)
		dst = grown
	}
	dst = append(dst, itemVersion)
	dst = binary.AppendUvarint(dst, uint64(c.strs))
	dst = binary.AppendUvarint(dst, uint64(c.bools))
	dst = binary.AppendUvarint(dst, uint64(c.bin))
	return appendMap(dst, item)
}

func uvarintLen(x int) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func (c *itemCounts) countMap(m map[string]Value) {
	c.bytes += uvarintLen(len(m))
	for k, v := range m {
		c.bytes += uvarintLen(len(k)) + len(k)
		c.countValue(&v)
	}
}

func (c *itemCounts) countValue(v *Value) {
	c.bytes++
	switch {
	case v.S != nil:
		c.strs++
		c.bytes += uvarintLen(len(*v.S)) + len(*v.S)
	case v.N != nil:
		c.strs++
		c.bytes += uvarintLen(len(*v.N)) + len(*v.N)
	case v.B != nil:
		c.bin += len(v.B)
		c.bytes += uvarintLen(len(v.B)) + len(v.B)
	case v.BOOL != nil, v.NULL != nil:
		c.bools++
	case v.M != nil:
		c.countMap(v.M)
	case v.L != nil:
		c.bytes += uvarintLen(len(v.L))
		for i := range v.L {
			c.countValue(&v.L[i])
		}
	case v.SS != nil:
		c.bytes += uvarintLen(len(v.SS))
		for _, s := range v.SS {
			c.bytes += uvarintLen(len(s)) + len(s)
		}
	case v.NS != nil:
		c.bytes += uvarintLen(len(v.NS))
		for _, s := range v.NS {
			c.bytes += uvarintLen(len(s)) + len(s)
		}
	case v.BS != nil:
		c.bytes += uvarintLen(len(v.BS))
		for _, b := range v.BS {
			c.bin += len(b)
			c.bytes += uvarintLen(len(b)) + len(b)
		}
	}
}

func appendString[T string | []byte](dst []byte, s T) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendMap(dst []byte, m map[string]Value) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(m)))
	for k, v := range m {
		dst = appendString(dst, k)
		dst = appendValue(dst, &v)
	}
	return dst
}

func appendValue(dst []byte, v *Value) []byte {
	switch {
	case v.S != nil:
		return appendString(append(dst, tagS), *v.S)
	case v.N != nil:
		return appendString(append(dst, tagN), *v.N)
	case v.B != nil:
		return appendString(append(dst, tagB), v.B)
	case v.BOOL != nil:
		if *v.BOOL {
			return append(dst, tagTrue)
		}
		return append(dst, tagFalse)
	case v.NULL != nil:
		if *v.NULL {
			return append(dst, tagNullTrue)
		}
		return append(dst, tagNullFalse)
	case v.M != nil:
		return appendMap(append(dst, tagM), v.M)
	case v.L != nil:
		dst = binary.AppendUvarint(append(dst, tagL), uint64(len(v.L)))
		for i := range v.L {
			dst = appendValue(dst, &v.L[i])
		}
		return dst
	case v.SS != nil:
		dst = binary.AppendUvarint(append(dst, tagSS), uint64(len(v.SS)))
		for _, s := range v.SS {
			dst = appendString(dst, s)
		}
		return dst
	case v.NS != nil:
		dst = binary.AppendUvarint(append(dst, tagNS), uint64(len(v.NS)))
		for _, s := range v.NS {
			dst = appendString(dst, s)
		}
		return dst
	case v.BS != nil:
		dst = binary.AppendUvarint(append(dst, tagBS), uint64(len(v.BS)))
		for _, b := range v.BS {
			dst = appendString(dst, b)
		}
		return dst
	}
	// A value with no member set cannot be stored; keep the item readable
	// by writing it as NULL.
	return append(dst, tagNullTrue)
}

// ErrCorruptItem is returned by DecodeItem for bytes AppendItem did not
// write.
var ErrCorruptItem = errors.New("attr: corrupt item encoding")

// itemDecoder reads an encoding. All strings are substrings of one copy of
// the input, S and N pointers point into one slab, BOOL and NULL pointers
// into another, and binary values are slices of one buffer, so a decode
// allocates little beyond the maps and lists themselves. (Map entries of
// AttributeValue, a 160-byte struct, are stored out of line by Go's maps:
// one allocation per attribute that no decoder can avoid.)
type itemDecoder struct {
	text  string // copy of the input
	pos   int
	strs  []string
	bools []bool
	bin   []byte
	depth int
}

// DecodeItem decodes an item that AppendItem encoded. The result shares no
// memory with src.
func DecodeItem(src []byte) (Item, error) {
	if len(src) == 0 || src[0] != itemVersion {
		return nil, ErrCorruptItem
	}
	d := itemDecoder{text: string(src), pos: 1}
	nstr, ok1 := d.count()
	nbool, ok2 := d.count()
	nbin, ok3 := d.count()
	if !ok1 || !ok2 || !ok3 {
		return nil, ErrCorruptItem
	}
	// Each value takes at least one byte of input: counts beyond that are
	// corrupt, and bounding them bounds what a corrupt input can allocate.
	if nstr > len(src) || nbool > len(src) || nbin > len(src) {
		return nil, ErrCorruptItem
	}
	d.strs = make([]string, 0, nstr)
	if nbool > 0 {
		d.bools = make([]bool, 0, nbool)
	}
	if nbin > 0 {
		d.bin = make([]byte, 0, nbin)
	}
	m, ok := d.mapBody()
	if !ok || d.pos != len(d.text) {
		return nil, ErrCorruptItem
	}
	return m, nil
}

func (d *itemDecoder) uvarint() (uint64, bool) {
	var x uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.pos >= len(d.text) {
			return 0, false
		}
		b := d.text[d.pos]
		d.pos++
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				return 0, false
			}
			return x | uint64(b)<<s, true
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
	return 0, false
}

// count reads a length that must fit in the rest of the input.
func (d *itemDecoder) count() (int, bool) {
	x, ok := d.uvarint()
	if !ok || x > uint64(len(d.text)) {
		return 0, false
	}
	return int(x), true
}

func (d *itemDecoder) str() (string, bool) {
	n, ok := d.count()
	if !ok || n > len(d.text)-d.pos {
		return "", false
	}
	s := d.text[d.pos : d.pos+n]
	d.pos += n
	return s, true
}

func (d *itemDecoder) bytes() ([]byte, bool) {
	s, ok := d.str()
	if !ok || len(d.bin)+len(s) > cap(d.bin) {
		return nil, false
	}
	if s == "" {
		return []byte{}, true // empty but set: B is present
	}
	start := len(d.bin)
	d.bin = append(d.bin, s...)
	return d.bin[start:len(d.bin):len(d.bin)], true
}

func (d *itemDecoder) strPtr(s string) *string {
	if len(d.strs) == cap(d.strs) {
		// More S/N values than the header said: still correct. (A new
		// pointer here, not &s, keeps s itself off the heap.)
		p := new(string)
		*p = s
		return p
	}
	d.strs = append(d.strs, s)
	return &d.strs[len(d.strs)-1]
}

func (d *itemDecoder) boolPtr(b bool) *bool {
	if len(d.bools) == cap(d.bools) {
		p := new(bool)
		*p = b
		return p
	}
	d.bools = append(d.bools, b)
	return &d.bools[len(d.bools)-1]
}

func (d *itemDecoder) mapBody() (map[string]Value, bool) {
	n, ok := d.count()
	if !ok {
		return nil, false
	}
	m := make(map[string]Value, n)
	for range n {
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		var v Value
		if !d.value(&v) {
			return nil, false
		}
		m[k] = v
	}
	return m, true
}

func (d *itemDecoder) strings() ([]string, bool) {
	n, ok := d.count()
	if !ok {
		return nil, false
	}
	out := make([]string, n)
	for i := range out {
		if out[i], ok = d.str(); !ok {
			return nil, false
		}
	}
	return out, true
}

func (d *itemDecoder) value(v *Value) bool {
	if d.pos >= len(d.text) {
		return false
	}
	tag := d.text[d.pos]
	d.pos++
	switch tag {
	case tagS, tagN:
		s, ok := d.str()
		if !ok {
			return false
		}
		if tag == tagS {
			v.S = d.strPtr(s)
		} else {
			v.N = d.strPtr(s)
		}
	case tagB:
		b, ok := d.bytes()
		if !ok {
			return false
		}
		v.B = b
	case tagFalse, tagTrue:
		v.BOOL = d.boolPtr(tag == tagTrue)
	case tagNullTrue, tagNullFalse:
		v.NULL = d.boolPtr(tag == tagNullTrue)
	case tagM, tagL:
		if d.depth >= MaxNestingDepth {
			return false
		}
		d.depth++
		if tag == tagM {
			m, ok := d.mapBody()
			if !ok {
				return false
			}
			v.M = m
		} else {
			n, ok := d.count()
			if !ok {
				return false
			}
			v.L = make([]Value, n)
			for i := range v.L {
				if !d.value(&v.L[i]) {
					return false
				}
			}
		}
		d.depth--
	case tagSS, tagNS:
		ss, ok := d.strings()
		if !ok {
			return false
		}
		if tag == tagSS {
			v.SS = ss
		} else {
			v.NS = ss
		}
	case tagBS:
		n, ok := d.count()
		if !ok {
			return false
		}
		v.BS = make([][]byte, n)
		for i := range v.BS {
			if v.BS[i], ok = d.bytes(); !ok {
				return false
			}
		}
	default:
		return false
	}
	return true
}
