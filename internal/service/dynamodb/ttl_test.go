package dynamodb

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

func enableTTL(t *testing.T, s *Service, table, attribute string) {
	t.Helper()
	_, err := s.UpdateTimeToLive(bg, &dynamodbapi.UpdateTimeToLiveInput{TableName: ptr(table),
		TimeToLiveSpecification: &dynamodbapi.TimeToLiveSpecification{AttributeName: ptr(attribute), Enabled: ptr(true)}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExpireItems(t *testing.T) {
	s, clock := newClockService(t)
	in := onDemand("Sessions", ks("id"), defs("id", "S", "g", "S"))
	in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr("byG"), KeySchema: ks("g"), Projection: projAllOf()}}
	in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr("OLD_IMAGE")}
	mustCreate(t, s, in)
	mustCreate(t, s, onDemand("NoTTL", ks("id"), defs("id", "S")))
	enableTTL(t, s, "Sessions", "exp")

	now := clock.now().Unix()
	epoch := func(d int64) attr.Value { return nv(fmt.Sprint(now + d)) }
	items := map[string]attr.Value{
		"past":         epoch(-10),
		"justpast":     nv(fmt.Sprintf("%d.5", now-1)),
		"now":          epoch(0),
		"future":       epoch(3600),
		"string":       sv(fmt.Sprint(now - 10)),
		"set":          {NS: []string{fmt.Sprint(now - 10)}},
		"ancient":      nv(fmt.Sprint(now - 6*365*24*3600)),
		"4y":           nv(fmt.Sprint(now - 4*365*24*3600)),
		"milliseconds": nv(fmt.Sprint(now * 1000)),
	}
	for name, v := range items {
		put(t, s, "Sessions", attr.Item{"id": sv(name), "g": sv("G"), "exp": v})
		put(t, s, "NoTTL", attr.Item{"id": sv(name), "exp": v})
	}
	put(t, s, "Sessions", attr.Item{"id": sv("none"), "g": sv("G")})

	n, err := s.ExpireItems(bg)
	if err != nil || n != 3 {
		t.Fatalf("ExpireItems = %d, %v; want 3", n, err)
	}
	var left []string
	for _, it := range entries(t, s, "Sessions", "") {
		left = append(left, *it["id"].S)
	}
	sort.Strings(left)
	if got := strings.Join(left, ","); got != "ancient,future,milliseconds,none,now,set,string" {
		t.Fatalf("left %s", got)
	}
	if n := len(entries(t, s, "Sessions", "byG")); n != 7 {
		t.Fatalf("byG has %d entries", n)
	}
	if d := mustDescribe(t, s, "Sessions"); *d.ItemCount != 7 {
		t.Fatalf("ItemCount %d", *d.ItemCount)
	}
	if d := mustDescribe(t, s, "NoTTL"); *d.ItemCount != int64(len(items)) {
		t.Fatalf("a table without TTL lost items: %d", *d.ItemCount)
	}
	var removes int
	for _, r := range streamRecords(t, s, "Sessions") {
		if r.Event == eventRemove {
			removes++
			if !r.TTL || r.OldImage == nil {
				t.Fatalf("expiry record %+v", r)
			}
		} else if r.TTL {
			t.Fatalf("user write marked as TTL: %+v", r)
		}
	}
	if removes != 3 {
		t.Fatalf("%d REMOVE records", removes)
	}

	// An hour later, "now" and "future" have expired too.
	clock.advance(time.Hour + time.Second)
	if n, err := s.ExpireItems(bg); err != nil || n != 2 {
		t.Fatalf("second pass: %d %v", n, err)
	}
	// Turning TTL off stops expiry.
	put(t, s, "Sessions", attr.Item{"id": sv("later"), "exp": epoch(-1)})
	if _, err := s.UpdateTimeToLive(bg, &dynamodbapi.UpdateTimeToLiveInput{TableName: ptr("Sessions"),
		TimeToLiveSpecification: &dynamodbapi.TimeToLiveSpecification{AttributeName: ptr("exp"), Enabled: ptr(false)}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireItems(bg); err != nil || n != 0 {
		t.Fatalf("TTL off: %d %v", n, err)
	}
}

// Many expired items take several batches and pages.
func TestExpireItemsBatches(t *testing.T) {
	s, clock := newClockService(t)
	mustCreate(t, s, onDemand("Many", ks("id"), defs("id", "S")))
	enableTTL(t, s, "Many", "ttl")
	past := fmt.Sprint(clock.now().Unix() - 1)
	for i := range 2500 {
		v := past
		if i%2 == 1 {
			v = fmt.Sprint(clock.now().Unix() + 100)
		}
		writeRaw(t, s, "Many", nil, attr.Item{"id": sv(fmt.Sprintf("%04d", i)), "ttl": nv(v)})
	}
	if n, err := s.ExpireItems(bg); err != nil || n != 1250 {
		t.Fatalf("ExpireItems = %d, %v", n, err)
	}
	if d := mustDescribe(t, s, "Many"); *d.ItemCount != 1250 {
		t.Fatalf("ItemCount %d", *d.ItemCount)
	}
}

// The worker makes a pass at once, then one per tick, until its context
// ends. Ticks go through an unbuffered channel: a send returns when the
// worker has finished the pass before it.
func TestRunExpiry(t *testing.T) {
	s, clock := newClockService(t)
	mustCreate(t, s, onDemand("Run", ks("id"), defs("id", "S")))
	enableTTL(t, s, "Run", "ttl")
	expiredItem := func(name string) attr.Item {
		return attr.Item{"id": sv(name), "ttl": nv(fmt.Sprint(clock.now().Unix() - 1))}
	}
	put(t, s, "Run", expiredItem("x"))
	ctx, cancel := context.WithCancel(bg)
	ticks := make(chan time.Time)
	done := make(chan struct{})
	go func() {
		s.runExpiry(ctx, ticks)
		close(done)
	}()
	ticks <- time.Time{} // the first pass is over
	if get(t, s, "Run", id("x")) != nil {
		t.Fatal("first pass left the expired item")
	}
	put(t, s, "Run", expiredItem("y"))
	ticks <- time.Time{}
	ticks <- time.Time{} // the second pass is over
	if get(t, s, "Run", id("y")) != nil {
		t.Fatal("second pass left the expired item")
	}
	cancel()
	<-done
}
