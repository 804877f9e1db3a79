package matching

import (
	"cmp"
	"slices"
)

// FirstComeFirstServed is the greedy baseline: each order, oldest first,
// takes the cheapest eligible lots (equal asks: oldest lot first) until it
// is filled. MinLotGrams is judged on a lot's grams still unallocated when
// the order takes its turn. It returns the errors Clear returns.
func FirstComeFirstServed(b Book) (Result, error) {
	if err := validate(b); err != nil {
		return Result{}, err
	}
	orders, lots := sortedOrders(b.Orders), sortedLots(b.Lots)
	left := make([]int64, len(lots))
	for j, l := range lots {
		left[j] = l.Grams
	}
	cheapest := byPrice(lots)
	var pairs []pair
	for i, o := range orders {
		pairs = takeLots(pairs, i, o, lots, cheapest, left)
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.lot, b.lot)) })
	return result(orders, lots, pairs)
}

// MatchOrder is continuous matching of a new order against resting lots
// (their Grams unallocated): it takes the cheapest eligible lots first,
// the oldest among equal asks, until the order is filled. It returns the
// errors Clear returns for the book of o and lots.
func MatchOrder(lots []Lot, o Order) (Result, error) {
	if err := validate(Book{Lots: lots, Orders: []Order{o}}); err != nil {
		return Result{}, err
	}
	lots = sortedLots(lots)
	left := make([]int64, len(lots))
	for j, l := range lots {
		left[j] = l.Grams
	}
	pairs := takeLots(nil, 0, o, lots, byPrice(lots), left)
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Compare(a.lot, b.lot) })
	return result([]Order{o}, lots, pairs)
}

// MatchLot is continuous matching of a new lot against resting orders
// (their Grams still wanted): the highest eligible bids are served first,
// the oldest order among equal bids, until the lot is sold. MinLotGrams is
// judged on the lot's grams still unallocated when each order's turn
// comes. It returns the errors Clear returns for the book of l and orders.
func MatchLot(orders []Order, l Lot) (Result, error) {
	if err := validate(Book{Lots: []Lot{l}, Orders: orders}); err != nil {
		return Result{}, err
	}
	orders = sortedOrders(orders)
	best := make([]int, len(orders))
	for i := range best {
		best[i] = i
	}
	slices.SortStableFunc(best, func(a, b int) int { return cmp.Compare(orders[b].Bid, orders[a].Bid) })
	var pairs []pair
	left := l
	for _, i := range best {
		if left.Grams == 0 {
			break
		}
		o := orders[i]
		if o.Grams > 0 && Eligible(o, left) {
			g := min(o.Grams, left.Grams)
			pairs = append(pairs, pair{order: i, lot: 0, grams: g})
			left.Grams -= g
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Compare(a.order, b.order) })
	return result(orders, []Lot{l}, pairs)
}

// byPrice is the indices of age-sorted lots, cheapest first, oldest first
// among equal asks.
func byPrice(lots []Lot) []int {
	idx := make([]int, len(lots))
	for j := range idx {
		idx[j] = j
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(lots[a].Ask, lots[b].Ask) })
	return idx
}

// takeLots fills order o (index i) from the lots in the order given by
// cheapest, with left their grams still unallocated, which it reduces.
func takeLots(pairs []pair, i int, o Order, lots []Lot, cheapest []int, left []int64) []pair {
	want := o.Grams
	for _, j := range cheapest {
		if want == 0 || lots[j].Ask > o.Bid {
			break
		}
		l := lots[j]
		l.Grams = left[j]
		if l.Grams == 0 || !Eligible(o, l) {
			continue
		}
		g := min(want, l.Grams)
		pairs = append(pairs, pair{order: i, lot: j, grams: g})
		left[j] -= g
		want -= g
	}
	return pairs
}
