package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// MaxBatchLots bounds BatchCreateLots.
const MaxBatchLots = 500

// lotList is what ListLots filters and orders by; it searches lot numbers
// and members' names and DNIs.
var lotList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"quality_group": millwa.StringField, "declared_quality_group": millwa.StringField,
		"colour": millwa.StringField, "breed": millwa.StringField, "standard": millwa.StringField,
		"classifier": millwa.StringField, "state": millwa.EnumField, "region": millwa.StringField,
		"campaign": millwa.IntField, "discrepancy": millwa.BoolField, "ask_price_per_kg": millwa.IntField,
		"net_weight_grams": millwa.IntField, "offered_grams": millwa.IntField, "create_time": millwa.TimeField, "lot_number": millwa.StringField,
	},
	Order:        []string{"create_time", "campaign", "ask_price_per_kg", "net_weight_grams", "lot_number"},
	DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
	Search:       true,
}

// CreateLot records a graded lot with its members' contributions. A lot
// number another lot of the association holds in the same campaign answers
// AlreadyExists naming that lot.
func (s *Server) CreateLot(ctx context.Context, req *millwav1.CreateLotRequest) (*millwav1.CreateLotResponse, error) {
	var vs millwa.Violations
	parent, err := lotsParent(ctx, &vs, req)
	if err != nil {
		return nil, err
	}
	l := s.lotFromProto(&vs, req.GetLot(), "lot", parent)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	resp, err := rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.CreateLotResponse, []rpc.Event, error) {
		created, trades, err := s.createLots(ctx, tx, []millwa.Lot{l}, []string{"lot"})
		if err != nil {
			return nil, nil, err
		}
		pl, err := s.lotToProto(&created[0], true)
		return &millwav1.CreateLotResponse{Lot: pl}, lotEvents(created, trades), err
	})
	return resp, s.nameNumberHolder(ctx, err, []millwa.Lot{l}, []string{"lot"})
}

// BatchCreateLots records up to 500 lots of one association, all or none.
// Two lots of the batch with the same number in the same campaign are
// refused as invalid, the later one named.
func (s *Server) BatchCreateLots(ctx context.Context, req *millwav1.BatchCreateLotsRequest) (*millwav1.BatchCreateLotsResponse, error) {
	var vs millwa.Violations
	parent, err := lotsParent(ctx, &vs, req)
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
		lots[i] = s.lotFromProto(&vs, r.GetLot(), fields[i], parent)
	}
	checkBatchNumbers(&vs, lots, fields)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	resp, err := rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.BatchCreateLotsResponse, []rpc.Event, error) {
		created, trades, err := s.createLots(ctx, tx, lots, fields)
		if err != nil {
			return nil, nil, err
		}
		resp := &millwav1.BatchCreateLotsResponse{Lots: make([]*millwav1.Lot, len(created))}
		for i := range created {
			if resp.Lots[i], err = s.lotToProto(&created[i], true); err != nil {
				return nil, nil, err
			}
		}
		return resp, lotEvents(created, trades), nil
	})
	return resp, s.nameNumberHolder(ctx, err, lots, fields)
}

// lotsParent admits the caller of a request creating lots, checks its
// request_id into vs and returns the id of the association its parent
// names.
func lotsParent(ctx context.Context, vs *millwa.Violations, req interface {
	rpc.Request
	GetParent() string
}) (string, error) {
	if _, err := rpc.Require(ctx); err != nil {
		return "", err
	}
	millwa.CheckRequestID(vs, req.GetRequestId())
	ids, err := millwa.ParseName("parent", req.GetParent(), associationsCollection)
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// createLots checks, in the transaction, that the association is the
// caller's and that every classifier and member belongs to it, inserts the
// lots, and matches them at once against the live purchase orders
// (continuous matching), returning the trades made. fields name each lot
// in the request, for errors.
func (s *Server) createLots(ctx context.Context, tx *store.Tx, lots []millwa.Lot, fields []string) ([]millwa.Lot, []millwa.Trade, error) {
	p := rpc.Principal(ctx)
	memberIDs := func(l *millwa.Lot) []string {
		ids := make([]string, len(l.Contributions))
		for j, c := range l.Contributions {
			ids[j] = c.MemberID
		}
		return ids
	}
	// The association comes with the first lot's references, in one query.
	a, ok, missing, err := tx.LotAssociation(ctx, p, lots[0].AssociationID, lots[0].ClassifierID, memberIDs(&lots[0]))
	if err != nil {
		return nil, nil, err
	}
	var vs millwa.Violations
	out := make([]millwa.Lot, len(lots))
	for i, l := range lots {
		if i > 0 {
			if ok, missing, err = tx.MissingLotReferences(ctx, a.ID, l.ClassifierID, memberIDs(&l)); err != nil {
				return nil, nil, err
			}
		}
		if !ok {
			vs.Add(fields[i]+".classifier", "is not a classifier of associations/%s: register them first", a.ID)
		} else if l.Measurement == nil {
			// A suspended classifier's declaration alone does not list a
			// lot (the sanctions ladder).
			suspended, err := rpc.Suspended(ctx, tx, l.ClassifierID)
			if err != nil {
				return nil, nil, err
			}
			if suspended {
				return nil, nil, rpc.ErrSuspended("associations/" + a.ID + "/classifiers/" + l.ClassifierID)
			}
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
	if err := tx.UseSources(ctx, out, fields); err != nil {
		return nil, nil, err
	}
	for i := range out {
		if len(out[i].Sources) > 0 {
			out[i].DeriveContributions()
		}
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
	full := rpc.Principal(ctx).Role != millwa.RoleProcessor
	read := s.visibleLot(ctx)
	if full {
		// The lot, its contributions and its sources in one query.
		read = func(p millwa.Principal, ids []string) (millwa.Lot, error) {
			return readLot(ctx, lotWithSources{s.store}, p, ids)
		}
	}
	l, err := rpc.Get(ctx, req.GetName(), lotCollections, read)
	if err != nil {
		return nil, err
	}
	pl, err := s.lotToProto(&l, full)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetLotResponse{Lot: pl}, nil
}

// lotCollections are the collections of a lot's name.
var lotCollections = []string{associationsCollection, "lots"}

// visibleLot reads the lot of a parsed name, if the caller may see it.
func (s *Server) visibleLot(ctx context.Context) func(p millwa.Principal, ids []string) (millwa.Lot, error) {
	return func(p millwa.Principal, ids []string) (millwa.Lot, error) { return readLot(ctx, s.store, p, ids) }
}

// lotWithSources reads lots with their sources, for readLot.
type lotWithSources struct{ s *store.Store }

func (r lotWithSources) GetLot(ctx context.Context, p millwa.Principal, id string) (millwa.Lot, error) {
	return r.s.GetLotWithSources(ctx, p, id)
}

// readLot reads, from a store or in a transaction, the lot whose name has
// the ids given, as p may see it: a lot read under another association's
// name answers as a missing one.
func readLot(ctx context.Context, r interface {
	GetLot(context.Context, millwa.Principal, string) (millwa.Lot, error)
}, p millwa.Principal, ids []string) (millwa.Lot, error) {
	l, err := r.GetLot(ctx, p, ids[1])
	if err == nil && l.AssociationID != ids[0] {
		err = millwa.Errorf(millwa.NotFound, "lot %s not found", ids[1])
	}
	return l, err
}

// lots lists lots of one association, or of every association the caller
// may see when associationID is "".
func (s *Server) lots(ctx context.Context, associationID string) rpc.Lister[millwa.Lot, *millwav1.Lot] {
	return rpc.Lister[millwa.Lot, *millwav1.Lot]{
		Spec: lotList,
		Refine: func(p millwa.Principal, q *millwa.ListQuery) error {
			for i, c := range q.Conditions {
				switch c.Field {
				case "discrepancy":
					if p.Role == millwa.RoleProcessor {
						return millwa.FilterError("discrepancy is the association's internal finding: processors cannot filter on it")
					}
				case "state":
					st, ok := millwa.ParseLotState(c.Str)
					if !ok {
						return millwa.FilterError("state takes AVAILABLE, ALLOCATED, SOLD or WITHDRAWN")
					}
					q.Conditions[i].Str = string(st)
				case "standard":
					q.Conditions[i].Str = strings.TrimPrefix(c.Str, "standards/")
				}
			}
			return rpc.FilterNames(q, map[string][]string{"classifier": {associationsCollection, classifiersCollection}})
		},
		Read: func(ctx context.Context, p millwa.Principal, q millwa.ListQuery) (millwa.Page[millwa.Lot], error) {
			if p.Role == millwa.RoleProcessor {
				// A processor browses what is on offer, which tolerates
				// the bounded staleness of a standby; an association
				// lists its own lots, which it may have just changed.
				return s.store.StaleRead().ListLots(ctx, p, associationID, q)
			}
			page, err := s.store.ListLots(ctx, p, associationID, q)
			if err == nil && p.Role != millwa.RoleProcessor {
				err = s.store.LoadLotSources(ctx, page.Items)
			}
			return page, err
		},
		Show: func(p millwa.Principal, l *millwa.Lot) (*millwav1.Lot, error) {
			return s.lotToProto(l, p.Role != millwa.RoleProcessor)
		},
	}
}

// ListLots lists lots of one association, or of every association visible
// to the caller with parent "associations/-".
func (s *Server) ListLots(ctx context.Context, req *millwav1.ListLotsRequest) (*millwav1.ListLotsResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	associationID, err := rpc.ListParent(ctx, p, req.GetParent(), associationsCollection, s.store.GetAssociation)
	if err != nil {
		return nil, err
	}
	items, next, err := s.lots(ctx, associationID).List(ctx, p, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListLotsResponse{Lots: items, NextPageToken: next}, nil
}

// WithdrawLot takes what is left of a lot on offer off the market: the
// whole of a lot with nothing allocated, the unallocated rest of an
// allocated one, whose trades stand.
func (s *Server) WithdrawLot(ctx context.Context, req *millwav1.WithdrawLotRequest) (*millwav1.WithdrawLotResponse, error) {
	p, ids, err := rpc.Change(ctx, req, req.GetName(), lotCollections...)
	if err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.WithdrawLotResponse, []rpc.Event, error) {
		l, err := readLot(ctx, tx, p, ids)
		if err != nil {
			return nil, nil, err
		}
		if err := rpc.CheckEtag(req.GetName(), req.GetEtag(), millwa.Etag(l.Revision)); err != nil {
			return nil, nil, err
		}
		if err := l.Withdraw(); err != nil {
			return nil, nil, err
		}
		if err := tx.WithdrawLot(ctx, &l); err != nil {
			return nil, nil, err
		}
		if l, err = tx.GetLot(ctx, p, l.ID); err != nil {
			return nil, nil, err
		}
		pl, err := s.lotToProto(&l, true)
		return &millwav1.WithdrawLotResponse{Lot: pl}, []rpc.Event{{Resource: lotName(&l), Action: "withdraw", Region: l.Ubigeo}}, err
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
	for i, src := range pl.GetSources() {
		f := fmt.Sprintf("%s.sources[%d].receipt", prefix, i)
		l.Sources = append(l.Sources, millwa.Source{ReceiptID: childID(vs, f, src.GetReceipt(), associationID, receiptsCollection), Grams: src.GetGrams()})
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

	st, ok := s.standards.MarketStandard(pl.GetStandard())
	if !ok {
		vs.Add(prefix+".standard", "must name a standard with quality groups or fleece categories, for example standards/%s", s.standards.DefaultID())
		return l
	}
	l.Standard = st.ID
	if !st.HasBreed(l.Breed) {
		vs.Add(prefix+".breed", "must be a breed of %s: %s", st.ID, st.BreedCodes())
	}
	if !st.HasColour(l.Colour) {
		vs.Add(prefix+".colour", "must be a colour code of %s: %s", st.ID, st.ColourCodes())
	}
	if !st.HasMarketCode(l.DeclaredGroup) {
		vs.Add(prefix+".declared_quality_group", "must be a quality group (or, under a standard of whole fleeces, a fleece category) of %s: %s", st.ID, st.MarketCodes())
	}
	if pl.GetMeasurement() != nil && !st.HasGroup(l.DeclaredGroup) && st.HasCategories() {
		vs.Add(prefix+".measurement", "must be absent for a lot of whole fleeces: its category is the classifier's")
	}
	if ids, err := millwa.ParseName(prefix+".classifier", pl.GetClassifier(), associationsCollection, "classifiers"); err != nil || ids[0] != associationID {
		vs.Add(prefix+".classifier", "must be a classifier of the lot's association, associations/%s/classifiers/{id}", associationID)
	} else {
		l.ClassifierID = ids[1]
	}

	l.MarketGroup = l.DeclaredGroup
	if m := pl.GetMeasurement(); m != nil && st.HasGroup(l.DeclaredGroup) {
		gradeLot(vs, prefix+".measurement", st, rpc.SampleFromProto(m), &l)
	}
	return l
}

// gradeLot grades the lot's measured sample, recording violations of the
// measurement under field, and sets the lot's measurement, grade, market
// group and discrepancy: a measured group that the sample's interval does
// not share with the declared one.
func gradeLot(vs *millwa.Violations, field string, st *grading.Standard, sample grading.Sample, l *millwa.Lot) {
	if sample.Breed == "" {
		sample.Breed = l.Breed
	}
	g, err := st.Grade(sample)
	if rpc.AddGradeViolations(vs, field, err) {
		return
	}
	if err == nil {
		l.Grading, err = rpc.EncodeGrade(g)
	}
	if err != nil {
		vs.Add(field, "%s", err.Error())
		return
	}
	if g.OutOfScale != grading.InScale {
		// An out-of-scale fibre has no group of the standard to be sold as.
		vs.Add(field, "is out of the scale of %s: %s", st.ID, millwa.Localized(g.Explanation))
		return
	}
	measurement := rpc.MeasurementOf(sample)
	l.Measurement = &measurement
	l.MeasuredGroup, l.MarketGroup = g.QualityGroup, g.QualityGroup
	l.Discrepancy = g.QualityGroup != l.DeclaredGroup && !slices.Contains(g.Alternatives, l.DeclaredGroup)
}

func lotName(l *millwa.Lot) string {
	return millwa.LotName(l.AssociationID, l.ID)
}

// lotToProto is the API's form of a lot. full is false for processors, who
// see neither the members' contributions nor the discrepancy finding.
func (s *Server) lotToProto(l *millwa.Lot, full bool) (*millwav1.Lot, error) {
	assoc := associationsCollection + "/" + l.AssociationID
	p := &millwav1.Lot{
		Name: lotName(l), Standard: "standards/" + l.Standard, Campaign: int32(l.Campaign), Breed: l.Breed,
		Colour: l.Colour, DeclaredQualityGroup: l.DeclaredGroup, Classifier: assoc + "/" + classifiersCollection + "/" + l.ClassifierID,
		NetWeightGrams: l.NetWeightGrams, CollectionPoint: l.CollectionPoint, AskPricePerKg: l.AskPricePerKg,
		CurrencyCode: l.Currency, LotNumber: l.LotNumber, ClassificationDate: l.ClassificationDate,
		MarketQualityGroup: l.MarketGroup, State: rpc.EnumToProto[millwav1.LotState](millwav1.LotState_value, "LOT_STATE_", l.State), AllocatedGrams: l.AllocatedGrams,
		WithdrawnGrams: l.WithdrawnGrams,
		Ubigeo:         l.Ubigeo, CreateTime: timestamppb.New(l.CreateTime), UpdateTime: timestamppb.New(l.UpdateTime),
		Etag: millwa.Etag(l.Revision),
	}
	if g := groupOf(s.standards, l.Standard, l.MarketGroup); g != nil {
		p.MarketQualityGroupName = rpc.TextToProto(g.Name)
	} else if st, ok := s.standards.Get(l.Standard); ok && st.Category(l.MarketGroup) != nil {
		p.MarketQualityGroupName = rpc.TextToProto(st.Category(l.MarketGroup).Name)
	}
	if m := l.Measurement; m != nil {
		p.Measurement = rpc.MeasurementToProto(l.Breed, *m)
	}
	g, err := rpc.StoredGrade(l.Grading, p.Name)
	if err != nil {
		return nil, err
	}
	if g != nil {
		p.MeasuredGrade = rpc.GradeToProto(*g)
	}
	if !full {
		return p, nil
	}
	for _, c := range l.Contributions {
		p.Contributions = append(p.Contributions, &millwav1.Contribution{Member: memberName(l.AssociationID, c.MemberID), Grams: c.Grams})
	}
	for _, src := range l.Sources {
		p.Sources = append(p.Sources, &millwav1.LotSource{Receipt: millwa.ReceiptName(l.AssociationID, src.ReceiptID), Grams: src.Grams})
	}
	p.Discrepancy = l.Discrepancy
	if l.Discrepancy {
		p.DiscrepancyExplanation = &millwav1.LocalizedText{
			Es: fmt.Sprintf("Declarado %s por el clasificador; la medición lo ubica en %s, fuera de su incertidumbre: se vende como %s.", l.DeclaredGroup, l.MeasuredGroup, l.MarketGroup),
			En: fmt.Sprintf("Declared %s by the classifier; the measurement puts it in %s, beyond its uncertainty: it sells as %s.", l.DeclaredGroup, l.MeasuredGroup, l.MarketGroup),
		}
	}
	return p, nil
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
