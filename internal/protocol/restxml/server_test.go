package restxml

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
)

// TestOverRealServer runs the codec behind net/http: HEAD keeps the
// Content-Length of the object, and a file body is streamed and closed.
func TestOverRealServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "object")
	if err := os.WriteFile(path, []byte("hello world"), 0o600); err != nil {
		t.Fatal(err)
	}
	var c Codec
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(request.With(r.Context(), &request.Info{RequestID: "rid"}))
		op, err := c.Operation(r, s3api.Service)
		if err != nil {
			t.Errorf("operation: %v", err)
			return
		}
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		out := &s3api.GetObjectOutput{Body: f, ContentLength: ptr(int64(11)), ContentType: ptr("text/plain")}
		if op.Name == "HeadObject" {
			f.Close()
			out := &s3api.HeadObjectOutput{ContentLength: ptr(int64(11)), ContentType: ptr("text/plain")}
			if err := c.Encode(w, r, s3api.Service, op, out); err != nil {
				t.Error(err)
			}
			return
		}
		if err := c.Encode(w, r, s3api.Service, op, out); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()

	for _, method := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(method, srv.URL+"/bucket/object", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ContentLength != 11 || resp.Header.Get("Content-Type") != "text/plain" {
			t.Errorf("%s: status %d, length %d, type %q", method, resp.StatusCode, resp.ContentLength, resp.Header.Get("Content-Type"))
		}
		if want := map[string]string{"GET": "hello world", "HEAD": ""}[method]; string(body) != want {
			t.Errorf("%s: body %q", method, body)
		}
	}
}
