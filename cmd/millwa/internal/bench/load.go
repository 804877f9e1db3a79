package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/services/registry"
)

// loadOptions are the flags of "millwa bench load".
type loadOptions struct {
	databaseURL string
	concurrency []int
	duration    time.Duration
	warmup      time.Duration
	rounds      int
	batch       int
	seedLots    int
	groups      []string
	scenarios   []string
	json        bool
	cpuProfile  string
	quick       bool
	// configure, when set, changes the server's configuration before it
	// starts (bench watch lifts the stream caps).
	configure func(*config.Config)
}

// The groups of scenarios, in the order they run.
const (
	groupRead  = "read"
	groupWrite = "write"
	groupBatch = "batch"
)

var loadGroups = []string{groupRead, groupWrite, groupBatch}

// loadScenarioGroups names every scenario, with its group.
var loadScenarioGroups = map[string]string{
	"get-lot": groupRead, "health": groupRead, "raw-select": groupRead, "rest-get-lot": groupRead,
	"create-lot": groupWrite, "raw-insert": groupWrite,
	"batch-create-lots": groupBatch, "raw-bulk-insert": groupBatch,
}

// defaultLoadOptions are the flags' defaults, chosen so that the whole
// run on the embedded SQLite database takes about two minutes: 8 scenarios
// × 3 concurrencies × (warm-up + rounds × duration) ≈ 80 s, plus setup and
// the calls in flight at the end of each round. Rounds last a second:
// shorter ones swing widely on a busy machine. Those dominate the batch
// group: at concurrency 64 each worker's call of 100 lots waits for the 63
// before it on SQLite's one writer, seconds a round.
func defaultLoadOptions() loadOptions {
	return loadOptions{
		concurrency: []int{1, 16, 64},
		duration:    time.Second,
		warmup:      200 * time.Millisecond,
		rounds:      3,
		batch:       100,
		seedLots:    256,
		groups:      loadGroups,
	}
}

// quickLoadOptions replace the defaults under --quick, for tests: every
// scenario and ratio is still measured, each for a few calls.
func quickLoadOptions() loadOptions {
	return loadOptions{
		concurrency: []int{1, 4},
		duration:    30 * time.Millisecond,
		warmup:      10 * time.Millisecond,
		rounds:      2,
		batch:       10,
		seedLots:    16,
		groups:      loadGroups,
	}
}

// newBenchLoadCommand is "millwa bench load": closed-loop load on an
// in-process server, each scenario beside its reference.
func newBenchLoadCommand(stdout io.Writer) *cobra.Command {
	opt := defaultLoadOptions()
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Drive load at an in-process server, each path beside its baseline",
		Long: `Drive load at the service over real sockets with the typed Go gRPC
clients (and at the REST gateway over HTTP), closed loop: each of N workers
sends its next call as soon as its last one is answered. The server runs in
this process, on 127.0.0.1 ports picked at random with the rate limit
lifted, over a database made for the run, so nothing else needs installing.
Its other settings are the defaults (continuous matching on, logs as JSON at
level info, written nowhere); the global flags below do not apply to it.

Scenarios, in three groups, each measured beside a reference in the same run:
  read   GetLot over gRPC; Health/Check on the same server (an RPC that does
         nothing: the ceiling of the process); a point SELECT of the same
         lot's row by id through the same database driver and connection
         settings; GetLot over REST (the gateway's HTTP JSON)
  write  CreateLot (one transaction: the request id's record, the checks of
         association, classifier and members, the lot, its contributions,
         matching against the book, which holds no orders, and the audit
         event) beside the raw INSERT of the same lot row and its
         contribution rows in one transaction
  batch  BatchCreateLots of --batch lots a call beside the driver's bulk
         path: COPY (pgx CopyFrom) on PostgreSQL, one multi-row INSERT per
         table in one transaction on SQLite

For each group and concurrency every scenario first runs a warm-up that is
not measured (calls still in flight at its end are cancelled), then
--rounds rounds of --duration each, the group's
scenarios taking turns (A B C D, then D C B A, and so on) so that a drift of
the machine weighs on all of them alike. A round ends once its duration has
passed and the calls then in flight are answered; every answer counts, and
each worker makes at least one call.

Reported for each scenario and concurrency:
  ops/s      calls answered without error, per second of round time
  lots/s     lots read or written per second (a batch call is --batch lots)
  p50, p99   latency of the calls answered, over all rounds
  errors     calls that failed
  CPU µs/op  CPU time (user + system) of this process during the rounds,
             from getrusage(RUSAGE_SELF), per call answered: the client, the
             server and, on SQLite, the database engine; PostgreSQL's own
             server processes are not counted
and for each pair the ratio subject ÷ baseline of ops/s (the quotient of the
two ops/s above, over all rounds, beside the range of the rounds' own
ratios: round k of one ÷ round k of the other), of CPU per op and of p50
latency.

The database is a new SQLite file in a temporary folder, removed afterwards,
unless --database-url names another: sqlite:PATH makes a new file there (it
must not exist yet) and keeps it; postgres://… names a PostgreSQL server on
which a database is created for the run and dropped afterwards (the user
needs CREATEDB). MILLWA_* variables are not read: the bench never writes
into an existing database.`,
		Example: `  millwa bench load
  millwa bench load --database-url 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
  millwa bench load --scenarios create-lot --concurrency 16 --rounds 1 --duration 10s --cpuprofile create.prof
  go tool pprof -top create.prof
  millwa bench load --quick --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := opt
			if o.quick {
				q := quickLoadOptions()
				f := cmd.Flags()
				keep := func(name string, quick func()) {
					if !f.Changed(name) {
						quick()
					}
				}
				keep("concurrency", func() { o.concurrency = q.concurrency })
				keep("duration", func() { o.duration = q.duration })
				keep("warmup", func() { o.warmup = q.warmup })
				keep("rounds", func() { o.rounds = q.rounds })
				keep("batch", func() { o.batch = q.batch })
				keep("seed-lots", func() { o.seedLots = q.seedLots })
			}
			return runBenchLoad(cmd.Context(), stdout, cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.databaseURL, "database-url", "", "sqlite:PATH (a new file) or postgres://… (a server, on which a database is made for the run); default a new SQLite file in a temporary folder")
	f.IntSliceVar(&opt.concurrency, "concurrency", opt.concurrency, "closed-loop workers, one measurement each")
	f.DurationVar(&opt.duration, "duration", opt.duration, "length of each measured round")
	f.DurationVar(&opt.warmup, "warmup", opt.warmup, "unmeasured warm-up of each scenario at each concurrency")
	f.IntVar(&opt.rounds, "rounds", opt.rounds, "measured rounds of each scenario at each concurrency")
	f.IntVar(&opt.batch, "batch", opt.batch, fmt.Sprintf("lots per BatchCreateLots call and per bulk insert (1 to %d)", registry.MaxBatchLots))
	f.IntVar(&opt.seedLots, "seed-lots", opt.seedLots, "lots created before the run, which the read path reads")
	f.StringSliceVar(&opt.groups, "groups", opt.groups, "groups of scenarios to run: read, write, batch")
	f.StringSliceVar(&opt.scenarios, "scenarios", nil, "run only these scenarios of the groups, for a profile of one path: get-lot, health, raw-select, rest-get-lot, create-lot, raw-insert, batch-create-lots, raw-bulk-insert (a ratio needs both its scenarios)")
	f.BoolVar(&opt.json, "json", false, "print JSON instead of a table")
	f.StringVar(&opt.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured part (warm-ups and rounds) to this file")
	f.BoolVar(&opt.quick, "quick", false, "a run of a few seconds for tests: concurrency 1 and 4, 2 rounds of 30ms, batches of 10 (flags given still apply)")
	return cmd
}

// check refuses options that cannot make a measurement.
func (o loadOptions) check() error {
	if len(o.concurrency) == 0 {
		return errors.New("--concurrency needs at least one value")
	}
	for _, c := range o.concurrency {
		if c < 1 || c > 4096 {
			return fmt.Errorf("--concurrency %d: want 1 to 4096", c)
		}
	}
	switch {
	case o.duration <= 0:
		return errors.New("--duration must be positive")
	case o.warmup < 0:
		return errors.New("--warmup must not be negative")
	case o.rounds < 1:
		return errors.New("--rounds must be at least 1")
	case o.batch < 1 || o.batch > registry.MaxBatchLots:
		return fmt.Errorf("--batch %d: want 1 to %d (the most BatchCreateLots takes)", o.batch, registry.MaxBatchLots)
	case o.seedLots < 1 || o.seedLots > 100_000:
		return fmt.Errorf("--seed-lots %d: want 1 to 100000", o.seedLots)
	}
	if len(o.groups) == 0 {
		return errors.New("--groups needs at least one of read, write, batch")
	}
	for _, g := range o.groups {
		if !slices.Contains(loadGroups, g) {
			return fmt.Errorf("--groups: unknown group %q; want read, write or batch", g)
		}
	}
	for _, name := range o.scenarios {
		g, ok := loadScenarioGroups[name]
		if !ok {
			return fmt.Errorf("--scenarios: unknown scenario %q; see --help", name)
		}
		if !slices.Contains(o.groups, g) {
			return fmt.Errorf("--scenarios %s: its group %s is not among --groups", name, g)
		}
	}
	return nil
}

// loadReport is what "millwa bench load" prints.
type loadReport struct {
	Machine     machineInfo      `json:"machine"`
	Database    loadDatabaseInfo `json:"database"`
	Settings    loadSettings     `json:"settings"`
	Scenarios   []loadScenario   `json:"scenarios"`
	Comparisons []loadComparison `json:"comparisons"`
	CPUProfile  string           `json:"cpuProfile,omitempty"`
}

// loadDatabaseInfo names the database the run used.
type loadDatabaseInfo struct {
	// Kind is "sqlite" or "postgres".
	Kind    string `json:"kind"`
	Version string `json:"version"`
	// Where is the file or the server and database, password hidden.
	Where string `json:"where"`
	// Kept is false when the database was removed after the run.
	Kept bool `json:"kept"`
}

// loadSettings are the run's parameters.
type loadSettings struct {
	Concurrency     []int    `json:"concurrency"`
	RoundSeconds    float64  `json:"roundSeconds"`
	WarmupSeconds   float64  `json:"warmupSeconds"`
	Rounds          int      `json:"rounds"`
	BatchLots       int      `json:"batchLots"`
	SeedLots        int      `json:"seedLots"`
	Groups          []string `json:"groups"`
	Scenarios       []string `json:"scenarios,omitempty"`
	CPUClock        string   `json:"cpuClock"`
	ContinuousMatch bool     `json:"continuousMatching"`
}

// loadScenario is one scenario measured at one concurrency, over all its
// rounds.
type loadScenario struct {
	Group       string  `json:"group"`
	Name        string  `json:"name"`
	Title       string  `json:"title"`
	Concurrency int     `json:"concurrency"`
	Rounds      int     `json:"rounds"`
	Ops         int64   `json:"ops"`
	Seconds     float64 `json:"seconds"`
	OpsPerSec   float64 `json:"opsPerSecond"`
	LotsPerOp   int     `json:"lotsPerOp"`
	LotsPerSec  float64 `json:"lotsPerSecond"`
	P50Millis   float64 `json:"p50Millis"`
	P99Millis   float64 `json:"p99Millis"`
	Errors      int64   `json:"errors"`
	FirstError  string  `json:"firstError,omitempty"`
	// CPUMicrosPerOp is null where the process's CPU time cannot be read.
	CPUMicrosPerOp *float64 `json:"cpuMicrosPerOp"`
}

// loadComparison is a subject measured beside its baseline in the same
// rounds. A ratio is null when the baseline's figure is 0.
type loadComparison struct {
	Name        string   `json:"name"`
	Title       string   `json:"title"`
	Subject     string   `json:"subject"`
	Baseline    string   `json:"baseline"`
	Concurrency int      `json:"concurrency"`
	Ratio       *float64 `json:"ratio"`
	RoundMin    *float64 `json:"roundRatioMin"`
	RoundMax    *float64 `json:"roundRatioMax"`
	CPURatio    *float64 `json:"cpuRatio"`
	P50Ratio    *float64 `json:"p50Ratio"`
}

// runBenchLoad sets up the database, the server and the fixtures, runs the
// groups at each concurrency, and prints the report. Progress goes to
// progress, the report to stdout.
func runBenchLoad(ctx context.Context, stdout, progress io.Writer, opt loadOptions) (err error) {
	if err := opt.check(); err != nil {
		return err
	}
	env, err := newLoadEnv(ctx, opt, progress)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := env.close(); err == nil {
			err = cerr
		}
	}()

	if opt.cpuProfile != "" {
		f, err := os.Create(opt.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("--cpuprofile: %w", cerr)
			}
		}()
	}

	rep := loadReport{
		Machine:  machine(),
		Database: env.db.info,
		Settings: loadSettings{
			Concurrency: opt.concurrency, RoundSeconds: opt.duration.Seconds(), WarmupSeconds: opt.warmup.Seconds(),
			Rounds: opt.rounds, BatchLots: opt.batch, SeedLots: opt.seedLots, Groups: opt.groups, Scenarios: opt.scenarios,
			CPUClock: cpuClockName, ContinuousMatch: env.continuous,
		},
		Scenarios:   []loadScenario{},
		Comparisons: []loadComparison{},
		CPUProfile:  opt.cpuProfile,
	}
	for _, g := range loadGroups {
		if !slices.Contains(opt.groups, g) {
			continue
		}
		arms, pairs := env.group(g)
		if len(opt.scenarios) > 0 {
			arms, pairs = onlyScenarios(arms, pairs, opt.scenarios)
			if len(arms) == 0 {
				continue
			}
		}
		for _, c := range opt.concurrency {
			start := time.Now()
			runs, err := runGroup(ctx, arms, c, opt)
			if err != nil {
				return err
			}
			fmt.Fprintf(progress, "bench load: %s, concurrency %d: %s in %s\n", g, c, armNames(arms), time.Since(start).Round(time.Millisecond))
			for i, a := range arms {
				rep.Scenarios = append(rep.Scenarios, runs[i].scenario(g, a, c))
			}
			for _, p := range pairs {
				rep.Comparisons = append(rep.Comparisons, compare(p, arms, runs, c))
			}
		}
	}

	if opt.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printLoadTable(stdout, rep)
}

// onlyScenarios keeps the arms named, and the pairs of two kept arms.
func onlyScenarios(arms []*loadArm, pairs []loadPair, names []string) ([]*loadArm, []loadPair) {
	var keptArms []*loadArm
	for _, a := range arms {
		if slices.Contains(names, a.name) {
			keptArms = append(keptArms, a)
		}
	}
	var keptPairs []loadPair
	for _, p := range pairs {
		if slices.Contains(names, p.subject) && slices.Contains(names, p.baseline) {
			keptPairs = append(keptPairs, p)
		}
	}
	return keptArms, keptPairs
}

func armNames(arms []*loadArm) string {
	names := make([]string, len(arms))
	for i, a := range arms {
		names[i] = a.name
	}
	return strings.Join(names, ", ")
}

// loadPair names a subject and its baseline among a group's arms.
type loadPair struct {
	subject, baseline string
	title             string
}

// compare computes a pair's ratios from the runs of its group.
func compare(p loadPair, arms []*loadArm, runs []*armRun, c int) loadComparison {
	find := func(name string) *armRun {
		for i, a := range arms {
			if a.name == name {
				return runs[i]
			}
		}
		panic("bench load: no scenario " + name)
	}
	s, b := find(p.subject), find(p.baseline)
	cmp := loadComparison{
		Name: p.subject + "/" + p.baseline, Title: p.title, Subject: p.subject, Baseline: p.baseline, Concurrency: c,
		Ratio:    ratio(s.opsPerSec(), b.opsPerSec()),
		P50Ratio: ratio(s.percentile(0.50).Seconds(), b.percentile(0.50).Seconds()),
	}
	if sc, bc := s.cpuPerOp(), b.cpuPerOp(); sc != nil && bc != nil {
		cmp.CPURatio = ratio(*sc, *bc)
	}
	for r := range s.roundRates {
		if q := ratio(s.roundRates[r], b.roundRates[r]); q != nil {
			if cmp.RoundMin == nil || *q < *cmp.RoundMin {
				cmp.RoundMin = q
			}
			if cmp.RoundMax == nil || *q > *cmp.RoundMax {
				cmp.RoundMax = q
			}
		}
	}
	return cmp
}

// ratio is a ÷ b, or nil when it is not a finite number.
func ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	q := a / b
	if math.IsNaN(q) || math.IsInf(q, 0) {
		return nil
	}
	return &q
}

// printLoadTable prints the report for people.
func printLoadTable(w io.Writer, r loadReport) error {
	bw := errWriter{w: w}
	m := r.Machine
	cpu := m.CPU
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	s := r.Settings
	bw.printf("millwa bench load\n")
	bw.printf("machine   %d cores (GOMAXPROCS %d), %s, %s, %s/%s\n", m.Cores, m.GOMAXPROCS, cpu, m.Go, m.OS, m.Arch)
	bw.printf("database  %s\n", describeDatabase(r.Database))
	conc := make([]string, len(s.Concurrency))
	for i, c := range s.Concurrency {
		conc[i] = strconv.Itoa(c)
	}
	bw.printf("run       concurrency %s; per scenario a %s warm-up, then %d rounds of %s, the group's scenarios taking turns (A B …, then … B A); %d seed lots; %d lots a batch\n",
		strings.Join(conc, ", "), seconds(s.WarmupSeconds), s.Rounds, seconds(s.RoundSeconds), s.SeedLots, s.BatchLots)
	where := "the client, the server and the SQLite engine"
	if r.Database.Kind == store.DialectPostgres {
		where = "the client and the server; PostgreSQL's processes not counted"
	}
	bw.printf("CPU       %s of this process: %s\n", s.CPUClock, where)
	if r.CPUProfile != "" {
		bw.printf("profile   %s\n", r.CPUProfile)
	}

	rows := [][]string{{"scenario", "conc", "ops/s", "lots/s", "p50 ms", "p99 ms", "errors", "CPU µs/op"}}
	group := ""
	for _, sc := range r.Scenarios {
		if sc.Group != group {
			group = sc.Group
			rows = append(rows, []string{groupTitle(group, s.BatchLots)})
		}
		cpu := "n/a"
		if sc.CPUMicrosPerOp != nil {
			cpu = fmt.Sprintf("%.1f", *sc.CPUMicrosPerOp)
		}
		lots := "–"
		if sc.LotsPerOp > 0 {
			lots = fmt.Sprintf("%.0f", sc.LotsPerSec)
		}
		rows = append(rows, []string{"  " + sc.Title, strconv.Itoa(sc.Concurrency), fmt.Sprintf("%.0f", sc.OpsPerSec), lots,
			fmt.Sprintf("%.3f", sc.P50Millis), fmt.Sprintf("%.3f", sc.P99Millis), strconv.FormatInt(sc.Errors, 10), cpu})
	}
	bw.printf("\n")
	printColumns(&bw, rows)

	rows = [][]string{{"ratio subject ÷ baseline", "conc", "ops/s", "rounds", "CPU/op", "p50"}}
	for _, c := range r.Comparisons {
		rounds := "n/a"
		if c.RoundMin != nil {
			rounds = fmt.Sprintf("%.3f–%.3f", *c.RoundMin, *c.RoundMax)
		}
		rows = append(rows, []string{"  " + c.Title, strconv.Itoa(c.Concurrency), ratioText(c.Ratio), rounds, ratioText(c.CPURatio), ratioText(c.P50Ratio)})
	}
	bw.printf("\n")
	printColumns(&bw, rows)
	for _, sc := range r.Scenarios {
		if sc.FirstError != "" {
			bw.printf("\n%s at concurrency %d: %d errors, the first: %s", sc.Title, sc.Concurrency, sc.Errors, sc.FirstError)
		}
	}
	bw.printf("\n")
	return bw.err
}

// groupTitle heads a group's rows in the table.
func groupTitle(g string, batch int) string {
	switch g {
	case groupRead:
		return "read: one lot by id"
	case groupWrite:
		return "write: one lot with its contributions"
	case groupBatch:
		return fmt.Sprintf("batch: %d lots a call", batch)
	}
	return g
}

// describeDatabase is the header's line about the database.
func describeDatabase(d loadDatabaseInfo) string {
	fate := "removed afterwards"
	if d.Kept {
		fate = "kept"
	}
	switch d.Kind {
	case store.DialectSQLite:
		return fmt.Sprintf("SQLite %s (modernc.org/sqlite), WAL, synchronous=FULL, new file %s, %s", d.Version, d.Where, fate)
	case store.DialectPostgres:
		return fmt.Sprintf("PostgreSQL %s (pgx), synchronous_commit=on, new database %s, %s", d.Version, d.Where, fate)
	}
	return d.Kind + " " + d.Version
}

// printColumns prints rows aligned: the first column to the left, the
// others to the right. A row of one cell is a heading.
func printColumns(bw *errWriter, rows [][]string) {
	var width []int
	for _, row := range rows {
		if len(row) == 1 {
			continue
		}
		for c, cell := range row {
			if c == len(width) {
				width = append(width, 0)
			}
			width[c] = max(width[c], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		if len(row) == 1 {
			bw.printf("%s\n", row[0])
			continue
		}
		var b strings.Builder
		for c, cell := range row {
			pad := strings.Repeat(" ", width[c]-utf8.RuneCountInString(cell))
			if c == 0 {
				b.WriteString(cell + pad)
			} else {
				b.WriteString("  " + pad + cell)
			}
		}
		bw.printf("%s\n", b.String())
	}
}

func ratioText(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", *p)
}

// seconds prints a number of seconds as a duration.
func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).String()
}
