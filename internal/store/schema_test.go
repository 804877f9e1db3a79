package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// These tests check the rules the schema itself enforces, the last guard
// behind the transactions, by writing rows by hand.

// insertClassifier writes a classifier of association a and returns its id.
func insertClassifier(ctx context.Context, t *testing.T, s *store.Store, associationID string) string {
	t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	tm := store.DBTime{Time: time.Now()}
	if err := exec(ctx, s, `INSERT INTO classifiers (id, association_id, full_name, dni, create_time, update_time)
		VALUES (?, ?, 'Juan Condori', '40123456', ?, ?)`, id, associationID, tm, tm); err != nil {
		t.Fatalf("inserting a classifier: %v", err)
	}
	return id
}

// insertLot writes a lot and returns its id.
func insertLot(ctx context.Context, s *store.Store, associationID, classifierID string, netGrams, allocatedGrams int64) (string, error) {
	id := uuid.Must(uuid.NewV7()).String()
	tm := store.DBTime{Time: time.Now()}
	return id, exec(ctx, s, `INSERT INTO lots (id, association_id, standard, campaign, breed, colour,
			declared_quality_group, market_quality_group, classifier_id, ubigeo,
			net_weight_grams, allocated_grams, ask_price_minor_per_kg, create_time, update_time)
		VALUES (?, ?, 'pe-ntp-231-301-2014', 2026, 'HUACAYA', 'WHITE', 'FLEECE', 'FLEECE', ?, '210101',
			?, ?, 1800, ?, ?)`,
		id, associationID, classifierID, netGrams, allocatedGrams, tm, tm)
}

func TestLotAllocatedWithinWeight(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		classifier := insertClassifier(ctx, t, s, a.ID)

		t.Run("insert", func(t *testing.T) {
			for _, tc := range []struct {
				name           string
				net, allocated int64
				wantCode       millwa.Code
				wantRule       string
			}{
				{"nothing allocated", 25_000, 0, "", ""},
				{"partly allocated", 25_000, 10_000, "", ""},
				{"fully allocated", 25_000, 25_000, "", ""},
				{"one gram too many", 25_000, 25_001, millwa.FailedPrecondition, "lots_allocated_within_weight"},
				{"negative allocation", 25_000, -1, millwa.FailedPrecondition, "lots_allocated_within_weight"},
				{"zero weight", 0, 0, millwa.FailedPrecondition, "lots_net_weight_positive"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					_, err := insertLot(ctx, s, a.ID, classifier, tc.net, tc.allocated)
					if got := errorCode(err); got != tc.wantCode {
						t.Fatalf("inserting a lot of %d g with %d g allocated: code %q (%v), want %q",
							tc.net, tc.allocated, got, err, tc.wantCode)
					}
					if msg := errorMessage(err); !strings.Contains(msg, tc.wantRule) {
						t.Errorf("message %q does not name the rule %s (%v)", msg, tc.wantRule, err)
					}
				})
			}
		})

		t.Run("update", func(t *testing.T) {
			lot, err := insertLot(ctx, s, a.ID, classifier, 25_000, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			err = exec(ctx, s, "UPDATE lots SET allocated_grams = allocated_grams + ? WHERE id = ?", 15_001, lot)
			if got := errorCode(err); got != millwa.FailedPrecondition {
				t.Fatalf("allocating past the weight: code %q (%v), want %q", got, err, millwa.FailedPrecondition)
			}
			var allocated int64
			if err := queryRow(ctx, s, "SELECT allocated_grams FROM lots WHERE id = ?", []any{lot}, &allocated); err != nil {
				t.Fatal(err)
			}
			if allocated != 10_000 {
				t.Errorf("allocated_grams after the refused update = %d, want 10000", allocated)
			}
		})

		t.Run("classifier of another association", func(t *testing.T) {
			other := mustCreate(t, s, association("080101"))
			otherClassifier := insertClassifier(ctx, t, s, other.ID)
			_, err := insertLot(ctx, s, a.ID, otherClassifier, 25_000, 0)
			if got := errorCode(err); got != millwa.FailedPrecondition {
				t.Errorf("a lot graded by another association's classifier: code %q (%v), want %q", got, err, millwa.FailedPrecondition)
			}
		})
	})
}

func TestAuditEventsAppendOnly(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)

		// Append one event the way the audit chain will: lock the head,
		// insert, advance the head.
		digest := sha256.Sum256([]byte("change"))
		hash := sha256.Sum256([]byte("event 1"))
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			var seq int64
			var prev []byte
			if err := tx.QueryRow(ctx, "SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1"+tx.ForUpdate(), nil, &seq, &prev); err != nil {
				return err
			}
			if seq != 0 || !bytes.Equal(prev, make([]byte, 32)) {
				t.Errorf("chain head = (%d, %x), want (0, 32 zero bytes)", seq, prev)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO audit_events (sequence, actor, role, organisation, method,
					resource, action, change_digest, event_time, prev_hash, hash)
				VALUES (?, 'key-1', 'admin', '', '/millwa.v1.RegistryService/CreateAssociation',
					'associations/1', 'create', ?, ?, ?, ?)`,
				seq+1, digest[:], store.DBTime{Time: time.Now()}, prev, hash[:]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE audit_chain_head SET last_sequence = ?, last_hash = ? WHERE id = 1", seq+1, hash[:])
			return err
		}); err != nil {
			t.Fatalf("appending an audit event: %v", err)
		}

		for _, tc := range []struct{ name, stmt, wantMsg string }{
			{"update", "UPDATE audit_events SET actor = 'forger' WHERE sequence = 1", "audit_events is append-only: UPDATE refused"},
			{"update hash", "UPDATE audit_events SET hash = prev_hash WHERE sequence = 1", "audit_events is append-only: UPDATE refused"},
			{"delete", "DELETE FROM audit_events WHERE sequence = 1", "audit_events is append-only: DELETE refused"},
			{"delete all", "DELETE FROM audit_events", "audit_events is append-only: DELETE refused"},
			{"delete chain head", "DELETE FROM audit_chain_head", "audit_chain_head is never deleted"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := exec(ctx, s, tc.stmt)
				if got := errorCode(err); got != millwa.FailedPrecondition {
					t.Errorf("%s: code %q (%v), want %q", tc.stmt, got, err, millwa.FailedPrecondition)
				}
				if msg := errorMessage(err); !strings.Contains(msg, tc.wantMsg) {
					t.Errorf("%s: message %q does not say %q", tc.stmt, msg, tc.wantMsg)
				}
			})
		}

		var actor string
		var gotHash []byte
		var n int64
		if err := queryRow(ctx, s, "SELECT actor, hash, (SELECT count(*) FROM audit_chain_head) FROM audit_events WHERE sequence = 1", nil, &actor, &gotHash, &n); err != nil {
			t.Fatalf("reading the event back: %v", err)
		}
		if diff := cmp.Diff([]any{"key-1", hash[:], int64(1)}, []any{actor, gotHash, n}); diff != "" {
			t.Errorf("event and head after the refused changes (-want +got):\n%s", diff)
		}
	})
}

// TestUniqueKeysNamedAlike checks that a unique violation names the same
// key on both dialects, for a single-column and a two-column key.
func TestUniqueKeysNamedAlike(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		insertMember := func() error {
			tm := store.DBTime{Time: time.Now()}
			return exec(ctx, s, `INSERT INTO members (id, association_id, full_name, dni, sex, create_time, update_time)
				VALUES (?, ?, 'Lucía Mamani', '41234567', 'FEMALE', ?, ?)`, uuid.Must(uuid.NewV7()).String(), a.ID, tm, tm)
		}
		if err := insertMember(); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			do   func() error
			want string
		}{
			{"RUC", func() error {
				tm := store.DBTime{Time: time.Now()}
				return exec(ctx, s, `INSERT INTO associations (id, legal_name, ruc, ubigeo, contact_person_name, create_time, update_time)
					VALUES (?, 'Otra', ?, '210101', 'Ana', ?, ?)`, uuid.Must(uuid.NewV7()).String(), a.RUC, tm, tm)
			}, "a resource with the same unique key already exists (associations_ruc_key)"},
			{"member DNI in an association", insertMember, "a resource with the same unique key already exists (members_association_id_dni_key)"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.do()
				if got := errorCode(err); got != millwa.AlreadyExists {
					t.Fatalf("code %q (%v), want %q", got, err, millwa.AlreadyExists)
				}
				if diff := cmp.Diff(tc.want, errorMessage(err)); diff != "" {
					t.Errorf("message (-want +got):\n%s", diff)
				}
			})
		}
	})
}
