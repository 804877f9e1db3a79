package main

import (
	"cmp"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// demoTrade is a delivered trade of the demo's database.
type demoTrade struct {
	week                  string
	region, group, colour string
	association           string
	grams, price          int64
}

// demoCell is a (week, region, group, colour) cell computed by hand.
type demoCell struct {
	grams, value int64
	byAssoc      map[string]int64
}

// checkDemoObservatory recomputes, from the demo's database at path, the
// 2025 season's Indicador Alpaca and the first week of Puno's BABY WHITE
// series, as the README describes the method, and compares them with what
// the demo printed in out: the series to the céntimo in each unit, the
// index to 0.01 points.
func checkDemoObservatory(t *testing.T, path, out string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT weigh_time, origin_ubigeo, quality_group, colour, association_id, delivered_grams, price_minor_per_kg
		FROM trades WHERE state IN ('DELIVERED', 'PAID') AND weigh_time >= '2025-11-01' AND weigh_time < '2026-04-01'
		AND standard = 'pe-ntp-231-301-2014' AND currency = 'PEN'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	peru := time.FixedZone("PET", -5*3600)
	cells := map[demoTrade]*demoCell{} // keyed by week, region, group and colour
	for rows.Next() {
		var weigh string
		var tr demoTrade
		if err := rows.Scan(&weigh, &tr.region, &tr.group, &tr.colour, &tr.association, &tr.grams, &tr.price); err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339Nano, weigh)
		if err != nil {
			t.Fatal(err)
		}
		y, w := at.In(peru).ISOWeek()
		k := demoTrade{week: fmt.Sprintf("%04d-W%02d", y, w), region: tr.region[:2], group: tr.group, colour: tr.colour}
		c := cells[k]
		if c == nil {
			c = &demoCell{byAssoc: map[string]int64{}}
			cells[k] = c
		}
		c.grams += tr.grams
		c.value += tr.grams * tr.price
		c.byAssoc[tr.association] += tr.grams
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Published: three associations or more, none above 60 % of the
	// grams, and those beyond the two largest at least 10 % of the largest.
	for k, c := range cells {
		shares := slices.Sorted(func(yield func(int64) bool) {
			for _, g := range c.byAssoc {
				if !yield(g) {
					return
				}
			}
		})
		slices.Reverse(shares)
		if len(shares) < 3 || shares[0]*100 > c.grams*60 || (c.grams-shares[0]-shares[1])*100 < shares[0]*10 {
			delete(cells, k)
		}
	}

	// Puno BABY WHITE in the season's first week, by hand.
	first := cells[demoTrade{week: "2025-W45", region: "21", group: "BABY", colour: "WHITE"}]
	if first == nil {
		t.Fatalf("no published Puno BABY WHITE cell in 2025-W45; cells %v", cells)
	}
	vwap := (first.value + first.grams/2) / first.grams
	halfEven := func(r *big.Rat) float64 { // to the céntimo, half to even, in soles
		f, _ := new(big.Rat).Mul(r, big.NewRat(1, 100)).Float64()
		return math.RoundToEven(f*100) / 100
	}
	perLb := halfEven(new(big.Rat).Mul(big.NewRat(vwap, 1), big.NewRat(45359237, 100000000)))
	perQq := halfEven(new(big.Rat).Mul(big.NewRat(vwap, 1), big.NewRat(45359237, 1000000)))
	wantLine := fmt.Sprintf("Puno BABY WHITE, 2025-W45: S/ %.2f a kg, S/ %.2f a libra, S/ %.2f a quintal; %d trades of %d associations, %.1f kg",
		float64(vwap)/100, perLb, perQq, len(first.byAssoc), len(first.byAssoc), float64(first.grams)/1000)
	if !strings.Contains(out, wantLine) {
		t.Errorf("the demo does not print the hand calculation %q:\n%s", wantLine, out)
	}

	// The index by hand: base weights from the value of ISO year 2025's
	// published cells per (group, colour); national prices per week over
	// the published cells; chained from the last week with a value over
	// the cells priced in both weeks.
	type basket struct{ group, colour string }
	baseValue, total := map[basket]float64{}, 0.0
	weeks := map[string]map[basket][2]float64{}
	for k, c := range cells {
		b := basket{k.group, k.colour}
		if strings.HasPrefix(k.week, "2025-") {
			baseValue[b] += float64(c.value)
			total += float64(c.value)
		}
		if weeks[k.week] == nil {
			weeks[k.week] = map[basket][2]float64{}
		}
		p := weeks[k.week][b]
		weeks[k.week][b] = [2]float64{p[0] + float64(c.value), p[1] + float64(c.grams)}
	}
	order := slices.SortedFunc(func(yield func(string) bool) {
		for w := range weeks {
			if !yield(w) {
				return
			}
		}
	}, cmp.Compare)
	level, last := 100.0, map[basket][2]float64(nil)
	index := map[string]float64{}
	for _, w := range order {
		if last != nil {
			var num, den float64
			for b, p := range weeks[w] {
				if q, ok := last[b]; ok {
					num += baseValue[b] / total * (p[0] / p[1]) / (q[0] / q[1])
					den += baseValue[b] / total
				}
			}
			level *= num / den
		}
		index[w], last = level, weeks[w]
	}
	printed := regexp.MustCompile(`(\d{4}-W\d{2}) (\d+\.\d{2})[;\n]`).FindAllStringSubmatch(out[strings.Index(out, "Indicador Alpaca"):], -1)
	if len(printed) != len(order) || len(order) != 8 {
		t.Fatalf("the demo prints %d index points, the hand calculation has %d weeks (want 8)", len(printed), len(order))
	}
	for _, m := range printed {
		got, _ := strconv.ParseFloat(m[2], 64)
		if want, ok := index[m[1]]; !ok || math.Abs(got-want) > 0.005 {
			t.Errorf("index %s: the demo prints %s, the hand calculation gives %.4f", m[1], m[2], want)
		}
	}
}
