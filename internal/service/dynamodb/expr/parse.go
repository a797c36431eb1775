package expr

import (
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// The parsers build a syntax tree and nothing else; names, values, reserved
// words and function rules are checked afterwards over the whole tree
// (check.go), because AWS reports a syntax error before any of those, and
// among those reports one kind before another whatever their order in the
// text.

// pathElem is a path step as written.
type pathElem struct {
	tok     int // token index, for source order
	text    string
	isName  bool // #placeholder
	index   int
	isIndex bool
}

type operandKind uint8

const (
	opPath operandKind = iota + 1
	opValue
	opCall
)

// operand is a path, a :value or a function call.
type operand struct {
	kind   operandKind
	tok    int
	elems  []pathElem // opPath
	name   string     // opValue: ":v"; opCall: function name
	args   []*operand // opCall
	parens int        // parentheses directly around it

	// Filled by the checks.
	path Path
	val  *attr.Value
}

type condKind uint8

const (
	cAnd condKind = iota + 1
	cOr
	cNot
	cCompare
	cBetween
	cIn
	cCall // a boolean function used as a condition
)

// cond is a node of a condition expression.
type cond struct {
	kind    condKind
	cmp     tokKind // cCompare
	kids    []*cond
	ops     []*operand // cCompare: 2; cBetween: 3; cIn: 1+n; cCall: the call
	wrapped bool       // written in parentheses
	nested  bool       // wrapped directly in a second pair: redundant
}

type parser struct {
	tokens
	pos    int
	failAt int // furthest token a parse attempt failed at
}

func newParser(src string) *parser {
	return &parser{tokens: lex(src), failAt: -1}
}

func (p *parser) kind() tokKind { return p.toks[p.pos].kind }

// fail records a syntax error at the current token and returns false. With
// backtracking, the error reported is the one furthest into the text.
func (p *parser) fail() bool {
	if p.pos > p.failAt {
		p.failAt = p.pos
	}
	return false
}

func (p *parser) accept(k tokKind) bool {
	if p.kind() == k {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(k tokKind) bool {
	if p.accept(k) {
		return true
	}
	return p.fail()
}

// keyword reports whether the current token is the given keyword (case
// ignored).
func (p *parser) keyword(word string) bool {
	t := p.toks[p.pos]
	return t.kind == tIdent && strings.EqualFold(p.src[t.start:t.end], word)
}

func (p *parser) acceptKeyword(word string) bool {
	if p.keyword(word) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) syntaxErr(kind Kind) error {
	at := p.failAt
	if at < 0 {
		at = p.pos
	}
	return validation(kind, p.syntaxError(at))
}

// keywords that end an operand in each grammar and so cannot be bare names.
var (
	conditionKeywords = []string{"AND", "OR", "NOT", "BETWEEN", "IN"}
	updateKeywords    = []string{"SET", "REMOVE", "ADD", "DELETE"}
)

func (p *parser) isAnyKeyword(words []string) bool {
	for _, w := range words {
		if p.keyword(w) {
			return true
		}
	}
	return false
}

// path parses a document path: name or #name, then .name, .#name or [n].
func (p *parser) path(keywords []string) ([]pathElem, bool) {
	var elems []pathElem
	elem := func() bool {
		t := p.toks[p.pos]
		switch {
		case t.kind == tName:
			elems = append(elems, pathElem{tok: p.pos, text: p.src[t.start:t.end], isName: true})
		case t.kind == tIdent && !p.isAnyKeyword(keywords):
			elems = append(elems, pathElem{tok: p.pos, text: p.src[t.start:t.end]})
		default:
			return p.fail()
		}
		p.pos++
		return true
	}
	if !elem() {
		return nil, false
	}
	for {
		switch {
		case p.accept(tDot):
			if !elem() {
				return nil, false
			}
		case p.accept(tLBracket):
			t := p.toks[p.pos]
			if t.kind != tNumber {
				return nil, p.fail()
			}
			n, err := strconv.Atoi(p.src[t.start:t.end])
			if err != nil || n > 1<<31 {
				return nil, p.fail()
			}
			elems = append(elems, pathElem{tok: p.pos, index: n, isIndex: true})
			p.pos++
			if !p.expect(tRBracket) {
				return nil, false
			}
		default:
			return elems, true
		}
	}
}

// operand parses a path, a :value or a function call, possibly in
// parentheses.
func (p *parser) operand(keywords []string) (*operand, bool) {
	start := p.pos
	if p.accept(tLParen) {
		op, ok := p.operand(keywords)
		if !ok || !p.expect(tRParen) {
			return nil, false
		}
		op.parens++
		return op, true
	}
	t := p.toks[p.pos]
	switch {
	case t.kind == tValue:
		p.pos++
		return &operand{kind: opValue, tok: start, name: p.src[t.start:t.end]}, true
	case t.kind == tIdent && p.toks[p.pos+1].kind == tLParen && !p.isAnyKeyword(keywords):
		op := &operand{kind: opCall, tok: start, name: p.src[t.start:t.end]}
		p.pos += 2
		for {
			arg, ok := p.operand(keywords)
			if !ok {
				return nil, false
			}
			op.args = append(op.args, arg)
			if !p.accept(tComma) {
				break
			}
		}
		if !p.expect(tRParen) {
			return nil, false
		}
		return op, true
	}
	elems, ok := p.path(keywords)
	if !ok {
		return nil, false
	}
	return &operand{kind: opPath, tok: start, elems: elems}, true
}

// parseCondition parses a whole condition expression.
func parseConditionSyntax(kind Kind, src string) (*cond, *parser, error) {
	p := newParser(src)
	c, ok := p.or()
	if ok && p.kind() != tEOF {
		ok = p.fail()
	}
	if !ok {
		return nil, p, p.syntaxErr(kind)
	}
	return c, p, nil
}

func (p *parser) or() (*cond, bool) {
	c, ok := p.and()
	if !ok {
		return nil, false
	}
	for p.acceptKeyword("OR") {
		r, ok := p.and()
		if !ok {
			return nil, false
		}
		c = &cond{kind: cOr, kids: []*cond{c, r}}
	}
	return c, true
}

func (p *parser) and() (*cond, bool) {
	c, ok := p.not()
	if !ok {
		return nil, false
	}
	for p.acceptKeyword("AND") {
		r, ok := p.not()
		if !ok {
			return nil, false
		}
		c = &cond{kind: cAnd, kids: []*cond{c, r}}
	}
	return c, true
}

func (p *parser) not() (*cond, bool) {
	if p.acceptKeyword("NOT") {
		c, ok := p.primary()
		if !ok {
			return nil, false
		}
		return &cond{kind: cNot, kids: []*cond{c}}, true
	}
	return p.primary()
}

// primary is a parenthesized condition or a comparison. A "(" may open
// either (the comparison's first operand may be parenthesized), so the
// parenthesized condition is tried first and the comparison on failure.
func (p *parser) primary() (*cond, bool) {
	if p.kind() == tLParen {
		save := p.pos
		p.pos++
		if c, ok := p.or(); ok && p.accept(tRParen) {
			if c.wrapped {
				c.nested = true
			}
			c.wrapped = true
			return c, true
		}
		p.fail()
		p.pos = save
	}
	return p.comparison()
}

func (p *parser) comparison() (*cond, bool) {
	left, ok := p.operand(conditionKeywords)
	if !ok {
		return nil, false
	}
	switch k := p.kind(); {
	case k == tEq || k == tNe || k == tLt || k == tLe || k == tGt || k == tGe:
		p.pos++
		right, ok := p.operand(conditionKeywords)
		if !ok {
			return nil, false
		}
		return &cond{kind: cCompare, cmp: k, ops: []*operand{left, right}}, true
	case p.acceptKeyword("BETWEEN"):
		lo, ok := p.operand(conditionKeywords)
		if !ok {
			return nil, false
		}
		if !p.acceptKeyword("AND") {
			return nil, p.fail()
		}
		hi, ok := p.operand(conditionKeywords)
		if !ok {
			return nil, false
		}
		return &cond{kind: cBetween, ops: []*operand{left, lo, hi}}, true
	case p.acceptKeyword("IN"):
		if !p.expect(tLParen) {
			return nil, false
		}
		ops := []*operand{left}
		for {
			op, ok := p.operand(conditionKeywords)
			if !ok {
				return nil, false
			}
			ops = append(ops, op)
			if !p.accept(tComma) {
				break
			}
		}
		if !p.expect(tRParen) {
			return nil, false
		}
		return &cond{kind: cIn, ops: ops}, true
	}
	if left.kind == opCall && left.parens == 0 {
		return &cond{kind: cCall, ops: []*operand{left}}, true
	}
	return nil, p.fail()
}

// Update expression syntax.

type sectionKind uint8

const (
	secSet sectionKind = iota + 1
	secRemove
	secAdd
	secDelete
)

var sectionNames = [...]string{secSet: "SET", secRemove: "REMOVE", secAdd: "ADD", secDelete: "DELETE"}

// setValue is the right-hand side of a SET action: an operand, or two
// operands joined by + or -.
type setValue struct {
	op    tokKind // 0, tPlus or tMinus
	left  *operand
	right *operand
}

type action struct {
	section sectionKind
	target  *operand // a path
	value   setValue // SET
	arg     *operand // ADD and DELETE: the :value
}

type updateSyntax struct {
	actions  []action
	sections []sectionKind // in the order written (repeats included)
}

func parseUpdateSyntax(src string) (*updateSyntax, *parser, error) {
	p := newParser(src)
	u := &updateSyntax{}
	ok := true
	for ok && p.kind() != tEOF {
		var sec sectionKind
		for s := secSet; s <= secDelete; s++ {
			if p.keyword(sectionNames[s]) {
				sec = s
			}
		}
		if sec == 0 {
			ok = p.fail()
			break
		}
		p.pos++
		u.sections = append(u.sections, sec)
		for {
			if ok = p.updateAction(sec, u); !ok || !p.accept(tComma) {
				break
			}
		}
	}
	if !ok {
		return nil, p, p.syntaxErr(KindUpdate)
	}
	return u, p, nil
}

func (p *parser) updateAction(sec sectionKind, u *updateSyntax) bool {
	start := p.pos
	elems, ok := p.path(updateKeywords)
	if !ok {
		return false
	}
	a := action{section: sec, target: &operand{kind: opPath, tok: start, elems: elems}}
	switch sec {
	case secSet:
		if !p.expect(tEq) {
			return false
		}
		if a.value, ok = p.setValue(); !ok {
			return false
		}
	case secAdd, secDelete:
		t := p.toks[p.pos]
		if t.kind != tValue {
			return p.fail()
		}
		a.arg = &operand{kind: opValue, tok: p.pos, name: p.src[t.start:t.end]}
		p.pos++
	}
	u.actions = append(u.actions, a)
	return true
}

func (p *parser) setValue() (setValue, bool) {
	if p.kind() == tLParen {
		save := p.pos
		p.pos++
		if v, ok := p.setValueInner(); ok && p.accept(tRParen) {
			return v, true
		}
		p.fail()
		p.pos = save
	}
	return p.setValueInner()
}

func (p *parser) setValueInner() (setValue, bool) {
	left, ok := p.operand(updateKeywords)
	if !ok {
		return setValue{}, false
	}
	v := setValue{left: left}
	if k := p.kind(); k == tPlus || k == tMinus {
		p.pos++
		if v.right, ok = p.operand(updateKeywords); !ok {
			return setValue{}, false
		}
		v.op = k
	}
	return v, true
}

// parseProjectionSyntax parses a comma-separated list of paths.
func parseProjectionSyntax(src string) ([]*operand, *parser, error) {
	p := newParser(src)
	var ops []*operand
	for {
		start := p.pos
		elems, ok := p.path(nil)
		if !ok {
			return nil, p, p.syntaxErr(KindProjection)
		}
		ops = append(ops, &operand{kind: opPath, tok: start, elems: elems})
		if !p.accept(tComma) {
			break
		}
	}
	if p.kind() != tEOF {
		p.fail()
		return nil, p, p.syntaxErr(KindProjection)
	}
	return ops, p, nil
}
