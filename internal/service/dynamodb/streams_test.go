package dynamodb

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbstreamsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// newStreamsTest returns a DynamoDB service and its Streams API on an
// ephemeral store, with a clock the test moves.
func newStreamsTest(t *testing.T) (*Service, *StreamsService, *testClock) {
	t.Helper()
	s, clock := newClockService(t)
	return s, NewStreams(s), clock
}

// streamTable creates table name (key pk, sk) with a stream of view type
// and returns the stream's ARN.
func streamTable(t *testing.T, s *Service, name, view string) string {
	t.Helper()
	in := onDemand(name, ks("pk", "sk"), defs("pk", "S", "sk", "N"))
	in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr(view)}
	return *mustCreate(t, s, in).LatestStreamArn
}

func strPut(t *testing.T, s *Service, table string, item map[string]dynamodbapi.AttributeValue) {
	t.Helper()
	if _, err := s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

func strDel(t *testing.T, s *Service, table, pk, sk string) {
	t.Helper()
	if _, err := s.DeleteItem(bg, &dynamodbapi.DeleteItemInput{TableName: ptr(table), Key: map[string]dynamodbapi.AttributeValue{"pk": sv(pk), "sk": nv(sk)}}); err != nil {
		t.Fatal(err)
	}
}

func describeStreamOK(t *testing.T, st *StreamsService, arn string) *dynamodbstreamsapi.StreamDescription {
	t.Helper()
	out, err := st.DescribeStream(bg, &dynamodbstreamsapi.DescribeStreamInput{StreamArn: ptr(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return out.StreamDescription
}

func strIterator(t *testing.T, st *StreamsService, arn, shardID, typ, seq string) string {
	t.Helper()
	in := &dynamodbstreamsapi.GetShardIteratorInput{StreamArn: ptr(arn), ShardId: ptr(shardID), ShardIteratorType: ptr(typ)}
	if seq != "" {
		in.SequenceNumber = ptr(seq)
	}
	out, err := st.GetShardIterator(bg, in)
	if err != nil {
		t.Fatalf("GetShardIterator %s: %v", typ, err)
	}
	return *out.ShardIterator
}

func strRecords(t *testing.T, st *StreamsService, it string, limit int32) ([]dynamodbstreamsapi.Record, *string) {
	t.Helper()
	in := &dynamodbstreamsapi.GetRecordsInput{ShardIterator: ptr(it)}
	if limit > 0 {
		in.Limit = ptr(limit)
	}
	out, err := st.GetRecords(bg, in)
	if err != nil {
		t.Fatalf("GetRecords: %v", err)
	}
	return out.Records, out.NextShardIterator
}

// summary renders records as "EVENT pk/sk" for comparisons.
func strSummary(recs []dynamodbstreamsapi.Record) string {
	var parts []string
	for _, r := range recs {
		parts = append(parts, *r.EventName+" "+*r.Dynamodb.Keys["pk"].S+"/"+*r.Dynamodb.Keys["sk"].N)
	}
	return strings.Join(parts, ", ")
}

func strItem(pk, sk string, extra ...string) map[string]dynamodbapi.AttributeValue {
	it := map[string]dynamodbapi.AttributeValue{"pk": sv(pk), "sk": nv(sk)}
	for i := 0; i+1 < len(extra); i += 2 {
		it[extra[i]] = sv(extra[i+1])
	}
	return it
}

func TestStreamRecordsInWriteOrder(t *testing.T) {
	s, st, _ := newStreamsTest(t)
	arn := streamTable(t, s, "Orders", "NEW_AND_OLD_IMAGES")

	desc := describeStreamOK(t, st, arn)
	if *desc.StreamStatus != "ENABLED" || *desc.StreamViewType != "NEW_AND_OLD_IMAGES" || *desc.TableName != "Orders" ||
		len(desc.KeySchema) != 2 || *desc.KeySchema[1].AttributeName != "sk" || len(desc.Shards) != 1 {
		t.Fatalf("description %+v", desc)
	}
	sh := desc.Shards[0]
	if sh.ParentShardId != nil || sh.SequenceNumberRange.EndingSequenceNumber != nil || len(*sh.ShardId) < 28 {
		t.Fatalf("shard %+v", sh)
	}

	strPut(t, s, "Orders", strItem("a", "1", "v", "x"))
	strPut(t, s, "Orders", strItem("a", "1", "v", "x")) // unchanged: no record
	strPut(t, s, "Orders", strItem("a", "1", "v", "y"))
	strPut(t, s, "Orders", strItem("b", "2"))
	strDel(t, s, "Orders", "a", "1")
	strDel(t, s, "Orders", "a", "1") // already gone: no record

	it := strIterator(t, st, arn, *sh.ShardId, "TRIM_HORIZON", "")
	recs, next := strRecords(t, st, it, 0)
	if got := strSummary(recs); got != "INSERT a/1, MODIFY a/1, INSERT b/2, REMOVE a/1" {
		t.Fatalf("records: %s", got)
	}
	if next == nil {
		t.Fatal("an open shard always has a next iterator")
	}
	for i, r := range recs {
		d := r.Dynamodb
		if len(*d.SequenceNumber) < 21 || i > 0 && *d.SequenceNumber <= *recs[i-1].Dynamodb.SequenceNumber {
			t.Fatalf("sequence numbers not ascending: %s", *d.SequenceNumber)
		}
		if *r.EventVersion != "1.1" || *r.EventSource != "aws:dynamodb" || *r.AwsRegion != "us-east-1" || len(*r.EventID) != 32 ||
			*d.StreamViewType != "NEW_AND_OLD_IMAGES" || *d.SizeBytes <= 0 || d.ApproximateCreationDateTime == nil || r.UserIdentity != nil {
			t.Fatalf("record %d: %+v %+v", i, r, d)
		}
	}
	if *recs[0].Dynamodb.SequenceNumber != *sh.SequenceNumberRange.StartingSequenceNumber {
		t.Fatalf("first record %s, shard starts at %s", *recs[0].Dynamodb.SequenceNumber, *sh.SequenceNumberRange.StartingSequenceNumber)
	}
	if m := recs[1].Dynamodb; *m.OldImage["v"].S != "x" || *m.NewImage["v"].S != "y" {
		t.Fatalf("MODIFY images %v %v", m.OldImage, m.NewImage)
	}
	if r := recs[3].Dynamodb; r.NewImage != nil || *r.OldImage["v"].S != "y" {
		t.Fatalf("REMOVE images %v %v", r.OldImage, r.NewImage)
	}

	// The next iterator sees only what comes later.
	recs, next = strRecords(t, st, *next, 0)
	if len(recs) != 0 || next == nil {
		t.Fatalf("after the end: %d records", len(recs))
	}
	strPut(t, s, "Orders", strItem("c", "3"))
	if recs, _ = strRecords(t, st, *next, 0); strSummary(recs) != "INSERT c/3" {
		t.Fatalf("new record: %s", strSummary(recs))
	}
}

func TestStreamViewTypes(t *testing.T) {
	for _, tc := range []struct{ view, want string }{
		{"KEYS_ONLY", "new=false old=false"},
		{"NEW_IMAGE", "new=true old=false"},
		{"OLD_IMAGE", "new=false old=true"},
		{"NEW_AND_OLD_IMAGES", "new=true old=true"},
	} {
		t.Run(tc.view, func(t *testing.T) {
			s, st, _ := newStreamsTest(t)
			arn := streamTable(t, s, "T"+strings.ToLower(tc.view[:3]), tc.view)
			strPut(t, s, "T"+strings.ToLower(tc.view[:3]), strItem("a", "1", "v", "1"))
			strPut(t, s, "T"+strings.ToLower(tc.view[:3]), strItem("a", "1", "v", "2"))
			sh := describeStreamOK(t, st, arn).Shards[0]
			recs, _ := strRecords(t, st, strIterator(t, st, arn, *sh.ShardId, "TRIM_HORIZON", ""), 0)
			d := recs[1].Dynamodb
			if got := fmt.Sprintf("new=%v old=%v", d.NewImage != nil, d.OldImage != nil); got != tc.want || *d.StreamViewType != tc.view || len(d.Keys) != 2 {
				t.Fatalf("MODIFY record: %s keys %v", got, d.Keys)
			}
		})
	}
}

func TestStreamIteratorTypes(t *testing.T) {
	s, st, _ := newStreamsTest(t)
	arn := streamTable(t, s, "Iter", "KEYS_ONLY")
	for i := 1; i <= 5; i++ {
		strPut(t, s, "Iter", strItem("p", fmt.Sprint(i)))
	}
	shardID := *describeStreamOK(t, st, arn).Shards[0].ShardId
	all, _ := strRecords(t, st, strIterator(t, st, arn, shardID, "TRIM_HORIZON", ""), 0)
	if len(all) != 5 {
		t.Fatalf("%d records", len(all))
	}
	third := *all[2].Dynamodb.SequenceNumber

	at, _ := strRecords(t, st, strIterator(t, st, arn, shardID, "AT_SEQUENCE_NUMBER", third), 0)
	after, _ := strRecords(t, st, strIterator(t, st, arn, shardID, "AFTER_SEQUENCE_NUMBER", third), 0)
	latest, next := strRecords(t, st, strIterator(t, st, arn, shardID, "LATEST", ""), 0)
	if strSummary(at) != "INSERT p/3, INSERT p/4, INSERT p/5" || strSummary(after) != "INSERT p/4, INSERT p/5" || len(latest) != 0 {
		t.Fatalf("at %s; after %s; latest %s", strSummary(at), strSummary(after), strSummary(latest))
	}
	strPut(t, s, "Iter", strItem("p", "6"))
	if recs, _ := strRecords(t, st, *next, 0); strSummary(recs) != "INSERT p/6" {
		t.Fatalf("LATEST then a write: %s", strSummary(recs))
	}

	// Limit pages through the shard.
	it := strIterator(t, st, arn, shardID, "TRIM_HORIZON", "")
	var pages []string
	for range 4 {
		recs, next := strRecords(t, st, it, 2)
		pages = append(pages, strSummary(recs))
		it = *next
	}
	if got := strings.Join(pages, " | "); got != "INSERT p/1, INSERT p/2 | INSERT p/3, INSERT p/4 | INSERT p/5, INSERT p/6 | " {
		t.Fatalf("pages: %s", got)
	}
}

func TestStreamErrors(t *testing.T) {
	s, st, clock := newStreamsTest(t)
	arn := streamTable(t, s, "Errs", "KEYS_ONLY")
	strPut(t, s, "Errs", strItem("a", "1"))
	shardID := *describeStreamOK(t, st, arn).Shards[0].ShardId
	missing := strings.Replace(arn, "Errs", "Nope", 1)

	_, err := st.DescribeStream(bg, &dynamodbstreamsapi.DescribeStreamInput{StreamArn: ptr(missing)})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Stream: "+missing+" not found")
	_, err = st.DescribeStream(bg, &dynamodbstreamsapi.DescribeStreamInput{StreamArn: ptr("arn:aws:dynamodb:us-east-1:000000000000:table/Errs")})
	wantErr(t, err, "ValidationException", "Invalid StreamArn")
	otherAccount := strings.Replace(arn, "000000000000", "111111111111", 1)
	_, err = st.DescribeStream(bg, &dynamodbstreamsapi.DescribeStreamInput{StreamArn: ptr(otherAccount)})
	wantErr(t, err, "ResourceNotFoundException", "")

	getIt := func(shard, typ, seq string) error {
		in := &dynamodbstreamsapi.GetShardIteratorInput{StreamArn: ptr(arn), ShardId: ptr(shard), ShardIteratorType: ptr(typ)}
		if seq != "" {
			in.SequenceNumber = ptr(seq)
		}
		_, err := st.GetShardIterator(bg, in)
		return err
	}
	wantErr(t, getIt("shardId-00000000000000000000-00000000", "LATEST", ""), "ResourceNotFoundException", "Shard does not exist")
	wantErr(t, getIt(shardID, "AT_SEQUENCE_NUMBER", ""), "ValidationException", "SequenceNumber")
	wantErr(t, getIt(shardID, "AT_SEQUENCE_NUMBER", "999999999999999999999"), "ValidationException", "Invalid SequenceNumber")
	wantErr(t, getIt(shardID, "AT_SEQUENCE_NUMBER", formatSeq(2)), "ValidationException", "Invalid SequenceNumber") // not written yet

	for _, bad := range []string{"x", "AAAA", strIterator(t, st, arn, shardID, "LATEST", "") + "A"} {
		_, err = st.GetRecords(bg, &dynamodbstreamsapi.GetRecordsInput{ShardIterator: ptr(bad)})
		wantErr(t, err, "ValidationException", "Invalid ShardIterator")
	}
	_, err = st.GetRecords(bg, &dynamodbstreamsapi.GetRecordsInput{ShardIterator: ptr(strIterator(t, st, arn, shardID, "LATEST", "")), Limit: ptr(int32(1001))})
	wantErr(t, err, "ValidationException", "Member must have value less than or equal to 1000")

	// Iterators expire after 15 minutes.
	it := strIterator(t, st, arn, shardID, "TRIM_HORIZON", "")
	clock.advance(15 * time.Minute)
	if _, err := st.GetRecords(bg, &dynamodbstreamsapi.GetRecordsInput{ShardIterator: ptr(it)}); err != nil {
		t.Fatalf("at 15 minutes: %v", err)
	}
	clock.advance(time.Millisecond)
	_, err = st.GetRecords(bg, &dynamodbstreamsapi.GetRecordsInput{ShardIterator: ptr(it)})
	wantErr(t, err, "ExpiredIteratorException", "")
}

func TestStreamRetention(t *testing.T) {
	s, st, clock := newStreamsTest(t)
	st.sweepBatch = 2
	arn := streamTable(t, s, "Ret", "KEYS_ONLY")
	for i := 1; i <= 5; i++ {
		strPut(t, s, "Ret", strItem("old", fmt.Sprint(i)))
	}
	shardID := *describeStreamOK(t, st, arn).Shards[0].ShardId
	oldIt := strIterator(t, st, arn, shardID, "TRIM_HORIZON", "")
	firstSeq := formatSeq(1)

	clock.advance(12 * time.Hour)
	strPut(t, s, "Ret", strItem("new", "1"))
	clock.advance(12*time.Hour + time.Second)
	if err := st.Sweep(bg); err != nil {
		t.Fatal(err)
	}
	// The five old records are gone, the newer one stays.
	recs, _ := strRecords(t, st, strIterator(t, st, arn, shardID, "TRIM_HORIZON", ""), 0)
	if strSummary(recs) != "INSERT new/1" {
		t.Fatalf("after trimming: %s", strSummary(recs))
	}
	_, err := st.GetRecords(bg, &dynamodbstreamsapi.GetRecordsInput{ShardIterator: ptr(oldIt)})
	if err == nil {
		t.Fatal("an iterator into trimmed records still reads")
	}
	// The old iterator has also expired; a fresh one at a trimmed record
	// is refused as trimmed.
	_, err = st.GetShardIterator(bg, &dynamodbstreamsapi.GetShardIteratorInput{StreamArn: ptr(arn), ShardId: ptr(shardID),
		ShardIteratorType: ptr("AT_SEQUENCE_NUMBER"), SequenceNumber: ptr(firstSeq)})
	wantErr(t, err, "TrimmedDataAccessException", "")
	if got := *describeStreamOK(t, st, arn).Shards[0].SequenceNumberRange.StartingSequenceNumber; got != firstSeq {
		t.Fatalf("the shard's starting number moved: %s", got)
	}
}

func TestStreamTrimmedUnderAnIterator(t *testing.T) {
	s, st, clock := newStreamsTest(t)
	arn := streamTable(t, s, "Trim", "KEYS_ONLY")
	strPut(t, s, "Trim", strItem("a", "1"))
	clock.advance(streamRetention - time.Minute)
	strPut(t, s, "Trim", strItem("a", "2"))
	shardID := *describeStreamOK(t, st, arn).Shards[0].ShardId
	it := strIterator(t, st, arn, shardID, "TRIM_HORIZON", "")
	clock.advance(2 * time.Minute)
	if err := st.Sweep(bg); err != nil {
		t.Fatal(err)
	}
	_, err := st.GetRecords(bg, &dynamodbstreamsapi.GetRecordsInput{ShardIterator: ptr(it)})
	wantErr(t, err, "TrimmedDataAccessException", "")
	recs, _ := strRecords(t, st, strIterator(t, st, arn, shardID, "TRIM_HORIZON", ""), 0)
	if strSummary(recs) != "INSERT a/2" {
		t.Fatalf("TRIM_HORIZON after trimming: %s", strSummary(recs))
	}
}

func TestStreamDisabledStaysReadable(t *testing.T) {
	s, st, clock := newStreamsTest(t)
	arn := streamTable(t, s, "Dis", "NEW_IMAGE")
	strPut(t, s, "Dis", strItem("a", "1"))
	strPut(t, s, "Dis", strItem("a", "2"))
	if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Dis"), StreamSpecification: &dynamodbapi.StreamSpecification{StreamEnabled: ptr(false)}}); err != nil {
		t.Fatal(err)
	}
	strPut(t, s, "Dis", strItem("a", "3")) // no stream any more

	desc := describeStreamOK(t, st, arn)
	sh := desc.Shards[0]
	if *desc.StreamStatus != "DISABLED" || sh.SequenceNumberRange.EndingSequenceNumber == nil || *sh.SequenceNumberRange.EndingSequenceNumber != formatSeq(2) {
		t.Fatalf("disabled stream: %+v %+v", desc, sh.SequenceNumberRange)
	}
	recs, next := strRecords(t, st, strIterator(t, st, arn, *sh.ShardId, "TRIM_HORIZON", ""), 1)
	if strSummary(recs) != "INSERT a/1" || next == nil {
		t.Fatalf("first page %s", strSummary(recs))
	}
	recs, next = strRecords(t, st, *next, 1)
	if strSummary(recs) != "INSERT a/2" || next != nil {
		t.Fatalf("the closed shard read to its end: %s, next %v", strSummary(recs), next)
	}
	if _, next = strRecords(t, st, strIterator(t, st, arn, *sh.ShardId, "LATEST", ""), 0); next != nil {
		t.Fatal("LATEST of a closed shard has a next iterator")
	}

	// A second stream of the table is listed beside the first.
	if _, err := s.UpdateTable(bg, &dynamodbapi.UpdateTableInput{TableName: ptr("Dis"), StreamSpecification: &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr("KEYS_ONLY")}}); err != nil {
		t.Fatal(err)
	}
	list, err := st.ListStreams(bg, &dynamodbstreamsapi.ListStreamsInput{TableName: ptr("Dis")})
	if err != nil || len(list.Streams) != 2 {
		t.Fatalf("ListStreams: %+v %v", list, err)
	}

	clock.advance(streamRetention)
	if err := st.Sweep(bg); err != nil {
		t.Fatal(err)
	}
	_, err = st.DescribeStream(bg, &dynamodbstreamsapi.DescribeStreamInput{StreamArn: ptr(arn)})
	wantErr(t, err, "ResourceNotFoundException", "")
	list, err = st.ListStreams(bg, &dynamodbstreamsapi.ListStreamsInput{TableName: ptr("Dis")})
	if err != nil || len(list.Streams) != 1 || *list.Streams[0].StreamArn == arn {
		t.Fatalf("after retention: %+v %v", list, err)
	}
	// Nothing of the dropped stream is left in storage.
	err = s.db.View(bg, func(tx storage.Tx) error {
		info, err := streamInfoByARN(tx, arn)
		if info != nil || err != nil {
			t.Fatalf("index entry %+v %v", info, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStreamOfDeletedTable(t *testing.T) {
	s, st, _ := newStreamsTest(t)
	arn := streamTable(t, s, "Gone", "KEYS_ONLY")
	strPut(t, s, "Gone", strItem("a", "1"))
	if _, err := s.DeleteTable(bg, &dynamodbapi.DeleteTableInput{TableName: ptr("Gone")}); err != nil {
		t.Fatal(err)
	}
	desc := describeStreamOK(t, st, arn)
	if *desc.StreamStatus != "DISABLED" {
		t.Fatalf("status %s", *desc.StreamStatus)
	}
	recs, next := strRecords(t, st, strIterator(t, st, arn, *desc.Shards[0].ShardId, "TRIM_HORIZON", ""), 0)
	if strSummary(recs) != "INSERT a/1" || next != nil {
		t.Fatalf("records of a deleted table: %s", strSummary(recs))
	}
}

func TestStreamShardRollover(t *testing.T) {
	s, st, clock := newStreamsTest(t)
	arn := streamTable(t, s, "Roll", "KEYS_ONLY")

	// An empty shard does not roll over.
	clock.advance(shardLifetime)
	if err := st.Sweep(bg); err != nil {
		t.Fatal(err)
	}
	if n := len(describeStreamOK(t, st, arn).Shards); n != 1 {
		t.Fatalf("%d shards", n)
	}
	strPut(t, s, "Roll", strItem("a", "1"))
	strPut(t, s, "Roll", strItem("a", "2"))
	first := *describeStreamOK(t, st, arn).Shards[0].ShardId
	firstIt := strIterator(t, st, arn, first, "TRIM_HORIZON", "")
	if err := st.Sweep(bg); err != nil {
		t.Fatal(err)
	}
	strPut(t, s, "Roll", strItem("a", "3"))

	shards := describeStreamOK(t, st, arn).Shards
	if len(shards) != 2 || *shards[0].ShardId != first || *shards[1].ParentShardId != first ||
		*shards[0].SequenceNumberRange.EndingSequenceNumber != formatSeq(2) ||
		*shards[1].SequenceNumberRange.StartingSequenceNumber != formatSeq(3) || shards[1].SequenceNumberRange.EndingSequenceNumber != nil {
		t.Fatalf("shards after rollover: %+v %+v", shards[0].SequenceNumberRange, shards[1])
	}
	// The old shard's reader gets its records, then no next iterator.
	recs, next := strRecords(t, st, firstIt, 0)
	if strSummary(recs) != "INSERT a/1, INSERT a/2" || next != nil {
		t.Fatalf("first shard: %s next %v", strSummary(recs), next)
	}
	recs, _ = strRecords(t, st, strIterator(t, st, arn, *shards[1].ShardId, "TRIM_HORIZON", ""), 0)
	if strSummary(recs) != "INSERT a/3" {
		t.Fatalf("second shard: %s", strSummary(recs))
	}
	_, err := st.GetShardIterator(bg, &dynamodbstreamsapi.GetShardIteratorInput{StreamArn: ptr(arn), ShardId: ptr(*shards[1].ShardId),
		ShardIteratorType: ptr("AT_SEQUENCE_NUMBER"), SequenceNumber: ptr(formatSeq(2))})
	wantErr(t, err, "ValidationException", "Invalid SequenceNumber")

	// Child shards, and paging through shards.
	kids, err := st.DescribeStream(bg, &dynamodbstreamsapi.DescribeStreamInput{StreamArn: ptr(arn),
		ShardFilter: &dynamodbstreamsapi.ShardFilter{Type: ptr("CHILD_SHARDS"), ShardId: ptr(first)}})
	if err != nil || len(kids.StreamDescription.Shards) != 1 || *kids.StreamDescription.Shards[0].ShardId != *shards[1].ShardId {
		t.Fatalf("child shards: %+v %v", kids, err)
	}
	page, err := st.DescribeStream(bg, &dynamodbstreamsapi.DescribeStreamInput{StreamArn: ptr(arn), Limit: ptr(int32(1))})
	if err != nil || len(page.StreamDescription.Shards) != 1 || *page.StreamDescription.LastEvaluatedShardId != first {
		t.Fatalf("first page of shards: %+v %v", page, err)
	}
	page, err = st.DescribeStream(bg, &dynamodbstreamsapi.DescribeStreamInput{StreamArn: ptr(arn), Limit: ptr(int32(1)), ExclusiveStartShardId: ptr(first)})
	if err != nil || len(page.StreamDescription.Shards) != 1 || page.StreamDescription.LastEvaluatedShardId != nil {
		t.Fatalf("second page of shards: %+v %v", page, err)
	}

	// Once all its records are trimmed, the closed shard is no longer listed.
	clock.advance(streamRetention + time.Second)
	strPut(t, s, "Roll", strItem("a", "4"))
	if err := st.Sweep(bg); err != nil {
		t.Fatal(err)
	}
	shards = describeStreamOK(t, st, arn).Shards
	if len(shards) < 1 || *shards[0].ShardId == first {
		t.Fatalf("trimmed shard still listed: %+v", shards)
	}
}

func TestListStreams(t *testing.T) {
	s, st, _ := newStreamsTest(t)
	var arns []string
	for _, name := range []string{"Alpha", "Beta", "Gamma"} {
		arns = append(arns, streamTable(t, s, name, "KEYS_ONLY"))
	}
	mustCreate(t, s, onDemand("NoStream", ks("pk"), defs("pk", "S")))

	var got []string
	var start *string
	for {
		out, err := st.ListStreams(bg, &dynamodbstreamsapi.ListStreamsInput{Limit: ptr(int32(2)), ExclusiveStartStreamArn: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, str := range out.Streams {
			got = append(got, *str.StreamArn)
			if *str.StreamLabel == "" || !strings.Contains(*str.StreamArn, "table/"+*str.TableName+"/stream/") {
				t.Fatalf("stream %+v", str)
			}
		}
		if start = out.LastEvaluatedStreamArn; start == nil {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(arns) {
		t.Fatalf("streams %v\nwant %v", got, arns)
	}
	out, err := st.ListStreams(bg, &dynamodbstreamsapi.ListStreamsInput{TableName: ptr("Beta")})
	if err != nil || len(out.Streams) != 1 || *out.Streams[0].StreamArn != arns[1] {
		t.Fatalf("Beta's streams: %+v %v", out, err)
	}
	out, err = st.ListStreams(bg, &dynamodbstreamsapi.ListStreamsInput{TableName: ptr("NoStream")})
	if err != nil || len(out.Streams) != 0 {
		t.Fatalf("a table without stream: %+v %v", out, err)
	}
	_, err = st.ListStreams(bg, &dynamodbstreamsapi.ListStreamsInput{TableName: ptr("Missing")})
	wantErr(t, err, "ResourceNotFoundException", "Table: Missing not found")
}

func TestStreamTTLRecordIdentity(t *testing.T) {
	info := &streamInfo{ARN: "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2025-03-01T12:00:00.000", Region: "us-east-1"}
	rec := apiRecord(info, &streamRecord{Seq: 7, Event: eventRemove, ViewType: viewKeysOnly, Created: time.UnixMilli(1740830400123),
		Keys: map[string]dynamodbapi.AttributeValue{"pk": sv("a")}, Size: 2, TTL: true})
	if rec.UserIdentity == nil || *rec.UserIdentity.Type != "Service" || *rec.UserIdentity.PrincipalId != "dynamodb.amazonaws.com" {
		t.Fatalf("identity %+v", rec.UserIdentity)
	}
	if got := rec.Dynamodb.ApproximateCreationDateTime.UnixMilli(); got != 1740830400000 {
		t.Fatalf("creation time %d is not rounded down to the second", got)
	}
	if *rec.Dynamodb.SequenceNumber != "100000000000000000007" {
		t.Fatalf("sequence number %s", *rec.Dynamodb.SequenceNumber)
	}
}

func TestShardIteratorEncoding(t *testing.T) {
	in := shardIterator{arn: "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/x", shard: 3, after: 1 << 40, issued: time.UnixMilli(1740830400123)}
	got, ok := decodeIterator(in.encode())
	if !ok || got.arn != in.arn || got.shard != in.shard || got.after != in.after || !got.issued.Equal(in.issued) {
		t.Fatalf("round trip: %+v %v", got, ok)
	}
	for _, s := range []string{"", "x", "!!!", in.encode()[1:], strings.ToUpper(in.encode())} {
		if _, ok := decodeIterator(s); ok {
			t.Fatalf("%q decoded", s)
		}
	}
	for _, n := range []uint64{0, 1, 99999999999999999} {
		if m, ok := parseSeq(formatSeq(n)); !ok || m != n || len(formatSeq(n)) != 21 {
			t.Fatalf("sequence number %d: %s", n, formatSeq(n))
		}
	}
	for _, s := range []string{"", "12", "000000000000000000001", "1000000000000000000-1", "1+0000000000000000001"} {
		if _, ok := parseSeq(s); ok {
			t.Fatalf("%q parsed", s)
		}
	}
}
