package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	gradingsvc "github.com/millwa/millwa/services/grading"
	"github.com/millwa/millwa/services/internal/rpc"
)

// MaxBatchLots bounds BatchCreateLots.
const MaxBatchLots = 500

var lotStates = map[millwa.LotState]millwav1.LotState{
	millwa.LotAvailable: millwav1.LotState_LOT_STATE_AVAILABLE,
	millwa.LotAllocated: millwav1.LotState_LOT_STATE_ALLOCATED,
	millwa.LotSold:      millwav1.LotState_LOT_STATE_SOLD,
	millwa.LotWithdrawn: millwav1.LotState_LOT_STATE_WITHDRAWN,
}

// lotList is what ListLots filters and orders by.
var lotList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"quality_group": millwa.StringField, "declared_quality_group": millwa.StringField,
		"colour": millwa.StringField, "breed": millwa.StringField, "standard": millwa.StringField,
		"classifier": millwa.StringField, "state": millwa.EnumField, "region": millwa.StringField,
		"campaign": millwa.IntField, "discrepancy": millwa.BoolField, "ask_price_per_kg": millwa.IntField,
		"net_weight_grams": millwa.IntField, "create_time": millwa.TimeField,
	},
	Order:        []string{"create_time", "campaign", "ask_price_per_kg", "net_weight_grams"},
	DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
}

// CreateLot records a graded lot with its members' contributions.
func (s *Server) CreateLot(ctx context.Context, req *millwav1.CreateLotRequest) (*millwav1.CreateLotResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	ids, err := millwa.ParseName("parent", req.GetParent(), associationsCollection)
	if err != nil {
		return nil, err
	}
	l := s.lotFromProto(&vs, req.GetLot(), "lot", ids[0])
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, func() *millwav1.CreateLotResponse { return &millwav1.CreateLotResponse{} },
		func(tx *store.Tx) (*millwav1.CreateLotResponse, []rpc.Event, error) {
			created, trades, err := s.createLots(ctx, tx, []millwa.Lot{l}, []string{"lot"})
			if err != nil {
				return nil, nil, err
			}
			resp := &millwav1.CreateLotResponse{Lot: s.lotToProto(&created[0], true)}
			return resp, lotEvents(created, trades), nil
		})
}

// BatchCreateLots records up to 500 lots of one association, all or none.
func (s *Server) BatchCreateLots(ctx context.Context, req *millwav1.BatchCreateLotsRequest) (*millwav1.BatchCreateLotsResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	ids, err := millwa.ParseName("parent", req.GetParent(), associationsCollection)
	if err != nil {
		return nil, err
	}
	n := len(req.GetRequests())
	if n == 0 || n > MaxBatchLots {
		vs.Add("requests", "must hold 1 to %d lots, has %d: split larger imports into batches", MaxBatchLots, n)
		return nil, vs.Err()
	}
	lots := make([]millwa.Lot, n)
	fields := make([]string, n)
	for i, r := range req.GetRequests() {
		prefix := fmt.Sprintf("requests[%d]", i)
		if r.GetParent() != "" && r.GetParent() != req.GetParent() {
			vs.Add(prefix+".parent", "must be empty or the batch's parent %s", req.GetParent())
		}
		if r.GetRequestId() != "" {
			vs.Add(prefix+".request_id", "must be empty: the batch's request_id covers every lot")
		}
		fields[i] = prefix + ".lot"
		lots[i] = s.lotFromProto(&vs, r.GetLot(), fields[i], ids[0])
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, func() *millwav1.BatchCreateLotsResponse { return &millwav1.BatchCreateLotsResponse{} },
		func(tx *store.Tx) (*millwav1.BatchCreateLotsResponse, []rpc.Event, error) {
			created, trades, err := s.createLots(ctx, tx, lots, fields)
			if err != nil {
				return nil, nil, err
			}
			resp := &millwav1.BatchCreateLotsResponse{}
			for i := range created {
				resp.Lots = append(resp.Lots, s.lotToProto(&created[i], true))
			}
			return resp, lotEvents(created, trades), nil
		})
}

// createLots checks, in the transaction, that the association is the
// caller's and that every classifier and member belongs to it, inserts the
// lots, and matches them at once against the live purchase orders
// (continuous matching), returning the trades made. fields name each lot
// in the request, for errors.
func (s *Server) createLots(ctx context.Context, tx *store.Tx, lots []millwa.Lot, fields []string) ([]millwa.Lot, []millwa.Trade, error) {
	p, _ := auth.FromContext(ctx)
	a, err := tx.GetAssociation(ctx, p, lots[0].AssociationID)
	if err != nil {
		return nil, nil, err
	}
	var vs millwa.Violations
	out := make([]millwa.Lot, len(lots))
	for i, l := range lots {
		ok, err := tx.ClassifierExists(ctx, a.ID, l.ClassifierID)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			vs.Add(fields[i]+".classifier", "is not a classifier of associations/%s: register them first", a.ID)
		}
		memberIDs := make([]string, len(l.Contributions))
		for j, c := range l.Contributions {
			memberIDs[j] = c.MemberID
		}
		missing, err := tx.MissingMembers(ctx, a.ID, memberIDs)
		if err != nil {
			return nil, nil, err
		}
		for j, c := range l.Contributions {
			if slices.Contains(missing, c.MemberID) {
				vs.Add(fmt.Sprintf("%s.contributions[%d].member", fields[i], j), "is not a member of associations/%s: register them first", a.ID)
			}
		}
		out[i] = l
		out[i].Ubigeo = a.Ubigeo
	}
	if err := vs.Err(); err != nil {
		return nil, nil, err
	}
	created := make([]*millwa.Lot, len(out))
	for i := range out {
		if err := tx.CreateLot(ctx, &out[i]); err != nil {
			return nil, nil, err
		}
		created[i] = &out[i]
	}
	if !s.continuous {
		return out, nil, nil
	}
	trades, err := allocation.MatchLots(ctx, tx, created)
	if err != nil {
		return nil, nil, err
	}
	return out, trades, nil
}

// lotEvents are the audit events of new lots and of the trades continuous
// matching made of them.
func lotEvents(lots []millwa.Lot, trades []millwa.Trade) []rpc.Event {
	events := make([]rpc.Event, 0, len(lots)+len(trades))
	for _, l := range lots {
		events = append(events, rpc.Event{Resource: lotName(&l), Action: "create", Region: l.Ubigeo})
	}
	for _, tr := range trades {
		events = append(events, rpc.Event{Resource: millwa.TradeName(tr.ID), Action: "match", Region: tr.OriginUbigeo})
	}
	return events
}

// GetLot returns one lot, as the caller may see it.
func (s *Server) GetLot(ctx context.Context, req *millwav1.GetLotRequest) (*millwav1.GetLotResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	l, err := s.visibleLot(ctx, p, req.GetName())
	if err != nil {
		return nil, err
	}
	return &millwav1.GetLotResponse{Lot: s.lotToProto(&l, p.Role != millwa.RoleProcessor)}, nil
}

// visibleLot reads the lot a name gives, if the caller may see it.
func (s *Server) visibleLot(ctx context.Context, p millwa.Principal, name string) (millwa.Lot, error) {
	ids, err := millwa.ParseName("name", name, associationsCollection, "lots")
	if err != nil {
		return millwa.Lot{}, err
	}
	l, err := s.store.GetLot(ctx, p, ids[1])
	if err == nil && l.AssociationID != ids[0] {
		err = millwa.Errorf(millwa.NotFound, "lot %s not found", ids[1])
	}
	return l, err
}

// ListLots lists lots of one association, or of every association visible
// to the caller with parent "associations/-".
func (s *Server) ListLots(ctx context.Context, req *millwav1.ListLotsRequest) (*millwav1.ListLotsResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	associationID := ""
	if req.GetParent() != "associations/-" {
		ids, err := millwa.ParseName("parent", req.GetParent(), associationsCollection)
		if err != nil {
			return nil, err
		}
		if _, err := s.store.GetAssociation(ctx, p, ids[0]); err != nil {
			return nil, err
		}
		associationID = ids[0]
	}
	lr := millwa.ListRequest{Parent: req.GetParent(), PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter(), OrderBy: req.GetOrderBy()}
	q, err := millwa.ParseList(lr, lotList)
	if err != nil {
		return nil, err
	}
	for i, c := range q.Conditions {
		switch c.Field {
		case "discrepancy":
			if p.Role == millwa.RoleProcessor {
				return nil, millwa.FilterError("discrepancy is the association's internal finding: processors cannot filter on it")
			}
		case "state":
			st := millwa.LotState(strings.TrimPrefix(strings.ToUpper(c.Str), "LOT_STATE_"))
			if _, ok := lotStates[st]; !ok {
				return nil, millwa.FilterError("state takes AVAILABLE, ALLOCATED, SOLD or WITHDRAWN")
			}
			q.Conditions[i].Str = string(st)
		case "classifier":
			ids, err := millwa.ParseName("filter", c.Str, associationsCollection, "classifiers")
			if err != nil {
				return nil, millwa.FilterError("classifier takes a classifier's name, associations/{a}/classifiers/{c}")
			}
			q.Conditions[i].Str = ids[1]
		case "standard":
			q.Conditions[i].Str = strings.TrimPrefix(c.Str, "standards/")
		}
	}
	page, err := s.store.ListLots(ctx, p, associationID, q)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListLotsResponse{NextPageToken: lr.NextPageToken(page.Next)}
	for i := range page.Items {
		resp.Lots = append(resp.Lots, s.lotToProto(&page.Items[i], p.Role != millwa.RoleProcessor))
	}
	return resp, nil
}

// WithdrawLot takes an available lot off the market.
func (s *Server) WithdrawLot(ctx context.Context, req *millwav1.WithdrawLotRequest) (*millwav1.WithdrawLotResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	ids, err := millwa.ParseName("name", req.GetName(), associationsCollection, "lots")
	if err != nil {
		return nil, err
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, func() *millwav1.WithdrawLotResponse { return &millwav1.WithdrawLotResponse{} },
		func(tx *store.Tx) (*millwav1.WithdrawLotResponse, []rpc.Event, error) {
			l, err := tx.GetLot(ctx, p, ids[1])
			if err == nil && l.AssociationID != ids[0] {
				err = millwa.Errorf(millwa.NotFound, "lot %s not found", ids[1])
			}
			if err != nil {
				return nil, nil, err
			}
			if e := req.GetEtag(); e != "" && e != millwa.Etag(l.Revision) {
				return nil, nil, millwa.Errorf(millwa.Aborted, "%s changed since etag %q was read: read it again", req.GetName(), e)
			}
			if err := l.CanWithdraw(); err != nil {
				return nil, nil, err
			}
			if err := tx.WithdrawLot(ctx, l.ID); err != nil {
				return nil, nil, err
			}
			if l, err = tx.GetLot(ctx, p, l.ID); err != nil {
				return nil, nil, err
			}
			resp := &millwav1.WithdrawLotResponse{Lot: s.lotToProto(&l, true)}
			return resp, []rpc.Event{{Resource: resp.Lot.Name, Action: "withdraw", Region: l.Ubigeo}}, nil
		})
}

// lotFromProto validates a lot of a create request and returns it graded:
// codes against its standard, names within the association, measurements
// through the grading engine. Violations go to vs under prefix.
func (s *Server) lotFromProto(vs *millwa.Violations, pl *millwav1.Lot, prefix, associationID string) millwa.Lot {
	if pl == nil {
		vs.Add(prefix, "is required")
		return millwa.Lot{}
	}
	now := time.Now()
	l := millwa.Lot{
		AssociationID: associationID, Campaign: int(pl.GetCampaign()), Breed: pl.GetBreed(), Colour: pl.GetColour(),
		DeclaredGroup: pl.GetDeclaredQualityGroup(), NetWeightGrams: pl.GetNetWeightGrams(),
		CollectionPoint: pl.GetCollectionPoint(), LotNumber: pl.GetLotNumber(), ClassificationDate: pl.GetClassificationDate(),
		AskPricePerKg: pl.GetAskPricePerKg(), Currency: pl.GetCurrencyCode(),
	}
	for i, c := range pl.GetContributions() {
		ids, err := millwa.ParseName("member", c.GetMember(), associationsCollection, "members")
		if err != nil || ids[0] != associationID {
			vs.Add(fmt.Sprintf("%s.contributions[%d].member", prefix, i), "must be a member of the lot's association, associations/%s/members/{id}", associationID)
			ids = []string{"", c.GetMember()}
		}
		l.Contributions = append(l.Contributions, millwa.Contribution{MemberID: ids[1], Grams: c.GetGrams()})
	}
	l.Normalize(now)
	l.Check(vs, prefix, now)

	st, ok := s.standards.GradingStandard(pl.GetStandard())
	if !ok {
		vs.Add(prefix+".standard", "must name a standard with quality groups, for example standards/%s", s.standards.DefaultID())
		return l
	}
	l.Standard = st.ID
	if !st.HasBreed(l.Breed) {
		vs.Add(prefix+".breed", "must be a breed of %s: %s", st.ID, st.BreedCodes())
	}
	if !st.HasColour(l.Colour) {
		vs.Add(prefix+".colour", "must be a colour code of %s: %s", st.ID, st.ColourCodes())
	}
	if !st.HasGroup(l.DeclaredGroup) {
		vs.Add(prefix+".declared_quality_group", "must be a quality group of %s: %s", st.ID, st.GroupCodes())
	}
	if ids, err := millwa.ParseName(prefix+".classifier", pl.GetClassifier(), associationsCollection, "classifiers"); err != nil || ids[0] != associationID {
		vs.Add(prefix+".classifier", "must be a classifier of the lot's association, associations/%s/classifiers/{id}", associationID)
	} else {
		l.ClassifierID = ids[1]
	}

	l.MarketGroup = l.DeclaredGroup
	m := pl.GetMeasurement()
	if m == nil || !st.HasGroup(l.DeclaredGroup) {
		return l
	}
	sample := gradingsvc.SampleFromProto(m)
	if sample.Breed == "" {
		sample.Breed = l.Breed
	}
	g, err := st.Grade(sample)
	var in *grading.InputError
	if errors.As(err, &in) {
		for _, v := range in.Violations {
			vs.Add(prefix+".measurement"+strings.TrimPrefix(v.Field, "sample"), "%s", v.Description)
		}
		return l
	}
	if err != nil {
		vs.Add(prefix+".measurement", "%s", err.Error())
		return l
	}
	l.Measurement = measurementFromSample(sample)
	l.MeasuredGroup, l.MarketGroup = g.QualityGroup, g.QualityGroup
	l.Discrepancy = g.QualityGroup != l.DeclaredGroup && !slices.Contains(g.Alternatives, l.DeclaredGroup)
	gp := &millwav1.Grade{
		Standard: "standards/" + g.Standard, QualityGroup: g.QualityGroup, QualityGroupName: gradingsvc.TextToProto(g.QualityGroupName),
		Metrics: gradingsvc.MetricsToProto(g.Metrics), Borderline: g.Borderline, Alternatives: g.Alternatives,
		Explanation: gradingsvc.TextToProto(g.Explanation),
	}
	b, _ := protojson.Marshal(gp)
	l.Grading = string(b)
	return l
}

func measurementFromSample(s grading.Sample) *millwa.Measurement {
	m := &millwa.Measurement{MeanFiberDiameterUm: s.MeanFiberDiameterUm, SDUm: s.SDUm, FibersMeasured: s.FibersMeasured, StapleLengthMm: s.StapleLengthMm}
	if h := s.Histogram; h != nil {
		m.HistogramStartUm, m.HistogramWidthUm, m.HistogramCounts = h.StartUm, h.WidthUm, h.Counts
	}
	return m
}

func lotName(l *millwa.Lot) string {
	return associationsCollection + "/" + l.AssociationID + "/lots/" + l.ID
}

// lotToProto is the API's form of a lot. full is false for processors, who
// see neither the members' contributions nor the discrepancy finding.
func (s *Server) lotToProto(l *millwa.Lot, full bool) *millwav1.Lot {
	assoc := associationsCollection + "/" + l.AssociationID
	p := &millwav1.Lot{
		Name: lotName(l), Standard: "standards/" + l.Standard, Campaign: int32(l.Campaign), Breed: l.Breed,
		Colour: l.Colour, DeclaredQualityGroup: l.DeclaredGroup, Classifier: assoc + "/classifiers/" + l.ClassifierID,
		NetWeightGrams: l.NetWeightGrams, CollectionPoint: l.CollectionPoint, AskPricePerKg: l.AskPricePerKg,
		CurrencyCode: l.Currency, LotNumber: l.LotNumber, ClassificationDate: l.ClassificationDate,
		MarketQualityGroup: l.MarketGroup, State: lotStates[l.State], AllocatedGrams: l.AllocatedGrams,
		Ubigeo: l.Ubigeo, CreateTime: timestamppb.New(l.CreateTime), UpdateTime: timestamppb.New(l.UpdateTime),
		Etag: millwa.Etag(l.Revision),
	}
	if g := groupOf(s.standards, l.Standard, l.MarketGroup); g != nil {
		p.MarketQualityGroupName = gradingsvc.TextToProto(g.Name)
	}
	if m := l.Measurement; m != nil {
		p.Measurement = &millwav1.FiberSample{
			Breed: l.Breed, MeanFiberDiameterUm: m.MeanFiberDiameterUm, SdUm: m.SDUm,
			FibersMeasured: m.FibersMeasured, StapleLengthMm: m.StapleLengthMm,
		}
		if len(m.HistogramCounts) > 0 {
			p.Measurement.Histogram = &millwav1.DiameterHistogram{StartUm: m.HistogramStartUm, WidthUm: m.HistogramWidthUm, Counts: m.HistogramCounts}
		}
	}
	if l.Grading != "" {
		var g millwav1.Grade
		if protojson.Unmarshal([]byte(l.Grading), &g) == nil {
			p.MeasuredGrade = &g
		}
	}
	if !full {
		return p
	}
	for _, c := range l.Contributions {
		p.Contributions = append(p.Contributions, &millwav1.Contribution{Member: assoc + "/members/" + c.MemberID, Grams: c.Grams})
	}
	p.Discrepancy = l.Discrepancy
	if l.Discrepancy {
		p.DiscrepancyExplanation = &millwav1.LocalizedText{
			Es: fmt.Sprintf("Declarado %s por el clasificador; la medición lo ubica en %s, fuera de su incertidumbre: se vende como %s.", l.DeclaredGroup, l.MeasuredGroup, l.MarketGroup),
			En: fmt.Sprintf("Declared %s by the classifier; the measurement puts it in %s, beyond its uncertainty: it sells as %s.", l.DeclaredGroup, l.MeasuredGroup, l.MarketGroup),
		}
	}
	return p
}

// groupOf returns the quality group with the given code of a standard, the
// short-fibre group included, or nil. It never writes to the standard,
// which every call shares.
func groupOf(standards *grading.Registry, standard, code string) *grading.QualityGroup {
	st, ok := standards.Get(standard)
	if !ok {
		return nil
	}
	for i := range st.QualityGroups {
		if st.QualityGroups[i].Code == code {
			return &st.QualityGroups[i]
		}
	}
	if g := st.ShortFiberGroup; g != nil && g.Code == code {
		return g
	}
	return nil
}
