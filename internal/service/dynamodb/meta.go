package dynamodb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// keyAttr is one key attribute of a table or an index: its name and its
// scalar type (S, N or B).
type keyAttr struct {
	Name string `json:"n"`
	Type string `json:"t"`
}

// keySchema is a partition key and an optional sort key (Range.Name is
// empty when there is none).
type keySchema struct {
	Hash  keyAttr `json:"h"`
	Range keyAttr `json:"r,omitzero"`
}

func (k keySchema) hasRange() bool { return k.Range.Name != "" }

// isKey reports whether name is one of the key attributes.
func (k keySchema) isKey(name string) bool {
	return name == k.Hash.Name || (k.Range.Name != "" && name == k.Range.Name)
}

func (k keySchema) elements() []dynamodbapi.KeySchemaElement {
	out := []dynamodbapi.KeySchemaElement{{AttributeName: ptr(k.Hash.Name), KeyType: ptr("HASH")}}
	if k.hasRange() {
		out = append(out, dynamodbapi.KeySchemaElement{AttributeName: ptr(k.Range.Name), KeyType: ptr("RANGE")})
	}
	return out
}

// Index projection types.
const (
	projAll      = "ALL"
	projKeysOnly = "KEYS_ONLY"
	projInclude  = "INCLUDE"
)

// Index and table statuses.
const (
	statusActive   = "ACTIVE"
	statusCreating = "CREATING"
	statusUpdating = "UPDATING"
	statusDeleting = "DELETING"
)

// Billing modes.
const (
	billingProvisioned = "PROVISIONED"
	billingOnDemand    = "PAY_PER_REQUEST"
)

// indexMeta describes a local or global secondary index. Its entries live
// in their own key space (ID), ordered by index key then table key.
type indexMeta struct {
	Name       string    `json:"name"`
	ID         uint64    `json:"id"`
	Global     bool      `json:"global,omitempty"`
	Key        keySchema `json:"key"`
	Projection string    `json:"proj"`
	NonKey     []string  `json:"nonKey,omitempty"`
	RCU        int64     `json:"rcu,omitempty"`
	WCU        int64     `json:"wcu,omitempty"`
	OnDemand   *limits   `json:"onDemand,omitempty"`
	Warm       *limits   `json:"warm,omitempty"`
	Status     string    `json:"status"`
	// Backfilled is, while Status is CREATING, the storage key of the last
	// table item copied into the index: writes maintain the index only for
	// items at or before it, the backfill copies the items after it.
	Backfilled []byte `json:"backfilled,omitempty"`
	// Backfilling is true until the backfill has copied every item.
	Backfilling bool `json:"backfilling,omitempty"`
}

// projects reports whether the index keeps attribute name in its entries.
func (ix *indexMeta) projects(name string, table keySchema) bool {
	switch {
	case ix.Projection == projAll, ix.Key.isKey(name), table.isKey(name):
		return true
	case ix.Projection == projInclude:
		for _, n := range ix.NonKey {
			if n == name {
				return true
			}
		}
	}
	return false
}

// limits is a pair of read/write unit numbers (on-demand maximums or warm
// throughput).
type limits struct {
	Read  int64 `json:"r,omitempty"`
	Write int64 `json:"w,omitempty"`
}

// streamMeta is the table's DynamoDB stream: records of a stream live in
// the key space ID; Label names it in its ARN.
type streamMeta struct {
	Enabled  bool   `json:"on"`
	ViewType string `json:"view,omitempty"`
	Label    string `json:"label,omitempty"`
	ID       uint64 `json:"id,omitempty"`
}

// tableMeta is a table as stored in tableTables. It is immutable once
// cached: changes work on a copy (see clone).
type tableMeta struct {
	Account string    `json:"account"`
	Region  string    `json:"region"`
	Name    string    `json:"name"`
	ID      uint64    `json:"id"`
	UUID    string    `json:"uuid"`
	Created time.Time `json:"created"`
	Status  string    `json:"status"`

	Key      keySchema `json:"key"`
	AttrDefs []keyAttr `json:"attrs"`

	Billing        string    `json:"billing"`
	BillingChanged time.Time `json:"billingChanged,omitzero"`
	// WasOnDemand records that a table now provisioned was created on
	// demand: DescribeTable keeps a BillingModeSummary for any table that
	// has been on demand.
	WasOnDemand        bool      `json:"wasOnDemand,omitempty"`
	RCU                int64     `json:"rcu,omitempty"`
	WCU                int64     `json:"wcu,omitempty"`
	LastIncrease       time.Time `json:"lastIncrease,omitzero"`
	LastDecrease       time.Time `json:"lastDecrease,omitzero"`
	DecreasesToday     int64     `json:"decreases,omitempty"`
	OnDemand           *limits   `json:"onDemand,omitempty"`
	Warm               *limits   `json:"warm,omitempty"`
	TableClass         string    `json:"class,omitempty"`
	TableClassChanged  time.Time `json:"classChanged,omitzero"`
	DeletionProtection bool      `json:"deletionProtection,omitempty"`

	LSIs []*indexMeta `json:"lsis,omitempty"`
	GSIs []*indexMeta `json:"gsis,omitempty"`
	// Collections is true when every item collection of the table (it has
	// local secondary indexes) has its size counted since the table was
	// created, so that a collection without a counter is empty; a table
	// from before the counters were kept counts each collection on its
	// first write (collections.go).
	Collections bool `json:"coll,omitempty"`

	Stream streamMeta `json:"stream,omitzero"`
	// LastStream keeps the label and ARN id of a stream that was turned
	// off, as DescribeTable goes on showing LatestStreamArn.
	LastStream *streamMeta `json:"lastStream,omitempty"`

	SSE *sseMeta `json:"sse,omitempty"`

	TTL  ttlMeta  `json:"ttl,omitzero"`
	PITR pitrMeta `json:"pitr,omitzero"`

	Tags []tag `json:"tags,omitempty"`

	// Restore says where a restored table came from (backup_restore.go).
	Restore *restoreMeta `json:"restore,omitempty"`
}

type sseMeta struct {
	Type   string `json:"type"`
	KMSKey string `json:"kmsKey,omitempty"`
}

// ttlMeta is the table's time-to-live setting. An expiry worker reads it
// through Service.TTLSettings.
type ttlMeta struct {
	Attribute string `json:"attr,omitempty"`
	Enabled   bool   `json:"on,omitempty"`
}

// pitrMeta is the table's point-in-time recovery setting; History is the
// key space of its change history (pitr.go) while it is on.
type pitrMeta struct {
	Enabled   bool      `json:"on,omitempty"`
	Days      int32     `json:"days,omitempty"`
	EnabledAt time.Time `json:"since,omitzero"`
	History   uint64    `json:"history,omitempty"`
}

type tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// clone returns a deep copy that may be changed.
func (t *tableMeta) clone() *tableMeta {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err) // a tableMeta always marshals
	}
	var c tableMeta
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// index finds a secondary index by name.
func (t *tableMeta) index(name string) *indexMeta {
	for _, ix := range t.LSIs {
		if ix.Name == name {
			return ix
		}
	}
	for _, ix := range t.GSIs {
		if ix.Name == name {
			return ix
		}
	}
	return nil
}

// indexes calls fn for every secondary index, local ones first.
func (t *tableMeta) indexes() []*indexMeta {
	if len(t.GSIs) == 0 {
		return t.LSIs
	}
	if len(t.LSIs) == 0 {
		return t.GSIs
	}
	all := make([]*indexMeta, 0, len(t.LSIs)+len(t.GSIs))
	return append(append(all, t.LSIs...), t.GSIs...)
}

func (t *tableMeta) arn() string {
	return "arn:aws:dynamodb:" + t.Region + ":" + t.Account + ":table/" + t.Name
}

func (t *tableMeta) streamARN(label string) string {
	return t.arn() + "/stream/" + label
}

// itemsTable is the storage table of key space id: the items of a table,
// the entries of an index (see keys.go) or a table's history (pitr.go). A key space has a table of its
// own so that a deleted one goes with a DropTable, in one step that does
// not hold the engine's writer for long, instead of key by key.
func itemsTable(id uint64) string {
	return "ddb.items." + strconv.FormatUint(id, 16)
}

// itemsTableOf is the storage table of a key (or key prefix) that starts
// with its key space id.
func itemsTableOf(key []byte) string {
	return itemsTable(binary.BigEndian.Uint64(key[:idLen]))
}

// Storage tables of the service.
const (
	// tableTables maps metaKey(account, region, name) to a JSON tableMeta.
	tableTables = "ddb.tables"
	// tableStats maps a key space id to its item count and byte size.
	tableStats = "ddb.stats"
	// tableSeq holds counters: the next key space id.
	tableSeq = "ddb.seq"
	// tableStreams holds stream records: stream id, sequence number.
	tableStreams = "ddb.streams"
	// tablePurge lists key spaces of deleted tables and indexes whose
	// entries are still to be removed.
	tablePurge = "ddb.purge"
)

var seqKeySpace = []byte("keyspace")

func metaKey(account, region, name string) []byte {
	k := make([]byte, 0, len(account)+len(region)+len(name)+2)
	k = append(k, account...)
	k = append(k, 0)
	k = append(k, region...)
	k = append(k, 0)
	return append(k, name...)
}

// nextID allocates a key space id; ids are never reused, so entries of a
// deleted table that are still being purged never mix with new ones.
func nextID(tx storage.Tx) (uint64, error) {
	var n uint64
	v, err := tx.Get(tableSeq, seqKeySpace)
	switch {
	case err == nil && len(v) == 8:
		n = getUint64(v)
	case err == nil || errors.Is(err, storage.ErrNotFound):
	default:
		return 0, err
	}
	n++
	return n, tx.Put(tableSeq, seqKeySpace, appendUint64(nil, n))
}

func appendUint64(b []byte, v uint64) []byte {
	return append(b, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func getUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// metaCache keeps decoded tableMeta values keyed by the bytes they were
// decoded from. Comparing the stored bytes with the cached ones on every
// use keeps the cache right whatever changed the table (another request,
// another node sharing the state).
type metaCache struct {
	mu sync.RWMutex
	m  map[string]cachedMeta
}

type cachedMeta struct {
	raw  []byte
	meta *tableMeta
}

func (c *metaCache) get(key, raw []byte) (*tableMeta, error) {
	c.mu.RLock()
	e, ok := c.m[string(key)]
	c.mu.RUnlock()
	if ok && bytes.Equal(e.raw, raw) {
		return e.meta, nil
	}
	var t tableMeta
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedMeta{}
	}
	c.m[string(key)] = cachedMeta{raw: bytes.Clone(raw), meta: &t}
	c.mu.Unlock()
	return &t, nil
}

func (c *metaCache) forget(key []byte) {
	c.mu.Lock()
	delete(c.m, string(key))
	c.mu.Unlock()
}

// tableRef is where a request's TableName points: a name, or a table ARN
// that names another account or region.
type tableRef struct {
	account, region, name string
}

func (r tableRef) key() []byte { return metaKey(r.account, r.region, r.name) }

// refOf resolves a TableName parameter (a name or a table ARN) in the
// request's account and region.
func refOf(info *request.Info, name string) tableRef {
	if strings.HasPrefix(name, "arn:") {
		if ref, ok := parseTableARN(name); ok {
			return ref
		}
	}
	return tableRef{account: info.Account, region: info.Region, name: name}
}

// parseTableARN splits arn:aws:dynamodb:region:account:table/name.
func parseTableARN(arn string) (tableRef, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" || parts[3] == "" || parts[4] == "" {
		return tableRef{}, false
	}
	name, ok := strings.CutPrefix(parts[5], "table/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return tableRef{}, false
	}
	return tableRef{account: parts[4], region: parts[3], name: name}, true
}

// errTableNotFound is the error of table operations (DescribeTable,
// DeleteTable, UpdateTable, ...) for a missing table.
func errTableNotFound(name string) error {
	return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: Table: " + name + " not found")
}

// errNoResource is the error of item operations for a missing table.
func errNoResource() error {
	return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found")
}

// loadTable reads a table's metadata in tx; it returns nil, nil when the
// table does not exist.
func (s *Service) loadTable(tx storage.Tx, ref tableRef) (*tableMeta, error) {
	key := ref.key()
	raw, err := tx.Get(tableTables, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.metas.get(key, raw)
}

// table reads a table that must exist, with the given error otherwise.
func (s *Service) table(tx storage.Tx, ref tableRef, notFound func() error) (*tableMeta, error) {
	t, err := s.loadTable(tx, ref)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, notFound()
	}
	return t, nil
}

// saveTable stores t (which the caller owns, not a cached value).
func saveTable(tx storage.Tx, t *tableMeta) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return tx.Put(tableTables, metaKey(t.Account, t.Region, t.Name), raw)
}

// validationf is a ValidationException with a formatted message.
func validationf(format string, args ...any) error {
	return awserr.ValidationException.Newf(format, args...)
}

func validation(msg string) error { return awserr.ValidationException.New(msg) }
