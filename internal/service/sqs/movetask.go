package sqs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Message move tasks move the messages of a dead-letter queue back to the
// queues they came from (or to one destination). A task's state lives in
// sqs.tasks; a goroutine per running task moves up to its rate of messages
// a second, one transaction per batch, and tasks running when Nimbus stops
// go on when it starts again.

// Task statuses.
const (
	taskRunning   = "RUNNING"
	taskCompleted = "COMPLETED"
	taskCancelled = "CANCELLED"
	taskFailed    = "FAILED"
)

// defaultMoveRate is the rate of a task that names none ("system
// optimized" in AWS's words).
const defaultMoveRate = 500

type moveTask struct {
	ID          string `json:"id"`
	Source      string `json:"source"`
	Destination string `json:"destination,omitempty"`
	Rate        int32  `json:"rate,omitempty"`
	Status      string `json:"status"`
	Started     int64  `json:"started"` // unix ms
	ToMove      int64  `json:"toMove"`
	Moved       int64  `json:"moved"`
	Failure     string `json:"failure,omitempty"`
	// Below: the messages present at the start (sequence below it) move.
	Below uint64 `json:"below"`
}

type taskHandle struct {
	TaskID    string `json:"taskId"`
	SourceArn string `json:"sourceArn"`
}

func (t *moveTask) handle() string {
	b, _ := json.Marshal(taskHandle{TaskID: t.ID, SourceArn: t.Source})
	return base64.StdEncoding.EncodeToString(b)
}

func resourceNotFound(param string) error {
	return sqsapi.ErrResourceNotFoundException.New("The resource that you specified for the " + param + " parameter doesn't exist.")
}

// queueByARN loads the queue an ARN names, nil when there is none.
func queueByARN(tx storage.Tx, arn string) (*queue, error) {
	region, acct, name, err := parseARN(arn)
	if err != nil {
		return nil, nil
	}
	q, err := loadQueue(tx, acct, region, name)
	if notFound(err) {
		return nil, nil
	}
	return q, err
}

// StartMessageMoveTask starts moving the messages of a dead-letter queue.
func (s *Service) StartMessageMoveTask(ctx context.Context, in *sqsapi.StartMessageMoveTaskInput) (*sqsapi.StartMessageMoveTaskOutput, error) {
	if r := in.MaxNumberOfMessagesPerSecond; r != nil && (*r < 1 || *r > 500) {
		return nil, invalidParam("MaxNumberOfMessagesPerSecond", *r, "Must be between 1 and 500.")
	}
	t := &moveTask{ID: newMessageID(), Source: deref(in.SourceArn), Destination: deref(in.DestinationArn),
		Rate: deref(in.MaxNumberOfMessagesPerSecond), Status: taskRunning, Started: s.nowMs()}
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		src, err := queueByARN(tx, t.Source)
		if err != nil {
			return err
		}
		if src == nil || src.Account != account(ctx) {
			return resourceNotFound("SourceArn")
		}
		if t.Destination != "" {
			dst, err := queueByARN(tx, t.Destination)
			if err != nil {
				return err
			}
			if dst == nil || dst.Account != src.Account {
				return resourceNotFound("DestinationArn")
			}
		}
		isDLQ, err := hasSources(tx, src)
		if err != nil {
			return err
		}
		if !isDLQ {
			return invalidParam("SourceArn", t.Source, "Source queue must be configured as a Dead Letter Queue.")
		}
		tasks, err := tasksOf(tx, t.Source)
		if err != nil {
			return err
		}
		for _, o := range tasks {
			if o.Status == taskRunning {
				return sqsapi.ErrUnsupportedOperation.New("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
			}
		}
		st, err := loadState(tx, src.ID)
		if err != nil {
			return err
		}
		t.ToMove, t.Below = st.Count, st.NextSeq
		return putJSON(tx, tTasks, []byte(t.ID), t)
	})
	if err != nil {
		return nil, err
	}
	s.startTask(t.ID)
	return &sqsapi.StartMessageMoveTaskOutput{TaskHandle: ptr(t.handle())}, nil
}

// hasSources reports whether some queue uses q as its dead-letter queue.
func hasSources(tx storage.Tx, q *queue) (bool, error) {
	found := false
	target := q.arn()
	err := tx.Scan(tQueues, storage.Range{Prefix: queueKey(q.Account, q.Region, "")}, func(_, v []byte) bool {
		var o queue
		if jsonUnmarshal(v, &o) == nil {
			if p := parseSettings(o.Attrs).redrive; p != nil && p.Target == target {
				found = true
				return false
			}
		}
		return true
	})
	return found, err
}

func tasksOf(tx storage.Tx, source string) ([]*moveTask, error) {
	var out []*moveTask
	err := tx.Scan(tTasks, storage.Range{}, func(_, v []byte) bool {
		var t moveTask
		if jsonUnmarshal(v, &t) == nil && (source == "" || t.Source == source) {
			out = append(out, &t)
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Started > out[j].Started })
	return out, err
}

// ListMessageMoveTasks lists the most recent tasks of a source queue.
func (s *Service) ListMessageMoveTasks(ctx context.Context, in *sqsapi.ListMessageMoveTasksInput) (*sqsapi.ListMessageMoveTasksOutput, error) {
	limit := 1
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 10 {
			return nil, invalidParam("MaxResults", *in.MaxResults, "You must enter a number that's between 1 and 10.")
		}
		limit = int(*in.MaxResults)
	}
	out := &sqsapi.ListMessageMoveTasksOutput{Results: []sqsapi.ListMessageMoveTasksResultEntry{}}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		src, err := queueByARN(tx, deref(in.SourceArn))
		if err != nil {
			return err
		}
		if src == nil || src.Account != account(ctx) {
			return resourceNotFound("SourceArn")
		}
		tasks, err := tasksOf(tx, src.arn())
		if err != nil {
			return err
		}
		for i, t := range tasks {
			if i == limit {
				break
			}
			e := sqsapi.ListMessageMoveTasksResultEntry{
				SourceArn: ptr(t.Source), Status: ptr(t.Status), StartedTimestamp: ptr(t.Started),
				ApproximateNumberOfMessagesMoved: ptr(t.Moved), ApproximateNumberOfMessagesToMove: ptr(t.ToMove),
			}
			if t.Destination != "" {
				e.DestinationArn = ptr(t.Destination)
			}
			if t.Rate != 0 {
				e.MaxNumberOfMessagesPerSecond = ptr(t.Rate)
			}
			if t.Status == taskRunning {
				e.TaskHandle = ptr(t.handle())
			}
			if t.Failure != "" {
				e.FailureReason = ptr(t.Failure)
			}
			out.Results = append(out.Results, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CancelMessageMoveTask stops a running task; messages moved stay moved.
func (s *Service) CancelMessageMoveTask(ctx context.Context, in *sqsapi.CancelMessageMoveTaskInput) (*sqsapi.CancelMessageMoveTaskOutput, error) {
	raw, err := base64.StdEncoding.DecodeString(deref(in.TaskHandle))
	var h taskHandle
	if err != nil || json.Unmarshal(raw, &h) != nil || h.TaskID == "" {
		return nil, invalidParam("TaskHandle", deref(in.TaskHandle), "Task handle is invalid.")
	}
	var moved int64
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		var t moveTask
		if err := getJSON(tx, tTasks, []byte(h.TaskID), &t); err != nil || t.Status != taskRunning {
			if err != nil && !notFound(err) {
				return err
			}
			return sqsapi.ErrResourceNotFoundException.New("Task does not exist.")
		}
		t.Status = taskCancelled
		moved = t.Moved
		return putJSON(tx, tTasks, []byte(t.ID), &t)
	})
	if err != nil {
		return nil, err
	}
	s.tasksMu.Lock()
	if cancel := s.tasks[h.TaskID]; cancel != nil {
		cancel()
	}
	s.tasksMu.Unlock()
	return &sqsapi.CancelMessageMoveTaskOutput{ApproximateNumberOfMessagesMoved: ptr(moved)}, nil
}

// resumeMoveTasks starts the workers of the tasks that were running.
func (s *Service) resumeMoveTasks(ctx context.Context) {
	var ids []string
	_ = s.db.View(ctx, func(tx storage.Tx) error {
		tasks, err := tasksOf(tx, "")
		for _, t := range tasks {
			if t.Status == taskRunning {
				ids = append(ids, t.ID)
			}
		}
		return err
	})
	for _, id := range ids {
		s.startTask(id)
	}
}

func (s *Service) startTask(id string) {
	s.tasksMu.Lock()
	defer s.tasksMu.Unlock()
	if _, running := s.tasks[id]; running {
		return
	}
	ctx, cancel := context.WithCancel(s.bgCtx)
	s.tasks[id] = cancel
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer func() {
			s.tasksMu.Lock()
			delete(s.tasks, id)
			s.tasksMu.Unlock()
			cancel()
		}()
		s.runTask(ctx, id)
	}()
}

// runTask moves a batch of up to the task's rate every second until the
// messages present at its start are gone, it is cancelled, or it fails.
func (s *Service) runTask(ctx context.Context, id string) {
	for {
		more, woken, err := s.moveBatch(ctx, id)
		for _, qid := range woken {
			s.waiters.wake(qid)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("sqs: message move task", "task", id, "err", err)
			}
			return
		}
		if !more {
			return
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *Service) moveBatch(ctx context.Context, id string) (more bool, woken []uint64, err error) {
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		more, woken = false, nil
		var t moveTask
		if err := getJSON(tx, tTasks, []byte(id), &t); err != nil {
			return err
		}
		if t.Status != taskRunning {
			return nil
		}
		fail := func(reason string) error {
			t.Status, t.Failure = taskFailed, reason
			return putJSON(tx, tTasks, []byte(id), &t)
		}
		src, err := queueByARN(tx, t.Source)
		if err != nil {
			return err
		}
		if src == nil {
			return fail("AWS.SimpleQueueService.NonExistentQueue")
		}
		rate := int(t.Rate)
		if rate == 0 {
			rate = defaultMoveRate
		}
		now := s.nowMs()
		var seqs []uint64
		err = tx.Scan(tVis, storage.Range{Prefix: visPrefix(src.ID)}, func(k, _ []byte) bool {
			if visAt(k) > now {
				return false
			}
			if seq := visSeq(k); seq < t.Below {
				seqs = append(seqs, seq)
			}
			return len(seqs) < rate
		})
		if err != nil {
			return err
		}
		st, err := loadState(tx, src.ID)
		if err != nil {
			return err
		}
		dests := map[string]*queue{}
		groups := map[string]bool{}
		for _, seq := range seqs {
			m, err := loadMessage(tx, src.ID, seq)
			if notFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			target := t.Destination
			if target == "" {
				target = m.DLQSource
			}
			dst, ok := dests[target]
			if !ok {
				if dst, err = queueByARN(tx, target); err != nil {
					return err
				}
				dests[target] = dst
			}
			if dst == nil {
				return fail("AWS.SimpleQueueService.NonExistentQueue")
			}
			if err := removeMessage(tx, src, &st, seq, m); err != nil {
				return err
			}
			groups[m.Group] = true
			back := *m
			back.Receives, back.DLQSource = 0, ""
			if err := moveInto(s, tx, dst, &back, "", now); err != nil {
				return err
			}
			woken = append(woken, dst.ID)
			t.Moved++
		}
		if src.fifo() {
			for g := range groups {
				if err := refreshGroup(tx, src, g, now); err != nil {
					return err
				}
			}
		}
		if err := saveState(tx, src.ID, st); err != nil {
			return err
		}
		more = len(seqs) == rate
		if !more {
			t.Status = taskCompleted
		}
		return putJSON(tx, tTasks, []byte(id), &t)
	})
	return more, woken, err
}
