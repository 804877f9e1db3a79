// Package label renders the bale label (rotulado, NTP 231.370) of a lot as
// SVG and as an A5 landscape PDF, several labels on A4 pages (BatchPDF),
// and the printable sheets of receipts and statements (Sheet, A6 or A4):
// every text in Spanish first and English second, and a QR code. It works
// on plain Go values and does no I/O, so that the gateway, the CLI or a
// batch job can print the same label from the same data.
//
// SVG and PDF share one layout: lines are measured with the metrics of the
// PDF's core font (Helvetica, whose widths Arial shares), wrapped to the
// page's width, and shrunk together until everything fits the page, so
// both forms break lines at the same words. The SVG gives each line the
// width it was measured at (textLength), so that a viewer whose
// sans-serif font is wider than Helvetica still keeps it inside the frame.
package label

import (
	"fmt"
	"strings"
)

// Text is a short text in Spanish and in English.
type Text struct {
	ES string
	EN string
}

// String is the text as a label prints it: Spanish first, then English,
// "es / en"; one of them alone when the other is empty or says the same
// (a standard's designation, a name such as "Huacaya"), so that nothing is
// printed twice.
func (t Text) String() string {
	switch {
	case t.EN == "" || t.EN == t.ES:
		return t.ES
	case t.ES == "":
		return t.EN
	}
	return t.ES + " / " + t.EN
}

// Product is the product a bale of classed fibre holds.
var Product = Text{ES: "Fibra de alpaca clasificada", EN: "Classified alpaca fibre"}

// Label is what a lot's bale label carries. Optional fields are left out of
// the label when empty.
type Label struct {
	// LotName is the lot's resource name, "associations/{a}/lots/{l}".
	// Required.
	LotName string
	// QRText is the text of the QR code: the lot's URL (see
	// LotLabel.qr_payload); LotName when empty.
	QRText string
	// LotID is the last segment of LotName.
	LotID string
	// LotNumber is the association's own number for the lot; optional.
	LotNumber string
	// Product is the product's name; Product when empty.
	Product Text
	// Standard is the short title of the standard, for example
	// "NTP 231.301:2014".
	Standard Text
	// QualityGroup is the display name of the lot's market quality group,
	// QualityGroupAbbreviation its short form in the standard ("MF"), if
	// any: the label prints the short form large and the name beside its
	// caption, or the name large when there is no short form.
	QualityGroup             Text
	QualityGroupAbbreviation string
	Colour                   Text
	Breed                    Text
	// NetWeightGrams is printed in kilograms with two decimals.
	NetWeightGrams int64
	// Campaign is the shearing season, the year it starts; 0 leaves it out.
	Campaign int
	// Association is the association's legal name, RUC its taxpayer number.
	Association string
	RUC         string
	// Origin: the comunidad campesina, district, province and department
	// (región) names, any of which may be empty, and the INEI ubigeo code.
	Community  string
	District   string
	Province   string
	Department string
	Ubigeo     string
	// CollectionPoint is where the fleece was collected (centro de acopio).
	CollectionPoint string
	// Classifier is the classifier's full name, Certification their
	// certificate number (optional).
	Classifier    string
	Certification string
	// ClassificationDate is "YYYY-MM-DD".
	ClassificationDate string
	// MeanFiberDiameterUm is the measured mean fibre diameter, when the lot
	// was measured; printed to 0.1 µm.
	MeanFiberDiameterUm *float64
}

// Kilograms formats grams as kilograms with two decimals, rounding half
// away from zero: 46000 is "46.00 kg", 1234 is "1.23 kg".
func Kilograms(grams int64) string {
	sign := ""
	if grams < 0 {
		sign, grams = "-", -grams
	}
	centi := (grams + 5) / 10
	return fmt.Sprintf("%s%d.%02d kg", sign, centi/100, centi%100)
}

// fields are the lines of the label's details, in order; empty optional
// values are left out. The lot number, the quality group and the weight
// are printed large above them, and only there.
func (l *Label) fields() []Field {
	fs := []Field{
		{Caption: Text{"Norma", "Standard"}, Value: l.Standard.String()},
		{Caption: Text{"Color", "Colour"}, Value: l.Colour.String()},
		{Caption: Text{"Raza", "Breed"}, Value: l.Breed.String()},
	}
	if l.MeanFiberDiameterUm != nil {
		fs = append(fs, Field{Caption: Text{"Diámetro medio de fibra", "Mean fibre diameter"}, Value: fmt.Sprintf("%.1f µm", *l.MeanFiberDiameterUm)})
	}
	fs = append(fs, Field{Caption: Text{"Código del lote", "Lot id"}, Value: l.LotID})
	if l.Campaign != 0 {
		fs = append(fs, Field{Caption: Text{"Campaña de esquila", "Shearing season"}, Value: fmt.Sprint(l.Campaign)})
	}
	fs = append(fs,
		Field{Caption: Text{"Asociación", "Association"}, Value: l.Association},
		Field{Caption: Text{"RUC", "Taxpayer number"}, Value: l.RUC},
		Field{Caption: Text{"Origen", "Origin"}, Value: l.origin()},
	)
	if l.CollectionPoint != "" {
		fs = append(fs, Field{Caption: Text{"Centro de acopio", "Collection point"}, Value: l.CollectionPoint})
	}
	fs = append(fs, Field{Caption: Text{"Clasificador(a)", "Classifier"}, Value: l.Classifier})
	if l.Certification != "" {
		fs = append(fs, Field{Caption: Text{"N.º de certificado", "Certificate number"}, Value: l.Certification})
	}
	fs = append(fs, Field{Caption: Text{"Fecha de clasificación", "Classification date"}, Value: l.ClassificationDate})
	return fs
}

// origin is "community, district, province, department (ubigeo code)",
// leaving out the parts that are empty: a code the server could not name
// shows as the code alone.
func (l *Label) origin() string {
	var parts []string
	for _, p := range []string{l.Community, l.District, l.Province, l.Department} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	s := strings.Join(parts, ", ")
	if l.Ubigeo != "" {
		if s != "" {
			s += " "
		}
		s += "(ubigeo " + l.Ubigeo + ")"
	}
	return s
}

// qrText is the text of the lot's QR code.
func (l *Label) qrText() string {
	if l.QRText != "" {
		return l.QRText
	}
	return l.LotName
}
