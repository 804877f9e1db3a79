package matching_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/millwa/millwa/internal/matching"
)

// randomSmallBook is 2–5 lots and 1–4 orders over few attribute values,
// so that eligibility and ties are common. With unit > 0 every quantity is
// a multiple of unit and at most 3 units.
func randomSmallBook(r *rand.Rand, unit int64) matching.Book {
	groups := []string{"BABY", "FLEECE", "HUARIZO"}
	colours := []string{"WHITE", "FAWN"}
	breeds := []string{"HUACAYA", "SURI"}
	diameters := []float64{19.5, 22, 22, 25.5, 28}
	grams := func() int64 {
		if unit > 0 {
			return unit * int64(r.IntN(4))
		}
		return int64(r.IntN(5) * (1 + r.IntN(400)))
	}
	subset := func(all []string) []string {
		var s []string
		for _, v := range all {
			if r.IntN(2) == 0 {
				s = append(s, v)
			}
		}
		return s // empty accepts everything
	}
	var b matching.Book
	ranks := r.Perm(20)
	for j := range 2 + r.IntN(4) {
		l := matching.Lot{
			ID:     fmt.Sprintf("L%d", j),
			Rank:   int64(ranks[j]),
			Group:  groups[r.IntN(len(groups))],
			Colour: colours[r.IntN(len(colours))],
			Breed:  breeds[r.IntN(len(breeds))],
			Grams:  grams(),
			Ask:    int64(100 + 10*r.IntN(8)),
		}
		if r.IntN(4) > 0 {
			l.MFD = &diameters[r.IntN(len(diameters))]
		}
		b.Lots = append(b.Lots, l)
	}
	for i := range 1 + r.IntN(4) {
		o := matching.Order{
			ID:      fmt.Sprintf("O%d", i),
			Rank:    int64(ranks[10+i]),
			Groups:  subset(groups),
			Colours: subset(colours),
			Breeds:  subset(breeds),
			Grams:   grams(),
			Bid:     int64(100 + 10*r.IntN(9)),
		}
		if r.IntN(3) == 0 {
			o.MaxMFD = &diameters[r.IntN(len(diameters))]
		}
		if r.IntN(5) == 0 {
			o.MinLotGrams = grams()
		}
		if r.IntN(4) == 0 {
			o.Excluded = []string{b.Lots[r.IntN(len(b.Lots))].ID}
		}
		b.Orders = append(b.Orders, o)
	}
	return b
}

// checkConstraints reports every way r breaks the book's constraints or
// the price rule.
func checkConstraints(t *testing.T, b matching.Book, r matching.Result) {
	t.Helper()
	orders, lots := map[string]matching.Order{}, map[string]matching.Lot{}
	for _, o := range b.Orders {
		orders[o.ID] = o
	}
	for _, l := range b.Lots {
		lots[l.ID] = l
	}
	took, gave := map[string]int64{}, map[string]int64{}
	seen := map[[2]string]bool{}
	var surplus, grams int64
	for _, a := range r.Allocations {
		o, ok1 := orders[a.OrderID]
		l, ok2 := lots[a.LotID]
		switch {
		case !ok1 || !ok2:
			t.Fatalf("allocation %+v names an unknown order or lot", a)
		case a.Grams <= 0:
			t.Errorf("allocation %+v: grams not positive", a)
		case !matching.Eligible(o, l):
			t.Errorf("allocation %+v: lot not eligible for the order", a)
		case a.Price != matching.TradePrice(o.Bid, l.Ask) || a.Price < l.Ask || a.Price > o.Bid:
			t.Errorf("allocation %+v: price, want %d", a, matching.TradePrice(o.Bid, l.Ask))
		case seen[[2]string{a.OrderID, a.LotID}]:
			t.Errorf("allocation %+v: pair repeated", a)
		}
		seen[[2]string{a.OrderID, a.LotID}] = true
		took[o.ID] += a.Grams
		gave[l.ID] += a.Grams
		surplus += (o.Bid - l.Ask) * a.Grams
		grams += a.Grams
	}
	for id, g := range took {
		if g > orders[id].Grams {
			t.Errorf("order %s gets %d g, wants %d", id, g, orders[id].Grams)
		}
	}
	for id, g := range gave {
		if g > lots[id].Grams {
			t.Errorf("lot %s gives %d g, has %d", id, g, lots[id].Grams)
		}
	}
	if matching.SurplusOf(surplus) != r.Surplus || grams != r.GramsAllocated {
		t.Errorf("totals %d, %d g; allocations sum to %d, %d g", r.Surplus, r.GramsAllocated, surplus, grams)
	}
}

func shuffled(r *rand.Rand, b matching.Book) matching.Book {
	s := matching.Book{Lots: slices.Clone(b.Lots), Orders: slices.Clone(b.Orders)}
	r.Shuffle(len(s.Lots), func(i, j int) { s.Lots[i], s.Lots[j] = s.Lots[j], s.Lots[i] })
	r.Shuffle(len(s.Orders), func(i, j int) { s.Orders[i], s.Orders[j] = s.Orders[j], s.Orders[i] })
	return s
}

// TestClearMatchesReference clears thousands of random small books and
// checks each against an independent exact solver (and, for books in
// coarse units, against exhaustive enumeration): the same surplus and the
// same tie-breaks, every constraint kept, and the same allocations when
// cleared twice or with its lots and orders shuffled.
func TestClearMatchesReference(t *testing.T) {
	t.Parallel()
	cases := 20000
	if testing.Short() {
		cases = 2000
	}
	r := rand.New(rand.NewPCG(6, 8))
	var enumerated, traded int
	for n := range cases {
		var unit int64
		if n%2 == 0 {
			unit = 100
		}
		b := randomSmallBook(r, unit)
		got, err := matching.Clear(b)
		if err != nil {
			t.Fatalf("case %d: %v\nbook %+v", n, err, b)
		}
		checkConstraints(t, b, got)
		if want, gotObj := referenceOptimum(b), objectiveOf(b, got); want != gotObj {
			t.Fatalf("case %d: objective (-reference +clear):\n%s\nbook %+v\nresult %+v", n, cmp.Diff(want, gotObj), b, got)
		}
		if unit > 0 && len(b.Lots)*len(b.Orders) <= 8 {
			if want := enumeratedSurplus(b, unit); matching.SurplusOf(want) != got.Surplus {
				t.Fatalf("case %d: surplus %d, enumeration %d\nbook %+v", n, got.Surplus, want, b)
			}
			enumerated++
		}
		again, _ := matching.Clear(b)
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("case %d: second clearing differs (-first +second):\n%s", n, diff)
		}
		mixed, _ := matching.Clear(shuffled(r, b))
		if diff := cmp.Diff(got, mixed); diff != "" {
			t.Fatalf("case %d: shuffled book clears differently (-in order +shuffled):\n%s\nbook %+v", n, diff, b)
		}
		if got.GramsAllocated > 0 {
			traded++
		}
	}
	t.Logf("%d random books (%d also enumerated, %d with trades)", cases, enumerated, traded)
}

// TestFirstComeFirstServedNeverBeatsClear checks the greedy baseline's
// constraints and that it never finds more surplus than Clear.
func TestFirstComeFirstServedNeverBeatsClear(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(12, 2026))
	for n := range 2000 {
		b := randomSmallBook(r, 0)
		for i := range b.Orders {
			b.Orders[i].MinLotGrams = 0 // FCFS judges it on what is left, Clear on the book
		}
		greedy, err := matching.FirstComeFirstServed(b)
		if err != nil {
			t.Fatal(err)
		}
		checkConstraints(t, b, greedy)
		best, _ := matching.Clear(b)
		if greedy.Surplus.Cmp(best.Surplus) > 0 {
			t.Fatalf("case %d: FCFS surplus %d > Clear %d\nbook %+v", n, greedy.Surplus, best.Surplus, b)
		}
	}
}

// TestClearInTwoStagesMatchesReference runs the random small books through
// the two-stage path (surplus first, then the tie-breaks on the optimal
// face) that books too wide for one packed cost take, and checks it like
// TestClearMatchesReference.
func TestClearInTwoStagesMatchesReference(t *testing.T) {
	t.Parallel()
	cases := 4000
	if testing.Short() {
		cases = 500
	}
	r := rand.New(rand.NewPCG(7, 9))
	for n := range cases {
		var unit int64
		if n%2 == 0 {
			unit = 100
		}
		b := randomSmallBook(r, unit)
		got, err := matching.ClearInTwoStages(b)
		if err != nil {
			t.Fatalf("case %d: %v\nbook %+v", n, err, b)
		}
		checkConstraints(t, b, got)
		if want, gotObj := referenceOptimum(b), objectiveOf(b, got); want != gotObj {
			t.Fatalf("case %d: objective (-reference +two stages):\n%s\nbook %+v\nresult %+v", n, cmp.Diff(want, gotObj), b, got)
		}
		mixed, _ := matching.ClearInTwoStages(shuffled(r, b))
		if diff := cmp.Diff(got, mixed); diff != "" {
			t.Fatalf("case %d: shuffled book clears differently (-in order +shuffled):\n%s\nbook %+v", n, diff, b)
		}
	}
}

// TestClearMatchesReferenceOnGeneratedBooks checks realistic books, whose
// cells hold many diameters, against the reference: as generated, with
// orders setting MinLotGrams (so that some share a chain by minimum and
// some reach their lots one by one), and with every lot in one cell so
// that all orders compete along one long chain.
func TestClearMatchesReferenceOnGeneratedBooks(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 14))
	for seed := range uint64(30) {
		b := matching.GenerateBook(seed, 30+4*int(seed), 5+int(seed))
		switch seed % 3 {
		case 1:
			// Minimums shared by several orders, and some of their own.
			for i := range b.Orders {
				b.Orders[i].MinLotGrams = []int64{0, 100_000, 400_000, int64(r.IntN(1_000_000))}[r.IntN(4)]
			}
		case 2:
			for j := range b.Lots {
				b.Lots[j].Group, b.Lots[j].Colour, b.Lots[j].Breed = "BABY", "WHITE", "HUACAYA"
			}
			for i := range b.Orders {
				b.Orders[i].Groups, b.Orders[i].Colours, b.Orders[i].Breeds = nil, nil, nil
			}
		}
		want := referenceOptimum(b)
		if want.Grams == 0 {
			t.Errorf("seed %d: no trade; the book tests little", seed)
		}
		for name, clear := range map[string]func(matching.Book) (matching.Result, error){
			"Clear": matching.Clear, "two stages": matching.ClearInTwoStages,
		} {
			got, err := clear(b)
			if err != nil {
				t.Fatalf("seed %d, %s: %v", seed, name, err)
			}
			checkConstraints(t, b, got)
			if gotObj := objectiveOf(b, got); want != gotObj {
				t.Fatalf("seed %d, %s: objective (-reference +got):\n%s", seed, name, cmp.Diff(want, gotObj))
			}
			mixed, _ := clear(shuffled(r, b))
			if diff := cmp.Diff(got, mixed); diff != "" {
				t.Fatalf("seed %d, %s: shuffled book clears differently (-in order +shuffled):\n%s", seed, name, diff)
			}
		}
	}
}

// TestClearStagesAgreeOnALargeBook clears a book too large for the
// reference in one stage and in two: both are exact, so their objectives
// must be equal.
func TestClearStagesAgreeOnALargeBook(t *testing.T) {
	t.Parallel()
	b := matching.GenerateBook(4, 2000, 200)
	for i := range b.Orders {
		if i%7 == 0 {
			b.Orders[i].MinLotGrams = 400_000
		}
	}
	one, err := matching.Clear(b)
	if err != nil {
		t.Fatal(err)
	}
	two, err := matching.ClearInTwoStages(b)
	if err != nil {
		t.Fatal(err)
	}
	checkConstraints(t, b, one)
	checkConstraints(t, b, two)
	if a, c := objectiveOf(b, one), objectiveOf(b, two); a != c {
		t.Errorf("objective (-one stage +two stages):\n%s", cmp.Diff(a, c))
	}
	greedy, _ := matching.FirstComeFirstServed(b)
	if greedy.Surplus.Cmp(one.Surplus) > 0 {
		t.Errorf("FCFS surplus %d > Clear %d", greedy.Surplus, one.Surplus)
	}
}
