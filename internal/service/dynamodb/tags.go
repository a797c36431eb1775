package dynamodb

import (
	"context"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

const maxTags = 50

// mergeTags adds (or replaces) tags in have, in the order they were first
// set.
func mergeTags(have []tag, add []dynamodbapi.Tag) ([]tag, error) {
	out := append([]tag(nil), have...)
	for _, t := range add {
		k, v := deref(t.Key), deref(t.Value)
		replaced := false
		for i := range out {
			if out[i].Key == k {
				out[i].Value, replaced = v, true
			}
		}
		if !replaced {
			out = append(out, tag{Key: k, Value: v})
		}
	}
	if len(out) > maxTags {
		return nil, dynamodbapi.ErrLimitExceededException.Newf("The number of tags on the resource exceeds the limit of %d", maxTags)
	}
	return out, nil
}

// tagged resolves the table a tagging request names by its ARN.
func (s *Service) tagged(tx storage.Tx, arn string) (*tableMeta, error) {
	ref, ok := parseTableARN(arn)
	if !ok {
		return nil, validation("Invalid TableArn: Invalid ResourceArn provided as input " + arn)
	}
	return s.table(tx, ref, func() error {
		return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: ResourcArn: " + arn + " not found")
	})
}

// TagResource adds tags to a table.
func (s *Service) TagResource(ctx context.Context, in *dynamodbapi.TagResourceInput) (*dynamodbapi.TagResourceOutput, error) {
	if len(in.Tags) == 0 {
		return nil, validation("Atleast one Tag needs to be provided as Input.")
	}
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		t, err := s.tagged(tx, deref(in.ResourceArn))
		if err != nil {
			return err
		}
		t = t.clone()
		if t.Tags, err = mergeTags(t.Tags, in.Tags); err != nil {
			return err
		}
		return saveTable(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.TagResourceOutput{}, nil
}

// UntagResource removes tags from a table.
func (s *Service) UntagResource(ctx context.Context, in *dynamodbapi.UntagResourceInput) (*dynamodbapi.UntagResourceOutput, error) {
	if len(in.TagKeys) == 0 {
		return nil, validation("Atleast one Tag Key needs to be provided as Input.")
	}
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		t, err := s.tagged(tx, deref(in.ResourceArn))
		if err != nil {
			return err
		}
		t = t.clone()
		drop := map[string]bool{}
		for _, k := range in.TagKeys {
			drop[k] = true
		}
		kept := t.Tags[:0]
		for _, tg := range t.Tags {
			if !drop[tg.Key] {
				kept = append(kept, tg)
			}
		}
		t.Tags = kept
		return saveTable(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UntagResourceOutput{}, nil
}

// ListTagsOfResource lists a table's tags (all of them: a table has at
// most 50, one page).
func (s *Service) ListTagsOfResource(ctx context.Context, in *dynamodbapi.ListTagsOfResourceInput) (*dynamodbapi.ListTagsOfResourceOutput, error) {
	out := &dynamodbapi.ListTagsOfResourceOutput{Tags: []dynamodbapi.Tag{}}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.tagged(tx, deref(in.ResourceArn))
		if err != nil {
			return err
		}
		for _, tg := range t.Tags {
			out.Tags = append(out.Tags, dynamodbapi.Tag{Key: ptr(tg.Key), Value: ptr(tg.Value)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
