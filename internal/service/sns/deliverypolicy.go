package sns

import (
	"encoding/json"
	"math"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/events"
)

// retryPolicy is the healthyRetryPolicy of an HTTP/S delivery policy, with
// the fields in the order SNS writes them.
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// defaultHTTPRetry is SNS's policy for HTTP/S endpoints: three retries,
// twenty seconds apart.
var defaultHTTPRetry = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}

type throttlePolicy struct {
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond"`
}

func (t *throttlePolicy) check() error {
	if t != nil && t.MaxReceivesPerSecond < 1 {
		return invalidParameter("DeliveryPolicy: maxReceivesPerSecond must be at least 1")
	}
	return nil
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType"`
}

const defaultContentType = "text/plain; charset=UTF-8"

// topicDeliveryPolicy is a topic's DeliveryPolicy ("http" only: the other
// protocols' retry policies cannot be changed).
type topicDeliveryPolicy struct {
	HTTP struct {
		DefaultHealthyRetryPolicy    *retryPolicy    `json:"defaultHealthyRetryPolicy,omitempty"`
		DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy,omitempty"`
		DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
		DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy,omitempty"`
	} `json:"http"`
}

// subDeliveryPolicy is a subscription's DeliveryPolicy.
type subDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy    `json:"healthyRetryPolicy,omitempty"`
	ThrottlePolicy     *throttlePolicy `json:"throttlePolicy,omitempty"`
	RequestPolicy      *requestPolicy  `json:"requestPolicy,omitempty"`
}

var backoffFunctions = map[string]bool{"linear": true, "arithmetic": true, "geometric": true, "exponential": true}

func (p *retryPolicy) check() error {
	switch {
	case p.MinDelayTarget < 1 || p.MaxDelayTarget < 1:
		return invalidParameter("DeliveryPolicy: minDelayTarget and maxDelayTarget must be at least 1")
	case p.MinDelayTarget > p.MaxDelayTarget:
		return invalidParameter("DeliveryPolicy: minDelayTarget must be less than or equal to maxDelayTarget")
	case p.MaxDelayTarget > 3600:
		return invalidParameter("DeliveryPolicy: maxDelayTarget must be less than or equal to 3600")
	case p.NumRetries < 0 || p.NumRetries > 100:
		return invalidParameter("DeliveryPolicy: numRetries must be between 0 and 100")
	case p.NumNoDelayRetries < 0 || p.NumMinDelayRetries < 0 || p.NumMaxDelayRetries < 0:
		return invalidParameter("DeliveryPolicy: retry counts must not be negative")
	case p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries:
		return invalidParameter("DeliveryPolicy: numNoDelayRetries, numMinDelayRetries and numMaxDelayRetries must add up to at most numRetries")
	case p.BackoffFunction == "":
		p.BackoffFunction = "linear"
	case !backoffFunctions[p.BackoffFunction]:
		return invalidParameter("DeliveryPolicy: backoffFunction must be one of linear, arithmetic, geometric, exponential")
	}
	if p.totalTime() > maxPolicyTime {
		return invalidParameter("DeliveryPolicy: the total retry time of a policy must not exceed 3600 seconds")
	}
	return nil
}

func parseTopicDeliveryPolicy(s string) (*topicDeliveryPolicy, error) {
	var p topicDeliveryPolicy
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, invalidParameter("DeliveryPolicy: failed to parse JSON")
	}
	if r := p.HTTP.DefaultHealthyRetryPolicy; r != nil {
		if err := r.check(); err != nil {
			return nil, err
		}
	}
	if err := p.HTTP.DefaultThrottlePolicy.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

func parseSubDeliveryPolicy(s string) (*subDeliveryPolicy, error) {
	var p subDeliveryPolicy
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, invalidParameter("DeliveryPolicy: failed to parse JSON")
	}
	if r := p.HealthyRetryPolicy; r != nil {
		if err := r.check(); err != nil {
			return nil, err
		}
	}
	if err := p.ThrottlePolicy.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// effectiveTopicDeliveryPolicy is the topic's EffectiveDeliveryPolicy: its
// DeliveryPolicy with SNS's defaults filled in.
func effectiveTopicDeliveryPolicy(set string) string {
	p := &topicDeliveryPolicy{}
	if set != "" {
		if parsed, err := parseTopicDeliveryPolicy(set); err == nil {
			p = parsed
		}
	}
	if p.HTTP.DefaultHealthyRetryPolicy == nil {
		r := defaultHTTPRetry
		p.HTTP.DefaultHealthyRetryPolicy = &r
	}
	if p.HTTP.DefaultRequestPolicy == nil {
		p.HTTP.DefaultRequestPolicy = &requestPolicy{HeaderContentType: defaultContentType}
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// effectiveSubDeliveryPolicy is an HTTP/S subscription's
// EffectiveDeliveryPolicy.
func effectiveSubDeliveryPolicy(topicPolicy, subPolicy string) string {
	retry, throttle, _ := httpDeliverySettings(topicPolicy, subPolicy)
	out := struct {
		HealthyRetryPolicy retryPolicy     `json:"healthyRetryPolicy"`
		SicklyRetryPolicy  *retryPolicy    `json:"sicklyRetryPolicy"`
		ThrottlePolicy     *throttlePolicy `json:"throttlePolicy"`
		Guaranteed         bool            `json:"guaranteed"`
	}{HealthyRetryPolicy: retry, ThrottlePolicy: throttle}
	b, _ := json.Marshal(out)
	return string(b)
}

// httpDeliverySettings combines a topic's and a subscription's delivery
// policies: the subscription's wins unless the topic disables overrides.
func httpDeliverySettings(topicPolicy, subPolicy string) (retryPolicy, *throttlePolicy, string) {
	retry, contentType := defaultHTTPRetry, defaultContentType
	var throttle *throttlePolicy
	overrides := true
	if topicPolicy != "" {
		if tp, err := parseTopicDeliveryPolicy(topicPolicy); err == nil {
			if tp.HTTP.DefaultHealthyRetryPolicy != nil {
				retry = *tp.HTTP.DefaultHealthyRetryPolicy
			}
			throttle = tp.HTTP.DefaultThrottlePolicy
			if rp := tp.HTTP.DefaultRequestPolicy; rp != nil && rp.HeaderContentType != "" {
				contentType = rp.HeaderContentType
			}
			overrides = !tp.HTTP.DisableSubscriptionOverrides
		}
	}
	if overrides && subPolicy != "" {
		if sp, err := parseSubDeliveryPolicy(subPolicy); err == nil {
			if sp.HealthyRetryPolicy != nil {
				retry = *sp.HealthyRetryPolicy
			}
			if sp.ThrottlePolicy != nil {
				throttle = sp.ThrottlePolicy
			}
			if sp.RequestPolicy != nil && sp.RequestPolicy.HeaderContentType != "" {
				contentType = sp.RequestPolicy.HeaderContentType
			}
		}
	}
	return retry, throttle, contentType
}

// maxPolicyTime is the longest an HTTP/S delivery policy may keep
// retrying, a hard limit of SNS's.
const maxPolicyTime = 3600 * time.Second

// busRetry turns an SNS retry policy into the Bus's: the first attempt,
// then numRetries more on the policy's schedule.
func (p retryPolicy) busRetry() events.RetryPolicy {
	delays := p.schedule()
	r := events.RetryPolicy{MaxAttempts: len(delays) + 1, Delays: delays}
	if len(delays) == 0 {
		// No retries: the Bus's delays are never used, but the zero
		// policy would mean its default.
		r.Delays = nil
	}
	return r
}

// schedule is the delay before each retry of an HTTP/S delivery, in SNS's
// four phases:
//
//  1. numNoDelayRetries retries at once;
//  2. numMinDelayRetries retries minDelayTarget apart (pre-backoff);
//  3. the retries left over, growing from minDelayTarget to
//     maxDelayTarget by the backoff function;
//  4. numMaxDelayRetries retries maxDelayTarget apart (post-backoff).
//
// SNS does not publish the curves of its backoff functions; Nimbus's
// reach maxDelayTarget on the last backoff retry and start at
// minDelayTarget: linear grows by equal steps, arithmetic by steps that
// grow by equal amounts (a quadratic), geometric by a constant ratio, and
// exponential by steps that double (flat at first, steep at the end).
// SNS adds jitter to its delays; Nimbus does not, so that a schedule can
// be tested.
func (p retryPolicy) schedule() []time.Duration {
	n := max(p.NumRetries, 0)
	noDelay := min(max(p.NumNoDelayRetries, 0), n)
	minDelays := min(max(p.NumMinDelayRetries, 0), n-noDelay)
	maxDelays := min(max(p.NumMaxDelayRetries, 0), n-noDelay-minDelays)
	backoff := n - noDelay - minDelays - maxDelays
	lo, hi := float64(p.MinDelayTarget), float64(max(p.MaxDelayTarget, p.MinDelayTarget))
	out := make([]time.Duration, 0, n)
	for range noDelay {
		out = append(out, 0)
	}
	for range minDelays {
		out = append(out, seconds(lo))
	}
	for i := range backoff {
		out = append(out, seconds(backoffDelay(p.BackoffFunction, lo, hi, i, backoff)))
	}
	for range maxDelays {
		out = append(out, seconds(hi))
	}
	return out
}

// backoffDelay is the delay of retry i (0-based) of the k retries of the
// backoff phase, in seconds.
func backoffDelay(function string, lo, hi float64, i, k int) float64 {
	if k == 1 || lo == hi {
		return hi
	}
	x := float64(i) / float64(k-1) // 0 for the first retry, 1 for the last
	switch function {
	case "arithmetic":
		return lo + (hi-lo)*x*x
	case "geometric":
		return lo * math.Pow(hi/lo, x)
	case "exponential":
		return lo + (hi-lo)*(math.Exp2(float64(i))-1)/(math.Exp2(float64(k-1))-1)
	}
	return lo + (hi-lo)*x
}

// seconds rounds a delay to the millisecond.
func seconds(s float64) time.Duration {
	return time.Duration(math.Round(s*1000)) * time.Millisecond
}

// totalTime is how long a policy keeps retrying.
func (p retryPolicy) totalTime() time.Duration {
	var t time.Duration
	for _, d := range p.schedule() {
		t += d
	}
	return t
}
