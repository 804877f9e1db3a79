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
	a, err := qs.association(ctx, everything, m.AssociationID)
	if err != nil {
		return millwa.MemberStatement{}, err
	}
	s := millwa.MemberStatement{AssociationID: a.ID, AssociationName: a.LegalName, MemberID: m.ID, MemberName: m.FullName, Campaign: campaign, Currency: currency, FeeBasisPoints: a.FeeBasisPoints}
	var receipts []millwa.StatementReceipt
	if err := sqlx.SelectContext(ctx, qs.db, &receipts, qs.db.Rebind(`SELECT id AS "id", receipt_number AS "number",
		receive_date AS "receivedate", net_weight_grams AS "deliveredgrams"
		FROM receipts WHERE member_id = ? AND campaign = ? AND state = 'ACTIVE' ORDER BY receipt_number`), m.ID, campaign); err != nil {
		return s, dbError(err, "reading the receipts of member %s", m.ID)
	}
	var sources []millwa.StatementSource
	if err := sqlx.SelectContext(ctx, qs.db, &sources, qs.db.Rebind(`SELECT s.lot_id AS "lotid", s.receipt_id AS "receiptid", s.grams AS "grams"
		FROM lot_sources s JOIN receipts r ON r.id = s.receipt_id
		WHERE r.member_id = ? AND r.campaign = ? AND r.state = 'ACTIVE' ORDER BY s.lot_id, s.receipt_id`), m.ID, campaign); err != nil {
		return s, dbError(err, "reading the lot sources of member %s", m.ID)
	}
	var payouts []millwa.StatementPayout
	// A trade paid in several payments has a payout per payment: the
	// member's shares are summed per trade, so that a statement is the
	// same however the trade was paid.
	if err := sqlx.SelectContext(ctx, qs.db, &payouts, qs.db.Rebind(`SELECT p.trade_id AS "tradeid", t.lot_id AS "lotid",
		CAST(SUM(p.grams) AS BIGINT) AS "grams", CAST(SUM(p.amount_minor) AS BIGINT) AS "amount", p.currency AS "currency"
		FROM payouts p JOIN trades t ON t.id = p.trade_id
		WHERE p.member_id = ? AND t.lot_id IN (SELECT s.lot_id FROM lot_sources s JOIN receipts r ON r.id = s.receipt_id
			WHERE r.member_id = ? AND r.campaign = ?)
		GROUP BY p.trade_id, t.lot_id, p.currency
		ORDER BY p.trade_id`), m.ID, m.ID, campaign); err != nil {
		return s, dbError(err, "reading the payouts of member %s", m.ID)
	}
	if err := sqlx.GetContext(ctx, qs.db, &s.PaidAmount, qs.db.Rebind(`SELECT COALESCE(SUM(amount_minor), 0)
		FROM member_payments WHERE member_id = ? AND campaign = ? AND currency = ?`), m.ID, campaign, currency); err != nil {
		return s, dbError(err, "reading the payments to member %s", m.ID)
	}
	return s, millwa.BuildStatement(&s, receipts, sources, payouts)
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
