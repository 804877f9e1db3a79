package observatory

import (
	"context"
	"strings"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// agenciesCollection is the collection of reference prices' parents.
const agenciesCollection = "agencies"

var (
	kindToProto = map[millwa.ReferencePriceKind]millwav1.ReferencePriceKind{
		millwa.KindFarmGate:     millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE,
		millwa.KindIntermediary: millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_INTERMEDIARY,
	}
	kindFromProto = map[millwav1.ReferencePriceKind]millwa.ReferencePriceKind{
		millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE:    millwa.KindFarmGate,
		millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_INTERMEDIARY: millwa.KindIntermediary,
	}
	unitToProto = map[millwa.PriceUnit]millwav1.PriceUnit{
		millwa.UnitKilogram: millwav1.PriceUnit_PRICE_UNIT_KILOGRAM,
		millwa.UnitPound:    millwav1.PriceUnit_PRICE_UNIT_POUND,
		millwa.UnitQuintal:  millwav1.PriceUnit_PRICE_UNIT_QUINTAL,
	}
	unitFromProto = map[millwav1.PriceUnit]millwa.PriceUnit{
		millwav1.PriceUnit_PRICE_UNIT_KILOGRAM: millwa.UnitKilogram,
		millwav1.PriceUnit_PRICE_UNIT_POUND:    millwa.UnitPound,
		millwav1.PriceUnit_PRICE_UNIT_QUINTAL:  millwa.UnitQuintal,
	}
)

// RecordReferencePrice records a price an agency surveyed in one of its
// regions, with an audit event, in one transaction.
func (s *Server) RecordReferencePrice(ctx context.Context, req *millwav1.RecordReferencePriceRequest) (*millwav1.RecordReferencePriceResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, "surveyed prices are recorded by agencies", millwa.RoleAdmin, millwa.RoleAgency); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	parent, err := millwa.ParseName("parent", req.GetParent(), agenciesCollection)
	if err != nil {
		return nil, err
	}
	in := req.GetReferencePrice()
	if in == nil {
		vs.Add("reference_price", "is required")
		return nil, vs.Err()
	}
	r := millwa.ReferencePrice{
		Region: in.GetRegion(), Place: in.GetPlace(), ObserveDate: in.GetObserveDate(), Code: strings.TrimSpace(in.GetQualityGroup()),
		Kind: kindFromProto[in.GetKind()], Price: in.GetPrice(), Unit: unitFromProto[in.GetUnit()], Currency: in.GetCurrencyCode(),
		SourceNote: in.GetSourceNote(),
	}
	r.Normalize()
	r.Check(&vs, "reference_price", s.now())
	if st, ok := s.standard(&vs, "reference_price.standard", in.GetStandard()); ok {
		r.Standard = st.ID
		if r.Code == "" {
			vs.Add("reference_price.quality_group", "is required: a quality group or fleece category of %s: %s", st.ID, st.MarketCodes())
		} else if !st.HasMarketCode(r.Code) {
			vs.Add("reference_price.quality_group", "%q is not a quality group or fleece category of %s: %s", r.Code, st.ID, st.MarketCodes())
		}
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil,
		func(tx *store.Tx) (*millwav1.RecordReferencePriceResponse, []rpc.Event, error) {
			agency, err := tx.GetAgency(ctx, p, parent[0])
			if err != nil {
				return nil, nil, err
			}
			if !coversDepartment(agency.Regions, r.Region) {
				return nil, nil, millwa.Errorf(millwa.PermissionDenied, "region %s is outside the agency's regions (%s)", r.Region, strings.Join(agency.Regions, ", "))
			}
			rec := r
			rec.AgencyID = agency.ID
			if err := tx.CreateReferencePrice(ctx, &rec); err != nil {
				return nil, nil, err
			}
			out := referencePriceToProto(&rec)
			return &millwav1.RecordReferencePriceResponse{ReferencePrice: out}, []rpc.Event{{Resource: out.Name, Action: "create", Region: rec.Region}}, nil
		})
}

// coversDepartment reports whether an agency with regions (ubigeo
// prefixes of 2 or 4 digits) covers some of the department dept.
func coversDepartment(regions []string, dept string) bool {
	for _, r := range regions {
		if len(r) >= 2 && r[:2] == dept {
			return true
		}
	}
	return false
}

// referencePriceToProto converts a stored reference price.
func referencePriceToProto(r *millwa.ReferencePrice) *millwav1.ReferencePrice {
	return &millwav1.ReferencePrice{
		Name: agenciesCollection + "/" + r.AgencyID + "/referencePrices/" + r.ID, Region: r.Region, Place: r.Place,
		ObserveDate: r.ObserveDate, Standard: "standards/" + r.Standard, QualityGroup: r.Code, Kind: kindToProto[r.Kind],
		Price: r.Price, Unit: unitToProto[r.Unit], CurrencyCode: r.Currency, SourceNote: r.SourceNote,
		Prices: unitPrices(r.PricePerKg), CreateTime: rpc.Timestamp(r.CreateTime),
	}
}
