package e2e

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nimbus-cloud/nimbus"
)

type song struct {
	Artist string
	Title  string
	Plays  int      `dynamodbav:",omitempty"`
	Tags   []string `dynamodbav:",stringset,omitempty"`
}

func TestDynamoDBPartiQLSDK(t *testing.T) {
	cloud := nimbus.Start(t)
	c := ddbClient(cloud)
	createTable(t, c, &dynamodb.CreateTableInput{TableName: aws.String("Songs"), AttributeDefinitions: attrDefs("Artist", "S", "Title", "S"), KeySchema: keySchema("Artist", "Title")})

	exec := func(stmt string, params ...any) *dynamodb.ExecuteStatementOutput {
		t.Helper()
		in := &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt)}
		for _, p := range params {
			av, err := attributevalue.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			in.Parameters = append(in.Parameters, av)
		}
		out, err := c.ExecuteStatement(ctx(t), in)
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		return out
	}
	for i := range 6 {
		exec(`INSERT INTO "Songs" VALUE {'Artist': ?, 'Title': ?, 'Plays': ?}`, fmt.Sprint("artist", i%2), fmt.Sprint("song", i), i)
	}
	exec(`UPDATE "Songs" SET Plays = Plays + 10, Tags = <<'hit'>> WHERE Artist = 'artist0' AND Title = 'song0'`)
	exec(`DELETE FROM "Songs" WHERE Artist = 'artist1' AND Title = 'song5'`)

	var songs []song
	if err := attributevalue.UnmarshalListOfMaps(exec(`SELECT * FROM "Songs" WHERE Artist = ? ORDER BY Title DESC`, "artist0").Items, &songs); err != nil {
		t.Fatal(err)
	}
	if len(songs) != 3 || songs[0].Title != "song4" || songs[2].Plays != 10 || len(songs[2].Tags) != 1 {
		t.Fatalf("artist0's songs: %+v", songs)
	}

	// NextToken pages through a scan of Limit items a page.
	var titles []string
	in := &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT Title FROM "Songs" WHERE Plays >= 1`), Limit: aws.Int32(2)}
	for {
		page, err := c.ExecuteStatement(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			titles = append(titles, it["Title"].(*types.AttributeValueMemberS).Value)
		}
		if in.NextToken = page.NextToken; in.NextToken == nil {
			break
		}
	}
	sort.Strings(titles)
	if strings.Join(titles, ",") != "song0,song1,song2,song3,song4" {
		t.Fatalf("paged scan: %v", titles)
	}

	// Errors come back as the SDK's typed errors.
	_, err := c.ExecuteStatement(ctx(t), &dynamodb.ExecuteStatementInput{Statement: aws.String(`INSERT INTO "Songs" VALUE {'Artist': 'artist0', 'Title': 'song0'}`)})
	var dup *types.DuplicateItemException
	if !errors.As(err, &dup) || !strings.Contains(err.Error(), "Duplicate primary key exists in table") {
		t.Fatalf("duplicate INSERT: %v", err)
	}
	_, err = c.ExecuteStatement(ctx(t), &dynamodb.ExecuteStatementInput{Statement: aws.String(`UPDATE "Songs" SET Plays = 0 WHERE Artist = 'nobody' AND Title = 'x'`)})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("UPDATE of a missing item: %v", err)
	}
	_, err = c.ExecuteStatement(ctx(t), &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELEKT * FROM "Songs"`)})
	wantDDBError(t, err, "ValidationException", "Statement wasn't well formed, can't be processed: Expected data manipulation")

	// Batches: each statement answers for itself.
	bout, err := c.BatchExecuteStatement(ctx(t), &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		{Statement: aws.String(`SELECT Plays FROM "Songs" WHERE Artist = 'artist0' AND Title = 'song2'`)},
		{Statement: aws.String(`SELECT Plays FROM "Songs" WHERE Artist = 'artist0'`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if bout.Responses[0].Item["Plays"].(*types.AttributeValueMemberN).Value != "2" || bout.Responses[1].Error == nil ||
		bout.Responses[1].Error.Code != types.BatchStatementErrorCodeEnumValidationError {
		t.Fatalf("batch: %+v", bout.Responses)
	}

	// Transactions are all or nothing.
	_, err = c.ExecuteTransaction(ctx(t), &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		{Statement: aws.String(`INSERT INTO "Songs" VALUE {'Artist': 'artist9', 'Title': 'new'}`)},
		{Statement: aws.String(`INSERT INTO "Songs" VALUE {'Artist': 'artist0', 'Title': 'song0'}`)},
	}})
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) || len(canceled.CancellationReasons) != 2 || aws.ToString(canceled.CancellationReasons[1].Code) != "DuplicateItem" {
		t.Fatalf("cancelled transaction: %v", err)
	}
	if _, err := c.ExecuteTransaction(ctx(t), &dynamodb.ExecuteTransactionInput{ClientRequestToken: aws.String("tok"), TransactStatements: []types.ParameterizedStatement{
		{Statement: aws.String(`INSERT INTO "Songs" VALUE {'Artist': 'artist9', 'Title': 'new'}`)},
		{Statement: aws.String(`EXISTS(SELECT * FROM "Songs" WHERE Artist = 'artist0' AND Title = 'song0' AND Plays = 10)`)},
	}}); err != nil {
		t.Fatal(err)
	}
	if n := len(exec(`SELECT * FROM "Songs" WHERE Artist = 'artist9'`).Items); n != 1 {
		t.Fatalf("after the transaction: %d items", n)
	}
}

func TestDynamoDBPartiQLBoto3(t *testing.T) {
	boto3Cases(t, "dynamodb_partiql.py", "statements", "batch_and_transaction", "errors")
}
