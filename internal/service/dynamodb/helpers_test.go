package dynamodb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// newTestService returns a DynamoDB service on an ephemeral store, with a
// fixed clock.
func newTestService(t *testing.T) *Service {
	t.Helper()
	db, err := engine.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := New(Deps{Store: db, Now: func() time.Time { return clock }})
	t.Cleanup(func() {
		s.Close()
		db.Close()
	})
	return s
}

var bg = context.Background()

// wantErr checks that err is the AWS error code with a message containing
// msg (when msg is not empty).
func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s %q", code, msg)
	}
	e := awserr.From(err)
	if e.Code != code || (msg != "" && !strings.Contains(e.Message, msg)) {
		t.Fatalf("got %s: %s\nwant %s: %s", e.Code, e.Message, code, msg)
	}
}

func ks(hash string, rng ...string) []dynamodbapi.KeySchemaElement {
	out := []dynamodbapi.KeySchemaElement{{AttributeName: ptr(hash), KeyType: ptr("HASH")}}
	if len(rng) > 0 {
		out = append(out, dynamodbapi.KeySchemaElement{AttributeName: ptr(rng[0]), KeyType: ptr("RANGE")})
	}
	return out
}

// defs builds AttributeDefinitions from name, type pairs.
func defs(pairs ...string) []dynamodbapi.AttributeDefinition {
	var out []dynamodbapi.AttributeDefinition
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, dynamodbapi.AttributeDefinition{AttributeName: ptr(pairs[i]), AttributeType: ptr(pairs[i+1])})
	}
	return out
}

func onDemand(name string, key []dynamodbapi.KeySchemaElement, attrs []dynamodbapi.AttributeDefinition) *dynamodbapi.CreateTableInput {
	return &dynamodbapi.CreateTableInput{TableName: ptr(name), KeySchema: key, AttributeDefinitions: attrs, BillingMode: ptr("PAY_PER_REQUEST")}
}

func mustCreate(t *testing.T, s *Service, in *dynamodbapi.CreateTableInput) *dynamodbapi.TableDescription {
	t.Helper()
	out, err := s.CreateTable(bg, in)
	if err != nil {
		t.Fatalf("CreateTable %s: %v", deref(in.TableName), err)
	}
	return out.TableDescription
}

func mustDescribe(t *testing.T, s *Service, name string) *dynamodbapi.TableDescription {
	t.Helper()
	out, err := s.DescribeTable(bg, &dynamodbapi.DescribeTableInput{TableName: ptr(name)})
	if err != nil {
		t.Fatalf("DescribeTable %s: %v", name, err)
	}
	return out.Table
}

func projAllOf() *dynamodbapi.Projection { return &dynamodbapi.Projection{ProjectionType: ptr("ALL")} }
