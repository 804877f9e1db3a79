package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/cmd/millwa/internal/instance"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// eventTimeout bounds the wait for one event to reach every stream.
const eventTimeout = time.Minute

// arrivals records which streams have received which events.
type arrivals struct {
	streams int

	mu sync.Mutex
	// count is, by event id, how many streams have it and the latest time
	// one received it (streams take the time before they take the lock,
	// so the last to count is not always the last to receive); done
	// receives the event once every stream has it.
	count map[string]arrivalCount
	// since is when the event now measured was committed; delivered the
	// time each stream took to receive it.
	since     time.Time
	delivered []time.Duration
	done      chan reached
	lost      int
	firstErr  error
}

// reached is an event that every stream has: when it was recorded (its
// event_time, set in the transaction that committed it) and when the last
// stream received it.
type reached struct {
	recorded, last time.Time
}

type arrivalCount struct {
	streams int
	last    time.Time
}

func (a *arrivals) arrive(id string, recorded, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.count[id]
	c.streams++
	if at.After(c.last) {
		c.last = at
	}
	a.count[id] = c
	if !a.since.IsZero() {
		a.delivered = append(a.delivered, at.Sub(a.since))
	}
	if c.streams == a.streams {
		delete(a.count, id)
		select {
		case a.done <- reached{recorded: recorded, last: c.last}:
		default:
		}
	}
}

func (a *arrivals) ended(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lost++
	if a.firstErr == nil {
		a.firstErr = err
	}
}

// measureWatch runs the measurements of "bench watch" on env's server.
func measureWatch(ctx context.Context, env *loadEnv, opt watchOptions, progress io.Writer) (*watchReport, error) {
	rep := &watchReport{Settings: watchSettings{Streams: opt.streams, Events: opt.events, IdleSeconds: opt.idle.Seconds(),
		Concurrency: opt.concurrency, RoundSeconds: opt.duration.Seconds(), Rounds: opt.rounds}}

	// A standing order that every lot of the run matches, each match one
	// event; it is placed before the streams open, so that the seed lots
	// it takes are not counted.
	if err := env.placeOrder(ctx, len(env.lotIDs)+opt.events+10); err != nil {
		return nil, err
	}
	getLot := &loadArm{name: "get-lot", title: "GetLot, gRPC", lotsPerOp: 1, op: env.getLot}
	fmt.Fprintf(progress, "bench watch: GetLot without streams\n")
	without := &armRun{roundStats: roundStats{cpuKnown: true}}
	if err := measureArm(ctx, without, getLot, opt, (opt.rounds+1)/2); err != nil {
		return nil, err
	}

	heap0, stack0 := memoryInUse()
	fmt.Fprintf(progress, "bench watch: opening %d streams\n", opt.streams)
	arr := &arrivals{streams: opt.streams, count: map[string]arrivalCount{}, done: make(chan reached, 1)}
	streamCtx, stopStreams := context.WithCancel(ctx)
	var conns []*grpc.ClientConn
	var wg sync.WaitGroup
	var closeOnce sync.Once
	closeStreams := func() {
		closeOnce.Do(func() {
			stopStreams()
			wg.Wait()
			for _, c := range conns {
				_ = c.Close()
			}
		})
	}
	defer closeStreams()
	start := time.Now()
	accepted := make(chan error, opt.streams)
	for i := range opt.streams {
		if i%opt.perConn == 0 {
			c, err := instance.Dial(env.grpcAddr, env.secret)
			if err != nil {
				return nil, err
			}
			conns = append(conns, c)
		}
		client := millwav1.NewMarketServiceClient(conns[len(conns)-1])
		wg.Go(func() { follow(streamCtx, client, arr, accepted) })
	}
	for range opt.streams {
		if err := <-accepted; err != nil {
			return nil, fmt.Errorf("opening a stream: %w", err)
		}
	}
	rep.OpenSeconds = time.Since(start).Seconds()
	rep.Settings.Connections = len(conns)

	// Idle: what the open streams cost when nothing happens.
	time.Sleep(opt.settle)
	heap1, stack1 := memoryInUse()
	n := float64(opt.streams)
	rep.Memory = watchMemory{HeapBytesPerStream: (heap1 - heap0) / n, StackBytesPerStream: (stack1 - stack0) / n}
	rep.Memory.TotalBytesPerStream = rep.Memory.HeapBytesPerStream + rep.Memory.StackBytesPerStream
	fmt.Fprintf(progress, "bench watch: counting queries for %v while idle\n", opt.idle)
	reads0, err := env.outboxReads(ctx)
	if err != nil {
		return nil, err
	}
	tx0, hasTx, err := env.databaseTransactions(ctx)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	time.Sleep(opt.idle)
	tx1, _, err := env.databaseTransactions(ctx)
	if err != nil {
		return nil, err
	}
	reads1, err := env.outboxReads(ctx)
	if err != nil {
		return nil, err
	}
	idle := time.Since(t0).Seconds()
	rep.Idle = watchIdle{Seconds: idle, OutboxReadsPerSecond: (reads1 - reads0) / idle}
	if hasTx {
		// Less the first read of the counter, counted inside the window.
		v := float64(tx1-tx0-1) / idle
		rep.Idle.DatabaseTransactionsPerSecond = &v
	}

	fmt.Fprintf(progress, "bench watch: GetLot with %d idle streams\n", opt.streams)
	with := &armRun{roundStats: roundStats{cpuKnown: true}}
	if err := measureArm(ctx, with, getLot, opt, opt.rounds); err != nil {
		return nil, err
	}

	fmt.Fprintf(progress, "bench watch: %d events, each to all %d streams\n", opt.events, opt.streams)
	if opt.cpuProfile != "" {
		f, err := os.Create(opt.cpuProfile)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var reachAll, fromRecord []time.Duration
	for range opt.events {
		arr.mu.Lock()
		arr.since = time.Now()
		arr.mu.Unlock()
		if err := env.createLot(ctx, 0, 0); err != nil {
			return nil, fmt.Errorf("committing an event: %w", err)
		}
		var r reached
		select {
		case r = <-arr.done:
		case <-time.After(eventTimeout):
			arr.mu.Lock()
			defer arr.mu.Unlock()
			return nil, fmt.Errorf("an event did not reach all %d streams within %v (streams lost: %d, first error: %v)", opt.streams, eventTimeout, arr.lost, arr.firstErr)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		arr.mu.Lock()
		reachAll = append(reachAll, r.last.Sub(arr.since))
		arr.mu.Unlock()
		fromRecord = append(fromRecord, r.last.Sub(r.recorded))
	}
	pprof.StopCPUProfile()
	closeStreams()

	if after := opt.rounds / 2; after > 0 {
		fmt.Fprintf(progress, "bench watch: GetLot once the streams have closed\n")
		if err := measureArm(ctx, without, getLot, opt, after); err != nil {
			return nil, err
		}
	}
	rep.GetLot = watchGetLot{WithoutStreams: without.scenario("read", getLot, opt.concurrency), WithStreams: with.scenario("read", getLot, opt.concurrency)}
	rep.GetLot.Ratio = ratio(with.opsPerSec(), without.opsPerSec())
	rep.GetLot.P99Ratio = ratio(float64(with.percentile(0.99)), float64(without.percentile(0.99)))

	arr.mu.Lock()
	defer arr.mu.Unlock()
	rep.Delivery = watchDelivery{Events: opt.events,
		ReachAllP50Millis: millis(quantile(reachAll, 0.5)), ReachAllP99Millis: millis(quantile(reachAll, 0.99)),
		ReachAllMaxMillis:   millis(slices.Max(reachAll)),
		FromRecordP50Millis: millis(quantile(fromRecord, 0.5)), FromRecordP99Millis: millis(quantile(fromRecord, 0.99)),
		FromRecordMaxMillis: millis(slices.Max(fromRecord)),
		StreamP50Millis:     millis(quantile(arr.delivered, 0.5)), StreamP99Millis: millis(quantile(arr.delivered, 0.99)),
		StreamsLost: arr.lost}
	if arr.firstErr != nil {
		rep.Delivery.FirstError = arr.firstErr.Error()
	}
	return rep, nil
}

// follow opens one stream and records what it receives until ctx ends.
func follow(ctx context.Context, client millwav1.MarketServiceClient, arr *arrivals, accepted chan<- error) {
	stream, err := client.WatchMarket(ctx, &millwav1.WatchMarketRequest{}, grpc.ForceCodecV2(eventHeaderCodec{}))
	if err == nil {
		// The server sends its headers once it has accepted the stream.
		_, err = stream.Header()
	}
	accepted <- err
	if err != nil {
		return
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			if ctx.Err() == nil {
				arr.ended(err)
			}
			return
		}
		arr.arrive(resp.GetEvent().GetId(), resp.GetEvent().GetEventTime().AsTime(), time.Now())
	}
}

// measureArm adds rounds rounds of a at opt.concurrency, after a short
// warm-up, to run.
func measureArm(ctx context.Context, run *armRun, a *loadArm, opt watchOptions, rounds int) error {
	if err := warmUp(ctx, a, opt.concurrency, opt.duration/5); err != nil {
		return err
	}
	for range rounds {
		rs, err := runRound(ctx, a, opt.concurrency, opt.duration)
		if err != nil {
			return err
		}
		run.add(rs)
	}
	return nil
}

// memoryInUse is the live heap and the goroutine stacks in use after a
// GC, in bytes.
func memoryInUse() (heap, stacks float64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc), float64(m.StackInuse)
}

// quantile is the nearest-rank q-quantile of ds, 0 for none.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}

// placeOrder places, as an admin, a processor's order for lots grams
// enough to match that many of the run's lots.
func (env *loadEnv) placeOrder(ctx context.Context, lots int) error {
	mkt := millwav1.NewMarketServiceClient(env.conn)
	first := "2045600000"
	p, err := mkt.CreateProcessor(ctx, &millwav1.CreateProcessorRequest{RequestId: env.requestID(), Processor: &millwav1.Processor{
		LegalName: "Textil Prueba de Flujos S.A.C.", Ruc: first + string(millwa.RUCCheckDigit(first)), Ubigeo: "040101",
		PlantLocation: "Parque Industrial de Arequipa", Contact: &millwav1.Contact{PersonName: "Lucía Torres Paredes", Email: "compras@example.pe"},
	}})
	if err != nil {
		return fmt.Errorf("creating the processor: %w", err)
	}
	_, err = mkt.CreatePurchaseOrder(ctx, &millwav1.CreatePurchaseOrderRequest{Parent: p.GetProcessor().GetName(), RequestId: env.requestID(),
		PurchaseOrder: &millwav1.PurchaseOrder{
			AcceptedQualityGroups: []string{env.lot.GetDeclaredQualityGroup()}, AcceptedColours: []string{env.lot.GetColour()},
			QuantityGrams: int64(lots) * env.lot.GetNetWeightGrams(), BidPricePerKg: env.lot.GetAskPricePerKg() + 400,
			ExpireTime: timestamppb.New(time.Now().AddDate(0, 1, 0)),
		}})
	if err != nil {
		return fmt.Errorf("placing the purchase order: %w", err)
	}
	return nil
}

// outboxReads reads millwa_market_watch_outbox_reads_total from the
// server's /metrics.
func (env *loadEnv) outboxReads(ctx context.Context) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.metricsBase+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := env.httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "millwa_market_watch_outbox_reads_total "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("/metrics has no millwa_market_watch_outbox_reads_total")
}

// databaseTransactions reads how many transactions the run's PostgreSQL
// database has committed and rolled back; ok is false on SQLite.
func (env *loadEnv) databaseTransactions(ctx context.Context) (n int64, ok bool, err error) {
	if env.raw.dialect != store.DialectPostgres {
		return 0, false, nil
	}
	// Each read is a transaction of its own, so it sees a fresh snapshot
	// of the statistics.
	err = env.raw.r.QueryRowContext(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
	return n, true, err
}

// eventHeaderCodec is the codec of the bench's streams: it decodes of each
// event only what the bench reads, its id and time, so that the CPU this
// process spends on delivery is the server's fan-out and not thousands of
// clients' decoding, which real clients do on their own machines. Requests
// are marshalled as usual.
type eventHeaderCodec struct{}

func (eventHeaderCodec) Name() string { return "proto" }

func (eventHeaderCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("bench watch: cannot marshal %T", v)
	}
	b, err := proto.Marshal(m)
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (eventHeaderCodec) Unmarshal(data mem.BufferSlice, v any) error {
	resp, ok := v.(*millwav1.WatchMarketResponse)
	if !ok {
		return fmt.Errorf("bench watch: cannot unmarshal into %T", v)
	}
	event, ok := protoField(data.Materialize(), 1)
	if !ok {
		return errors.New("bench watch: a response without an event")
	}
	id, _ := protoField(event, 1)
	e := &millwav1.MarketEvent{Id: string(id), EventTime: &timestamppb.Timestamp{}}
	if ts, ok := protoField(event, 3); ok {
		if err := proto.Unmarshal(ts, e.EventTime); err != nil {
			return err
		}
	}
	resp.Event = e
	return nil
}

// protoField returns the bytes of the last length-delimited field num of
// the encoded message b.
func protoField(b []byte, num protowire.Number) (value []byte, found bool) {
	for len(b) > 0 {
		n, typ, tagLen := protowire.ConsumeTag(b)
		if tagLen < 0 {
			return nil, false
		}
		b = b[tagLen:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return nil, false
			}
			value, found, b = v, true, b[l:]
			continue
		}
		l := protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
	}
	return value, found
}
