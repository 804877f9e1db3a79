package server_test

import (
	"slices"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestReceiptSourcesAcrossReplicas runs 16 CreateLot calls at once on two
// replicas over one PostgreSQL, each drawing 3,000 g of BABY from two of
// four receipts holding 10,000 g each, in opposite orders: at most three
// draws fit a receipt. Afterwards the database shows no receipt used
// beyond what it holds, every used gram in exactly one lot's source, and
// as many lots as calls that succeeded.
func TestReceiptSourcesAcrossReplicas(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	a, b := startServerWith(t, dbURL, callAuction), startServerWith(t, dbURL, callAuction)
	f := a.acopioFixture(t, 4, 0)
	var receipts []string
	for _, m := range f.members {
		receipts = append(receipts, f.receive(t, f.classed(m, map[string]int64{"BABY": 10_000})).GetName())
	}
	clients := []millwav1.RegistryServiceClient{f.reg, millwav1.NewRegistryServiceClient(b.dial(t, f.secret))}
	var wg sync.WaitGroup
	answers := make([]codes.Code, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Lot i draws on receipts i and i+1 (mod 4), the even lots
			// listing them in the other order.
			first, second := receipts[i%4], receipts[(i+1)%4]
			if i%2 == 0 {
				first, second = second, first
			}
			lot := f.lotFrom(classedStandard, "BABY", 2000,
				&millwav1.LotSource{Receipt: first, Grams: 3000}, &millwav1.LotSource{Receipt: second, Grams: 3000})
			_, err := clients[i%2].CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: lot})
			answers[i] = status.Code(err)
		}()
	}
	wg.Wait()
	ok := 0
	for i, c := range answers {
		switch c {
		case codes.OK:
			ok++
		case codes.InvalidArgument:
		default:
			t.Errorf("CreateLot %d answered %v: want OK or InvalidArgument (not enough grams left)", i, c)
		}
	}
	t.Logf("%d of 16 concurrent lots created; the others found too few grams left", ok)
	if ok == 0 || ok > 6 {
		t.Errorf("%d lots created: 4 receipts of 10,000 g hold at most 6 lots of 2 × 3,000 g, and the first call finds all free", ok)
	}
	if n := countRows(t, a, `SELECT COUNT(*) FROM receipt_groups g WHERE g.grams <
		(SELECT COALESCE(SUM(s.grams), 0) FROM lot_sources s WHERE s.receipt_id = g.receipt_id AND s.code = g.code)`); n != 0 {
		t.Errorf("%d receipt groups whose lots' sources draw more grams than they hold", n)
	}
	if n := countRows(t, a, `SELECT COUNT(*) FROM receipt_groups WHERE used_grams > grams OR used_grams < 0`); n != 0 {
		t.Errorf("%d receipt groups used beyond what they hold", n)
	}
	if n := countRows(t, a, `SELECT COUNT(*) FROM receipt_groups g WHERE used_grams <>
		(SELECT COALESCE(SUM(s.grams), 0) FROM lot_sources s WHERE s.receipt_id = g.receipt_id AND s.code = g.code)`); n != 0 {
		t.Errorf("%d receipt groups whose used grams differ from the sum of their lots' sources", n)
	}
	if n := countRows(t, a, `SELECT COUNT(*) FROM lots`); n != ok {
		t.Errorf("%d lots in the database, %d calls succeeded", n, ok)
	}
	if n := countRows(t, a, `SELECT COUNT(*) FROM lots l WHERE net_weight_grams <> (SELECT SUM(grams) FROM lot_sources s WHERE s.lot_id = l.id)`); n != 0 {
		t.Errorf("%d lots whose weight is not the sum of their sources", n)
	}
	if n := countRows(t, a, `SELECT COUNT(*) FROM lot_contributions c WHERE grams <>
		(SELECT SUM(grams) FROM lot_sources s WHERE s.lot_id = c.lot_id AND s.member_id = c.member_id)`); n != 0 {
		t.Errorf("%d contributions that are not the sum of the member's sources", n)
	}
}

// TestReceiptNumbersUnderConcurrency creates 24 receipts at once (on two
// replicas on PostgreSQL): their numbers are 1 to 24, none repeated, none
// missing; a voided receipt keeps its number and the next receipt takes
// 25; another campaign numbers from 1.
func TestReceiptNumbersUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		a, b := startServer(t, dbURL), startServer(t, dbURL)
		f := a.acopioFixture(t, 3, 0)
		clients := []millwav1.RegistryServiceClient{f.reg, millwav1.NewRegistryServiceClient(b.dial(t, f.secret))}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var numbers []int64
		byNumber := map[int64]string{}
		for i := range 24 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := clients[i%2].CreateReceipt(t.Context(), &millwav1.CreateReceiptRequest{Parent: f.assoc.GetName(),
					Receipt: f.classed(f.members[i%3], map[string]int64{"BABY": 1000 + int64(i), "FLEECE": 500})})
				if err != nil {
					t.Errorf("CreateReceipt %d: %v", i, err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				numbers = append(numbers, resp.GetReceipt().GetReceiptNumber())
				byNumber[resp.GetReceipt().GetReceiptNumber()] = resp.GetReceipt().GetName()
			}()
		}
		wg.Wait()
		slices.Sort(numbers)
		for i, n := range numbers {
			if n != int64(i+1) || len(numbers) != 24 {
				t.Fatalf("receipt numbers %v: want 1 to 24, each once", numbers)
			}
		}
		voided, err := f.reg.VoidReceipt(t.Context(), &millwav1.VoidReceiptRequest{Name: byNumber[7], RequestId: "void-7"})
		if err != nil || voided.GetReceipt().GetState() != millwav1.ReceiptState_RECEIPT_STATE_VOIDED || voided.GetReceipt().GetReceiptNumber() != 7 {
			t.Fatalf("VoidReceipt: %v, %v; want VOIDED keeping number 7", voided, err)
		}
		_, err = f.reg.VoidReceipt(t.Context(), &millwav1.VoidReceiptRequest{Name: byNumber[7]})
		wantCode(t, "voiding twice", err, codes.FailedPrecondition)
		next := f.receive(t, f.classed(f.members[0], map[string]int64{"BABY": 1000}))
		if next.GetReceiptNumber() != 25 {
			t.Fatalf("receipt after a void numbered %d, want 25", next.GetReceiptNumber())
		}
		other := f.classed(f.members[0], map[string]int64{"BABY": 1000})
		other.Campaign = 2025
		if r := f.receive(t, other); r.GetReceiptNumber() != 1 {
			t.Fatalf("first receipt of campaign 2025 numbered %d, want 1", r.GetReceiptNumber())
		}
		// Keyset pages by number, newest first, within the campaign.
		var got []int64
		for token := ""; ; {
			page, err := f.reg.ListReceipts(t.Context(), &millwav1.ListReceiptsRequest{Parent: f.assoc.GetName(), PageSize: 10,
				PageToken: token, Filter: "campaign = 2026", OrderBy: "receipt_number desc"})
			if err != nil {
				t.Fatalf("ListReceipts: %v", err)
			}
			for _, r := range page.GetReceipts() {
				got = append(got, r.GetReceiptNumber())
			}
			if token = page.GetNextPageToken(); token == "" {
				break
			}
		}
		if len(got) != 25 || got[0] != 25 || got[24] != 1 || !slices.IsSortedFunc(got, func(a, b int64) int { return int(b - a) }) {
			t.Fatalf("receipts of 2026 by number, newest first, in pages of 10: %v", got)
		}
		// Voided receipts can be listed apart, by filter on state.
		list, err := f.reg.ListReceipts(t.Context(), &millwav1.ListReceiptsRequest{Parent: f.assoc.GetName(), Filter: "state = VOIDED"})
		if err != nil || len(list.GetReceipts()) != 1 || list.GetReceipts()[0].GetName() != byNumber[7] {
			t.Fatalf("ListReceipts state = VOIDED: %v, %v; want the one voided", list, err)
		}
	})
}

// TestAcopioTenancy checks that receipts and statements are member data:
// a processor, an agency covering the association's region and another
// association get NotFound, exactly as for a receipt or member that does
// not exist, and bad input writes nothing.
func TestAcopioTenancy(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.acopioFixture(t, 1, 100)
		r := f.receive(t, f.classed(f.members[0], map[string]int64{"BABY": 1500, "FLEECE": 2500}))
		statement := f.members[0] + "/statements/2026"
		_, procKey := ts.createProcessor(t, "040101")
		_, agencyKey := ts.createAgency(t, "21")
		other := ts.acopioFixture(t, 1, 0)
		for _, c := range []struct{ who, key string }{{"processor", procKey}, {"agency", agencyKey}, {"another association", other.secret}} {
			reg := millwav1.NewRegistryServiceClient(ts.dial(t, c.key))
			_, hidden := reg.GetReceipt(t.Context(), &millwav1.GetReceiptRequest{Name: r.GetName()})
			missingReceipt := f.assoc.GetName() + "/receipts/" + newID()
			_, missing := reg.GetReceipt(t.Context(), &millwav1.GetReceiptRequest{Name: missingReceipt})
			sameNotFound(t, c.who+" reading a receipt", hidden, idOf(r.GetName()), missing, idOf(missingReceipt))
			_, hidden = reg.GetMemberStatement(t.Context(), &millwav1.GetMemberStatementRequest{Name: statement})
			missingMember := f.assoc.GetName() + "/members/" + newID()
			_, missing = reg.GetMemberStatement(t.Context(), &millwav1.GetMemberStatementRequest{Name: missingMember + "/statements/2026"})
			sameNotFound(t, c.who+" reading a statement", hidden, idOf(f.members[0]), missing, idOf(missingMember))
			// The list of the association's statements: processors and
			// agencies are refused outright, another association finds no
			// such association.
			_, err := reg.ListMemberStatements(t.Context(), &millwav1.ListMemberStatementsRequest{Parent: f.assoc.GetName() + "/members/-", Campaign: 2026})
			want := codes.NotFound
			if c.who != "another association" {
				want = codes.PermissionDenied
			}
			wantCode(t, c.who+" listing the statements", err, want)
		}
		for _, bad := range []struct {
			name     string
			req      *millwav1.ListMemberStatementsRequest
			violated []string
		}{
			{"one member for all", &millwav1.ListMemberStatementsRequest{Parent: f.members[0], Campaign: 2026}, []string{"parent"}},
			{"the association itself", &millwav1.ListMemberStatementsRequest{Parent: f.assoc.GetName(), Campaign: 2026}, []string{"parent"}},
			{"no campaign", &millwav1.ListMemberStatementsRequest{Parent: f.assoc.GetName() + "/members/-"}, []string{"campaign"}},
			{"soles by name", &millwav1.ListMemberStatementsRequest{Parent: f.assoc.GetName() + "/members/-", Campaign: 2026, CurrencyCode: "soles"}, []string{"currency_code"}},
		} {
			_, err := f.reg.ListMemberStatements(t.Context(), bad.req)
			if got := badRequestFields(wantCode(t, bad.name, err, codes.InvalidArgument)); !slices.Equal(got, bad.violated) {
				t.Errorf("%s: violations of %v, want %v", bad.name, got, bad.violated)
			}
		}
		// The association's own answer, as the association sees it.
		st, err := f.reg.GetMemberStatement(t.Context(), &millwav1.GetMemberStatementRequest{Name: statement})
		if err != nil || st.GetStatement().GetDeliveredGrams() != 4000 || st.GetStatement().GetEarnedAmount() != 0 || st.GetStatement().GetFeeBasisPoints() != 100 {
			t.Fatalf("own statement: %v, %v; want 4,000 g delivered, nothing earned, fee 100 bp", st, err)
		}

		// Bad receipts name their fields and write nothing.
		before := countRows(t, ts, "SELECT COUNT(*) FROM receipts")
		bad := f.classed(f.members[0], map[string]int64{"BABY": 1500, "FLEECE": 2500})
		bad.NetWeightGrams = 4001
		bad.GroupGrams["HUARIZO"], bad.GroupGrams["NOT_A_GROUP"] = 0, 10
		_, err = f.reg.CreateReceipt(t.Context(), &millwav1.CreateReceiptRequest{Parent: f.assoc.GetName(), Receipt: bad})
		st2 := wantCode(t, "a bad receipt", err, codes.InvalidArgument)
		if got, want := badRequestFields(st2), []string{`receipt.group_grams["HUARIZO"]`, `receipt.group_grams["NOT_A_GROUP"]`}; !slices.Equal(got, want) {
			t.Errorf("bad receipt names %v, want %v", got, want)
		}
		both := f.categorised(f.members[0], "EXTRAFINA", 1000)
		both.GroupGrams = map[string]int64{"BABY": 1000}
		both.Member = other.members[0]
		_, err = f.reg.CreateReceipt(t.Context(), &millwav1.CreateReceiptRequest{Parent: f.assoc.GetName(), Receipt: both})
		st2 = wantCode(t, "a receipt with groups and a category of another association's member", err, codes.InvalidArgument)
		if got, want := badRequestFields(st2), []string{"receipt.group_grams", "receipt.member"}; !slices.Equal(got, want) {
			t.Errorf("receipt with both names %v, want %v", got, want)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM receipts"); n != before {
			t.Errorf("refused receipts wrote %d rows", n-before)
		}
	})
}

// TestSmallProcessor registers a processor with a natural person's RUC
// (10…) that places an order of 1 kg, and refuses a RUC 10 whose check
// digit is wrong, naming the field.
func TestSmallProcessor(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		market := millwav1.NewMarketServiceClient(ts.conn)
		p := newProcessor(int(fixtureN.Add(1)), "210101")
		good := personRUC(int(fixtureN.Add(1)))
		p.Ruc = good[:10] + string('0'+(good[10]-'0'+1)%10)
		_, err := market.CreateProcessor(t.Context(), &millwav1.CreateProcessorRequest{Processor: p})
		if st := wantCode(t, "RUC 10 with a wrong check digit", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"processor.ruc"}) {
			t.Fatalf("wrong check digit names %v, want processor.ruc", badRequestFields(st))
		}
		p.Ruc = good
		resp, err := market.CreateProcessor(t.Context(), &millwav1.CreateProcessorRequest{Processor: p})
		if err != nil || resp.GetProcessor().GetRuc() != good {
			t.Fatalf("CreateProcessor with RUC %s: %v, %v", good, resp, err)
		}
		_, key := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, resp.GetProcessor().GetName(), false)
		puno := ts.lotFixture(t, "210101")
		if _, err := millwav1.NewRegistryServiceClient(ts.dial(t, puno.secret)).CreateLot(t.Context(),
			&millwav1.CreateLotRequest{Parent: puno.assoc.GetName(), Lot: puno.lotOf("BABY", 46_000, 2200)}); err != nil {
			t.Fatal(err)
		}
		o := newOrder()
		o.QuantityGrams = 1000
		placed, err := millwav1.NewMarketServiceClient(ts.dial(t, key)).CreatePurchaseOrder(t.Context(),
			&millwav1.CreatePurchaseOrderRequest{Parent: resp.GetProcessor().GetName(), PurchaseOrder: o})
		if err != nil || placed.GetPurchaseOrder().GetFilledGrams() != 1000 {
			t.Fatalf("a 1 kg order of a small processor: %v, %v; want it filled from the lot on offer", placed, err)
		}
	})
}
