package e2e

import "testing"

func TestSQSBoto3Client(t *testing.T) {
	boto3Cases(t, "sqs_client.py", "queues", "messages", "long_poll", "fifo", "dead_letters")
}
