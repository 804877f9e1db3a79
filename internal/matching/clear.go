package matching

import (
	"cmp"
	"slices"
	"sort"
)

// Clear allocates the book's lots to its orders so that the gains from
// trade Σ (bid − ask) × grams are greatest, exactly, breaking ties as the
// package comment describes. A lot's MinLotGrams eligibility is judged on
// its grams in the book. Clear returns an error wrapping ErrInvalidBook for
// a book it refuses, and ErrOverflow when the surplus does not fit an
// int64. The input is not modified.
func Clear(b Book) (Result, error) {
	if err := validate(b); err != nil {
		return Result{}, err
	}
	orders, lots := sortedOrders(b.Orders), sortedLots(b.Lots)
	c := newClearing(orders, lots)
	c.net.minCostFlow(c.source, c.sink)
	return result(orders, lots, c.pairs())
}

// clearing is the flow network of a book: source → orders → cell chains
// (→ lot nodes) → sink.
//
// A cell holds the lots of one quality group, colour and breed; its levels
// are their distinct diameters, finest first, and the unmeasured last. Each
// level is a node with an arc down to the level below, so an order that
// accepts the cell enters once, at the coarsest level its MaxMFD allows,
// and reaches every lot at or below it. A lot is an arc from its level to
// the sink with capacity its grams and cost its ask; when some order sets
// MinLotGrams, lots become nodes too, and such orders reach the lots they
// accept by direct arcs instead of the chain.
type clearing struct {
	net          network
	source, sink int
	orders       []Order
	lots         []Lot
	orderArc     []int32 // the arc source → order i
}

type cellKey struct{ group, colour, breed string }

type cell struct {
	key    cellKey
	levels []level // finest first
}

type level struct {
	mfd    *float64
	lots   []int // indices into lots, oldest first
	node   int
	minAsk int64 // the least ask at this level or any finer one
}

func newClearing(orders []Order, lots []Lot) *clearing {
	c := &clearing{orders: orders, lots: lots}
	g := &c.net
	c.source = g.addNode()
	orderNode := make([]int, len(orders))
	for i := range orders {
		orderNode[i] = g.addNode()
	}

	var maxBid int64 = -1
	lotNodes := false
	for _, o := range orders {
		if o.Grams > 0 {
			maxBid = max(maxBid, o.Bid)
			lotNodes = lotNodes || o.MinLotGrams > 0
		}
	}
	cells := makeCells(lots, maxBid)

	// Levels are numbered coarsest first so that arcs run forward.
	for _, ce := range cells {
		for k := len(ce.levels) - 1; k >= 0; k-- {
			ce.levels[k].node = g.addNode()
		}
	}
	lotNode := make([]int, len(lots))
	if lotNodes {
		for _, ce := range cells {
			for _, lv := range ce.levels {
				for _, j := range lv.lots {
					lotNode[j] = g.addNode()
				}
			}
		}
	}
	c.sink = g.addNode()

	inf := int64(maxFlow)
	c.orderArc = make([]int32, len(orders))
	for i, o := range orders {
		if o.Grams == 0 {
			continue
		}
		g.addArc(c.source, orderNode[i], o.Grams, cost{a: -o.Bid, b: -1, c: int64(i)}, -1)
		for _, ce := range cells {
			if !acceptsAll(o.Groups, ce.key.group) || !acceptsAll(o.Colours, ce.key.colour) || !acceptsAll(o.Breeds, ce.key.breed) {
				continue
			}
			top := entryLevel(ce.levels, o.MaxMFD)
			if top < 0 || ce.levels[top].minAsk > o.Bid {
				continue
			}
			if o.MinLotGrams == 0 {
				g.addArc(orderNode[i], ce.levels[top].node, inf, cost{}, -1)
				continue
			}
			for k := top; k >= 0; k-- {
				for _, j := range ce.levels[k].lots {
					if lots[j].Ask <= o.Bid && lots[j].Grams >= o.MinLotGrams {
						g.addArc(orderNode[i], lotNode[j], inf, cost{}, -1)
					}
				}
			}
		}
	}
	for _, ce := range cells {
		for k := len(ce.levels) - 1; k >= 0; k-- {
			lv := ce.levels[k]
			for _, j := range lv.lots {
				lc := cost{a: lots[j].Ask, d: int64(j)}
				if lotNodes {
					g.addArc(lv.node, lotNode[j], inf, cost{}, -1)
					g.addArc(lotNode[j], c.sink, lots[j].Grams, lc, j)
				} else {
					g.addArc(lv.node, c.sink, lots[j].Grams, lc, j)
				}
			}
			if k > 0 {
				g.addArc(lv.node, ce.levels[k-1].node, inf, cost{}, -1)
			}
		}
	}
	g.build()
	// Find each order's arc from the source; build kept their order.
	for e := g.start[c.source]; e < g.start[c.source+1]; e++ {
		c.orderArc[int(g.to[e])-1] = e
	}
	for i, o := range orders {
		if o.Grams == 0 {
			c.orderArc[i] = -1
		}
	}
	return c
}

// makeCells groups the lots that can trade (grams > 0, ask ≤ the highest
// bid) by group, colour and breed, and each cell's lots by diameter.
func makeCells(lots []Lot, maxBid int64) []*cell {
	byKey := map[cellKey]*cell{}
	var cells []*cell
	for j, l := range lots {
		if l.Grams == 0 || l.Ask > maxBid {
			continue
		}
		k := cellKey{l.Group, l.Colour, l.Breed}
		ce := byKey[k]
		if ce == nil {
			ce = &cell{key: k}
			byKey[k] = ce
			cells = append(cells, ce)
		}
		ce.levels = append(ce.levels, level{mfd: l.MFD, lots: []int{j}})
	}
	slices.SortFunc(cells, func(a, b *cell) int {
		return cmp.Or(cmp.Compare(a.key.group, b.key.group), cmp.Compare(a.key.colour, b.key.colour), cmp.Compare(a.key.breed, b.key.breed))
	})
	for _, ce := range cells {
		// One level per lot so far; sort finest first (unmeasured last),
		// stable so that lots stay oldest first, then merge equal diameters.
		slices.SortStableFunc(ce.levels, func(a, b level) int { return compareMFD(a.mfd, b.mfd) })
		merged := ce.levels[:1]
		for _, lv := range ce.levels[1:] {
			last := &merged[len(merged)-1]
			if compareMFD(last.mfd, lv.mfd) == 0 {
				last.lots = append(last.lots, lv.lots...)
			} else {
				merged = append(merged, lv)
			}
		}
		ce.levels = merged
		for k := range ce.levels {
			lv := &ce.levels[k]
			lv.minAsk = lots[lv.lots[0]].Ask
			for _, j := range lv.lots {
				lv.minAsk = min(lv.minAsk, lots[j].Ask)
			}
			if k > 0 {
				lv.minAsk = min(lv.minAsk, ce.levels[k-1].minAsk)
			}
		}
	}
	return cells
}

// compareMFD orders diameters finest first, the unmeasured last.
func compareMFD(a, b *float64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*a, *b)
}

// entryLevel is the coarsest level an order with maximum diameter max
// accepts, or -1 for none.
func entryLevel(levels []level, max *float64) int {
	if max == nil {
		return len(levels) - 1
	}
	// The first level coarser than max, or unmeasured.
	k := sort.Search(len(levels), func(k int) bool {
		return levels[k].mfd == nil || *levels[k].mfd > *max
	})
	return k - 1
}

// pairs reads the allocations off the flow: each order in age order
// follows its flow down to the sink, taking at every node the arcs in the
// order they were added (a level's lots oldest first, then the level
// below), and peels off one path at a time.
func (c *clearing) pairs() []pair {
	g := &c.net
	left := make([]int64, len(g.to)) // flow not yet read off, on original arcs
	for e := range g.to {
		if g.fwd[e] {
			left[e] = g.flow(int32(e))
		}
	}
	next := make([]int32, g.n) // the first arc of each node that may still carry flow
	copy(next, g.start[:g.n])
	var out []pair
	var path []int32
	for i, oe := range c.orderArc {
		if oe < 0 {
			continue
		}
		for left[oe] > 0 {
			path = append(path[:0], oe)
			amount := left[oe]
			u := int(g.to[oe])
			for u != c.sink {
				e := next[u]
				for !g.fwd[e] || left[e] == 0 {
					e++
				}
				next[u] = e
				path = append(path, e)
				amount = min(amount, left[e])
				u = int(g.to[e])
			}
			for _, e := range path {
				left[e] -= amount
			}
			out = append(out, pair{order: i, lot: int(g.lot[path[len(path)-1]]), grams: amount})
		}
	}
	slices.SortFunc(out, func(a, b pair) int { return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.lot, b.lot)) })
	merged := out[:0]
	for _, p := range out {
		if n := len(merged); n > 0 && merged[n-1].order == p.order && merged[n-1].lot == p.lot {
			merged[n-1].grams += p.grams
		} else {
			merged = append(merged, p)
		}
	}
	return merged
}
