package expr

import (
	"slices"
	"strconv"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// Update is a parsed UpdateExpression (or legacy AttributeUpdates). It is
// immutable once parsed and safe for concurrent use.
type Update struct {
	actions []updateAction
	paths   []Path   // targets, in the order written
	attrs   []string // top-level names of the targets, sorted
	project *Projection
	usage   Usage
}

type updateAction struct {
	section sectionKind
	path    Path
	value   setValue    // SET
	arg     *attr.Value // ADD, DELETE (nil: legacy DELETE of the attribute)
	legacy  bool        // AttributeUpdates semantics
}

// AWS's messages for updates that cannot apply to the item.
const (
	msgInvalidPath    = "The document path provided in the update expression is invalid for update"
	msgMissingOperand = "The provided expression refers to an attribute that does not exist in the item"
	msgOperandType    = "An operand in the update expression has an incorrect data type"
	msgLegacyMismatch = "Type mismatch for attribute to update"
)

var updateFunctions = map[string]int{"if_not_exists": 2, "list_append": 2}

// longTypeNames name types in ADD and DELETE operand errors.
var longTypeNames = map[attr.Type]string{
	attr.TypeS: "STRING", attr.TypeN: "NUMBER", attr.TypeB: "BINARY", attr.TypeNULL: "NULL",
	attr.TypeBOOL: "BOOLEAN", attr.TypeL: "LIST", attr.TypeM: "MAP",
}

// ParseUpdate parses an update expression.
func ParseUpdate(expr string, names Names, values Values) (*Update, error) {
	if err := checkText(KindUpdate, expr); err != nil {
		return nil, err
	}
	syn, _, err := parseUpdateSyntax(expr)
	if err != nil {
		return nil, err
	}
	c := checker{kind: KindUpdate, names: names, values: values}
	seen := map[sectionKind]bool{}
	for _, s := range syn.sections {
		if seen[s] {
			c.report(catSection, `The "`+sectionNames[s]+`" section can only be used once in an update expression;`)
		}
		seen[s] = true
	}
	u := &Update{}
	for _, a := range syn.actions {
		c.resolvePath(a.target)
		act := updateAction{section: a.section, path: a.target.path, value: a.value}
		switch a.section {
		case secSet:
			c.updateOperand(a.value.left)
			if a.value.right != nil {
				c.updateOperand(a.value.right)
				name := "+"
				if a.value.op == tMinus {
					name = "-"
				}
				for _, op := range []*operand{a.value.left, a.value.right} {
					if t := updateStaticType(op); t != attr.TypeInvalid && t != attr.TypeN {
						c.report(catFunction, incorrectType(name, t.String()))
						break
					}
				}
			}
		case secAdd, secDelete:
			c.resolveValue(a.arg)
			if a.arg.val != nil {
				t := attr.TypeOf(a.arg.val)
				if !t.IsSet() && !(a.section == secAdd && t == attr.TypeN) {
					c.report(catUpdateOperand, "Incorrect operand type for operator or function; operator: "+
						sectionNames[a.section]+", operand type: "+longTypeNames[t])
				}
				act.arg = a.arg.val
			}
		}
		u.actions = append(u.actions, act)
		u.paths = append(u.paths, act.path)
	}
	for i := range u.paths {
		for j := 0; j < i; j++ {
			overlap, conflict := pathRelation(u.paths[j], u.paths[i])
			msg := "; must remove or rewrite one of these paths; path one: " + u.paths[j].String() + ", path two: " + u.paths[i].String()
			if overlap {
				c.report(catOverlap, "Two document paths overlap with each other"+msg)
			} else if conflict {
				c.report(catConflict, "Two document paths conflict with each other"+msg)
			}
		}
	}
	if err := c.err(updateOrder); err != nil {
		return nil, err
	}
	u.usage = c.usage
	u.finish()
	return u, nil
}

func (u *Update) finish() {
	for _, p := range u.paths {
		if !slices.Contains(u.attrs, p[0].Name) {
			u.attrs = append(u.attrs, p[0].Name)
		}
	}
	slices.Sort(u.attrs)
	u.project = ProjectionOfPaths(u.paths)
}

// updateOperand resolves an operand of a SET value.
func (c *checker) updateOperand(op *operand) {
	switch op.kind {
	case opPath:
		c.resolvePath(op)
	case opValue:
		c.resolveValue(op)
	case opCall:
		for _, arg := range op.args {
			c.updateOperand(arg)
		}
		n, ok := updateFunctions[op.name]
		if !ok {
			if _, cond := conditionFunctions[op.name]; cond {
				c.report(catUnknownFunction, "The function is not allowed in an update expression; function: "+op.name)
			} else {
				c.report(catUnknownFunction, "Invalid function name; function: "+op.name)
			}
			return
		}
		if len(op.args) != n {
			c.report(catOperandCount, "Incorrect number of operands for operator or function; operator or function: "+
				op.name+", number of operands: "+strconv.Itoa(len(op.args)))
			return
		}
		switch op.name {
		case "if_not_exists":
			if op.args[0].kind != opPath {
				c.report(catFunction, "Operator or function requires a document path; operator or function: if_not_exists")
			}
		case "list_append":
			for _, arg := range op.args {
				if arg.kind == opCall && arg.name == "list_append" {
					c.report(catMisusedFunction, "The function is not allowed to be used this way in an expression; function: list_append")
				}
				if t := updateStaticType(arg); t != attr.TypeInvalid && t != attr.TypeL {
					c.report(catFunction, incorrectType("list_append", t.String()))
					break
				}
			}
		}
	}
}

func updateStaticType(op *operand) attr.Type {
	switch op.kind {
	case opValue:
		if op.val != nil {
			return attr.TypeOf(op.val)
		}
	case opCall:
		switch op.name {
		case "list_append":
			return attr.TypeL
		case "if_not_exists":
			if len(op.args) == 2 {
				return updateStaticType(op.args[1])
			}
		}
	}
	return attr.TypeInvalid
}

// Usage returns the placeholders the expression used.
func (u *Update) Usage() Usage { return u.usage }

// Attributes returns the top-level attribute names the update writes, sorted;
// the service refuses updates of key attributes with it ("Cannot update
// attribute pk. This attribute is part of the key").
func (u *Update) Attributes() []string { return u.attrs }

// Paths returns the document paths the update writes, in the order written.
func (u *Update) Paths() []Path { return u.paths }

// Project returns the parts of item the update's paths name, for
// ReturnValues UPDATED_OLD (item before) and UPDATED_NEW (item after).
func (u *Update) Project(item attr.Item) attr.Item { return u.project.Apply(item) }

// Apply applies the update to item (nil for an item that does not exist yet)
// and returns the new item and the top-level names it writes. item is not
// modified; the new item shares unchanged values with it. Every operand is
// read from item as it was before the update. Errors are AWS's
// ValidationExceptions for operands of the wrong type, missing operands and
// paths that cannot be written.
func (u *Update) Apply(item attr.Item) (attr.Item, []string, error) {
	// Values first, all against the item as it was.
	values := make([]attr.Value, len(u.actions))
	for i, a := range u.actions {
		if a.section != secSet {
			continue
		}
		v, err := evalSetValue(&a.value, item, a.legacy)
		if err != nil {
			return nil, nil, err
		}
		values[i] = v
	}
	out := make(attr.Item, len(item)+len(u.actions))
	for k, v := range item {
		out[k] = v
	}
	// SET, ADD and DELETE in the order written, list appends by index; then
	// REMOVE, highest list index first so that every index names an element
	// of the list as it was.
	order := make([]int, 0, len(u.actions))
	for i, a := range u.actions {
		if a.section != secRemove {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(x, y int) int { return lastIndex(u.actions[x].path) - lastIndex(u.actions[y].path) })
	removes := make([]int, 0)
	for i, a := range u.actions {
		if a.section == secRemove {
			removes = append(removes, i)
		}
	}
	slices.SortStableFunc(removes, func(x, y int) int { return lastIndex(u.actions[y].path) - lastIndex(u.actions[x].path) })
	for _, i := range append(order, removes...) {
		a := &u.actions[i]
		var err error
		switch a.section {
		case secSet:
			v := values[i]
			err = modify(out, a.path, func(attr.Value, bool) (attr.Value, bool, error) { return v, true, nil })
		case secRemove:
			err = modify(out, a.path, func(old attr.Value, ok bool) (attr.Value, bool, error) { return old, false, nil })
		case secAdd:
			err = modify(out, a.path, func(old attr.Value, ok bool) (attr.Value, bool, error) { return add(old, ok, a.arg, a.legacy) })
		case secDelete:
			err = modify(out, a.path, func(old attr.Value, ok bool) (attr.Value, bool, error) { return remove(old, ok, a.arg, a.legacy) })
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return out, u.attrs, nil
}

// lastIndex is the list index a path ends with, or -1.
func lastIndex(p Path) int {
	if e := p[len(p)-1]; e.IsIndex {
		return e.Index
	}
	return -1
}

func evalSetValue(sv *setValue, item attr.Item, legacy bool) (attr.Value, error) {
	left, err := evalUpdateOperand(sv.left, item)
	if err != nil || sv.op == 0 {
		return left, err
	}
	right, err := evalUpdateOperand(sv.right, item)
	if err != nil {
		return attr.Value{}, err
	}
	if left.N == nil || right.N == nil {
		return attr.Value{}, invalidRequest(msgOperandType)
	}
	a, err := attr.ParseNumber(*left.N)
	if err != nil {
		return attr.Value{}, err
	}
	b, err := attr.ParseNumber(*right.N)
	if err != nil {
		return attr.Value{}, err
	}
	var r attr.Number
	if sv.op == tPlus {
		r, err = a.Add(b)
	} else {
		r, err = a.Sub(b)
	}
	if err != nil {
		return attr.Value{}, err
	}
	s := r.String()
	return attr.Value{N: &s}, nil
}

func evalUpdateOperand(op *operand, item attr.Item) (attr.Value, error) {
	switch op.kind {
	case opValue:
		return *op.val, nil
	case opPath:
		if v, ok := lookup(item, op.path); ok {
			return v, nil
		}
		return attr.Value{}, invalidRequest(msgMissingOperand)
	}
	switch op.name {
	case "if_not_exists":
		if v, ok := lookup(item, op.args[0].path); ok {
			return v, nil
		}
		return evalUpdateOperand(op.args[1], item)
	case "list_append":
		a, err := evalUpdateOperand(op.args[0], item)
		if err != nil {
			return attr.Value{}, err
		}
		b, err := evalUpdateOperand(op.args[1], item)
		if err != nil {
			return attr.Value{}, err
		}
		if a.L == nil || b.L == nil {
			return attr.Value{}, invalidRequest(msgOperandType)
		}
		l := make([]attr.Value, 0, len(a.L)+len(b.L))
		return attr.Value{L: append(append(l, a.L...), b.L...)}, nil
	}
	return attr.Value{}, invalidRequest(msgOperandType)
}

// modify replaces the value at path in item (a map the caller owns) with what
// fn returns (keep false removes it), copying the maps and lists on the way
// down so that values shared with another item are never written.
func modify(item attr.Item, path Path, fn func(old attr.Value, exists bool) (attr.Value, bool, error)) error {
	name := path[0].Name
	old, ok := item[name]
	if len(path) == 1 {
		v, keep, err := fn(old, ok)
		switch {
		case err != nil:
			return err
		case keep:
			item[name] = v
		case ok:
			delete(item, name)
		}
		return nil
	}
	if !ok {
		return invalidRequest(msgInvalidPath)
	}
	v, err := modifyIn(old, path[1:], fn)
	if err != nil {
		return err
	}
	item[name] = v
	return nil
}

func modifyIn(v attr.Value, path Path, fn func(attr.Value, bool) (attr.Value, bool, error)) (attr.Value, error) {
	e := path[0]
	if e.IsIndex {
		if v.L == nil {
			return v, invalidRequest(msgInvalidPath)
		}
		l := slices.Clone(v.L)
		exists := e.Index < len(l)
		if len(path) > 1 {
			if !exists {
				return v, invalidRequest(msgInvalidPath)
			}
			child, err := modifyIn(l[e.Index], path[1:], fn)
			l[e.Index] = child
			return attr.Value{L: l}, err
		}
		var old attr.Value
		if exists {
			old = l[e.Index]
		}
		nv, keep, err := fn(old, exists)
		switch {
		case err != nil:
			return v, err
		case keep && exists:
			l[e.Index] = nv
		case keep:
			l = append(l, nv)
		case exists:
			l = slices.Delete(l, e.Index, e.Index+1)
		}
		return attr.Value{L: l}, nil
	}
	if v.M == nil {
		return v, invalidRequest(msgInvalidPath)
	}
	m := make(map[string]attr.Value, len(v.M)+1)
	for k, x := range v.M {
		m[k] = x
	}
	old, exists := m[e.Name]
	if len(path) > 1 {
		if !exists {
			return v, invalidRequest(msgInvalidPath)
		}
		child, err := modifyIn(old, path[1:], fn)
		m[e.Name] = child
		return attr.Value{M: m}, err
	}
	nv, keep, err := fn(old, exists)
	switch {
	case err != nil:
		return v, err
	case keep:
		m[e.Name] = nv
	default:
		delete(m, e.Name)
	}
	return attr.Value{M: m}, nil
}

// add is ADD: numbers add, sets unite; a missing attribute takes the value.
// Legacy ADD also appends lists.
func add(old attr.Value, exists bool, arg *attr.Value, legacy bool) (attr.Value, bool, error) {
	mismatch := invalidRequest(msgOperandType)
	if legacy {
		mismatch = invalidRequest(msgLegacyMismatch)
	}
	if !exists {
		return *arg, true, nil
	}
	switch {
	case arg.N != nil && old.N != nil:
		a, err := attr.ParseNumber(*old.N)
		if err != nil {
			return old, false, err
		}
		b, err := attr.ParseNumber(*arg.N)
		if err != nil {
			return old, false, err
		}
		sum, err := a.Add(b)
		if err != nil {
			return old, false, err
		}
		s := sum.String()
		return attr.Value{N: &s}, true, nil
	case arg.SS != nil && old.SS != nil:
		out := slices.Clone(old.SS)
		for _, s := range arg.SS {
			if !attr.ContainsString(out, s) {
				out = append(out, s)
			}
		}
		return attr.Value{SS: out}, true, nil
	case arg.NS != nil && old.NS != nil:
		out := slices.Clone(old.NS)
		for _, s := range arg.NS {
			if !attr.ContainsNumber(out, s) {
				out = append(out, s)
			}
		}
		return attr.Value{NS: out}, true, nil
	case arg.BS != nil && old.BS != nil:
		out := slices.Clone(old.BS)
		for _, b := range arg.BS {
			if !attr.ContainsBinary(out, b) {
				out = append(out, b)
			}
		}
		return attr.Value{BS: out}, true, nil
	case legacy && arg.L != nil && old.L != nil:
		return attr.Value{L: append(slices.Clone(old.L), arg.L...)}, true, nil
	}
	return old, false, mismatch
}

// remove is DELETE: set difference, the attribute removed when no member
// remains; nothing when the attribute is missing. Legacy DELETE without a
// value removes the attribute.
func remove(old attr.Value, exists bool, arg *attr.Value, legacy bool) (attr.Value, bool, error) {
	if !exists {
		return old, false, nil
	}
	if arg == nil {
		return old, false, nil
	}
	var n int
	switch {
	case arg.SS != nil && old.SS != nil:
		out := make([]string, 0, len(old.SS))
		for _, s := range old.SS {
			if !attr.ContainsString(arg.SS, s) {
				out = append(out, s)
			}
		}
		old, n = attr.Value{SS: out}, len(out)
	case arg.NS != nil && old.NS != nil:
		out := make([]string, 0, len(old.NS))
		for _, s := range old.NS {
			if !attr.ContainsNumber(arg.NS, s) {
				out = append(out, s)
			}
		}
		old, n = attr.Value{NS: out}, len(out)
	case arg.BS != nil && old.BS != nil:
		out := make([][]byte, 0, len(old.BS))
		for _, b := range old.BS {
			if !attr.ContainsBinary(arg.BS, b) {
				out = append(out, b)
			}
		}
		old, n = attr.Value{BS: out}, len(out)
	default:
		if legacy {
			return old, true, invalidRequest(msgLegacyMismatch)
		}
		return old, true, invalidRequest(msgOperandType)
	}
	return old, n > 0, nil
}
