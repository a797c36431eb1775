package expr

import (
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

func sv(s string) attr.Value  { return attr.Value{S: &s} }
func nv(s string) attr.Value  { return attr.Value{N: &s} }
func bv(b ...byte) attr.Value { return attr.Value{B: append([]byte{}, b...)} }
func boolv(b bool) attr.Value { return attr.Value{BOOL: &b} }
func nullv() attr.Value       { t := true; return attr.Value{NULL: &t} }
func lv(vs ...attr.Value) attr.Value {
	if vs == nil {
		vs = []attr.Value{}
	}
	return attr.Value{L: vs}
}
func mv(kv ...any) attr.Value {
	m := map[string]attr.Value{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(attr.Value)
	}
	return attr.Value{M: m}
}
func ssv(s ...string) attr.Value { return attr.Value{SS: s} }
func nsv(s ...string) attr.Value { return attr.Value{NS: s} }

// wantValidation fails unless err is a ValidationException with message msg.
func wantValidation(t *testing.T, what string, err error, msg string) {
	t.Helper()
	e, ok := err.(*awserr.Error)
	if !ok || e.Code != "ValidationException" {
		t.Errorf("%s: error %v, want ValidationException %q", what, err, msg)
		return
	}
	if e.Message != msg {
		t.Errorf("%s:\n got %q\nwant %q", what, e.Message, msg)
	}
}
