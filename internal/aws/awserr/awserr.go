// Package awserr is the one AWS error type every layer returns. A service
// returns an *Error (or any error, which becomes InternalFailure); the
// protocol codec of the request writes it in that protocol's wire form. No
// other package writes errors to the wire.
package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Def describes one AWS error code: the generated packages declare one Def per
// error shape of a service model, and services declare the few codes that AWS
// documents but does not model (for example S3's BucketNotEmpty).
type Def struct {
	Code   string // wire code, e.g. "NoSuchBucket"
	Status int    // HTTP status
	Sender bool   // true for a client fault, false for a server fault
	// QueryCode is the awsQueryError code of query-compatible JSON services
	// (SQS): clients of the query protocol see this code instead of Code.
	QueryCode string
}

// New returns an error of this kind with the given message.
func (d Def) New(msg string) *Error {
	return &Error{Code: d.Code, Message: msg, Status: d.Status, Sender: d.Sender, QueryCode: d.QueryCode}
}

// Newf returns an error of this kind with a formatted message.
func (d Def) Newf(format string, args ...any) *Error {
	return d.New(fmt.Sprintf(format, args...))
}

// Is reports whether err is an *Error of this kind.
func (d Def) Is(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == d.Code
}

// Error is an AWS API error as the client sees it.
type Error struct {
	Code    string
	Message string
	Status  int
	Sender  bool
	// QueryCode: see Def.QueryCode.
	QueryCode string
	// Detail carries the extra members of the error shape (for example
	// DynamoDB's Item on ConditionalCheckFailedException, or S3's BucketName
	// element). It is a struct of a generated error shape, or a
	// map[string]string for simple extra elements; the codec encodes it beside
	// Code and Message.
	Detail any
	// Header holds extra response headers that go with the error (for
	// example S3's x-amz-delete-marker on a 404 for a delete marker).
	Header http.Header
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorCode, ErrorMessage and ErrorFault use the method names of the AWS SDKs'
// APIError so tests can treat both alike.
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }

// WithDetail sets Detail and returns e.
func (e *Error) WithDetail(d any) *Error { e.Detail = d; return e }

// WithHeader adds a response header and returns e.
func (e *Error) WithHeader(k, v string) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Set(k, v)
	return e
}

// From turns any error into an *Error: an *Error (possibly wrapped) is
// returned as is; anything else becomes a 500 InternalFailure whose message
// does not reveal the internal error text.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return InternalFailure.New("We encountered an internal error. Please try again.")
}

// Errors shared by every service. Protocol-specific spellings (for example
// the query protocol's InvalidAction) are chosen by the codecs.
var (
	InternalFailure     = Def{Code: "InternalFailure", Status: http.StatusInternalServerError}
	ServiceUnavailable  = Def{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable}
	NotImplemented      = Def{Code: "NotImplemented", Status: http.StatusNotImplemented, Sender: true}
	UnknownOperation    = Def{Code: "UnknownOperationException", Status: http.StatusBadRequest, Sender: true}
	InvalidAction       = Def{Code: "InvalidAction", Status: http.StatusBadRequest, Sender: true}
	ValidationException = Def{Code: "ValidationException", Status: http.StatusBadRequest, Sender: true}
	SerializationError  = Def{Code: "SerializationException", Status: http.StatusBadRequest, Sender: true}
	MissingParameter    = Def{Code: "MissingParameter", Status: http.StatusBadRequest, Sender: true}
	InvalidParameter    = Def{Code: "InvalidParameterValue", Status: http.StatusBadRequest, Sender: true}
	AccessDenied        = Def{Code: "AccessDeniedException", Status: http.StatusForbidden, Sender: true}
	UnrecognizedClient  = Def{Code: "UnrecognizedClientException", Status: http.StatusForbidden, Sender: true}
	SignatureMismatch   = Def{Code: "SignatureDoesNotMatch", Status: http.StatusForbidden, Sender: true}
	RequestExpired      = Def{Code: "RequestExpired", Status: http.StatusBadRequest, Sender: true}
	MissingAuthToken    = Def{Code: "MissingAuthenticationTokenException", Status: http.StatusForbidden, Sender: true}
	RequestTooLarge     = Def{Code: "RequestEntityTooLarge", Status: http.StatusRequestEntityTooLarge, Sender: true}
)
