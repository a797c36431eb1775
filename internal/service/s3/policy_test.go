package s3

import (
	"context"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

func TestParseBucketPolicy(t *testing.T) {
	const bucket = "my-bucket"
	stmt := func(body string) string { return `{"Version":"2012-10-17","Statement":[` + body + `]}` }
	cases := []struct {
		name, doc, msg string // msg "" means valid
		public         bool
	}{
		{"public read", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`), "", true},
		{"single statement object", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::my-bucket/*"]}}`, "", true},
		{"account principal", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"]}`), "", false},
		{"bare account id", stmt(`{"Effect":"Deny","Principal":{"AWS":["123456789012"]},"Action":"s3:Get*","Resource":"arn:aws:s3:::my-bucket/*"}`), "", false},
		{"service principal", stmt(`{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/logs/*"}`), "", false},
		{"list bucket", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"}`), "", true},
		{"condition restricts", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`), "", false},
		{"referer condition stays public", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"StringLike":{"aws:Referer":"https://x/*"}}}`), "", true},
		{"bucket wildcard", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::my-*"}`), "", true},
		{"not action", stmt(`{"Effect":"Deny","Principal":"*","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`), "", false},
		{"not json", `Version: 1`, "Policies must be valid JSON and the first byte must be '{'", false},
		{"array", `[{"Statement":[]}]`, "Policies must be valid JSON and the first byte must be '{'", false},
		{"truncated", `{"Statement":[`, "Policies must be valid JSON and the first byte must be '{'", false},
		{"no statement", `{"Version":"2012-10-17"}`, "Missing required field Statement", false},
		{"bad version", `{"Version":"2020-01-01","Statement":[]}`, "The policy must contain a valid version string", false},
		{"unknown top field", `{"Foo":1,"Statement":[]}`, "Unknown field Foo", false},
		{"no effect", stmt(`{"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`), "Missing required field Effect", false},
		{"bad effect", stmt(`{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`), "Invalid effect: Maybe", false},
		{"no principal", stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`), "Missing required field Principal", false},
		{"bad principal", stmt(`{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`), "Invalid principal in policy", false},
		{"no action", stmt(`{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::my-bucket/*"}`), "Missing required field Action", false},
		{"no resource", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}`), "Missing required field Resource", false},
		{"unknown action", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:FlyObject","Resource":"arn:aws:s3:::my-bucket/*"}`), "Policy has invalid action", false},
		{"other service action", stmt(`{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:s3:::my-bucket/*"}`), "Policy has invalid action", false},
		{"other bucket", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other-bucket/*"}`), "Policy has invalid resource", false},
		{"star resource", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), "Policy has invalid resource", false},
		{"object action on bucket", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket"}`), "Action does not apply to any resource(s) in statement", false},
		{"account action", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::my-bucket"}`), "Action does not apply to any resource(s) in statement", false},
		{"unknown statement field", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*","Extra":1}`), "Unknown field Extra", false},
		{"duplicate sid", stmt(`{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"},{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}`), "Statement IDs (SID) in a single policy must be unique.", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := parseBucketPolicy(c.doc, bucket)
			if c.msg != "" {
				e := awserr.From(err)
				if err == nil || e.Code != "MalformedPolicy" || e.Message != c.msg {
					t.Fatalf("got %v, want MalformedPolicy %q", err, c.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.isPublic() != c.public {
				t.Fatalf("public = %v", p.isPublic())
			}
		})
	}
}

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"getobject", "getobject", true},
		{"get*", "getobject", true},
		{"*object", "getobject", true},
		{"g?tobject", "getobject", true},
		{"*", "", true},
		{"get*acl", "getobjectacl", true},
		{"get*acl", "getobject", false},
		{"put?", "put", false},
	}
	for _, c := range cases {
		if got := wildcardMatch(c.pattern, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}

func TestBucketPolicyOperations(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "pol")
	_, err := s.GetBucketPolicy(ctx, &s3api.GetBucketPolicyInput{Bucket: ptr("pol")})
	wantCode(t, err, "NoSuchBucketPolicy")
	_, err = s.GetBucketPolicyStatus(ctx, &s3api.GetBucketPolicyStatusInput{Bucket: ptr("pol")})
	wantCode(t, err, "NoSuchBucketPolicy")

	public := `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pol/*"}]
}`
	// New buckets block public policies.
	_, err = s.PutBucketPolicy(ctx, &s3api.PutBucketPolicyInput{Bucket: ptr("pol"), Policy: ptr(public)})
	wantCode(t, err, "AccessDenied")
	if _, err := s.DeletePublicAccessBlock(ctx, &s3api.DeletePublicAccessBlockInput{Bucket: ptr("pol")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutBucketPolicy(ctx, &s3api.PutBucketPolicyInput{Bucket: ptr("pol"), Policy: ptr(public)}); err != nil {
		t.Fatal(err)
	}
	out, err := s.GetBucketPolicy(ctx, &s3api.GetBucketPolicyInput{Bucket: ptr("pol")})
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}`
	if err != nil || *out.Policy != want {
		t.Fatalf("policy %v %q", err, deref(out.Policy))
	}
	st, err := s.GetBucketPolicyStatus(ctx, &s3api.GetBucketPolicyStatusInput{Bucket: ptr("pol")})
	if err != nil || !*st.PolicyStatus.IsPublic {
		t.Fatalf("status %v %+v", err, st)
	}
	_, err = s.PutBucketPolicy(ctx, &s3api.PutBucketPolicyInput{Bucket: ptr("pol"), Policy: ptr("nope")})
	wantCode(t, err, "MalformedPolicy")
	if _, err := s.DeleteBucketPolicy(ctx, &s3api.DeleteBucketPolicyInput{Bucket: ptr("pol")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketPolicy(ctx, &s3api.GetBucketPolicyInput{Bucket: ptr("pol")})
	wantCode(t, err, "NoSuchBucketPolicy")
}
