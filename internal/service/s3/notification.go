package s3

import (
	"context"
	"regexp"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// notificationEvents are the event types S3 can notify about (model enum
// Event; "Supported event types for SQS, SNS, and Lambda" in the S3 User
// Guide).
var notificationEvents = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`s3:TestEvent s3:ReducedRedundancyLostObject
		s3:ObjectCreated:* s3:ObjectCreated:Put s3:ObjectCreated:Post s3:ObjectCreated:Copy
		s3:ObjectCreated:CompleteMultipartUpload s3:ObjectRemoved:* s3:ObjectRemoved:Delete
		s3:ObjectRemoved:DeleteMarkerCreated s3:ObjectRestore:* s3:ObjectRestore:Post
		s3:ObjectRestore:Completed s3:ObjectRestore:Delete s3:Replication:*
		s3:Replication:OperationFailedReplication s3:Replication:OperationNotTracked
		s3:Replication:OperationMissedThreshold s3:Replication:OperationReplicatedAfterThreshold
		s3:LifecycleTransition s3:IntelligentTiering s3:ObjectAcl:Put s3:LifecycleExpiration:*
		s3:LifecycleExpiration:Delete s3:LifecycleExpiration:DeleteMarkerCreated s3:ObjectTagging:*
		s3:ObjectTagging:Put s3:ObjectTagging:Delete`) {
		m[e] = true
	}
	// s3:TestEvent is what S3 sends, never what a configuration names.
	delete(m, "s3:TestEvent")
	return m
}()

// Destination kinds of a notification target.
const (
	targetQueue       = "queue"
	targetTopic       = "topic"
	targetLambda      = "lambda"
	targetEventBridge = "eventbridge"
)

// target is one destination an event must be delivered to.
type target struct {
	Kind string // targetQueue, targetTopic, targetLambda or targetEventBridge
	ARN  string // empty for EventBridge: events go to the account's default bus
	ID   string // the configuration's Id, sent as configurationId in the event
}

// notificationConfig is the part that queue, topic and Lambda
// configurations share, pointing into the stored structure.
type notificationConfig struct {
	kind   string
	arn    *string
	id     **string
	events []string
	filter *s3api.NotificationConfigurationFilter
}

func notificationConfigs(c *s3api.NotificationConfiguration) []notificationConfig {
	var out []notificationConfig
	for i := range c.QueueConfigurations {
		q := &c.QueueConfigurations[i]
		out = append(out, notificationConfig{targetQueue, q.QueueArn, &q.Id, q.Events, q.Filter})
	}
	for i := range c.TopicConfigurations {
		t := &c.TopicConfigurations[i]
		out = append(out, notificationConfig{targetTopic, t.TopicArn, &t.Id, t.Events, t.Filter})
	}
	for i := range c.LambdaFunctionConfigurations {
		l := &c.LambdaFunctionConfigurations[i]
		out = append(out, notificationConfig{targetLambda, l.LambdaFunctionArn, &l.Id, l.Events, l.Filter})
	}
	return out
}

var targetARN = map[string]*regexp.Regexp{
	targetQueue:  regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$`),
	targetTopic:  regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`),
	targetLambda: regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$`),
}

var targetArgumentName = map[string]string{targetQueue: "Queue", targetTopic: "Topic", targetLambda: "CloudFunction"}

// keyFilter is the prefix and suffix of a configuration's S3Key filter.
type keyFilter struct{ prefix, suffix string }

func (f keyFilter) matches(key string) bool {
	return strings.HasPrefix(key, f.prefix) && strings.HasSuffix(key, f.suffix)
}

// overlaps reports whether some key could match both filters.
func (f keyFilter) overlaps(g keyFilter) bool {
	prefixes := strings.HasPrefix(f.prefix, g.prefix) || strings.HasPrefix(g.prefix, f.prefix)
	suffixes := strings.HasSuffix(f.suffix, g.suffix) || strings.HasSuffix(g.suffix, f.suffix)
	return prefixes && suffixes
}

// keyFilterOf reads the prefix and suffix rules of a filter.
func keyFilterOf(f *s3api.NotificationConfigurationFilter) keyFilter {
	var kf keyFilter
	if f == nil || f.Key == nil {
		return kf
	}
	for _, r := range f.Key.FilterRules {
		switch strings.ToLower(deref(r.Name)) {
		case "prefix":
			kf.prefix = deref(r.Value)
		case "suffix":
			kf.suffix = deref(r.Value)
		}
	}
	return kf
}

// checkFilterRules validates the filter rules of a configuration and
// normalises their names to the capitalised form S3 answers with.
func checkFilterRules(f *s3api.NotificationConfigurationFilter) error {
	if f == nil || f.Key == nil {
		return nil
	}
	seen := map[string]bool{}
	for i := range f.Key.FilterRules {
		r := &f.Key.FilterRules[i]
		name := strings.ToLower(deref(r.Name))
		if name != "prefix" && name != "suffix" {
			return invalidArgument("filter rule name must be either prefix or suffix", "FilterRule", deref(r.Name))
		}
		if seen[name] {
			return invalidArgument("Cannot specify more than one "+name+" rule in a filter.", "FilterRule", deref(r.Name))
		}
		seen[name] = true
		if v := deref(r.Value); len(v) > maxKeyLength {
			return invalidArgument("The "+name+" filter rule value is too long", "FilterRule", v)
		}
		r.Name = ptr(strings.ToUpper(name[:1]) + name[1:])
	}
	return nil
}

// eventsOverlap reports whether two event types (possibly ending in *)
// share an event.
func eventsOverlap(a, b string) bool {
	if a == b {
		return true
	}
	if p, ok := strings.CutSuffix(a, "*"); ok && strings.HasPrefix(b, p) {
		return true
	}
	if p, ok := strings.CutSuffix(b, "*"); ok && strings.HasPrefix(a, p) {
		return true
	}
	return false
}

// validateNotification checks a notification configuration as S3 does and
// fills in the Ids the client left out.
func validateNotification(c *s3api.NotificationConfiguration) error {
	if c == nil {
		return malformedXML()
	}
	configs := notificationConfigs(c)
	filters := make([]keyFilter, len(configs))
	for i, nc := range configs {
		arn := deref(nc.arn)
		if !targetARN[nc.kind].MatchString(arn) {
			return invalidArgument("The ARN is not well formed", targetArgumentName[nc.kind], arn)
		}
		if len(nc.events) == 0 {
			return malformedXML()
		}
		for _, e := range nc.events {
			if !notificationEvents[e] {
				return invalidArgument("The event is not supported for notifications", "Event", e)
			}
		}
		if err := checkFilterRules(nc.filter); err != nil {
			return err
		}
		filters[i] = keyFilterOf(nc.filter)
		if *nc.id == nil || **nc.id == "" {
			*nc.id = ptr(generatedID())
		}
	}
	for i := range configs {
		for j := i + 1; j < len(configs); j++ {
			if !filters[i].overlaps(filters[j]) || !anyEventsOverlap(configs[i].events, configs[j].events) {
				continue
			}
			return invalidArgument("Configurations overlap. Configurations on the same bucket cannot share a common event type.", "Event", "")
		}
	}
	return nil
}

func anyEventsOverlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if eventsOverlap(x, y) {
				return true
			}
		}
	}
	return false
}

// matchNotifications returns the targets that an event (a concrete type
// such as s3:ObjectCreated:Put) on key must be delivered to.
func matchNotifications(cfg *s3api.NotificationConfiguration, event, key string) []target {
	if cfg == nil {
		return nil
	}
	var out []target
	for _, nc := range notificationConfigs(cfg) {
		if !keyFilterOf(nc.filter).matches(key) {
			continue
		}
		for _, e := range nc.events {
			if eventsOverlap(e, event) {
				out = append(out, target{Kind: nc.kind, ARN: deref(nc.arn), ID: deref(*nc.id)})
				break
			}
		}
	}
	if cfg.EventBridgeConfiguration != nil {
		out = append(out, target{Kind: targetEventBridge})
	}
	return out
}

func (s *Service) PutBucketNotificationConfiguration(ctx context.Context, in *s3api.PutBucketNotificationConfigurationInput) (*s3api.PutBucketNotificationConfigurationOutput, error) {
	c := in.NotificationConfiguration
	if err := validateNotification(c); err != nil {
		return nil, err
	}
	if err := s.checkDestinations(ctx, c); err != nil {
		return nil, err
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		if len(c.QueueConfigurations)+len(c.TopicConfigurations)+len(c.LambdaFunctionConfigurations) == 0 && c.EventBridgeConfiguration == nil {
			b.Notification = nil
		} else {
			b.Notification = c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.sendTestEvents(ctx, deref(in.Bucket), c); err != nil {
		return nil, err
	}
	return &s3api.PutBucketNotificationConfigurationOutput{}, nil
}

func (s *Service) GetBucketNotificationConfiguration(ctx context.Context, in *s3api.GetBucketNotificationConfigurationInput) (*s3api.GetBucketNotificationConfigurationOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if b.Notification == nil {
		return &s3api.GetBucketNotificationConfigurationOutput{}, nil
	}
	return b.Notification, nil
}
