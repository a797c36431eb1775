package sns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Delivery kinds of HTTP/S endpoints, served by httpSink.
const (
	kindHTTP  = "http"
	kindHTTPS = "https"
)

// Attributes of "http"/"https" deliveries: the request headers to send
// are the attributes named "header:<name>".
const (
	headerAttr = "header:"
	userAgent  = "Amazon Simple Notification Service Agent"
	// A throttled subscription's deliveries name it and its
	// maxReceivesPerSecond.
	throttleKeyAttr  = "sns.throttle"
	throttleRateAttr = "sns.maxReceivesPerSecond"
)

// Attributes of "sns" deliveries (a producer publishing to a topic).
const (
	// SNSSubjectAttribute is the Subject of the notification.
	SNSSubjectAttribute = "sns.subject"
	// SNSEndpointAttribute is the Nimbus endpoint the producer was called
	// on; the notification's URLs point there.
	SNSEndpointAttribute = "sns.endpoint"
	// SNSMessageAttributes holds message attributes in the encoding of
	// events.EncodeMessageAttributes.
	SNSMessageAttributes = "sns.messageAttributes"
)

// defaultEndpoint is used for the URLs in notifications when a producer
// did not say where Nimbus answers.
const defaultEndpoint = "http://localhost:4566"

// confirmationRetry: a confirmation request is retried a few times.
var confirmationRetry = events.RetryPolicy{MaxAttempts: 3, MinDelay: 2 * time.Second, MaxDelay: 20 * time.Second}

// deliveryFor returns the delivery of pub to one subscription, or nil
// when there is nothing to hand to the Bus: outbox protocols are captured
// in tx right away, and a Lambda subscription waits for a Lambda sink.
func (s *Service) deliveryFor(tx storage.Tx, t *topicRecord, sub *liveSub, pub *publication, endpoint string) (*events.Delivery, error) {
	rec := sub.rec
	msg := pub.messageFor(rec.Protocol)
	unsub := unsubscribeURL(endpoint, rec.ARN)
	switch rec.Protocol {
	case protoSQS:
		if !s.bus.Handles(events.KindSQS) {
			return nil, nil
		}
		d := &events.Delivery{Kind: events.KindSQS, Target: rec.Endpoint, Source: t.ARN, DeadLetter: sub.dlq}
		if sub.raw {
			d.Body = []byte(msg)
			if a := sqsAttributes(pub.attrs); a != "" {
				d.Attributes = map[string]string{events.SQSMessageAttributes: a}
			}
		} else {
			n, err := s.notification(tx, t, pub, msg, endpoint)
			if err != nil {
				return nil, err
			}
			d.Body = notificationJSON(n, unsub)
		}
		if strings.HasSuffix(rec.Endpoint, ".fifo") && pub.groupID != "" {
			if d.Attributes == nil {
				d.Attributes = map[string]string{}
			}
			d.Attributes[events.SQSMessageGroupID] = pub.groupID
			d.Attributes[events.SQSDeduplicationID] = pub.dedupID
		}
		return d, nil
	case protoHTTP, protoHTTPS:
		d := &events.Delivery{Kind: rec.Protocol, Target: rec.Endpoint, Source: t.ARN, DeadLetter: sub.dlq, Retry: sub.retry}
		d.Attributes = map[string]string{
			headerAttr + "x-amz-sns-message-type":     "Notification",
			headerAttr + "x-amz-sns-message-id":       pub.messageID,
			headerAttr + "x-amz-sns-topic-arn":        t.ARN,
			headerAttr + "x-amz-sns-subscription-arn": rec.ARN,
			headerAttr + "Content-Type":               sub.ctype,
		}
		if sub.rate > 0 {
			d.Attributes[throttleKeyAttr] = rec.ARN
			d.Attributes[throttleRateAttr] = strconv.Itoa(sub.rate)
		}
		if sub.raw {
			d.Body = []byte(msg)
			d.Attributes[headerAttr+"x-amz-sns-rawdelivery"] = "true"
		} else {
			n, err := s.notification(tx, t, pub, msg, endpoint)
			if err != nil {
				return nil, err
			}
			d.Body = notificationJSON(n, unsub)
		}
		return d, nil
	case protoLambda:
		// The Lambda service registers the "lambda" sink; it invokes the
		// function (Target) asynchronously with Body as the event.
		if !s.bus.Handles(events.KindLambda) {
			s.log.Debug("sns: no Lambda sink; skipping a Lambda subscription", "subscription", rec.ARN)
			return nil, nil
		}
		n, err := s.notification(tx, t, pub, msg, endpoint)
		if err != nil {
			return nil, err
		}
		return &events.Delivery{Kind: events.KindLambda, Target: rec.Endpoint, Source: t.ARN, DeadLetter: sub.dlq,
			Body: lambdaEvent(n, rec.ARN, unsub)}, nil
	}
	// Email, email-json, SMS, mobile push and Firehose: the outbox.
	om := &outboxMessage{
		Type: "Notification", Protocol: rec.Protocol, Endpoint: rec.Endpoint, TopicArn: t.ARN,
		SubscriptionArn: rec.ARN, MessageId: pub.messageID, Subject: pub.subject, Timestamp: pub.timestamp,
		MessageAttributes: outboxAttributes(pub.attrs),
	}
	switch rec.Protocol {
	case protoApplication:
		// A missing or disabled endpoint misses the message (a disabled
		// one tells its application's EventDeliveryFailure topic).
		err := s.pushToEndpoint(tx, rec.Endpoint, pub, om)
		var ae *awserr.Error
		if errors.As(err, &ae) {
			s.log.Debug("sns: not pushed", "subscription", rec.ARN, "err", err)
			return nil, nil
		}
		return nil, err
	case protoEmail:
		om.Message = emailText(msg, unsub)
	case protoEmailJSON:
		n, err := s.notification(tx, t, pub, msg, endpoint)
		if err != nil {
			return nil, err
		}
		om.Message = string(notificationJSON(n, unsub))
	case protoFirehose:
		if sub.raw {
			om.Message = msg
		} else {
			n, err := s.notification(tx, t, pub, msg, endpoint)
			if err != nil {
				return nil, err
			}
			om.Message = string(notificationJSON(n, unsub))
		}
	case protoSMS:
		om.Message = msg
		return nil, s.textIn(tx, t.Region+":"+t.Account+":", om)
	default:
		om.Message = msg
	}
	return nil, s.writeOutbox(tx, om)
}

// requestConfirmation asks a new HTTP/S or email subscriber to confirm.
func (s *Service) requestConfirmation(tx storage.Tx, t *topicRecord, sub *subRecord, endpoint string) error {
	if endpoint == "" {
		endpoint = defaultEndpoint
	}
	sg, err := s.signerIn(tx)
	if err != nil {
		return err
	}
	msgID := newUUID()
	ts := s.now().UTC().Format(timestampLayout)
	text := "You have chosen to subscribe to the topic " + t.ARN + ".\nTo confirm the subscription, visit the SubscribeURL included in this message."
	link := subscribeURL(endpoint, t.ARN, sub.Token)
	version := t.Attrs[attrSignatureVersion]
	if version == "" {
		version = "1"
	}
	body, err := sg.confirmationJSON("SubscriptionConfirmation", msgID, sub.Token, t.ARN, text, link, ts, version, endpoint)
	if err != nil {
		return err
	}
	switch sub.Protocol {
	case protoHTTP, protoHTTPS:
		if s.bus == nil {
			return nil
		}
		return s.bus.Enqueue(tx, &events.Delivery{
			Kind: sub.Protocol, Target: sub.Endpoint, Source: t.ARN, Body: body, Retry: confirmationRetry,
			Attributes: map[string]string{
				headerAttr + "x-amz-sns-message-type": "SubscriptionConfirmation",
				headerAttr + "x-amz-sns-message-id":   msgID,
				headerAttr + "x-amz-sns-topic-arn":    t.ARN,
				headerAttr + "Content-Type":           defaultContentType,
			},
		})
	}
	om := &outboxMessage{Type: "SubscriptionConfirmation", Protocol: sub.Protocol, Endpoint: sub.Endpoint, TopicArn: t.ARN,
		SubscriptionArn: sub.ARN, MessageId: msgID, Timestamp: ts, SubscribeURL: link, Token: sub.Token, Message: text}
	if sub.Protocol == protoEmailJSON {
		om.Message = string(body)
	} else {
		om.Subject = "AWS Notification - Subscription Confirmation"
		om.Message = "You have chosen to subscribe to the topic:\n" + t.ARN + "\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n" + link
	}
	return s.writeOutbox(tx, om)
}

// httpSink posts deliveries to HTTP/S endpoints. A 2xx answer delivers; a
// 429, a 5xx or no answer is retried by the delivery policy; any other
// answer is the subscriber refusing the message, which retrying cannot
// change (it goes to the dead-letter queue, if any).
type httpSink struct{ s *Service }

func (h *httpSink) External() bool { return true }

func (h *httpSink) Deliver(ctx context.Context, _ storage.Tx, d *events.Delivery) error {
	if rate, _ := strconv.Atoi(d.Attributes[throttleRateAttr]); rate > 0 {
		now := h.s.now()
		if wait := h.s.throttle.admit(d.Attributes[throttleKeyAttr], rate, now); wait > 0 {
			return events.Deferred{Until: now.Add(wait)}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Target, bytes.NewReader(d.Body))
	if err != nil {
		return events.Permanent{Err: err}
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Content-Type", defaultContentType)
	for k, v := range d.Attributes {
		name, ok := strings.CutPrefix(k, headerAttr)
		switch {
		case !ok:
		case strings.HasPrefix(name, "x-amz-"):
			// SNS sends its own headers in lower case; some subscribers
			// look them up case-sensitively.
			req.Header[name] = []string{v}
		default:
			req.Header.Set(name, v)
		}
	}
	resp, err := h.s.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("sns: %s answered %s", d.Target, resp.Status)
	}
	return events.Permanent{Err: fmt.Errorf("sns: %s answered %s", d.Target, resp.Status)}
}

// topicSink publishes "sns" deliveries (S3 event notifications and the
// like) to their topic, inside the dispatcher's transaction: the fan-out
// is enqueued in the same commit that consumes the delivery.
type topicSink struct{ s *Service }

func (ts *topicSink) Deliver(ctx context.Context, tx storage.Tx, d *events.Delivery) error {
	s := ts.s
	f, err := s.fanoutIn(tx, d.Target)
	if isNotFound(err) {
		return events.Permanent{Err: fmt.Errorf("sns: topic %s does not exist", d.Target)}
	}
	if err != nil {
		return err
	}
	pub := &publication{messageID: newUUID(), message: string(d.Body), subject: d.Attributes[SNSSubjectAttribute],
		timestamp: s.now().UTC().Format(timestampLayout)}
	if enc := d.Attributes[SNSMessageAttributes]; enc != "" {
		attrs, err := events.DecodeMessageAttributes(enc)
		if err != nil {
			return events.Permanent{Err: err}
		}
		for name, a := range attrs {
			pub.attrs = append(pub.attrs, msgAttr{Name: name, Type: a.DataType, String: a.StringValue, Binary: a.BinaryValue})
		}
		pub.attrs = sortedAttrs(pub.attrs)
	}
	endpoint := d.Attributes[SNSEndpointAttribute]
	if endpoint == "" {
		endpoint = defaultEndpoint
	}
	err = s.publishIn(ctx, tx, f, pub, endpoint, false)
	var perm events.Permanent
	if err != nil && !errors.As(err, &perm) && isClientError(err) {
		return events.Permanent{Err: err}
	}
	return err
}

// Exists reports whether a topic exists, for producers that check their
// destinations (S3's notification configuration).
func (ts *topicSink) Exists(ctx context.Context, target string) (bool, error) {
	found := false
	err := ts.s.db.View(ctx, func(tx storage.Tx) error {
		_, err := tx.Get(tableTopics, []byte(target))
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}
