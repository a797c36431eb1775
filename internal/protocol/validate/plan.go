package validate

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

type kind uint8

const (
	kindOther kind = iota
	kindString
	kindBytes
	kindInt
	kindFloat
	kindStruct
	kindList
	kindMap
)

// structPlan lists the members of one struct type that can fail a check:
// those with constraints of their own and those with structures below them
// that can. needs is false when nothing in the type can fail.
type structPlan struct {
	fields []fieldPlan
	needs  bool
}

type fieldPlan struct {
	f           *model.Field
	path        string // member name with a lower-case first letter
	constrained bool   // required, bounds or enum on the member itself
	value       *valuePlan
}

// valuePlan describes a member value: its kind and, for structures, lists
// and maps, what lies below.
type valuePlan struct {
	kind  kind
	strct *structPlan // kindStruct
	elem  *valuePlan  // kindList, kindMap
}

func (vp *valuePlan) needs() bool {
	switch vp.kind {
	case kindStruct:
		return vp.strct.needs
	case kindList, kindMap:
		return vp.elem.needs()
	}
	return false
}

var (
	plans   sync.Map // reflect.Type -> *structPlan, complete plans only
	buildMu sync.Mutex
)

func planOf(t reflect.Type) *structPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	b := builder{building: map[reflect.Type]*structPlan{}}
	p := b.structPlan(t)
	// Recursive types (DynamoDB's AttributeValue holds maps of itself) are
	// settled by repeating the needs computation until nothing changes.
	for changed := true; changed; {
		changed = false
		for _, sp := range b.building {
			if sp.needs {
				continue
			}
			for _, fp := range sp.fields {
				if fp.constrained || fp.value.needs() {
					sp.needs = true
					changed = true
					break
				}
			}
		}
	}
	for typ, sp := range b.building {
		if !sp.needs {
			sp.fields = nil
		} else {
			kept := sp.fields[:0]
			for _, fp := range sp.fields {
				if fp.constrained || fp.value.needs() {
					kept = append(kept, fp)
				}
			}
			sp.fields = kept
		}
		plans.Store(typ, sp)
	}
	return p
}

type builder struct {
	building map[reflect.Type]*structPlan
}

func (b *builder) structPlan(t reflect.Type) *structPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	if p, ok := b.building[t]; ok {
		return p
	}
	sp := &structPlan{}
	b.building[t] = sp
	for _, f := range model.StructOf(t).Fields {
		fp := fieldPlan{f: f, path: lowerFirst(f.GoName), value: b.valuePlan(f.Type)}
		fp.constrained = f.Required || f.HasMin || f.HasMax || (f.Enum != "" && fp.value.kind == kindString)
		sp.fields = append(sp.fields, fp)
	}
	return sp
}

var timeType = reflect.TypeFor[time.Time]()

func (b *builder) valuePlan(t reflect.Type) *valuePlan {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return &valuePlan{kind: kindString}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &valuePlan{kind: kindInt}
	case reflect.Float32, reflect.Float64:
		return &valuePlan{kind: kindFloat}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return &valuePlan{kind: kindBytes}
		}
		return &valuePlan{kind: kindList, elem: b.valuePlan(t.Elem())}
	case reflect.Map:
		return &valuePlan{kind: kindMap, elem: b.valuePlan(t.Elem())}
	case reflect.Struct:
		if t == timeType {
			return &valuePlan{kind: kindOther}
		}
		return &valuePlan{kind: kindStruct, strct: b.structPlan(t)}
	}
	return &valuePlan{kind: kindOther}
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// render prints a list or map value the way the services print it in
// messages (Java's collection form: [a, b] and {k=v}).
func render(v reflect.Value, depth int) string {
	if depth > 8 {
		return "..."
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "null"
		}
		return render(v.Elem(), depth+1)
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float32, reflect.Float64:
		return formatFloat(v.Float())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			n := strconv.Itoa(v.Len())
			return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]"
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = render(v.Index(i), depth+1)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		parts := make([]string, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			parts = append(parts, render(it.Key(), depth+1)+"="+render(it.Value(), depth+1))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			return t.UTC().Format(time.RFC3339)
		}
		var parts []string
		for _, f := range model.StructOf(v.Type()).Fields {
			fv := v.Field(f.Index)
			if isNil(fv) {
				continue
			}
			parts = append(parts, f.GoName+"="+render(fv, depth+1))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}
