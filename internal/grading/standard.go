package grading

import (
	"slices"
	"strings"
)

// Text is a short human-readable text in Spanish and English.
type Text struct {
	ES string `json:"es"`
	EN string `json:"en"`
}

// Confidence is how sure Millwa is of a value taken from a standard:
// Confirmed in a public source that quotes the standard, Repeated by
// secondary sources without being read in the standard's text, or
// Unconfirmed (remembered, or reported by a single source).
type Confidence string

// The confidences, strongest first.
const (
	Confirmed   Confidence = "confirmed"
	Repeated    Confidence = "repeated"
	Unconfirmed Confidence = "unconfirmed"
)

// rank orders confidences, strongest first; 0 for an unknown value.
func (c Confidence) rank() int {
	switch c {
	case Confirmed:
		return 1
	case Repeated:
		return 2
	case Unconfirmed:
		return 3
	}
	return 0
}

// SourceNote records where one value of a standard comes from and how sure
// Millwa is of it. Subject is a path in the standard with group codes in
// brackets, for example "quality_groups[FLEECE].min_staple_length_mm", or
// empty for the whole standard.
type SourceNote struct {
	Subject    string     `json:"subject"`
	Confidence Confidence `json:"confidence"`
	Text       string     `json:"text"`
}

// Band is a range of mean fibre diameter in micrometres. Both ends are
// inclusive and written to the standard's resolution; a nil end is open.
type Band struct {
	MinUm *float64 `json:"min_um,omitempty"`
	MaxUm *float64 `json:"max_um,omitempty"`
}

// QualityGroup is a quality group (grupo de calidad). MinStapleLengthMm, when
// set, is the staple length below which a sample of the group is graded in
// the standard's short-fibre group; it is unused on the short-fibre group
// itself.
//
// StapleLengthRangeMm, on the short-fibre group only, is the range of staple
// length the short-fibre class is known to cover: a sample shorter than its
// minimum is out of the scale, and one between its maximum and its diameter
// group's minimum falls in a gap the standard's known text does not decide
// (graded borderline in its diameter group, never short).
//
// LengthClasses, when the standard has length classes, are the codes of the
// classes the group takes: a sample of another length class goes to the
// next coarser group that takes it, then to the short-fibre group.
type QualityGroup struct {
	Code                string       `json:"code"`
	Name                Text         `json:"name"`
	Abbreviation        string       `json:"abbreviation,omitempty"`
	Band                Band         `json:"diameter_band"`
	MinStapleLengthMm   *float64     `json:"min_staple_length_mm,omitempty"`
	StapleLengthRangeMm *LengthRange `json:"staple_length_range_mm,omitempty"`
	LengthClasses       []string     `json:"length_classes,omitempty"`
}

// LengthRange is a range of staple length in millimetres: MinMm inclusive,
// MaxMm exclusive; a nil end is open.
type LengthRange struct {
	MinMm *float64 `json:"min_mm,omitempty"`
	MaxMm *float64 `json:"max_mm,omitempty"`
}

// holds reports whether the range holds a length.
func (r LengthRange) holds(mm float64) bool {
	return (r.MinMm == nil || mm >= *r.MinMm) && (r.MaxMm == nil || mm < *r.MaxMm)
}

// LengthClass is a class of staple length, a second axis of grading beside
// diameter (AAFL's A/B, C and D lengths).
type LengthClass struct {
	Code  string      `json:"code"`
	Name  Text        `json:"name"`
	Range LengthRange `json:"staple_length_mm"`
}

// Tolerance is the measurement tolerance of one test method: the spread
// between tests of samples of one lot by that method, in micrometres of
// mean fibre diameter. Borderline grades and discrepancies use the larger
// of it and the sample's own 95 % interval.
type Tolerance struct {
	Method      string     `json:"method"`
	Name        Text       `json:"name"`
	ToleranceUm float64    `json:"tolerance_um"`
	Source      string     `json:"source"`
	Confidence  Confidence `json:"confidence"`
}

// Colour is one entry of a standard's colour table.
type Colour struct {
	Code         string `json:"code"`
	Name         Text   `json:"name"`
	Abbreviation string `json:"abbreviation,omitempty"`
}

// Breed is a breed a standard grades, for example HUACAYA or SURI.
type Breed struct {
	Code string `json:"code"`
	Name Text   `json:"name"`
}

// FleeceCategory is a category of whole fleece. MinFineSharePercent is
// inclusive; MaxFineSharePercent, exclusive, is the minimum of the category
// before it and nil for the best category.
type FleeceCategory struct {
	Code                string   `json:"code"`
	Name                Text     `json:"name"`
	MinFineSharePercent float64  `json:"min_fine_share_percent"`
	MaxFineSharePercent *float64 `json:"max_fine_share_percent,omitempty"`
}

// FleeceClassification puts whole fleeces into categories by their share of
// fine fibre (NTP 231.300). GroupStandard is the id of the standard whose
// quality-group codes weigh the fleece (the standard's own id when it
// defines its own groups); FineGroupCodes are the groups of it counted as
// fine; Categories are ordered best first.
type FleeceClassification struct {
	GroupStandard  string           `json:"group_standard"`
	FineGroupCodes []string         `json:"fine_group_codes"`
	Categories     []FleeceCategory `json:"categories"`
}

// Standard is one edition of a grading standard or scale. It defines quality
// groups (for Grade), a fleece classification (for Registry.ClassifyFleece),
// or both. Standards returned by a Registry are shared and must not be
// modified.
type Standard struct {
	ID          string       `json:"id"`
	Title       Text         `json:"title"`
	CountryCode string       `json:"country_code,omitempty"`
	Publisher   string       `json:"publisher"`
	EditionYear int          `json:"edition_year,omitempty"`
	Source      string       `json:"source"`
	Confidence  Confidence   `json:"confidence"`
	Notes       []SourceNote `json:"notes,omitempty"`

	// DiameterResolutionUm is the step the mean fibre diameter is rounded to
	// (halves away from zero) before it is compared with the bands.
	DiameterResolutionUm float64 `json:"diameter_resolution_um,omitempty"`
	// QualityGroups are ordered finest first; their bands neither overlap nor
	// leave a gap at the resolution. Empty for a fleece-only standard.
	//
	// The coarsest group is open above unless OutOfScale explains what lies
	// beyond its closed band: then a coarser mean is out of the scale.
	QualityGroups   []QualityGroup `json:"quality_groups,omitempty"`
	ShortFiberGroup *QualityGroup  `json:"short_fiber_group,omitempty"`
	// OutOfScale, when set, says why the scale ends where it does; it is
	// required when the coarsest band is closed or the standard has length
	// classes or a short-fibre length range (samples can fall outside them).
	OutOfScale *Text `json:"out_of_scale,omitempty"`
	// LengthClasses are the standard's staple-length classes, longest
	// first, neither overlapping; empty when length is not a grading axis.
	LengthClasses []LengthClass `json:"length_classes,omitempty"`
	// MeasurementTolerances are the tolerances of the test methods the
	// standard accepts; a sample naming a test method must name one of them.
	MeasurementTolerances []Tolerance           `json:"measurement_tolerances,omitempty"`
	Colours               []Colour              `json:"colours,omitempty"`
	Breeds                []Breed               `json:"breeds,omitempty"`
	FleeceClassification  *FleeceClassification `json:"fleece_classification,omitempty"`

	// Digest is the hex SHA-256 of the standard's canonical content (its
	// data re-encoded as compact JSON), so that a grade can be traced to the
	// data that decided it. Set by Load; not part of the file.
	Digest string `json:"-"`
}

// HasGroup reports whether code is one of the standard's quality groups or
// its short-fibre group.
func (s *Standard) HasGroup(code string) bool {
	if s.ShortFiberGroup != nil && s.ShortFiberGroup.Code == code {
		return true
	}
	return slices.ContainsFunc(s.QualityGroups, func(g QualityGroup) bool { return g.Code == code })
}

// HasColour reports whether code is in the standard's colour table.
func (s *Standard) HasColour(code string) bool {
	return slices.ContainsFunc(s.Colours, func(c Colour) bool { return c.Code == code })
}

// HasBreed reports whether code is one of the breeds the standard grades.
func (s *Standard) HasBreed(code string) bool {
	return slices.ContainsFunc(s.Breeds, func(b Breed) bool { return b.Code == code })
}

// group returns the quality group or short-fibre group with the code.
func (s *Standard) group(code string) (*QualityGroup, bool) {
	for i := range s.QualityGroups {
		if s.QualityGroups[i].Code == code {
			return &s.QualityGroups[i], true
		}
	}
	if s.ShortFiberGroup != nil && s.ShortFiberGroup.Code == code {
		return s.ShortFiberGroup, true
	}
	return nil, false
}

// lengthClass returns the length class holding a staple length.
func (s *Standard) lengthClass(mm float64) (*LengthClass, bool) {
	for i := range s.LengthClasses {
		if s.LengthClasses[i].Range.holds(mm) {
			return &s.LengthClasses[i], true
		}
	}
	return nil, false
}

// Tolerance returns the tolerance of a test method.
func (s *Standard) Tolerance(method string) (Tolerance, bool) {
	for _, t := range s.MeasurementTolerances {
		if t.Method == method {
			return t, true
		}
	}
	return Tolerance{}, false
}

// TestMethodCodes lists the test methods the standard declares a tolerance
// for.
func (s *Standard) TestMethodCodes() string {
	return joinCodes(s.MeasurementTolerances, func(t Tolerance) string { return t.Method })
}

// GroupCodes lists the standard's quality-group codes, finest first, for
// messages that say which codes a field takes.
func (s *Standard) GroupCodes() string {
	return joinCodes(s.QualityGroups, func(g QualityGroup) string { return g.Code })
}

// ColourCodes lists the standard's colour codes.
func (s *Standard) ColourCodes() string {
	return joinCodes(s.Colours, func(c Colour) string { return c.Code })
}

// BreedCodes lists the standard's breed codes.
func (s *Standard) BreedCodes() string {
	return joinCodes(s.Breeds, func(b Breed) string { return b.Code })
}

func joinCodes[T any](items []T, code func(T) string) string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = code(it)
	}
	return strings.Join(out, ", ")
}
