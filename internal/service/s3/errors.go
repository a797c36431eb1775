package s3

import (
	"net/http"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// Errors that S3 documents (Amazon S3 API Reference, "Error responses") but
// its model does not declare.
var (
	errAccessDenied              = awserr.Def{Code: "AccessDenied", Status: http.StatusForbidden, Sender: true}
	errBadDigest                 = awserr.Def{Code: "BadDigest", Status: http.StatusBadRequest, Sender: true}
	errBucketNotEmpty            = awserr.Def{Code: "BucketNotEmpty", Status: http.StatusConflict, Sender: true}
	errEntityTooLarge            = awserr.Def{Code: "EntityTooLarge", Status: http.StatusBadRequest, Sender: true}
	errEntityTooSmall            = awserr.Def{Code: "EntityTooSmall", Status: http.StatusBadRequest, Sender: true}
	errIllegalLocation           = awserr.Def{Code: "IllegalLocationConstraintException", Status: http.StatusBadRequest, Sender: true}
	errIncompleteBody            = awserr.Def{Code: "IncompleteBody", Status: http.StatusBadRequest, Sender: true}
	errInvalidArgument           = awserr.Def{Code: "InvalidArgument", Status: http.StatusBadRequest, Sender: true}
	errInvalidBucketName         = awserr.Def{Code: "InvalidBucketName", Status: http.StatusBadRequest, Sender: true}
	errInvalidDigest             = awserr.Def{Code: "InvalidDigest", Status: http.StatusBadRequest, Sender: true}
	errInvalidLocationConstraint = awserr.Def{Code: "InvalidLocationConstraint", Status: http.StatusBadRequest, Sender: true}
	errInvalidPart               = awserr.Def{Code: "InvalidPart", Status: http.StatusBadRequest, Sender: true}
	errInvalidPartOrder          = awserr.Def{Code: "InvalidPartOrder", Status: http.StatusBadRequest, Sender: true}
	errInvalidRange              = awserr.Def{Code: "InvalidRange", Status: http.StatusRequestedRangeNotSatisfiable, Sender: true}
	errInvalidRequest            = awserr.Def{Code: "InvalidRequest", Status: http.StatusBadRequest, Sender: true}
	errInvalidStorageClass       = awserr.Def{Code: "InvalidStorageClass", Status: http.StatusBadRequest, Sender: true}
	errInvalidTag                = awserr.Def{Code: "InvalidTag", Status: http.StatusBadRequest, Sender: true}
	errKeyTooLong                = awserr.Def{Code: "KeyTooLongError", Status: http.StatusBadRequest, Sender: true}
	errMalformedXML              = awserr.Def{Code: "MalformedXML", Status: http.StatusBadRequest, Sender: true}
	errMalformedPolicy           = awserr.Def{Code: "MalformedPolicy", Status: http.StatusBadRequest, Sender: true}
	errMethodNotAllowed          = awserr.Def{Code: "MethodNotAllowed", Status: http.StatusMethodNotAllowed, Sender: true}
	errMissingContentLength      = awserr.Def{Code: "MissingContentLength", Status: http.StatusLengthRequired, Sender: true}
	errNoSuchVersion             = awserr.Def{Code: "NoSuchVersion", Status: http.StatusNotFound, Sender: true}
	errNotModified               = awserr.Def{Code: "NotModified", Status: http.StatusNotModified, Sender: true}
	errPreconditionFailed        = awserr.Def{Code: "PreconditionFailed", Status: http.StatusPreconditionFailed, Sender: true}
	errConditionalConflict       = awserr.Def{Code: "ConditionalRequestConflict", Status: http.StatusConflict, Sender: true}
	errXAmzContentSHA256Mismatch = awserr.Def{Code: "XAmzContentSHA256Mismatch", Status: http.StatusBadRequest, Sender: true}
	errInvalidObjectState        = s3api.ErrInvalidObjectState
	errNoSuchBucket              = s3api.ErrNoSuchBucket
	errNoSuchKey                 = s3api.ErrNoSuchKey
	errNoSuchUpload              = s3api.ErrNoSuchUpload
	errBucketAlreadyExists       = s3api.ErrBucketAlreadyExists
	errBucketAlreadyOwnedByYou   = s3api.ErrBucketAlreadyOwnedByYou
)

// noSuchBucket is the error for a missing bucket, with the BucketName
// element S3 adds.
func noSuchBucket(name string) error {
	return errNoSuchBucket.New("The specified bucket does not exist").WithDetail(map[string]string{"BucketName": name})
}

func noSuchKey(key string) error {
	return errNoSuchKey.New("The specified key does not exist.").WithDetail(map[string]string{"Key": key})
}

var (
	errBadRequestTags    = awserr.Def{Code: "BadRequest", Status: http.StatusBadRequest, Sender: true}
	errInvalidPartNumber = awserr.Def{Code: "InvalidPartNumber", Status: http.StatusRequestedRangeNotSatisfiable, Sender: true}
	s3NotImplemented     = awserr.Def{Code: "NotImplemented", Status: http.StatusNotImplemented, Sender: true}
)
