package sns

import (
	"errors"
	"fmt"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// invalidParameter is SNS's InvalidParameter; SNS prefixes every such
// message with "Invalid parameter: ".
func invalidParameter(format string, args ...any) *awserr.Error {
	return snsapi.ErrInvalidParameterException.New("Invalid parameter: " + fmt.Sprintf(format, args...))
}

// invalidValue is SNS's ParameterValueInvalid (message attributes).
func invalidValue(format string, args ...any) *awserr.Error {
	return snsapi.ErrInvalidParameterValueException.Newf(format, args...)
}

func errTopicNotFound() *awserr.Error { return snsapi.ErrNotFoundException.New("Topic does not exist") }

func errSubNotFound() *awserr.Error {
	return snsapi.ErrNotFoundException.New("Subscription does not exist")
}

func errResourceNotFound() *awserr.Error {
	return snsapi.ErrResourceNotFoundException.New("Resource does not exist")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// isClientError reports whether err is an AWS error of the caller's
// making: a delivery failing with one cannot succeed on a retry.
func isClientError(err error) bool {
	var ae *awserr.Error
	return errors.As(err, &ae) && ae.Sender
}
