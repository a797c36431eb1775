// Package partiql parses the subset of PartiQL that DynamoDB accepts:
// SELECT, INSERT, UPDATE, DELETE and, inside transactions, EXISTS, with
// '?' parameters and Ion-style literals ('strings', numbers, true, false,
// null, [lists], {'maps': ...}, <<sets>>). It only parses: the DynamoDB
// service binds statements to tables and runs them.
//
// A statement that does not parse yields a *SyntaxError whose Detail is
// the part of DynamoDB's message after "Statement wasn't well formed,
// can't be processed: ".
package partiql

import (
	"strings"
)

// SyntaxError is a statement that does not parse.
type SyntaxError struct {
	Detail string
}

func (e *SyntaxError) Error() string {
	return "Statement wasn't well formed, can't be processed: " + e.Detail
}

func syntaxErr(detail string) error { return &SyntaxError{Detail: detail} }

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // bare identifier or keyword
	tQuoted         // "double-quoted identifier"
	tString         // 'string literal'
	tNumber         // 12, 1.5, 2e10
	tParam          // ?
	tPunct          // ( ) [ ] { } , . : * + - / ; and the comparison operators, << >>
)

type token struct {
	kind tokKind
	text string // identifier or literal text (quotes removed), or the punctuation
	pos  int
}

// lex splits a statement into tokens.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			// A comment runs to the end of the line.
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, syntaxErr("Unexpected end of statement")
			}
			i += end + 4
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, token{tIdent, src[i:j], i})
			i = j
		case c == '"' || c == '\'':
			text, n, ok := quoted(src[i:], c)
			if !ok {
				return nil, syntaxErr("Unexpected end of statement")
			}
			kind := tString
			if c == '"' {
				kind = tQuoted
			}
			toks = append(toks, token{kind, text, i})
			i += n
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := number(src, i)
			toks = append(toks, token{tNumber, src[i:j], i})
			i = j
		case c == '?':
			toks = append(toks, token{tParam, "?", i})
			i++
		default:
			p := punct(src[i:])
			if p == "" {
				return nil, syntaxErr("Unexpected character: " + string(rune(c)))
			}
			toks = append(toks, token{tPunct, p, i})
			i += len(p)
		}
	}
	return append(toks, token{kind: tEOF, pos: len(src)}), nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// quoted reads a quoted string starting at s[0] == q, where a doubled
// quote stands for one; it returns the text, the length consumed and ok.
func quoted(s string, q byte) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

// number returns the end of the number starting at src[i].
func number(src string, i int) int {
	digits := func(j int) int {
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		return j
	}
	j := digits(i)
	if j < len(src) && src[j] == '.' {
		j = digits(j + 1)
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && src[k] >= '0' && src[k] <= '9' {
			j = digits(k)
		}
	}
	return j
}

var puncts = []string{"<<", ">>", "<>", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "*", "+", "-", "/", ";", "=", "<", ">"}

func punct(s string) string {
	for _, p := range puncts {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return ""
}
