package gateway

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/millwa/millwa/gateway/label"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// receiptSlipRoute is the slip a member keeps of a delivery:
// GET /v1/associations/{a}/receipts/{r}/slip.pdf and .svg, an A6 page.
func receiptSlipRoute(client millwav1.RegistryServiceClient) sheetRoute {
	return sheetRoute{path: "/v1/associations/{association}/receipts/{receipt}/slip", method: "/millwa.v1.RegistryService/GetReceipt",
		read: func(ctx context.Context, r *http.Request) (label.Sheet, string, error) {
			name := "associations/" + r.PathValue("association") + "/receipts/" + r.PathValue("receipt")
			resp, err := client.GetReceipt(ctx, &millwav1.GetReceiptRequest{Name: name})
			if err != nil {
				return label.Sheet{}, "", err
			}
			rc := resp.GetReceipt()
			return slipSheet(rc), "recibo-" + strconv.FormatInt(int64(rc.GetCampaign()), 10) + "-" + strconv.FormatInt(rc.GetReceiptNumber(), 10), nil
		}}
}

// slipSheet is what a receipt's slip prints, Spanish first.
func slipSheet(rc *millwav1.Receipt) label.Sheet {
	fields := []label.Field{
		{Caption: label.Text{ES: "Recibo N.º", EN: "Receipt number"}, Value: fmt.Sprintf("%d (campaña / season %d)", rc.GetReceiptNumber(), rc.GetCampaign()), Large: true},
		{Caption: label.Text{ES: "Socio(a)", EN: "Member"}, Value: rc.GetMemberDisplayName()},
		{Caption: label.Text{ES: "Fecha de recepción", EN: "Received on"}, Value: rc.GetReceiveDate()},
		{Caption: label.Text{ES: "Centro de acopio", EN: "Collection point"}, Value: rc.GetCollectionPoint()},
		{Caption: label.Text{ES: "Raza y color", EN: "Breed and colour"}, Value: rc.GetBreed() + ", " + rc.GetColour()},
		{Caption: label.Text{ES: "Vellones", EN: "Fleeces"}, Value: strconv.Itoa(int(rc.GetFleeceCount()))},
		{Caption: label.Text{ES: "Peso neto", EN: "Net weight"}, Value: label.Kilograms(rc.GetNetWeightGrams()), Large: true},
	}
	if c := rc.GetFleeceCategory(); c != "" {
		fields = append(fields, label.Field{Caption: label.Text{ES: "Categoría del vellón", EN: "Fleece category"}, Value: c})
	}
	codes := make([]string, 0, len(rc.GetGroupGrams()))
	for code := range rc.GetGroupGrams() {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		fields = append(fields, label.Field{Caption: label.Text{ES: "Grupo " + code, EN: "Group " + code}, Value: label.Kilograms(rc.GetGroupGrams()[code])})
	}
	if rc.GetState() == millwav1.ReceiptState_RECEIPT_STATE_VOIDED {
		fields = append(fields, label.Field{Caption: label.Text{ES: "Estado", EN: "State"}, Value: "ANULADO / VOIDED", Large: true})
	}
	return label.Sheet{
		Title:     label.Text{ES: "Recibo de acopio de fibra de alpaca", EN: "Alpaca fibre collection receipt"},
		Fields:    fields,
		QRText:    rc.GetName(),
		QRCaption: label.Text{ES: "Código QR: nombre del recibo", EN: "QR code: receipt name"},
	}
}

// statementRoute is a member's statement for a campaign:
// GET /v1/associations/{a}/members/{m}/statements/{campaign}/statement.pdf
// (and .svg), an A4 page.
func statementRoute(client millwav1.RegistryServiceClient) sheetRoute {
	return sheetRoute{path: "/v1/associations/{association}/members/{member}/statements/{campaign}/statement",
		method: "/millwa.v1.RegistryService/GetMemberStatement",
		read: func(ctx context.Context, r *http.Request) (label.Sheet, string, error) {
			name := "associations/" + r.PathValue("association") + "/members/" + r.PathValue("member") + "/statements/" + r.PathValue("campaign")
			resp, err := client.GetMemberStatement(ctx, &millwav1.GetMemberStatementRequest{Name: name})
			if err != nil {
				return label.Sheet{}, "", err
			}
			return statementSheet(resp.GetStatement()), "estado-de-cuenta-" + r.PathValue("campaign"), nil
		}}
}

// statementSheet is what a member's statement prints, Spanish first: a
// line per receipt, then the totals, the fee, the payments and the
// balance.
func statementSheet(st *millwav1.MemberStatement) label.Sheet {
	cur := st.GetCurrencyCode()
	fields := []label.Field{
		{Caption: label.Text{ES: "Asociación", EN: "Association"}, Value: st.GetAssociationLegalName()},
		{Caption: label.Text{ES: "Socio(a)", EN: "Member"}, Value: st.GetMemberDisplayName(), Large: true},
		{Caption: label.Text{ES: "Campaña", EN: "Season"}, Value: strconv.Itoa(int(st.GetCampaign()))},
	}
	for _, l := range st.GetLines() {
		fields = append(fields, label.Field{
			Caption: label.Text{ES: fmt.Sprintf("Recibo N.º %d", l.GetReceiptNumber()), EN: l.GetReceiveDate()},
			Value: fmt.Sprintf("entregado / delivered %s; vendido / sold %s; %s",
				label.Kilograms(l.GetDeliveredGrams()), label.Kilograms(l.GetSoldGrams()), money(l.GetEarnedAmount(), cur)),
		})
	}
	fields = append(fields,
		label.Field{Caption: label.Text{ES: "Total entregado", EN: "Delivered"}, Value: label.Kilograms(st.GetDeliveredGrams())},
		label.Field{Caption: label.Text{ES: "Total vendido", EN: "Sold"}, Value: label.Kilograms(st.GetSoldGrams())},
		label.Field{Caption: label.Text{ES: "Ganado", EN: "Earned"}, Value: money(st.GetEarnedAmount(), cur)},
		label.Field{Caption: label.Text{ES: fmt.Sprintf("Cuota de la asociación (%s %%)", basisPoints(st.GetFeeBasisPoints())),
			EN: fmt.Sprintf("Association's fee (%s %%)", basisPoints(st.GetFeeBasisPoints()))}, Value: "− " + money(st.GetFeeAmount(), cur)},
		label.Field{Caption: label.Text{ES: "Pagado", EN: "Paid"}, Value: "− " + money(st.GetPaidAmount(), cur)},
		label.Field{Caption: label.Text{ES: "Saldo por pagar", EN: "Balance owed"}, Value: money(st.GetBalanceAmount(), cur), Large: true},
	)
	return label.Sheet{
		Title:     label.Text{ES: "Estado de cuenta del socio", EN: "Member statement"},
		Fields:    fields,
		QRText:    st.GetName(),
		QRCaption: label.Text{ES: "Código QR: nombre del estado de cuenta", EN: "QR code: statement name"},
		Page:      label.A4,
	}
}

// money formats minor units with two decimals and the currency code:
// "PEN 147.00".
func money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s %s%d.%02d", currency, sign, minor/100, minor%100)
}

// basisPoints formats basis points as a percentage: 250 is "2.50".
func basisPoints(bp int32) string {
	return fmt.Sprintf("%d.%02d", bp/100, bp%100)
}
