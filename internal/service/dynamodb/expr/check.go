package expr

import (
	"encoding/base64"
	"strconv"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// errCategory orders the semantic errors: for each category the checker keeps
// the first error in the text, and each expression kind reports the first
// non-empty category of its own order.
type errCategory uint8

const (
	catParens errCategory = iota
	catUnknownFunction
	catMisusedFunction
	catReserved
	catSection
	catName
	catValue
	catNameOrValue // the first of catName and catValue
	catOverlap
	catConflict
	catOperandCount
	catDistinct
	catFunction
	catUpdateOperand
	numCategories
)

var (
	conditionOrder  = []errCategory{catParens, catUnknownFunction, catMisusedFunction, catReserved, catNameOrValue, catOperandCount, catDistinct, catFunction}
	updateOrder     = []errCategory{catReserved, catUnknownFunction, catSection, catName, catValue, catOverlap, catConflict, catUpdateOperand, catOperandCount, catMisusedFunction, catFunction}
	projectionOrder = []errCategory{catReserved, catName, catOverlap, catConflict}
)

type checker struct {
	kind   Kind
	names  Names
	values Values
	errs   [numCategories]string
	usage  Usage
}

func (c *checker) report(cat errCategory, msg string) {
	if c.errs[cat] == "" {
		c.errs[cat] = msg
	}
	if (cat == catName || cat == catValue) && c.errs[catNameOrValue] == "" {
		c.errs[catNameOrValue] = msg
	}
}

func (c *checker) err(order []errCategory) error {
	for _, cat := range order {
		if c.errs[cat] != "" {
			return validation(c.kind, c.errs[cat])
		}
	}
	return nil
}

func addOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// resolvePath checks a path's names and fills op.path.
func (c *checker) resolvePath(op *operand) {
	op.path = make(Path, len(op.elems))
	for i, e := range op.elems {
		switch {
		case e.isIndex:
			op.path[i] = PathElem{Index: e.index, IsIndex: true}
		case e.isName:
			name, ok := c.names[e.text]
			if !ok {
				c.report(catName, "An expression attribute name used in the document path is not defined; attribute name: "+e.text)
			} else {
				c.usage.Names = addOnce(c.usage.Names, e.text)
			}
			op.path[i] = PathElem{Name: name}
		default:
			if IsReserved(e.text) {
				c.report(catReserved, "Attribute name is a reserved keyword; reserved keyword: "+e.text)
			}
			op.path[i] = PathElem{Name: e.text}
		}
	}
}

func (c *checker) resolveValue(op *operand) {
	v, ok := c.values[op.name]
	if !ok {
		c.report(catValue, "An expression attribute value used in expression is not defined; attribute value: "+op.name)
		return
	}
	c.usage.Values = addOnce(c.usage.Values, op.name)
	op.val = &v
}

func (c *checker) checkParens(op *operand) {
	if op.parens > 1 {
		c.report(catParens, "The expression has redundant parentheses;")
	}
}

// Condition functions and their operand counts.
var conditionFunctions = map[string]int{
	"attribute_exists":     1,
	"attribute_not_exists": 1,
	"attribute_type":       2,
	"begins_with":          2,
	"contains":             2,
	"size":                 1,
}

const anyType = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"

// staticType is the type an operand is known to have before evaluation: a
// value's type, N for size(), BOOL for the boolean functions, TypeInvalid for
// paths (whose type depends on the item).
func staticType(op *operand) attr.Type {
	switch op.kind {
	case opValue:
		if op.val != nil {
			return attr.TypeOf(op.val)
		}
	case opCall:
		if op.name == "size" {
			return attr.TypeN
		}
		if _, ok := conditionFunctions[op.name]; ok {
			return attr.TypeBOOL
		}
	}
	return attr.TypeInvalid
}

func samePath(a, b *operand) bool {
	if a.kind != opPath || b.kind != opPath || len(a.path) != len(b.path) {
		return false
	}
	for i := range a.path {
		if a.path[i] != b.path[i] {
			return false
		}
	}
	return true
}

func (c *checker) checkDistinct(name string, a, b *operand) {
	if samePath(a, b) {
		c.report(catDistinct, "The first operand must be distinct from the remaining operands for this operator or function; operator: "+
			name+", first operand: "+a.path.String())
	}
}

func (c *checker) misused(ops []*operand) {
	for _, op := range ops {
		if op.kind == opCall && op.name != "size" {
			c.report(catMisusedFunction, "The function is not allowed to be used this way in an expression; function: "+op.name)
		}
	}
}

func incorrectType(fn string, t string) string {
	return "Incorrect operand type for operator or function; operator or function: " + fn + ", operand type: " + t
}

// conditionOperand resolves an operand of a condition expression.
func (c *checker) conditionOperand(op *operand) {
	c.checkParens(op)
	switch op.kind {
	case opPath:
		c.resolvePath(op)
	case opValue:
		c.resolveValue(op)
	case opCall:
		for _, arg := range op.args {
			c.conditionOperand(arg)
		}
		c.misused(op.args)
		c.conditionFunction(op)
	}
}

func (c *checker) conditionFunction(op *operand) {
	n, ok := conditionFunctions[op.name]
	if !ok {
		if op.name == "if_not_exists" || op.name == "list_append" {
			c.report(catUnknownFunction, "The function is not allowed in a condition expression; function: "+op.name)
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
	if n == 2 {
		c.checkDistinct(op.name, op.args[0], op.args[1])
	}
	switch op.name {
	case "attribute_exists", "attribute_not_exists":
		if op.args[0].kind != opPath {
			c.report(catFunction, "Operator or function requires a document path; operator or function: "+op.name)
		}
	case "begins_with":
		for _, arg := range op.args {
			if t := staticType(arg); t != attr.TypeInvalid && t != attr.TypeS && t != attr.TypeB {
				c.report(catFunction, incorrectType(op.name, t.String()))
				break
			}
		}
	case "attribute_type":
		arg := op.args[1]
		if arg.kind != opValue || arg.val == nil || arg.val.S == nil {
			t := anyType
			if st := staticType(arg); st != attr.TypeInvalid {
				t = st.String()
			}
			if arg.kind != opValue || arg.val != nil {
				c.report(catFunction, incorrectType(op.name, t))
			}
			return
		}
		if _, ok := attr.ParseType(*arg.val.S); !ok {
			c.report(catFunction, "Invalid attribute type name found; type: "+*arg.val.S+", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
		}
	case "size":
		switch t := staticType(op.args[0]); t {
		case attr.TypeN, attr.TypeBOOL, attr.TypeNULL:
			c.report(catFunction, incorrectType(op.name, t.String()))
		}
	}
}

// maxInOperands is how many values IN may list.
const maxInOperands = 100

var comparatorNames = map[tokKind]string{tEq: "=", tNe: "<>", tLt: "<", tLe: "<=", tGt: ">", tGe: ">="}

func (c *checker) condition(n *cond) {
	if n.nested {
		c.report(catParens, "The expression has redundant parentheses;")
	}
	for _, k := range n.kids {
		c.condition(k)
	}
	for _, op := range n.ops {
		c.conditionOperand(op)
	}
	switch n.kind {
	case cCompare:
		c.misused(n.ops)
		name := comparatorNames[n.cmp]
		c.checkDistinct(name, n.ops[0], n.ops[1])
		if n.cmp != tEq && n.cmp != tNe {
			c.orderable(name, n.ops)
		}
	case cBetween:
		c.misused(n.ops)
		c.orderable("BETWEEN", n.ops)
		c.betweenBounds(n.ops[1], n.ops[2])
	case cIn:
		c.misused(n.ops)
		if len(n.ops)-1 > maxInOperands {
			c.report(catOperandCount, "Too many operands for the operator or function; operator or function: IN, number of operands: "+
				strconv.Itoa(len(n.ops)-1))
		}
	case cCall:
		if n.ops[0].name == "size" {
			c.report(catMisusedFunction, "The function is not allowed to be used this way in an expression; function: size")
		}
	}
}

// orderable refuses values that order comparisons cannot take: only S, N and
// B are ordered.
func (c *checker) orderable(name string, ops []*operand) {
	for _, op := range ops {
		if op.kind != opValue || op.val == nil {
			continue
		}
		if t := attr.TypeOf(op.val); !t.IsScalarKey() {
			c.report(catFunction, incorrectType(name, t.String()))
			return
		}
	}
}

func (c *checker) betweenBounds(lo, hi *operand) {
	if lo.kind != opValue || hi.kind != opValue || lo.val == nil || hi.val == nil {
		return
	}
	bounds := "lower bound operand: AttributeValue: {" + valueText(lo.val) + "}, upper bound operand: AttributeValue: {" + valueText(hi.val) + "}"
	cmp, ok := attr.Compare(lo.val, hi.val)
	switch {
	case attr.TypeOf(lo.val) != attr.TypeOf(hi.val):
		c.report(catFunction, "The BETWEEN operator requires same data type for lower and upper bounds; "+bounds)
	case ok && cmp > 0:
		c.report(catFunction, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "+bounds)
	}
}

// valueText renders a scalar as AWS's messages do: "N:5", "S:abc".
func valueText(v *attr.Value) string {
	switch {
	case v.S != nil:
		return "S:" + *v.S
	case v.N != nil:
		return "N:" + *v.N
	case v.B != nil:
		return "B:" + base64.StdEncoding.EncodeToString(v.B)
	}
	return attr.TypeOf(v).String()
}
