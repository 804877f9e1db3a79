package matching_test

import (
	"sync"
	"testing"

	"github.com/millwa/millwa/internal/matching"
)

// bigBook is the benchmark book: 10,000 lots × 1,000 orders of
// GenerateBook, made once.
var bigBook = sync.OnceValue(func() matching.Book { return matching.GenerateBook(2026, 10_000, 1_000) })

var sinkResult matching.Result

// The larger benchmark books, 100,000 lots × 10,000 orders and 1,000,000
// lots × 10,000 orders, made once each.
var (
	book100k = sync.OnceValue(func() matching.Book { return matching.GenerateBook(2026, 100_000, 10_000) })
	book1M   = sync.OnceValue(func() matching.Book { return matching.GenerateBook(2026, 1_000_000, 10_000) })
)

// BenchmarkClear100kLots10kOrders is an exact clearing of 100,000 lots and
// 10,000 orders; `millwa bench clearing --dimacs-reduced` writes the same
// network for LEMON.
func BenchmarkClear100kLots10kOrders(b *testing.B) { benchmarkClear(b, book100k()) }

// BenchmarkClear1MLots10kOrders is an exact clearing of 1,000,000 lots and
// 10,000 orders, a few seconds an iteration.
func BenchmarkClear1MLots10kOrders(b *testing.B) { benchmarkClear(b, book1M()) }

func benchmarkClear(b *testing.B, book matching.Book) {
	b.ReportAllocs()
	cpu := matching.CPUTime()
	for b.Loop() {
		r, err := matching.Clear(book)
		if err != nil {
			b.Fatal(err)
		}
		sinkResult = r
	}
	b.ReportMetric(float64(matching.CPUTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
	b.ReportMetric(sinkResult.Surplus.Float64()/1000, "surplus-PEN-cents")
}

// BenchmarkClear10kLots1kOrders is an exact clearing of a realistic book
// of 10,000 lots and 1,000 orders. BenchmarkFirstComeFirstServed10kLots1kOrders
// on the same book is the baseline its figure is read against.
func BenchmarkClear10kLots1kOrders(b *testing.B) {
	book := bigBook()
	b.ReportAllocs()
	cpu := matching.CPUTime()
	for b.Loop() {
		r, err := matching.Clear(book)
		if err != nil {
			b.Fatal(err)
		}
		sinkResult = r
	}
	b.ReportMetric(float64(matching.CPUTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(eligiblePairs(book)), "pairs")
	b.ReportMetric(sinkResult.Surplus.Float64()/1000, "surplus-PEN-cents")
}

// BenchmarkFirstComeFirstServed10kLots1kOrders is the greedy baseline on
// the book of BenchmarkClear10kLots1kOrders.
func BenchmarkFirstComeFirstServed10kLots1kOrders(b *testing.B) {
	book := bigBook()
	b.ReportAllocs()
	for b.Loop() {
		r, err := matching.FirstComeFirstServed(book)
		if err != nil {
			b.Fatal(err)
		}
		sinkResult = r
	}
	b.ReportMetric(sinkResult.Surplus.Float64()/1000, "surplus-PEN-cents")
}

var pairsOnce sync.Once
var pairsCount int

func eligiblePairs(book matching.Book) int {
	pairsOnce.Do(func() {
		for _, o := range book.Orders {
			for _, l := range book.Lots {
				if matching.Eligible(o, l) {
					pairsCount++
				}
			}
		}
	})
	return pairsCount
}
