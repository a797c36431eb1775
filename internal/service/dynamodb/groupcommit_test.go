package dynamodb

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// putVia writes item through updateItem with the plain write path.
func putVia(s *Service, table string, item attr.Item, fail error) error {
	return s.updateItem(bg, func(w *itemWriter) error {
		tm, err := s.table(w.tx, ref(table), errNoResource)
		if err != nil {
			return err
		}
		k, err := tm.itemKeyOf(item)
		if err != nil {
			return err
		}
		old, err := getItem(w.tx, k)
		if err != nil {
			return err
		}
		if _, err := w.writeItem(tm, k, old, newStoredItem(item)); err != nil {
			return err
		}
		return fail
	})
}

func queued(s *Service) int {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return len(s.group.pending)
}

// TestGroupCommitIsolatesFailures queues writes behind a blocked one, so
// that they share a transaction, one of them failing after it wrote: the
// batch is redone write by write, and only the failed write is lost.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Grp", ks("id"), defs("id", "S")))
	running, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := s.updateItem(bg, func(w *itemWriter) error {
			close(running)
			<-release
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}()
	<-running
	boom := errors.New("boom")
	results := make([]error, 3)
	for i, id := range []string{"b", "c", "d"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fail error
			if id == "c" {
				fail = boom
			}
			results[i] = putVia(s, "Grp", attr.Item{"id": sv(id)}, fail)
		}()
	}
	for queued(s) < 3 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if results[0] != nil || !errors.Is(results[1], boom) || results[2] != nil {
		t.Fatalf("results %v", results)
	}
	var ids []string
	for _, it := range entries(t, s, "Grp", "") {
		ids = append(ids, *it["id"].S)
	}
	if len(ids) != 2 || *mustDescribe(t, s, "Grp").ItemCount != 2 {
		t.Fatalf("stored %v", ids)
	}
}

// TestGroupCommitMixedOutcomes runs many concurrent writes, some of which
// fail their condition, and checks each answer and the final state.
func TestGroupCommitMixedOutcomes(t *testing.T) {
	s := newTestService(t)
	mustCreate(t, s, onDemand("Mix", ks("id"), defs("id", "S")))
	for i := range 50 {
		put(t, s, "Mix", attr.Item{"id": sv(fmt.Sprint("old", i))})
	}
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint("new", i)
			if i%4 == 0 {
				id = fmt.Sprint("old", i/4) // exists: the condition fails
			}
			_, errs[i] = s.PutItem(bg, &dynamodbapi.PutItemInput{TableName: ptr("Mix"), Item: attr.Item{"id": sv(id), "v": nv(fmt.Sprint(i))},
				ConditionExpression: ptr("attribute_not_exists(id)")})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%4 == 0) != dynamodbapi.ErrConditionalCheckFailedException.Is(err) || (i%4 != 0 && err != nil) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if n := *mustDescribe(t, s, "Mix").ItemCount; n != 50+150 {
		t.Fatalf("ItemCount %d", n)
	}
	if it := get(t, s, "Mix", attr.Item{"id": sv("old3")}); it["v"].N != nil {
		t.Fatalf("a failed conditional write changed old3: %v", it)
	}
}
