package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nimbus-cloud/nimbus"
)

// cliItem is an item as the CLI prints it: attribute name to its typed
// value, e.g. {"S": "x"}.
type cliItem map[string]map[string]any

// writeJSONFile writes v as JSON to a file in dir and returns the CLI's
// file:// reference to it.
func writeJSONFile(t *testing.T, dir, name string, v any) string {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

// ddbCLIFailure runs a DynamoDB CLI command that must fail with an AWS
// error: the CLI exits 254 and names the error code and message on stderr.
func ddbCLIFailure(t *testing.T, cloud *nimbus.Instance, code, msg string, args ...string) {
	t.Helper()
	exit, out := cliFail(t, cloud, args...)
	if exit != 254 || !strings.Contains(out, "An error occurred ("+code+")") || !strings.Contains(out, msg) {
		t.Fatalf("aws %s: exit %d, want 254 with (%s) %q:\n%s", strings.Join(args, " "), exit, code, msg, out)
	}
}

func TestDynamoDBCLITables(t *testing.T) {
	cloud := nimbus.Start(t)
	var created struct {
		TableDescription struct {
			TableName, TableStatus, TableArn string
			BillingModeSummary               struct{ BillingMode string }
			GlobalSecondaryIndexes           []struct {
				IndexName, IndexStatus string
				Projection             struct{ ProjectionType string }
			}
		}
	}
	// The shorthand syntax for lists of structures, and JSON for the GSIs.
	cliJSON(t, cloud, &created, "dynamodb", "create-table", "--table-name", "cli-music",
		"--attribute-definitions", "AttributeName=artist,AttributeType=S", "AttributeName=song,AttributeType=S", "AttributeName=year,AttributeType=N",
		"--key-schema", "AttributeName=artist,KeyType=HASH", "AttributeName=song,KeyType=RANGE",
		"--billing-mode", "PAY_PER_REQUEST",
		"--global-secondary-indexes", `[{"IndexName":"byYear","KeySchema":[{"AttributeName":"year","KeyType":"HASH"},{"AttributeName":"song","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]`,
		"--tags", "Key=team,Value=audio")
	td := created.TableDescription
	if td.TableName != "cli-music" || td.TableStatus != "CREATING" || td.BillingModeSummary.BillingMode != "PAY_PER_REQUEST" ||
		td.TableArn != "arn:aws:dynamodb:us-east-1:000000000000:table/cli-music" ||
		len(td.GlobalSecondaryIndexes) != 1 || td.GlobalSecondaryIndexes[0].IndexName != "byYear" || td.GlobalSecondaryIndexes[0].IndexStatus != "CREATING" {
		t.Fatalf("create-table %+v", td)
	}
	cli(t, cloud, "dynamodb", "wait", "table-exists", "--table-name", "cli-music")

	// A provisioned table from a JSON attribute list.
	cli(t, cloud, "dynamodb", "create-table", "--table-name", "cli-prov",
		"--attribute-definitions", `[{"AttributeName":"id","AttributeType":"N"}]`,
		"--key-schema", `[{"AttributeName":"id","KeyType":"HASH"}]`,
		"--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=3")
	cli(t, cloud, "dynamodb", "wait", "table-exists", "--table-name", "cli-prov")

	var described struct {
		Table struct {
			TableStatus           string
			ItemCount             int
			ProvisionedThroughput struct{ ReadCapacityUnits, WriteCapacityUnits int }
			KeySchema             []struct{ AttributeName, KeyType string }
			AttributeDefinitions  []struct{ AttributeName, AttributeType string }
		}
	}
	cliJSON(t, cloud, &described, "dynamodb", "describe-table", "--table-name", "cli-prov")
	if d := described.Table; d.TableStatus != "ACTIVE" || d.ProvisionedThroughput.ReadCapacityUnits != 5 || d.ProvisionedThroughput.WriteCapacityUnits != 3 ||
		len(d.KeySchema) != 1 || d.KeySchema[0].AttributeName != "id" || d.AttributeDefinitions[0].AttributeType != "N" {
		t.Fatalf("describe-table %+v", d)
	}
	// --query runs JMESPath over the answer, as scripts do.
	if out := strings.TrimSpace(cli(t, cloud, "dynamodb", "describe-table", "--table-name", "cli-music", "--query", "Table.GlobalSecondaryIndexes[0].IndexStatus", "--output", "text")); out != "ACTIVE" {
		t.Fatalf("index status %q", out)
	}

	// list-tables: the CLI follows LastEvaluatedTableName by itself; with
	// --max-items it stops and prints a NextToken for --starting-token.
	for i := range 5 {
		cli(t, cloud, "dynamodb", "create-table", "--table-name", fmt.Sprintf("cli-list-%d", i),
			"--attribute-definitions", "AttributeName=pk,AttributeType=S", "--key-schema", "AttributeName=pk,KeyType=HASH",
			"--billing-mode", "PAY_PER_REQUEST")
	}
	want := []string{"cli-list-0", "cli-list-1", "cli-list-2", "cli-list-3", "cli-list-4", "cli-music", "cli-prov"}
	var listed struct {
		TableNames []string
		NextToken  string
	}
	cliJSON(t, cloud, &listed, "dynamodb", "list-tables", "--page-size", "2")
	if !slices.Equal(listed.TableNames, want) || listed.NextToken != "" {
		t.Fatalf("list-tables by pages of 2: %+v", listed)
	}
	var names []string
	token := ""
	for pages := 0; ; pages++ {
		args := []string{"dynamodb", "list-tables", "--max-items", "3", "--page-size", "2"}
		if token != "" {
			args = append(args, "--starting-token", token)
		}
		listed.NextToken = ""
		cliJSON(t, cloud, &listed, args...)
		names = append(names, listed.TableNames...)
		token = listed.NextToken
		if token == "" || pages > 5 {
			break
		}
	}
	if !slices.Equal(names, want) {
		t.Fatalf("list-tables with --max-items 3: %v", names)
	}

	// Tags, TTL and backups.
	arn := td.TableArn
	cli(t, cloud, "dynamodb", "tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=test", "Key=team,Value=music")
	var tags struct{ Tags []struct{ Key, Value string } }
	cliJSON(t, cloud, &tags, "dynamodb", "list-tags-of-resource", "--resource-arn", arn)
	if len(tags.Tags) != 2 || !slices.Contains(tags.Tags, struct{ Key, Value string }{"team", "music"}) ||
		!slices.Contains(tags.Tags, struct{ Key, Value string }{"env", "test"}) {
		t.Fatalf("list-tags-of-resource %+v", tags)
	}
	cli(t, cloud, "dynamodb", "untag-resource", "--resource-arn", arn, "--tag-keys", "env")
	cliJSON(t, cloud, &tags, "dynamodb", "list-tags-of-resource", "--resource-arn", arn)
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "team" {
		t.Fatalf("list-tags-of-resource after untag %+v", tags)
	}

	var ttl struct {
		TimeToLiveSpecification struct {
			AttributeName string
			Enabled       bool
		}
		TimeToLiveDescription struct{ TimeToLiveStatus, AttributeName string }
	}
	cliJSON(t, cloud, &ttl, "dynamodb", "update-time-to-live", "--table-name", "cli-music", "--time-to-live-specification", "Enabled=true,AttributeName=expires")
	if ttl.TimeToLiveSpecification.AttributeName != "expires" || !ttl.TimeToLiveSpecification.Enabled {
		t.Fatalf("update-time-to-live %+v", ttl)
	}
	cliJSON(t, cloud, &ttl, "dynamodb", "describe-time-to-live", "--table-name", "cli-music")
	if ttl.TimeToLiveDescription.TimeToLiveStatus != "ENABLED" || ttl.TimeToLiveDescription.AttributeName != "expires" {
		t.Fatalf("describe-time-to-live %+v", ttl)
	}

	var backup struct {
		BackupDetails struct{ BackupArn, BackupName, BackupStatus, BackupType string }
	}
	cliJSON(t, cloud, &backup, "dynamodb", "create-backup", "--table-name", "cli-music", "--backup-name", "nightly")
	if b := backup.BackupDetails; b.BackupName != "nightly" || b.BackupType != "USER" || !strings.HasPrefix(b.BackupArn, arn+"/backup/") {
		t.Fatalf("create-backup %+v", b)
	}
	var backups struct {
		BackupSummaries []struct{ BackupArn, BackupName, TableName, BackupStatus string }
	}
	cliJSON(t, cloud, &backups, "dynamodb", "list-backups", "--table-name", "cli-music")
	if len(backups.BackupSummaries) != 1 || backups.BackupSummaries[0].BackupArn != backup.BackupDetails.BackupArn ||
		backups.BackupSummaries[0].TableName != "cli-music" {
		t.Fatalf("list-backups %+v", backups)
	}

	// Errors: the CLI exits 254 and prints the code and message.
	ddbCLIFailure(t, cloud, "ResourceInUseException", "Table already exists: cli-prov", "dynamodb", "create-table", "--table-name", "cli-prov",
		"--attribute-definitions", "AttributeName=id,AttributeType=N", "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
	ddbCLIFailure(t, cloud, "ResourceNotFoundException", "Requested resource not found: Table: cli-missing not found", "dynamodb", "describe-table", "--table-name", "cli-missing")
	ddbCLIFailure(t, cloud, "ValidationException", "Some index key attributes are not defined in AttributeDefinitions. Keys: [other], AttributeDefinitions: [id]", "dynamodb", "create-table", "--table-name", "cli-bad",
		"--attribute-definitions", "AttributeName=id,AttributeType=N", "--key-schema", "AttributeName=other,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")

	var deleted struct {
		TableDescription struct{ TableName, TableStatus string }
	}
	cliJSON(t, cloud, &deleted, "dynamodb", "delete-table", "--table-name", "cli-prov")
	if deleted.TableDescription.TableName != "cli-prov" || deleted.TableDescription.TableStatus != "DELETING" {
		t.Fatalf("delete-table %+v", deleted)
	}
	cli(t, cloud, "dynamodb", "wait", "table-not-exists", "--table-name", "cli-prov")
	ddbCLIFailure(t, cloud, "ResourceNotFoundException", "Requested resource not found", "dynamodb", "describe-table", "--table-name", "cli-prov")
}

// cliCreateTable creates an on-demand table with a string hash key pk and,
// when rangeKey is not empty, a range key of that name and type N.
func cliCreateTable(t *testing.T, cloud *nimbus.Instance, name, rangeKey string) {
	t.Helper()
	args := []string{"dynamodb", "create-table", "--table-name", name, "--billing-mode", "PAY_PER_REQUEST",
		"--attribute-definitions", "AttributeName=pk,AttributeType=S"}
	keys := []string{"--key-schema", "AttributeName=pk,KeyType=HASH"}
	if rangeKey != "" {
		args = append(args, "AttributeName="+rangeKey+",AttributeType=N")
		keys = append(keys, "AttributeName="+rangeKey+",KeyType=RANGE")
	}
	cli(t, cloud, append(args, keys...)...)
	cli(t, cloud, "dynamodb", "wait", "table-exists", "--table-name", name)
}

func TestDynamoDBCLIItems(t *testing.T) {
	cloud := nimbus.Start(t)
	cliCreateTable(t, cloud, "cli-items", "sk")
	key := `{"pk":{"S":"a"},"sk":{"N":"1"}}`

	var put struct {
		Attributes       cliItem
		ConsumedCapacity struct {
			TableName     string
			CapacityUnits float64
		}
	}
	cliJSON(t, cloud, &put, "dynamodb", "put-item", "--table-name", "cli-items",
		"--item", `{"pk":{"S":"a"},"sk":{"N":"1"},"n":{"N":"5"},"tags":{"SS":["x","y"]},"b":{"B":"AAE="}}`,
		"--condition-expression", "attribute_not_exists(pk)", "--return-values", "ALL_OLD", "--return-consumed-capacity", "TOTAL")
	if put.Attributes != nil || put.ConsumedCapacity.TableName != "cli-items" || put.ConsumedCapacity.CapacityUnits != 1 {
		t.Fatalf("put-item %+v", put)
	}
	// The same conditional put fails: exit code 254, the code and the
	// message on stderr, nothing on stdout.
	ddbCLIFailure(t, cloud, "ConditionalCheckFailedException", "when calling the PutItem operation: The conditional request failed",
		"dynamodb", "put-item", "--table-name", "cli-items", "--item", `{"pk":{"S":"a"},"sk":{"N":"1"}}`, "--condition-expression", "attribute_not_exists(pk)")

	var got struct{ Item cliItem }
	cliJSON(t, cloud, &got, "dynamodb", "get-item", "--table-name", "cli-items", "--key", key, "--consistent-read")
	if got.Item["n"]["N"] != "5" || got.Item["b"]["B"] != "AAE=" || fmt.Sprint(got.Item["tags"]["SS"]) != "[x y]" {
		t.Fatalf("get-item %+v", got)
	}
	got.Item = nil
	cliJSON(t, cloud, &got, "dynamodb", "get-item", "--table-name", "cli-items", "--key", key,
		"--projection-expression", "#n, tags", "--expression-attribute-names", `{"#n":"n"}`)
	if len(got.Item) != 2 || got.Item["n"]["N"] != "5" {
		t.Fatalf("get-item with a projection %+v", got)
	}
	// A missing item is an empty answer.
	if out := strings.TrimSpace(cli(t, cloud, "dynamodb", "get-item", "--table-name", "cli-items", "--key", `{"pk":{"S":"none"},"sk":{"N":"1"}}`)); out != "" {
		t.Fatalf("get-item of a missing item printed %q", out)
	}

	var updated struct{ Attributes cliItem }
	updated.Attributes = nil
	cliJSON(t, cloud, &updated, "dynamodb", "update-item", "--table-name", "cli-items", "--key", key,
		"--update-expression", "SET n = n + :d, note = :s REMOVE b ADD tags :t",
		"--condition-expression", "n = :five",
		"--expression-attribute-values", `{":d":{"N":"2"},":s":{"S":"hi"},":t":{"SS":["z"]},":five":{"N":"5"}}`,
		"--return-values", "UPDATED_NEW")
	if len(updated.Attributes) != 3 || updated.Attributes["n"]["N"] != "7" || updated.Attributes["note"]["S"] != "hi" ||
		fmt.Sprint(updated.Attributes["tags"]["SS"]) != "[x y z]" {
		t.Fatalf("update-item UPDATED_NEW %+v", updated)
	}
	updated.Attributes = nil
	cliJSON(t, cloud, &updated, "dynamodb", "update-item", "--table-name", "cli-items", "--key", key,
		"--update-expression", "SET n = :n", "--expression-attribute-values", `{":n":{"N":"8"}}`, "--return-values", "UPDATED_OLD")
	if len(updated.Attributes) != 1 || updated.Attributes["n"]["N"] != "7" {
		t.Fatalf("update-item UPDATED_OLD %+v", updated)
	}
	updated.Attributes = nil
	cliJSON(t, cloud, &updated, "dynamodb", "update-item", "--table-name", "cli-items", "--key", key,
		"--update-expression", "SET added = :a", "--expression-attribute-values", `{":a":{"BOOL":true}}`, "--return-values", "ALL_NEW")
	if len(updated.Attributes) != 6 || updated.Attributes["added"]["BOOL"] != true {
		t.Fatalf("update-item ALL_NEW %+v", updated)
	}
	ddbCLIFailure(t, cloud, "ConditionalCheckFailedException", "The conditional request failed",
		"dynamodb", "update-item", "--table-name", "cli-items", "--key", key, "--update-expression", "SET n = :n",
		"--condition-expression", "n < :n", "--expression-attribute-values", `{":n":{"N":"1"}}`)
	// Validation errors worded as DynamoDB words them.
	ddbCLIFailure(t, cloud, "ValidationException", "The provided key element does not match the schema",
		"dynamodb", "get-item", "--table-name", "cli-items", "--key", `{"pk":{"S":"a"}}`)
	ddbCLIFailure(t, cloud, "ValidationException", "An expression attribute value used in expression is not defined; attribute value: :nope",
		"dynamodb", "update-item", "--table-name", "cli-items", "--key", key, "--update-expression", "SET n = :nope")
	ddbCLIFailure(t, cloud, "ValidationException", "Invalid UpdateExpression: Syntax error; token: \"=\", near: \"SET = :n\"",
		"dynamodb", "update-item", "--table-name", "cli-items", "--key", key, "--update-expression", "SET = :n", "--expression-attribute-values", `{":n":{"N":"1"}}`)
	ddbCLIFailure(t, cloud, "ResourceNotFoundException", "Requested resource not found",
		"dynamodb", "put-item", "--table-name", "cli-nope", "--item", key)

	var deleted struct{ Attributes cliItem }
	cliJSON(t, cloud, &deleted, "dynamodb", "delete-item", "--table-name", "cli-items", "--key", key,
		"--condition-expression", "attribute_exists(note)", "--return-values", "ALL_OLD")
	if deleted.Attributes["note"]["S"] != "hi" || deleted.Attributes["n"]["N"] != "8" {
		t.Fatalf("delete-item ALL_OLD %+v", deleted)
	}
	ddbCLIFailure(t, cloud, "ConditionalCheckFailedException", "The conditional request failed",
		"dynamodb", "delete-item", "--table-name", "cli-items", "--key", key, "--condition-expression", "attribute_exists(pk)")
}

// cliPutRequests writes batch-write-item request files of puts for items
// pk=p, sk=from..to-1 with a payload of size bytes, in files of 25 items
// at most (BatchWriteItem's limit), and returns their file:// references.
func cliPutRequests(t *testing.T, table string, from, to, size int) []string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for start := from; start < to; start += 25 {
		var reqs []map[string]any
		for i := start; i < min(start+25, to); i++ {
			reqs = append(reqs, map[string]any{"PutRequest": map[string]any{"Item": map[string]any{
				"pk": map[string]string{"S": "p"}, "sk": map[string]string{"N": fmt.Sprint(i)},
				"pad": map[string]string{"S": strings.Repeat(string(rune('a'+i%26)), size)},
				"odd": map[string]bool{"BOOL": i%2 == 1},
			}}})
		}
		files = append(files, writeJSONFile(t, dir, fmt.Sprintf("batch-%d.json", start), map[string]any{table: reqs}))
	}
	return files
}

type cliPage struct {
	Items               []cliItem
	Count, ScannedCount int
	LastEvaluatedKey    cliItem
	NextToken           string
}

// sortKeys are the sk numbers of items, in order.
func sortKeys(items []cliItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it["sk"]["N"]))
	}
	return out
}

func numbers(from, to, step int) []string {
	var out []string
	for i := from; i < to; i += step {
		out = append(out, fmt.Sprint(i))
	}
	return out
}

func TestDynamoDBCLIQueryScanPagination(t *testing.T) {
	cloud := nimbus.Start(t)
	cliCreateTable(t, cloud, "cli-pages", "sk")
	// 60 items of 100 KB: 6 MB, so each Query or Scan page stops at 1 MB.
	for _, f := range cliPutRequests(t, "cli-pages", 0, 60, 100_000) {
		var out struct{ UnprocessedItems map[string]any }
		cliJSON(t, cloud, &out, "dynamodb", "batch-write-item", "--request-items", f)
		if len(out.UnprocessedItems) != 0 {
			t.Fatalf("batch-write-item left %v", out.UnprocessedItems)
		}
	}
	all := numbers(0, 60, 1)

	// One page only: it stops near 1 MB and says where to go on.
	var first cliPage
	cliJSON(t, cloud, &first, "dynamodb", "scan", "--table-name", "cli-pages", "--projection-expression", "pk, sk", "--no-paginate")
	if first.Count < 5 || first.Count > 11 || first.LastEvaluatedKey == nil || first.LastEvaluatedKey["sk"]["N"] != sortKeys(first.Items)[first.Count-1] {
		t.Fatalf("first scan page: count %d, last key %v", first.Count, first.LastEvaluatedKey)
	}

	// The CLI follows every LastEvaluatedKey and sums the counts.
	for _, op := range [][]string{
		{"scan", "--table-name", "cli-pages", "--projection-expression", "pk, sk"},
		{"query", "--table-name", "cli-pages", "--key-condition-expression", "pk = :p", "--expression-attribute-values", `{":p":{"S":"p"}}`, "--projection-expression", "sk"},
		{"scan", "--table-name", "cli-pages", "--projection-expression", "sk", "--page-size", "7"},
	} {
		var page cliPage
		cliJSON(t, cloud, &page, append([]string{"dynamodb"}, op...)...)
		if got := sortKeys(page.Items); !slices.Equal(got, all) || page.Count != 60 || page.ScannedCount != 60 {
			t.Fatalf("%v: count %d scanned %d, keys %v", op, page.Count, page.ScannedCount, got)
		}
	}

	// A filter: pages scan 1 MB each, the counts add up.
	var odd cliPage
	cliJSON(t, cloud, &odd, "dynamodb", "query", "--table-name", "cli-pages", "--key-condition-expression", "pk = :p",
		"--filter-expression", "odd = :t", "--expression-attribute-values", `{":p":{"S":"p"},":t":{"BOOL":true}}`,
		"--projection-expression", "sk", "--scan-index-forward")
	if got := sortKeys(odd.Items); !slices.Equal(got, numbers(1, 60, 2)) || odd.Count != 30 || odd.ScannedCount != 60 {
		t.Fatalf("filtered query: count %d scanned %d, keys %v", odd.Count, odd.ScannedCount, got)
	}
	var desc cliPage
	cliJSON(t, cloud, &desc, "dynamodb", "query", "--table-name", "cli-pages", "--key-condition-expression", "pk = :p AND sk BETWEEN :a AND :b",
		"--expression-attribute-values", `{":p":{"S":"p"},":a":{"N":"10"},":b":{"N":"49"}}`, "--projection-expression", "sk", "--no-scan-index-forward")
	if got := sortKeys(desc.Items); len(got) != 40 || got[0] != "49" || got[39] != "10" {
		t.Fatalf("descending query: %v", got)
	}

	// A Query filter may not name a key attribute.
	ddbCLIFailure(t, cloud, "ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
		"dynamodb", "query", "--table-name", "cli-pages", "--key-condition-expression", "pk = :p", "--filter-expression", "sk > :n",
		"--expression-attribute-values", `{":p":{"S":"p"},":n":{"N":"3"}}`)

	// --max-items stops early with a NextToken; --starting-token resumes.
	for _, op := range [][]string{
		{"scan", "--table-name", "cli-pages", "--projection-expression", "sk"},
		{"query", "--table-name", "cli-pages", "--key-condition-expression", "pk = :p", "--expression-attribute-values", `{":p":{"S":"p"}}`, "--projection-expression", "sk"},
		{"scan", "--table-name", "cli-pages", "--projection-expression", "sk", "--page-size", "4"},
	} {
		var seen []string
		token := ""
		for calls := 0; calls < 20; calls++ {
			args := append([]string{"dynamodb"}, op...)
			args = append(args, "--max-items", "13")
			if token != "" {
				args = append(args, "--starting-token", token)
			}
			var page cliPage
			cliJSON(t, cloud, &page, args...)
			if len(page.Items) > 13 {
				t.Fatalf("%v: %d items past --max-items 13", op, len(page.Items))
			}
			seen = append(seen, sortKeys(page.Items)...)
			if token = page.NextToken; token == "" {
				break
			}
		}
		if !slices.Equal(seen, all) {
			t.Fatalf("%v by --max-items 13: %v", op, seen)
		}
	}

	// Select COUNT pages too: no items, the counts of every page summed.
	var counted cliPage
	cliJSON(t, cloud, &counted, "dynamodb", "scan", "--table-name", "cli-pages", "--select", "COUNT")
	if counted.Count != 60 || counted.ScannedCount != 60 || counted.Items != nil {
		t.Fatalf("scan --select COUNT %+v", counted)
	}
	// Segments of a parallel scan cover the table between them.
	var segs []string
	for seg := range 3 {
		var page cliPage
		cliJSON(t, cloud, &page, "dynamodb", "scan", "--table-name", "cli-pages", "--projection-expression", "sk",
			"--segment", fmt.Sprint(seg), "--total-segments", "3")
		segs = append(segs, sortKeys(page.Items)...)
	}
	slices.SortFunc(segs, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	if !slices.Equal(segs, all) {
		t.Fatalf("parallel scan segments: %v", segs)
	}
}

func TestDynamoDBCLIBatchTransactPartiQL(t *testing.T) {
	cloud := nimbus.Start(t)
	cliCreateTable(t, cloud, "cli-batch", "")
	cliCreateTable(t, cloud, "cli-other", "sk")
	dir := t.TempDir()

	var reqs []map[string]any
	for i := range 20 {
		reqs = append(reqs, map[string]any{"PutRequest": map[string]any{"Item": map[string]any{
			"pk": map[string]string{"S": fmt.Sprintf("k%02d", i)}, "n": map[string]string{"N": fmt.Sprint(i)}}}})
	}
	writes := writeJSONFile(t, dir, "writes.json", map[string]any{
		"cli-batch": reqs,
		"cli-other": []map[string]any{{"PutRequest": map[string]any{"Item": map[string]any{"pk": map[string]string{"S": "o"}, "sk": map[string]string{"N": "1"}}}}},
	})
	var wrote struct {
		UnprocessedItems map[string]any
		ConsumedCapacity []struct {
			TableName     string
			CapacityUnits float64
		}
	}
	cliJSON(t, cloud, &wrote, "dynamodb", "batch-write-item", "--request-items", writes, "--return-consumed-capacity", "TOTAL")
	if len(wrote.UnprocessedItems) != 0 || len(wrote.ConsumedCapacity) != 2 {
		t.Fatalf("batch-write-item %+v", wrote)
	}

	gets := writeJSONFile(t, dir, "gets.json", map[string]any{
		"cli-batch": map[string]any{"Keys": []map[string]any{
			{"pk": map[string]string{"S": "k03"}}, {"pk": map[string]string{"S": "k07"}}, {"pk": map[string]string{"S": "absent"}},
		}, "ProjectionExpression": "pk, #n", "ExpressionAttributeNames": map[string]string{"#n": "n"}},
		"cli-other": map[string]any{"Keys": []map[string]any{{"pk": map[string]string{"S": "o"}, "sk": map[string]string{"N": "1"}}}, "ConsistentRead": true},
	})
	var read struct {
		Responses       map[string][]cliItem
		UnprocessedKeys map[string]any
	}
	cliJSON(t, cloud, &read, "dynamodb", "batch-get-item", "--request-items", gets)
	var got []string
	for _, it := range read.Responses["cli-batch"] {
		got = append(got, fmt.Sprint(it["pk"]["S"], "=", it["n"]["N"]))
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"k03=3", "k07=7"}) || len(read.Responses["cli-other"]) != 1 || len(read.UnprocessedKeys) != 0 {
		t.Fatalf("batch-get-item %+v", read)
	}
	// A batch naming the same key twice is refused whole.
	dup := writeJSONFile(t, dir, "dup.json", map[string]any{"cli-batch": map[string]any{"Keys": []map[string]any{
		{"pk": map[string]string{"S": "k01"}}, {"pk": map[string]string{"S": "k01"}}}}})
	ddbCLIFailure(t, cloud, "ValidationException", "Provided list of item keys contains duplicates", "dynamodb", "batch-get-item", "--request-items", dup)

	// Transactions: all or nothing, with reasons in the message.
	tx := writeJSONFile(t, dir, "tx.json", []map[string]any{
		{"Put": map[string]any{"TableName": "cli-batch", "Item": map[string]any{"pk": map[string]string{"S": "new"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
		{"Update": map[string]any{"TableName": "cli-batch", "Key": map[string]any{"pk": map[string]string{"S": "k01"}},
			"UpdateExpression": "SET n = n + :one", "ConditionExpression": "n = :one",
			"ExpressionAttributeValues": map[string]any{":one": map[string]string{"N": "1"}}}},
		{"ConditionCheck": map[string]any{"TableName": "cli-other", "Key": map[string]any{"pk": map[string]string{"S": "o"}, "sk": map[string]string{"N": "1"}},
			"ConditionExpression": "attribute_exists(pk)"}},
		{"Delete": map[string]any{"TableName": "cli-batch", "Key": map[string]any{"pk": map[string]string{"S": "k02"}}}},
	})
	cli(t, cloud, "dynamodb", "transact-write-items", "--transact-items", tx, "--client-request-token", "cli-token-1")
	ddbCLIFailure(t, cloud, "TransactionCanceledException",
		"Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, ConditionalCheckFailed, None, None]",
		"dynamodb", "transact-write-items", "--transact-items", tx)
	var txGot struct{ Responses []struct{ Item cliItem } }
	cliJSON(t, cloud, &txGot, "dynamodb", "transact-get-items", "--transact-items",
		`[{"Get":{"TableName":"cli-batch","Key":{"pk":{"S":"k01"}}}},{"Get":{"TableName":"cli-batch","Key":{"pk":{"S":"k02"}}}},{"Get":{"TableName":"cli-batch","Key":{"pk":{"S":"new"}}}}]`)
	if len(txGot.Responses) != 3 || txGot.Responses[0].Item["n"]["N"] != "2" || txGot.Responses[1].Item != nil || txGot.Responses[2].Item["pk"]["S"] != "new" {
		t.Fatalf("transact-get-items %+v", txGot)
	}

	// PartiQL.
	var stmt struct {
		Items     []cliItem
		NextToken string
	}
	cliJSON(t, cloud, &stmt, "dynamodb", "execute-statement", "--statement", `SELECT pk, n FROM "cli-batch" WHERE pk = ?`, "--parameters", `[{"S":"k05"}]`)
	if len(stmt.Items) != 1 || stmt.Items[0]["n"]["N"] != "5" {
		t.Fatalf("execute-statement SELECT %+v", stmt)
	}
	cli(t, cloud, "dynamodb", "execute-statement", "--statement", `INSERT INTO "cli-batch" VALUE {'pk': 'pq', 'n': 100}`)
	ddbCLIFailure(t, cloud, "DuplicateItemException", "Duplicate primary key exists in table",
		"dynamodb", "execute-statement", "--statement", `INSERT INTO "cli-batch" VALUE {'pk': 'pq', 'n': 100}`)
	stmt.Items = nil
	cliJSON(t, cloud, &stmt, "dynamodb", "execute-statement", "--statement", `UPDATE "cli-batch" SET n = n + 1 WHERE pk = 'pq' RETURNING ALL NEW *`)
	if len(stmt.Items) != 1 || stmt.Items[0]["n"]["N"] != "101" {
		t.Fatalf("execute-statement UPDATE RETURNING %+v", stmt)
	}
	ddbCLIFailure(t, cloud, "ConditionalCheckFailedException", "The conditional request failed",
		"dynamodb", "execute-statement", "--statement", `UPDATE "cli-batch" SET n = 0 WHERE pk = 'pq' AND n = 5`)
	ddbCLIFailure(t, cloud, "ValidationException", "Number of parameters in request and statement don't match.",
		"dynamodb", "execute-statement", "--statement", `SELECT * FROM "cli-batch" WHERE pk = ?`)
	// A full-table SELECT through the CLI's pagination sees every item once.
	stmt.Items = nil
	cliJSON(t, cloud, &stmt, "dynamodb", "execute-statement", "--statement", `SELECT pk FROM "cli-batch"`, "--limit", "4")
	if len(stmt.Items) > 4 || stmt.NextToken == "" {
		t.Fatalf("execute-statement --limit 4: %d items, NextToken %q", len(stmt.Items), stmt.NextToken)
	}
	var batch struct {
		Responses []struct {
			Item  cliItem
			Error struct{ Code, Message string }
		}
	}
	cliJSON(t, cloud, &batch, "dynamodb", "batch-execute-statement", "--statements",
		`[{"Statement":"INSERT INTO \"cli-batch\" VALUE {'pk': ?}","Parameters":[{"S":"pq2"}]},{"Statement":"INSERT INTO \"cli-batch\" VALUE {'pk': 'pq'}"}]`)
	if len(batch.Responses) != 2 || batch.Responses[0].Error.Code != "" || batch.Responses[1].Error.Code != "DuplicateItem" {
		t.Fatalf("batch-execute-statement %+v", batch)
	}
}

func TestDynamoDBBoto3Checks(t *testing.T) {
	boto3Cases(t, "dynamodb_checks.py", "decimals", "paginators", "update_table_indexes", "transactions", "consumed_capacity",
		"query_filter_on_key", "client_errors")
}
