package partiql

import (
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// Kind is the kind of a statement.
type Kind uint8

const (
	Select Kind = iota + 1
	Insert
	Update
	Delete
	// Exists is EXISTS(SELECT ...), a condition check inside a transaction.
	Exists
)

func (k Kind) String() string {
	return [...]string{"", "SELECT", "INSERT", "UPDATE", "DELETE", "EXISTS"}[k]
}

// Statement is a parsed statement.
type Statement struct {
	Kind  Kind
	Table string
	// Index is the index a SELECT reads ("table"."index"), or "".
	Index string
	// Projection lists the selected paths; nil means *.
	Projection []Path
	Where      Expr // nil when there is no WHERE clause
	OrderBy    []Order
	// Item is the VALUE of an INSERT.
	Item Expr
	// Sets and Removes are the clauses of an UPDATE, in statement order.
	Sets    []Assignment
	Removes []Path
	// Returning is "", "ALL OLD", "MODIFIED OLD", "ALL NEW" or
	// "MODIFIED NEW".
	Returning string
	// Params is the number of '?' parameters, numbered in order from 0.
	Params int
}

// Order is one ORDER BY term.
type Order struct {
	Path Path
	Desc bool
}

// Assignment is one SET path = value of an UPDATE.
type Assignment struct {
	Path  Path
	Value Expr
}

// Path is a document path: a.b[1]."c d".
type Path []Step

// Step is one element of a path: an attribute or map key name, or a list
// index.
type Step struct {
	Name    string
	Index   int
	IsIndex bool
}

func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.IsIndex:
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(quoteName(s.Name))
		}
	}
	return b.String()
}

// Expr is an expression: a value, a path, or an operation on expressions.
type Expr interface{ isExpr() }

type (
	// Literal is a scalar literal: a string, number, boolean or null.
	Literal struct{ Value attr.Value }
	// Missing is the MISSING literal.
	Missing struct{}
	// Param is the N-th '?' parameter (from 0).
	Param struct{ N int }
	// PathExpr is a reference to a document path of the item.
	PathExpr struct{ Path Path }
	// List is [e, ...].
	List struct{ Elems []Expr }
	// Map is {'k': e, ...}.
	Map struct {
		Keys []string
		Vals []Expr
	}
	// Set is <<e, ...>>.
	Set struct{ Elems []Expr }
	// Compare is L op R with op one of = <> < <= > >=.
	Compare struct {
		Op   string
		L, R Expr
	}
	// Logical is L AND R or L OR R.
	Logical struct {
		Op   string // "AND" or "OR"
		L, R Expr
	}
	// Not is NOT X.
	Not struct{ X Expr }
	// Between is X [NOT] BETWEEN Lo AND Hi.
	Between struct {
		X, Lo, Hi Expr
		Negated   bool
	}
	// In is X [NOT] IN [list] (or a parenthesised list).
	In struct {
		X       Expr
		List    []Expr
		Negated bool
	}
	// Is is X IS [NOT] MISSING or X IS [NOT] NULL.
	Is struct {
		X       Expr
		Missing bool // MISSING; otherwise NULL
		Negated bool
	}
	// Arith is L + R or L - R.
	Arith struct {
		Op   byte
		L, R Expr
	}
	// Call is a function call; Name is lower case.
	Call struct {
		Name string
		Args []Expr
	}
)

func (Literal) isExpr()  {}
func (Missing) isExpr()  {}
func (Param) isExpr()    {}
func (PathExpr) isExpr() {}
func (List) isExpr()     {}
func (Map) isExpr()      {}
func (Set) isExpr()      {}
func (Compare) isExpr()  {}
func (Logical) isExpr()  {}
func (Not) isExpr()      {}
func (Between) isExpr()  {}
func (In) isExpr()       {}
func (Is) isExpr()       {}
func (Arith) isExpr()    {}
func (Call) isExpr()     {}
