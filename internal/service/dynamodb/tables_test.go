package dynamodb

import (
	"fmt"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

func TestCreateTableValidation(t *testing.T) {
	pt := &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(int64(5)), WriteCapacityUnits: ptr(int64(5))}
	lsi := func(name string, key []dynamodbapi.KeySchemaElement, p *dynamodbapi.Projection) dynamodbapi.LocalSecondaryIndex {
		return dynamodbapi.LocalSecondaryIndex{IndexName: ptr(name), KeySchema: key, Projection: p}
	}
	gsi := func(name string, key []dynamodbapi.KeySchemaElement, p *dynamodbapi.Projection) dynamodbapi.GlobalSecondaryIndex {
		return dynamodbapi.GlobalSecondaryIndex{IndexName: ptr(name), KeySchema: key, Projection: p}
	}
	base := func(mod func(in *dynamodbapi.CreateTableInput)) *dynamodbapi.CreateTableInput {
		in := &dynamodbapi.CreateTableInput{TableName: ptr("tbl"), KeySchema: ks("a", "b"), AttributeDefinitions: defs("a", "S", "b", "S"), BillingMode: ptr("PAY_PER_REQUEST")}
		mod(in)
		return in
	}
	var sixLSIs []dynamodbapi.LocalSecondaryIndex
	for i := range 6 {
		sixLSIs = append(sixLSIs, lsi(fmt.Sprintf("lsi%d", i), ks("a", "c"), projAllOf()))
	}
	var gsis21 []dynamodbapi.GlobalSecondaryIndex
	for i := range 21 {
		gsis21 = append(gsis21, gsi(fmt.Sprintf("gsi%d", i), ks("c"), projAllOf()))
	}
	tests := []struct {
		name string
		in   *dynamodbapi.CreateTableInput
		msg  string
	}{
		{"short name", base(func(in *dynamodbapi.CreateTableInput) { in.TableName = ptr("ab") }),
			"TableName must be at least 3 characters long and at most 255 characters long"},
		{"bad name", base(func(in *dynamodbapi.CreateTableInput) { in.TableName = ptr("abc;") }),
			"1 validation error detected: Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{"no key schema", base(func(in *dynamodbapi.CreateTableInput) { in.KeySchema = nil }),
			"1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null"},
		{"provisioned without throughput", base(func(in *dynamodbapi.CreateTableInput) { in.BillingMode = nil }),
			"One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"},
		{"on-demand with throughput", base(func(in *dynamodbapi.CreateTableInput) { in.ProvisionedThroughput = pt }),
			"One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{"throughput out of bounds", base(func(in *dynamodbapi.CreateTableInput) {
			in.BillingMode = nil
			in.ProvisionedThroughput = &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(int64(1000000000001)), WriteCapacityUnits: ptr(int64(1))}
		}), "Given value 1000000000001 for ReadCapacityUnits is out of bounds"},
		{"fewer definitions than keys", base(func(in *dynamodbapi.CreateTableInput) { in.AttributeDefinitions = defs("b", "S") }),
			"Invalid KeySchema: Some index key attribute have no definition"},
		{"undefined key", base(func(in *dynamodbapi.CreateTableInput) {
			in.KeySchema = ks("a")
			in.AttributeDefinitions = defs("b", "S")
		}),
			"One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [a], AttributeDefinitions: [b]"},
		{"same key twice", base(func(in *dynamodbapi.CreateTableInput) { in.KeySchema = ks("a", "a") }),
			"Both the Hash Key and the Range Key element in the KeySchema have the same name"},
		{"range first", base(func(in *dynamodbapi.CreateTableInput) {
			in.KeySchema = []dynamodbapi.KeySchemaElement{{AttributeName: ptr("a"), KeyType: ptr("RANGE")}, {AttributeName: ptr("b"), KeyType: ptr("HASH")}}
		}), "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"},
		{"two hash keys", base(func(in *dynamodbapi.CreateTableInput) {
			in.KeySchema = []dynamodbapi.KeySchemaElement{{AttributeName: ptr("a"), KeyType: ptr("HASH")}, {AttributeName: ptr("b"), KeyType: ptr("HASH")}}
		}), "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"},
		{"three keys", base(func(in *dynamodbapi.CreateTableInput) { in.KeySchema = append(ks("a", "b"), ks("c")...) }),
			"Member must have length less than or equal to 2"},
		{"unused definition", base(func(in *dynamodbapi.CreateTableInput) { in.AttributeDefinitions = defs("a", "S", "b", "S", "c", "N") }),
			"One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [a, b, c], keys used: [a, b]"},
		{"duplicate definition", base(func(in *dynamodbapi.CreateTableInput) { in.AttributeDefinitions = defs("a", "S", "a", "N", "b", "S") }),
			"Attribute Name is duplicated: a"},
		{"empty LSI list", base(func(in *dynamodbapi.CreateTableInput) { in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{} }),
			"One or more parameter values were invalid: List of LocalSecondaryIndexes is empty"},
		{"LSI without table range", base(func(in *dynamodbapi.CreateTableInput) {
			in.KeySchema = ks("a")
			in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{lsi("idx", ks("a", "b"), projAllOf())}
		}), "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"},
		{"LSI other hash", base(func(in *dynamodbapi.CreateTableInput) {
			in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{lsi("idx", ks("b", "a"), projAllOf())}
		}), "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: idx. index hash key: b, table hash key: a"},
		{"LSI no range", base(func(in *dynamodbapi.CreateTableInput) {
			in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{lsi("idx", ks("a"), projAllOf())}
		}), "One or more parameter values were invalid: Index KeySchema does not have a range key for index: idx"},
		{"LSI no projection type", base(func(in *dynamodbapi.CreateTableInput) {
			in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{lsi("idx", ks("a", "b"), &dynamodbapi.Projection{})}
		}), "One or more parameter values were invalid: Unknown ProjectionType: null"},
		{"ALL with non-key attributes", base(func(in *dynamodbapi.CreateTableInput) {
			in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{lsi("idx", ks("a", "b"), &dynamodbapi.Projection{ProjectionType: ptr("ALL"), NonKeyAttributes: []string{"x"}})}
		}), "One or more parameter values were invalid: ProjectionType is ALL, but NonKeyAttributes is specified"},
		{"six LSIs", base(func(in *dynamodbapi.CreateTableInput) {
			in.AttributeDefinitions = defs("a", "S", "b", "S", "c", "S")
			in.LocalSecondaryIndexes = sixLSIs
		}), "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5"},
		{"21 GSIs", base(func(in *dynamodbapi.CreateTableInput) {
			in.AttributeDefinitions = defs("a", "S", "b", "S", "c", "S")
			in.GlobalSecondaryIndexes = gsis21
		}), "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20"},
		{"duplicate index names", base(func(in *dynamodbapi.CreateTableInput) {
			in.AttributeDefinitions = defs("a", "S", "b", "S", "c", "S")
			in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{lsi("idx", ks("a", "c"), projAllOf())}
			in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{gsi("idx", ks("c"), projAllOf())}
		}), "One or more parameter values were invalid: Duplicate index name: idx"},
		{"GSI throughput on demand", base(func(in *dynamodbapi.CreateTableInput) {
			in.AttributeDefinitions = defs("a", "S", "b", "S", "c", "S")
			g := gsi("idx", ks("c"), projAllOf())
			g.ProvisionedThroughput = pt
			in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{g}
		}), "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: idx when BillingMode is PAY_PER_REQUEST"},
		{"GSI key undefined", base(func(in *dynamodbapi.CreateTableInput) {
			in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{gsi("idx", ks("c", "d"), projAllOf())}
		}), "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [c, d], AttributeDefinitions: [a, b]"},
	}
	s := newTestService(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateTable(bg, tc.in)
			wantErr(t, err, "ValidationException", tc.msg)
		})
	}
}

func TestCreateDescribeDelete(t *testing.T) {
	s := newTestService(t)
	in := onDemand("Music", ks("Artist", "Song"), defs("Artist", "S", "Song", "S", "Year", "N"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("ByYear"), KeySchema: ks("Year"), Projection: &dynamodbapi.Projection{ProjectionType: ptr("KEYS_ONLY")}}}
	in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr("NEW_AND_OLD_IMAGES")}
	in.Tags = []dynamodbapi.Tag{{Key: ptr("team"), Value: ptr("audio")}}
	created := mustCreate(t, s, in)
	if *created.TableStatus != "CREATING" || *created.GlobalSecondaryIndexes[0].IndexStatus != "CREATING" {
		t.Fatalf("CreateTable status %s, index %s", *created.TableStatus, *created.GlobalSecondaryIndexes[0].IndexStatus)
	}
	if got := *created.TableArn; got != "arn:aws:dynamodb:us-east-1:000000000000:table/Music" {
		t.Fatalf("TableArn %s", got)
	}
	if created.BillingModeSummary == nil || *created.BillingModeSummary.BillingMode != "PAY_PER_REQUEST" {
		t.Fatalf("BillingModeSummary %+v", created.BillingModeSummary)
	}
	if *created.LatestStreamLabel != "2025-03-01T12:00:00.000" || *created.LatestStreamArn != "arn:aws:dynamodb:us-east-1:000000000000:table/Music/stream/2025-03-01T12:00:00.000" {
		t.Fatalf("stream %s %s", *created.LatestStreamLabel, *created.LatestStreamArn)
	}

	d := mustDescribe(t, s, "Music")
	if *d.TableStatus != "ACTIVE" || *d.GlobalSecondaryIndexes[0].IndexStatus != "ACTIVE" || *d.ItemCount != 0 {
		t.Fatalf("DescribeTable %s %s %d", *d.TableStatus, *d.GlobalSecondaryIndexes[0].IndexStatus, *d.ItemCount)
	}
	if *d.TableId != *created.TableId || len(*d.TableId) != 36 {
		t.Fatalf("TableId %s vs %s", *d.TableId, *created.TableId)
	}
	// By ARN too.
	if d := mustDescribe(t, s, *created.TableArn); *d.TableName != "Music" {
		t.Fatalf("by ARN: %s", *d.TableName)
	}

	_, err := s.CreateTable(bg, in)
	wantErr(t, err, "ResourceInUseException", "Table already exists: Music")

	tags, err := s.ListTagsOfResource(bg, &dynamodbapi.ListTagsOfResourceInput{ResourceArn: created.TableArn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Value != "audio" {
		t.Fatalf("tags %+v %v", tags, err)
	}

	del, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Music")})
	if err != nil || *del.TableDescription.TableStatus != "DELETING" {
		t.Fatalf("DeleteTable %v %v", del, err)
	}
	_, err = s.DescribeTable(bg, &dynamodbapi.DescribeTableInput{TableName: ptr("Music")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Music not found")
	_, err = s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Music")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Music not found")
}

func TestDeletionProtection(t *testing.T) {
	s := newTestService(t)
	in := onDemand("Keep", ks("id"), defs("id", "S"))
	in.DeletionProtectionEnabled = ptr(true)
	mustCreate(t, s, in)
	_, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Keep")})
	wantErr(t, err, "ValidationException", "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Keep"), DeletionProtectionEnabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Keep")}); err != nil {
		t.Fatal(err)
	}
}

func TestListTablesPaging(t *testing.T) {
	s := newTestService(t)
	for _, n := range []string{"ccc", "aaa", "bbb", "ddd", "eee"} {
		mustCreate(t, s, onDemand(n, ks("id"), defs("id", "S")))
	}
	// Another region's tables are not listed.
	other := request.With(bg, &request.Info{Account: "000000000000", Region: "eu-west-1"})
	if _, err := s.CreateTable(other, onDemand("zzz", ks("id"), defs("id", "S"))); err != nil {
		t.Fatal(err)
	}
	var all []string
	var start *string
	for pages := 0; ; pages++ {
		out, err := s.ListTables(bg, &dynamodbapi.ListTablesInput{Limit: ptr(int32(2)), ExclusiveStartTableName: start})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.TableNames...)
		if out.LastEvaluatedTableName == nil {
			break
		}
		start = out.LastEvaluatedTableName
		if pages > 5 {
			t.Fatal("too many pages")
		}
	}
	if fmt.Sprint(all) != "[aaa bbb ccc ddd eee]" {
		t.Fatalf("ListTables: %v", all)
	}
}

func TestTagging(t *testing.T) {
	s := newTestService(t)
	arn := *mustCreate(t, s, onDemand("Tagged", ks("id"), defs("id", "S"))).TableArn
	_, err := s.TagResource(bg, &dynamodbapi.TagResourceInput{ResourceArn: ptr(arn), Tags: []dynamodbapi.Tag{{Key: ptr("a"), Value: ptr("1")}, {Key: ptr("b"), Value: ptr("2")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.TagResource(bg, &dynamodbapi.TagResourceInput{ResourceArn: ptr(arn), Tags: []dynamodbapi.Tag{{Key: ptr("a"), Value: ptr("3")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UntagResource(bg, &dynamodbapi.UntagResourceInput{ResourceArn: ptr(arn), TagKeys: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	out, err := s.ListTagsOfResource(bg, &dynamodbapi.ListTagsOfResourceInput{ResourceArn: ptr(arn)})
	if err != nil || len(out.Tags) != 1 || *out.Tags[0].Key != "a" || *out.Tags[0].Value != "3" {
		t.Fatalf("tags %+v %v", out, err)
	}
	missing := "arn:aws:dynamodb:us-east-1:000000000000:table/Nope"
	_, err = s.ListTagsOfResource(bg, &dynamodbapi.ListTagsOfResourceInput{ResourceArn: ptr(missing)})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: ResourcArn: "+missing+" not found")
	_, err = s.TagResource(bg, &dynamodbapi.TagResourceInput{ResourceArn: ptr("nonsense"), Tags: []dynamodbapi.Tag{{Key: ptr("a"), Value: ptr("1")}}})
	wantErr(t, err, "ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input nonsense")
}

func TestTimeToLiveAndBackups(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Sessions", ks("id"), defs("id", "S")))
	d, err := s.DescribeTimeToLive(bg, &dynamodbapi.DescribeTimeToLiveInput{TableName: ptr("Sessions")})
	if err != nil || *d.TimeToLiveDescription.TimeToLiveStatus != "DISABLED" {
		t.Fatalf("%+v %v", d, err)
	}
	spec := &dynamodbapi.TimeToLiveSpecification{AttributeName: ptr("expires"), Enabled: ptr(true)}
	if _, err := s.UpdateTimeToLive(bg, &dynamodbapi.UpdateTimeToLiveInput{TableName: ptr("Sessions"), TimeToLiveSpecification: spec}); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateTimeToLive(bg, &dynamodbapi.UpdateTimeToLiveInput{TableName: ptr("Sessions"), TimeToLiveSpecification: spec})
	wantErr(t, err, "ValidationException", "TimeToLive is already enabled")
	d, _ = s.DescribeTimeToLive(bg, &dynamodbapi.DescribeTimeToLiveInput{TableName: ptr("Sessions")})
	if *d.TimeToLiveDescription.TimeToLiveStatus != "ENABLED" || *d.TimeToLiveDescription.AttributeName != "expires" {
		t.Fatalf("%+v", d.TimeToLiveDescription)
	}
	ttl, err := s.TTLTables(bg)
	if err != nil || len(ttl) != 1 || ttl[0].Attribute != "expires" || ttl[0].Name != "Sessions" {
		t.Fatalf("TTLTables %+v %v", ttl, err)
	}
	_, err = s.DescribeTimeToLive(bg, &dynamodbapi.DescribeTimeToLiveInput{TableName: ptr("Nope")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Nope not found")

	b, err := s.DescribeContinuousBackups(bg, &dynamodbapi.DescribeContinuousBackupsInput{TableName: ptr("Sessions")})
	if err != nil || *b.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != "DISABLED" {
		t.Fatalf("%+v %v", b, err)
	}
	u, err := s.UpdateContinuousBackups(bg, &dynamodbapi.UpdateContinuousBackupsInput{TableName: ptr("Sessions"),
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: ptr(true)}})
	if err != nil || *u.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != "ENABLED" {
		t.Fatalf("%+v %v", u, err)
	}
	_, err = s.DescribeContinuousBackups(bg, &dynamodbapi.DescribeContinuousBackupsInput{TableName: ptr("Nope")})
	wantErr(t, err, "TableNotFoundException", "Table not found: Nope")
}

func TestUpdateTableSettings(t *testing.T) {
	s := newTestService(t)
	in := &dynamodbapi.CreateTableInput{TableName: ptr("Prov"), KeySchema: ks("id"), AttributeDefinitions: defs("id", "S"),
		ProvisionedThroughput: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(int64(5)), WriteCapacityUnits: ptr(int64(5))}}
	mustCreate(t, s, in)

	_, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Prov")})
	wantErr(t, err, "ValidationException", "At least one of ProvisionedThroughput")
	_, err = s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Prov"), ProvisionedThroughput: in.ProvisionedThroughput})
	wantErr(t, err, "ValidationException", "The provisioned throughput for the table will not change.")

	out, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Prov"),
		ProvisionedThroughput: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(int64(10)), WriteCapacityUnits: ptr(int64(2))}})
	if err != nil || *out.TableDescription.TableStatus != "UPDATING" {
		t.Fatalf("%v %v", out, err)
	}
	d := mustDescribe(t, s, "Prov")
	if *d.ProvisionedThroughput.ReadCapacityUnits != 10 || *d.ProvisionedThroughput.NumberOfDecreasesToday != 1 || *d.TableStatus != "ACTIVE" {
		t.Fatalf("throughput %+v", d.ProvisionedThroughput)
	}

	if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Prov"), BillingMode: ptr("PAY_PER_REQUEST")}); err != nil {
		t.Fatal(err)
	}
	d = mustDescribe(t, s, "Prov")
	if *d.BillingModeSummary.BillingMode != "PAY_PER_REQUEST" || *d.ProvisionedThroughput.ReadCapacityUnits != 0 {
		t.Fatalf("billing %+v %+v", d.BillingModeSummary, d.ProvisionedThroughput)
	}

	// Back to provisioned: a table that has been on demand keeps its
	// billing summary, which now says PROVISIONED.
	if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Prov"), BillingMode: ptr("PROVISIONED"),
		ProvisionedThroughput: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(int64(3)), WriteCapacityUnits: ptr(int64(4))}}); err != nil {
		t.Fatal(err)
	}
	d = mustDescribe(t, s, "Prov")
	if d.BillingModeSummary == nil || *d.BillingModeSummary.BillingMode != "PROVISIONED" || d.BillingModeSummary.LastUpdateToPayPerRequestDateTime == nil ||
		*d.ProvisionedThroughput.ReadCapacityUnits != 3 {
		t.Fatalf("billing after switching back %+v %+v", d.BillingModeSummary, d.ProvisionedThroughput)
	}
	mustCreate(t, s, onDemand("OnDemandFirst", ks("id"), defs("id", "S")))
	if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("OnDemandFirst"), BillingMode: ptr("PROVISIONED"),
		ProvisionedThroughput: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr(int64(1)), WriteCapacityUnits: ptr(int64(1))}}); err != nil {
		t.Fatal(err)
	}
	if d := mustDescribe(t, s, "OnDemandFirst"); d.BillingModeSummary == nil || *d.BillingModeSummary.BillingMode != "PROVISIONED" {
		t.Fatalf("billing of a table created on demand, now provisioned: %+v", d.BillingModeSummary)
	}

	// Streams: on, off, on again with a new label.
	on := &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr("KEYS_ONLY")}
	if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Prov"), StreamSpecification: on}); err != nil {
		t.Fatal(err)
	}
	first := *mustDescribe(t, s, "Prov").LatestStreamArn
	_, err = s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Prov"), StreamSpecification: on})
	wantErr(t, err, "ValidationException", "Table already has an enabled stream")
	if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Prov"), StreamSpecification: &dynamodbapi.StreamSpecification{StreamEnabled: ptr(false)}}); err != nil {
		t.Fatal(err)
	}
	d = mustDescribe(t, s, "Prov")
	if d.StreamSpecification != nil || *d.LatestStreamArn != first {
		t.Fatalf("after disabling: %+v %v", d.StreamSpecification, d.LatestStreamArn)
	}
	if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Prov"), StreamSpecification: on}); err != nil {
		t.Fatal(err)
	}
	second := *mustDescribe(t, s, "Prov").LatestStreamArn
	if second == first {
		t.Fatalf("re-enabled stream kept its ARN %s", second)
	}
	// Both streams stay known; only the second takes records, until the
	// table goes.
	streamClosed := func(arn string) bool {
		var info *streamInfo
		err := s.db.View(bg, func(tx storage.Tx) (err error) {
			info, err = streamInfoByARN(tx, arn)
			return err
		})
		if err != nil || info == nil || info.Table != "Prov" || info.ViewType != "KEYS_ONLY" {
			t.Fatalf("stream %s: %+v %v", arn, info, err)
		}
		return !info.Closed.IsZero()
	}
	if !streamClosed(first) || streamClosed(second) {
		t.Fatal("stream index: wrong open/closed state")
	}
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Prov")}); err != nil {
		t.Fatal(err)
	}
	if !streamClosed(second) {
		t.Fatal("stream of a deleted table still open")
	}
}
