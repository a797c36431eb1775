package main

import (
	"log"
	"strings"
)

// xmlRootPatches names the root element of rest-xml documents whose names the
// JSON models no longer carry (the Smithy models hold them as @xmlName).
// Clients ignore the root name, but AWS sends these, and so do we.
var xmlRootPatches = map[string]map[string]string{
	"s3": {
		"ListBucketsOutput":                                "ListAllMyBucketsResult",
		"ListDirectoryBucketsOutput":                       "ListAllMyDirectoryBucketsResult",
		"ListObjectsOutput":                                "ListBucketResult",
		"ListObjectsV2Output":                              "ListBucketResult",
		"ListObjectVersionsOutput":                         "ListVersionsResult",
		"ListMultipartUploadsOutput":                       "ListMultipartUploadsResult",
		"ListPartsOutput":                                  "ListPartsResult",
		"CreateMultipartUploadOutput":                      "InitiateMultipartUploadResult",
		"CompleteMultipartUploadOutput":                    "CompleteMultipartUploadResult",
		"DeleteObjectsOutput":                              "DeleteResult",
		"GetBucketLocationOutput":                          "LocationConstraint",
		"GetObjectTaggingOutput":                           "Tagging",
		"GetBucketTaggingOutput":                           "Tagging",
		"GetBucketAclOutput":                               "AccessControlPolicy",
		"GetObjectAclOutput":                               "AccessControlPolicy",
		"GetBucketVersioningOutput":                        "VersioningConfiguration",
		"GetBucketCorsOutput":                              "CORSConfiguration",
		"GetBucketLifecycleConfigurationOutput":            "LifecycleConfiguration",
		"GetBucketLifecycleOutput":                         "LifecycleConfiguration",
		"NotificationConfiguration":                        "NotificationConfiguration",
		"NotificationConfigurationDeprecated":              "NotificationConfiguration",
		"GetBucketWebsiteOutput":                           "WebsiteConfiguration",
		"GetBucketAccelerateConfigurationOutput":           "AccelerateConfiguration",
		"GetBucketRequestPaymentOutput":                    "RequestPaymentConfiguration",
		"GetBucketLoggingOutput":                           "BucketLoggingStatus",
		"GetObjectAttributesOutput":                        "GetObjectAttributesResponse",
		"ListBucketAnalyticsConfigurationsOutput":          "ListBucketAnalyticsConfigurationResult",
		"ListBucketInventoryConfigurationsOutput":          "ListInventoryConfigurationsResult",
		"ListBucketMetricsConfigurationsOutput":            "ListMetricsConfigurationsResult",
		"ListBucketIntelligentTieringConfigurationsOutput": "ListBucketIntelligentTieringConfigurationsOutput",
	},
}

// queryCompat restores what the JSON model of a query-compatible service
// (awsQueryCompatible: SQS) dropped from the query model it replaced, so
// that the service speaks both protocols: older SDKs, the Debian AWS CLI
// and boto3 still send SQS form-encoded query requests.
type queryCompat struct {
	// XMLNamespace of query responses.
	XMLNamespace string
	// Names maps "Shape.Member" to the member's query name (form parameter
	// and XML element), where it differs from the JSON name.
	Names map[string]string
	// MapNames gives the key and value names of map shapes in the query
	// protocol (the JSON protocol has no use for them).
	MapNames map[string][2]string
	// Errors gives each error shape's awsQueryError code and HTTP status,
	// as the service's Smithy model declares them.
	Errors map[string]queryError
}

type queryError struct {
	Code   string
	Status int
}

// queryCompatPatches are taken from the last query model of SQS
// (2012-11-05, as botocore shipped it until 2023) and from the
// awsQueryError traits of its Smithy model. Every operation answers in a
// "<Operation>Result" wrapper, and the service lists both protocols.
var queryCompatPatches = map[string]queryCompat{
	"sqs": {
		XMLNamespace: "http://queue.amazonaws.com/doc/2012-11-05/",
		Names: map[string]string{
			"AddPermissionRequest.AWSAccountIds":                   "AWSAccountId",
			"AddPermissionRequest.Actions":                         "ActionName",
			"ChangeMessageVisibilityBatchRequest.Entries":          "ChangeMessageVisibilityBatchRequestEntry",
			"ChangeMessageVisibilityBatchResult.Successful":        "ChangeMessageVisibilityBatchResultEntry",
			"ChangeMessageVisibilityBatchResult.Failed":            "BatchResultErrorEntry",
			"CreateQueueRequest.Attributes":                        "Attribute",
			"CreateQueueRequest.tags":                              "Tag",
			"DeleteMessageBatchRequest.Entries":                    "DeleteMessageBatchRequestEntry",
			"DeleteMessageBatchResult.Successful":                  "DeleteMessageBatchResultEntry",
			"DeleteMessageBatchResult.Failed":                      "BatchResultErrorEntry",
			"GetQueueAttributesRequest.AttributeNames":             "AttributeName",
			"GetQueueAttributesResult.Attributes":                  "Attribute",
			"ListDeadLetterSourceQueuesResult.queueUrls":           "QueueUrl",
			"ListMessageMoveTasksResult.Results":                   "ListMessageMoveTasksResultEntry",
			"ListQueueTagsResult.Tags":                             "Tag",
			"ListQueuesResult.QueueUrls":                           "QueueUrl",
			"Message.Attributes":                                   "Attribute",
			"Message.MessageAttributes":                            "MessageAttribute",
			"MessageAttributeValue.StringListValues":               "StringListValue",
			"MessageAttributeValue.BinaryListValues":               "BinaryListValue",
			"MessageSystemAttributeValue.StringListValues":         "StringListValue",
			"MessageSystemAttributeValue.BinaryListValues":         "BinaryListValue",
			"ReceiveMessageRequest.AttributeNames":                 "AttributeName",
			"ReceiveMessageRequest.MessageAttributeNames":          "MessageAttributeName",
			"ReceiveMessageRequest.MessageSystemAttributeNames":    "MessageSystemAttributeName",
			"ReceiveMessageResult.Messages":                        "Message",
			"SendMessageBatchRequest.Entries":                      "SendMessageBatchRequestEntry",
			"SendMessageBatchRequestEntry.MessageAttributes":       "MessageAttribute",
			"SendMessageBatchRequestEntry.MessageSystemAttributes": "MessageSystemAttribute",
			"SendMessageBatchResult.Successful":                    "SendMessageBatchResultEntry",
			"SendMessageBatchResult.Failed":                        "BatchResultErrorEntry",
			"SendMessageRequest.MessageAttributes":                 "MessageAttribute",
			"SendMessageRequest.MessageSystemAttributes":           "MessageSystemAttribute",
			"SetQueueAttributesRequest.Attributes":                 "Attribute",
			"UntagQueueRequest.TagKeys":                            "TagKey",
		},
		MapNames: map[string][2]string{
			"MessageBodyAttributeMap":       {"Name", "Value"},
			"MessageBodySystemAttributeMap": {"Name", "Value"},
			"MessageSystemAttributeMap":     {"Name", "Value"},
			"QueueAttributeMap":             {"Name", "Value"},
			"TagMap":                        {"Key", "Value"},
		},
		Errors: map[string]queryError{
			"BatchEntryIdsNotDistinct":     {"AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400},
			"BatchRequestTooLong":          {"AWS.SimpleQueueService.BatchRequestTooLong", 400},
			"EmptyBatchRequest":            {"AWS.SimpleQueueService.EmptyBatchRequest", 400},
			"InvalidAddress":               {"InvalidAddress", 404},
			"InvalidBatchEntryId":          {"AWS.SimpleQueueService.InvalidBatchEntryId", 400},
			"InvalidSecurity":              {"InvalidSecurity", 403},
			"KmsAccessDenied":              {"KMS.AccessDeniedException", 400},
			"KmsDisabled":                  {"KMS.DisabledException", 400},
			"KmsInvalidKeyUsage":           {"KMS.InvalidKeyUsageException", 400},
			"KmsInvalidState":              {"KMS.InvalidStateException", 400},
			"KmsNotFound":                  {"KMS.NotFoundException", 400},
			"KmsOptInRequired":             {"KMS.OptInRequired", 403},
			"KmsThrottled":                 {"KMS.ThrottlingException", 400},
			"MessageNotInflight":           {"AWS.SimpleQueueService.MessageNotInflight", 400},
			"OverLimit":                    {"OverLimit", 403},
			"PurgeQueueInProgress":         {"AWS.SimpleQueueService.PurgeQueueInProgress", 403},
			"QueueDeletedRecently":         {"AWS.SimpleQueueService.QueueDeletedRecently", 400},
			"QueueDoesNotExist":            {"AWS.SimpleQueueService.NonExistentQueue", 400},
			"QueueNameExists":              {"QueueAlreadyExists", 400},
			"ReceiptHandleIsInvalid":       {"ReceiptHandleIsInvalid", 404},
			"RequestThrottled":             {"RequestThrottled", 403},
			"ResourceNotFoundException":    {"ResourceNotFoundException", 404},
			"TooManyEntriesInBatchRequest": {"AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400},
			"UnsupportedOperation":         {"AWS.SimpleQueueService.UnsupportedOperation", 400},
		},
	},
}

// applyQueryCompat patches m with its service's queryCompatPatches.
func applyQueryCompat(name string, m *Model) {
	p, ok := queryCompatPatches[name]
	if !ok {
		return
	}
	md := &m.Metadata
	if len(md.Protocols) == 0 {
		md.Protocols = []string{md.Protocol}
	}
	if !contains(md.Protocols, "query") {
		md.Protocols = append(md.Protocols, "query")
	}
	md.XMLNamespace = p.XMLNamespace
	for opName, op := range m.Operations {
		if op.Output != nil && op.Output.ResultWrapper == "" {
			op.Output.ResultWrapper = opName + "Result"
		}
	}
	for key, qname := range p.Names {
		shape, member, _ := strings.Cut(key, ".")
		s := m.Shapes[shape]
		if s == nil || s.Members[member] == nil {
			log.Fatalf("apigen: query patch names a missing member %s", key)
		}
		s.Members[member].QueryWire = qname
	}
	for shape, kv := range p.MapNames {
		s := m.Shapes[shape]
		if s == nil || s.Type != "map" {
			log.Fatalf("apigen: query patch names a missing map %s", shape)
		}
		s.Key.LocationName, s.Value.LocationName = kv[0], kv[1]
	}
	for shape, e := range p.Errors {
		s := m.Shapes[shape]
		if s == nil || !s.Exception {
			log.Fatalf("apigen: query patch names a missing error %s", shape)
		}
		if s.Error == nil {
			s.Error = &struct {
				Code           string `json:"code"`
				HTTPStatusCode int    `json:"httpStatusCode"`
				SenderFault    bool   `json:"senderFault"`
			}{}
		}
		s.Error.Code, s.Error.HTTPStatusCode, s.Error.SenderFault = e.Code, e.Status, true
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
