package dynamodb

import (
	"sort"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// Storage keys. Every table and every index has its own key space, an
// 8-byte id. An item lives at
//
//	tableID | enc(hash) | enc(range)
//
// and an index entry at
//
//	indexID | enc(ihash) | enc(irange) | enc(hash) | enc(range)
//
// where enc is attr's order-preserving, self-delimiting key encoding: a
// partition is one contiguous range, sorted by its sort key as Query
// needs. Partitions sort by their key, not by a hash of it as DynamoDB
// orders them: keys written together (ids from a counter, dates) then
// share pages of the engine, and a batch of them costs a few page writes
// instead of one per item. A parallel Scan splits the partitions by hash
// instead (segmentOf).
const (
	idLen     = 8
	keyPrefix = idLen
)

// hash32 is FNV-1a: cheap, and stable across versions and runs.
func hash32(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// appendSpaceKey appends id | hash, the prefix of a partition in a key
// space; hashEnc is the encoded partition key value.
func appendSpaceKey(dst []byte, id uint64, hashEnc []byte) []byte {
	dst = appendUint64(dst, id)
	return append(dst, hashEnc...)
}

// itemKeyOf builds the storage key of an item of t from its key values,
// which the caller validated.
func (t *tableMeta) itemKeyOf(item attr.Item) ([]byte, error) {
	return spaceKey(t.ID, t.Key, item, nil)
}

// spaceKey encodes the key of item in key space id under schema ks;
// suffix (a table item key without its prefix) follows, for index entries.
func spaceKey(id uint64, ks keySchema, item attr.Item, suffix []byte) ([]byte, error) {
	var buf [128]byte
	hv := item[ks.Hash.Name]
	hashEnc, err := attr.AppendKey(buf[:0], &hv)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 0, keyPrefix+len(hashEnc)+32+len(suffix))
	key = appendSpaceKey(key, id, hashEnc)
	if ks.hasRange() {
		rv := item[ks.Range.Name]
		if key, err = attr.AppendKey(key, &rv); err != nil {
			return nil, err
		}
	}
	return append(key, suffix...), nil
}

// partitionPrefix is the key prefix of one partition of a key space.
func partitionPrefix(id uint64, hash *attr.Value) ([]byte, error) {
	var buf [128]byte
	hashEnc, err := attr.AppendKey(buf[:0], hash)
	if err != nil {
		return nil, err
	}
	return appendSpaceKey(make([]byte, 0, keyPrefix+len(hashEnc)), id, hashEnc), nil
}

// keyOnly returns the key attributes of item under ks.
func keyOnly(ks keySchema, item attr.Item) attr.Item {
	out := make(attr.Item, 2)
	if v, ok := item[ks.Hash.Name]; ok {
		out[ks.Hash.Name] = v
	}
	if ks.hasRange() {
		if v, ok := item[ks.Range.Name]; ok {
			out[ks.Range.Name] = v
		}
	}
	return out
}

var errKeySchema = "The provided key element does not match the schema"

// checkKeyArg validates a Key parameter (GetItem, DeleteItem, UpdateItem):
// exactly the key attributes of the table, of the right types. The caller
// normalized the values (attr.NormalizeItem), so that 1 and 1.0 address
// one item.
func (t *tableMeta) checkKeyArg(key attr.Item) error {
	if err := t.checkKeyShape(key); err != nil {
		return err
	}
	return t.checkKeyValues(key)
}

// checkKeyShape is the part of checkKeyArg that a transaction reports as
// a cancellation reason: the key's attributes and their types, not their
// values.
func (t *tableMeta) checkKeyShape(key attr.Item) error {
	want := 1
	if t.Key.hasRange() {
		want = 2
	}
	if len(key) != want {
		return validation(errKeySchema)
	}
	for _, ka := range []keyAttr{t.Key.Hash, t.Key.Range}[:want] {
		v, ok := key[ka.Name]
		if !ok || attr.TypeOf(&v).String() != ka.Type {
			return validation(errKeySchema)
		}
	}
	return nil
}

// checkItemKey validates the key attributes of a whole item (PutItem).
func (t *tableMeta) checkItemKey(item attr.Item) error {
	if err := t.checkItemKeyTypes(item); err != nil {
		return err
	}
	return t.checkKeyValues(item)
}

// checkItemKeyTypes is the part of checkItemKey that a transaction reports
// as a cancellation reason: every key attribute present, of its type.
func (t *tableMeta) checkItemKeyTypes(item attr.Item) error {
	for _, ka := range []keyAttr{t.Key.Hash, t.Key.Range} {
		if ka.Name == "" {
			continue
		}
		v, ok := item[ka.Name]
		if !ok {
			return validationf("One or more parameter values were invalid: Missing the key %s in the item", ka.Name)
		}
		if got := attr.TypeOf(&v).String(); got != ka.Type {
			return validationf("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", ka.Name, ka.Type, got)
		}
	}
	return nil
}

// checkKeyValues applies the value rules of key attributes (no empty
// strings or binaries, size limits), with AWS's messages.
func (t *tableMeta) checkKeyValues(item attr.Item) error {
	for i, ka := range []keyAttr{t.Key.Hash, t.Key.Range} {
		if ka.Name == "" {
			continue
		}
		role := attr.PartitionKey
		if i == 1 {
			role = attr.SortKey
		}
		typ, _ := attr.ParseType(ka.Type)
		v := item[ka.Name]
		if err := attr.ValidateKey(ka.Name, role, typ, &v); err != nil {
			return err
		}
	}
	return nil
}

// indexKeyFaults selects what checkIndexKeysFor looks for: a
// transaction cancels on a value of the wrong type but refuses an empty
// one outright.
type indexKeyFaults int

const (
	indexKeyTypes indexKeyFaults = 1 << iota // a value not of the key's type
	indexKeyEmpty                            // an empty string or binary
)

// checkIndexKeys validates the index key attributes an item carries: an
// attribute that keys an index must have that key's type and must not be
// empty. An item without the attribute is simply not in that index.
// viaUpdate selects the wording DynamoDB uses for UpdateItem.
func (t *tableMeta) checkIndexKeys(item attr.Item, viaUpdate bool) error {
	return t.checkIndexKeysFor(item, viaUpdate, indexKeyTypes|indexKeyEmpty)
}

// checkIndexKeysFor is checkIndexKeys for the faults selected.
func (t *tableMeta) checkIndexKeysFor(item attr.Item, viaUpdate bool, faults indexKeyFaults) error {
	if len(t.LSIs) == 0 && len(t.GSIs) == 0 {
		return nil
	}
	// DynamoDB names the alphabetically first index that an attribute keys.
	ixs := append([]*indexMeta(nil), t.indexes()...)
	sort.Slice(ixs, func(i, j int) bool { return ixs[i].Name < ixs[j].Name })
	for _, ix := range ixs {
		for _, ka := range []keyAttr{ix.Key.Hash, ix.Key.Range} {
			if ka.Name == "" || t.Key.isKey(ka.Name) {
				continue
			}
			v, ok := item[ka.Name]
			if !ok {
				continue
			}
			if got := attr.TypeOf(&v).String(); got != ka.Type {
				if faults&indexKeyTypes == 0 {
					continue
				}
				return validationf("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", ka.Name, ka.Type, got, ix.Name)
			}
			kind := ""
			switch {
			case v.S != nil && *v.S == "":
				kind = "string"
			case v.B != nil && len(v.B) == 0:
				kind = "binary"
			}
			if kind == "" || faults&indexKeyEmpty == 0 {
				continue
			}
			if viaUpdate {
				// The update expression's wording names neither the index
				// nor the key.
				return validationf("One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty %s value.", kind)
			}
			return validationf("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty %s value. IndexName: %s, IndexKey: %s", kind, ix.Name, ka.Name)
		}
	}
	return nil
}

// inIndex reports whether item has every key attribute of ix, of the
// key's type, and so an entry in it: indexes are sparse, and an item
// written before a new index existed may hold an attribute of another
// type, which DynamoDB leaves out of the index.
func inIndex(ix *indexMeta, item attr.Item) bool {
	if item == nil {
		return false
	}
	for _, ka := range []keyAttr{ix.Key.Hash, ix.Key.Range} {
		if ka.Name == "" {
			continue
		}
		v, ok := item[ka.Name]
		if !ok || attr.TypeOf(&v).String() != ka.Type {
			return false
		}
	}
	return true
}

// project returns the attributes of item that ix keeps.
func project(ix *indexMeta, table keySchema, item attr.Item) attr.Item {
	if ix.Projection == projAll {
		return item
	}
	out := make(attr.Item, 4+len(ix.NonKey))
	for _, ks := range []keySchema{table, ix.Key} {
		for _, ka := range []keyAttr{ks.Hash, ks.Range} {
			if v, ok := item[ka.Name]; ok && ka.Name != "" {
				out[ka.Name] = v
			}
		}
	}
	for _, n := range ix.NonKey {
		if v, ok := item[n]; ok {
			out[n] = v
		}
	}
	return out
}
