package sns

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// timestampLayout is how SNS writes times in notifications.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// signer holds the key notifications are signed with and its certificate.
type signer struct {
	key     *rsa.PrivateKey
	certDER []byte
	certID  string // names the certificate in SigningCertURL
}

// signingKeyRecord is how the key is kept in tableMeta.
type signingKeyRecord struct {
	Key  []byte `json:"key"`  // PKCS #8
	Cert []byte `json:"cert"` // DER
}

var signingKeyName = []byte("signing-key")

// signerCache holds the signer once it was read back from the store.
type signerCache struct {
	mu sync.Mutex
	s  *signer
}

// signerIn returns the signing key, creating it in tx (a read-write
// transaction) on first use. A key created in tx is used by tx's caller
// but remembered only once it is read from a committed store, so that a
// rolled-back transaction never leaves a key in memory that the store does
// not have.
func (s *Service) signerIn(tx storage.Tx) (*signer, error) {
	s.signers.mu.Lock()
	defer s.signers.mu.Unlock()
	if s.signers.s != nil {
		return s.signers.s, nil
	}
	b, err := tx.Get(tableMeta, signingKeyName)
	if err == nil {
		sg, err := decodeSigner(b)
		if err != nil {
			return nil, err
		}
		s.signers.s = sg
		return sg, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if !tx.Writable() {
		return nil, storage.ErrNotFound
	}
	sg, rec, err := newSigner(s.now())
	if err != nil {
		return nil, err
	}
	v, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	return sg, tx.Put(tableMeta, signingKeyName, v)
}

func decodeSigner(b []byte) (*signer, error) {
	var rec signingKeyRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(rec.Key)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("sns: the signing key is not RSA")
	}
	key.Precompute()
	return &signer{key: key, certDER: rec.Cert, certID: certID(rec.Cert)}, nil
}

func certID(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:16])
}

// newSigner generates a 2048-bit RSA key, as SNS uses, and a self-signed
// certificate for it.
func newSigner(now time.Time) (*signer, *signingKeyRecord, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com", Organization: []string{"Nimbus"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(20, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return &signer{key: key, certDER: der, certID: certID(der)}, &signingKeyRecord{Key: pkcs8, Cert: der}, nil
}

// certPEM is the certificate as SigningCertURL serves it.
func (sg *signer) certPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: sg.certDER})
}

func (sg *signer) certURL(endpoint string) string {
	return endpoint + certPathPrefix + sg.certID + ".pem"
}

// sign signs the canonical string of a message: SignatureVersion 1 is
// SHA1withRSA, 2 is SHA256withRSA.
func (sg *signer) sign(version string, canonical []byte) (string, error) {
	var sig []byte
	var err error
	if version == "2" {
		sum := sha256.Sum256(canonical)
		sig, err = rsa.SignPKCS1v15(nil, sg.key, crypto.SHA256, sum[:])
	} else {
		sum := sha1.Sum(canonical)
		sig, err = rsa.SignPKCS1v15(nil, sg.key, crypto.SHA1, sum[:])
	}
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// canonicalString is what SNS signs: the named fields, each as its name
// and its value on two lines, in this order, the optional ones only when
// present.
func canonicalString(fields ...[2]string) []byte {
	var b bytes.Buffer
	for _, f := range fields {
		b.WriteString(f[0])
		b.WriteByte('\n')
		b.WriteString(f[1])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// envelope writes the JSON documents SNS delivers, in SNS's layout: one
// field a line, "Name" : value.
type envelope struct {
	b     bytes.Buffer
	first bool
}

func newEnvelope() *envelope {
	e := &envelope{first: true}
	e.b.WriteString("{\n")
	return e
}

func (e *envelope) field(name, value string) {
	e.sep()
	e.b.WriteString("  ")
	writeJSONString(&e.b, name)
	e.b.WriteString(" : ")
	writeJSONString(&e.b, value)
}

func (e *envelope) sep() {
	if !e.first {
		e.b.WriteString(",\n")
	}
	e.first = false
}

// attributes writes MessageAttributes: {"Type":..,"Value":..} per
// attribute, by name.
func (e *envelope) attributes(attrs []msgAttr) {
	if len(attrs) == 0 {
		return
	}
	e.sep()
	e.b.WriteString("  \"MessageAttributes\" : {\n")
	for i, a := range attrs {
		if i > 0 {
			e.b.WriteString(",\n")
		}
		e.b.WriteString("    ")
		writeJSONString(&e.b, a.Name)
		e.b.WriteString(` : {"Type":`)
		writeJSONString(&e.b, a.Type)
		e.b.WriteString(`,"Value":`)
		writeJSONString(&e.b, a.envelopeValue())
		e.b.WriteString("}")
	}
	e.b.WriteString("\n  }")
}

func (e *envelope) bytes() []byte {
	e.b.WriteString("\n}")
	return e.b.Bytes()
}

// writeJSONString writes s as a JSON string without the HTML escaping of
// encoding/json (SNS writes <, > and & as they are).
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // the encoder's newline
}

// notificationFields are the parts of a Notification that every
// subscription of a publish shares; only UnsubscribeURL differs.
type notificationFields struct {
	MessageID, Sequence, TopicARN, Subject, Message, Timestamp string
	SignatureVersion, Signature, CertURL                       string
	Attrs                                                      []msgAttr
}

// notificationJSON is the Notification document of an SQS (not raw),
// HTTP/S or email-json delivery.
func notificationJSON(n *notificationFields, unsubscribeURL string) []byte {
	e := newEnvelope()
	e.field("Type", "Notification")
	e.field("MessageId", n.MessageID)
	if n.Sequence != "" {
		e.field("SequenceNumber", n.Sequence)
	}
	e.field("TopicArn", n.TopicARN)
	if n.Subject != "" {
		e.field("Subject", n.Subject)
	}
	e.field("Message", n.Message)
	e.field("Timestamp", n.Timestamp)
	e.field("SignatureVersion", n.SignatureVersion)
	e.field("Signature", n.Signature)
	e.field("SigningCertURL", n.CertURL)
	e.field("UnsubscribeURL", unsubscribeURL)
	e.attributes(n.Attrs)
	return e.bytes()
}

// signNotification fills in the signature fields of n.
func (sg *signer) signNotification(n *notificationFields, version, endpoint string) error {
	fields := [][2]string{{"Message", n.Message}, {"MessageId", n.MessageID}}
	if n.Subject != "" {
		fields = append(fields, [2]string{"Subject", n.Subject})
	}
	fields = append(fields, [2]string{"Timestamp", n.Timestamp}, [2]string{"TopicArn", n.TopicARN}, [2]string{"Type", "Notification"})
	sig, err := sg.sign(version, canonicalString(fields...))
	if err != nil {
		return err
	}
	n.SignatureVersion, n.Signature, n.CertURL = version, sig, sg.certURL(endpoint)
	return nil
}

// confirmationJSON is the SubscriptionConfirmation (or
// UnsubscribeConfirmation) document posted to HTTP/S endpoints and sent
// to email-json ones, signed.
func (sg *signer) confirmationJSON(kind, messageID, token, topic, message, subscribeURL, timestamp, version, endpoint string) ([]byte, error) {
	sig, err := sg.sign(version, canonicalString(
		[2]string{"Message", message}, [2]string{"MessageId", messageID}, [2]string{"SubscribeURL", subscribeURL},
		[2]string{"Timestamp", timestamp}, [2]string{"Token", token}, [2]string{"TopicArn", topic}, [2]string{"Type", kind}))
	if err != nil {
		return nil, err
	}
	e := newEnvelope()
	e.field("Type", kind)
	e.field("MessageId", messageID)
	e.field("Token", token)
	e.field("TopicArn", topic)
	e.field("Message", message)
	e.field("SubscribeURL", subscribeURL)
	e.field("Timestamp", timestamp)
	e.field("SignatureVersion", version)
	e.field("Signature", sig)
	e.field("SigningCertURL", sg.certURL(endpoint))
	return e.bytes(), nil
}

// subscribeURL confirms a subscription through a plain GET of the Nimbus
// endpoint (the query protocol routes it to ConfirmSubscription). ARNs go
// in unescaped, as SNS writes them: their characters (letters, digits,
// ':', '-', '_', '.') are all valid in a query, and a subscriber that
// compares or parses the URL sees what AWS would send.
func subscribeURL(endpoint, topic, token string) string {
	return endpoint + "/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=" + token
}

func unsubscribeURL(endpoint, subARN string) string {
	return endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + subARN
}

// lambdaEvent is the event a Lambda subscription's function receives.
func lambdaEvent(n *notificationFields, subARN, unsubURL string) []byte {
	type attr struct {
		Type  string `json:"Type"`
		Value string `json:"Value"`
	}
	attrs := map[string]attr{}
	for _, a := range n.Attrs {
		attrs[a.Name] = attr{Type: a.Type, Value: a.envelopeValue()}
	}
	var subject any
	if n.Subject != "" {
		subject = n.Subject
	}
	ev := map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": subARN,
		"Sns": map[string]any{
			"Type": "Notification", "MessageId": n.MessageID, "TopicArn": n.TopicARN, "Subject": subject,
			"Message": n.Message, "Timestamp": n.Timestamp, "SignatureVersion": n.SignatureVersion,
			"Signature": n.Signature, "SigningCertUrl": n.CertURL, "UnsubscribeUrl": unsubURL,
			"MessageAttributes": attrs,
		},
	}}}
	b, _ := json.Marshal(ev)
	return b
}

// emailText is the body of an "email" delivery: the message and SNS's
// footer.
func emailText(message, unsubURL string) string {
	return message + "\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n" +
		unsubURL + "\n\nPlease do not reply directly to this email. If you have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support"
}

// sortedAttrs orders message attributes by name, as SNS writes them.
func sortedAttrs(attrs []msgAttr) []msgAttr {
	slices.SortFunc(attrs, func(a, b msgAttr) int { return strings.Compare(a.Name, b.Name) })
	return attrs
}
