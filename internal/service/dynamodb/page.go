package dynamodb

import (
	"context"
	"math"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// pageRequest is a Query or a Scan in the terms of the paging they share:
// the table or index read, Select, the start key, Limit, the filter and
// projection, and where in the key space the page lies.
type pageRequest struct {
	table, index   *string
	consistent     *bool
	selectParam    *string
	projExpr       bool // ProjectionExpression given
	attributesList bool // AttributesToGet given
	startKey       attr.Item
	limit          *int32
	filter         *expr.Condition
	proj           *expr.Projection
	capacity       *string

	// checkSource, when set, runs once the table or index is known, before
	// Select and the start key are checked (Query parses its key
	// condition there, which needs the key schema).
	checkSource func(src readSource) error
	// scope returns the keys the page reads, given the storage key to
	// resume after (nil for the first page).
	scope func(src readSource, after []byte) (pageScope, error)
}

// pageScope is the interval of keys [lo, hi) a page walks, and how.
type pageScope struct {
	lo, hi  []byte
	reverse bool
	// visit, when set, wraps the page reader's visit (a parallel Scan
	// skips the partitions outside its segment).
	visit func(p *pageReader) func(k, v []byte) bool
}

// readPage reads one page of a Query or Scan into out.
func readPage[P page](s *Service, ctx context.Context, req *pageRequest, out P) error {
	ref := refOf(request.FromContext(ctx), deref(req.table))
	return s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, errNoResource)
		if err != nil {
			return err
		}
		src, err := sourceOf(t, req.index, req.consistent)
		if err != nil {
			return err
		}
		if req.checkSource != nil {
			if err := req.checkSource(src); err != nil {
				return err
			}
		}
		sel, err := selectOf(req.selectParam, src, req.projExpr, req.attributesList)
		if err != nil {
			return err
		}
		after, err := startKey(src, req.startKey)
		if err != nil {
			return err
		}
		scope, err := req.scope(src, after)
		if err != nil {
			return err
		}
		p := &pageReader{tx: tx, src: src, limit: int(deref(req.limit)), filter: req.filter, proj: req.proj, sel: sel}
		p.fetch = needsFetch(src, sel, req.proj)
		visit := p.visit
		if scope.visit != nil {
			visit = scope.visit(p)
		}
		if err := scanRange(tx, scope.lo, scope.hi, after, scope.reverse, visit); err != nil {
			return err
		}
		if p.err != nil {
			return p.err
		}
		fillPage(out, p, sel, readCapacity(req.capacity, *req.table, src, p, deref(req.consistent)))
		return nil
	})
}

// readExpressions parses the filter (FilterExpression or the legacy
// QueryFilter/ScanFilter) and the projection of a Query or Scan, and
// returns what they use of the expression attribute names and values.
func readExpressions(filterExpr *string, legacyName string, legacy map[string]dynamodbapi.Condition, op *string,
	projExpr *string, toGet []string, names expr.Names, values expr.Values) (*expr.Condition, *expr.Projection, []expr.Usage, error) {
	filter, used, err := readFilter(filterExpr, legacyName, legacy, op, names, values)
	if err != nil {
		return nil, nil, nil, err
	}
	proj, pused, err := parseProjection(projExpr, toGet, names)
	if err != nil {
		return nil, nil, nil, err
	}
	return filter, proj, append(used, pused...), nil
}

// readFilter parses FilterExpression or the legacy QueryFilter/ScanFilter.
func readFilter(fexpr *string, legacyName string, legacy map[string]dynamodbapi.Condition, op *string, names expr.Names, values expr.Values) (*expr.Condition, []expr.Usage, error) {
	switch {
	case fexpr != nil:
		c, err := expr.ParseCondition(expr.KindFilter, *fexpr, names, values)
		if err != nil {
			return nil, nil, err
		}
		return c, usages(c), nil
	case legacy != nil:
		c, err := expr.ConditionFromFilter(legacyName, legacy, op)
		return c, nil, err
	}
	return nil, nil, nil
}

// page is what Query and Scan outputs share.
type page interface {
	*dynamodbapi.QueryOutput | *dynamodbapi.ScanOutput
}

func fillPage[P page](out P, p *pageReader, sel string, cc *dynamodbapi.ConsumedCapacity) {
	items := p.items
	if sel != selectCount && items == nil {
		items = []map[string]dynamodbapi.AttributeValue{}
	}
	count, scanned := ptr(clamp32(p.count)), ptr(clamp32(p.scanned))
	switch o := any(out).(type) {
	case *dynamodbapi.QueryOutput:
		o.Items, o.Count, o.ScannedCount, o.LastEvaluatedKey, o.ConsumedCapacity = items, count, scanned, p.lastEvaluated(), cc
	case *dynamodbapi.ScanOutput:
		o.Items, o.Count, o.ScannedCount, o.LastEvaluatedKey, o.ConsumedCapacity = items, count, scanned, p.lastEvaluated(), cc
	}
}

func clamp32(n int) int32 {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(n)
}

// readCapacity charges a page: the bytes read from the table or index,
// plus items fetched from the table for a local index.
func readCapacity(mode *string, name string, src readSource, p *pageReader, consistent bool) *dynamodbapi.ConsumedCapacity {
	if mode == nil {
		return nil
	}
	units := readUnits(p.bytesRead, consistent)
	if src.ix == nil {
		return consumed(mode, name, false, units, nil, 1)
	}
	var table float64
	if p.fetchedBytes > 0 {
		table = readUnits(p.fetchedBytes, consistent)
	}
	return consumed(mode, name, false, table, map[*indexMeta]float64{src.ix: units}, 1)
}
