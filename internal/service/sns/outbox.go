package sns

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Paths the SNS service serves under the gateway's internal prefix.
const (
	// OutboxPath lists (GET) or clears (DELETE) the captured messages.
	OutboxPath = "/_nimbus/sns/outbox"
	// OptOutPath opts a phone number out of SMS (POST), as if it had
	// replied STOP.
	OptOutPath = "/_nimbus/sns/opt-out"
	// certPathPrefix + id + ".pem" is the SigningCertURL of notifications.
	certPathPrefix = "/_nimbus/sns/SimpleNotificationService-"
)

// outboxMessage is one message to an endpoint Nimbus cannot reach (email,
// SMS, mobile push, Firehose), or a confirmation request to an email
// endpoint, as GET /_nimbus/sns/outbox lists it.
type outboxMessage struct {
	ID                string            `json:"Id"`
	Type              string            `json:"Type"` // Notification or SubscriptionConfirmation
	Protocol          string            `json:"Protocol"`
	Endpoint          string            `json:"Endpoint"`
	TopicArn          string            `json:"TopicArn,omitempty"`
	SubscriptionArn   string            `json:"SubscriptionArn,omitempty"`
	MessageId         string            `json:"MessageId"`
	Subject           string            `json:"Subject,omitempty"`
	Message           string            `json:"Message"`
	MessageAttributes map[string]attrJS `json:"MessageAttributes,omitempty"`
	Timestamp         string            `json:"Timestamp"`
	SubscribeURL      string            `json:"SubscribeURL,omitempty"`
	Token             string            `json:"Token,omitempty"`
	// Mobile push: the endpoint's platform, device token and user data.
	Platform       string `json:"Platform,omitempty"`
	DeviceToken    string `json:"DeviceToken,omitempty"`
	CustomUserData string `json:"CustomUserData,omitempty"`
}

type attrJS struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

func outboxAttributes(attrs []msgAttr) map[string]attrJS {
	if len(attrs) == 0 {
		return nil
	}
	m := make(map[string]attrJS, len(attrs))
	for _, a := range attrs {
		m[a.Name] = attrJS{Type: a.Type, Value: a.envelopeValue()}
	}
	return m
}

var outboxSeq atomic.Uint64

// writeOutbox adds a message to the outbox in tx. Keys order by time.
func (s *Service) writeOutbox(tx storage.Tx, m *outboxMessage) error {
	key := binary.BigEndian.AppendUint64(nil, uint64(max(s.now().UnixNano(), 0)))
	key = binary.BigEndian.AppendUint64(key, outboxSeq.Add(1))
	m.ID = hex.EncodeToString(key)
	return putJSON(tx, tableOutbox, string(key), m)
}

// Handler serves SNS's paths under /_nimbus/sns/: the outbox and the
// signing certificate.
//
//	GET    /_nimbus/sns/outbox[?topicArn=&subscriptionArn=&protocol=&endpoint=]
//	       → {"Messages": [...]} oldest first, filtered by the parameters given
//	DELETE /_nimbus/sns/outbox[?...] → clears the messages the parameters select
//	GET    /_nimbus/sns/SimpleNotificationService-<id>.pem → the certificate
//	POST   /_nimbus/sns/opt-out?phoneNumber=+15550100[&account=&region=]
//	       → the number opts out of the account's SMS (defaults:
//	       000000000000, us-east-1)
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == OutboxPath:
			s.serveOutbox(w, r)
		case r.URL.Path == OptOutPath:
			s.serveOptOut(w, r)
		case strings.HasPrefix(r.URL.Path, certPathPrefix) && strings.HasSuffix(r.URL.Path, ".pem"):
			s.serveCert(w, r)
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "not found: " + r.URL.Path})
		}
	})
}

func (s *Service) serveOutbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	match := func(m *outboxMessage) bool {
		for param, field := range map[string]string{"topicArn": m.TopicArn, "subscriptionArn": m.SubscriptionArn,
			"protocol": m.Protocol, "endpoint": m.Endpoint, "type": m.Type} {
			if v := q.Get(param); v != "" && v != field {
				return false
			}
		}
		return true
	}
	var msgs []*outboxMessage
	var keys [][]byte
	collect := func(tx storage.Tx) error {
		msgs, keys = msgs[:0], keys[:0]
		return scanJSON(tx, tableOutbox, storage.Range{}, func(k []byte, m *outboxMessage) bool {
			if match(m) {
				msgs = append(msgs, m)
				keys = append(keys, append([]byte(nil), k...))
			}
			return true
		})
	}
	var err error
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		err = s.db.View(r.Context(), collect)
	case http.MethodDelete:
		err = s.db.Update(r.Context(), func(tx storage.Tx) error {
			if err := collect(tx); err != nil {
				return err
			}
			for _, k := range keys {
				if err := tx.Delete(tableOutbox, k); err != nil {
					return err
				}
			}
			return nil
		})
	default:
		w.Header().Set("Allow", "GET, HEAD, DELETE")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
		return
	}
	if msgs == nil {
		msgs = []*outboxMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Messages": msgs})
}

func (s *Service) serveCert(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, certPathPrefix), ".pem")
	sg, err := s.loadSigner(r.Context())
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
		return
	}
	if sg.certID != id {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "no such certificate"})
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(sg.certPEM())
}

// loadSigner returns the signing key outside any transaction, creating it
// if needed.
func (s *Service) loadSigner(ctx context.Context) (*signer, error) {
	s.signers.mu.Lock()
	sg := s.signers.s
	s.signers.mu.Unlock()
	if sg != nil {
		return sg, nil
	}
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		var err error
		sg, err = s.signerIn(tx)
		return err
	})
	return sg, err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// publishDirect captures a publish to a phone number or a mobile push
// endpoint in the outbox.
func (s *Service) publishDirect(ctx context.Context, target, phone string, pub *publication) (*snsapi.PublishOutput, error) {
	m := &outboxMessage{Type: "Notification", MessageId: pub.messageID, Subject: pub.subject, Timestamp: pub.timestamp,
		MessageAttributes: outboxAttributes(pub.attrs)}
	var err error
	switch {
	case phone != "":
		if !e164.MatchString(phone) {
			return nil, invalidParameter("PhoneNumber Reason: %s is not valid to publish to", phone)
		}
		m.Protocol, m.Endpoint, m.Message = protoSMS, phone, pub.messageFor(protoSMS)
		// A number that opted out is not texted; the publish succeeds.
		account := accountKey(ctx)
		err = s.db.Update(ctx, func(tx storage.Tx) error { return s.textIn(tx, account, m) })
	default:
		if !appARN.MatchString(target) {
			return nil, invalidParameter("TargetArn Reason: Invalid parameter: TargetArn")
		}
		err = s.db.Update(ctx, func(tx storage.Tx) error { return s.pushToEndpoint(tx, target, pub, m) })
	}
	if err != nil {
		return nil, err
	}
	return &snsapi.PublishOutput{MessageId: &pub.messageID}, nil
}

func (s *Service) serveOptOut(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed"})
		return
	}
	q := r.URL.Query()
	account, region := q.Get("account"), q.Get("region")
	if account == "" {
		account = "000000000000"
	}
	if region == "" {
		region = "us-east-1"
	}
	// "+" in a query string is a space unless escaped; a number has none.
	phone := strings.ReplaceAll(q.Get("phoneNumber"), " ", "+")
	if err := s.optOut(r.Context(), region+":"+account+":", phone); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"phoneNumber": "+" + strings.TrimPrefix(phone, "+"), "optedOut": "true"})
}

// textIn captures an SMS in tx unless its number opted out of the
// account's (region:account:) messages.
func (s *Service) textIn(tx storage.Tx, account string, m *outboxMessage) error {
	if number, ok := e164Number(strings.ReplaceAll(m.Endpoint, "-", "")); ok {
		out, err := optedOut(tx, account, number)
		if err != nil {
			return err
		}
		if out {
			s.log.Debug("sns: not texting a number that opted out", "number", number)
			return nil
		}
	}
	return s.writeOutbox(tx, m)
}
