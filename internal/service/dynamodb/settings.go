package dynamodb

import (
	"context"
	"net/url"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// UpdateTimeToLive turns a table's time to live on or off. The setting
// takes effect at once (AWS reports ENABLING for a while).
func (s *Service) UpdateTimeToLive(ctx context.Context, in *dynamodbapi.UpdateTimeToLiveInput) (*dynamodbapi.UpdateTimeToLiveOutput, error) {
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	spec := in.TimeToLiveSpecification
	name, enable := deref(spec.AttributeName), deref(spec.Enabled)
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, func() error { return errTableNotFound(ref.name) })
		if err != nil {
			return err
		}
		switch {
		case enable && t.TTL.Enabled:
			return validation("TimeToLive is already enabled")
		case !enable && !t.TTL.Enabled:
			return validation("TimeToLive is already disabled")
		}
		t = t.clone()
		t.TTL = ttlMeta{Enabled: enable}
		if enable {
			t.TTL.Attribute = name
		}
		return saveTable(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UpdateTimeToLiveOutput{TimeToLiveSpecification: &dynamodbapi.TimeToLiveSpecification{AttributeName: ptr(name), Enabled: ptr(enable)}}, nil
}

// DescribeTimeToLive reports a table's time to live setting.
func (s *Service) DescribeTimeToLive(ctx context.Context, in *dynamodbapi.DescribeTimeToLiveInput) (*dynamodbapi.DescribeTimeToLiveOutput, error) {
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	d := &dynamodbapi.TimeToLiveDescription{TimeToLiveStatus: ptr("DISABLED")}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, func() error { return errTableNotFound(ref.name) })
		if err != nil {
			return err
		}
		if t.TTL.Enabled {
			d.TimeToLiveStatus, d.AttributeName = ptr("ENABLED"), ptr(t.TTL.Attribute)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DescribeTimeToLiveOutput{TimeToLiveDescription: d}, nil
}

// TTLTable names a table whose time to live is on, and the attribute that
// holds each item's expiry (epoch seconds).
type TTLTable struct {
	Account, Region, Name string
	Attribute             string
}

// TTLTables lists the tables whose time to live is on, for the expiry
// worker.
func (s *Service) TTLTables(ctx context.Context) ([]TTLTable, error) {
	var out []TTLTable
	err := s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tableTables, storage.Range{}, func(k, v []byte) bool {
			t, err := s.metas.get(k, v)
			if err == nil && t.TTL.Enabled {
				out = append(out, TTLTable{Account: t.Account, Region: t.Region, Name: t.Name, Attribute: t.TTL.Attribute})
			}
			return true
		})
	})
	return out, err
}

// DescribeEndpoints names the endpoint the client used: Nimbus serves
// every region on one address.
func (s *Service) DescribeEndpoints(ctx context.Context, _ *dynamodbapi.DescribeEndpointsInput) (*dynamodbapi.DescribeEndpointsOutput, error) {
	info := request.FromContext(ctx)
	addr := "dynamodb." + info.Region + ".amazonaws.com"
	if u, err := url.Parse(info.Endpoint); err == nil && u.Host != "" {
		addr = u.Host
	}
	return &dynamodbapi.DescribeEndpointsOutput{Endpoints: []dynamodbapi.Endpoint{{Address: ptr(addr), CachePeriodInMinutes: ptr(int64(1440))}}}, nil
}

// DescribeLimits reports DynamoDB's default account and table quotas.
func (s *Service) DescribeLimits(context.Context, *dynamodbapi.DescribeLimitsInput) (*dynamodbapi.DescribeLimitsOutput, error) {
	return &dynamodbapi.DescribeLimitsOutput{
		AccountMaxReadCapacityUnits:  ptr(int64(80000)),
		AccountMaxWriteCapacityUnits: ptr(int64(80000)),
		TableMaxReadCapacityUnits:    ptr(int64(40000)),
		TableMaxWriteCapacityUnits:   ptr(int64(40000)),
	}, nil
}

func errBackupTableNotFound(name string) error {
	return dynamodbapi.ErrTableNotFoundException.New("Table not found: " + name)
}

// UpdateContinuousBackups turns point-in-time recovery on or off. Turning
// it on starts the table's history (pitr.go); turning it off drops it.
func (s *Service) UpdateContinuousBackups(ctx context.Context, in *dynamodbapi.UpdateContinuousBackupsInput) (*dynamodbapi.UpdateContinuousBackupsOutput, error) {
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	spec := in.PointInTimeRecoverySpecification
	var t *tableMeta
	dropped := false
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		cur, err := s.table(tx, ref, func() error { return errBackupTableNotFound(ref.name) })
		if err != nil {
			return err
		}
		t = cur.clone()
		if deref(spec.PointInTimeRecoveryEnabled) {
			days := int32(defaultRecoveryDays)
			if spec.RecoveryPeriodInDays != nil {
				days = *spec.RecoveryPeriodInDays
			}
			if !t.PITR.Enabled {
				t.PITR.EnabledAt = s.now().UTC()
				if t.PITR.History, err = nextID(tx); err != nil {
					return err
				}
			}
			t.PITR.Enabled, t.PITR.Days = true, days
		} else {
			if t.PITR.History != 0 {
				if err := schedulePurge(tx, t.PITR.History); err != nil {
					return err
				}
				dropped = true
			}
			t.PITR = pitrMeta{}
		}
		return saveTable(tx, t)
	})
	if err != nil {
		return nil, err
	}
	if dropped {
		s.goWork(s.purge)
	}
	return &dynamodbapi.UpdateContinuousBackupsOutput{ContinuousBackupsDescription: s.continuousBackups(t)}, nil
}

// DescribeContinuousBackups reports the point-in-time recovery setting.
func (s *Service) DescribeContinuousBackups(ctx context.Context, in *dynamodbapi.DescribeContinuousBackupsInput) (*dynamodbapi.DescribeContinuousBackupsOutput, error) {
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	var t *tableMeta
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		t, err = s.table(tx, ref, func() error { return errBackupTableNotFound(ref.name) })
		return err
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DescribeContinuousBackupsOutput{ContinuousBackupsDescription: s.continuousBackups(t)}, nil
}

func (s *Service) continuousBackups(t *tableMeta) *dynamodbapi.ContinuousBackupsDescription {
	p := &dynamodbapi.PointInTimeRecoveryDescription{PointInTimeRecoveryStatus: ptr("DISABLED")}
	if t.PITR.Enabled {
		earliest, latest := restorableWindow(t.PITR, s.now().UTC())
		p.PointInTimeRecoveryStatus = ptr("ENABLED")
		p.RecoveryPeriodInDays = ptr(t.PITR.Days)
		p.EarliestRestorableDateTime = ptr(earliest)
		p.LatestRestorableDateTime = ptr(latest)
	}
	return &dynamodbapi.ContinuousBackupsDescription{ContinuousBackupsStatus: ptr("ENABLED"), PointInTimeRecoveryDescription: p}
}
