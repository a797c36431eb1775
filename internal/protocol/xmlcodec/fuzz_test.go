package xmlcodec

import (
	"reflect"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// FuzzUnmarshal feeds arbitrary documents to the decoder: it must answer
// with an error or a value, never panic, and what it decodes must survive
// encoding and decoding again.
func FuzzUnmarshal(f *testing.F) {
	for _, seed := range []string{
		`<Delete><Object><Key>a</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>`,
		`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>u</URI></Grantee></Grant></AccessControlList></AccessControlPolicy>`,
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`,
		`<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>`,
		`<?xml version="1.0"?><!-- c --><a><![CDATA[x]]></a>`,
	} {
		f.Add([]byte(seed))
	}
	targets := []reflect.Type{
		reflect.TypeFor[s3api.Delete](), reflect.TypeFor[s3api.AccessControlPolicy](),
		reflect.TypeFor[s3api.CompletedMultipartUpload](), reflect.TypeFor[s3api.Tagging](),
		reflect.TypeFor[s3api.LifecycleConfiguration](),
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, typ := range targets {
			v := reflect.New(typ)
			if err := Unmarshal(doc, v.Interface()); err != nil {
				continue
			}
			again := AppendRoot(nil, "R", "", v.Interface())
			w := reflect.New(typ)
			if err := Unmarshal(again, w.Interface()); err != nil {
				t.Fatalf("re-encoded document does not decode: %v\n%s", err, again)
			}
			if string(AppendRoot(nil, "R", "", w.Interface())) != string(again) {
				t.Fatalf("unstable round trip\n%s", again)
			}
		}
	})
}
