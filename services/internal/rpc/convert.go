package rpc

import (
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// The conversions of the proto types that several services share. Each
// service converts its own resources; what they have in common is here.

// ContactFromProto is the domain's form of a contact; nil is the empty
// contact.
func ContactFromProto(c *millwav1.Contact) millwa.Contact {
	return millwa.Contact{PersonName: c.GetPersonName(), Phone: c.GetPhone(), Email: c.GetEmail()}
}

// ContactToProto is the API's form of a contact.
func ContactToProto(c millwa.Contact) *millwav1.Contact {
	return &millwav1.Contact{PersonName: c.PersonName, Phone: c.Phone, Email: c.Email}
}

// TextToProto is the API's form of a text in Spanish and English.
func TextToProto(t grading.Text) *millwav1.LocalizedText {
	return &millwav1.LocalizedText{Es: t.ES, En: t.EN}
}

// Timestamp is the API's form of a time; the zero time is absent (nil).
func Timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

var roles = map[millwav1.Role]millwa.Role{
	millwav1.Role_ROLE_ADMIN:       millwa.RoleAdmin,
	millwav1.Role_ROLE_ASSOCIATION: millwa.RoleAssociation,
	millwav1.Role_ROLE_PROCESSOR:   millwa.RoleProcessor,
	millwav1.Role_ROLE_AGENCY:      millwa.RoleAgency,
}

// RoleFromProto is the domain's role of an API role; ok is false for
// ROLE_UNSPECIFIED and for numbers the enum does not define.
func RoleFromProto(r millwav1.Role) (role millwa.Role, ok bool) {
	role, ok = roles[r]
	return role, ok
}

// RoleToProto is the API's name of a role.
func RoleToProto(r millwa.Role) millwav1.Role {
	for p, d := range roles {
		if d == r {
			return p
		}
	}
	return millwav1.Role_ROLE_UNSPECIFIED
}

// ParseRoleName reads a role as a filter writes it: the enum value's name,
// with or without its ROLE_ prefix, in any case.
func ParseRoleName(name string) (millwa.Role, bool) {
	return RoleFromProto(millwav1.Role(millwav1.Role_value[EnumName("ROLE_", name)]))
}

// EnumName returns an enum value's full name in upper case, accepting it
// with or without its prefix.
func EnumName(prefix, v string) string {
	v = strings.ToUpper(v)
	if strings.HasPrefix(v, prefix) {
		return v
	}
	return prefix + v
}

// SampleFromProto is the grading engine's view of a sample's measurements.
func SampleFromProto(p *millwav1.FiberSample) grading.Sample {
	s := grading.Sample{
		Breed:               p.GetBreed(),
		MeanFiberDiameterUm: p.MeanFiberDiameterUm,
		SDUm:                p.SdUm,
		FibersMeasured:      p.FibersMeasured,
		StapleLengthMm:      p.StapleLengthMm,
		TestMethod:          p.GetTestMethod(),
	}
	if h := p.GetHistogram(); h != nil {
		s.Histogram = &grading.Histogram{StartUm: h.GetStartUm(), WidthUm: h.GetWidthUm(), Counts: h.GetCounts()}
	}
	return s
}

// MeasurementOf is the domain's record of what a sample measured.
func MeasurementOf(s grading.Sample) millwa.Measurement {
	m := millwa.Measurement{MeanFiberDiameterUm: s.MeanFiberDiameterUm, SDUm: s.SDUm, FibersMeasured: s.FibersMeasured, StapleLengthMm: s.StapleLengthMm}
	if h := s.Histogram; h != nil {
		m.HistogramStartUm, m.HistogramWidthUm, m.HistogramCounts = h.StartUm, h.WidthUm, h.Counts
	}
	return m
}

// MeasurementToProto is the API's form of a recorded measurement of a
// sample of the given breed.
func MeasurementToProto(breed string, m millwa.Measurement) *millwav1.FiberSample {
	out := &millwav1.FiberSample{
		Breed: breed, MeanFiberDiameterUm: m.MeanFiberDiameterUm, SdUm: m.SDUm,
		FibersMeasured: m.FibersMeasured, StapleLengthMm: m.StapleLengthMm,
	}
	if len(m.HistogramCounts) > 0 {
		out.Histogram = &millwav1.DiameterHistogram{StartUm: m.HistogramStartUm, WidthUm: m.HistogramWidthUm, Counts: m.HistogramCounts}
	}
	return out
}

// MetricsToProto is the API's form of a sample's metrics, at full
// precision: the decision is taken on these values, so rounding them here
// could show an interval that seems not to cross the edge it crossed.
func MetricsToProto(m grading.Metrics) *millwav1.FiberMetrics {
	return &millwav1.FiberMetrics{
		MeanFiberDiameterUm:  m.MeanFiberDiameterUm,
		SdUm:                 m.SDUm,
		CvPercent:            m.CVPercent,
		ComfortFactorPercent: m.ComfortFactorPercent,
		SpinningFinenessUm:   m.SpinningFinenessUm,
		FibersMeasured:       m.FibersMeasured,
		MfdCi95LowUm:         m.MFDCI95LowUm,
		MfdCi95HighUm:        m.MFDCI95HighUm,
	}
}

// GradeToProto is the API's form of a grade.
func GradeToProto(g grading.Grade) *millwav1.Grade {
	return &millwav1.Grade{
		Standard: "standards/" + g.Standard, QualityGroup: g.QualityGroup, QualityGroupName: TextToProto(g.QualityGroupName),
		Metrics: MetricsToProto(g.Metrics), Borderline: g.Borderline, Alternatives: g.Alternatives,
		Explanation: TextToProto(g.Explanation), OutOfScale: OptionalString(string(g.OutOfScale)),
		LengthClass: OptionalString(g.LengthClass), ToleranceUm: g.ToleranceUm,
	}
}

// OptionalString is a pointer to s, or nil when s is empty: the value of
// an optional string field that is absent when there is nothing to say.
func OptionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// EncodeGrade is the record of g to store with a lot or a check grading.
func EncodeGrade(g grading.Grade) (string, error) {
	b, err := grading.EncodeRecord(g)
	if err != nil {
		return "", millwa.Wrap(millwa.Internal, err, "encoding a grade")
	}
	return string(b), nil
}

// StoredGrade reads the grade stored with a resource (named by what, for
// the error): nil when none was stored, an Internal error naming the
// resource when the record cannot be read.
func StoredGrade(record, what string) (*grading.Grade, error) {
	if record == "" {
		return nil, nil
	}
	g, err := grading.DecodeRecord([]byte(record))
	if err != nil {
		return nil, millwa.Wrap(millwa.Internal, err, "the stored grade of %s cannot be read", what)
	}
	return &g, nil
}

// EnumToProto is the API's enum value for a domain value: the API names
// each value as the domain does, behind the enum's prefix
// (PURCHASE_ORDER_STATE_ + OPEN, in upper case), so values is the enum's name-to-number
// map from the generated code. A domain value the API does not name is the
// enum's zero, UNSPECIFIED.
func EnumToProto[E ~int32, D ~string](values map[string]int32, prefix string, d D) E {
	return E(values[prefix+strings.ToUpper(string(d))])
}

// AddGradeViolations adds to vs the violations of a grading.InputError
// that err wraps, each under field in place of the sample's own "sample"
// prefix (field "lot.measurement" turns "sample.sd_um" into
// "lot.measurement.sd_um"), and reports whether err was one.
func AddGradeViolations(vs *millwa.Violations, field string, err error) bool {
	var in *grading.InputError
	if !errors.As(err, &in) {
		return false
	}
	for _, v := range in.Violations {
		vs.Add(field+strings.TrimPrefix(v.Field, "sample"), v.Format, v.Args...)
	}
	return true
}

// NotApplicable is the FailedPrecondition (reason STANDARD_NOT_APPLICABLE)
// of a grading error that matches grading.ErrNotApplicable: the standard
// cannot answer the call, and the message names the RPC that can.
func NotApplicable(err error) *millwa.Error {
	var na *grading.NotApplicableError
	if !errors.As(err, &na) {
		return millwa.Reasonf(millwa.FailedPrecondition, "STANDARD_NOT_APPLICABLE", "the standard cannot answer this call: check the standard's quality groups and categories")
	}
	format, args := na.Message()
	e := millwa.Errorf(millwa.FailedPrecondition, format, args...)
	e.Reason = "STANDARD_NOT_APPLICABLE"
	return e
}
