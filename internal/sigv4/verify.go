package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EmptySHA256 is the hex SHA-256 of no bytes.
const EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// ErrorKind classifies a failed verification.
type ErrorKind int

const (
	ErrMalformed          ErrorKind = iota // the signature parameters cannot be used
	ErrMismatch                            // the signature is wrong
	ErrExpired                             // a presigned URL past its expiry
	ErrNotYetValid                         // a presigned URL dated in the future
	ErrSkewed                              // a header-signed request too far from now
	ErrContentSHA256                       // the body does not hash to x-amz-content-sha256
	ErrUnsupportedVersion                  // a signature this package cannot verify (V2, V4a)
)

// Error is a failed verification, with what S3 puts in its error body.
type Error struct {
	Kind ErrorKind
	Msg  string

	AccessKey         string
	SignatureProvided string
	StringToSign      string
	CanonicalRequest  string

	RequestTime time.Time
	ServerTime  time.Time
	ExpiresAt   time.Time
	// ExpiresIn is X-Amz-Expires as sent (presigned V4).
	ExpiresIn string
}

func (e *Error) Error() string { return "sigv4: " + e.Msg }

// Result is what a successful verification yields for reading the body:
// streaming (aws-chunked) payloads are signed chunk by chunk, starting from
// Signature, with SigningKey, AmzDate and Scope.
type Result struct {
	SigningKey  []byte
	Signature   string // the seed signature of a streaming payload
	AmzDate     string // yyyymmddThhmmssZ
	Scope       string
	PayloadHash string
}

// VerifyOptions tunes Verify.
type VerifyOptions struct {
	// MaxBody bounds how much of the body Verify reads to hash it when the
	// request does not state its payload hash (non-S3 services without
	// x-amz-content-sha256). Zero means 16 MiB.
	MaxBody int64
}

// Verify checks the Signature Version 4 signature of r (header or
// presigned), as parsed into a, against secret. r must be as the client sent
// it (before any rewriting of path or body). When the payload hash is a hex
// digest, r.Body is wrapped so that reading to EOF fails with an *Error of
// kind ErrContentSHA256 if the body does not match; when no payload hash is
// stated, the body is read (up to MaxBody) and put back.
//
// Verify does not check time; see CheckTime.
func Verify(r *http.Request, a *Auth, secret string, opts VerifyOptions) (*Result, error) {
	if a == nil || !a.V4() {
		return nil, &Error{Kind: ErrUnsupportedVersion, Msg: "only Signature Version 4 can be verified"}
	}
	if a.Algorithm != AlgorithmHMAC {
		return nil, &Error{Kind: ErrUnsupportedVersion, Msg: "unsupported algorithm " + a.Algorithm, AccessKey: a.AccessKey}
	}
	amzDate, err := canonicalTime(a.AmzDate)
	if err != nil {
		return nil, &Error{Kind: ErrMalformed, Msg: err.Error(), AccessKey: a.AccessKey}
	}
	if !strings.HasPrefix(amzDate, a.Date) {
		return nil, &Error{Kind: ErrMalformed, AccessKey: a.AccessKey,
			Msg: fmt.Sprintf("Invalid credential date %q. This date is not the same as X-Amz-Date: %q.", a.Date, amzDate[:8])}
	}
	if !contains(a.SignedHeaders, "host") {
		return nil, &Error{Kind: ErrMalformed, AccessKey: a.AccessKey, Msg: "Signed headers must include the host header"}
	}
	payloadHash, err := payloadHash(r, a, opts)
	if err != nil {
		return nil, err
	}
	key := SigningKey(secret, a.Date, a.Region, a.Service)
	scope := a.Scope()
	var last *Error
	for _, uri := range canonicalURIs(r, a.Service) {
		creq := CanonicalRequest(r, a, uri, payloadHash)
		sts := StringToSign(amzDate, scope, creq)
		sig := hex.EncodeToString(hmacSHA256(key, []byte(sts)))
		if hmac.Equal([]byte(sig), []byte(strings.ToLower(a.Signature))) {
			return &Result{SigningKey: key, Signature: sig, AmzDate: amzDate, Scope: scope, PayloadHash: payloadHash}, nil
		}
		if last == nil {
			last = &Error{Kind: ErrMismatch, AccessKey: a.AccessKey, SignatureProvided: a.Signature, StringToSign: sts, CanonicalRequest: creq,
				Msg: "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
		}
	}
	return nil, last
}

// SigningKey derives the Signature Version 4 signing key.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte(terminator))
}

// StringToSign builds the Signature Version 4 string to sign.
func StringToSign(amzDate, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return AlgorithmHMAC + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// CanonicalRequest builds the canonical request of r for the signed headers
// of a, with the given canonical URI and payload hash.
func CanonicalRequest(r *http.Request, a *Auth, canonicalURI, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(rawQuery(r), a.Kind == PresignedV4))
	b.WriteByte('\n')
	for _, h := range a.SignedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(a.SignedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalTime returns X-Amz-Date in the basic ISO 8601 form, accepting an
// HTTP date (the Date header) too.
func canonicalTime(s string) (string, error) {
	if _, err := time.Parse(timeFormat, s); err == nil {
		return s, nil
	}
	if t, err := http.ParseTime(s); err == nil {
		return t.UTC().Format(timeFormat), nil
	}
	if s == "" {
		return "", errors.New("missing X-Amz-Date")
	}
	return "", fmt.Errorf("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
}

// RequestTime parses the request's date (X-Amz-Date or Date).
func (a *Auth) RequestTime() (time.Time, error) {
	s, err := canonicalTime(a.AmzDate)
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(timeFormat, s)
}

func payloadHash(r *http.Request, a *Auth, opts VerifyOptions) (string, error) {
	stated := r.Header.Get("X-Amz-Content-Sha256")
	if a.Kind == PresignedV4 {
		if q := r.URL.Query().Get("X-Amz-Content-Sha256"); q != "" {
			stated = q
		}
		if stated == "" && a.Service == "s3" {
			return UnsignedPayload, nil
		}
	}
	switch {
	case stated == UnsignedPayload || strings.HasPrefix(stated, "STREAMING-"):
		return stated, nil
	case stated != "":
		if len(stated) != 64 || !isHex(stated) {
			return "", &Error{Kind: ErrContentSHA256, AccessKey: a.AccessKey, Msg: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."}
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &hashCheckingBody{rc: r.Body, h: sha256.New(), want: strings.ToLower(stated)}
		} else if stated != EmptySHA256 {
			return "", contentMismatch(stated, EmptySHA256)
		}
		return strings.ToLower(stated), nil
	}
	// No stated hash: the signature covers the body itself.
	if r.Body == nil || r.Body == http.NoBody {
		return EmptySHA256, nil
	}
	limit := opts.MaxBody
	if limit <= 0 {
		limit = 16 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body.Close()
	if err != nil {
		return "", err
	}
	if int64(len(body)) > limit {
		return "", &Error{Kind: ErrMalformed, AccessKey: a.AccessKey, Msg: "request body too large to verify"}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

func contentMismatch(stated, computed string) *Error {
	return &Error{Kind: ErrContentSHA256, Msg: "The provided 'x-amz-content-sha256' header does not match what was computed.",
		SignatureProvided: stated, StringToSign: computed}
}

// hashCheckingBody fails the read that reaches EOF when the body does not
// hash to the stated SHA-256, so a consumer never commits a corrupt body.
type hashCheckingBody struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string
	err  error
}

func (b *hashCheckingBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	b.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(b.h.Sum(nil)); got != b.want {
			b.err = contentMismatch(b.want, got)
			return n, b.err
		}
	}
	return n, err
}

func (b *hashCheckingBody) Close() error { return b.rc.Close() }

// rawPath is the path as the client sent it, before any decoding.
func rawPath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u != "*" {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		if !strings.HasPrefix(u, "/") { // absolute form: scheme://host/path
			if parsed, err := url.Parse(u); err == nil {
				u = parsed.EscapedPath()
			}
		}
		if u != "" {
			return u
		}
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

func rawQuery(r *http.Request) string {
	if u := r.RequestURI; u != "" {
		if _, q, ok := strings.Cut(u, "?"); ok {
			return q
		}
		return ""
	}
	return r.URL.RawQuery
}

// canonicalURIs lists the canonical URIs a correct client may have signed.
// S3 signs the path exactly as sent. Other services encode it once more;
// some clients also normalise it first (dropping "." and ".." segments and
// empty ones), so both forms are tried.
func canonicalURIs(r *http.Request, service string) []string {
	p := rawPath(r)
	if service == "s3" {
		return []string{p}
	}
	uris := []string{uriEncode(p, false)}
	if n := normalizePath(p); n != p {
		uris = append(uris, uriEncode(n, false))
	}
	return uris
}

func normalizePath(p string) string {
	n := path.Clean(p)
	if n != "/" && strings.HasSuffix(p, "/") {
		n += "/"
	}
	return n
}

// canonicalQuery sorts the decoded query parameters by encoded name, then
// value, leaving out X-Amz-Signature for presigned requests.
func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, kv{uriEncode(k, true), uriEncode(v, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// headerValue is the canonical value of signed header h: values trimmed,
// inner runs of spaces collapsed, several values joined by commas.
func headerValue(r *http.Request, h string) string {
	var values []string
	switch h {
	case "host":
		values = []string{r.Host}
	case "content-length":
		values = r.Header.Values("Content-Length")
		if len(values) == 0 && r.ContentLength >= 0 {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		values = r.TransferEncoding
	default:
		values = r.Header.Values(h)
	}
	canon := make([]string, len(values))
	for i, v := range values {
		canon[i] = collapseSpaces(v)
	}
	return strings.Join(canon, ",")
}

func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	space := false
	for _, c := range s {
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(c)
	}
	return b.String()
}

// uriEncode percent-encodes every byte except the unreserved characters
// (and '/' unless encodeSlash), as Signature Version 4 requires.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' && !encodeSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
