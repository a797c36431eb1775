package sns

import (
	"context"
	"encoding/json"
	"maps"
	"net/mail"
	"regexp"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/sns/filterpolicy"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Protocols.
const (
	protoSQS         = "sqs"
	protoHTTP        = "http"
	protoHTTPS       = "https"
	protoLambda      = "lambda"
	protoEmail       = "email"
	protoEmailJSON   = "email-json"
	protoSMS         = "sms"
	protoApplication = "application"
	protoFirehose    = "firehose"
)

// Subscription attribute names.
const (
	attrRawDelivery         = "RawMessageDelivery"
	attrFilterPolicy        = "FilterPolicy"
	attrFilterPolicyScope   = "FilterPolicyScope"
	attrRedrivePolicy       = "RedrivePolicy"
	attrSubscriptionRoleARN = "SubscriptionRoleArn"
	attrReplayPolicy        = "ReplayPolicy"
	scopeAttributes         = "MessageAttributes"
	scopeBody               = "MessageBody"
)

// pendingARN is what SNS answers for the ARN of a subscription that waits
// for its confirmation.
const (
	pendingARN        = "pending confirmation"
	pendingListingARN = "PendingConfirmation"
)

var (
	sqsARN      = regexp.MustCompile(`^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$`)
	lambdaARN   = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$`)
	firehoseARN = regexp.MustCompile(`^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/[A-Za-z0-9_.-]{1,64}$`)
	appARN      = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint/`)
	e164        = regexp.MustCompile(`^\+?[1-9]\d{1,14}$`)
)

// needsConfirmation: endpoints outside AWS confirm that they want the
// messages.
func needsConfirmation(protocol string) bool {
	switch protocol {
	case protoHTTP, protoHTTPS, protoEmail, protoEmailJSON:
		return true
	}
	return false
}

func checkEndpoint(protocol, endpoint string) error {
	switch protocol {
	case protoSQS:
		if !sqsARN.MatchString(endpoint) {
			return invalidParameter("SQS endpoint ARN")
		}
	case protoHTTP, protoHTTPS:
		if !strings.HasPrefix(strings.ToLower(endpoint), protocol+"://") || len(endpoint) <= len(protocol)+3 {
			return invalidParameter("Endpoint must match the specified protocol")
		}
	case protoLambda:
		if !lambdaARN.MatchString(endpoint) {
			return invalidParameter("Lambda endpoint ARN")
		}
	case protoEmail, protoEmailJSON:
		if a, err := mail.ParseAddress(endpoint); err != nil || a.Address != endpoint {
			return invalidParameter("Email address")
		}
	case protoSMS:
		if !e164.MatchString(strings.ReplaceAll(endpoint, "-", "")) {
			return invalidParameter("Invalid SMS endpoint: %s", endpoint)
		}
	case protoApplication:
		if !appARN.MatchString(endpoint) {
			return invalidParameter("Application endpoint arn invalid:%s", endpoint)
		}
	case protoFirehose:
		if !firehoseARN.MatchString(endpoint) {
			return invalidParameter("Firehose endpoint ARN")
		}
	default:
		return invalidParameter("Amazon SNS does not support this protocol string: %s", protocol)
	}
	return nil
}

// checkSubAttribute validates one subscription attribute given the
// subscription's other attributes (the filter policy depends on its
// scope), and returns the value to store.
func checkSubAttribute(name, value, protocol string, attrs map[string]string) (string, error) {
	switch name {
	case attrRawDelivery:
		v := strings.ToLower(value)
		if v != "true" && v != "false" {
			return "", invalidParameter("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		switch protocol {
		case protoSQS, protoHTTP, protoHTTPS, protoFirehose:
		default:
			if v == "true" {
				return "", invalidParameter("Attributes Reason: Delivery protocol [%s] does not support raw message delivery attribute", protocol)
			}
		}
		return v, nil
	case attrFilterPolicy:
		if value == "" {
			return "", nil
		}
		if _, err := filterpolicy.Parse(value, scopeOf(attrs[attrFilterPolicyScope])); err != nil {
			return "", filterPolicyError(err)
		}
		return value, nil
	case attrFilterPolicyScope:
		if value != scopeAttributes && value != scopeBody {
			return "", invalidParameter("Attributes Reason: FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", value)
		}
		if fp := attrs[attrFilterPolicy]; fp != "" {
			if _, err := filterpolicy.Parse(fp, scopeOf(value)); err != nil {
				return "", filterPolicyError(err)
			}
		}
		return value, nil
	case attrRedrivePolicy:
		if value == "" {
			return "", nil
		}
		var rp struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		}
		if err := json.Unmarshal([]byte(value), &rp); err != nil {
			return "", invalidParameter("RedrivePolicy: failed to parse JSON.")
		}
		if !sqsARN.MatchString(rp.DeadLetterTargetArn) {
			return "", invalidParameter("RedrivePolicy: deadLetterTargetArn is an invalid arn")
		}
		return value, nil
	case attrDeliveryPolicy:
		if value == "" {
			return "", nil
		}
		if _, err := parseSubDeliveryPolicy(value); err != nil {
			return "", err
		}
		return value, nil
	case attrSubscriptionRoleARN, attrReplayPolicy:
		return value, nil
	}
	return "", invalidParameter("AttributeName")
}

func scopeOf(v string) filterpolicy.Scope {
	if v == scopeBody {
		return filterpolicy.Body
	}
	return filterpolicy.Attributes
}

func filterPolicyError(err error) error {
	if perr, ok := err.(*filterpolicy.Error); ok {
		if perr.Internal {
			return snsapi.ErrInternalErrorException.New(perr.Message)
		}
		return snsapi.ErrInvalidParameterException.New(perr.Message)
	}
	return err
}

// checkSubAttributes validates the attributes of a Subscribe call.
func checkSubAttributes(in map[string]string, protocol string) (map[string]string, error) {
	attrs := map[string]string{}
	if v, ok := in[attrFilterPolicyScope]; ok {
		nv, err := checkSubAttribute(attrFilterPolicyScope, v, protocol, attrs)
		if err != nil {
			return nil, err
		}
		attrs[attrFilterPolicyScope] = nv
	}
	for k, v := range in {
		if k == attrFilterPolicyScope {
			continue
		}
		nv, err := checkSubAttribute(k, v, protocol, attrs)
		if err != nil {
			return nil, err
		}
		if nv != "" {
			attrs[k] = nv
		}
	}
	if protocol == protoFirehose && attrs[attrSubscriptionRoleARN] == "" {
		return nil, invalidParameter("Invalid parameter: SubscriptionRoleArn Reason: Delivery protocol [firehose] requires subscription role arn")
	}
	if _, ok := attrs[attrRawDelivery]; !ok {
		attrs[attrRawDelivery] = "false"
	}
	if attrs[attrFilterPolicy] != "" && attrs[attrFilterPolicyScope] == "" {
		attrs[attrFilterPolicyScope] = scopeAttributes
	}
	return attrs, nil
}

func (s *Service) Subscribe(ctx context.Context, in *snsapi.SubscribeInput) (*snsapi.SubscribeOutput, error) {
	info := request.FromContext(ctx)
	topic := deref(in.TopicArn)
	if err := checkTopicARN(topic); err != nil {
		return nil, err
	}
	protocol, endpoint := strings.ToLower(deref(in.Protocol)), deref(in.Endpoint)
	if err := checkEndpoint(protocol, endpoint); err != nil {
		return nil, err
	}
	attrs, err := checkSubAttributes(in.Attributes, protocol)
	if err != nil {
		return nil, err
	}
	var arn string
	var pending bool
	err = s.updateTopic(ctx, topic, func(tx storage.Tx) error {
		t, err := loadTopic(tx, topic)
		if err != nil {
			return err
		}
		if t.fifo() && protocol != protoSQS {
			return invalidParameter("Invalid parameter: Invalid protocol type: %s", protocol)
		}
		if !t.fifo() && protocol == protoSQS && strings.HasSuffix(endpoint, ".fifo") {
			return invalidParameter("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
		}
		subs, err := topicSubs(tx, topic)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if sub.Protocol != protocol || sub.Endpoint != endpoint {
				continue
			}
			for k := range in.Attributes {
				if sub.Attrs[k] != attrs[k] {
					return invalidParameter("Attributes Reason: Subscription already exists with different attributes")
				}
			}
			arn, pending = sub.ARN, sub.Pending
			return nil
		}
		sub := &subRecord{
			ARN: topic + ":" + newUUID(), TopicARN: topic, Protocol: protocol, Endpoint: endpoint,
			Owner: info.Account, Attrs: attrs, Created: s.now(),
		}
		if needsConfirmation(protocol) {
			sub.Pending, sub.Token = true, newToken()
			if err := tx.Put(tableTokens, []byte(sub.Token), []byte(sub.ARN)); err != nil {
				return err
			}
			if err := s.requestConfirmation(tx, t, sub, info.Endpoint); err != nil {
				return err
			}
		} else {
			sub.Authenticated = true
		}
		arn, pending = sub.ARN, sub.Pending
		return putJSON(tx, tableSubs, sub.ARN, sub)
	})
	if err != nil {
		return nil, err
	}
	if pending && !deref(in.ReturnSubscriptionArn) {
		arn = pendingARN
	}
	return &snsapi.SubscribeOutput{SubscriptionArn: &arn}, nil
}

func deleteSub(tx storage.Tx, sub *subRecord) error {
	if sub.Token != "" {
		if err := tx.Delete(tableTokens, []byte(sub.Token)); err != nil {
			return err
		}
	}
	return tx.Delete(tableSubs, []byte(sub.ARN))
}

func (s *Service) ConfirmSubscription(ctx context.Context, in *snsapi.ConfirmSubscriptionInput) (*snsapi.ConfirmSubscriptionOutput, error) {
	info := request.FromContext(ctx)
	topic, token := deref(in.TopicArn), deref(in.Token)
	if err := checkTopicARN(topic); err != nil {
		return nil, err
	}
	var arn string
	err := s.updateTopic(ctx, topic, func(tx storage.Tx) error {
		if _, err := loadTopic(tx, topic); err != nil {
			return err
		}
		subARN, err := tx.Get(tableTokens, []byte(token))
		if err != nil {
			if err == storage.ErrNotFound {
				return invalidParameter("Invalid token")
			}
			return err
		}
		sub, err := loadSub(tx, string(subARN))
		if err != nil {
			return err
		}
		if sub.TopicARN != topic {
			return invalidParameter("Invalid token")
		}
		arn = sub.ARN
		if !sub.Pending {
			return nil
		}
		sub.Pending = false
		// A confirmation through a signed request authenticates the
		// subscriber (the SubscribeURL link is anonymous).
		sub.Authenticated = info.AccessKey != "" || strings.EqualFold(deref(in.AuthenticateOnUnsubscribe), "true")
		return putJSON(tx, tableSubs, sub.ARN, sub)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.ConfirmSubscriptionOutput{SubscriptionArn: &arn}, nil
}

// checkSubARN validates a SubscriptionArn parameter and returns its topic.
func checkSubARN(arn string) (string, error) {
	topic, ok := topicOfSubscription(arn)
	if !ok {
		return "", invalidParameter("SubscriptionArn")
	}
	return topic, nil
}

func (s *Service) Unsubscribe(ctx context.Context, in *snsapi.UnsubscribeInput) (*snsapi.UnsubscribeOutput, error) {
	arn := deref(in.SubscriptionArn)
	topic, err := checkSubARN(arn)
	if err != nil {
		return nil, err
	}
	// Unsubscribing twice is not an error.
	err = s.updateTopic(ctx, topic, func(tx storage.Tx) error {
		sub, err := loadSub(tx, arn)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return deleteSub(tx, sub)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.UnsubscribeOutput{}, nil
}

func (s *Service) GetSubscriptionAttributes(ctx context.Context, in *snsapi.GetSubscriptionAttributesInput) (*snsapi.GetSubscriptionAttributesOutput, error) {
	arn := deref(in.SubscriptionArn)
	topic, err := checkSubARN(arn)
	if err != nil {
		return nil, err
	}
	var out map[string]string
	err = s.db.View(ctx, func(tx storage.Tx) error {
		sub, err := loadSub(tx, arn)
		if err != nil {
			return err
		}
		var topicPolicy string
		if t, err := loadTopic(tx, topic); err == nil {
			topicPolicy = t.Attrs[attrDeliveryPolicy]
		}
		out = subAttributes(sub, topicPolicy)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.GetSubscriptionAttributesOutput{Attributes: out}, nil
}

func subAttributes(sub *subRecord, topicDeliveryPolicy string) map[string]string {
	out := maps.Clone(sub.Attrs)
	if out == nil {
		out = map[string]string{}
	}
	out["SubscriptionArn"] = sub.ARN
	out["TopicArn"] = sub.TopicARN
	out["Protocol"] = sub.Protocol
	out["Endpoint"] = sub.Endpoint
	out["Owner"] = sub.Owner
	out["SubscriptionPrincipal"] = "arn:aws:iam::" + sub.Owner + ":root"
	out["PendingConfirmation"] = boolString(sub.Pending)
	out["ConfirmationWasAuthenticated"] = boolString(sub.Authenticated)
	if sub.Protocol == protoHTTP || sub.Protocol == protoHTTPS {
		out["EffectiveDeliveryPolicy"] = effectiveSubDeliveryPolicy(topicDeliveryPolicy, sub.Attrs[attrDeliveryPolicy])
	}
	return out
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (s *Service) SetSubscriptionAttributes(ctx context.Context, in *snsapi.SetSubscriptionAttributesInput) (*snsapi.SetSubscriptionAttributesOutput, error) {
	arn := deref(in.SubscriptionArn)
	topic, err := checkSubARN(arn)
	if err != nil {
		return nil, err
	}
	name, value := deref(in.AttributeName), deref(in.AttributeValue)
	err = s.updateTopic(ctx, topic, func(tx storage.Tx) error {
		sub, err := loadSub(tx, arn)
		if err != nil {
			return err
		}
		if sub.Attrs == nil {
			sub.Attrs = map[string]string{}
		}
		v, err := checkSubAttribute(name, value, sub.Protocol, sub.Attrs)
		if err != nil {
			return err
		}
		if v == "" && name != attrRawDelivery {
			delete(sub.Attrs, name)
			if name == attrFilterPolicy {
				delete(sub.Attrs, attrFilterPolicyScope)
			}
		} else {
			sub.Attrs[name] = v
		}
		if sub.Attrs[attrFilterPolicy] != "" && sub.Attrs[attrFilterPolicyScope] == "" {
			sub.Attrs[attrFilterPolicyScope] = scopeAttributes
		}
		return putJSON(tx, tableSubs, arn, sub)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.SetSubscriptionAttributesOutput{}, nil
}

func listingEntry(sub *subRecord) snsapi.Subscription {
	arn := sub.ARN
	if sub.Pending {
		arn = pendingListingARN
	}
	return snsapi.Subscription{SubscriptionArn: ptr(arn), Owner: ptr(sub.Owner), Protocol: ptr(sub.Protocol),
		Endpoint: ptr(sub.Endpoint), TopicArn: ptr(sub.TopicARN)}
}

// listSubs pages through the subscriptions whose ARNs start with prefix.
func (s *Service) listSubs(ctx context.Context, prefix string, token *string, check func(tx storage.Tx) error) ([]snsapi.Subscription, *string, error) {
	after, err := decodeToken(token, prefix)
	if err != nil {
		return nil, nil, err
	}
	subs := []snsapi.Subscription{}
	var next, last *string
	err = s.db.View(ctx, func(tx storage.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		return scanJSON(tx, tableSubs, storage.Range{Prefix: []byte(prefix), After: after}, func(k []byte, sub *subRecord) bool {
			if len(subs) == pageSize {
				next = ptr(encodeToken(last))
				return false
			}
			subs = append(subs, listingEntry(sub))
			last = ptr(string(k))
			return true
		})
	})
	return subs, next, err
}

func (s *Service) ListSubscriptions(ctx context.Context, in *snsapi.ListSubscriptionsInput) (*snsapi.ListSubscriptionsOutput, error) {
	info := request.FromContext(ctx)
	subs, next, err := s.listSubs(ctx, topicARN(info.Region, info.Account, ""), in.NextToken, nil)
	if err != nil {
		return nil, err
	}
	return &snsapi.ListSubscriptionsOutput{Subscriptions: subs, NextToken: next}, nil
}

func (s *Service) ListSubscriptionsByTopic(ctx context.Context, in *snsapi.ListSubscriptionsByTopicInput) (*snsapi.ListSubscriptionsByTopicOutput, error) {
	topic := deref(in.TopicArn)
	if err := checkTopicARN(topic); err != nil {
		return nil, err
	}
	subs, next, err := s.listSubs(ctx, topic+":", in.NextToken, func(tx storage.Tx) error {
		_, err := loadTopic(tx, topic)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.ListSubscriptionsByTopicOutput{Subscriptions: subs, NextToken: next}, nil
}
