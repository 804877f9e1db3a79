package store_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// listPlanRows fills a PostgreSQL database with enough rows that a List
// read by a sequential scan would cost more than one read by an index: 20
// associations and processors, 20,000 lots, 5,000 purchase orders and
// 20,000 trades, each with its allocation.
var listPlanRows = append(append(append([]string{}, listPlanOwners...), listPlanLots(20000)), listPlanMarket...)

// listPlanOwners are the associations, their classifiers and the
// processors that listPlanLots and listPlanMarket refer to.
var listPlanOwners = []string{
	`INSERT INTO associations (id, legal_name, ruc, ubigeo, contact_person_name, create_time, update_time)
	SELECT ('00000000-0000-7000-8000-' || lpad(g::text, 12, '0'))::uuid, 'A' || g, lpad(g::text, 11, '0'),
		'080101', 'x', now(), now()
	FROM generate_series(1, 20) g`,
	`INSERT INTO classifiers (id, association_id, full_name, dni, create_time, update_time)
	SELECT ('00000000-0000-7000-8001-' || lpad(g::text, 12, '0'))::uuid,
		('00000000-0000-7000-8000-' || lpad(g::text, 12, '0'))::uuid, 'C' || g, lpad(g::text, 8, '0'), now(), now()
	FROM generate_series(1, 20) g`,
	`INSERT INTO processors (id, legal_name, ruc, ubigeo, create_time, update_time)
	SELECT ('00000000-0000-7000-9000-' || lpad(g::text, 12, '0'))::uuid, 'P' || g, lpad((100 + g)::text, 11, '0'),
		'080101', now(), now()
	FROM generate_series(1, 20) g`,
}

// listPlanMarket are 5,000 purchase orders and 20,000 trades of the first
// 20,000 lots, each with its allocation.
var listPlanMarket = []string{
	`INSERT INTO purchase_orders (id, processor_id, quality_groups, quantity_grams, bid_price_minor_per_kg,
		delivery_ubigeo, create_time, update_time)
	SELECT md5('po' || g)::uuid, ('00000000-0000-7000-9000-' || lpad((g % 20 + 1)::text, 12, '0'))::uuid,
		'["BABY"]', 1000000, 1000 + g * 31 % 4000, '08', now() - g * interval '1 minute', now()
	FROM generate_series(1, 5000) g`,
	`INSERT INTO allocations (id, lot_id, association_id, purchase_order_id, processor_id, grams, create_time)
	SELECT md5('allocation' || g)::uuid, md5('lot' || g)::uuid,
		('00000000-0000-7000-8000-' || lpad((g % 20 + 1)::text, 12, '0'))::uuid,
		md5('po' || (g % 5000 + 1))::uuid,
		('00000000-0000-7000-9000-' || lpad(((g % 5000 + 1) % 20 + 1)::text, 12, '0'))::uuid,
		100, now()
	FROM generate_series(1, 20000) g`,
	`INSERT INTO trades (id, allocation_id, lot_id, association_id, purchase_order_id, processor_id, grams,
		price_minor_per_kg, create_time, update_time)
	SELECT md5('trade' || a.id::text)::uuid, a.id, a.lot_id, a.association_id, a.purchase_order_id,
		a.processor_id, a.grams, 2000, l.create_time, now()
	FROM allocations a JOIN lots l ON l.id = a.lot_id`,
	`ANALYZE`,
}

// TestListPlans checks on PostgreSQL that the filtered, ordered pages of
// ListLots, ListPurchaseOrders and ListTrades, first and deep, are read
// through an index: the plan of the exact query the store runs has no
// sequential scan of the listed table.
func TestListPlans(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	s := storetest.NewStore(t, url)
	ctx := t.Context()
	for _, q := range listPlanRows {
		if err := exec(ctx, s, q); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	processor := millwa.Principal{Role: millwa.RoleProcessor, Organisation: "processors/00000000-0000-7000-9000-000000000003"}
	association := millwa.Principal{Role: millwa.RoleAssociation, Organisation: "associations/00000000-0000-7000-8000-000000000005"}
	admin := millwa.Principal{Role: millwa.RoleAdmin}
	marketLots := millwa.ListQuery{
		Conditions: []millwa.Condition{
			{Field: "quality_group", Op: millwa.OpEq, Str: "BABY"},
			{Field: "state", Op: millwa.OpEq, Str: "AVAILABLE"},
		},
		Order: []millwa.OrderTerm{{Field: "ask_price_per_kg"}},
		Limit: 20,
	}
	byCreateTime := millwa.ListQuery{Order: []millwa.OrderTerm{{Field: "create_time"}}, Limit: 20}
	newestFirst := millwa.ListQuery{Order: []millwa.OrderTerm{{Field: "create_time", Desc: true}}, Limit: 20}
	byLotNumber := millwa.ListQuery{Order: []millwa.OrderTerm{{Field: "lot_number"}}, Limit: 20}
	for _, tc := range []struct {
		name, table string
		list        func(ctx context.Context, q millwa.ListQuery) ([]string, error)
		q           millwa.ListQuery
	}{
		{"processor's lots of one group and state by ask", "lots", lotLister(s, processor), marketLots},
		{"association's lots by create_time", "lots", lotLister(s, association), byCreateTime},
		{"association's lots by lot_number", "lots", lotLister(s, association), byLotNumber},
		{"all lots by lot_number", "lots", lotLister(s, admin), byLotNumber},
		{"processor's purchase orders by create_time", "purchase_orders", func(ctx context.Context, q millwa.ListQuery) ([]string, error) {
			page, err := s.ListPurchaseOrders(ctx, processor, "", q)
			return page.Next, err
		}, byCreateTime},
		{"processor's trades newest first", "trades", tradeLister(s, processor), newestFirst},
		{"association's trades newest first", "trades", tradeLister(s, association), newestFirst},
		{"all trades newest first", "trades", tradeLister(s, admin), newestFirst},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			// The first page, then pages 2 and 10: deep into the order,
			// where an index that served only the first would show.
			for page := 1; page <= 10; page++ {
				var query string
				var args []any
				capture := store.WithListSQL(ctx, func(sql string, a []any) { query, args = sql, a })
				next, err := tc.list(capture, q)
				if err != nil {
					t.Fatalf("page %d: %v", page, err)
				}
				if next == nil {
					t.Fatalf("page %d is the last: the test needs more rows", page)
				}
				if page == 1 || page == 2 || page == 10 {
					if page > 1 && len(q.Order) == 1 && !q.Order[0].Desc && !strings.Contains(query, ") "+map[bool]string{false: ">", true: "<"}[q.Order[0].Desc]+" (") {
						t.Errorf("page %d: keyset condition is not a row comparison:\n%s", page, query)
					}
					checkPlan(t, db, tc.table, query, args)
				}
				q.After = next
			}
		})
	}
}

// listPlanLots inserts n lots of the 20 associations, spread over four
// market groups, four states and six campaigns, with asks and lot numbers
// in a spread.
func listPlanLots(n int) string {
	return strings.Replace(`INSERT INTO lots (id, association_id, standard, campaign, breed, colour, declared_quality_group,
		market_quality_group, classifier_id, ubigeo, net_weight_grams, state, ask_price_minor_per_kg,
		lot_number, create_time, update_time)
	SELECT md5('lot' || g)::uuid, ('00000000-0000-7000-8000-' || lpad((g % 20 + 1)::text, 12, '0'))::uuid,
		'pe-ntp-231-301-2014', 2020 + g % 6, 'HUACAYA', 'WHITE', 'FINE',
		(ARRAY['BABY', 'FLEECE', 'MEDIUM', 'COARSE'])[g % 4 + 1],
		('00000000-0000-7000-8001-' || lpad((g % 20 + 1)::text, 12, '0'))::uuid, '080101',
		10000 + g % 1000, (ARRAY['AVAILABLE', 'ALLOCATED', 'SOLD', 'WITHDRAWN'])[g / 4 % 4 + 1],
		1000 + g::bigint * 7919 % 5000, 'N-' || lpad((g::bigint * 7919 % LOTS)::text, 6, '0') || '-' || g,
		now() - g * interval '1 minute', now()
	FROM generate_series(1, LOTS) g`, "LOTS", strconv.Itoa(n), -1)
}

func lotLister(s *store.Store, p millwa.Principal) func(context.Context, millwa.ListQuery) ([]string, error) {
	return func(ctx context.Context, q millwa.ListQuery) ([]string, error) {
		page, err := s.ListLots(ctx, p, "", q)
		return page.Next, err
	}
}

func tradeLister(s *store.Store, p millwa.Principal) func(context.Context, millwa.ListQuery) ([]string, error) {
	return func(ctx context.Context, q millwa.ListQuery) ([]string, error) {
		page, err := s.ListTrades(ctx, p, q)
		return page.Next, err
	}
}

// checkPlan fails t when the plan of query has a sequential scan of table.
func checkPlan(t *testing.T, db *sql.DB, table, query string, args []any) {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "EXPLAIN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan on "+table) {
		t.Errorf("%s is read by a sequential scan:\n%s\n\n%s", table, query, text)
	}
	t.Logf("%s\n%s", query, text)
}
