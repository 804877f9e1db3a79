package matching_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/millwa/millwa/internal/matching"
)

func um(v float64) *float64 { return &v }

func TestTradePrice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ bid, ask, want int64 }{
		{2000, 1000, 1500},
		{2001, 1000, 1501}, // 1500.5 rounds half up
		{1000, 1000, 1000},
		{1001, 1000, 1001},
		{1, 0, 1},
		{0, 0, 0},
		{matching.MaxPrice, matching.MaxPrice - 1, matching.MaxPrice},
	} {
		if got := matching.TradePrice(tc.bid, tc.ask); got != tc.want {
			t.Errorf("TradePrice(%d, %d) = %d, want %d", tc.bid, tc.ask, got, tc.want)
		}
	}
}

func TestEligible(t *testing.T) {
	t.Parallel()
	lot := matching.Lot{ID: "L", Group: "BABY", Colour: "WHITE", Breed: "HUACAYA", MFD: um(22.4), Grams: 50_000, Ask: 2200}
	order := matching.Order{ID: "O", Groups: []string{"SUPER_BABY", "BABY"}, Colours: []string{"WHITE", "LIGHT_FAWN"}, Breeds: []string{"HUACAYA"}, Grams: 1_000_000, Bid: 2400}
	for _, tc := range []struct {
		name string
		o    func(*matching.Order)
		l    func(*matching.Lot)
		want bool
	}{
		{name: "all met", want: true},
		{name: "group refused", l: func(l *matching.Lot) { l.Group = "FLEECE" }},
		{name: "colour refused", l: func(l *matching.Lot) { l.Colour = "BLACK" }},
		{name: "breed refused", l: func(l *matching.Lot) { l.Breed = "SURI" }},
		{name: "empty lists accept all", o: func(o *matching.Order) { o.Groups, o.Colours, o.Breeds = nil, nil, []string{} }, l: func(l *matching.Lot) { l.Breed = "SURI" }, want: true},
		{name: "ask above bid", l: func(l *matching.Lot) { l.Ask = 2401 }},
		{name: "ask equal to bid", l: func(l *matching.Lot) { l.Ask = 2400 }, want: true},
		{name: "mfd under max", o: func(o *matching.Order) { o.MaxMFD = um(23) }, want: true},
		{name: "mfd equal to max", o: func(o *matching.Order) { o.MaxMFD = um(22.4) }, want: true},
		{name: "mfd over max", o: func(o *matching.Order) { o.MaxMFD = um(22.3) }},
		{name: "unmeasured lot, order with max", o: func(o *matching.Order) { o.MaxMFD = um(30) }, l: func(l *matching.Lot) { l.MFD = nil }},
		{name: "unmeasured lot, order without max", l: func(l *matching.Lot) { l.MFD = nil }, want: true},
		{name: "lot as large as the minimum", o: func(o *matching.Order) { o.MinLotGrams = 50_000 }, want: true},
		{name: "lot under the minimum", o: func(o *matching.Order) { o.MinLotGrams = 50_001 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, l := order, lot
			if tc.o != nil {
				tc.o(&o)
			}
			if tc.l != nil {
				tc.l(&l)
			}
			if got := matching.Eligible(o, l); got != tc.want {
				t.Errorf("Eligible = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBookDecodesBenchFormat decodes the book format of `millwa bench
// clearing` (issue 8) straight into Book.
func TestBookDecodesBenchFormat(t *testing.T) {
	t.Parallel()
	const in = `{"lots": [{"id": "L1", "group": "BABY", "colour": "WHITE", "breed": "HUACAYA", "mfd": 21.7, "grams": 120000, "ask": 2200},
	                     {"id": "L2", "group": "FLEECE", "colour": "FAWN", "breed": "SURI", "mfd": null, "grams": 5000, "ask": 1500}],
	           "orders": [{"id": "O1", "groups": ["BABY", "FLEECE"], "colours": ["WHITE"], "breeds": ["HUACAYA"], "max_mfd": null, "grams": 100000, "bid": 2500},
	                      {"id": "O2", "groups": ["FLEECE"], "colours": ["FAWN"], "breeds": ["SURI"], "max_mfd": 26.5, "grams": 3000, "bid": 1600}]}`
	var b matching.Book
	dec := json.NewDecoder(strings.NewReader(in))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatal(err)
	}
	want := matching.Book{
		Lots: []matching.Lot{
			{ID: "L1", Group: "BABY", Colour: "WHITE", Breed: "HUACAYA", MFD: um(21.7), Grams: 120000, Ask: 2200},
			{ID: "L2", Group: "FLEECE", Colour: "FAWN", Breed: "SURI", Grams: 5000, Ask: 1500},
		},
		Orders: []matching.Order{
			{ID: "O1", Groups: []string{"BABY", "FLEECE"}, Colours: []string{"WHITE"}, Breeds: []string{"HUACAYA"}, Grams: 100000, Bid: 2500},
			{ID: "O2", Groups: []string{"FLEECE"}, Colours: []string{"FAWN"}, Breeds: []string{"SURI"}, MaxMFD: um(26.5), Grams: 3000, Bid: 1600},
		},
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Fatalf("decoded book (-want +got):\n%s", diff)
	}
	r, err := matching.Clear(b)
	if err != nil {
		t.Fatal(err)
	}
	// O1 takes 100 kg of L1 at 300/kg; L2 has no diameter, so O2 (max 26.5) gets nothing.
	if r.Surplus != matching.SurplusOf(300*100000) || r.GramsAllocated != 100000 {
		t.Errorf("surplus %d, %d g; want %d, %d g", r.Surplus, r.GramsAllocated, 300*100000, 100000)
	}
}

// white returns a lot of white Huacaya fibre.
func white(id string, rank int64, group string, grams, ask int64) matching.Lot {
	return matching.Lot{ID: id, Rank: rank, Group: group, Colour: "WHITE", Breed: "HUACAYA", MFD: um(22), Grams: grams, Ask: ask}
}

func buyer(id string, rank int64, groups []string, grams, bid int64) matching.Order {
	return matching.Order{ID: id, Rank: rank, Groups: groups, Grams: grams, Bid: bid}
}

func TestClearKnownBooks(t *testing.T) {
	t.Parallel()
	both, fleece := []string{"FLEECE", "BABY"}, []string{"FLEECE"}
	for _, tc := range []struct {
		name        string
		book        matching.Book
		want        []matching.Allocation
		wantSurplus int64
		fcfsSurplus int64
	}{
		{
			name: "empty book",
			book: matching.Book{},
		},
		{
			// FCFS gives the older, flexible order the cheap fleece lot and
			// leaves the fleece-only order with nothing.
			name: "greedy is worse",
			book: matching.Book{
				Lots:   []matching.Lot{white("A", 1, "FLEECE", 100_000, 1000), white("B", 2, "BABY", 100_000, 1500)},
				Orders: []matching.Order{buyer("O1", 1, both, 100_000, 2000), buyer("O2", 2, fleece, 100_000, 1800)},
			},
			want: []matching.Allocation{
				{OrderID: "O1", LotID: "B", Grams: 100_000, Price: 1750},
				{OrderID: "O2", LotID: "A", Grams: 100_000, Price: 1400},
			},
			wantSurplus: 500*100_000 + 800*100_000,
			fcfsSurplus: 1000 * 100_000,
		},
		{
			name: "tie between orders goes to the older",
			book: matching.Book{
				Lots:   []matching.Lot{white("A", 1, "FLEECE", 100_000, 1000)},
				Orders: []matching.Order{buyer("young", 9, fleece, 80_000, 1200), buyer("old", 3, fleece, 80_000, 1200)},
			},
			want: []matching.Allocation{
				{OrderID: "old", LotID: "A", Grams: 80_000, Price: 1100},
				{OrderID: "young", LotID: "A", Grams: 20_000, Price: 1100},
			},
			wantSurplus: 200 * 100_000,
			fcfsSurplus: 200 * 100_000,
		},
		{
			name: "tie between lots goes to the older",
			book: matching.Book{
				Lots:   []matching.Lot{white("new", 8, "FLEECE", 100_000, 1000), white("old", 2, "FLEECE", 100_000, 1000)},
				Orders: []matching.Order{buyer("O", 1, fleece, 150_000, 1100)},
			},
			want: []matching.Allocation{
				{OrderID: "O", LotID: "old", Grams: 100_000, Price: 1050},
				{OrderID: "O", LotID: "new", Grams: 50_000, Price: 1050},
			},
			wantSurplus: 100 * 150_000,
			fcfsSurplus: 100 * 150_000,
		},
		{
			name: "equal ranks fall back to the id",
			book: matching.Book{
				Lots:   []matching.Lot{white("b", 0, "FLEECE", 10, 1000), white("a", 0, "FLEECE", 10, 1000)},
				Orders: []matching.Order{buyer("y", 0, fleece, 10, 1000), buyer("x", 0, fleece, 5, 1000)},
			},
			want: []matching.Allocation{
				{OrderID: "x", LotID: "a", Grams: 5, Price: 1000},
				{OrderID: "y", LotID: "a", Grams: 5, Price: 1000},
				{OrderID: "y", LotID: "b", Grams: 5, Price: 1000},
			},
		},
		{
			name: "trades at bid equal to ask are made",
			book: matching.Book{
				Lots:   []matching.Lot{white("A", 1, "FLEECE", 100, 1000)},
				Orders: []matching.Order{buyer("O", 1, fleece, 300, 1000)},
			},
			want: []matching.Allocation{{OrderID: "O", LotID: "A", Grams: 100, Price: 1000}},
		},
		{
			name: "diameter and minimum lot size",
			book: matching.Book{
				Lots: []matching.Lot{
					{ID: "fine", Rank: 1, Group: "BABY", Colour: "WHITE", Breed: "HUACAYA", MFD: um(21), Grams: 40_000, Ask: 2000},
					{ID: "coarse", Rank: 2, Group: "BABY", Colour: "WHITE", Breed: "HUACAYA", MFD: um(22.9), Grams: 90_000, Ask: 2000},
					{ID: "unmeasured", Rank: 3, Group: "BABY", Colour: "WHITE", Breed: "HUACAYA", Grams: 90_000, Ask: 1000},
				},
				Orders: []matching.Order{
					{ID: "fine-only", Rank: 1, MaxMFD: um(22), Grams: 500_000, Bid: 2500},
					{ID: "big-lots", Rank: 2, MinLotGrams: 50_000, Grams: 500_000, Bid: 2100},
				},
			},
			want: []matching.Allocation{
				{OrderID: "fine-only", LotID: "fine", Grams: 40_000, Price: 2250},
				{OrderID: "big-lots", LotID: "coarse", Grams: 90_000, Price: 2050},
				{OrderID: "big-lots", LotID: "unmeasured", Grams: 90_000, Price: 1550},
			},
			wantSurplus: 500*40_000 + 100*90_000 + 1100*90_000,
			fcfsSurplus: 500*40_000 + 100*90_000 + 1100*90_000,
		},
		{
			// Three orders compete for two lots; the optimum gives the
			// youngest order, with the highest bid, the lot only it and
			// the oldest both want.
			name: "chain of substitutions",
			book: matching.Book{
				Lots: []matching.Lot{white("F", 1, "FLEECE", 100, 1000), white("B", 2, "BABY", 100, 1000)},
				Orders: []matching.Order{
					buyer("O1", 1, both, 100, 1100),
					buyer("O2", 2, []string{"BABY"}, 100, 1050),
					buyer("O3", 3, fleece, 100, 1500),
				},
			},
			want: []matching.Allocation{
				{OrderID: "O1", LotID: "B", Grams: 100, Price: 1050},
				{OrderID: "O3", LotID: "F", Grams: 100, Price: 1250},
			},
			wantSurplus: 100*100 + 500*100,
			fcfsSurplus: 100*100 + 50*100,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := matching.Clear(tc.book)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Allocations, cmpEmpty); diff != "" {
				t.Errorf("allocations (-want +got):\n%s", diff)
			}
			if got.Surplus != matching.SurplusOf(tc.wantSurplus) {
				t.Errorf("surplus %d, want %d", got.Surplus, tc.wantSurplus)
			}
			checkConstraints(t, tc.book, got)
			if ref := referenceOptimum(tc.book); ref != objectiveOf(tc.book, got) {
				t.Errorf("objective %+v, reference %+v", objectiveOf(tc.book, got), ref)
			}
			fcfs, err := matching.FirstComeFirstServed(tc.book)
			if err != nil {
				t.Fatal(err)
			}
			if fcfs.Surplus != matching.SurplusOf(tc.fcfsSurplus) {
				t.Errorf("FCFS surplus %d, want %d", fcfs.Surplus, tc.fcfsSurplus)
			}
		})
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []matching.Allocation) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal(a, b)
})

func TestClearRefusesBadBooks(t *testing.T) {
	t.Parallel()
	ok := white("L", 1, "FLEECE", 100, 1000)
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		book matching.Book
		want error
	}{
		{"lot without id", matching.Book{Lots: []matching.Lot{{Grams: 1}}}, matching.ErrInvalidBook},
		{"repeated lot", matching.Book{Lots: []matching.Lot{ok, ok}}, matching.ErrInvalidBook},
		{"repeated order", matching.Book{Orders: []matching.Order{{ID: "O"}, {ID: "O"}}}, matching.ErrInvalidBook},
		{"negative grams", matching.Book{Lots: []matching.Lot{{ID: "L", Grams: -1}}}, matching.ErrInvalidBook},
		{"negative bid", matching.Book{Orders: []matching.Order{{ID: "O", Bid: -1}}}, matching.ErrInvalidBook},
		{"price too high", matching.Book{Lots: []matching.Lot{{ID: "L", Ask: matching.MaxPrice + 1}}}, matching.ErrInvalidBook},
		{"NaN diameter", matching.Book{Lots: []matching.Lot{{ID: "L", MFD: &nan}}}, matching.ErrInvalidBook},
		{"negative max diameter", matching.Book{Orders: []matching.Order{{ID: "O", MaxMFD: um(-1)}}}, matching.ErrInvalidBook},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := matching.Clear(tc.book); !errors.Is(err, tc.want) {
				t.Errorf("Clear: %v, want %v", err, tc.want)
			}
			if _, err := matching.FirstComeFirstServed(tc.book); !errors.Is(err, tc.want) {
				t.Errorf("FirstComeFirstServed: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestClearDoesNotModifyItsInput clears a realistic book and checks that
// the caller's slices are left as they were.
func TestClearDoesNotModifyItsInput(t *testing.T) {
	t.Parallel()
	b := matching.GenerateBook(3, 300, 40)
	before := matching.GenerateBook(3, 300, 40)
	if _, err := matching.Clear(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, b); diff != "" {
		t.Errorf("book changed (-before +after):\n%s", diff)
	}
}

// TestClearTimedIsClear checks that ClearTimed clears as Clear does and
// accounts for each part of the clearing.
func TestClearTimedIsClear(t *testing.T) {
	t.Parallel()
	b := matching.GenerateBook(7, 2000, 200)
	want, err := matching.Clear(b)
	if err != nil {
		t.Fatal(err)
	}
	got, times, err := matching.ClearTimed(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ClearTimed differs from Clear (-Clear +ClearTimed):\n%s", diff)
	}
	if times.Network <= 0 || times.Solve <= 0 || times.Read <= 0 {
		t.Errorf("times %+v: want every part above 0", times)
	}
	if _, _, err := matching.ClearTimed(matching.Book{Lots: []matching.Lot{{ID: "L", Grams: -1}}}); !errors.Is(err, matching.ErrInvalidBook) {
		t.Errorf("invalid book: err %v, want ErrInvalidBook", err)
	}
}
