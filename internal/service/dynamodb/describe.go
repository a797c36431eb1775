package dynamodb

import (
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// describe builds the TableDescription of t, with the live item counts
// and sizes of the table and its indexes read in tx.
func describe(tx storage.Tx, t *tableMeta) (*dynamodbapi.TableDescription, error) {
	d := describeStatic(t)
	st, err := readStats(tx, t.ID)
	if err != nil {
		return nil, err
	}
	d.ItemCount, d.TableSizeBytes = ptr(st.Count), ptr(st.Bytes)
	for i, ix := range t.LSIs {
		st, err := readStats(tx, ix.ID)
		if err != nil {
			return nil, err
		}
		d.LocalSecondaryIndexes[i].ItemCount, d.LocalSecondaryIndexes[i].IndexSizeBytes = ptr(st.Count), ptr(st.Bytes)
	}
	for i, ix := range t.GSIs {
		st, err := readStats(tx, ix.ID)
		if err != nil {
			return nil, err
		}
		d.GlobalSecondaryIndexes[i].ItemCount, d.GlobalSecondaryIndexes[i].IndexSizeBytes = ptr(st.Count), ptr(st.Bytes)
	}
	return d, nil
}

// describeStatic builds the TableDescription of t with zero counts, as
// CreateTable returns it.
func describeStatic(t *tableMeta) *dynamodbapi.TableDescription {
	attrs := make([]dynamodbapi.AttributeDefinition, len(t.AttrDefs))
	for i, a := range t.AttrDefs {
		attrs[i] = dynamodbapi.AttributeDefinition{AttributeName: ptr(a.Name), AttributeType: ptr(a.Type)}
	}
	d := &dynamodbapi.TableDescription{
		AttributeDefinitions:      attrs,
		TableName:                 ptr(t.Name),
		KeySchema:                 t.Key.elements(),
		TableStatus:               ptr(t.Status),
		CreationDateTime:          ptr(t.Created),
		ProvisionedThroughput:     throughputDesc(t.RCU, t.WCU, t.LastIncrease, t.LastDecrease, t.DecreasesToday),
		TableSizeBytes:            ptr(int64(0)),
		ItemCount:                 ptr(int64(0)),
		TableArn:                  ptr(t.arn()),
		TableId:                   ptr(t.UUID),
		DeletionProtectionEnabled: ptr(t.DeletionProtection),
	}
	if t.Billing == billingOnDemand || !t.BillingChanged.IsZero() || t.WasOnDemand {
		d.BillingModeSummary = &dynamodbapi.BillingModeSummary{BillingMode: ptr(t.Billing)}
		if !t.BillingChanged.IsZero() {
			d.BillingModeSummary.LastUpdateToPayPerRequestDateTime = ptr(t.BillingChanged)
		}
	}
	if t.OnDemand != nil {
		d.OnDemandThroughput = &dynamodbapi.OnDemandThroughput{MaxReadRequestUnits: ptr(t.OnDemand.Read), MaxWriteRequestUnits: ptr(t.OnDemand.Write)}
	}
	if t.Warm != nil {
		d.WarmThroughput = &dynamodbapi.TableWarmThroughputDescription{ReadUnitsPerSecond: ptr(t.Warm.Read), WriteUnitsPerSecond: ptr(t.Warm.Write), Status: ptr(statusActive)}
	}
	if t.TableClass != "" {
		d.TableClassSummary = &dynamodbapi.TableClassSummary{TableClass: ptr(t.TableClass)}
		if !t.TableClassChanged.IsZero() {
			d.TableClassSummary.LastUpdateDateTime = ptr(t.TableClassChanged)
		}
	}
	if t.Stream.Enabled {
		d.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr(t.Stream.ViewType)}
		d.LatestStreamLabel, d.LatestStreamArn = ptr(t.Stream.Label), ptr(t.streamARN(t.Stream.Label))
	} else if t.LastStream != nil {
		d.LatestStreamLabel, d.LatestStreamArn = ptr(t.LastStream.Label), ptr(t.streamARN(t.LastStream.Label))
	}
	if t.Restore != nil {
		d.RestoreSummary = t.Restore.summary()
	}
	if t.SSE != nil {
		d.SSEDescription = &dynamodbapi.SSEDescription{Status: ptr("ENABLED"), SSEType: ptr(t.SSE.Type), KMSMasterKeyArn: ptr(t.SSE.KMSKey)}
	}
	for _, ix := range t.LSIs {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, dynamodbapi.LocalSecondaryIndexDescription{
			IndexName:      ptr(ix.Name),
			KeySchema:      ix.Key.elements(),
			Projection:     projectionDesc(ix),
			IndexSizeBytes: ptr(int64(0)),
			ItemCount:      ptr(int64(0)),
			IndexArn:       ptr(t.arn() + "/index/" + ix.Name),
		})
	}
	for _, ix := range t.GSIs {
		g := dynamodbapi.GlobalSecondaryIndexDescription{
			IndexName:             ptr(ix.Name),
			KeySchema:             ix.Key.elements(),
			Projection:            projectionDesc(ix),
			IndexStatus:           ptr(ix.Status),
			ProvisionedThroughput: throughputDesc(ix.RCU, ix.WCU, time.Time{}, time.Time{}, 0),
			IndexSizeBytes:        ptr(int64(0)),
			ItemCount:             ptr(int64(0)),
			IndexArn:              ptr(t.arn() + "/index/" + ix.Name),
		}
		if ix.Status == statusCreating {
			g.Backfilling = ptr(ix.Backfilling)
		}
		if ix.OnDemand != nil {
			g.OnDemandThroughput = &dynamodbapi.OnDemandThroughput{MaxReadRequestUnits: ptr(ix.OnDemand.Read), MaxWriteRequestUnits: ptr(ix.OnDemand.Write)}
		}
		if ix.Warm != nil {
			g.WarmThroughput = &dynamodbapi.GlobalSecondaryIndexWarmThroughputDescription{ReadUnitsPerSecond: ptr(ix.Warm.Read), WriteUnitsPerSecond: ptr(ix.Warm.Write), Status: ptr(statusActive)}
		}
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, g)
	}
	return d
}

func throughputDesc(rcu, wcu int64, inc, dec time.Time, decreases int64) *dynamodbapi.ProvisionedThroughputDescription {
	p := &dynamodbapi.ProvisionedThroughputDescription{
		ReadCapacityUnits:      ptr(rcu),
		WriteCapacityUnits:     ptr(wcu),
		NumberOfDecreasesToday: ptr(decreases),
	}
	if !inc.IsZero() {
		p.LastIncreaseDateTime = ptr(inc)
	}
	if !dec.IsZero() {
		p.LastDecreaseDateTime = ptr(dec)
	}
	return p
}

func projectionDesc(ix *indexMeta) *dynamodbapi.Projection {
	p := &dynamodbapi.Projection{ProjectionType: ptr(ix.Projection)}
	if len(ix.NonKey) > 0 {
		p.NonKeyAttributes = append([]string(nil), ix.NonKey...)
	}
	return p
}
