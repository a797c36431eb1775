package restxml

import (
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
)

// S3 checks an XML request body against its schema: a body that lacks a
// required element or holds a value outside an enum is MalformedXML, not
// the "validation error detected" of members bound to the URI or headers.
func TestS3BodyAgainstSchemaIsMalformedXML(t *testing.T) {
	for name, tc := range map[string]struct {
		method, target, body string
		code                 string
	}{
		"DeleteObjects without objects": {"POST", "/bucket?delete", `<Delete><Quiet>true</Quiet></Delete>`, "MalformedXML"},
		"PutBucketCors without rules":   {"PUT", "/bucket?cors", `<CORSConfiguration></CORSConfiguration>`, "MalformedXML"},
		"PutBucketCors rule without methods": {"PUT", "/bucket?cors",
			`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>`, "MalformedXML"},
		"well-formed DeleteObjects": {"POST", "/bucket?delete", `<Delete><Object><Key>k</Key></Object></Delete>`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := decode(t, newRequest(tc.method, tc.target, tc.body, nil))
			if tc.code == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if ae := awserr.From(err); err == nil || ae.Code != tc.code || ae.Status != 400 {
				t.Fatalf("got %v, want %s (400)", err, tc.code)
			}
		})
	}
}
