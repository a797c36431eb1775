package s3

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// maxRoutingRules is the most routing rules a website configuration holds.
const maxRoutingRules = 50

func validateWebsite(c *s3api.WebsiteConfiguration) error {
	if c == nil {
		return malformedXML()
	}
	if r := c.RedirectAllRequestsTo; r != nil {
		if deref(r.HostName) == "" {
			return malformedXML()
		}
		if c.IndexDocument != nil || c.ErrorDocument != nil || len(c.RoutingRules) > 0 {
			return errInvalidRequest.New("RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.")
		}
		return checkRedirectProtocol(r.Protocol)
	}
	if c.IndexDocument == nil {
		return invalidArgument("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty", "IndexDocument", "null")
	}
	if suffix := deref(c.IndexDocument.Suffix); suffix == "" || strings.Contains(suffix, "/") {
		return invalidArgument("The IndexDocument Suffix is not well formed", "IndexDocument", suffix)
	}
	if c.ErrorDocument != nil && deref(c.ErrorDocument.Key) == "" {
		return malformedXML()
	}
	if len(c.RoutingRules) > maxRoutingRules {
		return errInvalidRequest.New("The number of routing rules must not exceed 50.")
	}
	for _, rule := range c.RoutingRules {
		if err := validateRoutingRule(rule); err != nil {
			return err
		}
	}
	return nil
}

func validateRoutingRule(rule s3api.RoutingRule) error {
	if cond := rule.Condition; cond != nil {
		if cond.KeyPrefixEquals == nil && cond.HttpErrorCodeReturnedEquals == nil {
			return errInvalidRequest.New("Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.")
		}
		if c := cond.HttpErrorCodeReturnedEquals; c != nil {
			if n, err := strconv.Atoi(*c); err != nil || n < 400 || n > 599 {
				return errInvalidRequest.Newf("The provided HTTP error code (%s) is not valid. Valid codes are 4XX or 5XX.", *c)
			}
		}
	}
	r := rule.Redirect
	if r == nil {
		return malformedXML()
	}
	if r.HostName == nil && r.HttpRedirectCode == nil && r.Protocol == nil && r.ReplaceKeyPrefixWith == nil && r.ReplaceKeyWith == nil {
		return errInvalidRequest.New("Redirect must contain at least one of the following: HostName, Protocol, ReplaceKeyPrefixWith, ReplaceKeyWith or HttpRedirectCode.")
	}
	if r.ReplaceKeyPrefixWith != nil && r.ReplaceKeyWith != nil {
		return errInvalidRequest.New("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
	}
	if c := r.HttpRedirectCode; c != nil {
		if n, err := strconv.Atoi(*c); err != nil || n < 301 || n > 399 {
			return errInvalidRequest.Newf("The provided HTTP redirect code (%s) is not valid. Valid codes are 3XX except 300.", *c)
		}
	}
	return checkRedirectProtocol(r.Protocol)
}

func checkRedirectProtocol(p *string) error {
	if p != nil && *p != "http" && *p != "https" {
		return errInvalidRequest.New("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.")
	}
	return nil
}

func (s *Service) PutBucketWebsite(ctx context.Context, in *s3api.PutBucketWebsiteInput) (*s3api.PutBucketWebsiteOutput, error) {
	if err := validateWebsite(in.WebsiteConfiguration); err != nil {
		return nil, err
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Website = in.WebsiteConfiguration
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketWebsiteOutput{}, nil
}

func (s *Service) GetBucketWebsite(ctx context.Context, in *s3api.GetBucketWebsiteInput) (*s3api.GetBucketWebsiteOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	w := b.Website
	if w == nil {
		return nil, errNoSuchWebsiteConfiguration.New("The specified bucket does not have a website configuration").WithDetail(map[string]string{"BucketName": b.Name})
	}
	return &s3api.GetBucketWebsiteOutput{
		ErrorDocument: w.ErrorDocument, IndexDocument: w.IndexDocument,
		RedirectAllRequestsTo: w.RedirectAllRequestsTo, RoutingRules: w.RoutingRules,
	}, nil
}

func (s *Service) DeleteBucketWebsite(ctx context.Context, in *s3api.DeleteBucketWebsiteInput) (*s3api.DeleteBucketWebsiteOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.Website = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketWebsiteOutput{}, nil
}

// websiteRoute applies a website configuration's redirects to a request
// for key (without the leading slash) made with scheme and host. errorCode
// is 0 before the object was looked up, or the HTTP error status the
// lookup produced (404, 403, ...), so that HttpErrorCodeReturnedEquals
// conditions can match on the second call. It returns the Location of the
// redirect and its status, or ok false when no redirect applies.
func websiteRoute(c *s3api.WebsiteConfiguration, scheme, host, key string, errorCode int) (location string, status int, ok bool) {
	if c == nil {
		return "", 0, false
	}
	if r := c.RedirectAllRequestsTo; r != nil {
		if p := deref(r.Protocol); p != "" {
			scheme = p
		}
		return scheme + "://" + deref(r.HostName) + "/" + key, http.StatusMovedPermanently, true
	}
	for _, rule := range c.RoutingRules {
		prefix := ""
		if cond := rule.Condition; cond != nil {
			prefix = deref(cond.KeyPrefixEquals)
			if !strings.HasPrefix(key, prefix) {
				continue
			}
			if want := cond.HttpErrorCodeReturnedEquals; want != nil && *want != strconv.Itoa(errorCode) {
				continue
			}
		}
		r := rule.Redirect
		if r == nil {
			continue
		}
		if p := deref(r.Protocol); p != "" {
			scheme = p
		}
		if h := deref(r.HostName); h != "" {
			host = h
		}
		switch {
		case r.ReplaceKeyWith != nil:
			key = *r.ReplaceKeyWith
		case r.ReplaceKeyPrefixWith != nil:
			key = *r.ReplaceKeyPrefixWith + strings.TrimPrefix(key, prefix)
		}
		status = http.StatusMovedPermanently
		if c := deref(r.HttpRedirectCode); c != "" {
			status, _ = strconv.Atoi(c)
		}
		return scheme + "://" + host + "/" + key, status, true
	}
	return "", 0, false
}
