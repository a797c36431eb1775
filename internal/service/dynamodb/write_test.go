package dynamodb

import (
	"fmt"
	"sort"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

func sv(s string) attr.Value   { return attr.Value{S: &s} }
func nv(n string) attr.Value   { return attr.Value{N: &n} }
func ref(name string) tableRef { return tableRef{"000000000000", "us-east-1", name} }

// writeRaw writes (or, with a nil item and a key, deletes) through the
// internal write path, without the request layer.
func writeRaw(t *testing.T, s *Service, table string, key, item attr.Item) writeCost {
	t.Helper()
	var cost writeCost
	err := s.update(bg, func(w *itemWriter) error {
		tm, err := s.table(w.tx, ref(table), errNoResource)
		if err != nil {
			return err
		}
		if item != nil {
			key = item
		}
		k, err := tm.itemKeyOf(key)
		if err != nil {
			return err
		}
		old, err := getItem(w.tx, k)
		if err != nil {
			return err
		}
		var next *storedItem
		if item != nil {
			next = newStoredItem(item)
		}
		cost, err = w.writeItem(tm, k, old, next)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return cost
}

// entries lists the items stored in a table's or index's key space.
func entries(t *testing.T, s *Service, table, index string) []attr.Item {
	t.Helper()
	var out []attr.Item
	err := s.db.View(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref(table), errNoResource)
		if err != nil {
			return err
		}
		id := tm.ID
		if index != "" {
			id = tm.index(index).ID
		}
		var derr error
		err = tx.Scan(itemsTable(id), storage.Range{Prefix: appendUint64(nil, id)}, func(_, v []byte) bool {
			it, err := decodeValue(v)
			if err != nil {
				derr = err
				return false
			}
			out = append(out, it.item)
			return true
		})
		if err != nil {
			return err
		}
		return derr
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func names(it attr.Item) string {
	var n []string
	for k := range it {
		n = append(n, k)
	}
	sort.Strings(n)
	return fmt.Sprint(n)
}

func indexedTable(t *testing.T, s *Service, name string) {
	t.Helper()
	in := onDemand(name, ks("pk", "sk"), defs("pk", "S", "sk", "S", "g", "S", "l", "N"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{
		{IndexName: ptr("byG"), KeySchema: ks("g"), Projection: &dynamodbapi.Projection{ProjectionType: ptr("KEYS_ONLY")}},
		{IndexName: ptr("byGInc"), KeySchema: ks("g", "sk"), Projection: &dynamodbapi.Projection{ProjectionType: ptr("INCLUDE"), NonKeyAttributes: []string{"x"}}},
	}
	in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{
		{IndexName: ptr("byL"), KeySchema: ks("pk", "l"), Projection: projAllOf()},
	}
	in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr("NEW_AND_OLD_IMAGES")}
	mustCreate(t, s, in)
}

func TestWriteItemMaintainsIndexes(t *testing.T) {
	s := newTestService(t)
	indexedTable(t, s, "Tbl")

	// In every index.
	writeRaw(t, s, "Tbl", nil, attr.Item{"pk": sv("a"), "sk": sv("1"), "g": sv("G1"), "l": nv("5"), "x": sv("xx"), "y": sv("yy")})
	// Sparse: no g, no l.
	writeRaw(t, s, "Tbl", nil, attr.Item{"pk": sv("a"), "sk": sv("2"), "x": sv("x2")})

	if n := len(entries(t, s, "Tbl", "")); n != 2 {
		t.Fatalf("table holds %d items", n)
	}
	g := entries(t, s, "Tbl", "byG")
	if len(g) != 1 || names(g[0]) != "[g pk sk]" {
		t.Fatalf("KEYS_ONLY index: %v", g)
	}
	inc := entries(t, s, "Tbl", "byGInc")
	if len(inc) != 1 || names(inc[0]) != "[g pk sk x]" {
		t.Fatalf("INCLUDE index: %v", inc)
	}
	l := entries(t, s, "Tbl", "byL")
	if len(l) != 1 || names(l[0]) != "[g l pk sk x y]" {
		t.Fatalf("ALL index: %v", l)
	}

	// Changing the index key moves the entry; a change of an attribute
	// the index does not keep costs it nothing.
	cost := writeRaw(t, s, "Tbl", nil, attr.Item{"pk": sv("a"), "sk": sv("1"), "g": sv("G2"), "l": nv("5"), "x": sv("xx"), "y": sv("changed")})
	if g := entries(t, s, "Tbl", "byG"); len(g) != 1 || *g[0]["g"].S != "G2" {
		t.Fatalf("after key change: %v", g)
	}
	if cost.table != 1 || cost.indexes[tmIndex(t, s, "Tbl", "byG")] != 2 || cost.indexes[tmIndex(t, s, "Tbl", "byL")] != 1 {
		t.Fatalf("cost %+v", cost)
	}
	cost = writeRaw(t, s, "Tbl", nil, attr.Item{"pk": sv("a"), "sk": sv("1"), "g": sv("G2"), "l": nv("5"), "x": sv("xx"), "y": sv("again")})
	if _, ok := cost.indexes[tmIndex(t, s, "Tbl", "byG")]; ok {
		t.Fatalf("unchanged KEYS_ONLY entry was rewritten: %+v", cost)
	}

	// Deleting removes every entry; statistics follow.
	writeRaw(t, s, "Tbl", attr.Item{"pk": sv("a"), "sk": sv("1")}, nil)
	for _, ix := range []string{"byG", "byGInc", "byL"} {
		if n := len(entries(t, s, "Tbl", ix)); n != 0 {
			t.Fatalf("%s keeps %d entries", ix, n)
		}
	}
	d := mustDescribe(t, s, "Tbl")
	want := int64(attr.ItemSize(attr.Item{"pk": sv("a"), "sk": sv("2"), "x": sv("x2")}))
	if *d.ItemCount != 1 || *d.TableSizeBytes != want {
		t.Fatalf("ItemCount %d TableSizeBytes %d, want 1 %d", *d.ItemCount, *d.TableSizeBytes, want)
	}
	for _, g := range d.GlobalSecondaryIndexes {
		if *g.ItemCount != 0 || *g.IndexSizeBytes != 0 {
			t.Fatalf("%s: %d items %d bytes", *g.IndexName, *g.ItemCount, *g.IndexSizeBytes)
		}
	}
}

func tmIndex(t *testing.T, s *Service, table, index string) *indexMeta {
	t.Helper()
	var ix *indexMeta
	_ = s.db.View(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref(table), errNoResource)
		if err == nil {
			ix = tm.index(index)
		}
		return err
	})
	return ix
}

func streamRecords(t *testing.T, s *Service, table string) []*streamRecord {
	t.Helper()
	var out []*streamRecord
	err := s.db.View(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref(table), errNoResource)
		if err != nil {
			return err
		}
		return readStream(tx, tm.Stream.ID, 0, func(r *streamRecord) bool {
			out = append(out, r)
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteItemStreamRecords(t *testing.T) {
	s := newTestService(t)
	indexedTable(t, s, "Str")
	item := attr.Item{"pk": sv("a"), "sk": sv("1"), "v": nv("1")}
	writeRaw(t, s, "Str", nil, item)
	writeRaw(t, s, "Str", nil, attr.Item{"pk": sv("a"), "sk": sv("1"), "v": nv("1")}) // no change, no record
	writeRaw(t, s, "Str", nil, attr.Item{"pk": sv("a"), "sk": sv("1"), "v": nv("2")})
	writeRaw(t, s, "Str", attr.Item{"pk": sv("a"), "sk": sv("1")}, nil)
	writeRaw(t, s, "Str", attr.Item{"pk": sv("a"), "sk": sv("1")}, nil) // already gone, no record
	recs := streamRecords(t, s, "Str")
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%d %s new=%v old=%v keys=%s", r.Seq, r.Event, r.NewImage != nil, r.OldImage != nil, names(r.Keys)))
	}
	want := []string{
		"1 INSERT new=true old=false keys=[pk sk]",
		"2 MODIFY new=true old=true keys=[pk sk]",
		"3 REMOVE new=false old=true keys=[pk sk]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("records:\n%v\nwant\n%v", got, want)
	}
	if *recs[1].OldImage["v"].N != "1" || *recs[1].NewImage["v"].N != "2" || recs[0].Size == 0 {
		t.Fatalf("MODIFY images %v %v", recs[1].OldImage, recs[1].NewImage)
	}
}

func TestBackfillNewIndex(t *testing.T) {
	for _, inline := range []bool{true, false} {
		t.Run(fmt.Sprint("inline=", inline), func(t *testing.T) {
			s := newTestService(t)
			if !inline {
				s.backfillInline, s.backfillBatch = 0, 7
			}
			mustCreate(t, s, onDemand("Bfl", ks("id"), defs("id", "S")))
			for i := range 50 {
				it := attr.Item{"id": sv(fmt.Sprint(i))}
				if i%2 == 0 {
					it["g"] = nv(fmt.Sprint(i % 5))
				}
				writeRaw(t, s, "Bfl", nil, it)
			}
			out, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{
				TableName:            ptr("Bfl"),
				AttributeDefinitions: defs("g", "N"),
				GlobalSecondaryIndexUpdates: []dynamodbapi.GlobalSecondaryIndexUpdate{{Create: &dynamodbapi.CreateGlobalSecondaryIndexAction{
					IndexName: ptr("byG"), KeySchema: ks("g"), Projection: projAllOf()}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			// The answer says CREATING, as DynamoDB's does, whether the
			// index was filled inline or is being filled in the background.
			answered := out.TableDescription.GlobalSecondaryIndexes[0]
			if *answered.IndexStatus != "CREATING" || answered.Backfilling == nil || *answered.Backfilling == inline {
				t.Fatalf("index status %s, backfilling %v", *answered.IndexStatus, answered.Backfilling)
			}
			if status := *mustDescribe(t, s, "Bfl").GlobalSecondaryIndexes[0].IndexStatus; inline != (status == "ACTIVE") {
				t.Fatalf("described index status %s", status)
			}
			s.workers.Wait() // the background backfill, if any
			// Writes after the backfill keep the index.
			writeRaw(t, s, "Bfl", nil, attr.Item{"id": sv("new"), "g": nv("9")})
			writeRaw(t, s, "Bfl", attr.Item{"id": sv("0")}, nil)
			d := mustDescribe(t, s, "Bfl")
			g := d.GlobalSecondaryIndexes[0]
			if *g.IndexStatus != "ACTIVE" || *g.ItemCount != 25 || len(entries(t, s, "Bfl", "byG")) != 25 {
				t.Fatalf("index %s with %d items, %d entries", *g.IndexStatus, *g.ItemCount, len(entries(t, s, "Bfl", "byG")))
			}
			if fmt.Sprint(d.AttributeDefinitions) == "" || len(d.AttributeDefinitions) != 2 {
				t.Fatalf("AttributeDefinitions %v", d.AttributeDefinitions)
			}

			// Deleting the index drops its definition and purges its entries;
			// the answer shows it DELETING, as DynamoDB's does.
			out, err = s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Bfl"),
				GlobalSecondaryIndexUpdates: []dynamodbapi.GlobalSecondaryIndexUpdate{{Delete: &dynamodbapi.DeleteGlobalSecondaryIndexAction{IndexName: ptr("byG")}}}})
			if err != nil {
				t.Fatal(err)
			}
			if g := out.TableDescription.GlobalSecondaryIndexes; len(g) != 1 || *g[0].IndexName != "byG" || *g[0].IndexStatus != "DELETING" {
				t.Fatalf("UpdateTable's answer after a delete: %+v", g)
			}
			s.purge(bg)
			if d := mustDescribe(t, s, "Bfl"); len(d.GlobalSecondaryIndexes) != 0 || len(d.AttributeDefinitions) != 1 {
				t.Fatalf("after delete: %d indexes, %v", len(d.GlobalSecondaryIndexes), d.AttributeDefinitions)
			}
		})
	}
}

// TestBackfillRacesWrites interleaves writes with the batches of a
// background backfill: the index must end exactly right.
func TestBackfillRacesWrites(t *testing.T) {
	s := newTestService(t)
	s.backfillInline, s.backfillBatch = 0, 3
	mustCreate(t, s, onDemand("Rce", ks("id"), defs("id", "S")))
	for i := range 30 {
		writeRaw(t, s, "Rce", nil, attr.Item{"id": sv(fmt.Sprintf("%02d", i)), "g": sv("x")})
	}
	// Create the index but run the backfill by hand, one batch at a time.
	err := s.update(bg, func(w *itemWriter) error {
		tm, err := s.table(w.tx, ref("Rce"), errNoResource)
		if err != nil {
			return err
		}
		tm = tm.clone()
		id, err := nextID(w.tx)
		if err != nil {
			return err
		}
		tm.AttrDefs = append(tm.AttrDefs, keyAttr{"g", "S"})
		tm.GSIs = append(tm.GSIs, &indexMeta{Name: "byG", ID: id, Global: true, Key: keySchema{Hash: keyAttr{"g", "S"}}, Projection: projAll, Status: statusCreating, Backfilling: true})
		return saveTable(w.tx, tm)
	})
	if err != nil {
		t.Fatal(err)
	}
	step := func() {
		err := s.update(bg, func(w *itemWriter) error {
			cur, err := s.table(w.tx, ref("Rce"), errNoResource)
			if err != nil {
				return err
			}
			tm := cur.clone()
			ix := tm.index("byG")
			if ix.Status != statusCreating {
				return nil
			}
			last, err := w.backfillIndex(tm, ix, ix.Backfilled, s.backfillBatch)
			if err != nil {
				return err
			}
			if last == nil {
				ix.Status, ix.Backfilling, ix.Backfilled = statusActive, false, nil
			} else {
				ix.Backfilled = last
			}
			return saveTable(w.tx, tm)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 15; i++ {
		step()
		// Modify, delete and add items on both sides of the cursor.
		writeRaw(t, s, "Rce", nil, attr.Item{"id": sv(fmt.Sprintf("%02d", (i*7)%30)), "g": sv(fmt.Sprint("y", i))})
		writeRaw(t, s, "Rce", attr.Item{"id": sv(fmt.Sprintf("%02d", (i*11+3)%30))}, nil)
		writeRaw(t, s, "Rce", nil, attr.Item{"id": sv(fmt.Sprint("n", i)), "g": sv("z")})
	}
	for tmIndex(t, s, "Rce", "byG").Status == statusCreating {
		step()
	}
	want := map[string]string{}
	for _, it := range entries(t, s, "Rce", "") {
		want[*it["id"].S] = *it["g"].S
	}
	got := map[string]string{}
	for _, it := range entries(t, s, "Rce", "byG") {
		if _, dup := got[*it["id"].S]; dup {
			t.Fatalf("duplicate entry for %s", *it["id"].S)
		}
		got[*it["id"].S] = *it["g"].S
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("index\n%v\ntable\n%v", got, want)
	}
	if d := mustDescribe(t, s, "Rce"); *d.GlobalSecondaryIndexes[0].ItemCount != int64(len(want)) {
		t.Fatalf("index ItemCount %d, want %d", *d.GlobalSecondaryIndexes[0].ItemCount, len(want))
	}
}

func TestDeleteTablePurgesItems(t *testing.T) {
	s := newTestService(t)
	indexedTable(t, s, "Prg")
	for i := range 20 {
		writeRaw(t, s, "Prg", nil, attr.Item{"pk": sv("a"), "sk": sv(fmt.Sprint(i)), "g": sv("g")})
	}
	var spaces []uint64
	_ = s.db.View(bg, func(tx storage.Tx) error {
		tm, err := s.table(tx, ref("Prg"), errNoResource)
		if err == nil {
			spaces = append(append(spaces, tm.ID), lsiIDs(tm)...)
			for _, ix := range tm.GSIs {
				spaces = append(spaces, ix.ID)
			}
		}
		return err
	})
	if len(spaces) < 2 {
		t.Fatalf("key spaces %v", spaces)
	}
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Prg")}); err != nil {
		t.Fatal(err)
	}
	s.workers.Wait()
	err := s.db.View(bg, func(tx storage.Tx) error {
		n := 0
		for _, id := range spaces {
			if err := tx.Scan(itemsTable(id), storage.Range{}, func(_, _ []byte) bool { n++; return true }); err != nil {
				return err
			}
		}
		if err := tx.Scan(tablePurge, storage.Range{}, func(_, _ []byte) bool { n++; return true }); err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("%d entries left after the purge", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A table of the same name starts empty.
	indexedTable(t, s, "Prg")
	if d := mustDescribe(t, s, "Prg"); *d.ItemCount != 0 {
		t.Fatalf("recreated table has %d items", *d.ItemCount)
	}
}

// TestBackfillSkipsMistypedItems: items whose attribute does not have the
// new index key's type stay out of the index instead of failing the fill.
func TestBackfillSkipsMistypedItems(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Typ", ks("id"), defs("id", "S")))
	writeRaw(t, s, "Typ", nil, attr.Item{"id": sv("1"), "g": sv("text")})
	writeRaw(t, s, "Typ", nil, attr.Item{"id": sv("2"), "g": nv("5")})
	writeRaw(t, s, "Typ", nil, attr.Item{"id": sv("3"), "g": {M: attr.Item{"x": sv("y")}}})
	_, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Typ"), AttributeDefinitions: defs("g", "N"),
		GlobalSecondaryIndexUpdates: []dynamodbapi.GlobalSecondaryIndexUpdate{{Create: &dynamodbapi.CreateGlobalSecondaryIndexAction{
			IndexName: ptr("byG"), KeySchema: ks("g"), Projection: projAllOf()}}}})
	if err != nil {
		t.Fatal(err)
	}
	if e := entries(t, s, "Typ", "byG"); len(e) != 1 || *e[0]["id"].S != "2" {
		t.Fatalf("index entries %v", e)
	}
}

// TestResumeWork: a backfill and a purge left unfinished by a previous run
// are finished by the next start.
func TestResumeWork(t *testing.T) {
	s := newTestService(t)
	s.backfillBatch = 4
	mustCreate(t, s, onDemand("Res", ks("id"), defs("id", "S")))
	for i := range 10 {
		writeRaw(t, s, "Res", nil, attr.Item{"id": sv(fmt.Sprint(i)), "g": sv("x")})
	}
	var orphan uint64
	err := s.update(bg, func(w *itemWriter) error {
		tm, err := s.table(w.tx, ref("Res"), errNoResource)
		if err != nil {
			return err
		}
		tm = tm.clone()
		id, err := nextID(w.tx)
		if err != nil {
			return err
		}
		tm.AttrDefs = append(tm.AttrDefs, keyAttr{"g", "S"})
		tm.GSIs = append(tm.GSIs, &indexMeta{Name: "byG", ID: id, Global: true, Key: keySchema{Hash: keyAttr{"g", "S"}}, Projection: projAll, Status: statusCreating, Backfilling: true})
		// A key space whose purge was interrupted.
		if orphan, err = nextID(w.tx); err != nil {
			return err
		}
		if err := w.tx.Put(itemsTable(orphan), appendUint64(appendUint64(nil, orphan), 1), []byte{0}); err != nil {
			return err
		}
		if err := schedulePurge(w.tx, orphan); err != nil {
			return err
		}
		return saveTable(w.tx, tm)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.resumeWork(bg)
	if ix := tmIndex(t, s, "Res", "byG"); ix.Status != statusActive || len(entries(t, s, "Res", "byG")) != 10 {
		t.Fatalf("index %s with %d entries", ix.Status, len(entries(t, s, "Res", "byG")))
	}
	err = s.db.View(bg, func(tx storage.Tx) error {
		n := 0
		err := tx.Scan(itemsTable(orphan), storage.Range{Prefix: appendUint64(nil, orphan)}, func(_, _ []byte) bool { n++; return true })
		if err == nil && n != 0 {
			err = fmt.Errorf("%d orphaned entries left", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
