package sns

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/service/sns/filterpolicy"
)

// msgAttr is a validated message attribute.
type msgAttr struct {
	Name   string `json:"n"`
	Type   string `json:"t"` // the DataType as sent, e.g. String, Number.float, String.Array
	String string `json:"s,omitempty"`
	Binary []byte `json:"b,omitempty"`
}

// baseType is String, Number, Binary or String.Array.
func (a msgAttr) baseType() string {
	if a.Type == "String.Array" {
		return a.Type
	}
	base, _, _ := strings.Cut(a.Type, ".")
	return base
}

// envelopeValue is the attribute's Value in a notification: binary values
// in base64.
func (a msgAttr) envelopeValue() string {
	if a.baseType() == "Binary" {
		return base64.StdEncoding.EncodeToString(a.Binary)
	}
	return a.String
}

func validAttributeName(name string) bool {
	if name == "" || len(name) > 256 || name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return false
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// checkMessageAttributes validates the attributes of a publish and returns
// them by name, with the bytes they count towards the message size.
func checkMessageAttributes(in map[string]snsapi.MessageAttributeValue) ([]msgAttr, int, error) {
	if len(in) == 0 {
		return nil, 0, nil
	}
	out := make([]msgAttr, 0, len(in))
	size := 0
	for name, v := range in {
		if !validAttributeName(name) {
			return nil, 0, invalidParameter("MessageAttributes Reason: The message attribute name '%s' is invalid. Names can contain only letters, numbers, underscores, hyphens and periods, must not begin or end with a period or contain two in a row, and must not begin with AWS. or Amazon.", name)
		}
		dt := deref(v.DataType)
		a := msgAttr{Name: name, Type: dt, String: deref(v.StringValue), Binary: v.BinaryValue}
		switch a.baseType() {
		case "String":
			if a.String == "" {
				return nil, 0, invalidValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'String'.", name)
			}
		case "String.Array":
			if !validStringArray(a.String) {
				return nil, 0, invalidValue("The message attribute '%s' with type 'String.Array' has an invalid value: %s. The value must be a JSON array of strings, numbers, true, false or null.", name, a.String)
			}
		case "Number":
			if a.String == "" {
				return nil, 0, invalidValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Number'.", name)
			}
			if _, err := strconv.ParseFloat(a.String, 64); err != nil {
				return nil, 0, invalidValue("Could not cast message attribute '%s' value to number.", name)
			}
		case "Binary":
			if len(a.Binary) == 0 {
				return nil, 0, invalidValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
		default:
			return nil, 0, invalidValue("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		size += len(name) + len(dt) + len(a.String) + len(a.Binary)
		out = append(out, a)
	}
	return sortedAttrs(out), size, nil
}

func validStringArray(s string) bool {
	var arr []any
	if err := json.Unmarshal([]byte(s), &arr); err != nil {
		return false
	}
	for _, v := range arr {
		switch v.(type) {
		case string, float64, bool, nil:
		default:
			return false
		}
	}
	return true
}

// filterAttributes are the attributes as filter policies see them.
func filterAttributes(attrs []msgAttr) map[string]filterpolicy.Attribute {
	m := make(map[string]filterpolicy.Attribute, len(attrs))
	for _, a := range attrs {
		m[a.Name] = filterpolicy.Attribute{Type: a.baseType(), Value: a.envelopeValue()}
	}
	return m
}

// sqsAttributes maps SNS message attributes to the SQS message attributes
// of a raw delivery.
func sqsAttributes(attrs []msgAttr) string {
	if len(attrs) == 0 {
		return ""
	}
	m := make(map[string]events.MessageAttribute, len(attrs))
	for _, a := range attrs {
		ma := events.MessageAttribute{DataType: a.Type}
		if a.baseType() == "Binary" {
			ma.BinaryValue = a.Binary
		} else {
			ma.StringValue = a.String
		}
		m[a.Name] = ma
	}
	return events.EncodeMessageAttributes(m)
}
