// Package matching clears the alpaca-fibre market: it allocates the grams
// of lots to purchase orders. It is pure logic and imports the standard
// library only.
//
// A lot is eligible for an order when the order accepts its quality group,
// colour and breed (an empty list accepts every value), its mean fibre
// diameter meets the order's maximum (a lot with no measured diameter is
// eligible only for an order with no maximum), it has at least the order's
// minimum grams per lot available, its ask is no higher than the bid, and
// the order does not exclude it (Order.Excluded: a lot whose association
// declined a trade with the order is never allocated to it again)
// (Eligible). An order that excludes some lot of the book reaches the lots
// it accepts by arcs of its own in Clear, like an order whose minimum no
// other order shares.
//
// Clear solves the whole book exactly. It maximises the gains from trade
// Σ (bid − ask) × grams, a transportation problem whose optimum is integral
// in grams, as a minimum-cost circulation through one hub node: hub →
// orders → lots → hub. Lots are not joined to orders pair by pair but
// through one chain of nodes per quality group, colour and breed, ordered
// by diameter, so an order enters its chain once, at the coarsest diameter
// it accepts, and reaches every finer one; the graph has about as many
// arcs as lots plus orders × accepted cells instead of one arc per
// eligible pair. Orders that set MinLotGrams enter chains over only the
// lots large enough for them, one per cell and minimum that several orders
// share; an order whose minimum no other shares is joined to each lot it
// accepts. The circulation is found by the primal network simplex method:
// a spanning tree of the network with its potentials, block search for an
// entering arc over arcs stored in a mixed order, and strongly feasible
// trees so that degenerate pivots cannot cycle. The lots of one level are
// parallel arcs into the hub; each such bundle is kept sorted by cost,
// filled cheapest first, and priced as one entry, so that pricing a book
// of a million lots scans about as many entries as orders and levels, and
// a run of lots that fill without changing the tree costs one walk of
// their common cycle. The first tree hangs every
// node from its cheapest path to the hub, and every node knows the size
// and the end of its subtree, so that a pivot costs its cycle, its stem
// and the potentials of the smaller side of the tree. ReducedNetwork
// exposes the network, so that other solvers can be timed on it.
//
// Costs are compared lexicographically, so that among the allocations of
// greatest surplus the same book always clears the same way, whatever the
// order of its input:
//
//  1. greatest surplus Σ (bid − ask) × grams;
//  2. then most grams traded (trades at bid = ask count);
//  3. then older orders first: least Σ i × grams over orders ranked i = 0, 1, …
//     from the oldest;
//  4. then older lots first: least Σ j × grams over lots ranked j likewise.
//
// Only the arcs at the hub cost anything, and a simple cycle passes the hub
// at most once, so the cost of any cycle the method weighs is made of at
// most one bid or ask less another and two ranks: small enough that the
// four components pack into one int64 in mixed radix and compare exactly.
// For a book whose price spread × order ranks × lot ranks is too wide for
// that, the surplus is solved first and the tie-breaks after it, among the
// allocations of greatest surplus, starting from the first optimum.
//
// Age is Rank, then ID: the oldest order or lot has the smallest Rank, and
// among equal ranks the smallest ID. The split of each order's grams among
// its lots is then read off the flow oldest order first.
//
// The trade price of every allocation, in every mode, is TradePrice: the
// midpoint of bid and ask rounded half up to the minor unit.
//
// FirstComeFirstServed is the greedy baseline (each order in age order takes
// the cheapest eligible lots), and MatchOrder and MatchLot are continuous
// matching: a new order against resting lots, cheapest ask first, then age;
// a new lot against resting orders, highest bid first, then age.
//
// Prices are minor units (céntimos) per kilogram and quantities are grams, so
// a surplus Σ (bid − ask) × grams is in minor units × grams / 1000; it is
// kept exact in 128 bits (Surplus: a book within the limits stays below
// 2^92, while an int64 is passed by some thousand 100 t lots at the widest
// margin) and divided by 1000 only for display.
package matching
