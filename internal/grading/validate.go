package grading

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	codePattern    = regexp.MustCompile(`^[A-Z0-9_]{1,32}$`)
	breedPattern   = regexp.MustCompile(`^[A-Z]{1,32}$`)
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Limits of a standard's data, from the API's documentation of Standard.
const (
	maxTitle        = 300
	maxPublisher    = 200
	maxSource       = 2000
	maxNotes        = 100
	maxSubject      = 200
	maxNoteText     = 1000
	maxName         = 200
	maxAbbreviation = 8
	maxGroups       = 20
	maxColours      = 50
	maxBreeds       = 10
	maxCategories   = 20
	minResolutionUm = 0.001
	maxResolutionUm = 5
)

// checker collects the problems of one file.
type checker struct {
	file string
	errs []error
}

func (c *checker) add(field, format string, args ...any) {
	c.errs = append(c.errs, &FileError{File: c.file, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// text checks a required text of at most limit characters.
func (c *checker) text(field, v string, limit int) {
	switch n := utf8.RuneCountInString(v); {
	case strings.TrimSpace(v) == "":
		c.add(field, "is required")
	case n > limit:
		c.add(field, "must be at most %d characters, has %d", limit, n)
	}
}

func (c *checker) localized(field string, t Text, limit int) {
	c.text(field+".es", t.ES, limit)
	c.text(field+".en", t.EN, limit)
}

func (c *checker) confidence(field string, v Confidence) {
	if v.rank() == 0 {
		c.add(field, "must be %q, %q or %q, got %q", Confirmed, Repeated, Unconfirmed, v)
	}
}

// validate checks one standard on its own; crossCheck checks what it refers
// to in other standards.
func validate(file string, s *Standard) []error {
	c := &checker{file: file}
	switch {
	case s.ID == "":
		c.add("id", "is required: lower case letters, digits and \"-\", for example \"pe-ntp-231-301-2014\"")
	case !idPattern.MatchString(s.ID):
		c.add("id", "%q must be 1 to 63 lower case letters, digits and \"-\", starting with a letter or digit", s.ID)
	}
	c.localized("title", s.Title, maxTitle)
	if s.CountryCode != "" && !countryPattern.MatchString(s.CountryCode) {
		c.add("country_code", "%q must be an ISO 3166-1 alpha-2 code such as \"PE\", or absent for a scale that is not national", s.CountryCode)
	}
	c.text("publisher", s.Publisher, maxPublisher)
	if s.EditionYear != 0 && (s.EditionYear < 1900 || s.EditionYear > 2100) {
		c.add("edition_year", "must be a year from 1900 to 2100, or absent for an undated scale; got %d", s.EditionYear)
	}
	c.text("source", s.Source, maxSource)
	c.confidence("confidence", s.Confidence)
	if len(s.Notes) > maxNotes {
		c.add("notes", "must have at most %d notes, has %d", maxNotes, len(s.Notes))
	}
	weakest := -1
	for i, n := range s.Notes {
		f := fmt.Sprintf("notes[%d]", i)
		if utf8.RuneCountInString(n.Subject) > maxSubject {
			c.add(f+".subject", "must be at most %d characters", maxSubject)
		}
		c.confidence(f+".confidence", n.Confidence)
		c.text(f+".text", n.Text, maxNoteText)
		if weakest < 0 || n.Confidence.rank() > s.Notes[weakest].Confidence.rank() {
			weakest = i
		}
	}
	if weakest >= 0 && s.Confidence.rank() > 0 && s.Confidence.rank() < s.Notes[weakest].Confidence.rank() {
		c.add("confidence", "is %q but notes[%d] is %q: a standard's confidence is the weakest of its values", s.Confidence, weakest, s.Notes[weakest].Confidence)
	}

	res := s.DiameterResolutionUm
	resOK := res >= minResolutionUm && res <= maxResolutionUm && onGrid(res, minResolutionUm)
	if (len(s.QualityGroups) > 0 || res != 0) && !resOK {
		c.add("diameter_resolution_um", "must be a multiple of 0.001 µm from %v to %v µm, for example 0.1; got %v", minResolutionUm, maxResolutionUm, res)
	}
	c.groups(s, res, resOK)
	c.colours(s)
	c.breeds(s)
	if len(s.QualityGroups) == 0 && s.FleeceClassification == nil {
		c.add("quality_groups", "a standard needs quality groups, a fleece classification, or both")
	}
	if fc := s.FleeceClassification; fc != nil {
		c.fleece(fc)
	}
	return c.errs
}

// groups checks the quality groups and the short-fibre group: codes, names,
// lengths, and bands that are on the resolution's grid, ordered finest first,
// open at both ends of the scale, and neither overlapping nor leaving gaps.
func (c *checker) groups(s *Standard, res float64, resOK bool) {
	gs := s.QualityGroups
	if len(gs) > maxGroups {
		c.add("quality_groups", "must have at most %d groups, has %d", maxGroups, len(gs))
	}
	codes := map[string]string{}
	group := func(f string, g *QualityGroup) {
		switch {
		case !codePattern.MatchString(g.Code):
			c.add(f+".code", "%q must be 1 to 32 upper case letters, digits and \"_\" (UPPER_SNAKE), for example \"SUPER_BABY\"", g.Code)
		case codes[g.Code] != "":
			c.add(f+".code", "duplicate code %q: %s has it too", g.Code, codes[g.Code])
		default:
			codes[g.Code] = f
		}
		c.localized(f+".name", g.Name, maxName)
		if n := utf8.RuneCountInString(g.Abbreviation); n > maxAbbreviation {
			c.add(f+".abbreviation", "must be at most %d characters, has %d", maxAbbreviation, n)
		}
		for _, end := range []struct {
			name string
			v    *float64
		}{{"min_um", g.Band.MinUm}, {"max_um", g.Band.MaxUm}} {
			switch {
			case end.v == nil:
			case *end.v < 0 || *end.v > 1000:
				c.add(f+".diameter_band."+end.name, "must be from 0 to 1000 µm, got %v", *end.v)
			case resOK && !onGrid(*end.v, res):
				c.add(f+".diameter_band."+end.name, "%v is not a multiple of the resolution %v µm: bands are written to the resolution", *end.v, res)
			}
		}
		if g.Band.MinUm != nil && g.Band.MaxUm != nil && *g.Band.MinUm > *g.Band.MaxUm {
			c.add(f+".diameter_band", "min_um %v is above max_um %v", *g.Band.MinUm, *g.Band.MaxUm)
		}
	}
	for i := range gs {
		f := fmt.Sprintf("quality_groups[%d]", i)
		g := &gs[i]
		group(f, g)
		if l := g.MinStapleLengthMm; l != nil && (*l <= 0 || *l > maxStapleLengthMm) {
			c.add(f+".min_staple_length_mm", "must be above 0 and at most %v mm, got %v", maxStapleLengthMm, *l)
		}
		if i == 0 && g.Band.MinUm != nil {
			c.add(f+".diameter_band.min_um", "must be absent: the finest group's band is open below, so that every diameter has a group")
		}
		if i == len(gs)-1 && g.Band.MaxUm != nil && s.OutOfScale == nil {
			c.add(f+".diameter_band.max_um", "must be absent unless out_of_scale says what lies above it: the coarsest group's band is open above, so that every diameter has a group")
		}
		if len(s.LengthClasses) > 0 {
			if g.MinStapleLengthMm != nil {
				c.add(f+".min_staple_length_mm", "must be absent: the standard grades length by its length_classes")
			}
			c.classCodes(s, f, g)
		} else if len(g.LengthClasses) > 0 {
			c.add(f+".length_classes", "must be absent: the standard has no length_classes")
		}
		if g.StapleLengthRangeMm != nil {
			c.add(f+".staple_length_range_mm", "must be absent: only the short-fibre group has a staple length range")
		}
		if i > 0 && g.Band.MinUm == nil {
			c.add(f+".diameter_band.min_um", "is required: only the finest group's band is open below")
		}
		if i < len(gs)-1 && g.Band.MaxUm == nil {
			c.add(f+".diameter_band.max_um", "is required: only the coarsest group's band is open above")
		}
		if i > 0 && resOK {
			c.adjacent(fmt.Sprintf("quality_groups[%d]", i-1), &gs[i-1], f, g, res)
		}
	}
	if sg := s.ShortFiberGroup; sg != nil {
		f := "short_fiber_group"
		if len(gs) == 0 {
			c.add(f, "must be absent: a standard without quality groups has no short-fibre rule")
		}
		group(f, sg)
		if sg.MinStapleLengthMm != nil {
			c.add(f+".min_staple_length_mm", "must be absent: the short-fibre group takes samples shorter than their own group's min_staple_length_mm")
		}
		if len(s.LengthClasses) > 0 {
			c.classCodes(s, f, sg)
		}
		if r := sg.StapleLengthRangeMm; r != nil {
			switch {
			case len(s.LengthClasses) > 0:
				c.add(f+".staple_length_range_mm", "must be absent: the standard grades length by its length_classes")
			case r.MinMm == nil && r.MaxMm == nil:
				c.add(f+".staple_length_range_mm", "must give min_mm, max_mm or both")
			case r.MinMm != nil && r.MaxMm != nil && *r.MinMm >= *r.MaxMm:
				c.add(f+".staple_length_range_mm", "min_mm %v must be below max_mm %v", *r.MinMm, *r.MaxMm)
			case r.MinMm != nil && s.OutOfScale == nil:
				c.add("out_of_scale", "is required: a sample shorter than %s.staple_length_range_mm.min_mm is out of the scale", f)
			}
		}
	}
	c.lengthClasses(s)
	c.tolerances(s)
}

// classCodes checks that a group's length classes are classes of the
// standard, and that it takes at least one.
func (c *checker) classCodes(s *Standard, f string, g *QualityGroup) {
	if len(g.LengthClasses) == 0 {
		c.add(f+".length_classes", "must list at least one of the standard's length classes")
	}
	for j, code := range g.LengthClasses {
		if !slices.ContainsFunc(s.LengthClasses, func(l LengthClass) bool { return l.Code == code }) {
			c.add(fmt.Sprintf("%s.length_classes[%d]", f, j), "%q is not one of the standard's length classes", code)
		}
	}
}

// lengthClasses checks the standard's length classes: codes, names, and
// ranges that start where the next longer one ends, longest first.
func (c *checker) lengthClasses(s *Standard) {
	if len(s.LengthClasses) > 0 && s.OutOfScale == nil {
		c.add("out_of_scale", "is required: a sample shorter than every length class is out of the scale")
	}
	seen := map[string]int{}
	for i, l := range s.LengthClasses {
		f := fmt.Sprintf("length_classes[%d]", i)
		c.code(f, "length_classes", seen, i, l.Code, codePattern, "1 to 32 upper case letters, digits and \"_\"")
		c.localized(f+".name", l.Name, maxName)
		if l.Range.MinMm == nil || *l.Range.MinMm <= 0 {
			c.add(f+".staple_length_mm.min_mm", "is required and must be above 0 mm")
			continue
		}
		if l.Range.MaxMm != nil && *l.Range.MaxMm <= *l.Range.MinMm {
			c.add(f+".staple_length_mm.max_mm", "must be above min_mm %v", *l.Range.MinMm)
		}
		switch {
		case i == 0 && l.Range.MaxMm != nil:
			c.add(f+".staple_length_mm.max_mm", "must be absent: the longest class is open above")
		case i > 0 && (l.Range.MaxMm == nil || s.LengthClasses[i-1].Range.MinMm == nil || *l.Range.MaxMm != *s.LengthClasses[i-1].Range.MinMm):
			c.add(f+".staple_length_mm.max_mm", "must equal the min_mm of length_classes[%d]: classes are ordered longest first, without gaps", i-1)
		}
	}
}

// tolerances checks the measurement tolerances.
func (c *checker) tolerances(s *Standard) {
	seen := map[string]int{}
	for i, t := range s.MeasurementTolerances {
		f := fmt.Sprintf("measurement_tolerances[%d]", i)
		c.code(f, "measurement_tolerances", seen, i, t.Method, codePattern, "1 to 32 upper case letters, digits and \"_\", for example \"LASERSCAN\"")
		c.localized(f+".name", t.Name, maxName)
		if !(t.ToleranceUm > 0 && t.ToleranceUm <= 10) {
			c.add(f+".tolerance_um", "must be above 0 and at most 10 µm, got %v", t.ToleranceUm)
		}
		c.text(f+".source", t.Source, maxNoteText)
		c.confidence(f+".confidence", t.Confidence)
		if s.Confidence.rank() > 0 && t.Confidence.rank() > s.Confidence.rank() {
			c.add("confidence", "is %q but %s is %q: a standard's confidence is the weakest of its values", s.Confidence, f, t.Confidence)
		}
	}
	if t := s.OutOfScale; t != nil {
		c.localized("out_of_scale", *t, maxNoteText)
	}
}

// adjacent checks that band g (at field f) follows band p (at pf): coarser,
// and starting exactly one resolution step above p's end.
func (c *checker) adjacent(pf string, p *QualityGroup, f string, g *QualityGroup, res float64) {
	// rep is where a band sits on the scale: its start, or its end when
	// open below.
	rep := func(b Band) (int64, bool) {
		switch {
		case b.MinUm != nil:
			return toStep(*b.MinUm, res)
		case b.MaxUm != nil:
			return toStep(*b.MaxUm, res)
		}
		return 0, false
	}
	pr, okP := rep(p.Band)
	gr, okG := rep(g.Band)
	if okP && okG && gr < pr {
		c.add(f, "%s (%s) is finer than %s (%s): quality groups are ordered finest first", g.Code, bandText(g.Band, res).EN, p.Code, bandText(p.Band, res).EN)
		return
	}
	if p.Band.MaxUm == nil || g.Band.MinUm == nil {
		return
	}
	pmax, ok1 := toStep(*p.Band.MaxUm, res)
	gmin, ok2 := toStep(*g.Band.MinUm, res)
	if !ok1 || !ok2 {
		return
	}
	want := stepValue(pmax+1, res)
	switch {
	case gmin <= pmax:
		c.add(f+".diameter_band.min_um", "%s overlaps %s, which ends at %s µm: must be %s (the max_um of %s plus the resolution %v µm)",
			stepValue(gmin, res), pf, stepValue(pmax, res), want, pf, res)
	case gmin > pmax+1:
		c.add(f+".diameter_band.min_um", "%s leaves a gap after %s, which ends at %s µm: must be %s (the max_um of %s plus the resolution %v µm)",
			stepValue(gmin, res), pf, stepValue(pmax, res), want, pf, res)
	}
}

// code checks the code of entry i of a list (field f, the list named list
// in messages): unique among the codes seen so far, which it adds to, and
// matching pattern, whose form says what it takes.
func (c *checker) code(f, list string, seen map[string]int, i int, code string, pattern *regexp.Regexp, form string) {
	if j, dup := seen[code]; dup {
		c.add(f+".code", "duplicate code %q: %s[%d] has it too", code, list, j)
	} else if !pattern.MatchString(code) {
		c.add(f+".code", "%q must be %s", code, form)
	}
	seen[code] = i
}

func (c *checker) colours(s *Standard) {
	if len(s.Colours) > maxColours {
		c.add("colours", "must have at most %d colours, has %d", maxColours, len(s.Colours))
	}
	seen := map[string]int{}
	for i, col := range s.Colours {
		f := fmt.Sprintf("colours[%d]", i)
		c.code(f, "colours", seen, i, col.Code, codePattern, `1 to 32 upper case letters, digits and "_", for example "LIGHT_FAWN"`)
		c.localized(f+".name", col.Name, maxName)
		if n := utf8.RuneCountInString(col.Abbreviation); n > maxAbbreviation {
			c.add(f+".abbreviation", "must be at most %d characters, has %d", maxAbbreviation, n)
		}
	}
}

func (c *checker) breeds(s *Standard) {
	if len(s.Breeds) > maxBreeds {
		c.add("breeds", "must have at most %d breeds, has %d", maxBreeds, len(s.Breeds))
	}
	if len(s.QualityGroups) > 0 && len(s.Breeds) == 0 {
		c.add("breeds", "is required for a standard with quality groups: the breeds it grades, for example HUACAYA and SURI")
	}
	seen := map[string]int{}
	for i, b := range s.Breeds {
		f := fmt.Sprintf("breeds[%d]", i)
		c.code(f, "breeds", seen, i, b.Code, breedPattern, `1 to 32 upper case letters, for example "HUACAYA"`)
		c.localized(f+".name", b.Name, maxName)
	}
}

// fleece checks a fleece classification on its own: its group codes and
// categories that are contiguous, best first, and start at 0.
func (c *checker) fleece(fc *FleeceClassification) {
	const f = "fleece_classification"
	switch {
	case fc.GroupStandard == "":
		c.add(f+".group_standard", "is required: the id of the standard whose quality groups weigh the fleece")
	case strings.HasPrefix(fc.GroupStandard, "standards/"):
		c.add(f+".group_standard", "%q must be the standard's id, without \"standards/\"", fc.GroupStandard)
	case !idPattern.MatchString(fc.GroupStandard):
		c.add(f+".group_standard", "%q is not a standard id", fc.GroupStandard)
	}
	if len(fc.FineGroupCodes) == 0 {
		c.add(f+".fine_group_codes", "is required: the quality groups counted as fine")
	}
	seenCode := map[string]int{}
	for i, code := range fc.FineGroupCodes {
		if j, dup := seenCode[code]; dup {
			c.add(fmt.Sprintf("%s.fine_group_codes[%d]", f, i), "duplicate code %q: fine_group_codes[%d] has it too", code, j)
		}
		seenCode[code] = i
	}
	cs := fc.Categories
	switch {
	case len(cs) == 0:
		c.add(f+".categories", "is required: the categories, best first")
	case len(cs) > maxCategories:
		c.add(f+".categories", "must have at most %d categories, has %d", maxCategories, len(cs))
	}
	seen := map[string]int{}
	for i, cat := range cs {
		cf := fmt.Sprintf("%s.categories[%d]", f, i)
		c.code(cf, "categories", seen, i, cat.Code, codePattern, `1 to 32 upper case letters, digits and "_", for example "EXTRAFINA"`)
		c.localized(cf+".name", cat.Name, maxName)
		if m := cat.MinFineSharePercent; m < 0 || m > 100 {
			c.add(cf+".min_fine_share_percent", "must be from 0 to 100, got %v", m)
		}
		switch {
		case i == 0 && cat.MaxFineSharePercent != nil:
			c.add(cf+".max_fine_share_percent", "must be absent: the best category is open above")
		case i > 0 && cat.MaxFineSharePercent == nil:
			c.add(cf+".max_fine_share_percent", "is required: must be %v, the min_fine_share_percent of categories[%d], so that the categories are contiguous", cs[i-1].MinFineSharePercent, i-1)
		case i > 0 && *cat.MaxFineSharePercent != cs[i-1].MinFineSharePercent:
			c.add(cf+".max_fine_share_percent", "%v must be %v, the min_fine_share_percent of categories[%d]: categories are contiguous", *cat.MaxFineSharePercent, cs[i-1].MinFineSharePercent, i-1)
		}
		if i > 0 && cat.MinFineSharePercent >= cs[i-1].MinFineSharePercent {
			c.add(cf+".min_fine_share_percent", "%v must be below %v, the min_fine_share_percent of categories[%d]: categories are ordered best first", cat.MinFineSharePercent, cs[i-1].MinFineSharePercent, i-1)
		}
		if i == len(cs)-1 && cat.MinFineSharePercent != 0 {
			c.add(cf+".min_fine_share_percent", "must be 0: the last category takes every fleece below the others")
		}
	}
}

// crossCheck checks what a standard refers to among the loaded ones: the
// group standard of its fleece classification and the fine groups in it.
func crossCheck(src source, byID map[string]source) []error {
	fc := src.std.FleeceClassification
	if fc == nil || fc.GroupStandard == "" {
		return nil
	}
	c := &checker{file: src.file}
	const f = "fleece_classification"
	gs := src.std
	if fc.GroupStandard != src.std.ID {
		g, ok := byID[fc.GroupStandard]
		if !ok {
			c.add(f+".group_standard", "no standard has the id %q", fc.GroupStandard)
			return c.errs
		}
		gs = g.std
	}
	if len(gs.QualityGroups) == 0 {
		c.add(f+".group_standard", "%s defines no quality groups to weigh a fleece by", gs.ID)
		return c.errs
	}
	for i, code := range fc.FineGroupCodes {
		found := false
		for _, g := range gs.QualityGroups {
			found = found || g.Code == code
		}
		if !found {
			c.add(fmt.Sprintf("%s.fine_group_codes[%d]", f, i), "%q is not a quality group of %s (%s)", code, gs.ID, strings.Join(codesOf(gs.QualityGroups), ", "))
		}
	}
	return c.errs
}

func codesOf(gs []QualityGroup) []string {
	codes := make([]string, len(gs))
	for i, g := range gs {
		codes[i] = g.Code
	}
	return codes
}
