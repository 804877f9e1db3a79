package store_test

import (
	"database/sql"
	"os"
	"strconv"
	"testing"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
)

// BenchmarkListLotsAtScale reads a processor's market page of lots (one
// quality group, AVAILABLE, cheapest ask first) on PostgreSQL with a
// million lots (MILLWA_BENCH_LOTS changes the count): the first page, and
// the 50th reached by keyset token. The baseline is a SELECT of one lots
// row by primary key over the same kind of connection, so the ratio says
// what a page costs beside the cheapest read there is. Filling the
// database takes a minute or two before the timings start.
//
//	go test -run '^$' -bench ListLotsAtScale -benchtime 2s ./internal/store/
func BenchmarkListLotsAtScale(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("MILLWA_BENCH_LOTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("MILLWA_BENCH_LOTS=%q: want a whole number of at least 1000", v)
		}
	}
	url := storetest.PostgresURL(b)
	s := storetest.NewStore(b, url)
	raw, _ := storetest.RawDB(b, url)
	ctx := b.Context()
	for _, q := range append(append([]string{}, listPlanOwners...), listPlanLots(n), `ANALYZE`) {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	processor := millwa.Principal{Role: millwa.RoleProcessor, Organisation: "processors/00000000-0000-7000-9000-000000000003"}
	market := millwa.ListQuery{
		Conditions: []millwa.Condition{
			{Field: "quality_group", Op: millwa.OpEq, Str: "BABY"},
			{Field: "state", Op: millwa.OpEq, Str: "AVAILABLE"},
		},
		Order: []millwa.OrderTerm{{Field: "ask_price_per_kg"}},
		Limit: 20,
	}
	// The 50th page's cursor, walked to once.
	deep := market
	for page := 1; page < 50; page++ {
		p, err := s.ListLots(ctx, processor, "", deep)
		if err != nil {
			b.Fatal(err)
		}
		if p.Next == nil {
			b.Fatalf("page %d is the last of %d lots", page, n)
		}
		deep.After = p.Next
	}
	var someID string
	if err := raw.QueryRowContext(ctx, `SELECT id FROM lots ORDER BY id LIMIT 1 OFFSET 1000`).Scan(&someID); err != nil {
		b.Fatal(err)
	}

	list := func(q millwa.ListQuery) func(b *testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				p, err := s.ListLots(ctx, processor, "", q)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Items) != q.Limit {
					b.Fatalf("page of %d lots, want %d", len(p.Items), q.Limit)
				}
			}
		}
	}
	b.Run("baseline=select-by-id", func(b *testing.B) {
		var ask sql.NullInt64
		for b.Loop() {
			if err := raw.QueryRowContext(ctx, `SELECT ask_price_minor_per_kg FROM lots WHERE id = $1`, someID).Scan(&ask); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first-page", list(market))
	b.Run("page-50", list(deep))
}
