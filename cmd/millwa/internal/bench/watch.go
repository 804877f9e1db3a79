package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/millwa/millwa/internal/config"
)

// watchOptions are the flags of "millwa bench watch".
type watchOptions struct {
	databaseURL string
	streams     int
	perConn     int
	events      int
	idle        time.Duration
	settle      time.Duration
	concurrency int
	duration    time.Duration
	rounds      int
	json        bool
	quick       bool
	cpuProfile  string
}

// defaultWatchOptions are the flags' defaults: a thousand streams, a
// settling time and an idle window long enough for PostgreSQL's
// statistics (which an idle backend reports up to 10 s late) to count the
// window and not the opening of the streams, and GetLot rounds of a
// second.
func defaultWatchOptions() watchOptions {
	return watchOptions{
		streams:     1000,
		perConn:     90,
		events:      20,
		idle:        20 * time.Second,
		settle:      12 * time.Second,
		concurrency: 16,
		duration:    time.Second,
		rounds:      3,
	}
}

// quickWatchOptions replace the defaults under --quick, for tests.
func quickWatchOptions() watchOptions {
	return watchOptions{
		streams:     200,
		perConn:     50,
		events:      3,
		idle:        time.Second,
		settle:      200 * time.Millisecond,
		concurrency: 4,
		duration:    100 * time.Millisecond,
		rounds:      1,
	}
}

// newBenchWatchCommand is "millwa bench watch": many idle market streams
// on one in-process replica, what they cost and how fast an event reaches
// them all.
func newBenchWatchCommand(stdout io.Writer) *cobra.Command {
	opt := defaultWatchOptions()
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Open many WatchMarket streams on an in-process server and measure their cost and delivery",
		Long: `Start the service in this process, as "bench load" does (a database made
for the run, 127.0.0.1 ports, the rate limit and the stream caps lifted),
and open --streams WatchMarket streams over real gRPC connections, at most
--streams-per-conn on each (the server takes 100 streams a connection). All
streams use one admin key, so every event goes to every stream, and decode
of each event only its id and time (a real client decodes the rest on its
own machine; here the CPU is the server's). Then:

  GetLot      closed-loop GetLot at --concurrency for --rounds rounds of
              --duration while the streams are open and idle, and as many
              rounds without them, half before they open and half after
              they close, so that a drift of the machine weighs on both:
              ops/s with streams ÷ ops/s without
  memory      live heap and goroutine stacks after a GC, before and after
              the streams open, ÷ streams (client and server sides: both
              live in this process)
  idle        over --idle, once the streams have settled: the database's
              transactions a second (PostgreSQL: xact_commit + xact_rollback
              of pg_stat_database for the run's database, less the bench's
              own two reads; not available on SQLite) and the outbox reads a
              second made for the streams (millwa_market_watch_outbox_reads_total)
  delivery    --events times, one after the other: a CreateLot that the
              continuous matching matches to a standing purchase order
              (one TRADE_MATCHED event), and the time until the event has
              reached every stream, from the call and from the event's
              recording in the transaction that commits it (its
              event_time): p50, p99 and max over the events; and p50 and
              p99 of each stream's own delivery, from the call

The database is a new SQLite file in a temporary folder unless
--database-url names another (see "millwa bench load --help"). The soft
limit on open files is raised to the hard limit.`,
		Example: `  millwa bench watch --streams 10000 --database-url 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
  millwa bench watch --quick --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := opt
			if o.quick {
				q := quickWatchOptions()
				f := cmd.Flags()
				for name, set := range map[string]func(){
					"streams": func() { o.streams = q.streams }, "streams-per-conn": func() { o.perConn = q.perConn },
					"events": func() { o.events = q.events }, "idle": func() { o.idle = q.idle }, "settle": func() { o.settle = q.settle },
					"concurrency": func() { o.concurrency = q.concurrency }, "duration": func() { o.duration = q.duration },
					"rounds": func() { o.rounds = q.rounds },
				} {
					if !f.Changed(name) {
						set()
					}
				}
			}
			return runBenchWatch(cmd.Context(), stdout, cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.databaseURL, "database-url", "", "sqlite:PATH (a new file) or postgres://… (a server, on which a database is made for the run); default a new SQLite file in a temporary folder")
	f.IntVar(&opt.streams, "streams", opt.streams, "WatchMarket streams to open")
	f.IntVar(&opt.perConn, "streams-per-conn", opt.perConn, "streams on each client connection (1 to 100)")
	f.IntVar(&opt.events, "events", opt.events, "events committed one at a time, each timed until every stream has it")
	f.DurationVar(&opt.idle, "idle", opt.idle, "how long the idle streams' database queries are counted")
	f.DurationVar(&opt.settle, "settle", opt.settle, "wait after the streams open before counting")
	f.IntVar(&opt.concurrency, "concurrency", opt.concurrency, "closed-loop GetLot workers")
	f.DurationVar(&opt.duration, "duration", opt.duration, "length of each GetLot round")
	f.IntVar(&opt.rounds, "rounds", opt.rounds, "GetLot rounds without streams and with them")
	f.BoolVar(&opt.json, "json", false, "print JSON instead of a table")
	f.StringVar(&opt.cpuProfile, "cpuprofile", "", "write a CPU profile of the delivery of the events to this file")
	f.BoolVar(&opt.quick, "quick", false, "a run of a few seconds for tests: 200 streams, 3 events, an idle second (flags given still apply)")
	return cmd
}

// check refuses options that cannot make a measurement.
func (o watchOptions) check() error {
	switch {
	case o.streams < 1 || o.streams > 100_000:
		return fmt.Errorf("--streams %d: want 1 to 100000", o.streams)
	case o.perConn < 1 || o.perConn > 100:
		return fmt.Errorf("--streams-per-conn %d: want 1 to 100", o.perConn)
	case o.events < 1 || o.events > 10_000:
		return fmt.Errorf("--events %d: want 1 to 10000", o.events)
	case o.idle <= 0:
		return errors.New("--idle must be positive")
	case o.settle < 0:
		return errors.New("--settle must not be negative")
	case o.concurrency < 1 || o.concurrency > 4096:
		return fmt.Errorf("--concurrency %d: want 1 to 4096", o.concurrency)
	case o.duration <= 0:
		return errors.New("--duration must be positive")
	case o.rounds < 1:
		return errors.New("--rounds must be at least 1")
	}
	return nil
}

// watchReport is what "millwa bench watch" prints.
type watchReport struct {
	Machine  machineInfo      `json:"machine"`
	Database loadDatabaseInfo `json:"database"`
	Settings watchSettings    `json:"settings"`
	// OpenSeconds is how long opening every stream took.
	OpenSeconds float64       `json:"openSeconds"`
	Idle        watchIdle     `json:"idle"`
	Memory      watchMemory   `json:"memory"`
	Delivery    watchDelivery `json:"delivery"`
	GetLot      watchGetLot   `json:"getLot"`
}

// watchSettings are the run's parameters.
type watchSettings struct {
	Streams        int     `json:"streams"`
	Connections    int     `json:"connections"`
	Events         int     `json:"events"`
	IdleSeconds    float64 `json:"idleSeconds"`
	Concurrency    int     `json:"concurrency"`
	RoundSeconds   float64 `json:"roundSeconds"`
	Rounds         int     `json:"rounds"`
	OpenFilesLimit uint64  `json:"openFilesLimit"`
}

// watchIdle is what the idle streams cost the database.
type watchIdle struct {
	Seconds float64 `json:"seconds"`
	// DatabaseTransactionsPerSecond is null on SQLite.
	DatabaseTransactionsPerSecond *float64 `json:"databaseTransactionsPerSecond"`
	OutboxReadsPerSecond          float64  `json:"outboxReadsPerSecond"`
}

// watchMemory is what the streams hold, per stream.
type watchMemory struct {
	HeapBytesPerStream  float64 `json:"heapBytesPerStream"`
	StackBytesPerStream float64 `json:"stackBytesPerStream"`
	TotalBytesPerStream float64 `json:"totalBytesPerStream"`
}

// watchDelivery is how fast the events reached the streams.
type watchDelivery struct {
	Events int `json:"events"`
	// ReachAll* are over the events: from the CreateLot call to the
	// event's arrival at the last stream.
	ReachAllP50Millis float64 `json:"reachAllP50Millis"`
	ReachAllP99Millis float64 `json:"reachAllP99Millis"`
	ReachAllMaxMillis float64 `json:"reachAllMaxMillis"`
	// FromRecord* are over the events: from the event's recording in the
	// transaction that committed it (its event_time) to its arrival at
	// the last stream, leaving out the call's way to the commit.
	FromRecordP50Millis float64 `json:"fromRecordP50Millis"`
	FromRecordP99Millis float64 `json:"fromRecordP99Millis"`
	FromRecordMaxMillis float64 `json:"fromRecordMaxMillis"`
	// Stream* are over every (event, stream) delivery.
	StreamP50Millis float64 `json:"streamP50Millis"`
	StreamP99Millis float64 `json:"streamP99Millis"`
	// StreamsLost counts streams that ended during the run.
	StreamsLost int    `json:"streamsLost"`
	FirstError  string `json:"firstError,omitempty"`
}

// watchGetLot compares GetLot with and without the idle streams.
type watchGetLot struct {
	WithoutStreams loadScenario `json:"withoutStreams"`
	WithStreams    loadScenario `json:"withStreams"`
	// Ratio is ops/s with the streams ÷ ops/s without.
	Ratio    *float64 `json:"ratio"`
	P99Ratio *float64 `json:"p99Ratio"`
}

// runBenchWatch sets up the server, runs the measurements and prints the
// report.
func runBenchWatch(ctx context.Context, stdout, progress io.Writer, opt watchOptions) (err error) {
	if err := opt.check(); err != nil {
		return err
	}
	limit := raiseFileLimit()
	lo := defaultLoadOptions()
	lo.databaseURL, lo.seedLots, lo.batch, lo.concurrency = opt.databaseURL, 64, 1, []int{opt.concurrency}
	lo.configure = func(c *config.Config) {
		c.MaxWatchStreams, c.MaxWatchStreamsPerKey = opt.streams, opt.streams
		c.ContinuousMatching = true
	}
	env, err := newLoadEnv(ctx, lo, progress)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := env.close(); err == nil {
			err = cerr
		}
	}()
	rep, err := measureWatch(ctx, env, opt, progress)
	if err != nil {
		return err
	}
	rep.Machine, rep.Database = machine(), env.db.info
	rep.Settings.OpenFilesLimit = limit
	if opt.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printWatch(stdout, rep)
	return nil
}

// printWatch writes the report as a table.
func printWatch(w io.Writer, r *watchReport) {
	fmt.Fprintf(w, "millwa bench watch: %d streams over %d connections, %s %s, %d cores\n",
		r.Settings.Streams, r.Settings.Connections, r.Database.Kind, r.Database.Version, r.Machine.Cores)
	fmt.Fprintf(w, "  opening the streams        %.2f s\n", r.OpenSeconds)
	tx := "n/a (SQLite)"
	if p := r.Idle.DatabaseTransactionsPerSecond; p != nil {
		tx = fmt.Sprintf("%.2f", *p)
	}
	fmt.Fprintf(w, "  idle, over %.0f s:          database transactions/s %s, outbox reads/s %.2f\n", r.Idle.Seconds, tx, r.Idle.OutboxReadsPerSecond)
	fmt.Fprintf(w, "  memory per stream          %.0f B heap + %.0f B stacks = %.0f B\n",
		r.Memory.HeapBytesPerStream, r.Memory.StackBytesPerStream, r.Memory.TotalBytesPerStream)
	d := r.Delivery
	fmt.Fprintf(w, "  an event reaching all      from the call: p50 %.1f ms, p99 %.1f ms, max %.1f ms; from its recording: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d events)\n",
		d.ReachAllP50Millis, d.ReachAllP99Millis, d.ReachAllMaxMillis, d.FromRecordP50Millis, d.FromRecordP99Millis, d.FromRecordMaxMillis, d.Events)
	fmt.Fprintf(w, "  each delivery              p50 %.1f ms, p99 %.1f ms; streams lost %d\n", d.StreamP50Millis, d.StreamP99Millis, d.StreamsLost)
	g := r.GetLot
	fmt.Fprintf(w, "  GetLot at %d workers        %.0f ops/s without streams, %.0f with (ratio %s); p99 %.2f ms, %.2f ms (ratio %s)\n",
		r.Settings.Concurrency, g.WithoutStreams.OpsPerSec, g.WithStreams.OpsPerSec, ratioText(g.Ratio),
		g.WithoutStreams.P99Millis, g.WithStreams.P99Millis, ratioText(g.P99Ratio))
	if d.FirstError != "" {
		fmt.Fprintf(w, "  first stream error: %s\n", d.FirstError)
	}
}
