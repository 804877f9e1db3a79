package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// rucSeq makes every fixture's RUC distinct within a test binary.
var rucSeq atomic.Int64

// newRUC returns a valid association RUC (20…, with its check digit) not
// used before in this process.
func newRUC() string {
	first10 := fmt.Sprintf("20%08d", 10000000+rucSeq.Add(1))
	return first10 + string(millwa.RUCCheckDigit(first10))
}

// association returns a valid association seated in ubigeo, not yet
// created.
func association(ubigeo string) millwa.Association {
	return millwa.Association{
		LegalName: "Asociación de Productores Alpaqueros " + ubigeo,
		RUC:       newRUC(),
		Ubigeo:    ubigeo,
		Community: "Comunidad Campesina de Ejemplo",
		Contact:   millwa.Contact{PersonName: "Rosa Quispe Mamani", Phone: "+51 951 234 567", Email: "rosa@example.org"},
	}
}

// mustCreate creates a valid association in its own transaction.
func mustCreate(t *testing.T, s *store.Store, a millwa.Association) millwa.Association {
	t.Helper()
	if err := millwa.Validate(&a, "association"); err != nil {
		t.Fatalf("fixture is invalid: %v", err)
	}
	if err := s.InTx(t.Context(), func(tx *store.Tx) error {
		return tx.CreateAssociation(t.Context(), &a)
	}); err != nil {
		t.Fatalf("CreateAssociation: %v", err)
	}
	return a
}

// ids returns the ids of associations, in order.
func ids(as []millwa.Association) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// exec runs one statement in its own transaction.
func exec(ctx context.Context, s *store.Store, query string, args ...any) error {
	return s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, query, args...)
		return err
	})
}

// queryRow runs one query in its own transaction and scans its row.
func queryRow(ctx context.Context, s *store.Store, query string, args []any, dest ...any) error {
	return s.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, query, args, dest...)
	})
}

// errorCode returns err's millwa code, and "" for nil.
func errorCode(err error) millwa.Code { return millwa.ErrorCode(err) }

// errorMessage returns the caller-safe message of err's *millwa.Error.
func errorMessage(err error) string {
	var me *millwa.Error
	if errors.As(err, &me) {
		return me.Message
	}
	return ""
}

// admin is a platform admin, who sees every row.
var admin = millwa.Principal{KeyID: "0192d1a0-0000-7000-8000-0000000000ad", Role: millwa.RoleAdmin}
