// Package httpbinding implements the HTTP bindings shared by the REST
// protocols (rest-xml and rest-json): it picks the operation of a request
// from the operations' methods and URI templates, decodes URI labels,
// query-string parameters and headers into an input struct, and encodes the
// header and status-code members of an output struct.
//
// Everything is driven by model.Operation (Method, RequestURI) and the `aws`
// struct tags of the generated types; the only service-specific knowledge is
// the documented quirk table in router.go.
package httpbinding

import (
	"net/url"
	"strings"
)

// Template is a compiled request URI template such as
// "/{Bucket}/{Key+}?uploads" or "/{Bucket}?list-type=2".
type Template struct {
	Raw string
	// segs are the path segments; a trailing slash of the template is not a
	// segment (clients add or omit it alike).
	segs []segment
	// greedy is the index in segs of the greedy label ({Key+}), or -1.
	greedy int
	// query holds the literal query parameters the request must carry.
	query []queryLiteral
	// literals counts the literal path segments.
	literals int
	// literalMask has bit (63-i) set when segment i is literal, so that,
	// between two templates with as many literals, the one whose literals
	// come first sorts first.
	literalMask uint64
}

type segment struct {
	literal string // for a literal segment
	label   string // for a label: the member's wire name
	greedy  bool
}

type queryLiteral struct {
	key, value string
	hasValue   bool
}

// ParseTemplate compiles a request URI template.
func ParseTemplate(uri string) *Template {
	path, query, _ := strings.Cut(uri, "?")
	t := &Template{Raw: uri, greedy: -1}
	path = strings.TrimPrefix(path, "/")
	path = strings.TrimSuffix(path, "/")
	if path != "" {
		for i, s := range strings.Split(path, "/") {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				name := s[1 : len(s)-1]
				seg := segment{label: name}
				if strings.HasSuffix(name, "+") {
					seg.label = strings.TrimSuffix(name, "+")
					seg.greedy = true
					t.greedy = i
				}
				t.segs = append(t.segs, seg)
				continue
			}
			t.segs = append(t.segs, segment{literal: s})
			t.literals++
			if i < 64 {
				t.literalMask |= 1 << (63 - i)
			}
		}
	}
	if query != "" {
		for _, kv := range strings.Split(query, "&") {
			if kv == "" {
				continue
			}
			k, v, hasValue := strings.Cut(kv, "=")
			t.query = append(t.query, queryLiteral{key: k, value: v, hasValue: hasValue})
		}
	}
	return t
}

// Label is the value of one URI label of a request.
type Label struct {
	Name  string // the label's name in the template (the member's wire name)
	Value string // percent-decoded
}

// MatchPath reports whether escapedPath (as r.URL.EscapedPath returns it)
// fits the path of the template, and appends the decoded label values to
// labels. Labels match one non-empty segment; a greedy label matches one or
// more segments, slashes included.
func (t *Template) MatchPath(escapedPath string, labels []Label) ([]Label, bool) {
	p := strings.TrimPrefix(escapedPath, "/")
	if t.greedy < 0 {
		p = strings.TrimSuffix(p, "/")
		if p == "" {
			return labels, len(t.segs) == 0
		}
		n := 0
		for {
			seg, rest, more := strings.Cut(p, "/")
			if n >= len(t.segs) {
				return labels, false
			}
			var ok bool
			if labels, ok = t.segs[n].match(seg, labels); !ok {
				return labels, false
			}
			n++
			if !more {
				break
			}
			p = rest
		}
		return labels, n == len(t.segs)
	}
	// Segments before the greedy label, left to right.
	for i := 0; i < t.greedy; i++ {
		seg, rest, more := strings.Cut(p, "/")
		if !more {
			return labels, false
		}
		var ok bool
		if labels, ok = t.segs[i].match(seg, labels); !ok {
			return labels, false
		}
		p = rest
	}
	// Segments after it, right to left; a trailing slash is not one.
	if t.greedy < len(t.segs)-1 {
		p = strings.TrimSuffix(p, "/")
	}
	for i := len(t.segs) - 1; i > t.greedy; i-- {
		j := strings.LastIndexByte(p, '/')
		if j < 0 {
			return labels, false
		}
		var ok bool
		if labels, ok = t.segs[i].match(p[j+1:], labels); !ok {
			return labels, false
		}
		p = p[:j]
	}
	if p == "" {
		return labels, false
	}
	v, err := url.PathUnescape(p)
	if err != nil {
		return labels, false
	}
	return append(labels, Label{Name: t.segs[t.greedy].label, Value: v}), true
}

func (s *segment) match(raw string, labels []Label) ([]Label, bool) {
	if s.label == "" {
		if raw == s.literal {
			return labels, true
		}
		if !strings.Contains(raw, "%") {
			return labels, false
		}
		v, err := url.PathUnescape(raw)
		return labels, err == nil && v == s.literal
	}
	if raw == "" {
		return labels, false
	}
	v := raw
	if strings.Contains(raw, "%") {
		var err error
		if v, err = url.PathUnescape(raw); err != nil {
			return labels, false
		}
	}
	return append(labels, Label{Name: s.label, Value: v}), true
}

// MatchQuery reports whether q carries the literal query parameters of the
// template ("?uploads" needs the key, "?list-type=2" the key and value).
func (t *Template) MatchQuery(q url.Values) bool {
	for _, l := range t.query {
		vs, ok := q[l.key]
		if !ok {
			return false
		}
		if l.hasValue && (len(vs) == 0 || vs[0] != l.value) {
			return false
		}
	}
	return true
}

// hasQueryLiteral reports whether key is one of the template's literal
// query parameters (they are never member values).
func (t *Template) hasQueryLiteral(key string) bool {
	for _, l := range t.query {
		if l.key == key {
			return true
		}
	}
	return false
}
