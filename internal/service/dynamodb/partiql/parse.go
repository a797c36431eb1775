package partiql

import (
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// MaxDepth bounds the nesting of expressions, so that a hostile statement
// cannot exhaust the stack.
const MaxDepth = 100

// keywords cannot be bare identifiers: a name that is one must be written
// in double quotes. Words that only have a meaning in one place (SET,
// REMOVE, RETURNING, ASC, ...) are recognised there and stay usable as
// names elsewhere.
var keywords = map[string]bool{
	"select": true, "from": true, "where": true, "and": true, "or": true, "not": true,
	"in": true, "is": true, "between": true, "missing": true, "null": true, "true": true,
	"false": true, "insert": true, "into": true, "value": true, "values": true, "update": true,
	"delete": true, "exists": true, "order": true, "by": true,
}

type parser struct {
	toks   []token
	i      int
	params int
	depth  int
}

// Parse parses one statement.
func Parse(src string) (*Statement, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	st, err := p.statement()
	if err != nil {
		return nil, err
	}
	p.acceptPunct(";")
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	st.Params = p.params
	return st, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isWord reports whether t is the bare word w, in any case.
func isWord(t token, w string) bool { return t.kind == tIdent && strings.EqualFold(t.text, w) }

func (p *parser) atWord(w string) bool { return isWord(p.peek(), w) }

func (p *parser) acceptWord(w string) bool {
	if p.atWord(w) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectWord(w string) error {
	if !p.acceptWord(w) {
		return p.unexpected(p.peek())
	}
	return nil
}

func (p *parser) atPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) acceptPunct(s string) bool {
	if p.atPunct(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) error {
	if !p.acceptPunct(s) {
		return p.unexpected(p.peek())
	}
	return nil
}

func (p *parser) unexpected(t token) error {
	switch {
	case t.kind == tEOF:
		return syntaxErr("Unexpected end of statement")
	case t.kind == tIdent && keywords[strings.ToLower(t.text)]:
		return syntaxErr("Unexpected keyword")
	}
	return syntaxErr("Unexpected token")
}

func (p *parser) statement() (*Statement, error) {
	t := p.peek()
	if t.kind != tIdent {
		return nil, syntaxErr("Expected data manipulation")
	}
	switch strings.ToLower(t.text) {
	case "select":
		return p.selectStmt()
	case "insert":
		return p.insertStmt()
	case "update":
		return p.updateStmt()
	case "delete":
		return p.deleteStmt()
	case "exists":
		p.next()
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		if !p.atWord("select") {
			return nil, p.unexpected(p.peek())
		}
		st, err := p.selectStmt()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		st.Kind = Exists
		return st, nil
	}
	return nil, syntaxErr("Expected data manipulation")
}

// identifier reads a bare (non-keyword) or double-quoted identifier.
func (p *parser) identifier() (string, error) {
	t := p.peek()
	switch {
	case t.kind == tQuoted:
		p.next()
		return t.text, nil
	case t.kind == tIdent && !keywords[strings.ToLower(t.text)]:
		p.next()
		return t.text, nil
	}
	return "", p.unexpected(t)
}

func (p *parser) selectStmt() (*Statement, error) {
	p.next() // SELECT
	st := &Statement{Kind: Select}
	if !p.acceptPunct("*") {
		for {
			path, err := p.path()
			if err != nil {
				return nil, err
			}
			st.Projection = append(st.Projection, path)
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	if err := p.expectWord("from"); err != nil {
		return nil, err
	}
	var err error
	if st.Table, err = p.identifier(); err != nil {
		return nil, err
	}
	if p.acceptPunct(".") {
		if st.Index, err = p.identifier(); err != nil {
			return nil, err
		}
	}
	if p.acceptWord("where") {
		if st.Where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.acceptWord("order") {
		if err := p.expectWord("by"); err != nil {
			return nil, err
		}
		for {
			path, err := p.path()
			if err != nil {
				return nil, err
			}
			o := Order{Path: path}
			if p.acceptWord("desc") {
				o.Desc = true
			} else {
				p.acceptWord("asc")
			}
			st.OrderBy = append(st.OrderBy, o)
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	return st, nil
}

func (p *parser) insertStmt() (*Statement, error) {
	p.next() // INSERT
	if err := p.expectWord("into"); err != nil {
		return nil, err
	}
	st := &Statement{Kind: Insert}
	var err error
	if st.Table, err = p.identifier(); err != nil {
		return nil, err
	}
	if err := p.expectWord("value"); err != nil {
		return nil, err
	}
	if st.Item, err = p.additive(); err != nil {
		return nil, err
	}
	return st, nil
}

func (p *parser) updateStmt() (*Statement, error) {
	p.next() // UPDATE
	st := &Statement{Kind: Update}
	var err error
	if st.Table, err = p.identifier(); err != nil {
		return nil, err
	}
	for {
		switch {
		case p.acceptWord("set"):
			for {
				path, err := p.path()
				if err != nil {
					return nil, err
				}
				if err := p.expectPunct("="); err != nil {
					return nil, err
				}
				v, err := p.additive()
				if err != nil {
					return nil, err
				}
				st.Sets = append(st.Sets, Assignment{Path: path, Value: v})
				if !p.acceptPunct(",") {
					break
				}
			}
			continue
		case p.acceptWord("remove"):
			for {
				path, err := p.path()
				if err != nil {
					return nil, err
				}
				st.Removes = append(st.Removes, path)
				if !p.acceptPunct(",") {
					break
				}
			}
			continue
		}
		break
	}
	if len(st.Sets) == 0 && len(st.Removes) == 0 {
		return nil, p.unexpected(p.peek())
	}
	if err := p.where(st); err != nil {
		return nil, err
	}
	return st, p.returning(st)
}

func (p *parser) deleteStmt() (*Statement, error) {
	p.next() // DELETE
	if err := p.expectWord("from"); err != nil {
		return nil, err
	}
	st := &Statement{Kind: Delete}
	var err error
	if st.Table, err = p.identifier(); err != nil {
		return nil, err
	}
	if err := p.where(st); err != nil {
		return nil, err
	}
	return st, p.returning(st)
}

func (p *parser) where(st *Statement) error {
	if err := p.expectWord("where"); err != nil {
		return err
	}
	var err error
	st.Where, err = p.expr()
	return err
}

// returning reads an optional RETURNING clause: ALL|MODIFIED OLD|NEW *.
// The DELETE-only restriction to ALL OLD is the service's to enforce.
func (p *parser) returning(st *Statement) error {
	if !p.acceptWord("returning") {
		return nil
	}
	var which, when string
	switch {
	case p.acceptWord("all"):
		which = "ALL"
	case p.acceptWord("modified"):
		which = "MODIFIED"
	default:
		return p.unexpected(p.peek())
	}
	switch {
	case p.acceptWord("old"):
		when = "OLD"
	case p.acceptWord("new"):
		when = "NEW"
	default:
		return p.unexpected(p.peek())
	}
	if err := p.expectPunct("*"); err != nil {
		return err
	}
	st.Returning = which + " " + when
	return nil
}

// path reads a document path: name {.name | [index] | ['key']}.
func (p *parser) path() (Path, error) {
	name, err := p.identifier()
	if err != nil {
		return nil, err
	}
	return p.pathRest(Path{{Name: name}})
}

func (p *parser) pathRest(path Path) (Path, error) {
	for {
		switch {
		case p.acceptPunct("."):
			name, err := p.identifier()
			if err != nil {
				return nil, err
			}
			path = append(path, Step{Name: name})
		case p.acceptPunct("["):
			t := p.next()
			switch t.kind {
			case tNumber:
				n, err := strconv.Atoi(t.text)
				if err != nil || n < 0 {
					return nil, syntaxErr("Unexpected token")
				}
				path = append(path, Step{Index: n, IsIndex: true})
			case tString:
				path = append(path, Step{Name: t.text})
			default:
				return nil, p.unexpected(t)
			}
			if err := p.expectPunct("]"); err != nil {
				return nil, err
			}
		default:
			return path, nil
		}
	}
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return syntaxErr("Statement is too deeply nested")
	}
	return nil
}

func (p *parser) expr() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.acceptWord("or") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = Logical{Op: "OR", L: l, R: r}
	}
	return l, nil
}

func (p *parser) and() (Expr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.acceptWord("and") {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = Logical{Op: "AND", L: l, R: r}
	}
	return l, nil
}

func (p *parser) not() (Expr, error) {
	if p.acceptWord("not") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return Not{X: x}, nil
	}
	return p.predicate()
}

var compareOps = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *parser) predicate() (Expr, error) {
	x, err := p.additive()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == tPunct {
		if op, ok := compareOps[t.text]; ok {
			p.next()
			r, err := p.additive()
			if err != nil {
				return nil, err
			}
			return Compare{Op: op, L: x, R: r}, nil
		}
		return x, nil
	}
	negated := false
	if p.atWord("not") {
		if n := p.toks[p.i+1]; isWord(n, "between") || isWord(n, "in") {
			p.next()
			negated = true
		}
	}
	switch {
	case p.acceptWord("between"):
		lo, err := p.additive()
		if err != nil {
			return nil, err
		}
		if err := p.expectWord("and"); err != nil {
			return nil, err
		}
		hi, err := p.additive()
		if err != nil {
			return nil, err
		}
		return Between{X: x, Lo: lo, Hi: hi, Negated: negated}, nil
	case p.acceptWord("in"):
		return p.in(x, negated)
	case p.acceptWord("is"):
		is := Is{X: x, Negated: p.acceptWord("not")}
		switch {
		case p.acceptWord("missing"):
			is.Missing = true
		case p.acceptWord("null"):
		default:
			return nil, p.unexpected(p.peek())
		}
		return is, nil
	}
	return x, nil
}

func (p *parser) in(x Expr, negated bool) (Expr, error) {
	in := In{X: x, Negated: negated}
	var closing string
	switch {
	case p.acceptPunct("["):
		closing = "]"
	case p.acceptPunct("("):
		closing = ")"
	default:
		return nil, p.unexpected(p.peek())
	}
	if !p.acceptPunct(closing) {
		for {
			e, err := p.additive()
			if err != nil {
				return nil, err
			}
			in.List = append(in.List, e)
			if p.acceptPunct(closing) {
				break
			}
			if err := p.expectPunct(","); err != nil {
				return nil, err
			}
		}
	}
	return in, nil
}

func (p *parser) additive() (Expr, error) {
	l, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.atPunct("+") || p.atPunct("-") {
		op := p.next().text[0]
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		l = Arith{Op: op, L: l, R: r}
	}
	return l, nil
}

func (p *parser) primary() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	switch t.kind {
	case tParam:
		p.next()
		p.params++
		return Param{N: p.params - 1}, nil
	case tString:
		p.next()
		return Literal{Value: attr.Value{S: &t.text}}, nil
	case tNumber:
		p.next()
		return Literal{Value: attr.Value{N: &t.text}}, nil
	case tQuoted:
		return p.pathExpr()
	case tIdent:
		switch strings.ToLower(t.text) {
		case "true", "false":
			p.next()
			b := strings.EqualFold(t.text, "true")
			return Literal{Value: attr.Value{BOOL: &b}}, nil
		case "null":
			p.next()
			null := true
			return Literal{Value: attr.Value{NULL: &null}}, nil
		case "missing":
			p.next()
			return Missing{}, nil
		}
		if n := p.toks[p.i+1]; n.kind == tPunct && n.text == "(" && !keywords[strings.ToLower(t.text)] {
			return p.call()
		}
		return p.pathExpr()
	case tPunct:
		switch t.text {
		case "-":
			// A negative number; DynamoDB has no other negation.
			p.next()
			if n := p.peek(); n.kind == tNumber {
				p.next()
				text := "-" + n.text
				return Literal{Value: attr.Value{N: &text}}, nil
			}
			return nil, p.unexpected(p.peek())
		case "(":
			p.next()
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			return e, p.expectPunct(")")
		case "[":
			p.next()
			elems, err := p.elements("]")
			return List{Elems: elems}, err
		case "<<":
			p.next()
			elems, err := p.elements(">>")
			return Set{Elems: elems}, err
		case "{":
			p.next()
			return p.mapLit()
		}
	}
	return nil, p.unexpected(t)
}

func (p *parser) pathExpr() (Expr, error) {
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	return PathExpr{Path: path}, nil
}

func (p *parser) call() (Expr, error) {
	name := strings.ToLower(p.next().text)
	p.next() // (
	args, err := p.elements(")")
	if err != nil {
		return nil, err
	}
	return Call{Name: name, Args: args}, nil
}

// elements reads a comma-separated list of expressions up to closing.
func (p *parser) elements(closing string) ([]Expr, error) {
	var out []Expr
	if p.acceptPunct(closing) {
		return out, nil
	}
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if p.acceptPunct(closing) {
			return out, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

func (p *parser) mapLit() (Expr, error) {
	var m Map
	if p.acceptPunct("}") {
		return m, nil
	}
	for {
		t := p.next()
		if t.kind != tString {
			return nil, p.unexpected(t)
		}
		if err := p.expectPunct(":"); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		m.Keys, m.Vals = append(m.Keys, t.text), append(m.Vals, v)
		if p.acceptPunct("}") {
			return m, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}
