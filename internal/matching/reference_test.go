package matching_test

import (
	"cmp"
	"slices"

	"github.com/millwa/millwa/internal/matching"
)

// objective is what Clear optimises, lexicographically: surplus (greatest),
// grams (greatest), Σ order age rank × grams (least), Σ lot age rank ×
// grams (least).
type objective struct {
	Surplus, Grams, OrderAge, LotAge int64
}

func ageOrders(b matching.Book) []matching.Order {
	o := slices.Clone(b.Orders)
	slices.SortFunc(o, func(x, y matching.Order) int { return cmp.Or(cmp.Compare(x.Rank, y.Rank), cmp.Compare(x.ID, y.ID)) })
	return o
}

func ageLots(b matching.Book) []matching.Lot {
	l := slices.Clone(b.Lots)
	slices.SortFunc(l, func(x, y matching.Lot) int { return cmp.Or(cmp.Compare(x.Rank, y.Rank), cmp.Compare(x.ID, y.ID)) })
	return l
}

// objectiveOf scores a result against its book.
func objectiveOf(b matching.Book, r matching.Result) objective {
	orders, lots := ageOrders(b), ageLots(b)
	oi, li := map[string]int{}, map[string]int{}
	for i, o := range orders {
		oi[o.ID] = i
	}
	for j, l := range lots {
		li[l.ID] = j
	}
	var ob objective
	for _, a := range r.Allocations {
		i, j := oi[a.OrderID], li[a.LotID]
		ob.Surplus += (orders[i].Bid - lots[j].Ask) * a.Grams
		ob.Grams += a.Grams
		ob.OrderAge += int64(i) * a.Grams
		ob.LotAge += int64(j) * a.Grams
	}
	return ob
}

// referenceOptimum solves the book independently of the engine: a dense
// graph with one arc per eligible pair, successive shortest paths found by
// Bellman-Ford, one path at a time, on vector costs (−surplus, −1, order
// rank, lot rank) compared lexicographically.
func referenceOptimum(b matching.Book) objective {
	orders, lots := ageOrders(b), ageLots(b)
	type arc struct {
		to, rev int
		cap     int64
		c       [4]int64
	}
	n := 2 + len(orders) + len(lots)
	s, t := 0, n-1
	adj := make([][]arc, n)
	add := func(u, v int, cap int64, c [4]int64) {
		adj[u] = append(adj[u], arc{v, len(adj[v]), cap, c})
		adj[v] = append(adj[v], arc{u, len(adj[u]) - 1, 0, [4]int64{-c[0], -c[1], -c[2], -c[3]}})
	}
	for i, o := range orders {
		add(s, 1+i, o.Grams, [4]int64{0, -1, int64(i), 0})
		for j, l := range lots {
			if matching.Eligible(o, l) {
				add(1+i, 1+len(orders)+j, o.Grams, [4]int64{l.Ask - o.Bid, 0, 0, 0})
			}
		}
	}
	for j, l := range lots {
		add(1+len(orders)+j, t, l.Grams, [4]int64{0, 0, 0, int64(j)})
	}
	less := func(x, y [4]int64) bool { return slices.Compare(x[:], y[:]) < 0 }
	plus := func(x, y [4]int64) [4]int64 { return [4]int64{x[0] + y[0], x[1] + y[1], x[2] + y[2], x[3] + y[3]} }
	var total [4]int64
	var grams int64
	for {
		dist := make([][4]int64, n)
		reached := make([]bool, n)
		prev := make([][2]int, n)
		reached[s] = true
		for changed := true; changed; {
			changed = false
			for u := range n {
				if !reached[u] {
					continue
				}
				for k, a := range adj[u] {
					if a.cap == 0 {
						continue
					}
					if d := plus(dist[u], a.c); !reached[a.to] || less(d, dist[a.to]) {
						dist[a.to], reached[a.to], prev[a.to] = d, true, [2]int{u, k}
						changed = true
					}
				}
			}
		}
		if !reached[t] || !less(dist[t], [4]int64{}) {
			break
		}
		f := int64(1) << 62
		for v := t; v != s; v = prev[v][0] {
			f = min(f, adj[prev[v][0]][prev[v][1]].cap)
		}
		for v := t; v != s; v = prev[v][0] {
			a := &adj[prev[v][0]][prev[v][1]]
			a.cap -= f
			adj[a.to][a.rev].cap += f
		}
		for k := range total {
			total[k] += f * dist[t][k]
		}
		grams += f
	}
	return objective{Surplus: -total[0], Grams: -total[1], OrderAge: total[2], LotAge: total[3]}
}

// enumeratedSurplus is the greatest surplus found by trying every
// allocation in units of unit grams, for books whose quantities are all
// multiples of unit (the optimum of a transportation problem is integral
// in that unit).
func enumeratedSurplus(b matching.Book, unit int64) int64 {
	type cand struct{ o, l int }
	var pairs []cand
	for i, o := range b.Orders {
		for j, l := range b.Lots {
			if matching.Eligible(o, l) {
				pairs = append(pairs, cand{i, j})
			}
		}
	}
	oLeft := make([]int64, len(b.Orders))
	lLeft := make([]int64, len(b.Lots))
	for i, o := range b.Orders {
		oLeft[i] = o.Grams / unit
	}
	for j, l := range b.Lots {
		lLeft[j] = l.Grams / unit
	}
	var best int64
	var walk func(k int, s int64)
	walk = func(k int, s int64) {
		if k == len(pairs) {
			best = max(best, s)
			return
		}
		p := pairs[k]
		per := (b.Orders[p.o].Bid - b.Lots[p.l].Ask) * unit
		for x := int64(0); x <= min(oLeft[p.o], lLeft[p.l]); x++ {
			oLeft[p.o] -= x
			lLeft[p.l] -= x
			walk(k+1, s+x*per)
			oLeft[p.o] += x
			lLeft[p.l] += x
		}
	}
	walk(0, 0)
	return best
}
