package bench

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// watchView is the --json report of "millwa bench watch" as a reader sees
// it, independent of the types that write it.
type watchView struct {
	Machine struct {
		Cores int `json:"cores"`
	} `json:"machine"`
	Database struct {
		Kind    string `json:"kind"`
		Version string `json:"version"`
	} `json:"database"`
	Settings struct {
		Streams     int `json:"streams"`
		Connections int `json:"connections"`
		Events      int `json:"events"`
	} `json:"settings"`
	OpenSeconds float64 `json:"openSeconds"`
	Idle        struct {
		Seconds                       float64  `json:"seconds"`
		DatabaseTransactionsPerSecond *float64 `json:"databaseTransactionsPerSecond"`
		OutboxReadsPerSecond          *float64 `json:"outboxReadsPerSecond"`
	} `json:"idle"`
	Memory struct {
		HeapBytesPerStream  float64 `json:"heapBytesPerStream"`
		StackBytesPerStream float64 `json:"stackBytesPerStream"`
		TotalBytesPerStream float64 `json:"totalBytesPerStream"`
	} `json:"memory"`
	Delivery struct {
		Events            int     `json:"events"`
		ReachAllP50Millis float64 `json:"reachAllP50Millis"`
		ReachAllP99Millis float64 `json:"reachAllP99Millis"`
		ReachAllMaxMillis float64 `json:"reachAllMaxMillis"`
		FromRecordP50     float64 `json:"fromRecordP50Millis"`
		FromRecordP99     float64 `json:"fromRecordP99Millis"`
		FromRecordMax     float64 `json:"fromRecordMaxMillis"`
		StreamP50Millis   float64 `json:"streamP50Millis"`
		StreamP99Millis   float64 `json:"streamP99Millis"`
		StreamsLost       int     `json:"streamsLost"`
		FirstError        string  `json:"firstError"`
	} `json:"delivery"`
	GetLot struct {
		WithoutStreams struct {
			Ops          int64   `json:"ops"`
			OpsPerSecond float64 `json:"opsPerSecond"`
			Errors       int64   `json:"errors"`
		} `json:"withoutStreams"`
		WithStreams struct {
			Ops          int64   `json:"ops"`
			OpsPerSecond float64 `json:"opsPerSecond"`
			Errors       int64   `json:"errors"`
		} `json:"withStreams"`
		Ratio *float64 `json:"ratio"`
	} `json:"getLot"`
}

// watchJSON runs a quick bench watch with --json and decodes its report.
func watchJSON(t *testing.T, args ...string) watchView {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, progress, err := execute(ctx, append([]string{"watch", "--quick", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("bench watch: %v\n%s", err, progress)
	}
	var v watchView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("decoding the report: %v\n%s", err, out)
	}
	return v
}

// checkWatchReport asserts that every figure is there and sane: the
// streams opened on several connections, none was lost, every event was
// timed, the quantiles are ordered, GetLot ran both times without errors.
// It asserts nothing about speed.
func checkWatchReport(t *testing.T, v watchView, kind string, streams int) {
	t.Helper()
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	if v.Machine.Cores < 1 || v.Database.Kind != kind || v.Database.Version == "" {
		t.Errorf("header: %+v, %+v; want database %s with a version", v.Machine, v.Database, kind)
	}
	if v.Settings.Streams != streams || v.Settings.Connections < 2 || v.Settings.Events < 1 {
		t.Errorf("settings %+v: want %d streams over several connections, and events", v.Settings, streams)
	}
	if v.OpenSeconds <= 0 || !finite(v.OpenSeconds) {
		t.Errorf("openSeconds = %v", v.OpenSeconds)
	}
	if v.Idle.Seconds <= 0 || v.Idle.OutboxReadsPerSecond == nil || *v.Idle.OutboxReadsPerSecond < 0 {
		t.Errorf("idle: %+v", v.Idle)
	}
	if tx := v.Idle.DatabaseTransactionsPerSecond; (kind == "postgres") != (tx != nil) || (tx != nil && (*tx < 0 || !finite(*tx))) {
		t.Errorf("databaseTransactionsPerSecond = %v on %s: want a count ≥ 0 on PostgreSQL only", tx, kind)
	}
	m := v.Memory
	if m.TotalBytesPerStream <= 0 || !finite(m.TotalBytesPerStream) || math.Abs(m.HeapBytesPerStream+m.StackBytesPerStream-m.TotalBytesPerStream) > 1 {
		t.Errorf("memory: %+v; want a positive total, the sum of heap and stacks", m)
	}
	d := v.Delivery
	if d.Events != v.Settings.Events || d.StreamsLost != 0 || d.FirstError != "" {
		t.Errorf("delivery: %d events timed of %d, %d streams lost (%s)", d.Events, v.Settings.Events, d.StreamsLost, d.FirstError)
	}
	if !(0 < d.ReachAllP50Millis && d.ReachAllP50Millis <= d.ReachAllP99Millis && d.ReachAllP99Millis <= d.ReachAllMaxMillis) {
		t.Errorf("reach-all quantiles p50 %v, p99 %v, max %v: want 0 < p50 ≤ p99 ≤ max", d.ReachAllP50Millis, d.ReachAllP99Millis, d.ReachAllMaxMillis)
	}
	// An event is recorded during the call that commits it.
	if !(0 < d.FromRecordP50 && d.FromRecordP50 <= d.FromRecordP99 && d.FromRecordP99 <= d.FromRecordMax && d.FromRecordMax <= d.ReachAllMaxMillis) {
		t.Errorf("from-recording quantiles p50 %v, p99 %v, max %v beside a reach-all max of %v from the call", d.FromRecordP50, d.FromRecordP99, d.FromRecordMax, d.ReachAllMaxMillis)
	}
	// No stream has an event before every stream has it.
	if !(0 < d.StreamP50Millis && d.StreamP50Millis <= d.StreamP99Millis && d.StreamP99Millis <= d.ReachAllMaxMillis+0.001) {
		t.Errorf("per-stream quantiles p50 %v, p99 %v beside a reach-all max of %v", d.StreamP50Millis, d.StreamP99Millis, d.ReachAllMaxMillis)
	}
	g := v.GetLot
	if g.WithoutStreams.Ops <= 0 || g.WithStreams.Ops <= 0 || g.WithoutStreams.Errors != 0 || g.WithStreams.Errors != 0 {
		t.Errorf("GetLot: %+v", g)
	}
	if g.Ratio == nil || *g.Ratio <= 0 || !finite(*g.Ratio) {
		t.Errorf("GetLot ratio = %v", g.Ratio)
	} else if want := g.WithStreams.OpsPerSecond / g.WithoutStreams.OpsPerSecond; math.Abs(*g.Ratio-want) > 1e-9*want {
		t.Errorf("GetLot ratio %v, but the two ops/s give %v", *g.Ratio, want)
	}
}

func TestBenchWatchQuickSQLite(t *testing.T) {
	checkWatchReport(t, watchJSON(t), "sqlite", 200)
}

func TestBenchWatchQuickPostgres(t *testing.T) {
	// The bench makes its own database on the server of the URL it is
	// given; storetest's database only decides whether a server answers.
	url := storetest.PostgresURL(t)
	checkWatchReport(t, watchJSON(t, "--database-url", url, "--streams", "120"), "postgres", 120)
}

func TestBenchWatchTable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, _, err := execute(ctx, "watch", "--quick", "--streams", "5", "--events", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"5 streams over", "idle, over", "memory per stream", "an event reaching all", "GetLot at 4 workers"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchWatchErrors(t *testing.T) {
	for _, args := range [][]string{{"--streams", "0"}, {"--streams-per-conn", "101"}, {"--events", "0"}, {"--idle", "0s"}, {"--rounds", "0"}} {
		if _, _, err := execute(t.Context(), append([]string{"watch"}, args...)...); err == nil {
			t.Errorf("bench watch %v: no error", args)
		}
	}
}

// TestEventHeaderCodec: the streams' codec reads a full response's id and
// time, and nothing else.
func TestEventHeaderCodec(t *testing.T) {
	at := time.Date(2026, 11, 20, 14, 3, 5, 123456000, time.UTC)
	full := &millwav1.WatchMarketResponse{Event: &millwav1.MarketEvent{Id: "4711", Type: millwav1.MarketEventType_MARKET_EVENT_TYPE_TRADE_MATCHED,
		EventTime: timestamppb.New(at), Resource: "trades/t1", Payload: &millwav1.MarketEvent_Trade{Trade: &millwav1.Trade{Name: "trades/t1", Grams: 36000}}}}
	b, err := proto.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	var got millwav1.WatchMarketResponse
	if err := (eventHeaderCodec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &got); err != nil {
		t.Fatal(err)
	}
	e := got.GetEvent()
	if e.GetId() != "4711" || !e.GetEventTime().AsTime().Equal(at) || e.GetTrade() != nil || e.GetResource() != "" {
		t.Errorf("decoded %v; want id 4711 and time %v only", e, at)
	}
	if err := (eventHeaderCodec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{0x08, 0x01})}, &got); err == nil {
		t.Error("a response without an event decoded without an error")
	}
}
