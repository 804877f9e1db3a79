// Package grading implements millwa.v1.GradingService: the national
// standards as data, grading a sample against one, and classifying a whole
// fleece. Every RPC is public and read-only.
package grading

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// Server is the GradingService.
type Server struct {
	millwav1.UnimplementedGradingServiceServer
	standards *grading.Registry
}

// New returns a GradingService over the loaded standards.
func New(standards *grading.Registry) *Server {
	return &Server{standards: standards}
}

// standardID is the form of a standard's id.
var standardID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// standard returns the standard a request names in field: Invalid for a
// malformed name, NotFound for an unknown one.
func (s *Server) standard(field, name string) (*grading.Standard, error) {
	id, ok := strings.CutPrefix(name, "standards/")
	if !ok || !standardID.MatchString(id) {
		var vs millwa.Violations
		vs.Add(field, "must be a standard's name, standards/{id}, for example standards/%s", s.standards.DefaultID())
		return nil, vs.Err()
	}
	st, ok := s.standards.Get(id)
	if !ok {
		return nil, millwa.Errorf(millwa.NotFound, "standard %s not found: GET /v1/standards lists the standards", name)
	}
	return st, nil
}

// standardList is what ListStandards filters by; standards are listed by
// id.
var standardList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"country_code": millwa.StringField,
		"edition_year": millwa.IntField,
	},
}

// ListStandards lists the standards Millwa grades against.
func (s *Server) ListStandards(_ context.Context, req *millwav1.ListStandardsRequest) (*millwav1.ListStandardsResponse, error) {
	lr := millwa.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter()}
	q, err := millwa.ParseList(lr, standardList)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListStandardsResponse{}
	var last string
	more := false
	for _, st := range s.standards.List() {
		if len(q.After) == 1 && st.ID <= q.After[0] || !matches(st, q.Conditions) {
			continue
		}
		if len(resp.Standards) == q.Limit {
			more = true
			break
		}
		resp.Standards = append(resp.Standards, standardToProto(st))
		last = st.ID
	}
	if more {
		resp.NextPageToken = lr.NextPageToken([]string{last})
	}
	return resp, nil
}

// matches reports whether the standard meets every condition.
func matches(st *grading.Standard, conds []millwa.Condition) bool {
	for _, c := range conds {
		var ok bool
		switch c.Field {
		case "country_code":
			ok = strings.EqualFold(st.CountryCode, c.Str) == (c.Op == millwa.OpEq)
		case "edition_year":
			ok = compareInt(int64(st.EditionYear), c.Op, c.Int)
		}
		if !ok {
			return false
		}
	}
	return true
}

func compareInt(a int64, op millwa.Op, b int64) bool {
	switch op {
	case millwa.OpEq:
		return a == b
	case millwa.OpNe:
		return a != b
	case millwa.OpLt:
		return a < b
	case millwa.OpLe:
		return a <= b
	case millwa.OpGt:
		return a > b
	case millwa.OpGe:
		return a >= b
	}
	return false
}

// GetStandard returns one standard with its groups, bands, colours, sources
// and confidence.
func (s *Server) GetStandard(_ context.Context, req *millwav1.GetStandardRequest) (*millwav1.GetStandardResponse, error) {
	st, err := s.standard("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return &millwav1.GetStandardResponse{Standard: standardToProto(st)}, nil
}

// GradeSample grades a sample's measurements against a standard.
func (s *Server) GradeSample(_ context.Context, req *millwav1.GradeSampleRequest) (*millwav1.GradeSampleResponse, error) {
	st, err := s.standard("standard", req.GetStandard())
	if err != nil {
		return nil, err
	}
	if req.GetSample() == nil {
		var vs millwa.Violations
		vs.Add("sample", "is required: give the mean fibre diameter (with SD and fibres measured when known) or a diameter histogram")
		return nil, vs.Err()
	}
	g, err := st.Grade(rpc.SampleFromProto(req.GetSample()))
	if err != nil {
		return nil, gradingError(err, "GradeSample")
	}
	return &millwav1.GradeSampleResponse{
		QualityGroup:     g.QualityGroup,
		QualityGroupName: rpc.TextToProto(g.QualityGroupName),
		Metrics:          rpc.MetricsToProto(g.Metrics),
		Borderline:       g.Borderline,
		Alternatives:     nonNil(g.Alternatives),
		Explanation:      rpc.TextToProto(g.Explanation),
		Standard:         "standards/" + g.Standard,
		OutOfScale:       rpc.OptionalString(string(g.OutOfScale)),
		LengthClass:      rpc.OptionalString(g.LengthClass),
		ToleranceUm:      g.ToleranceUm,
	}, nil
}

// ClassifyFleece puts a whole fleece in a category by the share of its
// weight in fine quality groups.
func (s *Server) ClassifyFleece(_ context.Context, req *millwav1.ClassifyFleeceRequest) (*millwav1.ClassifyFleeceResponse, error) {
	st, err := s.standard("standard", req.GetStandard())
	if err != nil {
		return nil, err
	}
	r, err := s.standards.ClassifyFleece(st, req.GetGroupGrams())
	if err != nil {
		return nil, gradingError(err, "ClassifyFleece")
	}
	return &millwav1.ClassifyFleeceResponse{
		Category:         r.Category,
		CategoryName:     rpc.TextToProto(r.CategoryName),
		FineSharePercent: r.FineSharePercent,
		Explanation:      rpc.TextToProto(r.Explanation),
	}, nil
}

// gradingError turns the engine's errors into the domain's.
func gradingError(err error, method string) error {
	var in *grading.InputError
	switch {
	case errors.As(err, &in):
		var vs millwa.Violations
		for _, v := range in.Violations {
			vs.Add(v.Field, v.Format, v.Args...)
		}
		return vs.Err()
	case errors.Is(err, grading.ErrNotApplicable):
		return rpc.NotApplicable(err)
	}
	return fmt.Errorf("%s: %w", method, err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func groupToProto(g *grading.QualityGroup) *millwav1.QualityGroup {
	if g == nil {
		return nil
	}
	return &millwav1.QualityGroup{
		Code:              g.Code,
		Name:              rpc.TextToProto(g.Name),
		Abbreviation:      g.Abbreviation,
		DiameterBand:      &millwav1.DiameterBand{MinUm: g.Band.MinUm, MaxUm: g.Band.MaxUm},
		MinStapleLengthMm: g.MinStapleLengthMm,
	}
}

func standardToProto(st *grading.Standard) *millwav1.Standard {
	p := &millwav1.Standard{
		Name:                 "standards/" + st.ID,
		StandardId:           st.ID,
		Title:                rpc.TextToProto(st.Title),
		CountryCode:          st.CountryCode,
		Publisher:            st.Publisher,
		EditionYear:          int32(st.EditionYear),
		Source:               st.Source,
		Confidence:           rpc.EnumToProto[millwav1.Confidence](millwav1.Confidence_value, "CONFIDENCE_", st.Confidence),
		DiameterResolutionUm: st.DiameterResolutionUm,
		ShortFiberGroup:      groupToProto(st.ShortFiberGroup),
		Etag:                 st.Digest,
	}
	for _, n := range st.Notes {
		p.Notes = append(p.Notes, &millwav1.SourceNote{Subject: n.Subject, Confidence: rpc.EnumToProto[millwav1.Confidence](millwav1.Confidence_value, "CONFIDENCE_", n.Confidence), Text: n.Text})
	}
	for i := range st.QualityGroups {
		p.QualityGroups = append(p.QualityGroups, groupToProto(&st.QualityGroups[i]))
	}
	for _, c := range st.Colours {
		p.Colours = append(p.Colours, &millwav1.FiberColour{Code: c.Code, Name: rpc.TextToProto(c.Name), Abbreviation: c.Abbreviation})
	}
	for _, b := range st.Breeds {
		p.Breeds = append(p.Breeds, &millwav1.AlpacaBreed{Code: b.Code, Name: rpc.TextToProto(b.Name)})
	}
	if fc := st.FleeceClassification; fc != nil {
		pc := &millwav1.FleeceClassification{GroupStandard: "standards/" + fc.GroupStandard, FineGroupCodes: fc.FineGroupCodes}
		for _, c := range fc.Categories {
			pc.Categories = append(pc.Categories, &millwav1.FleeceCategory{
				Code: c.Code, Name: rpc.TextToProto(c.Name), MinFineSharePercent: c.MinFineSharePercent, MaxFineSharePercent: c.MaxFineSharePercent,
			})
		}
		p.FleeceClassification = pc
	}
	return p
}
