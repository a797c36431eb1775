package sqs

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
)

// policyDoc is a queue policy; statements are kept as they were written.
type policyDoc struct {
	Version   string            `json:"Version,omitempty"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

type statementHead struct {
	Sid string `json:"Sid"`
}

// permissionStatement is the statement AddPermission writes.
type permissionStatement struct {
	Sid       string `json:"Sid"`
	Effect    string `json:"Effect"`
	Principal struct {
		AWS any `json:"AWS"`
	} `json:"Principal"`
	Action   any    `json:"Action"`
	Resource string `json:"Resource"`
}

// sqsActions are the actions AddPermission grants ("*" grants all).
var sqsActions = map[string]bool{
	"*": true, "SendMessage": true, "ReceiveMessage": true, "DeleteMessage": true, "ChangeMessageVisibility": true,
	"GetQueueAttributes": true, "GetQueueUrl": true, "ListDeadLetterSourceQueues": true, "PurgeQueue": true,
	"ListQueueTags": true, "SendMessageBatch": true, "DeleteMessageBatch": true, "ChangeMessageVisibilityBatch": true,
}

func readPolicy(q *queue) (*policyDoc, error) {
	doc := &policyDoc{}
	raw := q.Attrs[attrPolicy]
	if raw == "" {
		return doc, nil
	}
	var generic map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		return nil, invalidAttrValue(attrPolicy)
	}
	_ = json.Unmarshal(generic["Version"], &doc.Version)
	_ = json.Unmarshal(generic["Id"], &doc.ID)
	if st := generic["Statement"]; len(st) > 0 {
		if st[0] == '[' {
			if err := json.Unmarshal(st, &doc.Statement); err != nil {
				return nil, invalidAttrValue(attrPolicy)
			}
		} else {
			doc.Statement = []json.RawMessage{st}
		}
	}
	return doc, nil
}

func sidOf(st json.RawMessage) string {
	var h statementHead
	_ = json.Unmarshal(st, &h)
	return h.Sid
}

// AddPermission adds a statement to the queue's policy.
func (s *Service) AddPermission(ctx context.Context, in *sqsapi.AddPermissionInput) (*sqsapi.AddPermissionOutput, error) {
	label := deref(in.Label)
	if label == "" || len(label) > 80 || !validQueueName(label) {
		return nil, invalidParam("Label", label, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	for _, a := range in.Actions {
		if !sqsActions[a] {
			return nil, invalidParam("ActionName.1", a, "Only the queue owner is allowed to invoke this action.")
		}
	}
	err := s.updateQueue(ctx, in.QueueUrl, func(q *queue) error {
		doc, err := readPolicy(q)
		if err != nil {
			return err
		}
		for _, st := range doc.Statement {
			if sidOf(st) == label {
				return invalidParam("Label", label, "Already exists.")
			}
		}
		st := permissionStatement{Sid: label, Effect: "Allow", Resource: q.arn()}
		principals := make([]string, len(in.AWSAccountIds))
		for i, a := range in.AWSAccountIds {
			principals[i] = "arn:aws:iam::" + a + ":root"
		}
		sort.Strings(principals)
		st.Principal.AWS = oneOrMany(principals)
		actions := make([]string, len(in.Actions))
		for i, a := range in.Actions {
			actions[i] = "SQS:" + a
		}
		st.Action = oneOrMany(actions)
		b, _ := json.Marshal(st)
		if doc.Version == "" {
			doc.Version = "2008-10-17"
		}
		if doc.ID == "" {
			doc.ID = q.arn() + "/SQSDefaultPolicy"
		}
		doc.Statement = append(doc.Statement, b)
		out, _ := json.Marshal(doc)
		q.Attrs[attrPolicy] = string(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sqsapi.AddPermissionOutput{}, nil
}

func oneOrMany(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// RemovePermission removes the statement with the label as its Sid.
func (s *Service) RemovePermission(ctx context.Context, in *sqsapi.RemovePermissionInput) (*sqsapi.RemovePermissionOutput, error) {
	label := deref(in.Label)
	err := s.updateQueue(ctx, in.QueueUrl, func(q *queue) error {
		doc, err := readPolicy(q)
		if err != nil {
			return err
		}
		kept := doc.Statement[:0]
		found := false
		for _, st := range doc.Statement {
			if sidOf(st) == label {
				found = true
				continue
			}
			kept = append(kept, st)
		}
		if !found {
			return invalidParam("Label", label, "can't find label.")
		}
		if len(kept) == 0 {
			delete(q.Attrs, attrPolicy)
			return nil
		}
		doc.Statement = kept
		out, _ := json.Marshal(doc)
		q.Attrs[attrPolicy] = string(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sqsapi.RemovePermissionOutput{}, nil
}
