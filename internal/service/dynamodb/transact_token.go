package dynamodb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Idempotent transactions. A TransactWriteItems with a ClientRequestToken
// records the token with a digest of its actions in the transaction that
// applies them. For ten minutes after that, the same token with the same
// actions succeeds again without applying anything, and the same token
// with other actions is refused. The check runs inside the write
// transaction, so two requests racing with one token cannot both apply.
// A cancelled transaction records nothing: it may be retried with its
// token.

// tableTxTokens maps metaKey(account, region, token) to the time the
// token's transaction committed (8 bytes, Unix nanoseconds) and the
// SHA-256 of its actions.
const tableTxTokens = "ddb.txtokens"

// tokenWindow is how long DynamoDB remembers a client request token.
const tokenWindow = 10 * time.Minute

type txToken struct {
	key    []byte
	digest [sha256.Size]byte
}

// newTxToken digests the actions, which the caller has normalized
// (numbers in canonical form), so that equal requests digest alike.
// encoding/json writes map keys in order, which makes the digest
// independent of the order a client serialized its maps in.
func newTxToken(info *request.Info, token string, items []dynamodbapi.TransactWriteItem) *txToken {
	b, err := json.Marshal(items)
	if err != nil {
		panic(err) // generated input types always marshal
	}
	return &txToken{key: metaKey(info.Account, info.Region, token), digest: sha256.Sum256(b)}
}

// check reports whether the token's transaction already ran within the
// window with the same actions (the request is a replay); a token used
// for other actions is an IdempotentParameterMismatchException.
func (k *txToken) check(tx storage.Tx, now time.Time) (bool, error) {
	v, err := tx.Get(tableTxTokens, k.key)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(v) != 8+sha256.Size {
		return false, errCorrupt
	}
	if tokenExpired(v, now) {
		return false, nil
	}
	if !bytes.Equal(v[8:], k.digest[:]) {
		return false, dynamodbapi.ErrIdempotentParameterMismatchException.New(
			"The request uses the same client token as a previous, but non-identical request.")
	}
	return true, nil
}

func tokenExpired(v []byte, now time.Time) bool {
	done := time.Unix(0, int64(getUint64(v)))
	return now.Sub(done) >= tokenWindow
}

func (k *txToken) save(tx storage.Tx, now time.Time) error {
	v := appendUint64(make([]byte, 0, 8+sha256.Size), uint64(now.UnixNano()))
	return tx.Put(tableTxTokens, k.key, append(v, k.digest[:]...))
}

// sweepTokens forgets the tokens whose window has passed.
func (s *Service) sweepTokens(ctx context.Context) error {
	for {
		var expired [][]byte
		now := s.now()
		err := s.db.View(ctx, func(tx storage.Tx) error {
			return tx.Scan(tableTxTokens, storage.Range{}, func(k, v []byte) bool {
				if len(v) != 8+sha256.Size || tokenExpired(v, now) {
					expired = append(expired, bytes.Clone(k))
				}
				return len(expired) < purgeBatch
			})
		})
		if err != nil || len(expired) == 0 {
			return err
		}
		err = s.db.Update(ctx, func(tx storage.Tx) error {
			for _, k := range expired {
				// The token may have been used again since the scan.
				v, err := tx.Get(tableTxTokens, k)
				if errors.Is(err, storage.ErrNotFound) || err == nil && len(v) == 8+sha256.Size && !tokenExpired(v, now) {
					continue
				}
				if err != nil {
					return err
				}
				if err := tx.Delete(tableTxTokens, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || len(expired) < purgeBatch {
			return err
		}
	}
}
