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
// is kept as parent pointers, depths and a thread, the nodes in preorder
// linked in a ring through the root, which lists any subtree as a run.
//
// Every basis is strongly feasible: each node can send some flow up its
// tree path to the root, so an empty tree arc points up, toward the root,
// and a full one down. The first tree is, its arcs all empty and pointing
// up, and the choice of leaving arc in pivot keeps it so; with that the
// method cannot cycle on degenerate pivots.
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
	depth        []int32
	thread, back []int32 // preorder successor and predecessor
	pi           []int64 // potentials: every tree arc has reduced cost 0

	next, block int // block search: where it resumes, how many arcs per block

	// Scratch for tree updates.
	stem, last, runs []int32
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
	g.pi = make([]int64, n+1)
	g.last = make([]int32, n+1)
	for u := range n {
		g.parent[u], g.pred[u], g.up[u], g.depth[u] = root, int32(m+u), true, 1
		g.thread[u], g.back[u] = int32(u+1), int32(u-1)
	}
	g.parent[root], g.pred[root] = -1, -1
	g.thread[root], g.back[root] = 0, root-1
	if n > 0 {
		g.back[0] = root
	} else {
		g.thread[root], g.back[root] = root, root
	}
	g.block = 10
	for g.block*g.block < m {
		g.block++
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
	g.cost = make([]int64, g.m+g.n)
	for k, c := range stages {
		if k > 0 {
			for e := range g.m {
				if g.state[e] != 0 && g.reducedCost(int32(e)) != 0 {
					g.state[e] = 0
				}
			}
		}
		copy(g.cost, c)
		g.potentials()
		for {
			in := g.entering()
			if in < 0 {
				break
			}
			g.pivot(in)
		}
	}
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

// entering is block search pricing: it scans the real arcs cyclically from
// where the last search stopped, block arcs at a time, and returns the
// most violating arc of the first block that has one, or -1 when a whole
// round finds no arc violating its optimality condition.
func (g *network) entering() int32 {
	m := g.m
	best, bestV := int32(-1), int64(0)
	e := g.next
	for scanned := 0; scanned < m && best < 0; {
		end := min(e+g.block, m)
		best, bestV = g.price(e, end, best, bestV)
		scanned += end - e
		if e = end; e == m {
			e = 0
		}
	}
	g.next = e
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
func (g *network) pivot(in int32) {
	parent, pred, up, flow, cap := g.parent, g.pred, g.up, g.flow, g.cap
	// Flow goes round the cycle first → second along in, then up the tree
	// from second to the join, then down from the join to first.
	first, second := g.src[in], g.dst[in]
	if g.state[in] == stateUpper {
		first, second = second, first
	}
	join := g.join(first, second)

	// The leaving arc is the last blocking arc met going round the cycle
	// from the join: ties on the path down to first go to the arc nearest
	// first, ties on the path up from second to the arc nearest the join.
	// That keeps the tree strongly feasible.
	delta := cap[in]
	side, out := 0, int32(-1)
	for u := first; u != join; u = parent[u] {
		e := pred[u]
		d := flow[e]
		if !up[u] {
			d = cap[e] - d
		}
		if d < delta {
			delta, side, out = d, 1, u
		}
	}
	for u := second; u != join; u = parent[u] {
		e := pred[u]
		d := flow[e]
		if up[u] {
			d = cap[e] - d
		}
		if d <= delta {
			delta, side, out = d, 2, u
		}
	}

	if delta > 0 {
		flow[in] += int64(g.state[in]) * delta
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

	if side == 0 {
		g.state[in] = -g.state[in] // in went from one bound to the other
		return
	}
	e := pred[out]
	if flow[e] == 0 {
		g.state[e] = stateLower
	} else {
		g.state[e] = stateUpper
	}
	g.state[in] = 0
	if side == 1 {
		g.regraft(in, first, second, out)
	} else {
		g.regraft(in, second, first, out)
	}
}

// join is the nearest common ancestor of u and v in the tree.
func (g *network) join(u, v int32) int32 {
	depth, parent := g.depth, g.parent
	for depth[u] > depth[v] {
		u = parent[u]
	}
	for depth[v] > depth[u] {
		v = parent[v]
	}
	for u != v {
		u, v = parent[u], parent[v]
	}
	return u
}

// regraft replaces the tree arc above out by arc in, which joins uIn, a
// node of out's subtree, to vIn outside it. The subtree is cut off and
// hung from vIn by uIn: the path from uIn up to out (the stem) is
// reversed.
//
// With stem nodes w0 = uIn, w1, …, wk = out, the new preorder of the
// subtree is the old subtree of w0, then for each i ≥ 1 the old subtree of
// wi less that of wi−1, which is what hangs from wi once wi−1 is cut away.
// Each of those is at most two runs of the old thread, so only the ends of
// the runs are relinked; one walk over the subtree finds them and moves
// every node's depth and potential. Potentials all move by the same
// amount, the one that gives in reduced cost 0, since every other tree arc
// in the subtree stays; depths move by the same amount within the part
// that hangs from one stem node.
func (g *network) regraft(in, uIn, vIn, out int32) {
	parent, depth, thread, back, pi := g.parent, g.depth, g.thread, g.back, g.pi

	stem := g.stem[:0]
	for u := uIn; ; u = parent[u] {
		stem = append(stem, u)
		if u == out {
			break
		}
	}
	k := len(stem) - 1

	sigma := g.reducedCost(in)
	if g.src[in] == uIn {
		sigma = -sigma
	}
	// Depth of the part hanging from stem[i] moves by shift + 2i.
	d0 := depth[uIn]
	shift := depth[vIn] + 1 - d0

	// Walk the old subtree of out in preorder. cur is the stem node whose
	// part the walk is in; last[i] becomes the last node of the old subtree
	// of stem[i].
	last := g.last[:len(stem)]
	cur := k
	prev := out
	for u := out; ; u = thread[u] {
		du := depth[u]
		for cur <= k && du <= d0-int32(cur) && u != out {
			last[cur] = prev
			cur++
		}
		if cur > k {
			break
		}
		if cur > 0 && u == stem[cur-1] {
			cur--
		}
		depth[u] = du + shift + 2*int32(cur)
		pi[u] += sigma
		prev = u
	}

	// The runs of the new preorder, each linked inside as before.
	runs := append(g.runs[:0], stem[0], last[0])
	for i := 1; i <= k; i++ {
		runs = append(runs, stem[i], back[stem[i-1]])
		if last[i] != last[i-1] {
			runs = append(runs, thread[last[i-1]], last[i])
		}
	}

	// Unlink the old run and link the new ones in after vIn.
	before, after := back[out], thread[last[k]]
	thread[before], back[after] = after, before
	p := vIn
	rest := thread[vIn]
	for r := 0; r < len(runs); r += 2 {
		thread[p], back[runs[r]] = runs[r], p
		p = runs[r+1]
	}
	thread[p], back[rest] = rest, p

	// Reverse the stem: w0 hangs from vIn by in, wi+1 from wi by the arc
	// that was wi's.
	np, ne, nu := vIn, in, g.src[in] == uIn
	for _, w := range stem {
		oe, ou := g.pred[w], g.up[w]
		parent[w], g.pred[w], g.up[w] = np, ne, nu
		np, ne, nu = w, oe, !ou
	}
	g.stem, g.runs = stem, runs
}
