package matching_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/millwa/millwa/internal/matching"
)

// A declined pair is never matched again: each way of matching leaves the
// excluded lot to other orders, even when it is the cheapest lot and the
// excluding order bids highest.
func TestExcludedLotsAreNeverAllocated(t *testing.T) {
	t.Parallel()
	fleece := []string{"FLEECE"}
	declined := buyer("declined", 1, fleece, 100, 2000)
	declined.Excluded = []string{"cheap"}
	other := buyer("other", 2, fleece, 100, 1500)
	lots := []matching.Lot{white("cheap", 1, "FLEECE", 100, 1000), white("dear", 2, "FLEECE", 100, 1200)}
	want := []matching.Allocation{
		{OrderID: "declined", LotID: "dear", Grams: 100, Price: 1600},
		{OrderID: "other", LotID: "cheap", Grams: 100, Price: 1250},
	}
	for _, tc := range []struct {
		name  string
		clear func(matching.Book) (matching.Result, error)
	}{
		{"Clear", matching.Clear},
		{"FirstComeFirstServed", matching.FirstComeFirstServed},
	} {
		got, err := tc.clear(matching.Book{Lots: lots, Orders: []matching.Order{declined, other}})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(want, got.Allocations); diff != "" {
			t.Errorf("%s allocations (-want +got):\n%s", tc.name, diff)
		}
	}

	got, err := matching.MatchOrder(lots, declined)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:1], got.Allocations); diff != "" {
		t.Errorf("MatchOrder allocations (-want +got):\n%s", diff)
	}
	got, err = matching.MatchLot([]matching.Order{declined, other}, lots[0])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1:], got.Allocations); diff != "" {
		t.Errorf("MatchLot allocations (-want +got):\n%s", diff)
	}
}

// An order that excludes a lot and also sets a minimum lot size, beside
// orders that share its minimum, still reaches only the lots it may take.
func TestClearExcludesWithMinLotGrams(t *testing.T) {
	t.Parallel()
	fleece := []string{"FLEECE"}
	a := buyer("a", 1, fleece, 300, 2000)
	a.MinLotGrams, a.Excluded = 200, []string{"big1"}
	b := buyer("b", 2, fleece, 100, 1100)
	b.MinLotGrams = 200
	c := buyer("c", 3, fleece, 100, 1100)
	c.MinLotGrams = 200
	book := matching.Book{
		Lots:   []matching.Lot{white("big1", 1, "FLEECE", 300, 1000), white("big2", 2, "FLEECE", 300, 1050), white("small", 3, "FLEECE", 100, 900)},
		Orders: []matching.Order{a, b, c},
	}
	got, err := matching.Clear(book)
	if err != nil {
		t.Fatal(err)
	}
	want := []matching.Allocation{
		{OrderID: "a", LotID: "big2", Grams: 300, Price: 1525},
		{OrderID: "b", LotID: "big1", Grams: 100, Price: 1050},
		{OrderID: "c", LotID: "big1", Grams: 100, Price: 1050},
	}
	if diff := cmp.Diff(want, got.Allocations); diff != "" {
		t.Errorf("Clear allocations (-want +got):\n%s", diff)
	}
}
