package gateway

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/sigv4"
)

// account is the account of the request's access key: an IAM key's
// account, a 12-digit key as is, else the default account.
func (g *Gateway) account(a *sigv4.Auth) string {
	if a == nil || a.AccessKey == "" {
		return DefaultAccount
	}
	if g.cfg.AccountForKey != nil {
		if acct, ok := g.cfg.AccountForKey(a.AccessKey); ok {
			return acct
		}
	}
	if request.IsAccountID(a.AccessKey) {
		return a.AccessKey
	}
	return DefaultAccount
}

// region is the credential scope's region (for SigV4a, the first of
// X-Amz-Region-Set), else the configured default.
func (g *Gateway) region(r *http.Request, a *sigv4.Auth) string {
	if a != nil && a.Region != "" {
		return a.Region
	}
	if a != nil && a.Algorithm == sigv4.AlgorithmECDSA {
		set, _, _ := strings.Cut(r.Header.Get("X-Amz-Region-Set"), ",")
		if set = strings.TrimSpace(set); set != "" && !strings.Contains(set, "*") {
			return set
		}
	}
	return g.cfg.Region
}

// endpoint is the scheme and host the client addressed.
func endpoint(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// authenticate checks what must be checked of the signature: the expiry of
// presigned S3 URLs always (S3 users rely on it), and, with SecretKey set,
// the signature itself. A verified streaming payload yields what its chunk
// signatures are checked against.
func (g *Gateway) authenticate(ex *exchange) (*sigv4.Result, error) {
	a, r := ex.auth, ex.r
	fam := familyOf(ex.rt)
	if a != nil && a.Presigned() && fam == famS3 {
		if err := a.CheckTime(g.now()); err != nil {
			return nil, authError(fam, a.Presigned(), err)
		}
	}
	if g.cfg.SecretKey == nil || a == nil {
		return nil, nil
	}
	if ex.authErr != nil {
		return nil, authError(fam, a.Presigned(), ex.authErr)
	}
	if !a.V4() {
		return nil, authError(fam, a.Presigned(), &sigv4.Error{Kind: sigv4.ErrUnsupportedVersion})
	}
	if !a.Presigned() || fam != famS3 {
		if err := a.CheckTime(g.now()); err != nil {
			return nil, authError(fam, a.Presigned(), err)
		}
	}
	secret, ok := g.cfg.SecretKey(r.Context(), a.AccessKey)
	if !ok {
		return nil, unknownKeyError(fam, a.AccessKey)
	}
	res, err := sigv4.Verify(r, a, secret, sigv4.VerifyOptions{MaxBody: g.cfg.MaxJSONBody})
	if err != nil {
		return nil, authError(fam, a.Presigned(), err)
	}
	if r.Body != nil && r.Body != http.NoBody {
		// A body that does not match x-amz-content-sha256 fails at its end;
		// the service then returns that read error, which must be AWS's.
		r.Body = authCheckedBody{r.Body, fam}
	}
	return res, nil
}

type authCheckedBody struct {
	io.ReadCloser
	fam family
}

func (b authCheckedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = authError(b.fam, false, err)
	}
	return n, err
}

// family groups services by how they spell authentication errors.
type family int

const (
	famS3    family = iota // rest-xml S3 style
	famJSON                // json, rest-json, rpc-v2-cbor
	famQuery               // query, ec2 and other XML services
)

func familyOf(rt *route) family {
	if rt.svc.s3Style() {
		return famS3
	}
	switch rt.codec.Name() {
	case protoJSON, protoRESTJSON, protoCBOR:
		return famJSON
	}
	return famQuery
}

var (
	errAccessDenied           = awserr.Def{Code: "AccessDenied", Status: http.StatusForbidden, Sender: true}
	errAuthHeaderMalformed    = awserr.Def{Code: "AuthorizationHeaderMalformed", Status: http.StatusBadRequest, Sender: true}
	errAuthQueryParams        = awserr.Def{Code: "AuthorizationQueryParametersError", Status: http.StatusBadRequest, Sender: true}
	errInvalidRequest         = awserr.Def{Code: "InvalidRequest", Status: http.StatusBadRequest, Sender: true}
	errIncompleteSignature    = awserr.Def{Code: "IncompleteSignature", Status: http.StatusBadRequest, Sender: true}
	errIncompleteSignatureExc = awserr.Def{Code: "IncompleteSignatureException", Status: http.StatusBadRequest, Sender: true}
	errInvalidSignatureExc    = awserr.Def{Code: "InvalidSignatureException", Status: http.StatusBadRequest, Sender: true}
	errTimeTooSkewed          = awserr.Def{Code: "RequestTimeTooSkewed", Status: http.StatusForbidden, Sender: true}
	errInvalidAccessKeyID     = awserr.Def{Code: "InvalidAccessKeyId", Status: http.StatusForbidden, Sender: true}
	errInvalidClientTokenID   = awserr.Def{Code: "InvalidClientTokenId", Status: http.StatusForbidden, Sender: true}
	errUnrecognizedClient     = awserr.Def{Code: "UnrecognizedClientException", Status: http.StatusBadRequest, Sender: true}
	errContentSHA256Mismatch  = awserr.Def{Code: "XAmzContentSHA256Mismatch", Status: http.StatusBadRequest, Sender: true}
)

const mismatchMessage = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// expiredDetail is what S3 adds to an expired presigned URL's error, in
// S3's order.
type expiredDetail struct {
	XAmzExpires *string `aws:"name=X-Amz-Expires"`
	Expires     *string `aws:"name=Expires"`
	ServerTime  *string `aws:"name=ServerTime"`
}

type skewDetail struct {
	RequestTime                *string `aws:"name=RequestTime"`
	ServerTime                 *string `aws:"name=ServerTime"`
	MaxAllowedSkewMilliseconds *string `aws:"name=MaxAllowedSkewMilliseconds"`
}

type mismatchDetail struct {
	AWSAccessKeyID    *string `aws:"name=AWSAccessKeyId"`
	StringToSign      *string `aws:"name=StringToSign"`
	SignatureProvided *string `aws:"name=SignatureProvided"`
	CanonicalRequest  *string `aws:"name=CanonicalRequest"`
}

type contentSHADetail struct {
	ClientComputedContentSHA256 *string `aws:"name=ClientComputedContentSHA256"`
	S3ComputedContentSHA256     *string `aws:"name=S3ComputedContentSHA256"`
}

func strPtr(s string) *string { return &s }

func isoTime(t time.Time) *string { return strPtr(t.UTC().Format(time.RFC3339)) }

// authError spells a sigv4 failure the way the service family does.
func authError(fam family, presigned bool, err error) error {
	var fe *sigv4.FormatError
	if errors.As(err, &fe) {
		switch {
		case fam == famS3 && fe.Presigned:
			return errAuthQueryParams.New(fe.Msg)
		case fam == famS3:
			return errAuthHeaderMalformed.New("The authorization header is malformed; " + fe.Msg)
		case fam == famJSON:
			return errIncompleteSignatureExc.New(fe.Msg)
		}
		return errIncompleteSignature.New(fe.Msg)
	}
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Kind {
	case sigv4.ErrExpired, sigv4.ErrNotYetValid:
		if fam == famS3 {
			d := &expiredDetail{Expires: isoTime(se.ExpiresAt), ServerTime: isoTime(se.ServerTime)}
			if se.ExpiresIn != "" {
				d.XAmzExpires = strPtr(se.ExpiresIn)
			}
			return errAccessDenied.New(se.Msg).WithDetail(d)
		}
		return signatureExpired(fam, se)
	case sigv4.ErrSkewed:
		if fam == famS3 {
			return errTimeTooSkewed.New(se.Msg).WithDetail(&skewDetail{
				RequestTime: strPtr(se.RequestTime.UTC().Format(http.TimeFormat)), ServerTime: isoTime(se.ServerTime),
				MaxAllowedSkewMilliseconds: strPtr(strconv.FormatInt(sigv4.MaxSkew.Milliseconds(), 10))})
		}
		return signatureExpired(fam, se)
	case sigv4.ErrMismatch:
		switch fam {
		case famS3:
			return awserr.SignatureMismatch.New("The request signature we calculated does not match the signature you provided. Check your key and signing method.").
				WithDetail(&mismatchDetail{AWSAccessKeyID: strPtr(se.AccessKey), StringToSign: strPtr(se.StringToSign),
					SignatureProvided: strPtr(se.SignatureProvided), CanonicalRequest: strPtr(se.CanonicalRequest)})
		case famJSON:
			return errInvalidSignatureExc.New(mismatchMessage)
		}
		return awserr.SignatureMismatch.New(mismatchMessage)
	case sigv4.ErrContentSHA256:
		if fam == famS3 {
			if se.SignatureProvided == "" {
				return awserr.InvalidParameter.New(se.Msg)
			}
			return errContentSHA256Mismatch.New(se.Msg).WithDetail(&contentSHADetail{
				ClientComputedContentSHA256: strPtr(se.SignatureProvided), S3ComputedContentSHA256: strPtr(se.StringToSign)})
		}
		return awserr.SignatureMismatch.New(mismatchMessage)
	case sigv4.ErrUnsupportedVersion:
		if fam == famS3 {
			return errInvalidRequest.New("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
		}
		return errIncompleteSignature.New("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	}
	switch {
	case fam == famS3 && presigned:
		return errAuthQueryParams.New(se.Msg)
	case fam == famS3:
		return errAuthHeaderMalformed.New(se.Msg)
	case fam == famJSON:
		return errIncompleteSignatureExc.New(se.Msg)
	}
	return errIncompleteSignature.New(se.Msg)
}

func signatureExpired(fam family, se *sigv4.Error) error {
	msg := "Signature expired: " + se.RequestTime.UTC().Format("20060102T150405Z") + " is now earlier than " +
		se.ServerTime.Add(-sigv4.MaxSkew).UTC().Format("20060102T150405Z") + " (" + se.ServerTime.UTC().Format("20060102T150405Z") + " - 15 min.)"
	if se.Kind == sigv4.ErrExpired || se.Kind == sigv4.ErrNotYetValid {
		msg = se.Msg
	}
	if fam == famJSON {
		return errInvalidSignatureExc.New(msg)
	}
	return awserr.SignatureMismatch.New(msg)
}

func unknownKeyError(fam family, key string) error {
	switch fam {
	case famS3:
		return errInvalidAccessKeyID.New("The AWS Access Key Id you provided does not exist in our records.").
			WithDetail(map[string]string{"AWSAccessKeyId": key})
	case famJSON:
		return errUnrecognizedClient.New("The security token included in the request is invalid.")
	}
	return errInvalidClientTokenID.New("The security token included in the request is invalid.")
}
