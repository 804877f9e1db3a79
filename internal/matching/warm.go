package matching

import (
	"cmp"
	"slices"
)

// warmStart replaces the first tree, every node hanging from the root by
// its artificial arc, with a better one before the first stage: each node
// that can reach the hub hangs from the next node on its cheapest path to
// it, by that path's first arc, and the hub hangs from the root. Every
// real arc is still empty, so the flow is the same; only the basis and so
// the potentials change. Under them a node's potential is minus the cost
// of its cheapest way to the hub, so an order's arc from the hub starts
// with reduced cost ask − bid of the cheapest lot the order can reach and
// the first pivots already trade the most profitable pairs, rather than
// spending themselves on building the tree out of artificial arcs.
//
// The tree is strongly feasible: each of its arcs is empty and points up,
// from the child to its parent, as the method requires (see network).
// Paths to the hub never use an arc out of the hub, and every other arc
// costs 0 or the ask of a lot (packed with ranks, never negative), so the
// cheapest paths are found without a heap when only the arcs at the hub
// cost anything (zeroCostPaths), and by Dijkstra's method on the reversed
// arcs otherwise. Ties go to the cheaper arc into the hub, then the arc
// and node found first, so the tree is a fixed function of the network.
func (g *network) warmStart(hub int32) {
	n, m := g.n, g.m
	root := int32(n)
	done, via := g.zeroCostPaths(hub)
	if done == nil {
		done, via = g.dijkstraPaths(hub)
	}

	// The new tree: parents and arcs, then children in order to lay out the
	// thread, sizes and ends by a depth-first walk from the root.
	for u := range int32(n) {
		if u == hub || !done[u] {
			continue
		}
		e := via[u]
		g.state[e], g.state[m+int(u)] = 0, stateLower
		g.parent[u], g.pred[u], g.up[u] = g.dst[e], e, true
	}
	kids := make([]int32, n+2) // children of each node, counted then placed
	for u := range n {
		kids[g.parent[u]+1]++
	}
	for u := range n + 1 {
		kids[u+1] += kids[u]
	}
	child := make([]int32, n)
	fill := slices.Clone(kids[:n+1])
	for u := range int32(n) {
		p := g.parent[u]
		child[fill[p]] = u
		fill[p]++
	}
	// Iterative preorder: stack holds nodes whose children are still to
	// be visited, with the index of the next child in pos.
	prev := root
	pos := fill // reuse: next child index per node
	copy(pos, kids[:n+1])
	stack := append(make([]int32, 0, 64), root)
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		if pos[u] < kids[u+1] {
			c := child[pos[u]]
			pos[u]++
			g.thread[prev], g.back[c] = c, prev
			prev = c
			stack = append(stack, c)
			continue
		}
		stack = stack[:len(stack)-1]
		g.last[u] = prev
		g.size[u] = 1
	}
	g.thread[prev], g.back[root] = root, prev
	// Sizes: children after their parents in preorder, so summing over the
	// thread backward adds each subtree before it is read.
	for u := g.back[root]; u != root; u = g.back[u] {
		g.size[g.parent[u]] += g.size[u]
	}
}

// zeroCostPaths is dijkstraPaths for the networks the engine builds, in
// which the only arcs that cost anything leave or enter the hub: a node's
// cheapest way to the hub is then the cheapest arc into the hub among the
// nodes it reaches through arcs of cost 0. The sources of arcs into the
// hub are taken cheapest first, each with its cheapest arc, and each
// claims every node not yet claimed that reaches it, by a search backward
// over the arcs of cost 0; that needs no heap and no list of the arcs into
// the hub. It returns nils when some other arc costs something.
func (g *network) zeroCostPaths(hub int32) (done []bool, via []int32) {
	n, m := g.n, g.m
	best := make([]int32, n) // per node, its cheapest arc into the hub, or -1
	for u := range best {
		best[u] = -1
	}
	start := make([]int32, n+1)
	for e := range m {
		u, v := g.src[e], g.dst[e]
		switch {
		case u == hub:
		case v == hub:
			if b := best[u]; b < 0 || g.cost[e] < g.cost[b] || (g.cost[e] == g.cost[b] && int32(e) < b) {
				best[u] = int32(e)
			}
		case g.cost[e] != 0:
			return nil, nil
		default:
			start[v+1]++
		}
	}
	for u := range n {
		start[u+1] += start[u]
	}
	into := make([]int32, start[n])
	fill := slices.Clone(start[:n])
	for e := range m {
		if u, v := g.src[e], g.dst[e]; u != hub && v != hub {
			into[fill[v]] = int32(e)
			fill[v]++
		}
	}
	var sources []int32
	for u, e := range best {
		if e >= 0 {
			sources = append(sources, int32(u))
		}
	}
	slices.SortFunc(sources, func(a, b int32) int {
		ea, eb := best[a], best[b]
		return cmp.Or(cmp.Compare(g.cost[ea], g.cost[eb]), cmp.Compare(ea, eb))
	})

	done, via = make([]bool, n), make([]int32, n)
	queue := fill[:0] // reuse
	for _, s := range sources {
		if done[s] {
			continue
		}
		done[s], via[s] = true, best[s]
		queue = append(queue[:0], s)
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			for _, e := range into[start[v]:start[v+1]] {
				if u := g.src[e]; !done[u] {
					done[u], via[u] = true, e
					queue = append(queue, u)
				}
			}
		}
	}
	return done, via
}

// dijkstraPaths finds, for every node that can reach the hub, the first
// arc of a cheapest path to it, by Dijkstra's method on the reversed arcs;
// done reports which nodes can. Ties go to the node and the arc found
// first.
func (g *network) dijkstraPaths(hub int32) (done []bool, via []int32) {
	n, m := g.n, g.m

	// The arcs into each node, for the search backward from the hub.
	start := make([]int32, n+1)
	for e := range m {
		start[g.dst[e]+1]++
	}
	for u := range n {
		start[u+1] += start[u]
	}
	into := make([]int32, m)
	fill := make([]int32, n)
	copy(fill, start[:n])
	for e := range m {
		v := g.dst[e]
		into[fill[v]] = int32(e)
		fill[v]++
	}

	const far = int64(1<<63 - 1)
	dist := make([]int64, n)
	for u := range dist {
		dist[u] = far
	}
	done = make([]bool, n)
	via = make([]int32, n) // the arc from each node toward the hub
	dist[hub] = 0
	h := nodeHeap{dist: dist}
	h.push(hub)
	for len(h.nodes) > 0 {
		v := h.pop()
		if done[v] {
			continue
		}
		done[v] = true
		for _, e := range into[start[v]:start[v+1]] {
			u := g.src[e]
			if u == hub || done[u] {
				continue
			}
			if d := dist[v] + g.cost[e]; d < dist[u] {
				dist[u], via[u] = d, e
				h.push(u)
			}
		}
	}
	return done, via
}

// nodeHeap is a binary min-heap of nodes keyed by dist, ties to the lower
// node, for warmStart. A node may be pushed again with a smaller key; its
// stale entries are skipped when popped.
type nodeHeap struct {
	nodes []int32
	keys  []int64
	dist  []int64
}

func (h *nodeHeap) less(a, b int) bool {
	if h.keys[a] != h.keys[b] {
		return h.keys[a] < h.keys[b]
	}
	return h.nodes[a] < h.nodes[b]
}

func (h *nodeHeap) swap(a, b int) {
	h.nodes[a], h.nodes[b] = h.nodes[b], h.nodes[a]
	h.keys[a], h.keys[b] = h.keys[b], h.keys[a]
}

func (h *nodeHeap) push(u int32) {
	h.nodes, h.keys = append(h.nodes, u), append(h.keys, h.dist[u])
	for i := len(h.nodes) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.swap(i, p)
		i = p
	}
}

func (h *nodeHeap) pop() int32 {
	top := h.nodes[0]
	last := len(h.nodes) - 1
	h.swap(0, last)
	h.nodes, h.keys = h.nodes[:last], h.keys[:last]
	for i := 0; ; {
		l, r, s := 2*i+1, 2*i+2, i
		if l < last && h.less(l, s) {
			s = l
		}
		if r < last && h.less(r, s) {
			s = r
		}
		if s == i {
			break
		}
		h.swap(i, s)
		i = s
	}
	return top
}
