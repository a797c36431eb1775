package s3

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// maxCORSRules is the most rules a CORS configuration may hold.
const maxCORSRules = 100

var corsMethods = map[string]bool{"GET": true, "PUT": true, "HEAD": true, "POST": true, "DELETE": true}

func validateCORS(c *s3api.CORSConfiguration) error {
	if c == nil || len(c.CORSRules) == 0 || len(c.CORSRules) > maxCORSRules {
		return malformedXML()
	}
	for _, r := range c.CORSRules {
		if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 {
			return malformedXML()
		}
		if len(deref(r.ID)) > 255 {
			return invalidArgument("ID length should not exceed allowed limit of 255", "ID", deref(r.ID))
		}
		for _, m := range r.AllowedMethods {
			if !corsMethods[m] {
				return errInvalidRequest.New("Found unsupported HTTP method in CORS config. Unsupported method is " + m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return errInvalidRequest.Newf("AllowedOrigin %q can not have more than one wildcard.", o)
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return errInvalidRequest.Newf("AllowedHeader %q can not have more than one wildcard.", h)
			}
		}
	}
	return nil
}

func (s *Service) PutBucketCors(ctx context.Context, in *s3api.PutBucketCorsInput) (*s3api.PutBucketCorsOutput, error) {
	if err := validateCORS(in.CORSConfiguration); err != nil {
		return nil, err
	}
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.CORS = in.CORSConfiguration
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketCorsOutput{}, nil
}

func (s *Service) GetBucketCors(ctx context.Context, in *s3api.GetBucketCorsInput) (*s3api.GetBucketCorsOutput, error) {
	b, err := s.viewOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner)
	if err != nil {
		return nil, err
	}
	if b.CORS == nil {
		return nil, errNoSuchCORSConfiguration.New("The CORS configuration does not exist").WithDetail(map[string]string{"BucketName": b.Name})
	}
	return &s3api.GetBucketCorsOutput{CORSRules: b.CORS.CORSRules}, nil
}

func (s *Service) DeleteBucketCors(ctx context.Context, in *s3api.DeleteBucketCorsInput) (*s3api.DeleteBucketCorsOutput, error) {
	err := s.updateOwnedBucket(ctx, deref(in.Bucket), in.ExpectedBucketOwner, func(b *bucketRecord) error {
		b.CORS = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketCorsOutput{}, nil
}

// corsVary is the Vary header S3 sends with every CORS answer: the answer
// depends on these request headers, so caches must key on them.
const corsVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// CORS returns the Access-Control-* headers S3 sends for r, a preflight
// (OPTIONS) or actual request on bucket, and whether a CORS rule of the
// bucket allows it. The gateway adds the headers to the response; a
// preflight that is not allowed is answered with CORSPreflight's error.
func (s *Service) CORS(r *http.Request, bucket string) (http.Header, bool) {
	b, err := s.viewBucket(r.Context(), bucket)
	if err != nil || b.CORS == nil {
		return nil, false
	}
	h, err := evaluateCORS(b.CORS, r)
	return h, err == nil
}

// CORSPreflight answers a preflight (OPTIONS) request on bucket: the
// headers to send with a 200, or the error S3 sends (403 AccessForbidden
// when CORS is off or no rule allows the request, 400 when the request
// lacks Origin or Access-Control-Request-Method).
func (s *Service) CORSPreflight(r *http.Request, bucket string) (http.Header, error) {
	b, err := s.viewBucket(r.Context(), bucket)
	if err != nil {
		return nil, err
	}
	if r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return nil, errCORSBadRequest.New("Insufficient information. Origin request header needed.")
	}
	if b.CORS == nil {
		return nil, errAccessForbidden.New("CORSResponse: CORS is not enabled for this bucket.").WithDetail(map[string]string{
			"Method": r.Header.Get("Access-Control-Request-Method"), "ResourceType": "BUCKET",
		})
	}
	return evaluateCORS(b.CORS, r)
}

// evaluateCORS finds the first rule that allows r, as S3 does: the origin
// must match an AllowedOrigin, the method (Access-Control-Request-Method
// for a preflight) an AllowedMethod, and every header of
// Access-Control-Request-Headers an AllowedHeader.
func evaluateCORS(c *s3api.CORSConfiguration, r *http.Request) (http.Header, error) {
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions
	method := r.Method
	if preflight {
		method = r.Header.Get("Access-Control-Request-Method")
	}
	var requested []string
	if preflight {
		for _, v := range r.Header.Values("Access-Control-Request-Headers") {
			for _, h := range strings.Split(v, ",") {
				if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
					requested = append(requested, h)
				}
			}
		}
	}
	if origin != "" && method != "" {
		for _, rule := range c.CORSRules {
			allowOrigin, ok := matchCORSOrigin(rule.AllowedOrigins, origin)
			if !ok || !slices.Contains(rule.AllowedMethods, method) || !corsHeadersAllowed(rule.AllowedHeaders, requested) {
				continue
			}
			h := http.Header{}
			h.Set("Access-Control-Allow-Origin", allowOrigin)
			h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
			if len(requested) > 0 {
				h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
			}
			if len(rule.ExposeHeaders) > 0 {
				h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
			}
			if rule.MaxAgeSeconds != nil {
				h.Set("Access-Control-Max-Age", strconv.Itoa(int(*rule.MaxAgeSeconds)))
			}
			// A wildcard answer cannot carry credentials (Fetch standard),
			// so S3 allows them only when it echoes the origin.
			if allowOrigin != "*" {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			h.Set("Vary", corsVary)
			return h, nil
		}
	}
	resource := "OBJECT"
	if p := strings.Trim(r.URL.Path, "/"); !strings.Contains(p, "/") {
		resource = "BUCKET"
	}
	return nil, errAccessForbidden.New("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.").WithDetail(map[string]string{
		"Method": method, "ResourceType": resource,
	})
}

// matchCORSOrigin returns the Access-Control-Allow-Origin value for origin:
// "*" when the matching rule allows every origin, else the origin itself.
func matchCORSOrigin(allowed []string, origin string) (string, bool) {
	for _, a := range allowed {
		if a == "*" {
			return "*", true
		}
		if matchOneWildcard(a, origin) {
			return origin, true
		}
	}
	return "", false
}

// corsHeadersAllowed reports whether every requested header (lower case)
// matches an AllowedHeader, case-insensitively.
func corsHeadersAllowed(allowed, requested []string) bool {
	for _, h := range requested {
		ok := false
		for _, a := range allowed {
			if matchOneWildcard(strings.ToLower(a), h) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchOneWildcard matches s against a pattern with at most one *, which
// stands for any run of characters.
func matchOneWildcard(pattern, s string) bool {
	prefix, suffix, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == s
	}
	return len(s) >= len(prefix)+len(suffix) && strings.HasPrefix(s, prefix) && strings.HasSuffix(s, suffix)
}
