package grading

import "strings"

// MarketStandard returns the standard a request names for what is sold on
// the market: "standards/{id}", or the default standard for "", with
// quality groups or with fleece categories (whole fleeces, NTP 231.300).
// ok is false for any other name or an unknown id.
func (r *Registry) MarketStandard(name string) (st *Standard, ok bool) {
	if st, ok := r.GradingStandard(name); ok {
		return st, true
	}
	id, found := strings.CutPrefix(name, "standards/")
	if !found {
		return nil, false
	}
	st, ok = r.Get(id)
	return st, ok && st.HasCategories()
}

// HasCategories reports whether the standard defines fleece categories.
func (s *Standard) HasCategories() bool {
	return s.FleeceClassification != nil && len(s.FleeceClassification.Categories) > 0
}

// Category returns the fleece category with the code, or nil.
func (s *Standard) Category(code string) *FleeceCategory {
	if s.FleeceClassification == nil {
		return nil
	}
	for i := range s.FleeceClassification.Categories {
		if c := &s.FleeceClassification.Categories[i]; c.Code == code {
			return c
		}
	}
	return nil
}

// HasMarketCode reports whether code is one of what the standard sells
// by: a quality group, or a fleece category of a standard without groups.
func (s *Standard) HasMarketCode(code string) bool {
	if len(s.QualityGroups) > 0 {
		return s.HasGroup(code)
	}
	return s.Category(code) != nil
}

// MarketCodes lists the codes HasMarketCode accepts, for messages.
func (s *Standard) MarketCodes() string {
	if len(s.QualityGroups) > 0 {
		return s.GroupCodes()
	}
	return s.CategoryCodes()
}

// CategoryCodes lists the standard's fleece category codes, best first.
func (s *Standard) CategoryCodes() string {
	if s.FleeceClassification == nil {
		return ""
	}
	return joinCodes(s.FleeceClassification.Categories, func(c FleeceCategory) string { return c.Code })
}
