package validate

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

type keySchemaElement struct {
	AttributeName *string `aws:"name=AttributeName,required,min=1,max=255"`
	KeyType       *string `aws:"name=KeyType,required,enum=KeyType"`
}

type attributeValue struct {
	S  *string                   `aws:"name=S"`
	N  *string                   `aws:"name=N"`
	B  []byte                    `aws:"name=B"`
	M  map[string]attributeValue `aws:"name=M"`
	L  []attributeValue          `aws:"name=L"`
	SS []string                  `aws:"name=SS"`
}

type keysAndAttributes struct {
	Keys []map[string]attributeValue `aws:"name=Keys,required,min=1,max=100"`
}

type createTableInput struct {
	TableName *string                      `aws:"name=TableName,required,min=3,max=255"`
	KeySchema []keySchemaElement           `aws:"name=KeySchema,required,min=1,max=2"`
	Limit     *int32                       `aws:"name=Limit,min=1"`
	Segment   *int64                       `aws:"name=Segment,min=0,max=999999"`
	Ratio     *float64                     `aws:"name=Ratio,min=0,max=1"`
	Data      []byte                       `aws:"name=Data,max=4"`
	Tags      map[string]string            `aws:"name=Tags,max=2"`
	Item      map[string]attributeValue    `aws:"name=Item"`
	Requests  map[string]keysAndAttributes `aws:"name=RequestItems"`
	Billing   *string                      `aws:"name=BillingMode,enum=BillingMode"`
	SSESpec   *sseSpecification            `aws:"name=SSESpecification"`
	Free      any                          `aws:"name=Free,required"`
}

type sseSpecification struct {
	KMSMasterKeyID *string `aws:"name=KMSMasterKeyId,required,max=5"`
}

var svc = &model.Service{
	Name:     "dynamodb",
	Protocol: "json",
	Enums: map[string][]string{
		"KeyType":     {"HASH", "RANGE"},
		"BillingMode": {"PROVISIONED", "PAY_PER_REQUEST"},
	},
}

func ptr[T any](v T) *T { return &v }

func valid() *createTableInput {
	return &createTableInput{
		TableName: ptr("Music"),
		KeySchema: []keySchemaElement{{AttributeName: ptr("Artist"), KeyType: ptr("HASH")}},
		Free:      map[string]any{},
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*createTableInput)
		want   string
	}{
		{"valid", func(*createTableInput) {}, ""},
		{"missing required", func(in *createTableInput) { in.TableName = nil },
			"1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"},
		{"short string", func(in *createTableInput) { in.TableName = ptr("ab") },
			"1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"},
		{"long string counts characters", func(in *createTableInput) { in.TableName = ptr(strings.Repeat("é", 255)) }, ""},
		{"too long string", func(in *createTableInput) { in.TableName = ptr(strings.Repeat("x", 256)) },
			"1 validation error detected: Value '" + strings.Repeat("x", 256) + "' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"two problems in member order", func(in *createTableInput) { in.TableName = ptr(strings.Repeat("x", 256)); in.KeySchema = nil },
			"2 validation errors detected: Value '" + strings.Repeat("x", 256) + "' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255; Value null at 'keySchema' failed to satisfy constraint: Member must not be null"},
		{"empty list", func(in *createTableInput) { in.KeySchema = []keySchemaElement{} },
			"1 validation error detected: Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"list element path and enum", func(in *createTableInput) {
			in.KeySchema = append(in.KeySchema, keySchemaElement{AttributeName: ptr("Song"), KeyType: ptr("SORT")})
		},
			"1 validation error detected: Value 'SORT' at 'keySchema.2.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]"},
		{"missing in list element", func(in *createTableInput) { in.KeySchema[0].AttributeName = nil },
			"1 validation error detected: Value null at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must not be null"},
		{"too many list elements", func(in *createTableInput) {
			in.KeySchema = append(in.KeySchema, in.KeySchema[0], in.KeySchema[0])
		},
			"1 validation error detected: Value '[{AttributeName=Artist, KeyType=HASH}, {AttributeName=Artist, KeyType=HASH}, {AttributeName=Artist, KeyType=HASH}]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2"},
		{"int below min", func(in *createTableInput) { in.Limit = ptr(int32(0)) },
			"1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"long above max", func(in *createTableInput) { in.Segment = ptr(int64(1000000)) },
			"1 validation error detected: Value '1000000' at 'segment' failed to satisfy constraint: Member must have value less than or equal to 999999"},
		{"double above max", func(in *createTableInput) { in.Ratio = ptr(1.5) },
			"1 validation error detected: Value '1.5' at 'ratio' failed to satisfy constraint: Member must have value less than or equal to 1"},
		{"double integral", func(in *createTableInput) { in.Ratio = ptr(-2.0) },
			"1 validation error detected: Value '-2.0' at 'ratio' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"blob too long", func(in *createTableInput) { in.Data = []byte("hello") },
			"1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=5 cap=5]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 4"},
		{"map too big", func(in *createTableInput) { in.Tags = map[string]string{"a": "1", "b": "2", "c": "3"} },
			"1 validation error detected: Value '{a=1, b=2, c=3}' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 2"},
		{"enum", func(in *createTableInput) { in.Billing = ptr("FREE") },
			"1 validation error detected: Value 'FREE' at 'billing' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"},
		{"nested struct path keeps acronym case", func(in *createTableInput) { in.SSESpec = &sseSpecification{} },
			"1 validation error detected: Value null at 'sSESpec.kMSMasterKeyID' failed to satisfy constraint: Member must not be null"},
		{"map value path", func(in *createTableInput) { in.Requests = map[string]keysAndAttributes{"Music": {}} },
			"1 validation error detected: Value null at 'requests.Music.member.keys' failed to satisfy constraint: Member must not be null"},
		{"required document", func(in *createTableInput) { in.Free = nil },
			"1 validation error detected: Value null at 'free' failed to satisfy constraint: Member must not be null"},
		{"unconstrained recursive value", func(in *createTableInput) {
			in.Item = map[string]attributeValue{"a": {M: map[string]attributeValue{"b": {L: []attributeValue{{S: ptr("x")}}}}}}
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := valid()
			tc.modify(in)
			err := Input(svc, in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var e *awserr.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want *awserr.Error", err)
			}
			if e.Code != "ValidationException" || e.Status != 400 || !e.Sender {
				t.Errorf("code %s status %d sender %v", e.Code, e.Status, e.Sender)
			}
			if e.Message != tc.want {
				t.Errorf("message\n got: %s\nwant: %s", e.Message, tc.want)
			}
		})
	}
}

func TestErrorCodeByProtocol(t *testing.T) {
	tests := []struct {
		svc, protocol, code string
	}{
		{"dynamodb", "json", "ValidationException"},
		{"lambda", "rest-json", "ValidationException"},
		{"monitoring", "smithy-rpc-v2-cbor", "ValidationException"},
		{"sqs", "query", "MissingRequiredParameterException"}, // query code MissingParameter
		{"sns", "query", "ValidationError"},
		{"iam", "query", "ValidationError"},
		{"s3", "rest-xml", "InvalidArgument"},
		{"route53", "rest-xml", "InvalidInput"},
		{"ec2", "ec2", "InvalidParameterValue"},
	}
	for _, tc := range tests {
		in := valid()
		in.TableName = nil
		s := &model.Service{Name: tc.svc, Protocol: tc.protocol}
		err := InputAs(s, tc.protocol, in)
		var e *awserr.Error
		if !errors.As(err, &e) || e.Code != tc.code || e.Status != 400 {
			t.Errorf("%s/%s: got %v, want %s", tc.svc, tc.protocol, err, tc.code)
		}
	}
}

func TestUnconstrainedTypeIsFree(t *testing.T) {
	type plain struct {
		A *string          `aws:"name=A"`
		L []attributeValue `aws:"name=L"`
	}
	if sp := planOf(reflectTypeOf[plain]()); sp.needs || len(sp.fields) != 0 {
		t.Fatalf("plan of unconstrained type should be empty: %+v", sp)
	}
	if sp := planOf(reflectTypeOf[attributeValue]()); sp.needs {
		t.Fatal("recursive unconstrained type needs no check")
	}
	in := &plain{A: ptr("x")}
	allocs := testing.AllocsPerRun(100, func() {
		if Check(svc, in) != nil {
			t.Fatal("no problems expected")
		}
	})
	if allocs > 0 {
		t.Errorf("Check of an unconstrained type allocates %v times", allocs)
	}
}

func TestNonStructInputs(t *testing.T) {
	for _, in := range []any{nil, (*createTableInput)(nil), 3, &struct{}{}} {
		if err := Input(svc, in); err != nil {
			t.Errorf("Input(%T) = %v", in, err)
		}
	}
}

type recursiveConstrained struct {
	Name     *string                `aws:"name=Name,required"`
	Children []recursiveConstrained `aws:"name=Children"`
}

func TestRecursiveConstrained(t *testing.T) {
	in := &recursiveConstrained{Name: ptr("a"), Children: []recursiveConstrained{{Name: ptr("b"), Children: []recursiveConstrained{{}}}}}
	want := "1 validation error detected: Value null at 'children.1.member.children.1.member.name' failed to satisfy constraint: Member must not be null"
	if err := Input(svc, in); err == nil || err.(*awserr.Error).Message != want {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkCheckConstrained(b *testing.B) {
	in := valid()
	b.ReportAllocs()
	for b.Loop() {
		if Check(svc, in) != nil {
			b.Fatal("unexpected problems")
		}
	}
}

func reflectTypeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }
