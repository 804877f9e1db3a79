package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"reflect"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/millwa/millwa/internal/matching"
)

// clearingOptions are the flags of "millwa bench clearing".
type clearingOptions struct {
	book, generate, writeBook string
	dimacs, dimacsReduced, lp string
	json, noFCFS              bool
}

// newBenchClearingCommand is "millwa bench clearing": one exact clearing of
// a book with the engine the service uses, timed and measured, beside the
// first-come-first-served baseline, and the same instance written for
// external solvers to confirm the optimum.
func newBenchClearingCommand(stdout io.Writer) *cobra.Command {
	var opt clearingOptions
	cmd := &cobra.Command{
		Use:   "clearing",
		Short: "Clear a book exactly, timed, beside first come, first served",
		Long: `Clear a book of lots and orders with the engine the service uses (the
exact clearing) and report its surplus, solve time and peak memory, beside
the first-come-first-served baseline on the same book.

The book is --book FILE, JSON of the form
  {"lots":   [{"id", "group", "colour", "breed", "mfd", "grams", "ask"}, …],
   "orders": [{"id", "groups", "colours", "breeds", "max_mfd", "grams", "bid"}, …]}
with grams in grams, prices in minor units per kg, diameters in µm and
"mfd" or "max_mfd" null for none; "rank" (age: smaller is older) and an
order's "min_lot_grams" are optional, and other fields are refused. Or
--generate SEED,LOTS,ORDERS makes a random realistic book, the same for the
same three numbers; --write-book FILE saves the book used.

Reported:
  surplus         Σ (bid − ask) × grams over the allocations, exact, in minor
                  units × grams / 1000; also shown divided by 1000, in minor
                  units
  solve time      wall time of the clearing alone, not of reading or making
                  the book; split below into building the reduced network
                  (validating the book, grouping, costs), the network
                  simplex on it (the part to compare with another solver's
                  solve of the --dimacs-reduced file) and reading the
                  allocations off the flow
  peak heap       the greatest heap occupancy (live objects and garbage not
                  yet collected) seen during the solve, sampled every
                  millisecond, less the heap after a full collection just
                  before it: what the solve adds to the process's heap. It
                  includes the result and grows with GOGC; it may miss a
                  peak shorter than a millisecond, and the runtime counts
                  memory in spans of a few kilobytes, so a very small solve
                  reads as 0
  allocated       all bytes allocated during the solve, exact
  FCFS            first come, first served on the same book (each order,
                  oldest first, takes the cheapest eligible lots) and the
                  gain of the optimum over its surplus, in percent; it
                  scans lots × orders, so --no-fcfs skips it on large books
  eligible pairs  the (order, lot) pairs that may trade; counted when
                  lots × orders is at most 10⁸ or when a file below is written

--dimacs FILE writes the book as a DIMACS minimum-cost flow problem whose
least cost is −surplus: node 1 is the source with supply Σ order grams,
node 2 the sink with the same demand, then the orders and the lots in book
order; arcs source → sink (grams not traded, cost 0), source → order
(capacity its grams, cost −bid), order → lot for each eligible pair, and
lot → sink (capacity its grams, cost ask). Costs are per kg and flows in
grams, so cost × flow is in the units of the surplus.

--dimacs-reduced FILE writes, as a DIMACS minimum-cost flow problem, the
network the engine actually solves, after its reduction, so that another
solver can be timed on the same graph: node 1 is the hub, then the other
nodes in the engine's order; every supply is 0, so the least-cost
circulation is sought; the arc hub → order costs −bid, the arc lot → hub
the ask, every other arc 0. The least cost is −surplus, as for --dimacs.
The engine adds the tie-breaks of its objective to these costs; they only
choose among the circulations of least cost.

--lp FILE writes it as a CPLEX LP whose maximum is the surplus: a variable
x<k> for the grams of each eligible pair, k counting orders in book order
and each order's lots in book order, a constraint o<i> for order i's grams
and l<j> for lot j's grams.`,
		Example: `  millwa bench clearing --generate 2026,10000,1000
  millwa bench clearing --book book.json --json
  millwa bench clearing --generate 2026,10000,1000 --write-book book.json --dimacs book.min --lp book.lp
  millwa bench clearing --generate 2026,100000,10000 --dimacs-reduced reduced.min
  lemon_mcf reduced.min
  glpsol --lp book.lp -w book.sol
  clp book.lp -primalsimplex
  cbc book.lp -solve -solution book.sol`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchClearing(stdout, opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.book, "book", "", "read the book from this JSON file")
	f.StringVar(&opt.generate, "generate", "", "make a random realistic book instead: SEED,LOTS,ORDERS, for example 2026,10000,1000")
	f.StringVar(&opt.writeBook, "write-book", "", "save the book to this JSON file")
	f.StringVar(&opt.dimacs, "dimacs", "", "write the book as a DIMACS minimum-cost flow problem to this file")
	f.StringVar(&opt.dimacsReduced, "dimacs-reduced", "", "write the network the engine solves, after its reduction, as a DIMACS minimum-cost flow problem to this file")
	f.StringVar(&opt.lp, "lp", "", "write the book as a CPLEX LP problem to this file")
	f.BoolVar(&opt.json, "json", false, "print JSON instead of a table")
	f.BoolVar(&opt.noFCFS, "no-fcfs", false, "skip the first-come-first-served baseline")
	return cmd
}

// clearingReport is what "millwa bench clearing" prints. Surplus,
// SolveMillis, PeakBytes and Allocations are those of the exact clearing.
type clearingReport struct {
	Machine           machineInfo      `json:"machine"`
	Book              bookInfo         `json:"book"`
	Surplus           matching.Surplus `json:"surplus"`
	SurplusMinorUnits float64          `json:"surplusMinorUnits"`
	GramsAllocated    int64            `json:"gramsAllocated"`
	SolveMillis       float64          `json:"solveMillis"`
	// NetworkMillis, NetworkSolveMillis and ReadMillis divide SolveMillis
	// as matching.Times does: building the reduced network, solving it,
	// reading the allocations.
	NetworkMillis      float64 `json:"networkMillis"`
	NetworkSolveMillis float64 `json:"networkSolveMillis"`
	ReadMillis         float64 `json:"readMillis"`
	PeakBytes          uint64  `json:"peakBytes"`
	AllocBytes         uint64  `json:"allocBytes"`
	// FCFSSkipped is true with --no-fcfs; the FCFS fields are then 0.
	FCFSSkipped        bool             `json:"fcfsSkipped"`
	FCFSSurplus        matching.Surplus `json:"fcfsSurplus"`
	FCFSGramsAllocated int64            `json:"fcfsGramsAllocated"`
	FCFSAllocations    int              `json:"fcfsAllocations"`
	FCFSSolveMillis    float64          `json:"fcfsSolveMillis"`
	FCFSPeakBytes      uint64           `json:"fcfsPeakBytes"`
	FCFSAllocBytes     uint64           `json:"fcfsAllocBytes"`
	// FCFSGainPercent is null when first come, first served trades nothing
	// and the optimum does.
	FCFSGainPercent *float64              `json:"fcfsGainPercent"`
	DIMACS          string                `json:"dimacs,omitempty"`
	DIMACSReduced   string                `json:"dimacsReduced,omitempty"`
	LP              string                `json:"lp,omitempty"`
	Allocations     []matching.Allocation `json:"allocations"`
}

// machineInfo names the machine a measurement was taken on.
type machineInfo struct {
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPU        string `json:"cpu"`
	Go         string `json:"go"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
}

// bookInfo describes the book cleared.
type bookInfo struct {
	Source     string `json:"source"`
	Lots       int    `json:"lots"`
	Orders     int    `json:"orders"`
	LotGrams   int64  `json:"lotGrams"`
	OrderGrams int64  `json:"orderGrams"`
	// EligiblePairs is null when the pairs were not counted.
	EligiblePairs *int `json:"eligiblePairs"`
}

// maxPairChecks is the most lots × orders whose eligible pairs are counted
// when no file needs them: each is a call of matching.Eligible.
const maxPairChecks = 100_000_000

// runBenchClearing loads the book, clears it both ways, measuring each,
// then counts the eligible pairs and writes the solver files, after the
// solves so that neither weighs on their memory figures.
func runBenchClearing(stdout io.Writer, opt clearingOptions) error {
	book, source, err := loadBook(opt)
	if err != nil {
		return err
	}
	if opt.writeBook != "" {
		if err := writeFile(opt.writeBook, func(w io.Writer) error { return writeBook(w, book) }); err != nil {
			return err
		}
	}

	var best, fcfs matching.Result
	var times matching.Times
	m, err := measure(func() (err error) { best, times, err = matching.ClearTimed(book); return err })
	if err != nil {
		return fmt.Errorf("book %s: %w", source, err)
	}
	var mf measurement
	if !opt.noFCFS {
		mf, err = measure(func() (err error) { fcfs, err = matching.FirstComeFirstServed(book); return err })
		if err != nil {
			return fmt.Errorf("book %s: first come, first served: %w", source, err)
		}
	}

	rep := clearingReport{
		Machine:            machine(),
		Book:               bookInfo{Source: source, Lots: len(book.Lots), Orders: len(book.Orders)},
		Surplus:            best.Surplus,
		SurplusMinorUnits:  best.Surplus.Float64() / 1000,
		GramsAllocated:     best.GramsAllocated,
		SolveMillis:        millis(m.elapsed),
		NetworkMillis:      millis(times.Network),
		NetworkSolveMillis: millis(times.Solve),
		ReadMillis:         millis(times.Read),
		FCFSSkipped:        opt.noFCFS,
		PeakBytes:          m.peakBytes,
		AllocBytes:         m.allocBytes,
		FCFSSurplus:        fcfs.Surplus,
		FCFSGramsAllocated: fcfs.GramsAllocated,
		FCFSAllocations:    len(fcfs.Allocations),
		FCFSSolveMillis:    millis(mf.elapsed),
		FCFSPeakBytes:      mf.peakBytes,
		FCFSAllocBytes:     mf.allocBytes,
		DIMACS:             opt.dimacs,
		DIMACSReduced:      opt.dimacsReduced,
		LP:                 opt.lp,
		Allocations:        best.Allocations,
	}
	if !opt.noFCFS {
		rep.FCFSGainPercent = gainPercent(best.Surplus, fcfs.Surplus)
	}
	if rep.Allocations == nil {
		rep.Allocations = []matching.Allocation{}
	}
	for _, l := range book.Lots {
		rep.Book.LotGrams += l.Grams
	}
	for _, o := range book.Orders {
		rep.Book.OrderGrams += o.Grams
	}

	if opt.dimacs != "" || opt.lp != "" || int64(len(book.Lots))*int64(len(book.Orders)) <= maxPairChecks {
		pairs := eligiblePairs(book)
		n := len(pairs)
		rep.Book.EligiblePairs = &n
		if opt.dimacs != "" {
			err := writeFile(opt.dimacs, func(w io.Writer) error { return writeDIMACS(w, book, pairs, source) })
			if err != nil {
				return err
			}
		}
		if opt.lp != "" {
			err := writeFile(opt.lp, func(w io.Writer) error { return writeLP(w, book, pairs, source) })
			if err != nil {
				return err
			}
		}
	}

	if opt.dimacsReduced != "" {
		nw, err := matching.ReducedNetwork(book)
		if err != nil {
			return fmt.Errorf("book %s: %w", source, err)
		}
		err = writeFile(opt.dimacsReduced, func(w io.Writer) error { return writeReducedDIMACS(w, nw, source) })
		if err != nil {
			return err
		}
	}

	if opt.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printClearingTable(stdout, rep)
}

// loadBook reads --book or makes the --generate book, and names its source
// for messages and the report.
func loadBook(opt clearingOptions) (matching.Book, string, error) {
	switch {
	case opt.book != "" && opt.generate != "":
		return matching.Book{}, "", errors.New("give --book FILE or --generate SEED,LOTS,ORDERS, not both")
	case opt.book != "":
		b, err := readBook(opt.book)
		return b, opt.book, err
	case opt.generate != "":
		seed, lots, orders, err := parseGenerate(opt.generate)
		if err != nil {
			return matching.Book{}, "", err
		}
		return matching.GenerateBook(seed, lots, orders), fmt.Sprintf("generated %d,%d,%d", seed, lots, orders), nil
	default:
		return matching.Book{}, "", errors.New("give --book FILE or --generate SEED,LOTS,ORDERS")
	}
}

// parseGenerate reads the SEED,LOTS,ORDERS of --generate.
func parseGenerate(s string) (seed uint64, lots, orders int, err error) {
	bad := func(why string) error {
		return fmt.Errorf("--generate %q: %s; want SEED,LOTS,ORDERS, for example 2026,10000,1000", s, why)
	}
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, bad(fmt.Sprintf("%d fields", len(parts)))
	}
	seed, err = strconv.ParseUint(strings.TrimSpace(parts[0]), 10, 64)
	if err != nil {
		return 0, 0, 0, bad("the seed is not a non-negative integer")
	}
	count := func(name, v string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > matching.MaxItems {
			return 0, bad(fmt.Sprintf("%s must be an integer from 0 to %d", name, matching.MaxItems))
		}
		return n, nil
	}
	if lots, err = count("LOTS", parts[1]); err != nil {
		return 0, 0, 0, err
	}
	if orders, err = count("ORDERS", parts[2]); err != nil {
		return 0, 0, 0, err
	}
	return seed, lots, orders, nil
}

// readBook reads a book file strictly: a misspelt field would otherwise
// silently change which lots an order accepts.
func readBook(path string) (matching.Book, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return matching.Book{}, fmt.Errorf("reading book: %w", err)
	}
	var b matching.Book
	var present map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return matching.Book{}, fmt.Errorf("book %s: %s", path, jsonErrorAt(data, err))
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		rest := data[end:]
		end += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
		return matching.Book{}, fmt.Errorf("book %s: %s: more data after the book", path, position(data, end))
	}
	if err := json.Unmarshal(data, &present); err != nil || (present["lots"] == nil && present["orders"] == nil) {
		return matching.Book{}, fmt.Errorf(`book %s: not a book: want an object with "lots" and "orders"`, path)
	}
	return b, nil
}

// jsonErrorAt describes a decoding error with the line and column where it
// happened. The decoder's offsets count the bytes read, so the byte at
// fault is the one before.
func jsonErrorAt(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	msg := strings.TrimPrefix(err.Error(), "json: ")
	switch {
	case errors.As(err, &syn):
		return position(data, syn.Offset-1) + ": " + msg
	case errors.As(err, &typ):
		what := "the book"
		if typ.Field != "" {
			what = strconv.Quote(typ.Field)
		}
		return fmt.Sprintf("%s: %s is a JSON %s, want %s", position(data, typ.Offset-1), what, typ.Value, jsonKind(typ.Type))
	case errors.Is(err, io.EOF):
		return "empty file"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the file ends in the middle of the book"
	}
	// An unknown field is reported without its place: point at its
	// first appearance as a key.
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		if i := bytes.Index(data, append([]byte(name), ':')); i >= 0 {
			return position(data, int64(i)) + ": " + msg
		}
		if i := bytes.Index(data, []byte(name)); i >= 0 {
			return position(data, int64(i)) + ": " + msg
		}
	}
	return msg
}

// jsonKind names the JSON a Go type of the book is read from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number or null"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(jsonKind(t.Elem()), "an "), "a ") + "s"
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

// position is "line L, column C" of the byte at offset, counting from 0.
func position(data []byte, offset int64) string {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// writeFile creates path and writes it through a buffer, reporting errors
// with the file's name.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeBook writes b in the --book format, one lot or order a line so the
// file stays readable and diffable.
func writeBook(w io.Writer, b matching.Book) error {
	bw := errWriter{w: w}
	section := func(name string, n int, item func(int) any) {
		bw.printf("  %q: [", name)
		for i := range n {
			line, err := json.Marshal(item(i))
			if err != nil {
				bw.err = err
				return
			}
			sep := ","
			if i == n-1 {
				sep = ""
			}
			bw.printf("\n    %s%s", line, sep)
		}
		if n > 0 {
			bw.printf("\n  ")
		}
		bw.printf("]")
	}
	bw.printf("{\n")
	section("lots", len(b.Lots), func(i int) any { return b.Lots[i] })
	bw.printf(",\n")
	section("orders", len(b.Orders), func(i int) any { return b.Orders[i] })
	bw.printf("\n}\n")
	return bw.err
}

// errWriter keeps the first write error so a long run of writes needs one
// check.
type errWriter struct {
	w   io.Writer
	err error
}

// printf writes unless an earlier write failed.
func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// write writes p unless an earlier write failed.
func (e *errWriter) write(p []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}

// measurement is the cost of one solve.
type measurement struct {
	elapsed    time.Duration
	peakBytes  uint64 // greatest heap occupancy seen, less the baseline
	allocBytes uint64 // bytes allocated
}

const (
	heapObjectsMetric = "/memory/classes/heap/objects:bytes"
	heapAllocsMetric  = "/gc/heap/allocs:bytes"
)

// measure runs solve after a full collection, timing it and sampling the
// heap every millisecond from another goroutine. runtime/metrics is read
// rather than runtime.ReadMemStats because it does not stop the world, so
// sampling barely disturbs the solve. The heap it reports counts objects a
// span at a time, as each processor's cache hands a span back, so the peak
// may be short by a few spans (tens of kilobytes) and a solve that
// allocates only a few kilobytes reads as 0.
func measure(solve func() error) (measurement, error) {
	runtime.GC()
	s := []metrics.Sample{{Name: heapObjectsMetric}, {Name: heapAllocsMetric}}
	metrics.Read(s)
	base, allocs0 := s[0].Value.Uint64(), s[1].Value.Uint64()

	stop, peakc := make(chan struct{}), make(chan uint64)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		sample := []metrics.Sample{{Name: heapObjectsMetric}}
		var peak uint64
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				peakc <- peak
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	err := solve()
	elapsed := time.Since(start)
	metrics.Read(s)
	close(stop)
	peak := max(<-peakc, s[0].Value.Uint64())
	m := measurement{elapsed: elapsed}
	if peak > base {
		m.peakBytes = peak - base
	}
	// The runtime counts an allocation when the span holding it leaves a
	// processor's cache; a collection flushes those caches, so the count
	// after one is exact.
	runtime.GC()
	metrics.Read(s)
	m.allocBytes = s[1].Value.Uint64() - allocs0
	return m, err
}

// millis is d in milliseconds, with the nanoseconds kept as decimals.
func millis(d time.Duration) float64 {
	return float64(d.Nanoseconds()) / 1e6
}

// gainPercent is how much more the optimum trades than first come, first
// served, in percent of the latter; nil when that is 0 and the optimum
// is not.
func gainPercent(optimal, fcfs matching.Surplus) *float64 {
	var g float64
	zero := matching.Surplus{}
	switch {
	case fcfs != zero:
		g = 100 * (optimal.Float64() - fcfs.Float64()) / fcfs.Float64()
	case optimal != zero:
		return nil
	}
	return &g
}

// machine names this machine: cores, CPU model when /proc/cpuinfo tells
// it, Go version and platform.
func machine() machineInfo {
	return machineInfo{
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		CPU:        cpuModel(),
		Go:         runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
	}
}

// cpuModel is the processor's name from /proc/cpuinfo, or "" where there
// is none. x86 names it "model name"; other architectures use other keys.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	found := map[string]string{}
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(line, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if ok && v != "" && found[k] == "" {
			found[k] = v
		}
	}
	for _, k := range []string{"model name", "Model", "Hardware", "cpu model", "cpu", "uarch"} {
		if v := found[k]; v != "" {
			return v
		}
	}
	return ""
}

// printClearingTable prints the report for people.
func printClearingTable(w io.Writer, r clearingReport) error {
	m := r.Machine
	cpu := m.CPU
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	fmt.Fprintf(w, "millwa bench clearing\n")
	fmt.Fprintf(w, "machine  %d cores (GOMAXPROCS %d), %s, %s, %s/%s\n", m.Cores, m.GOMAXPROCS, cpu, m.Go, m.OS, m.Arch)
	pairs := "eligible pairs not counted (lots × orders > 10⁸)"
	if r.Book.EligiblePairs != nil {
		pairs = fmt.Sprintf("%d eligible pairs", *r.Book.EligiblePairs)
	}
	fmt.Fprintf(w, "book     %s: %d lots (%d g), %d orders (%d g), %s\n\n",
		r.Book.Source, r.Book.Lots, r.Book.LotGrams, r.Book.Orders, r.Book.OrderGrams, pairs)

	rows := [][3]string{
		{"", "optimal", "first come, first served"},
		{"surplus Σ (bid − ask) × grams", r.Surplus.String(), r.FCFSSurplus.String()},
		{"surplus ÷ 1000, minor units", thousandths(r.Surplus), thousandths(r.FCFSSurplus)},
		{"grams allocated", strconv.FormatInt(r.GramsAllocated, 10), strconv.FormatInt(r.FCFSGramsAllocated, 10)},
		{"allocations", strconv.Itoa(len(r.Allocations)), strconv.Itoa(r.FCFSAllocations)},
		{"solve time, ms", fmt.Sprintf("%.3f", r.SolveMillis), fmt.Sprintf("%.3f", r.FCFSSolveMillis)},
		{"  building the network, ms", fmt.Sprintf("%.3f", r.NetworkMillis), ""},
		{"  solving the network, ms", fmt.Sprintf("%.3f", r.NetworkSolveMillis), ""},
		{"  reading the allocations, ms", fmt.Sprintf("%.3f", r.ReadMillis), ""},
		{"peak heap, bytes", bytesWithMiB(r.PeakBytes), bytesWithMiB(r.FCFSPeakBytes)},
		{"allocated, bytes", bytesWithMiB(r.AllocBytes), bytesWithMiB(r.FCFSAllocBytes)},
	}
	if r.FCFSSkipped {
		for k := 1; k < len(rows); k++ {
			rows[k][2] = ""
		}
		rows[0][2] = "first come, first served: skipped"
	}
	var width [3]int
	for _, row := range rows {
		for c, cell := range row {
			width[c] = max(width[c], utf8.RuneCountInString(cell))
		}
	}
	pad := func(s string, n int) string { return strings.Repeat(" ", n-utf8.RuneCountInString(s)) }
	for _, row := range rows {
		fmt.Fprintf(w, "%s%s  %s%s  %s%s\n", row[0], pad(row[0], width[0]), pad(row[1], width[1]), row[1], pad(row[2], width[2]), row[2])
	}
	gain := "undefined (first come, first served trades nothing)"
	if r.FCFSSkipped {
		gain = "not measured (--no-fcfs)"
	} else if r.FCFSGainPercent != nil {
		gain = fmt.Sprintf("%+.2f %%", *r.FCFSGainPercent)
	}
	fmt.Fprintf(w, "\ngain of optimal over first come, first served: %s\n", gain)
	for _, f := range []struct{ what, path string }{{"DIMACS min-cost flow", r.DIMACS}, {"reduced DIMACS min-cost flow", r.DIMACSReduced}, {"LP", r.LP}} {
		if f.path != "" {
			fmt.Fprintf(w, "wrote %s: %s\n", f.what, f.path)
		}
	}
	return nil
}

// thousandths prints n / 1000 exactly, with three decimals.
func thousandths(n matching.Surplus) string {
	q, r := new(big.Int).QuoRem(n.Big(), big.NewInt(1000), new(big.Int))
	return fmt.Sprintf("%s.%03d", q, r.Int64())
}

// bytesWithMiB prints a byte count exactly and in MiB.
func bytesWithMiB(n uint64) string {
	return fmt.Sprintf("%d (%.1f MiB)", n, float64(n)/(1<<20))
}
