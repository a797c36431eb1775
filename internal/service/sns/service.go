// Package sns implements Amazon SNS on the state engine: topics (standard
// and FIFO), subscriptions with filter policies, and Publish fanned out
// through the durable delivery bus (internal/events).
//
// A publish commits, in one transaction, the FIFO bookkeeping and one
// events.Delivery per matching subscription: it is durable when Publish
// returns, and its fan-out resumes after a restart. SQS subscriptions are
// delivered by the "sqs" sink inside the dispatcher's transaction (exactly
// once); HTTP/HTTPS endpoints by this package's external sink, with the
// subscription's delivery policy; email, email-json, SMS, mobile push
// (application) and Firehose endpoints are captured in an outbox that
// GET /_nimbus/sns/outbox shows (see Handler). Lambda subscriptions are
// delivered as "lambda" deliveries when a sink of that kind is registered
// on the Bus (the Lambda service registers it); until then they are
// skipped.
//
// Mobile push (platform.go): platform applications and their endpoints
// are kept in the store; a push to an endpoint, directly or through an
// "application" subscription, is captured in the outbox with the message
// its platform would get, and the application's Event* topics hear of
// endpoints created, updated, deleted and failed. SMS (sms.go): account
// attributes, the opt-out list (numbers opt out through
// POST /_nimbus/sns/opt-out) and the SMS sandbox, whose one-time
// passwords go to the outbox. HTTP/S retries follow the subscription's
// effective delivery policy (deliverypolicy.go).
//
// Message data protection (dataprotection.go): a topic's data protection
// policy (PutDataProtectionPolicy, or the DataProtectionPolicy of
// CreateTopic and the topic attributes) is validated like SNS does and
// enforced: Inbound Deny refuses a publish (AuthorizationError), Inbound
// Deidentify masks or redacts before the fan-out, Inbound Audit logs its
// findings, Outbound Deny skips a subscription. Limitations: every
// managed data identifier SNS documents is accepted, but Nimbus detects
// only a subset with its own patterns (dataidentifiers.go: e-mail
// addresses, credit card numbers with their Luhn check, security codes
// and expiry dates, AWS secret keys, IP addresses, phone numbers, US SSNs
// and ZIP codes, GPS coordinates, private keys, VINs); the others (Name,
// Address, licences, passports, national, tax and health numbers, bank
// accounts...) never match. A principal stands for its account (Nimbus
// knows callers by account only). Audit destinations are not written to.
//
// Notifications are signed (SignatureVersion 1: SHA1withRSA; 2:
// SHA256withRSA) with a key generated on first start and kept in the store;
// its certificate is served at the SigningCertURL of every notification.
package sns

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Deps are what the SNS service needs from the rest of Nimbus.
type Deps struct {
	Store storage.Backend
	// Bus carries the fan-out. SNS registers its sinks on it (New):
	// "http", "https" and "sns" (S3 and other producers publishing to a
	// topic).
	Bus *events.Bus
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// HTTPClient posts to HTTP/HTTPS subscribers; nil means a client with
	// SNS's 15-second timeout.
	HTTPClient *http.Client
}

// Service implements the SNS API.
type Service struct {
	snsapi.Unimplemented

	db   storage.Backend
	bus  *events.Bus
	now  func() time.Time
	log  *slog.Logger
	http *http.Client

	signers  signerCache
	cache    fanoutCache
	throttle throttle
}

var _ snsapi.API = (*Service)(nil)

// httpTimeout bounds one HTTP/HTTPS delivery, as SNS does.
const httpTimeout = 15 * time.Second

// New returns the SNS service and registers its sinks on d.Bus.
func New(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	client := d.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: httpTimeout}
	}
	s := &Service{db: d.Store, bus: d.Bus, now: now, log: log, http: client}
	s.cache.m = map[string]*fanout{}
	if d.Bus != nil {
		hs := &httpSink{s: s}
		d.Bus.Register(kindHTTP, hs)
		d.Bus.Register(kindHTTPS, hs)
		d.Bus.Register(events.KindSNS, &topicSink{s: s})
	}
	return s
}

// Run does the service's background work until ctx ends: it prepares the
// signing key and forgets FIFO deduplication ids older than the
// deduplication window.
func (s *Service) Run(ctx context.Context, sweepEvery time.Duration) {
	// Make the signing key now rather than in the first publish that
	// needs it (generating it takes a moment).
	if _, err := s.loadSigner(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("sns: preparing the signing key", "err", err)
	}
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		if err := s.sweepDedup(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sns: sweeping deduplication ids", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
