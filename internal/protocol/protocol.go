// Package protocol defines the contract of AWS wire-protocol codecs. There is
// one codec per protocol (query, json 1.0/1.1, rest-json, rest-xml,
// smithy-rpc-v2-cbor), each driven only by the run-time model of the service
// (internal/model) and the struct tags of the generated types; none knows a
// service by name except through the small quirk tables they document.
package protocol

import (
	"net/http"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

// Codec reads requests and writes responses of one AWS protocol.
type Codec interface {
	// Name is the protocol name as the models spell it, e.g. "rest-xml".
	Name() string
	// Operation finds the operation a request calls, or returns the AWS
	// error for an unknown operation in this protocol's terms.
	Operation(r *http.Request, svc *model.Service) (*model.Operation, error)
	// Decode fills in (a pointer to op's input struct) from the request and
	// validates it as AWS does (required members, lengths, ranges, enums).
	// Streaming payloads are not read: the field is set to the request body.
	Decode(r *http.Request, svc *model.Service, op *model.Operation, in any) error
	// Encode writes the successful response out (a pointer to op's output
	// struct, or nil). It honours request.Info.Status and .Header from the
	// request context, streams an io.Reader payload and closes it when it is
	// an io.Closer.
	Encode(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, out any) error
	// EncodeError writes err. op may be nil when the operation is unknown.
	EncodeError(w http.ResponseWriter, r *http.Request, svc *model.Service, op *model.Operation, err *awserr.Error)
}
