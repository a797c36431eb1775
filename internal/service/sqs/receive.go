package sqs

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// receipt is what a receipt handle carries: the message and which of its
// receives the handle belongs to.
type receipt struct {
	qid, seq uint64
	receives uint32
}

const receiptVersion = 1

func (r receipt) String() string {
	b := make([]byte, 29)
	b[0] = receiptVersion
	binary.BigEndian.PutUint64(b[1:], r.qid)
	binary.BigEndian.PutUint64(b[9:], r.seq)
	binary.BigEndian.PutUint32(b[17:], r.receives)
	// A tail derived from the rest keeps a receive's handle the same every
	// time it is written (a retried ReceiveRequestAttemptId returns the same
	// handles) and makes handles as opaque-looking as SQS's.
	h := fnv.New64a()
	h.Write(b[:21])
	binary.BigEndian.PutUint64(b[21:], h.Sum64())
	return base64.StdEncoding.EncodeToString(b)
}

func parseReceipt(h string) (receipt, bool) {
	b, err := base64.StdEncoding.DecodeString(h)
	if err != nil || len(b) != 29 || b[0] != receiptVersion {
		return receipt{}, false
	}
	return receipt{qid: binary.BigEndian.Uint64(b[1:]), seq: binary.BigEndian.Uint64(b[9:]), receives: binary.BigEndian.Uint32(b[17:])}, true
}

func invalidReceipt(h string) error {
	return sqsapi.ErrReceiptHandleIsInvalid.New(`The input receipt handle "` + h + `" is not a valid receipt handle.`)
}

// receiveParams are the validated parameters of a ReceiveMessage.
type receiveParams struct {
	max        int
	visibility *int
	wait       *int
	sysNames   map[string]bool
	attrNames  []string
	attemptID  string
}

func receiveParamsOf(in *sqsapi.ReceiveMessageInput) (*receiveParams, error) {
	p := &receiveParams{max: 1, sysNames: map[string]bool{}}
	if in.MaxNumberOfMessages != nil {
		if n := *in.MaxNumberOfMessages; n < 1 || n > 10 {
			return nil, invalidParam("MaxNumberOfMessages", n, "Must be between 1 and 10, if provided.")
		}
		p.max = int(*in.MaxNumberOfMessages)
	}
	if in.VisibilityTimeout != nil {
		n := *in.VisibilityTimeout
		if n < 0 || n > 43200 {
			return nil, invalidParam("VisibilityTimeout", n, "Must be >= 0 and <= 43200, if provided.")
		}
		v := int(n)
		p.visibility = &v
	}
	if in.WaitTimeSeconds != nil {
		n := *in.WaitTimeSeconds
		if n < 0 || n > 20 {
			return nil, invalidParam("WaitTimeSeconds", n, "Must be >= 0 and <= 20, if provided.")
		}
		v := int(n)
		p.wait = &v
	}
	for _, n := range append(append([]string{}, in.AttributeNames...), in.MessageSystemAttributeNames...) {
		p.sysNames[n] = true
	}
	p.attrNames = in.MessageAttributeNames
	p.attemptID = deref(in.ReceiveRequestAttemptId)
	return p, nil
}

// ReceiveMessage returns up to MaxNumberOfMessages messages (no Messages
// member at all when there are none, as SQS answers in both protocols:
// boto3 users test `"Messages" not in response`), waiting up to
// WaitTimeSeconds (or the queue's ReceiveMessageWaitTimeSeconds) for one to
// arrive. A waiting call sleeps on the queue's wake channel, which every
// commit that makes a message receivable closes, and on a timer for the
// next delayed or in-flight message that becomes visible by itself.
func (s *Service) ReceiveMessage(ctx context.Context, in *sqsapi.ReceiveMessageInput) (*sqsapi.ReceiveMessageOutput, error) {
	p, err := receiveParamsOf(in)
	if err != nil {
		return nil, err
	}
	var deadline time.Time
	for first := true; ; first = false {
		r, err := s.receiveOnce(ctx, in.QueueUrl, p)
		if err != nil {
			if !first && sqsapi.ErrQueueDoesNotExist.Is(err) {
				// The queue went away while we waited.
				return &sqsapi.ReceiveMessageOutput{}, nil
			}
			return nil, err
		}
		if len(r.messages) > 0 {
			return &sqsapi.ReceiveMessageOutput{Messages: r.messages}, nil
		}
		now := s.now()
		if first {
			wait := r.defaultWait
			if p.wait != nil {
				wait = *p.wait
			}
			deadline = now.Add(time.Duration(wait) * time.Second)
		}
		if !now.Before(deadline) {
			return &sqsapi.ReceiveMessageOutput{}, nil
		}
		sleep := deadline.Sub(now)
		if r.nextAt > 0 {
			if d := time.UnixMilli(r.nextAt).Sub(now); d < sleep {
				sleep = max(d, time.Millisecond)
			}
		}
		timer := time.NewTimer(sleep)
		select {
		case <-r.wake:
		case <-s.closing:
			timer.Stop()
			return &sqsapi.ReceiveMessageOutput{}, nil
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
		timer.Stop()
	}
}

// received is the outcome of one look at a queue.
type received struct {
	messages    []sqsapi.Message
	defaultWait int
	nextAt      int64 // when the next message becomes visible by itself; 0: none
	wake        chan struct{}
}

func (s *Service) receiveOnce(ctx context.Context, queueURL *string, p *receiveParams) (received, error) {
	var r received
	var wakeOthers []uint64
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		r, wakeOthers = received{}, nil
		q, err := s.lookup(ctx, tx, queueURL)
		if err != nil {
			return err
		}
		// Taken inside the transaction, before looking: a send that commits
		// after this look closes this very channel.
		r.wake = s.waiters.channel(q.ID)
		r.defaultWait = q.settings.wait
		rc := &receiveCtx{s: s, tx: tx, q: q, p: p, now: s.nowMs()}
		rc.vt = q.settings.visibility
		if p.visibility != nil {
			rc.vt = *p.visibility
		}
		if q.fifo() {
			if p.attemptID != "" {
				done, err := rc.retryAttempt()
				if err != nil || done {
					r.messages = rc.out
					return err
				}
			}
			err = rc.fifo()
			if err == nil && p.attemptID != "" && len(rc.out) > 0 {
				err = rc.saveAttempt()
			}
		} else {
			err = rc.standard()
		}
		r.messages, r.nextAt, wakeOthers = rc.out, rc.nextAt, rc.wakeQueues
		return err
	})
	for _, id := range wakeOthers {
		s.waiters.wake(id)
	}
	return r, err
}

// receiveCtx is one receive inside its transaction.
type receiveCtx struct {
	s      *Service
	tx     storage.Tx
	q      *queue
	p      *receiveParams
	now    int64
	vt     int
	out    []sqsapi.Message
	seqs   []uint64
	nextAt int64
	// wakeQueues are dead-letter queues that got messages.
	wakeQueues []uint64
	st         *queueState
}

func (rc *receiveCtx) state() (*queueState, error) {
	if rc.st == nil {
		st, err := loadState(rc.tx, rc.q.ID)
		if err != nil {
			return nil, err
		}
		rc.st = &st
	}
	return rc.st, nil
}

func (rc *receiveCtx) saveState() error {
	if rc.st == nil {
		return nil
	}
	return saveState(rc.tx, rc.q.ID, *rc.st)
}

// standard receives from a standard queue: the front of sqs.vis up to now.
func (rc *receiveCtx) standard() error {
	qid := rc.q.ID
	for len(rc.out) < rc.p.max {
		need := rc.p.max - len(rc.out)
		type cand struct {
			key []byte
			seq uint64
		}
		var cands []cand
		rc.nextAt = 0
		err := rc.tx.Scan(tVis, storage.Range{Prefix: visPrefix(qid)}, func(k, _ []byte) bool {
			at := visAt(k)
			if at > rc.now {
				rc.nextAt = at
				return false
			}
			cands = append(cands, cand{key: append([]byte(nil), k...), seq: visSeq(k)})
			return len(cands) < need
		})
		if err != nil {
			return err
		}
		if len(cands) == 0 {
			break
		}
		for _, c := range cands {
			m, err := loadMessage(rc.tx, qid, c.seq)
			if notFound(err) {
				// An index entry without its message: drop it.
				if err := rc.tx.Delete(tVis, c.key); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			taken, err := rc.take(c.seq, m)
			if err != nil {
				return err
			}
			_ = taken
		}
		if len(cands) < need {
			break
		}
	}
	return rc.saveState()
}

// take hands message seq out, unless it has expired (it is deleted) or has
// been received maxReceiveCount times (it moves to the dead-letter queue).
// It reports whether the message was handed out.
func (rc *receiveCtx) take(seq uint64, m *message) (bool, error) {
	q := rc.q
	if m.Sent+int64(q.settings.retention)*1000 <= rc.now {
		st, err := rc.state()
		if err != nil {
			return false, err
		}
		return false, removeMessage(rc.tx, q, st, seq, m)
	}
	if rp := q.settings.redrive; rp != nil && m.Receives >= rp.MaxReceiveCount {
		moved, err := rc.deadLetter(seq, m, rp)
		if err != nil || moved {
			return false, err
		}
	}
	if err := rc.tx.Delete(tVis, visKey(q.ID, m.VisibleAt, seq)); err != nil {
		return false, err
	}
	m.Receives++
	if m.FirstReceive == 0 {
		m.FirstReceive = rc.now
	}
	m.LastReceive = rc.now
	m.VisibleAt = rc.now + int64(rc.vt)*1000
	if err := rc.tx.Put(tVis, visKey(q.ID, m.VisibleAt, seq), []byte{1}); err != nil {
		return false, err
	}
	if err := putMessage(rc.tx, q.ID, seq, m); err != nil {
		return false, err
	}
	rc.out = append(rc.out, rc.s.output(q, seq, m, rc.p))
	rc.seqs = append(rc.seqs, seq)
	return true, nil
}

// deadLetter moves m to the dead-letter queue of the redrive policy, in
// this transaction, as SQS does when a receive finds the message has been
// received maxReceiveCount times. A missing dead-letter queue leaves the
// message where it is.
func (rc *receiveCtx) deadLetter(seq uint64, m *message, rp *redrivePolicy) (bool, error) {
	region, acct, name, err := parseARN(rp.Target)
	if err != nil {
		return false, nil
	}
	dlq, err := loadQueue(rc.tx, acct, region, name)
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	st, err := rc.state()
	if err != nil {
		return false, err
	}
	if err := removeMessage(rc.tx, rc.q, st, seq, m); err != nil {
		return false, err
	}
	if err := moveInto(rc.s, rc.tx, dlq, m, rc.q.arn(), rc.now); err != nil {
		return false, err
	}
	rc.wakeQueues = append(rc.wakeQueues, dlq.ID)
	return true, nil
}

// moveInto appends a copy of m (taken out of the queue with ARN source) to
// q: it keeps its id, body, attributes and send time, and is visible at
// once.
func moveInto(s *Service, tx storage.Tx, q *queue, m *message, source string, now int64) error {
	st, err := loadState(tx, q.ID)
	if err != nil {
		return err
	}
	cp := *m
	cp.DLQSource = source
	cp.VisibleAt = now
	cp.FirstReceive, cp.LastReceive = 0, 0
	if !q.fifo() {
		cp.Group, cp.DedupID, cp.SeqNumber = m.Group, "", ""
	} else if cp.SeqNumber == "" {
		cp.SeqNumber = strconv.FormatUint(10_000_000_000_000_000_000+st.NextSeq, 10)
	}
	// The receive count goes on: it is the count of receives across all
	// queues, as ApproximateReceiveCount documents.
	cp.Receives = m.Receives
	if err := s.insertMoved(tx, q, &st, &cp); err != nil {
		return err
	}
	return saveState(tx, q.ID, st)
}

// insertMoved inserts a moved message as never received in this queue (its
// sqs.vis entry counts it visible) while keeping its receive count.
func (s *Service) insertMoved(tx storage.Tx, q *queue, st *queueState, m *message) error {
	receives := m.Receives
	m.Receives = 0
	err := s.insert(tx, q, st, m)
	m.Receives = receives
	if err != nil {
		return err
	}
	return putMessage(tx, q.ID, st.NextSeq-1, m)
}

// removeMessage deletes a message and its index entries.
func removeMessage(tx storage.Tx, q *queue, st *queueState, seq uint64, m *message) error {
	if err := tx.Delete(tMsg, msgKey(q.ID, seq)); err != nil {
		return err
	}
	if err := tx.Delete(tVis, visKey(q.ID, m.VisibleAt, seq)); err != nil {
		return err
	}
	st.Count = max(st.Count-1, 0)
	if q.fifo() {
		if err := tx.Delete(tFMsgs, cat(fmsgsPrefix(q.ID, m.Group), u64(seq))); err != nil {
			return err
		}
	}
	return nil
}

// output is the message as ReceiveMessage returns it, with the system and
// message attributes the request asked for.
func (s *Service) output(q *queue, seq uint64, m *message, p *receiveParams) sqsapi.Message {
	out := sqsapi.Message{
		MessageId:     ptr(m.ID),
		ReceiptHandle: ptr(receipt{qid: q.ID, seq: seq, receives: uint32(m.Receives)}.String()),
		MD5OfBody:     ptr(m.MD5Body),
		Body:          ptr(m.Body),
	}
	if len(p.sysNames) > 0 {
		all := p.sysNames[attrAll]
		attrs := map[string]string{}
		add := func(name, value string) {
			if value != "" && (all || p.sysNames[name]) {
				attrs[name] = value
			}
		}
		add("SenderId", m.SenderID)
		add("SentTimestamp", strconv.FormatInt(m.Sent, 10))
		add("ApproximateReceiveCount", strconv.Itoa(m.Receives))
		add("ApproximateFirstReceiveTimestamp", strconv.FormatInt(m.FirstReceive, 10))
		add("AWSTraceHeader", m.Trace)
		add("DeadLetterQueueSourceArn", m.DLQSource)
		add("MessageGroupId", m.Group)
		if q.fifo() {
			add("SequenceNumber", m.SeqNumber)
			add("MessageDeduplicationId", m.DedupID)
		}
		if len(attrs) > 0 {
			out.Attributes = attrs
		}
	}
	if len(m.Attrs) > 0 && len(p.attrNames) > 0 {
		picked := map[string]sqsapi.MessageAttributeValue{}
		for name, v := range m.Attrs {
			if wantAttribute(p.attrNames, name) {
				picked[name] = v
			}
		}
		if len(picked) > 0 {
			out.MessageAttributes = picked
			out.MD5OfMessageAttributes = ptr(md5OfUserAttributes(picked))
		}
	}
	return out
}

// wantAttribute matches a message attribute name against the names a
// receive asked for: All, .*, prefix.* or the exact name.
func wantAttribute(names []string, name string) bool {
	for _, n := range names {
		switch {
		case n == attrAll || n == ".*":
			return true
		case strings.HasSuffix(n, ".*"):
			if strings.HasPrefix(name, n[:len(n)-1]) {
				return true
			}
		case n == name:
			return true
		}
	}
	return false
}
