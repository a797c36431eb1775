package s3

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Event names of the write paths (without the "s3:" of configurations).
const (
	eventPut                 = "ObjectCreated:Put"
	eventPost                = "ObjectCreated:Post"
	eventCopy                = "ObjectCreated:Copy"
	eventCompleteMultipart   = "ObjectCreated:CompleteMultipartUpload"
	eventDelete              = "ObjectRemoved:Delete"
	eventDeleteMarkerCreated = "ObjectRemoved:DeleteMarkerCreated"
	eventExpirationDelete    = "LifecycleExpiration:Delete"
	eventExpirationMarker    = "LifecycleExpiration:DeleteMarkerCreated"
)

// lifecycleOperation names the lifecycle worker in request.Info: its
// events come from S3 itself.
const lifecycleOperation = "LifecycleExpiration"

// Attributes of the "sns" deliveries S3 makes (see the sns package).
const (
	snsSubjectAttribute  = "sns.subject"
	snsEndpointAttribute = "sns.endpoint"
	snsSubject           = "Amazon S3 Notification"
)

// Attributes of "events" (EventBridge) deliveries: the body is the S3
// event record; the EventBridge service turns it into an "Object Created"
// or "Object Deleted" event on the account's default bus.
const (
	eventBridgeNameAttribute   = "s3.eventName"
	eventBridgeBucketAttribute = "s3.bucket"
)

// notifyCreated enqueues the notifications of a new object version in tx,
// the transaction that writes it, after a write that returned err (nil:
// the write went through). PutObject calls it as eventPut; a browser form
// upload (request operation PostObject) becomes eventPost.
func (s *Service) notifyCreated(ctx context.Context, tx storage.Tx, b *bucketRecord, event string, rec *objectRecord, err error) error {
	if err != nil || b.Notification == nil || s.events == nil {
		return err
	}
	if event == eventPut && request.FromContext(ctx).Operation == "PostObject" {
		event = eventPost
	}
	return s.notify(ctx, tx, b, event, eventObject{key: rec.Key, size: rec.Size, etag: rec.ETag, versionID: rec.VersionID, seq: rec.Seq, hasBody: true})
}

// notifyRemoved enqueues the notifications of a deletion in tx, after a
// delete that returned err.
func (s *Service) notifyRemoved(ctx context.Context, tx storage.Tx, b *bucketRecord, key string, res deleteResult, err error) error {
	if err != nil || b.Notification == nil || s.events == nil {
		return err
	}
	event := eventDelete
	if res.deleteMarker && b.Versioning != "" && res.versionID != "" {
		event = eventDeleteMarkerCreated
	}
	seq, _ := seqFromVersionID(res.versionID)
	if seq == 0 {
		seq, _ = s.clock.next()
	}
	return s.notify(ctx, tx, b, event, eventObject{key: key, versionID: res.versionID, seq: seq})
}

// notifyExpired enqueues the notification of a current version that a
// lifecycle rule expired, in the worker's transaction.
func (s *Service) notifyExpired(ctx context.Context, tx storage.Tx, b *bucketRecord, key string, res deleteResult, err error) error {
	if err != nil || b.Notification == nil || s.events == nil {
		return err
	}
	event := eventExpirationDelete
	if res.deleteMarker && res.versionID != "" {
		event = eventExpirationMarker
	}
	seq, _ := seqFromVersionID(res.versionID)
	if seq == 0 {
		seq, _ = s.clock.next()
	}
	ctx = request.With(ctx, &request.Info{Operation: lifecycleOperation, Region: b.Region, Account: b.Account, Header: http.Header{}})
	return s.notify(ctx, tx, b, event, eventObject{key: key, versionID: res.versionID, seq: seq})
}

// eventObject is the object part of an event record.
type eventObject struct {
	key       string
	size      int64
	etag      string
	versionID string
	seq       uint64
	hasBody   bool // creation events carry size and eTag
}

// notify enqueues one delivery per destination whose configuration
// matches event on the object's key.
func (s *Service) notify(ctx context.Context, tx storage.Tx, b *bucketRecord, event string, obj eventObject) error {
	targets := matchNotifications(b.Notification, "s3:"+event, obj.key)
	if len(targets) == 0 {
		return nil
	}
	info := request.FromContext(ctx)
	var ds []*events.Delivery
	for _, t := range targets {
		d := s.notificationDelivery(info, b, event, obj, t)
		if d != nil {
			ds = append(ds, d)
		}
	}
	return s.events.Enqueue(tx, ds...)
}

// notificationDelivery is the delivery of one event to one destination,
// or nil when no service takes that kind of destination (yet).
func (s *Service) notificationDelivery(info *request.Info, b *bucketRecord, event string, obj eventObject, t target) *events.Delivery {
	kind := map[string]string{targetQueue: events.KindSQS, targetTopic: events.KindSNS, targetLambda: events.KindLambda, targetEventBridge: events.KindEvents}[t.Kind]
	if !s.events.Handles(kind) {
		return nil
	}
	d := &events.Delivery{Kind: kind, Target: t.ARN, Source: "arn:aws:s3:::" + b.Name, Body: eventRecord(info, b, event, obj, t.ID, s.now())}
	switch kind {
	case events.KindSNS:
		d.Attributes = map[string]string{snsSubjectAttribute: snsSubject, snsEndpointAttribute: info.Endpoint}
	case events.KindEvents:
		d.Attributes = map[string]string{eventBridgeNameAttribute: event, eventBridgeBucketAttribute: b.Name}
	}
	return d
}

// The event record, with S3's field names and order.
type (
	eventMessage struct {
		Records []eventRec `json:"Records"`
	}
	eventRec struct {
		EventVersion      string            `json:"eventVersion"`
		EventSource       string            `json:"eventSource"`
		AwsRegion         string            `json:"awsRegion"`
		EventTime         string            `json:"eventTime"`
		EventName         string            `json:"eventName"`
		UserIdentity      principal         `json:"userIdentity"`
		RequestParameters map[string]string `json:"requestParameters"`
		ResponseElements  map[string]string `json:"responseElements"`
		S3                eventS3           `json:"s3"`
	}
	principal struct {
		PrincipalID string `json:"principalId"`
	}
	eventS3 struct {
		SchemaVersion   string      `json:"s3SchemaVersion"`
		ConfigurationID string      `json:"configurationId"`
		Bucket          eventBucket `json:"bucket"`
		Object          eventObj    `json:"object"`
	}
	eventBucket struct {
		Name          string    `json:"name"`
		OwnerIdentity principal `json:"ownerIdentity"`
		ARN           string    `json:"arn"`
	}
	eventObj struct {
		Key       string `json:"key"`
		Size      *int64 `json:"size,omitempty"`
		ETag      string `json:"eTag,omitempty"`
		VersionID string `json:"versionId,omitempty"`
		Sequencer string `json:"sequencer"`
	}
)

func eventRecord(info *request.Info, b *bucketRecord, event string, obj eventObject, configID string, now time.Time) []byte {
	o := eventObj{Key: eventKey(obj.key), VersionID: obj.versionID, Sequencer: fmt.Sprintf("%018X", obj.seq)}
	if obj.hasBody {
		size := obj.size
		o.Size, o.ETag = &size, strings.Trim(obj.etag, `"`)
	}
	if b.Versioning == "" || obj.versionID == "null" {
		o.VersionID = ""
	}
	rec := eventRec{
		EventVersion: "2.1", EventSource: "aws:s3", AwsRegion: bucketRegion(b, info), EventTime: now.UTC().Format("2006-01-02T15:04:05.000Z"),
		EventName: event, UserIdentity: principal{PrincipalID: principalOf(info)},
		RequestParameters: map[string]string{"sourceIPAddress": sourceIP(info)},
		ResponseElements:  map[string]string{"x-amz-request-id": info.RequestID, "x-amz-id-2": s3HostID(info.RequestID)},
		S3: eventS3{SchemaVersion: "1.0", ConfigurationID: configID, Object: o,
			Bucket: eventBucket{Name: b.Name, OwnerIdentity: principal{PrincipalID: canonicalID(b.Account)}, ARN: "arn:aws:s3:::" + b.Name}},
	}
	body, _ := json.Marshal(eventMessage{Records: []eventRec{rec}})
	return body
}

// eventKey encodes a key as S3 does in event records: form-encoded
// (spaces as +), with the slashes left as they are.
func eventKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

func bucketRegion(b *bucketRecord, info *request.Info) string {
	if b.Region != "" {
		return b.Region
	}
	return info.Region
}

// principalOf names the caller the way S3 event records do.
func principalOf(info *request.Info) string {
	if info.Operation == lifecycleOperation {
		return "s3.amazonaws.com"
	}
	if info.AccessKey == "" {
		return "Anonymous"
	}
	return "AWS:" + info.AccessKey
}

func sourceIP(info *request.Info) string {
	if info.Operation == lifecycleOperation {
		return "s3.amazonaws.com"
	}
	if info.HTTP == nil {
		return "127.0.0.1"
	}
	if host, _, err := net.SplitHostPort(info.HTTP.RemoteAddr); err == nil {
		return host
	}
	return info.HTTP.RemoteAddr
}

// s3HostID is the x-amz-id-2 of a request id, derived as the gateway
// derives the header, so that the event names the response the client got.
func s3HostID(requestID string) string {
	sum := sha256.Sum256([]byte("nimbus-host-id/" + requestID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// checkDestinations makes sure every queue and topic of a configuration
// exists, as S3 does when the configuration is set.
func (s *Service) checkDestinations(ctx context.Context, c *s3api.NotificationConfiguration) error {
	if s.events == nil || c == nil {
		return nil
	}
	details := map[string]string{}
	n := 0
	for _, nc := range notificationConfigs(c) {
		kind, what := "", ""
		switch nc.kind {
		case targetQueue:
			kind, what = events.KindSQS, "The destination queue does not exist"
		case targetTopic:
			kind, what = events.KindSNS, "The destination topic does not exist"
		default:
			continue
		}
		ok, err := s.events.TargetExists(ctx, kind, deref(nc.arn))
		if err != nil {
			return err
		}
		if !ok {
			n++
			details[fmt.Sprint("ArgumentName", n)] = deref(nc.arn)
			details[fmt.Sprint("ArgumentValue", n)] = what
		}
	}
	if n > 0 {
		return errInvalidArgument.New("Unable to validate the following destination configurations").WithDetail(details)
	}
	return nil
}

// testEvent is the message S3 sends each queue and topic of a new
// configuration.
type testEvent struct {
	Service   string `json:"Service"`
	Event     string `json:"Event"`
	Time      string `json:"Time"`
	Bucket    string `json:"Bucket"`
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
}

// sendTestEvents enqueues s3:TestEvent to the queues and topics of a
// configuration that was just stored.
func (s *Service) sendTestEvents(ctx context.Context, bucket string, c *s3api.NotificationConfiguration) error {
	if s.events == nil || c == nil {
		return nil
	}
	info := request.FromContext(ctx)
	body, _ := json.Marshal(testEvent{Service: "Amazon S3", Event: "s3:TestEvent", Time: s.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		Bucket: bucket, RequestID: info.RequestID, HostID: s3HostID(info.RequestID)})
	var ds []*events.Delivery
	for _, nc := range notificationConfigs(c) {
		d := &events.Delivery{Target: deref(nc.arn), Source: "arn:aws:s3:::" + bucket, Body: body}
		switch nc.kind {
		case targetQueue:
			d.Kind = events.KindSQS
		case targetTopic:
			d.Kind, d.Attributes = events.KindSNS, map[string]string{snsSubjectAttribute: snsSubject, snsEndpointAttribute: info.Endpoint}
		default:
			continue
		}
		if s.events.Handles(d.Kind) {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return nil
	}
	return s.db.Update(ctx, func(tx storage.Tx) error { return s.events.Enqueue(tx, ds...) })
}
