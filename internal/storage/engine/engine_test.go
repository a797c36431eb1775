package engine_test

import (
	"context"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/bolt"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
	"github.com/nimbus-cloud/nimbus/internal/storage/memory"
)

func TestOpenChoosesEngine(t *testing.T) {
	tests := []struct {
		name    string
		opts    storage.Options
		wantErr bool
		check   func(storage.Backend) bool
	}{
		{"ephemeral", storage.Options{Ephemeral: true}, false, func(b storage.Backend) bool { _, ok := b.(*memory.DB); return ok }},
		{"on disk", storage.Options{Dir: t.TempDir()}, false, func(b storage.Backend) bool { _, ok := b.(*bolt.DB); return ok }},
		{"on disk with fsync", storage.Options{Dir: t.TempDir(), Fsync: true}, false, func(b storage.Backend) bool { _, ok := b.(*bolt.DB); return ok }},
		{"neither", storage.Options{}, true, nil},
		{"both", storage.Options{Dir: t.TempDir(), Ephemeral: true}, true, nil},
	}
	for _, tc := range tests {
		b, err := engine.Open(tc.opts)
		if tc.wantErr {
			if err == nil {
				b.Close()
				t.Errorf("%s: Open succeeded; want an error", tc.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !tc.check(b) {
			t.Errorf("%s: got engine %T", tc.name, b)
		}
		if err := b.Update(context.Background(), func(tx storage.Tx) error {
			return tx.Put("t", []byte("k"), []byte("v"))
		}); err != nil {
			t.Errorf("%s: Update: %v", tc.name, err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("%s: Close: %v", tc.name, err)
		}
	}
}
