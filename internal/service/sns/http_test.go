package sns

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
)

type hookRequest struct {
	header http.Header
	body   []byte
}

func httpHandlerFunc(h *hookServer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.reqs <- hookRequest{header: r.Header.Clone(), body: body}
		select {
		case code := <-h.status:
			w.WriteHeader(code)
		default:
		}
	})
}

func (h *hookServer) next(t *testing.T) hookRequest {
	t.Helper()
	select {
	case r := <-h.reqs:
		return r
	case <-time.After(waitLimit):
		t.Fatal("the HTTP subscriber got nothing")
	}
	return hookRequest{}
}

// verifySignature checks a message's signature against the certificate
// served at its SigningCertURL, the way subscribers do.
func verifySignature(t *testing.T, f *fixture, msg map[string]string, fields []string) {
	t.Helper()
	u, err := url.Parse(msg["SigningCertURL"])
	if err != nil || u.Scheme+"://"+u.Host != testEndpoint {
		t.Fatalf("SigningCertURL %q", msg["SigningCertURL"])
	}
	rec := httptest.NewRecorder()
	f.svc.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.Path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u.Path, rec.Code, rec.Body)
	}
	block, _ := pem.Decode(rec.Body.Bytes())
	if block == nil {
		t.Fatalf("no PEM at %s", u.Path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var canonical []byte
	for _, k := range fields {
		canonical = append(canonical, k+"\n"+msg[k]+"\n"...)
	}
	sig, err := base64.StdEncoding.DecodeString(msg["Signature"])
	if err != nil {
		t.Fatal(err)
	}
	pub := cert.PublicKey.(*rsa.PublicKey)
	if msg["SignatureVersion"] == "2" {
		sum := sha256.Sum256(canonical)
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	} else {
		sum := sha1.Sum(canonical)
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig)
	}
	if err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}

// A failing HTTP subscriber is retried by the delivery policy; one that
// refuses the message (4xx) is not.
func TestHTTPRetries(t *testing.T) {
	hook := newHookServer(t)
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	policy := `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":2}}`
	sub := f.subscribe(topic, "http", hook.URL, map[string]string{"DeliveryPolicy": policy})
	conf := hook.next(t)
	var c map[string]string
	json.Unmarshal(conf.body, &c)
	if _, err := f.svc.ConfirmSubscription(f.ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &topic, Token: ptr(c["Token"])}); err != nil {
		t.Fatal(err)
	}
	attrs, _ := f.svc.GetSubscriptionAttributes(f.ctx, &snsapi.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	if attrs.Attributes["ConfirmationWasAuthenticated"] != "true" {
		t.Error("a signed ConfirmSubscription did not authenticate the subscription")
	}
	hook.status <- http.StatusInternalServerError
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("m1")})
	first := hook.next(t)
	f.failedOnce(1)
	f.clock.Advance(time.Second)
	f.bus.Kick()
	second := hook.next(t)
	if first.header.Get("X-Amz-Sns-Message-Id") != second.header.Get("X-Amz-Sns-Message-Id") {
		t.Error("the retry is a different message")
	}
	f.drained()

	hook.status <- http.StatusBadRequest
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("m2")})
	hook.next(t)
	f.drained()
	select {
	case r := <-hook.reqs:
		t.Errorf("a refused message was retried: %s", r.body)
	default:
	}
}

func TestRawHTTPDelivery(t *testing.T) {
	hook := newHookServer(t)
	f := newFixture(t)
	topic := f.createTopic("t", nil)
	f.subscribe(topic, "http", hook.URL, map[string]string{"RawMessageDelivery": "true"})
	var c map[string]string
	json.Unmarshal(hook.next(t).body, &c)
	f.svc.ConfirmSubscription(f.ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &topic, Token: ptr(c["Token"])})
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("just this")})
	r := hook.next(t)
	if string(r.body) != "just this" || r.header.Get("X-Amz-Sns-Rawdelivery") != "true" || r.header.Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Errorf("raw delivery %q %v", r.body, r.header)
	}
}
