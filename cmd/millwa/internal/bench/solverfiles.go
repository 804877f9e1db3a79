package bench

// This file writes a book as problems for external solvers (DIMACS
// minimum-cost flow, CPLEX LP), so that the optimum the clearing engine
// reports can be confirmed independently.

import (
	"io"
	"runtime"
	"strconv"
	"sync"

	"github.com/millwa/millwa/internal/matching"
)

// eligiblePair is an order and a lot, indices into the book, that
// matching.Eligible lets trade.
type eligiblePair struct{ order, lot int32 }

// eligiblePairs lists the eligible pairs, orders in book order and each
// order's lots in book order: the numbering of the DIMACS arcs and LP
// variables. Orders are shared out among the processors.
func eligiblePairs(b matching.Book) []eligiblePair {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(b.Orders)))
	parts := make([][]eligiblePair, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(b.Orders)/workers, (w+1)*len(b.Orders)/workers
		wg.Go(func() {
			var ps []eligiblePair
			for i := lo; i < hi; i++ {
				for j := range b.Lots {
					if matching.Eligible(b.Orders[i], b.Lots[j]) {
						ps = append(ps, eligiblePair{int32(i), int32(j)})
					}
				}
			}
			parts[w] = ps
		})
	}
	wg.Wait()
	var all []eligiblePair
	for _, ps := range parts {
		all = append(all, ps...)
	}
	return all
}

// writeDIMACS writes the book as a DIMACS minimum-cost flow problem whose
// least cost is −(greatest surplus). Node 1 is the source, supplying every
// order's grams, and node 2 the sink taking them; the arc source → sink
// carries the grams not traded at no cost, so no order needs filling.
// Buying from source → order costs −bid and selling lot → sink costs ask,
// so the flow through an eligible pair costs (ask − bid) per kg, the
// surplus negated.
func writeDIMACS(w io.Writer, b matching.Book, pairs []eligiblePair, source string) error {
	orderNode := func(i int) int64 { return int64(3 + i) }
	lotNode := func(j int) int64 { return int64(3 + len(b.Orders) + j) }
	var supply int64
	for _, o := range b.Orders {
		supply += o.Grams
	}
	bw := errWriter{w: w}
	bw.printf("c millwa clearing book: %s\n", source)
	bw.printf("c least cost = -(greatest surplus), surplus = sum (bid - ask) * grams\n")
	bw.printf("c node 1 source, node 2 sink, nodes 3..%d orders, then lots, in book order\n", 2+len(b.Orders))
	bw.printf("c arcs: source->sink (grams not traded), source->order (cost -bid), order->lot (eligible pairs), lot->sink (cost ask)\n")
	for i, o := range b.Orders {
		bw.printf("c node %d order %s\n", orderNode(i), strconv.Quote(o.ID))
	}
	for j, l := range b.Lots {
		bw.printf("c node %d lot %s\n", lotNode(j), strconv.Quote(l.ID))
	}
	nodes := 2 + len(b.Orders) + len(b.Lots)
	arcs := 1 + len(b.Orders) + len(pairs) + len(b.Lots)
	bw.printf("p min %d %d\n", nodes, arcs)
	bw.printf("n 1 %d\nn 2 %d\n", supply, -supply)
	var line []byte
	arc := func(from, to, capacity, cost int64) {
		line = append(line[:0], "a "...)
		line = strconv.AppendInt(line, from, 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, to, 10)
		line = append(line, " 0 "...)
		line = strconv.AppendInt(line, capacity, 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, cost, 10)
		line = append(line, '\n')
		bw.write(line)
	}
	arc(1, 2, supply, 0)
	for i, o := range b.Orders {
		arc(1, orderNode(i), o.Grams, -o.Bid)
	}
	for _, p := range pairs {
		arc(orderNode(int(p.order)), lotNode(int(p.lot)), min(b.Orders[p.order].Grams, b.Lots[p.lot].Grams), 0)
	}
	for j, l := range b.Lots {
		arc(lotNode(j), 2, l.Grams, l.Ask)
	}
	return bw.err
}

// writeReducedDIMACS writes the network the engine solves as a DIMACS
// minimum-cost flow problem: node 1 is the hub and node k+1 the engine's
// node k, the others; no node has a supply, so the problem is a least-cost
// circulation, bounded because every cycle passes an order's arc. Costs
// and capacities are the network's (see matching.Network), so the least
// cost is −(greatest surplus).
func writeReducedDIMACS(w io.Writer, nw matching.Network, source string) error {
	// DIMACS numbers nodes from 1; the hub goes first.
	node := func(u int32) int64 {
		switch {
		case int(u) == nw.Hub:
			return 1
		case int(u) < nw.Hub:
			return int64(u) + 2
		}
		return int64(u) + 1
	}
	bw := errWriter{w: w}
	bw.printf("c millwa clearing network, as the engine solves it: %s\n", source)
	bw.printf("c least cost = -(greatest surplus), surplus = sum (bid - ask) * grams\n")
	bw.printf("c node 1 is the hub; arcs hub->order cost -bid, lot->hub cost ask, all others 0; no supplies\n")
	bw.printf("p min %d %d\n", nw.Nodes, len(nw.From))
	var line []byte
	for k := range nw.From {
		line = append(line[:0], "a "...)
		line = strconv.AppendInt(line, node(nw.From[k]), 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, node(nw.To[k]), 10)
		line = append(line, " 0 "...)
		line = strconv.AppendInt(line, nw.Cap[k], 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, nw.Cost[k], 10)
		line = append(line, '\n')
		bw.write(line)
	}
	return bw.err
}

// lpTermsPerLine keeps LP lines short; some readers limit their length.
const lpTermsPerLine = 8

// writeLP writes the book as a CPLEX LP problem: maximise Σ (bid − ask) x
// over the eligible pairs, each order's and each lot's x summing to at
// most its grams. Orders and lots with no eligible pair get no constraint,
// since an empty one is not valid LP.
func writeLP(w io.Writer, b matching.Book, pairs []eligiblePair, source string) error {
	bw := errWriter{w: w}
	bw.printf("\\ millwa clearing book: %s\n", source)
	bw.printf("\\ maximum = greatest surplus, sum (bid - ask) * grams over the eligible pairs\n")
	bw.printf("\\ x<k>: grams of the k-th eligible pair, orders in book order, each order's lots in book order\n")
	bw.printf("\\ o<i>: grams of order i, l<j>: grams of lot j, in book order\n")
	for i, o := range b.Orders {
		bw.printf("\\ o%d = order %s\n", i+1, strconv.Quote(o.ID))
	}
	for j, l := range b.Lots {
		bw.printf("\\ l%d = lot %s\n", j+1, strconv.Quote(l.ID))
	}

	var line []byte
	term := func(n int, coef int64, k int) {
		if n > 0 && n%lpTermsPerLine == 0 {
			line = append(line, "\n   "...)
		}
		if n > 0 || coef < 0 {
			if coef < 0 {
				line = append(line, " - "...)
			} else {
				line = append(line, " + "...)
			}
		} else {
			line = append(line, ' ')
		}
		if coef != 1 {
			line = strconv.AppendInt(line, max(coef, -coef), 10)
			line = append(line, ' ')
		}
		line = append(line, 'x')
		line = strconv.AppendInt(line, int64(k+1), 10)
	}

	bw.printf("Maximize\n surplus:")
	if len(pairs) == 0 {
		bw.printf(" 0 x0\n") // no pair: a variable fixed at 0 keeps the problem well-formed
	} else {
		line = line[:0]
		for k, p := range pairs {
			term(k, b.Orders[p.order].Bid-b.Lots[p.lot].Ask, k)
		}
		line = append(line, '\n')
		bw.write(line)
	}

	bw.printf("Subject To\n")
	// Each order's pairs are consecutive; a lot's are gathered by index.
	byLot := make([][]int32, len(b.Lots))
	for k, p := range pairs {
		byLot[p.lot] = append(byLot[p.lot], int32(k))
	}
	constraint := func(name string, index int, ks []int32, limit int64) {
		line = append(line[:0], ' ')
		line = append(line, name...)
		line = strconv.AppendInt(line, int64(index+1), 10)
		line = append(line, ':')
		for n, k := range ks {
			term(n, 1, int(k))
		}
		line = append(line, " <= "...)
		line = strconv.AppendInt(line, limit, 10)
		line = append(line, '\n')
		bw.write(line)
	}
	var ks []int32
	for k := 0; k < len(pairs); {
		i := pairs[k].order
		ks = ks[:0]
		for ; k < len(pairs) && pairs[k].order == i; k++ {
			ks = append(ks, int32(k))
		}
		constraint("o", int(i), ks, b.Orders[i].Grams)
	}
	for j, ks := range byLot {
		if len(ks) > 0 {
			constraint("l", j, ks, b.Lots[j].Grams)
		}
	}
	if len(pairs) == 0 {
		bw.printf(" nopairs: x0 <= 0\n") // readers want at least one constraint
	}
	bw.printf("End\n")
	return bw.err
}
