package store_test

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
	"github.com/millwa/millwa/migrations"
)

// lotNumbersVersion is the number of the migration that makes lot numbers
// unique.
func lotNumbersVersion(t *testing.T) int64 {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "postgres/*_lot_numbers.sql")
	if err != nil || len(names) != 1 {
		t.Fatalf("finding the lot numbers migration: %v %v", names, err)
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(names[0], "postgres/")[:5], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLotNumbersMigrationRenumbersDuplicates upgrades a database whose
// lots repeat numbers within an association and campaign: every
// duplicate but the first is renumbered "NUMBER (n)", or "NUMBER ID" when
// that is taken too, each rename is recorded, nothing else changes, and
// from then on the database refuses a duplicate.
func TestLotNumbersMigrationRenumbersDuplicates(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		version := lotNumbersVersion(t)
		// The lots are made by today's store, with numbers of their own,
		// and numbered as they were before the migration only once the
		// schema is back at that version, by hand.
		first := createLot(t, s, 1) // "L-1", campaign 2025
		copies := []struct {
			number   string
			campaign int
		}{{"L-1", 2025}, {"L-1", 2025}, {"L-1 (3)", 2025}, {"L-1", 2026}, {"", 2025}, {"", 2025}}
		lots := []millwa.Lot{first}
		for _, c := range copies {
			l := first
			l.ID, l.LotNumber, l.Campaign = "", "", c.campaign
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateLot(ctx, &l) }); err != nil {
				t.Fatalf("creating a lot of campaign %d: %v", c.campaign, err)
			}
			l.LotNumber = c.number
			lots = append(lots, l)
		}
		if err := s.MigrateDownTo(ctx, version-1); err != nil {
			t.Fatal(err)
		}
		for _, l := range lots[1:] {
			if err := exec(ctx, s, "UPDATE lots SET lot_number = ? WHERE id = ?", l.LotNumber, l.ID); err != nil {
				t.Fatalf("numbering a lot %q before the migration: %v", l.LotNumber, err)
			}
		}

		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrating a database with duplicate lot numbers: %v", err)
		}
		want := []string{"L-1", "L-1 (2)", "L-1 " + lots[2].ID, "L-1 (3)", "L-1", "", ""}
		for i, l := range lots {
			got, err := s.GetLot(ctx, store.SystemPrincipal, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LotNumber != want[i] || got.Revision != l.Revision || !got.UpdateTime.Equal(l.UpdateTime) {
				t.Errorf("lot %d after the migration: number %q, revision %d, update_time %v; want %q, unchanged", i, got.LotNumber, got.Revision, got.UpdateTime, want[i])
			}
		}
		var renames int
		var old, renamed string
		if err := queryRow(ctx, s, "SELECT count(*) FROM lot_number_renames", nil, &renames); err != nil || renames != 2 {
			t.Errorf("lot_number_renames holds %d rows, %v; want 2", renames, err)
		}
		if err := queryRow(ctx, s, "SELECT old_lot_number, new_lot_number FROM lot_number_renames WHERE lot_id = ?", []any{lots[1].ID}, &old, &renamed); err != nil || old != "L-1" || renamed != "L-1 (2)" {
			t.Errorf("rename of the second lot: %q → %q, %v", old, renamed, err)
		}

		dup := first
		dup.ID = ""
		err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateLot(ctx, &dup) })
		var me *millwa.Error
		if !errors.As(err, &me) || me.Code != millwa.AlreadyExists || me.Reason != store.LotNumberTaken {
			t.Errorf("a duplicate after the migration: %v; want AlreadyExists %s", err, store.LotNumberTaken)
		}
		holders, err := s.LotsNumbered(ctx, store.SystemPrincipal, first.AssociationID, []string{"L-1", "nothing"})
		var got []string
		for _, h := range holders {
			got = append(got, h.ID+"/"+strconv.Itoa(h.Campaign))
		}
		if diff := cmp.Diff([]string{first.ID + "/2025", lots[4].ID + "/2026"}, got); err != nil || diff != "" {
			t.Errorf("LotsNumbered(L-1) (-want +got):\n%s%v", diff, err)
		}

		// Down restores the numbers as they were.
		if err := s.MigrateDownTo(ctx, version-1); err != nil {
			t.Fatalf("migrating down: %v", err)
		}
		if err := queryRow(ctx, s, "SELECT lot_number FROM lots WHERE id = ?", []any{lots[2].ID}, &old); err != nil || old != "L-1" {
			t.Errorf("after Down, the third lot is numbered %q, %v; want L-1", old, err)
		}
	})
}

// TestFoldAgreesWithTheDatabase folds text in SQL as searches do and
// compares it with millwa.Fold, on each database.
func TestFoldAgreesWithTheDatabase(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		for _, in := range []string{millwa.FoldFrom, "Teodora HUAMÁN Ccori 41234567", "Ñahui Nuñez", "a\u0301ngel", "ÆØß 中文 ✓"} {
			got, err := s.FoldText(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if want := millwa.Fold(in); got != want {
				t.Errorf("the database folds %q to %q; millwa.Fold to %q", in, got, want)
			}
		}
	})
}
