package gateway

import (
	"bytes"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/sigv4"
)

// Protocol names as the service models spell them.
const (
	protoQuery    = "query"
	protoEC2      = "ec2"
	protoJSON     = "json"
	protoRESTJSON = "rest-json"
	protoRESTXML  = "rest-xml"
	protoCBOR     = "smithy-rpc-v2-cbor"
)

// entry is a registered service.
type entry struct {
	Service
	signingName string
}

// s3Style reports whether responses carry S3's x-amz-request-id/x-amz-id-2
// pair rather than x-amzn-RequestId.
func (e *entry) s3Style() bool { return e.signingName == "s3" }

// registry indexes the services by every way a request can name them.
type registry struct {
	all       []*entry
	byName    map[string]*entry
	bySigning map[string][]*entry
	byTarget  map[string]*entry   // X-Amz-Target prefix
	byShape   map[string]*entry   // Smithy service shape name (RPC v2 path)
	query     []*entry            // services speaking query or ec2
	byPrefix  map[string][]*entry // endpoint prefix, e.g. "sqs", "streams.dynamodb"
	s3        *entry
}

func newRegistry(services []Service) registry {
	reg := registry{
		byName: map[string]*entry{}, bySigning: map[string][]*entry{}, byTarget: map[string]*entry{},
		byShape: map[string]*entry{}, byPrefix: map[string][]*entry{},
	}
	type queryKey struct{ version, action string }
	queryOps := map[queryKey]string{}
	for _, s := range services {
		m := s.Model
		if m == nil || m.Name == "" {
			panic("gateway: a service without a model or name")
		}
		e := &entry{Service: s, signingName: firstNonEmpty(m.SigningName, m.EndpointPrefix, m.Name)}
		if _, dup := reg.byName[m.Name]; dup {
			panic("gateway: service " + m.Name + " registered twice")
		}
		reg.byName[m.Name] = e
		reg.all = append(reg.all, e)
		reg.bySigning[e.signingName] = append(reg.bySigning[e.signingName], e)
		if m.TargetPrefix != "" {
			if other, dup := reg.byTarget[m.TargetPrefix]; dup {
				panic("gateway: services " + other.Model.Name + " and " + m.Name + " share X-Amz-Target prefix " + m.TargetPrefix)
			}
			reg.byTarget[m.TargetPrefix] = e
			reg.byShape[m.TargetPrefix] = e
		}
		if m.EndpointPrefix != "" {
			reg.byPrefix[m.EndpointPrefix] = append(reg.byPrefix[m.EndpointPrefix], e)
		}
		if m.Speaks(protoQuery) || m.Speaks(protoEC2) {
			reg.query = append(reg.query, e)
			for _, op := range m.Operations {
				k := queryKey{m.APIVersion, op.Name}
				if other, dup := queryOps[k]; dup {
					panic("gateway: query services " + other + " and " + m.Name + " both answer " + op.Name + " of API version " + m.APIVersion)
				}
				queryOps[k] = m.Name
			}
		}
		if m.Name == "s3" {
			reg.s3 = e
		}
	}
	return reg
}

// route is where a request goes.
type route struct {
	svc   *entry
	codec protocol.Codec
	// bucketFromHost is the bucket of a virtual-hosted S3 request; the
	// path is rewritten to path style before the codec sees it.
	bucketFromHost string
	// rule names the resolution rule that matched, for tests and logs.
	rule string
}

// resolve finds the service of r, in this order: the SigV4 credential
// scope, X-Amz-Target, the Smithy RPC v2 CBOR path, the query Action, the
// Host (virtual-hosted S3, then a service endpoint prefix), and last S3 for
// requests that carry no service name at all. nil means no service.
func (g *Gateway) resolve(r *http.Request, auth *sigv4.Auth) *route {
	reg := &g.reg
	var e *entry
	rule := ""
	form := lazyForm{r: r}
	switch {
	case auth != nil && auth.Service != "" && len(reg.bySigning[auth.Service]) > 0:
		e, rule = g.pick(reg.bySigning[auth.Service], r, &form), "scope"
	case reg.byTarget[targetPrefix(r)] != nil:
		e, rule = reg.byTarget[targetPrefix(r)], "target"
	case reg.byShape[cborService(r)] != nil:
		e, rule = reg.byShape[cborService(r)], "cbor"
	default:
		if e = reg.byAction(form.values()); e != nil {
			rule = "action"
			break
		}
		if form.values().Get("Action") != "" {
			return nil // a query action nobody answers; S3 requests have none
		}
		if bucket, ok := s3VirtualHost(r.Host); ok && reg.s3 != nil {
			return &route{svc: reg.s3, codec: g.codecFor(reg.s3.Model, r), bucketFromHost: bucket, rule: "host"}
		}
		if e = reg.byHost(r.Host); e != nil {
			rule = "host"
			break
		}
		if unnamed(r, auth) && reg.s3 != nil {
			e, rule = reg.s3, "fallback"
		}
	}
	if e == nil {
		return nil
	}
	rt := &route{svc: e, codec: g.codecFor(e.Model, r), rule: rule}
	if e.Model.Name == "s3" {
		rt.bucketFromHost, _ = s3VirtualHost(r.Host)
	}
	return rt
}

// unnamed reports whether nothing in r names a service: no SigV4 scope, no
// X-Amz-Target, no RPC v2 protocol header. Browsers, presigned V2 URLs,
// `AWS key:sig` clients and POST form uploads look like this, and all of
// them are S3's.
func unnamed(r *http.Request, auth *sigv4.Auth) bool {
	if auth != nil && auth.Service != "" {
		return false
	}
	return r.Header.Get("X-Amz-Target") == "" && r.Header.Get("Smithy-Protocol") == ""
}

// pick chooses among services that share a signing name (DynamoDB and
// DynamoDB Streams, S3 and S3 Control, SES v1 and v2...): by X-Amz-Target,
// RPC v2 path, query Action, endpoint prefix in the host, then by which
// one's REST routes match, the service named after the signing name last.
func (g *Gateway) pick(cands []*entry, r *http.Request, form *lazyForm) *entry {
	if len(cands) == 1 {
		return cands[0]
	}
	tp, shape := targetPrefix(r), cborService(r)
	for _, e := range cands {
		if tp != "" && e.Model.TargetPrefix == tp || shape != "" && e.Model.TargetPrefix == shape {
			return e
		}
	}
	if form.maybeQuery() {
		if action := form.values().Get("Action"); action != "" {
			for _, e := range cands {
				if (e.Model.Speaks(protoQuery) || e.Model.Speaks(protoEC2)) && e.Model.Op(action) != nil {
					return e
				}
			}
		}
	}
	host := hostname(r.Host)
	for _, e := range cands {
		if p := e.Model.EndpointPrefix; p != "" && p != e.signingName && hasLabelPrefix(host, p) {
			return e
		}
	}
	var primary *entry
	for _, e := range cands {
		if e.Model.Name == e.signingName {
			primary = e
			continue
		}
		if !speaksREST(e.Model) {
			continue
		}
		if c := g.codecFor(e.Model, r); c != nil {
			if _, err := c.Operation(r, e.Model); err == nil {
				return e
			}
		}
	}
	if primary != nil {
		return primary
	}
	return cands[0]
}

func speaksREST(m *model.Service) bool { return m.Speaks(protoRESTJSON) || m.Speaks(protoRESTXML) }

// byAction finds the query service answering Action (and Version).
func (reg *registry) byAction(form url.Values) *entry {
	action := form.Get("Action")
	if action == "" {
		return nil
	}
	version := form.Get("Version")
	var byOpOnly *entry
	for _, e := range reg.query {
		if e.Model.Op(action) == nil {
			continue
		}
		if version == "" || e.Model.APIVersion == version {
			return e
		}
		if byOpOnly == nil {
			byOpOnly = e
		}
	}
	return byOpOnly
}

// byHost finds a service from an AWS-style host name: its endpoint prefix
// followed by a region, as in sqs.us-east-1.amazonaws.com or
// sqs.us-east-1.localhost.localstack.cloud.
func (reg *registry) byHost(host string) *entry {
	host = hostname(host)
	for prefix, es := range reg.byPrefix {
		if prefix == "s3" {
			continue
		}
		rest, ok := strings.CutPrefix(host, prefix+".")
		if !ok {
			continue
		}
		region, _, _ := strings.Cut(rest, ".")
		if looksLikeRegion(region) {
			return es[0]
		}
	}
	return nil
}

func looksLikeRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	last := parts[len(parts)-1]
	return len(last) > 0 && last[0] >= '0' && last[0] <= '9'
}

func hasLabelPrefix(host, prefix string) bool {
	return strings.HasPrefix(host, prefix+".") || strings.Contains(host, "."+prefix+".")
}

// targetPrefix is the service part of X-Amz-Target ("DynamoDB_20120810"
// of "DynamoDB_20120810.PutItem").
func targetPrefix(r *http.Request) string {
	t := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(t, '.'); i > 0 {
		return t[:i]
	}
	return ""
}

// cborService is the service shape name of a Smithy RPC v2 CBOR request
// path, ".../service/{Service}/operation/{Operation}".
func cborService(r *http.Request) string {
	if r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		return ""
	}
	p := r.URL.Path
	i := strings.LastIndex(p, "/service/")
	if i < 0 {
		return ""
	}
	svc, rest, ok := strings.Cut(p[i+len("/service/"):], "/")
	if !ok || !strings.HasPrefix(rest, "operation/") {
		return ""
	}
	return svc
}

// requestProtocol is the protocol the request's shape shows, or "" when
// only the service's own protocol can tell (REST).
func requestProtocol(r *http.Request) string {
	if r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor" {
		return protoCBOR
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case r.Header.Get("X-Amz-Target") != "" || strings.HasPrefix(ct, "application/x-amz-json-"):
		return protoJSON
	case ct == "application/cbor":
		return protoCBOR
	case ct == "application/x-www-form-urlencoded" || r.URL.Query().Has("Action"):
		return protoQuery
	}
	return ""
}

// codecFor picks the codec for r among the protocols m speaks: the one the
// request's shape shows when m speaks it (SQS json vs query, CloudWatch
// cbor vs json vs query), else m's default protocol.
func (g *Gateway) codecFor(m *model.Service, r *http.Request) protocol.Codec {
	p := requestProtocol(r)
	if p == protoQuery && !m.Speaks(protoQuery) && m.Speaks(protoEC2) {
		p = protoEC2
	}
	if p != "" && m.Speaks(p) {
		if c := g.codecs[p]; c != nil {
			return c
		}
	}
	if c := g.codecs[m.Protocol]; c != nil {
		return c
	}
	return g.anyCodec(m)
}

func (g *Gateway) anyCodec(m *model.Service) protocol.Codec {
	if c := g.codecs[m.Protocol]; c != nil {
		return c
	}
	for _, p := range m.Protocols {
		if c := g.codecs[p]; c != nil {
			return c
		}
	}
	return nil
}

// lazyForm reads the query Action/Version parameters only when a rule
// needs them: the URL query, or a url-encoded POST body, which it puts back
// for the codec.
type lazyForm struct {
	r      *http.Request
	parsed bool
	v      url.Values
}

// maxSniffedForm bounds how much of a form body routing reads.
const maxSniffedForm = 16 << 20

func (f *lazyForm) maybeQuery() bool {
	return requestProtocol(f.r) == protoQuery
}

func (f *lazyForm) values() url.Values {
	if f.parsed {
		return f.v
	}
	f.parsed = true
	f.v = f.r.URL.Query()
	if f.v.Has("Action") {
		return f.v
	}
	ct, _, _ := mime.ParseMediaType(f.r.Header.Get("Content-Type"))
	if f.r.Method != http.MethodPost || ct != "application/x-www-form-urlencoded" || f.r.Body == nil || f.r.Body == http.NoBody {
		return f.v
	}
	body, err := io.ReadAll(io.LimitReader(f.r.Body, maxSniffedForm+1))
	f.r.Body = readCloser{io.MultiReader(bytes.NewReader(body), f.r.Body), f.r.Body}
	if err != nil || len(body) > maxSniffedForm {
		return f.v
	}
	if post, err := url.ParseQuery(string(body)); err == nil {
		for k, vs := range post {
			f.v[k] = append(f.v[k], vs...)
		}
	}
	return f.v
}

type readCloser struct {
	io.Reader
	io.Closer
}

// s3VirtualHost returns the bucket of a virtual-hosted S3 host:
// <bucket>.s3.<anything>, <bucket>.s3-<region>.amazonaws.com,
// <bucket>.localhost[:port], and the website endpoints
// <bucket>.s3-website[-.]<region>.amazonaws.com and
// <bucket>.s3-website.localhost[:port]. A website request goes to S3 like
// any virtual-hosted one; S3's Raw hook knows it by its Host.
func s3VirtualHost(host string) (string, bool) {
	h := hostname(host)
	if net.ParseIP(h) != nil {
		return "", false
	}
	if b, ok := strings.CutSuffix(h, ".localhost"); ok && b != "" && !hasS3Label(b) {
		return validBucketHost(b)
	}
	i := max(strings.LastIndex(h, ".s3."), strings.LastIndex(h, ".s3-"))
	if i <= 0 {
		return "", false
	}
	after := h[i+1:]
	for _, notBucket := range []string{"s3-control.", "s3-outposts.", "s3-object-lambda."} {
		if strings.HasPrefix(after, notBucket) {
			return "", false
		}
	}
	return validBucketHost(h[:i])
}

// hasS3Label reports whether the last label of h is an S3 endpoint's
// ("s3", "s3-website", "s3-control"...), so that the bucket comes before it.
func hasS3Label(h string) bool {
	last := h[strings.LastIndexByte(h, '.')+1:]
	return last == "s3" || strings.HasPrefix(last, "s3-")
}

func validBucketHost(b string) (string, bool) {
	if len(b) < 3 || len(b) > 255 || strings.HasPrefix(b, ".") || strings.HasSuffix(b, ".") || strings.Contains(b, "..") {
		return "", false
	}
	return b, true
}

// hostname is the lower-case host without its port.
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// rewriteVirtualHost turns a virtual-hosted S3 request into path style,
// bucket first, so the codec sees one form. r's URL is replaced by a copy,
// as r may share it with the server's request.
func rewriteVirtualHost(r *http.Request, bucket string) {
	u := *r.URL
	r.URL = &u
	path := r.URL.Path
	if path == "/" || path == "" {
		r.URL.Path = "/" + bucket
	} else {
		r.URL.Path = "/" + bucket + path
	}
	if r.URL.RawPath != "" {
		if r.URL.RawPath == "/" {
			r.URL.RawPath = "/" + url.PathEscape(bucket)
		} else {
			r.URL.RawPath = "/" + url.PathEscape(bucket) + r.URL.RawPath
		}
	}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
