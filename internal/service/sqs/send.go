package sqs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// dedupWindow is how long a deduplication id is remembered.
const dedupWindow = 5 * 60_000 // ms

// outgoing is a message on its way into a queue, validated as far as it can
// be without the queue.
type outgoing struct {
	body     string
	attrs    map[string]sqsapi.MessageAttributeValue
	md5Body  string
	md5Attrs string
	md5Sys   string
	trace    string
	delay    *int32
	group    string
	dedup    string
	hasGroup bool
	hasDedup bool
	senderID string
	size     int // body and attributes, as counted against MaximumMessageSize
}

// sent is the result of adding one message.
type sent struct {
	id, seqNumber string
}

// prepare validates what can be validated without the queue.
func prepare(body *string, attrs map[string]sqsapi.MessageAttributeValue, sys map[string]sqsapi.MessageSystemAttributeValue,
	delay *int32, group, dedup *string) (*outgoing, error) {
	if body == nil || *body == "" {
		return nil, missingParam("MessageBody")
	}
	if !validContent(*body) {
		return nil, sqsapi.ErrInvalidMessageContents.New("Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	o := &outgoing{body: *body, md5Body: md5Hex(*body), delay: delay, size: len(*body)}
	if delay != nil && (*delay < 0 || *delay > 900) {
		return nil, invalidParam("DelaySeconds", *delay, "DelaySeconds must be >= 0 and <= 900.")
	}
	if len(attrs) > 10 {
		return nil, errInvalidParameterValue.New(fmt.Sprintf("Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs)))
	}
	for name, v := range attrs {
		n, err := checkAttribute(name, v)
		if err != nil {
			return nil, err
		}
		o.size += n
	}
	if len(attrs) > 0 {
		o.attrs = attrs
		o.md5Attrs = md5OfUserAttributes(attrs)
	}
	if len(sys) > 0 {
		m := make(map[string]attrValue, len(sys))
		for name, v := range sys {
			if name != "AWSTraceHeader" {
				return nil, errInvalidParameterValue.New("Message system attribute name '" + name + "' is invalid.")
			}
			if deref(v.DataType) != "String" || v.StringValue == nil || *v.StringValue == "" {
				return nil, errInvalidParameterValue.New("Message system attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'.")
			}
			o.trace = *v.StringValue
			m[name] = systemAttr(v)
		}
		o.md5Sys = md5OfAttributes(m)
	}
	if group != nil {
		o.hasGroup, o.group = true, *group
		if !validFifoID(o.group) {
			return nil, invalidParam("MessageGroupId", o.group, "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		}
	}
	if dedup != nil {
		o.hasDedup, o.dedup = true, *dedup
		if !validFifoID(o.dedup) {
			return nil, invalidParam("MessageDeduplicationId", o.dedup, "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		}
	}
	return o, nil
}

// checkAttribute validates one message attribute and returns the bytes it
// counts against the message size.
func checkAttribute(name string, v sqsapi.MessageAttributeValue) (int, error) {
	if err := checkAttributeName(name); err != nil {
		return 0, err
	}
	dt := deref(v.DataType)
	if dt == "" {
		return 0, errInvalidParameterValue.New("The message attribute '" + name + "' must contain non-empty message attribute type.")
	}
	base := baseType(dt)
	if (base != "String" && base != "Number" && base != "Binary") || len(dt) > 256 || (len(dt) > len(base) && dt[len(base)] != '.') {
		return 0, errInvalidParameterValue.New("The type of message (user) attribute '" + name + "' is invalid. You must use only the following supported type prefixes: Binary, Number, String.")
	}
	size := len(name) + len(dt)
	switch base {
	case "Binary":
		if len(v.BinaryValue) == 0 {
			return 0, errInvalidParameterValue.New("Message (user) attribute '" + name + "' must contain a non-empty value of type 'Binary'.")
		}
		size += len(v.BinaryValue)
	default:
		if v.StringValue == nil || *v.StringValue == "" {
			return 0, errInvalidParameterValue.New("Message (user) attribute '" + name + "' must contain a non-empty value of type '" + base + "'.")
		}
		if base == "Number" {
			if _, err := strconv.ParseFloat(strings.TrimSpace(*v.StringValue), 64); err != nil {
				return 0, errInvalidParameterValue.New("Can't cast the value of message (user) attribute '" + name + "' to a number.")
			}
		}
		if !validContent(*v.StringValue) {
			return 0, sqsapi.ErrInvalidMessageContents.New("Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
		}
		size += len(*v.StringValue)
	}
	return size, nil
}

func checkAttributeName(name string) error {
	bad := func(reason string) error { return errInvalidParameterValue.New(reason) }
	if name == "" {
		return bad("The request must contain non-empty message attribute name.")
	}
	if len(name) > 256 {
		return bad("Message (user) attribute name '" + name + "' exceeds the maximum length of 256 characters.")
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return bad("You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use.")
	}
	if name[0] == '.' || name[len(name)-1] == '.' {
		return bad("Message (user) attribute name '" + name + "' can not start or end with a period (.).")
	}
	if strings.Contains(name, "..") {
		return bad("Message (user) attribute name '" + name + "' can not have successive periods (..).")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return bad(fmt.Sprintf("Invalid non-alphanumeric character '#x%X' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.", c))
		}
	}
	return nil
}

// validContent reports whether s has only the characters SQS accepts:
// #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
func validContent(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != 0x9 && c != 0xA && c != 0xD {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return false
		}
		if (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// validFifoID: 1 to 128 alphanumeric or punctuation characters.
func validFifoID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// checkForQueue validates o against the queue it goes to.
func checkForQueue(q *queue, o *outgoing, batch bool) error {
	if o.size > q.settings.maxSize {
		return errInvalidParameterValue.New(fmt.Sprintf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.settings.maxSize))
	}
	if !q.fifo() {
		if o.hasDedup {
			return invalidParam("MessageDeduplicationId", o.dedup, "The request include parameter that is not valid for this queue type.")
		}
		return nil
	}
	if o.delay != nil && *o.delay != 0 {
		return invalidParam("DelaySeconds", *o.delay, "The request include parameter that is not valid for this queue type.")
	}
	return checkFifoIDs(q, o, batch)
}

// checkFifoIDs requires the group and deduplication ids of a FIFO queue;
// in a batch their absence fails the whole request.
func checkFifoIDs(q *queue, o *outgoing, batch bool) error {
	if !q.fifo() {
		return nil
	}
	if !o.hasGroup {
		if batch {
			return errInvalidParameterValue.New("The request must contain the parameter MessageGroupId.")
		}
		return missingParam("MessageGroupId")
	}
	if !o.hasDedup && !q.settings.contentDedup {
		return errInvalidParameterValue.New("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	}
	return nil
}

// SendMessage adds one message to a queue.
func (s *Service) SendMessage(ctx context.Context, in *sqsapi.SendMessageInput) (*sqsapi.SendMessageOutput, error) {
	o, err := prepare(in.MessageBody, in.MessageAttributes, in.MessageSystemAttributes, in.DelaySeconds, in.MessageGroupId, in.MessageDeduplicationId)
	if err != nil {
		return nil, err
	}
	o.senderID = account(ctx)
	var res sent
	var qid uint64
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		if err := checkForQueue(q, o, false); err != nil {
			return err
		}
		qid = q.ID
		st, err := loadState(tx, q.ID)
		if err != nil {
			return err
		}
		if res, err = s.appendMessage(tx, q, &st, o); err != nil {
			return err
		}
		return saveState(tx, q.ID, st)
	})
	if err != nil {
		return nil, err
	}
	s.waiters.wake(qid)
	out := &sqsapi.SendMessageOutput{MessageId: ptr(res.id), MD5OfMessageBody: ptr(o.md5Body)}
	if o.md5Attrs != "" {
		out.MD5OfMessageAttributes = ptr(o.md5Attrs)
	}
	if o.md5Sys != "" {
		out.MD5OfMessageSystemAttributes = ptr(o.md5Sys)
	}
	if res.seqNumber != "" {
		out.SequenceNumber = ptr(res.seqNumber)
	}
	return out, nil
}

// appendMessage stores o in q within tx, or, for a FIFO duplicate within
// the deduplication window, answers with the message sent first.
func (s *Service) appendMessage(tx storage.Tx, q *queue, st *queueState, o *outgoing) (sent, error) {
	now := s.nowMs()
	m := &message{Body: o.body, Attrs: o.attrs, MD5Body: o.md5Body, MD5Attrs: o.md5Attrs, Sent: now,
		SenderID: o.senderID, Trace: o.trace, Group: o.group}
	if q.fifo() {
		dedup := o.dedup
		if !o.hasDedup {
			sum := sha256.Sum256([]byte(o.body))
			dedup = hex.EncodeToString(sum[:])
		}
		scope := ""
		if q.settings.dedupPerGroup {
			scope = o.group
		}
		key := cat(u64(q.ID), []byte(scope), []byte{0}, []byte(dedup))
		var prior dedupEntry
		err := getJSON(tx, tDedup, key, &prior)
		switch {
		case err == nil && prior.Until > now:
			return sent{id: prior.ID, seqNumber: prior.SeqNumber}, nil
		case err == nil:
			if err := tx.Delete(tDedupExp, cat(u64(q.ID), u64(uint64(prior.Until)), key[8:])); err != nil {
				return sent{}, err
			}
		case !notFound(err):
			return sent{}, err
		}
		m.DedupID = dedup
		m.SeqNumber = strconv.FormatUint(10_000_000_000_000_000_000+st.NextSeq, 10)
		m.ID = newMessageID()
		until := now + dedupWindow
		if err := putJSON(tx, tDedup, key, dedupEntry{ID: m.ID, SeqNumber: m.SeqNumber, Until: until}); err != nil {
			return sent{}, err
		}
		if err := tx.Put(tDedupExp, cat(u64(q.ID), u64(uint64(until)), key[8:]), nil); err != nil {
			return sent{}, err
		}
	} else {
		m.ID = newMessageID()
	}
	delay := q.settings.delay
	if o.delay != nil {
		delay = int(*o.delay)
	}
	m.VisibleAt = now + int64(delay)*1000
	if err := s.insert(tx, q, st, m); err != nil {
		return sent{}, err
	}
	return sent{id: m.ID, seqNumber: m.SeqNumber}, nil
}

// dedupEntry remembers a FIFO deduplication id.
type dedupEntry struct {
	ID        string `json:"id"`
	SeqNumber string `json:"seq,omitempty"`
	Until     int64  `json:"until"`
}

// insert stores a new message (fresh or moved from another queue) under
// the queue's next sequence number.
func (s *Service) insert(tx storage.Tx, q *queue, st *queueState, m *message) error {
	seq := st.NextSeq
	st.NextSeq++
	st.Count++
	if err := putMessage(tx, q.ID, seq, m); err != nil {
		return err
	}
	kind := byte(0)
	if m.Receives > 0 {
		kind = 1
	}
	if err := tx.Put(tVis, visKey(q.ID, m.VisibleAt, seq), []byte{kind}); err != nil {
		return err
	}
	if !q.fifo() {
		return nil
	}
	if err := tx.Put(tFMsgs, cat(fmsgsPrefix(q.ID, m.Group), u64(seq)), nil); err != nil {
		return err
	}
	if _, err := tx.Get(tFGroup, fgroupKey(q.ID, m.Group)); notFound(err) {
		return setGroupReady(tx, q.ID, m.Group, m.VisibleAt)
	} else {
		return err
	}
}

// newMessageID is a random UUID, the form of SQS message ids.
func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:], b[10:])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

// SendMessageBatch adds up to ten messages; each entry succeeds or fails
// on its own.
func (s *Service) SendMessageBatch(ctx context.Context, in *sqsapi.SendMessageBatchInput) (*sqsapi.SendMessageBatchOutput, error) {
	ids := make([]string, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ids[i] = deref(e.Id)
		total += len(deref(e.MessageBody))
		for name, a := range e.MessageAttributes {
			total += len(name) + len(deref(a.DataType)) + len(deref(a.StringValue)) + len(a.BinaryValue)
		}
	}
	if err := checkBatch("SendMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	if total > defaultMaxMessageSize {
		return nil, sqsapi.ErrBatchRequestTooLong.New(fmt.Sprintf("Batch requests cannot be longer than %d bytes. You have sent %d bytes.", defaultMaxMessageSize, total))
	}
	out := &sqsapi.SendMessageBatchOutput{}
	var refused []sqsapi.BatchResultErrorEntry
	prepared := make([]*outgoing, len(in.Entries))
	for i, e := range in.Entries {
		o, err := prepare(e.MessageBody, e.MessageAttributes, e.MessageSystemAttributes, e.DelaySeconds, e.MessageGroupId, e.MessageDeduplicationId)
		if err != nil {
			refused = append(refused, failure(ids[i], err))
			continue
		}
		o.senderID = account(ctx)
		prepared[i] = o
	}
	var qid uint64
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		q, err := s.lookup(ctx, tx, in.QueueUrl)
		if err != nil {
			return err
		}
		qid = q.ID
		for _, o := range prepared {
			if o == nil {
				continue
			}
			if err := checkFifoIDs(q, o, true); err != nil {
				return err
			}
		}
		st, err := loadState(tx, q.ID)
		if err != nil {
			return err
		}
		out.Failed = append([]sqsapi.BatchResultErrorEntry{}, refused...)
		out.Successful = []sqsapi.SendMessageBatchResultEntry{}
		for i, o := range prepared {
			if o == nil {
				continue
			}
			if err := checkForQueue(q, o, true); err != nil {
				out.Failed = append(out.Failed, failure(ids[i], err))
				continue
			}
			res, err := s.appendMessage(tx, q, &st, o)
			if err != nil {
				return err
			}
			r := sqsapi.SendMessageBatchResultEntry{Id: ptr(ids[i]), MessageId: ptr(res.id), MD5OfMessageBody: ptr(o.md5Body)}
			if o.md5Attrs != "" {
				r.MD5OfMessageAttributes = ptr(o.md5Attrs)
			}
			if o.md5Sys != "" {
				r.MD5OfMessageSystemAttributes = ptr(o.md5Sys)
			}
			if res.seqNumber != "" {
				r.SequenceNumber = ptr(res.seqNumber)
			}
			out.Successful = append(out.Successful, r)
		}
		return saveState(tx, q.ID, st)
	})
	if err != nil {
		return nil, err
	}
	s.waiters.wake(qid)
	return out, nil
}

// failure is the Failed entry of a batch entry that err refused.
func failure(id string, err error) sqsapi.BatchResultErrorEntry {
	e := awserr.From(err)
	code := e.Code
	if e.QueryCode != "" {
		code = e.QueryCode
	}
	return sqsapi.BatchResultErrorEntry{Id: ptr(id), Code: ptr(code), Message: ptr(e.Message), SenderFault: ptr(e.Sender)}
}

// checkBatch applies the rules every batch shares: 1 to 10 entries, ids
// of up to 80 letters, digits, - and _, each distinct.
func checkBatch(entryName string, ids []string) error {
	if len(ids) == 0 {
		return sqsapi.ErrEmptyBatchRequest.New("There should be at least one " + entryName + " in the request.")
	}
	if len(ids) > 10 {
		return sqsapi.ErrTooManyEntriesInBatchRequest.New(fmt.Sprintf("Maximum number of entries per request are 10. You have sent %d.", len(ids)))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !validBatchID(id) {
			return sqsapi.ErrInvalidBatchEntryId.New("A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
	}
	for _, id := range ids {
		if seen[id] {
			return sqsapi.ErrBatchEntryIdsNotDistinct.New("Id " + id + " repeated.")
		}
		seen[id] = true
	}
	return nil
}

func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
