package matching

import (
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
)

// Lot is grams of fibre offered at an ask price. Grams is what is still
// unallocated. The JSON tags follow the book format of `millwa bench
// clearing`.
type Lot struct {
	ID     string `json:"id"`
	Rank   int64  `json:"rank,omitempty"` // age: smaller is older; ties by ID
	Group  string `json:"group"`          // quality group, for example "BABY"
	Colour string `json:"colour"`
	Breed  string `json:"breed"`
	// MFD is the mean fibre diameter in µm, nil when not measured.
	MFD   *float64 `json:"mfd"`
	Grams int64    `json:"grams"`
	Ask   int64    `json:"ask"` // minor units per kg
}

// Order is a purchase order for grams of fibre at a bid price. Grams is
// what is still wanted. An empty Groups, Colours or Breeds accepts every
// value.
type Order struct {
	ID      string   `json:"id"`
	Rank    int64    `json:"rank,omitempty"` // age: smaller is older; ties by ID
	Groups  []string `json:"groups"`
	Colours []string `json:"colours"`
	Breeds  []string `json:"breeds"`
	// MaxMFD is the greatest mean fibre diameter accepted in µm, nil for none.
	MaxMFD *float64 `json:"max_mfd"`
	// MinLotGrams is the least number of unallocated grams a lot must have
	// to be eligible; it is a rule on the lot, not a minimum per allocation.
	MinLotGrams int64 `json:"min_lot_grams,omitempty"`
	Grams       int64 `json:"grams"`
	Bid         int64 `json:"bid"` // minor units per kg
	// Excluded are the ids of lots the order must never be allocated,
	// whatever their attributes and price: the lots whose associations
	// declined a trade with it.
	Excluded []string `json:"excluded,omitempty"`
}

// Book is the lots and orders to match.
type Book struct {
	Lots   []Lot   `json:"lots"`
	Orders []Order `json:"orders"`
}

// Allocation is grams of one lot sold to one order at Price minor units
// per kg.
type Allocation struct {
	OrderID string `json:"order_id"`
	LotID   string `json:"lot_id"`
	Grams   int64  `json:"grams"`
	Price   int64  `json:"price"`
}

// Result is the outcome of a matching: allocations sorted by order age,
// then lot age, the gains from trade Σ (bid − ask) × grams (minor units ×
// grams / 1000), exact in 128 bits, and the grams allocated.
type Result struct {
	Allocations []Allocation `json:"allocations"`
	Surplus     Surplus      `json:"surplus"`
	// GramsAllocated is at most the lots' grams, MaxItems × MaxGrams = 2^60.
	GramsAllocated int64 `json:"grams_allocated"`
}

// Limits on the input, chosen so that no sum of grams or path costs can
// overflow an int64 and no surplus a Surplus (see Surplus).
const (
	MaxGrams = 1 << 38 // per lot or order, about 2.7e11 g
	MaxPrice = 1 << 32 // minor units per kg, about 4.3e9
	MaxItems = 1 << 22 // lots, and orders, per book
)

// ErrInvalidBook is wrapped by the errors that report a book the engine
// refuses: a missing or repeated ID, a negative or oversized quantity or
// price, or a diameter that is not a finite non-negative number.
var ErrInvalidBook = errors.New("invalid book")

// TradePrice is the price rule, the one place it is written: the trade
// price is the midpoint of bid and ask, rounded half up to the minor unit.
func TradePrice(bid, ask int64) int64 {
	return (bid + ask + 1) / 2
}

// Eligible reports whether lot l may be allocated to order o: group,
// colour and breed accepted, diameter within the maximum, at least
// MinLotGrams available, ask ≤ bid, and l not among o's Excluded lots.
func Eligible(o Order, l Lot) bool {
	return l.Ask <= o.Bid && l.Grams >= o.MinLotGrams && accepts(o, l) && !slices.Contains(o.Excluded, l.ID)
}

// accepts reports whether o accepts l's attributes and diameter, the part
// of eligibility that depends on neither price nor quantity.
func accepts(o Order, l Lot) bool {
	return acceptsAll(o.Groups, l.Group) && acceptsAll(o.Colours, l.Colour) &&
		acceptsAll(o.Breeds, l.Breed) && diameterOK(o.MaxMFD, l.MFD)
}

func acceptsAll(list []string, v string) bool {
	return len(list) == 0 || slices.Contains(list, v)
}

func diameterOK(max, mfd *float64) bool {
	if max == nil {
		return true
	}
	return mfd != nil && *mfd <= *max
}

func validate(b Book) error {
	if len(b.Lots) > MaxItems || len(b.Orders) > MaxItems {
		return fmt.Errorf("%w: more than %d lots or orders", ErrInvalidBook, MaxItems)
	}
	// The map that finds a repeated id, costly on a large book, is only
	// built when a quick check finds that some id may repeat.
	var seen map[string]bool
	dupes := mayRepeat(len(b.Lots), func(i int) string { return b.Lots[i].ID })
	if dupes {
		seen = make(map[string]bool, len(b.Lots))
	}
	for _, l := range b.Lots {
		switch {
		case l.ID == "":
			return fmt.Errorf("%w: a lot has no id", ErrInvalidBook)
		case dupes && seen[l.ID]:
			return fmt.Errorf("%w: lot %q appears twice", ErrInvalidBook, l.ID)
		case l.Grams < 0 || l.Grams > MaxGrams:
			return fmt.Errorf("%w: lot %q: grams %d outside [0, %d]", ErrInvalidBook, l.ID, l.Grams, int64(MaxGrams))
		case l.Ask < 0 || l.Ask > MaxPrice:
			return fmt.Errorf("%w: lot %q: ask %d outside [0, %d]", ErrInvalidBook, l.ID, l.Ask, int64(MaxPrice))
		case !diameterValid(l.MFD):
			return fmt.Errorf("%w: lot %q: mfd %v is not a finite non-negative number", ErrInvalidBook, l.ID, *l.MFD)
		}
		if dupes {
			seen[l.ID] = true
		}
	}
	seen = nil
	dupes = mayRepeat(len(b.Orders), func(i int) string { return b.Orders[i].ID })
	if dupes {
		seen = make(map[string]bool, len(b.Orders))
	}
	for _, o := range b.Orders {
		switch {
		case o.ID == "":
			return fmt.Errorf("%w: an order has no id", ErrInvalidBook)
		case dupes && seen[o.ID]:
			return fmt.Errorf("%w: order %q appears twice", ErrInvalidBook, o.ID)
		case o.Grams < 0 || o.Grams > MaxGrams:
			return fmt.Errorf("%w: order %q: grams %d outside [0, %d]", ErrInvalidBook, o.ID, o.Grams, int64(MaxGrams))
		case o.MinLotGrams < 0 || o.MinLotGrams > MaxGrams:
			return fmt.Errorf("%w: order %q: min_lot_grams %d outside [0, %d]", ErrInvalidBook, o.ID, o.MinLotGrams, int64(MaxGrams))
		case o.Bid < 0 || o.Bid > MaxPrice:
			return fmt.Errorf("%w: order %q: bid %d outside [0, %d]", ErrInvalidBook, o.ID, o.Bid, int64(MaxPrice))
		case !diameterValid(o.MaxMFD):
			return fmt.Errorf("%w: order %q: max_mfd %v is not a finite non-negative number", ErrInvalidBook, o.ID, *o.MaxMFD)
		}
		if dupes {
			seen[o.ID] = true
		}
	}
	return nil
}

// idSeed seeds the hashes of mayRepeat. Their values vary from run to run
// but never what validate decides: a false alarm only costs the exact check.
var idSeed = maphash.MakeSeed()

// mayRepeat reports whether two of the n ids id(0), …, id(n−1) may be
// equal: false means certainly not. It compares 64-bit hashes of the ids,
// so a repeat is always caught (equal ids hash alike) and a false alarm
// takes two different ids with the same 64 bits. The hashes are first
// split by their top bits into parts of a few thousand, each then checked
// in an open-addressing table small enough to stay in cache: on a million
// ids one table of them all would miss the cache on nearly every probe.
func mayRepeat(n int, id func(int) string) bool {
	if n < 2 {
		return false
	}
	hs := make([]uint64, n)
	for i := range hs {
		hs[i] = maphash.String(idSeed, id(i)) | 1 // 0 marks an empty slot
	}
	partBits := bits.Len(uint(n >> 12))
	shift := uint(64 - partBits) // by 64 when there is one part: every hash to part 0
	ends := make([]int, 1<<partBits)
	for _, h := range hs {
		ends[h>>shift]++
	}
	most := 0
	for p := range ends {
		most = max(most, ends[p])
		if p > 0 {
			ends[p] += ends[p-1]
		}
	}
	parts := make([]uint64, n)
	for _, h := range hs {
		p := h >> shift
		ends[p]--
		parts[ends[p]] = h
	}
	// ends[p] is now where part p starts.
	size := 1
	for size < 2*most {
		size <<= 1
	}
	table := make([]uint64, size)
	for p, start := range ends {
		end := n
		if p+1 < len(ends) {
			end = ends[p+1]
		}
		size := 1
		for size < 2*(end-start) {
			size <<= 1
		}
		t := table[:size]
		clear(t)
		mask := uint64(size - 1)
		for _, h := range parts[start:end] {
			for k := h & mask; ; k = (k + 1) & mask {
				if t[k] == 0 {
					t[k] = h
					break
				}
				if t[k] == h {
					return true
				}
			}
		}
	}
	return false
}

func diameterValid(d *float64) bool {
	return d == nil || (*d >= 0 && !math.IsInf(*d, 0) && !math.IsNaN(*d))
}

// byAge orders lots and orders oldest first: by Rank, then ID.
func byAge(rankA int64, idA string, rankB int64, idB string) int {
	if c := cmp.Compare(rankA, rankB); c != 0 {
		return c
	}
	return cmp.Compare(idA, idB)
}

// sortedLots is lots oldest first. A book already in that order, as books
// usually are, is returned as it is rather than copied: nothing writes to
// the result, so the input stays unmodified either way.
func sortedLots(lots []Lot) []Lot {
	byLotAge := func(a, b Lot) int { return byAge(a.Rank, a.ID, b.Rank, b.ID) }
	if slices.IsSortedFunc(lots, byLotAge) {
		return lots
	}
	s := slices.Clone(lots)
	slices.SortFunc(s, byLotAge)
	return s
}

// sortedOrders is orders oldest first, like sortedLots.
func sortedOrders(orders []Order) []Order {
	byOrderAge := func(a, b Order) int { return byAge(a.Rank, a.ID, b.Rank, b.ID) }
	if slices.IsSortedFunc(orders, byOrderAge) {
		return orders
	}
	s := slices.Clone(orders)
	slices.SortFunc(s, byOrderAge)
	return s
}

// pair is grams of lots[lot] allocated to orders[order], indices into the
// age-sorted slices.
type pair struct {
	order, lot int
	grams      int64
}

// result prices the pairs and sums the surplus. pairs must be sorted by
// order, then lot, with no repeats, and pair only eligible lots and orders
// (ask ≤ bid); the sums cannot overflow (see Surplus and Result).
func result(orders []Order, lots []Lot, pairs []pair) (Result, error) {
	r := Result{Allocations: make([]Allocation, 0, len(pairs))}
	for _, p := range pairs {
		o, l := orders[p.order], lots[p.lot]
		if o.Bid < l.Ask || p.grams < 0 {
			return Result{}, fmt.Errorf("matching: order %q allocated %d g of lot %q asking more than its bid", o.ID, p.grams, l.ID)
		}
		r.Surplus = r.Surplus.Add(gains(o.Bid-l.Ask, p.grams))
		r.GramsAllocated += p.grams
		r.Allocations = append(r.Allocations, Allocation{
			OrderID: o.ID, LotID: l.ID, Grams: p.grams, Price: TradePrice(o.Bid, l.Ask),
		})
	}
	return r, nil
}
