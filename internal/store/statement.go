package store

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// MemberStatement reads what a member's statement for a campaign is made
// of, as p may see it, and assembles it (millwa.BuildStatement) in the
// currency given: the member's ACTIVE receipts of the campaign in number
// order, the sources lots took from them, the member's payouts of the
// paid trades on those lots, the payments already recorded and the
// association's fee. A member p may not see answers NotFound. Inside a
// transaction on PostgreSQL the member's row stays locked until it ends,
// so that two payments to one member are checked one after the other.
func (qs queries) MemberStatement(ctx context.Context, p millwa.Principal, associationID, memberID string, campaign int, currency string) (millwa.MemberStatement, error) {
	m, err := getRow[memberRow](ctx, qs, &memberList.rowSource, childScope(memberScope(p), associationID), memberID, true)
	if err != nil {
		return millwa.MemberStatement{}, err
	}
	sts, err := qs.MemberStatements(ctx, m.AssociationID, []millwa.Member{m.member()}, campaign, currency)
	if err != nil {
		return millwa.MemberStatement{}, err
	}
	return sts[0], nil
}

// MemberStatements assembles the statements for a campaign, in the
// currency given, of members of the association with the given id (which
// the caller has read as it may see them), in their order, as
// MemberStatement does for one: five queries however many members.
func (qs queries) MemberStatements(ctx context.Context, associationID string, members []millwa.Member, campaign int, currency string) ([]millwa.MemberStatement, error) {
	if len(members) == 0 {
		return nil, nil
	}
	a, err := qs.association(ctx, everything, associationID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	in := inScope("r.member_id", ids)
	var receipts []struct {
		MemberID string `db:"memberid"`
		millwa.StatementReceipt
	}
	if err := sqlx.SelectContext(ctx, qs.db, &receipts, qs.db.Rebind(`SELECT r.member_id AS "memberid", r.id AS "id",
		r.receipt_number AS "number", r.receive_date AS "receivedate", r.net_weight_grams AS "deliveredgrams"
		FROM receipts r WHERE `+in.sql+` AND r.campaign = ? AND r.state = 'ACTIVE' ORDER BY r.receipt_number`),
		append(in.args, campaign)...); err != nil {
		return nil, dbError(err, "reading the receipts of %d members", len(ids))
	}
	var sources []struct {
		MemberID string `db:"memberid"`
		millwa.StatementSource
	}
	if err := sqlx.SelectContext(ctx, qs.db, &sources, qs.db.Rebind(`SELECT r.member_id AS "memberid", s.lot_id AS "lotid",
		s.receipt_id AS "receiptid", s.grams AS "grams"
		FROM lot_sources s JOIN receipts r ON r.id = s.receipt_id
		WHERE `+in.sql+` AND r.campaign = ? AND r.state = 'ACTIVE' ORDER BY s.lot_id, s.receipt_id`),
		append(in.args, campaign)...); err != nil {
		return nil, dbError(err, "reading the lot sources of %d members", len(ids))
	}
	var payouts []struct {
		MemberID string `db:"memberid"`
		millwa.StatementPayout
	}
	// A trade paid in several payments has a payout per payment: the
	// member's shares are summed per trade, so that a statement is the
	// same however the trade was paid.
	payoutIn := inScope("p.member_id", ids)
	if err := sqlx.SelectContext(ctx, qs.db, &payouts, qs.db.Rebind(`SELECT p.member_id AS "memberid", p.trade_id AS "tradeid",
		t.lot_id AS "lotid", CAST(SUM(p.grams) AS BIGINT) AS "grams", CAST(SUM(p.amount_minor) AS BIGINT) AS "amount",
		p.currency AS "currency"
		FROM payouts p JOIN trades t ON t.id = p.trade_id
		WHERE `+payoutIn.sql+` AND t.lot_id IN (SELECT s.lot_id FROM lot_sources s JOIN receipts r ON r.id = s.receipt_id
			WHERE r.member_id = p.member_id AND r.campaign = ?)
		GROUP BY p.member_id, p.trade_id, t.lot_id, p.currency
		ORDER BY p.trade_id`), append(payoutIn.args, campaign)...); err != nil {
		return nil, dbError(err, "reading the payouts of %d members", len(ids))
	}
	var paid []struct {
		MemberID string `db:"memberid"`
		Amount   int64  `db:"amount"`
	}
	paidIn := inScope("member_id", ids)
	if err := sqlx.SelectContext(ctx, qs.db, &paid, qs.db.Rebind(`SELECT member_id AS "memberid",
		CAST(SUM(amount_minor) AS BIGINT) AS "amount"
		FROM member_payments WHERE `+paidIn.sql+` AND campaign = ? AND currency = ? GROUP BY member_id`),
		append(paidIn.args, campaign, currency)...); err != nil {
		return nil, dbError(err, "reading the payments to %d members", len(ids))
	}

	type parts struct {
		receipts []millwa.StatementReceipt
		sources  []millwa.StatementSource
		payouts  []millwa.StatementPayout
		paid     int64
	}
	of := make(map[string]*parts, len(ids))
	for _, id := range ids {
		of[id] = &parts{}
	}
	for _, r := range receipts {
		of[r.MemberID].receipts = append(of[r.MemberID].receipts, r.StatementReceipt)
	}
	for _, r := range sources {
		of[r.MemberID].sources = append(of[r.MemberID].sources, r.StatementSource)
	}
	for _, r := range payouts {
		of[r.MemberID].payouts = append(of[r.MemberID].payouts, r.StatementPayout)
	}
	for _, r := range paid {
		of[r.MemberID].paid = r.Amount
	}
	out := make([]millwa.MemberStatement, len(members))
	for i, m := range members {
		pt := of[m.ID]
		out[i] = millwa.MemberStatement{AssociationID: a.ID, AssociationName: a.LegalName, MemberID: m.ID, MemberName: m.DisplayName,
			Campaign: campaign, Currency: currency, FeeBasisPoints: a.FeeBasisPoints, PaidAmount: pt.paid}
		if err := millwa.BuildStatement(&out[i], pt.receipts, pt.sources, pt.payouts); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateMemberPayment inserts a payment, which the caller has validated
// against the member's balance in this transaction. It sets ID and
// CreateTime.
func (tx *Tx) CreateMemberPayment(ctx context.Context, m *millwa.MemberPayment) error {
	id, err := newID()
	if err != nil {
		return err
	}
	t := now()
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO member_payments
		(id, association_id, member_id, campaign, amount_minor, currency, method, reference, create_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, m.AssociationID, m.MemberID, m.Campaign, m.Amount, m.Currency, string(m.Method), m.Reference, dbTime{t}); err != nil {
		return dbError(err, "inserting payment %s", id)
	}
	m.ID, m.CreateTime = id, t
	return nil
}
