package expr

import (
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// PathElem is one step of a document path: an attribute (or map key) name,
// or a list index.
type PathElem struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path such as a.b[2].c, placeholders resolved.
type Path []PathElem

// String renders the path as AWS's messages do: "[a, b, [2], c]".
func (p Path) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range p {
		if i > 0 {
			b.WriteString(", ")
		}
		if e.IsIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.Index))
			b.WriteByte(']')
		} else {
			b.WriteString(e.Name)
		}
	}
	b.WriteByte(']')
	return b.String()
}

// lookup returns the value at path in item.
func lookup(item attr.Item, p Path) (attr.Value, bool) {
	v, ok := item[p[0].Name]
	if !ok {
		return attr.Value{}, false
	}
	for _, e := range p[1:] {
		if e.IsIndex {
			if v.L == nil || e.Index >= len(v.L) {
				return attr.Value{}, false
			}
			v = v.L[e.Index]
		} else {
			if v.M == nil {
				return attr.Value{}, false
			}
			if v, ok = v.M[e.Name]; !ok {
				return attr.Value{}, false
			}
		}
	}
	return v, true
}

// pathRelation says how two paths of one expression relate: AWS refuses an
// update or projection naming a path and one of its prefixes ("overlap"), or
// two paths that index the same value once as a map and once as a list
// ("conflict").
func pathRelation(a, b Path) (overlap, conflict bool) {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].IsIndex != b[i].IsIndex {
			return false, true
		}
		if a[i] != b[i] {
			return false, false
		}
	}
	return true, false
}

func checkPaths(kind Kind, paths []Path) error {
	var conflict error
	for i := range paths {
		for j := 0; j < i; j++ {
			overlap, conf := pathRelation(paths[j], paths[i])
			if overlap {
				return validation(kind, "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: "+
					paths[j].String()+", path two: "+paths[i].String())
			}
			if conf && conflict == nil {
				conflict = validation(kind, "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: "+
					paths[j].String()+", path two: "+paths[i].String())
			}
		}
	}
	return conflict
}
