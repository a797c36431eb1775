package sns

import (
	"encoding/json"
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
	case p.BackoffFunction == "":
		p.BackoffFunction = "linear"
	case !backoffFunctions[p.BackoffFunction]:
		return invalidParameter("DeliveryPolicy: backoffFunction must be one of linear, arithmetic, geometric, exponential")
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

// busRetry turns an SNS retry policy into the Bus's: the first attempt
// and numRetries more, the delays growing from minDelayTarget to
// maxDelayTarget.
func (p retryPolicy) busRetry() events.RetryPolicy {
	return events.RetryPolicy{
		MaxAttempts: p.NumRetries + 1,
		MinDelay:    time.Duration(max(p.MinDelayTarget, 1)) * time.Second,
		MaxDelay:    time.Duration(max(p.MaxDelayTarget, p.MinDelayTarget, 1)) * time.Second,
	}
}
