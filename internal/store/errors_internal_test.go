package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"testing"

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
