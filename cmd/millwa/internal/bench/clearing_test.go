package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/matching"
)

// benchBook is a hand-made book whose optimum is known:
//
//	lots  L1 BABY   WHITE HUACAYA 21.0 µm 1000 g ask 1800
//	      L2 FLEECE WHITE HUACAYA 24.5 µm 1000 g ask 2000
//	      L3 COARSE GREY  SURI    no mfd   333 g ask  300
//	orders (oldest first)
//	      O1 BABY or FLEECE, WHITE          1000 g bid 2400: L1 (600/kg), L2 (400/kg)
//	      O2 BABY, HUACAYA, ≤ 22.0 µm       1000 g bid 3000: L1 (1200/kg)
//	      O3 HUACAYA, ≤ 30.0 µm              500 g bid 1000: none, every ask is higher
//	                                                         or the lot SURI
//	      O4 SURI, lots of 300 g or more    2000 g bid  500: L3 (200/kg)
//
// Four eligible pairs. L1 is worth 1200/kg to O2 but only 600/kg to O1,
// which can take L2 instead, so the optimum is O2 ← L1, O1 ← L2, O4 ← L3:
// 1200 × 1000 + 400 × 1000 + 200 × 333 = 1,666,600, 2333 g. No lot can
// earn more: L1 at most 1200/kg, L2 only 400/kg (O1 alone accepts it), L3
// 200/kg. First come, first served lets O1, the oldest, take the cheaper
// L1, leaving O2 nothing: 600 × 1000 + 200 × 333 = 666,600, 1333 g. The
// gain is 1,000,000 / 666,600 = 150.015 %.
const benchBook = "testdata/bench_book.json"

const (
	benchBookSurplus = 1_666_600
	benchBookFCFS    = 666_600
	benchBookPairs   = 4
)

// runBench runs "millwa bench clearing args…" in-process and returns what
// it printed.
func runBench(t *testing.T, args ...string) (string, error) {
	t.Helper()
	stdout, _, err := execute(context.Background(), append([]string{"clearing"}, args...)...)
	return stdout, err
}

// benchReport is the --json report as a reader sees it, independent of
// the type that writes it.
type benchReport struct {
	Machine struct {
		Cores int    `json:"cores"`
		CPU   string `json:"cpu"`
		Go    string `json:"go"`
		OS    string `json:"os"`
		Arch  string `json:"arch"`
	} `json:"machine"`
	Book struct {
		Lots          int  `json:"lots"`
		Orders        int  `json:"orders"`
		EligiblePairs *int `json:"eligiblePairs"`
	} `json:"book"`
	Surplus           int64                 `json:"surplus"`
	SurplusMinorUnits float64               `json:"surplusMinorUnits"`
	GramsAllocated    int64                 `json:"gramsAllocated"`
	SolveMillis       float64               `json:"solveMillis"`
	PeakBytes         uint64                `json:"peakBytes"`
	AllocBytes        uint64                `json:"allocBytes"`
	FCFSSurplus       int64                 `json:"fcfsSurplus"`
	FCFSGainPercent   *float64              `json:"fcfsGainPercent"`
	Allocations       []matching.Allocation `json:"allocations"`

	NetworkMillis      float64 `json:"networkMillis"`
	NetworkSolveMillis float64 `json:"networkSolveMillis"`
	ReadMillis         float64 `json:"readMillis"`
	FCFSSkipped        bool    `json:"fcfsSkipped"`
}

// benchJSON runs the command with --json and decodes its report, checking
// that the fields the issue names are all there.
func benchJSON(t *testing.T, args ...string) benchReport {
	t.Helper()
	out, err := runBench(t, append(args, "--json")...)
	if err != nil {
		t.Fatalf("bench clearing %v: %v", args, err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("--json output is not a JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{"surplus", "solveMillis", "peakBytes", "allocations", "fcfsSurplus", "fcfsGainPercent", "machine", "book"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("--json output has no %q", k)
		}
	}
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("decoding the --json report: %v", err)
	}
	return r
}

// TestBenchClearingTinyBookTable checks the table of the hand-made book
// row by row.
func TestBenchClearingTinyBookTable(t *testing.T) {
	out, err := runBench(t, "--book", benchBook)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for line := range strings.Lines(out) {
		label, values, ok := strings.Cut(line, "  ")
		if ok {
			rows[strings.TrimSpace(label)] = strings.Fields(values)
		}
	}
	for label, want := range map[string][]string{
		"surplus Σ (bid − ask) × grams": {"1666600", "666600"},
		"surplus ÷ 1000, minor units":   {"1666.600", "666.600"},
		"grams allocated":               {"2333", "1333"},
		"allocations":                   {"3", "2"},
	} {
		if diff := cmp.Diff(want, rows[label]); diff != "" {
			t.Errorf("row %q (-want +got):\n%s\n%s", label, diff, out)
		}
	}
	for _, want := range []string{
		"gain of optimal over first come, first served: +150.02 %",
		"4 eligible pairs",
		fmt.Sprintf("%d cores", runtime.NumCPU()),
		runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH,
		"solve time, ms", "peak heap, bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchClearingTinyBookJSON checks the --json report of the
// hand-made book against its known optimum.
func TestBenchClearingTinyBookJSON(t *testing.T) {
	r := benchJSON(t, "--book", benchBook)
	if r.Surplus != benchBookSurplus || r.SurplusMinorUnits != 1666.6 || r.GramsAllocated != 2333 {
		t.Errorf("surplus %d (%v minor units), %d g; want %d (1666.6), 2333 g", r.Surplus, r.SurplusMinorUnits, r.GramsAllocated, benchBookSurplus)
	}
	want := []matching.Allocation{
		{OrderID: "O1", LotID: "L2", Grams: 1000, Price: 2200},
		{OrderID: "O2", LotID: "L1", Grams: 1000, Price: 2400},
		{OrderID: "O4", LotID: "L3", Grams: 333, Price: 400},
	}
	if diff := cmp.Diff(want, r.Allocations); diff != "" {
		t.Errorf("allocations (-want +got):\n%s", diff)
	}
	if r.FCFSSurplus != benchBookFCFS {
		t.Errorf("first come, first served %d, want %d", r.FCFSSurplus, benchBookFCFS)
	}
	wantGain := 100 * float64(benchBookSurplus-benchBookFCFS) / benchBookFCFS
	if r.FCFSGainPercent == nil || math.Abs(*r.FCFSGainPercent-wantGain) > 1e-9 {
		t.Errorf("gain %v, want %v", r.FCFSGainPercent, wantGain)
	}
	if r.Book.EligiblePairs == nil || *r.Book.EligiblePairs != benchBookPairs || r.Book.Lots != 3 || r.Book.Orders != 4 {
		t.Errorf("book %+v, want 3 lots, 4 orders, %d eligible pairs", r.Book, benchBookPairs)
	}
	if r.SolveMillis <= 0 || r.AllocBytes == 0 {
		t.Errorf("solve %v ms, %d bytes allocated: want both above 0", r.SolveMillis, r.AllocBytes)
	}
	if r.Machine.Cores != runtime.NumCPU() || r.Machine.Go != runtime.Version() || r.Machine.OS != runtime.GOOS || r.Machine.Arch != runtime.GOARCH {
		t.Errorf("machine %+v does not describe this one", r.Machine)
	}
}

// TestBenchClearingNoFCFS checks that --no-fcfs skips the baseline and
// nothing else, and that the solve time is divided into its parts, in the
// JSON and in the table.
func TestBenchClearingNoFCFS(t *testing.T) {
	full := benchJSON(t, "--generate", "5,400,60")
	r := benchJSON(t, "--generate", "5,400,60", "--no-fcfs")
	if full.FCFSSkipped || full.FCFSSurplus <= 0 || full.FCFSGainPercent == nil {
		t.Errorf("without --no-fcfs: skipped %v, first come, first served %d, gain %v; want it measured",
			full.FCFSSkipped, full.FCFSSurplus, full.FCFSGainPercent)
	}
	if !r.FCFSSkipped || r.FCFSSurplus != 0 || r.FCFSGainPercent != nil {
		t.Errorf("with --no-fcfs: skipped %v, first come, first served %d, gain %v; want skipped, 0, null",
			r.FCFSSkipped, r.FCFSSurplus, r.FCFSGainPercent)
	}
	if r.Surplus != full.Surplus || r.GramsAllocated != full.GramsAllocated || !cmp.Equal(r.Allocations, full.Allocations) {
		t.Errorf("--no-fcfs changed the optimum: %d, %d g; want %d, %d g", r.Surplus, r.GramsAllocated, full.Surplus, full.GramsAllocated)
	}
	for _, x := range []benchReport{full, r} {
		parts := x.NetworkMillis + x.NetworkSolveMillis + x.ReadMillis
		if x.NetworkMillis <= 0 || x.NetworkSolveMillis <= 0 || x.ReadMillis <= 0 || parts > x.SolveMillis {
			t.Errorf("network %v ms, solve %v ms, read %v ms: want each above 0 and together at most the clearing's %v ms",
				x.NetworkMillis, x.NetworkSolveMillis, x.ReadMillis, x.SolveMillis)
		}
	}
	out, err := runBench(t, "--generate", "5,400,60", "--no-fcfs")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"first come, first served: skipped", "solving the network, ms", "not measured (--no-fcfs)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table has no %q:\n%s", want, out)
		}
	}
}

// TestBenchClearingGenerateIsDeterministic checks that a seed always makes
// the same book, and that --write-book saves it faithfully.
func TestBenchClearingGenerateIsDeterministic(t *testing.T) {
	book := filepath.Join(t.TempDir(), "book.json")
	a := benchJSON(t, "--generate", "7,300,40", "--write-book", book)
	b := benchJSON(t, "--generate", "7, 300, 40")
	c := benchJSON(t, "--book", book)
	if a.Surplus <= 0 || a.Surplus <= a.FCFSSurplus || a.Book.Lots != 300 || a.Book.Orders != 40 {
		t.Fatalf("generated book: surplus %d, first come, first served %d, %d lots, %d orders; want a positive surplus above it, 300 lots, 40 orders",
			a.Surplus, a.FCFSSurplus, a.Book.Lots, a.Book.Orders)
	}
	for name, r := range map[string]benchReport{"generated again": b, "read back from --write-book": c} {
		if r.Surplus != a.Surplus || r.FCFSSurplus != a.FCFSSurplus {
			t.Errorf("%s: surplus %d, first come, first served %d; want %d, %d", name, r.Surplus, r.FCFSSurplus, a.Surplus, a.FCFSSurplus)
		}
		if diff := cmp.Diff(a.Allocations, r.Allocations); diff != "" {
			t.Errorf("%s: allocations differ (-first +then):\n%s", name, diff)
		}
	}
	if other := benchJSON(t, "--generate", "8,300,40"); other.Surplus == a.Surplus {
		t.Errorf("seeds 7 and 8 both give surplus %d: the seed seems unused", a.Surplus)
	}
}

// dimacsProblem is a DIMACS minimum-cost flow file read back.
type dimacsProblem struct {
	nodes  int
	supply map[int]int64
	arcs   []dimacsArc
	names  map[int]string // node → "order ID" or "lot ID", from the comments
}

type dimacsArc struct{ from, to, low, capacity, cost int64 }

// readDIMACS parses a "p min" file strictly: every line a comment, the
// problem line, a node or an arc, with the counts the problem line gives.
func readDIMACS(t *testing.T, path string) dimacsProblem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := dimacsProblem{supply: map[int]int64{}, names: map[int]string{}}
	wantArcs := -1
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		ints := func(from int) []int64 {
			var v []int64
			for _, s := range fields[from:] {
				x, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					t.Fatalf("%s:%d: %q is not an integer", path, n, s)
				}
				v = append(v, x)
			}
			return v
		}
		switch {
		case len(fields) == 0:
			t.Fatalf("%s:%d: empty line", path, n)
		case fields[0] == "c":
			if len(fields) == 5 && fields[1] == "node" {
				id, err := strconv.Unquote(fields[4])
				node, err2 := strconv.Atoi(fields[2])
				if err != nil || err2 != nil {
					t.Fatalf("%s:%d: bad node comment %q", path, n, sc.Text())
				}
				p.names[node] = fields[3] + " " + id
			}
		case fields[0] == "p" && len(fields) == 4 && fields[1] == "min" && wantArcs < 0:
			v := ints(2)
			p.nodes, wantArcs = int(v[0]), int(v[1])
		case fields[0] == "n" && len(fields) == 3 && wantArcs >= 0:
			v := ints(1)
			p.supply[int(v[0])] += v[1]
		case fields[0] == "a" && len(fields) == 6 && wantArcs >= 0:
			v := ints(1)
			a := dimacsArc{v[0], v[1], v[2], v[3], v[4]}
			if a.from < 1 || a.from > int64(p.nodes) || a.to < 1 || a.to > int64(p.nodes) || a.low != 0 || a.capacity < 0 {
				t.Fatalf("%s:%d: bad arc %q for %d nodes", path, n, sc.Text(), p.nodes)
			}
			p.arcs = append(p.arcs, a)
		default:
			t.Fatalf("%s:%d: unexpected line %q", path, n, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(p.arcs) != wantArcs {
		t.Fatalf("%s: %d arcs, the problem line says %d", path, len(p.arcs), wantArcs)
	}
	return p
}

// lpProblem is a CPLEX LP file read back: the objective and the
// constraints, each a map from variable to coefficient.
type lpProblem struct {
	objective   map[string]int64
	order       []string // variables in the order of the objective
	constraints map[string]lpConstraint
}

type lpConstraint struct {
	terms map[string]int64
	limit int64
}

// readLP parses the subset of CPLEX LP that writeLP uses: Maximize, one
// objective, Subject To with ≤ constraints, End.
func readLP(t *testing.T, path string) lpProblem {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "\\") {
			text.WriteString(line)
		}
	}
	tokens := strings.Fields(text.String())
	expect := func(want string) {
		if len(tokens) == 0 || tokens[0] != want {
			t.Fatalf("%s: want %q, got %.40v", path, want, tokens)
		}
		tokens = tokens[1:]
	}
	// linear reads "name: ± c x ± c x …" up to a token that is not a term.
	linear := func() (string, map[string]int64, []string) {
		name := strings.TrimSuffix(tokens[0], ":")
		if name == tokens[0] || name == "" {
			t.Fatalf("%s: want a row name, got %q", path, tokens[0])
		}
		tokens = tokens[1:]
		terms, order := map[string]int64{}, []string(nil)
		sign, coef := int64(1), int64(1)
		for len(tokens) > 0 {
			tok := tokens[0]
			switch {
			case tok == "+":
			case tok == "-":
				sign = -1
			case tok[0] >= '0' && tok[0] <= '9':
				c, err := strconv.ParseInt(tok, 10, 64)
				if err != nil {
					t.Fatalf("%s: bad coefficient %q", path, tok)
				}
				coef = c
			case tok[0] == 'x' && len(tok) > 1:
				if _, dup := terms[tok]; dup {
					t.Fatalf("%s: row %s names %s twice", path, name, tok)
				}
				terms[tok] = sign * coef
				order = append(order, tok)
				sign, coef = 1, 1
			default:
				return name, terms, order
			}
			tokens = tokens[1:]
		}
		return name, terms, order
	}
	p := lpProblem{constraints: map[string]lpConstraint{}}
	expect("Maximize")
	_, p.objective, p.order = linear()
	expect("Subject")
	expect("To")
	for len(tokens) > 0 && tokens[0] != "End" {
		name, terms, _ := linear()
		expect("<=")
		limit, err := strconv.ParseInt(tokens[0], 10, 64)
		if err != nil {
			t.Fatalf("%s: row %s: bad limit %q", path, name, tokens[0])
		}
		tokens = tokens[1:]
		if _, dup := p.constraints[name]; dup {
			t.Fatalf("%s: row %s twice", path, name)
		}
		p.constraints[name] = lpConstraint{terms, limit}
	}
	expect("End")
	if len(tokens) != 0 {
		t.Fatalf("%s: %d tokens after End", path, len(tokens))
	}
	return p
}

// checkSolverFiles reads back the DIMACS and LP files of a book and checks
// that they hold its eligible pairs and that the engine's allocation is a
// feasible solution of both, of cost −surplus and value surplus.
func checkSolverFiles(t *testing.T, r benchReport, dimacsPath, lpPath string) {
	t.Helper()
	d := readDIMACS(t, dimacsPath)
	if want := 2 + r.Book.Orders + r.Book.Lots; d.nodes != want {
		t.Errorf("DIMACS: %d nodes, want %d", d.nodes, want)
	}
	if want := 1 + r.Book.Orders + *r.Book.EligiblePairs + r.Book.Lots; len(d.arcs) != want {
		t.Errorf("DIMACS: %d arcs, want %d", len(d.arcs), want)
	}
	var total int64
	for _, s := range d.supply {
		total += s
	}
	if total != 0 || d.supply[1] <= 0 && r.Book.Orders > 0 {
		t.Errorf("DIMACS: supplies %v, want the source's balancing the sink's", d.supply)
	}

	// The engine's allocation as a flow: order → lot arcs carry its
	// grams, source → order and lot → sink their sums, source → sink the
	// rest.
	node := map[string]int64{}
	for n, name := range d.names {
		node[name] = int64(n)
	}
	type key struct{ from, to int64 }
	flow := map[key]int64{}
	var traded int64
	for _, a := range r.Allocations {
		o, l := node["order "+a.OrderID], node["lot "+a.LotID]
		if o == 0 || l == 0 {
			t.Fatalf("DIMACS: no node named for %+v", a)
		}
		flow[key{o, l}] += a.Grams
		flow[key{1, o}] += a.Grams
		flow[key{l, 2}] += a.Grams
		traded += a.Grams
	}
	flow[key{1, 2}] = d.supply[1] - traded
	var pairArcs int
	var cost int64
	net := map[int64]int64{}
	seen := map[key]bool{}
	for _, a := range d.arcs {
		k := key{a.from, a.to}
		if seen[k] {
			t.Fatalf("DIMACS: two arcs %d → %d", a.from, a.to)
		}
		seen[k] = true
		if strings.HasPrefix(d.names[int(a.from)], "order ") && strings.HasPrefix(d.names[int(a.to)], "lot ") {
			pairArcs++
		}
		f := flow[k]
		if f < 0 || f > a.capacity {
			t.Errorf("DIMACS: flow %d on arc %d → %d of capacity %d", f, a.from, a.to, a.capacity)
		}
		cost += f * a.cost
		net[a.from] += f
		net[a.to] -= f
	}
	for k := range flow {
		if !seen[k] && flow[k] != 0 {
			t.Errorf("DIMACS: the allocation uses %d → %d, which is no arc", k.from, k.to)
		}
	}
	for n := int64(1); n <= int64(d.nodes); n++ {
		if net[n] != d.supply[int(n)] {
			t.Errorf("DIMACS: node %d sends %d, supplies %d", n, net[n], d.supply[int(n)])
		}
	}
	if pairArcs != *r.Book.EligiblePairs {
		t.Errorf("DIMACS: %d order → lot arcs, want %d eligible pairs", pairArcs, *r.Book.EligiblePairs)
	}
	if cost != -r.Surplus {
		t.Errorf("DIMACS: the engine's allocation costs %d, want −surplus %d", cost, -r.Surplus)
	}

	// The LP's k-th variable is the k-th order → lot arc.
	p := readLP(t, lpPath)
	if len(p.order) != *r.Book.EligiblePairs {
		t.Fatalf("LP: %d variables, want %d eligible pairs", len(p.order), *r.Book.EligiblePairs)
	}
	value := map[string]int64{}
	k := 0
	for _, a := range d.arcs {
		if strings.HasPrefix(d.names[int(a.from)], "order ") && strings.HasPrefix(d.names[int(a.to)], "lot ") {
			value[p.order[k]] = flow[key{a.from, a.to}]
			k++
		}
	}
	var objective int64
	for x, c := range p.objective {
		if c < 0 {
			t.Errorf("LP: %s has coefficient %d, but an eligible pair never loses", x, c)
		}
		objective += c * value[x]
	}
	if objective != r.Surplus {
		t.Errorf("LP: the engine's allocation is worth %d, want the surplus %d", objective, r.Surplus)
	}
	rows := map[string]int{}
	for name, c := range p.constraints {
		var sum int64
		for x, coef := range c.terms {
			if coef != 1 {
				t.Errorf("LP: row %s: %s has coefficient %d, want 1", name, x, coef)
			}
			sum += value[x]
			rows[x+" "+name[:1]]++
		}
		if sum > c.limit {
			t.Errorf("LP: row %s: the allocation puts %d > %d", name, sum, c.limit)
		}
	}
	for _, x := range p.order {
		if rows[x+" o"] != 1 || rows[x+" l"] != 1 {
			t.Errorf("LP: %s is in %d order and %d lot rows, want 1 and 1", x, rows[x+" o"], rows[x+" l"])
		}
	}
}

// TestBenchClearingSolverFiles reads the --dimacs and --lp files back and
// checks the engine's allocation against them.
func TestBenchClearingSolverFiles(t *testing.T) {
	for _, book := range [][]string{{"--book", benchBook}, {"--generate", "7,300,40"}} {
		t.Run(book[1], func(t *testing.T) {
			dir := t.TempDir()
			dimacs, lp := filepath.Join(dir, "book.min"), filepath.Join(dir, "book.lp")
			r := benchJSON(t, append(book, "--dimacs", dimacs, "--lp", lp)...)
			if r.Book.EligiblePairs == nil {
				t.Fatal("eligible pairs not counted")
			}
			if book[0] == "--book" && *r.Book.EligiblePairs != benchBookPairs {
				t.Errorf("%d eligible pairs, want %d", *r.Book.EligiblePairs, benchBookPairs)
			}
			checkSolverFiles(t, r, dimacs, lp)
		})
	}
}

// TestBenchClearingErrors checks that bad input fails, naming the file or
// flag and what is wrong.
func TestBenchClearingErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{}, []string{"--book FILE or --generate"}},
		{[]string{"--book", benchBook, "--generate", "1,2,3"}, []string{"not both"}},
		{[]string{"--book", filepath.Join(dir, "missing.json")}, []string{"missing.json", "no such file"}},
		{[]string{"--book", write("syntax.json", "{\"lots\": [\n  {\"id\": \"L1\",, }]}")}, []string{"syntax.json", "line 2, column 15", "invalid character"}},
		{[]string{"--book", write("field.json", `{"lots": [{"id": "L1", "max_mdf": 3}]}`)}, []string{"field.json", `unknown field "max_mdf"`}},
		{[]string{"--book", write("type.json", `{"orders": [{"id": "O1", "groups": "BABY"}]}`)}, []string{"type.json", `"orders.groups"`, "list of strings"}},
		{[]string{"--book", write("twice.json", `{"lots": [{"id": "L1"}, {"id": "L1"}]}`)}, []string{"twice.json", `lot "L1" appears twice`}},
		{[]string{"--book", write("negative.json", `{"orders": [{"id": "O1", "grams": -5}]}`)}, []string{"negative.json", "grams -5"}},
		{[]string{"--book", write("empty.json", "")}, []string{"empty.json", "empty"}},
		{[]string{"--book", write("other.json", `{"name": "x"}`)}, []string{"other.json", `unknown field "name"`}},
		{[]string{"--book", write("null.json", `null`)}, []string{"null.json", "not a book"}},
		{[]string{"--book", write("trailing.json", `{"lots": []} {}`)}, []string{"trailing.json", "more data"}},
		{[]string{"--generate", "1,2"}, []string{`--generate "1,2"`, "SEED,LOTS,ORDERS"}},
		{[]string{"--generate", "x,2,3"}, []string{"seed"}},
		{[]string{"--generate", "1,-2,3"}, []string{"LOTS"}},
		{[]string{"--generate", "1,2,3.5"}, []string{"ORDERS"}},
		{[]string{"--generate", "1,2,3", "--lp", filepath.Join(dir, "no", "such", "dir.lp")}, []string{"dir.lp"}},
	} {
		out, err := runBench(t, tc.args...)
		if err == nil {
			t.Errorf("%v: no error, output %q", tc.args, out)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not mention %q", tc.args, err, w)
			}
		}
	}
}

// solverBooks are the books the external solvers are run on: the
// hand-made one, a generated one and an empty one.
var solverBooks = [][]string{{"--book", benchBook}, {"--generate", "11,400,60"}, {"--generate", "1,0,0"}}

// TestBenchClearingGLPKAgrees solves the LP file with GLPK, when it is
// installed, and compares its optimum with the engine's surplus.
func TestBenchClearingGLPKAgrees(t *testing.T) {
	glpsol, err := exec.LookPath("glpsol")
	if err != nil {
		t.Skip("glpsol (GLPK, Debian package glpk-utils) is not on PATH: the LP optimum is not checked against it")
	}
	for _, book := range solverBooks {
		t.Run(book[1], func(t *testing.T) {
			dir := t.TempDir()
			lp, sol := filepath.Join(dir, "book.lp"), filepath.Join(dir, "book.sol")
			r := benchJSON(t, append(book, "--lp", lp)...)
			out, err := exec.Command(glpsol, "--lp", lp, "-w", sol).CombinedOutput()
			if err != nil {
				t.Fatalf("glpsol: %v\n%s", err, out)
			}
			optimum := glpkObjective(t, sol)
			if math.Abs(optimum-float64(r.Surplus)) > 0.5 {
				t.Errorf("glpsol's optimum %.3f, the engine's surplus %d", optimum, r.Surplus)
			}
		})
	}
}

// glpkObjective reads the objective from the "s" line of a solution that
// glpsol -w wrote: "s bas ROWS COLS PRIMAL DUAL OBJECTIVE".
func glpkObjective(t *testing.T, path string) float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) == 7 && f[0] == "s" && f[1] == "bas" {
			if f[4] != "f" || f[5] != "f" {
				t.Fatalf("glpsol: solution not feasible: %q", line)
			}
			v, err := strconv.ParseFloat(f[6], 64)
			if err != nil {
				t.Fatalf("glpsol: objective %q: %v", f[6], err)
			}
			return v
		}
	}
	t.Fatalf("glpsol: no objective in %s:\n%s", path, data)
	return 0
}

// TestBenchClearingLEMONAgrees solves the DIMACS file with LEMON's network
// simplex and cost scaling, when g++ and LEMON are installed, and compares
// the least cost with −surplus.
func TestBenchClearingLEMONAgrees(t *testing.T) {
	cxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skip("g++ is not on PATH: the DIMACS optimum is not checked against LEMON")
	}
	bin := filepath.Join(t.TempDir(), "lemon_mcf")
	out, err := exec.Command(cxx, "-O2", "-o", bin, filepath.Join("testdata", "lemon_mcf.cc"), "-llemon").CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("lemon/")) || bytes.Contains(out, []byte("-llemon")) {
			t.Skipf("LEMON (Debian package liblemon-dev) is not installed: the DIMACS optimum is not checked against it\n%s", firstLine(out))
		}
		t.Fatalf("compiling testdata/lemon_mcf.cc: %v\n%s", err, out)
	}
	for _, book := range solverBooks {
		t.Run(book[1], func(t *testing.T) {
			dimacs := filepath.Join(t.TempDir(), "book.min")
			r := benchJSON(t, append(book, "--dimacs", dimacs)...)
			for _, algorithm := range []string{"ns", "cs"} {
				out, err := exec.Command(bin, dimacs, algorithm).CombinedOutput()
				if err != nil {
					t.Fatalf("lemon_mcf %s: %v\n%s", algorithm, err, out)
				}
				cost, err := lemonCost(out)
				if err != nil {
					t.Fatalf("lemon_mcf %s: %v\n%s", algorithm, err, out)
				}
				if cost != -r.Surplus {
					t.Errorf("lemon_mcf %s: least cost %d, want −surplus %d", algorithm, cost, -r.Surplus)
				}
			}
		})
	}
}

// lemonCost reads the "cost N" line that lemon_mcf prints.
func lemonCost(out []byte) (int64, error) {
	for line := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cost "); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("no cost line")
}

// firstLine is b up to its first newline, for short skip messages.
func firstLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\n")
	return line
}
