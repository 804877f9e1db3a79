package matching

import (
	"cmp"
	"maps"
	"math"
	"math/bits"
	"slices"
	"sort"
	"time"
)

// Clear allocates the book's lots to its orders so that the gains from
// trade Σ (bid − ask) × grams are greatest, exactly, breaking ties as the
// package comment describes. A lot's MinLotGrams eligibility is judged on
// its grams in the book. Clear returns an error wrapping ErrInvalidBook for
// a book it refuses; the surplus of any book it accepts is exact (see
// Surplus). The input is not modified.
func Clear(b Book) (Result, error) {
	return clearBook(b, false, nil)
}

// Times divides the time of one clearing in three: Network, validating
// the book and building its reduced network with the engine's costs;
// Solve, the network simplex on that network, the part that another
// solver given the network ReducedNetwork returns would do; Read, reading
// the allocations off the flow and pricing them.
type Times struct {
	Network, Solve, Read time.Duration
}

// ClearTimed is Clear, also reporting how its time divides, so that the
// solve can be compared with another solver's on the same network.
func ClearTimed(b Book) (Result, Times, error) {
	var t Times
	r, err := clearBook(b, false, &t)
	return r, t, err
}

// clearBook is Clear; split solves the price and the tie-breaks as two
// stages even when one would do (see stages). When times is not nil it
// receives the time of each part.
func clearBook(b Book, split bool, times *Times) (Result, error) {
	var start time.Time
	if times != nil {
		start = time.Now()
	}
	if err := validate(b); err != nil {
		return Result{}, err
	}
	orders, lots := sortedOrders(b.Orders), sortedLots(b.Lots)
	c := newClearing(orders, lots)
	stages := c.stages(split)
	var solved time.Time
	if times != nil {
		solved = time.Now()
		times.Network = solved.Sub(start)
	}
	c.net.solve(stages...)
	if times == nil {
		return result(orders, lots, c.pairs())
	}
	read := time.Now()
	times.Solve = read.Sub(solved)
	r, err := result(orders, lots, c.pairs())
	times.Read = time.Since(read)
	return r, err
}

// clearing is the flow network of a book, a circulation through one hub
// node: hub → orders → cell chains (→ lot nodes) → hub.
//
// A cell holds the lots of one quality group, colour and breed; its levels
// are their distinct diameters, finest first, and the unmeasured last. Each
// level is a node with an arc down to the level below, so an order that
// accepts the cell enters once, at the coarsest level its MaxMFD allows,
// and reaches every lot at or below it. A lot is an arc from its level to
// the hub with capacity its grams. An order that sets MinLotGrams enters
// instead a chain over only the cell's lots large enough for it, shared by
// the orders whose minimum selects the same lots, or, when no other order
// shares it, reaches the lots it accepts by direct arcs (see sizedChains);
// lots then become nodes of their own, which several chains lead to. Only
// the arcs into and out of the hub cost anything: an order's arc carries
// its bid and age, a lot's its ask and age (see stages).
type clearing struct {
	net    network
	hub    int32
	orders []Order
	lots   []Lot
	// The arcs from the hub, one per order that can trade, and the arcs
	// into it, one per lot that can: which order or lot each serves.
	orderArcs, lotArcs []int32
	orderOf, lotOf     []int32
}

type cellKey struct{ group, colour, breed string }

type cell struct {
	key    cellKey
	levels []level // finest first
	grams  []int64 // the distinct grams of its lots, least first, when some order sets MinLotGrams
}

type level struct {
	mfd    *float64
	lots   []int // indices into lots, oldest first
	node   int32
	minAsk int64 // the least ask at this level or any finer one
}

func newClearing(orders []Order, lots []Lot) *clearing {
	c := &clearing{orders: orders, lots: lots}
	g := &c.net
	c.hub = g.addNode()
	g.warm, g.hub = true, c.hub

	var maxBid int64 = -1
	sizes := false
	for _, o := range orders {
		if o.Grams > 0 {
			maxBid = max(maxBid, o.Bid)
			sizes = sizes || o.MinLotGrams > 0
		}
	}
	cells := makeCells(lots, maxBid)
	for _, ce := range cells {
		for k := range ce.levels {
			ce.levels[k].node = g.addNode()
		}
	}
	// An order that excludes some lot of the book reaches each lot it
	// accepts by a direct arc, leaving out the lots it excludes, rather
	// than through the chains, which lead to every lot of a cell.
	excluded := excludedLots(orders, lots)
	var sized map[sizedKey][]level
	lotNodes := len(excluded) > 0
	if sizes {
		var some bool
		sized, some = sizedChains(orders, lots, cells, g, excluded)
		lotNodes = lotNodes || some
	}
	lotNode := make([]int32, len(lots))
	if lotNodes {
		for _, ce := range cells {
			for _, lv := range ce.levels {
				for _, j := range lv.lots {
					lotNode[j] = g.addNode()
				}
			}
		}
	}

	// An order gets a node, and an arc from the hub, only when it reaches
	// some lot: reach[ends[k-1]:ends[k]] is what order traders[k] reaches.
	var reach []int32
	var traders, ends []int
	for i, o := range orders {
		if o.Grams == 0 {
			continue
		}
		n := len(reach)
		for ci, ce := range cells {
			top := entry(o, ce, ce.levels)
			if top < 0 {
				continue
			}
			if skip := excluded[i]; skip != nil {
				for k := top; k >= 0; k-- {
					for _, j := range ce.levels[k].lots {
						if lots[j].Ask <= o.Bid && lots[j].Grams >= o.MinLotGrams && !skip[j] {
							reach = append(reach, lotNode[j])
						}
					}
				}
				continue
			}
			if o.MinLotGrams == 0 {
				reach = append(reach, ce.levels[top].node)
				continue
			}
			key, some := sizedFor(cells, ci, o.MinLotGrams)
			if !some {
				continue // no lot of the cell is large enough
			}
			if chain, ok := sized[key]; ok {
				if top := entry(o, ce, chain); top >= 0 {
					reach = append(reach, chain[top].node)
				}
				continue
			}
			for k := top; k >= 0; k-- {
				for _, j := range ce.levels[k].lots {
					if lots[j].Ask <= o.Bid && lots[j].Grams >= o.MinLotGrams {
						reach = append(reach, lotNode[j])
					}
				}
			}
		}
		if len(reach) > n {
			traders, ends = append(traders, i), append(ends, len(reach))
		}
	}

	// Count the arcs so that the network is allocated once.
	sizedKeys := slices.SortedFunc(maps.Keys(sized), compareSized)
	own := func(key sizedKey) bool { return sized[key][0].node == cells[key.cell].levels[0].node }
	arcs := len(traders) + len(reach)
	perLot := 1
	if lotNodes {
		perLot = 2
	}
	for _, ce := range cells {
		arcs += len(ce.levels) - 1
		for _, lv := range ce.levels {
			arcs += perLot * len(lv.lots)
		}
	}
	for _, key := range sizedKeys {
		if !own(key) {
			arcs += len(sized[key]) - 1
			for _, lv := range sized[key] {
				arcs += len(lv.lots)
			}
		}
	}
	g.reserve(g.n+len(traders), arcs)
	c.orderArcs, c.orderOf = make([]int32, 0, len(traders)), make([]int32, 0, len(traders))
	c.lotArcs, c.lotOf = make([]int32, 0, len(lots)), make([]int32, 0, len(lots))

	for k, i := range traders {
		u := g.addNode()
		c.orderArcs = append(c.orderArcs, g.addArc(c.hub, u, orders[i].Grams))
		c.orderOf = append(c.orderOf, int32(i))
		start := 0
		if k > 0 {
			start = ends[k-1]
		}
		for _, v := range reach[start:ends[k]] {
			g.addArc(u, v, unbounded)
		}
	}
	for _, ce := range cells {
		for k := len(ce.levels) - 1; k >= 0; k-- {
			lv := ce.levels[k]
			for _, j := range lv.lots {
				from := lv.node
				if lotNodes {
					g.addArc(from, lotNode[j], unbounded)
					from = lotNode[j]
				}
				c.lotArcs = append(c.lotArcs, g.addArc(from, c.hub, lots[j].Grams))
				c.lotOf = append(c.lotOf, int32(j))
			}
			if k > 0 {
				g.addArc(lv.node, ce.levels[k-1].node, unbounded)
			}
		}
	}
	for _, key := range sizedKeys {
		if own(key) {
			continue
		}
		chain := sized[key]
		for k := len(chain) - 1; k >= 0; k-- {
			for _, j := range chain[k].lots {
				g.addArc(chain[k].node, lotNode[j], unbounded)
			}
			if k > 0 {
				g.addArc(chain[k].node, chain[k-1].node, unbounded)
			}
		}
	}
	return c
}

// excludedLots returns, for each order (by index) that has grams to buy
// and excludes some lot of the book, the set of those lots' indices;
// nil when no order does.
func excludedLots(orders []Order, lots []Lot) map[int]map[int]bool {
	var byID map[string]int
	var out map[int]map[int]bool
	for i, o := range orders {
		if o.Grams == 0 || len(o.Excluded) == 0 {
			continue
		}
		if byID == nil {
			byID = make(map[string]int, len(lots))
			for j, l := range lots {
				byID[l.ID] = j
			}
		}
		for _, id := range o.Excluded {
			j, ok := byID[id]
			if !ok {
				continue
			}
			if out == nil {
				out = map[int]map[int]bool{}
			}
			if out[i] == nil {
				out[i] = map[int]bool{}
			}
			out[i][j] = true
		}
	}
	return out
}

// entry is the coarsest level of chain (levels of cell ce) that order o
// accepts, or -1 when o accepts none of the cell's lots or every lot it
// does accept asks more than its bid.
func entry(o Order, ce *cell, chain []level) int {
	if !acceptsAll(o.Groups, ce.key.group) || !acceptsAll(o.Colours, ce.key.colour) || !acceptsAll(o.Breeds, ce.key.breed) {
		return -1
	}
	top := entryLevel(chain, o.MaxMFD)
	if top < 0 || chain[top].minAsk > o.Bid {
		return -1
	}
	return top
}

// sizedKey names the lots of one cell that have at least min grams. min
// is the grams of one of the cell's lots, the least at or above an order's
// MinLotGrams, so that all the minimums that select the same lots share
// one key.
type sizedKey struct {
	cell int
	min  int64
}

func compareSized(a, b sizedKey) int {
	return cmp.Or(cmp.Compare(a.cell, b.cell), cmp.Compare(a.min, b.min))
}

// sizedFor is the key of the lots of cell ci with at least min grams, and
// false when there are none.
func sizedFor(cells []*cell, ci int, min int64) (sizedKey, bool) {
	gs := cells[ci].grams
	k, _ := slices.BinarySearch(gs, min)
	if k == len(gs) {
		return sizedKey{}, false
	}
	return sizedKey{ci, gs[k]}, true
}

// sizedChains gives the orders that set MinLotGrams chains of their own.
// For a cell and a minimum, the chain is like the cell's but over only its
// lots of at least that many grams, and its levels lead to the lot nodes;
// when every lot of the cell is large enough, it is the cell's own chain.
// The orders that share a minimum and accept the cell enter its chain once
// each instead of taking an arc to every lot they accept; an order whose
// cell and minimum no other order shares keeps its arcs, which are fewer,
// and so does an order that excludes some lot (excluded, by order index).
// The new levels get their nodes here and their arcs later. lotNodes
// reports whether lots need nodes of their own: when some order keeps its
// arcs or some chain is not a cell's own.
func sizedChains(orders []Order, lots []Lot, cells []*cell, g *network, excluded map[int]map[int]bool) (sized map[sizedKey][]level, lotNodes bool) {
	for _, ce := range cells {
		for _, lv := range ce.levels {
			for _, j := range lv.lots {
				ce.grams = append(ce.grams, lots[j].Grams)
			}
		}
		slices.Sort(ce.grams)
		ce.grams = slices.Compact(ce.grams)
	}
	demand := map[sizedKey]int{}
	for i, o := range orders {
		if o.Grams == 0 || o.MinLotGrams == 0 || excluded[i] != nil {
			continue
		}
		for ci, ce := range cells {
			if entry(o, ce, ce.levels) < 0 {
				continue
			}
			if key, ok := sizedFor(cells, ci, o.MinLotGrams); ok {
				demand[key]++
			}
		}
	}
	sized = map[sizedKey][]level{}
	for _, key := range slices.SortedFunc(maps.Keys(demand), compareSized) {
		all := cells[key.cell].levels
		if key.min == cells[key.cell].grams[0] {
			sized[key] = all
			continue
		}
		if demand[key] < 2 {
			lotNodes = true
			continue
		}
		var chain []level
		for _, lv := range all {
			var keep []int
			for _, j := range lv.lots {
				if lots[j].Grams >= key.min {
					keep = append(keep, j)
				}
			}
			if len(keep) == 0 {
				continue
			}
			nl := level{mfd: lv.mfd, lots: keep, node: g.addNode(), minAsk: lots[keep[0]].Ask}
			for _, j := range keep {
				nl.minAsk = min(nl.minAsk, lots[j].Ask)
			}
			if n := len(chain); n > 0 {
				nl.minAsk = min(nl.minAsk, chain[n-1].minAsk)
			}
			chain = append(chain, nl)
		}
		sized[key] = chain
		lotNodes = true
	}
	return sized, lotNodes
}

// stages are the arc costs of the lexicographic objective of the package
// comment, in as few int64 cost vectors as fit (see network.solve).
//
// The order arc of order i costs (−bid, −1, i, 0) and the arc of lot j
// (ask, 0, 0, j), compared component by component. Every simple cycle
// passes the hub at most once, so it holds at most two of these arcs, one
// in and one out of the hub, and its cost is a difference of two bids, of
// two asks, or an ask less a bid: the first component lies within the
// spread of prices, the second in [−1, 1], the third and fourth within the
// spread of order and lot ranks. Packed in mixed radix, each lower
// component within half its radix, the sum compares exactly as the vector
// does, and sums of packed costs are packed sums. When prices × ranks are
// too wide for one int64 (far beyond any real book), the price is a stage
// of its own and the rest a second.
//
// split asks for two stages whatever the book.
func (c *clearing) stages(split bool) [][]int64 {
	if len(c.orderArcs) == 0 || len(c.lotArcs) == 0 {
		return nil
	}
	// Spreads of the prices and ranks that occur on costed arcs.
	loP, hiP := int64(MaxPrice), int64(0)
	loI, hiI := int64(len(c.orders)), int64(-1)
	loJ, hiJ := int64(len(c.lots)), int64(-1)
	for _, i := range c.orderOf {
		p := c.orders[i].Bid
		loP, hiP = min(loP, p), max(hiP, p)
		loI, hiI = min(loI, int64(i)), max(hiI, int64(i))
	}
	for _, j := range c.lotOf {
		p := c.lots[j].Ask
		loP, hiP = min(loP, p), max(hiP, p)
		loJ, hiJ = min(loJ, int64(j)), max(hiJ, int64(j))
	}
	// Radixes: a cycle's lot-rank part is below hiJ−loJ+1 in magnitude, its
	// order-rank part below hiI−loI+1, its grams part at most 1.
	wc := 2 * (hiJ - loJ + 1)
	wb := wc * 2 * (hiI - loI + 1)
	wa := 4 * wb
	spread := hiP - loP
	hi, lo := bits.Mul64(uint64(2*spread+1), uint64(wb))
	one := !split && hi == 0 && lo <= 1<<62 // |cycle cost| < spread·wa + wa/2 ≤ 2^63

	g := &c.net
	price := make([]int64, g.m)
	for k, e := range c.orderArcs {
		price[e] = -(c.orders[c.orderOf[k]].Bid - loP)
	}
	for k, e := range c.lotArcs {
		price[e] = c.lots[c.lotOf[k]].Ask - loP
	}
	ties := make([]int64, g.m)
	for k, e := range c.orderArcs {
		ties[e] = -wb + (int64(c.orderOf[k])-loI)*wc
	}
	for k, e := range c.lotArcs {
		ties[e] = int64(c.lotOf[k]) - loJ
	}
	if !one {
		return [][]int64{price, ties}
	}
	for e := range price {
		price[e] = price[e]*wa + ties[e]
	}
	return [][]int64{price}
}

// makeCells groups the lots that can trade (grams > 0, ask ≤ the highest
// bid) by group, colour and breed, and each cell's lots by diameter.
func makeCells(lots []Lot, maxBid int64) []*cell {
	// Each tradable lot's cell, numbered in order of first appearance.
	byKey := map[cellKey]int{}
	var cells []*cell
	in := make([]int32, len(lots))
	var count []int
	for j, l := range lots {
		in[j] = -1
		if l.Grams == 0 || l.Ask > maxBid {
			continue
		}
		k := cellKey{l.Group, l.Colour, l.Breed}
		c, ok := byKey[k]
		if !ok {
			c = len(cells)
			byKey[k] = c
			cells = append(cells, &cell{key: k})
			count = append(count, 0)
		}
		in[j] = int32(c)
		count[c]++
	}
	// All cells' lots in one array, each cell's a run of it, oldest first.
	start := make([]int, len(cells)+1)
	for c, n := range count {
		start[c+1] = start[c] + n
	}
	all := make([]int, start[len(cells)])
	fill := slices.Clone(start[:len(cells)])
	for j, c := range in {
		if c >= 0 {
			all[fill[c]] = j
			fill[c]++
		}
	}
	var scratch mfdScratch
	for c, ce := range cells {
		// Finest first (unmeasured last), stable so that lots stay oldest
		// first, then one level per diameter.
		run := all[start[c]:start[c+1]:start[c+1]]
		sortByMFD(run, lots, &scratch)
		for len(run) > 0 {
			n := 1
			for n < len(run) && compareMFD(lots[run[0]].MFD, lots[run[n]].MFD) == 0 {
				n++
			}
			lv := level{mfd: lots[run[0]].MFD, lots: run[:n:n], minAsk: lots[run[0]].Ask}
			for _, j := range lv.lots {
				lv.minAsk = min(lv.minAsk, lots[j].Ask)
			}
			if k := len(ce.levels); k > 0 {
				lv.minAsk = min(lv.minAsk, ce.levels[k-1].minAsk)
			}
			ce.levels = append(ce.levels, lv)
			run = run[n:]
		}
	}
	slices.SortFunc(cells, func(a, b *cell) int {
		return cmp.Or(cmp.Compare(a.key.group, b.key.group), cmp.Compare(a.key.colour, b.key.colour), cmp.Compare(a.key.breed, b.key.breed))
	})
	return cells
}

// sortByMFD sorts lot indices, given in index order, finest first, the
// unmeasured last, keeping equal diameters in index order. It ranks the
// distinct diameters by sorting plain integer keys, which are few, and
// then places the lots by a counting sort on those ranks, which on a book
// of a million lots is several times faster than sorting the lots: the
// bits of a finite non-negative float64 (validate refuses any other
// diameter) order as the numbers do, and every such pattern is below the
// unmeasured lots' key.
func sortByMFD(run []int, lots []Lot, sc *mfdScratch) {
	keys := sc.keys[:0]
	for _, j := range run {
		key := uint64(math.MaxUint64)
		if d := lots[j].MFD; d != nil && *d != 0 {
			key = math.Float64bits(*d)
		} else if d != nil {
			key = 0 // −0 and +0 are one diameter
		}
		keys = append(keys, key)
	}
	values := append(sc.values[:0], keys...)
	slices.Sort(values)
	values = slices.Compact(values)
	sc.keys, sc.values = keys, values
	if len(values) < 2 {
		return
	}
	ranks := sc.ranks[:0]
	starts := append(sc.starts[:0], make([]int, len(values)+1)...)
	for _, key := range keys {
		r, _ := slices.BinarySearch(values, key)
		ranks = append(ranks, int32(r))
		starts[r+1]++
	}
	for r := range values {
		starts[r+1] += starts[r]
	}
	sorted := append(sc.sorted[:0], run...)
	for k, j := range sorted {
		r := ranks[k]
		run[starts[r]] = j
		starts[r]++
	}
	sc.ranks, sc.starts, sc.sorted = ranks, starts, sorted
}

// mfdScratch is the scratch space of sortByMFD, reused from cell to cell.
type mfdScratch struct {
	keys, values []uint64
	ranks        []int32
	starts       []int
	sorted       []int
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
// follows its flow round to the hub, taking at every node the arcs in the
// order they were added (a level's lots oldest first, then the level
// below), and peels off one path at a time.
func (c *clearing) pairs() []pair {
	g := &c.net
	// The real arcs out of each node in the order they were added, and the
	// flow on each not yet read off.
	start := make([]int32, g.n+1)
	for _, u := range g.src[:g.m] {
		start[u+1]++
	}
	for u := range g.n {
		start[u+1] += start[u]
	}
	out := make([]int32, g.m)
	fill := slices.Clone(start[:g.n])
	for e, u := range g.src[:g.m] {
		out[fill[u]] = int32(e)
		fill[u]++
	}
	left := slices.Clone(g.flow[:g.m])
	lotAt := make([]int32, g.m)
	for e := range lotAt {
		lotAt[e] = -1
	}
	for k, e := range c.lotArcs {
		lotAt[e] = c.lotOf[k]
	}
	next := start[:g.n] // per node, the first arc that may still carry flow

	// An optimum at a vertex splits few orders or lots, so there are about
	// as many allocations as orders and lots that trade.
	ps := make([]pair, 0, len(c.orderArcs)+len(c.lotArcs))
	var path []int32
	for k, oe := range c.orderArcs {
		for left[oe] > 0 {
			path = append(path[:0], oe)
			amount := left[oe]
			u := g.dst[oe]
			for u != c.hub {
				i := next[u]
				for left[out[i]] == 0 {
					i++
				}
				next[u] = i
				e := out[i]
				path = append(path, e)
				amount = min(amount, left[e])
				u = g.dst[e]
			}
			for _, e := range path {
				left[e] -= amount
			}
			ps = append(ps, pair{order: int(c.orderOf[k]), lot: int(lotAt[path[len(path)-1]]), grams: amount})
		}
	}
	slices.SortFunc(ps, func(a, b pair) int { return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.lot, b.lot)) })
	merged := ps[:0]
	for _, p := range ps {
		if n := len(merged); n > 0 && merged[n-1].order == p.order && merged[n-1].lot == p.lot {
			merged[n-1].grams += p.grams
		} else {
			merged = append(merged, p)
		}
	}
	return merged
}
