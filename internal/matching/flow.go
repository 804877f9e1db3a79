package matching

// cost is an arc cost compared lexicographically, a then b then c then d:
// it carries the objective and its tie-breaks in one value (see the
// package comment), so the solver needs no scaling constants that the
// quantities could overflow.
type cost struct{ a, b, c, d int64 }

func (x cost) add(y cost) cost { return cost{x.a + y.a, x.b + y.b, x.c + y.c, x.d + y.d} }
func (x cost) sub(y cost) cost { return cost{x.a - y.a, x.b - y.b, x.c - y.c, x.d - y.d} }
func (x cost) neg() cost       { return cost{-x.a, -x.b, -x.c, -x.d} }
func (x cost) isZero() bool    { return x == cost{} }

func (x cost) less(y cost) bool {
	switch {
	case x.a != y.a:
		return x.a < y.a
	case x.b != y.b:
		return x.b < y.b
	case x.c != y.c:
		return x.c < y.c
	}
	return x.d < y.d
}

// network is a residual graph in compressed rows: the arcs leaving node u
// are start[u] to start[u+1]-1, each paired with its reverse rev[e]. Every
// original arc goes from a lower to a higher node index, so the node
// numbering is a topological order of the original graph.
type network struct {
	n     int
	edges []edge

	start []int32
	to    []int32
	rev   []int32
	res   []int64 // residual capacity
	cst   []cost
	lot   []int32 // the lot an arc into the sink stands for, or -1
	fwd   []bool  // an original arc, not a reverse one
}

type edge struct {
	from, to int32
	cap      int64
	cost     cost
	lot      int32
}

func (g *network) addNode() int {
	g.n++
	return g.n - 1
}

func (g *network) addArc(u, v int, cap int64, c cost, lot int) {
	if u >= v {
		panic("matching: arc against the topological order")
	}
	g.edges = append(g.edges, edge{int32(u), int32(v), cap, c, int32(lot)})
}

// build lays the edges out in compressed rows, keeping for each node the
// order in which its arcs were added.
func (g *network) build() {
	m := 2 * len(g.edges)
	g.start = make([]int32, g.n+1)
	for _, e := range g.edges {
		g.start[e.from+1]++
		g.start[e.to+1]++
	}
	for u := range g.n {
		g.start[u+1] += g.start[u]
	}
	next := make([]int32, g.n)
	copy(next, g.start[:g.n])
	g.to, g.rev = make([]int32, m), make([]int32, m)
	g.res, g.cst = make([]int64, m), make([]cost, m)
	g.lot, g.fwd = make([]int32, m), make([]bool, m)
	for _, e := range g.edges {
		f, r := next[e.from], next[e.to]
		next[e.from]++
		next[e.to]++
		g.to[f], g.rev[f], g.res[f], g.cst[f], g.lot[f], g.fwd[f] = e.to, r, e.cap, e.cost, e.lot, true
		g.to[r], g.rev[r], g.res[r], g.cst[r], g.lot[r], g.fwd[r] = e.from, f, 0, e.cost.neg(), -1, false
	}
	g.edges = nil
}

// flow is the flow on original arc e.
func (g *network) flow(e int32) int64 { return g.res[g.rev[e]] }

// minCostFlow sends from s to t the flow of least cost, of any value: it
// augments along shortest paths while their cost is negative, so it ends
// with the greatest flow among those of least cost. It is the primal-dual
// method: Dijkstra over reduced costs finds the shortest distance, then a
// blocking flow (Dinic) saturates every path of that distance at once.
func (g *network) minCostFlow(s, t int) {
	pot := g.initialPotentials(s)
	d := newDijkstra(g.n)
	lv := make([]int32, g.n)
	for i := range lv {
		lv[i] = -1
	}
	it := make([]int32, g.n)
	queue := make([]int32, 0, g.n)
	for {
		if !d.run(g, pot, s, t) {
			return
		}
		dt := d.dist[t]
		for v := range g.n {
			if d.done[v] == d.gen {
				pot[v] = pot[v].add(d.dist[v])
			} else {
				pot[v] = pot[v].add(dt)
			}
		}
		if !pot[t].sub(pot[s]).less(cost{}) {
			return // the cheapest path would lower no objective
		}
		for {
			queue = g.levels(pot, s, t, lv, queue, d)
			if lv[t] < 0 {
				break
			}
			for _, u := range queue {
				it[u] = g.start[u]
			}
			for g.augment(pot, s, t, lv, it) > 0 {
			}
		}
		for _, u := range queue {
			lv[u] = -1
		}
	}
}

// initialPotentials are the shortest distances from s over the original
// arcs, in one pass since the numbering is topological; nodes s cannot
// reach keep 0 (they stay unreachable: only arcs on augmenting paths get
// reverse capacity).
func (g *network) initialPotentials(s int) []cost {
	pot := make([]cost, g.n)
	reached := make([]bool, g.n)
	reached[s] = true
	for u := s; u < g.n; u++ {
		if !reached[u] {
			continue
		}
		for e := g.start[u]; e < g.start[u+1]; e++ {
			if !g.fwd[e] || g.res[e] == 0 {
				continue
			}
			v, c := g.to[e], pot[u].add(g.cst[e])
			if !reached[v] || c.less(pot[v]) {
				pot[v], reached[v] = c, true
			}
		}
	}
	return pot
}

func (g *network) reduced(pot []cost, u int, e int32) cost {
	return g.cst[e].add(pot[u]).sub(pot[g.to[e]])
}

// levels numbers by breadth-first distance from s the nodes that the
// last Dijkstra run made final, over the admissible arcs (residual, zero
// reduced cost), and returns them; lv[t] ≥ 0 when t is reached. Every
// admissible path is a shortest path, and the nodes left out lie on none
// cheaper than t's distance, so leaving them to the next run is safe. lv
// must be -1 on entry for every node not in queue.
func (g *network) levels(pot []cost, s, t int, lv []int32, queue []int32, d *dijkstra) []int32 {
	for _, u := range queue {
		lv[u] = -1
	}
	lv[s] = 0
	queue = append(queue[:0], int32(s))
	for h := 0; h < len(queue); h++ {
		u := int(queue[h])
		if u == t {
			continue
		}
		for e := g.start[u]; e < g.start[u+1]; e++ {
			v := g.to[e]
			if lv[v] < 0 && d.done[v] == d.gen && g.res[e] > 0 && g.reduced(pot, u, e).isZero() {
				lv[v] = lv[u] + 1
				queue = append(queue, v)
			}
		}
	}
	return queue
}

// augment pushes one path of flow along the level graph, the first in arc
// order, and returns its amount (0 when the level graph is blocked).
func (g *network) augment(pot []cost, s, t int, lv, it []int32) int64 {
	var walk func(u int, f int64) int64
	walk = func(u int, f int64) int64 {
		if u == t {
			return f
		}
		for ; it[u] < g.start[u+1]; it[u]++ {
			e := it[u]
			v := int(g.to[e])
			if g.res[e] == 0 || lv[v] != lv[u]+1 || !g.reduced(pot, u, e).isZero() {
				continue
			}
			if pushed := walk(v, min(f, g.res[e])); pushed > 0 {
				g.res[e] -= pushed
				g.res[g.rev[e]] += pushed
				return pushed
			}
		}
		return 0
	}
	return walk(s, maxFlow)
}

// maxFlow exceeds any flow: grams are at most MaxGrams per item and there
// are at most MaxItems items.
const maxFlow = 2 * MaxGrams * MaxItems

// dijkstra holds the state of shortest-path searches, reused between runs;
// gen marks which entries belong to the current run.
type dijkstra struct {
	dist []cost
	seen []uint32 // == gen: dist holds a tentative distance
	done []uint32 // == gen: dist is final
	gen  uint32
	heap []item
}

type item struct {
	c cost
	v int32
}

func newDijkstra(n int) *dijkstra {
	return &dijkstra{dist: make([]cost, n), seen: make([]uint32, n), done: make([]uint32, n)}
}

// run finds shortest distances from s over residual arcs with reduced
// costs, stopping once t is final, and reports whether t was reached.
func (d *dijkstra) run(g *network, pot []cost, s, t int) bool {
	d.gen++
	d.heap = d.heap[:0]
	d.dist[s], d.seen[s] = cost{}, d.gen
	d.push(item{cost{}, int32(s)})
	for len(d.heap) > 0 {
		top := d.pop()
		u := int(top.v)
		if d.done[u] == d.gen || d.dist[u] != top.c {
			continue
		}
		d.done[u] = d.gen
		if u == t {
			return true
		}
		for e := g.start[u]; e < g.start[u+1]; e++ {
			if g.res[e] == 0 {
				continue
			}
			v := g.to[e]
			if d.done[v] == d.gen {
				continue
			}
			c := top.c.add(g.reduced(pot, u, e))
			if d.seen[v] != d.gen || c.less(d.dist[v]) {
				d.dist[v], d.seen[v] = c, d.gen
				d.push(item{c, v})
			}
		}
	}
	return false
}

func (d *dijkstra) push(x item) {
	h := append(d.heap, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].c.less(h[p].c) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	d.heap = h
}

func (d *dijkstra) pop() item {
	h := d.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && h[r].c.less(h[l].c) {
			l = r
		}
		if !h[l].c.less(h[i].c) {
			break
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
	d.heap = h
	return top
}
