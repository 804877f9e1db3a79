package registry

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/ubigeo"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// The product a bale of classed fibre holds, as its label names it.
const (
	productES = "Fibra de alpaca clasificada"
	productEN = "Classified alpaca fibre"
)

// GetLotLabel returns the content of a lot's bale label (rotulado), as the
// caller may see the lot: an association only its own, a processor those it
// sees (on offer, or with a trade of its own on them), an admin any. The
// label shows the lot's market quality group.
func (s *Server) GetLotLabel(ctx context.Context, req *millwav1.GetLotLabelRequest) (*millwav1.GetLotLabelResponse, error) {
	l, err := rpc.Get(ctx, req.GetName(), lotCollections, s.visibleLot(ctx))
	if err != nil {
		return nil, err
	}
	name := lotName(&l)
	if l.State == millwa.LotWithdrawn {
		return nil, millwa.Reasonf(millwa.FailedPrecondition, "LOT_WITHDRAWN",
			"%s is WITHDRAWN: a withdrawn lot is off the market and gets no label", name)
	}
	// The association and the classifier are read for the label of a lot
	// the caller sees (a processor sees no classifier otherwise), and the
	// database keeps both while the lot exists: not finding one is a
	// fault, not an answer.
	a, err := s.store.GetAssociation(ctx, store.SystemPrincipal, l.AssociationID)
	if err != nil {
		return nil, labelPart(err, "association", name)
	}
	c, err := s.store.GetClassifier(ctx, store.SystemPrincipal, l.AssociationID, l.ClassifierID)
	if err != nil {
		return nil, labelPart(err, "classifier", name)
	}

	out := &millwav1.LotLabel{
		Name:                          name + "/label",
		Lot:                           name,
		ProductName:                   s.productName(l.Standard),
		Standard:                      "standards/" + l.Standard,
		QualityGroup:                  l.MarketGroup,
		Colour:                        l.Colour,
		Breed:                         l.Breed,
		NetWeightGrams:                l.NetWeightGrams,
		LotId:                         l.ID,
		LotNumber:                     l.LotNumber,
		Campaign:                      int32(l.Campaign),
		Association:                   associationsCollection + "/" + a.ID,
		AssociationLegalName:          a.LegalName,
		AssociationRuc:                a.RUC,
		Classifier:                    associationsCollection + "/" + l.AssociationID + "/classifiers/" + c.ID,
		ClassifierDisplayName:         c.DisplayName,
		ClassifierCertificationNumber: c.CertificationNumber,
		ClassificationDate:            l.ClassificationDate,
		Origin:                        labelOrigin(a.Community, l.CollectionPoint, l.Ubigeo),
		SvgPath:                       "/v1/" + name + "/label.svg",
		PdfPath:                       "/v1/" + name + "/label.pdf",
		QrPayload:                     lotURL(s.publicURL(), name, l.LotNumber),
	}
	if out.MeanFiberDiameterUm, err = meanDiameter(&l); err != nil {
		return nil, err
	}
	// Names come from the standard; a code it no longer names prints as
	// itself. The standard is shared: it is only read here, never appended
	// to.
	code := func(c string) grading.Text { return grading.Text{ES: c, EN: c} }
	title, group, colour, breed := code(l.Standard), code(l.MarketGroup), code(l.Colour), code(l.Breed)
	if st, ok := s.standards.Get(l.Standard); ok {
		title = shortTitle(st.Title)
		for _, g := range st.QualityGroups {
			if g.Code == l.MarketGroup {
				group, out.QualityGroupAbbreviation = g.Name, g.Abbreviation
			}
		}
		if g := st.ShortFiberGroup; g != nil && g.Code == l.MarketGroup {
			group, out.QualityGroupAbbreviation = g.Name, g.Abbreviation
		}
		if c := st.Category(l.MarketGroup); c != nil && len(st.QualityGroups) == 0 {
			group = c.Name
		}
		for _, c := range st.Colours {
			if c.Code == l.Colour {
				colour = c.Name
			}
		}
		for _, b := range st.Breeds {
			if b.Code == l.Breed {
				breed = b.Name
			}
		}
	}
	out.StandardTitle, out.QualityGroupName = rpc.TextToProto(title), rpc.TextToProto(group)
	out.ColourName, out.BreedName = rpc.TextToProto(colour), rpc.TextToProto(breed)
	return &millwav1.GetLotLabelResponse{Label: out}, nil
}

// meanDiameter is the lot's measured mean fibre diameter: the one its
// grade was decided on (computed from the histogram for a histogram), else
// the one measured; nil for a lot without a measurement.
func meanDiameter(l *millwa.Lot) (*float64, error) {
	g, err := rpc.StoredGrade(l.Grading, lotName(l))
	switch {
	case err != nil:
		return nil, err
	case g != nil:
		return &g.Metrics.MeanFiberDiameterUm, nil
	case l.Measurement != nil:
		return l.Measurement.MeanFiberDiameterUm, nil
	}
	return nil, nil
}

// labelPart turns a failure to read a part of a visible lot's label into
// an error: NotFound becomes Internal, since the lot's foreign keys keep
// both parts while it exists.
func labelPart(err error, part, lot string) error {
	var me *millwa.Error
	if errors.As(err, &me) && me.Code == millwa.NotFound {
		return millwa.Wrap(millwa.Internal, err, "internal error: the %s of %s cannot be read", part, lot)
	}
	return err
}

// labelOrigin names the place of a ubigeo code from INEI's list: district,
// province and department for the alpaca regions, the department alone for
// a code elsewhere in Peru, and nothing but the code for one unknown.
func labelOrigin(community, collectionPoint, code string) *millwav1.LabelOrigin {
	o := &millwav1.LabelOrigin{Community: community, CollectionPoint: collectionPoint, Ubigeo: code}
	if p, ok := ubigeo.Lookup(code); ok {
		o.District, o.Province, o.Department = p.District, p.Province, p.Department
	} else if len(code) >= 2 {
		o.Department = millwa.Departments[code[:2]]
	}
	return o
}

// lotURL is what a lot label's QR code holds: the lot on the REST gateway
// at the public base URL, with its number, when it has one, as the
// fragment "n=…", which a phone shows and the server never receives.
func lotURL(base, name, number string) string {
	u := strings.TrimRight(base, "/") + "/v1/" + name
	if number != "" {
		u += "#" + (&url.URL{Fragment: "n=" + number}).EscapedFragment()
	}
	return u
}

// standardCode is the designation that opens a standard's title, such as
// "NTP 231.301:2014".
var standardCode = regexp.MustCompile(`^[A-Z]{2,}(?: [A-Z]+)? [0-9][0-9.]*(?::[0-9]{4})?`)

// shortTitle is a standard's designation for a label, "NTP 231.301:2014",
// in each language whose title opens with one; the whole title otherwise.
func shortTitle(t grading.Text) grading.Text {
	short := func(s string) string {
		if code := standardCode.FindString(s); code != "" {
			return code
		}
		return s
	}
	return grading.Text{ES: short(t.ES), EN: short(t.EN)}
}

// productName is what a lot of the standard holds: classed fibre, or whole
// fleeces under a standard of fleece categories (NTP 231.300).
func (s *Server) productName(standard string) *millwav1.LocalizedText {
	if st, ok := s.standards.Get(standard); ok && len(st.QualityGroups) == 0 && st.HasCategories() {
		return &millwav1.LocalizedText{Es: "Fibra de alpaca en vellón", En: "Alpaca fibre in the fleece"}
	}
	return &millwav1.LocalizedText{Es: productES, En: productEN}
}
