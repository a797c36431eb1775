package partiql

import (
	"strings"
)

// String renders the statement in a canonical form that parses back to
// the same statement: keywords in upper case, every name double-quoted,
// every operation parenthesised.
func (st *Statement) String() string {
	var b strings.Builder
	switch st.Kind {
	case Select, Exists:
		if st.Kind == Exists {
			b.WriteString("EXISTS(")
		}
		b.WriteString("SELECT ")
		if st.Projection == nil {
			b.WriteString("*")
		}
		for i, p := range st.Projection {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p.String())
		}
		b.WriteString(" FROM " + quoteName(st.Table))
		if st.Index != "" {
			b.WriteString("." + quoteName(st.Index))
		}
		writeWhere(&b, st.Where)
		for i, o := range st.OrderBy {
			if i == 0 {
				b.WriteString(" ORDER BY ")
			} else {
				b.WriteString(", ")
			}
			b.WriteString(o.Path.String())
			if o.Desc {
				b.WriteString(" DESC")
			}
		}
		if st.Kind == Exists {
			b.WriteString(")")
		}
	case Insert:
		b.WriteString("INSERT INTO " + quoteName(st.Table) + " VALUE " + ExprString(st.Item))
	case Update:
		b.WriteString("UPDATE " + quoteName(st.Table))
		for _, s := range st.Sets {
			b.WriteString(" SET " + s.Path.String() + " = " + ExprString(s.Value))
		}
		for _, p := range st.Removes {
			b.WriteString(" REMOVE " + p.String())
		}
		writeWhere(&b, st.Where)
	case Delete:
		b.WriteString("DELETE FROM " + quoteName(st.Table))
		writeWhere(&b, st.Where)
	}
	if st.Returning != "" {
		b.WriteString(" RETURNING " + st.Returning + " *")
	}
	return b.String()
}

func writeWhere(b *strings.Builder, e Expr) {
	if e != nil {
		b.WriteString(" WHERE " + ExprString(e))
	}
}

func quoteName(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ExprString renders an expression in the canonical form of String.
func ExprString(e Expr) string {
	switch e := e.(type) {
	case Literal:
		v := e.Value
		switch {
		case v.S != nil:
			return quoteString(*v.S)
		case v.N != nil:
			return *v.N
		case v.BOOL != nil && *v.BOOL:
			return "TRUE"
		case v.BOOL != nil:
			return "FALSE"
		}
		return "NULL"
	case Missing:
		return "MISSING"
	case Param:
		return "?"
	case PathExpr:
		return e.Path.String()
	case List:
		return "[" + exprList(e.Elems) + "]"
	case Set:
		return "<<" + exprList(e.Elems) + ">>"
	case Map:
		parts := make([]string, len(e.Keys))
		for i, k := range e.Keys {
			parts[i] = quoteString(k) + ": " + ExprString(e.Vals[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case Compare:
		return "(" + ExprString(e.L) + " " + e.Op + " " + ExprString(e.R) + ")"
	case Logical:
		return "(" + ExprString(e.L) + " " + e.Op + " " + ExprString(e.R) + ")"
	case Not:
		return "(NOT " + ExprString(e.X) + ")"
	case Between:
		return "(" + ExprString(e.X) + negation(e.Negated) + " BETWEEN " + ExprString(e.Lo) + " AND " + ExprString(e.Hi) + ")"
	case In:
		return "(" + ExprString(e.X) + negation(e.Negated) + " IN [" + exprList(e.List) + "])"
	case Is:
		what := " NULL"
		if e.Missing {
			what = " MISSING"
		}
		not := ""
		if e.Negated {
			not = " NOT"
		}
		return "(" + ExprString(e.X) + " IS" + not + what + ")"
	case Arith:
		return "(" + ExprString(e.L) + " " + string(e.Op) + " " + ExprString(e.R) + ")"
	case Call:
		return e.Name + "(" + exprList(e.Args) + ")"
	}
	return ""
}

func negation(n bool) string {
	if n {
		return " NOT"
	}
	return ""
}

func exprList(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = ExprString(e)
	}
	return strings.Join(parts, ", ")
}
