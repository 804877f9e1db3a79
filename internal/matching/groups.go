package matching

import (
	"cmp"
	"math/bits"
	"slices"
)

// Parallel arcs into the hub. In a clearing network every lot of a level
// is an arc from that level's node to the hub, so a level with many lots
// is a bundle of parallel arcs that differ only in cost and capacity: on a
// book of a million lots almost all the arcs. Priced one by one they make
// most of the pricing work and most of the pivots, each of which only
// fills one lot.
//
// solve stores each bundle, a group, as a run of arcs sorted by cost, and
// keeps every group in the shape that its optimum has: a prefix of full
// arcs, then perhaps one tree arc, then empty arcs. fill is the first arc
// of a group that is not full. Of the arcs of a group not in the tree,
// the empty arc of least cost has the least reduced cost and the full arc
// of greatest cost the greatest, so they are the only two that pricing
// needs to look at, and when one of the group's arcs is in the tree the
// others all have reduced costs of the right sign (cheaper than it:
// negative; dearer: positive), so the group has no candidate at all.
// Entering the group only through those two arcs keeps the shape, and so
// does any arc of a group leaving the tree, since only the one at fill
// can be in it.
//
// Pricing then scans the other arcs and one entry per group. When an arc
// of a group goes from empty to full without changing the tree, the next
// one shares its cycle, so it is tried at once (see pivot).
type groups struct {
	singles int     // arcs 0 to singles−1 are not in any group
	start   []int32 // group k is arcs start[k] to start[k+1]−1
	of      []int32 // per arc from singles on, its group
	// What pricing reads of each group, kept together so that a scan of
	// the groups reads one small array in order.
	at []groupState
}

// arrange chooses the order the real arcs are stored in while solving and
// stores them so: the arcs outside groups first, in a mixed order (see
// mix), then the groups, by source node, each sorted by cost (given in the
// order arcs were added), ties in the order they were added. With
// grouped false there are no groups and all the arcs are mixed.
func (g *network) arrange(cost []int64, grouped bool) {
	m, n := g.m, g.n
	var singles, grouped32 []int32
	var start []int32
	if grouped {
		// Counting sort of the arcs into the hub by source, stable.
		count := make([]int32, n+1)
		nh := 0
		for e := range m {
			if g.dst[e] == g.hub {
				count[g.src[e]+1]++
				nh++
			}
		}
		singles = make([]int32, 0, m-nh)
		for u := range n {
			count[u+1] += count[u]
		}
		grouped32 = make([]int32, nh)
		for e := range m {
			if g.dst[e] == g.hub {
				u := g.src[e]
				grouped32[count[u]] = int32(e)
				count[u]++
			} else {
				singles = append(singles, int32(e))
			}
		}
		// count[u] is now the end of u's run; each non-empty run is a group.
		var sc sortScratch
		prev := int32(0)
		for u := range n {
			end := count[u]
			if end == prev {
				continue
			}
			sortByCost(grouped32[prev:end], cost, &sc)
			start = append(start, int32(len(singles))+prev)
			prev = end
		}
		start = append(start, int32(m))
	} else {
		singles = make([]int32, m)
		for e := range singles {
			singles[e] = int32(e)
		}
		start = []int32{int32(m)}
	}

	order := make([]int32, m)
	s := len(singles)
	mix(order[:s], singles, max(s/max(n, 1), 3))
	copy(order[s:], grouped32)
	src, dst, cp := make([]int32, m), make([]int32, m), make([]int64, m)
	for k, e := range order {
		src[k], dst[k], cp[k] = g.src[e], g.dst[e], g.cap[e]
	}
	copy(g.src, src)
	copy(g.dst, dst)
	copy(g.cap, cp)
	g.order = order

	gr := &g.groups
	gr.singles, gr.start = s, start
	gr.at = make([]groupState, len(start)-1)
	for k := range gr.at {
		gr.at[k] = groupState{src: g.src[start[k]], lo: start[k], hi: start[k+1]}
	}
	gr.of = make([]int32, m-s)
	for k := range len(start) - 1 {
		for e := start[k]; e < start[k+1]; e++ {
			gr.of[int(e)-s] = int32(k)
		}
	}
}

// sortByCost sorts run, arcs in index order, by cost, ties staying in
// index order. It sorts plain integers, each the cost less the run's
// least with the arc's place in the run below it in one word, which is
// several times faster than sorting by a comparison function; when the
// costs spread too wide for that it falls back to one. sc is scratch
// space, returned for reuse.
func sortByCost(run []int32, cost []int64, sc *sortScratch) {
	if len(run) < 2 {
		return
	}
	lo, hi := cost[run[0]], cost[run[0]]
	for _, e := range run {
		lo, hi = min(lo, cost[e]), max(hi, cost[e])
	}
	shift := bits.Len(uint(len(run)))
	if bits.Len64(uint64(hi-lo))+shift > 64 {
		slices.SortStableFunc(run, func(a, b int32) int { return cmp.Compare(cost[a], cost[b]) })
		return
	}
	sc.keys, sc.arcs = sc.keys[:0], append(sc.arcs[:0], run...)
	for k, e := range run {
		sc.keys = append(sc.keys, uint64(cost[e]-lo)<<shift|uint64(k))
	}
	slices.Sort(sc.keys)
	mask := uint64(1)<<shift - 1
	for k, key := range sc.keys {
		run[k] = sc.arcs[key&mask]
	}
}

// sortScratch is the scratch space of sortByCost.
type sortScratch struct {
	keys []uint64
	arcs []int32
}

// mix stores arcs in a mixed order in out: arcs added next to each other,
// which tend to share their ends (an order's arcs, a cell's chain), land
// stride apart, counting from the last added. Blocks of pricing then see
// every part of the network, and one pivot's tree update does not spoil
// the next block's candidates. The order is a fixed function of the
// lengths and stride, so solving stays deterministic.
func mix(out, arcs []int32, stride int) {
	m := len(arcs)
	if m <= stride {
		copy(out, arcs)
		return
	}
	i, j := 0, 0
	for e := range m {
		out[i] = arcs[m-1-e]
		if i += stride; i >= m {
			j++
			i = j
		}
	}
}

// groupState is a group as pricing sees it: its arcs lo to hi−1 from
// src, those before fill full, the one at fill in the tree when inTree;
// the costs of the arcs at fill and just before it; and in can, which of
// those two pricing should look at, canEnter and canLeave, none while an
// arc of the group is in the tree.
type groupState struct {
	costAt, costPrev  int64
	src, lo, hi, fill int32
	inTree            bool
	can               uint8
}

const (
	canEnter uint8 = 1 << iota // the arc at fill is empty and not in the tree
	canLeave                   // the arc before fill is full
)

// setFill moves the group's fill to f and reads the costs next to it.
func (g *network) setFill(s *groupState, f int32, inTree bool) {
	s.fill, s.inTree, s.can = f, inTree, 0
	if f < s.hi {
		s.costAt = g.cost[f]
		if !inTree {
			s.can |= canEnter
		}
	}
	if f > s.lo {
		s.costPrev = g.cost[f-1]
		if !inTree {
			s.can |= canLeave
		}
	}
}

// initGroups sets every group's fill to its first arc, all being empty,
// once the costs are known and the first tree is chosen.
func (g *network) initGroups() {
	for k := range g.groups.at {
		s := &g.groups.at[k]
		g.setFill(s, s.lo, g.state[s.lo] == 0)
	}
}

// touch records that arc e's state changed: when e is in a group, the
// group's fill moves to e, or just past it when e is now full.
func (g *network) touch(e int32) {
	gr := &g.groups
	if k := int(e) - gr.singles; k >= 0 && int(e) < g.m {
		st := g.state[e]
		f := e
		if st == stateUpper {
			f++
		}
		g.setFill(&gr.at[gr.of[k]], f, st == 0)
	}
}

// priceGroups is price for groups lo to hi−1: each offers the empty arc
// after its full prefix and the last full arc, unless one of its arcs is
// in the tree.
func (g *network) priceGroups(lo, hi int, best int32, bestV int64) (int32, int64) {
	pi := g.pi
	piHub := pi[g.hub]
	at := g.groups.at[lo:hi]
	for k := range at {
		s := &at[k]
		if s.can == 0 {
			continue
		}
		d := pi[s.src] - piHub
		if s.can&canEnter != 0 {
			if v := s.costAt + d; v < bestV {
				best, bestV = s.fill, v
			}
		}
		if s.can&canLeave != 0 {
			if v := -(s.costPrev + d); v < bestV {
				best, bestV = s.fill-1, v
			}
		}
	}
	return best, bestV
}

// nextInGroup is the arc of in's group to enter right after in went from
// one bound to the other without changing the tree, or -1: the next arc
// the same way, when it violates its optimality condition too. It closes
// the same cycle as in, the same way round.
func (g *network) nextInGroup(in int32) int32 {
	gr := &g.groups
	k := int(in) - gr.singles
	if k < 0 || int(in) >= g.m {
		return -1
	}
	next := in + 1
	if g.state[in] == stateLower {
		next = in - 1
	}
	grp := &gr.at[gr.of[k]]
	if next < grp.lo || next >= grp.hi || g.state[next] != -g.state[in] {
		return -1
	}
	if int64(g.state[next])*g.reducedCost(next) < 0 {
		return next
	}
	return -1
}
