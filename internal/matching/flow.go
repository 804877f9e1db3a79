package matching

import "slices"

// network is a flow network solved for a minimum-cost circulation by the
// primal network simplex method. Every arc has lower bound 0 and capacity
// cap; its cost is set per stage (see solve).
//
// The basis is a spanning tree rooted at an extra node, root = n, joined
// to every node u by an artificial arc u → root (arc m+u, infinite
// capacity, cost 0). The root has no arc out of it, so no circulation can
// use an artificial arc: they only give the search a first tree. The tree
// is kept as parent pointers and a thread, the nodes in preorder linked in
// a ring through the root, which lists any subtree as a run; each node
// also knows the size of its subtree and the last node of that run, so
// that a pivot touches the cycle, the reversed stem and the potentials of
// the subtree that moves, and nothing else.
//
// Every basis is strongly feasible: each node can send some flow up its
// tree path to the root, so an empty tree arc points up, toward the root,
// and a full one down. The first tree is, its arcs all empty and pointing
// up, and the choice of leaving arc in pivot keeps it so; with that the
// method cannot cycle on degenerate pivots.
//
// While solve runs, the real arcs are stored in the order arrange
// chooses: the parallel arcs into the hub in groups, each sorted by cost
// and priced as one (see groups), the others in a mixed order (see mix),
// so that each block that pricing scans samples the whole network rather
// than one corner of it; solve puts them back in the order they were
// added before it returns.
type network struct {
	n int // real nodes; the root of the tree is node n
	m int // real arcs; arcs m to m+n-1 are artificial

	src, dst []int32
	cap      []int64
	cost     []int64
	flow     []int64
	state    []int8 // stateLower, stateUpper, or 0: in the tree or fixed

	parent, pred []int32 // the tree: a node's parent and the arc joining them
	up           []bool  // pred[u] runs from u to its parent
	thread, back []int32 // preorder successor and predecessor
	size         []int32 // nodes in the subtree of each node, itself included
	last         []int32 // the last node of each node's subtree in the thread
	pi           []int64 // potentials: every tree arc has reduced cost 0
	depth        []int32 // depth in the tree, filled in when solve returns

	next, block int // block search: where it resumes, how many arcs per block
	pivots      int // entering arcs taken, for benchmarks

	// Groups are priced beside the other arcs, blockG of them a block
	// from nextGroup on (see entering).
	nextGroup, blockG int

	afterPivot func() // when set, called after every pivot, for tests

	// warm asks solve to start from warmStart's tree toward hub.
	warm bool
	hub  int32

	order  []int32 // while solving: the arc added as order[k] is stored at k
	groups         // parallel arcs into the hub, while solving one stage
	stem   []int32 // scratch for tree updates
	runs   []int32
}

// Arc states. A non-tree arc rests at one of its bounds; the state is the
// sign by which its reduced cost must be multiplied to be negative when
// the arc improves the circulation. Tree arcs and fixed arcs (see solve)
// have state 0 and are never priced.
const (
	stateLower int8 = 1
	stateUpper int8 = -1
)

// unbounded is the capacity of an arc without a limit of its own. It
// exceeds any flow: grams are at most MaxGrams per item and there are at
// most MaxItems items, and it leaves room for cap − flow without overflow.
const unbounded = 2 * MaxGrams * MaxItems

func (g *network) addNode() int32 {
	g.n++
	return int32(g.n - 1)
}

// reserve makes room for n nodes and m real arcs in all, so that the arc
// arrays are allocated once.
func (g *network) reserve(n, m int) {
	g.src = slices.Grow(g.src, m+n-len(g.src))
	g.dst = slices.Grow(g.dst, m+n-len(g.dst))
	g.cap = slices.Grow(g.cap, m+n-len(g.cap))
}

// addArc adds the arc u → v with capacity cap and returns its index.
func (g *network) addArc(u, v int32, cap int64) int32 {
	g.src = append(g.src, u)
	g.dst = append(g.dst, v)
	g.cap = append(g.cap, cap)
	g.m++
	return int32(g.m - 1)
}

// init lays out the artificial arcs and the first tree: every node a child
// of the root, every real arc empty at its lower bound.
func (g *network) init() {
	n, m := g.n, g.m
	root := int32(n)
	for u := range n {
		g.src = append(g.src, int32(u))
		g.dst = append(g.dst, root)
		g.cap = append(g.cap, unbounded)
	}
	g.flow = make([]int64, m+n)
	g.state = make([]int8, m+n)
	for e := range m {
		g.state[e] = stateLower
	}
	g.parent, g.pred = make([]int32, n+1), make([]int32, n+1)
	g.up, g.depth = make([]bool, n+1), make([]int32, n+1)
	g.thread, g.back = make([]int32, n+1), make([]int32, n+1)
	g.size, g.last = make([]int32, n+1), make([]int32, n+1)
	g.pi = make([]int64, n+1)
	for u := range n {
		g.parent[u], g.pred[u], g.up[u] = root, int32(m+u), true
		g.thread[u], g.back[u] = int32(u+1), int32(u-1)
		g.size[u], g.last[u] = 1, int32(u)
	}
	g.parent[root], g.pred[root] = -1, -1
	g.thread[root], g.back[root] = 0, root-1
	g.size[root], g.last[root] = int32(n+1), root-1
	if n > 0 {
		g.back[0] = root
	} else {
		g.thread[root], g.back[root], g.last[root] = root, root, root
	}
	g.next = 0
}

// blockSize sets blocks of about the square root of the candidates
// priced, the usual choice: on clearing networks smaller blocks save
// little at 10^5 lots and cost many more pivots at 10^6.
func (g *network) blockSize() {
	c := g.candidates()
	g.block = 10
	for g.block*g.block < c {
		g.block++
	}
	s := g.groups.singles
	g.blockG = 1
	if g.m > 0 {
		g.blockG = max(1, int(2*int64(g.block)*int64(g.m-s)/int64(g.m)))
	}
	g.nextGroup = 0
}

// candidates is the number of entries pricing scans: the arcs outside
// groups and one per group.
func (g *network) candidates() int {
	return g.groups.singles + len(g.groups.start) - 1
}

// unmix puts the arcs back in the order they were added, with their flows,
// states and costs, and renumbers the tree arcs to match.
func (g *network) unmix() {
	order := g.order
	if order == nil {
		return
	}
	m := len(order)
	i32 := make([]int32, m)
	permute32 := func(a []int32) {
		for k, e := range order {
			i32[e] = a[k]
		}
		copy(a, i32)
	}
	permute32(g.src)
	permute32(g.dst)
	i64 := make([]int64, m)
	permute64 := func(a []int64) {
		for k, e := range order {
			i64[e] = a[k]
		}
		copy(a, i64)
	}
	permute64(g.cap)
	permute64(g.cost)
	permute64(g.flow)
	st := make([]int8, m)
	for k, e := range order {
		st[e] = g.state[k]
	}
	copy(g.state, st)
	for u, e := range g.pred[:g.n] {
		if int(e) < m {
			g.pred[u] = order[e]
		}
	}
	g.order = nil
}

// depths fills in every node's depth, in preorder so that a parent comes
// before its children.
func (g *network) depths() {
	root := int32(g.n)
	g.depth[root] = 0
	for u := g.thread[root]; u != root; u = g.thread[u] {
		g.depth[u] = g.depth[g.parent[u]] + 1
	}
}

// solve finds a circulation of least cost under each of the cost vectors
// of stages in turn: stage k's costs (m entries) are minimised among the
// circulations of least cost under stages 0 to k−1. That is a
// lexicographic objective split in parts that each fit an int64. Each
// stage starts from the optimal tree of the one before: with its
// potentials, the circulations optimal for the earlier stages are exactly
// those that keep every arc of non-zero reduced cost at its bound, so
// those arcs are fixed there and the rest, the tree among them, is
// searched again under the next costs.
//
// A stage's costs must be such that the cost of every simple cycle fits
// an int64 and compares as its objective should: the comparisons are only
// ever between such cycle costs (a reduced cost is the cost of the cycle
// the arc closes with the tree), while potentials may wrap around.
func (g *network) solve(stages ...[]int64) {
	g.init()
	var first []int64
	if len(stages) > 0 {
		first = stages[0]
	}
	// Groups hold only while every arc may move, so not with stages after
	// the first, which fix arcs at their bounds.
	g.arrange(first, g.warm && len(stages) == 1)
	g.blockSize()
	g.cost = make([]int64, g.m+g.n)
	for k, c := range stages {
		if k > 0 {
			for e := range g.m {
				if g.state[e] != 0 && g.reducedCost(int32(e)) != 0 {
					g.state[e] = 0
				}
			}
		}
		if g.order == nil {
			copy(g.cost, c)
		} else {
			for k, e := range g.order {
				g.cost[k] = c[e]
			}
		}
		if k == 0 && g.warm {
			g.warmStart(g.hub)
		}
		if k == 0 {
			g.initGroups()
		}
		g.potentials()
		for {
			in := g.entering()
			if in < 0 {
				break
			}
			g.pivot(in)
			g.pivots++
			if g.afterPivot != nil {
				g.afterPivot()
			}
		}
	}
	g.unmix()
	g.depths()
}

func (g *network) reducedCost(e int32) int64 {
	return g.cost[e] + g.pi[g.src[e]] - g.pi[g.dst[e]]
}

// potentials recomputes every potential from the tree, in preorder so that
// a node's parent comes first.
func (g *network) potentials() {
	root := int32(g.n)
	g.pi[root] = 0
	for u := g.thread[root]; u != root; u = g.thread[u] {
		g.setPotential(u)
	}
}

// setPotential gives u the potential that makes its tree arc's reduced
// cost 0, from its parent's.
func (g *network) setPotential(u int32) {
	p, e := g.parent[u], g.pred[u]
	if g.up[u] {
		g.pi[u] = g.pi[p] - g.cost[e]
	} else {
		g.pi[u] = g.pi[p] + g.cost[e]
	}
}

// entering is block search pricing: it scans the arcs outside groups
// cyclically from where the last search stopped, block arcs at a time,
// and beside each such block the next blockG groups, and returns the most
// violating arc of the first block that has one, or -1 when a whole round
// of both finds no arc violating its optimality condition. A group stands
// for all its arcs, so it is priced about as often as they would be
// together: blockG is twice the groups' share of the arcs times block,
// which on clearing networks needs the fewest pivots.
func (g *network) entering() int32 {
	s, ng := g.groups.singles, len(g.groups.at)
	best, bestV := int32(-1), int64(0)
	e, k := g.next, g.nextGroup
	for scanned, scannedG := 0, 0; (scanned < s || scannedG < ng) && best < 0; {
		if s > 0 {
			end := min(e+g.block, s)
			best, bestV = g.price(e, end, best, bestV)
			scanned += end - e
			if e = end; e == s {
				e = 0
			}
		}
		if ng > 0 {
			end := min(k+g.blockG, ng)
			best, bestV = g.priceGroups(k, end, best, bestV)
			scannedG += end - k
			if k = end; k == ng {
				k = 0
			}
		}
	}
	g.next, g.nextGroup = e, k
	return best
}

// price returns the arc of lo to hi−1 whose reduced cost, times its state,
// is least and below bestV, or best and bestV when there is none. Tree and
// fixed arcs have state 0 and so never qualify.
func (g *network) price(lo, hi int, best int32, bestV int64) (int32, int64) {
	cost := g.cost[lo:hi]
	src, dst, state := g.src[lo:hi], g.dst[lo:hi], g.state[lo:hi]
	src, dst, state = src[:len(cost)], dst[:len(cost)], state[:len(cost)]
	pi := g.pi
	for k, c := range cost {
		if v := int64(state[k]) * (c + pi[src[k]] - pi[dst[k]]); v < bestV {
			best, bestV = int32(lo+k), v
		}
	}
	return best, bestV
}

// pivot sends flow round the cycle that arc in closes with the tree, as
// much as the cycle allows, and, unless in itself is what blocks, swaps in
// for the blocking tree arc.
//
// When in is an arc of a group and only goes from one bound to the other,
// the next arc of its group closes the same cycle; if it violates its
// optimality condition too it is entered at once, and so on: the
// residuals of the cycle's tree path are found once for the whole run and
// its flows changed once, by the sum (see nextInGroup).
func (g *network) pivot(in int32) {
	parent, pred, up, flow, cap := g.parent, g.pred, g.up, g.flow, g.cap
	// Flow goes round the cycle first → second along in, then up the tree
	// from second to the join, then down from the join to first.
	first, second := g.src[in], g.dst[in]
	if g.state[in] == stateUpper {
		first, second = second, first
	}
	join := g.join(first, second)

	// The residuals of the two paths and where each is least. The leaving
	// arc is the last blocking arc met going round the cycle from the
	// join: ties on the path down to first go to the arc nearest first,
	// ties on the path up from second to the arc nearest the join. That
	// keeps the tree strongly feasible.
	const none = int64(1<<63 - 1)
	min1, out1 := none, int32(-1)
	for u := first; u != join; u = parent[u] {
		e := pred[u]
		d := flow[e]
		if !up[u] {
			d = cap[e] - d
		}
		if d < min1 {
			min1, out1 = d, u
		}
	}
	min2, out2 := none, int32(-1)
	for u := second; u != join; u = parent[u] {
		e := pred[u]
		d := flow[e]
		if up[u] {
			d = cap[e] - d
		}
		if d <= min2 {
			min2, out2 = d, u
		}
	}

	// Arcs that only change bound: in blocks when its capacity is at most
	// the first path's residual and below the second's.
	moved := int64(0)
	for c := cap[in]; c <= min1-moved && c < min2-moved; c = cap[in] {
		moved += c
		flow[in] += int64(g.state[in]) * c
		g.state[in] = -g.state[in]
		g.touch(in)
		next := g.nextInGroup(in)
		if next < 0 {
			g.push(first, second, join, moved)
			return
		}
		in = next
		g.pivots++
	}

	delta, side, out := cap[in], 0, int32(-1)
	if r := min1 - moved; r < delta {
		delta, side, out = r, 1, out1
	}
	if r := min2 - moved; r <= delta {
		delta, side, out = r, 2, out2
	}
	flow[in] += int64(g.state[in]) * delta
	g.push(first, second, join, moved+delta)

	e := pred[out]
	if flow[e] == 0 {
		g.state[e] = stateLower
	} else {
		g.state[e] = stateUpper
	}
	g.touch(e)
	g.state[in] = 0
	g.touch(in)
	if side == 1 {
		g.regraft(in, first, second, out, join)
	} else {
		g.regraft(in, second, first, out, join)
	}
}

// push sends delta round the tree part of a cycle: up from second to
// join, then down from join to first.
func (g *network) push(first, second, join int32, delta int64) {
	if delta == 0 {
		return
	}
	parent, pred, up, flow := g.parent, g.pred, g.up, g.flow
	for u := first; u != join; u = parent[u] {
		if e := pred[u]; up[u] {
			flow[e] -= delta
		} else {
			flow[e] += delta
		}
	}
	for u := second; u != join; u = parent[u] {
		if e := pred[u]; up[u] {
			flow[e] += delta
		} else {
			flow[e] -= delta
		}
	}
}

// join is the nearest common ancestor of u and v in the tree. Of two
// different nodes, the one with the smaller subtree cannot be an ancestor
// of the other, so it steps up.
func (g *network) join(u, v int32) int32 {
	size, parent := g.size, g.parent
	for u != v {
		if size[u] < size[v] {
			u = parent[u]
		} else {
			v = parent[v]
		}
	}
	return u
}

// regraft replaces the tree arc above out by arc in, which joins uIn, a
// node of out's subtree S, to vIn outside it; join is the nearest common
// ancestor of uIn and vIn. S is cut off and hung from vIn by uIn: the
// path from uIn up to out (the stem) is reversed.
//
// With stem nodes w0 = uIn, w1, …, wk = out, the new preorder of S is the
// old subtree of w0, then for each i ≥ 1 the old subtree of wi less that
// of wi−1, which is what hangs from wi once wi−1 is cut away. Each of
// those is at most two runs of the old thread, found from the ends of the
// subtrees, so only the ends of the runs are relinked, and S goes in right
// after vIn, as its first child. Subtree sizes change on the cycle: inside
// S along the stem, outside it on the paths from the two ends up to join.
// Potentials in S all move by the amount that gives in reduced cost 0,
// since every other tree arc in S stays; that walk over S is the only
// part of the update longer than the cycle.
func (g *network) regraft(in, uIn, vIn, out, join int32) {
	parent, thread, back, size, last, pi := g.parent, g.thread, g.back, g.size, g.last, g.pi

	stem := g.stem[:0]
	for u := uIn; ; u = parent[u] {
		stem = append(stem, u)
		if u == out {
			break
		}
	}
	g.stem = stem
	k := len(stem) - 1

	sigma := g.reducedCost(in)
	if g.src[in] == uIn {
		sigma = -sigma
	}
	n := size[out]
	vOut, oldLast := parent[out], last[out]
	before, after := back[out], thread[oldLast]

	// Sizes outside S: it leaves the ancestors of vOut below join and
	// joins those of vIn.
	for u := vOut; u != join; u = parent[u] {
		size[u] -= n
	}
	for u := vIn; u != join; u = parent[u] {
		size[u] += n
	}

	// The runs of S's new order, read off the old thread before it changes.
	runs := append(g.runs[:0], stem[0], last[stem[0]])
	for i := 1; i <= k; i++ {
		w, prev := stem[i], stem[i-1]
		runs = append(runs, w, back[prev])
		if last[w] != last[prev] {
			runs = append(runs, thread[last[prev]], last[w])
		}
	}
	g.runs = runs

	// Cut S out of the thread, then link its runs in after vIn.
	thread[before], back[after] = after, before
	p, rest := vIn, thread[vIn]
	for r := 0; r < len(runs); r += 2 {
		thread[p], back[runs[r]] = runs[r], p
		p = runs[r+1]
	}
	thread[p], back[rest] = rest, p
	end := p // the last node of S in its new order

	// Ends of subtrees outside S: the ancestors of out whose subtree ended
	// with S now end just before it; vIn, if it is now the end of its own
	// subtree and its ancestors', hands that on to S's last node.
	for u := vOut; u >= 0 && last[u] == oldLast; u = parent[u] {
		last[u] = before
	}
	for u := vIn; u >= 0 && last[u] == vIn; u = parent[u] {
		last[u] = end
	}

	// Inside S: every stem node's subtree now ends where S does, and wi's
	// holds S less the old subtree of wi−1.
	for i := k; i >= 1; i-- {
		size[stem[i]] = n - size[stem[i-1]]
		last[stem[i]] = end
	}
	size[stem[0]], last[stem[0]] = n, end

	// Reverse the stem: w0 hangs from vIn by in, wi+1 from wi by the arc
	// that was wi's.
	np, ne, nu := vIn, in, g.src[in] == uIn
	for _, w := range stem {
		oe, ou := g.pred[w], g.up[w]
		parent[w], g.pred[w], g.up[w] = np, ne, nu
		np, ne, nu = w, oe, !ou
	}

	// Only differences of potentials matter, so when S is the larger part
	// of the tree the rest moves the other way instead: the walk is never
	// longer than half the nodes. The rest is the run of the thread from
	// just after S round through the root to just before it.
	if total := int32(g.n + 1); n <= total/2 {
		for u, c := uIn, n; c > 0; c-- {
			pi[u] += sigma
			u = thread[u]
		}
	} else {
		for u, c := thread[end], total-n; c > 0; c-- {
			pi[u] -= sigma
			u = thread[u]
		}
	}
}
