package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// maxBucketPolicySize is the largest bucket policy S3 accepts, in bytes.
const maxBucketPolicySize = 20 * 1024

// s3ActionScope tells what kind of resource an S3 IAM action applies to,
// which decides whether a statement's actions fit its resources.
type s3ActionScope uint8

const (
	scopeNone   s3ActionScope = 0      // account-level: no bucket or object resource
	scopeBucket s3ActionScope = 1 << 0 // arn:aws:s3:::bucket
	scopeObject s3ActionScope = 1 << 1 // arn:aws:s3:::bucket/key
)

// s3Actions are the actions of the S3 service in the Service Authorization
// Reference ("Actions defined by Amazon S3"), lower-cased for matching.
var s3Actions = func() map[string]s3ActionScope {
	m := map[string]s3ActionScope{}
	for _, a := range strings.Fields(`AbortMultipartUpload BypassGovernanceRetention DeleteObject
		DeleteObjectTagging DeleteObjectVersion DeleteObjectVersionTagging GetObject GetObjectAcl
		GetObjectAttributes GetObjectLegalHold GetObjectRetention GetObjectTagging GetObjectTorrent
		GetObjectVersion GetObjectVersionAcl GetObjectVersionAttributes GetObjectVersionForReplication
		GetObjectVersionTagging GetObjectVersionTorrent InitiateReplication ListMultipartUploadParts
		ObjectOwnerOverrideToBucketOwner PutObject PutObjectAcl PutObjectLegalHold PutObjectRetention
		PutObjectTagging PutObjectVersionAcl PutObjectVersionTagging ReplicateDelete ReplicateObject
		ReplicateTags RestoreObject`) {
		m[strings.ToLower(a)] = scopeObject
	}
	for _, a := range strings.Fields(`CreateBucket DeleteBucket DeleteBucketOwnershipControls
		DeleteBucketPolicy DeleteBucketWebsite GetAccelerateConfiguration GetAnalyticsConfiguration
		GetBucketAbac GetBucketAcl GetBucketCORS GetBucketLocation GetBucketLogging
		GetBucketMetadataTableConfiguration GetBucketNotification GetBucketObjectLockConfiguration
		GetBucketOwnershipControls GetBucketPolicy GetBucketPolicyStatus GetBucketPublicAccessBlock
		GetBucketRequestPayment GetBucketTagging GetBucketVersioning GetBucketWebsite
		GetEncryptionConfiguration GetIntelligentTieringConfiguration GetInventoryConfiguration
		GetLifecycleConfiguration GetMetricsConfiguration GetReplicationConfiguration ListBucket
		ListBucketMultipartUploads ListBucketVersions PutAccelerateConfiguration PutAnalyticsConfiguration
		PutBucketAbac PutBucketAcl PutBucketCORS PutBucketLogging PutBucketNotification
		PutBucketObjectLockConfiguration PutBucketOwnershipControls PutBucketPolicy
		PutBucketPublicAccessBlock PutBucketRequestPayment PutBucketTagging PutBucketVersioning
		PutBucketWebsite PutEncryptionConfiguration PutIntelligentTieringConfiguration
		PutInventoryConfiguration PutLifecycleConfiguration PutMetricsConfiguration
		PutReplicationConfiguration CreateBucketMetadataTableConfiguration
		DeleteBucketMetadataTableConfiguration`) {
		m[strings.ToLower(a)] = scopeBucket
	}
	for _, a := range strings.Fields(`ListAllMyBuckets GetAccountPublicAccessBlock
		PutAccountPublicAccessBlock CreateJob ListJobs DescribeJob UpdateJobPriority UpdateJobStatus
		ListAccessPoints CreateAccessPoint DeleteAccessPoint GetAccessPoint GetAccessPointPolicy
		PutAccessPointPolicy DeleteAccessPointPolicy GetAccessPointPolicyStatus ListStorageLensConfigurations
		GetStorageLensConfiguration PutStorageLensConfiguration DeleteStorageLensConfiguration
		ListAccessGrants ListMultiRegionAccessPoints`) {
		m[strings.ToLower(a)] = scopeNone
	}
	return m
}()

// policyStatement is one statement of a policy as sent. Members that can be a
// string or a list stay raw until checked.
type policyStatement map[string]json.RawMessage

// parsedPolicy is what the rest of S3 needs to know about a bucket policy.
type parsedPolicy struct {
	statements []parsedStatement
}

type parsedStatement struct {
	allow           bool
	publicPrincipal bool
	conditionKeys   []string
}

func malformedPolicy(msg string) error { return errMalformedPolicy.New(msg) }

// stringOrList decodes a member that may be a string or a list of strings.
func stringOrList(raw json.RawMessage) ([]string, bool) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err == nil && len(many) > 0 {
		return many, true
	}
	return nil, false
}

// wildcardMatch matches s against a pattern where * is any run of
// characters and ? any one character, as IAM does.
func wildcardMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if wildcardMatch(pattern, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		default:
			if s == "" || pattern[0] != s[0] {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		}
	}
	return s == ""
}

// actionScopes returns the scopes of the S3 actions an action pattern
// names, or false when it names none.
func actionScopes(pattern string) (map[s3ActionScope]bool, bool) {
	p := strings.ToLower(pattern)
	if p == "*" {
		return map[s3ActionScope]bool{scopeBucket: true, scopeObject: true, scopeNone: true}, true
	}
	name, ok := strings.CutPrefix(p, "s3:")
	if !ok || name == "" {
		return nil, false
	}
	scopes := map[s3ActionScope]bool{}
	for a, sc := range s3Actions {
		if wildcardMatch(name, a) {
			scopes[sc] = true
		}
	}
	return scopes, len(scopes) > 0
}

var s3ARNPrefix = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):s3:::`)

// resourceScope checks that a policy resource names this bucket or objects
// in it, and tells which.
func resourceScope(resource, bucket string) (s3ActionScope, bool) {
	loc := s3ARNPrefix.FindStringIndex(resource)
	if loc == nil {
		return 0, false
	}
	name, _, isObject := strings.Cut(resource[loc[1]:], "/")
	if name == "" || !wildcardMatch(name, bucket) {
		return 0, false
	}
	switch {
	case isObject:
		return scopeObject, true
	case strings.HasSuffix(name, "*"):
		// "arn:aws:s3:::bucket*" covers the bucket and its objects.
		return scopeBucket | scopeObject, true
	}
	return scopeBucket, true
}

var accountPrincipal = regexp.MustCompile(`^(\d{12}|arn:(aws|aws-cn|aws-us-gov):(iam|sts)::\d{12}:.+)$`)

// checkPrincipal validates a Principal or NotPrincipal member and reports
// whether it grants everyone.
func checkPrincipal(raw json.RawMessage) (public bool, err error) {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			return false, malformedPolicy("Invalid principal in policy")
		}
		return true, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return false, malformedPolicy("Invalid principal in policy")
	}
	for kind, v := range m {
		vals, ok := stringOrList(v)
		if !ok {
			return false, malformedPolicy("Invalid principal in policy")
		}
		for _, p := range vals {
			switch kind {
			case "AWS":
				if p == "*" {
					public = true
				} else if !accountPrincipal.MatchString(p) {
					return false, malformedPolicy("Invalid principal in policy")
				}
			case "Service", "Federated":
				if p == "" {
					return false, malformedPolicy("Invalid principal in policy")
				}
			case "CanonicalUser":
				if len(p) != 64 {
					return false, malformedPolicy("Invalid principal in policy")
				}
			default:
				return false, malformedPolicy("Invalid principal in policy")
			}
		}
	}
	return public, nil
}

var statementFields = map[string]bool{"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true, "Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true}

// parseBucketPolicy validates a bucket policy as S3 does on
// PutBucketPolicy: JSON, the grammar of the IAM policy language, S3
// actions only, and resources of this bucket only.
func parseBucketPolicy(doc, bucket string) (*parsedPolicy, error) {
	trimmed := bytes.TrimSpace([]byte(doc))
	var top map[string]json.RawMessage
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &top) != nil {
		return nil, malformedPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	if len(doc) > maxBucketPolicySize {
		return nil, malformedPolicy("Policy exceeds the maximum allowed document size.")
	}
	for k := range top {
		if k != "Version" && k != "Id" && k != "Statement" {
			return nil, malformedPolicy("Unknown field " + k)
		}
	}
	if v, ok := top["Version"]; ok {
		var ver string
		if json.Unmarshal(v, &ver) != nil || ver != "2012-10-17" && ver != "2008-10-17" {
			return nil, malformedPolicy("The policy must contain a valid version string")
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, malformedPolicy("Missing required field Statement")
	}
	var stmts []policyStatement
	if json.Unmarshal(raw, &stmts) != nil {
		var one policyStatement
		if json.Unmarshal(raw, &one) != nil {
			return nil, malformedPolicy("Policies must be valid JSON and the first byte must be '{'")
		}
		stmts = []policyStatement{one}
	}
	if len(stmts) == 0 {
		return nil, malformedPolicy("Could not parse the policy: Statement is empty!")
	}
	p := &parsedPolicy{}
	sids := map[string]bool{}
	for _, st := range stmts {
		ps, err := checkStatement(st, bucket, sids)
		if err != nil {
			return nil, err
		}
		p.statements = append(p.statements, ps)
	}
	return p, nil
}

// statementStrings reads the member field of a statement, or its Not form
// (negated), exactly one of which must be there, as a string or a list of
// strings; noun names the member in the error for any other value.
func statementStrings(st policyStatement, field, noun string) (list []string, negated bool, err error) {
	raw, has := st[field]
	notRaw, negated := st["Not"+field]
	if has == negated {
		return nil, false, malformedPolicy("Missing required field " + field)
	}
	if negated {
		raw = notRaw
	}
	list, ok := stringOrList(raw)
	if !ok {
		return nil, false, malformedPolicy("Policy has invalid " + noun)
	}
	return list, negated, nil
}

func checkStatement(st policyStatement, bucket string, sids map[string]bool) (parsedStatement, error) {
	var ps parsedStatement
	for k := range st {
		if !statementFields[k] {
			return ps, malformedPolicy("Unknown field " + k)
		}
	}
	if raw, ok := st["Sid"]; ok {
		var sid string
		if json.Unmarshal(raw, &sid) != nil {
			return ps, malformedPolicy("Invalid Sid")
		}
		if sid != "" && sids[sid] {
			return ps, malformedPolicy("Statement IDs (SID) in a single policy must be unique.")
		}
		sids[sid] = true
	}
	raw, ok := st["Effect"]
	if !ok {
		return ps, malformedPolicy("Missing required field Effect")
	}
	var effect string
	_ = json.Unmarshal(raw, &effect)
	if effect != "Allow" && effect != "Deny" {
		return ps, malformedPolicy("Invalid effect: " + strings.Trim(string(raw), `"`))
	}
	ps.allow = effect == "Allow"

	principal, hasP := st["Principal"]
	notPrincipal, hasNP := st["NotPrincipal"]
	switch {
	case hasP && hasNP, !hasP && !hasNP:
		return ps, malformedPolicy("Missing required field Principal")
	case hasP:
		public, err := checkPrincipal(principal)
		if err != nil {
			return ps, err
		}
		ps.publicPrincipal = public
	default:
		if _, err := checkPrincipal(notPrincipal); err != nil {
			return ps, err
		}
	}

	actions, notAction, err := statementStrings(st, "Action", "action")
	if err != nil {
		return ps, err
	}
	wanted := map[s3ActionScope]bool{}
	for _, a := range actions {
		scopes, ok := actionScopes(a)
		if !ok {
			return ps, malformedPolicy("Policy has invalid action")
		}
		for sc := range scopes {
			wanted[sc] = true
		}
	}

	resources, notResource, err := statementStrings(st, "Resource", "resource")
	if err != nil {
		return ps, err
	}
	covered := map[s3ActionScope]bool{}
	for _, r := range resources {
		sc, ok := resourceScope(r, bucket)
		if !ok {
			return ps, malformedPolicy("Policy has invalid resource")
		}
		if sc&scopeBucket != 0 {
			covered[scopeBucket] = true
		}
		if sc&scopeObject != 0 {
			covered[scopeObject] = true
		}
	}
	// Every action must fit at least one resource of the statement
	// (NotAction and NotResource invert the sets, so S3 skips this check
	// for them).
	if !notAction && !notResource {
		for _, a := range actions {
			scopes, _ := actionScopes(a)
			fits := false
			for sc := range scopes {
				if covered[sc] {
					fits = true
				}
			}
			if !fits {
				return ps, malformedPolicy("Action does not apply to any resource(s) in statement")
			}
		}
	}

	if raw, ok := st["Condition"]; ok {
		var cond map[string]map[string]json.RawMessage
		if json.Unmarshal(raw, &cond) != nil {
			return ps, malformedPolicy("Invalid Condition type")
		}
		for _, keys := range cond {
			for k := range keys {
				ps.conditionKeys = append(ps.conditionKeys, strings.ToLower(k))
			}
		}
	}
	return ps, nil
}

// restrictingConditionKeys are the condition keys that, per "The meaning of
// 'public'" in the S3 User Guide, tie a statement to fixed principals or
// networks so that it no longer grants everyone.
var restrictingConditionKeys = map[string]bool{
	"aws:sourceip": true, "aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:sourceaccount": true, "aws:sourceowner": true, "aws:principalaccount": true,
	"aws:principalarn": true, "aws:principalorgid": true, "aws:userid": true,
	"s3:x-amz-server-side-encryption-aws-kms-key-id": true, "s3:dataaccesspointarn": true,
	"s3:dataaccesspointaccount": true, "aws:principalorgpaths": true,
}

// isPublic reports whether the policy grants access to everyone.
func (p *parsedPolicy) isPublic() bool {
	for _, st := range p.statements {
		if !st.allow || !st.publicPrincipal {
			continue
		}
		restricted := false
		for _, k := range st.conditionKeys {
			if restrictingConditionKeys[k] {
				restricted = true
			}
		}
		if !restricted {
			return true
		}
	}
	return false
}

func noSuchBucketPolicy(bucket string) error {
	return errNoSuchBucketPolicy.New("The bucket policy does not exist").WithDetail(map[string]string{"BucketName": bucket})
}

func (s *Service) PutBucketPolicy(ctx context.Context, in *s3api.PutBucketPolicyInput) (*s3api.PutBucketPolicyOutput, error) {
	name := deref(in.Bucket)
	doc := deref(in.Policy)
	p, err := parseBucketPolicy(doc, name)
	if err != nil {
		return nil, err
	}
	// S3 keeps (and answers) the policy without insignificant whitespace.
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(strings.TrimSpace(doc))); err != nil {
		return nil, malformedPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	err = s.updateOwnedBucket(ctx, name, in.ExpectedBucketOwner, func(b *bucketRecord) error {
		if pab := publicAccessBlock(b); pab != nil && deref(pab.BlockPublicPolicy) && p.isPublic() {
			return errAccessDenied.New("Access Denied")
		}
		b.Policy = compact.String()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketPolicyOutput{}, nil
}

func (s *Service) GetBucketPolicy(ctx context.Context, in *s3api.GetBucketPolicyInput) (*s3api.GetBucketPolicyOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if b.Policy == "" {
		return nil, noSuchBucketPolicy(b.Name)
	}
	return &s3api.GetBucketPolicyOutput{Policy: ptr(b.Policy)}, nil
}

func (s *Service) DeleteBucketPolicy(ctx context.Context, in *s3api.DeleteBucketPolicyInput) (*s3api.DeleteBucketPolicyOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Policy = ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketPolicyOutput{}, nil
}

func (s *Service) GetBucketPolicyStatus(ctx context.Context, in *s3api.GetBucketPolicyStatusInput) (*s3api.GetBucketPolicyStatusOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if b.Policy == "" {
		return nil, noSuchBucketPolicy(b.Name)
	}
	p, err := parseBucketPolicy(b.Policy, b.Name)
	if err != nil {
		// A stored policy was valid when it was put.
		return &s3api.GetBucketPolicyStatusOutput{PolicyStatus: &s3api.PolicyStatus{IsPublic: ptr(false)}}, nil
	}
	return &s3api.GetBucketPolicyStatusOutput{PolicyStatus: &s3api.PolicyStatus{IsPublic: ptr(p.isPublic())}}, nil
}
