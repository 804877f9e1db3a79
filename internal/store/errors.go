package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/millwa/millwa/internal/millwa"
)

// Errors are classified here and nowhere else: every error the store returns
// carries a *millwa.Error whose Err is the driver's error, so that the
// transport sees only millwa codes while logs (and InTx's retry decision)
// still see the cause.

// dbError classifies err and adds context in the style
// "inserting association 0190…: already_exists: …". It returns nil for nil.
func dbError(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, translate(err))...)
}

// uniqueTaken is translate, with a unique violation reported as
// AlreadyExists under the given reason and message: the one unique key a
// client chooses for the row (a RUC, a DNI within an association).
func uniqueTaken(err error, reason, format string, args ...any) error {
	err = translate(err)
	var me *millwa.Error
	if errors.As(err, &me) && me.Code == millwa.AlreadyExists {
		e := millwa.Reasonf(millwa.AlreadyExists, reason, format, args...)
		e.Err = me.Err
		return e
	}
	return err
}

// violatesUnique reports whether err is a unique violation of the named
// constraint or unique index, named as in the PostgreSQL schema (SQLite's
// columns are turned into that name, as uniqueName does).
func violatesUnique(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == pgUniqueViolation && pgErr.ConstraintName == constraint
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) && sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		m := sqliteConstraint.FindStringSubmatch(sqliteDetail.FindStringSubmatch(sqErr.Error())[1])
		return m != nil && uniqueName(m[1], "_key") == constraint
	}
	return false
}

// translate returns err as a *millwa.Error, classified by the dialect whose
// driver produced it. An err that already holds a *millwa.Error is returned
// unchanged.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var me *millwa.Error
	if errors.As(err, &me) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return translatePostgres(err, pgErr)
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return translateSQLite(err, sqErr)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &millwa.Error{Code: millwa.NotFound, Message: "not found", Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The caller gave up; errors.Is(err, context.DeadlineExceeded) still
		// holds through Err for a transport that wants to say so.
		return &millwa.Error{Code: millwa.Unavailable, Message: "the request was cancelled or ran out of time", Err: err}
	case isConnectionError(err):
		return unavailable(err)
	}
	return &millwa.Error{Code: millwa.Internal, Message: "internal error", Err: err}
}

// unavailableRetryDelay is how long a client is told to wait (a
// google.rpc.RetryInfo) before it sends again a call that failed because
// the database could not be reached: about the time PostgreSQL under
// Patroni takes to come back or fail over, in steps the client can repeat.
const unavailableRetryDelay = time.Second

func unavailable(err error) *millwa.Error {
	return &millwa.Error{Code: millwa.Unavailable, Message: "the database is unavailable; retry later", Err: retryLater{err}}
}

// retryLater is a driver error that tells the transport how long the
// client should wait before trying again; the driver's error stays
// reachable through Unwrap.
type retryLater struct{ err error }

func (r retryLater) Error() string { return r.err.Error() }

func (r retryLater) Unwrap() error { return r.err }

// RetryDelay returns how long to wait: the server's transport sends it as a
// google.rpc.RetryInfo.
func (retryLater) RetryDelay() time.Duration { return unavailableRetryDelay }

func aborted(err error) *millwa.Error {
	return &millwa.Error{Code: millwa.Aborted, Message: "the change conflicted with a concurrent one; retry", Err: err}
}

func alreadyExists(err error, constraint string) *millwa.Error {
	if constraint == "" {
		return millwa.Wrap(millwa.AlreadyExists, err, "a resource with the same unique key already exists")
	}
	return millwa.Wrap(millwa.AlreadyExists, err, "a resource with the same unique key already exists (%s)", constraint)
}

func refused(err error, rule string) *millwa.Error {
	e := millwa.Reasonf(millwa.FailedPrecondition, "DATA_RULE_VIOLATED", "the change breaks a data rule")
	if rule != "" {
		e = millwa.Reasonf(millwa.FailedPrecondition, "DATA_RULE_VIOLATED", "the change breaks a data rule: %s", rule)
	}
	e.Err = err
	return e
}

// isConnectionError reports whether err means the database could not be
// reached or the connection broke, whichever the driver.
func isConnectionError(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		// A server that goes away mid-query ends the stream (EOF) or
		// leaves a closed connection behind.
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.As(err, &connectErr) ||
		errors.As(err, &netErr) ||
		pgconn.Timeout(err)
}

// PostgreSQL SQLSTATE codes the store tells apart
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	pgUniqueViolation      = "23505"
	pgCheckViolation       = "23514"
	pgForeignKeyViolation  = "23503"
	pgRestrictViolation    = "23001" // raised by Millwa's append-only triggers
	pgExclusionViolation   = "23P01"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgLockNotAvailable     = "55P03"
	pgTooManyConnections   = "53300"
	pgAdminShutdown        = "57P01"
	pgCrashShutdown        = "57P02"
	pgCannotConnectNow     = "57P03"
	pgReadOnlyTransaction  = "25006"
)

func translatePostgres(err error, pgErr *pgconn.PgError) error {
	switch pgErr.Code {
	case pgUniqueViolation:
		return alreadyExists(err, pgErr.ConstraintName)
	case pgCheckViolation, pgForeignKeyViolation, pgExclusionViolation:
		return refused(err, pgErr.ConstraintName)
	case pgRestrictViolation:
		return refused(err, pgErr.Message)
	case pgSerializationFailure, pgDeadlockDetected, pgLockNotAvailable:
		return aborted(err)
	case pgTooManyConnections, pgAdminShutdown, pgCrashShutdown, pgCannotConnectNow, pgReadOnlyTransaction:
		return unavailable(err)
	}
	if len(pgErr.Code) == 5 && pgErr.Code[:2] == "08" { // connection exception
		return unavailable(err)
	}
	return &millwa.Error{Code: millwa.Internal, Message: "internal error", Err: err}
}

// sqliteDetail strips modernc's decoration from SQLite's message:
// "constraint failed: CHECK constraint failed: lots_allocated_within_weight
// (275)" becomes "CHECK constraint failed: lots_allocated_within_weight".
var sqliteDetail = regexp.MustCompile(`^(?:constraint failed: )?(.*?)(?: \(\d+\))?$`)

// sqliteConstraint finds the constraint in that detail:
// "lots_allocated_within_weight", or "associations.ruc" from "UNIQUE
// constraint failed: associations.ruc".
var sqliteConstraint = regexp.MustCompile(`constraint failed: ([A-Za-z0-9_.]+(?:, [A-Za-z0-9_.]+)*)$`)

// uniqueName turns the columns SQLite names in a unique violation
// ("members.association_id, members.dni") into the constraint's name in the
// schema, which follows PostgreSQL's convention
// ("members_association_id_dni_key"), so both dialects say the same.
func uniqueName(columns, suffix string) string {
	if columns == "" {
		return ""
	}
	table, name := "", ""
	for _, c := range strings.Split(columns, ", ") {
		t, col, ok := strings.Cut(c, ".")
		if !ok {
			return columns
		}
		table = t
		name += "_" + col
	}
	if suffix == "_pkey" {
		return table + suffix
	}
	return table + name + suffix
}

func translateSQLite(err error, sqErr *sqlite.Error) error {
	code := sqErr.Code()
	detail := sqliteDetail.FindStringSubmatch(sqErr.Error())[1]
	constraint := ""
	if m := sqliteConstraint.FindStringSubmatch(detail); m != nil {
		constraint = m[1]
	}
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return alreadyExists(err, uniqueName(constraint, "_key"))
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return alreadyExists(err, uniqueName(constraint, "_pkey"))
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return refused(err, constraint)
	case sqlite3.SQLITE_CONSTRAINT_TRIGGER:
		// The detail is the RAISE(ABORT, '…') text of Millwa's trigger.
		return refused(err, detail)
	}
	switch code & 0xff { // the primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return aborted(err)
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOTADB:
		return unavailable(err)
	case sqlite3.SQLITE_INTERRUPT:
		return &millwa.Error{Code: millwa.Unavailable, Message: "the request was cancelled or ran out of time", Err: err}
	}
	return &millwa.Error{Code: millwa.Internal, Message: "internal error", Err: err}
}

// retryable reports whether err (anywhere in its chain) is a failure after
// which the whole transaction may succeed when run again: a PostgreSQL
// serialization failure or deadlock, or SQLite's busy or locked database.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == pgSerializationFailure || pgErr.Code == pgDeadlockDetected
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		primary := sqErr.Code() & 0xff
		return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
	}
	return false
}

// commitError is an error of COMMIT itself. When it is a lost connection
// the transaction's fate is unknown (the server may have committed it and
// lost only the answer), so InTx never runs the closure again after one:
// the client's retry with its request_id settles it.
type commitError struct{ err error }

func (c commitError) Error() string { return c.err.Error() }

func (c commitError) Unwrap() error { return c.err }

// primaryLost reports whether err (anywhere in its chain) says that the
// transaction ran on no primary: the connection broke or could not be made
// (08xxx, a network error), the server is shutting down or starting
// (57P01, 57P02, 57P03), or it is a standby now (25006, a read-only
// transaction). Under Patroni these are what a failover or a switchover
// looks like from a client, and a new connection soon reaches the new
// primary through a multi-host URL with target_session_attrs=read-write.
// A failed COMMIT is not one of them (see commitError).
func primaryLost(err error) bool {
	if errors.As(err, new(commitError)) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case pgAdminShutdown, pgCrashShutdown, pgCannotConnectNow, pgReadOnlyTransaction:
			return true
		}
		return len(pgErr.Code) == 5 && pgErr.Code[:2] == "08"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return false
	}
	return isConnectionError(err)
}
