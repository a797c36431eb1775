package main

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
