// Package events is durable delivery between services: S3 event
// notifications, SNS fan-out, EventBridge targets, event-source mappings and
// schedules all hand their deliveries to a Bus.
//
// A producer enqueues deliveries inside its own storage transaction, so a
// delivery exists exactly when the write that caused it committed. The Bus's
// dispatcher then hands each delivery to the Sink registered for its kind,
// retries failures with backoff, and gives up (to a dead-letter target or
// the log) only after the delivery's retry policy is exhausted. Deliveries
// survive restarts and kill -9: nothing lives only in a goroutine.
//
// A sink that keeps its state in the same store (SQS) receives the
// dispatcher's transaction, so the delivery and its removal from the outbox
// commit together: exactly once. A sink that talks to the outside (HTTP
// endpoints) ignores the transaction; it may see a delivery again after a
// crash, which is the at-least-once contract AWS documents for those.
//
// A producer may instead hand local deliveries to Bus.DeliverInline, which
// delivers them in the producer's own transaction when nothing waits in
// the outbox (one commit instead of two, no dispatcher latency), and
// enqueues them otherwise. A local sink wakes its readers with AfterCommit,
// which runs once the transaction it wrote in (the dispatcher's, or the
// producer's through WithCommitHooks) committed.
//
// Kinds and targets: "sqs" (queue ARN; attributes SQS*), "sns" (topic ARN;
// see the sns package), "http"/"https" (URL), "lambda" (function ARN; the
// body is the invocation event), "events" (EventBridge). A sink that can
// tell whether a target exists implements Checker.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Delivery is one message on its way to one target.
type Delivery struct {
	ID string `json:"id"` // assigned by Enqueue
	// Kind selects the sink: "sqs", "sns", "http", "https", "lambda",
	// "email", "sms", "application", "events", ...
	Kind string `json:"kind"`
	// Target is the ARN or URL the delivery goes to.
	Target string `json:"target"`
	// Body is the payload, in the form the sink expects (for SQS, the
	// message body).
	Body []byte `json:"body"`
	// Attributes carry sink-specific metadata (for SQS: message attributes
	// encoded by the producer, message group and deduplication ids).
	Attributes map[string]string `json:"attrs,omitempty"`
	// Source names the producer for logs and dead letters, e.g. the topic
	// or bucket ARN.
	Source string `json:"source,omitempty"`
	// Retry is the retry policy; the zero value means DefaultRetry.
	Retry RetryPolicy `json:"retry,omitzero"`
	// DeadLetter, when set, receives the delivery (as an "sqs" delivery of
	// the same body and attributes) once retries are exhausted.
	DeadLetter string `json:"dlq,omitempty"`

	// Attempts made so far and when the next one is due; kept by the Bus.
	Attempts  int       `json:"attempts,omitempty"`
	NotBefore time.Time `json:"notBefore,omitzero"`
	Enqueued  time.Time `json:"enqueued,omitzero"`
}

// RetryPolicy bounds how a failing delivery is retried.
type RetryPolicy struct {
	MaxAttempts int           `json:"max,omitempty"`      // total attempts, including the first
	MinDelay    time.Duration `json:"min,omitempty"`      // delay before the first retry
	MaxDelay    time.Duration `json:"maxDelay,omitempty"` // cap of the exponential backoff
	// Delays, when set, is the producer's own schedule instead of the
	// exponential backoff: Delays[i] is the wait before retry i+1 (the
	// last one repeats). SNS computes it from an HTTP/S delivery policy.
	Delays []time.Duration `json:"delays,omitempty"`
}

// DefaultRetry is used when a delivery carries no policy.
var DefaultRetry = RetryPolicy{MaxAttempts: 10, MinDelay: time.Second, MaxDelay: 5 * time.Minute}

// Sink delivers deliveries of one kind.
type Sink interface {
	// Deliver delivers d. For a local sink, tx is the dispatcher's
	// read-write transaction, in which d is removed from the outbox when
	// Deliver returns nil: a sink whose state is in the same store writes
	// through tx and must be quick. For an External sink tx is nil and no
	// transaction is held during the call. Returning an error (rolling tx
	// back) schedules a retry; a Permanent error is not retried.
	Deliver(ctx context.Context, tx storage.Tx, d *Delivery) error
}

// External is implemented by sinks that talk to the outside world (HTTP
// endpoints, processes): they are called outside any transaction and
// concurrently.
type External interface {
	External() bool
}

// Checker is implemented by sinks that can tell whether a target exists,
// for producers that check their destinations when they are configured
// (S3 refuses a notification configuration naming a missing queue).
type Checker interface {
	Exists(ctx context.Context, target string) (bool, error)
}

// Permanent marks an error that retrying cannot fix (the target does not
// exist, the payload is refused).
type Permanent struct{ Err error }

func (p Permanent) Error() string { return p.Err.Error() }
func (p Permanent) Unwrap() error { return p.Err }

// Deferred is returned by a sink that will not take a delivery before
// Until (a throttled endpoint): the delivery waits until then, and the
// attempt does not count against its retry policy.
type Deferred struct{ Until time.Time }

func (d Deferred) Error() string {
	return "events: delivery deferred until " + d.Until.Format(time.RFC3339Nano)
}

// Kinds of deliveries whose sinks more than one producer targets.
const (
	KindSQS    = "sqs"
	KindLambda = "lambda"
	KindSNS    = "sns"
	KindEvents = "events" // EventBridge
)

// Attribute keys of "sqs" deliveries (Delivery.Attributes), the contract
// between the producers (SNS, S3, EventBridge) and the SQS sink.
const (
	// SQSMessageAttributes holds the message attributes of the SQS message,
	// as EncodeMessageAttributes writes them.
	SQSMessageAttributes = "sqs.messageAttributes"
	// SQSMessageGroupID and SQSDeduplicationID are the FIFO message group
	// and deduplication ids (FIFO queues only).
	SQSMessageGroupID  = "sqs.messageGroupId"
	SQSDeduplicationID = "sqs.messageDeduplicationId"
	// SQSSenderID is the SenderId system attribute the message gets (the
	// principal of the producing service); empty means the sink's default.
	SQSSenderID = "sqs.senderId"
)

// MessageAttribute is one SQS (or SNS) message attribute.
type MessageAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// EncodeMessageAttributes encodes attributes for the SQSMessageAttributes
// key of a delivery.
func EncodeMessageAttributes(attrs map[string]MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	b, _ := json.Marshal(attrs) // a map of plain structs always encodes
	return string(b)
}

// DecodeMessageAttributes reads what EncodeMessageAttributes wrote; an
// empty string is no attributes.
func DecodeMessageAttributes(s string) (map[string]MessageAttribute, error) {
	if s == "" {
		return nil, nil
	}
	var attrs map[string]MessageAttribute
	if err := json.Unmarshal([]byte(s), &attrs); err != nil {
		return nil, fmt.Errorf("events: message attributes: %w", err)
	}
	return attrs, nil
}

// AfterCommit registers fn to run once the dispatcher's transaction in
// which a local sink is delivering has committed: a sink uses it to wake
// its readers (SQS long polls) only when what it wrote is visible. It
// reports false, and never runs fn, when ctx is not that of a delivery
// (the sink was called outside the Bus). Hooks of a transaction that rolls
// back are dropped.
func AfterCommit(ctx context.Context, fn func()) bool {
	h, ok := ctx.Value(commitHooksKey{}).(*commitHooks)
	if !ok {
		return false
	}
	h.fns = append(h.fns, fn)
	return true
}

type commitHooksKey struct{}

// commitHooks collects the AfterCommit functions of one transaction.
type commitHooks struct{ fns []func() }
