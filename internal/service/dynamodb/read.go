package dynamodb

import (
	"bytes"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// pageBytes is the most item data one Query or Scan page reads.
const pageBytes = 1 << 20

// Select settings.
const (
	selectAll       = "ALL_ATTRIBUTES"
	selectProjected = "ALL_PROJECTED_ATTRIBUTES"
	selectSpecific  = "SPECIFIC_ATTRIBUTES"
	selectCount     = "COUNT"
)

// readSource is what a Query or Scan reads: the table or one of its
// indexes, checked against the request's index and consistency options.
type readSource struct {
	t  *tableMeta
	ix *indexMeta // nil for the table
}

func (r readSource) id() uint64 {
	if r.ix != nil {
		return r.ix.ID
	}
	return r.t.ID
}

func (r readSource) key() keySchema {
	if r.ix != nil {
		return r.ix.Key
	}
	return r.t.Key
}

// exprSchema is the key schema in expr's terms.
func (r readSource) exprSchema() expr.KeySchema {
	k := r.key()
	pt, _ := attr.ParseType(k.Hash.Type)
	out := expr.KeySchema{PartitionKey: k.Hash.Name, PartitionType: pt}
	if k.hasRange() {
		out.SortKey = k.Range.Name
		out.SortType, _ = attr.ParseType(k.Range.Type)
	}
	return out
}

// sourceOf resolves IndexName and checks ConsistentRead against it.
func sourceOf(t *tableMeta, indexName *string, consistent *bool) (readSource, error) {
	src := readSource{t: t}
	if indexName == nil {
		return src, nil
	}
	src.ix = t.index(*indexName)
	if src.ix == nil {
		return src, validationf("The table does not have the specified index: %s", *indexName)
	}
	if src.ix.Global && deref(consistent) {
		return src, validation("Consistent reads are not supported on global secondary indexes")
	}
	if src.ix.Status == statusCreating {
		return src, validationf("Cannot read from backfilling global secondary index: %s", src.ix.Name)
	}
	return src, nil
}

// selectOf checks Select against the projection and the index and returns
// the effective setting.
func selectOf(sel *string, src readSource, hasExpr, hasToGet bool) (string, error) {
	param := "ProjectionExpression"
	if hasToGet {
		param = "AttributesToGet"
	}
	projected := hasExpr || hasToGet
	switch deref(sel) {
	case "":
		switch {
		case projected:
			return selectSpecific, nil
		case src.ix != nil:
			return selectProjected, nil
		}
		return selectAll, nil
	case selectCount:
		if projected {
			return "", validationf("Cannot specify the %s when choosing to get only the Count", param)
		}
	case selectAll:
		if projected {
			return "", validationf("Cannot specify the %s when choosing to get ALL_ATTRIBUTES", param)
		}
		if src.ix != nil && src.ix.Global && src.ix.Projection != projAll {
			return "", validationf("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", src.ix.Name)
		}
	case selectProjected:
		if projected {
			return "", validationf("Cannot specify the %s when choosing to get ALL_PROJECTED_ATTRIBUTES", param)
		}
		if src.ix == nil {
			return "", validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
		}
	case selectSpecific:
		if !projected {
			return "", validation("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
		}
	}
	return *sel, nil
}

// startKey turns an ExclusiveStartKey into the storage key to resume
// after; for an index it holds the table key and the index key.
func startKey(src readSource, esk attr.Item) ([]byte, error) {
	if esk == nil {
		return nil, nil
	}
	if err := attr.NormalizeItem(esk); err != nil {
		return nil, err
	}
	want := map[string]string{}
	for _, k := range []keySchema{src.t.Key, src.key()} {
		want[k.Hash.Name] = k.Hash.Type
		if k.hasRange() {
			want[k.Range.Name] = k.Range.Type
		}
	}
	if len(esk) != len(want) {
		return nil, validation("The provided starting key is invalid: The provided key element does not match the schema")
	}
	for name, typ := range want {
		v, ok := esk[name]
		if !ok || attr.TypeOf(&v).String() != typ {
			return nil, validation("The provided starting key is invalid: The provided key element does not match the schema")
		}
	}
	tableKey, err := src.t.itemKeyOf(esk)
	if err != nil {
		return nil, err
	}
	if src.ix == nil {
		return tableKey, nil
	}
	return spaceKey(src.ix.ID, src.ix.Key, esk, tableKey[keyPrefix:])
}

// lastKey is the LastEvaluatedKey of a page that stopped after item: the
// table key, and for an index the index key as well.
func lastKey(src readSource, item attr.Item) attr.Item {
	out := keyOnly(src.t.Key, item)
	if src.ix != nil {
		for k, v := range keyOnly(src.ix.Key, item) {
			out[k] = v
		}
	}
	return out
}

// pageReader reads one page of a Query or Scan: it applies Limit and the
// 1 MB page size to the items it reads, then the filter, then the
// projection, as DynamoDB does (Count counts what passed the filter,
// ScannedCount what was read).
type pageReader struct {
	tx     storage.Tx
	src    readSource
	limit  int
	filter *expr.Condition
	proj   *expr.Projection
	sel    string

	// fetch is set for a local index whose entries lack attributes the
	// request wants: the item is then read from the table.
	fetch bool

	items        []map[string]dynamodbapi.AttributeValue
	count        int
	scanned      int
	bytesRead    int
	fetchedBytes int
	// lastItem is the entry read last; stopped says the page ended on
	// Limit or size, so that LastEvaluatedKey is lastItem's key.
	lastItem attr.Item
	stopped  bool
	err      error
}

// visit handles one stored entry; it returns false to end the page.
func (p *pageReader) visit(_, v []byte) bool {
	size, _, err := valueSize(v)
	if err != nil {
		p.err = err
		return false
	}
	if p.scanned > 0 && p.bytesRead+size > pageBytes {
		// The previous item ended the page.
		p.stopped = true
		return false
	}
	it, err := decodeValue(v)
	if err != nil {
		p.err = err
		return false
	}
	p.scanned++
	p.bytesRead += size
	item := it.item
	if p.fetch {
		key, err := p.src.t.itemKeyOf(item)
		if err == nil {
			var full *storedItem
			if full, err = getItem(p.tx, key); full != nil {
				item = full.item
				p.fetchedBytes += full.size
			}
		}
		if err != nil {
			p.err = err
			return false
		}
	}
	keep := true
	if p.filter != nil {
		if keep, err = p.filter.Eval(item); err != nil {
			p.err = err
			return false
		}
	}
	if keep {
		p.count++
		if p.sel != selectCount {
			if p.proj != nil {
				item = p.proj.Apply(item)
			}
			p.items = append(p.items, item)
		}
	}
	p.lastItem = it.item
	if p.limit > 0 && p.scanned >= p.limit {
		p.stopped = true
		return false
	}
	return true
}

// lastEvaluated is the page's LastEvaluatedKey: nil when the page reached
// the end of what the request selects.
func (p *pageReader) lastEvaluated() attr.Item {
	if !p.stopped || p.lastItem == nil {
		return nil
	}
	return lastKey(p.src, p.lastItem)
}

// needsFetch reports whether reading a local index must go back to the
// table: Select ALL_ATTRIBUTES, or a projection or filter naming an
// attribute the index does not keep.
func needsFetch(src readSource, sel string, proj *expr.Projection) bool {
	if src.ix == nil || src.ix.Global || src.ix.Projection == projAll {
		return false
	}
	if sel == selectAll {
		return true
	}
	if proj != nil {
		for _, a := range proj.Attributes() {
			if !src.ix.projects(a, src.t.Key) {
				return true
			}
		}
	}
	return false
}

// keyBounds is the half-open interval [lo, hi) of storage keys a key
// condition selects in one partition.
func keyBounds(prefix []byte, kc *expr.KeyCondition) (lo, hi []byte, err error) {
	enc := func(v *attr.Value) ([]byte, error) {
		return attr.AppendKey(append([]byte(nil), prefix...), v)
	}
	end := prefixEnd(prefix)
	switch kc.SortOp {
	case expr.KeyNone:
		return prefix, end, nil
	case expr.KeyEQ:
		k, err := enc(&kc.SortValues[0])
		return k, prefixEnd(k), err
	case expr.KeyLT:
		k, err := enc(&kc.SortValues[0])
		return prefix, k, err
	case expr.KeyLE:
		k, err := enc(&kc.SortValues[0])
		return prefix, prefixEnd(k), err
	case expr.KeyGT:
		k, err := enc(&kc.SortValues[0])
		return prefixEnd(k), end, err
	case expr.KeyGE:
		k, err := enc(&kc.SortValues[0])
		return k, end, err
	case expr.KeyBetween:
		a, err := enc(&kc.SortValues[0])
		if err != nil {
			return nil, nil, err
		}
		b, err := enc(&kc.SortValues[1])
		return a, prefixEnd(b), err
	case expr.KeyBeginsWith:
		// Every value with the prefix encodes to bytes that start with the
		// prefix's own encoding without its terminator.
		v := kc.SortValues[0]
		p := append([]byte(nil), prefix...)
		switch {
		case v.S != nil:
			p = attr.AppendKeyPrefix(p, *v.S)
		case v.B != nil:
			p = attr.AppendKeyPrefix(p, v.B)
		}
		return p, prefixEnd(p), nil
	}
	return prefix, end, nil
}

// prefixEnd is the least key above every key that starts with p.
func prefixEnd(p []byte) []byte {
	if s := bytesSuccessor(p); s != nil {
		return s
	}
	return nil
}

// bytesSuccessor is the least byte string greater than every string with
// prefix p, or nil when there is none (p is all 0xff).
func bytesSuccessor(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			s := append([]byte(nil), p[:i+1]...)
			s[i]++
			return s
		}
	}
	return nil
}

// scanRange walks the keys in [lo, hi) (hi nil: to the end of lo's key
// space) after
// the start key, forwards or backwards, calling fn with each value.
func scanRange(tx storage.Tx, lo, hi, after []byte, reverse bool, fn func(k, v []byte) bool) error {
	r := storage.Range{Reverse: reverse}
	if hi == nil {
		hi = prefixEnd(lo[:idLen])
	}
	if !reverse {
		r.Start = lo
		r.After = after
		return tx.Scan(itemsTableOf(lo), r, func(k, v []byte) bool {
			if hi != nil && bytes.Compare(k, hi) >= 0 {
				return false
			}
			return fn(k, v)
		})
	}
	// Backwards: the scan starts below the tighter of hi and the start key.
	upper := hi
	if after != nil && (upper == nil || bytes.Compare(after, upper) < 0) {
		upper = after
	}
	r.After = upper
	return tx.Scan(itemsTableOf(lo), r, func(k, v []byte) bool {
		if bytes.Compare(k, lo) < 0 {
			return false
		}
		return fn(k, v)
	})
}
