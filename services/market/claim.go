package market

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const claimsCollection = "claims"

// FileClaim files the processor's quality claim on a delivered, unpaid
// trade: its sample is graded under the lot's standard and the claim is
// OPEN when the grade differs from the trade's group beyond the test
// method's tolerance; otherwise it is refused with the grade's reason.
func (s *Server) FileClaim(ctx context.Context, req *millwav1.FileClaimRequest) (*millwav1.FileClaimResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, "the processor of the trade files its claims", millwa.RoleProcessor, millwa.RoleAdmin); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	ids, err := millwa.ParseName("parent", req.GetParent(), tradesCollection)
	if err != nil {
		return nil, err
	}
	in := req.GetClaim()
	if in == nil {
		vs.Add("claim", "is required: the sample, laboratory and test method of the claim")
		return nil, vs.Err()
	}
	lab := millwa.CheckClaimText(&vs, "claim.laboratory", in.GetLaboratory())
	if in.GetSample() == nil {
		vs.Add("claim.sample", "is required: the processor's test of a sample taken at receipt")
	} else if in.GetSample().GetTestMethod() == "" {
		vs.Add("claim.sample.test_method", "is required: the method of the claim's test decides its tolerance")
	}
	millwa.CheckPercent(&vs, "claim.moisture_percent", in.MoisturePercent)
	millwa.CheckPercent(&vs, "claim.impurity_percent", in.ImpurityPercent)
	if in.GetStatedPricePerKg() < 0 {
		vs.Add("claim.stated_price_per_kg", "must not be negative; got %d", in.GetStatedPricePerKg())
	}
	rpc.OutputOnly(&vs, "claim", in, "name", "state", "grade", "sold_quality_group", "sold_price_per_kg", "repriced_price_per_kg",
		"refer_reason", "agency", "referee_laboratory", "referee_grade", "lot", "create_time", "update_time", "etag")
	if err := vs.Err(); err != nil {
		return nil, err
	}
	sample := rpc.SampleFromProto(in.GetSample())
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.FileClaimResponse, []rpc.Event, error) {
		tr, err := lockTrade(ctx, tx, p, ids[0], false)
		if err != nil {
			return nil, nil, err
		}
		if err := tr.CanFileClaim(); err != nil {
			return nil, nil, err
		}
		existing, err := tx.ListClaims(ctx, store.SystemPrincipal, tr.ID)
		if err != nil {
			return nil, nil, err
		}
		if len(existing) > 0 {
			return nil, nil, millwa.Reasonf(millwa.FailedPrecondition, "TRADE_HAS_CLAIM",
				"the trade already has claim %s: a trade takes one claim", millwa.ClaimName(tr.ID, existing[0].ID))
		}
		g, err := s.gradeClaim(&tr, sample, "claim.sample")
		if err != nil {
			return nil, nil, err
		}
		if !differs(g, tr.QualityGroup) {
			return nil, nil, millwa.Reasonf(millwa.FailedPrecondition, "CLAIM_WITHIN_TOLERANCE",
				"the claim's sample is within tolerance of the trade's group %s, so the claim is refused: %s", tr.QualityGroup, millwa.Localized(g.Explanation))
		}
		o, err := tx.GetPurchaseOrder(ctx, store.SystemPrincipal, tr.PurchaseOrderID)
		if err != nil {
			return nil, nil, err
		}
		accepts := slices.Contains(o.QualityGroups, g.QualityGroup)
		stated := in.GetStatedPricePerKg()
		if !accepts {
			var more millwa.Violations
			if stated < 1 || stated > tr.PricePerKg {
				more.Add("claim.stated_price_per_kg", "must be 1 to the trade's price of %d minor units a kilogram: the order does not accept the measured group %s; got %d",
					tr.PricePerKg, g.QualityGroup, stated)
			}
			if err := more.Err(); err != nil {
				return nil, nil, err
			}
		} else {
			stated = 0
		}
		record, err := rpc.EncodeGrade(g)
		if err != nil {
			return nil, nil, err
		}
		c := millwa.Claim{
			TradeID: tr.ID, State: millwa.ClaimOpen, Laboratory: lab, TestMethod: sample.TestMethod,
			Sample: rpc.MeasurementOf(sample), Grade: record, MoisturePercent: in.MoisturePercent, ImpurityPercent: in.ImpurityPercent,
			StatedPricePerKg: stated, SoldGroup: tr.QualityGroup, SoldPricePerKg: tr.PricePerKg, MeasuredGroup: g.QualityGroup,
			RepricedPricePerKg: millwa.RepricedPrice(tr.PricePerKg, accepts, stated),
			AssociationID:      tr.AssociationID, ProcessorID: tr.ProcessorID, LotID: tr.LotID, OriginUbigeo: tr.OriginUbigeo,
			Breed: tr.Breed,
		}
		if err := tx.CreateClaim(ctx, &c); err != nil {
			return nil, nil, err
		}
		audit, err := claimEvent(ctx, tx, &c, &tr, millwa.EventClaimFiled, "file")
		if err != nil {
			return nil, nil, err
		}
		pc, err := claimToProto(&c)
		return &millwav1.FileClaimResponse{Claim: pc}, audit, err
	})
}

// differs reports whether a claim's grade differs from the trade's group
// beyond the tolerance: another group (or out of scale) whose interval,
// widened to the test method's tolerance, does not reach the trade's.
func differs(g grading.Grade, sold string) bool {
	return g.QualityGroup != sold && !slices.Contains(g.Alternatives, sold)
}

// gradeClaim grades a claim's or a referee's sample under the lot's
// standard, with the lot's breed; violations are reported under field.
func (s *Server) gradeClaim(tr *millwa.Trade, sample grading.Sample, field string) (grading.Grade, error) {
	st, ok := s.standards.GradingStandard("standards/" + tr.Standard)
	if !ok {
		return grading.Grade{}, millwa.Reasonf(millwa.FailedPrecondition, "STANDARD_NOT_APPLICABLE",
			"the trade's standard standards/%s defines no quality groups: a claim needs a graded lot", tr.Standard)
	}
	var vs millwa.Violations
	if sample.Breed != "" && sample.Breed != tr.Breed {
		vs.Add(field+".breed", "must be empty or the lot's breed, %s", tr.Breed)
		return grading.Grade{}, vs.Err()
	}
	sample.Breed = tr.Breed
	g, err := st.Grade(sample)
	switch {
	case rpc.AddGradeViolations(&vs, field, err):
		return g, vs.Err()
	case errors.Is(err, grading.ErrNotApplicable):
		return g, rpc.NotApplicable(err)
	}
	return g, err
}

// GetClaim returns one claim the caller may see.
func (s *Server) GetClaim(ctx context.Context, req *millwav1.GetClaimRequest) (*millwav1.GetClaimResponse, error) {
	c, err := rpc.Get(ctx, req.GetName(), []string{tradesCollection, claimsCollection}, func(p millwa.Principal, ids []string) (millwa.Claim, error) {
		return s.store.GetClaim(ctx, p, ids[0], ids[1])
	})
	if err != nil {
		return nil, err
	}
	pc, err := claimToProto(&c)
	return &millwav1.GetClaimResponse{Claim: pc}, err
}

// ListClaims lists the claims of a trade the caller may see.
func (s *Server) ListClaims(ctx context.Context, req *millwav1.ListClaimsRequest) (*millwav1.ListClaimsResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := millwa.ParseName("parent", req.GetParent(), tradesCollection)
	if err != nil {
		return nil, err
	}
	if n := req.GetPageSize(); n < 0 || n > 500 {
		var vs millwa.Violations
		vs.Add("page_size", "must be 0 to 500, got %d", n)
		return nil, vs.Err()
	}
	ok, err := s.store.TradeVisibleForClaims(ctx, p, ids[0])
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, millwa.Errorf(millwa.NotFound, "%s %s not found", millwa.Noun("trade"), ids[0])
	}
	cs, err := s.store.ListClaims(ctx, p, ids[0])
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListClaimsResponse{}
	for i := range cs {
		pc, err := claimToProto(&cs[i])
		if err != nil {
			return nil, err
		}
		resp.Claims = append(resp.Claims, pc)
	}
	return resp, nil
}

// AcceptClaim is the association's acceptance of an OPEN claim: the trade
// is repriced at the measured group.
func (s *Server) AcceptClaim(ctx context.Context, req *millwav1.AcceptClaimRequest) (*millwav1.AcceptClaimResponse, error) {
	c, err := s.changeClaim(ctx, req, req.GetName(), req.GetEtag(), nil, []millwa.Role{millwa.RoleAssociation, millwa.RoleAdmin},
		"the association of the trade's lot answers its claims", millwa.EventClaimAccepted, "accept",
		func(tx *store.Tx, c *millwa.Claim, tr *millwa.Trade) error {
			if c.State != millwa.ClaimOpen {
				return millwa.ClaimNotState(c, millwa.ClaimOpen)
			}
			c.State = millwa.ClaimAccepted
			tr.Reprice(c.MeasuredGroup, c.RepricedPricePerKg)
			return tx.RepriceTrade(ctx, tr)
		}, nil)
	if err != nil {
		return nil, err
	}
	return &millwav1.AcceptClaimResponse{Claim: c}, nil
}

// ReferClaim sends an OPEN claim to the agency of the lot's region.
func (s *Server) ReferClaim(ctx context.Context, req *millwav1.ReferClaimRequest) (*millwav1.ReferClaimResponse, error) {
	var vs millwa.Violations
	reason := strings.TrimSpace(req.GetReason())
	if n := utf8.RuneCountInString(reason); n > millwa.MaxReferReason || !utf8.ValidString(reason) {
		vs.Add("reason", "must be at most %d characters, got %d", millwa.MaxReferReason, n)
	}
	c, err := s.changeClaim(ctx, req, req.GetName(), req.GetEtag(), &vs, []millwa.Role{millwa.RoleAssociation, millwa.RoleAdmin},
		"the association of the trade's lot answers its claims", millwa.EventClaimReferred, "refer",
		func(_ *store.Tx, c *millwa.Claim, _ *millwa.Trade) error {
			if c.State != millwa.ClaimOpen {
				return millwa.ClaimNotState(c, millwa.ClaimOpen)
			}
			c.State, c.ReferReason = millwa.ClaimReferred, reason
			return nil
		}, nil)
	if err != nil {
		return nil, err
	}
	return &millwav1.ReferClaimResponse{Claim: c}, nil
}

// DecideClaim records the agency's binding referee test of a REFERRED
// claim: the trade is repriced when the referee grade differs from it
// beyond the tolerance, and stands as sold otherwise.
func (s *Server) DecideClaim(ctx context.Context, req *millwav1.DecideClaimRequest) (*millwav1.DecideClaimResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	var vs millwa.Violations
	lab := millwa.CheckClaimText(&vs, "laboratory", req.GetLaboratory())
	if req.GetSample() == nil {
		vs.Add("sample", "is required: the referee's test of the sample")
	} else if req.GetSample().GetTestMethod() == "" {
		vs.Add("sample.test_method", "is required: the method of the referee's test decides its tolerance")
	}
	var sample grading.Sample
	if req.GetSample() != nil {
		sample = rpc.SampleFromProto(req.GetSample())
	}
	var referee grading.Grade
	c, err := s.changeClaim(ctx, req, req.GetName(), req.GetEtag(), &vs, []millwa.Role{millwa.RoleAgency, millwa.RoleAdmin},
		"the agency of the lot's region decides referred claims", millwa.EventClaimDecided, "decide",
		func(tx *store.Tx, c *millwa.Claim, tr *millwa.Trade) error {
			if c.State != millwa.ClaimReferred {
				return millwa.ClaimNotState(c, millwa.ClaimReferred)
			}
			g, err := s.gradeClaim(tr, sample, "sample")
			if err != nil {
				return err
			}
			referee = g
			record, err := rpc.EncodeGrade(g)
			if err != nil {
				return err
			}
			m := rpc.MeasurementOf(sample)
			c.RefereeLaboratory, c.RefereeTestMethod, c.RefereeSample, c.RefereeGrade = lab, sample.TestMethod, &m, record
			if p.Role == millwa.RoleAgency {
				c.AgencyID = p.OrganisationID()
			}
			if !differs(g, tr.QualityGroup) {
				c.State = millwa.ClaimUpheld
				return nil
			}
			c.State = millwa.ClaimRepriced
			tr.Reprice(c.MeasuredGroup, c.RepricedPricePerKg)
			return tx.RepriceTrade(ctx, tr)
		},
		func(tx *store.Tx, c *millwa.Claim, tr *millwa.Trade) ([]rpc.Event, error) {
			return refereeFeedback(ctx, tx, c, referee)
		})
	if err != nil {
		return nil, err
	}
	return &millwav1.DecideClaimResponse{Claim: c}, nil
}

// refereeFeedback feeds an agency's referee test back to the classifier of
// the claim's lot: the test counts as a check grading of the lot in the
// consistency statistics (when its grade is a group of the standard), and
// a referee test that confirmed the claim counts against the classifier on
// the sanctions ladder. It returns the audit events of what it recorded.
func refereeFeedback(ctx context.Context, tx *store.Tx, c *millwa.Claim, g grading.Grade) ([]rpc.Event, error) {
	if c.AgencyID == "" {
		return nil, nil // an admin's decision is no agency's check
	}
	lot, err := tx.GetLot(ctx, store.SystemPrincipal, c.LotID)
	if err != nil {
		return nil, err
	}
	if lot.ClassifierID == "" || lot.DeclaredGroup == "" {
		return nil, nil
	}
	var events []rpc.Event
	if g.OutOfScale == grading.InScale {
		check := millwa.CheckGrading{
			AgencyID: c.AgencyID, LotID: lot.ID, AssociationID: lot.AssociationID, ClassifierID: lot.ClassifierID, Standard: lot.Standard,
			DeclaredGroup: lot.DeclaredGroup, MarketGroup: lot.MarketGroup, CheckGroup: g.QualityGroup, Grading: c.RefereeGrade,
			Ubigeo: lot.Ubigeo, Breed: lot.Breed, Measurement: *c.RefereeSample,
			Note: "Referee test of " + millwa.ClaimName(c.TradeID, c.ID),
		}
		if err := tx.CreateCheckGrading(ctx, &check); err != nil {
			return nil, err
		}
		events = append(events, rpc.Event{Resource: "agencies/" + c.AgencyID + "/checkGradings/" + check.ID, Action: "create", Region: lot.Ubigeo})
	}
	if c.State != millwa.ClaimRepriced {
		return events, nil
	}
	more, err := rpc.ClimbLadder(ctx, tx, lot.ClassifierID, lot.AssociationID, c.ID)
	return append(events, more...), err
}

// changeClaim runs one answer to a claim: it admits roles, validates the
// request, then in one transaction locks the trade's book, reads the
// claim locked as the caller may see it, checks the etag, applies step
// (which may reprice the trade), writes the claim, and records the market
// event and the audit event.
func (s *Server) changeClaim(ctx context.Context, req rpc.Request, name, etag string, vs *millwa.Violations, roles []millwa.Role, why string,
	event millwa.MarketEventType, action string, step func(tx *store.Tx, c *millwa.Claim, tr *millwa.Trade) error,
	after func(tx *store.Tx, c *millwa.Claim, tr *millwa.Trade) ([]rpc.Event, error)) (*millwav1.Claim, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, why, roles...); err != nil {
		return nil, err
	}
	if vs == nil {
		vs = &millwa.Violations{}
	}
	millwa.CheckRequestID(vs, req.GetRequestId())
	ids, err := millwa.ParseName("name", name, tradesCollection, claimsCollection)
	if err != nil {
		return nil, err
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.Claim, []rpc.Event, error) {
		books, err := tx.TradeBooks(ctx, ids[0])
		if err != nil {
			return nil, nil, err
		}
		if err := tx.LockBooks(ctx, books...); err != nil {
			return nil, nil, err
		}
		c, err := tx.GetClaim(ctx, p, ids[0], ids[1])
		if err != nil {
			return nil, nil, err
		}
		if err := rpc.CheckEtag(name, etag, millwa.Etag(c.Revision)); err != nil {
			return nil, nil, err
		}
		tr, err := tx.GetTrade(ctx, store.SystemPrincipal, c.TradeID)
		if err != nil {
			return nil, nil, err
		}
		if err := step(tx, &c, &tr); err != nil {
			return nil, nil, err
		}
		if err := tx.UpdateClaim(ctx, &c); err != nil {
			return nil, nil, err
		}
		audit, err := claimEvent(ctx, tx, &c, &tr, event, action)
		if err != nil {
			return nil, nil, err
		}
		if after != nil {
			more, err := after(tx, &c, &tr)
			if err != nil {
				return nil, nil, err
			}
			audit = append(audit, more...)
		}
		pc, err := claimToProto(&c)
		return pc, audit, err
	})
}

// claimEvent writes the market event of a claim step, the trade as it
// stands after it as payload, and returns its audit event.
func claimEvent(ctx context.Context, tx *store.Tx, c *millwa.Claim, tr *millwa.Trade, typ millwa.MarketEventType, action string) ([]rpc.Event, error) {
	e := millwa.TradeEvent(typ, tr)
	e.Resource = millwa.ClaimName(c.TradeID, c.ID)
	e.Trade.Payouts = nil
	if err := tx.AppendMarketEvents(ctx, e); err != nil {
		return nil, err
	}
	return []rpc.Event{{Resource: e.Resource, Action: action, Region: tr.OriginUbigeo}}, nil
}

// claimToProto is the API's form of a claim.
func claimToProto(c *millwa.Claim) (*millwav1.Claim, error) {
	name := millwa.ClaimName(c.TradeID, c.ID)
	g, err := rpc.StoredGrade(c.Grade, name)
	if err != nil {
		return nil, err
	}
	p := &millwav1.Claim{
		Name:               name,
		State:              rpc.EnumToProto[millwav1.ClaimState](millwav1.ClaimState_value, "CLAIM_STATE_", c.State),
		Sample:             rpc.MeasurementToProto(c.Breed, c.Sample),
		Laboratory:         c.Laboratory,
		MoisturePercent:    c.MoisturePercent,
		ImpurityPercent:    c.ImpurityPercent,
		StatedPricePerKg:   c.StatedPricePerKg,
		SoldQualityGroup:   c.SoldGroup,
		SoldPricePerKg:     c.SoldPricePerKg,
		RepricedPricePerKg: c.RepricedPricePerKg,
		ReferReason:        c.ReferReason,
		RefereeLaboratory:  c.RefereeLaboratory,
		Lot:                millwa.LotName(c.AssociationID, c.LotID),
		CreateTime:         timestamppb.New(c.CreateTime),
		UpdateTime:         timestamppb.New(c.UpdateTime),
		Etag:               millwa.Etag(c.Revision),
	}
	p.Sample.TestMethod = c.TestMethod
	if g != nil {
		p.Grade = rpc.GradeToProto(*g)
	}
	if c.AgencyID != "" {
		p.Agency = "agencies/" + c.AgencyID
	}
	if c.RefereeGrade != "" {
		rg, err := rpc.StoredGrade(c.RefereeGrade, name)
		if err != nil {
			return nil, err
		}
		p.RefereeGrade = rpc.GradeToProto(*rg)
	}
	return p, nil
}
