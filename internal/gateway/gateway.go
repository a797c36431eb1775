// Package gateway is Nimbus's one HTTP entry point. For every request it
// finds the service and the wire protocol (from the SigV4 credential scope,
// X-Amz-Target, the Smithy RPC v2 path, the query Action, the S3 host or,
// for unsigned requests, S3), gives the request an id, account and region,
// answers CORS, decodes aws-chunked bodies, bounds body sizes, and runs the
// operation through the protocol codec: Operation, Decode, the service's
// handler, then Encode or EncodeError. Nothing else writes to the wire.
//
// The chain, top to bottom, is in ServeHTTP.
package gateway

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/sigv4"
)

// DefaultAccount is the account of any access key that is neither an IAM
// key nor 12 digits.
const DefaultAccount = "000000000000"

// Service is one service as the gateway serves it.
type Service struct {
	Model    *model.Service
	Handlers map[string]model.Handler
	// Raw, when set, may serve a request outside the model (S3 POST form
	// uploads, website hosting); it returns true when it did. It runs after
	// routing, CORS and body decoding, with request.Info in the context.
	// The body has no size limit while Raw runs (a form upload carries an
	// object); Raw bounds what it reads.
	Raw func(w http.ResponseWriter, r *http.Request) bool
}

// Config configures a Gateway.
type Config struct {
	Services []Service
	// Codecs are the wire protocols, keyed by their Name().
	Codecs []protocol.Codec
	// Region is used when a request carries no credential scope.
	Region string
	// AccountForKey maps an IAM access key to its account. Keys it does not
	// know fall back to the 12-digit rule, then DefaultAccount.
	AccountForKey func(accessKey string) (account string, ok bool)
	// SecretKey, when set, turns on signature verification: it returns the
	// secret of an access key (false for an unknown key). Unsigned requests
	// still pass, as anonymous; authorising them is IAM's job.
	SecretKey func(ctx context.Context, accessKey string) (secret string, ok bool)
	// S3CORS decides S3 CORS from the bucket's configuration: the headers
	// to send for a request with an Origin, or found=false when no rule
	// allows it.
	S3CORS func(r *http.Request, bucket string) (headers http.Header, found bool)
	// Internal serves other paths under /_nimbus/ and /_localstack/ (the
	// console, the Lambda runtime API); nil answers them 404.
	Internal http.Handler
	// Version is reported by the health endpoints.
	Version string
	// MaxXMLBody and MaxJSONBody bound non-streaming request bodies of
	// REST/XML services and of every other protocol; 0 means 20 MiB and
	// 16 MiB.
	MaxXMLBody, MaxJSONBody int64
	Logger                  *slog.Logger
	// Now is the clock (time.Now by default).
	Now func() time.Time
}

// Gateway is the http.Handler of the whole cloud.
type Gateway struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	codecs map[string]protocol.Codec
	reg    registry
}

// New builds a Gateway. It panics when two services share a name, an
// X-Amz-Target prefix, or a query API version and an action, and when a
// service speaks no protocol that has a codec: these are wiring mistakes.
func New(cfg Config) *Gateway {
	g := &Gateway{
		cfg:    cfg,
		log:    cmp.Or(cfg.Logger, slog.Default()),
		now:    cfg.Now,
		codecs: map[string]protocol.Codec{},
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.cfg.Region == "" {
		g.cfg.Region = "us-east-1"
	}
	g.cfg.MaxXMLBody = cmp.Or(g.cfg.MaxXMLBody, 20<<20)
	g.cfg.MaxJSONBody = cmp.Or(g.cfg.MaxJSONBody, 16<<20)
	for _, c := range cfg.Codecs {
		if _, dup := g.codecs[c.Name()]; dup {
			panic("gateway: two codecs for protocol " + c.Name())
		}
		g.codecs[c.Name()] = c
	}
	g.reg = newRegistry(cfg.Services)
	for _, e := range g.reg.all {
		if g.anyCodec(e.Model) == nil {
			panic(fmt.Sprintf("gateway: service %s speaks %v, none of which has a codec", e.Model.Name, e.Model.Protocols))
		}
	}
	return g
}

// ServeHTTP runs the request chain.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	// net/http sends "100 Continue" only when a handler reads the body; an
	// empty body is never read, so a client waiting for the interim answer
	// (botocore uploading an empty file) would get the final response in
	// its place and mistake the next response for it. S3 always sends it.
	if r.ContentLength == 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		w.WriteHeader(http.StatusContinue)
	}
	rec := &recorder{ResponseWriter: w}
	if g.serveInternal(rec, r) {
		return
	}
	if isPreflight(r) && !g.s3Preflight(r) {
		genericCORS(rec, r)
		g.log.Debug("request", "method", r.Method, "path", r.URL.Path, "service", "", "op", "preflight",
			"status", rec.status(), "duration", g.now().Sub(start))
		return
	}

	// A malformed signature still routes; verification reports it.
	auth, authErr := sigv4.Parse(r)
	rt := g.resolve(r, auth)

	info := &request.Info{
		Account:  g.account(auth),
		Region:   g.region(r, auth),
		Endpoint: endpoint(r),
		Time:     start,
		Header:   http.Header{},
	}
	if auth != nil {
		info.AccessKey = auth.AccessKey
	}
	if rt != nil {
		info.Service = rt.svc.Model.Name
	}
	info.RequestID = newRequestID(rt != nil && rt.svc.s3Style())
	// A shallow copy: the few steps that change the URL or the header map
	// (virtual-host rewriting, aws-chunked decoding) copy them first, so
	// the server's own request is never changed and most requests copy
	// nothing.
	r = r.WithContext(request.With(r.Context(), info))
	info.HTTP = r

	ex := &exchange{g: g, w: rec, r: r, info: info, rt: rt, auth: auth, authErr: authErr}
	defer ex.finish(start)
	defer ex.recoverPanic()
	ex.serve()
}

// exchange is one request on its way through the chain.
type exchange struct {
	g       *Gateway
	w       *recorder
	r       *http.Request
	info    *request.Info
	rt      *route
	auth    *sigv4.Auth
	authErr error // why the signature could not be read, if it could not
	op      *model.Operation
	// cause is the internal error behind a 500, for the log.
	cause error
}

func (ex *exchange) serve() {
	g, r, rt := ex.g, ex.r, ex.rt
	if rt == nil {
		g.writeUnknownService(ex.w, r, ex.auth, ex.info.RequestID)
		ex.logError(unknownServiceError(r, ex.auth))
		return
	}
	setRequestIDHeaders(ex.w.Header(), ex.info.RequestID, rt.svc.s3Style())
	if rt.bucketFromHost != "" {
		rewriteVirtualHost(r, rt.bucketFromHost)
	}
	if g.handleCORS(ex) {
		return
	}
	verified, err := g.authenticate(ex)
	if err != nil {
		ex.fail(err)
		return
	}
	lim, err := g.prepareBody(ex, verified)
	if err != nil {
		ex.fail(err)
		return
	}
	if rt.svc.Raw != nil && lim.liftedFor(func() bool { return rt.svc.Raw(ex.w, r) }) {
		return
	}
	op, err := rt.codec.Operation(r, rt.svc.Model)
	if err != nil {
		ex.fail(lim.explain(err))
		return
	}
	ex.op = op
	ex.info.Operation = op.Name
	if isStreamingInput(op) {
		lim.lift()
	} else if err := lim.checkLength(r); err != nil {
		ex.fail(err)
		return
	}
	in := op.NewInput()
	if err := rt.codec.Decode(r, rt.svc.Model, op, in); err != nil {
		ex.fail(lim.explain(err))
		return
	}
	h := rt.svc.Handlers[op.Name]
	if h == nil {
		ex.fail(awserr.NotImplemented.Newf("The operation %s of %s is not implemented in Nimbus.", op.Name, rt.svc.Model.Name))
		return
	}
	out, err := h(r.Context(), in)
	if err != nil {
		ex.fail(err)
		return
	}
	if err := rt.codec.Encode(ex.w, r, rt.svc.Model, op, out); err != nil {
		// The status line is gone; the client sees a cut-short body.
		ex.cause = err
		g.log.Warn("encoding response", "service", ex.info.Service, "op", op.Name, "request_id", ex.info.RequestID, "err", err)
	}
}

// fail writes err through the service's codec.
func (ex *exchange) fail(err error) {
	ae := awserr.From(err)
	if ae.Code == awserr.InternalFailure.Code && ae != err {
		ex.cause = err
	}
	ex.logError(ae)
	if ex.w.wrote {
		return
	}
	ex.rt.codec.EncodeError(ex.w, ex.r, ex.rt.svc.Model, ex.op, ae)
}

func (ex *exchange) logError(ae *awserr.Error) {
	attrs := []any{"service", ex.info.Service, "op", ex.info.Operation, "code", ae.Code, "status", ae.Status,
		"message", ae.Message, "request_id", ex.info.RequestID}
	if ex.cause != nil {
		attrs = append(attrs, "cause", ex.cause.Error())
	}
	ex.g.log.Warn("request failed", attrs...)
}

// recoverPanic turns a panic in a handler or codec into a 500
// InternalFailure, so the client gets an answer and the stack gets logged.
func (ex *exchange) recoverPanic() {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	ex.g.log.Error("panic serving request", "service", ex.info.Service, "op", ex.info.Operation,
		"request_id", ex.info.RequestID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if ex.w.wrote {
		return
	}
	ae := awserr.InternalFailure.New("We encountered an internal error. Please try again.")
	if ex.rt == nil {
		writeBareError(ex.w, ex.r, ae, ex.info.RequestID)
		return
	}
	func() {
		defer func() {
			if recover() != nil && !ex.w.wrote {
				writeBareError(ex.w, ex.r, ae, ex.info.RequestID)
			}
		}()
		ex.rt.codec.EncodeError(ex.w, ex.r, ex.rt.svc.Model, ex.op, ae)
	}()
}

func (ex *exchange) finish(start time.Time) {
	ex.g.log.Debug("request", "method", ex.r.Method, "path", ex.r.URL.Path, "service", ex.info.Service,
		"op", ex.info.Operation, "status", ex.w.status(), "duration", ex.g.now().Sub(start), "request_id", ex.info.RequestID)
}

// recorder remembers whether and what the handler wrote.
type recorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if !w.wrote {
		w.code, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(p)
}

func (w *recorder) status() int {
	if !w.wrote {
		return 0
	}
	return w.code
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if !w.wrote {
			w.code, w.wrote = http.StatusOK, true
		}
		f.Flush()
	}
}
