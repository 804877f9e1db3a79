package matching

// Network is the flow network Clear solves for a book, after its
// reduction (see the package comment): a circulation through one hub node,
// every node with supply 0, every arc with lower bound 0. It is exported
// so that external solvers can be timed on the very graph the engine
// solves.
type Network struct {
	// Nodes is the number of nodes, numbered from 0; Hub is the hub's.
	Nodes, Hub int
	// From, To, Cap and Cost describe arc k: from node From[k] to node
	// To[k], carrying 0 to Cap[k] grams at Cost[k] per kilogram. Cost is
	// the price part of the engine's objective: −bid on the arc from the
	// hub to an order, the ask on the arc from a lot to the hub, 0
	// elsewhere, so the least cost of a circulation, in minor units ×
	// grams / 1000, is the book's greatest surplus negated. The engine
	// adds to these costs the tie-breaks of the package comment, which
	// choose among the circulations of least cost without changing it.
	From, To []int32
	Cap      []int64
	Cost     []int64
}

// ReducedNetwork is the network Clear builds for b, or an error wrapping
// ErrInvalidBook when Clear would refuse the book.
func ReducedNetwork(b Book) (Network, error) {
	if err := validate(b); err != nil {
		return Network{}, err
	}
	orders, lots := sortedOrders(b.Orders), sortedLots(b.Lots)
	c := newClearing(orders, lots)
	g := &c.net
	nw := Network{
		Nodes: g.n,
		Hub:   int(c.hub),
		From:  g.src[:g.m:g.m],
		To:    g.dst[:g.m:g.m],
		Cap:   g.cap[:g.m:g.m],
		Cost:  make([]int64, g.m),
	}
	for k, e := range c.orderArcs {
		nw.Cost[e] = -c.orders[c.orderOf[k]].Bid
	}
	for k, e := range c.lotArcs {
		nw.Cost[e] = c.lots[c.lotOf[k]].Ask
	}
	return nw, nil
}
