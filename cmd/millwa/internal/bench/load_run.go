package bench

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// loadArm is one scenario: an operation that workers repeat.
type loadArm struct {
	name, title string
	// lotsPerOp is how many lots one operation reads or writes.
	lotsPerOp int
	// op performs one operation. worker and seq (the worker's count of
	// operations in this round) let it vary its data; it must be safe for
	// concurrent use.
	op func(ctx context.Context, worker, seq int) error
}

// armRun accumulates an arm's rounds at one concurrency: the sums of
// their measurements, and what the report needs of each round.
type armRun struct {
	roundStats
	// roundRates is each round's ops per second, in round order, for the
	// spread of the per-round ratios.
	roundRates []float64
	rounds     int
	sorted     bool
}

// runGroup measures a group's arms at concurrency c: a warm-up of each,
// then opt.rounds rounds in which the arms take turns, in reverse order
// every other round so that a steady drift of the machine (heat, a
// growing table, a background task) falls on every arm alike.
func runGroup(ctx context.Context, arms []*loadArm, c int, opt loadOptions) ([]*armRun, error) {
	runs := make([]*armRun, len(arms))
	for i, a := range arms {
		runs[i] = &armRun{roundStats: roundStats{cpuKnown: true}}
		if err := warmUp(ctx, a, c, opt.warmup); err != nil {
			return nil, err
		}
	}
	order := make([]int, len(arms))
	for r := range opt.rounds {
		for i := range order {
			order[i] = i
		}
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, i := range order {
			rs, err := runRound(ctx, arms[i], c, opt.duration)
			if err != nil {
				return nil, err
			}
			runs[i].add(rs)
		}
	}
	return runs, nil
}

// warmUp runs a's operation at concurrency c for d, unmeasured, to fill
// connection pools, statement caches and the runtime's heap. Calls still
// in flight at the end are cancelled rather than waited for: at high
// concurrency a batch call takes seconds, and a warm-up need not finish
// its calls to have warmed what they touched.
func warmUp(ctx context.Context, a *loadArm, c int, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	_, _ = runRound(wctx, a, c, d)
	return ctx.Err()
}

// roundStats is what one round of one arm measured.
type roundStats struct {
	ops, errs int64
	firstErr  error
	elapsed   time.Duration
	cpu       time.Duration
	cpuKnown  bool
	latencies []time.Duration
}

// runRound runs c workers, each repeating a's operation until d has passed
// since the round began; calls in flight then are answered and counted,
// and the round's time runs until the last one is. Every worker makes at
// least one call, so that a round shorter than one call still measures
// something. It fails only when ctx ends.
func runRound(ctx context.Context, a *loadArm, c int, d time.Duration) (roundStats, error) {
	type workerStats struct {
		ops, errs int64
		firstErr  error
		latencies []time.Duration
	}
	ws := make([]workerStats, c)
	var wg sync.WaitGroup
	cpu0, cpuOK0 := processCPU()
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			s := &ws[w]
			for seq := 0; ; seq++ {
				t0 := time.Now()
				if seq > 0 && (t0.Sub(start) >= d || ctx.Err() != nil) {
					return
				}
				err := a.op(ctx, w, seq)
				lat := time.Since(t0)
				if err != nil {
					s.errs++
					if s.firstErr == nil {
						s.firstErr = err
					}
					continue
				}
				s.ops++
				s.latencies = append(s.latencies, lat)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, cpuOK1 := processCPU()
	if err := ctx.Err(); err != nil {
		return roundStats{}, err
	}
	rs := roundStats{elapsed: elapsed, cpu: cpu1 - cpu0, cpuKnown: cpuOK0 && cpuOK1}
	for _, s := range ws {
		rs.ops += s.ops
		rs.errs += s.errs
		if rs.firstErr == nil {
			rs.firstErr = s.firstErr
		}
		rs.latencies = append(rs.latencies, s.latencies...)
	}
	return rs, nil
}

// add folds a measured round into the run.
func (r *armRun) add(rs roundStats) {
	r.rounds++
	r.ops += rs.ops
	r.errs += rs.errs
	if r.firstErr == nil {
		r.firstErr = rs.firstErr
	}
	r.elapsed += rs.elapsed
	r.cpu += rs.cpu
	r.cpuKnown = r.cpuKnown && rs.cpuKnown
	r.latencies = append(r.latencies, rs.latencies...)
	r.sorted = false
	rate := 0.0
	if rs.elapsed > 0 {
		rate = float64(rs.ops) / rs.elapsed.Seconds()
	}
	r.roundRates = append(r.roundRates, rate)
}

// opsPerSec is the operations answered per second over all rounds.
func (r *armRun) opsPerSec() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ops) / r.elapsed.Seconds()
}

// cpuPerOp is the process's CPU time per operation answered, in
// microseconds; nil when unknown or when no operation was answered.
func (r *armRun) cpuPerOp() *float64 {
	if !r.cpuKnown || r.ops == 0 {
		return nil
	}
	v := float64(r.cpu.Microseconds()) / float64(r.ops)
	return &v
}

// percentile is the nearest-rank q-quantile of the latencies, 0 for none.
func (r *armRun) percentile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	if !r.sorted {
		slices.Sort(r.latencies)
		r.sorted = true
	}
	k := int(math.Ceil(q*float64(len(r.latencies)))) - 1
	return r.latencies[min(max(k, 0), len(r.latencies)-1)]
}

// scenario is the run as the report shows it.
func (r *armRun) scenario(group string, a *loadArm, c int) loadScenario {
	s := loadScenario{
		Group: group, Name: a.name, Title: a.title, Concurrency: c, Rounds: r.rounds,
		Ops: r.ops, Seconds: r.elapsed.Seconds(), OpsPerSec: r.opsPerSec(),
		LotsPerOp: a.lotsPerOp, LotsPerSec: r.opsPerSec() * float64(a.lotsPerOp),
		P50Millis: millis(r.percentile(0.50)), P99Millis: millis(r.percentile(0.99)),
		Errors: r.errs, CPUMicrosPerOp: r.cpuPerOp(),
	}
	if r.firstErr != nil {
		s.FirstError = r.firstErr.Error()
	}
	return s
}
