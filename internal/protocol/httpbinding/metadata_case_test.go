package httpbinding

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/model"
)

// S3 sends user metadata as lower-case x-amz-meta-<name> headers. Clients
// that take the metadata name from the header as it arrived (boto3, the
// AWS CLI) would otherwise report "Owner" for metadata stored as "owner".
func TestEncodeResponseMetadataNamesKeepTheirCase(t *testing.T) {
	h := http.Header{}
	EncodeResponse(h, &getObjectOutput{Metadata: map[string]string{"owner": "alice", "project-id": "7"}})
	for _, name := range []string{"x-amz-meta-owner", "x-amz-meta-project-id"} {
		if _, ok := h[name]; !ok {
			t.Errorf("header %s missing from %v", name, h)
		}
	}
	if len(h) != 2 {
		t.Errorf("headers %v, want exactly the two metadata headers", h)
	}
	// The wire carries the names as written, and DecodeRequest reads them.
	rec := httptest.NewRecorder()
	for k, v := range h {
		rec.Header()[k] = v
	}
	rec.WriteHeader(200)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header = rec.Result().Header
	var back struct {
		Metadata map[string]string `aws:"name=x-amz-meta-,loc=headers"`
	}
	if err := DecodeRequest(r, &model.Operation{RequestURI: "/"}, &back); err != nil {
		t.Fatal(err)
	}
	if back.Metadata["owner"] != "alice" || back.Metadata["project-id"] != "7" {
		t.Errorf("round trip: %v", back.Metadata)
	}
}
