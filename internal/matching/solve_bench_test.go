package matching

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the processor time the process has used, user and system:
// on a loaded machine it varies far less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Benchmarks of the simplex alone on the networks Clear builds for the
// benchmark books, the part that LEMON's lemon_mcf times on the same
// network written by --dimacs-reduced: each iteration solves a fresh copy
// of the network under the engine's own costs, tie-breaks included.

func BenchmarkSolve10kLots1kOrders(b *testing.B)   { benchmarkSolve(b, 10_000, 1_000) }
func BenchmarkSolve100kLots10kOrders(b *testing.B) { benchmarkSolve(b, 100_000, 10_000) }
func BenchmarkSolve1MLots10kOrders(b *testing.B)   { benchmarkSolve(b, 1_000_000, 10_000) }

func benchmarkSolve(b *testing.B, lots, orders int) {
	book := GenerateBook(2026, lots, orders)
	c := newClearing(sortedOrders(book.Orders), sortedLots(book.Lots))
	stages := c.stages(false)
	g0 := c.net
	m := g0.m
	src, dst, cap := g0.src[:m:m], g0.dst[:m:m], g0.cap[:m:m]
	b.ReportAllocs()
	var pivots int
	var each []time.Duration
	cpu := cpuTime()
	for b.Loop() {
		start := cpuTime()
		g := network{n: g0.n, m: m, warm: g0.warm, hub: g0.hub}
		g.src = append(make([]int32, 0, m+g.n), src...)
		g.dst = append(make([]int32, 0, m+g.n), dst...)
		g.cap = append(make([]int64, 0, m+g.n), cap...)
		g.solve(stages...)
		pivots = g.pivots
		each = append(each, cpuTime()-start)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
	// The median, as lemon_mcf reports it: the mean is pulled up by the
	// iterations a loaded machine or a collection happens to slow.
	slices.Sort(each)
	b.ReportMetric(float64(each[len(each)/2])/1e6, "cpu-ms-median")
	b.ReportMetric(float64(pivots), "pivots")
}
