package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// pageTokenSecret is the name of the page token key in server_secrets.
const pageTokenSecret = "page_token_key"

// secretLen is the length of a generated secret: 256 bits.
const secretLen = 32

// PageTokenKey returns the key page tokens are signed with, the same on
// every replica of the database: the first replica to ask creates it at
// random, and every later call, on any replica, reads that one. Creating
// it is an insert that yields to a row already there, so that replicas
// starting together agree without a lock.
func (s *Store) PageTokenKey(ctx context.Context) ([]byte, error) {
	return s.sharedSecret(ctx, pageTokenSecret)
}

func (s *Store) sharedSecret(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, secretLen)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generating the secret %s: %w", name, err)
	}
	var secret []byte
	err := s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO server_secrets (name, secret, create_time) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING`), name, fresh, dbTime{time.Now()})
		if err != nil {
			return dbError(err, "creating the secret %s", name)
		}
		err = sqlx.GetContext(ctx, tx.tx, &secret, tx.tx.Rebind(`SELECT secret FROM server_secrets WHERE name = ?`), name)
		return dbError(err, "reading the secret %s", name)
	})
	if err != nil {
		return nil, err
	}
	return secret, nil
}
