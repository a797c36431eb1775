package httpbinding

import (
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"sync"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

// quirks lists, per service (model name), what the URI templates of its
// model cannot tell apart.
//
//   - requireHeader: the operation is only chosen when the request carries
//     the header. S3's PutObject and CopyObject share PUT /{Bucket}/{Key+},
//     and so do UploadPart and UploadPartCopy: the x-amz-copy-source header
//     makes the copy.
//   - shadowed: operations that send exactly the same request as another
//     one and are never chosen when the other one fits: S3's deprecated
//     GetBucketLifecycle / PutBucketLifecycle / GetBucketNotification /
//     PutBucketNotification (their successors answer the same requests) and
//     ListDirectoryBuckets (GET / of the S3 Express control endpoint, which a
//     path-style endpoint never sees; GET / is ListBuckets).
//
// Operations that share a template but have different required query-string
// members (ListParts' uploadId against GetObject, UploadPart's partNumber and
// uploadId against PutObject, GetBucketAnalyticsConfiguration's id against
// ListBucketAnalyticsConfigurations) need no quirk: among equally specific
// templates the operation whose required query parameters are all present,
// and the most of them, wins.
var quirks = map[string]serviceQuirks{
	"s3": {
		requireHeader: map[string]string{
			"CopyObject":     "X-Amz-Copy-Source",
			"UploadPartCopy": "X-Amz-Copy-Source",
		},
		shadowed: map[string]bool{
			"GetBucketLifecycle":    true,
			"PutBucketLifecycle":    true,
			"GetBucketNotification": true,
			"PutBucketNotification": true,
			"ListDirectoryBuckets":  true,
		},
	},
}

type serviceQuirks struct {
	requireHeader map[string]string
	shadowed      map[string]bool
}

// Router picks the operation of a REST request. Build it once per service
// with RouterFor.
type Router struct {
	byMethod map[string][]*route
}

type route struct {
	op   *model.Operation
	tmpl *Template
	// requiredQuery are the required query-string members of the input that
	// are not template literals; requiredHeader comes from the quirk table.
	requiredQuery  []string
	requiredHeader string
	shadowed       bool
}

var routers sync.Map // *model.Service -> *Router

// RouterFor returns the router of svc, building it on first use.
func RouterFor(svc *model.Service) *Router {
	if r, ok := routers.Load(svc); ok {
		return r.(*Router)
	}
	r, _ := routers.LoadOrStore(svc, NewRouter(svc))
	return r.(*Router)
}

// NewRouter builds the router of svc.
func NewRouter(svc *model.Service) *Router {
	q := quirks[svc.Name]
	rt := &Router{byMethod: map[string][]*route{}}
	for _, op := range svc.Operations {
		if op.Method == "" || op.RequestURI == "" {
			continue
		}
		r := &route{
			op:             op,
			tmpl:           TemplateOf(op),
			requiredHeader: q.requireHeader[op.Name],
			shadowed:       q.shadowed[op.Name],
		}
		if op.Input != nil {
			for _, f := range model.StructOf(op.Input).Fields {
				if f.Location == "querystring" && f.Required && f.Type.Kind() != reflect.Map && !r.tmpl.hasQueryLiteral(f.Name) {
					r.requiredQuery = append(r.requiredQuery, f.Name)
				}
			}
		}
		rt.byMethod[op.Method] = append(rt.byMethod[op.Method], r)
	}
	for _, routes := range rt.byMethod {
		sort.SliceStable(routes, func(i, j int) bool { return moreSpecific(routes[i].tmpl, routes[j].tmpl) })
	}
	return rt
}

// moreSpecific orders templates: more literal path segments first, then
// templates without a greedy label, then more literal query parameters,
// then literals further left.
func moreSpecific(a, b *Template) bool {
	if a.literals != b.literals {
		return a.literals > b.literals
	}
	if (a.greedy < 0) != (b.greedy < 0) {
		return a.greedy < 0
	}
	if len(a.query) != len(b.query) {
		return len(a.query) > len(b.query)
	}
	return a.literalMask > b.literalMask
}

func sameRank(a, b *Template) bool {
	return !moreSpecific(a, b) && !moreSpecific(b, a)
}

// Match returns the operation r calls, or nil. pathKnown reports whether
// some operation (of any method) has a template that fits the path and
// query, so that callers can answer 405 rather than 404.
func (rt *Router) Match(r *http.Request) (op *model.Operation, pathKnown bool) {
	path := r.URL.EscapedPath()
	query := r.URL.Query()
	if op := rt.match(rt.byMethod[r.Method], path, query, r.Header); op != nil {
		return op, true
	}
	for m, routes := range rt.byMethod {
		if m == r.Method {
			continue
		}
		for _, rr := range routes {
			if _, ok := rr.tmpl.MatchPath(path, nil); ok && rr.tmpl.MatchQuery(query) {
				return nil, true
			}
		}
	}
	return nil, false
}

func (rt *Router) match(routes []*route, path string, query url.Values, h http.Header) *model.Operation {
	// SDKs generated from the Smithy models name the operation in an x-id
	// parameter (?x-id=CopyObject); when it names an operation that fits,
	// it settles the question.
	if id := query.Get("x-id"); id != "" {
		for _, rr := range routes {
			if rr.op.Name == id && rr.tmpl.MatchQuery(query) {
				if _, ok := rr.tmpl.MatchPath(path, nil); ok {
					return rr.op
				}
			}
		}
	}
	var best *route
	bestScore := 0
	var scratch [4]Label
	for _, rr := range routes {
		if best != nil && !sameRank(best.tmpl, rr.tmpl) {
			break
		}
		if !rr.tmpl.MatchQuery(query) {
			continue
		}
		if _, ok := rr.tmpl.MatchPath(path, scratch[:0]); !ok {
			continue
		}
		score := rr.score(query, h)
		if best == nil || score > bestScore {
			best, bestScore = rr, score
		}
	}
	if best == nil {
		return nil
	}
	return best.op
}

// score ranks equally specific routes that fit a request: the number of
// their required query parameters and quirk headers present, -1 when one is
// missing, -2 for a shadowed operation.
func (rr *route) score(query url.Values, h http.Header) int {
	if rr.shadowed {
		return -2
	}
	n := 0
	for _, k := range rr.requiredQuery {
		if _, ok := query[k]; !ok {
			return -1
		}
		n++
	}
	if rr.requiredHeader != "" {
		if h.Get(rr.requiredHeader) == "" {
			return -1
		}
		n++
	}
	return n
}

var templates sync.Map // *model.Operation -> *Template

// TemplateOf returns the compiled request URI template of op.
func TemplateOf(op *model.Operation) *Template {
	if t, ok := templates.Load(op); ok {
		return t.(*Template)
	}
	t, _ := templates.LoadOrStore(op, ParseTemplate(op.RequestURI))
	return t.(*Template)
}
