package bench

import (
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/millwa/millwa/internal/matching"
)

// reducedBooks are the books whose reduced networks are checked: the
// hand-made one, whose order O4 sets a minimum lot size, small generated
// ones that a plain cycle-cancelling solver finishes quickly, one with
// minimums on most orders, so that the network has sized chains and lot
// nodes, and the empty book.
var reducedBooks = [][]string{
	{"--book", benchBook},
	{"--generate", "3,25,6"},
	{"--generate", "11,60,12"},
	{"--book", "sized"},
	{"--generate", "1,0,0"},
}

// reducedBook is the book behind args, writing the "sized" one to dir: a
// generated book whose orders set a minimum lot size, most of them shared.
func reducedBook(t *testing.T, dir string, args []string) ([]string, matching.Book) {
	t.Helper()
	if args[1] != "sized" {
		var opt clearingOptions
		if args[0] == "--book" {
			opt.book = args[1]
		} else {
			opt.generate = args[1]
		}
		b, _, err := loadBook(opt)
		if err != nil {
			t.Fatal(err)
		}
		return args, b
	}
	b := matching.GenerateBook(5, 40, 10)
	for i := range b.Orders {
		b.Orders[i].MinLotGrams = []int64{0, 300_000, 300_000, 900_000, int64(i) * 7000}[i%5]
	}
	path := filepath.Join(dir, "sized.json")
	if err := writeFile(path, func(w io.Writer) error { return writeBook(w, b) }); err != nil {
		t.Fatal(err)
	}
	return []string{"--book", path}, b
}

// TestBenchClearingReducedDIMACS reads the --dimacs-reduced file back and
// checks that it is the engine's network, node for node and arc for arc,
// a circulation (no supplies), and that its least cost, found here by
// cancelling negative cycles, a method independent of the engine's
// network simplex, is minus the surplus the engine reports.
func TestBenchClearingReducedDIMACS(t *testing.T) {
	for _, args := range reducedBooks {
		t.Run(args[1], func(t *testing.T) {
			dir := t.TempDir()
			args, book := reducedBook(t, dir, args)
			path := filepath.Join(dir, "reduced.min")
			r := benchJSON(t, append(args, "--dimacs-reduced", path)...)
			p := readDIMACS(t, path)

			nw, err := matching.ReducedNetwork(book)
			if err != nil {
				t.Fatal(err)
			}
			if p.nodes != nw.Nodes || len(p.arcs) != len(nw.From) {
				t.Fatalf("file has %d nodes and %d arcs, the engine's network %d and %d", p.nodes, len(p.arcs), nw.Nodes, len(nw.From))
			}
			for v, s := range p.supply {
				if s != 0 {
					t.Errorf("node %d has supply %d; a circulation has none", v, s)
				}
			}
			hub := int64(nw.Hub) + 1
			var orderArcs, lotArcs int
			for k, a := range p.arcs {
				if a.from-1 != int64(nw.From[k]) || a.to-1 != int64(nw.To[k]) || a.capacity != nw.Cap[k] || a.cost != nw.Cost[k] {
					t.Fatalf("arc %d is %+v, the engine's %d → %d cap %d cost %d", k, a, nw.From[k], nw.To[k], nw.Cap[k], nw.Cost[k])
				}
				switch {
				case a.from == hub:
					orderArcs++
					if a.cost > 0 {
						t.Errorf("arc %d from the hub costs %d, want −bid", k, a.cost)
					}
				case a.to == hub:
					lotArcs++
					if a.cost < 0 {
						t.Errorf("arc %d into the hub costs %d, want the ask", k, a.cost)
					}
				case a.cost != 0:
					t.Errorf("arc %d away from the hub costs %d, want 0", k, a.cost)
				}
			}
			if len(book.Orders) > 0 && len(r.Allocations) > 0 && (orderArcs == 0 || lotArcs == 0) {
				t.Errorf("%d arcs from the hub and %d into it for a book that trades", orderArcs, lotArcs)
			}

			if got := leastCostByCycleCancelling(p); got != -r.Surplus {
				t.Errorf("least cost of the reduced network %d, want −surplus %d", got, -r.Surplus)
			}
		})
	}
}

// leastCostByCycleCancelling is the least cost of a circulation in p: it
// starts from no flow and, while the residual network has a cycle of
// negative cost (found by Bellman–Ford from every node at once), sends as
// much as the cycle allows round it. Every cycle of a clearing network
// passes an order's arc of finite capacity, so each push is finite.
func leastCostByCycleCancelling(p dimacsProblem) int64 {
	type residual struct {
		from, to int
		cost     int64
		arc      int
		forward  bool
	}
	flow := make([]int64, len(p.arcs))
	left := func(r residual) int64 {
		if r.forward {
			return p.arcs[r.arc].capacity - flow[r.arc]
		}
		return flow[r.arc]
	}
	for {
		var res []residual
		for k, a := range p.arcs {
			res = append(res,
				residual{int(a.from), int(a.to), a.cost, k, true},
				residual{int(a.to), int(a.from), -a.cost, k, false})
		}
		dist := make([]int64, p.nodes+1)
		via := make([]int, p.nodes+1)
		for v := range via {
			via[v] = -1
		}
		last := -1
		for range p.nodes {
			last = -1
			for i, r := range res {
				if left(r) > 0 && dist[r.from]+r.cost < dist[r.to] {
					dist[r.to], via[r.to], last = dist[r.from]+r.cost, i, r.to
				}
			}
			if last < 0 {
				break
			}
		}
		if last < 0 {
			break
		}
		// A node relaxed in the n-th round leads back into a negative
		// cycle; n steps along via land on it.
		v := last
		for range p.nodes {
			v = res[via[v]].from
		}
		amount := int64(1<<63 - 1)
		for u := v; ; {
			r := res[via[u]]
			amount = min(amount, left(r))
			if u = r.from; u == v {
				break
			}
		}
		for u := v; ; {
			r := res[via[u]]
			if r.forward {
				flow[r.arc] += amount
			} else {
				flow[r.arc] -= amount
			}
			if u = r.from; u == v {
				break
			}
		}
	}
	var cost int64
	for k, a := range p.arcs {
		cost += a.cost * flow[k]
	}
	return cost
}

// TestBenchClearingLEMONAgreesOnReduced solves the --dimacs-reduced file
// with LEMON's network simplex, when g++ and LEMON are installed, and
// compares its least cost with −surplus.
func TestBenchClearingLEMONAgreesOnReduced(t *testing.T) {
	cxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skip("g++ is not on PATH: the reduced network's optimum is not checked against LEMON")
	}
	bin := filepath.Join(t.TempDir(), "lemon_mcf")
	out, err := exec.Command(cxx, "-O2", "-o", bin, filepath.Join("testdata", "lemon_mcf.cc"), "-llemon").CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("lemon/")) || bytes.Contains(out, []byte("-llemon")) {
			t.Skipf("LEMON (Debian package liblemon-dev) is not installed: the reduced network's optimum is not checked against it\n%s", firstLine(out))
		}
		t.Fatalf("compiling testdata/lemon_mcf.cc: %v\n%s", err, out)
	}
	for _, args := range reducedBooks {
		t.Run(args[1], func(t *testing.T) {
			dir := t.TempDir()
			args, _ := reducedBook(t, dir, args)
			path := filepath.Join(dir, "reduced.min")
			r := benchJSON(t, append(args, "--dimacs-reduced", path)...)
			out, err := exec.Command(bin, path, "ns", "3").CombinedOutput()
			if err != nil {
				t.Fatalf("lemon_mcf: %v\n%s", err, out)
			}
			cost, err := lemonCost(out)
			if err != nil {
				t.Fatalf("lemon_mcf: %v\n%s", err, out)
			}
			if cost != -r.Surplus {
				t.Errorf("lemon_mcf: least cost %d, want −surplus %d", cost, -r.Surplus)
			}
		})
	}
}
