package matching

import "slices"

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
// cheapest paths are found without a heap, since only the arcs at the
// hub cost anything (zeroCostPaths; were another arc to cost something,
// the first tree would stay). Ties go to the lower node and the arc found
// first, so the tree is a fixed function of the network.
func (g *network) warmStart(hub int32) {
	n, m := g.n, g.m
	root := int32(n)
	done, via := g.zeroCostPaths(hub)
	if done == nil {
		return // keep the first tree, which is correct too
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

// zeroCostPaths finds, for every node that can reach the hub, the first
// arc of a cheapest path to it, and reports in done which nodes can, for
// the networks the engine builds, in which the only arcs that cost
// anything leave or enter the hub: a node's cheapest way to the hub is
// then the cheapest arc into the hub among the nodes it reaches through
// arcs of cost 0. The sources of arcs into the hub are taken cheapest
// first (ties to the lower node), each with its cheapest arc (ties to the
// first added), and each claims every node not yet claimed that reaches
// it, by a search backward over the arcs of cost 0; that needs no heap
// and no list of the arcs into the hub. It returns nils when some other
// arc costs something.
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
			if b := best[u]; b < 0 || g.cost[e] < g.cost[b] {
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
	// The cheapest arcs into the hub, one per source, cheapest first.
	firsts := make([]int32, 0, n)
	for _, e := range best {
		if e >= 0 {
			firsts = append(firsts, e)
		}
	}
	var sc sortScratch
	sortByCost(firsts, g.cost, &sc)

	done, via = make([]bool, n), make([]int32, n)
	queue := fill[:0] // reuse
	for _, e := range firsts {
		s := g.src[e]
		if done[s] {
			continue
		}
		done[s], via[s] = true, e
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
