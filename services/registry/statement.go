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

// statementName is a parsed statement name,
// "associations/{a}/members/{m}/statements/{campaign}".
type statementName struct {
	associationID, memberID string
	campaign                int
}

// parseStatementName parses the name of a member statement (field "name").
func parseStatementName(name string) (statementName, error) {
	member, campaign, ok := strings.Cut(name, "/statements/")
	ids, err := millwa.ParseName("name", member, associationsCollection, membersCollection)
	year, convErr := strconv.Atoi(campaign)
	if !ok || err != nil || convErr != nil || year < millwa.MinCampaign || year > millwa.MaxCampaign || strconv.Itoa(year) != campaign {
		var vs millwa.Violations
		vs.Add("name", "must be a statement name of the form associations/{id}/members/{id}/statements/{campaign}, the campaign a year such as 2026; got %q", name)
		return statementName{}, vs.Err()
	}
	return statementName{associationID: ids[0], memberID: ids[1], campaign: year}, nil
}

func (n statementName) String() string {
	return memberName(n.associationID, n.memberID) + "/statements/" + strconv.Itoa(n.campaign)
}

// GetMemberStatement returns a member's statement for a campaign to admins
// and the member's association; any other caller gets NotFound.
func (s *Server) GetMemberStatement(ctx context.Context, req *millwav1.GetMemberStatementRequest) (*millwav1.GetMemberStatementResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	n, err := parseStatementName(req.GetName())
	if err != nil {
		return nil, err
	}
	currency := millwa.NormalizeCurrency(req.GetCurrencyCode())
	var vs millwa.Violations
	millwa.CheckCurrency(&vs, "currency_code", currency)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	st, err := s.store.MemberStatement(ctx, p, n.associationID, n.memberID, n.campaign, currency)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetMemberStatementResponse{Statement: statementToProto(&st)}, nil
}

// ListMemberStatements returns a page of the association's members'
// statements for a campaign: the members are read as ListMembers reads
// them, and their statements assembled together.
func (s *Server) ListMemberStatements(ctx context.Context, req *millwav1.ListMemberStatementsRequest) (*millwav1.ListMemberStatementsResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, "processors and agencies never see members", millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	associationID := ""
	if parent, ok := strings.CutSuffix(req.GetParent(), "/"+membersCollection+"/-"); ok {
		associationID = parseParent(&vs, parent)
	} else {
		vs.Add("parent", "must be the members of an association, associations/{id}/members/-; got %q", req.GetParent())
	}
	campaign := int(req.GetCampaign())
	if campaign < millwa.MinCampaign || campaign > millwa.MaxCampaign {
		vs.Add("campaign", "must be a campaign year from %d to %d, such as 2026; got %d", millwa.MinCampaign, millwa.MaxCampaign, campaign)
	}
	currency := millwa.NormalizeCurrency(req.GetCurrencyCode())
	millwa.CheckCurrency(&vs, "currency_code", currency)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	members := s.members(ctx, associationID)
	lister := rpc.Lister[millwa.MemberStatement, *millwav1.MemberStatement]{
		Spec:   members.Spec,
		Refine: members.Refine,
		Read: func(ctx context.Context, p millwa.Principal, q millwa.ListQuery) (millwa.Page[millwa.MemberStatement], error) {
			page, err := members.Read(ctx, p, q)
			if err != nil {
				return millwa.Page[millwa.MemberStatement]{}, err
			}
			sts, err := s.store.MemberStatements(ctx, associationID, page.Items, campaign, currency)
			return millwa.Page[millwa.MemberStatement]{Items: sts, Next: page.Next}, err
		},
		Show: rpc.Plain(statementToProto),
	}
	items, next, err := lister.List(ctx, p, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListMemberStatementsResponse{Statements: items, NextPageToken: next}, nil
}

// RecordMemberPayment records money the association paid a member, never
// more than the member's balance for the campaign.
func (s *Server) RecordMemberPayment(ctx context.Context, req *millwav1.RecordMemberPaymentRequest) (*millwav1.RecordMemberPaymentResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, "member payments are the association's", millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	ids := rpc.ParseParent(&vs, req.GetParent(), associationsCollection, membersCollection)
	pay := paymentFromProto(&vs, req.GetPayment())
	if err := vs.Err(); err != nil {
		return nil, err
	}
	pay.AssociationID, pay.MemberID = ids[0], ids[1]
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.RecordMemberPaymentResponse, []rpc.Event, error) {
		st, err := tx.MemberStatement(ctx, p, pay.AssociationID, pay.MemberID, pay.Campaign, pay.Currency)
		if err != nil {
			return nil, nil, err
		}
		if err := st.CheckBalance(pay.Amount); err != nil {
			return nil, nil, err
		}
		made := pay
		if err := tx.CreateMemberPayment(ctx, &made); err != nil {
			return nil, nil, err
		}
		st.PaidAmount += made.Amount
		st.BalanceAmount -= made.Amount
		a, err := tx.GetAssociation(ctx, p, pay.AssociationID)
		if err != nil {
			return nil, nil, err
		}
		resp := &millwav1.RecordMemberPaymentResponse{Payment: paymentToProto(&made), Statement: statementToProto(&st)}
		return resp, []rpc.Event{{Resource: resp.Payment.Name, Action: "create", Region: a.Ubigeo}}, nil
	})
}

// paymentFromProto validates the payment of a request.
func paymentFromProto(vs *millwa.Violations, p *millwav1.MemberPayment) millwa.MemberPayment {
	if p == nil {
		vs.Add("payment", "is required")
		return millwa.MemberPayment{}
	}
	rpc.OutputOnly(vs, "payment", p, "name", "create_time")
	m := millwa.MemberPayment{
		Campaign: int(p.GetCampaign()), Amount: p.GetAmount(), Currency: p.GetCurrencyCode(), Reference: p.GetReference(),
	}
	if p.GetMethod() != millwav1.PaymentMethod_PAYMENT_METHOD_UNSPECIFIED {
		m.Method = millwa.PaymentMethod(strings.TrimPrefix(p.GetMethod().String(), "PAYMENT_METHOD_"))
	}
	m.Normalize()
	var inner millwa.Violations
	m.Check(&inner, time.Now())
	*vs = append(*vs, inner.Prefix("payment")...)
	return m
}

func paymentToProto(m *millwa.MemberPayment) *millwav1.MemberPayment {
	return &millwav1.MemberPayment{
		Name:     memberName(m.AssociationID, m.MemberID) + "/payments/" + m.ID,
		Campaign: int32(m.Campaign), Amount: m.Amount, CurrencyCode: m.Currency,
		Method:     rpc.EnumToProto[millwav1.PaymentMethod](millwav1.PaymentMethod_value, "PAYMENT_METHOD_", m.Method),
		Reference:  m.Reference,
		CreateTime: timestamppb.New(m.CreateTime),
	}
}

// statementToProto is the API's form of a statement.
func statementToProto(st *millwa.MemberStatement) *millwav1.MemberStatement {
	n := statementName{associationID: st.AssociationID, memberID: st.MemberID, campaign: st.Campaign}
	p := &millwav1.MemberStatement{
		Name: n.String(), Member: memberName(st.AssociationID, st.MemberID), Campaign: int32(st.Campaign),
		CurrencyCode: st.Currency, DeliveredGrams: st.DeliveredGrams, SoldGrams: st.SoldGrams,
		EarnedAmount: st.EarnedAmount, FeeAmount: st.FeeAmount, FeeBasisPoints: st.FeeBasisPoints,
		PaidAmount: st.PaidAmount, BalanceAmount: st.BalanceAmount,
		PdfPath: "/v1/" + n.String() + "/statement.pdf", MemberDisplayName: st.MemberName, AssociationLegalName: st.AssociationName,
	}
	for _, l := range st.Lines {
		p.Lines = append(p.Lines, &millwav1.StatementLine{
			Receipt: millwa.ReceiptName(st.AssociationID, l.Receipt.ID), ReceiptNumber: l.Receipt.Number,
			ReceiveDate: l.Receipt.ReceiveDate, DeliveredGrams: l.DeliveredGrams, SoldGrams: l.SoldGrams, EarnedAmount: l.EarnedAmount,
		})
	}
	return p
}
