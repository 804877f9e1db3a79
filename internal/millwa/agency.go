package millwa

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Agency is a regional agency that audits grading, for example a Dirección
// Regional Agraria. It sees only what lies in its regions.
type Agency struct {
	// ID is the server-assigned UUIDv7; the resource name is
	// "agencies/{ID}".
	ID string
	// DisplayName is unique among agencies, compared case-insensitively.
	DisplayName string
	// Regions are INEI ubigeo prefixes: a department (2 digits) or a
	// province (4 digits). As stored and read they are sorted.
	Regions []string
	// RUC is the agency's taxpayer number, optional; when set, 11 digits
	// starting 20 (a public body is a legal entity).
	RUC string
	// Contact is optional: the zero Contact means none.
	Contact Contact
	// Revision counts changes; the etag is derived from it.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// MaxAgencyRegions bounds Agency.Regions.
const MaxAgencyRegions = 50

// Normalize trims surrounding white space from the agency's text fields and
// regions, so that what is stored is what is validated. It keeps the
// regions in the client's order, so that violations name the client's
// indexes; the store sorts them.
func (a *Agency) Normalize() {
	a.DisplayName = strings.TrimSpace(a.DisplayName)
	a.RUC = strings.TrimSpace(a.RUC)
	regions := make([]string, len(a.Regions))
	for i, r := range a.Regions {
		regions[i] = strings.TrimSpace(r)
	}
	a.Regions = regions
	a.Contact.Normalize()
}

// Check records a violation in vs for every bad field the client supplied,
// with field paths under prefix.
func (a *Agency) Check(vs *Violations, prefix string) {
	checkText(vs, prefix+".display_name", a.DisplayName, 1, MaxNameLen)
	checkRegions(vs, prefix+".regions", a.Regions)
	if a.RUC != "" {
		checkLegalEntityRUC(vs, prefix+".ruc", a.RUC, "an agency")
	}
	if a.Contact != (Contact{}) {
		a.Contact.validate(vs, prefix+".contact")
	}
}

// checkRegions records a violation for a missing or too long list of
// regions, and for each region that is not a department or province code,
// repeats an earlier one or lies within another (which would make it
// redundant: "2101" within "21").
func checkRegions(vs *Violations, field string, regions []string) {
	switch {
	case len(regions) == 0:
		vs.Add(field, `is required: at least one INEI ubigeo prefix, a department ("21" for Puno) or a province ("0801" for Cusco)`)
		return
	case len(regions) > MaxAgencyRegions:
		vs.Add(field, "must have at most %d entries, has %d", MaxAgencyRegions, len(regions))
		return
	}
	for i, r := range regions {
		f := field + "[" + strconv.Itoa(i) + "]"
		if msg := checkRegion(r); msg != "" {
			vs.Add(f, "%s", msg)
			continue
		}
		for j, other := range regions[:i] {
			if checkRegion(other) != "" {
				continue
			}
			switch {
			case other == r:
				vs.Add(f, "repeats %s[%d] %q", field, j, r)
			case strings.HasPrefix(r, other):
				vs.Add(f, "%q lies within %s[%d] %q: leave it out", r, field, j, other)
			case strings.HasPrefix(other, r):
				vs.Add(f, "%q covers %s[%d] %q: leave that one out", r, field, j, other)
			default:
				continue
			}
			break
		}
	}
}

// checkRegion reports what is wrong with one region of an agency, or ""
// when it is a department (2 digits, 01 to 25) or a province (4 digits
// whose province part is not 00).
func checkRegion(r string) string {
	if (len(r) != 2 && len(r) != 4) || !allDigits(r) {
		return `must be an INEI ubigeo prefix of 2 digits (a department, "21" for Puno) or 4 (a province, "0801" for Cusco), got "` + truncate(r, 20) + `"`
	}
	if _, ok := Departments[r[:2]]; !ok {
		return "department " + r[:2] + " is not one of the 25 INEI departments (01 to 25)"
	}
	if len(r) == 4 && r[2:] == "00" {
		return "the province part must not be 00"
	}
	return ""
}

// SortedRegions returns a sorted copy of regions.
func SortedRegions(regions []string) []string {
	return slices.Sorted(slices.Values(regions))
}
