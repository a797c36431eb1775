// Package request carries what a service needs to know about the request
// it is serving beyond its typed input: account, region, request id, the
// endpoint the client used, and response extras that the model cannot
// express (a 206 status, unmodeled headers).
package request

import (
	"context"
	"net/http"
	"time"
)

// Info describes one API request. The gateway creates it; codecs and
// services read it and may set Status and Header.
type Info struct {
	Service   string // model service name, e.g. "s3"
	Operation string
	Account   string
	Region    string
	AccessKey string
	RequestID string
	// Endpoint is the scheme and host the client addressed, e.g.
	// "http://127.0.0.1:4566"; services build URLs (queue URLs, Location
	// headers) from it.
	Endpoint string
	// Time is when the request arrived.
	Time time.Time
	// HTTP is the raw request. Services use it only for what the model does
	// not describe (S3 POST policy forms, website hosting, CORS).
	HTTP *http.Request

	// Trailer returns the trailing headers of an aws-chunked request body
	// (for example x-amz-checksum-crc32). They are known only after the
	// body was read to its end. Nil when the request has no trailer.
	Trailer func() http.Header

	// Status overrides the HTTP status of a successful response (S3's 206
	// for a ranged GET). Zero keeps the operation's default.
	Status int
	// Header holds extra response headers.
	Header http.Header
}

type ctxKey struct{}

// With returns a context that carries info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// FromContext returns the request info in ctx, or an empty Info (never nil)
// so that services called directly in unit tests need no gateway.
func FromContext(ctx context.Context) *Info {
	if i, ok := ctx.Value(ctxKey{}).(*Info); ok {
		return i
	}
	return &Info{Account: "000000000000", Region: "us-east-1", Header: http.Header{}}
}

// IsAccountID reports whether s is an AWS account id: twelve decimal
// digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SetHeader sets an extra response header.
func (i *Info) SetHeader(k, v string) {
	if i.Header == nil {
		i.Header = http.Header{}
	}
	i.Header.Set(k, v)
}
