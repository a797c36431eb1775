package dynamodb

import (
	"context"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Kinesis streaming destinations. DynamoDB accepts any well-formed stream
// ARN (EnableKinesisStreamingDestination answers ENABLING) and checks the
// stream afterwards: a stream that does not exist, or that the table may
// not use, leaves the destination ENABLE_FAILED with a description. Nimbus
// has no Kinesis service, so no stream exists and every destination ends
// ENABLE_FAILED, with the description DynamoDB gives for that ARN; the
// failure shows at once in DescribeKinesisStreamingDestination. The state
// machine (one live destination per table, Disable and Update only of an
// ACTIVE one) is kept whole for when destinations can become ACTIVE.

// Destination statuses.
const (
	destEnabling    = "ENABLING"
	destActive      = "ACTIVE"
	destDisabling   = "DISABLING"
	destDisabled    = "DISABLED"
	destFailed      = "ENABLE_FAILED"
	destUpdating    = "UPDATING"
	precisionMillis = "MILLISECOND"
)

// kinesisMeta lists a table's destinations, the latest enabled first.
type kinesisMeta struct {
	TableID uint64        `json:"table"`
	Dests   []kinesisDest `json:"dests,omitempty"`
}

type kinesisDest struct {
	StreamArn   string `json:"arn"`
	Status      string `json:"status"`
	Description string `json:"desc,omitempty"`
	Precision   string `json:"precision,omitempty"`
}

func (d *kinesisDest) live() bool {
	switch d.Status {
	case destEnabling, destActive, destUpdating, destDisabling:
		return true
	}
	return false
}

func (m *kinesisMeta) find(arn string) *kinesisDest {
	for i := range m.Dests {
		if m.Dests[i].StreamArn == arn {
			return &m.Dests[i]
		}
	}
	return nil
}

// errKinesisState is the ValidationException of a destination operation
// the destination's state does not allow.
func errKinesisState(msg string) error {
	return validation("Table is not in a valid state to enable Kinesis Streaming Destination: " + msg)
}

// kinesisDests reads the table a request names and its destinations.
func (s *Service) kinesisDests(ctx context.Context, tx storage.Tx, name string) (*tableMeta, *kinesisMeta, error) {
	ref := refOf(request.FromContext(ctx), name)
	t, err := s.table(tx, ref, func() error { return errTableNotFound(ref.name) })
	if err != nil {
		return nil, nil, err
	}
	var m kinesisMeta
	found, err := loadExtra(tx, tableKinesis, extrasPrefix(t), &m)
	if err != nil {
		return nil, nil, err
	}
	if !found || m.TableID != t.ID {
		m = kinesisMeta{TableID: t.ID}
	}
	return t, &m, nil
}

// changeKinesisDests runs change on the destinations of the table name in
// one transaction and saves them when change succeeds; it returns the
// table's name.
func (s *Service) changeKinesisDests(ctx context.Context, name string, change func(t *tableMeta, m *kinesisMeta) error) (string, error) {
	var table string
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		t, m, err := s.kinesisDests(ctx, tx, name)
		if err != nil {
			return err
		}
		table = t.Name
		if err := change(t, m); err != nil {
			return err
		}
		return saveExtra(tx, tableKinesis, extrasPrefix(t), m)
	})
	return table, err
}

// streamFailure is why DynamoDB cannot stream table t to the stream arn
// names, as DescribeKinesisStreamingDestination words it when no such
// stream is usable.
func streamFailure(t *tableMeta, arn string) string {
	const (
		noPermission = "User does not have a permission to use kinesis stream"
		notActive    = "The kinesis Arn used to enable kinesis replication belongs to a stream which is not in Active state"
		otherRegion  = "The kinesis Arn used to enable kinesis replication belongs to a stream which is not in the current region"
	)
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return noPermission
	}
	switch {
	case parts[2] == "firehose":
		return notActive
	case parts[2] != "kinesis" || !strings.HasPrefix(parts[5], "stream/"):
		return noPermission
	case parts[3] != t.Region:
		return otherRegion
	case parts[4] != t.Account:
		return notActive
	}
	return noPermission
}

// EnableKinesisStreamingDestination starts streaming a table to a Kinesis
// data stream.
func (s *Service) EnableKinesisStreamingDestination(ctx context.Context, in *dynamodbapi.EnableKinesisStreamingDestinationInput) (*dynamodbapi.EnableKinesisStreamingDestinationOutput, error) {
	arn := deref(in.StreamArn)
	table, err := s.changeKinesisDests(ctx, deref(in.TableName), func(t *tableMeta, m *kinesisMeta) error {
		for i := range m.Dests {
			if m.Dests[i].live() {
				return errKinesisState("EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform ENABLE operation.")
			}
		}
		d := kinesisDest{StreamArn: arn, Status: destFailed, Description: streamFailure(t, arn)}
		if c := in.EnableKinesisStreamingConfiguration; c != nil {
			d.Precision = deref(c.ApproximateCreationDateTimePrecision)
		}
		// Enabling a stream again replaces its entry: one per stream.
		dests := []kinesisDest{d}
		for _, old := range m.Dests {
			if old.StreamArn != arn {
				dests = append(dests, old)
			}
		}
		m.Dests = dests
		return nil
	})
	if err != nil {
		return nil, err
	}
	conf := in.EnableKinesisStreamingConfiguration
	if conf == nil {
		conf = &dynamodbapi.EnableKinesisStreamingConfiguration{}
	}
	return &dynamodbapi.EnableKinesisStreamingDestinationOutput{
		TableName: ptr(table), StreamArn: ptr(arn), DestinationStatus: ptr(destEnabling),
		EnableKinesisStreamingConfiguration: conf,
	}, nil
}

// DisableKinesisStreamingDestination stops streaming a table to a Kinesis
// data stream; only an ACTIVE destination can be disabled.
func (s *Service) DisableKinesisStreamingDestination(ctx context.Context, in *dynamodbapi.DisableKinesisStreamingDestinationInput) (*dynamodbapi.DisableKinesisStreamingDestinationOutput, error) {
	arn := deref(in.StreamArn)
	table, err := s.changeKinesisDests(ctx, deref(in.TableName), func(_ *tableMeta, m *kinesisMeta) error {
		d := m.find(arn)
		if d == nil || d.Status != destActive {
			return errKinesisState("KinesisStreamingDestination must be ACTIVE to perform DISABLE operation.")
		}
		d.Status, d.Precision = destDisabled, ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DisableKinesisStreamingDestinationOutput{
		TableName: ptr(table), StreamArn: ptr(arn), DestinationStatus: ptr(destDisabling),
	}, nil
}

// UpdateKinesisStreamingDestination changes the timestamp precision of an
// ACTIVE destination.
func (s *Service) UpdateKinesisStreamingDestination(ctx context.Context, in *dynamodbapi.UpdateKinesisStreamingDestinationInput) (*dynamodbapi.UpdateKinesisStreamingDestinationOutput, error) {
	arn := deref(in.StreamArn)
	conf := in.UpdateKinesisStreamingConfiguration
	table, err := s.changeKinesisDests(ctx, deref(in.TableName), func(t *tableMeta, m *kinesisMeta) error {
		if conf == nil || conf.ApproximateCreationDateTimePrecision == nil {
			return validation("Streaming destination cannot be updated with given parameters: UpdateKinesisStreamingConfiguration cannot be null or contain only null values")
		}
		d := m.find(arn)
		switch {
		case d == nil:
			return errKinesisState("No streaming destination with streamArn: " + arn + " found for table: " + t.Name)
		case d.Status != destActive:
			return errKinesisState("Kinesis streaming is not in ACTIVE state. Updates are only allowed in ACTIVE state. TableName: " + t.Name)
		}
		want, have := *conf.ApproximateCreationDateTimePrecision, d.Precision
		if have == "" {
			have = precisionMillis
		}
		if want == have {
			return validation("Invalid Request: Precision is already set to the desired value of " + want + " for tableId: " + t.UUID + ", kdsArn: " + arn)
		}
		d.Precision = want
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UpdateKinesisStreamingDestinationOutput{
		TableName: ptr(table), StreamArn: ptr(arn), DestinationStatus: ptr(destUpdating),
		UpdateKinesisStreamingConfiguration: conf,
	}, nil
}

// DescribeKinesisStreamingDestination lists a table's Kinesis streaming
// destinations.
func (s *Service) DescribeKinesisStreamingDestination(ctx context.Context, in *dynamodbapi.DescribeKinesisStreamingDestinationInput) (*dynamodbapi.DescribeKinesisStreamingDestinationOutput, error) {
	var out *dynamodbapi.DescribeKinesisStreamingDestinationOutput
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, m, err := s.kinesisDests(ctx, tx, deref(in.TableName))
		if err != nil {
			return err
		}
		out = &dynamodbapi.DescribeKinesisStreamingDestinationOutput{
			TableName:                     ptr(t.Name),
			KinesisDataStreamDestinations: make([]dynamodbapi.KinesisDataStreamDestination, 0, len(m.Dests)),
		}
		for _, d := range m.Dests {
			e := dynamodbapi.KinesisDataStreamDestination{StreamArn: ptr(d.StreamArn), DestinationStatus: ptr(d.Status)}
			if d.Description != "" {
				e.DestinationStatusDescription = ptr(d.Description)
			}
			if d.Precision != "" {
				e.ApproximateCreationDateTimePrecision = ptr(d.Precision)
			}
			out.KinesisDataStreamDestinations = append(out.KinesisDataStreamDestinations, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
