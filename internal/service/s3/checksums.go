package s3

import (
	"context"
	"hash"
	"net/http"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/aws/request"

	"github.com/nimbus-cloud/nimbus/internal/checksum"
)

// newChecksumHash returns the hash of a flexible-checksum algorithm as the
// x-amz-sdk-checksum-algorithm header names it.
func newChecksumHash(algo string) (hash.Hash, error) {
	a, ok := checksum.Parse(algo)
	if !ok || a == checksum.MD5 || a != checksum.Algorithm(algo) {
		return nil, errInvalidRequest.New("Value for x-amz-sdk-checksum-algorithm header is invalid.")
	}
	return a.New(), nil
}

// checksumHeaders maps an algorithm to the x-amz-checksum-* value a request
// carried.
type checksumHeaders map[string]*string

// checksumOutputs maps an algorithm to the output member that returns it.
type checksumOutputs map[string]**string

// wantedChecksums is what a request asked S3 to verify and store.
type wantedChecksums struct {
	algo    string // the one flexible checksum of the request, or ""
	value   string // its value from a header; "" when it comes in the trailer
	trailer func() http.Header
}

func (w wantedChecksums) algorithms() []string {
	if w.algo == "" {
		return nil
	}
	return []string{w.algo}
}

// requestedChecksums works out the flexible checksum of an upload: an
// x-amz-checksum-* header, or an algorithm whose value arrives in the
// aws-chunked trailer (x-amz-trailer).
func requestedChecksums(ctx context.Context, algoHeader *string, headers checksumHeaders) (wantedChecksums, error) {
	info := request.FromContext(ctx)
	var w wantedChecksums
	for algo, v := range headers {
		if v == nil {
			continue
		}
		if w.algo != "" {
			return w, errInvalidRequest.New("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		w.algo, w.value = algo, *v
	}
	var trailerAlgo string
	if info.HTTP != nil {
		if t := info.HTTP.Header.Get("X-Amz-Trailer"); t != "" {
			a, ok := checksum.FromHeader(strings.TrimSpace(t))
			if !ok {
				return w, errInvalidRequest.New("The value specified in the x-amz-trailer header is not supported")
			}
			trailerAlgo = string(a)
		}
	}
	if trailerAlgo != "" {
		if w.algo != "" && w.algo != trailerAlgo {
			return w, errInvalidRequest.New("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		w.algo, w.trailer = trailerAlgo, info.Trailer
	}
	if algoHeader != nil && *algoHeader != "" {
		a := strings.ToUpper(*algoHeader)
		if _, err := newChecksumHash(a); err != nil {
			return w, err
		}
		if w.algo == "" {
			return w, errInvalidRequest.New("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		}
		if a != w.algo {
			return w, errInvalidRequest.Newf("Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	if w.value != "" {
		a, _ := checksum.Parse(w.algo)
		if !checksum.Valid(a, w.value) {
			return w, errInvalidRequest.Newf("Value for x-amz-checksum-%s header is invalid.", strings.ToLower(w.algo))
		}
	}
	return w, nil
}

// verify compares the computed checksums with what the client sent and
// returns the checksum to store.
func (w wantedChecksums) verify(ctx context.Context, computed map[string]string) (map[string]string, error) {
	if w.algo == "" {
		return nil, nil
	}
	want := w.value
	if want == "" && w.trailer != nil {
		if t := w.trailer(); t != nil {
			want = t.Get("x-amz-checksum-" + strings.ToLower(w.algo))
		}
	}
	got := computed[w.algo]
	if want == "" {
		return nil, errInvalidRequest.New("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
	}
	if want != got {
		return nil, errBadDigest.Newf("The %s you specified did not match the calculated checksum.", strings.ToLower(w.algo))
	}
	return map[string]string{w.algo: got}, nil
}

// setChecksumOutput fills the checksum members of an output.
func setChecksumOutput(sums map[string]string, typ string, outs checksumOutputs, typeOut **string) {
	for algo, v := range sums {
		if o, ok := outs[algo]; ok {
			v := v
			*o = &v
		}
	}
	if len(sums) > 0 && typ != "" && typeOut != nil {
		*typeOut = ptr(typ)
	}
}
