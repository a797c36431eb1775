package sigv4

import (
	"strconv"
	"time"
)

const (
	// MaxPresignExpiry is the longest X-Amz-Expires AWS accepts: a week.
	MaxPresignExpiry = 7 * 24 * time.Hour
	// MaxSkew is how far a request's date may be from the server's clock.
	MaxSkew = 15 * time.Minute
)

// CheckTime checks the validity period of the signature at time now: the
// expiry of a presigned URL (X-Amz-Date + X-Amz-Expires, or the V2 Expires
// timestamp), and the clock skew of a header-signed request. It returns nil
// or an *Error of kind ErrExpired, ErrNotYetValid, ErrSkewed or ErrMalformed.
func (a *Auth) CheckTime(now time.Time) error {
	now = now.UTC()
	switch a.Kind {
	case PresignedV2:
		secs, err := strconv.ParseInt(a.Expires, 10, 64)
		if err != nil {
			return &Error{Kind: ErrMalformed, AccessKey: a.AccessKey, Msg: "Invalid date (should be seconds since epoch): " + a.Expires}
		}
		if exp := time.Unix(secs, 0).UTC(); now.After(exp) {
			return &Error{Kind: ErrExpired, AccessKey: a.AccessKey, Msg: "Request has expired", ExpiresAt: exp, ServerTime: now}
		}
		return nil
	case PresignedV4:
		secs, err := strconv.ParseInt(a.Expires, 10, 64)
		switch {
		case err != nil:
			return &Error{Kind: ErrMalformed, AccessKey: a.AccessKey, Msg: "X-Amz-Expires should be a number"}
		case secs < 0:
			return &Error{Kind: ErrMalformed, AccessKey: a.AccessKey, Msg: "X-Amz-Expires must be non-negative"}
		case time.Duration(secs)*time.Second > MaxPresignExpiry:
			return &Error{Kind: ErrMalformed, AccessKey: a.AccessKey, Msg: "X-Amz-Expires must be less than a week (in seconds) that is 604800"}
		}
		t, err := a.RequestTime()
		if err != nil {
			return &Error{Kind: ErrMalformed, AccessKey: a.AccessKey, Msg: err.Error()}
		}
		exp := t.Add(time.Duration(secs) * time.Second)
		if now.After(exp) {
			return &Error{Kind: ErrExpired, AccessKey: a.AccessKey, Msg: "Request has expired",
				RequestTime: t, ExpiresAt: exp, ServerTime: now, ExpiresIn: a.Expires}
		}
		if t.After(now.Add(MaxSkew)) {
			return &Error{Kind: ErrNotYetValid, AccessKey: a.AccessKey, Msg: "Request is not yet valid",
				RequestTime: t, ExpiresAt: exp, ServerTime: now, ExpiresIn: a.Expires}
		}
		return nil
	case HeaderV4, HeaderV2:
		t, err := a.RequestTime()
		if err != nil {
			return &Error{Kind: ErrMalformed, AccessKey: a.AccessKey, Msg: err.Error()}
		}
		if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
			return &Error{Kind: ErrSkewed, AccessKey: a.AccessKey, Msg: "The difference between the request time and the current time is too large.",
				RequestTime: t, ServerTime: now}
		}
	}
	return nil
}
