package dynamodb

import (
	"context"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Resource-based policies of tables and streams. They are stored, checked
// and answered as DynamoDB does, and take effect at once (DynamoDB shows
// a new policy after a second or two); Nimbus does not enforce them.

// noPolicyRevision is the ExpectedRevisionId that asks for the policy to
// be attached only when the resource has none.
const noPolicyRevision = "NO_POLICY"

// policyMeta is the policy of a table or stream. A deleted policy leaves
// a record with no document whose Revision is the time of the deletion,
// which later deletes answer with.
type policyMeta struct {
	TableID   uint64 `json:"table"`
	Revision  string `json:"rev"`
	Canonical string `json:"doc,omitempty"`
	ReadBack  string `json:"read,omitempty"`
}

func (p *policyMeta) live() bool { return p != nil && p.Canonical != "" }

// policyTarget is the table or stream a ResourceArn names.
type policyTarget struct {
	arn   string
	table *tableMeta
	sub   string // "" for the table, "stream/<label>" for a stream
}

func (g policyTarget) key() []byte {
	return extrasKey(g.table.Account, g.table.Region, g.table.Name, g.sub)
}

// current returns the resource's policy record, nil when there is none
// (or only one left from a deleted table of the same name).
func (g policyTarget) current(tx storage.Tx) (*policyMeta, error) {
	var p policyMeta
	found, err := loadExtra(tx, tablePolicies, g.key(), &p)
	if err != nil || !found || p.TableID != g.table.ID {
		return nil, err
	}
	return &p, nil
}

// nextRevision is a revision id for a change now: the time in Unix
// milliseconds, always greater than the previous one.
func (s *Service) nextRevision(cur *policyMeta) string {
	n := s.now().UnixMilli()
	if cur != nil {
		if prev, err := strconv.ParseInt(cur.Revision, 10, 64); err == nil && prev >= n {
			n = prev + 1
		}
	}
	return strconv.FormatInt(n, 10)
}

// checkExpected applies ExpectedRevisionId to the current record.
func (g policyTarget) checkExpected(expected *string, cur *policyMeta) error {
	if expected == nil {
		return nil
	}
	want := *expected
	switch {
	case want == noPolicyRevision && !cur.live():
		return nil
	case cur.live() && cur.Revision == want:
		return nil
	case cur == nil:
		return dynamodbapi.ErrPolicyNotFoundException.New("Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id " +
			want + ", but table " + g.table.Name + " has no associated policy.")
	}
	return dynamodbapi.ErrPolicyNotFoundException.New("Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id " +
		want + ", but the policy associated to target table " + g.table.Name + " has revision id " + cur.Revision + ".")
}

// resolvePolicyTarget finds the table or stream of a ResourceArn, which
// must be in the caller's account and region.
func (s *Service) resolvePolicyTarget(tx storage.Tx, info *request.Info, arn string) (policyTarget, error) {
	invalid := func(msg string) error { return validation("One or more parameter values were invalid: " + msg) }
	if !strings.HasPrefix(arn, "arn:") {
		return policyTarget{}, invalid("ARNs must start with 'arn:': " + arn)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "dynamodb" {
		return policyTarget{}, invalid("Provided Arn is not a DynamoDB resource arn: " + arn)
	}
	if parts[1] != "aws" || parts[3] != info.Region {
		return policyTarget{}, invalid("Invalid resource Arn: " + arn)
	}
	if parts[4] != info.Account {
		return policyTarget{}, validation("This action is only supported by accounts that match the resource owner’s account.")
	}
	rest, ok := strings.CutPrefix(parts[5], "table/")
	if !ok || rest == "" {
		return policyTarget{}, invalid("Provided Arn is not a DynamoDB resource arn: " + arn)
	}
	name, sub, _ := strings.Cut(rest, "/")
	label := ""
	if sub != "" {
		kind, value, _ := strings.Cut(sub, "/")
		switch {
		case kind == "stream" && value != "" && !strings.Contains(value, "/"):
			label = value
		case kind == "index":
			return policyTarget{}, invalid("Invalid resource arn provided, only table or stream is accepted. Provided resource arn: " + arn)
		default:
			return policyTarget{}, invalid("Provided Arn is not a DynamoDB resource arn: " + arn)
		}
	}
	ref := tableRef{account: info.Account, region: info.Region, name: name}
	t, err := s.table(tx, ref, func() error { return errTableNotFound(name) })
	if err != nil {
		return policyTarget{}, err
	}
	g := policyTarget{arn: arn, table: t}
	if label != "" {
		known := (t.Stream.Enabled && t.Stream.Label == label) || (t.LastStream != nil && t.LastStream.Label == label)
		if !known {
			return policyTarget{}, dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: Stream: " + label + " not found for Table: " + name)
		}
		g.sub = "stream/" + label
	}
	return g, nil
}

// targetPolicy finds the table or stream of a ResourceArn and reads its
// policy record (nil when it has none).
func (s *Service) targetPolicy(tx storage.Tx, info *request.Info, arn string) (policyTarget, *policyMeta, error) {
	g, err := s.resolvePolicyTarget(tx, info, arn)
	if err != nil {
		return policyTarget{}, nil, err
	}
	cur, err := g.current(tx)
	if err != nil {
		return policyTarget{}, nil, err
	}
	return g, cur, nil
}

// PutResourcePolicy attaches a policy to a table or a stream, replacing
// the one it had.
func (s *Service) PutResourcePolicy(ctx context.Context, in *dynamodbapi.PutResourcePolicyInput) (*dynamodbapi.PutResourcePolicyOutput, error) {
	info := request.FromContext(ctx)
	var rev string
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		g, cur, err := s.targetPolicy(tx, info, deref(in.ResourceArn))
		if err != nil {
			return err
		}
		doc, err := parsePolicy(deref(in.Policy), deref(in.ConfirmRemoveSelfResourceAccess))
		if err != nil {
			return err
		}
		if err := g.checkExpected(in.ExpectedRevisionId, cur); err != nil {
			return err
		}
		if cur.live() && cur.Canonical == doc.canonical {
			// The same policy again: nothing changes, not even the
			// revision.
			rev = cur.Revision
			return nil
		}
		rev = s.nextRevision(cur)
		return saveExtra(tx, tablePolicies, g.key(), &policyMeta{TableID: g.table.ID, Revision: rev, Canonical: doc.canonical, ReadBack: doc.readBack})
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.PutResourcePolicyOutput{RevisionId: ptr(rev)}, nil
}

// GetResourcePolicy returns the policy of a table or a stream.
func (s *Service) GetResourcePolicy(ctx context.Context, in *dynamodbapi.GetResourcePolicyInput) (*dynamodbapi.GetResourcePolicyOutput, error) {
	info := request.FromContext(ctx)
	var out *dynamodbapi.GetResourcePolicyOutput
	err := s.db.View(ctx, func(tx storage.Tx) error {
		g, cur, err := s.targetPolicy(tx, info, deref(in.ResourceArn))
		if err != nil {
			return err
		}
		if !cur.live() {
			return dynamodbapi.ErrPolicyNotFoundException.New("Resource-based policy not found for the provided ResourceArn: " + g.arn)
		}
		out = &dynamodbapi.GetResourcePolicyOutput{Policy: ptr(cur.ReadBack), RevisionId: ptr(cur.Revision)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteResourcePolicy removes the policy of a table or a stream. Deleting
// a policy that is not there succeeds.
func (s *Service) DeleteResourcePolicy(ctx context.Context, in *dynamodbapi.DeleteResourcePolicyInput) (*dynamodbapi.DeleteResourcePolicyOutput, error) {
	info := request.FromContext(ctx)
	out := &dynamodbapi.DeleteResourcePolicyOutput{}
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		g, cur, err := s.targetPolicy(tx, info, deref(in.ResourceArn))
		if err != nil {
			return err
		}
		if err := g.checkExpected(in.ExpectedRevisionId, cur); err != nil {
			return err
		}
		switch {
		case cur == nil:
			// Never had a policy: an empty answer.
			return nil
		case !cur.live():
			// Deleted before: the deletion's revision.
			out.RevisionId = ptr(cur.Revision)
			return nil
		}
		out.RevisionId = ptr(cur.Revision)
		return saveExtra(tx, tablePolicies, g.key(), &policyMeta{TableID: g.table.ID, Revision: s.nextRevision(cur)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// attachCreatePolicy stores the ResourcePolicy of a CreateTable request,
// in its transaction, once t has its id.
func (s *Service) attachCreatePolicy(tx storage.Tx, t *tableMeta, policy *string) error {
	if policy == nil {
		return nil
	}
	doc, err := parsePolicy(*policy, false)
	if err != nil {
		return err
	}
	g := policyTarget{table: t}
	return saveExtra(tx, tablePolicies, g.key(), &policyMeta{TableID: t.ID, Revision: s.nextRevision(nil), Canonical: doc.canonical, ReadBack: doc.readBack})
}
