package dynamodb

import (
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

const (
	kinesisARN  = "arn:aws:kinesis:us-east-1:000000000000:stream/orders-feed"
	kinesisARN2 = "arn:aws:kinesis:us-east-1:000000000000:stream/orders-feed-2"
)

func describeDests(t *testing.T, s *Service, table string) []dynamodbapi.KinesisDataStreamDestination {
	t.Helper()
	out, err := s.DescribeKinesisStreamingDestination(bg, &dynamodbapi.DescribeKinesisStreamingDestinationInput{TableName: ptr(table)})
	if err != nil {
		t.Fatal(err)
	}
	if deref(out.TableName) != table || out.KinesisDataStreamDestinations == nil {
		t.Fatalf("describe: %+v", out)
	}
	return out.KinesisDataStreamDestinations
}

func TestKinesisStreamFailure(t *testing.T) {
	table := &tableMeta{Account: "000000000000", Region: "us-east-1"}
	cases := []struct{ arn, want string }{
		{kinesisARN, "User does not have a permission to use kinesis stream"},
		{"arn:aws:kinesis:eu-west-1:000000000000:stream/orders-feed", "The kinesis Arn used to enable kinesis replication belongs to a stream which is not in the current region"},
		{"arn:aws:kinesis:us-east-1:111122223333:stream/orders-feed", "The kinesis Arn used to enable kinesis replication belongs to a stream which is not in Active state"},
		{"arn:aws:firehose:us-east-1:000000000000:deliverystream/orders", "The kinesis Arn used to enable kinesis replication belongs to a stream which is not in Active state"},
		{"arn:aws:dynamodb:us-east-1:000000000000:table/orders-table", "User does not have a permission to use kinesis stream"},
		{"arn:aws:kinesis:us-east-1:000000000000:stream/orders-feed/consumer/c:1", "User does not have a permission to use kinesis stream"},
		{"this-is-not-an-arn-but-long-enough-to-pass", "User does not have a permission to use kinesis stream"},
	}
	for _, c := range cases {
		if got := streamFailure(table, c.arn); got != c.want {
			t.Errorf("%s: got %q, want %q", c.arn, got, c.want)
		}
	}
}

func TestKinesisStreamingDestinations(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("orders", ks("pk"), defs("pk", "S")))
	if d := describeDests(t, s, "orders"); len(d) != 0 {
		t.Fatalf("fresh table: %+v", d)
	}

	// Enable answers ENABLING and echoes the configuration (an empty one
	// when none was sent); the stream does not exist, so the destination
	// ends ENABLE_FAILED.
	out, err := s.EnableKinesisStreamingDestination(bg, &dynamodbapi.EnableKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN)})
	if err != nil {
		t.Fatal(err)
	}
	if deref(out.DestinationStatus) != "ENABLING" || deref(out.TableName) != "orders" || deref(out.StreamArn) != kinesisARN || out.EnableKinesisStreamingConfiguration == nil {
		t.Fatalf("enable: %+v", out)
	}
	conf := &dynamodbapi.EnableKinesisStreamingConfiguration{ApproximateCreationDateTimePrecision: ptr("MICROSECOND")}
	out, err = s.EnableKinesisStreamingDestination(bg, &dynamodbapi.EnableKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN2), EnableKinesisStreamingConfiguration: conf})
	if err != nil || deref(out.EnableKinesisStreamingConfiguration.ApproximateCreationDateTimePrecision) != "MICROSECOND" {
		t.Fatalf("enable with configuration: %+v %v", out, err)
	}
	// Enabling the first stream again replaces its entry: the latest
	// first, one entry per stream.
	if _, err := s.EnableKinesisStreamingDestination(bg, &dynamodbapi.EnableKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN)}); err != nil {
		t.Fatal(err)
	}
	d := describeDests(t, s, "orders")
	if len(d) != 2 || deref(d[0].StreamArn) != kinesisARN || deref(d[1].StreamArn) != kinesisARN2 {
		t.Fatalf("destinations: %+v", d)
	}
	for _, e := range d {
		if deref(e.DestinationStatus) != "ENABLE_FAILED" || deref(e.DestinationStatusDescription) != "User does not have a permission to use kinesis stream" {
			t.Fatalf("destination %+v", e)
		}
	}
	if d[0].ApproximateCreationDateTimePrecision != nil || deref(d[1].ApproximateCreationDateTimePrecision) != "MICROSECOND" {
		t.Fatalf("precisions: %+v", d)
	}

	precision := &dynamodbapi.UpdateKinesisStreamingConfiguration{ApproximateCreationDateTimePrecision: ptr("MICROSECOND")}
	cases := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"disable a failed destination", func() error {
			_, err := s.DisableKinesisStreamingDestination(bg, &dynamodbapi.DisableKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN)})
			return err
		}, "ValidationException", "Table is not in a valid state to enable Kinesis Streaming Destination: KinesisStreamingDestination must be ACTIVE to perform DISABLE operation."},
		{"disable a stream never enabled", func() error {
			_, err := s.DisableKinesisStreamingDestination(bg, &dynamodbapi.DisableKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN + "-x")})
			return err
		}, "ValidationException", "KinesisStreamingDestination must be ACTIVE to perform DISABLE operation."},
		{"update a failed destination", func() error {
			_, err := s.UpdateKinesisStreamingDestination(bg, &dynamodbapi.UpdateKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN), UpdateKinesisStreamingConfiguration: precision})
			return err
		}, "ValidationException", "Table is not in a valid state to enable Kinesis Streaming Destination: Kinesis streaming is not in ACTIVE state. Updates are only allowed in ACTIVE state. TableName: orders"},
		{"update a stream never enabled", func() error {
			_, err := s.UpdateKinesisStreamingDestination(bg, &dynamodbapi.UpdateKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN + "-x"), UpdateKinesisStreamingConfiguration: precision})
			return err
		}, "ValidationException", "Table is not in a valid state to enable Kinesis Streaming Destination: No streaming destination with streamArn: " + kinesisARN + "-x"},
		{"update without configuration", func() error {
			_, err := s.UpdateKinesisStreamingDestination(bg, &dynamodbapi.UpdateKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN), UpdateKinesisStreamingConfiguration: &dynamodbapi.UpdateKinesisStreamingConfiguration{}})
			return err
		}, "ValidationException", "Streaming destination cannot be updated with given parameters: UpdateKinesisStreamingConfiguration cannot be null or contain only null values"},
		{"enable on a missing table", func() error {
			_, err := s.EnableKinesisStreamingDestination(bg, &dynamodbapi.EnableKinesisStreamingDestinationInput{TableName: ptr("nope"), StreamArn: ptr(kinesisARN)})
			return err
		}, "ResourceNotFoundException", "Requested resource not found: Table: nope not found"},
		{"describe a missing table", func() error {
			_, err := s.DescribeKinesisStreamingDestination(bg, &dynamodbapi.DescribeKinesisStreamingDestinationInput{TableName: ptr("nope")})
			return err
		}, "ResourceNotFoundException", "Requested resource not found: Table: nope not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.call(), c.code, c.msg) })
	}

	// Destinations go with their table.
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("orders")}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, onDemand("orders", ks("pk"), defs("pk", "S")))
	if d := describeDests(t, s, "orders"); len(d) != 0 {
		t.Fatalf("re-created table: %+v", d)
	}
}

// TestKinesisActiveDestination drives the state machine through an ACTIVE
// destination, which no stream reaches while Nimbus has no Kinesis.
func TestKinesisActiveDestination(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("orders", ks("pk"), defs("pk", "S")))
	err := s.db.Update(bg, func(tx storage.Tx) error {
		tb, m, err := s.kinesisDests(bg, tx, "orders")
		if err != nil {
			return err
		}
		m.Dests = []kinesisDest{{StreamArn: kinesisARN, Status: destActive}}
		return saveExtra(tx, tableKinesis, extrasPrefix(tb), m)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.EnableKinesisStreamingDestination(bg, &dynamodbapi.EnableKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN2)})
	wantErr(t, err, "ValidationException", "Table is not in a valid state to enable Kinesis Streaming Destination: EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform ENABLE operation.")

	millis := &dynamodbapi.UpdateKinesisStreamingConfiguration{ApproximateCreationDateTimePrecision: ptr("MILLISECOND")}
	_, err = s.UpdateKinesisStreamingDestination(bg, &dynamodbapi.UpdateKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN), UpdateKinesisStreamingConfiguration: millis})
	wantErr(t, err, "ValidationException", "Invalid Request: Precision is already set to the desired value of MILLISECOND for tableId: ")
	micros := &dynamodbapi.UpdateKinesisStreamingConfiguration{ApproximateCreationDateTimePrecision: ptr("MICROSECOND")}
	up, err := s.UpdateKinesisStreamingDestination(bg, &dynamodbapi.UpdateKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN), UpdateKinesisStreamingConfiguration: micros})
	if err != nil || deref(up.DestinationStatus) != "UPDATING" {
		t.Fatalf("update: %+v %v", up, err)
	}
	if d := describeDests(t, s, "orders"); deref(d[0].ApproximateCreationDateTimePrecision) != "MICROSECOND" || deref(d[0].DestinationStatus) != "ACTIVE" {
		t.Fatalf("after update: %+v", d)
	}
	dis, err := s.DisableKinesisStreamingDestination(bg, &dynamodbapi.DisableKinesisStreamingDestinationInput{TableName: ptr("orders"), StreamArn: ptr(kinesisARN)})
	if err != nil || deref(dis.DestinationStatus) != "DISABLING" {
		t.Fatalf("disable: %+v %v", dis, err)
	}
	d := describeDests(t, s, "orders")
	if deref(d[0].DestinationStatus) != "DISABLED" || d[0].ApproximateCreationDateTimePrecision != nil {
		t.Fatalf("after disable: %+v", d)
	}
}
