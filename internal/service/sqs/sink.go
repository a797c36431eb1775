package sqs

import (
	"context"
	"errors"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Attribute keys of "sqs" deliveries: the contract between the producers
// (SNS, S3 notifications, EventBridge) and this sink. They are the events
// package's, repeated here so that producers find them beside the sink.
const (
	// DeliveryMessageAttributes holds the message attributes, as
	// events.EncodeMessageAttributes writes them (the JSON of a
	// map[string]events.MessageAttribute).
	DeliveryMessageAttributes = events.SQSMessageAttributes
	// DeliveryMessageGroupID and DeliveryDeduplicationID are the FIFO
	// message group and deduplication ids; a FIFO queue requires the group,
	// and the deduplication id unless it has content-based deduplication.
	DeliveryMessageGroupID  = events.SQSMessageGroupID
	DeliveryDeduplicationID = events.SQSDeduplicationID
	// DeliverySenderID is the SenderId the message gets; empty means the
	// queue's account.
	DeliverySenderID = events.SQSSenderID
)

// Sink returns the events.Sink of kind "sqs": it appends a delivery's body
// to the queue its Target (a queue ARN) names, inside the dispatcher's
// transaction, and wakes the queue's long polls once that commits.
func (s *Service) Sink() events.Sink { return sink{s} }

type sink struct{ s *Service }

var (
	_ events.Sink    = sink{}
	_ events.Checker = sink{}
)

var errNoQueue = errors.New("sqs: the target queue does not exist")

// Deliver implements events.Sink. A missing queue or a message the queue
// refuses is a Permanent error: retrying cannot help.
func (k sink) Deliver(ctx context.Context, tx storage.Tx, d *events.Delivery) error {
	s := k.s
	region, acct, name, err := parseARN(d.Target)
	if err != nil {
		return events.Permanent{Err: errNoQueue}
	}
	q, err := loadQueue(tx, acct, region, name)
	if notFound(err) {
		return events.Permanent{Err: errNoQueue}
	}
	if err != nil {
		return err
	}
	attrs, err := events.DecodeMessageAttributes(d.Attributes[DeliveryMessageAttributes])
	if err != nil {
		return events.Permanent{Err: err}
	}
	var userAttrs map[string]sqsapi.MessageAttributeValue
	if len(attrs) > 0 {
		userAttrs = make(map[string]sqsapi.MessageAttributeValue, len(attrs))
		for n, a := range attrs {
			v := sqsapi.MessageAttributeValue{DataType: ptr(a.DataType)}
			if baseType(a.DataType) == "Binary" {
				v.BinaryValue = a.BinaryValue
			} else {
				v.StringValue = ptr(a.StringValue)
			}
			userAttrs[n] = v
		}
	}
	body := string(d.Body)
	var group, dedup *string
	if g, ok := d.Attributes[DeliveryMessageGroupID]; ok && g != "" {
		group = &g
	}
	if id, ok := d.Attributes[DeliveryDeduplicationID]; ok && id != "" {
		dedup = &id
	}
	o, err := prepare(&body, userAttrs, nil, nil, group, dedup)
	if err != nil {
		return events.Permanent{Err: err}
	}
	o.senderID = d.Attributes[DeliverySenderID]
	if o.senderID == "" {
		o.senderID = acct
	}
	if err := checkForQueue(q, o, false); err != nil {
		return events.Permanent{Err: err}
	}
	st, err := loadState(tx, q.ID)
	if err != nil {
		return err
	}
	if _, err := s.appendMessage(tx, q, &st, o); err != nil {
		return err
	}
	if err := saveState(tx, q.ID, st); err != nil {
		return err
	}
	qid := q.ID
	if !events.AfterCommit(ctx, func() { s.waiters.wake(qid) }) {
		// Called outside the Bus: the caller commits when it likes, so wake
		// now; a long poll that looks too early waits for the next wake.
		s.waiters.wake(qid)
	}
	return nil
}

// Exists tells producers that check their destinations (S3 notification
// configurations, SNS subscriptions) whether the queue an ARN names exists.
func (k sink) Exists(ctx context.Context, arn string) (bool, error) {
	region, acct, name, err := parseARN(arn)
	if err != nil {
		return false, nil
	}
	found := false
	err = k.s.db.View(ctx, func(tx storage.Tx) error {
		_, err := tx.Get(tQueues, queueKey(acct, region, name))
		if notFound(err) {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}
