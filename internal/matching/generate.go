package matching

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// groupMarket is a quality group of the Peruvian standard with its share
// of lots, its diameter band in µm and its typical ask per kg in céntimos.
type groupMarket struct {
	code       string
	share      float64
	minUm, max float64
	ask        int64
}

var groupMarkets = []groupMarket{
	{"SUPER_BABY", 0.06, 17.5, 20.0, 2600},
	{"BABY", 0.20, 20.1, 23.0, 2200},
	{"FLEECE", 0.30, 23.1, 26.5, 1500},
	{"MEDIUM_FLEECE", 0.22, 26.6, 29.0, 1000},
	{"HUARIZO", 0.13, 29.1, 31.5, 550},
	{"COARSE", 0.09, 31.6, 36.0, 200},
}

var colourShares = []struct {
	code  string
	share float64
}{
	{"WHITE", 0.52}, {"LIGHT_FAWN", 0.12}, {"FAWN", 0.10}, {"BROWN", 0.08},
	{"BLACK", 0.06}, {"GREY", 0.05}, {"ROSE_GREY", 0.04}, {"MULTICOLOUR", 0.03},
}

// GenerateBook makes a random realistic book from seed: lots of 20 to
// 1,500 kg from small associations across the six quality groups, eight
// colours and both breeds, asks around each group's typical price, a
// measured diameter for nine lots in ten; orders of 0.5 to 25 t accepting
// one to three neighbouring groups and one to four colours, some with a
// maximum diameter, bidding around the asks. The same arguments always make
// the same book, with Rank the index.
func GenerateBook(seed uint64, lots, orders int) Book {
	r := rand.New(rand.NewPCG(seed, 0x6d696c6c7761))
	b := Book{Lots: make([]Lot, lots), Orders: make([]Order, orders)}
	for j := range b.Lots {
		gi := pick(r, len(groupMarkets), func(i int) float64 { return groupMarkets[i].share })
		g := groupMarkets[gi]
		l := Lot{
			ID:     fmt.Sprintf("L%05d", j),
			Rank:   int64(j),
			Group:  g.code,
			Colour: colourShares[pick(r, len(colourShares), func(i int) float64 { return colourShares[i].share })].code,
			Breed:  "HUACAYA",
			Grams:  int64(20_000 + r.IntN(1_480_001)),
			Ask:    max(1, int64(math.Round(float64(g.ask)*(1+0.12*r.NormFloat64())))),
		}
		if r.Float64() < 0.15 {
			l.Breed = "SURI"
		}
		if r.Float64() < 0.9 {
			um := math.Round((g.minUm+r.Float64()*(g.max-g.minUm))*10) / 10
			l.MFD = &um
		}
		b.Lots[j] = l
	}
	for i := range b.Orders {
		first := pick(r, len(groupMarkets), func(i int) float64 { return groupMarkets[i].share })
		n := 1 + r.IntN(3)
		first = min(first, len(groupMarkets)-n)
		o := Order{
			ID:     fmt.Sprintf("O%04d", i),
			Rank:   int64(i),
			Breeds: []string{"HUACAYA"},
			Grams:  int64(500_000 + r.IntN(24_500_001)),
		}
		var ask float64
		for k := first; k < first+n; k++ {
			o.Groups = append(o.Groups, groupMarkets[k].code)
			ask += float64(groupMarkets[k].ask) / float64(n)
		}
		switch x := r.Float64(); {
		case x < 0.1:
			o.Breeds = []string{"SURI"}
		case x < 0.3:
			o.Breeds = append(o.Breeds, "SURI")
		}
		for _, k := range r.Perm(len(colourShares))[:1+r.IntN(4)] {
			o.Colours = append(o.Colours, colourShares[k].code)
		}
		if !slices.Contains(o.Colours, "WHITE") && r.Float64() < 0.6 {
			o.Colours[0] = "WHITE" // most processors buy white
		}
		if r.Float64() < 0.4 {
			g := groupMarkets[first+n-1]
			um := math.Round((g.minUm+r.Float64()*(g.max-g.minUm))*10) / 10
			o.MaxMFD = &um
		}
		o.Bid = max(1, int64(math.Round(ask*(1.05+0.12*r.NormFloat64()))))
		b.Orders[i] = o
	}
	return b
}

// pick draws an index with probability proportional to weight.
func pick(r *rand.Rand, n int, weight func(int) float64) int {
	var total float64
	for i := range n {
		total += weight(i)
	}
	x := r.Float64() * total
	for i := range n {
		x -= weight(i)
		if x < 0 {
			return i
		}
	}
	return n - 1
}
