package dynamodb

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// seriesTable holds partitions p0..p2, sort keys 0..19 (numbers), with a
// GSI on "kind" and an LSI on "rank".
func seriesTable(t *testing.T, s *Service) {
	t.Helper()
	in := onDemand("Series", ks("pk", "sk"), defs("pk", "S", "sk", "N", "kind", "S", "rank", "N"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byKind"), KeySchema: ks("kind", "sk"), Projection: &dynamodbapi.Projection{ProjectionType: ptr("KEYS_ONLY")}}}
	in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{{IndexName: ptr("byRank"), KeySchema: ks("pk", "rank"), Projection: &dynamodbapi.Projection{ProjectionType: ptr("INCLUDE"), NonKeyAttributes: []string{"kind"}}}}
	mustCreate(t, s, in)
	for p := range 3 {
		for i := range 20 {
			put(t, s, "Series", attr.Item{"pk": sv(fmt.Sprint("p", p)), "sk": nv(fmt.Sprint(i)), "kind": sv([]string{"odd", "even"}[(i+1)%2]),
				"rank": nv(fmt.Sprint(100 - i)), "name": sv(fmt.Sprintf("n%02d", i))})
		}
	}
}

func sks(items []map[string]dynamodbapi.AttributeValue) string {
	var out []string
	for _, it := range items {
		out = append(out, *it["sk"].N)
	}
	return strings.Join(out, ",")
}

func query(t *testing.T, s *Service, in *dynamodbapi.QueryInput) *dynamodbapi.QueryOutput {
	t.Helper()
	in.TableName = ptr("Series")
	out, err := s.Query(bg, in)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	return out
}

func vals(pairs ...any) attr.Item {
	out := attr.Item{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i].(string)] = pairs[i+1].(attr.Value)
	}
	return out
}

func TestQueryKeyConditions(t *testing.T) {
	s := newTestService(t)
	seriesTable(t, s)
	tests := []struct {
		cond    string
		values  attr.Item
		forward bool
		want    string
	}{
		{"pk = :p AND sk < :a", vals(":p", sv("p1"), ":a", nv("3")), true, "0,1,2"},
		{"pk = :p AND sk <= :a", vals(":p", sv("p1"), ":a", nv("3")), true, "0,1,2,3"},
		{"pk = :p AND sk > :a", vals(":p", sv("p1"), ":a", nv("16")), true, "17,18,19"},
		{"pk = :p AND sk >= :a", vals(":p", sv("p1"), ":a", nv("17")), false, "19,18,17"},
		{"pk = :p AND sk = :a", vals(":p", sv("p1"), ":a", nv("7")), true, "7"},
		{"pk = :p AND sk BETWEEN :a AND :b", vals(":p", sv("p1"), ":a", nv("4"), ":b", nv("6")), false, "6,5,4"},
		{"pk = :p AND sk BETWEEN :a AND :b", vals(":p", sv("p1"), ":a", nv("-1.5"), ":b", nv("1.5")), true, "0,1"},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			out := query(t, s, &dynamodbapi.QueryInput{KeyConditionExpression: ptr(tc.cond), ExpressionAttributeValues: tc.values, ScanIndexForward: ptr(tc.forward)})
			if got := sks(out.Items); got != tc.want || int(*out.Count) != len(out.Items) || out.LastEvaluatedKey != nil {
				t.Fatalf("got %s (count %d, LEK %v), want %s", got, *out.Count, out.LastEvaluatedKey, tc.want)
			}
		})
	}
	out := query(t, s, &dynamodbapi.QueryInput{KeyConditionExpression: ptr("pk = :p"), ExpressionAttributeValues: vals(":p", sv("nope"))})
	if len(out.Items) != 0 || out.Items == nil || *out.Count != 0 {
		t.Fatalf("empty partition: %+v", out)
	}
}

func TestQueryBeginsWith(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Words", ks("pk", "sk"), defs("pk", "S", "sk", "S")))
	for _, w := range []string{"a", "ab", "abc", "abd", "ac", "b", "ab\x00z", "ab\xff"} {
		put(t, s, "Words", attr.Item{"pk": sv("x"), "sk": sv(w)})
	}
	for _, forward := range []bool{true, false} {
		out, err := s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("Words"), KeyConditionExpression: ptr("pk = :p AND begins_with(sk, :b)"),
			ExpressionAttributeValues: vals(":p", sv("x"), ":b", sv("ab")), ScanIndexForward: ptr(forward)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range out.Items {
			got = append(got, fmt.Sprintf("%q", *it["sk"].S))
		}
		want := `"ab","ab\x00z","abc","abd","ab\xff"`
		if !forward {
			want = `"ab\xff","abd","abc","ab\x00z","ab"`
		}
		if strings.Join(got, ",") != want {
			t.Fatalf("forward=%v: %s", forward, strings.Join(got, ","))
		}
	}
}

func TestQueryPagingAndFilter(t *testing.T) {
	s := newTestService(t)
	seriesTable(t, s)
	// Limit counts items read; the filter runs afterwards.
	var got []string
	var start attr.Item
	pages := 0
	for {
		out := query(t, s, &dynamodbapi.QueryInput{KeyConditionExpression: ptr("pk = :p"), FilterExpression: ptr("kind = :k"),
			ExpressionAttributeValues: vals(":p", sv("p2"), ":k", sv("even")), Limit: ptr(int32(6)), ExclusiveStartKey: start, ScanIndexForward: ptr(false)})
		pages++
		if *out.ScannedCount > 6 || int(*out.Count) != len(out.Items) {
			t.Fatalf("page %d: scanned %d count %d", pages, *out.ScannedCount, *out.Count)
		}
		got = append(got, sks(out.Items))
		if out.LastEvaluatedKey == nil {
			break
		}
		if names(out.LastEvaluatedKey) != "[pk sk]" {
			t.Fatalf("LastEvaluatedKey %v", out.LastEvaluatedKey)
		}
		start = out.LastEvaluatedKey
	}
	if strings.Join(got, "|") != "18,16,14|12,10,8|6,4,2|0" || pages != 4 {
		t.Fatalf("pages %q", strings.Join(got, "|"))
	}

	// A Limit that ends exactly at the last item still hands back a key, as
	// DynamoDB does; the next page is empty.
	out := query(t, s, &dynamodbapi.QueryInput{KeyConditionExpression: ptr("pk = :p AND sk >= :a"), ExpressionAttributeValues: vals(":p", sv("p0"), ":a", nv("18")), Limit: ptr(int32(2))})
	if out.LastEvaluatedKey == nil {
		t.Fatal("no LastEvaluatedKey at the limit")
	}
	out = query(t, s, &dynamodbapi.QueryInput{KeyConditionExpression: ptr("pk = :p AND sk >= :a"), ExpressionAttributeValues: vals(":p", sv("p0"), ":a", nv("18")), Limit: ptr(int32(2)), ExclusiveStartKey: out.LastEvaluatedKey})
	if len(out.Items) != 0 || out.LastEvaluatedKey != nil {
		t.Fatalf("page after the end: %+v", out)
	}

	// Projection and Select COUNT.
	out = query(t, s, &dynamodbapi.QueryInput{KeyConditionExpression: ptr("pk = :p"), ExpressionAttributeValues: vals(":p", sv("p0")), ProjectionExpression: ptr("#n"),
		ExpressionAttributeNames: map[string]string{"#n": "name"}, Limit: ptr(int32(1))})
	if names(out.Items[0]) != "[name]" {
		t.Fatalf("projection %v", out.Items[0])
	}
	out = query(t, s, &dynamodbapi.QueryInput{KeyConditionExpression: ptr("pk = :p"), ExpressionAttributeValues: vals(":p", sv("p0")), Select: ptr("COUNT")})
	if out.Items != nil || *out.Count != 20 {
		t.Fatalf("COUNT %+v", out)
	}
}

func TestQueryIndexes(t *testing.T) {
	s := newTestService(t)
	seriesTable(t, s)
	// GSI: KEYS_ONLY entries carry the table and index keys; LastEvaluatedKey too.
	out := query(t, s, &dynamodbapi.QueryInput{IndexName: ptr("byKind"), KeyConditionExpression: ptr("kind = :k AND sk < :a"),
		ExpressionAttributeValues: vals(":k", sv("odd"), ":a", nv("6")), Limit: ptr(int32(4))})
	if *out.Count != 4 || names(out.Items[0]) != "[kind pk sk]" || names(out.LastEvaluatedKey) != "[kind pk sk]" {
		t.Fatalf("GSI page: %+v", out)
	}
	rest := query(t, s, &dynamodbapi.QueryInput{IndexName: ptr("byKind"), KeyConditionExpression: ptr("kind = :k AND sk < :a"),
		ExpressionAttributeValues: vals(":k", sv("odd"), ":a", nv("6")), ExclusiveStartKey: out.LastEvaluatedKey})
	if *rest.Count != 5 { // odd sk 1, 3, 5 in three partitions: 9 in all
		t.Fatalf("GSI rest: %d", *rest.Count)
	}
	_, err := s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("Series"), IndexName: ptr("byKind"), ConsistentRead: ptr(true),
		KeyConditionExpression: ptr("kind = :k"), ExpressionAttributeValues: vals(":k", sv("odd"))})
	wantErr(t, err, "ValidationException", "Consistent reads are not supported on global secondary indexes")
	_, err = s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("Series"), IndexName: ptr("byKind"), Select: ptr("ALL_ATTRIBUTES"),
		KeyConditionExpression: ptr("kind = :k"), ExpressionAttributeValues: vals(":k", sv("odd"))})
	wantErr(t, err, "ValidationException", "Select type ALL_ATTRIBUTES is not supported for global secondary index byKind because its projection type is not ALL")
	_, err = s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("Series"), IndexName: ptr("nope"),
		KeyConditionExpression: ptr("kind = :k"), ExpressionAttributeValues: vals(":k", sv("odd"))})
	wantErr(t, err, "ValidationException", "The table does not have the specified index: nope")
	_, err = s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("Series"), Select: ptr("ALL_PROJECTED_ATTRIBUTES"),
		KeyConditionExpression: ptr("pk = :p"), ExpressionAttributeValues: vals(":p", sv("p0"))})
	wantErr(t, err, "ValidationException", "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")

	// LSI: ordered by rank; ALL_ATTRIBUTES fetches the rest from the table.
	out = query(t, s, &dynamodbapi.QueryInput{IndexName: ptr("byRank"), KeyConditionExpression: ptr("pk = :p AND #r > :r"),
		ExpressionAttributeNames: map[string]string{"#r": "rank"}, ExpressionAttributeValues: vals(":p", sv("p1"), ":r", nv("97"))})
	if sks(out.Items) != "2,1,0" || names(out.Items[0]) != "[kind pk rank sk]" {
		t.Fatalf("LSI: %s %v", sks(out.Items), out.Items)
	}
	out = query(t, s, &dynamodbapi.QueryInput{IndexName: ptr("byRank"), KeyConditionExpression: ptr("pk = :p AND #r > :r"), Select: ptr("ALL_ATTRIBUTES"),
		ExpressionAttributeNames: map[string]string{"#r": "rank"}, ExpressionAttributeValues: vals(":p", sv("p1"), ":r", nv("97"))})
	if names(out.Items[0]) != "[kind name pk rank sk]" {
		t.Fatalf("LSI fetch: %v", out.Items[0])
	}
}

func TestQueryPageSize(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Big", ks("pk", "sk"), defs("pk", "S", "sk", "N")))
	blob := strings.Repeat("x", 100*1024)
	for i := range 25 {
		put(t, s, "Big", attr.Item{"pk": sv("a"), "sk": nv(fmt.Sprint(i)), "n": nv(fmt.Sprint(i)), "blob": sv(blob)})
	}
	out, err := s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("Big"), KeyConditionExpression: ptr("pk = :p"), ExpressionAttributeValues: vals(":p", sv("a")),
		FilterExpression: ptr("n < :z"), ExpressionAttributeNames: nil})
	if err == nil {
		t.Fatal("an undefined value :z was accepted")
	}
	out, err = s.Query(bg, &dynamodbapi.QueryInput{TableName: ptr("Big"), KeyConditionExpression: ptr("pk = :p"), ExpressionAttributeValues: vals(":p", sv("a"), ":z", nv("0")),
		FilterExpression: ptr("n < :z")})
	if err != nil {
		t.Fatal(err)
	}
	// About ten 100 KB items fit in 1 MB; the filter removes them all but
	// the page still stops at the size.
	if *out.ScannedCount < 9 || *out.ScannedCount > 10 || *out.Count != 0 || out.LastEvaluatedKey == nil {
		t.Fatalf("page: scanned %d count %d LEK %v", *out.ScannedCount, *out.Count, out.LastEvaluatedKey)
	}
}

func TestScanSegments(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Scan", ks("id"), defs("id", "S")))
	const n = 200
	for i := range n {
		put(t, s, "Scan", attr.Item{"id": sv(fmt.Sprint(i)), "even": {BOOL: ptr(i%2 == 0)}})
	}
	for _, total := range []int32{1, 3, 7, 64} {
		seen := map[string]int{}
		for seg := range total {
			before := len(seen)
			var start attr.Item
			for {
				out, err := s.Scan(bg, &dynamodbapi.ScanInput{TableName: ptr("Scan"), Segment: ptr(seg), TotalSegments: ptr(total), Limit: ptr(int32(9)), ExclusiveStartKey: start})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range out.Items {
					seen[*it["id"].S]++
				}
				if out.LastEvaluatedKey == nil {
					break
				}
				start = out.LastEvaluatedKey
			}
			// Segments share the items evenly, whatever the keys.
			if got, fair := len(seen)-before, n/int(total); total < 64 && (got < fair/2 || got > fair*2) {
				t.Errorf("segment %d of %d holds %d items, want about %d", seg, total, got, fair)
			}
		}
		if len(seen) != n {
			t.Fatalf("%d segments saw %d items", total, len(seen))
		}
		for id, c := range seen {
			if c != 1 {
				t.Fatalf("%d segments: %s seen %d times", total, id, c)
			}
		}
	}
	out, err := s.Scan(bg, &dynamodbapi.ScanInput{TableName: ptr("Scan"), FilterExpression: ptr("even = :t"), ExpressionAttributeValues: vals(":t", attr.Value{BOOL: ptr(true)}), Select: ptr("COUNT")})
	if err != nil || *out.Count != n/2 || *out.ScannedCount != n {
		t.Fatalf("filtered count: %v %+v", err, out)
	}
	_, err = s.Scan(bg, &dynamodbapi.ScanInput{TableName: ptr("Scan"), Segment: ptr(int32(3)), TotalSegments: ptr(int32(3))})
	wantErr(t, err, "ValidationException", "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 3 is not less than TotalSegments: 3")
	_, err = s.Scan(bg, &dynamodbapi.ScanInput{TableName: ptr("Scan"), Segment: ptr(int32(0))})
	wantErr(t, err, "ValidationException", "The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
}

// A Query's filter may not name a key attribute of the table or index
// queried; other attributes, and a GSI query's filter on the table's own
// key, are fine. Scan has no such rule.
func TestQueryFilterOnKeyAttribute(t *testing.T) {
	s := newTestService(t)
	seriesTable(t, s)
	tests := []struct {
		index, cond, filter string
		names               map[string]string
		values              attr.Item
		wantKey             string // "" when the filter is allowed
	}{
		{cond: "pk = :p", filter: "sk > :n", values: vals(":p", sv("p0"), ":n", nv("3")), wantKey: "sk"},
		{cond: "pk = :p", filter: "#k = :p", names: map[string]string{"#k": "pk"}, values: vals(":p", sv("p0")), wantKey: "pk"},
		{cond: "pk = :p", filter: "#r > :n OR attribute_exists(sk)", names: map[string]string{"#r": "rank"}, values: vals(":p", sv("p0"), ":n", nv("3")), wantKey: "sk"},
		{cond: "pk = :p", filter: "size(sk) > :n", values: vals(":p", sv("p0"), ":n", nv("3")), wantKey: "sk"},
		{cond: "pk = :p", filter: "kind IN (:p, :k)", values: vals(":p", sv("p0"), ":k", sv("odd"))},
		{index: "byKind", cond: "kind = :k", filter: "pk = :p", values: vals(":p", sv("p0"), ":k", sv("odd"))},
		{index: "byKind", cond: "kind = :k", filter: "sk BETWEEN :a AND :b", values: vals(":a", nv("1"), ":b", nv("3"), ":k", sv("odd")), wantKey: "sk"},
		{index: "byRank", cond: "pk = :p", filter: "#r < :n", names: map[string]string{"#r": "rank"}, values: vals(":p", sv("p0"), ":n", nv("90")), wantKey: "rank"},
		{index: "byRank", cond: "pk = :p", filter: "sk < :n", values: vals(":p", sv("p0"), ":n", nv("90"))},
	}
	for _, tc := range tests {
		t.Run(tc.index+" "+tc.filter, func(t *testing.T) {
			in := &dynamodbapi.QueryInput{TableName: ptr("Series"), KeyConditionExpression: ptr(tc.cond), FilterExpression: ptr(tc.filter),
				ExpressionAttributeNames: tc.names, ExpressionAttributeValues: tc.values}
			if tc.index != "" {
				in.IndexName = ptr(tc.index)
			}
			_, err := s.Query(bg, in)
			if tc.wantKey == "" {
				if err != nil {
					t.Fatalf("Query: %v", err)
				}
				return
			}
			wantErr(t, err, "ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: "+tc.wantKey)
		})
	}
	// Scan filters on keys freely.
	if _, err := s.Scan(bg, &dynamodbapi.ScanInput{TableName: ptr("Series"), FilterExpression: ptr("sk > :n"), ExpressionAttributeValues: vals(":n", nv("3"))}); err != nil {
		t.Fatalf("Scan: %v", err)
	}
}
