package grading

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Limits of a ClassifyFleece request.
const (
	maxGroupEntries = 50
	maxGroupGrams   = 1_000_000_000
)

// FleeceResult is the category of a whole fleece.
type FleeceResult struct {
	Category     string
	CategoryName Text
	// FineSharePercent is the weight in the fine groups divided by the total
	// weight, times 100, unrounded.
	FineSharePercent float64
	// Explanation is the rule applied, with the weights used.
	Explanation Text
}

// ClassifyFleece puts a whole fleece (or a batch of fleeces) of the standard
// s into a fleece category from the grams it gave in each quality group of
// the classification's group standard, resolved through the registry. The
// fine share is the weight in the fine groups over the total weight (every
// group listed, the short-fibre group included), compared unrounded; the
// category is the first, best first, whose minimum the share reaches.
//
// It returns an *InputError (fields `group_grams` and `group_grams["CODE"]`)
// for an empty map, more than 50 entries, a code that is not a quality group
// of the group standard, a negative weight or one above 1,000,000,000 grams,
// or a total of zero; and an error matching ErrNotApplicable when s has no
// fleece classification.
func (r *Registry) ClassifyFleece(s *Standard, groupGrams map[string]int64) (FleeceResult, error) {
	if s == nil {
		return FleeceResult{}, fmt.Errorf("classifying a fleece: no standard")
	}
	fc := s.FleeceClassification
	if fc == nil || len(fc.Categories) == 0 {
		return FleeceResult{}, &NotApplicableError{Standard: s.ID, Use: "GradeSample", Reason: reasonNoFleece}
	}
	gs := s
	if fc.GroupStandard != s.ID {
		var ok bool
		if gs, ok = r.Get(fc.GroupStandard); !ok {
			return FleeceResult{}, fmt.Errorf("standard %s: group standard %s is not loaded", s.ID, fc.GroupStandard)
		}
	}

	var vs violations
	switch n := len(groupGrams); {
	case n == 0:
		vs.Add("group_grams", "must have at least one entry: the grams of fibre in each quality group of %s", gs.ID)
	case n > maxGroupEntries:
		vs.Add("group_grams", "must have at most 50 entries, got %d", n)
	}
	codes := make([]string, 0, len(groupGrams))
	if len(groupGrams) <= maxGroupEntries {
		for code := range groupGrams {
			codes = append(codes, code)
		}
		slices.Sort(codes)
	}
	var total, fine int64
	for _, code := range codes {
		field := "group_grams[" + strconv.Quote(code) + "]"
		grams := groupGrams[code]
		if !gs.HasGroup(code) {
			vs.Add(field, "is not a quality group of %s: use one of %s", gs.ID, strings.Join(groupCodes(gs), ", "))
		}
		switch {
		case grams < 0:
			vs.Add(field, "must not be negative, got %s", grouped(grams))
			continue
		case grams > maxGroupGrams:
			vs.Add(field, "must be at most 1,000,000,000 grams, got %s", grouped(grams))
			continue
		}
		total += grams
		if slices.Contains(fc.FineGroupCodes, code) {
			fine += grams
		}
	}
	if len(vs) == 0 && total == 0 {
		vs.Add("group_grams", "must weigh more than 0 grams in all")
	}
	if err := vs.err(); err != nil {
		return FleeceResult{}, err
	}

	// Multiplying first keeps the share exact for whole percentages: 7,000 g
	// of 10,000 g is 70, not 69.99999999999999.
	share := float64(fine) * 100 / float64(total)
	ci := len(fc.Categories) - 1
	for i, c := range fc.Categories {
		if share >= c.MinFineSharePercent {
			ci = i
			break
		}
	}
	c := fc.Categories[ci]
	shareText := consistent(share, 1, 1, func(v float64) bool {
		for _, c := range fc.Categories {
			if (v >= c.MinFineSharePercent) != (share >= c.MinFineSharePercent) {
				return false
			}
		}
		return true
	})
	var ruleES, ruleEN string
	lo := trimmed(c.MinFineSharePercent, 6) + " %"
	switch {
	case c.MaxFineSharePercent == nil:
		ruleES, ruleEN = "≥ "+lo, "≥ "+lo
	case c.MinFineSharePercent <= 0:
		ruleES = "< " + trimmed(*c.MaxFineSharePercent, 6) + " %"
		ruleEN = ruleES
	default:
		hi := trimmed(*c.MaxFineSharePercent, 6) + " %"
		ruleES, ruleEN = "≥ "+lo+" y < "+hi, "≥ "+lo+" and < "+hi
	}
	fineCodes := strings.Join(fc.FineGroupCodes, ", ")
	return FleeceResult{
		Category:         c.Code,
		CategoryName:     c.Name,
		FineSharePercent: share,
		Explanation: Text{
			ES: fmt.Sprintf("%s g de %s g son finos (%s de %s): %s %%, %s: %s (%s).",
				grouped(fine), grouped(total), fineCodes, gs.Title.ES, shareText, ruleES, c.Name.ES, s.Title.ES),
			EN: fmt.Sprintf("%s g of %s g fine (%s of %s): %s %%, %s: %s (%s).",
				grouped(fine), grouped(total), fineCodes, gs.Title.EN, shareText, ruleEN, c.Name.EN, s.Title.EN),
		},
	}, nil
}

// groupCodes lists the codes of the standard's groups, short group last.
func groupCodes(s *Standard) []string {
	codes := make([]string, 0, len(s.QualityGroups)+1)
	for _, g := range s.QualityGroups {
		codes = append(codes, g.Code)
	}
	if s.ShortFiberGroup != nil {
		codes = append(codes, s.ShortFiberGroup.Code)
	}
	return codes
}
