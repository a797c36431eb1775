package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
)

// attrValue is what the MD5 of an attribute covers; message attributes and
// message system attributes have the same shape.
type attrValue struct {
	dataType    string
	stringValue *string
	binaryValue []byte
	stringList  []string
	binaryList  [][]byte
}

func userAttr(v sqsapi.MessageAttributeValue) attrValue {
	return attrValue{deref(v.DataType), v.StringValue, v.BinaryValue, v.StringListValues, v.BinaryListValues}
}

func systemAttr(v sqsapi.MessageSystemAttributeValue) attrValue {
	return attrValue{deref(v.DataType), v.StringValue, v.BinaryValue, v.StringListValues, v.BinaryListValues}
}

// Transport types of the attribute MD5 encoding.
const (
	transportString     = 1
	transportBinary     = 2
	transportStringList = 3
	transportBinaryList = 4
)

// md5OfAttributes is SQS's digest of message attributes, which the SDKs
// check: for each attribute in name order, the name and the data type each
// as a 4-byte big-endian length and the bytes, then one transport byte (1
// string or number, 2 binary), then the value, length-prefixed the same
// way. Empty for no attributes.
func md5OfAttributes(attrs map[string]attrValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	var lenBuf [4]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint32(lenBuf[:], uint32(len(b)))
		h.Write(lenBuf[:])
		h.Write(b)
	}
	for _, n := range names {
		v := attrs[n]
		put([]byte(n))
		put([]byte(v.dataType))
		switch {
		case v.stringValue != nil:
			h.Write([]byte{transportString})
			put([]byte(*v.stringValue))
		case v.binaryValue != nil:
			h.Write([]byte{transportBinary})
			put(v.binaryValue)
		case v.stringList != nil:
			h.Write([]byte{transportStringList})
			for _, s := range v.stringList {
				put([]byte(s))
			}
		case v.binaryList != nil:
			h.Write([]byte{transportBinaryList})
			for _, b := range v.binaryList {
				put(b)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func md5OfUserAttributes(attrs map[string]sqsapi.MessageAttributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	m := make(map[string]attrValue, len(attrs))
	for k, v := range attrs {
		m[k] = userAttr(v)
	}
	return md5OfAttributes(m)
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// baseType is the data type without its custom suffix ("Number" of
// "Number.float").
func baseType(dataType string) string {
	t, _, _ := strings.Cut(dataType, ".")
	return t
}
