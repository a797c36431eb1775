package query

import (
	"encoding/base64"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/api/stsapi"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

// serialize writes v as a client of the query protocol does (the rules of
// the SDKs' query serializers), for the round-trip test.
func serialize(form url.Values, prefix string, f *model.Field, v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == timeType:
		form.Set(prefix, v.Interface().(time.Time).UTC().Format("2006-01-02T15:04:05.000Z"))
	case v.Kind() == reflect.Struct:
		for _, sf := range model.StructOf(v.Type()).Fields {
			serialize(form, join(prefix, sf.Name), sf, v.Field(sf.Index))
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		if !v.IsNil() {
			form.Set(prefix, base64.StdEncoding.EncodeToString(v.Bytes()))
		}
	case v.Kind() == reflect.Slice:
		if v.IsNil() {
			return
		}
		if v.Len() == 0 {
			form.Set(prefix, "")
			return
		}
		item := prefix + ".member"
		if f != nil && f.Flattened {
			item = prefix
		} else if f != nil {
			item = prefix + "." + f.MemberName
		}
		for i := 0; i < v.Len(); i++ {
			serialize(form, item+"."+strconv.Itoa(i+1), nil, v.Index(i))
		}
	case v.Kind() == reflect.Map:
		entry, k, val := prefix+".entry", "key", "value"
		if f != nil {
			k, val = f.KeyName, f.ValueName
			if f.Flattened {
				entry = prefix
			}
		}
		for i, key := range v.MapKeys() {
			p := entry + "." + strconv.Itoa(i+1)
			form.Set(p+"."+k, key.String())
			serialize(form, p+"."+val, nil, v.MapIndex(key))
		}
	case v.Kind() == reflect.String:
		form.Set(prefix, v.String())
	case v.Kind() == reflect.Bool:
		form.Set(prefix, strconv.FormatBool(v.Bool()))
	case v.CanInt():
		form.Set(prefix, strconv.FormatInt(v.Int(), 10))
	case v.CanFloat():
		form.Set(prefix, strconv.FormatFloat(v.Float(), 'f', -1, 64))
	}
}

func fill(v reflect.Value, depth int) {
	t := v.Type()
	switch {
	case t == timeType:
		v.Set(reflect.ValueOf(time.Date(2024, 2, 29, 23, 59, 58, 250e6, time.UTC)))
	case t.Kind() == reflect.Pointer:
		if depth > 4 && t.Elem().Kind() == reflect.Struct {
			return
		}
		p := reflect.New(t.Elem())
		fill(p.Elem(), depth)
		v.Set(p)
	case t.Kind() == reflect.String:
		v.SetString("v &=+ %/ ünï")
	case t.Kind() == reflect.Bool:
		v.SetBool(true)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		v.SetInt(12)
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		v.SetFloat(0.25)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		v.SetBytes([]byte("blob"))
	case t.Kind() == reflect.Slice:
		s := reflect.MakeSlice(t, 2, 2)
		fill(s.Index(0), depth+1)
		fill(s.Index(1), depth+1)
		v.Set(s)
	case t.Kind() == reflect.Map:
		m := reflect.MakeMap(t)
		for _, k := range []string{"a", "b.c"} {
			e := reflect.New(t.Elem()).Elem()
			fill(e, depth+1)
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e)
		}
		v.Set(m)
	case t.Kind() == reflect.Struct:
		for _, f := range model.StructOf(t).Fields {
			fill(v.Field(f.Index), depth+1)
		}
	}
}

// TestModelRoundTrip serializes a filled input of every SNS and STS
// operation as a client would, and decodes it back unchanged.
func TestModelRoundTrip(t *testing.T) {
	for _, svc := range []*model.Service{snsapi.Service, stsapi.Service} {
		for _, op := range svc.Operations {
			if op.Input == nil {
				continue
			}
			t.Run(svc.Name+"/"+op.Name, func(t *testing.T) {
				in := reflect.New(op.Input)
				fill(in.Elem(), 0)
				form := url.Values{"Action": {op.Name}, "Version": {svc.APIVersion}}
				serialize(form, "", nil, in.Elem())
				out := reflect.New(op.Input)
				d := decoder{form: form}
				if err := d.structure("", out.Elem()); err != nil {
					t.Fatalf("decode: %v\n%v", err, form)
				}
				if !reflect.DeepEqual(in.Interface(), out.Interface()) {
					t.Fatalf("round trip differs\n form %v\n got  %+v\n want %+v", form, out.Elem(), in.Elem())
				}
			})
		}
	}
}
