package sqs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/memory"
)

// A delivery through the Bus lands in the queue with its attributes and
// wakes a long poll that waits on the queue.
func TestSinkThroughTheBus(t *testing.T) {
	db, err := memory.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(Deps{Store: db})
	bus := events.New(db, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	bus.Register(events.KindSQS, s.Sink())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go bus.Run(ctx)

	url := mustCreate(t, s, "target", nil)
	fifo := mustCreate(t, s, "target.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	polled := make(chan []sqsapi.Message)
	go func() {
		out, err := s.ReceiveMessage(ctx, &sqsapi.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: ptr(int32(20)), MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Error(err)
		}
		polled <- out.Messages
	}()
	time.Sleep(50 * time.Millisecond)
	attrs := events.EncodeMessageAttributes(map[string]events.MessageAttribute{
		"kind": {DataType: "String", StringValue: "created"},
		"raw":  {DataType: "Binary", BinaryValue: []byte{1, 2}},
	})
	err = db.Update(ctx, func(tx storage.Tx) error {
		return bus.Enqueue(tx,
			&events.Delivery{Kind: events.KindSQS, Target: "arn:aws:sqs:us-east-1:000000000000:target", Body: []byte("from sns"),
				Attributes: map[string]string{DeliveryMessageAttributes: attrs}},
			&events.Delivery{Kind: events.KindSQS, Target: "arn:aws:sqs:us-east-1:000000000000:target.fifo", Body: []byte("ordered"),
				Attributes: map[string]string{DeliveryMessageGroupID: "g"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	bus.Kick()
	select {
	case msgs := <-polled:
		if len(msgs) != 1 || *msgs[0].Body != "from sns" || *msgs[0].MessageAttributes["kind"].StringValue != "created" ||
			msgs[0].MD5OfMessageAttributes == nil {
			t.Fatalf("delivered %+v", msgs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll was not woken by the delivery")
	}
	got := receive(t, s, fifo, 10, func(in *sqsapi.ReceiveMessageInput) {
		in.WaitTimeSeconds = ptr(int32(5))
		in.AttributeNames = []string{"All"}
	})
	if len(got) != 1 || got[0].Attributes["MessageGroupId"] != "g" {
		t.Fatalf("fifo delivery %+v", got)
	}
}

func TestSinkRefusals(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, "q.fifo", map[string]string{"FifoQueue": "true"})
	for name, d := range map[string]*events.Delivery{
		"missing queue": {Target: "arn:aws:sqs:us-east-1:000000000000:nope", Body: []byte("x")},
		"not an arn":    {Target: "nope", Body: []byte("x")},
		"fifo without group": {Target: "arn:aws:sqs:us-east-1:000000000000:q.fifo", Body: []byte("x"),
			Attributes: map[string]string{DeliveryDeduplicationID: "d"}},
		"bad attributes": {Target: "arn:aws:sqs:us-east-1:000000000000:q.fifo", Body: []byte("x"),
			Attributes: map[string]string{DeliveryMessageAttributes: "{"}},
	} {
		err := s.db.Update(context.Background(), func(tx storage.Tx) error { return s.Sink().Deliver(context.Background(), tx, d) })
		var p events.Permanent
		if !errors.As(err, &p) {
			t.Errorf("%s: got %v, want a Permanent error", name, err)
		}
	}
}

// Concurrent sends, some to a queue that does not exist: the failures do
// not disturb the others (the on-disk engine commits them together).
func TestGroupCommit(t *testing.T) {
	s := newTestService(t)
	url := mustCreate(t, s, "q", nil)
	const n = 50
	errs := make(chan error, 2*n)
	for i := range n {
		go func() {
			_, err := s.SendMessage(context.Background(), &sqsapi.SendMessageInput{QueueUrl: &url, MessageBody: ptr("m")})
			errs <- err
		}()
		go func() {
			bad := "http://h/000000000000/missing"
			_, err := s.SendMessage(context.Background(), &sqsapi.SendMessageInput{QueueUrl: &bad, MessageBody: ptr("m")})
			if err == nil {
				err = errors.New("send to a missing queue succeeded")
			} else if !sqsapi.ErrQueueDoesNotExist.Is(err) {
				err = errors.New("unexpected: " + err.Error())
			} else {
				err = nil
			}
			errs <- err
			_ = i
		}()
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	c, err := s.GetQueueAttributes(context.Background(), &sqsapi.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []string{attrNumMessages}})
	if err != nil || c.Attributes[attrNumMessages] != "50" {
		t.Fatalf("messages stored: %v %v", c, err)
	}
}

func TestSinkExists(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, "here", nil)
	checker, ok := s.Sink().(interface {
		Exists(context.Context, string) (bool, error)
	})
	if !ok {
		t.Fatal("the sink cannot tell whether a queue exists")
	}
	for arn, want := range map[string]bool{
		"arn:aws:sqs:us-east-1:000000000000:here":  true,
		"arn:aws:sqs:us-east-1:000000000000:there": false,
		"arn:aws:sqs:eu-west-1:000000000000:here":  false,
		"not an arn": false,
	} {
		if got, err := checker.Exists(context.Background(), arn); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", arn, got, err, want)
		}
	}
}
