package millwa

import (
	"strings"
	"time"
)

// Sex is a member's sex as recorded on the DNI, kept for
// gender-disaggregated reports.
type Sex string

// Sexes a member may be registered with.
const (
	SexFemale Sex = "FEMALE"
	SexMale   Sex = "MALE"
)

// ParseSex returns the sex an enum value names, written with or without the
// "SEX_" prefix and in any case ("FEMALE", "SEX_MALE", "female"); ok is
// false for anything else, SEX_UNSPECIFIED included.
func ParseSex(name string) (s Sex, ok bool) {
	return parseEnum(name, "SEX_", SexFemale, SexMale)
}

// MaxHerdSize bounds Member.HerdSize.
const MaxHerdSize = 100_000

// Member is a producer (a person and their family's herd) who belongs to an
// association and contributes fleece to its lots.
type Member struct {
	// ID is the server-assigned UUIDv7; the resource name is
	// "associations/{AssociationID}/members/{ID}".
	ID            string
	AssociationID string
	// DisplayName is the person's full name.
	DisplayName string
	// DNI is the national identity document number (8 digits), unique
	// within the association.
	DNI string
	Sex Sex
	// HerdSize is the number of alpacas the member keeps; nil when unknown.
	HerdSize *int32
	// Revision counts changes; the etag is derived from it.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// Normalize trims surrounding white space from the member's text fields, so
// that what is stored is what is validated.
func (m *Member) Normalize() {
	m.DisplayName = strings.TrimSpace(m.DisplayName)
	m.DNI = strings.TrimSpace(m.DNI)
}

// Check records a violation in vs for every bad field the client supplied,
// with field paths under prefix. The association is the request's parent
// and is not checked here.
func (m *Member) Check(vs *Violations, prefix string) {
	checkText(vs, prefix+".display_name", m.DisplayName, 1, MaxNameLen)
	if msg := CheckDNI(m.DNI); msg != "" {
		vs.Add(prefix+".dni", "%s", msg)
	}
	switch m.Sex {
	case SexFemale, SexMale:
	case "":
		vs.Add(prefix+".sex", "is required: SEX_FEMALE or SEX_MALE, as on the DNI")
	default:
		vs.Add(prefix+".sex", "must be SEX_FEMALE or SEX_MALE")
	}
	if m.HerdSize != nil && (*m.HerdSize < 0 || *m.HerdSize > MaxHerdSize) {
		vs.Add(prefix+".herd_size", "must be 0 to %d alpacas, or absent when unknown; got %d", MaxHerdSize, *m.HerdSize)
	}
}
