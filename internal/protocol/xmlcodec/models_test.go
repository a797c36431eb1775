package xmlcodec

import (
	"encoding/xml"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/api/stsapi"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

// fill sets every XML body member of v (recursively, to a few levels) to a
// sample value, as a client or a service might.
func fill(v reflect.Value, depth int) {
	t := v.Type()
	switch {
	case t == timeType:
		// Whole seconds: some members are written as HTTP dates.
		v.Set(reflect.ValueOf(time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC)))
	case t.Kind() == reflect.Pointer:
		if depth > 4 && t.Elem().Kind() == reflect.Struct {
			return
		}
		p := reflect.New(t.Elem())
		fill(p.Elem(), depth)
		v.Set(p)
	case t.Kind() == reflect.String:
		v.SetString("s <&> \"'")
	case t.Kind() == reflect.Bool:
		v.SetBool(true)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		v.SetInt(-7)
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		v.SetFloat(1.5)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		v.SetBytes([]byte{0, 1, 0xfe})
	case t.Kind() == reflect.Slice:
		if depth > 4 {
			return
		}
		s := reflect.MakeSlice(t, 2, 2)
		fill(s.Index(0), depth+1)
		fill(s.Index(1), depth+1)
		v.Set(s)
	case t.Kind() == reflect.Map:
		if depth > 4 {
			return
		}
		m := reflect.MakeMap(t)
		e := reflect.New(t.Elem()).Elem()
		fill(e, depth+1)
		m.SetMapIndex(reflect.ValueOf("k1").Convert(t.Key()), e)
		v.Set(m)
	case t.Kind() == reflect.Struct:
		for _, f := range model.StructOf(t).Fields {
			if f.Location == "" && !f.Payload && !f.Streaming {
				fill(v.Field(f.Index), depth+1)
			}
		}
	}
}

// bodyTypes lists the structures the models put in XML bodies: operation
// outputs, structure payloads, and inputs with body members.
func bodyTypes(services ...*model.Service) []reflect.Type {
	seen := map[reflect.Type]bool{}
	var types []reflect.Type
	add := func(t reflect.Type) {
		if t == nil || seen[t] {
			return
		}
		seen[t] = true
		types = append(types, t)
	}
	for _, svc := range services {
		for _, op := range svc.Operations {
			for _, t := range []reflect.Type{op.Input, op.Output} {
				if t == nil {
					continue
				}
				st := model.StructOf(t)
				if st.Payload >= 0 {
					if pt := st.Fields[st.Payload].Type; pt.Kind() == reflect.Pointer && pt.Elem().Kind() == reflect.Struct {
						add(pt.Elem())
					}
				} else if HasBody(t) {
					add(t)
				}
			}
		}
	}
	return types
}

// TestModelRoundTrip encodes a filled value of every body structure of the
// S3, SNS and STS models and decodes it back unchanged.
func TestModelRoundTrip(t *testing.T) {
	types := bodyTypes(s3api.Service, snsapi.Service, stsapi.Service)
	if len(types) < 100 {
		t.Fatalf("only %d body types found", len(types))
	}
	for _, typ := range types {
		if typ.Name() == "NotificationConfigurationDeprecated" {
			// Its configurations have both Event and a flattened Events
			// list written as <Event>: the document cannot say which is which.
			continue
		}
		t.Run(typ.Name(), func(t *testing.T) {
			in := reflect.New(typ)
			fill(in.Elem(), 0)
			doc := AppendRoot(nil, typ.Name(), "urn:test", in.Interface())
			if err := xml.Unmarshal(doc, new(struct{})); err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, doc)
			}
			out := reflect.New(typ)
			if err := Unmarshal(doc, out.Interface()); err != nil {
				t.Fatalf("decode: %v\n%s", err, doc)
			}
			if !reflect.DeepEqual(in.Interface(), out.Interface()) {
				t.Fatalf("round trip differs\n%s\n%s", doc, AppendRoot(nil, typ.Name(), "urn:test", out.Interface()))
			}
		})
	}
}

// TestConcurrentPlans builds the plans of many types from many goroutines
// at once (run with -race).
func TestConcurrentPlans(t *testing.T) {
	types := bodyTypes(s3api.Service, snsapi.Service)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range types {
				typ := types[(i+g*37)%len(types)]
				v := reflect.New(typ)
				fill(v.Elem(), 0)
				_ = AppendRoot(nil, "R", "", v.Interface())
			}
		}()
	}
	wg.Wait()
}
