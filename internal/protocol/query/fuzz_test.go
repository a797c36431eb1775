package query

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
)

// FuzzDecode feeds arbitrary forms to the decoder: errors are fine, panics
// are not.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String",
		"Item.1=a&Attribute.1.Name=k&Attribute.1.Value=v&Matrix.member.1.member.1=x&Nested.Deep.Deep.Label=z",
		"Count=1&When=2024-01-01T00:00:00Z&Data=aGk=&Empty=",
		"Tags.member.1.Key=k&Attributes.entry.1.key=x&Attributes.entry.1.value=y",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, typ := range []reflect.Type{reflect.TypeFor[shapesInput](), reflect.TypeFor[snsapi.PublishInput](), reflect.TypeFor[snsapi.CreateTopicInput]()} {
			d := decoder{form: form}
			_ = d.structure("", reflect.New(typ).Elem())
		}
	})
}
