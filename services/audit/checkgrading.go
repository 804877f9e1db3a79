package audit

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// checkGradingsCollection is the collection of an agency's check gradings.
const checkGradingsCollection = "checkGradings"

// RecordCheckGrading grades an agency's measurement of a lot's sample with
// the lot's standard and stores the check grade beside the lot's declared
// and market groups. The parent must be the caller's own agency (an admin:
// any agency), and the lot must lie within the agency's regions; otherwise
// NotFound, as for a missing one. The sample time and note are kept with
// the check.
func (s *Server) RecordCheckGrading(ctx context.Context, req *millwav1.RecordCheckGradingRequest) (*millwav1.RecordCheckGradingResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	parent, lotIDs, err := readCheckRequest(req)
	if err != nil {
		return nil, err
	}
	in := req.GetCheckGrading()
	var sample grading.Sample
	if in.GetSample() != nil {
		sample = rpc.SampleFromProto(in.GetSample())
	}
	return rpc.Do(ctx, s.store, req, nil,
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
			var c millwa.CheckGrading
			if len(in.GetClassedGrams()) > 0 {
				c, err = s.categoriseCheck(lot, in.GetClassedGrams())
			} else {
				c, err = s.gradeCheck(lot, sample)
			}
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
			// Read back with the lot's number and the people's names.
			if c, err = tx.GetCheckGrading(ctx, p, c.AgencyID, c.ID); err != nil {
				return nil, nil, err
			}
			out, err := s.checkGradingToProto(&c)
			if err != nil {
				return nil, nil, err
			}
			return &millwav1.RecordCheckGradingResponse{CheckGrading: out}, []rpc.Event{{Resource: out.Name, Action: "create", Region: lot.Ubigeo}}, nil
		})
}

// readCheckRequest validates a RecordCheckGradingRequest and returns the
// ids of its parent agency's name and of its lot's name.
func readCheckRequest(req *millwav1.RecordCheckGradingRequest) (parent, lot []string, err error) {
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	if parent, err = millwa.ParseName("parent", req.GetParent(), agenciesCollection); err != nil {
		return nil, nil, err
	}
	in := req.GetCheckGrading()
	if in == nil {
		vs.Add("check_grading", "is required")
		return nil, nil, vs.Err()
	}
	lot, lotErr := millwa.ParseName("check_grading.lot", in.GetLot(), associationsCollection, "lots")
	if lotErr != nil {
		vs.Add("check_grading.lot", "is required: the lot checked, associations/{association}/lots/{lot}")
	}
	switch {
	case in.GetSample() == nil && len(in.GetClassedGrams()) == 0:
		vs.Add("check_grading.sample", "is required: give the mean fibre diameter (with SD and fibres measured when known) or a diameter histogram; for a lot of whole fleeces, classed_grams")
	case in.GetSample() != nil && len(in.GetClassedGrams()) > 0:
		vs.Add("check_grading.classed_grams", "must be empty when a sample is given: a lot is checked by a measured sample, or, of whole fleeces, by its classed weights")
	}
	if t := in.GetSampleTime(); t != nil && (!t.IsValid() || t.AsTime().After(time.Now())) {
		vs.Add("check_grading.sample_time", "must be a valid time in the past")
	}
	if n := utf8.RuneCountInString(in.GetNote()); n > millwa.MaxCheckNoteLength {
		vs.Add("check_grading.note", "must be at most %d characters, not %d", millwa.MaxCheckNoteLength, n)
	}
	rpc.OutputOnly(&vs, "check_grading", in,
		"name", "check_grade", "declared_quality_group", "market_quality_group", "agreement", "group_offset", "classifier", "region", "create_time", "update_time", "etag",
		"lot_number", "classifier_display_name", "association_display_name")
	return parent, lot, vs.Err()
}

// gradeCheck grades sample with the lot's standard and returns the check
// grading to store, without its agency.
func (s *Server) gradeCheck(lot millwa.Lot, sample grading.Sample) (millwa.CheckGrading, error) {
	const prefix = "check_grading.sample"
	st, ok := s.standards.GradingStandard("standards/" + lot.Standard)
	if !ok {
		return millwa.CheckGrading{}, millwa.Reasonf(millwa.FailedPrecondition, "STANDARD_NOT_APPLICABLE",
			"the lot's standard standards/%s defines no quality groups: check a lot of whole fleeces with classed_grams", lot.Standard)
	}
	if lot.DeclaredGroup == "" {
		return millwa.CheckGrading{}, millwa.Errorf(millwa.FailedPrecondition, "lot %s has no declared quality group", lot.ID)
	}
	var vs millwa.Violations
	if sample.Breed != "" && sample.Breed != lot.Breed {
		vs.Add(prefix+".breed", "must be empty or the lot's breed, %s", lot.Breed)
		return millwa.CheckGrading{}, vs.Err()
	}
	sample.Breed = lot.Breed
	g, err := st.Grade(sample)
	switch {
	case rpc.AddGradeViolations(&vs, prefix, err):
		return millwa.CheckGrading{}, vs.Err()
	case errors.Is(err, grading.ErrNotApplicable):
		return millwa.CheckGrading{}, rpc.NotApplicable(err)
	case err != nil:
		return millwa.CheckGrading{}, err
	case g.OutOfScale != grading.InScale:
		// Agreement statistics compare groups of the standard: an
		// out-of-scale check has none.
		vs.Add(prefix, "is out of the scale of %s: %s", st.ID, millwa.Localized(g.Explanation))
		return millwa.CheckGrading{}, vs.Err()
	}
	record, err := rpc.EncodeGrade(g)
	if err != nil {
		return millwa.CheckGrading{}, err
	}
	return millwa.CheckGrading{
		LotID: lot.ID, AssociationID: lot.AssociationID, ClassifierID: lot.ClassifierID, Standard: st.ID,
		DeclaredGroup: lot.DeclaredGroup, MarketGroup: lot.MarketGroup, CheckGroup: g.QualityGroup,
		Grading: record, Ubigeo: lot.Ubigeo, Breed: lot.Breed, Measurement: rpc.MeasurementOf(sample),
	}, nil
}

// categoriseCheck re-categorises a lot of whole fleeces from the grams
// the agency classed into each quality group (grading's ClassifyFleece)
// and returns the check grading to store, without its agency: the check's
// group is the category.
func (s *Server) categoriseCheck(lot millwa.Lot, classed map[string]int64) (millwa.CheckGrading, error) {
	st, ok := s.standards.Get(lot.Standard)
	if !ok || !st.HasCategories() {
		return millwa.CheckGrading{}, millwa.Reasonf(millwa.FailedPrecondition, "STANDARD_NOT_APPLICABLE",
			"the lot's standard standards/%s has no fleece categories: check it with a measured sample", lot.Standard)
	}
	res, err := s.standards.ClassifyFleece(st, classed)
	var inErr *grading.InputError
	if errors.As(err, &inErr) {
		var vs millwa.Violations
		for _, v := range inErr.Violations {
			vs.Add("check_grading.classed_grams"+strings.TrimPrefix(v.Field, "group_grams"), v.Format, v.Args...)
		}
		return millwa.CheckGrading{}, vs.Err()
	}
	if err != nil {
		return millwa.CheckGrading{}, err
	}
	stored, err := json.Marshal(classed) // sorted keys: the same weights store the same text
	if err != nil {
		return millwa.CheckGrading{}, millwa.Wrap(millwa.Internal, err, "encoding classed weights")
	}
	return millwa.CheckGrading{
		LotID: lot.ID, AssociationID: lot.AssociationID, ClassifierID: lot.ClassifierID, Standard: st.ID,
		DeclaredGroup: lot.DeclaredGroup, MarketGroup: lot.MarketGroup, CheckGroup: res.Category,
		Ubigeo: lot.Ubigeo, Breed: lot.Breed, ClassedGrams: string(stored),
	}, nil
}

// orderedGroups are the codes of a standard's quality groups, finest first
// (the short-fibre group has no position), or of a standard of whole
// fleeces its categories, best first.
func (s *Server) orderedGroups(standard string) []string {
	st, ok := s.standards.Get(standard)
	if !ok {
		return nil
	}
	if len(st.QualityGroups) == 0 && st.HasCategories() {
		codes := make([]string, len(st.FleeceClassification.Categories))
		for i, c := range st.FleeceClassification.Categories {
			codes[i] = c.Code
		}
		return codes
	}
	codes := make([]string, len(st.QualityGroups))
	for i, g := range st.QualityGroups {
		codes[i] = g.Code
	}
	return codes
}

// checkGradingToProto is the API's form of a check grading.
func (s *Server) checkGradingToProto(c *millwa.CheckGrading) (*millwav1.CheckGrading, error) {
	assoc := associationsCollection + "/" + c.AssociationID
	name := agenciesCollection + "/" + c.AgencyID + "/" + checkGradingsCollection + "/" + c.ID
	g, err := rpc.StoredGrade(c.Grading, name)
	if err != nil {
		return nil, err
	}
	agreement, offset := millwa.CompareGroups(s.orderedGroups(c.Standard), c.CheckGroup, c.DeclaredGroup)
	out := &millwav1.CheckGrading{
		Name:                   name,
		Lot:                    millwa.LotName(c.AssociationID, c.LotID),
		Sample:                 rpc.MeasurementToProto(c.Breed, c.Measurement),
		DeclaredQualityGroup:   c.DeclaredGroup,
		MarketQualityGroup:     c.MarketGroup,
		Agreement:              rpc.EnumToProto[millwav1.Agreement](millwav1.Agreement_value, "AGREEMENT_", agreement),
		GroupOffset:            int32(offset),
		Classifier:             assoc + "/" + classifiersCollection + "/" + c.ClassifierID,
		Region:                 c.Ubigeo,
		CreateTime:             timestamppb.New(c.CreateTime),
		UpdateTime:             timestamppb.New(c.CreateTime),
		Etag:                   millwa.Etag(1),
		SampleTime:             rpc.Timestamp(c.SampleTime),
		Note:                   c.Note,
		LotNumber:              c.LotNumber,
		ClassifierDisplayName:  c.ClassifierName,
		AssociationDisplayName: c.AssociationName,
	}
	if g != nil {
		out.CheckGrade = rpc.GradeToProto(*g)
	}
	if c.ClassedGrams != "" {
		out.Sample = nil
		if err := json.Unmarshal([]byte(c.ClassedGrams), &out.ClassedGrams); err != nil {
			return nil, millwa.Wrap(millwa.Internal, err, "decoding the classed weights of %s", name)
		}
	}
	return out, nil
}

// GetCheckGrading returns one check grading: any for an admin, its own for
// an agency (another agency's is NotFound, as for a missing one), in the
// form ListCheckGradings and RecordCheckGrading give it. The agency may be
// "-" (AIP-159), as a classifier's record names the checks of its lots:
// the check is found by its id, and the answer carries its real name.
func (s *Server) GetCheckGrading(ctx context.Context, req *millwav1.GetCheckGradingRequest) (*millwav1.GetCheckGradingResponse, error) {
	name, collections := req.GetName(), []string{agenciesCollection, checkGradingsCollection}
	read := func(p millwa.Principal, ids []string) (millwa.CheckGrading, error) {
		return s.store.GetCheckGrading(ctx, p, ids[0], ids[1])
	}
	// A malformed name after "-" falls through, to be refused naming the
	// whole pattern.
	if rest, ok := strings.CutPrefix(name, agenciesCollection+"/-/"); ok {
		if _, err := millwa.ParseName("name", rest, checkGradingsCollection); err == nil {
			name, collections = rest, collections[1:]
			read = func(p millwa.Principal, ids []string) (millwa.CheckGrading, error) {
				return s.store.GetCheckGrading(ctx, p, "", ids[0])
			}
		}
	}
	c, err := rpc.Get(ctx, name, collections, read)
	if err != nil {
		return nil, err
	}
	out, err := s.checkGradingToProto(&c)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetCheckGradingResponse{CheckGrading: out}, nil
}

// checkGradings lists one agency's check gradings, most recent first by
// default; lot and classifier are resource names.
func (s *Server) checkGradings(agencyID string) rpc.Lister[millwa.CheckGrading, *millwav1.CheckGrading] {
	return rpc.Lister[millwa.CheckGrading, *millwav1.CheckGrading]{
		Spec: millwa.ListSpec{
			Filter: map[string]millwa.FieldKind{
				"lot": millwa.StringField, "classifier": millwa.StringField,
				"create_time": millwa.TimeField, "sample_time": millwa.TimeField,
			},
			EqualOnly:    []string{"lot", "classifier"},
			Order:        []string{"create_time"},
			DefaultOrder: []millwa.OrderTerm{{Field: "create_time", Desc: true}},
		},
		Refine: func(_ millwa.Principal, q *millwa.ListQuery) error {
			return rpc.FilterNames(q, map[string][]string{
				"lot":        {associationsCollection, "lots"},
				"classifier": {associationsCollection, classifiersCollection},
			})
		},
		Read: func(ctx context.Context, p millwa.Principal, q millwa.ListQuery) (millwa.Page[millwa.CheckGrading], error) {
			return s.store.ListCheckGradings(ctx, p, agencyID, q)
		},
		Show: func(_ millwa.Principal, c *millwa.CheckGrading) (*millwav1.CheckGrading, error) {
			return s.checkGradingToProto(c)
		},
	}
}

// ListCheckGradings lists the check gradings of one agency: any for an
// admin, its own for an agency (another agency is NotFound).
func (s *Server) ListCheckGradings(ctx context.Context, req *millwav1.ListCheckGradingsRequest) (*millwav1.ListCheckGradingsResponse, error) {
	ids, err := millwa.ParseName("parent", req.GetParent(), agenciesCollection)
	if err != nil {
		return nil, err
	}
	items, next, err := s.checkGradings(ids[0]).Serve(ctx, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListCheckGradingsResponse{CheckGradings: items, NextPageToken: next}, nil
}
