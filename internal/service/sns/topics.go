package sns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Topic attribute names.
const (
	attrPolicy               = "Policy"
	attrDisplayName          = "DisplayName"
	attrDeliveryPolicy       = "DeliveryPolicy"
	attrKmsMasterKeyID       = "KmsMasterKeyId"
	attrSignatureVersion     = "SignatureVersion"
	attrTracingConfig        = "TracingConfig"
	attrFifoTopic            = "FifoTopic"
	attrContentBasedDedup    = "ContentBasedDeduplication"
	attrArchivePolicy        = "ArchivePolicy"
	attrFifoThroughputScope  = "FifoThroughputScope"
	attrDataProtectionPolicy = "DataProtectionPolicy"
)

// pageSize is how many topics or subscriptions a List call returns.
const pageSize = 100

const maxTags = 50

// feedbackAttributes are the delivery status logging attributes: stored
// and returned, nothing more (Nimbus has no CloudWatch Logs to write to).
var feedbackAttributes = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{"Application", "Firehose", "HTTP", "Lambda", "SQS"} {
		for _, a := range []string{"SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn"} {
			m[p+a] = true
		}
	}
	return m
}()

// validTopicName: 1 to 256 letters, digits, hyphens and underscores; a
// FIFO topic's name ends with .fifo (included in the 256).
func validTopicName(name string, fifo bool) bool {
	if fifo {
		base, ok := strings.CutSuffix(name, ".fifo")
		if !ok {
			return false
		}
		name = base
		if len(name)+5 > 256 {
			return false
		}
	}
	if name == "" || len(name) > 256 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Service) CreateTopic(ctx context.Context, in *snsapi.CreateTopicInput) (*snsapi.CreateTopicOutput, error) {
	info := request.FromContext(ctx)
	name := deref(in.Name)
	attrs := maps.Clone(in.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	if p := deref(in.DataProtectionPolicy); p != "" {
		attrs[attrDataProtectionPolicy] = p
	}
	fifo := false
	if v, ok := attrs[attrFifoTopic]; ok {
		switch strings.ToLower(v) {
		case "true":
			fifo = true
		case "false":
		default:
			return nil, invalidParameter("Attributes Reason: FifoTopic: Invalid value [%s]. Must be true or false.", v)
		}
		attrs[attrFifoTopic] = strings.ToLower(v)
	}
	if fifo && !validTopicName(name, true) {
		return nil, invalidParameter("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
	}
	if !fifo && !validTopicName(name, false) {
		return nil, invalidParameter("Topic Name")
	}
	for k, v := range attrs {
		if k == attrFifoTopic {
			continue
		}
		nv, err := checkTopicAttribute(k, v, fifo, true)
		if err != nil {
			return nil, err
		}
		attrs[k] = nv
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	arn := topicARN(info.Region, info.Account, name)
	err = s.updateTopic(ctx, arn, func(tx storage.Tx) error {
		existing, err := loadTopic(tx, arn)
		if err == nil {
			return sameTopic(existing, attrs, tags)
		}
		if !isNotFound(err) {
			return err
		}
		t := &topicRecord{ARN: arn, Name: name, Account: info.Account, Region: info.Region, Attrs: attrs, Tags: tags, Created: s.now()}
		if _, ok := attrs[attrPolicy]; !ok {
			attrs[attrPolicy] = defaultPolicy(arn, info.Account)
		}
		if fifo {
			if _, ok := attrs[attrContentBasedDedup]; !ok {
				attrs[attrContentBasedDedup] = "false"
			}
		} else {
			delete(attrs, attrFifoTopic)
		}
		return putJSON(tx, tableTopics, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.CreateTopicOutput{TopicArn: &arn}, nil
}

func isNotFound(err error) bool {
	return snsapi.ErrNotFoundException.Is(err)
}

// sameTopic is CreateTopic's idempotence: asking again for an existing
// topic succeeds only with the attributes and tags it has.
func sameTopic(t *topicRecord, attrs map[string]string, tags []tag) error {
	for k, v := range attrs {
		have, ok := t.Attrs[k]
		if k == attrFifoTopic && v == "false" && !t.fifo() {
			continue
		}
		if !ok || have != v {
			return invalidParameter("Attributes Reason: Topic already exists with different attributes")
		}
	}
	if len(tags) > 0 {
		if len(tags) != len(t.Tags) {
			return invalidParameter("Tags Reason: Topic already exists with different tags")
		}
		have := map[string]string{}
		for _, tg := range t.Tags {
			have[tg.Key] = tg.Value
		}
		for _, tg := range tags {
			if v, ok := have[tg.Key]; !ok || v != tg.Value {
				return invalidParameter("Tags Reason: Topic already exists with different tags")
			}
		}
	}
	return nil
}

// checkTopicAttribute validates one topic attribute and returns the value
// to store.
func checkTopicAttribute(name, value string, fifo, creating bool) (string, error) {
	switch name {
	case attrDisplayName, attrKmsMasterKeyID:
		return value, nil
	case attrPolicy:
		if !jsonObject(value) {
			return "", invalidParameter("Policy Error: null")
		}
		return value, nil
	case attrDataProtectionPolicy:
		if value != "" {
			if _, err := parseDataPolicy(value); err != nil {
				return "", err
			}
		}
		return value, nil
	case attrDeliveryPolicy:
		if value == "" {
			return "", nil
		}
		if _, err := parseTopicDeliveryPolicy(value); err != nil {
			return "", err
		}
		return value, nil
	case attrSignatureVersion:
		if value != "1" && value != "2" {
			return "", invalidParameter("SignatureVersion")
		}
		return value, nil
	case attrTracingConfig:
		if value != "PassThrough" && value != "Active" {
			return "", invalidParameter("TracingConfig")
		}
		return value, nil
	case attrContentBasedDedup:
		if !fifo {
			return "", invalidParameter("Attributes Reason: ContentBasedDeduplication: Content based deduplication can only be set for FIFO topics")
		}
		v := strings.ToLower(value)
		if v != "true" && v != "false" {
			return "", invalidParameter("Attributes Reason: ContentBasedDeduplication: Invalid value [%s]. Must be true or false.", value)
		}
		return v, nil
	case attrArchivePolicy:
		if !fifo {
			return "", invalidParameter("Attributes Reason: ArchivePolicy: Archive policy can only be set for FIFO topics")
		}
		if value != "" && !jsonObject(value) {
			return "", invalidParameter("ArchivePolicy")
		}
		return value, nil
	case attrFifoThroughputScope:
		if !fifo {
			return "", invalidParameter("Attributes Reason: FifoThroughputScope: FifoThroughputScope can only be set for FIFO topics")
		}
		if value != "Topic" && value != "MessageGroup" {
			return "", invalidParameter("FifoThroughputScope")
		}
		return value, nil
	}
	if feedbackAttributes[name] {
		if strings.HasSuffix(name, "SampleRate") {
			if n, err := strconv.Atoi(value); err != nil || n < 0 || n > 100 {
				return "", invalidParameter("%s", name)
			}
		}
		return value, nil
	}
	return "", invalidParameter("AttributeName")
}

func jsonObject(s string) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal([]byte(s), &m) == nil && m != nil
}

func checkTags(in []snsapi.Tag) ([]tag, error) {
	if len(in) > maxTags {
		return nil, snsapi.ErrTagLimitExceededException.New("Could not complete request: tag quota of per resource exceeded")
	}
	out := make([]tag, 0, len(in))
	seen := map[string]bool{}
	for _, t := range in {
		k, v := deref(t.Key), deref(t.Value)
		if k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, invalidParameter("Tags")
		}
		if seen[k] {
			return nil, invalidParameter("Duplicated keys are not allowed.")
		}
		seen[k] = true
		out = append(out, tag{Key: k, Value: v})
	}
	return out, nil
}

// defaultPolicy is the access policy SNS gives a new topic.
func defaultPolicy(arn, account string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` +
		arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + account + `"}}}]}`
}

// updateTopic runs fn in a transaction and then forgets the topic's cached
// fan-out.
func (s *Service) updateTopic(ctx context.Context, arn string, fn func(tx storage.Tx) error) error {
	err := s.db.Update(ctx, fn)
	s.cache.invalidate(arn)
	return err
}

// checkTopicARN validates a TopicArn parameter.
func checkTopicARN(arn string) error {
	if _, ok := parseTopicARN(arn); !ok {
		return invalidParameter("TopicArn")
	}
	return nil
}

func (s *Service) DeleteTopic(ctx context.Context, in *snsapi.DeleteTopicInput) (*snsapi.DeleteTopicOutput, error) {
	arn := deref(in.TopicArn)
	if err := checkTopicARN(arn); err != nil {
		return nil, err
	}
	// Deleting a topic that does not exist is not an error.
	err := s.updateTopic(ctx, arn, func(tx storage.Tx) error {
		subs, err := topicSubs(tx, arn)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if err := deleteSub(tx, sub); err != nil {
				return err
			}
		}
		var dedup [][]byte
		err = tx.Scan(tableDedup, storage.Range{Prefix: []byte(arn + "\x00")}, func(k, _ []byte) bool {
			dedup = append(dedup, append([]byte(nil), k...))
			return true
		})
		if err != nil {
			return err
		}
		for _, k := range dedup {
			if err := tx.Delete(tableDedup, k); err != nil {
				return err
			}
		}
		if err := tx.Delete(tableSeq, []byte(arn)); err != nil {
			return err
		}
		return tx.Delete(tableTopics, []byte(arn))
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.DeleteTopicOutput{}, nil
}

func (s *Service) GetTopicAttributes(ctx context.Context, in *snsapi.GetTopicAttributesInput) (*snsapi.GetTopicAttributesOutput, error) {
	arn := deref(in.TopicArn)
	if err := checkTopicARN(arn); err != nil {
		return nil, err
	}
	var out map[string]string
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, err := loadTopic(tx, arn)
		if err != nil {
			return err
		}
		subs, err := topicSubs(tx, arn)
		if err != nil {
			return err
		}
		out = topicAttributes(t, subs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.GetTopicAttributesOutput{Attributes: out}, nil
}

// topicAttributes is what GetTopicAttributes answers: the attributes set,
// and those SNS computes.
func topicAttributes(t *topicRecord, subs []*subRecord) map[string]string {
	out := maps.Clone(t.Attrs)
	if out == nil {
		out = map[string]string{}
	}
	confirmed, pending := 0, 0
	for _, sub := range subs {
		if sub.Pending {
			pending++
		} else {
			confirmed++
		}
	}
	out["TopicArn"] = t.ARN
	out["Owner"] = t.Account
	out["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	out["SubscriptionsPending"] = strconv.Itoa(pending)
	out["SubscriptionsDeleted"] = "0"
	if _, ok := out[attrDisplayName]; !ok {
		out[attrDisplayName] = ""
	}
	out["EffectiveDeliveryPolicy"] = effectiveTopicDeliveryPolicy(t.Attrs[attrDeliveryPolicy])
	if out[attrDeliveryPolicy] == "" {
		delete(out, attrDeliveryPolicy)
	}
	if out[attrDataProtectionPolicy] == "" {
		delete(out, attrDataProtectionPolicy)
	}
	return out
}

func (s *Service) SetTopicAttributes(ctx context.Context, in *snsapi.SetTopicAttributesInput) (*snsapi.SetTopicAttributesOutput, error) {
	arn := deref(in.TopicArn)
	if err := checkTopicARN(arn); err != nil {
		return nil, err
	}
	name, value := deref(in.AttributeName), deref(in.AttributeValue)
	if name == attrFifoTopic {
		return nil, invalidParameter("AttributeName")
	}
	err := s.updateTopic(ctx, arn, func(tx storage.Tx) error {
		t, err := loadTopic(tx, arn)
		if err != nil {
			return err
		}
		if name == attrPolicy && value == "" {
			value = defaultPolicy(arn, t.Account)
		}
		v, err := checkTopicAttribute(name, value, t.fifo(), false)
		if err != nil {
			return err
		}
		if t.Attrs == nil {
			t.Attrs = map[string]string{}
		}
		t.Attrs[name] = v
		return putJSON(tx, tableTopics, arn, t)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.SetTopicAttributesOutput{}, nil
}

func (s *Service) ListTopics(ctx context.Context, in *snsapi.ListTopicsInput) (*snsapi.ListTopicsOutput, error) {
	info := request.FromContext(ctx)
	prefix := topicARN(info.Region, info.Account, "")
	after, err := decodeToken(in.NextToken, prefix)
	if err != nil {
		return nil, err
	}
	out := &snsapi.ListTopicsOutput{Topics: []snsapi.Topic{}}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tableTopics, storage.Range{Prefix: []byte(prefix), After: after}, func(k, _ []byte) bool {
			if len(out.Topics) == pageSize {
				out.NextToken = ptr(encodeToken(out.Topics[pageSize-1].TopicArn))
				return false
			}
			out.Topics = append(out.Topics, snsapi.Topic{TopicArn: ptr(string(k))})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Pagination tokens are the last key returned, encoded; a token that is
// not one of ours (or belongs to another listing) is InvalidParameter.
func encodeToken(last *string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(deref(last)))
}

func decodeToken(token *string, prefix string) ([]byte, error) {
	if token == nil || *token == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil || !strings.HasPrefix(string(b), prefix) {
		return nil, invalidParameter("NextToken")
	}
	return b, nil
}
