package sqs

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Errors SQS sends that its model does not declare. Code is what JSON
// clients see in __type, QueryCode what query clients (and the
// x-amzn-query-error header) see.
var (
	errInvalidParameterValue = awserr.Def{Code: "InvalidParameterValueException", Status: http.StatusBadRequest, Sender: true, QueryCode: "InvalidParameterValue"}
	errMissingParameter      = awserr.Def{Code: "MissingRequiredParameterException", Status: http.StatusBadRequest, Sender: true, QueryCode: "MissingParameter"}
)

// queueDoesNotExist answers in the words of the request's protocol: query
// clients have always been told about the "wsdl version".
func queueDoesNotExist(ctx context.Context) error {
	if isQuery(ctx) {
		return sqsapi.ErrQueueDoesNotExist.New("The specified queue does not exist for this wsdl version.")
	}
	return sqsapi.ErrQueueDoesNotExist.New("The specified queue does not exist.")
}

// isQuery reports whether the request came in the query protocol.
func isQuery(ctx context.Context) bool {
	r := request.FromContext(ctx).HTTP
	return r != nil && r.Header.Get("X-Amz-Target") == ""
}

func invalidParam(name string, value any, reason string) error {
	return errInvalidParameterValue.New("Value " + text(value) + " for parameter " + name + " is invalid. Reason: " + reason)
}

func missingParam(name string) error {
	return errMissingParameter.New("The request must contain the parameter " + name + ".")
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int32:
		return strconv.Itoa(int(x))
	case int:
		return strconv.Itoa(x)
	}
	return ""
}

// notFound reports storage.ErrNotFound.
func notFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// isAWS reports whether err is an AWS error (a refusal, not a failure).
func isAWS(err error) bool {
	var e *awserr.Error
	return errors.As(err, &e)
}
