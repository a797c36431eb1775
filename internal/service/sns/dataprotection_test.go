package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

const (
	idEmail = managedIdentifierPrefix + "EmailAddress"
	idCard  = managedIdentifierPrefix + "CreditCardNumber"
)

// dpPolicy builds a policy document around statements (JSON objects).
func dpPolicy(statements ...string) string {
	return `{"Name":"p","Version":"2021-06-01","Statement":[` + strings.Join(statements, ",") + `]}`
}

func dpStatement(direction, principal, identifier, operation string) string {
	return `{"DataDirection":"` + direction + `","Principal":["` + principal + `"],"DataIdentifier":["` + identifier + `"],"Operation":` + operation + `}`
}

func TestParseDataPolicy(t *testing.T) {
	deny := dpStatement("Inbound", "*", idEmail, `{"Deny":{}}`)
	custom := `{"Name":"p","Version":"2021-06-01","Configuration":{"CustomDataIdentifier":[{"Name":"EmployeeId","Regex":"EID-\\d{9}-US"}]},` +
		`"Statement":[` + dpStatement("Inbound", "*", "EmployeeId", `{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"#"}}}`) + `]}`
	tests := []struct {
		name, doc string
		reason    string // "" when valid; else a part of the message
	}{
		{"deny", dpPolicy(deny), ""},
		{"documented example", `{"Name":"__example_data_protection_policy","Description":"Example data protection policy","Version":"2021-06-01","Statement":[{"Sid":"s","DataDirection":"Inbound","Principal":["arn:aws:iam::123456789012:user/ExampleUser"],"DataIdentifier":["` + idCard + `"],"Operation":{"Deidentify":{"RedactConfig":{}}}}]}`, ""},
		{"custom identifier", custom, ""},
		{"audit with destinations", dpPolicy(dpStatement("Inbound", "*", idCard, `{"Audit":{"SampleRate":"99","FindingsDestination":{"CloudWatchLogs":{"LogGroup":"/aws/vendedlogs/x"},"Firehose":{"DeliveryStream":"s"},"S3":{"Bucket":"b"}}}}`)), ""},
		{"audit numeric rate", dpPolicy(dpStatement("Inbound", "*", idCard, `{"Audit":{"SampleRate":10}}`)), ""},
		{"outbound deny", dpPolicy(dpStatement("Outbound", "123456789012", idCard, `{"Deny":{}}`)), ""},
		{"undetected identifier accepted", dpPolicy(dpStatement("Inbound", "*", managedIdentifierPrefix+"Name", `{"Deny":{}}`)), ""},
		{"mask default character", dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Deidentify":{"MaskConfig":{}}}`)), ""},

		{"not json", `{"Name":`, "not valid JSON"},
		{"not an object", `[]`, "must be a JSON object"},
		{"no name", `{"Version":"2021-06-01","Statement":[` + deny + `]}`, "required field Name"},
		{"bad version", `{"Name":"p","Version":"2012-10-17","Statement":[` + deny + `]}`, "Unsupported policy Version"},
		{"no statement", `{"Name":"p","Version":"2021-06-01"}`, "required field Statement"},
		{"empty statements", dpPolicy(), "non-empty list"},
		{"unknown field", `{"Name":"p","Version":"2021-06-01","Effect":"Allow","Statement":[` + deny + `]}`, "Unsupported field Effect"},
		{"bad direction", dpPolicy(dpStatement("Sideways", "*", idEmail, `{"Deny":{}}`)), "DataDirection"},
		{"bad principal", dpPolicy(dpStatement("Inbound", "someone", idEmail, `{"Deny":{}}`)), "Principal"},
		{"unknown managed identifier", dpPolicy(dpStatement("Inbound", "*", managedIdentifierPrefix+"ShoeSize", `{"Deny":{}}`)), "not a managed data identifier"},
		{"undefined custom identifier", dpPolicy(dpStatement("Inbound", "*", "EmployeeId", `{"Deny":{}}`)), "neither a managed"},
		{"unknown operation", dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Block":{}}`)), "Unsupported field Block"},
		{"two operations", dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Deny":{},"Audit":{}}`)), "exactly one of Audit"},
		{"no operation", dpPolicy(`{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["` + idEmail + `"]}`), "required field Operation"},
		{"deny with config", dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Deny":{"x":1}}`)), "Unsupported field x"},
		{"outbound deidentify", dpPolicy(dpStatement("Outbound", "*", idEmail, `{"Deidentify":{"RedactConfig":{}}}`)), "Inbound data only"},
		{"outbound audit", dpPolicy(dpStatement("Outbound", "*", idEmail, `{"Audit":{}}`)), "Inbound data only"},
		{"mask and redact", dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Deidentify":{"MaskConfig":{},"RedactConfig":{}}}`)), "exactly one of MaskConfig"},
		{"long mask", dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"##"}}}`)), "MaskWithCharacter"},
		{"two audits", dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Audit":{}}`), dpStatement("Inbound", "*", idCard, `{"Audit":{}}`)), "only one Audit"},
		{"sample rate 100", dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Audit":{"SampleRate":"100"}}`)), "SampleRate"},
		{"log group prefix", dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Audit":{"FindingsDestination":{"CloudWatchLogs":{"LogGroup":"/mine"}}}}`)), "/aws/vendedlogs/"},
		{"identifiers not a list", dpPolicy(`{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":7,"Operation":{"Deny":{}}}`), "list of strings"},
		{"custom name clashes", strings.Replace(custom, `"Name":"EmployeeId"`, `"Name":"EmailAddress"`, 1), "name of a managed"},
		{"custom regex character", strings.Replace(custom, `EID-\\d{9}-US`, `(EID)`, 1), "unsupported character"},
		{"custom regex invalid", strings.Replace(custom, `EID-\\d{9}-US`, `EID[`, 1), "not a valid regular expression"},
		{"custom name character", strings.Replace(custom, `"Name":"EmployeeId"`, `"Name":"Employee Id"`, 1), "letters, digits"},
		{"too long", dpPolicy(deny) + strings.Repeat(" ", maxDataPolicyLength), "longer than"},
	}
	for _, tt := range tests {
		_, err := parseDataPolicy(tt.doc)
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.reason != "" && err == nil:
			t.Errorf("%s: accepted", tt.name)
		case tt.reason != "":
			wantError(t, tt.name, err, "InvalidParameter", "")
			if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), "Invalid parameter: DataProtectionPolicy Reason: ") {
				t.Errorf("%s: %v; want a reason with %q", tt.name, err, tt.reason)
			}
		}
	}
}

func TestDeidentified(t *testing.T) {
	mask := &dataStatement{identifiers: []string{"Ssn-US"}, detectors: []detector{detectors["Ssn-US"]}, mask: "#"}
	redact := &dataStatement{identifiers: []string{"EmailAddress"}, detectors: []detector{detectors["EmailAddress"]}}
	tests := []struct {
		text  string
		with  []*dataStatement
		want  string
		whole bool // the text is nothing but sensitive data
	}{
		{"ssn: 123-45-6789", []*dataStatement{mask}, "ssn: ###########", false},
		{"mail a@example.com or ssn 123-45-6789.", []*dataStatement{mask, redact}, "mail  or ssn ###########.", false},
		{"nothing here", []*dataStatement{mask, redact}, "nothing here", false},
		{" a@example.com\n", []*dataStatement{redact}, "", true},
		{"é ssn 123-45-6789", []*dataStatement{mask}, "é ssn ###########", false},
	}
	for _, tt := range tests {
		got, ok := deidentified(tt.text, tt.with)
		if got != tt.want || ok == tt.whole {
			t.Errorf("deidentified(%q) = %q, %v; want %q, %v", tt.text, got, ok, tt.want, !tt.whole)
		}
	}
}

func FuzzParseDataPolicy(f *testing.F) {
	f.Add(dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Deny":{}}`)))
	f.Add(`{"Name":"p","Version":"2021-06-01","Configuration":{"CustomDataIdentifier":[{"Name":"E","Regex":"E-\\d+"}]},"Statement":[` +
		dpStatement("Inbound", "*", "E", `{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"#"}}}`) + `]}`)
	f.Add(dpPolicy(dpStatement("Inbound", "*", idCard, `{"Audit":{"SampleRate":"5","NoFindingsDestination":{"S3":{"Bucket":"b"}}}}`)))
	f.Add(`{"Statement":null}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := parseDataPolicy(doc)
		if err != nil {
			wantError(t, "parse", err, "InvalidParameter", "")
			return
		}
		if !json.Valid([]byte(doc)) || len(p.statements) == 0 {
			t.Fatalf("accepted %q", doc)
		}
		// A compiled policy scans and de-identifies any text.
		for _, st := range p.statements {
			st.find(doc)
		}
		deidentified(doc, p.statements)
	})
}

func TestDataProtectionPolicyAPI(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("dp", nil)
	get := func() string {
		t.Helper()
		out, err := f.svc.GetDataProtectionPolicy(f.ctx, &snsapi.GetDataProtectionPolicyInput{ResourceArn: &topic})
		if err != nil {
			t.Fatal(err)
		}
		return deref(out.DataProtectionPolicy)
	}
	if p := get(); p != "" {
		t.Errorf("policy of a new topic: %q", p)
	}
	doc := dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Deny":{}}`))
	if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &doc}); err != nil {
		t.Fatal(err)
	}
	if p := get(); p != doc {
		t.Errorf("policy %q", p)
	}
	attrs, err := f.svc.GetTopicAttributes(f.ctx, &snsapi.GetTopicAttributesInput{TopicArn: &topic})
	if err != nil || attrs.Attributes["DataProtectionPolicy"] != doc {
		t.Errorf("attributes %v %v", attrs, err)
	}
	bad := `{"Name":"p"}`
	_, err = f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &bad})
	wantError(t, "Put a bad policy", err, "InvalidParameter", "")
	_, err = f.svc.SetTopicAttributes(f.ctx, &snsapi.SetTopicAttributesInput{TopicArn: &topic, AttributeName: ptr("DataProtectionPolicy"), AttributeValue: &bad})
	wantError(t, "SetTopicAttributes with a bad policy", err, "InvalidParameter", "")
	if p := get(); p != doc {
		t.Errorf("a refused policy replaced the policy: %q", p)
	}
	if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: ptr("")}); err != nil {
		t.Fatal(err)
	}
	if p := get(); p != "" {
		t.Errorf("policy after removing it: %q", p)
	}
	attrs, _ = f.svc.GetTopicAttributes(f.ctx, &snsapi.GetTopicAttributesInput{TopicArn: &topic})
	if _, ok := attrs.Attributes["DataProtectionPolicy"]; ok {
		t.Errorf("attributes after removing the policy: %v", attrs.Attributes)
	}

	// CreateTopic takes the policy as a parameter or an attribute.
	withParam, err := f.svc.CreateTopic(f.ctx, &snsapi.CreateTopicInput{Name: ptr("dp2"), DataProtectionPolicy: &doc})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := f.svc.GetDataProtectionPolicy(f.ctx, &snsapi.GetDataProtectionPolicyInput{ResourceArn: withParam.TopicArn})
	if deref(out.DataProtectionPolicy) != doc {
		t.Errorf("CreateTopic's policy: %q", deref(out.DataProtectionPolicy))
	}
	_, err = f.svc.CreateTopic(f.ctx, &snsapi.CreateTopicInput{Name: ptr("dp3"), DataProtectionPolicy: &bad})
	wantError(t, "CreateTopic with a bad policy", err, "InvalidParameter", "")
	_, err = f.svc.CreateTopic(f.ctx, &snsapi.CreateTopicInput{Name: ptr("dp3"), Attributes: map[string]string{"DataProtectionPolicy": bad}})
	wantError(t, "CreateTopic with a bad policy attribute", err, "InvalidParameter", "")

	// The policy goes with its topic.
	if _, err := f.svc.DeleteTopic(f.ctx, &snsapi.DeleteTopicInput{TopicArn: withParam.TopicArn}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetDataProtectionPolicy(f.ctx, &snsapi.GetDataProtectionPolicyInput{ResourceArn: withParam.TopicArn})
	wantError(t, "Get of a deleted topic", err, "NotFound", "Topic does not exist")
	_, err = f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: withParam.TopicArn, DataProtectionPolicy: &doc})
	wantError(t, "Put on a deleted topic", err, "NotFound", "Topic does not exist")
	_, err = f.svc.GetDataProtectionPolicy(f.ctx, &snsapi.GetDataProtectionPolicyInput{ResourceArn: ptr("arn:aws:sqs:us-east-1:000000000000:q")})
	wantError(t, "Get with a bad ARN", err, "InvalidParameter", "Invalid parameter: ResourceArn")
}

func TestDataProtectionPublish(t *testing.T) {
	f := newFixture(t)
	put := func(topic, doc string) {
		t.Helper()
		if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &doc}); err != nil {
			t.Fatal(err)
		}
	}
	topic := f.createTopic("protected", nil)
	f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	put(topic, dpPolicy(
		dpStatement("Inbound", "*", idCard, `{"Deny":{}}`),
		dpStatement("Inbound", "*", idEmail, `{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"#"}}}`),
		dpStatement("Inbound", "*", managedIdentifierPrefix+"Ssn-US", `{"Deidentify":{"RedactConfig":{}}}`),
		dpStatement("Inbound", "*", idCard, `{"Audit":{"SampleRate":"99"}}`),
	))

	_, err := f.svc.Publish(f.ctx, &snsapi.PublishInput{TopicArn: &topic, Message: ptr("My credit card number is 4539894458086459")})
	wantError(t, "Publish of a card number", err, "AuthorizationError", "")

	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("reply to ann@example.com, ssn 123-45-6789")})
	if got := string(f.received(1)[0].Body); got != "reply to ###############, ssn " {
		t.Errorf("delivered %q", got)
	}
	_, err = f.svc.Publish(f.ctx, &snsapi.PublishInput{TopicArn: &topic, Message: ptr("ann@example.com")})
	wantError(t, "Publish of nothing but sensitive data", err, "AuthorizationError", "")

	// MessageStructure=json: each protocol's message is protected.
	f.publish(&snsapi.PublishInput{TopicArn: &topic, MessageStructure: ptr("json"),
		Message: ptr(`{"default":"d","sqs":"sqs for bob@example.org"}`)})
	if got := string(f.received(1)[0].Body); got != "sqs for ###############" {
		t.Errorf("delivered %q", got)
	}

	// PublishBatch fails the denied entries only.
	out, err := f.svc.PublishBatch(f.ctx, &snsapi.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snsapi.PublishBatchRequestEntry{
		{Id: ptr("a"), Message: ptr("fine")},
		{Id: ptr("b"), Message: ptr("card 4539894458086459")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 1 || len(out.Failed) != 1 || *out.Failed[0].Id != "b" || *out.Failed[0].Code != "AuthorizationError" || !*out.Failed[0].SenderFault {
		t.Errorf("PublishBatch: %+v", out)
	}
	if got := string(f.received(1)[0].Body); got != "fine" {
		t.Errorf("delivered %q", got)
	}
	f.drained()
}

func TestDataProtectionPrincipals(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("principals", nil)
	f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	doc := dpPolicy(dpStatement("Inbound", "arn:aws:iam::111122223333:user/Other", idEmail, `{"Deny":{}}`))
	if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &doc}); err != nil {
		t.Fatal(err)
	}
	// The statement covers another account's principal, not ours.
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("a@example.com")})
	f.received(1)
	doc = dpPolicy(dpStatement("Inbound", "arn:aws:iam::"+testAccount+":user/Publisher", idEmail, `{"Deny":{}}`))
	if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &doc}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Publish(f.ctx, &snsapi.PublishInput{TopicArn: &topic, Message: ptr("a@example.com")})
	wantError(t, "Publish by the covered account", err, "AuthorizationError", "")
	f.drained()
}

func TestDataProtectionOutboundDeny(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("outbound", nil)
	f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	doc := dpPolicy(dpStatement("Outbound", "arn:aws:iam::"+testAccount+":root", idCard, `{"Deny":{}}`))
	if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &doc}); err != nil {
		t.Fatal(err)
	}
	// The publish succeeds; the subscriber's principal does not get it.
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("card 4539894458086459")})
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("no card")})
	if got := string(f.received(1)[0].Body); got != "no card" {
		t.Errorf("delivered %q", got)
	}
	f.drained()
}

// A policy set between the check before the transaction and the
// transaction is the one applied.
func TestDataProtectionPolicyChangedBeforeTransaction(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("changing", nil)
	f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	pub, _, err := f.svc.prepare(publishParams{message: ptr("to a@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if errs := f.svc.protectBeforePublish(f.ctx, topic, []*publication{pub}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	doc := dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Deidentify":{"MaskConfig":{}}}`))
	if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &doc}); err != nil {
		t.Fatal(err)
	}
	err = f.svc.publishTx(f.ctx, func(ctx context.Context, tx storage.Tx, inline bool) error {
		fo, err := f.svc.fanoutIn(tx, topic)
		if err != nil {
			return err
		}
		return f.svc.publishIn(ctx, tx, fo, pub, testEndpoint, inline)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(f.received(1)[0].Body); got != "to *************" {
		t.Errorf("delivered %q", got)
	}
}

// Audit statements log their findings in the shape of SNS's audit log;
// a sample rate of 0 logs nothing.
func TestDataProtectionAudit(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	f := newFixture(t, func(d *Deps) {
		d.Log = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logged}, nil))
	})
	topic := f.createTopic("audited", nil)
	doc := dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Audit":{"SampleRate":"99","FindingsDestination":{"S3":{"Bucket":"findings"}}}}`))
	if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &doc}); err != nil {
		t.Fatal(err)
	}
	// Message ids decide the sample: publish until one is in it.
	for range 20 {
		f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("to a@example.com and b@example.com")})
	}
	mu.Lock()
	out := logged.String()
	mu.Unlock()
	want := `"resourceArn":"` + topic + `","findings":true,"dataIdentifiers":[{"name":"EmailAddress","count":2,"detections":[{"start":3,"end":16},{"start":21,"end":34}]}]`
	if !strings.Contains(out, want) || !strings.Contains(out, `"callerPrincipal":"arn:aws:iam::`+testAccount+`:root"`) {
		t.Errorf("audit log %s; want %s", out, want)
	}

	doc = dpPolicy(dpStatement("Inbound", "*", idEmail, `{"Audit":{"SampleRate":"0"}}`))
	if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &doc}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	logged.Reset()
	mu.Unlock()
	for range 20 {
		f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("to a@example.com")})
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logged.String(), "data protection audit") {
		t.Errorf("audited at a sample rate of 0: %s", logged.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Producers publishing through the Bus (S3 event notifications) are no
// account's principal: only "*" statements cover them, and a denied
// message is dropped for good.
func TestDataProtectionTopicSink(t *testing.T) {
	f := newFixture(t)
	topic := f.createTopic("events", nil)
	f.subscribe(topic, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	doc := dpPolicy(
		dpStatement("Inbound", "*", idEmail, `{"Deidentify":{"RedactConfig":{}}}`),
		dpStatement("Inbound", "*", idCard, `{"Deny":{}}`),
		dpStatement("Inbound", testAccount, managedIdentifierPrefix+"IpAddress", `{"Deny":{}}`),
	)
	if _, err := f.svc.PutDataProtectionPolicy(f.ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &topic, DataProtectionPolicy: &doc}); err != nil {
		t.Fatal(err)
	}
	sink := &topicSink{s: f.svc}
	deliver := func(body string) error {
		var err error
		f.db.Update(f.ctx, func(tx storage.Tx) error {
			err = sink.Deliver(f.ctx, tx, &events.Delivery{Kind: events.KindSNS, Target: topic, Body: []byte(body)})
			return nil
		})
		return err
	}
	if err := deliver("from 10.0.0.1 by a@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := string(f.received(1)[0].Body); got != "from 10.0.0.1 by " {
		t.Errorf("delivered %q", got)
	}
	var perm events.Permanent
	if err := deliver("card 4539894458086459"); !errors.As(err, &perm) {
		t.Errorf("denied delivery: %v; want a permanent failure", err)
	}
	f.drained()
}
