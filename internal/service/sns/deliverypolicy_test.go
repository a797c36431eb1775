package sns

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

func secs(s ...float64) []time.Duration {
	out := []time.Duration{}
	for _, v := range s {
		out = append(out, seconds(v))
	}
	return out
}

func TestRetrySchedule(t *testing.T) {
	tests := []struct {
		name string
		p    retryPolicy
		want []time.Duration
	}{
		{"SNS's default", defaultHTTPRetry, secs(20, 20, 20)},
		{"no retries", retryPolicy{MinDelayTarget: 5, MaxDelayTarget: 5}, secs()},
		{"all four phases", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 10, NumRetries: 8, NumNoDelayRetries: 2, NumMinDelayRetries: 1,
			NumMaxDelayRetries: 2, BackoffFunction: "linear"}, secs(0, 0, 1, 1, 5.5, 10, 10, 10)},
		{"linear", retryPolicy{MinDelayTarget: 5, MaxDelayTarget: 25, NumRetries: 5, BackoffFunction: "linear"}, secs(5, 10, 15, 20, 25)},
		{"arithmetic", retryPolicy{MinDelayTarget: 5, MaxDelayTarget: 21, NumRetries: 5, BackoffFunction: "arithmetic"}, secs(5, 6, 9, 14, 21)},
		{"geometric", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 16, NumRetries: 5, BackoffFunction: "geometric"}, secs(1, 2, 4, 8, 16)},
		{"exponential", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 16, NumRetries: 5, BackoffFunction: "exponential"}, secs(1, 2, 4, 8, 16)},
		{"exponential is flat first", retryPolicy{MinDelayTarget: 2, MaxDelayTarget: 62, NumRetries: 5, BackoffFunction: "exponential"}, secs(2, 6, 14, 30, 62)},
		{"one backoff retry is the longest", retryPolicy{MinDelayTarget: 3, MaxDelayTarget: 9, NumRetries: 2, NumMinDelayRetries: 1, BackoffFunction: "geometric"}, secs(3, 9)},
		{"no backoff phase", retryPolicy{MinDelayTarget: 3, MaxDelayTarget: 9, NumRetries: 3, NumNoDelayRetries: 1, NumMinDelayRetries: 1, NumMaxDelayRetries: 1}, secs(0, 3, 9)},
		{"fractions round to the millisecond", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 2, NumRetries: 4, BackoffFunction: "linear"}, secs(1, 1.333, 1.667, 2)},
	}
	for _, tc := range tests {
		if got := tc.p.schedule(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: schedule %v; want %v", tc.name, got, tc.want)
		}
		r := tc.p.busRetry()
		if r.MaxAttempts != len(tc.want)+1 {
			t.Errorf("%s: %d attempts; want %d", tc.name, r.MaxAttempts, len(tc.want)+1)
		}
	}
}

func TestDeliveryPolicyChecks(t *testing.T) {
	tests := []struct {
		policy string
		ok     bool
	}{
		{`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":10,"numNoDelayRetries":2,"numMinDelayRetries":3,"numMaxDelayRetries":5,"backoffFunction":"exponential"}}`, true},
		{`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":100}}`, true},
		{`{"throttlePolicy":{"maxReceivesPerSecond":5}}`, true},
		{`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":3,"numNoDelayRetries":2,"numMaxDelayRetries":2}}`, false},
		{`{"healthyRetryPolicy":{"minDelayTarget":60,"maxDelayTarget":3600,"numRetries":3}}`, false}, // over an hour
		{`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":101}}`, false},
		{`{"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":1,"numRetries":1}}`, false},
		{`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1,"backoffFunction":"cubic"}}`, false},
		{`{"throttlePolicy":{"maxReceivesPerSecond":0}}`, false},
		{`{"healthyRetryPolicy":`, false},
	}
	for _, tc := range tests {
		_, err := parseSubDeliveryPolicy(tc.policy)
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.policy, err)
		}
		if !tc.ok {
			wantError(t, tc.policy, err, "InvalidParameter", "")
		}
	}
}

// A subscription's policy overrides its topic's, unless the topic
// disables overrides; without either, SNS's default applies.
func TestEffectiveHTTPRetry(t *testing.T) {
	topicPolicy := func(min, retries int, disable bool) string {
		return fmt.Sprintf(`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":%d,"maxDelayTarget":%d,"numRetries":%d},"disableSubscriptionOverrides":%v,"defaultThrottlePolicy":{"maxReceivesPerSecond":7}}}`, min, min, retries, disable)
	}
	subPolicy := `{"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":2,"numRetries":1},"throttlePolicy":{"maxReceivesPerSecond":3}}`
	tests := []struct {
		name, topic, sub string
		want             []time.Duration
		rate             int
	}{
		{"defaults", "", "", secs(20, 20, 20), 0},
		{"topic", topicPolicy(4, 2, false), "", secs(4, 4), 7},
		{"subscription", "", subPolicy, secs(2), 3},
		{"subscription over topic", topicPolicy(4, 2, false), subPolicy, secs(2), 3},
		{"overrides disabled", topicPolicy(4, 2, true), subPolicy, secs(4, 4), 7},
	}
	for _, tc := range tests {
		retry, throttle, _ := httpDeliverySettings(tc.topic, tc.sub)
		if got := retry.busRetry().Delays; !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("%s: delays %v; want %v", tc.name, got, tc.want)
		}
		rate := 0
		if throttle != nil {
			rate = throttle.MaxReceivesPerSecond
		}
		if rate != tc.rate {
			t.Errorf("%s: %d receives a second; want %d", tc.name, rate, tc.rate)
		}
	}
}

func TestThrottleAdmit(t *testing.T) {
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name  string
		rate  int
		steps []struct {
			at   int
			wait time.Duration
		}
	}{
		{"one a second", 1, []struct {
			at   int
			wait time.Duration
		}{{0, 0}, {10, ms(990)}, {999, ms(1)}, {1000, 0}, {1500, ms(500)}, {2000, 0}}},
		{"three a second", 3, []struct {
			at   int
			wait time.Duration
		}{{0, 0}, {100, 0}, {200, 0}, {300, ms(700)}, {1000, 0}, {1001, ms(99)}, {1100, 0}}},
	}
	for _, tc := range tests {
		var th throttle
		for _, s := range tc.steps {
			if got := th.admit("sub", tc.rate, at(s.at)); got != s.wait {
				t.Errorf("%s: at %dms wait %v; want %v", tc.name, s.at, got, s.wait)
			}
			if th.admit("other", tc.rate, at(s.at)) != 0 && s.at == 0 {
				t.Errorf("%s: subscriptions share a limit", tc.name)
			}
		}
	}
}

// dueTimes reads when each pending delivery of the Bus is due.
func (f *fixture) dueTimes() []time.Time {
	f.t.Helper()
	var out []time.Time
	f.db.View(context.Background(), func(tx storage.Tx) error {
		return tx.Scan("events.outbox", storage.Range{}, func(k, _ []byte) bool {
			out = append(out, time.Unix(0, int64(binary.BigEndian.Uint64(k[1:9]))))
			return true
		})
	})
	return out
}

// An HTTP subscriber that keeps failing is retried on its policy's
// schedule, then given up.
func TestHTTPRetriesFollowThePolicy(t *testing.T) {
	hook := newHookServer(t)
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	policy := `{"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":6,"numRetries":4,"numNoDelayRetries":1,"numMinDelayRetries":1,"backoffFunction":"linear"}}`
	f.subscribe(topic, "http", hook.URL, map[string]string{"DeliveryPolicy": policy})
	var c map[string]string
	json.Unmarshal(hook.next(t).body, &c)
	if _, err := f.svc.ConfirmSubscription(f.ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &topic, Token: ptr(c["Token"])}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		hook.status <- http.StatusServiceUnavailable
	}
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("m")})
	// Retries: at once, after 2 s (pre-backoff), then 2 s and 6 s
	// (backoff from 2 to 6). The first retry follows the first attempt
	// with no time to look in between.
	hook.next(t)
	for _, step := range []struct {
		attempts int
		delay    time.Duration
	}{{2, 2 * time.Second}, {3, 2 * time.Second}, {4, 6 * time.Second}} {
		hook.next(t)
		f.failedOnce(step.attempts)
		due := f.dueTimes()
		if len(due) != 1 || !due[0].Equal(f.clock.Now().Add(step.delay)) {
			t.Fatalf("after attempt %d: due %v; want %v after %v", step.attempts, due, step.delay, f.clock.Now())
		}
		f.clock.Advance(step.delay)
		f.bus.Kick()
	}
	hook.next(t) // the 5th and last attempt
	f.drained()
	select {
	case r := <-hook.reqs:
		t.Errorf("an attempt beyond the policy: %s", r.body)
	default:
	}
}

// A throttled subscription's deliveries wait for their second without
// using up their retries.
func TestHTTPThrottle(t *testing.T) {
	hook := newHookServer(t)
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	f.subscribe(topic, "http", hook.URL, map[string]string{"RawMessageDelivery": "true",
		"DeliveryPolicy": `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":0},"throttlePolicy":{"maxReceivesPerSecond":2}}`})
	var c map[string]string
	json.Unmarshal(hook.next(t).body, &c)
	f.svc.ConfirmSubscription(f.ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &topic, Token: ptr(c["Token"])})
	for i := range 5 {
		f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr(fmt.Sprint(i))})
	}
	got := map[string]bool{}
	for second := 0; len(got) < 5; second++ {
		if second > 3 {
			t.Fatalf("got %v after %d seconds", got, second)
		}
		want := min(2, 5-len(got))
		for range want {
			got[string(hook.next(t).body)] = true
		}
		// The rest wait for the next second (deferred past the clock),
		// and none is dropped.
		deadline := time.Now().Add(waitLimit)
		for {
			due := f.dueTimes()
			waiting := len(due) == 5-len(got)
			for _, d := range due {
				waiting = waiting && d.After(f.clock.Now())
			}
			if waiting {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("second %d: due %v; want %d deferred past %v", second, due, 5-len(got), f.clock.Now())
			}
			time.Sleep(time.Millisecond)
		}
		select {
		case r := <-hook.reqs:
			t.Fatalf("more than 2 in a second: %s", r.body)
		default:
		}
		f.clock.Advance(time.Second)
		f.bus.Kick()
	}
	f.drained()
}
