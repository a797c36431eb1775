package sns

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/memory"
)

const (
	testAccount  = "000000000000"
	testRegion   = "us-east-1"
	testEndpoint = "http://127.0.0.1:4566"
	waitLimit    = 20 * time.Second
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// queueSink stands in for SQS: it records each delivery once its
// transaction committed.
type queueSink struct {
	mu      sync.Mutex
	missing map[string]bool // queues that do not exist
	down    bool            // every delivery fails, to be retried
	got     chan *events.Delivery
}

func newQueueSink() *queueSink {
	return &queueSink{got: make(chan *events.Delivery, 10000), missing: map[string]bool{}}
}

func (q *queueSink) Deliver(ctx context.Context, tx storage.Tx, d *events.Delivery) error {
	q.mu.Lock()
	missing, down := q.missing[d.Target], q.down
	q.mu.Unlock()
	if down {
		return errors.New("queue service unavailable")
	}
	if missing {
		return events.Permanent{Err: errors.New("no such queue")}
	}
	if err := tx.Put("test.queue", []byte(d.ID), d.Body); err != nil {
		return err
	}
	events.AfterCommit(ctx, func() { q.got <- d })
	return nil
}

type fixture struct {
	t     *testing.T
	db    storage.Backend
	bus   *events.Bus
	svc   *Service
	queue *queueSink
	ctx   context.Context
	clock *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newFixture builds SNS on an ephemeral store with a fake SQS sink; the
// dispatcher runs unless paused.
func newFixture(t *testing.T, opts ...func(*Deps)) *fixture {
	t.Helper()
	db, err := memory.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newFixtureOn(t, db, true, opts...)
}

func newFixtureOn(t *testing.T, db storage.Backend, run bool, opts ...func(*Deps)) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	bus := events.New(db, c.Now, quiet)
	q := newQueueSink()
	bus.Register(events.KindSQS, q)
	d := Deps{Store: db, Bus: bus, Now: c.Now, Log: quiet, HTTPClient: &http.Client{Timeout: 5 * time.Second}}
	for _, o := range opts {
		o(&d)
	}
	f := &fixture{t: t, db: db, bus: bus, svc: New(d), queue: q, clock: c}
	f.ctx = request.With(context.Background(), &request.Info{Account: testAccount, Region: testRegion, Endpoint: testEndpoint, AccessKey: "test", Header: http.Header{}})
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { bus.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return f
}

func (f *fixture) createTopic(name string, attrs map[string]string) string {
	f.t.Helper()
	out, err := f.svc.CreateTopic(f.ctx, &snsapi.CreateTopicInput{Name: &name, Attributes: attrs})
	if err != nil {
		f.t.Fatalf("CreateTopic(%s): %v", name, err)
	}
	return *out.TopicArn
}

func (f *fixture) subscribe(topic, protocol, endpoint string, attrs map[string]string) string {
	f.t.Helper()
	out, err := f.svc.Subscribe(f.ctx, &snsapi.SubscribeInput{TopicArn: &topic, Protocol: &protocol, Endpoint: &endpoint,
		Attributes: attrs, ReturnSubscriptionArn: ptr(true)})
	if err != nil {
		f.t.Fatalf("Subscribe(%s %s): %v", protocol, endpoint, err)
	}
	return *out.SubscriptionArn
}

func (f *fixture) publish(in *snsapi.PublishInput) *snsapi.PublishOutput {
	f.t.Helper()
	out, err := f.svc.Publish(f.ctx, in)
	if err != nil {
		f.t.Fatalf("Publish: %v", err)
	}
	return out
}

// received waits for n deliveries to the fake queue.
func (f *fixture) received(n int) []*events.Delivery {
	f.t.Helper()
	var out []*events.Delivery
	timeout := time.After(waitLimit)
	for len(out) < n {
		select {
		case d := <-f.queue.got:
			out = append(out, d)
		case <-timeout:
			f.t.Fatalf("received %d deliveries; want %d", len(out), n)
		}
	}
	return out
}

// drained waits until the outbox of the Bus is empty and checks that the
// queue got nothing more.
func (f *fixture) drained() {
	f.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		n, err := f.bus.Pending(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%d deliveries still pending", n)
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case d := <-f.queue.got:
		f.t.Fatalf("unexpected delivery %s: %s", d.Target, d.Body)
	default:
	}
}

// failedOnce waits until a pending delivery of the Bus records a failed
// attempt, so that the clock can move past its retry.
func (f *fixture) failedOnce(attempts int) {
	f.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		found := false
		f.db.View(context.Background(), func(tx storage.Tx) error {
			return tx.Scan("events.outbox", storage.Range{}, func(_, v []byte) bool {
				var d events.Delivery
				if json.Unmarshal(v, &d) == nil && d.Attempts >= attempts {
					found = true
				}
				return !found
			})
		})
		if found {
			return
		}
		time.Sleep(time.Millisecond)
	}
	f.t.Fatalf("no delivery recorded %d failed attempts", attempts)
}

// wantError checks err is the AWS error code with the message.
func wantError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		t.Errorf("%s: error %v; want %s", what, err, code)
		return
	}
	if ae.Code != code || (msg != "" && ae.Message != msg) {
		t.Errorf("%s: %s %q; want %s %q", what, ae.Code, ae.Message, code, msg)
	}
}

const queueARN = "arn:aws:sqs:us-east-1:000000000000:q1"

// runBus runs the fixture's dispatcher until the returned stop.
func runBus(tb testing.TB, f *fixture) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.bus.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func mustTopic(tb testing.TB, f *fixture, name string) string {
	out, err := f.svc.CreateTopic(f.ctx, &snsapi.CreateTopicInput{Name: &name})
	if err != nil {
		tb.Fatal(err)
	}
	return *out.TopicArn
}
