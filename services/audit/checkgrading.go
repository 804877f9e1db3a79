package audit

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	gradingsvc "github.com/millwa/millwa/services/grading"
	"github.com/millwa/millwa/services/internal/rpc"
)

var agreements = map[millwa.Agreement]millwav1.Agreement{
	millwa.AgreementExact:    millwav1.Agreement_AGREEMENT_EXACT,
	millwa.AgreementAdjacent: millwav1.Agreement_AGREEMENT_ADJACENT,
	millwa.AgreementDistant:  millwav1.Agreement_AGREEMENT_DISTANT,
}

// RecordCheckGrading grades an agency's measurement of a lot's sample with
// the lot's standard and stores the check grade beside the lot's declared
// and market groups. The parent must be the caller's own agency (an admin:
// any agency), and the lot must lie within the agency's regions; otherwise
// NotFound, as for a missing one. The sample time and note are kept with
// the check.
func (s *Server) RecordCheckGrading(ctx context.Context, req *millwav1.RecordCheckGradingRequest) (*millwav1.RecordCheckGradingResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	parent, err := millwa.ParseName("parent", req.GetParent(), agenciesCollection)
	if err != nil {
		return nil, err
	}
	in := req.GetCheckGrading()
	if in == nil {
		vs.Add("check_grading", "is required")
		return nil, vs.Err()
	}
	lotIDs, lotErr := millwa.ParseName("check_grading.lot", in.GetLot(), "associations", "lots")
	if lotErr != nil {
		vs.Add("check_grading.lot", "is required: the lot checked, associations/{association}/lots/{lot}")
	}
	if in.GetSample() == nil {
		vs.Add("check_grading.sample", "is required: give the mean fibre diameter (with SD and fibres measured when known) or a diameter histogram")
	}
	if t := in.GetSampleTime(); t != nil && (!t.IsValid() || t.AsTime().After(time.Now())) {
		vs.Add("check_grading.sample_time", "must be a valid time in the past")
	}
	if n := utf8.RuneCountInString(in.GetNote()); n > millwa.MaxCheckNoteLength {
		vs.Add("check_grading.note", "must be at most %d characters, not %d", millwa.MaxCheckNoteLength, n)
	}
	for _, f := range []struct {
		field string
		set   bool
	}{
		{"name", in.GetName() != ""},
		{"check_grade", in.GetCheckGrade() != nil},
		{"declared_quality_group", in.GetDeclaredQualityGroup() != ""},
		{"market_quality_group", in.GetMarketQualityGroup() != ""},
		{"agreement", in.GetAgreement() != millwav1.Agreement_AGREEMENT_UNSPECIFIED},
		{"group_offset", in.GetGroupOffset() != 0},
		{"classifier", in.GetClassifier() != ""},
		{"region", in.GetRegion() != ""},
		{"create_time", in.GetCreateTime() != nil},
		{"update_time", in.GetUpdateTime() != nil},
		{"etag", in.GetEtag() != ""},
	} {
		if f.set {
			vs.Add("check_grading."+f.field, "is output only: leave it empty")
		}
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	sample := gradingsvc.SampleFromProto(in.GetSample())
	return rpc.Do(ctx, s.store, req, func() *millwav1.RecordCheckGradingResponse { return &millwav1.RecordCheckGradingResponse{} },
		func(tx *store.Tx) (*millwav1.RecordCheckGradingResponse, []rpc.Event, error) {
			agency, err := tx.GetAgency(ctx, p, parent[0])
			if err != nil {
				return nil, nil, err
			}
			// A lot outside the agency's regions is not found, like a
			// missing one.
			lot, err := tx.GetLot(ctx, p, lotIDs[1])
			if err == nil && lot.AssociationID != lotIDs[0] {
				err = millwa.Errorf(millwa.NotFound, "lot %s not found", lotIDs[1])
			}
			if err != nil {
				return nil, nil, err
			}
			c, grade, err := s.gradeCheck(lot, sample)
			if err != nil {
				return nil, nil, err
			}
			c.AgencyID = agency.ID
			c.Note = strings.TrimSpace(in.GetNote())
			if t := in.GetSampleTime(); t != nil {
				c.SampleTime = t.AsTime().UTC().Truncate(time.Microsecond)
			}
			if err := tx.CreateCheckGrading(ctx, &c); err != nil {
				return nil, nil, err
			}
			resp := &millwav1.RecordCheckGradingResponse{CheckGrading: s.checkGradingToProto(&c, grade)}
			return resp, []rpc.Event{{Resource: resp.CheckGrading.Name, Action: "create", Region: lot.Ubigeo}}, nil
		})
}

// gradeCheck grades sample with the lot's standard and returns the check
// grading to store (without its agency) and the grade in the API's form.
func (s *Server) gradeCheck(lot millwa.Lot, sample grading.Sample) (millwa.CheckGrading, *millwav1.Grade, error) {
	const prefix = "check_grading.sample"
	st, ok := s.standards.GradingStandard("standards/" + lot.Standard)
	if !ok {
		return millwa.CheckGrading{}, nil, &millwa.Error{Code: millwa.FailedPrecondition, Reason: "STANDARD_NOT_APPLICABLE",
			Message: "the lot's standard standards/" + lot.Standard + " defines no quality groups"}
	}
	if lot.DeclaredGroup == "" {
		return millwa.CheckGrading{}, nil, millwa.Errorf(millwa.FailedPrecondition, "lot %s has no declared quality group", lot.ID)
	}
	var vs millwa.Violations
	if sample.Breed != "" && sample.Breed != lot.Breed {
		vs.Add(prefix+".breed", "must be empty or the lot's breed, %s", lot.Breed)
		return millwa.CheckGrading{}, nil, vs.Err()
	}
	sample.Breed = lot.Breed
	g, err := st.Grade(sample)
	var inErr *grading.InputError
	switch {
	case errors.As(err, &inErr):
		for _, v := range inErr.Violations {
			vs.Add(prefix+strings.TrimPrefix(v.Field, "sample"), "%s", v.Description)
		}
		return millwa.CheckGrading{}, nil, vs.Err()
	case errors.Is(err, grading.ErrNotApplicable):
		return millwa.CheckGrading{}, nil, &millwa.Error{Code: millwa.FailedPrecondition, Reason: "STANDARD_NOT_APPLICABLE", Message: err.Error()}
	case err != nil:
		return millwa.CheckGrading{}, nil, err
	}
	gp := &millwav1.Grade{
		Standard: "standards/" + g.Standard, QualityGroup: g.QualityGroup, QualityGroupName: gradingsvc.TextToProto(g.QualityGroupName),
		Metrics: gradingsvc.MetricsToProto(g.Metrics), Borderline: g.Borderline, Alternatives: g.Alternatives,
		Explanation: gradingsvc.TextToProto(g.Explanation),
	}
	b, err := protojson.Marshal(gp)
	if err != nil {
		return millwa.CheckGrading{}, nil, millwa.Wrap(millwa.Internal, err, "encoding a grade")
	}
	c := millwa.CheckGrading{
		LotID: lot.ID, AssociationID: lot.AssociationID, ClassifierID: lot.ClassifierID, Standard: st.ID,
		DeclaredGroup: lot.DeclaredGroup, MarketGroup: lot.MarketGroup, CheckGroup: g.QualityGroup,
		Grading: string(b), Ubigeo: lot.Ubigeo, Breed: lot.Breed,
		Measurement: millwa.Measurement{
			MeanFiberDiameterUm: sample.MeanFiberDiameterUm, SDUm: sample.SDUm,
			FibersMeasured: sample.FibersMeasured, StapleLengthMm: sample.StapleLengthMm,
		},
	}
	if h := sample.Histogram; h != nil {
		c.Measurement.HistogramStartUm, c.Measurement.HistogramWidthUm, c.Measurement.HistogramCounts = h.StartUm, h.WidthUm, h.Counts
	}
	return c, gp, nil
}

// orderedGroups are the codes of a standard's quality groups, finest first;
// the short-fibre group has no position.
func (s *Server) orderedGroups(standard string) []string {
	st, ok := s.standards.Get(standard)
	if !ok {
		return nil
	}
	codes := make([]string, len(st.QualityGroups))
	for i, g := range st.QualityGroups {
		codes[i] = g.Code
	}
	return codes
}

// checkGradingToProto is the API's form of a check grading. grade is the
// recorded grade when the caller has it; else it is decoded from c.Grading.
func (s *Server) checkGradingToProto(c *millwa.CheckGrading, grade *millwav1.Grade) *millwav1.CheckGrading {
	if grade == nil && c.Grading != "" {
		var g millwav1.Grade
		if protojson.Unmarshal([]byte(c.Grading), &g) == nil {
			grade = &g
		}
	}
	agreement, offset := millwa.CompareGroups(s.orderedGroups(c.Standard), c.CheckGroup, c.DeclaredGroup)
	m := c.Measurement
	sample := &millwav1.FiberSample{
		Breed: c.Breed, MeanFiberDiameterUm: m.MeanFiberDiameterUm, SdUm: m.SDUm,
		FibersMeasured: m.FibersMeasured, StapleLengthMm: m.StapleLengthMm,
	}
	if len(m.HistogramCounts) > 0 {
		sample.Histogram = &millwav1.DiameterHistogram{StartUm: m.HistogramStartUm, WidthUm: m.HistogramWidthUm, Counts: m.HistogramCounts}
	}
	assoc := "associations/" + c.AssociationID
	return &millwav1.CheckGrading{
		Name:                 agenciesCollection + "/" + c.AgencyID + "/checkGradings/" + c.ID,
		Lot:                  assoc + "/lots/" + c.LotID,
		Sample:               sample,
		CheckGrade:           grade,
		DeclaredQualityGroup: c.DeclaredGroup,
		MarketQualityGroup:   c.MarketGroup,
		Agreement:            agreements[agreement],
		GroupOffset:          int32(offset),
		Classifier:           assoc + "/classifiers/" + c.ClassifierID,
		Region:               c.Ubigeo,
		CreateTime:           timestamppb.New(c.CreateTime),
		UpdateTime:           timestamppb.New(c.CreateTime),
		Etag:                 millwa.Etag(1),
		SampleTime:           sampleTime(c.SampleTime),
		Note:                 c.Note,
	}
}

func sampleTime(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
