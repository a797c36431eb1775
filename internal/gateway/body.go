package gateway

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/awschunked"
	"github.com/nimbus-cloud/nimbus/internal/model"
	"github.com/nimbus-cloud/nimbus/internal/sigv4"
)

// s3MinChunk is the smallest aws-chunked chunk S3 accepts but for the last.
const s3MinChunk = 8192

// prepareBody decodes an aws-chunked body and bounds the body size. The
// bound holds until the operation turns out to take a streaming payload.
func (g *Gateway) prepareBody(ex *exchange, verified *sigv4.Result) (*limiter, error) {
	r, e := ex.r, ex.rt.svc
	if r.Body != nil && r.Body != http.NoBody && awschunked.IsChunked(r.Header) {
		length, known := awschunked.DecodedLength(r.Header)
		opts := awschunked.Options{CheckLength: known, DecodedLength: length, Trailers: awschunked.Trailers(r.Header)}
		if e.s3Style() {
			opts.MinChunkSize = s3MinChunk
		}
		if verified != nil && strings.HasPrefix(verified.PayloadHash, sigv4.StreamingPayload) {
			opts.Signing = &awschunked.Signing{Key: verified.SigningKey, Seed: verified.Signature, AmzDate: verified.AmzDate, Scope: verified.Scope}
		}
		cr := awschunked.NewReader(r.Body, opts)
		r.Body = readCloser{cr, r.Body}
		ex.info.Trailer = cr.Trailer
		// r shares its header map with the server's request: change a copy.
		r.Header = r.Header.Clone()
		awschunked.StripEncoding(r.Header)
		if known {
			r.ContentLength = length
			r.Header.Set("Content-Length", strconv.FormatInt(length, 10))
		} else {
			r.ContentLength = -1
			r.Header.Del("Content-Length")
		}
	}
	limit := g.cfg.MaxJSONBody
	if ex.rt.codec.Name() == protoRESTXML {
		limit = g.cfg.MaxXMLBody
	}
	lim := &limiter{limit: limit, tooLarge: func() error { return tooLargeError(e, limit) }}
	if r.Body != nil && r.Body != http.NoBody {
		lim.rc = r.Body
		r.Body = lim
	}
	return lim, nil
}

// limiter fails a read past its limit with the service's too-large error,
// so an oversized body never fills memory.
type limiter struct {
	rc       io.ReadCloser
	limit    int64 // negative: no limit
	read     int64
	tripped  bool
	tooLarge func() error
}

func (l *limiter) Read(p []byte) (int, error) {
	if l.limit < 0 {
		return l.rc.Read(p)
	}
	if l.tripped {
		return 0, l.tooLarge()
	}
	if room := l.limit + 1 - l.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.rc.Read(p)
	l.read += int64(n)
	if l.read > l.limit {
		l.tripped = true
		return 0, l.tooLarge()
	}
	return n, err
}

func (l *limiter) Close() error {
	if l.rc == nil {
		return nil
	}
	return l.rc.Close()
}

// lift removes the limit: streaming payloads may be of any size.
func (l *limiter) lift() { l.limit = -1 }

// liftedFor runs serve without the limit, and puts the limit back when
// serve declines the request (and so read nothing).
func (l *limiter) liftedFor(serve func() bool) bool {
	limit := l.limit
	l.limit = -1
	if serve() {
		return true
	}
	l.limit = limit
	return false
}

// checkLength refuses a declared Content-Length over the limit before any
// of the body is read.
func (l *limiter) checkLength(r *http.Request) error {
	if l.limit >= 0 && r.ContentLength > l.limit {
		l.tripped = true
		return l.tooLarge()
	}
	return nil
}

// explain replaces whatever a codec made of a read that hit the limit by
// the too-large error itself.
func (l *limiter) explain(err error) error {
	if l.tripped {
		return l.tooLarge()
	}
	return err
}

var s3MaxMessageLength = awserr.Def{Code: "MaxMessageLengthExceeded", Status: http.StatusBadRequest, Sender: true}

// tooLargeCodes are the error codes services model for an oversized
// request, in order of preference.
var tooLargeCodes = []string{"RequestEntityTooLargeException", "RequestTooLargeException", "PayloadTooLargeException", "RequestEntityTooLarge"}

func tooLargeError(e *entry, limit int64) error {
	if e.s3Style() {
		return s3MaxMessageLength.New("Your request was too big.").
			WithDetail(map[string]string{"MaxMessageLengthBytes": strconv.FormatInt(limit, 10)})
	}
	for _, code := range tooLargeCodes {
		if es, ok := e.Model.Errors[code]; ok {
			d := awserr.Def{Code: code, Status: es.Status, Sender: es.Sender, QueryCode: es.QueryCode}
			if d.Status == 0 {
				d.Status = http.StatusRequestEntityTooLarge
			}
			return d.Newf("Request must be smaller than %d bytes.", limit)
		}
	}
	return awserr.RequestTooLarge.Newf("Request must be smaller than %d bytes.", limit)
}

// isStreamingInput reports whether op's input has a streaming payload
// (S3 PutObject and UploadPart, for example), which has no size limit.
func isStreamingInput(op *model.Operation) bool {
	if op.Input == nil {
		return false
	}
	s := model.StructOf(op.Input)
	return s.Payload >= 0 && s.Fields[s.Payload].Streaming
}
