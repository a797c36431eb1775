package sns

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// taggedTopic loads the topic a tagging call names: tags exist only on
// topics, and a missing one is ResourceNotFound.
func taggedTopic(tx storage.Tx, arn string) (*topicRecord, error) {
	if _, ok := parseTopicARN(arn); !ok {
		return nil, invalidParameter("ResourceArn")
	}
	t, err := loadTopic(tx, arn)
	if isNotFound(err) {
		return nil, errResourceNotFound()
	}
	return t, err
}

func (s *Service) TagResource(ctx context.Context, in *snsapi.TagResourceInput) (*snsapi.TagResourceOutput, error) {
	arn := deref(in.ResourceArn)
	add, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	err = s.updateTopic(ctx, arn, func(tx storage.Tx) error {
		t, err := taggedTopic(tx, arn)
		if err != nil {
			return err
		}
		for _, tg := range add {
			if i := slices.IndexFunc(t.Tags, func(x tag) bool { return x.Key == tg.Key }); i >= 0 {
				t.Tags[i].Value = tg.Value
			} else {
				t.Tags = append(t.Tags, tg)
			}
		}
		if len(t.Tags) > maxTags {
			return snsapi.ErrTagLimitExceededException.New("Could not complete request: tag quota of per resource exceeded")
		}
		return putJSON(tx, tableTopics, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.TagResourceOutput{}, nil
}

func (s *Service) UntagResource(ctx context.Context, in *snsapi.UntagResourceInput) (*snsapi.UntagResourceOutput, error) {
	arn := deref(in.ResourceArn)
	err := s.updateTopic(ctx, arn, func(tx storage.Tx) error {
		t, err := taggedTopic(tx, arn)
		if err != nil {
			return err
		}
		t.Tags = slices.DeleteFunc(t.Tags, func(x tag) bool { return slices.Contains(in.TagKeys, x.Key) })
		return putJSON(tx, tableTopics, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.UntagResourceOutput{}, nil
}

func (s *Service) ListTagsForResource(ctx context.Context, in *snsapi.ListTagsForResourceInput) (*snsapi.ListTagsForResourceOutput, error) {
	arn := deref(in.ResourceArn)
	out := &snsapi.ListTagsForResourceOutput{Tags: []snsapi.Tag{}}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, err := taggedTopic(tx, arn)
		if err != nil {
			return err
		}
		for _, tg := range t.Tags {
			out.Tags = append(out.Tags, snsapi.Tag{Key: ptr(tg.Key), Value: ptr(tg.Value)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// snsActions are the actions AddPermission may grant.
var snsActions = map[string]bool{
	"GetTopicAttributes": true, "SetTopicAttributes": true, "AddPermission": true, "RemovePermission": true,
	"DeleteTopic": true, "Subscribe": true, "ListSubscriptionsByTopic": true, "Publish": true, "Receive": true,
}

// policyDocument keeps a topic policy's statements as they were written,
// so that adding or removing one leaves the others byte for byte.
type policyDocument struct {
	Version   string            `json:"Version,omitempty"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

// permissionStatement is the statement AddPermission writes, with its
// fields in SNS's order.
type permissionStatement struct {
	Sid       string `json:"Sid"`
	Effect    string `json:"Effect"`
	Principal struct {
		AWS any `json:"AWS"`
	} `json:"Principal"`
	Action   any    `json:"Action"`
	Resource string `json:"Resource"`
}

func statementSid(raw json.RawMessage) string {
	var st struct{ Sid string }
	_ = json.Unmarshal(raw, &st)
	return st.Sid
}

func (s *Service) AddPermission(ctx context.Context, in *snsapi.AddPermissionInput) (*snsapi.AddPermissionOutput, error) {
	arn, label := deref(in.TopicArn), deref(in.Label)
	if err := checkTopicARN(arn); err != nil {
		return nil, err
	}
	if label == "" || len(in.AWSAccountId) == 0 || len(in.ActionName) == 0 {
		return nil, invalidParameter("Label")
	}
	actions := make([]string, 0, len(in.ActionName))
	for _, a := range in.ActionName {
		name := a
		if a != "*" {
			name = strings.TrimPrefix(a, "SNS:")
			if !snsActions[name] {
				return nil, invalidParameter("Policy statement action out of service scope!")
			}
		}
		actions = append(actions, "SNS:"+name)
		if a == "*" {
			actions[len(actions)-1] = "SNS:*"
		}
	}
	principals := make([]string, 0, len(in.AWSAccountId))
	for _, acct := range in.AWSAccountId {
		principals = append(principals, "arn:aws:iam::"+acct+":root")
	}
	st := permissionStatement{Sid: label, Effect: "Allow", Resource: arn}
	st.Principal.AWS, st.Action = oneOrMany(principals), oneOrMany(actions)
	err := s.updateTopic(ctx, arn, func(tx storage.Tx) error {
		t, err := loadTopic(tx, arn)
		if err != nil {
			return err
		}
		var doc policyDocument
		if err := json.Unmarshal([]byte(t.Attrs[attrPolicy]), &doc); err != nil {
			doc = policyDocument{Version: "2008-10-17", ID: "__default_policy_ID"}
		}
		if slices.ContainsFunc(doc.Statement, func(r json.RawMessage) bool { return statementSid(r) == label }) {
			return invalidParameter("Statement already exists")
		}
		raw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		doc.Statement = append(doc.Statement, raw)
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		t.Attrs[attrPolicy] = string(b)
		return putJSON(tx, tableTopics, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.AddPermissionOutput{}, nil
}

func oneOrMany(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

func (s *Service) RemovePermission(ctx context.Context, in *snsapi.RemovePermissionInput) (*snsapi.RemovePermissionOutput, error) {
	arn, label := deref(in.TopicArn), deref(in.Label)
	if err := checkTopicARN(arn); err != nil {
		return nil, err
	}
	err := s.updateTopic(ctx, arn, func(tx storage.Tx) error {
		t, err := loadTopic(tx, arn)
		if err != nil {
			return err
		}
		var doc policyDocument
		if err := json.Unmarshal([]byte(t.Attrs[attrPolicy]), &doc); err != nil {
			return nil
		}
		n := len(doc.Statement)
		doc.Statement = slices.DeleteFunc(doc.Statement, func(r json.RawMessage) bool { return statementSid(r) == label })
		if len(doc.Statement) == n {
			return nil
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		t.Attrs[attrPolicy] = string(b)
		return putJSON(tx, tableTopics, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.RemovePermissionOutput{}, nil
}
