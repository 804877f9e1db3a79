package millwa

import (
	"strings"
	"time"
)

// MaxCertificationNumberLen bounds Classifier.CertificationNumber, in
// characters.
const MaxCertificationNumberLen = 64

// DateLayout is how calendar dates are written: ISO 8601 "YYYY-MM-DD".
const DateLayout = "2006-01-02"

// peruTime is Peru's time zone (UTC-5 all year, no daylight saving): the
// calendar in which a date "in the future" is judged.
var peruTime = time.FixedZone("PET", -5*60*60)

// Classifier is a person certified to class alpaca fibre into quality
// groups (maestra clasificadora) who works for an association. Lots name
// the classifier who classed them, so agencies can audit each one's work.
type Classifier struct {
	// ID is the server-assigned UUIDv7; the resource name is
	// "associations/{AssociationID}/classifiers/{ID}".
	ID            string
	AssociationID string
	// DisplayName is the person's full name.
	DisplayName string
	// DNI is the national identity document number (8 digits), unique among
	// the association's classifiers.
	DNI string
	// CertificationNumber is the number of the competence certificate.
	CertificationNumber string
	// CertificationDate is the date the certificate was issued, as
	// "YYYY-MM-DD" (DateLayout).
	CertificationDate string
	// MemberID is the id of the member of the same association this
	// classifier is; "" when the classifier is not a member.
	MemberID string
	// Revision counts changes; the etag is derived from it.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// Normalize trims surrounding white space from the classifier's text
// fields, so that what is stored is what is validated.
func (c *Classifier) Normalize() {
	c.DisplayName = strings.TrimSpace(c.DisplayName)
	c.DNI = strings.TrimSpace(c.DNI)
	c.CertificationNumber = strings.TrimSpace(c.CertificationNumber)
	c.CertificationDate = strings.TrimSpace(c.CertificationDate)
}

// Check records a violation in vs for every bad field the client supplied,
// with field paths under prefix. The certification date must not be later
// than today in Peru. MemberID is not checked here: whether it names a
// member of the same association is a question for the store.
func (c *Classifier) Check(vs *Violations, prefix string) {
	c.check(vs, prefix, time.Now())
}

func (c *Classifier) check(vs *Violations, prefix string, now time.Time) {
	checkText(vs, prefix+".display_name", c.DisplayName, 1, MaxNameLen)
	if msg := CheckDNI(c.DNI); msg != "" {
		vs.Add(prefix+".dni", "%s", msg)
	}
	checkText(vs, prefix+".certification_number", c.CertificationNumber, 1, MaxCertificationNumberLen)
	checkPastDate(vs, prefix+".certification_date", c.CertificationDate, now)
}

// checkPastDate records a violation unless s is a calendar date written
// "YYYY-MM-DD" that is not later than the date in Peru at now.
func checkPastDate(vs *Violations, field, s string, now time.Time) {
	if s == "" {
		vs.Add(field, `is required, as "YYYY-MM-DD"`)
		return
	}
	d, err := time.Parse(DateLayout, s)
	if err != nil || len(s) != len(DateLayout) {
		vs.Add(field, `must be a calendar date written "YYYY-MM-DD", for example "2024-06-15"; got %q`, truncate(s, 40))
		return
	}
	today := now.In(peruTime).Format(DateLayout)
	if s > today { // fixed-width dates compare as text
		vs.Add(field, "must not be in the future: %s is after today (%s in Peru)", d.Format(DateLayout), today)
	}
}
