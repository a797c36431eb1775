package e2e

import "testing"

func TestSNSBoto3Client(t *testing.T) {
	boto3Cases(t, "sns_client.py", "topics", "fanout", "http_subscriber", "fifo", "dead_letters", "s3_events")
}
