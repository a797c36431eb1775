package dynamodb

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Contributor Insights is a setting per table and per global secondary
// index. Nimbus keeps no CloudWatch rules, so it records the setting and
// the names of the rules DynamoDB would have created. Like tables, the
// setting settles at once: UpdateContributorInsights answers ENABLING or
// DISABLING as DynamoDB does, and DescribeContributorInsights already
// reports ENABLED or DISABLED.

// Contributor Insights statuses and modes.
const (
	insightsEnabling  = "ENABLING"
	insightsEnabled   = "ENABLED"
	insightsDisabling = "DISABLING"
	insightsDisabled  = "DISABLED"

	insightsAllKeys       = "ACCESSED_AND_THROTTLED_KEYS"
	insightsThrottledKeys = "THROTTLED_KEYS"
)

// maxInsightsPage is the largest (and the default) page of
// ListContributorInsights.
const maxInsightsPage = 100

// insightsMeta is the Contributor Insights setting of a table (IndexID 0)
// or of one of its global secondary indexes.
type insightsMeta struct {
	TableID uint64 `json:"table"`
	IndexID uint64 `json:"index,omitempty"`
	Enabled bool   `json:"on,omitempty"`
	Mode    string `json:"mode"`
	// Stamp is the creation time, in Unix milliseconds, of the rules:
	// their names end with it, and a change of mode keeps it.
	Stamp   int64     `json:"stamp"`
	Updated time.Time `json:"updated"`
}

// insightsTarget is the table, and index when one is named, that an
// insights request is about.
type insightsTarget struct {
	table *tableMeta
	index *indexMeta
}

func (g insightsTarget) key() []byte {
	name := ""
	if g.index != nil {
		name = g.index.Name
	}
	return extrasKey(g.table.Account, g.table.Region, g.table.Name, name)
}

// current returns the stored setting, or nil when there is none (or only
// one left from a deleted table or index of the same name).
func (g insightsTarget) current(tx storage.Tx) (*insightsMeta, error) {
	var m insightsMeta
	found, err := loadExtra(tx, tableInsights, g.key(), &m)
	if err != nil || !found || !g.owns(&m) {
		return nil, err
	}
	return &m, nil
}

func (g insightsTarget) owns(m *insightsMeta) bool {
	if m.TableID != g.table.ID {
		return false
	}
	if g.index == nil {
		return m.IndexID == 0
	}
	return m.IndexID == g.index.ID
}

// rules names the CloudWatch rules of a setting: the most accessed (C) and
// most throttled (T) partition keys (PK) and, when the table or index has
// one, sort keys (SK). THROTTLED_KEYS mode has only the throttled ones.
func (g insightsTarget) rules(m *insightsMeta) []string {
	resource := g.table.Name
	key := g.table.Key
	if g.index != nil {
		resource += "-" + g.index.Name
		key = g.index.Key
	}
	suffix := "-" + resource + "-" + strconv.FormatInt(m.Stamp, 10)
	kinds := []string{"PKC", "PKT", "SKC", "SKT"}
	if !key.hasRange() {
		kinds = kinds[:2]
	}
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		if m.Mode == insightsThrottledKeys && k[2] == 'C' {
			continue
		}
		out = append(out, "DynamoDBContributorInsights-"+k+suffix)
	}
	return out
}

// resolveInsights finds the table and the global secondary index an
// insights request names.
func (s *Service) resolveInsights(tx storage.Tx, ref tableRef, indexName string) (insightsTarget, error) {
	t, err := s.table(tx, ref, func() error { return errTableNotFound(ref.name) })
	if err != nil {
		return insightsTarget{}, err
	}
	g := insightsTarget{table: t}
	if indexName == "" {
		return g, nil
	}
	for _, ix := range t.GSIs {
		if ix.Name == indexName {
			g.index = ix
			return g, nil
		}
	}
	// Local secondary indexes have no insights of their own.
	return insightsTarget{}, dynamodbapi.ErrResourceNotFoundException.New(
		"Requested resource not found: Index: " + indexName + " not found for table: " + t.Name)
}

// UpdateContributorInsights turns Contributor Insights on or off for a
// table or a global secondary index, or changes its mode.
func (s *Service) UpdateContributorInsights(ctx context.Context, in *dynamodbapi.UpdateContributorInsightsInput) (*dynamodbapi.UpdateContributorInsightsOutput, error) {
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	enable := deref(in.ContributorInsightsAction) == "ENABLE"
	var out *dynamodbapi.UpdateContributorInsightsOutput
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		g, err := s.resolveInsights(tx, ref, deref(in.IndexName))
		if err != nil {
			return err
		}
		if enable && g.index != nil && g.index.Status == statusCreating {
			return validation("IndexStatus must be ACTIVE")
		}
		cur, err := g.current(tx)
		if err != nil {
			return err
		}
		out = &dynamodbapi.UpdateContributorInsightsOutput{TableName: ptr(g.table.Name), IndexName: in.IndexName}
		now := s.now().UTC()
		var next insightsMeta
		switch {
		case enable:
			// ENABLE without a mode means the default mode, even when
			// another one is set.
			mode := deref(in.ContributorInsightsMode)
			if mode == "" {
				mode = insightsAllKeys
			}
			out.ContributorInsightsMode = ptr(mode)
			if cur != nil && cur.Enabled && cur.Mode == mode {
				out.ContributorInsightsStatus = ptr(insightsEnabled)
				return nil
			}
			next = insightsMeta{TableID: g.table.ID, Enabled: true, Mode: mode, Stamp: now.UnixMilli(), Updated: now}
			if cur != nil && cur.Enabled {
				next.Stamp = cur.Stamp
			}
			out.ContributorInsightsStatus = ptr(insightsEnabling)
		default:
			if cur == nil || !cur.Enabled {
				out.ContributorInsightsStatus = ptr(insightsDisabled)
				if cur != nil {
					out.ContributorInsightsMode = ptr(cur.Mode)
				}
				return nil
			}
			// DISABLE answers with the mode that was on, whatever mode
			// the request names.
			next = *cur
			next.Enabled, next.Updated = false, now
			out.ContributorInsightsMode = ptr(cur.Mode)
			out.ContributorInsightsStatus = ptr(insightsDisabling)
		}
		if g.index != nil {
			next.IndexID = g.index.ID
		}
		return saveExtra(tx, tableInsights, g.key(), &next)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeContributorInsights reports the Contributor Insights setting of
// a table or a global secondary index.
func (s *Service) DescribeContributorInsights(ctx context.Context, in *dynamodbapi.DescribeContributorInsightsInput) (*dynamodbapi.DescribeContributorInsightsOutput, error) {
	ref := refOf(request.FromContext(ctx), deref(in.TableName))
	var out *dynamodbapi.DescribeContributorInsightsOutput
	err := s.db.View(ctx, func(tx storage.Tx) error {
		g, err := s.resolveInsights(tx, ref, deref(in.IndexName))
		if err != nil {
			return err
		}
		cur, err := g.current(tx)
		if err != nil {
			return err
		}
		out = &dynamodbapi.DescribeContributorInsightsOutput{
			TableName: ptr(g.table.Name), IndexName: in.IndexName,
			ContributorInsightsStatus: ptr(insightsDisabled),
		}
		if cur == nil {
			// Never turned on: no mode and no update time yet.
			return nil
		}
		out.ContributorInsightsMode = ptr(cur.Mode)
		out.LastUpdateDateTime = ptr(cur.Updated)
		if cur.Enabled {
			out.ContributorInsightsStatus = ptr(insightsEnabled)
			out.ContributorInsightsRuleList = g.rules(cur)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListContributorInsights lists the tables and global secondary indexes
// of the account and region (or of one table) that have Contributor
// Insights on, a table before its indexes.
func (s *Service) ListContributorInsights(ctx context.Context, in *dynamodbapi.ListContributorInsightsInput) (*dynamodbapi.ListContributorInsightsOutput, error) {
	info := request.FromContext(ctx)
	limit := maxInsightsPage
	if n := deref(in.MaxResults); n > 0 {
		limit = int(n)
	}
	base := metaKey(info.Account, info.Region, "")
	var after []byte
	if tok := deref(in.NextToken); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) == 0 {
			return nil, validation("Invalid NextToken: " + tok)
		}
		after = append(bytes.Clone(base), raw...)
	}
	out := &dynamodbapi.ListContributorInsightsOutput{ContributorInsightsSummaries: []dynamodbapi.ContributorInsightsSummary{}}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		prefix := base
		if name := deref(in.TableName); name != "" {
			ref := refOf(info, name)
			t, err := s.table(tx, ref, func() error { return errTableNotFound(ref.name) })
			if err != nil {
				return err
			}
			prefix = extrasPrefix(t)
		}
		type entry struct {
			key  []byte
			meta insightsMeta
		}
		var entries []entry
		err := tx.Scan(tableInsights, storage.Range{Prefix: prefix, After: after}, func(k, v []byte) bool {
			var m insightsMeta
			if json.Unmarshal(v, &m) == nil && m.Enabled {
				entries = append(entries, entry{bytes.Clone(k), m})
			}
			return true
		})
		if err != nil {
			return err
		}
		tables := map[string]*tableMeta{}
		for _, e := range entries {
			name, index, _ := bytes.Cut(e.key[len(base):], []byte{0})
			t, ok := tables[string(name)]
			if !ok {
				if t, err = s.loadTable(tx, tableRef{info.Account, info.Region, string(name)}); err != nil {
					return err
				}
				tables[string(name)] = t
			}
			if t == nil {
				continue
			}
			g := insightsTarget{table: t}
			if len(index) > 0 {
				if g.index = t.index(string(index)); g.index == nil {
					continue
				}
			}
			if !g.owns(&e.meta) {
				continue
			}
			if len(out.ContributorInsightsSummaries) == limit {
				last := out.ContributorInsightsSummaries[limit-1]
				lastKey := extrasKey(info.Account, info.Region, deref(last.TableName), deref(last.IndexName))
				out.NextToken = ptr(base64.RawURLEncoding.EncodeToString(lastKey[len(base):]))
				return nil
			}
			sum := dynamodbapi.ContributorInsightsSummary{
				TableName:                 ptr(t.Name),
				ContributorInsightsStatus: ptr(insightsEnabled),
				ContributorInsightsMode:   ptr(e.meta.Mode),
			}
			if g.index != nil {
				sum.IndexName = ptr(g.index.Name)
			}
			out.ContributorInsightsSummaries = append(out.ContributorInsightsSummaries, sum)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
