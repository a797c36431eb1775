package s3

import (
	"context"
	"reflect"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

const (
	testQueueARN  = "arn:aws:sqs:us-east-1:000000000000:events"
	testTopicARN  = "arn:aws:sns:us-east-1:000000000000:topic"
	testLambdaARN = "arn:aws:lambda:us-east-1:000000000000:function:handler"
)

func keyFilterRules(rules ...string) *s3api.NotificationConfigurationFilter {
	f := &s3api.NotificationConfigurationFilter{Key: &s3api.S3KeyFilter{}}
	for i := 0; i+1 < len(rules); i += 2 {
		f.Key.FilterRules = append(f.Key.FilterRules, s3api.FilterRule{Name: ptr(rules[i]), Value: ptr(rules[i+1])})
	}
	return f
}

func TestValidateNotification(t *testing.T) {
	queue := func(arn string, filter *s3api.NotificationConfigurationFilter, events ...string) s3api.QueueConfiguration {
		return s3api.QueueConfiguration{QueueArn: ptr(arn), Events: events, Filter: filter}
	}
	cases := []struct {
		name string
		cfg  *s3api.NotificationConfiguration
		code string
		msg  string
	}{
		{"empty", &s3api.NotificationConfiguration{}, "", ""},
		{"queue", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{queue(testQueueARN, nil, "s3:ObjectCreated:*")}}, "", ""},
		{"all kinds", &s3api.NotificationConfiguration{
			QueueConfigurations:          []s3api.QueueConfiguration{queue(testQueueARN, keyFilterRules("prefix", "a/"), "s3:ObjectCreated:*")},
			TopicConfigurations:          []s3api.TopicConfiguration{{TopicArn: ptr(testTopicARN), Events: []string{"s3:ObjectCreated:*"}, Filter: keyFilterRules("prefix", "b/")}},
			LambdaFunctionConfigurations: []s3api.LambdaFunctionConfiguration{{LambdaFunctionArn: ptr(testLambdaARN), Events: []string{"s3:ObjectRemoved:*"}}},
			EventBridgeConfiguration:     &s3api.EventBridgeConfiguration{},
		}, "", ""},
		{"bad event", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{queue(testQueueARN, nil, "s3:ObjectCreated:Patch")}}, "InvalidArgument", "The event is not supported for notifications"},
		{"test event is not configurable", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{queue(testQueueARN, nil, "s3:TestEvent")}}, "InvalidArgument", "The event is not supported for notifications"},
		{"bad arn", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{queue("queue", nil, "s3:ObjectCreated:*")}}, "InvalidArgument", "The ARN is not well formed"},
		{"topic arn as queue", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{queue(testTopicARN, nil, "s3:ObjectCreated:*")}}, "InvalidArgument", "The ARN is not well formed"},
		{"no events", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{queue(testQueueARN, nil)}}, "MalformedXML", ""},
		{"bad filter name", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{queue(testQueueARN, keyFilterRules("middle", "x"), "s3:ObjectCreated:*")}}, "InvalidArgument", ""},
		{"two prefixes", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{queue(testQueueARN, keyFilterRules("prefix", "a", "Prefix", "b"), "s3:ObjectCreated:*")}}, "InvalidArgument",
			"Cannot specify more than one prefix rule in a filter."},
		{"overlap wildcard and put", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{
			queue(testQueueARN, nil, "s3:ObjectCreated:*"), queue(testQueueARN, nil, "s3:ObjectCreated:Put")}}, "InvalidArgument",
			"Configurations overlap. Configurations on the same bucket cannot share a common event type."},
		{"overlap across kinds", &s3api.NotificationConfiguration{
			QueueConfigurations: []s3api.QueueConfiguration{queue(testQueueARN, keyFilterRules("prefix", "images/"), "s3:ObjectCreated:Put")},
			TopicConfigurations: []s3api.TopicConfiguration{{TopicArn: ptr(testTopicARN), Events: []string{"s3:ObjectCreated:*"}, Filter: keyFilterRules("prefix", "images/jpg/")}},
		}, "InvalidArgument", ""},
		{"disjoint prefixes", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{
			queue(testQueueARN, keyFilterRules("prefix", "images/"), "s3:ObjectCreated:*"), queue(testQueueARN, keyFilterRules("prefix", "videos/"), "s3:ObjectCreated:*")}}, "", ""},
		{"disjoint suffixes", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{
			queue(testQueueARN, keyFilterRules("suffix", ".jpg"), "s3:ObjectCreated:*"), queue(testQueueARN, keyFilterRules("suffix", ".png"), "s3:ObjectCreated:*")}}, "", ""},
		{"different events", &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{
			queue(testQueueARN, nil, "s3:ObjectCreated:*"), queue(testQueueARN, nil, "s3:ObjectRemoved:*")}}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validateNotification(c.cfg)
			wantResult(t, err, c.code)
			if c.msg != "" && awserr.From(err).Message != c.msg {
				t.Fatalf("message %q", awserr.From(err).Message)
			}
		})
	}
}

func TestMatchNotifications(t *testing.T) {
	cfg := &s3api.NotificationConfiguration{
		QueueConfigurations: []s3api.QueueConfiguration{
			{Id: ptr("images"), QueueArn: ptr(testQueueARN), Events: []string{"s3:ObjectCreated:*"}, Filter: keyFilterRules("Prefix", "images/", "Suffix", ".jpg")},
		},
		TopicConfigurations: []s3api.TopicConfiguration{
			{Id: ptr("removed"), TopicArn: ptr(testTopicARN), Events: []string{"s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"}},
		},
		LambdaFunctionConfigurations: []s3api.LambdaFunctionConfiguration{
			{Id: ptr("docs"), LambdaFunctionArn: ptr(testLambdaARN), Events: []string{"s3:ObjectCreated:Put"}, Filter: keyFilterRules("prefix", "docs/")},
		},
	}
	withBus := *cfg
	withBus.EventBridgeConfiguration = &s3api.EventBridgeConfiguration{}
	queue := target{Kind: targetQueue, ARN: testQueueARN, ID: "images"}
	topic := target{Kind: targetTopic, ARN: testTopicARN, ID: "removed"}
	lambda := target{Kind: targetLambda, ARN: testLambdaARN, ID: "docs"}
	cases := []struct {
		name       string
		cfg        *s3api.NotificationConfiguration
		event, key string
		want       []target
	}{
		{"wildcard event with filters", cfg, "s3:ObjectCreated:Put", "images/cat.jpg", []target{queue}},
		{"suffix mismatch", cfg, "s3:ObjectCreated:Copy", "images/cat.png", nil},
		{"prefix mismatch", cfg, "s3:ObjectCreated:Post", "thumbs/cat.jpg", nil},
		{"exact event", cfg, "s3:ObjectRemoved:DeleteMarkerCreated", "any", []target{topic}},
		{"event not listed", cfg, "s3:ObjectRemoved:Delete", "docs/a", []target{topic}},
		{"lambda put only", cfg, "s3:ObjectCreated:Copy", "docs/a", nil},
		{"lambda put", cfg, "s3:ObjectCreated:Put", "docs/a", []target{lambda}},
		{"eventbridge gets everything", &withBus, "s3:ObjectRestore:Completed", "x", []target{{Kind: targetEventBridge}}},
		{"no configuration", nil, "s3:ObjectCreated:Put", "x", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := matchNotifications(c.cfg, c.event, c.key); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestNotificationOperations(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	configTestBucket(t, s, "notify")
	out, err := s.GetBucketNotificationConfiguration(ctx, &s3api.GetBucketNotificationConfigurationInput{Bucket: ptr("notify")})
	if err != nil || !reflect.DeepEqual(*out, s3api.NotificationConfiguration{}) {
		t.Fatalf("empty configuration: %v %+v", err, out)
	}
	cfg := &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{
		{QueueArn: ptr(testQueueARN), Events: []string{"s3:ObjectCreated:*"}, Filter: keyFilterRules("prefix", "in/")},
	}}
	if _, err := s.PutBucketNotificationConfiguration(ctx, &s3api.PutBucketNotificationConfigurationInput{Bucket: ptr("notify"), NotificationConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}
	out, err = s.GetBucketNotificationConfiguration(ctx, &s3api.GetBucketNotificationConfigurationInput{Bucket: ptr("notify")})
	if err != nil || len(out.QueueConfigurations) != 1 {
		t.Fatalf("get: %v %+v", err, out)
	}
	q := out.QueueConfigurations[0]
	if deref(q.Id) == "" || *q.Filter.Key.FilterRules[0].Name != "Prefix" {
		t.Fatalf("id generated and filter name normalised: %+v", q)
	}
	if _, err := s.PutBucketNotificationConfiguration(ctx, &s3api.PutBucketNotificationConfigurationInput{Bucket: ptr("notify"), NotificationConfiguration: &s3api.NotificationConfiguration{}}); err != nil {
		t.Fatal(err)
	}
	out, _ = s.GetBucketNotificationConfiguration(ctx, &s3api.GetBucketNotificationConfigurationInput{Bucket: ptr("notify")})
	if len(out.QueueConfigurations) != 0 {
		t.Fatal("empty configuration did not clear")
	}
}
