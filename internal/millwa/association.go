package millwa

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Association is a producer association: the organisation that collects its
// members' fleece, has it classed and sells it as lots.
type Association struct {
	// ID is the server-assigned UUIDv7; the resource name is
	// "associations/{ID}".
	ID        string
	LegalName string
	// RUC is the association's taxpayer number (11 digits, starting 20).
	RUC string
	// Ubigeo is the INEI district code of the association's seat.
	Ubigeo    string
	Community string
	Contact   Contact
	// FeeBasisPoints is the share of members' earnings the association
	// withholds to cover the acopio's costs, 0 to MaxFeeBasisPoints
	// (10,000 is 100 %).
	FeeBasisPoints int32
	// Revision counts changes; the etag is derived from it.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// Contact is how to reach a person at an organisation.
type Contact struct {
	PersonName string
	Phone      string
	Email      string
}

// Limits on text fields, in characters.
const (
	MaxNameLen  = 200
	MaxPhoneLen = 32
	MaxEmailLen = 254
)

// Normalize trims surrounding white space from the association's text
// fields, so that what is stored is what is validated.
func (a *Association) Normalize() {
	a.LegalName = strings.TrimSpace(a.LegalName)
	a.RUC = strings.TrimSpace(a.RUC)
	a.Ubigeo = strings.TrimSpace(a.Ubigeo)
	a.Community = strings.TrimSpace(a.Community)
	a.Contact.Normalize()
}

// Check records a violation in vs for every bad field the client supplied,
// with field paths under prefix.
func (a *Association) Check(vs *Violations, prefix string) {
	checkText(vs, prefix+".legal_name", a.LegalName, 1, MaxNameLen)
	checkLegalEntityRUC(vs, prefix+".ruc", a.RUC, "an association")
	if msg := CheckUbigeo(a.Ubigeo); msg != "" {
		vs.Add(prefix+".ubigeo", "%s", msg)
	}
	checkText(vs, prefix+".community", a.Community, 0, MaxNameLen)
	if a.FeeBasisPoints < 0 || a.FeeBasisPoints > MaxFeeBasisPoints {
		vs.Add(prefix+".fee_basis_points", "must be 0 to %d (20 %%); got %d", MaxFeeBasisPoints, a.FeeBasisPoints)
	}
	a.Contact.validate(vs, prefix+".contact")
}

// Normalize trims surrounding white space from the contact's fields.
func (c *Contact) Normalize() {
	c.PersonName = strings.TrimSpace(c.PersonName)
	c.Phone = strings.TrimSpace(c.Phone)
	c.Email = strings.TrimSpace(c.Email)
}

func (c *Contact) validate(vs *Violations, prefix string) {
	checkText(vs, prefix+".person_name", c.PersonName, 1, MaxNameLen)
	if c.Phone == "" && c.Email == "" {
		vs.Add(prefix+".phone", "give a phone number or an e-mail address")
		return
	}
	if c.Phone != "" && !validPhone(c.Phone) {
		vs.Add(prefix+".phone", "must be 6 to %d characters of digits, spaces, '+', '-' and parentheses, for example +51 951 234 567", MaxPhoneLen)
	}
	if c.Email != "" && !validEmail(c.Email) {
		vs.Add(prefix+".email", "must be an e-mail address such as name@example.org, at most %d characters", MaxEmailLen)
	}
}

// checkText records a violation when s has fewer than min or more than max
// characters, or holds control characters or invalid UTF-8.
func checkText(vs *Violations, field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		vs.Add(field, "must be valid UTF-8")
	case n < min && min == 1:
		vs.Add(field, "is required")
	case n < min:
		vs.Add(field, "must have at least %d characters", min)
	case n > max:
		vs.Add(field, "must have at most %d characters, has %d", max, n)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		vs.Add(field, "must not contain control characters")
	}
}

func validPhone(s string) bool {
	if len(s) < 6 || len(s) > MaxPhoneLen {
		return false
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '+' || r == '-' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return digits >= 6
}

func validEmail(s string) bool {
	if len(s) > MaxEmailLen || strings.ContainsAny(s, " \t\r\n<>,;") {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.Contains(s[at+1:], ".")
}
