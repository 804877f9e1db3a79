package matching

import "testing"

// TestNetworkOptimalTree solves books too large for the reference solver
// and checks what the simplex leaves behind: a well-formed, strongly
// feasible spanning tree, a circulation within its bounds, and potentials
// under which every arc meets its optimality condition.
func TestNetworkOptimalTree(t *testing.T) {
	t.Parallel()
	for seed := range uint64(4) {
		b := GenerateBook(seed, 1500, 150)
		if seed%2 == 1 {
			for i := range b.Orders {
				b.Orders[i].MinLotGrams = []int64{0, 200_000, 600_000, int64(i) * 3000}[i%4]
			}
		}
		orders, lots := sortedOrders(b.Orders), sortedLots(b.Lots)
		for _, split := range []bool{false, true} {
			c := newClearing(orders, lots)
			c.net.solve(c.stages(split)...)
			checkTree(t, &c.net)
			if t.Failed() {
				t.Fatalf("seed %d, split %v", seed, split)
			}
		}
	}
}

func checkTree(t *testing.T, g *network) {
	t.Helper()
	n, root := g.n, int32(g.n)

	// The thread visits every node once, from the root, in a preorder:
	// each node right after its parent or after the last of an earlier
	// sibling's subtree, so depths never rise by more than one.
	seen := make([]bool, n+1)
	u, count := root, 0
	for {
		if seen[u] {
			t.Fatalf("thread revisits node %d", u)
		}
		seen[u] = true
		count++
		next := g.thread[u]
		if g.back[next] != u {
			t.Errorf("back[%d] = %d, want %d", next, g.back[next], u)
		}
		if next == root {
			break
		}
		if g.depth[next] > g.depth[u]+1 || (g.depth[next] == g.depth[u]+1 && g.parent[next] != u) {
			t.Errorf("thread goes from %d to %d, not a preorder", u, next)
		}
		u = next
	}
	if count != n+1 {
		t.Fatalf("thread visits %d nodes of %d", count, n+1)
	}

	for v := range int32(n) {
		p, e := g.parent[v], g.pred[v]
		if g.depth[v] != g.depth[p]+1 {
			t.Errorf("node %d: depth %d under a parent of depth %d", v, g.depth[v], g.depth[p])
		}
		if g.up[v] && (g.src[e] != v || g.dst[e] != p) || !g.up[v] && (g.src[e] != p || g.dst[e] != v) {
			t.Errorf("node %d: tree arc %d does not join it to its parent %d", v, e, p)
		}
		if g.state[e] != 0 {
			t.Errorf("tree arc %d has state %d", e, g.state[e])
		}
		if g.reducedCost(e) != 0 {
			t.Errorf("tree arc %d has reduced cost %d", e, g.reducedCost(e))
		}
		// Strongly feasible: flow can go up from every node.
		if g.flow[e] == 0 && !g.up[v] || g.flow[e] == g.cap[e] && g.up[v] {
			t.Errorf("node %d: tree arc %d with flow %d of %d points the wrong way", v, e, g.flow[e], g.cap[e])
		}
	}

	balance := make([]int64, n+1)
	inTree := make([]bool, g.m+n)
	for v := range n {
		inTree[g.pred[v]] = true
	}
	for e := range g.m + n {
		f := g.flow[e]
		if f < 0 || f > g.cap[e] {
			t.Errorf("arc %d: flow %d outside [0, %d]", e, f, g.cap[e])
		}
		if e >= g.m {
			if f != 0 {
				t.Errorf("artificial arc %d carries %d", e, f)
			}
			continue
		}
		balance[g.src[e]] -= f
		balance[g.dst[e]] += f
		if inTree[e] {
			continue
		}
		// A fixed arc (state 0 out of the tree) is only left by a stage
		// before the last, so its condition held then; the others must
		// hold now.
		switch rc := g.reducedCost(int32(e)); {
		case g.state[e] == stateLower && (f != 0 || rc < 0):
			t.Errorf("arc %d at its lower bound: flow %d, reduced cost %d", e, f, rc)
		case g.state[e] == stateUpper && (f != g.cap[e] || rc > 0):
			t.Errorf("arc %d at its upper bound: flow %d of %d, reduced cost %d", e, f, g.cap[e], rc)
		}
	}
	for v, d := range balance {
		if d != 0 {
			t.Errorf("node %d: flow in less flow out is %d", v, d)
		}
	}
}

// TestGroupsKeepTheirShape checks, after every pivot on clearing networks
// whose levels hold many lots, that each group of parallel lot arcs is a
// run of full arcs, then at most one tree arc, then empty arcs, with fill
// and the costs pricing reads where they belong: pricing looks only at
// the two arcs next to fill, which is right only in that shape.
func TestGroupsKeepTheirShape(t *testing.T) {
	t.Parallel()
	for seed := range uint64(3) {
		b := GenerateBook(seed, 3000, 100)
		c := newClearing(sortedOrders(b.Orders), sortedLots(b.Lots))
		g := &c.net
		multi := false
		g.afterPivot = func() {
			if t.Failed() {
				return
			}
			for k, s := range g.groups.at {
				multi = multi || s.hi-s.lo > 1
				for e := s.lo; e < s.hi; e++ {
					st := g.state[e]
					if (e < s.fill && st != stateUpper) || (e == s.fill && st == stateUpper) || (e > s.fill && st != stateLower) ||
						(e == s.fill && (st == 0) != s.inTree) {
						t.Errorf("seed %d, pivot %d: group %d (arcs %d to %d, fill %d, in tree %v): arc %d has state %d",
							seed, g.pivots, k, s.lo, s.hi-1, s.fill, s.inTree, e, st)
						return
					}
				}
				wantCan := uint8(0)
				if !s.inTree && s.fill < s.hi {
					wantCan |= canEnter
				}
				if !s.inTree && s.fill > s.lo {
					wantCan |= canLeave
				}
				if s.can != wantCan {
					t.Errorf("seed %d, pivot %d: group %d offers %b to pricing, want %b", seed, g.pivots, k, s.can, wantCan)
					return
				}
				if (s.fill < s.hi && s.costAt != g.cost[s.fill]) || (s.fill > s.lo && s.costPrev != g.cost[s.fill-1]) {
					t.Errorf("seed %d, pivot %d: group %d holds stale costs", seed, g.pivots, k)
					return
				}
			}
		}
		g.solve(c.stages(false)...)
		if !multi {
			t.Fatalf("seed %d: no group of more than one arc", seed)
		}
		checkTree(t, g)
	}
}
