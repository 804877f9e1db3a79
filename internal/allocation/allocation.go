// Package allocation runs the market's matching inside a database
// transaction: it locks the books it touches, reads them, lets
// internal/matching decide, and writes the trades. Clearing (Clear) and
// continuous matching of a new order (MatchOrder) or new lots (MatchLots)
// go through here, so that every allocation is made the same way: in one
// transaction that holds the locks of its books (store.Tx.LockBooks,
// ShareBooks, LockCurrencyBooks; see internal/store/book.go), taken in one
// global order, and locks the lots and orders it allocates, so that no
// gram is ever sold twice whatever the number of replicas, and a new order
// and a new lot that cross never miss each other.
//
// The package also owns what runs clearings and gives grams back: a
// Clearer runs clearings (asked for by RunClearing or on the schedule) and
// tells its Observer about each, and a Scheduler runs the market's
// housekeeping on a timer: the sweep that expires lapsed orders
// (ExpireOrders) and the scheduled clearing of every currency's book. The
// server only builds them and starts and stops the Scheduler.
package allocation

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/millwa/millwa/internal/matching"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// Mode is the allocation rule of a clearing.
type Mode string

// Clearing modes.
const (
	// Optimal maximises the gains from trade exactly (matching.Clear).
	Optimal Mode = "OPTIMAL"
	// FirstComeFirstServed lets each order, oldest first, take the
	// cheapest eligible lots (matching.FirstComeFirstServed); dry runs only.
	FirstComeFirstServed Mode = "FIRST_COME_FIRST_SERVED"
)

// Summary is what a clearing did, or would do when DryRun.
type Summary struct {
	ClearingID       string
	DryRun           bool
	Mode             Mode
	Currency         string
	OrdersConsidered int
	LotsConsidered   int
	OrdersMatched    int
	LotsMatched      int
	AllocatedGrams   int64
	// Surplus is Σ (bid − ask) × grams / 1000 in minor units, rounded half
	// up once on the exact total; it can exceed an int64 (see
	// matching.Surplus).
	Surplus       matching.Surplus
	TradesCreated int
	StartTime     time.Time
	SolveDuration time.Duration
}

// key is how lots and orders are told apart by standard in the engine,
// which knows quality groups only: a group is matched as
// "standard/group", so that an order matches lots of its own standard.
func key(standard, group string) string { return standard + "/" + group }

func bookLot(l *millwa.Lot) matching.Lot {
	ml := matching.Lot{
		ID: l.ID, Rank: l.CreateTime.UnixMicro(), Group: key(l.Standard, l.MarketGroup),
		Colour: l.Colour, Breed: l.Breed, Grams: l.OnOffer(), Ask: l.AskPricePerKg,
	}
	if m := l.Measurement; m != nil && m.MeanFiberDiameterUm != nil {
		d := *m.MeanFiberDiameterUm
		ml.MFD = &d
	}
	return ml
}

func bookOrder(o *millwa.PurchaseOrder) matching.Order {
	mo := matching.Order{
		ID: o.ID, Rank: o.CreateTime.UnixMicro(), Colours: o.Colours, Breeds: o.Breeds,
		MaxMFD: o.MaxMeanFibreDiameterUm, Grams: o.QuantityGrams - o.FilledGrams, Bid: o.BidPricePerKg,
	}
	for _, g := range o.QualityGroups {
		mo.Groups = append(mo.Groups, key(o.Standard, g))
	}
	if o.MinLotGrams != nil {
		mo.MinLotGrams = *o.MinLotGrams
	}
	return mo
}

// index returns items by id, to write trades from the engine's
// allocations, and as the engine's book, in the order read.
func index[T, B any](items []T, id func(*T) string, entry func(*T) B) (map[string]*T, []B) {
	byID := make(map[string]*T, len(items))
	book := make([]B, len(items))
	for i := range items {
		byID[id(&items[i])] = &items[i]
		book[i] = entry(&items[i])
	}
	return byID, book
}

// indexLots is index for lots on offer.
func indexLots(offer []millwa.Lot) (map[string]*millwa.Lot, []matching.Lot) {
	return index(offer, func(l *millwa.Lot) string { return l.ID }, bookLot)
}

// indexOrders is index for live orders, each excluding the lots whose
// associations declined a trade with it (declined, by order id).
func indexOrders(live []millwa.PurchaseOrder, declined map[string][]string) (map[string]*millwa.PurchaseOrder, []matching.Order) {
	return index(live, func(o *millwa.PurchaseOrder) string { return o.ID }, func(o *millwa.PurchaseOrder) matching.Order {
		mo := bookOrder(o)
		mo.Excluded = declined[o.ID]
		return mo
	})
}

// byOrder groups declined pairs by order: the lots each order excludes.
func byOrder(pairs []store.DeclinedPair) map[string][]string {
	out := make(map[string][]string, len(pairs))
	for _, p := range pairs {
		out[p.OrderID] = append(out[p.OrderID], p.LotID)
	}
	return out
}

// write turns the engine's allocations into trades.
func write(ctx context.Context, tx *store.Tx, res matching.Result, orders map[string]*millwa.PurchaseOrder,
	lots map[string]*millwa.Lot, clearingID string) ([]millwa.Trade, error) {
	if len(res.Allocations) == 0 {
		return nil, nil
	}
	news := make([]store.NewTrade, len(res.Allocations))
	for i, a := range res.Allocations {
		o, l := orders[a.OrderID], lots[a.LotID]
		if o == nil || l == nil {
			return nil, millwa.Errorf(millwa.Internal, "the engine allocated lot %s to order %s, not in the book", a.LotID, a.OrderID)
		}
		news[i] = store.NewTrade{Order: o, Lot: l, Grams: a.Grams, ClearingID: clearingID}
	}
	return tx.CreateTrades(ctx, news, matching.TradePrice)
}

// MatchOrder matches a new order at once against the lots on offer of its
// standard and currency: cheapest ask first, then the oldest lot, leaving
// out the lots whose associations declined a trade with it (an order
// whose trade was just declined is matched again this way). It locks
// the order's books exclusively. o is updated with its fills.
func MatchOrder(ctx context.Context, tx *store.Tx, o *millwa.PurchaseOrder) ([]millwa.Trade, error) {
	if err := tx.LockBooks(ctx, store.OrderBooks(o)...); err != nil {
		return nil, err
	}
	offer, err := tx.LotsOnOffer(ctx, store.BookFilter{Currency: o.Currency, Standard: o.Standard, Groups: o.QualityGroups})
	if err != nil {
		return nil, err
	}
	lots, book := indexLots(offer)
	mo := bookOrder(o)
	// Only an order that has changed since it was placed can have had a
	// trade declined: a new order, at its first revision, costs no query.
	if o.Revision > 1 {
		if mo.Excluded, err = tx.DeclinedLotsOf(ctx, o.ID); err != nil {
			return nil, err
		}
	}
	res, err := matching.MatchOrder(book, mo)
	if err != nil {
		return nil, fmt.Errorf("matching order %s: %w", o.ID, err)
	}
	return write(ctx, tx, res, map[string]*millwa.PurchaseOrder{o.ID: o}, lots, "")
}

// MatchLots matches new lots, in the order given, at once against the
// live orders of their standard and currency that accept their groups:
// highest bid first, then the oldest order, leaving out the orders that a
// lot's association declined a trade with (a lot whose trade was just
// declined is matched again this way). The lots are updated with their
// allocations.
//
// It takes the lots' books in share mode only, so that new lots do not
// wait for each other, and looks at the orders without locking them: most
// new lots find nothing to match and are done. Holding the books in share
// mode, no order can appear, be cancelled or expire in them, and no
// clearing can run on them, until this transaction ends; an order can
// only lose grams, to another new lot. So when the look finds something,
// the orders are read again, locked, and matched again, and what this
// second pass allocates is written.
func MatchLots(ctx context.Context, tx *store.Tx, newLots []*millwa.Lot) ([]millwa.Trade, error) {
	if len(newLots) == 0 {
		return nil, nil
	}
	if len(newLots) == 1 {
		// The usual case, a lot alone in a book no order accepts: one
		// statement shares the book and finds it so.
		quiet, err := tx.ShareQuietBook(ctx, store.LotBook(newLots[0]), time.Now())
		if err != nil || quiet {
			return nil, err
		}
	}
	books := make([]store.Book, len(newLots))
	for i, l := range newLots {
		books[i] = store.LotBook(l)
	}
	if err := tx.ShareBooks(ctx, books...); err != nil {
		return nil, err
	}
	// Only a lot that has changed since it was created can have had a
	// trade declined: a new lot, at its first revision, costs no query.
	var ids []string
	for _, l := range newLots {
		if l.Revision > 1 {
			ids = append(ids, l.ID)
		}
	}
	pairs, err := tx.DeclinedPairsOfLots(ctx, ids)
	if err != nil {
		return nil, err
	}
	declined := byOrder(pairs)
	res, _, err := matchLots(ctx, tx, newLots, declined, true)
	if err != nil || len(res.Allocations) == 0 {
		return nil, err
	}
	res, orders, err := matchLots(ctx, tx, newLots, declined, false)
	if err != nil {
		return nil, err
	}
	lots := make(map[string]*millwa.Lot, len(newLots))
	for _, l := range newLots {
		lots[l.ID] = l
	}
	return write(ctx, tx, res, orders, lots, "")
}

// matchLots matches the new lots, in order, against the live orders of
// their books, read locked unless peek, each order excluding the lots
// declined to it (declined, by order id), and returns the allocations and
// the orders by id.
func matchLots(ctx context.Context, tx *store.Tx, newLots []*millwa.Lot, declined map[string][]string,
	peek bool) (matching.Result, map[string]*millwa.PurchaseOrder, error) {
	type book struct {
		orders []matching.Order
		index  map[string]int
	}
	type bookKey struct{ currency, standard string }
	groups := map[bookKey][]string{}
	for _, l := range newLots {
		k := bookKey{l.Currency, l.Standard}
		if !slices.Contains(groups[k], l.MarketGroup) {
			groups[k] = append(groups[k], l.MarketGroup)
		}
	}
	books := map[bookKey]*book{}
	orders := map[string]*millwa.PurchaseOrder{}
	var all matching.Result
	t := time.Now()
	for _, l := range newLots {
		k := bookKey{l.Currency, l.Standard}
		b := books[k]
		if b == nil {
			// One read per currency and standard, of the orders that
			// accept any of the new lots' groups there: in one order, by
			// creation, so that concurrent lots lock them alike.
			live, err := tx.LiveOrders(ctx, store.BookFilter{Currency: l.Currency, Standard: l.Standard, Groups: groups[k], Peek: peek}, t)
			if err != nil {
				return all, nil, err
			}
			byID, bookOrders := indexOrders(live, declined)
			maps.Copy(orders, byID)
			b = &book{orders: bookOrders, index: make(map[string]int, len(live))}
			for i, mo := range bookOrders {
				b.index[mo.ID] = i
			}
			books[k] = b
		}
		res, err := matching.MatchLot(b.orders, bookLot(l))
		if err != nil {
			return all, nil, fmt.Errorf("matching lot %s: %w", l.ID, err)
		}
		for _, a := range res.Allocations {
			b.orders[b.index[a.OrderID]].Grams -= a.Grams
		}
		all.Allocations = append(all.Allocations, res.Allocations...)
	}
	return all, orders, nil
}

// Clear clears the whole book of one currency: every live order against
// every lot on offer. It locks every book of the currency exclusively.
// Optimal writes a MATCHED
// trade per allocation under a new clearing id unless dryRun; a
// FirstComeFirstServed clearing must be dry.
func Clear(ctx context.Context, tx *store.Tx, currency string, mode Mode, dryRun bool) (Summary, []millwa.Trade, error) {
	sum := Summary{DryRun: dryRun, Mode: mode, Currency: currency, StartTime: time.Now().UTC()}
	if mode != Optimal && !dryRun {
		return sum, nil, millwa.Errorf(millwa.Invalid, "only an optimal clearing can be written; a first-come-first-served one is a dry run")
	}
	if err := tx.LockCurrencyBooks(ctx, currency); err != nil {
		return sum, nil, err
	}
	f := store.BookFilter{Currency: currency}
	live, err := tx.LiveOrders(ctx, f, sum.StartTime)
	if err != nil {
		return sum, nil, err
	}
	offer, err := tx.LotsOnOffer(ctx, f)
	if err != nil {
		return sum, nil, err
	}
	pairs, err := tx.DeclinedPairsOfCurrency(ctx, currency)
	if err != nil {
		return sum, nil, err
	}
	orders, bookOrders := indexOrders(live, byOrder(pairs))
	lots, bookLots := indexLots(offer)
	b := matching.Book{Orders: bookOrders, Lots: bookLots}
	sum.OrdersConsidered, sum.LotsConsidered = len(b.Orders), len(b.Lots)

	solve := matching.Clear
	if mode == FirstComeFirstServed {
		solve = matching.FirstComeFirstServed
	}
	start := time.Now()
	res, err := solve(b)
	sum.SolveDuration = time.Since(start)
	if err != nil {
		return sum, nil, fmt.Errorf("clearing the %s book: %w", currency, err)
	}
	matchedOrders, matchedLots := map[string]bool{}, map[string]bool{}
	for _, a := range res.Allocations {
		matchedOrders[a.OrderID], matchedLots[a.LotID] = true, true
	}
	sum.OrdersMatched, sum.LotsMatched = len(matchedOrders), len(matchedLots)
	sum.AllocatedGrams, sum.TradesCreated = res.GramsAllocated, len(res.Allocations)
	sum.Surplus = res.Surplus.DivRound(1000)
	if dryRun {
		return sum, nil, nil
	}
	if sum.ClearingID, err = store.NewID(); err != nil {
		return sum, nil, err
	}
	trades, err := write(ctx, tx, res, orders, lots, sum.ClearingID)
	return sum, trades, err
}
