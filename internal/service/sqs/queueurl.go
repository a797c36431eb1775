package sqs

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/request"
)

// queueRef names a queue: its account, region and name.
type queueRef struct{ account, region, name string }

func queueARN(region, account, name string) string {
	return "arn:aws:sqs:" + region + ":" + account + ":" + name
}

var errBadARN = errors.New("sqs: not a queue ARN")

// parseARN splits arn:aws:sqs:<region>:<account>:<name>.
func parseARN(arn string) (region, account, name string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "sqs" ||
		parts[3] == "" || len(parts[4]) != 12 || !validQueueName(parts[5]) {
		return "", "", "", errBadARN
	}
	return parts[3], parts[4], parts[5], nil
}

// queueURL is the URL of a queue as this request's client addressed Nimbus:
// <endpoint>/<account>/<name>, the path AWS's own queue URLs have.
func queueURL(ctx context.Context, account, name string) string {
	info := request.FromContext(ctx)
	endpoint := info.Endpoint
	if endpoint == "" {
		endpoint = "http://localhost:4566"
	}
	return strings.TrimSuffix(endpoint, "/") + "/" + account + "/" + name
}

// parseQueueURL reads the queue a QueueUrl names. Any host is accepted
// (Nimbus's own endpoint, sqs.<region>.amazonaws.com, the localstack.cloud
// names); the region comes from a regional host name, else from the
// request. A bare queue name is taken as a queue of the caller.
func parseQueueURL(ctx context.Context, raw string) (queueRef, bool) {
	info := request.FromContext(ctx)
	ref := queueRef{account: info.Account, region: info.Region}
	if raw == "" {
		return ref, false
	}
	if !strings.Contains(raw, "/") {
		ref.name = raw
		return ref, validQueueName(raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ref, false
	}
	if region := regionOfHost(u.Hostname()); region != "" {
		ref.region = region
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	// Some clients put a prefix before /<account>/<name> (queue/ in
	// LocalStack's path-style URLs); the last two segments decide.
	if len(parts) < 2 {
		return ref, false
	}
	account, name := parts[len(parts)-2], parts[len(parts)-1]
	if len(account) != 12 || !allDigits(account) || !validQueueName(name) {
		return ref, false
	}
	ref.account, ref.name = account, name
	return ref, true
}

// regionOfHost finds the region of sqs.<region>.amazonaws.com,
// <region>.queue.amazonaws.com and sqs.<region>.localhost.localstack.cloud.
func regionOfHost(host string) string {
	labels := strings.Split(strings.ToLower(host), ".")
	for i, l := range labels {
		if (l == "sqs" && i+1 < len(labels)) && looksLikeRegion(labels[i+1]) {
			return labels[i+1]
		}
		if l == "queue" && i > 0 && looksLikeRegion(labels[i-1]) {
			return labels[i-1]
		}
	}
	return ""
}

func looksLikeRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	last := parts[len(parts)-1]
	return last != "" && last[0] >= '0' && last[0] <= '9'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// validQueueName: 1 to 80 characters of letters, digits, - and _, with
// the .fifo suffix counted in.
func validQueueName(name string) bool {
	base := strings.TrimSuffix(name, ".fifo")
	if base == "" || len(name) > 80 {
		return false
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
