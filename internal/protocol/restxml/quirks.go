package restxml

import (
	"net/http"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

// unwrappedErrors are the services whose errors are a bare <Error> root
// with RequestId and HostId inside, instead of
// <ErrorResponse><Error>...</Error><RequestId/></ErrorResponse>.
var unwrappedErrors = map[string]bool{"s3": true, "s3control": true}

// namespaces is the XML namespace of the responses of services whose
// models do not carry one (the rest-xml models name it only on some input
// members).
var namespaces = map[string]string{
	"s3":         "http://s3.amazonaws.com/doc/2006-03-01/",
	"s3control":  "http://awss3control.amazonaws.com/doc/2018-08-20/",
	"route53":    "https://route53.amazonaws.com/doc/2013-04-01/",
	"cloudfront": "http://cloudfront.amazonaws.com/doc/2020-05-31/",
}

// rootText names, per service and operation, the output member written as
// the text of the root element itself: S3 answers GetBucketLocation with
// <LocationConstraint>eu-west-1</LocationConstraint>, which clients parse
// specially.
var rootText = map[string]map[string]string{
	"s3": {"GetBucketLocation": "LocationConstraint"},
}

// invalidArgumentDefs is the error a service answers a malformed parameter
// with.
var invalidArgumentDefs = map[string]awserr.Def{
	"s3":         {Code: "InvalidArgument", Status: http.StatusBadRequest, Sender: true},
	"s3control":  {Code: "InvalidRequest", Status: http.StatusBadRequest, Sender: true},
	"cloudfront": {Code: "InvalidArgument", Status: http.StatusBadRequest, Sender: true},
	"route53":    {Code: "InvalidInput", Status: http.StatusBadRequest, Sender: true},
}

func invalidArgument(svc *model.Service) awserr.Def {
	if d, ok := invalidArgumentDefs[svc.Name]; ok {
		return d
	}
	return awserr.Def{Code: "InvalidInput", Status: http.StatusBadRequest, Sender: true}
}

// namespace is the XML namespace of svc's responses.
func namespace(svc *model.Service) string {
	if svc.XMLNamespace != "" {
		return svc.XMLNamespace
	}
	return namespaces[svc.Name]
}
