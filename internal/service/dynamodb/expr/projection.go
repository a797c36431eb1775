package expr

import (
	"slices"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// Projection is a parsed ProjectionExpression (or legacy AttributesToGet).
// It is immutable once parsed and safe for concurrent use.
type Projection struct {
	paths []Path
	root  projNode
	usage Usage
}

// projNode is the tree of the projected paths below one value: the whole
// value, or some of its map keys, or some of its list elements.
type projNode struct {
	whole   bool
	keys    []projKey // sorted by name
	indexes []projIndex
}

type projKey struct {
	name string
	node *projNode
}

type projIndex struct {
	index int
	node  *projNode
}

// ParseProjection parses a projection expression.
func ParseProjection(expr string, names Names) (*Projection, error) {
	if err := checkText(KindProjection, expr); err != nil {
		return nil, err
	}
	ops, _, err := parseProjectionSyntax(expr)
	if err != nil {
		return nil, err
	}
	c := checker{kind: KindProjection, names: names}
	paths := make([]Path, len(ops))
	for i, op := range ops {
		c.resolvePath(op)
		paths[i] = op.path
	}
	if err := c.err(projectionOrder); err != nil {
		return nil, err
	}
	if err := checkPaths(KindProjection, paths); err != nil {
		return nil, err
	}
	return newProjection(paths, c.usage), nil
}

// ProjectionFromAttributesToGet converts a legacy AttributesToGet parameter.
func ProjectionFromAttributesToGet(names []string) (*Projection, error) {
	paths := make([]Path, len(names))
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return nil, invalidRequest("One or more parameter values were invalid: Duplicate value in attribute name: " + n)
		}
		paths[i] = Path{{Name: n}}
	}
	return newProjection(paths, Usage{}), nil
}

// ProjectionOfPaths returns a projection of the given paths, which must not
// overlap (for example the paths an update wrote).
func ProjectionOfPaths(paths []Path) *Projection { return newProjection(paths, Usage{}) }

func newProjection(paths []Path, usage Usage) *Projection {
	p := &Projection{paths: paths, usage: usage}
	for _, path := range paths {
		p.root.add(path)
	}
	return p
}

func (n *projNode) add(path Path) {
	if len(path) == 0 {
		n.whole = true
		return
	}
	e := path[0]
	if e.IsIndex {
		i, found := slices.BinarySearchFunc(n.indexes, e.Index, func(x projIndex, t int) int { return x.index - t })
		if !found {
			n.indexes = slices.Insert(n.indexes, i, projIndex{index: e.Index, node: &projNode{}})
		}
		n.indexes[i].node.add(path[1:])
		return
	}
	i, found := slices.BinarySearchFunc(n.keys, e.Name, func(x projKey, t string) int {
		switch {
		case x.name < t:
			return -1
		case x.name > t:
			return 1
		}
		return 0
	})
	if !found {
		n.keys = slices.Insert(n.keys, i, projKey{name: e.Name, node: &projNode{}})
	}
	n.keys[i].node.add(path[1:])
}

// Usage returns the placeholders the expression used.
func (p *Projection) Usage() Usage { return p.usage }

// Paths returns the projected paths, in the order written.
func (p *Projection) Paths() []Path { return p.paths }

// Attributes returns the top-level attribute names the projection reads,
// sorted.
func (p *Projection) Attributes() []string {
	names := make([]string, len(p.root.keys))
	for i, k := range p.root.keys {
		names[i] = k.name
	}
	return names
}

// Apply returns the projected item: only the named paths, nested maps and
// lists keeping the shape of item, list elements in index order (the list
// compacted). Paths that do not resolve are left out. The result shares
// values with item.
func (p *Projection) Apply(item attr.Item) attr.Item {
	out := make(attr.Item, len(p.root.keys))
	for _, k := range p.root.keys {
		v, ok := item[k.name]
		if !ok {
			continue
		}
		if v, ok = k.node.project(v); ok {
			out[k.name] = v
		}
	}
	return out
}

func (n *projNode) project(v attr.Value) (attr.Value, bool) {
	if n.whole {
		return v, true
	}
	switch {
	case len(n.keys) > 0 && v.M != nil:
		m := make(map[string]attr.Value, len(n.keys))
		for _, k := range n.keys {
			if e, ok := v.M[k.name]; ok {
				if e, ok = k.node.project(e); ok {
					m[k.name] = e
				}
			}
		}
		if len(m) == 0 {
			return attr.Value{}, false
		}
		return attr.Value{M: m}, true
	case len(n.indexes) > 0 && v.L != nil:
		var l []attr.Value
		for _, ix := range n.indexes {
			if ix.index < len(v.L) {
				if e, ok := ix.node.project(v.L[ix.index]); ok {
					l = append(l, e)
				}
			}
		}
		if len(l) == 0 {
			return attr.Value{}, false
		}
		return attr.Value{L: l}, true
	}
	return attr.Value{}, false
}
