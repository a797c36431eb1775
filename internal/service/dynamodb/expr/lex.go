package expr

import (
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

type tokKind uint8

const (
	tEOF      tokKind = iota
	tIdent            // attribute or function name, or keyword
	tName             // #placeholder
	tValue            // :placeholder
	tNumber           // digits (list indexes)
	tLParen           // (
	tRParen           // )
	tLBracket         // [
	tRBracket         // ]
	tDot              // .
	tComma            // ,
	tEq               // =
	tNe               // <>
	tLt               // <
	tLe               // <=
	tGt               // >
	tGe               // >=
	tPlus             // +
	tMinus            // -
	tInvalid          // any other character
)

type token struct {
	kind       tokKind
	start, end int // byte offsets into the expression
}

// lexer output: the tokens of an expression, always ending with tEOF.
type tokens struct {
	src  string
	toks []token
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func lex(src string) tokens {
	toks := make([]token, 0, len(src)/3+2)
	i := 0
	for i < len(src) {
		c := src[i]
		start := i
		var k tokKind
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isIdentStart(c):
			for i++; i < len(src) && isIdentPart(src[i]); i++ {
			}
			k = tIdent
		case c >= '0' && c <= '9':
			for i++; i < len(src) && src[i] >= '0' && src[i] <= '9'; i++ {
			}
			k = tNumber
		case c == '#' || c == ':':
			for i++; i < len(src) && isIdentPart(src[i]); i++ {
			}
			switch {
			case i == start+1:
				k = tInvalid // a lone # or : is not a placeholder
			case c == '#':
				k = tName
			default:
				k = tValue
			}
		case c == '<':
			i++
			k = tLt
			if i < len(src) && src[i] == '=' {
				i, k = i+1, tLe
			} else if i < len(src) && src[i] == '>' {
				i, k = i+1, tNe
			}
		case c == '>':
			i++
			k = tGt
			if i < len(src) && src[i] == '=' {
				i, k = i+1, tGe
			}
		default:
			i++
			switch c {
			case '(':
				k = tLParen
			case ')':
				k = tRParen
			case '[':
				k = tLBracket
			case ']':
				k = tRBracket
			case '.':
				k = tDot
			case ',':
				k = tComma
			case '=':
				k = tEq
			case '+':
				k = tPlus
			case '-':
				k = tMinus
			default:
				k = tInvalid
				if c >= utf8.RuneSelf {
					_, n := utf8.DecodeRuneInString(src[start:])
					i = start + n
				}
			}
		}
		toks = append(toks, token{kind: k, start: start, end: i})
	}
	toks = append(toks, token{kind: tEOF, start: len(src), end: len(src)})
	return tokens{src: src, toks: toks}
}

func (ts *tokens) text(i int) string {
	t := ts.toks[i]
	if t.kind == tEOF {
		return "<EOF>"
	}
	return ts.src[t.start:t.end]
}

// syntaxError is AWS's message for the token at index i: the offending token
// and the source from the token before it to the token after it.
func (ts *tokens) syntaxError(i int) string {
	start := ts.toks[i].start
	if i > 0 {
		start = ts.toks[i-1].start
	}
	end := ts.toks[i].end
	if i+1 < len(ts.toks) {
		end = ts.toks[i+1].end
	}
	return `Syntax error; token: "` + ts.text(i) + `", near: "` + ts.src[start:end] + `"`
}

// validation returns AWS's ValidationException for an expression of kind.
func validation(kind Kind, msg string) error {
	return awserr.ValidationException.New("Invalid " + string(kind) + ": " + msg)
}
