package e2e

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestSQSSurvivesKill9 kills the nimbus process with sends in flight and
// messages in flight: after a restart every acknowledged message is there,
// and the received ones come back when their visibility timeout ends.
func TestSQSSurvivesKill9(t *testing.T) {
	bin := buildNimbus(t)
	dir := t.TempDir()
	proc := startNimbus(t, bin, dir)
	c := sqs.NewFromConfig(awsConfig(proc.endpoint))
	q, err := c.CreateQueue(ctx(t), &sqs.CreateQueueInput{QueueName: aws.String("crash")})
	if err != nil {
		t.Fatal(err)
	}
	url := *q.QueueUrl

	var mu sync.Mutex
	acked := map[string]string{} // message id -> body
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				body := fmt.Sprintf("w%d-%02d", w, i)
				out, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[*out.MessageId] = body
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	inFlight, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, VisibilityTimeout: 3})
	if err != nil || len(inFlight.Messages) != 10 {
		t.Fatalf("receive before the kill: %v", err)
	}
	received := time.Now()

	// Sends still running when the process dies.
	stop := make(chan struct{})
	var late sync.WaitGroup
	for w := range 4 {
		late.Add(1)
		go func() {
			defer late.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf("late%d-%d", w, i)
				out, err := c.SendMessage(ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body})
				if err != nil {
					return // the process is gone
				}
				mu.Lock()
				acked[*out.MessageId] = body
				mu.Unlock()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	if err := proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-proc.exited
	close(stop)
	late.Wait()

	proc = startNimbus(t, bin, dir)
	c = sqs.NewFromConfig(awsConfig(proc.endpoint))
	url = proc.endpoint + "/000000000000/crash"
	got := map[string]bool{}
	for {
		out, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			got[*m.MessageId] = true
			for _, f := range inFlight.Messages {
				if *f.MessageId == *m.MessageId && time.Since(received) < 3*time.Second {
					t.Errorf("message %s came back before its visibility timeout ended", *m.MessageId)
				}
			}
		}
	}
	// The ten received before the kill come back after their timeout.
	for len(got) < len(acked) && time.Since(received) < 10*time.Second {
		out, err := c.ReceiveMessage(ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			got[*m.MessageId] = true
		}
	}
	for id, body := range acked {
		if !got[id] {
			t.Errorf("acknowledged message %s (%s) lost", id, body)
		}
	}
}
