package sns

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/memory"
)

// Concurrent callers share transactions, but one caller's failure neither
// fails the others nor keeps its writes.
func TestCommitterIsolatesFailures(t *testing.T) {
	db, err := memory.Open(storage.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &committer{db: db}
	errOdd := errors.New("odd")
	var wg sync.WaitGroup
	results := make([]error, 200)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.update(context.Background(), func(tx storage.Tx) error {
				if err := tx.Put("t", []byte(fmt.Sprint(i)), []byte("v")); err != nil {
					return err
				}
				if i%2 == 1 {
					return errOdd
				}
				return nil
			})
		}()
	}
	wg.Wait()
	db.View(context.Background(), func(tx storage.Tx) error {
		for i, err := range results {
			_, gerr := tx.Get("t", []byte(fmt.Sprint(i)))
			switch {
			case i%2 == 1 && (!errors.Is(err, errOdd) || gerr == nil):
				t.Errorf("%d: error %v, its write kept: %v", i, err, gerr == nil)
			case i%2 == 0 && (err != nil || gerr != nil):
				t.Errorf("%d: error %v, write %v", i, err, gerr)
			}
		}
		return nil
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running || len(c.queue) != 0 {
		t.Errorf("committer left running=%v with %d queued", c.running, len(c.queue))
	}
}
