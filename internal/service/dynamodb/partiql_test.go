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

// qlTable creates Music (Artist S, SongTitle S) with a global index on
// Genre and a local index on Year.
func qlTable(t *testing.T, s *Service) {
	t.Helper()
	in := onDemand("Music", ks("Artist", "SongTitle"), defs("Artist", "S", "SongTitle", "S", "Genre", "S", "Year", "N"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byGenre"), KeySchema: ks("Genre", "SongTitle"), Projection: projAllOf()}}
	in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{{IndexName: ptr("byYear"), KeySchema: ks("Artist", "Year"), Projection: projAllOf()}}
	mustCreate(t, s, in)
}

func qlExec(t *testing.T, s *Service, stmt string, params ...attr.Value) *dynamodbapi.ExecuteStatementOutput {
	t.Helper()
	out, err := qlTry(s, stmt, params...)
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	return out
}

func qlTry(s *Service, stmt string, params ...attr.Value) (*dynamodbapi.ExecuteStatementOutput, error) {
	return s.ExecuteStatement(bg, &dynamodbapi.ExecuteStatementInput{Statement: ptr(stmt), Parameters: params})
}

// qlRender renders items as sorted "k=v" lists for comparisons.
func qlRender(items []map[string]dynamodbapi.AttributeValue) string {
	var rows []string
	for _, it := range items {
		var parts []string
		for k, v := range it {
			parts = append(parts, k+"="+qlValue(v))
		}
		sort.Strings(parts)
		rows = append(rows, "{"+strings.Join(parts, " ")+"}")
	}
	return strings.Join(rows, " ")
}

func qlValue(v attr.Value) string {
	switch {
	case v.S != nil:
		return *v.S
	case v.N != nil:
		return *v.N
	case v.BOOL != nil:
		return fmt.Sprint(*v.BOOL)
	case v.NULL != nil:
		return "null"
	case v.L != nil:
		var parts []string
		for _, e := range v.L {
			parts = append(parts, qlValue(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case v.M != nil:
		return qlRender([]map[string]dynamodbapi.AttributeValue{v.M})
	case v.SS != nil:
		return "<<" + strings.Join(v.SS, ",") + ">>"
	case v.NS != nil:
		return "<<" + strings.Join(v.NS, ",") + ">>"
	}
	return "?"
}

func qlSeed(t *testing.T, s *Service) {
	t.Helper()
	for _, st := range []string{
		`INSERT INTO "Music" VALUE {'Artist': 'Acme', 'SongTitle': 'A', 'Genre': 'rock', 'Year': 2001, 'Plays': 10}`,
		`INSERT INTO "Music" VALUE {'Artist': 'Acme', 'SongTitle': 'B', 'Genre': 'jazz', 'Year': 2003, 'Plays': 20, 'Tags': <<'live', 'new'>>}`,
		`INSERT INTO "Music" VALUE {'Artist': 'Acme', 'SongTitle': 'C', 'Genre': 'rock', 'Year': 2002, 'Info': {'label': 'X', 'charts': [5, 1]}}`,
		`INSERT INTO Music VALUE {'Artist': 'Bolt', 'SongTitle': 'A', 'Genre': 'pop', 'Year': 1999, 'Plays': 5}`,
		`INSERT INTO Music VALUE {'Artist': 'Cray', 'SongTitle': 'Z', 'Plays': 7}`,
	} {
		qlExec(t, s, st)
	}
}

func TestPartiQLSelect(t *testing.T) {
	s := newTestService(t)
	qlTable(t, s)
	qlSeed(t, s)
	for _, tc := range []struct {
		stmt   string
		params []attr.Value
		want   string
	}{
		{`SELECT SongTitle FROM Music WHERE Artist = 'Acme'`, nil, "{SongTitle=A} {SongTitle=B} {SongTitle=C}"},
		{`SELECT SongTitle FROM Music WHERE Artist = ? ORDER BY SongTitle DESC`, []attr.Value{sv("Acme")}, "{SongTitle=C} {SongTitle=B} {SongTitle=A}"},
		{`SELECT * FROM "Music" WHERE "Artist" = 'Acme' AND "SongTitle" = 'C'`, nil, "{Artist=Acme Genre=rock Info={charts=[5,1] label=X} SongTitle=C Year=2002}"},
		{`SELECT Info.label, Info.charts[1] FROM Music WHERE Artist = 'Acme' AND SongTitle = 'C'`, nil, "{charts=1 label=X}"},
		{`SELECT Artist, SongTitle FROM Music WHERE Artist IN ['Bolt', 'Cray', 'Nobody']`, nil, "{Artist=Bolt SongTitle=A} {Artist=Cray SongTitle=Z}"},
		{`SELECT SongTitle FROM Music WHERE Artist = 'Bolt' OR Artist = 'Cray'`, nil, "{SongTitle=A} {SongTitle=Z}"},
		{`SELECT SongTitle FROM Music WHERE Artist = 'Acme' AND Plays BETWEEN 5 AND 15`, nil, "{SongTitle=A}"},
		{`SELECT SongTitle FROM Music WHERE Artist = 'Acme' AND Plays IS MISSING`, nil, "{SongTitle=C}"},
		{`SELECT SongTitle FROM Music WHERE Artist = 'Acme' AND Plays IS NOT MISSING AND NOT Plays > 15`, nil, "{SongTitle=A}"},
		{`SELECT SongTitle FROM Music WHERE Artist = 'Acme' AND contains(Tags, 'live')`, nil, "{SongTitle=B}"},
		{`SELECT SongTitle FROM Music WHERE Artist = 'Acme' AND begins_with(Genre, 'ro') AND Year <> 2002`, nil, "{SongTitle=A}"},
		{`SELECT SongTitle FROM Music WHERE Artist = 'Acme' AND attribute_exists(Info.charts[1]) AND size(Info.charts) = 2`, nil, "{SongTitle=C}"},
		{`SELECT Artist FROM Music WHERE Plays >= 7 AND Plays < 20`, nil, "{Artist=Acme} {Artist=Cray}"},
		{`SELECT SongTitle FROM "Music"."byGenre" WHERE Genre = 'rock'`, nil, "{SongTitle=A} {SongTitle=C}"},
		{`SELECT Year FROM "Music"."byYear" WHERE Artist = 'Acme' ORDER BY Year DESC`, nil, "{Year=2003} {Year=2002} {Year=2001}"},
		{`SELECT SongTitle FROM Music WHERE Artist = 'Acme' AND SongTitle IN ('A', 'C') AND Year > ?`, []attr.Value{nv("2001")}, "{SongTitle=C}"},
		{`SELECT * FROM Music WHERE Artist = 'Nobody'`, nil, ""},
	} {
		out, err := s.ExecuteStatement(bg, &dynamodbapi.ExecuteStatementInput{Statement: ptr(tc.stmt), Parameters: tc.params})
		if err != nil {
			t.Errorf("%s: %v", tc.stmt, err)
			continue
		}
		got := qlRender(out.Items)
		if strings.Contains(tc.stmt, "IN [") || strings.Contains(tc.stmt, "Plays >= 7") {
			// Several partitions, or a scan: order is not the point here.
			rows := strings.Split(got, "} {")
			for i := range rows {
				rows[i] = strings.Trim(rows[i], "{}")
			}
			sort.Strings(rows)
			got = "{" + strings.Join(rows, "} {") + "}"
		}
		if got != tc.want || out.Items == nil || out.NextToken != nil {
			t.Errorf("%s\n got %s (next %v)\nwant %s", tc.stmt, got, out.NextToken, tc.want)
		}
	}

	// A scan of every item.
	out := qlExec(t, s, `SELECT * FROM Music`)
	if len(out.Items) != 5 {
		t.Fatalf("scan: %d items", len(out.Items))
	}
}

func TestPartiQLSelectPages(t *testing.T) {
	s := newTestService(t)
	qlTable(t, s)
	for i := range 7 {
		qlExec(t, s, `INSERT INTO Music VALUE {'Artist': ?, 'SongTitle': ?, 'n': ?}`, sv(fmt.Sprint("P", i%2)), sv(fmt.Sprint("S", i)), nv(fmt.Sprint(i)))
	}
	for _, stmt := range []string{
		`SELECT * FROM Music`,
		`SELECT * FROM Music WHERE Artist IN ['P0', 'P1']`,
		`SELECT * FROM Music WHERE Artist = 'P0' OR Artist = 'P1' ORDER BY SongTitle DESC`,
		`SELECT * FROM Music WHERE n <> 3`,
	} {
		seen := map[string]bool{}
		var token *string
		pages := 0
		for {
			out, err := s.ExecuteStatement(bg, &dynamodbapi.ExecuteStatementInput{Statement: ptr(stmt), Limit: ptr(int32(2)), NextToken: token})
			if err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
			pages++
			if len(out.Items) > 2 {
				t.Fatalf("%s: %d items in a page of 2", stmt, len(out.Items))
			}
			for _, it := range out.Items {
				k := *it["SongTitle"].S
				if seen[k] {
					t.Fatalf("%s: %s twice", stmt, k)
				}
				seen[k] = true
			}
			if token = out.NextToken; token == nil {
				break
			}
			if out.LastEvaluatedKey == nil && !strings.Contains(stmt, "IN") && !strings.Contains(stmt, "OR") {
				t.Fatalf("%s: NextToken without LastEvaluatedKey", stmt)
			}
		}
		want := 7
		if strings.Contains(stmt, "<>") {
			want = 6
		}
		if len(seen) != want || pages < 4 {
			t.Fatalf("%s: %d items in %d pages", stmt, len(seen), pages)
		}
	}
	// A token belongs to its statement.
	first, err := s.ExecuteStatement(bg, &dynamodbapi.ExecuteStatementInput{Statement: ptr(`SELECT * FROM Music`), Limit: ptr(int32(1))})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v", err)
	}
	_, err = s.ExecuteStatement(bg, &dynamodbapi.ExecuteStatementInput{Statement: ptr(`SELECT * FROM "Music"`), NextToken: first.NextToken})
	wantErr(t, err, "ValidationException", "NextToken does not match request")
	_, err = s.ExecuteStatement(bg, &dynamodbapi.ExecuteStatementInput{Statement: ptr(`SELECT * FROM Music`), NextToken: ptr("garbage")})
	wantErr(t, err, "ValidationException", "Invalid NextToken")
}

func TestPartiQLInsert(t *testing.T) {
	s := newTestService(t)
	qlTable(t, s)
	qlExec(t, s, `INSERT INTO Music VALUE {'Artist': ?, 'SongTitle': 'x', 'b': ?, 'l': [1, ?, {'n': null, 't': true}], 'ns': <<3, 1>>, 'neg': -2.50}`,
		sv("A"), attr.Value{B: []byte{1, 2}}, sv("two"))
	out := qlExec(t, s, `SELECT * FROM Music WHERE Artist = 'A' AND SongTitle = 'x'`)
	if got := qlRender(out.Items); got != "{Artist=A SongTitle=x b=? l=[1,two,{n=null t=true}] neg=-2.5 ns=<<3,1>>}" {
		t.Fatalf("inserted %s", got)
	}
	_, err := qlTry(s, `INSERT INTO Music VALUE {'Artist': 'A', 'SongTitle': 'x'}`)
	wantErr(t, err, "DuplicateItemException", "Duplicate primary key exists in table")
	_, err = qlTry(s, `INSERT INTO Music VALUE {'Artist': 'A'}`)
	wantErr(t, err, "ValidationException", "Missing the key SongTitle in the item")
	_, err = qlTry(s, `INSERT INTO Music VALUE {'Artist': 'A', 'SongTitle': 1}`)
	wantErr(t, err, "ValidationException", "Type mismatch for key SongTitle expected: S actual: N")
	_, err = qlTry(s, `INSERT INTO Nope VALUE {'Artist': 'A', 'SongTitle': 'x'}`)
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = qlTry(s, `INSERT INTO Music VALUE 'x'`)
	wantErr(t, err, "ValidationException", "")
}

func TestPartiQLUpdate(t *testing.T) {
	s := newTestService(t)
	qlTable(t, s)
	qlExec(t, s, `INSERT INTO Music VALUE {'Artist': 'A', 'SongTitle': 'x', 'n': 1, 'l': [0], 'd': 'gone', 'm': {'k': 1}, 'tags': <<'a'>>}`)
	out := qlExec(t, s, `UPDATE Music SET n = n + 1, l = list_append(l, [1]) SET m.k = ?, tags = set_add(tags, <<'b'>>) REMOVE d WHERE Artist = 'A' AND SongTitle = 'x' RETURNING ALL NEW *`, nv("5"))
	if got := qlRender(out.Items); got != "{Artist=A SongTitle=x l=[0,1] m={k=5} n=2 tags=<<a,b>>}" {
		t.Fatalf("RETURNING ALL NEW: %s", got)
	}
	out = qlExec(t, s, `UPDATE Music SET n = 10 WHERE Artist = 'A' AND SongTitle = 'x' AND n = 2 RETURNING MODIFIED OLD *`)
	if got := qlRender(out.Items); got != "{n=2}" {
		t.Fatalf("RETURNING MODIFIED OLD: %s", got)
	}
	out = qlExec(t, s, `UPDATE Music SET tags = set_delete(tags, <<'a'>>) WHERE Artist = 'A' AND SongTitle = 'x'`)
	if len(out.Items) != 0 || out.Items == nil {
		t.Fatalf("an UPDATE without RETURNING answers %v", out.Items)
	}

	_, err := qlTry(s, `UPDATE Music SET n = 3 WHERE Artist = 'A' AND SongTitle = 'x' AND n = 99`)
	wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	_, err = qlTry(s, `UPDATE Music SET n = 3 WHERE Artist = 'A' AND SongTitle = 'missing'`)
	wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	_, err = qlTry(s, `UPDATE Music SET n = 3 WHERE Artist = 'A'`)
	wantErr(t, err, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes")
	_, err = qlTry(s, `UPDATE Music SET n = 3 WHERE Artist = 'A' OR SongTitle = 'x'`)
	wantErr(t, err, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes")
	_, err = qlTry(s, `UPDATE Music SET Artist = 'B' WHERE Artist = 'A' AND SongTitle = 'x'`)
	wantErr(t, err, "ValidationException", "Cannot update attribute Artist. This attribute is part of the key")

	// ReturnValuesOnConditionCheckFailure.
	_, err = s.ExecuteStatement(bg, &dynamodbapi.ExecuteStatementInput{Statement: ptr(`UPDATE Music SET n = 3 WHERE Artist = 'A' AND SongTitle = 'x' AND n = 0`),
		ReturnValuesOnConditionCheckFailure: ptr("ALL_OLD")})
	wantErr(t, err, "ConditionalCheckFailedException", "")
	if d, ok := awserr.From(err).Detail.(*dynamodbapi.ConditionalCheckFailedException); !ok || *d.Item["n"].N != "10" {
		t.Fatalf("no old item with the failure: %+v", awserr.From(err).Detail)
	}
}

func TestPartiQLDelete(t *testing.T) {
	s := newTestService(t)
	qlTable(t, s)
	qlExec(t, s, `INSERT INTO Music VALUE {'Artist': 'A', 'SongTitle': 'x', 'n': 1}`)
	_, err := qlTry(s, `DELETE FROM Music WHERE Artist = 'A' AND SongTitle = 'x' AND n = 2`)
	wantErr(t, err, "ConditionalCheckFailedException", "")
	out := qlExec(t, s, `DELETE FROM Music WHERE Artist = 'A' AND SongTitle = 'x' AND n = 1 RETURNING ALL OLD *`)
	if got := qlRender(out.Items); got != "{Artist=A SongTitle=x n=1}" {
		t.Fatalf("RETURNING ALL OLD: %s", got)
	}
	// Deleting what is not there succeeds, whatever the condition.
	out = qlExec(t, s, `DELETE FROM Music WHERE Artist = 'A' AND SongTitle = 'x' AND n = 1 RETURNING ALL OLD *`)
	if len(out.Items) != 0 {
		t.Fatalf("deleted again: %v", out.Items)
	}
	_, err = qlTry(s, `DELETE FROM Music WHERE Artist = 'A' RETURNING ALL NEW *`)
	wantErr(t, err, "ValidationException", "")
	_, err = qlTry(s, `DELETE FROM Music WHERE SongTitle = 'x'`)
	wantErr(t, err, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes")
}

func TestPartiQLErrors(t *testing.T) {
	s := newTestService(t)
	qlTable(t, s)
	for _, tc := range []struct {
		stmt   string
		params []attr.Value
		code   string
		msg    string
	}{
		{`SELEC * FROM Music`, nil, "ValidationException", "Statement wasn't well formed, can't be processed: Expected data manipulation"},
		{`SELECT * FROM Music WHERE`, nil, "ValidationException", "Statement wasn't well formed, can't be processed: Unexpected end of statement"},
		{`SELECT * FROM Music WHERE Artist = ?`, nil, "ValidationException", "Number of parameters in request and statement don't match."},
		{`SELECT * FROM Music`, []attr.Value{sv("x")}, "ValidationException", "Number of parameters in request and statement don't match."},
		{`SELECT * FROM Nope`, nil, "ResourceNotFoundException", "Requested resource not found"},
		{`SELECT * FROM Music.nope`, nil, "ValidationException", "The table does not have the specified index: nope"},
		{`SELECT * FROM Music ORDER BY SongTitle`, nil, "ValidationException", "Must have WHERE clause in the statement when using ORDER BY clause."},
		{`SELECT * FROM Music WHERE Artist = 'A' ORDER BY Plays`, nil, "ValidationException", "Order by is only supported on key attributes"},
		{`SELECT * FROM Music WHERE Plays + 1 = 2`, nil, "ValidationException", "Unsupported operation"},
		{`SELECT * FROM Music WHERE nosuch(Plays)`, nil, "ValidationException", "Unsupported operation"},
		{`EXISTS(SELECT * FROM Music WHERE Artist = 'A' AND SongTitle = 'x')`, nil, "ValidationException", "EXISTS is only supported in ExecuteTransaction"},
	} {
		_, err := qlTry(s, tc.stmt, tc.params...)
		wantErr(t, err, tc.code, tc.msg)
	}
}

func TestPartiQLBatch(t *testing.T) {
	s := newTestService(t)
	qlTable(t, s)
	qlSeed(t, s)
	stmt := func(text string, params ...attr.Value) dynamodbapi.BatchStatementRequest {
		return dynamodbapi.BatchStatementRequest{Statement: ptr(text), Parameters: params}
	}
	out, err := s.BatchExecuteStatement(bg, &dynamodbapi.BatchExecuteStatementInput{Statements: []dynamodbapi.BatchStatementRequest{
		stmt(`SELECT Plays FROM Music WHERE Artist = ? AND SongTitle = ?`, sv("Acme"), sv("A")),
		stmt(`SELECT * FROM Music WHERE Artist = 'Acme' AND SongTitle = 'nope'`),
		stmt(`SELECT * FROM Music WHERE Artist = 'Acme'`),
		stmt(`SELECT * FROM Nope WHERE Artist = 'Acme' AND SongTitle = 'A'`),
		stmt(`SELECT Plays FROM Music WHERE Artist = 'Acme' AND SongTitle = 'A' AND Plays > 100`),
	}, ReturnConsumedCapacity: ptr("TOTAL")})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Responses
	if qlRender([]map[string]dynamodbapi.AttributeValue{r[0].Item}) != "{Plays=10}" || r[0].Error != nil || *r[0].TableName != "Music" ||
		r[1].Item != nil || r[1].Error != nil ||
		*r[2].Error.Code != "ValidationError" || *r[3].Error.Code != "ResourceNotFound" || r[4].Item != nil || r[4].Error != nil {
		t.Fatalf("read batch: %+v", r)
	}
	if len(out.ConsumedCapacity) != 1 || *out.ConsumedCapacity[0].CapacityUnits <= 0 {
		t.Fatalf("capacity %+v", out.ConsumedCapacity)
	}

	out, err = s.BatchExecuteStatement(bg, &dynamodbapi.BatchExecuteStatementInput{Statements: []dynamodbapi.BatchStatementRequest{
		stmt(`INSERT INTO Music VALUE {'Artist': 'New', 'SongTitle': 'N'}`),
		stmt(`INSERT INTO Music VALUE {'Artist': 'Acme', 'SongTitle': 'A'}`),
		stmt(`UPDATE Music SET Plays = 0 WHERE Artist = 'Acme' AND SongTitle = 'B' AND Plays = 1`),
		{Statement: ptr(`DELETE FROM Music WHERE Artist = 'Acme' AND SongTitle = 'B' AND Plays = 1`), ReturnValuesOnConditionCheckFailure: ptr("ALL_OLD")},
		stmt(`DELETE FROM Music WHERE Artist = 'Bolt' AND SongTitle = 'A'`),
		stmt(`UPDATE Music SET x = 1`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	r = out.Responses
	if r[0].Error != nil || *r[1].Error.Code != "DuplicateItem" || *r[1].Error.Message != "Duplicate primary key exists in table" ||
		*r[2].Error.Code != "ConditionalCheckFailed" || r[2].Error.Item != nil ||
		*r[3].Error.Code != "ConditionalCheckFailed" || *r[3].Error.Item["Plays"].N != "20" || r[4].Error != nil ||
		*r[5].Error.Code != "ValidationError" || r[5].TableName != nil {
		t.Fatalf("write batch: %+v", r)
	}
	if n := len(qlExec(t, s, `SELECT * FROM Music WHERE Artist IN ['New', 'Bolt']`).Items); n != 1 {
		t.Fatalf("after the write batch: %d items", n)
	}

	_, err = s.BatchExecuteStatement(bg, &dynamodbapi.BatchExecuteStatementInput{Statements: []dynamodbapi.BatchStatementRequest{
		stmt(`SELECT * FROM Music WHERE Artist = 'Acme' AND SongTitle = 'A'`),
		stmt(`DELETE FROM Music WHERE Artist = 'Acme' AND SongTitle = 'A'`),
	}})
	wantErr(t, err, "ValidationException", "either read statements or write statements")
}

func TestPartiQLTransaction(t *testing.T) {
	s := newTestService(t)
	qlTable(t, s)
	qlSeed(t, s)
	ps := func(text string, params ...attr.Value) dynamodbapi.ParameterizedStatement {
		return dynamodbapi.ParameterizedStatement{Statement: ptr(text), Parameters: params}
	}
	run := func(token *string, stmts ...dynamodbapi.ParameterizedStatement) (*dynamodbapi.ExecuteTransactionOutput, error) {
		return s.ExecuteTransaction(bg, &dynamodbapi.ExecuteTransactionInput{TransactStatements: stmts, ClientRequestToken: token})
	}

	// One failing statement cancels all of them.
	_, err := run(nil,
		ps(`INSERT INTO Music VALUE {'Artist': 'T', 'SongTitle': '1'}`),
		ps(`INSERT INTO Music VALUE {'Artist': 'Acme', 'SongTitle': 'A'}`),
		ps(`UPDATE Music SET Plays = Plays + 1 WHERE Artist = 'Acme' AND SongTitle = 'B'`),
		ps(`EXISTS(SELECT * FROM Music WHERE Artist = 'Bolt' AND SongTitle = 'A' AND Plays = 99)`),
	)
	wantErr(t, err, "TransactionCanceledException", "[None, DuplicateItem, None, ConditionalCheckFailed]")
	reasons := awserr.From(err).Detail.(*dynamodbapi.TransactionCanceledException).CancellationReasons
	if *reasons[1].Message != "Duplicate primary key exists in table" {
		t.Fatalf("reasons %+v", reasons)
	}
	if n := len(qlExec(t, s, `SELECT * FROM Music WHERE Artist = 'T'`).Items); n != 0 {
		t.Fatal("a cancelled transaction wrote")
	}

	// All pass: all are applied, once per client request token.
	stmts := []dynamodbapi.ParameterizedStatement{
		ps(`INSERT INTO Music VALUE {'Artist': 'T', 'SongTitle': ?}`, sv("1")),
		ps(`UPDATE Music SET Plays = Plays + 1 WHERE Artist = 'Acme' AND SongTitle = 'B'`),
		ps(`DELETE FROM Music WHERE Artist = 'Cray' AND SongTitle = 'Z'`),
		ps(`EXISTS(SELECT * FROM Music WHERE Artist = 'Bolt' AND SongTitle = 'A' AND Plays = 5)`),
	}
	for range 2 {
		if _, err := run(ptr("token-1"), stmts...); err != nil {
			t.Fatal(err)
		}
	}
	out := qlExec(t, s, `SELECT Plays FROM Music WHERE Artist = 'Acme' AND SongTitle = 'B'`)
	if qlRender(out.Items) != "{Plays=21}" {
		t.Fatalf("after the transaction: %s", qlRender(out.Items))
	}

	// Reads.
	rout, err := run(nil,
		ps(`SELECT Plays FROM Music WHERE Artist = 'Acme' AND SongTitle = 'A'`),
		ps(`SELECT * FROM Music WHERE Artist = 'Cray' AND SongTitle = 'Z'`),
		ps(`SELECT * FROM Music WHERE Artist = 'T' AND SongTitle = '1'`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(rout.Responses) != 3 || qlRender([]map[string]dynamodbapi.AttributeValue{rout.Responses[0].Item}) != "{Plays=10}" ||
		rout.Responses[1].Item != nil || rout.Responses[2].Item == nil {
		t.Fatalf("read transaction: %+v", rout.Responses)
	}

	_, err = run(nil, ps(`SELECT * FROM Music WHERE Artist = 'T' AND SongTitle = '1'`), ps(`DELETE FROM Music WHERE Artist = 'T' AND SongTitle = '1'`))
	wantErr(t, err, "ValidationException", "either read statements or write statements")
	_, err = run(nil, ps(`SELECT * FROM Music WHERE Artist = 'T'`))
	wantErr(t, err, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes")
	_, err = run(nil, ps(`SELECT * FROM`))
	wantErr(t, err, "ValidationException", "Statement wasn't well formed")
}

func TestPartiQLWritesReachTheStream(t *testing.T) {
	s, st, _ := newStreamsTest(t)
	arn := streamTable(t, s, "QLT", "NEW_AND_OLD_IMAGES")
	qlExec(t, s, `INSERT INTO QLT VALUE {'pk': 'a', 'sk': 1, 'v': 'x'}`)
	qlExec(t, s, `UPDATE QLT SET v = 'y' WHERE pk = 'a' AND sk = 1`)
	qlExec(t, s, `UPDATE QLT SET v = 'y' WHERE pk = 'a' AND sk = 1`) // no change
	qlExec(t, s, `DELETE FROM QLT WHERE pk = 'a' AND sk = 1`)
	shardID := *describeStreamOK(t, st, arn).Shards[0].ShardId
	recs, _ := strRecords(t, st, strIterator(t, st, arn, shardID, "TRIM_HORIZON", ""), 0)
	if got := strSummary(recs); got != "INSERT a/1, MODIFY a/1, REMOVE a/1" {
		t.Fatalf("records: %s", got)
	}
}
