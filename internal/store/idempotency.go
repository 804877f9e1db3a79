package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// RequestKey names a request_id (AIP-155) within its scope: the caller's
// organisation ("" for platform admins) and the full RPC method.
type RequestKey struct {
	Organisation string
	Method       string
	RequestID    string
}

// requestWait bounds how long a retry waits on PostgreSQL for the first
// call with the same request_id to finish before answering Aborted. A
// variable only so that a test can shorten it.
var requestWait = 10 * time.Second

// claimRequestSQL is ClaimRequest's insert, for each dialect. On
// PostgreSQL it also sets the transaction's lock_timeout (set_config with
// is_local, as SET LOCAL does) to requestWait, its last parameter, in the
// same round trip: the row it selects from is computed before the insert
// can wait on another transaction's claim of the same key, so that wait is
// bounded. The parameters are cast because a SELECT list, unlike VALUES,
// does not take their types from the columns.
var claimRequestSQL = map[string]string{
	DialectSQLite: sqlx.Rebind(sqlx.QUESTION, `INSERT INTO idempotency_records
		(organisation, method, request_id, request_digest, state, status_code, create_time, update_time, expire_time)
		VALUES (?, ?, ?, ?, 'in_progress', 0, ?, ?, ?)
		ON CONFLICT (organisation, method, request_id) DO NOTHING`),
	DialectPostgres: sqlx.Rebind(sqlx.DOLLAR, `INSERT INTO idempotency_records
		(organisation, method, request_id, request_digest, state, status_code, create_time, update_time, expire_time)
		SELECT ?::text, ?::text, ?::text, ?::bytea, 'in_progress', 0, ?::timestamptz, ?::timestamptz, ?::timestamptz
		FROM (SELECT set_config('lock_timeout', ?, true)) AS bounded_wait
		ON CONFLICT (organisation, method, request_id) DO NOTHING`),
}

// ClaimRequest claims key for this transaction, with the digest of the
// request. When the same key was completed before, it returns the stored
// response and claimed false, and the caller replays it. When the first call
// is still running in another transaction, ClaimRequest waits for it to
// finish (PostgreSQL: at most requestWait, then Aborted; SQLite: write
// transactions never overlap). It returns Invalid, with reason
// REQUEST_ID_REUSED, when the key was used for a different request. The
// claim is part of the transaction: rolled back with it, and completed by
// CompleteRequest in it. Records older than retention are forgotten.
func (tx *Tx) ClaimRequest(ctx context.Context, key RequestKey, digest [32]byte, retention time.Duration) (stored []byte, claimed bool, err error) {
	defer func() {
		if millwa.ErrorCode(err) == millwa.Aborted {
			e := millwa.Reasonf(millwa.Aborted, "REQUEST_IN_PROGRESS", "a call with request_id %q is still being processed: retry in a moment", key.RequestID)
			e.Err = err
			err = e
		}
	}()
	t := now()
	args := []any{key.Organisation, key.Method, key.RequestID, digest[:], dbTime{t}, dbTime{t}, dbTime{t.Add(retention)}}
	if tx.dialect == DialectPostgres {
		args = append(args, fmt.Sprintf("%dms", requestWait.Milliseconds()))
	}
	res, err := tx.tx.ExecContext(ctx, claimRequestSQL[tx.dialect], args...)
	if err != nil {
		return nil, false, dbError(err, "claiming request_id %q", key.RequestID)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, false, dbError(err, "claiming request_id %q", key.RequestID)
	} else if n == 1 {
		return nil, true, nil
	}

	var rec struct {
		Digest     []byte `db:"request_digest"`
		State      string `db:"state"`
		Response   []byte `db:"response"`
		ExpireTime dbTime `db:"expire_time"`
	}
	err = sqlx.GetContext(ctx, tx.tx, &rec, tx.tx.Rebind(`SELECT request_digest, state, response, expire_time
		FROM idempotency_records WHERE organisation = ? AND method = ? AND request_id = ?`+tx.forUpdate),
		key.Organisation, key.Method, key.RequestID)
	if errors.Is(err, sql.ErrNoRows) {
		// Forgotten between the insert and the read: claim it afresh.
		return tx.ClaimRequest(ctx, key, digest, retention)
	}
	if err != nil {
		return nil, false, dbError(err, "reading request_id %q", key.RequestID)
	}
	if rec.ExpireTime.Before(t) {
		_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE idempotency_records
			SET request_digest = ?, state = 'in_progress', response = NULL, status_code = 0, create_time = ?, update_time = ?, expire_time = ?
			WHERE organisation = ? AND method = ? AND request_id = ?`),
			digest[:], dbTime{t}, dbTime{t}, dbTime{t.Add(retention)}, key.Organisation, key.Method, key.RequestID)
		if err != nil {
			return nil, false, dbError(err, "reclaiming request_id %q", key.RequestID)
		}
		return nil, true, nil
	}
	if string(rec.Digest) != string(digest[:]) {
		e := millwa.Reasonf(millwa.Invalid, "REQUEST_ID_REUSED", "request_id %q was already used for a different request: use a new request_id for a new request", key.RequestID)
		e.Violations = []millwa.FieldViolation{{Field: "request_id", Description: "was already used for a different request"}}
		return nil, false, e
	}
	if rec.State != "done" {
		return nil, false, millwa.Errorf(millwa.Aborted, "request still in progress")
	}
	return rec.Response, false, nil
}

// CompleteRequest stores the response to a request claimed in this
// transaction, so that retries replay it.
func (tx *Tx) CompleteRequest(ctx context.Context, key RequestKey, response []byte) error {
	_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE idempotency_records
		SET state = 'done', response = ?, status_code = 0, update_time = ?
		WHERE organisation = ? AND method = ? AND request_id = ?`),
		response, dbTime{now()}, key.Organisation, key.Method, key.RequestID)
	return dbError(err, "completing request_id %q", key.RequestID)
}

// PurgeRequests deletes at most limit request_id records whose retention
// ended before before, and returns how many it deleted. A record past its
// retention is already treated as absent by ClaimRequest; purging only
// frees the space.
func (s *Store) PurgeRequests(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`DELETE FROM idempotency_records
			WHERE (organisation, method, request_id) IN (
				SELECT organisation, method, request_id FROM idempotency_records
				WHERE expire_time < ? AND state = 'done' ORDER BY expire_time LIMIT ?)`), dbTime{before}, limit)
		if err != nil {
			return dbError(err, "purging request_id records")
		}
		n, err = res.RowsAffected()
		return dbError(err, "purging request_id records")
	})
	return int(n), err
}
