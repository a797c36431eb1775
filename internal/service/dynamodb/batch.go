package dynamodb

import (
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Limits of the batch operations (DynamoDB developer guide, "Service,
// account, and table quotas").
const (
	maxBatchGetKeys = 100
	maxBatchWrites  = 25
	// batchGetBytes is the most item data one BatchGetItem returns; the
	// keys past it come back in UnprocessedKeys.
	batchGetBytes = 16 << 20
)

const msgDuplicateKeys = "Provided list of item keys contains duplicates"

// sortedNames returns the keys of a request's table map in order, so that
// the error a request gets does not depend on map iteration.
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// keyIdentity is a table-independent identity of a key parameter, to find
// duplicates before the table's schema is known: the attribute names in
// order with their (normalized) values.
func keyIdentity(key attr.Item) string {
	names := sortedNames(key)
	var b []byte
	for _, name := range names {
		b = append(b, name...)
		b = append(b, 0)
		v := key[name]
		if enc, err := attr.AppendKey(b, &v); err == nil {
			b = enc
		} else {
			// Not a key type: the schema check refuses it later anyway.
			b = attr.AppendItem(b, attr.Item{"": v})
		}
		b = append(b, 0)
	}
	return string(b)
}

// batchGetTable is one table's part of a BatchGetItem, checked.
type batchGetTable struct {
	name string
	in   dynamodbapi.KeysAndAttributes
	proj *expr.Projection
}

// BatchGetItem reads up to 100 items from one or more tables, in one
// consistent snapshot.
func (s *Service) BatchGetItem(ctx context.Context, in *dynamodbapi.BatchGetItemInput) (*dynamodbapi.BatchGetItemOutput, error) {
	names := sortedNames(in.RequestItems)
	total := 0
	for _, name := range names {
		total += len(in.RequestItems[name].Keys)
	}
	if total > maxBatchGetKeys {
		return nil, validation("Too many items requested for the BatchGetItem call")
	}
	tables := make([]batchGetTable, 0, len(names))
	for _, name := range names {
		ka := in.RequestItems[name]
		if err := expr.CheckParams(setParams("AttributesToGet", ka.AttributesToGet != nil), setParams("ProjectionExpression", ka.ProjectionExpression),
			nil, ka.ExpressionAttributeNames, nil); err != nil {
			return nil, err
		}
		proj, used, err := parseProjection(ka.ProjectionExpression, ka.AttributesToGet, ka.ExpressionAttributeNames)
		if err != nil {
			return nil, err
		}
		if err := expr.CheckUnused(ka.ExpressionAttributeNames, nil, used...); err != nil {
			return nil, err
		}
		seen := make(map[string]bool, len(ka.Keys))
		for _, key := range ka.Keys {
			if err := attr.NormalizeItem(key); err != nil {
				return nil, err
			}
			id := keyIdentity(key)
			if seen[id] {
				return nil, validation(msgDuplicateKeys)
			}
			seen[id] = true
		}
		tables = append(tables, batchGetTable{name: name, in: ka, proj: proj})
	}

	info := request.FromContext(ctx)
	out := &dynamodbapi.BatchGetItemOutput{
		Responses:       make(map[string][]map[string]dynamodbapi.AttributeValue, len(tables)),
		UnprocessedKeys: map[string]dynamodbapi.KeysAndAttributes{},
	}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		keys := make([][][]byte, len(tables))
		for i, bt := range tables {
			t, err := s.table(tx, refOf(info, bt.name), errNoResource)
			if err != nil {
				return err
			}
			for _, key := range bt.in.Keys {
				if err := t.checkKeyArg(key); err != nil {
					return err
				}
				k, err := t.itemKeyOf(key)
				if err != nil {
					return err
				}
				keys[i] = append(keys[i], k)
			}
		}
		budget := batchGetBytes
		for i, bt := range tables {
			items := []map[string]dynamodbapi.AttributeValue{}
			consistent := deref(bt.in.ConsistentRead)
			units := 0.0
			var unprocessed []map[string]dynamodbapi.AttributeValue
			for j, k := range keys[i] {
				if budget <= 0 {
					unprocessed = append(unprocessed, bt.in.Keys[j])
					continue
				}
				it, err := peekItem(tx, k)
				if err != nil {
					return err
				}
				size := 0
				if it != nil {
					// An item that does not fit ends the response (items
					// are at most 400 KB, so the first one always fits).
					if size = it.size; size > budget {
						unprocessed = append(unprocessed, bt.in.Keys[j])
						budget = 0
						continue
					}
					item, err := it.decoded()
					if err != nil {
						return err
					}
					if bt.proj != nil {
						item = bt.proj.Apply(item)
					}
					items = append(items, item)
					budget -= size
				}
				units += readUnits(size, consistent)
			}
			out.Responses[bt.name] = items
			if unprocessed != nil {
				rest := bt.in
				rest.Keys = unprocessed
				out.UnprocessedKeys[bt.name] = rest
			}
			if c := consumed(in.ReturnConsumedCapacity, bt.name, false, units, nil, 1); c != nil {
				out.ConsumedCapacity = append(out.ConsumedCapacity, *c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// batchWrite is one checked entry of a BatchWriteItem.
type batchWrite struct {
	table string
	put   *storedItem // nil for a delete
	key   attr.Item   // the delete's key, or the put's item
}

// msgWriteRequestUnion is what DynamoDB answers a WriteRequest that holds
// neither or both of PutRequest and DeleteRequest: the words of its
// generic union check.
const msgWriteRequestUnion = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"

// checkBatchWriteSizes applies the per-table (1 to 25 requests) and total
// (25) limits of BatchWriteItem with DynamoDB's messages.
func checkBatchWriteSizes(items map[string][]dynamodbapi.WriteRequest, names []string) error {
	total := 0
	for _, name := range names {
		n := len(items[name])
		if n < 1 || n > maxBatchWrites {
			return validation("1 validation error detected: Value '" + describeWriteMap(items, names) +
				"' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
		}
		total += n
	}
	if total > maxBatchWrites {
		return validation("Too many items requested for the BatchWriteItem call")
	}
	return nil
}

// describeWriteMap renders RequestItems as DynamoDB's validation message
// does: each table with its requests as opaque object names.
func describeWriteMap(items map[string][]dynamodbapi.WriteRequest, names []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name)
		b.WriteString("=[")
		for j, wr := range items[name] {
			if j > 0 {
				b.WriteString(", ")
			}
			h := fnv.New32a()
			if wr.PutRequest != nil {
				h.Write(attr.AppendItem(nil, wr.PutRequest.Item))
			}
			if wr.DeleteRequest != nil {
				h.Write(attr.AppendItem(nil, wr.DeleteRequest.Key))
			}
			b.WriteString("com.amazonaws.dynamodb.v20120810.WriteRequest@")
			b.WriteString(strconv.FormatUint(uint64(h.Sum32()), 16))
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.String()
}

// BatchWriteItem puts and deletes up to 25 items in one or more tables.
// Every entry is checked before any is written, and all of them are
// written in one storage transaction (which concurrent single-item writes
// may share): nothing is ever left unprocessed.
func (s *Service) BatchWriteItem(ctx context.Context, in *dynamodbapi.BatchWriteItemInput) (*dynamodbapi.BatchWriteItemOutput, error) {
	names := sortedNames(in.RequestItems)
	if err := checkBatchWriteSizes(in.RequestItems, names); err != nil {
		return nil, err
	}
	writes := make([]batchWrite, 0, maxBatchWrites)
	for _, name := range names {
		for _, wr := range in.RequestItems[name] {
			switch {
			case (wr.PutRequest == nil) == (wr.DeleteRequest == nil):
				return nil, validation(msgWriteRequestUnion)
			case wr.PutRequest != nil:
				if err := attr.NormalizeItem(wr.PutRequest.Item); err != nil {
					return nil, err
				}
				it := newStoredItem(wr.PutRequest.Item)
				if err := checkItemSize(it, "Item size has exceeded the maximum allowed size"); err != nil {
					return nil, err
				}
				writes = append(writes, batchWrite{table: name, put: it, key: it.item})
			default:
				if err := attr.NormalizeItem(wr.DeleteRequest.Key); err != nil {
					return nil, err
				}
				writes = append(writes, batchWrite{table: name, key: wr.DeleteRequest.Key})
			}
		}
	}
	info := request.FromContext(ctx)
	var out *dynamodbapi.BatchWriteItemOutput
	err := s.updateItem(ctx, func(w *itemWriter) error {
		// The function may run again (see groupcommit.go): start afresh.
		out = &dynamodbapi.BatchWriteItemOutput{UnprocessedItems: map[string][]dynamodbapi.WriteRequest{}}
		return s.batchWrite(w, info, in, names, writes, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// batchWrite checks every entry against its table, then writes them all.
// It fails only before it writes (as group commit prefers), except for
// errors of the storage itself and an item collection grown past its
// limit (ItemCollectionSizeLimitExceededException), which fails the
// whole batch after its first writes: group commit then runs it alone.
func (s *Service) batchWrite(w *itemWriter, info *request.Info, in *dynamodbapi.BatchWriteItemInput, names []string, writes []batchWrite, out *dynamodbapi.BatchWriteItemOutput) error {
	metas := make(map[string]*tableMeta, len(names))
	for _, name := range names {
		t, err := s.table(w.tx, refOf(info, name), errNoResource)
		if err != nil {
			return err
		}
		metas[name] = t
	}
	keys := make([][]byte, len(writes))
	seen := make(map[string]struct{}, len(writes))
	for i, bw := range writes {
		t := metas[bw.table]
		if bw.put != nil {
			// Unlike PutItem's, a batch put's key attributes missing or of
			// the wrong type get the words of a Key parameter's.
			if t.checkItemKeyTypes(bw.key) != nil {
				return validation(errKeySchema)
			}
			if err := t.checkKeyValues(bw.key); err != nil {
				return err
			}
			if err := t.checkIndexKeys(bw.key, false); err != nil {
				return err
			}
		} else if err := t.checkKeyArg(bw.key); err != nil {
			return err
		}
		k, err := t.itemKeyOf(bw.key)
		if err != nil {
			return err
		}
		if _, dup := seen[string(k)]; dup {
			return validation(msgDuplicateKeys)
		}
		seen[string(k)] = struct{}{}
		keys[i] = k
	}

	type tableCost struct {
		table   float64
		indexes map[*indexMeta]float64
	}
	costs := make(map[string]*tableCost, len(names))
	for i, bw := range writes {
		t := metas[bw.table]
		old, err := peekItem(w.tx, keys[i])
		if err != nil {
			return err
		}
		cost, err := w.writeItem(t, keys[i], old, bw.put)
		if err != nil {
			return err
		}
		tc := costs[bw.table]
		if tc == nil {
			tc = &tableCost{}
			costs[bw.table] = tc
		}
		tc.table += cost.table
		for ix, u := range cost.indexes {
			if tc.indexes == nil {
				tc.indexes = make(map[*indexMeta]float64, 2)
			}
			tc.indexes[ix] += u
		}
	}
	for _, name := range names {
		if tc := costs[name]; tc != nil {
			if c := consumed(in.ReturnConsumedCapacity, name, true, tc.table, tc.indexes, 1); c != nil {
				out.ConsumedCapacity = append(out.ConsumedCapacity, *c)
			}
		}
	}
	if deref(in.ReturnItemCollectionMetrics) != "SIZE" {
		return nil
	}
	// One entry per item collection (partition key value) written.
	done := make(map[string]bool)
	for _, bw := range writes {
		t := metas[bw.table]
		if len(t.LSIs) == 0 {
			continue
		}
		hv := bw.key[t.Key.Hash.Name]
		id := bw.table + "\x00" + keyIdentity(attr.Item{"": hv})
		if done[id] {
			continue
		}
		done[id] = true
		m, err := w.collectionMetrics(t, in.ReturnItemCollectionMetrics, bw.key)
		if err != nil {
			return err
		}
		if out.ItemCollectionMetrics == nil {
			out.ItemCollectionMetrics = map[string][]dynamodbapi.ItemCollectionMetrics{}
		}
		out.ItemCollectionMetrics[bw.table] = append(out.ItemCollectionMetrics[bw.table], *m)
	}
	return nil
}
