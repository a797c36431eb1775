package awschunked

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/checksum"
	"github.com/nimbus-cloud/nimbus/internal/sigv4"
)

// The signed streaming upload of the AWS documentation ("Signature
// Calculations for the Authorization Header: Transferring Payload in Multiple
// Chunks"): 66560 bytes of 'a' as a 65536-byte chunk, a 1024-byte chunk and
// the final empty chunk.
const (
	docSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docDate    = "20130524T000000Z"
	docScope   = "20130524/us-east-1/s3/aws4_request"
	docSeed    = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	docSig1    = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
	docSig2    = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
	docSigLast = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
	// The trailer signature of headers first:1st, second:2nd, third:3rd
	// following the same chunks (the AWS common runtime's published vector).
	docTrailerSig = "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c"
)

func docSigning() *Signing {
	return &Signing{Key: sigv4.SigningKey(docSecret, "20130524", "us-east-1", "s3"), Seed: docSeed, AmzDate: docDate, Scope: docScope}
}

func docBody(corruptAt int, trailer string) []byte {
	var b bytes.Buffer
	for _, c := range []struct {
		size int
		sig  string
	}{{65536, docSig1}, {1024, docSig2}, {0, docSigLast}} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", c.size, c.sig)
		if c.size > 0 {
			b.Write(bytes.Repeat([]byte("a"), c.size))
			b.WriteString("\r\n")
		}
	}
	b.WriteString(trailer)
	b.WriteString("\r\n")
	out := b.Bytes()
	if corruptAt >= 0 {
		out[corruptAt] = 'b'
	}
	return out
}

func TestSignedDocExample(t *testing.T) {
	for name, tc := range map[string]struct {
		body    []byte
		signing *Signing
		code    string // "" for success
	}{
		"verifies":                 {body: docBody(-1, ""), signing: docSigning()},
		"decodes without checking": {body: docBody(-1, "")},
		"corrupt first chunk":      {body: docBody(200, ""), signing: docSigning(), code: "SignatureDoesNotMatch"},
		"corrupt second chunk":     {body: docBody(88+65536+2+86+10, ""), signing: docSigning(), code: "SignatureDoesNotMatch"},
		"corruption unchecked":     {body: docBody(200, "")},
		"wrong seed": {body: docBody(-1, ""), code: "SignatureDoesNotMatch",
			signing: &Signing{Key: docSigning().Key, Seed: docSig1, AmzDate: docDate, Scope: docScope}},
		"signed trailer": {body: docBody(-1, "first:1st\r\nsecond:2nd\r\nthird:3rd\r\nx-amz-trailer-signature:"+docTrailerSig+"\r\n"),
			signing: docSigning()},
		"tampered trailer": {body: docBody(-1, "first:1st\r\nsecond:2nd\r\nthird:4th\r\nx-amz-trailer-signature:"+docTrailerSig+"\r\n"),
			signing: docSigning(), code: "SignatureDoesNotMatch"},
		"trailer without signature": {body: docBody(-1, "first:1st\r\n"), signing: docSigning(), code: "SignatureDoesNotMatch"},
	} {
		t.Run(name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.body), Options{Signing: tc.signing, CheckLength: true, DecodedLength: 66560, MinChunkSize: 8192})
			got, err := io.ReadAll(r)
			if tc.code != "" {
				if code(err) != tc.code {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 66560 || bytes.Count(got, []byte("a")) != 66560 && tc.signing != nil {
				t.Fatalf("decoded %d bytes", len(got))
			}
		})
	}
}

// encode frames payload as aws-chunked with the given chunk size and
// trailing headers, the way the SDKs send STREAMING-UNSIGNED-PAYLOAD-TRAILER.
func encode(payload []byte, chunk int, trailer [][2]string) []byte {
	var b bytes.Buffer
	for len(payload) > 0 {
		n := min(chunk, len(payload))
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(payload[:n])
		b.WriteString("\r\n")
		payload = payload[n:]
	}
	b.WriteString("0\r\n")
	for _, kv := range trailer {
		b.WriteString(kv[0] + ":" + kv[1] + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func TestUnsignedRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, size := range []int{0, 1, 8191, 8192, 65536, 65537, 300001} {
		for _, chunk := range []int{8192, 65536, 1 << 20} {
			t.Run(fmt.Sprintf("%d/%d", size, chunk), func(t *testing.T) {
				payload := make([]byte, size)
				for i := range payload {
					payload[i] = byte(rng.Uint32())
				}
				crc := checksum.Sum(checksum.CRC32, payload)
				body := encode(payload, chunk, [][2]string{{"x-amz-checksum-crc32", crc}})
				for name, wrap := range map[string]func(io.Reader) io.Reader{
					"whole": func(r io.Reader) io.Reader { return r },
					"bytes": iotest.OneByteReader,
					"half":  iotest.HalfReader,
				} {
					r := NewReader(wrap(bytes.NewReader(body)), Options{CheckLength: true, DecodedLength: int64(size), MinChunkSize: 8192,
						Trailers: []string{"x-amz-checksum-crc32"}})
					got, err := io.ReadAll(r)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if !bytes.Equal(got, payload) {
						t.Fatalf("%s: payload differs (%d vs %d bytes)", name, len(got), len(payload))
					}
					if r.Trailer().Get("X-Amz-Checksum-Crc32") != crc {
						t.Fatalf("%s: trailer %v", name, r.Trailer())
					}
				}
			})
		}
	}
}

func TestMalformed(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 10)
	good := string(encode(payload, 10, nil))
	for name, tc := range map[string]struct {
		body string
		opts Options
		code string
	}{
		"no final chunk":              {body: "a\r\nxxxxxxxxxx\r\n", code: "IncompleteBody"},
		"empty body":                  {body: "", code: "IncompleteBody"},
		"truncated data":              {body: "a\r\nxxxx", code: "IncompleteBody"},
		"data longer than its size":   {body: "5\r\nxxxxxxxxxx\r\n0\r\n\r\n", code: "IncompleteBody"},
		"missing crlf after data":     {body: "a\r\nxxxxxxxxxx0\r\n\r\n", code: "IncompleteBody"},
		"bad hex size":                {body: "zz\r\nxx\r\n0\r\n\r\n", code: "IncompleteBody"},
		"negative size":               {body: "-1\r\n", code: "IncompleteBody"},
		"oversized hex":               {body: "ffffffffffffffff\r\n", code: "IncompleteBody"},
		"too many hex digits":         {body: "00000000000000001\r\nx\r\n0\r\n\r\n", code: "IncompleteBody"},
		"empty size":                  {body: ";chunk-signature=00\r\n", code: "IncompleteBody"},
		"header line too long":        {body: "a;" + strings.Repeat("x", 5000) + "\r\n", code: "IncompleteBody"},
		"trailer without colon":       {body: "0\r\nnocolon\r\n\r\n", code: "MalformedTrailerError"},
		"trailer cut short":           {body: "0\r\nx-amz-checksum-crc32:AAAA", code: "MalformedTrailerError"},
		"announced trailer missing":   {body: good, opts: Options{Trailers: []string{"x-amz-checksum-crc32c"}}, code: "MalformedTrailerError"},
		"decoded length too small":    {body: good, opts: Options{CheckLength: true, DecodedLength: 9}, code: "IncompleteBody"},
		"decoded length too large":    {body: good, opts: Options{CheckLength: true, DecodedLength: 11}, code: "IncompleteBody"},
		"small chunk before another":  {body: string(encode(bytes.Repeat([]byte("y"), 20000), 1000, nil)), opts: Options{MinChunkSize: 8192}, code: "InvalidChunkSizeError"},
		"unsigned chunk when signing": {body: good, opts: Options{Signing: docSigning()}, code: "SignatureDoesNotMatch"},
		"huge trailer": {body: "0\r\n" + strings.Repeat("x-amz-meta-a:"+strings.Repeat("v", 1000)+"\r\n", 20) + "\r\n",
			code: "MalformedTrailerError"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := io.ReadAll(NewReader(strings.NewReader(tc.body), tc.opts))
			if code(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest && ae.Status != http.StatusForbidden {
				t.Fatalf("not an AWS error: %#v", err)
			}
		})
	}
}

func TestLenientEndings(t *testing.T) {
	for name, body := range map[string]string{
		"no blank line after final chunk": "3\r\nabc\r\n0\r\n",
		"bare newlines":                   "3\nabc\n0\nx-amz-checksum-crc32: AAAAAA== \n\n",
		"chunk extension spacing":         "3 ; chunk-signature=00\r\nabc\r\n0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			r := NewReader(strings.NewReader(body), Options{})
			got, err := io.ReadAll(r)
			if err != nil || string(got) != "abc" {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
	r := NewReader(strings.NewReader("3\nabc\n0\nx-amz-checksum-crc32: AAAAAA== \n\n"), Options{})
	io.ReadAll(r)
	if r.Trailer().Get("x-amz-checksum-crc32") != "AAAAAA==" {
		t.Fatalf("trailer %v", r.Trailer())
	}
}

func TestInvalidChunkSizeDetail(t *testing.T) {
	body := encode(bytes.Repeat([]byte("y"), 3000), 1000, nil)
	_, err := io.ReadAll(NewReader(bytes.NewReader(body), Options{MinChunkSize: 8192}))
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	d, ok := ae.Detail.(*chunkSizeDetail)
	if !ok || *d.Chunk != "1" || *d.BadChunkSize != "1000" {
		t.Fatalf("detail %#v", ae.Detail)
	}
	// S3 refuses a short chunk with 403 Forbidden, not 400.
	if ae.Status != http.StatusForbidden {
		t.Fatalf("status %d, want 403", ae.Status)
	}
}

// Decoding never buffers a chunk: the bytes allocated while decoding a
// 64 MiB payload in 1 MiB chunks stay far below one chunk.
func TestConstantMemory(t *testing.T) {
	const size = 64 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := NewReader(&generator{left: size, chunk: 1 << 20}, Options{CheckLength: true, DecodedLength: size})
	buf := make([]byte, 32<<10)
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("copied %d, %v", n, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<10 {
		t.Fatalf("allocated %d bytes to decode %d", alloc, size)
	}
}

// generator produces an aws-chunked body of left zero bytes on the fly.
type generator struct {
	left    int64
	chunk   int64
	inChunk int64
	pending []byte
	done    bool
}

func (g *generator) Read(p []byte) (int, error) {
	if len(g.pending) > 0 {
		n := copy(p, g.pending)
		g.pending = g.pending[n:]
		return n, nil
	}
	if g.inChunk > 0 {
		n := int64(len(p))
		n = min(n, g.inChunk)
		clear(p[:n])
		g.inChunk -= n
		if g.inChunk == 0 {
			g.pending = []byte("\r\n")
		}
		return int(n), nil
	}
	if g.done {
		return 0, io.EOF
	}
	if g.left == 0 {
		g.done = true
		g.pending = []byte("0\r\n\r\n")
		return g.Read(p)
	}
	n := min(g.chunk, g.left)
	g.left -= n
	g.inChunk = n
	g.pending = []byte(strconv.FormatInt(n, 16) + "\r\n")
	return g.Read(p)
}

func TestHeaderHelpers(t *testing.T) {
	h := http.Header{}
	if IsChunked(h) {
		t.Error("empty headers chunked")
	}
	h.Set("Content-Encoding", "gzip, aws-chunked")
	if !IsChunked(h) {
		t.Error("aws-chunked not seen")
	}
	StripEncoding(h)
	if h.Get("Content-Encoding") != "gzip" {
		t.Errorf("stripped to %q", h.Get("Content-Encoding"))
	}
	h.Set("Content-Encoding", "aws-chunked")
	StripEncoding(h)
	if _, ok := h["Content-Encoding"]; ok {
		t.Error("empty Content-Encoding kept")
	}
	h.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	if !IsChunked(h) {
		t.Error("streaming hash not seen")
	}
	h.Set("X-Amz-Decoded-Content-Length", "42")
	if n, ok := DecodedLength(h); !ok || n != 42 {
		t.Error("decoded length")
	}
	h.Set("X-Amz-Decoded-Content-Length", "-1")
	if _, ok := DecodedLength(h); ok {
		t.Error("negative decoded length accepted")
	}
	h.Set("X-Amz-Trailer", "x-amz-checksum-crc32, X-Amz-Checksum-Sha256")
	if got := Trailers(h); len(got) != 2 || got[1] != "x-amz-checksum-sha256" {
		t.Errorf("trailers %v", got)
	}
}

func code(err error) string {
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	if err == nil {
		return ""
	}
	return "not aws: " + err.Error()
}
