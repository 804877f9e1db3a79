package consistency

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// ClassifierLots is one classifier's input to a sampling plan: its lots in
// the period and the statistics of its recent checks.
type ClassifierLots struct {
	ClassifierID string
	// LotIDs are the classifier's lots in the period; distinct, in any order.
	LotIDs []string
	// Recent is the agreement of the classifier's recent checks, with
	// quadratic weights, that DecideSeverity judges.
	Recent Statistics
	// Stream is the random stream the classifier's lots are drawn from;
	// empty, its id.
	Stream string
	// Sanctioned is whether the classifier stands on the sanctions
	// ladder's step of tightened sampling or above (ladder.go): its lots
	// are then sampled tightened whatever its recent agreement.
	Sanctioned bool
}

// ClassifierSample is one classifier's part of a sampling plan.
type ClassifierSample struct {
	ClassifierID string
	// Severity and Cause are DecideSeverity's verdict on the recent checks.
	Severity Severity
	Cause    Cause
	// Size is the sample size and how it was read from the tables.
	Size SampleSize
	// LotIDs are the Size.Size lots chosen, in draw order.
	LotIDs []string
}

// ProposePlan decides each classifier's severity (DecideSeverity), its
// sample size (SampleSizeFor) and its lots (Select with the classifier's
// stream, by default its id). Classifiers without lots are left out; the rest are returned
// ordered by classifier id. Each classifier's part depends only on the seed
// and its own input. Classifier ids must be distinct.
func ProposePlan(seed uint64, classifiers []ClassifierLots) ([]ClassifierSample, error) {
	seen := make(map[string]bool, len(classifiers))
	out := make([]ClassifierSample, 0, len(classifiers))
	for _, c := range classifiers {
		if seen[c.ClassifierID] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateClassifier, c.ClassifierID)
		}
		seen[c.ClassifierID] = true
		if len(c.LotIDs) == 0 {
			continue
		}
		severity, cause := DecideSeverity(c.Recent)
		if c.Sanctioned {
			severity, cause = Tightened, CauseSanction
		}
		size, err := SampleSizeFor(len(c.LotIDs), severity)
		if err != nil {
			return nil, err
		}
		stream := cmp.Or(c.Stream, c.ClassifierID)
		lots, err := Select(seed, stream, c.LotIDs, size.Size)
		if err != nil {
			return nil, fmt.Errorf("classifier %q: %w", c.ClassifierID, err)
		}
		out = append(out, ClassifierSample{
			ClassifierID: c.ClassifierID,
			Severity:     severity,
			Cause:        cause,
			Size:         size,
			LotIDs:       lots,
		})
	}
	slices.SortFunc(out, func(a, b ClassifierSample) int { return cmp.Compare(a.ClassifierID, b.ClassifierID) })
	return out, nil
}

// PlanLot is a lot a sampling plan may draw.
type PlanLot struct {
	ID, AssociationID, ClassifierID string
	// Campaign, LotNumber and Created (then ID) order a classifier's lots
	// before the draw, so that the lots chosen depend on what the lots
	// are, not on the random ids a database gave them.
	Campaign  int
	LotNumber string
	Created   time.Time
	// ClassifierKey names the lot's classifier by what a person gave it
	// (its association's RUC and its DNI, say), so that the same
	// classifier draws the same stream in any database; empty, the
	// classifier id.
	ClassifierKey string
}

// comparePlanLots orders a classifier's lots for the draw.
func comparePlanLots(a, b PlanLot) int {
	return cmp.Or(cmp.Compare(a.Campaign, b.Campaign), cmp.Compare(a.LotNumber, b.LotNumber),
		a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
}

// RecentCheck is one check of a classifier's lots, for its severity.
type RecentCheck struct {
	ClassifierID string
	// Standard is the id of the standard the check was graded under.
	Standard string
	Pair
}

// RegionPlanInput is what a region's sampling plan is drawn from.
type RegionPlanInput struct {
	Seed uint64
	// Scales are the scales checks are judged on, by the id of their
	// standard (a standard's quality groups, or its fleece categories);
	// checks under a standard not here are left out. A classifier's
	// checks under each standard are judged on that standard's scale,
	// and the strictest verdict stands (see judgeRecent). Standard is the
	// one whose scale speaks for a classifier with no checks.
	Standard string
	Scales   map[string]*Scale
	// Lots are the region's lots in the period.
	Lots []PlanLot
	// Checks are the classifiers' checks (the latest per lot), most
	// recent first; each classifier is judged on its first RecentLimit.
	Checks      []RecentCheck
	RecentLimit int
	// Sanctioned are the classifiers on the ladder's step of tightened
	// sampling or above.
	Sanctioned map[string]bool
}

// ClassifierPlan is one classifier's part of a region's plan.
type ClassifierPlan struct {
	ClassifierSample
	AssociationID string
	// LotCount is how many of the region's lots the classifier declared.
	LotCount int
	// Recent is the agreement of the checks its severity was judged on.
	Recent Statistics
	// Chosen are the lots drawn, by association and id.
	Chosen []PlanLot
}

// PlanRegion draws a region's sampling plan: every classifier with lots is
// judged on its recent checks (quadratic-weighted agreement, then
// DecideSeverity) and sampled by ProposePlan. Classifiers come ordered by
// association and id, so that the plan reads the same each time.
//
// The draw depends only on the seed and on what people gave the lots and
// classifiers, never on database ids: a classifier's lots are ordered by
// campaign, lot number and registration (comparePlanLots), the candidates
// Select shuffles are their ranks in that order, written as nine decimal
// digits (so that Select's byte-wise sort keeps it), and the stream is
// the classifier's key. The same season registered in two databases, in
// the same order, gives the same lots.
func PlanRegion(in RegionPlanInput) ([]ClassifierPlan, error) {
	byClassifier := map[string]*ClassifierPlan{}
	ranked := map[string][]PlanLot{}
	streams := map[string]string{}
	var ids []string
	for _, l := range in.Lots {
		c := byClassifier[l.ClassifierID]
		if c == nil {
			c = &ClassifierPlan{AssociationID: l.AssociationID}
			byClassifier[l.ClassifierID] = c
			ids = append(ids, l.ClassifierID)
			streams[l.ClassifierID] = l.ClassifierKey
		}
		c.LotCount++
		ranked[l.ClassifierID] = append(ranked[l.ClassifierID], l)
	}
	lotIDs := map[string][]string{}
	for id, lots := range ranked {
		slices.SortFunc(lots, comparePlanLots)
		for i := range lots {
			lotIDs[id] = append(lotIDs[id], fmt.Sprintf("%09d", i))
		}
	}
	// Each classifier's RecentLimit latest checks under a standard with a
	// scale, by standard.
	recent := map[string]map[string][]Pair{}
	counted := map[string]int{}
	for _, c := range in.Checks {
		if in.Scales[c.Standard] == nil || counted[c.ClassifierID] >= in.RecentLimit {
			continue
		}
		if recent[c.ClassifierID] == nil {
			recent[c.ClassifierID] = map[string][]Pair{}
		}
		recent[c.ClassifierID][c.Standard] = append(recent[c.ClassifierID][c.Standard], c.Pair)
		counted[c.ClassifierID]++
	}
	input := make([]ClassifierLots, 0, len(ids))
	for _, id := range ids {
		stats, err := judgeRecent(in.Scales, in.Standard, recent[id])
		if err != nil {
			return nil, fmt.Errorf("the recent agreement of classifier %s: %w", id, err)
		}
		byClassifier[id].Recent = stats
		input = append(input, ClassifierLots{ClassifierID: id, LotIDs: lotIDs[id], Recent: stats, Stream: streams[id],
			Sanctioned: in.Sanctioned[id]})
	}
	samples, err := ProposePlan(in.Seed, input)
	if err != nil {
		return nil, err
	}
	out := make([]ClassifierPlan, 0, len(samples))
	for _, s := range samples {
		c := byClassifier[s.ClassifierID]
		s.LotIDs = slices.Clone(s.LotIDs)
		for i, rank := range s.LotIDs {
			r, err := strconv.Atoi(rank)
			if err != nil {
				return nil, fmt.Errorf("classifier %s: candidate %q: %w", s.ClassifierID, rank, err)
			}
			l := ranked[s.ClassifierID][r]
			c.Chosen = append(c.Chosen, l)
			s.LotIDs[i] = l.ID
		}
		c.ClassifierSample = s
		slices.SortFunc(c.Chosen, func(a, b PlanLot) int {
			return cmp.Or(cmp.Compare(a.AssociationID, b.AssociationID), cmp.Compare(a.ID, b.ID))
		})
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ClassifierPlan) int {
		return cmp.Or(cmp.Compare(a.AssociationID, b.AssociationID), cmp.Compare(a.ClassifierID, b.ClassifierID))
	})
	return out, nil
}

// judgeRecent is the agreement a classifier's severity is decided on, from
// its recent checks by standard: each standard's checks are summarised on
// that standard's scale (graded fibre and whole-fleece categories are not
// one scale) and judged by DecideSeverity, and the strictest verdict
// stands. Standards with too few checks to judge are heard only when none
// has enough, and then the one with the most checks speaks; a classifier
// with no checks is summarised on the scale of fallback. Tightened under
// any standard tightens; reduced needs every judged standard to reduce.
// Among standards of the same verdict, the one with the most checks (then
// the first by id) speaks, so that the choice is deterministic.
func judgeRecent(scales map[string]*Scale, fallback string, byStandard map[string][]Pair) (Statistics, error) {
	type verdict struct {
		stats    Statistics
		severity Severity
	}
	var judged, unjudged []verdict
	for _, std := range slices.Sorted(maps.Keys(byStandard)) {
		stats, err := scales[std].Agreement(byStandard[std], Quadratic)
		if err != nil {
			return Statistics{}, fmt.Errorf("under standard %s: %w", std, err)
		}
		severity, _ := DecideSeverity(stats)
		v := verdict{stats, severity}
		if stats.Checks >= MinChecksToJudge {
			judged = append(judged, v)
		} else {
			unjudged = append(unjudged, v)
		}
	}
	most := func(vs []verdict) Statistics {
		best := vs[0]
		for _, v := range vs[1:] {
			if v.stats.Checks > best.stats.Checks {
				best = v
			}
		}
		return best.stats
	}
	if len(judged) == 0 {
		if len(unjudged) > 0 {
			return most(unjudged), nil
		}
		sc := scales[fallback]
		if sc == nil {
			return Statistics{}, fmt.Errorf("no scale for the fallback standard %q", fallback)
		}
		return sc.Agreement(nil, Quadratic)
	}
	for _, want := range []Severity{Tightened, Normal} {
		var of []verdict
		for _, v := range judged {
			if v.severity == want {
				of = append(of, v)
			}
		}
		if len(of) > 0 {
			return most(of), nil
		}
	}
	return most(judged), nil // every judged standard reduces
}
