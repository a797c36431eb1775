package e2e

import (
	"testing"

	"github.com/nimbus-cloud/nimbus"
)

// boto3Cases runs each named case of a testdata script as its own subtest,
// each against its own cloud, so a failure names the case.
func boto3Cases(t *testing.T, script string, cases ...string) {
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			cloud := nimbus.Start(t)
			boto3(t, cloud, script, c)
		})
	}
}

func TestS3Boto3Client(t *testing.T) {
	boto3Cases(t, "s3_client.py", "buckets", "objects", "listing", "transfer", "multipart_errors", "versioning",
		"copy", "delete_objects", "tagging", "conditional", "checksums", "bucket_configs", "errors")
}
