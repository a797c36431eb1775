package dynamodb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sort"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/expr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/partiql"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// qlPage is what one ExecuteStatement of a SELECT may read.
type qlPage struct {
	limit      int
	nextToken  *string
	consistent bool
	capacity   *string
}

// qlToken is where a SELECT resumes: the partition (among those its
// WHERE clause names, 0 for a scan) and the key read last in it (nil to
// start that partition).
type qlToken struct {
	part int
	key  attr.Item
}

// digest ties a NextToken to its statement and parameters.
func (q *qlStatement) digest() []byte {
	h := sha256.New()
	h.Write([]byte(q.text))
	for i := range q.params {
		h.Write([]byte{0})
		h.Write(attr.AppendItem(nil, attr.Item{"": q.params[i]}))
	}
	return h.Sum(nil)[:8]
}

func (q *qlStatement) encodeToken(t qlToken) string {
	b := append([]byte{1}, q.digest()...)
	b = binary.AppendUvarint(b, uint64(t.part))
	if t.key != nil {
		b = attr.AppendItem(b, t.key)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (q *qlStatement) decodeToken(s *string) (qlToken, error) {
	var t qlToken
	if s == nil {
		return t, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*s)
	if err != nil || len(b) < 10 || b[0] != 1 {
		return t, validation("Invalid NextToken")
	}
	if !bytes.Equal(b[1:9], q.digest()) {
		return t, validation("NextToken does not match request")
	}
	part, n := binary.Uvarint(b[9:])
	if n <= 0 || part > 1<<20 {
		return t, validation("Invalid NextToken")
	}
	t.part = int(part)
	if rest := b[9+n:]; len(rest) > 0 {
		if t.key, err = attr.DecodeItem(rest); err != nil {
			return t, validation("Invalid NextToken")
		}
	}
	return t, nil
}

// filterOf compiles a WHERE clause into a filter; nil when there is none.
func (q *qlStatement) filterOf(where partiql.Expr) (*expr.Condition, error) {
	if where == nil {
		return nil, nil
	}
	b := newExprBuilder(q)
	text, err := b.condition(where)
	if err != nil {
		return nil, err
	}
	names, values := b.nameValues()
	return expr.ParseCondition(expr.KindFilter, text, names, values)
}

// selectOrder checks ORDER BY: only key attributes of what is read, and
// only when the WHERE clause names the partitions. It returns whether the
// sort key runs backwards and how partitions are ordered (0 as written,
// 1 ascending, -1 descending).
func selectOrder(st *partiql.Statement, ks keySchema, query bool) (reverse bool, partOrder int, err error) {
	for _, o := range st.OrderBy {
		if st.Where == nil {
			return false, 0, validation("Must have WHERE clause in the statement when using ORDER BY clause.")
		}
		if !query {
			return false, 0, validation("Must have WHERE clause with partition key equality or IN condition when using ORDER BY clause.")
		}
		name := ""
		if len(o.Path) == 1 && !o.Path[0].IsIndex {
			name = o.Path[0].Name
		}
		switch {
		case name != "" && name == ks.Range.Name:
			reverse = o.Desc
		case name != "" && name == ks.Hash.Name:
			partOrder = 1
			if o.Desc {
				partOrder = -1
			}
		default:
			return false, 0, validationf("Order by is only supported on key attributes: %s", o.Path)
		}
	}
	return reverse, partOrder, nil
}

// partitions normalises and deduplicates the partition key values of a
// query, dropping those of another type than the key (no item has them).
func partitions(vals []attr.Value, ka keyAttr, order int) []attr.Value {
	seen := map[string]bool{}
	var out []attr.Value
	for _, v := range vals {
		if attr.Normalize(&v) != nil || attr.TypeOf(&v).String() != ka.Type {
			continue
		}
		enc, err := attr.AppendKey(nil, &v)
		if err != nil || seen[string(enc)] {
			continue
		}
		seen[string(enc)] = true
		out = append(out, v)
	}
	if order != 0 {
		sort.SliceStable(out, func(i, j int) bool {
			c, _ := attr.Compare(&out[i], &out[j])
			return c*order < 0
		})
	}
	return out
}

// execSelect runs a SELECT: a read of the partitions its WHERE clause
// names, or a scan, filtered by the whole clause, a page at a time.
func (s *Service) execSelect(ctx context.Context, q *qlStatement, pg qlPage) (*dynamodbapi.ExecuteStatementOutput, error) {
	st := q.st
	filter, err := q.filterOf(st.Where)
	if err != nil {
		return nil, err
	}
	tok, err := q.decodeToken(pg.nextToken)
	if err != nil {
		return nil, err
	}
	ref := refOf(request.FromContext(ctx), st.Table)
	out := &dynamodbapi.ExecuteStatementOutput{}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		t, err := s.table(tx, ref, errNoResource)
		if err != nil {
			return err
		}
		var index *string
		if st.Index != "" {
			index = &st.Index
		}
		src, err := sourceOf(t, index, &pg.consistent)
		if err != nil {
			return err
		}
		ks := src.key()
		var pks []attr.Value
		query := false
		if st.Where != nil {
			pks, query = q.partitionValues(st.Where, ks.Hash.Name)
		}
		reverse, partOrder, err := selectOrder(st, ks, query)
		if err != nil {
			return err
		}
		after, err := startKey(src, tok.key)
		if err != nil {
			return validation("Invalid NextToken")
		}
		sel := selectAll
		if src.ix != nil {
			sel = selectProjected
		}
		p := &pageReader{tx: tx, src: src, limit: pg.limit, filter: filter, sel: sel}
		var next *qlToken
		if query {
			pks = partitions(pks, ks.Hash, partOrder)
			for i := tok.part; i < len(pks); i++ {
				prefix, err := partitionPrefix(src.id(), &pks[i])
				if err != nil {
					return err
				}
				var from []byte
				if i == tok.part {
					if from = after; from != nil && !bytes.HasPrefix(from, prefix) {
						return validation("Invalid NextToken")
					}
				}
				before := p.scanned
				if err := scanRange(tx, prefix, prefixEnd(prefix), from, reverse, p.visit); err != nil {
					return err
				}
				if p.err != nil {
					return p.err
				}
				if p.stopped {
					next = &qlToken{part: i}
					if p.scanned > before {
						next.key = p.lastEvaluated()
					}
					break
				}
			}
		} else {
			lo, hi := spaceBounds(src.id())
			if err := scanRange(tx, lo, hi, after, false, p.visit); err != nil {
				return err
			}
			if p.err != nil {
				return p.err
			}
			if p.stopped {
				next = &qlToken{key: p.lastEvaluated()}
			}
		}
		out.Items = make([]map[string]dynamodbapi.AttributeValue, len(p.items))
		for i, it := range p.items {
			out.Items[i] = qlProject(st.Projection, it)
		}
		if next != nil {
			out.NextToken = ptr(q.encodeToken(*next))
			out.LastEvaluatedKey = next.key
		}
		out.ConsumedCapacity = readCapacity(pg.capacity, st.Table, src, p, pg.consistent)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// qlProject applies a SELECT's projection: each path's value under the
// path's last name, as PartiQL names the columns of a SELECT.
func qlProject(paths []partiql.Path, item attr.Item) attr.Item {
	if paths == nil {
		return item
	}
	out := make(attr.Item, len(paths))
	for _, p := range paths {
		v, ok := resolveQLPath(item, p)
		if !ok {
			continue
		}
		name := ""
		for _, s := range p {
			if !s.IsIndex {
				name = s.Name
			}
		}
		out[name] = v
	}
	return out
}

func resolveQLPath(item attr.Item, p partiql.Path) (attr.Value, bool) {
	v, ok := item[p[0].Name]
	if !ok {
		return attr.Value{}, false
	}
	for _, s := range p[1:] {
		switch {
		case s.IsIndex:
			if s.Index >= len(v.L) {
				return attr.Value{}, false
			}
			v = v.L[s.Index]
		default:
			if v.M == nil {
				return attr.Value{}, false
			}
			if v, ok = v.M[s.Name]; !ok {
				return attr.Value{}, false
			}
		}
	}
	return v, true
}
