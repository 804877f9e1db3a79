package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/millwa/millwa/internal/millwa"
)

// TestTranslate checks the classification of errors that the conformance
// suite cannot provoke on demand. (The suite checks the real driver errors
// of both dialects: unique, check, foreign key and trigger violations.)
func TestTranslate(t *testing.T) {
	t.Parallel()
	pg := func(code, constraint string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, ConstraintName: constraint, Message: "simulated"})
	}
	domain := millwa.Errorf(millwa.FailedPrecondition, "lot is withdrawn")
	for _, tc := range []struct {
		name        string
		err         error
		wantCode    millwa.Code
		wantMessage string
		wantRetry   bool
	}{
		{"no rows", sql.ErrNoRows, millwa.NotFound, "not found", false},
		{"pg unique", pg("23505", "associations_ruc_key"), millwa.AlreadyExists, "a resource with the same unique key already exists (associations_ruc_key)", false},
		{"pg check", pg("23514", "lots_allocated_within_weight"), millwa.FailedPrecondition, "the change breaks a data rule: lots_allocated_within_weight", false},
		{"pg foreign key", pg("23503", "lots_classifier_fkey"), millwa.FailedPrecondition, "the change breaks a data rule: lots_classifier_fkey", false},
		{"pg trigger", pg("23001", ""), millwa.FailedPrecondition, "the change breaks a data rule: simulated", false},
		{"pg serialization failure", pg("40001", ""), millwa.Aborted, "the change conflicted with a concurrent one; retry", true},
		{"pg deadlock", pg("40P01", ""), millwa.Aborted, "the change conflicted with a concurrent one; retry", true},
		{"pg lock timeout", pg("55P03", ""), millwa.Aborted, "the change conflicted with a concurrent one; retry", false},
		{"pg connection failure", pg("08006", ""), millwa.Unavailable, "the database is unavailable; retry later", false},
		{"pg shutting down", pg("57P01", ""), millwa.Unavailable, "the database is unavailable; retry later", false},
		{"pg syntax error", pg("42601", ""), millwa.Internal, "internal error", false},
		{"bad connection", driver.ErrBadConn, millwa.Unavailable, "the database is unavailable; retry later", false},
		{"connection done", sql.ErrConnDone, millwa.Unavailable, "the database is unavailable; retry later", false},
		{"cancelled", context.Canceled, millwa.Unavailable, "the request was cancelled or ran out of time", false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), millwa.Unavailable, "the request was cancelled or ran out of time", false},
		{"domain error passes through", fmt.Errorf("withdrawing: %w", domain), millwa.FailedPrecondition, "lot is withdrawn", false},
		{"anything else", errors.New("disk on fire"), millwa.Internal, "internal error", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := dbError(tc.err, "doing %s", "something")
			var me *millwa.Error
			if !errors.As(err, &me) {
				t.Fatalf("dbError(%v) = %v, which holds no *millwa.Error", tc.err, err)
			}
			got := []any{me.Code, me.Message, retryable(err)}
			want := []any{tc.wantCode, tc.wantMessage, tc.wantRetry}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("dbError(%v): code, message, retryable (-want +got):\n%s", tc.err, diff)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("dbError(%v) = %v, which lost the cause", tc.err, err)
			}
		})
	}
	if err := dbError(nil, "nothing"); err != nil {
		t.Errorf("dbError(nil) = %v, want nil", err)
	}
}

func TestUniqueName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ columns, suffix, want string }{
		{"associations.ruc", "_key", "associations_ruc_key"},
		{"members.association_id, members.dni", "_key", "members_association_id_dni_key"},
		{"lot_contributions.lot_id, lot_contributions.member_id", "_pkey", "lot_contributions_pkey"},
		{"", "_key", ""},
		{"odd", "_key", "odd"},
	} {
		if got := uniqueName(tc.columns, tc.suffix); got != tc.want {
			t.Errorf("uniqueName(%q, %q) = %q, want %q", tc.columns, tc.suffix, got, tc.want)
		}
	}
}

// TestPrimaryLost checks which failures InTx runs again after a failover
// or switchover, and that every Unavailable answer tells the client when
// to retry.
func TestPrimaryLost(t *testing.T) {
	t.Parallel()
	pg := func(code string) error {
		return dbError(&pgconn.PgError{Code: code, Message: "simulated"}, "inserting lot")
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"read-only transaction on a demoted primary", pg("25006"), true},
		{"admin shutdown in a switchover", pg("57P01"), true},
		{"crash shutdown", pg("57P02"), true},
		{"server starting", pg("57P03"), true},
		{"connection failure", pg("08006"), true},
		{"broken connection", dbError(io.ErrUnexpectedEOF, "reading lot"), true},
		{"bad connection", dbError(driver.ErrBadConn, "beginning a transaction"), true},
		{"serialization failure", pg("40001"), false},
		{"unique violation", pg("23505"), false},
		{"COMMIT whose connection broke: outcome unknown", dbError(commitError{io.ErrUnexpectedEOF}, "committing a transaction"), false},
		{"COMMIT refused by a shutdown: outcome unknown", dbError(commitError{&pgconn.PgError{Code: "57P01"}}, "committing a transaction"), false},
		{"domain error", millwa.Errorf(millwa.FailedPrecondition, "lot is withdrawn"), false},
	} {
		if got := primaryLost(tc.err); got != tc.want {
			t.Errorf("%s: primaryLost = %v, want %v", tc.name, got, tc.want)
		}
		if millwa.ErrorCode(tc.err) == millwa.Unavailable {
			var retry interface{ RetryDelay() time.Duration }
			if !errors.As(tc.err, &retry) || retry.RetryDelay() != unavailableRetryDelay {
				t.Errorf("%s: Unavailable without a retry delay of %v", tc.name, unavailableRetryDelay)
			}
		}
	}
}

// TestFailoverRetryBounds checks that InTx's waits after a lost primary
// stop before the caller's deadline, and at once for a cancelled call.
func TestFailoverRetryBounds(t *testing.T) {
	t.Parallel()
	lost := dbError(&pgconn.PgError{Code: "57P01"}, "inserting lot")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if (&failoverRetry{}).again(cancelled, lost) {
		t.Error("retried for a cancelled call")
	}
	near, cancelNear := context.WithTimeout(context.Background(), failoverLastTry)
	defer cancelNear()
	if (&failoverRetry{}).again(near, lost) {
		t.Error("retried although the deadline leaves no room for another attempt")
	}
	f := &failoverRetry{}
	if !f.again(context.Background(), lost) || f.wait != failoverWaitMin {
		t.Errorf("first retry after a lost primary: wait %v, want a retry after %v", f.wait, failoverWaitMin)
	}
	f.first = f.first.Add(-failoverWindow)
	if f.again(context.Background(), lost) {
		t.Errorf("retried past the window of %v", failoverWindow)
	}
}
