package s3

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

const (
	notifyQueue = "arn:aws:sqs:us-east-1:000000000000:uploads"
	notifyTopic = "arn:aws:sns:us-east-1:000000000000:uploads"
)

// recordingSink stands in for SQS or SNS: it knows which targets exist
// and reports every delivery once committed.
type recordingSink struct {
	known map[string]bool
	got   chan *events.Delivery
}

func (r *recordingSink) Deliver(ctx context.Context, tx storage.Tx, d *events.Delivery) error {
	events.AfterCommit(ctx, func() { r.got <- d })
	return nil
}

func (r *recordingSink) Exists(_ context.Context, target string) (bool, error) {
	return r.known[target], nil
}

type notifyFixture struct {
	s   *Service
	ctx context.Context
	got chan *events.Delivery
}

func newNotifyFixture(t *testing.T, now ...func() time.Time) *notifyFixture {
	t.Helper()
	db, err := engine.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bus := events.New(db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	got := make(chan *events.Delivery, 100)
	bus.Register(events.KindSQS, &recordingSink{known: map[string]bool{notifyQueue: true}, got: got})
	bus.Register(events.KindSNS, &recordingSink{known: map[string]bool{notifyTopic: true}, got: got})
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bus.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	deps := Deps{Store: db, Events: bus}
	if len(now) > 0 {
		deps.Now = now[0]
	}
	f := &notifyFixture{s: New(deps), got: got}
	req, _ := http.NewRequest(http.MethodPut, "http://127.0.0.1:4566/b", nil)
	req.RemoteAddr = "10.1.2.3:5555"
	f.ctx = request.With(context.Background(), &request.Info{Account: "000000000000", Region: "us-east-1", RequestID: "REQ123",
		AccessKey: "AKIDEXAMPLE", Endpoint: "http://127.0.0.1:4566", HTTP: req, Header: http.Header{}})
	return f
}

func (f *notifyFixture) next(t *testing.T) *events.Delivery {
	t.Helper()
	select {
	case d := <-f.got:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("no notification")
	}
	return nil
}

func (f *notifyFixture) none(t *testing.T) {
	t.Helper()
	select {
	case d := <-f.got:
		t.Fatalf("unexpected notification to %s: %s", d.Target, d.Body)
	case <-time.After(50 * time.Millisecond):
	}
}

type record struct {
	EventVersion, EventSource, AwsRegion, EventTime, EventName string
	UserIdentity                                               struct{ PrincipalID string }
	RequestParameters                                          map[string]string
	ResponseElements                                           map[string]string
	S3                                                         struct {
		S3SchemaVersion, ConfigurationID string
		Bucket                           struct {
			Name, Arn     string
			OwnerIdentity struct{ PrincipalID string }
		}
		Object struct {
			Key       string
			Size      *int64
			ETag      string
			VersionID string `json:"versionId"`
			Sequencer string
		}
	}
}

func recordOf(t *testing.T, d *events.Delivery) record {
	t.Helper()
	var m struct{ Records []record }
	if err := json.Unmarshal(d.Body, &m); err != nil || len(m.Records) != 1 {
		t.Fatalf("event %s: %v", d.Body, err)
	}
	return m.Records[0]
}

func (f *notifyFixture) configure(t *testing.T, bucket string, c *s3api.NotificationConfiguration) error {
	t.Helper()
	_, err := f.s.PutBucketNotificationConfiguration(f.ctx, &s3api.PutBucketNotificationConfigurationInput{Bucket: &bucket, NotificationConfiguration: c})
	return err
}

func TestNotificationDestinationsMustExist(t *testing.T) {
	f := newNotifyFixture(t)
	if _, err := f.s.CreateBucket(f.ctx, &s3api.CreateBucketInput{Bucket: ptr("dest-check")}); err != nil {
		t.Fatal(err)
	}
	missing := "arn:aws:sqs:us-east-1:000000000000:missing"
	err := f.configure(t, "dest-check", &s3api.NotificationConfiguration{
		QueueConfigurations: []s3api.QueueConfiguration{{QueueArn: ptr(missing), Events: []string{"s3:ObjectCreated:*"}}},
		TopicConfigurations: []s3api.TopicConfiguration{{TopicArn: ptr(notifyTopic), Events: []string{"s3:ObjectRemoved:*"}}},
	})
	e := awserr.From(err)
	d, _ := e.Detail.(map[string]string)
	if err == nil || e.Code != "InvalidArgument" || e.Message != "Unable to validate the following destination configurations" ||
		d["ArgumentName1"] != missing || d["ArgumentValue1"] != "The destination queue does not exist" {
		t.Fatalf("error %v %v", err, e.Detail)
	}
	f.none(t) // nothing stored, no test event
}

func TestNotificationEvents(t *testing.T) {
	f := newNotifyFixture(t)
	ctx := f.ctx
	if _, err := f.s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("events")}); err != nil {
		t.Fatal(err)
	}
	err := f.configure(t, "events", &s3api.NotificationConfiguration{
		QueueConfigurations: []s3api.QueueConfiguration{{Id: ptr("to-queue"), QueueArn: ptr(notifyQueue), Events: []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"},
			Filter: keyFilterRules("prefix", "in/", "suffix", ".jpg")}},
		TopicConfigurations: []s3api.TopicConfiguration{{Id: ptr("to-topic"), TopicArn: ptr(notifyTopic), Events: []string{"s3:ObjectCreated:Copy"},
			Filter: keyFilterRules("prefix", "copies/")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// One test event per destination.
	for range 2 {
		d := f.next(t)
		var te map[string]string
		json.Unmarshal(d.Body, &te)
		if te["Service"] != "Amazon S3" || te["Event"] != "s3:TestEvent" || te["Bucket"] != "events" || te["RequestId"] != "REQ123" || te["HostId"] == "" || te["Time"] == "" {
			t.Errorf("test event %s", d.Body)
		}
		if d.Kind == events.KindSNS && d.Attributes[snsSubjectAttribute] != "Amazon S3 Notification" {
			t.Errorf("test event to the topic has attributes %v", d.Attributes)
		}
	}

	key := "in/a b=c.jpg"
	out, err := f.s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("events"), Key: &key, Body: strings.NewReader("hello"), ContentLength: ptr(int64(5))})
	if err != nil {
		t.Fatal(err)
	}
	d := f.next(t)
	r := recordOf(t, d)
	if d.Kind != events.KindSQS || d.Target != notifyQueue || d.Source != "arn:aws:s3:::events" {
		t.Errorf("delivery %+v", d)
	}
	if r.EventVersion != "2.1" || r.EventSource != "aws:s3" || r.AwsRegion != "us-east-1" || r.EventName != "ObjectCreated:Put" ||
		r.UserIdentity.PrincipalID != "AWS:AKIDEXAMPLE" || r.RequestParameters["sourceIPAddress"] != "10.1.2.3" ||
		r.ResponseElements["x-amz-request-id"] != "REQ123" || r.ResponseElements["x-amz-id-2"] == "" ||
		r.S3.S3SchemaVersion != "1.0" || r.S3.ConfigurationID != "to-queue" || r.S3.Bucket.Name != "events" ||
		r.S3.Bucket.Arn != "arn:aws:s3:::events" || r.S3.Bucket.OwnerIdentity.PrincipalID == "" {
		t.Errorf("record %+v", r)
	}
	if o := r.S3.Object; o.Key != "in/a+b%3Dc.jpg" || o.Size == nil || *o.Size != 5 || `"`+o.ETag+`"` != *out.ETag || o.VersionID != "" || len(o.Sequencer) != 18 {
		t.Errorf("object %+v", o)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", r.EventTime); err != nil {
		t.Errorf("eventTime %q", r.EventTime)
	}
	first := r.S3.Object.Sequencer

	// Keys outside the filter, and failed writes, notify nobody.
	putString(t, f.s, "events", "in/a.png", "x")
	putString(t, f.s, "events", "out/a.jpg", "x")
	_, err = f.s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("events"), Key: &key, Body: strings.NewReader("x"), IfNoneMatch: ptr("*")})
	wantCode(t, err, "PreconditionFailed")
	f.none(t)

	// A form upload is a Post.
	postCtx := request.With(context.Background(), &request.Info{Account: "000000000000", Region: "us-east-1", Operation: "PostObject", Header: http.Header{}})
	if _, err := f.s.PutObject(postCtx, &s3api.PutObjectInput{Bucket: ptr("events"), Key: ptr("in/form.jpg"), Body: strings.NewReader("f"), ContentLength: ptr(int64(1))}); err != nil {
		t.Fatal(err)
	}
	if r := recordOf(t, f.next(t)); r.EventName != "ObjectCreated:Post" || r.UserIdentity.PrincipalID != "Anonymous" {
		t.Errorf("form upload %+v", r)
	}

	// Copies go to the queue or the topic, by key.
	for _, dst := range []string{"in/copy.jpg", "copies/c.jpg"} {
		if _, err := f.s.CopyObject(ctx, &s3api.CopyObjectInput{Bucket: ptr("events"), Key: &dst, CopySource: ptr("events/in/form.jpg")}); err != nil {
			t.Fatal(err)
		}
	}
	kinds := map[string]string{}
	for range 2 {
		d := f.next(t)
		r := recordOf(t, d)
		kinds[d.Kind] = r.EventName + " " + r.S3.ConfigurationID
		if d.Kind == events.KindSNS && (d.Attributes[snsSubjectAttribute] != "Amazon S3 Notification" || d.Attributes[snsEndpointAttribute] != "http://127.0.0.1:4566") {
			t.Errorf("sns attributes %v", d.Attributes)
		}
	}
	if kinds[events.KindSQS] != "ObjectCreated:Copy to-queue" || kinds[events.KindSNS] != "ObjectCreated:Copy to-topic" {
		t.Errorf("copy notifications %v", kinds)
	}

	// Multipart.
	up, err := f.s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: ptr("events"), Key: ptr("in/big.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := f.s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: ptr("events"), Key: ptr("in/big.jpg"), UploadId: up.UploadId, PartNumber: ptr(int32(1)),
		Body: strings.NewReader("part"), ContentLength: ptr(int64(4))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: ptr("events"), Key: ptr("in/big.jpg"), UploadId: up.UploadId,
		MultipartUpload: &s3api.CompletedMultipartUpload{Parts: []s3api.CompletedPart{{ETag: part.ETag, PartNumber: ptr(int32(1))}}}}); err != nil {
		t.Fatal(err)
	}
	if r := recordOf(t, f.next(t)); r.EventName != "ObjectCreated:CompleteMultipartUpload" || *r.S3.Object.Size != 4 {
		t.Errorf("multipart %+v", r)
	}

	// Deletes, one and many.
	if _, err := f.s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("events"), Key: &key}); err != nil {
		t.Fatal(err)
	}
	r = recordOf(t, f.next(t))
	if r.EventName != "ObjectRemoved:Delete" || r.S3.Object.Size != nil || r.S3.Object.ETag != "" || r.S3.Object.Sequencer <= first {
		t.Errorf("delete %+v (first sequencer %s)", r, first)
	}
	// DeleteObjects wants an integrity header; this context has no HTTP
	// request, which skips the check.
	batchCtx := request.With(context.Background(), &request.Info{Account: "000000000000", Region: "us-east-1", Header: http.Header{}})
	_, err = f.s.DeleteObjects(batchCtx, &s3api.DeleteObjectsInput{Bucket: ptr("events"), Delete: &s3api.Delete{Objects: []s3api.ObjectIdentifier{
		{Key: ptr("in/copy.jpg")}, {Key: ptr("in/big.jpg")}, {Key: ptr("out/a.jpg")}}}})
	if err != nil {
		t.Fatal(err)
	}
	removed := map[string]bool{}
	for range 2 {
		r := recordOf(t, f.next(t))
		if r.EventName != "ObjectRemoved:Delete" {
			t.Errorf("batch delete %+v", r)
		}
		removed[r.S3.Object.Key] = true
	}
	if !removed["in/copy.jpg"] || !removed["in/big.jpg"] {
		t.Errorf("batch delete notified %v", removed)
	}
	f.none(t)
}

func TestNotificationDeleteMarker(t *testing.T) {
	f := newNotifyFixture(t)
	ctx := f.ctx
	if _, err := f.s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("versioned")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: ptr("versioned"),
		VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr("Enabled")}}); err != nil {
		t.Fatal(err)
	}
	if err := f.configure(t, "versioned", &s3api.NotificationConfiguration{
		QueueConfigurations: []s3api.QueueConfiguration{{QueueArn: ptr(notifyQueue), Events: []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}}},
	}); err != nil {
		t.Fatal(err)
	}
	f.next(t) // the test event
	out := putString(t, f.s, "versioned", "k", "v1")
	if r := recordOf(t, f.next(t)); r.S3.Object.VersionID != *out.VersionId {
		t.Errorf("versioned put %+v; version %s", r.S3.Object, *out.VersionId)
	}
	del, err := f.s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("versioned"), Key: ptr("k")})
	if err != nil {
		t.Fatal(err)
	}
	if r := recordOf(t, f.next(t)); r.EventName != "ObjectRemoved:DeleteMarkerCreated" || r.S3.Object.VersionID != *del.VersionId {
		t.Errorf("delete marker %+v", r)
	}
	if _, err := f.s.DeleteObject(ctx, &s3api.DeleteObjectInput{Bucket: ptr("versioned"), Key: ptr("k"), VersionId: out.VersionId}); err != nil {
		t.Fatal(err)
	}
	if r := recordOf(t, f.next(t)); r.EventName != "ObjectRemoved:Delete" || r.S3.Object.VersionID != *out.VersionId {
		t.Errorf("version delete %+v", r)
	}
}

func TestEventKeyEncoding(t *testing.T) {
	tests := map[string]string{
		"plain.txt": "plain.txt", "dir/sub/file": "dir/sub/file", "a b": "a+b", "a+b": "a%2Bb",
		"é": "%C3%A9", "x=1&y=2": "x%3D1%26y%3D2", "a:b": "a%3Ab",
	}
	for key, want := range tests {
		if got := eventKey(key); got != want {
			t.Errorf("eventKey(%q) = %q; want %q", key, got, want)
		}
	}
}

func TestNotificationLifecycleExpiration(t *testing.T) {
	var offset atomic.Int64
	f := newNotifyFixture(t, func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
	configTestBucket(t, f.s, "lc-events")
	if err := f.configure(t, "lc-events", &s3api.NotificationConfiguration{
		QueueConfigurations: []s3api.QueueConfiguration{{QueueArn: ptr(notifyQueue), Events: []string{"s3:LifecycleExpiration:*"}}},
	}); err != nil {
		t.Fatal(err)
	}
	f.next(t) // the test event
	putString(t, f.s, "lc-events", "old", "x")
	putLifecycle(t, f.s, "lc-events", s3api.LifecycleRule{Status: ptr("Enabled"), Prefix: ptr(""), Expiration: &s3api.LifecycleExpiration{Days: ptr(int32(1))}})
	offset.Store(int64(72 * time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.s.StartLifecycle(ctx, time.Hour)
	r := recordOf(t, f.next(t))
	if r.EventName != "LifecycleExpiration:Delete" || r.S3.Object.Key != "old" || r.UserIdentity.PrincipalID != "s3.amazonaws.com" {
		t.Errorf("expiration %+v", r)
	}
}
