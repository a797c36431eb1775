// Package model describes AWS services at run time: the services and
// operations generated from AWS's service models (internal/api/...), and the
// meaning of the struct tags on the generated input and output types. The
// protocol codecs read these descriptions; they never know a service by name.
//
// # Generated types and their tags
//
// Every structure shape of a model becomes a Go struct. Member types:
//
//	string, enum   *string          integer  *int32     long    *int64
//	boolean        *bool            float    *float32   double  *float64
//	timestamp      *time.Time       blob     []byte     document any
//	structure      *T (in lists and maps: T)   list []E   map map[string]V
//	streaming blob (a payload with the streaming trait)  io.Reader
//
// Each member carries an `aws` tag: comma-separated items, in any order.
//
//	name=X        wire name (locationName): XML element, JSON key, query key,
//	              header name, query-string parameter or URI label
//	loc=L         HTTP binding: uri, querystring, header, headers (prefix map),
//	              statusCode. Absent: the member is in the body.
//	payload       the member is the HTTP payload of its structure
//	streaming     the payload is a stream (io.Reader)
//	required      the member is required
//	min=N max=N   length (string, blob, list, map) or value (numbers) bounds
//	enum=E        allowed values are Service.Enums[E]
//	flat          flattened list or map (XML and query)
//	member=X      list element name (default "member")
//	key=X value=X map entry key and value names (default "key", "value")
//	attr          XML attribute
//	xmlns=U       XML namespace URI on the element; xmlnsprefix=P its prefix
//	ts=F          timestamp format: iso8601, rfc822, unixTimestamp
//	jsonvalue     a header holding base64-encoded JSON
//	hostlabel     the member is also a host label
//	qname=X       EC2 query name
//	qwire=X       name in the query protocol, as a form parameter and as an
//	              XML element, when it differs from name: SQS speaks JSON
//	              and query, and keeps the names of its retired query model
//	              there (Attribute.1.Name, ReceiveMessageResult/Message)
//
// A struct may start with a blank field `_ struct{}` whose tag describes the
// structure itself:
//
//	xmlname=X     element name of the structure when it is a document root
//	xmlns=U       namespace of that root element
//	union         exactly one member may be set
//	error=Code    the structure is the error shape for Code
package model

import (
	"context"
	"reflect"
)

// Handler runs one operation: in is a pointer to the operation's input
// struct (never nil; an empty struct when the operation has no input), and the
// result is a pointer to its output struct, or nil when it has none.
type Handler func(ctx context.Context, in any) (any, error)

// Service is one AWS service as its model describes it.
type Service struct {
	Name            string   // model directory name, e.g. "s3", "dynamodbstreams"
	ID              string   // serviceId, e.g. "DynamoDB Streams"
	APIVersion      string   // e.g. "2012-08-10"
	Protocol        string   // default protocol: query, json, rest-json, rest-xml, ec2, smithy-rpc-v2-cbor
	Protocols       []string // every protocol the service speaks, in preference order
	SigningName     string   // SigV4 service name in the credential scope
	EndpointPrefix  string   // host prefix, e.g. "streams.dynamodb"
	TargetPrefix    string   // X-Amz-Target prefix of json services
	JSONVersion     string   // "1.0" or "1.1"
	XMLNamespace    string   // query and rest-xml response namespace
	QueryCompatible bool     // awsQueryCompatible: JSON service with query error codes

	Operations []*Operation
	byName     map[string]*Operation

	// Enums maps an enum shape name to its allowed values.
	Enums map[string][]string
	// Errors maps an error code to its definition (status and fault).
	Errors map[string]ErrorShape
}

// ErrorShape is one modelled error of a service.
type ErrorShape struct {
	Code   string
	Status int
	Sender bool
	// QueryCode is the awsQueryError code, when it differs from Code.
	QueryCode string
	Type      reflect.Type // the error's structure type
}

// Operation is one operation of a service.
type Operation struct {
	Name         string
	Method       string // HTTP method of REST protocols
	RequestURI   string // URI template, e.g. "/{Bucket}/{Key+}?uploads"
	ResponseCode int    // default success status; 0 means 200
	HostPrefix   string // endpoint host prefix template, e.g. "{AccountId}."

	Input  reflect.Type // input struct type (not a pointer); nil if none
	Output reflect.Type // output struct type (not a pointer); nil if none
	// ResultWrapper is the query protocol's wrapper element of the result,
	// e.g. "CreateQueueResult".
	ResultWrapper string
	Errors        []string // codes of the modelled errors

	ChecksumRequired bool // httpChecksumRequired or requestChecksumRequired
	// RequestAlgorithmMember names the input member that selects the
	// request checksum algorithm (httpChecksum trait).
	RequestAlgorithmMember string
	// ResponseChecksumModeMember names the input member that asks for
	// response checksums (httpChecksum.requestValidationModeMember).
	ResponseChecksumModeMember string
	ResponseAlgorithms         []string
}

// Op returns the operation with the given name, or nil.
func (s *Service) Op(name string) *Operation {
	if s.byName == nil {
		m := make(map[string]*Operation, len(s.Operations))
		for _, o := range s.Operations {
			m[o.Name] = o
		}
		s.byName = m
	}
	return s.byName[name]
}

// Init prepares the lookup tables. Generated packages call it once from
// their package initialisation, so Op is safe for concurrent use.
func (s *Service) Init() *Service {
	s.byName = nil
	s.Op("")
	return s
}

// Speaks reports whether the service speaks the given protocol.
func (s *Service) Speaks(protocol string) bool {
	for _, p := range s.Protocols {
		if p == protocol {
			return true
		}
	}
	return s.Protocol == protocol
}

// NewInput returns a pointer to a new, empty input struct of op.
func (o *Operation) NewInput() any {
	if o.Input == nil {
		return &struct{}{}
	}
	return reflect.New(o.Input).Interface()
}
