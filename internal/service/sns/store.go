package sns

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Tables. Topics and subscriptions are keyed by their ARNs, so that a
// prefix scan lists an account's topics in a region in name order, and a
// topic's subscriptions (whose ARNs are the topic's ARN, ":" and an id).
const (
	tableTopics = "sns.topics" // topic ARN → topicRecord
	tableSubs   = "sns.subs"   // subscription ARN → subRecord
	tableTokens = "sns.tokens" // confirmation token → subscription ARN
	tableDedup  = "sns.dedup"  // topic ARN \x00 deduplication id → dedupRecord
	tableSeq    = "sns.seq"    // topic ARN → last FIFO sequence number
	tableOutbox = "sns.outbox" // captured email/SMS/push messages
	tableMeta   = "sns.meta"   // the signing key
	partition   = "aws"
	arnPrefix   = "arn:" + partition + ":sns:"
)

type topicRecord struct {
	ARN     string            `json:"arn"`
	Name    string            `json:"name"`
	Account string            `json:"account"`
	Region  string            `json:"region"`
	Attrs   map[string]string `json:"attrs,omitempty"` // as set by the client (Policy always present)
	Tags    []tag             `json:"tags,omitempty"`
	Created time.Time         `json:"created"`
}

func (t *topicRecord) fifo() bool { return t.Attrs[attrFifoTopic] == "true" }

func (t *topicRecord) contentDedup() bool { return t.Attrs[attrContentBasedDedup] == "true" }

type tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

type subRecord struct {
	ARN      string            `json:"arn"`
	TopicARN string            `json:"topic"`
	Protocol string            `json:"protocol"`
	Endpoint string            `json:"endpoint"`
	Owner    string            `json:"owner"`
	Attrs    map[string]string `json:"attrs,omitempty"`
	Pending  bool              `json:"pending,omitempty"`
	Token    string            `json:"token,omitempty"`
	// Authenticated is ConfirmationWasAuthenticated: the subscription was
	// confirmed by a signed request (or needed no confirmation).
	Authenticated bool      `json:"authenticated,omitempty"`
	Created       time.Time `json:"created"`
}

type dedupRecord struct {
	MessageID string    `json:"id"`
	Sequence  string    `json:"seq,omitempty"`
	Expires   time.Time `json:"exp"`
}

func topicARN(region, account, name string) string {
	return arnPrefix + region + ":" + account + ":" + name
}

// parsedTopicARN is a topic ARN taken apart.
type parsedTopicARN struct{ region, account, name string }

// parseTopicARN reads arn:aws:sns:region:account:name.
func parseTopicARN(arn string) (parsedTopicARN, bool) {
	rest, ok := strings.CutPrefix(arn, arnPrefix)
	if !ok {
		return parsedTopicARN{}, false
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 || parts[0] == "" || len(parts[1]) != 12 || !validTopicName(parts[2], strings.HasSuffix(parts[2], ".fifo")) {
		return parsedTopicARN{}, false
	}
	return parsedTopicARN{region: parts[0], account: parts[1], name: parts[2]}, true
}

// topicOfSubscription returns the topic ARN a subscription ARN belongs to.
func topicOfSubscription(subARN string) (string, bool) {
	i := strings.LastIndexByte(subARN, ':')
	if i < 0 {
		return "", false
	}
	topic := subARN[:i]
	if _, ok := parseTopicARN(topic); !ok || len(subARN)-i-1 != 36 {
		return "", false
	}
	return topic, true
}

func getJSON(tx storage.Tx, table, key string, v any) error {
	b, err := tx.Get(table, []byte(key))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("sns: decoding %s %q: %w", table, key, err)
	}
	return nil
}

// scanJSON calls fn with each record of table in r, decoded as a T, until
// fn returns false; a record that does not decode ends the scan with its
// error.
func scanJSON[T any](tx storage.Tx, table string, r storage.Range, fn func(k []byte, rec *T) bool) error {
	var derr error
	err := tx.Scan(table, r, func(k, v []byte) bool {
		var rec T
		if derr = json.Unmarshal(v, &rec); derr != nil {
			return false
		}
		return fn(k, &rec)
	})
	if err == nil {
		err = derr
	}
	return err
}

func putJSON(tx storage.Tx, table, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(table, []byte(key), b)
}

// loadTopic reads a topic; a missing one is SNS's NotFound.
func loadTopic(tx storage.Tx, arn string) (*topicRecord, error) {
	var t topicRecord
	if err := getJSON(tx, tableTopics, arn, &t); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, errTopicNotFound()
		}
		return nil, err
	}
	return &t, nil
}

func loadSub(tx storage.Tx, arn string) (*subRecord, error) {
	var sr subRecord
	if err := getJSON(tx, tableSubs, arn, &sr); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, errSubNotFound()
		}
		return nil, err
	}
	return &sr, nil
}

// topicSubs lists the subscriptions of a topic in ARN order.
func topicSubs(tx storage.Tx, topic string) ([]*subRecord, error) {
	var out []*subRecord
	err := scanJSON(tx, tableSubs, storage.Range{Prefix: []byte(topic + ":")}, func(_ []byte, sr *subRecord) bool {
		out = append(out, sr)
		return true
	})
	return out, err
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newToken returns a confirmation token: 128 hex digits, as long as the
// tokens SNS sends.
func newToken() string {
	var b [64]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// fanoutCache keeps each topic's record and compiled subscriptions between
// publishes. Every write to a topic or its subscriptions invalidates the
// topic's entry after it commits; a reader stores what it loaded only if
// no invalidation happened since it started (gen), so that a load from
// before a write can never outlive the write.
type fanoutCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]*fanout
}

func (c *fanoutCache) get(topic string) (*fanout, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[topic], c.gen
}

func (c *fanoutCache) put(topic string, f *fanout, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.m[topic] = f
	}
}

func (c *fanoutCache) invalidate(topic string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, topic)
}
