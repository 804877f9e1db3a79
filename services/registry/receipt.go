package registry

import (
	"context"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const receiptsCollection = "receipts"

// receiptCollections are the collections of a receipt's name.
var receiptCollections = []string{associationsCollection, receiptsCollection}

// receiptList is what ListReceipts filters and orders by.
var receiptList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"member": millwa.StringField, "campaign": millwa.IntField, "collection_point": millwa.StringField,
		"state": millwa.EnumField, "receipt_number": millwa.IntField, "create_time": millwa.TimeField,
	},
	Order:        []string{"create_time", "receipt_number", "campaign"},
	DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
}

// CreateReceipt records one member's delivery at a collection point and
// numbers it.
func (s *Server) CreateReceipt(ctx context.Context, req *millwav1.CreateReceiptRequest) (*millwav1.CreateReceiptResponse, error) {
	var r millwa.Receipt
	return createIn(ctx, s, req, "receipts are member data: only admins and their association record them",
		func(vs *millwa.Violations, parent string) { r = s.receiptFromProto(vs, req.GetReceipt(), parent) },
		func(tx *store.Tx, a millwa.Association) (*millwav1.CreateReceiptResponse, string, error) {
			created := r
			created.AssociationID = a.ID
			var vs millwa.Violations
			if missing, err := tx.MissingMembers(ctx, a.ID, []string{created.MemberID}); err != nil {
				return nil, "", err
			} else if len(missing) > 0 {
				vs.Add("receipt.member", "is not a member of associations/%s: register them first", a.ID)
			}
			if ok, err := tx.ClassifierExists(ctx, a.ID, created.ClassifierID); err != nil {
				return nil, "", err
			} else if !ok {
				vs.Add("receipt.classifier", "is not a classifier of associations/%s: register them first", a.ID)
			}
			if err := vs.Err(); err != nil {
				return nil, "", err
			}
			if err := tx.CreateReceipt(ctx, &created); err != nil {
				return nil, "", err
			}
			created, err := tx.GetReceipt(ctx, rpc.Principal(ctx), created.ID)
			if err != nil {
				return nil, "", err
			}
			resp := &millwav1.CreateReceiptResponse{Receipt: receiptToProto(&created)}
			return resp, resp.Receipt.Name, nil
		})
}

// receiptFromProto validates the receipt of a create request: its codes
// against its standard, its member and classifier names within the
// association. A categorised receipt's one group is its category, holding
// the net weight.
func (s *Server) receiptFromProto(vs *millwa.Violations, p *millwav1.Receipt, associationID string) millwa.Receipt {
	const prefix = "receipt"
	if p == nil {
		vs.Add(prefix, "is required")
		return millwa.Receipt{}
	}
	rpc.OutputOnly(vs, prefix, p, "name", "receipt_number", "state", "create_time", "update_time", "etag")
	if len(p.GetUnusedGrams()) > 0 {
		vs.Add(prefix+".unused_grams", "is output only: leave it empty")
	}
	now := time.Now()
	r := millwa.Receipt{
		AssociationID: associationID, Campaign: int(p.GetCampaign()), CollectionPoint: p.GetCollectionPoint(),
		ReceiveDate: p.GetReceiveDate(), Breed: p.GetBreed(), Colour: p.GetColour(), FleeceCount: p.GetFleeceCount(),
		NetWeightGrams: p.GetNetWeightGrams(), FleeceCategory: p.GetFleeceCategory(), GroupGrams: map[string]int64{},
	}
	for code, g := range p.GetGroupGrams() {
		r.GroupGrams[code] = g
	}
	r.Normalize(now)
	r.Check(vs, prefix, now)
	r.MemberID = childID(vs, prefix+".member", p.GetMember(), associationID, membersCollection)
	r.ClassifierID = childID(vs, prefix+".classifier", p.GetClassifier(), associationID, classifiersCollection)

	st, ok := s.standards.MarketStandard(p.GetStandard())
	if !ok {
		vs.Add(prefix+".standard", "must name a standard with quality groups or fleece categories, for example standards/%s", s.standards.DefaultID())
		return r
	}
	r.Standard = st.ID
	if !st.HasBreed(r.Breed) {
		vs.Add(prefix+".breed", "must be a breed of %s: %s", st.ID, st.BreedCodes())
	}
	if !st.HasColour(r.Colour) {
		vs.Add(prefix+".colour", "must be a colour code of %s: %s", st.ID, st.ColourCodes())
	}
	if r.FleeceCategory != "" {
		if st.Category(r.FleeceCategory) == nil {
			vs.Add(prefix+".fleece_category", "must be a fleece category of %s: %s", st.ID, st.CategoryCodes())
		} else if len(r.GroupGrams) == 0 && r.NetWeightGrams > 0 {
			r.GroupGrams[r.FleeceCategory] = r.NetWeightGrams
		}
		return r
	}
	for _, code := range r.Codes() {
		if !st.HasGroup(code) {
			vs.Add(prefix+".group_grams["+strconv.Quote(code)+"]", "must be a quality group of %s: %s", st.ID, st.GroupCodes())
		}
	}
	return r
}

// childID returns the id of a resource of the association that name names
// in the collection, or records a violation of field and returns "".
func childID(vs *millwa.Violations, field, name, associationID, collection string) string {
	ids, err := millwa.ParseName(field, name, associationsCollection, collection)
	if err != nil || !strings.EqualFold(ids[0], associationID) {
		vs.Add(field, "must be one of the association's %s, associations/%s/%s/{id}", collection, associationID, collection)
		return ""
	}
	return ids[1]
}

// GetReceipt returns one receipt to admins and its association; any other
// caller gets NotFound.
func (s *Server) GetReceipt(ctx context.Context, req *millwav1.GetReceiptRequest) (*millwav1.GetReceiptResponse, error) {
	r, err := rpc.Get(ctx, req.GetName(), receiptCollections, func(p millwa.Principal, ids []string) (millwa.Receipt, error) {
		return readReceipt(ctx, s.store, p, ids)
	})
	if err != nil {
		return nil, err
	}
	return &millwav1.GetReceiptResponse{Receipt: receiptToProto(&r)}, nil
}

// readReceipt reads the receipt whose name has the ids given, as p may see
// it: a receipt read under another association's name answers as a
// missing one.
func readReceipt(ctx context.Context, r interface {
	GetReceipt(context.Context, millwa.Principal, string) (millwa.Receipt, error)
}, p millwa.Principal, ids []string) (millwa.Receipt, error) {
	rc, err := r.GetReceipt(ctx, p, ids[1])
	if err == nil && !strings.EqualFold(rc.AssociationID, ids[0]) {
		err = millwa.Errorf(millwa.NotFound, "receipt %s not found", ids[1])
	}
	return rc, err
}

// ListReceipts lists an association's receipts.
func (s *Server) ListReceipts(ctx context.Context, req *millwav1.ListReceiptsRequest) (*millwav1.ListReceiptsResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, "receipts are member data", millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	parent := parseParent(&vs, req.GetParent())
	if err := vs.Err(); err != nil {
		return nil, err
	}
	if _, err := s.store.GetAssociation(ctx, p, parent); err != nil {
		return nil, err
	}
	items, next, err := rpc.Lister[millwa.Receipt, *millwav1.Receipt]{
		Spec: receiptList,
		Refine: func(_ millwa.Principal, q *millwa.ListQuery) error {
			for i, c := range q.Conditions {
				if c.Field == "state" {
					st, ok := millwa.ParseReceiptState(c.Str)
					if !ok {
						return millwa.FilterError("state takes ACTIVE or VOIDED")
					}
					q.Conditions[i].Str = string(st)
				}
			}
			return rpc.FilterNames(q, map[string][]string{"member": {associationsCollection, membersCollection}})
		},
		Read: func(ctx context.Context, p millwa.Principal, q millwa.ListQuery) (millwa.Page[millwa.Receipt], error) {
			return s.store.ListReceipts(ctx, p, parent, q)
		},
		Show: rpc.Plain(receiptToProto),
	}.List(ctx, p, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListReceiptsResponse{Receipts: items, NextPageToken: next}, nil
}

// VoidReceipt cancels a receipt none of whose grams is in a lot.
func (s *Server) VoidReceipt(ctx context.Context, req *millwav1.VoidReceiptRequest) (*millwav1.VoidReceiptResponse, error) {
	p, ids, err := rpc.Change(ctx, req, req.GetName(), receiptCollections...)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, "receipts are member data", millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.VoidReceiptResponse, []rpc.Event, error) {
		r, err := readReceipt(ctx, tx, p, ids)
		if err != nil {
			return nil, nil, err
		}
		if err := rpc.CheckEtag(req.GetName(), req.GetEtag(), millwa.Etag(r.Revision)); err != nil {
			return nil, nil, err
		}
		if err := r.CanVoid(); err != nil {
			return nil, nil, err
		}
		if err := tx.VoidReceipt(ctx, r.ID); err != nil {
			return nil, nil, err
		}
		if r, err = tx.GetReceipt(ctx, p, r.ID); err != nil {
			return nil, nil, err
		}
		a, err := tx.GetAssociation(ctx, p, r.AssociationID)
		if err != nil {
			return nil, nil, err
		}
		pr := receiptToProto(&r)
		return &millwav1.VoidReceiptResponse{Receipt: pr}, []rpc.Event{{Resource: pr.Name, Action: "void", Region: a.Ubigeo}}, nil
	})
}

// receiptToProto is the API's form of a receipt.
func receiptToProto(r *millwa.Receipt) *millwav1.Receipt {
	assoc := associationsCollection + "/" + r.AssociationID
	p := &millwav1.Receipt{
		Name: millwa.ReceiptName(r.AssociationID, r.ID), Member: memberName(r.AssociationID, r.MemberID),
		Standard: "standards/" + r.Standard, Campaign: int32(r.Campaign), CollectionPoint: r.CollectionPoint,
		ReceiveDate: r.ReceiveDate, Breed: r.Breed, Colour: r.Colour, FleeceCount: r.FleeceCount,
		NetWeightGrams: r.NetWeightGrams, Classifier: assoc + "/" + classifiersCollection + "/" + r.ClassifierID,
		FleeceCategory: r.FleeceCategory, ReceiptNumber: r.Number, UnusedGrams: map[string]int64{},
		MemberDisplayName: r.MemberDisplayName, SlipPdfPath: "/v1/" + millwa.ReceiptName(r.AssociationID, r.ID) + "/slip.pdf",
		State:      rpc.EnumToProto[millwav1.ReceiptState](millwav1.ReceiptState_value, "RECEIPT_STATE_", r.State),
		CreateTime: timestamppb.New(r.CreateTime), UpdateTime: timestamppb.New(r.UpdateTime), Etag: millwa.Etag(r.Revision),
	}
	if r.FleeceCategory == "" {
		p.GroupGrams = map[string]int64{}
		for code, g := range r.GroupGrams {
			p.GroupGrams[code] = g
		}
	}
	for code, g := range r.UnusedGrams {
		p.UnusedGrams[code] = g
	}
	return p
}
