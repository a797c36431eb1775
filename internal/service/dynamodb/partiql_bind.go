package dynamodb

import (
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/partiql"
)

// PartiQL. A statement is parsed by the partiql package and then bound
// here: its WHERE clause, SET and REMOVE clauses become the condition and
// update expressions of the item operations the rest of the service
// runs (names and values as placeholders, so any attribute name works),
// and its key equalities become the Key of GetItem, UpdateItem and
// DeleteItem. Writes therefore go through PutItem, UpdateItem,
// DeleteItem and TransactWriteItems, with their validation, conditions,
// indexes and stream records; reads use the Query and Scan machinery.

// qlStatement is a parsed statement with its parameters.
type qlStatement struct {
	text   string
	st     *partiql.Statement
	params []attr.Value
}

// parseStatement parses a statement and checks its parameters.
func parseStatement(text *string, params []dynamodbapi.AttributeValue) (*qlStatement, error) {
	st, err := partiql.Parse(deref(text))
	if err != nil {
		return nil, validation(err.Error())
	}
	if st.Params != len(params) {
		return nil, validation("Number of parameters in request and statement don't match.")
	}
	for i := range params {
		if err := attr.Normalize(&params[i]); err != nil {
			return nil, err
		}
	}
	return &qlStatement{text: deref(text), st: st, params: params}, nil
}

func (q *qlStatement) isRead() bool { return q.st.Kind == partiql.Select }

func errUnsupported(what string) error {
	return validation("Unsupported operation: " + what)
}

// constValue evaluates an expression made only of literals and
// parameters: a scalar, a list, a map or a set.
func (q *qlStatement) constValue(e partiql.Expr) (attr.Value, error) {
	switch e := e.(type) {
	case partiql.Literal:
		return e.Value, nil
	case partiql.Param:
		return q.params[e.N], nil
	case partiql.List:
		l := make([]attr.Value, len(e.Elems))
		for i, el := range e.Elems {
			v, err := q.constValue(el)
			if err != nil {
				return attr.Value{}, err
			}
			l[i] = v
		}
		return attr.Value{L: l}, nil
	case partiql.Map:
		m := make(attr.Item, len(e.Keys))
		for i, k := range e.Keys {
			if _, dup := m[k]; dup {
				return attr.Value{}, validationf("Duplicate attribute name %s in the map", k)
			}
			v, err := q.constValue(e.Vals[i])
			if err != nil {
				return attr.Value{}, err
			}
			m[k] = v
		}
		return attr.Value{M: m}, nil
	case partiql.Set:
		return q.setValue(e)
	}
	return attr.Value{}, errUnsupported("expressions other than literals and parameters are not supported here")
}

// setValue builds a string, number or binary set from <<...>>.
func (q *qlStatement) setValue(e partiql.Set) (attr.Value, error) {
	if len(e.Elems) == 0 {
		return attr.Value{}, validation("One or more parameter values were invalid: A set may not be empty")
	}
	var out attr.Value
	for _, el := range e.Elems {
		v, err := q.constValue(el)
		if err != nil {
			return attr.Value{}, err
		}
		switch {
		case v.S != nil && out.NS == nil && out.BS == nil:
			out.SS = append(out.SS, *v.S)
		case v.N != nil && out.SS == nil && out.BS == nil:
			out.NS = append(out.NS, *v.N)
		case v.B != nil && out.SS == nil && out.NS == nil:
			out.BS = append(out.BS, v.B)
		default:
			return attr.Value{}, validation("One or more parameter values were invalid: A set may only hold strings, numbers or binaries, all of one type")
		}
	}
	return out, nil
}

// exprBuilder writes DynamoDB expressions for a statement, with every
// name and value as a placeholder.
type exprBuilder struct {
	q      *qlStatement
	names  map[string]string
	byName map[string]string
	values map[string]attr.Value
}

func newExprBuilder(q *qlStatement) *exprBuilder {
	return &exprBuilder{q: q, names: map[string]string{}, byName: map[string]string{}, values: map[string]attr.Value{}}
}

func (b *exprBuilder) name(n string) string {
	if ph, ok := b.byName[n]; ok {
		return ph
	}
	ph := "#n" + strconv.Itoa(len(b.names))
	b.names[ph], b.byName[n] = n, ph
	return ph
}

func (b *exprBuilder) value(v attr.Value) string {
	ph := ":v" + strconv.Itoa(len(b.values))
	b.values[ph] = v
	return ph
}

func (b *exprBuilder) path(p partiql.Path) string {
	var sb strings.Builder
	for i, s := range p {
		switch {
		case s.IsIndex:
			sb.WriteString("[" + strconv.Itoa(s.Index) + "]")
		default:
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(b.name(s.Name))
		}
	}
	return sb.String()
}

// nameValues returns the placeholder maps, nil when empty as the item
// operations expect.
func (b *exprBuilder) nameValues() (map[string]string, map[string]attr.Value) {
	names, values := b.names, b.values
	if len(names) == 0 {
		names = nil
	}
	if len(values) == 0 {
		values = nil
	}
	return names, values
}

// operand writes a value of a condition: a path, size(path) or a
// constant.
func (b *exprBuilder) operand(e partiql.Expr) (string, error) {
	switch e := e.(type) {
	case partiql.PathExpr:
		return b.path(e.Path), nil
	case partiql.Call:
		if e.Name == "size" && len(e.Args) == 1 {
			if p, ok := e.Args[0].(partiql.PathExpr); ok {
				return "size(" + b.path(p.Path) + ")", nil
			}
		}
		return "", errUnsupported("function " + e.Name + " is not supported here")
	case partiql.Missing:
		return "", errUnsupported("MISSING can only be tested with IS MISSING")
	case partiql.Arith:
		return "", errUnsupported("arithmetic is only supported in SET clauses")
	}
	v, err := b.q.constValue(e)
	if err != nil {
		return "", err
	}
	return b.value(v), nil
}

// condition writes a WHERE clause as a condition expression.
func (b *exprBuilder) condition(e partiql.Expr) (string, error) {
	switch e := e.(type) {
	case partiql.Logical:
		l, err := b.condition(e.L)
		if err != nil {
			return "", err
		}
		r, err := b.condition(e.R)
		if err != nil {
			return "", err
		}
		return "(" + l + " " + e.Op + " " + r + ")", nil
	case partiql.Not:
		x, err := b.condition(e.X)
		if err != nil {
			return "", err
		}
		return "(NOT " + x + ")", nil
	case partiql.Compare:
		l, err := b.operand(e.L)
		if err != nil {
			return "", err
		}
		r, err := b.operand(e.R)
		if err != nil {
			return "", err
		}
		return "(" + l + " " + e.Op + " " + r + ")", nil
	case partiql.Between:
		x, err := b.operand(e.X)
		if err != nil {
			return "", err
		}
		lo, err := b.operand(e.Lo)
		if err != nil {
			return "", err
		}
		hi, err := b.operand(e.Hi)
		if err != nil {
			return "", err
		}
		return negate(e.Negated, "("+x+" BETWEEN "+lo+" AND "+hi+")"), nil
	case partiql.In:
		if len(e.List) == 0 {
			return "", validation("Statement wasn't well formed, can't be processed: IN list must not be empty")
		}
		x, err := b.operand(e.X)
		if err != nil {
			return "", err
		}
		parts := make([]string, len(e.List))
		for i, el := range e.List {
			if parts[i], err = b.operand(el); err != nil {
				return "", err
			}
		}
		return negate(e.Negated, "("+x+" IN ("+strings.Join(parts, ", ")+"))"), nil
	case partiql.Is:
		p, ok := e.X.(partiql.PathExpr)
		if !ok {
			return "", errUnsupported("IS MISSING and IS NULL apply to attributes")
		}
		path := b.path(p.Path)
		if e.Missing {
			if e.Negated {
				return "attribute_exists(" + path + ")", nil
			}
			return "attribute_not_exists(" + path + ")", nil
		}
		// NULL, as in PartiQL, is a NULL value or no value at all.
		null := b.value(attr.Value{S: ptr("NULL")})
		if e.Negated {
			return "(attribute_exists(" + path + ") AND NOT attribute_type(" + path + ", " + null + "))", nil
		}
		return "(attribute_not_exists(" + path + ") OR attribute_type(" + path + ", " + null + "))", nil
	case partiql.Call:
		return b.conditionCall(e)
	}
	return "", errUnsupported("the WHERE clause must be a condition")
}

func negate(neg bool, s string) string {
	if neg {
		return "(NOT " + s + ")"
	}
	return s
}

// conditionFuncs are the functions of a WHERE clause and their arities.
var conditionFuncs = map[string]int{
	"begins_with": 2, "contains": 2, "attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
}

func (b *exprBuilder) conditionCall(e partiql.Call) (string, error) {
	arity, ok := conditionFuncs[e.Name]
	if !ok {
		return "", errUnsupported("function " + e.Name + " is not supported in a WHERE clause")
	}
	if len(e.Args) != arity {
		return "", validationf("Incorrect number of arguments for function %s: %d, expected %d", e.Name, len(e.Args), arity)
	}
	p, ok := e.Args[0].(partiql.PathExpr)
	if !ok {
		return "", validationf("The first argument of %s must be an attribute path", e.Name)
	}
	args := []string{b.path(p.Path)}
	if arity == 2 {
		v, err := b.operand(e.Args[1])
		if err != nil {
			return "", err
		}
		args = append(args, v)
	}
	return e.Name + "(" + strings.Join(args, ", ") + ")", nil
}

// update writes the SET and REMOVE clauses of an UPDATE as an update
// expression. SET p = set_add(p, s) and set_delete become ADD and DELETE.
func (b *exprBuilder) update(st *partiql.Statement) (string, error) {
	var sets, adds, dels, removes []string
	for _, a := range st.Sets {
		target := b.path(a.Path)
		if c, ok := a.Value.(partiql.Call); ok && (c.Name == "set_add" || c.Name == "set_delete") {
			if len(c.Args) != 2 {
				return "", validationf("Incorrect number of arguments for function %s: %d, expected 2", c.Name, len(c.Args))
			}
			if p, ok := c.Args[0].(partiql.PathExpr); !ok || b.path(p.Path) != target {
				return "", validationf("The first argument of %s must be the attribute being set", c.Name)
			}
			v, err := b.q.constValue(c.Args[1])
			if err != nil {
				return "", err
			}
			clause := target + " " + b.value(v)
			if c.Name == "set_add" {
				adds = append(adds, clause)
			} else {
				dels = append(dels, clause)
			}
			continue
		}
		v, err := b.setValue(a.Value)
		if err != nil {
			return "", err
		}
		sets = append(sets, target+" = "+v)
	}
	for _, p := range st.Removes {
		removes = append(removes, b.path(p))
	}
	var out []string
	for _, sec := range []struct {
		kw    string
		parts []string
	}{{"SET", sets}, {"REMOVE", removes}, {"ADD", adds}, {"DELETE", dels}} {
		if len(sec.parts) > 0 {
			out = append(out, sec.kw+" "+strings.Join(sec.parts, ", "))
		}
	}
	return strings.Join(out, " "), nil
}

// setValue writes the value of a SET: an operand, a + or - of two, or
// list_append and if_not_exists.
func (b *exprBuilder) setValue(e partiql.Expr) (string, error) {
	switch e := e.(type) {
	case partiql.Arith:
		l, err := b.setValue(e.L)
		if err != nil {
			return "", err
		}
		r, err := b.setValue(e.R)
		if err != nil {
			return "", err
		}
		return l + " " + string(e.Op) + " " + r, nil
	case partiql.Call:
		switch e.Name {
		case "list_append", "if_not_exists":
			if len(e.Args) != 2 {
				return "", validationf("Incorrect number of arguments for function %s: %d, expected 2", e.Name, len(e.Args))
			}
			a, err := b.setValue(e.Args[0])
			if err != nil {
				return "", err
			}
			c, err := b.setValue(e.Args[1])
			if err != nil {
				return "", err
			}
			return e.Name + "(" + a + ", " + c + ")", nil
		}
		return "", errUnsupported("function " + e.Name + " is not supported in a SET clause")
	case partiql.PathExpr:
		return b.path(e.Path), nil
	}
	v, err := b.q.constValue(e)
	if err != nil {
		return "", err
	}
	return b.value(v), nil
}

// keyEqualities collects the path = constant terms at the top level of a
// conjunction, for top-level attributes: what a WHERE clause says of an
// item's key.
func (q *qlStatement) keyEqualities(e partiql.Expr, into attr.Item) error {
	switch e := e.(type) {
	case partiql.Logical:
		if e.Op != "AND" {
			return nil
		}
		if err := q.keyEqualities(e.L, into); err != nil {
			return err
		}
		return q.keyEqualities(e.R, into)
	case partiql.Compare:
		if e.Op != "=" {
			return nil
		}
		p, other := topLevelPath(e.L), e.R
		if p == "" {
			p, other = topLevelPath(e.R), e.L
		}
		if p == "" {
			return nil
		}
		if _, seen := into[p]; seen {
			return nil
		}
		v, err := q.constValue(other)
		if err != nil {
			return nil // a comparison with another attribute: not a key term
		}
		if err := attr.Normalize(&v); err != nil {
			return err
		}
		into[p] = v
	}
	return nil
}

func topLevelPath(e partiql.Expr) string {
	if p, ok := e.(partiql.PathExpr); ok && len(p.Path) == 1 && !p.Path[0].IsIndex {
		return p.Path[0].Name
	}
	return ""
}

// errMissingKey is DynamoDB's answer to a statement that must name one
// item and does not.
func errMissingKey() error {
	return validation("Where clause does not contain a mandatory equality on all key attributes")
}

// itemKey extracts the full primary key of schema ks from a WHERE clause.
func (q *qlStatement) itemKey(ks keySchema) (attr.Item, error) {
	eq := attr.Item{}
	if q.st.Where != nil {
		if err := q.keyEqualities(q.st.Where, eq); err != nil {
			return nil, err
		}
	}
	key := attr.Item{}
	for _, ka := range []keyAttr{ks.Hash, ks.Range} {
		if ka.Name == "" {
			continue
		}
		v, ok := eq[ka.Name]
		if !ok {
			return nil, errMissingKey()
		}
		key[ka.Name] = v
	}
	return key, nil
}

// partitionValues reports the partition key values a WHERE clause
// restricts the items to (pk = v, pk IN [...], and ORs of them), so that
// a SELECT reads those partitions rather than the whole table. The whole
// clause is still applied to every item read.
func (q *qlStatement) partitionValues(e partiql.Expr, pk string) ([]attr.Value, bool) {
	switch e := e.(type) {
	case partiql.Compare:
		if e.Op != "=" {
			return nil, false
		}
		other := e.R
		if topLevelPath(e.L) != pk {
			if topLevelPath(e.R) != pk {
				return nil, false
			}
			other = e.L
		}
		v, err := q.constValue(other)
		if err != nil {
			return nil, false
		}
		return []attr.Value{v}, true
	case partiql.In:
		if e.Negated || topLevelPath(e.X) != pk {
			return nil, false
		}
		var out []attr.Value
		for _, el := range e.List {
			v, err := q.constValue(el)
			if err != nil {
				return nil, false
			}
			out = append(out, v)
		}
		return out, len(out) > 0
	case partiql.Logical:
		l, lok := q.partitionValues(e.L, pk)
		r, rok := q.partitionValues(e.R, pk)
		switch {
		case e.Op == "AND" && lok:
			return l, true
		case e.Op == "AND":
			return r, rok
		case lok && rok:
			return append(l, r...), true
		}
	}
	return nil, false
}
