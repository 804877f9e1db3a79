package matching

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
// cheapest paths are found by Dijkstra's method on the reversed arcs. Ties
// go to the node and the arc found first, so the tree is a fixed function
// of the network.
func (g *network) warmStart(hub int32) {
	n, m := g.n, g.m
	root := int32(n)

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
	done := make([]bool, n)
	via := make([]int32, n) // the arc from each node toward the hub
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
	kids := start // reuse: children of each node, counted then placed
	clear(kids)
	kids = append(kids[:n+1], 0)
	for u := range n {
		kids[g.parent[u]+1]++
	}
	for u := range n + 1 {
		kids[u+1] += kids[u]
	}
	child := into[:n]
	copy(fill, kids[:n])
	fill = append(fill, kids[n])
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
