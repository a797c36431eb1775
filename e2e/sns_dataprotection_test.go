package e2e

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/nimbus-cloud/nimbus"
)

// A data protection policy set through the SDK: an Inbound Deidentify
// statement masks what an SQS subscriber gets, an Inbound Deny refuses
// the publish, an Outbound Deny keeps a message from a subscription.
func TestSNSDataProtectionSDK(t *testing.T) {
	cloud := nimbus.Start(t)
	c, q := snsClient(cloud), sqsClient(cloud)
	topic := createTopic(t, c, "payments", nil)
	url := createQueue(t, q, "payments-audit", nil)
	subscribeQueue(t, c, topic, queueArn(t, q, url), nil)

	got, err := c.GetDataProtectionPolicy(ctx(t), &sns.GetDataProtectionPolicyInput{ResourceArn: &topic})
	if err != nil || aws.ToString(got.DataProtectionPolicy) != "" {
		t.Fatalf("policy of a new topic: %+v %v", got, err)
	}
	policy := `{
	  "Name": "basicPII-protection",
	  "Description": "Protect basic types of sensitive data",
	  "Version": "2021-06-01",
	  "Configuration": {"CustomDataIdentifier": [{"Name": "EmployeeId", "Regex": "EID-\\d{9}-US"}]},
	  "Statement": [
	    {"Sid": "deny-cards", "DataDirection": "Inbound", "Principal": ["*"],
	     "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"],
	     "Operation": {"Deny": {}}},
	    {"Sid": "mask", "DataDirection": "Inbound", "Principal": ["*"],
	     "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress", "EmployeeId"],
	     "Operation": {"Deidentify": {"MaskConfig": {"MaskWithCharacter": "#"}}}},
	    {"Sid": "redact", "DataDirection": "Inbound", "Principal": ["*"],
	     "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/Ssn-US"],
	     "Operation": {"Deidentify": {"RedactConfig": {}}}},
	    {"Sid": "audit", "DataDirection": "Inbound", "Principal": ["*"],
	     "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
	     "Operation": {"Audit": {"SampleRate": "99", "FindingsDestination": {"CloudWatchLogs": {"LogGroup": "/aws/vendedlogs/dp"}}}}}
	  ]
	}`
	if _, err := c.PutDataProtectionPolicy(ctx(t), &sns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &policy}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetDataProtectionPolicy(ctx(t), &sns.GetDataProtectionPolicyInput{ResourceArn: &topic})
	if err != nil || aws.ToString(got.DataProtectionPolicy) != policy {
		t.Fatalf("GetDataProtectionPolicy: %+v %v", got, err)
	}

	if _, err := c.Publish(ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("Write to jane@example.com about EID-123456789-US, ssn: 123-45-6789")}); err != nil {
		t.Fatal(err)
	}
	m := receiveAll(t, q, url, 1)[0]
	var n notification
	if err := json.Unmarshal([]byte(*m.Body), &n); err != nil {
		t.Fatalf("not an envelope: %s", *m.Body)
	}
	if want := "Write to ################ about ################, ssn: "; n.Message != want {
		t.Errorf("delivered %q; want %q", n.Message, want)
	}
	verifySNSSignature(t, envelopeFields(t, *m.Body), "Message", "MessageId", "Timestamp", "TopicArn", "Type")

	_, err = c.Publish(ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("My credit card number is 4539894458086459")})
	wantSNSError(t, "Publish of a card number", err, "AuthorizationError", "")
	batch, err := c.PublishBatch(ctx(t), &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("ok"), Message: aws.String("nothing to hide")},
		{Id: aws.String("card"), Message: aws.String("card 4539 8944 5808 6459")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Successful) != 1 || len(batch.Failed) != 1 || aws.ToString(batch.Failed[0].Code) != "AuthorizationError" {
		t.Errorf("PublishBatch: %+v", batch)
	}
	receiveAll(t, q, url, 1)

	// Bad policies are InvalidParameter and leave the policy as it was.
	for _, bad := range []string{
		`{"Name":`,
		`{"Name":"p","Version":"2021-06-01","Statement":[{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/ShoeSize"],"Operation":{"Deny":{}}}]}`,
		`{"Name":"p","Version":"2021-06-01","Statement":[{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Block":{}}}]}`,
	} {
		_, err := c.PutDataProtectionPolicy(ctx(t), &sns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: aws.String(bad)})
		wantSNSError(t, "PutDataProtectionPolicy "+bad, err, "InvalidParameter", "")
	}

	// Outbound: the subscription's principal (this account) may not get
	// e-mail addresses; the publish itself succeeds.
	outbound := `{"Name":"out","Version":"2021-06-01","Statement":[{"DataDirection":"Outbound","Principal":["arn:aws:iam::000000000000:root"],` +
		`"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deny":{}}}]}`
	if _, err := c.SetTopicAttributes(ctx(t), &sns.SetTopicAttributesInput{TopicArn: &topic, AttributeName: aws.String("DataProtectionPolicy"), AttributeValue: &outbound}); err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"to jane@example.com", "to nobody"} {
		if _, err := c.Publish(ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String(msg)}); err != nil {
			t.Fatal(err)
		}
	}
	m = receiveAll(t, q, url, 1)[0]
	if err := json.Unmarshal([]byte(*m.Body), &n); err != nil || n.Message != "to nobody" {
		t.Errorf("delivered %s", *m.Body)
	}

	// Removing the policy: an empty document.
	if _, err := c.PutDataProtectionPolicy(ctx(t), &sns.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	attrs, err := c.GetTopicAttributes(ctx(t), &sns.GetTopicAttributesInput{TopicArn: &topic})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := attrs.Attributes["DataProtectionPolicy"]; ok {
		t.Errorf("attributes after removing the policy: %v", attrs.Attributes)
	}
}

// envelopeFields reads an SQS-delivered notification as strings, for
// verifySNSSignature.
func envelopeFields(t *testing.T, body string) map[string]string {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
