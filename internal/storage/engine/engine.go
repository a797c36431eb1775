// Package engine picks the storage engine for a set of options: the
// ephemeral in-memory engine with Options.Ephemeral, the embedded on-disk
// engine otherwise.
package engine

import (
	"errors"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/bolt"
	"github.com/nimbus-cloud/nimbus/internal/storage/memory"
)

// Open opens the backend opts describe.
func Open(opts storage.Options) (storage.Backend, error) {
	switch {
	case opts.Ephemeral && opts.Dir != "":
		return nil, errors.New("storage: a data directory cannot be ephemeral; set Dir or Ephemeral, not both")
	case opts.Ephemeral:
		return memory.Open(opts)
	case opts.Dir == "":
		return nil, errors.New("storage: a data directory is required unless Ephemeral is set")
	}
	return bolt.Open(opts)
}
