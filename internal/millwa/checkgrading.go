package millwa

import (
	"slices"
	"time"
)

// MaxCheckNoteLength bounds a check grading's note, in characters.
const MaxCheckNoteLength = 2000

// Agreement is how a check grade compares with the declared group.
type Agreement string

// Agreements of a check grade with the declared group.
const (
	AgreementExact    Agreement = "EXACT"
	AgreementAdjacent Agreement = "ADJACENT"
	AgreementDistant  Agreement = "DISTANT"
)

// CheckGrading is an agency's measurement of a lot's sample and the grade
// Millwa gave it, with snapshots of the lot's groups when it was checked.
type CheckGrading struct {
	ID            string
	AgencyID      string
	LotID         string
	AssociationID string
	ClassifierID  string
	Standard      string
	DeclaredGroup string
	MarketGroup   string
	CheckGroup    string
	Measurement   Measurement
	// SampleTime is when the sample was taken, zero when not given.
	SampleTime time.Time
	// ClassedGrams, for a lot of whole fleeces checked by classing, is the
	// grams the agency classed into each quality group, as stored (a JSON
	// object of code to grams); "" for a measured check.
	ClassedGrams string
	// Note is the agency's remark, at most MaxCheckNoteLength characters.
	Note string
	// Grading is the check grade as the service recorded it (an opaque
	// document).
	Grading string
	// Ubigeo and Breed are the lot's, read with the check.
	Ubigeo string
	Breed  string
	// LotNumber, ClassifierName and AssociationName are read with the check
	// for display: the number on the lot's bales, the classifier's full
	// name and the association's legal name.
	LotNumber       string
	ClassifierName  string
	AssociationName string
	CreateTime      time.Time
}

// CompareGroups compares a check group with the declared one within a
// standard's quality groups (ordered finest first, the short-fibre group
// not among them). offset is index(check) − index(declared): positive when
// the declared group is finer than measured; 0 when equal or when either
// is not in order (the short-fibre group). Equal codes agree exactly;
// neighbours are adjacent; anything else, including exactly one group
// outside the order, is distant.
func CompareGroups(ordered []string, check, declared string) (Agreement, int) {
	if check == declared {
		return AgreementExact, 0
	}
	ci, di := slices.Index(ordered, check), slices.Index(ordered, declared)
	if ci < 0 || di < 0 {
		return AgreementDistant, 0
	}
	offset := ci - di
	if offset == 1 || offset == -1 {
		return AgreementAdjacent, offset
	}
	return AgreementDistant, offset
}
