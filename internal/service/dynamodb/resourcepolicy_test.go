package dynamodb

import (
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
)

const policyTableARN = "arn:aws:dynamodb:us-east-1:000000000000:table/orders"

// readPolicy is a policy in the form GetResourcePolicy answers with.
const readPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetItem","Resource":"` + policyTableARN + `"}]}`

func putPolicy(s *Service, arn, doc string, expected *string) (string, error) {
	out, err := s.PutResourcePolicy(bg, &dynamodbapi.PutResourcePolicyInput{ResourceArn: ptr(arn), Policy: ptr(doc), ExpectedRevisionId: expected})
	if err != nil {
		return "", err
	}
	return deref(out.RevisionId), nil
}

func TestParsePolicy(t *testing.T) {
	cases := []struct {
		name, doc string
		confirm   bool
		want      string // read-back form; empty when an error is expected
		code, msg string
	}{
		{name: "canonical stays", doc: readPolicy, want: readPolicy},
		{name: "pretty, reordered, lists and account id", doc: `{
			"Statement": {"Resource": ["` + policyTableARN + `"], "Action": ["dynamodb:GetItem"],
				"Principal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:root"]}, "Effect": "allow", "Sid": "Read"},
			"Version": "2012-10-17"}`, want: readPolicy},
		{name: "no version reads back with the default", doc: `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"*"}]}`,
			want: `{"Version":"2008-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"*"}]}`},
		{name: "conditions kept, html not escaped", doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a<b>&c"}}}]}`,
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a<b>&c"}}}]}`},
		{name: "lockout confirmed", doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"dynamodb:*","Resource":"*"}]}`, confirm: true,
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"dynamodb:*","Resource":"*"}]}`},
		{name: "malformed", doc: `{"Version":`, code: "ValidationException", msg: "One or more parameter values were invalid: Invalid policy document: This policy contains invalid Json"},
		{name: "empty", doc: ``, code: "ValidationException", msg: "This policy contains invalid Json"},
		{name: "not an object", doc: `[1]`, code: "ValidationException", msg: "This policy contains invalid Json"},
		{name: "trailing data", doc: `{} {}`, code: "ValidationException", msg: "This policy contains invalid Json"},
		{name: "too big", doc: `{"Version":"2012-10-17"` + strings.Repeat(" ", maxPolicySize) + `}`, code: "ValidationException", msg: "One or more parameter values were invalid: Maximum policy size of 20480 bytes exceeded"},
		{name: "no statements", doc: `{"Version":"2012-10-17","Statement":[]}`, code: "ValidationException", msg: "Invalid policy document: Could not parse the policy: Statement is empty!"},
		{name: "no resource", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"dynamodb:GetItem"}]}`, code: "ValidationException", msg: "Invalid policy document: Missing required field Resource"},
		{name: "duplicate sids", doc: `{"Statement":[{"Sid":"a","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"dynamodb:GetItem","Resource":"*"},{"Sid":"a","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"dynamodb:Query","Resource":"*"}]}`,
			code: "ValidationException", msg: "Invalid policy document: The Statement Ids in the policy are not unique"},
		{name: "allow everyone", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"dynamodb:GetItem","Resource":"*"}]}`,
			code: "ValidationException", msg: "Resource-based policy grants unbounded access in one or more elements. Please revise the policy to ensure least-privilege form of access"},
		{name: "lockout", doc: `{"Statement":[{"Effect":"Deny","Principal":"*","Action":["dynamodb:PutResourcePolicy","dynamodb:DeleteResourcePolicy"],"Resource":"*"}]}`,
			code: "AccessDeniedException", msg: "The new resource policy will not allow you to update the resource policy in the future."},
		{name: "lockout by wildcard", doc: `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"dynamodb:Put*","Resource":"*"}]}`,
			code: "AccessDeniedException", msg: "will not allow you to update"},
	}
	for _, c := range cases {
		doc, err := parsePolicy(c.doc, c.confirm)
		if c.code != "" {
			wantErr(t, err, c.code, c.msg)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if doc.readBack != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, doc.readBack, c.want)
		}
	}
}

func TestResourcePolicyARNs(t *testing.T) {
	s := newTestService(t)
	in := onDemand("orders", ks("pk"), defs("pk", "S"))
	in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr("KEYS_ONLY")}
	streamARN := deref(mustCreate(t, s, in).LatestStreamArn)

	cases := []struct{ name, arn, code, msg string }{
		{"bare name", "orders", "ValidationException", "One or more parameter values were invalid: ARNs must start with 'arn:': orders"},
		{"missing table", "arn:aws:dynamodb:us-east-1:000000000000:table/nope", "ResourceNotFoundException", "Requested resource not found: Table: nope not found"},
		{"other account", "arn:aws:dynamodb:us-east-1:111122223333:table/orders", "ValidationException", "This action is only supported by accounts that match the resource owner’s account."},
		{"other region", "arn:aws:dynamodb:eu-west-1:000000000000:table/orders", "ValidationException", "One or more parameter values were invalid: Invalid resource Arn: arn:aws:dynamodb:eu-west-1:000000000000:table/orders"},
		{"other partition", "arn:aws-cn:dynamodb:us-east-1:000000000000:table/orders", "ValidationException", "Invalid resource Arn: arn:aws-cn:"},
		{"index", policyTableARN + "/index/byG", "ValidationException", "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: " + policyTableARN + "/index/byG"},
		{"backup", policyTableARN + "/backup/01700000000000-abcdefgh", "ValidationException", "Provided Arn is not a DynamoDB resource arn: "},
		{"other service", "arn:aws:sqs:us-east-1:000000000000:orders", "ValidationException", "Provided Arn is not a DynamoDB resource arn: "},
		{"unknown stream", policyTableARN + "/stream/2000-01-01T00:00:00.000", "ResourceNotFoundException", "Requested resource not found: Stream: 2000-01-01T00:00:00.000 not found for Table: orders"},
	}
	for _, c := range cases {
		_, err := s.GetResourcePolicy(bg, &dynamodbapi.GetResourcePolicyInput{ResourceArn: ptr(c.arn)})
		wantErr(t, err, c.code, c.msg)
		_, err = putPolicy(s, c.arn, readPolicy, nil)
		wantErr(t, err, c.code, c.msg)
		_, err = s.DeleteResourcePolicy(bg, &dynamodbapi.DeleteResourcePolicyInput{ResourceArn: ptr(c.arn)})
		wantErr(t, err, c.code, c.msg)
	}

	// The table and its stream have policies of their own.
	_, err := s.GetResourcePolicy(bg, &dynamodbapi.GetResourcePolicyInput{ResourceArn: ptr(streamARN)})
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "+streamARN)
	streamPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetRecords","Resource":"` + streamARN + `"}]}`
	if _, err := putPolicy(s, streamARN, streamPolicy, nil); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetResourcePolicy(bg, &dynamodbapi.GetResourcePolicyInput{ResourceArn: ptr(policyTableARN)})
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "+policyTableARN)
	got, err := s.GetResourcePolicy(bg, &dynamodbapi.GetResourcePolicyInput{ResourceArn: ptr(streamARN)})
	if err != nil || deref(got.Policy) != streamPolicy {
		t.Fatalf("stream policy: %v %v", got, err)
	}
}

func TestResourcePolicyRevisions(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("orders", ks("pk"), defs("pk", "S")))
	get := func() (string, string, error) {
		out, err := s.GetResourcePolicy(bg, &dynamodbapi.GetResourcePolicyInput{ResourceArn: ptr(policyTableARN)})
		if err != nil {
			return "", "", err
		}
		return deref(out.Policy), deref(out.RevisionId), nil
	}
	del := func(expected *string) (*string, error) {
		out, err := s.DeleteResourcePolicy(bg, &dynamodbapi.DeleteResourcePolicyInput{ResourceArn: ptr(policyTableARN), ExpectedRevisionId: expected})
		if err != nil {
			return nil, err
		}
		return out.RevisionId, nil
	}
	const first = "1740830400000" // the test clock in Unix milliseconds

	// No policy: Get fails, Delete succeeds with an empty answer, a
	// conditional change fails.
	_, _, err := get()
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "+policyTableARN)
	if rev, err := del(nil); err != nil || rev != nil {
		t.Fatalf("delete without policy: %v %v", rev, err)
	}
	_, err = putPolicy(s, policyTableARN, readPolicy, ptr("123456789"))
	wantErr(t, err, "PolicyNotFoundException", "Requested update for policy with revision id 123456789, but table orders has no associated policy")
	_, err = del(ptr("123456789"))
	wantErr(t, err, "PolicyNotFoundException", "but table orders has no associated policy")

	// NO_POLICY attaches only when there is none.
	rev1, err := putPolicy(s, policyTableARN, readPolicy, ptr("NO_POLICY"))
	if err != nil || rev1 != first {
		t.Fatalf("put: %q %v", rev1, err)
	}
	if doc, rev, err := get(); err != nil || doc != readPolicy || rev != rev1 {
		t.Fatalf("get: %s %s %v", doc, rev, err)
	}
	_, err = putPolicy(s, policyTableARN, readPolicy, ptr("NO_POLICY"))
	wantErr(t, err, "PolicyNotFoundException", "Requested update for policy with revision id NO_POLICY, but the policy associated to target table orders has revision id "+first)

	// The same policy in another form changes nothing.
	same := strings.Replace(readPolicy, `"Action":"dynamodb:GetItem"`, `"Action" : [ "dynamodb:GetItem" ]`, 1)
	if rev, err := putPolicy(s, policyTableARN, same, nil); err != nil || rev != rev1 {
		t.Fatalf("equivalent put: %q %v", rev, err)
	}

	// A different policy gets a new, greater revision; a stale expected
	// revision is refused.
	other := strings.Replace(readPolicy, "GetItem", "Query", 1)
	rev2, err := putPolicy(s, policyTableARN, other, ptr(rev1))
	if err != nil || rev2 <= rev1 {
		t.Fatalf("replace: %q %v", rev2, err)
	}
	_, err = putPolicy(s, policyTableARN, readPolicy, ptr(rev1))
	wantErr(t, err, "PolicyNotFoundException", "Requested update for policy with revision id "+rev1+", but the policy associated to target table orders has revision id "+rev2)
	_, err = del(ptr(rev1))
	wantErr(t, err, "PolicyNotFoundException", "has revision id "+rev2)

	// Delete answers the removed policy's revision, later deletes the
	// deletion's.
	if rev, err := del(ptr(rev2)); err != nil || deref(rev) != rev2 {
		t.Fatalf("delete: %v %v", rev, err)
	}
	_, _, err = get()
	wantErr(t, err, "PolicyNotFoundException", "")
	tomb, err := del(nil)
	if err != nil || tomb == nil || *tomb <= rev2 {
		t.Fatalf("delete again: %v %v", tomb, err)
	}
	_, err = del(ptr(rev2))
	wantErr(t, err, "PolicyNotFoundException", "but the policy associated to target table orders has revision id "+*tomb)

	// The policy goes with its table.
	if _, err := putPolicy(s, policyTableARN, readPolicy, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("orders")}); err != nil {
		t.Fatal(err)
	}
	_, _, err = get()
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: orders not found")
	mustCreate(t, s, onDemand("orders", ks("pk"), defs("pk", "S")))
	_, _, err = get()
	wantErr(t, err, "PolicyNotFoundException", "")
	if rev, err := del(nil); err != nil || rev != nil {
		t.Fatalf("delete on the new table: %v %v", rev, err)
	}
}

func TestCreateTableResourcePolicy(t *testing.T) {
	s := newTestService(t)
	in := onDemand("orders", ks("pk"), defs("pk", "S"))
	in.ResourcePolicy = ptr(`{"Version":"2012-10-17"`)
	_, err := s.CreateTable(bg, in)
	wantErr(t, err, "ValidationException", "This policy contains invalid Json")
	if _, err := s.DescribeTable(bg, &dynamodbapi.DescribeTableInput{TableName: ptr("orders")}); err == nil {
		t.Fatal("table created with an invalid policy")
	}
	in.ResourcePolicy = ptr(readPolicy)
	mustCreate(t, s, in)
	out, err := s.GetResourcePolicy(bg, &dynamodbapi.GetResourcePolicyInput{ResourceArn: ptr(policyTableARN)})
	if err != nil || deref(out.Policy) != readPolicy || deref(out.RevisionId) == "" {
		t.Fatalf("create-time policy: %v %v", out, err)
	}
}
