package store_test

import (
	"fmt"
	"testing"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// BenchmarkCreateLot measures a lot of 20 members' fibre created with
// hand-typed contributions beside the same lot drawn from 20 receipts
// (sources: each receipt's group locked, checked and used, each source
// kept), on each database, so that what tracing costs is a ratio of the
// same run.
func BenchmarkCreateLot(b *testing.B) {
	const members = 20
	for _, db := range []struct{ name, url string }{{"sqlite", storetest.SQLiteURL(b)}, {"postgres", storetest.PostgresURL(b)}} {
		s := storetest.NewStore(b, db.url)
		ctx := b.Context()
		a := association("210101")
		var memberIDs, receiptIDs []string
		var classifierID string
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateAssociation(ctx, &a); err != nil {
				return err
			}
			c := millwa.Classifier{AssociationID: a.ID, DisplayName: "Maestra", DNI: "47000001", CertificationNumber: "S-1", CertificationDate: "2024-01-10"}
			if err := tx.CreateClassifier(ctx, &c); err != nil {
				return err
			}
			classifierID = c.ID
			for i := range members {
				m := millwa.Member{AssociationID: a.ID, DisplayName: fmt.Sprint("Socia ", i), DNI: fmt.Sprintf("4100%04d", i), Sex: millwa.SexFemale}
				if err := tx.CreateMember(ctx, &m); err != nil {
					return err
				}
				r := millwa.Receipt{AssociationID: a.ID, MemberID: m.ID, ClassifierID: c.ID, Standard: "pe-ntp-231-301-2014", Campaign: 2026,
					CollectionPoint: "Ichu", ReceiveDate: "2026-11-20", Breed: "HUACAYA", Colour: "WHITE", FleeceCount: 1,
					NetWeightGrams: millwa.MaxReceiptGrams, GroupGrams: map[string]int64{"BABY": millwa.MaxReceiptGrams}}
				if err := tx.CreateReceipt(ctx, &r); err != nil {
					return err
				}
				memberIDs, receiptIDs = append(memberIDs, m.ID), append(receiptIDs, r.ID)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		lot := func() millwa.Lot {
			return millwa.Lot{AssociationID: a.ID, Standard: "pe-ntp-231-301-2014", Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE",
				DeclaredGroup: "BABY", MarketGroup: "BABY", ClassifierID: classifierID, NetWeightGrams: members * 100, AskPricePerKg: 2000,
				Currency: "PEN", ClassificationDate: "2026-11-30", Ubigeo: a.Ubigeo}
		}
		b.Run(db.name+"/contributions", func(b *testing.B) {
			for b.Loop() {
				l := lot()
				for _, m := range memberIDs {
					l.Contributions = append(l.Contributions, millwa.Contribution{MemberID: m, Grams: 100})
				}
				if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateLot(ctx, &l) }); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(db.name+"/sources", func(b *testing.B) {
			for b.Loop() {
				l := lot()
				for _, r := range receiptIDs {
					l.Sources = append(l.Sources, millwa.Source{ReceiptID: r, Grams: 100})
				}
				lots := []millwa.Lot{l}
				if err := s.InTx(ctx, func(tx *store.Tx) error {
					if err := tx.UseSources(ctx, lots, []string{"lot"}); err != nil {
						return err
					}
					lots[0].DeriveContributions()
					return tx.CreateLot(ctx, &lots[0])
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
