package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// The Update methods below write a corrected resource (AIP-134) that the
// caller has read in the same transaction, changed and validated. Each
// writes only if the row is still at the revision read, so that a change
// made in between (by a client or by the market) answers Aborted rather
// than being overwritten; on success it sets the resource's Revision and
// UpdateTime to the new ones.

// changedRow returns nil when the statement changed one row, Aborted
// naming what when it changed none (the row moved on since it was read),
// and the database's error otherwise.
func changedRow(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("updating %s: %w", what, translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(err, "updating %s", what)
	}
	if n != 1 {
		return millwa.Errorf(millwa.Aborted, "%s changed while it was being updated: read it again", what)
	}
	return nil
}

// UpdateAssociation writes a's legal name, community, contact and fee.
// It returns Aborted when the association is no longer at a.Revision.
func (tx *Tx) UpdateAssociation(ctx context.Context, a *millwa.Association) error {
	t := now()
	c := newContactRow(a.Contact)
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE associations SET legal_name = ?, community = ?,
		contact_person_name = ?, contact_phone = ?, contact_email = ?, fee_basis_points = ?,
		revision = revision + 1, update_time = ? WHERE id = ? AND revision = ?`),
		a.LegalName, a.Community, c.ContactPersonName, c.ContactPhone, c.ContactEmail, a.FeeBasisPoints,
		dbTime{t}, a.ID, a.Revision)
	if err := changedRow(res, err, "associations/"+a.ID); err != nil {
		return err
	}
	a.Revision, a.UpdateTime = a.Revision+1, t
	return nil
}

// UpdateMember writes m's name, DNI, sex and herd size. It returns
// AlreadyExists (reason MEMBER_DNI_TAKEN) when another member of the
// association has m's DNI, and Aborted when the member is no longer at
// m.Revision.
func (tx *Tx) UpdateMember(ctx context.Context, m *millwa.Member) error {
	t := now()
	var herd sql.NullInt32
	if m.HerdSize != nil {
		herd = sql.NullInt32{Int32: *m.HerdSize, Valid: true}
	}
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE members SET full_name = ?, dni = ?, sex = ?, herd_size = ?,
		revision = revision + 1, update_time = ? WHERE id = ? AND association_id = ? AND revision = ?`),
		m.DisplayName, m.DNI, string(m.Sex), herd, dbTime{t}, m.ID, m.AssociationID, m.Revision)
	if err != nil {
		err = uniqueTaken(err, "MEMBER_DNI_TAKEN", "a member with DNI %s is already registered in associations/%s", m.DNI, m.AssociationID)
	}
	if err := changedRow(res, err, "associations/"+m.AssociationID+"/members/"+m.ID); err != nil {
		return err
	}
	m.Revision, m.UpdateTime = m.Revision+1, t
	return nil
}

// UpdateClassifier writes c's name, DNI and certificate. It returns
// AlreadyExists (reason CLASSIFIER_DNI_TAKEN) when another classifier of
// the association has c's DNI, and Aborted when the classifier is no
// longer at c.Revision.
func (tx *Tx) UpdateClassifier(ctx context.Context, c *millwa.Classifier) error {
	t := now()
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE classifiers SET full_name = ?, dni = ?,
		certification_number = ?, certification_date = ?,
		revision = revision + 1, update_time = ? WHERE id = ? AND association_id = ? AND revision = ?`),
		c.DisplayName, c.DNI, c.CertificationNumber, sql.NullString{String: c.CertificationDate, Valid: c.CertificationDate != ""},
		dbTime{t}, c.ID, c.AssociationID, c.Revision)
	if err != nil {
		err = uniqueTaken(err, "CLASSIFIER_DNI_TAKEN", "a classifier with DNI %s is already registered in associations/%s", c.DNI, c.AssociationID)
	}
	if err := changedRow(res, err, "associations/"+c.AssociationID+"/classifiers/"+c.ID); err != nil {
		return err
	}
	c.Revision, c.UpdateTime = c.Revision+1, t
	return nil
}

// UpdateLot writes what may change of a lot on the market: its breed,
// colour, declared group and grading (market and measured group,
// discrepancy, measurement), weight, ask, lot number, collection point
// and classification date, and with contributions set its contributions,
// replaced. The caller has checked which of them may change (the trade's
// fields only while nothing is allocated). The update writes nothing
// unless the lot is still
// at l.Revision and AVAILABLE or ALLOCATED (Aborted otherwise); the
// database refuses a weight below the allocated grams and a member of
// another association (FailedPrecondition), and a lot number the
// association already uses in the campaign (AlreadyExists, reason
// LotNumberTaken, as CreateLot answers).
func (tx *Tx) UpdateLot(ctx context.Context, l *millwa.Lot, contributions bool) error {
	t := now()
	mr, err := newMeasurementRow(l.Measurement)
	if err != nil {
		return err
	}
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE lots SET breed = ?, colour = ?, declared_quality_group = ?,
		market_quality_group = ?, measured_quality_group = ?, discrepancy = ?, net_weight_grams = ?,
		ask_price_minor_per_kg = ?, mean_fibre_diameter_um = ?, fibre_diameter_sd_um = ?, fibres_measured = ?,
		diameter_histogram = ?, staple_length_mm = ?, grading_detail = ?, collection_point = ?, lot_number = ?,
		classification_date = ?, revision = revision + 1, update_time = ?
		WHERE id = ? AND revision = ? AND state IN ('AVAILABLE', 'ALLOCATED')`),
		l.Breed, l.Colour, l.DeclaredGroup, l.MarketGroup, sql.NullString{String: l.MeasuredGroup, Valid: l.MeasuredGroup != ""},
		l.Discrepancy, l.NetWeightGrams, l.AskPricePerKg, mr.MFD, mr.SD, mr.Fibres, mr.Histogram, mr.StapleLength,
		sql.NullString{String: l.Grading, Valid: l.Grading != ""}, l.CollectionPoint, l.LotNumber, l.ClassificationDate,
		dbTime{t}, l.ID, l.Revision)
	if violatesUnique(err, lotNumberKey) {
		e := millwa.Errorf(millwa.AlreadyExists, "lot number %q is taken by another lot of campaign %d: give each lot its own number", l.LotNumber, l.Campaign)
		e.Reason, e.Err = LotNumberTaken, err
		return e
	}
	what := millwa.LotName(l.AssociationID, l.ID)
	if err := changedRow(res, err, what); err != nil {
		return err
	}
	if contributions {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`DELETE FROM lot_contributions WHERE lot_id = ?`), l.ID); err != nil {
			return dbError(err, "replacing the contributions to %s", what)
		}
		args := make([]any, 0, 4*len(l.Contributions))
		for _, c := range l.Contributions {
			args = append(args, l.ID, l.AssociationID, c.MemberID, c.Grams)
		}
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO lot_contributions (lot_id, association_id, member_id, grams)
			VALUES `+rowPlaceholders(len(l.Contributions), 4)), args...); err != nil {
			return dbError(err, "replacing the contributions to %s", what)
		}
	}
	l.Revision, l.UpdateTime = l.Revision+1, t
	return nil
}

// UpdatePurchaseOrder writes o's bid, quantity and expiry, and its state:
// FILLED when the quantity is the grams already filled. The caller has
// read o locked, with its books, and checked it is live. It writes
// nothing unless the order is still at o.Revision and OPEN or
// PARTIALLY_FILLED (Aborted otherwise).
func (tx *Tx) UpdatePurchaseOrder(ctx context.Context, o *millwa.PurchaseOrder) error {
	t := now()
	state := o.State
	if o.QuantityGrams == o.FilledGrams {
		state = millwa.OrderFilled
	}
	expire := o.ExpireTime.UTC().Truncate(time.Microsecond)
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE purchase_orders SET bid_price_minor_per_kg = ?, quantity_grams = ?,
		expire_time = ?, state = ?, revision = revision + 1, update_time = ?
		WHERE id = ? AND revision = ? AND `+stateAsRead+` IN ('OPEN', 'PARTIALLY_FILLED')`),
		o.BidPricePerKg, o.QuantityGrams, dbNullTime{expire}, string(state), dbTime{t}, o.ID, o.Revision, dbTime{t})
	if err := changedRow(res, err, millwa.PurchaseOrderName(o.ProcessorID, o.ID)); err != nil {
		return err
	}
	o.Revision, o.UpdateTime, o.State, o.ExpireTime = o.Revision+1, t, state, expire
	return nil
}

// LotBooks returns the book of the lot with the given id, read without a
// lock, so that a correction can share it before it locks the lot; none
// when there is no such lot. A lot changes book only when its market group
// is corrected, which shares the book first: the caller checks, once it
// holds the lot, that it is still in the book it shares.
func (tx *Tx) LotBooks(ctx context.Context, id string) ([]Book, error) {
	key, ok := canonicalID(id)
	if !ok {
		return nil, nil
	}
	var books []Book
	err := sqlx.SelectContext(ctx, tx.tx, &books, tx.tx.Rebind(`SELECT currency, standard, market_quality_group AS quality_group
		FROM lots WHERE id = ?`), key)
	return books, dbError(err, "reading the book of lot %s", id)
}
