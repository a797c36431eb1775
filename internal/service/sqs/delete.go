package sqs

import (
	"context"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// DeleteMessage deletes the message a receipt handle names.
func (s *Service) DeleteMessage(ctx context.Context, in *sqsapi.DeleteMessageInput) (*sqsapi.DeleteMessageOutput, error) {
	h := deref(in.ReceiptHandle)
	r, ok := parseReceipt(h)
	if !ok {
		return nil, invalidReceipt(h)
	}
	var fifo bool
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		fifo = q.fifo()
		return s.deleteOne(tx, q, h, r)
	})
	if err != nil {
		return nil, err
	}
	if fifo {
		// A delete may unlock the message's group.
		s.waiters.wake(r.qid)
	}
	return &sqsapi.DeleteMessageOutput{}, nil
}

// deleteOne deletes the message of receipt r from q. A message already
// gone is no error. A handle of an earlier receive deletes nothing from a
// standard queue (SQS asks for the latest handle) and is refused by a FIFO
// queue, as is a handle whose visibility timeout has run out.
func (s *Service) deleteOne(tx storage.Tx, q *queue, h string, r receipt) error {
	if r.qid != q.ID {
		return invalidReceipt(h)
	}
	m, err := loadMessage(tx, q.ID, r.seq)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.nowMs()
	stale := uint32(m.Receives) != r.receives
	if q.fifo() && (stale || m.VisibleAt <= now) {
		return invalidParam("ReceiptHandle", h, "The receipt handle has expired.")
	}
	if stale {
		return nil
	}
	st, err := loadState(tx, q.ID)
	if err != nil {
		return err
	}
	if err := removeMessage(tx, q, &st, r.seq, m); err != nil {
		return err
	}
	if err := saveState(tx, q.ID, st); err != nil {
		return err
	}
	if q.fifo() {
		return refreshGroup(tx, q, m.Group, now)
	}
	return nil
}

// DeleteMessageBatch deletes up to ten messages.
func (s *Service) DeleteMessageBatch(ctx context.Context, in *sqsapi.DeleteMessageBatchInput) (*sqsapi.DeleteMessageBatchOutput, error) {
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = deref(e.Id)
	}
	if err := checkBatch("DeleteMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	out := &sqsapi.DeleteMessageBatchOutput{}
	var fifo bool
	var qid uint64
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		out.Failed, out.Successful = []sqsapi.BatchResultErrorEntry{}, []sqsapi.DeleteMessageBatchResultEntry{}
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		fifo, qid = q.fifo(), q.ID
		for i, e := range in.Entries {
			h := deref(e.ReceiptHandle)
			r, ok := parseReceipt(h)
			if !ok {
				out.Failed = append(out.Failed, failure(ids[i], invalidReceipt(h)))
				continue
			}
			if err := s.deleteOne(tx, q, h, r); err != nil {
				if isAWS(err) {
					out.Failed = append(out.Failed, failure(ids[i], err))
					continue
				}
				return err
			}
			out.Successful = append(out.Successful, sqsapi.DeleteMessageBatchResultEntry{Id: ptr(ids[i])})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if fifo {
		// Deletes unlock message groups.
		s.waiters.wake(qid)
	}
	return out, nil
}

// ChangeMessageVisibility changes when an in-flight message becomes
// visible again, counted from now.
func (s *Service) ChangeMessageVisibility(ctx context.Context, in *sqsapi.ChangeMessageVisibilityInput) (*sqsapi.ChangeMessageVisibilityOutput, error) {
	h := deref(in.ReceiptHandle)
	vt := deref(in.VisibilityTimeout)
	if vt < 0 || vt > 43200 {
		return nil, invalidParam("VisibilityTimeout", vt, "Must be between 0 and 43200, if provided.")
	}
	r, ok := parseReceipt(h)
	if !ok {
		return nil, invalidReceipt(h)
	}
	var qid uint64
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		qid = q.ID
		return s.changeOne(tx, q, h, r, int(vt))
	})
	if err != nil {
		return nil, err
	}
	s.waiters.wake(qid)
	return &sqsapi.ChangeMessageVisibilityOutput{}, nil
}

// changeOne sets the visibility timeout of the message of receipt r. A
// message whose visibility timeout already ran out is left as it is (SQS
// answers such a call with success); one that was deleted or received again
// since the handle was issued cannot be changed.
func (s *Service) changeOne(tx storage.Tx, q *queue, h string, r receipt, vt int) error {
	if r.qid != q.ID {
		return invalidReceipt(h)
	}
	m, err := loadMessage(tx, q.ID, r.seq)
	if notFound(err) || (err == nil && uint32(m.Receives) != r.receives) {
		return invalidParam("ReceiptHandle", h, "Message does not exist or is not available for visibility timeout change.")
	}
	if err != nil {
		return err
	}
	now := s.nowMs()
	if m.VisibleAt <= now {
		return nil
	}
	if m.LastReceive > 0 && now+int64(vt)*1000 > m.LastReceive+43200*1000 {
		return invalidParam("VisibilityTimeout", vt, "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")
	}
	if err := tx.Delete(tVis, visKey(q.ID, m.VisibleAt, r.seq)); err != nil {
		return err
	}
	m.VisibleAt = now + int64(vt)*1000
	if err := tx.Put(tVis, visKey(q.ID, m.VisibleAt, r.seq), []byte{1}); err != nil {
		return err
	}
	if err := putMessage(tx, q.ID, r.seq, m); err != nil {
		return err
	}
	if q.fifo() {
		return refreshGroup(tx, q, m.Group, now)
	}
	return nil
}

// ChangeMessageVisibilityBatch changes up to ten visibility timeouts.
func (s *Service) ChangeMessageVisibilityBatch(ctx context.Context, in *sqsapi.ChangeMessageVisibilityBatchInput) (*sqsapi.ChangeMessageVisibilityBatchOutput, error) {
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = deref(e.Id)
	}
	if err := checkBatch("ChangeMessageVisibilityBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	out := &sqsapi.ChangeMessageVisibilityBatchOutput{}
	var qid uint64
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		out.Failed, out.Successful = []sqsapi.BatchResultErrorEntry{}, []sqsapi.ChangeMessageVisibilityBatchResultEntry{}
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		qid = q.ID
		for i, e := range in.Entries {
			h := deref(e.ReceiptHandle)
			vt := deref(e.VisibilityTimeout)
			r, ok := parseReceipt(h)
			switch {
			case !ok:
				err = invalidReceipt(h)
			case vt < 0 || vt > 43200:
				err = invalidParam("VisibilityTimeout", vt, "Must be between 0 and 43200, if provided.")
			default:
				err = s.changeOne(tx, q, h, r, int(vt))
			}
			if err != nil {
				if isAWS(err) {
					out.Failed = append(out.Failed, failure(ids[i], err))
					continue
				}
				return err
			}
			out.Successful = append(out.Successful, sqsapi.ChangeMessageVisibilityBatchResultEntry{Id: ptr(ids[i])})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.waiters.wake(qid)
	return out, nil
}
