package dynamodb

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// pageTranscript renders a page of a Query or Scan: count/scanned, the
// items' sort keys, the LastEvaluatedKey's attribute names and the
// capacity consumed.
func pageTranscript(items []map[string]dynamodbapi.AttributeValue, count, scanned *int32, last attr.Item, cc *dynamodbapi.ConsumedCapacity) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d", deref(count), deref(scanned))
	if items == nil {
		b.WriteString(" nil")
	} else {
		var l []string
		for _, it := range items {
			keys := make([]string, 0, len(it))
			for k := range it {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			sk := "-"
			if v, ok := it["sk"]; ok {
				sk = *v.N
			}
			l = append(l, sk+":"+strings.Join(keys, "+"))
		}
		b.WriteString(" [" + strings.Join(l, " ") + "]")
	}
	if last != nil {
		b.WriteString(" last=" + names(last))
	}
	if cc != nil {
		fmt.Fprintf(&b, " cc=%v", deref(cc.CapacityUnits))
		if cc.Table != nil {
			fmt.Fprintf(&b, "/t%v", deref(cc.Table.CapacityUnits))
		}
		for name, ix := range cc.LocalSecondaryIndexes {
			fmt.Fprintf(&b, "/%s%v", name, deref(ix.CapacityUnits))
		}
		for name, ix := range cc.GlobalSecondaryIndexes {
			fmt.Fprintf(&b, "/%s%v", name, deref(ix.CapacityUnits))
		}
	}
	return b.String()
}

func errText(err error) string {
	e := awserr.From(err)
	return e.Code + ": " + e.Message
}

// TestPagingTranscripts pins down what Query and Scan answer, page after
// page, for the options their shared paging handles.
func TestPagingTranscripts(t *testing.T) {
	s := newTestService(t)
	seriesTable(t, s)
	small := func(v string) attr.Item { return vals(":p", sv(v)) }
	queries := []struct {
		name string
		in   dynamodbapi.QueryInput
		want string
	}{
		{"limit reverse", dynamodbapi.QueryInput{KeyConditionExpression: ptr("pk = :p AND sk < :a"), ExpressionAttributeValues: vals(":p", sv("p1"), ":a", nv("5")), Limit: ptr(int32(2)), ScanIndexForward: ptr(false), ReturnConsumedCapacity: ptr("TOTAL")},
			"2/2 [4:kind+name+pk+rank+sk 3:kind+name+pk+rank+sk] last=[pk sk] cc=0.5 | 2/2 [2:kind+name+pk+rank+sk 1:kind+name+pk+rank+sk] last=[pk sk] cc=0.5 | 1/1 [0:kind+name+pk+rank+sk] cc=0.5"},
		{"filter count", dynamodbapi.QueryInput{KeyConditionExpression: ptr("pk = :p"), FilterExpression: ptr("kind = :k"), ExpressionAttributeValues: vals(":p", sv("p0"), ":k", sv("odd")), Select: ptr("COUNT"), Limit: ptr(int32(15))},
			"7/15 nil last=[pk sk] | 3/5 nil"},
		{"gsi indexes", dynamodbapi.QueryInput{IndexName: ptr("byKind"), KeyConditionExpression: ptr("kind = :p AND sk BETWEEN :a AND :b"), ExpressionAttributeValues: vals(":p", sv("even"), ":a", nv("2"), ":b", nv("4")), Limit: ptr(int32(4)), ReturnConsumedCapacity: ptr("INDEXES")},
			"4/4 [2:kind+pk+sk 2:kind+pk+sk 2:kind+pk+sk 4:kind+pk+sk] last=[kind pk sk] cc=0.5/t0/byKind0.5 | 2/2 [4:kind+pk+sk 4:kind+pk+sk] cc=0.5/t0/byKind0.5"},
		{"lsi fetch", dynamodbapi.QueryInput{IndexName: ptr("byRank"), KeyConditionExpression: ptr("pk = :p AND #r <= :r"), ExpressionAttributeNames: map[string]string{"#r": "rank", "#n": "name"}, ProjectionExpression: ptr("#n, sk"), ExpressionAttributeValues: vals(":p", sv("p2"), ":r", nv("82")), Limit: ptr(int32(2)), ConsistentRead: ptr(true), ReturnConsumedCapacity: ptr("INDEXES")},
			"2/2 [19:name+sk 18:name+sk] last=[pk rank sk] cc=2/t1/byRank1 | 0/0 [] cc=1/t0/byRank1"},
		{"begins with nothing", dynamodbapi.QueryInput{KeyConditionExpression: ptr("pk = :p"), ExpressionAttributeValues: small("zz")}, "0/0 []"},
	}
	for _, tc := range queries {
		in := tc.in
		in.TableName = ptr("Series")
		var pages []string
		for range 10 {
			out, err := s.Query(bg, &in)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			pages = append(pages, pageTranscript(out.Items, out.Count, out.ScannedCount, out.LastEvaluatedKey, out.ConsumedCapacity))
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
		if got := strings.Join(pages, " | "); got != tc.want {
			t.Errorf("Query %s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}

	scans := []struct {
		name string
		in   dynamodbapi.ScanInput
		want string
	}{
		{"limit projection", dynamodbapi.ScanInput{Limit: ptr(int32(25)), ProjectionExpression: ptr("sk"), ReturnConsumedCapacity: ptr("TOTAL")},
			"25/25 [0:sk 1:sk 2:sk 3:sk 4:sk 5:sk 6:sk 7:sk 8:sk 9:sk 10:sk 11:sk 12:sk 13:sk 14:sk 15:sk 16:sk 17:sk 18:sk 19:sk 0:sk 1:sk 2:sk 3:sk 4:sk] last=[pk sk] cc=0.5 | 25/25 [5:sk 6:sk 7:sk 8:sk 9:sk 10:sk 11:sk 12:sk 13:sk 14:sk 15:sk 16:sk 17:sk 18:sk 19:sk 0:sk 1:sk 2:sk 3:sk 4:sk 5:sk 6:sk 7:sk 8:sk 9:sk] last=[pk sk] cc=0.5 | 10/10 [10:sk 11:sk 12:sk 13:sk 14:sk 15:sk 16:sk 17:sk 18:sk 19:sk] cc=0.5"},
		{"gsi filter", dynamodbapi.ScanInput{IndexName: ptr("byKind"), FilterExpression: ptr("sk > :a"), ExpressionAttributeValues: vals(":a", nv("16")), Limit: ptr(int32(40))},
			"3/40 [18:kind+pk+sk 18:kind+pk+sk 18:kind+pk+sk] last=[kind pk sk] | 6/20 [17:kind+pk+sk 17:kind+pk+sk 17:kind+pk+sk 19:kind+pk+sk 19:kind+pk+sk 19:kind+pk+sk]"},
		{"segment", dynamodbapi.ScanInput{Segment: ptr(int32(1)), TotalSegments: ptr(int32(2)), Select: ptr("COUNT"), Limit: ptr(int32(30))},
			"20/20 nil"},
		{"lsi all", dynamodbapi.ScanInput{IndexName: ptr("byRank"), Select: ptr("ALL_ATTRIBUTES"), FilterExpression: ptr("sk = :z"), ExpressionAttributeValues: vals(":z", nv("0")), Limit: ptr(int32(59)), ReturnConsumedCapacity: ptr("INDEXES")},
			"2/59 [0:kind+name+pk+rank+sk 0:kind+name+pk+rank+sk] last=[pk rank sk] cc=1.5/t0.5/byRank1 | 1/1 [0:kind+name+pk+rank+sk] cc=1/t0.5/byRank0.5"},
	}
	for _, tc := range scans {
		in := tc.in
		in.TableName = ptr("Series")
		var pages []string
		for range 10 {
			out, err := s.Scan(bg, &in)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			pages = append(pages, pageTranscript(out.Items, out.Count, out.ScannedCount, out.LastEvaluatedKey, out.ConsumedCapacity))
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
		if got := strings.Join(pages, " | "); got != tc.want {
			t.Errorf("Scan %s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// TestPagingErrors pins down which error a bad Query or Scan gets when it
// has several faults: the order of the checks is part of the behaviour.
func TestPagingErrors(t *testing.T) {
	s := newTestService(t)
	seriesTable(t, s)
	kc := ptr("pk = :p")
	p0 := vals(":p", sv("p0"))
	queries := []struct {
		in   dynamodbapi.QueryInput
		want string
	}{
		{dynamodbapi.QueryInput{TableName: ptr("Nope"), KeyConditionExpression: kc, ExpressionAttributeValues: vals(":p", sv("p0"), ":x", sv("x"))},
			"ResourceNotFoundException: Requested resource not found"},
		{dynamodbapi.QueryInput{TableName: ptr("Series"), IndexName: ptr("nope"), KeyConditionExpression: ptr("bad bad"), ExpressionAttributeValues: p0},
			"ValidationException: The table does not have the specified index: nope"},
		{dynamodbapi.QueryInput{TableName: ptr("Series"), KeyConditionExpression: kc, ExpressionAttributeValues: vals(":p", sv("p0"), ":x", sv("x")), Select: ptr("ALL_PROJECTED_ATTRIBUTES")},
			"ValidationException: Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"},
		{dynamodbapi.QueryInput{TableName: ptr("Series"), KeyConditionExpression: kc, ExpressionAttributeValues: p0, Select: ptr("ALL_PROJECTED_ATTRIBUTES"), ExclusiveStartKey: vals("pk", sv("p0"))},
			"ValidationException: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"},
		{dynamodbapi.QueryInput{TableName: ptr("Series"), KeyConditionExpression: kc, ExpressionAttributeValues: p0, ExclusiveStartKey: vals("pk", sv("p0"))},
			"ValidationException: The provided starting key is invalid: The provided key element does not match the schema"},
		{dynamodbapi.QueryInput{TableName: ptr("Series"), KeyConditionExpression: kc, ExpressionAttributeValues: p0, ExclusiveStartKey: vals("pk", sv("p1"), "sk", nv("1"))},
			"ValidationException: The provided starting key is outside query boundaries based on provided conditions"},
		{dynamodbapi.QueryInput{TableName: ptr("Series"), IndexName: ptr("byKind"), ConsistentRead: ptr(true), KeyConditionExpression: kc, ExpressionAttributeValues: p0},
			"ValidationException: Consistent reads are not supported on global secondary indexes"},
	}
	for i, tc := range queries {
		_, err := s.Query(bg, &tc.in)
		if err == nil || errText(err) != tc.want {
			t.Errorf("Query %d: got %v\nwant %s", i, err, tc.want)
		}
	}
	scans := []struct {
		in   dynamodbapi.ScanInput
		want string
	}{
		{dynamodbapi.ScanInput{TableName: ptr("Nope"), FilterExpression: ptr("sk = :z"), ExpressionAttributeValues: vals(":x", sv("x"), ":z", nv("0"))},
			"ValidationException: Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"},
		{dynamodbapi.ScanInput{TableName: ptr("Nope"), IndexName: ptr("nope")},
			"ResourceNotFoundException: Requested resource not found"},
		{dynamodbapi.ScanInput{TableName: ptr("Series"), IndexName: ptr("nope"), Select: ptr("BOGUS")},
			"ValidationException: The table does not have the specified index: nope"},
		{dynamodbapi.ScanInput{TableName: ptr("Series"), Select: ptr("ALL_PROJECTED_ATTRIBUTES"), ExclusiveStartKey: vals("pk", sv("p0"))},
			"ValidationException: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"},
		{dynamodbapi.ScanInput{TableName: ptr("Series"), IndexName: ptr("byKind"), ExclusiveStartKey: vals("pk", sv("p0"), "sk", nv("1"))},
			"ValidationException: The provided starting key is invalid: The provided key element does not match the schema"},
	}
	for i, tc := range scans {
		_, err := s.Scan(bg, &tc.in)
		if err == nil || errText(err) != tc.want {
			t.Errorf("Scan %d: got %v\nwant %s", i, err, tc.want)
		}
	}
}
