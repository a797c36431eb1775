package dynamodb

import (
	"slices"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
)

// insightsTable creates table name (pk, sk) with a GSI byG (g) and an LSI
// byL (pk, l).
func insightsTable(t *testing.T, s *Service, name string) {
	t.Helper()
	in := onDemand(name, ks("pk", "sk"), defs("pk", "S", "sk", "S", "g", "S", "l", "S"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byG"), KeySchema: ks("g"), Projection: projAllOf()}}
	in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{{IndexName: ptr("byL"), KeySchema: ks("pk", "l"), Projection: projAllOf()}}
	mustCreate(t, s, in)
}

func updateInsights(s *Service, table, index, action, mode string) (*dynamodbapi.UpdateContributorInsightsOutput, error) {
	in := &dynamodbapi.UpdateContributorInsightsInput{TableName: ptr(table), ContributorInsightsAction: ptr(action)}
	if index != "" {
		in.IndexName = ptr(index)
	}
	if mode != "" {
		in.ContributorInsightsMode = ptr(mode)
	}
	return s.UpdateContributorInsights(bg, in)
}

func describeInsights(t *testing.T, s *Service, table, index string) *dynamodbapi.DescribeContributorInsightsOutput {
	t.Helper()
	in := &dynamodbapi.DescribeContributorInsightsInput{TableName: ptr(table)}
	if index != "" {
		in.IndexName = ptr(index)
	}
	out, err := s.DescribeContributorInsights(bg, in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestContributorInsightsLifecycle(t *testing.T) {
	s := newTestService(t)
	insightsTable(t, s, "orders")
	stamp := "1740830400000" // the test clock in Unix milliseconds

	d := describeInsights(t, s, "orders", "")
	if deref(d.ContributorInsightsStatus) != "DISABLED" || d.ContributorInsightsMode != nil || d.LastUpdateDateTime != nil || d.ContributorInsightsRuleList != nil {
		t.Fatalf("never enabled: %+v", d)
	}

	steps := []struct {
		name, index, action, mode string
		wantStatus, wantMode      string
		describe                  string
		rules                     []string
	}{
		{"enable table", "", "ENABLE", "", "ENABLING", insightsAllKeys, "ENABLED", []string{
			"DynamoDBContributorInsights-PKC-orders-" + stamp, "DynamoDBContributorInsights-PKT-orders-" + stamp,
			"DynamoDBContributorInsights-SKC-orders-" + stamp, "DynamoDBContributorInsights-SKT-orders-" + stamp}},
		{"enable again is a no-op", "", "ENABLE", insightsAllKeys, "ENABLED", insightsAllKeys, "ENABLED", nil},
		{"throttled keys only", "", "ENABLE", insightsThrottledKeys, "ENABLING", insightsThrottledKeys, "ENABLED", []string{
			"DynamoDBContributorInsights-PKT-orders-" + stamp, "DynamoDBContributorInsights-SKT-orders-" + stamp}},
		{"enable without mode reverts to the default", "", "ENABLE", "", "ENABLING", insightsAllKeys, "ENABLED", nil},
		{"enable GSI", "byG", "ENABLE", "", "ENABLING", insightsAllKeys, "ENABLED", []string{
			"DynamoDBContributorInsights-PKC-orders-byG-" + stamp, "DynamoDBContributorInsights-PKT-orders-byG-" + stamp}},
		{"disable answers the mode on", "", "DISABLE", insightsThrottledKeys, "DISABLING", insightsAllKeys, "DISABLED", nil},
		{"disable again", "", "DISABLE", "", "DISABLED", insightsAllKeys, "DISABLED", nil},
	}
	for _, st := range steps {
		out, err := updateInsights(s, "orders", st.index, st.action, st.mode)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if deref(out.ContributorInsightsStatus) != st.wantStatus || deref(out.ContributorInsightsMode) != st.wantMode || deref(out.TableName) != "orders" || deref(out.IndexName) != st.index {
			t.Fatalf("%s: got %s %s %s/%s", st.name, deref(out.ContributorInsightsStatus), deref(out.ContributorInsightsMode), deref(out.TableName), deref(out.IndexName))
		}
		d := describeInsights(t, s, "orders", st.index)
		if deref(d.ContributorInsightsStatus) != st.describe || deref(d.ContributorInsightsMode) != st.wantMode || d.LastUpdateDateTime == nil || d.FailureException != nil {
			t.Fatalf("%s: describe %+v", st.name, d)
		}
		if st.rules != nil && !slices.Equal(d.ContributorInsightsRuleList, st.rules) {
			t.Fatalf("%s: rules %q, want %q", st.name, d.ContributorInsightsRuleList, st.rules)
		}
		if st.describe == "DISABLED" && d.ContributorInsightsRuleList != nil {
			t.Fatalf("%s: disabled with rules %q", st.name, d.ContributorInsightsRuleList)
		}
	}
}

func TestContributorInsightsErrors(t *testing.T) {
	s := newTestService(t)
	insightsTable(t, s, "orders")
	cases := []struct {
		name, table, index, code, msg string
	}{
		{"missing table", "nope", "", "ResourceNotFoundException", "Requested resource not found: Table: nope not found"},
		{"local index", "orders", "byL", "ResourceNotFoundException", "Requested resource not found: Index: byL not found for table: orders"},
		{"unknown index", "orders", "byX", "ResourceNotFoundException", "Requested resource not found: Index: byX not found for table: orders"},
	}
	for _, c := range cases {
		_, err := updateInsights(s, c.table, c.index, "ENABLE", "")
		wantErr(t, err, c.code, c.msg)
		in := &dynamodbapi.DescribeContributorInsightsInput{TableName: ptr(c.table)}
		if c.index != "" {
			in.IndexName = ptr(c.index)
		}
		_, err = s.DescribeContributorInsights(bg, in)
		wantErr(t, err, c.code, c.msg)
	}
	_, err := s.ListContributorInsights(bg, &dynamodbapi.ListContributorInsightsInput{TableName: ptr("nope")})
	wantErr(t, err, "ResourceNotFoundException", "Table: nope not found")
	_, err = s.ListContributorInsights(bg, &dynamodbapi.ListContributorInsightsInput{NextToken: ptr("!!")})
	wantErr(t, err, "ValidationException", "NextToken")
}

func TestListContributorInsights(t *testing.T) {
	s := newTestService(t)
	for _, name := range []string{"b-table", "a-table", "c-table", "a-table-2"} {
		insightsTable(t, s, name)
	}
	enable := [][2]string{{"b-table", ""}, {"a-table", "byG"}, {"a-table", ""}, {"a-table-2", ""}, {"c-table", "byG"}}
	for _, e := range enable {
		if _, err := updateInsights(s, e[0], e[1], "ENABLE", ""); err != nil {
			t.Fatal(err)
		}
	}
	// c-table's GSI is turned off again: DISABLED entries are not listed.
	if _, err := updateInsights(s, "c-table", "byG", "DISABLE", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"a-table/", "a-table/byG", "a-table-2/", "b-table/"}
	list := func(in *dynamodbapi.ListContributorInsightsInput) (got []string, pages int) {
		for {
			out, err := s.ListContributorInsights(bg, in)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, sum := range out.ContributorInsightsSummaries {
				if deref(sum.ContributorInsightsStatus) != "ENABLED" || deref(sum.ContributorInsightsMode) != insightsAllKeys {
					t.Fatalf("summary %+v", sum)
				}
				got = append(got, deref(sum.TableName)+"/"+deref(sum.IndexName))
			}
			if out.NextToken == nil {
				return got, pages
			}
			in.NextToken = out.NextToken
		}
	}
	cases := []struct {
		name      string
		in        dynamodbapi.ListContributorInsightsInput
		want      []string
		wantPages int
	}{
		{"all", dynamodbapi.ListContributorInsightsInput{}, want, 1},
		{"pages of one", dynamodbapi.ListContributorInsightsInput{MaxResults: ptr(int32(1))}, want, 4},
		{"pages of three", dynamodbapi.ListContributorInsightsInput{MaxResults: ptr(int32(3))}, want, 2},
		{"one table", dynamodbapi.ListContributorInsightsInput{TableName: ptr("a-table")}, want[:2], 1},
		{"table with none", dynamodbapi.ListContributorInsightsInput{TableName: ptr("c-table")}, nil, 1},
	}
	for _, c := range cases {
		got, pages := list(&c.in)
		if !slices.Equal(got, c.want) || pages != c.wantPages {
			t.Errorf("%s: got %q in %d pages, want %q in %d", c.name, got, pages, c.want, c.wantPages)
		}
	}

	// A deleted table takes its settings along; a new table of the same
	// name starts without insights.
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("a-table")}); err != nil {
		t.Fatal(err)
	}
	insightsTable(t, s, "a-table")
	if got, _ := list(&dynamodbapi.ListContributorInsightsInput{}); !slices.Equal(got, []string{"a-table-2/", "b-table/"}) {
		t.Fatalf("after re-create: %q", got)
	}
	if d := describeInsights(t, s, "a-table", "byG"); deref(d.ContributorInsightsStatus) != "DISABLED" || d.LastUpdateDateTime != nil {
		t.Fatalf("re-created table: %+v", d)
	}
}

// TestContributorInsightsIndexRecreated: an index deleted and created again
// under the same name starts without the old index's setting.
func TestContributorInsightsIndexRecreated(t *testing.T) {
	s := newTestService(t)
	insightsTable(t, s, "orders")
	if _, err := updateInsights(s, "orders", "byG", "ENABLE", ""); err != nil {
		t.Fatal(err)
	}
	update := func(u dynamodbapi.GlobalSecondaryIndexUpdate) {
		t.Helper()
		if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("orders"), AttributeDefinitions: defs("g", "S"),
			GlobalSecondaryIndexUpdates: []dynamodbapi.GlobalSecondaryIndexUpdate{u}}); err != nil {
			t.Fatal(err)
		}
	}
	update(dynamodbapi.GlobalSecondaryIndexUpdate{Delete: &dynamodbapi.DeleteGlobalSecondaryIndexAction{IndexName: ptr("byG")}})
	_, err := updateInsights(s, "orders", "byG", "ENABLE", "")
	wantErr(t, err, "ResourceNotFoundException", "Index: byG not found for table: orders")
	update(dynamodbapi.GlobalSecondaryIndexUpdate{Create: &dynamodbapi.CreateGlobalSecondaryIndexAction{IndexName: ptr("byG"), KeySchema: ks("g"), Projection: projAllOf()}})
	if d := describeInsights(t, s, "orders", "byG"); deref(d.ContributorInsightsStatus) != "DISABLED" || d.LastUpdateDateTime != nil {
		t.Fatalf("re-created index: %+v", d)
	}
	out, err := s.ListContributorInsights(bg, &dynamodbapi.ListContributorInsightsInput{})
	if err != nil || len(out.ContributorInsightsSummaries) != 0 {
		t.Fatalf("list: %+v %v", out, err)
	}
}
