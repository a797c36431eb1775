package sqs

import (
	"encoding/binary"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
)

// Messages are stored in a compact binary form rather than JSON: every
// receive and delete decodes one and most re-encode it, and JSON's
// reflection was the largest cost of both. The form is a version byte,
// then the fields in a fixed order: strings and byte strings as a uvarint
// length and the bytes, integers as varints.
const messageFormat = 1

// Attribute value kinds in the stored form.
const (
	kindString     = 1
	kindBinary     = 2
	kindStringList = 3
	kindBinaryList = 4
)

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func encodeMessage(m *message) []byte {
	n := 64 + len(m.Body) + len(m.ID) + len(m.MD5Body) + len(m.MD5Attrs) + len(m.SenderID) + len(m.Trace) +
		len(m.Group) + len(m.DedupID) + len(m.SeqNumber) + len(m.DLQSource)
	for k, v := range m.Attrs {
		n += 16 + len(k) + len(deref(v.DataType)) + len(deref(v.StringValue)) + len(v.BinaryValue)
	}
	b := make([]byte, 0, n)
	b = append(b, messageFormat)
	for _, s := range []string{m.ID, m.Body, m.MD5Body, m.MD5Attrs, m.SenderID, m.Trace, m.Group, m.DedupID, m.SeqNumber, m.DLQSource} {
		b = appendStr(b, s)
	}
	for _, v := range []int64{m.Sent, int64(m.Receives), m.FirstReceive, m.LastReceive, m.VisibleAt} {
		b = binary.AppendVarint(b, v)
	}
	b = binary.AppendUvarint(b, uint64(len(m.Attrs)))
	for name, v := range m.Attrs {
		b = appendStr(b, name)
		b = appendStr(b, deref(v.DataType))
		switch {
		case v.StringValue != nil:
			b = append(b, kindString)
			b = appendStr(b, *v.StringValue)
		case v.BinaryValue != nil:
			b = append(b, kindBinary)
			b = appendBytes(b, v.BinaryValue)
		case v.StringListValues != nil:
			b = append(b, kindStringList)
			b = binary.AppendUvarint(b, uint64(len(v.StringListValues)))
			for _, s := range v.StringListValues {
				b = appendStr(b, s)
			}
		default:
			b = append(b, kindBinaryList)
			b = binary.AppendUvarint(b, uint64(len(v.BinaryListValues)))
			for _, p := range v.BinaryListValues {
				b = appendBytes(b, p)
			}
		}
	}
	return b
}

// reader decodes the stored form; the first error sticks.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	p := make([]byte, n)
	copy(p, r.b)
	r.b = r.b[n:]
	return p
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) byte1() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func decodeMessage(b []byte) (*message, error) {
	if len(b) == 0 || b[0] != messageFormat {
		return nil, errCorrupt
	}
	r := reader{b: b[1:]}
	m := &message{}
	for _, s := range []*string{&m.ID, &m.Body, &m.MD5Body, &m.MD5Attrs, &m.SenderID, &m.Trace, &m.Group, &m.DedupID, &m.SeqNumber, &m.DLQSource} {
		*s = r.str()
	}
	m.Sent = r.varint()
	m.Receives = int(r.varint())
	m.FirstReceive = r.varint()
	m.LastReceive = r.varint()
	m.VisibleAt = r.varint()
	n := r.uvarint()
	if n > 0 && n <= 64 && !r.bad {
		m.Attrs = make(map[string]sqsapi.MessageAttributeValue, n)
		for i := uint64(0); i < n && !r.bad; i++ {
			name := r.str()
			v := sqsapi.MessageAttributeValue{DataType: ptr(r.str())}
			switch r.byte1() {
			case kindString:
				v.StringValue = ptr(r.str())
			case kindBinary:
				v.BinaryValue = r.bytes()
			case kindStringList:
				c := r.uvarint()
				for j := uint64(0); j < c && !r.bad; j++ {
					v.StringListValues = append(v.StringListValues, r.str())
				}
			case kindBinaryList:
				c := r.uvarint()
				for j := uint64(0); j < c && !r.bad; j++ {
					v.BinaryListValues = append(v.BinaryListValues, r.bytes())
				}
			default:
				r.bad = true
			}
			m.Attrs[name] = v
		}
	} else if n > 64 {
		r.bad = true
	}
	if r.bad {
		return nil, errCorrupt
	}
	return m, nil
}
