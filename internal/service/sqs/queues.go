package sqs

import (
	"context"
	"encoding/base64"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// deletedNameHold is how long a deleted queue's name stays taken.
const deletedNameHold = 60_000 // ms

// CreateQueue creates a queue, or returns the URL of an existing one whose
// attributes match those given.
func (s *Service) CreateQueue(ctx context.Context, in *sqsapi.CreateQueueInput) (*sqsapi.CreateQueueOutput, error) {
	info := request.FromContext(ctx)
	name := deref(in.QueueName)
	fifo := false
	for k, v := range in.Attributes {
		if k == attrFifo {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, invalidAttrValue(attrFifo)
			}
			fifo = b
		}
	}
	switch {
	case !validQueueName(name) || (!fifo && strings.HasSuffix(name, ".fifo")):
		return nil, errInvalidParameterValue.New("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	case fifo && !strings.HasSuffix(name, ".fifo"):
		return nil, errInvalidParameterValue.New("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	}
	now := s.now()
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		arn := queueARN(info.Region, info.Account, name)
		attrs, err := normalizeAttrs(in.Attributes, true, fifo, s.redriveCheck(tx, arn, fifo))
		if err != nil {
			return err
		}
		existing, err := loadQueue(tx, info.Account, info.Region, name)
		switch {
		case err == nil:
			return sameAttributes(existing, attrs)
		case !notFound(err):
			return err
		}
		key := queueKey(info.Account, info.Region, name)
		if b, err := tx.Get(tDeleted, key); err == nil && len(b) == 8 {
			if now.UnixMilli()-int64(decodeU64(b)) < deletedNameHold {
				return sqsapi.ErrQueueDeletedRecently.New("You must wait 60 seconds after deleting a queue before you can create another with the same name.")
			}
			if err := tx.Delete(tDeleted, key); err != nil {
				return err
			}
		}
		id, err := nextQueueID(tx)
		if err != nil {
			return err
		}
		q := &queue{ID: id, Account: info.Account, Region: info.Region, Name: name,
			Attrs: mergeAttrs(defaultAttrs(fifo), attrs), Created: now.Unix(), Modified: now.Unix()}
		if len(in.Tags) > 0 {
			q.Tags = in.Tags
		}
		return saveQueue(tx, q)
	})
	if err != nil {
		return nil, err
	}
	return &sqsapi.CreateQueueOutput{QueueUrl: ptr(queueURL(ctx, info.Account, name))}, nil
}

// sameAttributes answers a CreateQueue of an existing queue: success when
// every given attribute has the queue's value.
func sameAttributes(q *queue, given map[string]string) error {
	names := make([]string, 0, len(given))
	for n := range given {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if q.Attrs[n] != given[n] && !(given[n] == "" && q.Attrs[n] == "") {
			return sqsapi.ErrQueueNameExists.New("A queue already exists with the same name and a different value for attribute " + n)
		}
	}
	return nil
}

// redriveCheck validates a RedrivePolicy for the queue source: its
// dead-letter queue must exist in the same account and region, be of the
// same type, and allow source.
func (s *Service) redriveCheck(tx storage.Tx, source string, fifo bool) func(*redrivePolicy, string) error {
	return func(p *redrivePolicy, raw string) error {
		region, account, name, _ := parseARN(p.Target)
		sr, sa, _, _ := parseARN(source)
		if region != sr || account != sa {
			return redriveError(raw, "Dead-letter target owner should be same as the source.")
		}
		dlq, err := loadQueue(tx, account, region, name)
		if notFound(err) {
			return redriveError(raw, "Dead letter target does not exist.")
		}
		if err != nil {
			return err
		}
		if dlq.fifo() != fifo {
			return redriveError(raw, "Dead-letter queue must be same type of queue as the source.")
		}
		if !allowsSource(dlq.Attrs[attrRedriveAllow], source) {
			return redriveError(raw, "Queue "+p.Target+" does not allow this queue to use it as a dead-letter queue.")
		}
		return nil
	}
}

// DeleteQueue deletes a queue at once; its messages are swept afterwards.
func (s *Service) DeleteQueue(ctx context.Context, in *sqsapi.DeleteQueueInput) (*sqsapi.DeleteQueueOutput, error) {
	var qid uint64
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		qid = q.ID
		key := queueKey(q.Account, q.Region, q.Name)
		if err := tx.Delete(tQueues, key); err != nil {
			return err
		}
		if err := tx.Put(tDeleted, key, u64(uint64(s.nowMs()))); err != nil {
			return err
		}
		return tx.Put(tGarbage, u64(q.ID), nil)
	})
	if err != nil {
		return nil, err
	}
	s.waiters.wake(qid)
	return &sqsapi.DeleteQueueOutput{}, nil
}

// GetQueueUrl finds a queue of the caller's (or the given) account.
func (s *Service) GetQueueUrl(ctx context.Context, in *sqsapi.GetQueueUrlInput) (*sqsapi.GetQueueUrlOutput, error) {
	info := request.FromContext(ctx)
	owner := info.Account
	if in.QueueOwnerAWSAccountId != nil && *in.QueueOwnerAWSAccountId != "" {
		owner = *in.QueueOwnerAWSAccountId
	}
	name := deref(in.QueueName)
	err := s.db.View(ctx, func(tx storage.Tx) error {
		if !validQueueName(name) {
			return queueDoesNotExist(ctx)
		}
		_, err := tx.Get(tQueues, queueKey(owner, info.Region, name))
		if notFound(err) {
			return queueDoesNotExist(ctx)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sqsapi.GetQueueUrlOutput{QueueUrl: ptr(queueURL(ctx, owner, name))}, nil
}

// ListQueues lists the caller's queues in the region, by name.
func (s *Service) ListQueues(ctx context.Context, in *sqsapi.ListQueuesInput) (*sqsapi.ListQueuesOutput, error) {
	info := request.FromContext(ctx)
	limit, paged, err := pageLimit(in.MaxResults)
	if err != nil {
		return nil, err
	}
	prefix := queueKey(info.Account, info.Region, deref(in.QueueNamePrefix))
	after, err := pageAfter(in.NextToken, info.Account, info.Region)
	if err != nil {
		return nil, err
	}
	out := &sqsapi.ListQueuesOutput{}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tQueues, storage.Range{Prefix: prefix, After: after}, func(k, _ []byte) bool {
			_, _, name := splitQueueKey(k)
			if len(out.QueueUrls) == limit {
				if paged {
					out.NextToken = ptr(pageToken(out.QueueUrls[len(out.QueueUrls)-1]))
				}
				return false
			}
			out.QueueUrls = append(out.QueueUrls, queueURL(ctx, info.Account, name))
			return true
		})
	})
	return out, err
}

// pageLimit reads MaxResults: 1 to 1000; without it, 1000 and no paging.
func pageLimit(max *int32) (limit int, paged bool, err error) {
	if max == nil {
		return 1000, false, nil
	}
	if *max < 1 || *max > 1000 {
		return 0, false, invalidParam("MaxResults", *max, "MaxResults must be an integer between 1 and 1000.")
	}
	return int(*max), true, nil
}

// pageToken is the NextToken after the queue whose URL is last.
func pageToken(lastURL string) string {
	name := lastURL[strings.LastIndexByte(lastURL, '/')+1:]
	return base64.RawURLEncoding.EncodeToString([]byte(name))
}

func pageAfter(token *string, account, region string) ([]byte, error) {
	if token == nil || *token == "" {
		return nil, nil
	}
	name, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil || !validQueueName(string(name)) {
		return nil, invalidParam("NextToken", *token, "Invalid NextToken value.")
	}
	return queueKey(account, region, string(name)), nil
}

// GetQueueAttributes returns the named attributes (All for every one).
func (s *Service) GetQueueAttributes(ctx context.Context, in *sqsapi.GetQueueAttributesInput) (*sqsapi.GetQueueAttributesOutput, error) {
	want := map[string]bool{}
	for _, n := range in.AttributeNames {
		if !readableAttrs[n] {
			return nil, sqsapi.ErrInvalidAttributeName.New("Unknown Attribute " + n + ".")
		}
		want[n] = true
	}
	all := want[attrAll]
	out := map[string]string{}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		for k, v := range q.Attrs {
			if all || want[k] {
				out[k] = v
			}
		}
		if all || want[attrArn] {
			out[attrArn] = q.arn()
		}
		if all || want[attrCreated] {
			out[attrCreated] = strconv.FormatInt(q.Created, 10)
		}
		if all || want[attrModified] {
			out[attrModified] = strconv.FormatInt(q.Modified, 10)
		}
		if all || want[attrNumMessages] || want[attrNumNotVisible] || want[attrNumDelayed] {
			c, err := s.counts(tx, q.ID)
			if err != nil {
				return err
			}
			for name, n := range map[string]int64{attrNumMessages: c.visible, attrNumNotVisible: c.inflight, attrNumDelayed: c.delayed} {
				if all || want[name] {
					out[name] = strconv.FormatInt(n, 10)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sqsapi.GetQueueAttributesOutput{Attributes: out}, nil
}

type counts struct{ visible, inflight, delayed int64 }

// counts derives the Approximate* counters: every message has one entry in
// sqs.vis, and those not receivable now lie after now in it.
func (s *Service) counts(tx storage.Tx, qid uint64) (counts, error) {
	st, err := loadState(tx, qid)
	if err != nil {
		return counts{}, err
	}
	var c counts
	start := cat(visPrefix(qid), u64(uint64(s.nowMs()+1)))
	err = tx.Scan(tVis, storage.Range{Prefix: visPrefix(qid), Start: start}, func(_, v []byte) bool {
		if len(v) > 0 && v[0] == 1 {
			c.inflight++
		} else {
			c.delayed++
		}
		return true
	})
	c.visible = max(st.Count-c.inflight-c.delayed, 0)
	return c, err
}

// SetQueueAttributes changes a queue's settable attributes.
func (s *Service) SetQueueAttributes(ctx context.Context, in *sqsapi.SetQueueAttributesInput) (*sqsapi.SetQueueAttributesOutput, error) {
	if len(in.Attributes) == 0 {
		return nil, missingParam("Attribute.Name")
	}
	var qid uint64
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		qid = q.ID
		attrs, err := normalizeAttrs(in.Attributes, false, q.fifo(), s.redriveCheck(tx, q.arn(), q.fifo()))
		if err != nil {
			return err
		}
		q.Attrs = mergeAttrs(q.Attrs, attrs)
		q.Modified = s.now().Unix()
		return saveQueue(tx, q)
	})
	if err != nil {
		return nil, err
	}
	// A shorter wait or delay may concern long polls already waiting.
	s.waiters.wake(qid)
	return &sqsapi.SetQueueAttributesOutput{}, nil
}

// PurgeQueue deletes the messages sent before the call, at most once a
// minute per queue.
func (s *Service) PurgeQueue(ctx context.Context, in *sqsapi.PurgeQueueInput) (*sqsapi.PurgeQueueOutput, error) {
	var q *queue
	var below uint64
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		var err error
		if q, err = s.lookup(ctx, tx, in.QueueUrl); err != nil {
			return err
		}
		now := s.nowMs()
		if q.LastPurge != 0 && now-q.LastPurge < 60_000 {
			return sqsapi.ErrPurgeQueueInProgress.New("Only one PurgeQueue operation on " + q.Name + " is allowed every 60 seconds.")
		}
		q.LastPurge = now
		st, err := loadState(tx, q.ID)
		if err != nil {
			return err
		}
		below = st.NextSeq
		return saveQueue(tx, q)
	})
	if err != nil {
		return nil, err
	}
	if err := s.deleteMessagesBelow(ctx, q, below); err != nil {
		return nil, err
	}
	return &sqsapi.PurgeQueueOutput{}, nil
}

// TagQueue adds or replaces tags.
func (s *Service) TagQueue(ctx context.Context, in *sqsapi.TagQueueInput) (*sqsapi.TagQueueOutput, error) {
	err := s.updateQueue(ctx, in.QueueUrl, func(q *queue) error {
		if q.Tags == nil {
			q.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			q.Tags[k] = v
		}
		if len(q.Tags) > 50 {
			return errInvalidParameterValue.New("Too many tags added for queue " + q.Name + ".")
		}
		return nil
	})
	return &sqsapi.TagQueueOutput{}, err
}

// UntagQueue removes tags.
func (s *Service) UntagQueue(ctx context.Context, in *sqsapi.UntagQueueInput) (*sqsapi.UntagQueueOutput, error) {
	err := s.updateQueue(ctx, in.QueueUrl, func(q *queue) error {
		for _, k := range in.TagKeys {
			delete(q.Tags, k)
		}
		return nil
	})
	return &sqsapi.UntagQueueOutput{}, err
}

// ListQueueTags returns a queue's tags.
func (s *Service) ListQueueTags(ctx context.Context, in *sqsapi.ListQueueTagsInput) (*sqsapi.ListQueueTagsOutput, error) {
	out := &sqsapi.ListQueueTagsOutput{Tags: map[string]string{}}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		maps.Copy(out.Tags, q.Tags)
		return nil
	})
	return out, err
}

// updateQueue changes a queue in one transaction.
func (s *Service) updateQueue(ctx context.Context, queueURL *string, fn func(q *queue) error) error {
	return s.db.Update(ctx, func(tx storage.Tx) error {
		q, err := s.lookup(ctx, tx, queueURL)
		if err != nil {
			return err
		}
		q.Attrs, q.Tags = maps.Clone(q.Attrs), maps.Clone(q.Tags)
		if err := fn(q); err != nil {
			return err
		}
		return saveQueue(tx, q)
	})
}

// ListDeadLetterSourceQueues lists the queues whose RedrivePolicy names
// this queue.
func (s *Service) ListDeadLetterSourceQueues(ctx context.Context, in *sqsapi.ListDeadLetterSourceQueuesInput) (*sqsapi.ListDeadLetterSourceQueuesOutput, error) {
	limit, paged, err := pageLimit(in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &sqsapi.ListDeadLetterSourceQueuesOutput{QueueUrls: []string{}}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		dlq, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		after, err := pageAfter(in.NextToken, dlq.Account, dlq.Region)
		if err != nil {
			return err
		}
		target := dlq.arn()
		var scanErr error
		err = tx.Scan(tQueues, storage.Range{Prefix: queueKey(dlq.Account, dlq.Region, ""), After: after}, func(k, v []byte) bool {
			var q queue
			if err := jsonUnmarshal(v, &q); err != nil {
				scanErr = err
				return false
			}
			p := parseSettings(q.Attrs).redrive
			if p == nil || p.Target != target {
				return true
			}
			if len(out.QueueUrls) == limit {
				if paged {
					out.NextToken = ptr(pageToken(out.QueueUrls[len(out.QueueUrls)-1]))
				}
				return false
			}
			out.QueueUrls = append(out.QueueUrls, queueURL(ctx, q.Account, q.Name))
			return true
		})
		if err != nil {
			return err
		}
		return scanErr
	})
	return out, err
}
