package store

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// receiptRow is a receipts row; its groups are read separately.
type receiptRow struct {
	ID              string `db:"id"`
	AssociationID   string `db:"association_id"`
	MemberID        string `db:"member_id"`
	ClassifierID    string `db:"classifier_id"`
	Standard        string `db:"standard"`
	Campaign        int    `db:"campaign"`
	Number          int64  `db:"receipt_number"`
	CollectionPoint string `db:"collection_point"`
	ReceiveDate     string `db:"receive_date"`
	Breed           string `db:"breed"`
	Colour          string `db:"colour"`
	FleeceCount     int32  `db:"fleece_count"`
	NetWeightGrams  int64  `db:"net_weight_grams"`
	FleeceCategory  string `db:"fleece_category"`
	State           string `db:"state"`
	Revision        int64  `db:"revision"`
	CreateTime      dbTime `db:"create_time"`
	UpdateTime      dbTime `db:"update_time"`
}

const receiptColumns = `id, association_id, member_id, classifier_id, standard, campaign, receipt_number,
	collection_point, receive_date, breed, colour, fleece_count, net_weight_grams, fleece_category, state,
	revision, create_time, update_time`

func (r *receiptRow) receipt() millwa.Receipt {
	return millwa.Receipt{
		ID: r.ID, AssociationID: r.AssociationID, MemberID: r.MemberID, ClassifierID: r.ClassifierID,
		Standard: r.Standard, Campaign: r.Campaign, Number: r.Number, CollectionPoint: r.CollectionPoint,
		ReceiveDate: r.ReceiveDate, Breed: r.Breed, Colour: r.Colour, FleeceCount: r.FleeceCount,
		NetWeightGrams: r.NetWeightGrams, FleeceCategory: r.FleeceCategory, State: millwa.ReceiptState(r.State),
		Revision: r.Revision, CreateTime: r.CreateTime.Time, UpdateTime: r.UpdateTime.Time,
		GroupGrams: map[string]int64{}, UnusedGrams: map[string]int64{},
	}
}

// receiptList is how receipts are filtered, ordered and paged.
var receiptList = resourceColumns{
	rowSource: rowSource{noun: "receipt", from: "receipts", selectList: receiptColumns},
	columns: map[string]column{
		"member":           {expr: "member_id", kind: millwa.StringField},
		"campaign":         {expr: "campaign", kind: millwa.IntField},
		"collection_point": {expr: "collection_point", kind: millwa.StringField},
		"state":            {expr: "state", kind: millwa.StringField},
		"receipt_number":   {expr: "receipt_number", kind: millwa.IntField},
		"create_time":      {expr: "create_time", kind: millwa.TimeField},
	},
}

// receiptScope is who sees which receipts: admins every one, an
// association its own. Receipts are member data: processors and agencies
// see none.
func receiptScope(p millwa.Principal) scope {
	return associationOnlyScope(p, "association_id")
}

// receiptGroupRow is a receipt_groups row.
type receiptGroupRow struct {
	ReceiptID string `db:"receipt_id"`
	Code      string `db:"code"`
	Grams     int64  `db:"grams"`
	UsedGrams int64  `db:"used_grams"`
}

// receiptGroups fills the groups of receipts, with their unused grams.
var receiptGroups = children[millwa.Receipt, receiptGroupRow]{
	what:   "receipt groups",
	query:  `SELECT receipt_id, code, grams, used_grams FROM receipt_groups WHERE receipt_id IN %s ORDER BY receipt_id, code`,
	id:     func(r *millwa.Receipt) string { return r.ID },
	parent: func(r *receiptGroupRow) string { return r.ReceiptID },
	add: func(r *millwa.Receipt, g *receiptGroupRow) {
		r.GroupGrams[g.Code] = g.Grams
		r.UnusedGrams[g.Code] = g.Grams - g.UsedGrams
	},
}

// CreateReceipt inserts r with its groups (a categorised receipt's one
// group is its category), which the caller has validated, and numbers it:
// the association's counter for the campaign is incremented in this
// transaction, its row locked until the transaction ends, so numbers are
// sequential, without gaps (a rolled-back receipt returns its number) and
// never repeated, across replicas. It sets ID, Number, State ACTIVE,
// Revision, UnusedGrams and the times. The database refuses a member or
// classifier of another association (FailedPrecondition).
func (tx *Tx) CreateReceipt(ctx context.Context, r *millwa.Receipt) error {
	id, err := newID()
	if err != nil {
		return err
	}
	var number int64
	// An upsert takes the counter row's lock on both databases (on
	// SQLite the write transaction holds the database already).
	if err := tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(`INSERT INTO receipt_counters (association_id, campaign, last_number)
		VALUES (?, ?, 1) ON CONFLICT (association_id, campaign) DO UPDATE SET last_number = receipt_counters.last_number + 1
		RETURNING last_number`), r.AssociationID, r.Campaign).Scan(&number); err != nil {
		return dbError(err, "numbering receipt %s", id)
	}
	t := now()
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO receipts (`+receiptColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', 1, ?, ?)`),
		id, r.AssociationID, r.MemberID, r.ClassifierID, r.Standard, r.Campaign, number, r.CollectionPoint,
		r.ReceiveDate, r.Breed, r.Colour, r.FleeceCount, r.NetWeightGrams, r.FleeceCategory, dbTime{t}, dbTime{t}); err != nil {
		return dbError(err, "inserting receipt %s", id)
	}
	r.UnusedGrams = map[string]int64{}
	for _, code := range r.Codes() {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO receipt_groups (receipt_id, code, grams, used_grams) VALUES (?, ?, ?, 0)`),
			id, code, r.GroupGrams[code]); err != nil {
			return dbError(err, "inserting the groups of receipt %s", id)
		}
		r.UnusedGrams[code] = r.GroupGrams[code]
	}
	r.ID, r.Number, r.State, r.Revision, r.CreateTime, r.UpdateTime = id, number, millwa.ReceiptActive, 1, t, t
	return nil
}

// GetReceipt returns the receipt with the given id, with its groups, if p
// may see it; NotFound ("receipt ID not found") otherwise. Inside a
// transaction on PostgreSQL the receipt's row stays locked until it ends.
func (qs queries) GetReceipt(ctx context.Context, p millwa.Principal, id string) (millwa.Receipt, error) {
	row, err := getRow[receiptRow](ctx, qs, &receiptList.rowSource, receiptScope(p), id, true)
	if err != nil {
		return millwa.Receipt{}, err
	}
	rs := []millwa.Receipt{row.receipt()}
	if err := qs.loadReceipts(ctx, rs); err != nil {
		return millwa.Receipt{}, err
	}
	return rs[0], nil
}

// loadReceipts fills the groups and the members' names of receipts.
func (qs queries) loadReceipts(ctx context.Context, rs []millwa.Receipt) error {
	if err := receiptGroups.load(ctx, qs.db, rs); err != nil || len(rs) == 0 {
		return err
	}
	ids := make([]string, len(rs))
	for i := range rs {
		ids[i] = rs[i].MemberID
	}
	in := inScope("id", ids)
	var names []struct {
		ID   string `db:"id"`
		Name string `db:"full_name"`
	}
	if err := sqlx.SelectContext(ctx, qs.db, &names, qs.db.Rebind(`SELECT id, full_name FROM members WHERE `+in.sql), in.args...); err != nil {
		return dbError(err, "reading the members of receipts")
	}
	byID := map[string]string{}
	for _, n := range names {
		byID[n.ID] = n.Name
	}
	for i := range rs {
		rs[i].MemberDisplayName = byID[rs[i].MemberID]
	}
	return nil
}

// ListReceipts returns one page of the receipts of an association that q
// selects among those p may see, with their groups.
func (qs queries) ListReceipts(ctx context.Context, p millwa.Principal, associationID string, q ListQuery) (Page[millwa.Receipt], error) {
	page, err := listPage(ctx, qs, &receiptList, childScope(receiptScope(p), associationID), q, (*receiptRow).receipt)
	if err != nil {
		return page, err
	}
	return page, qs.loadReceipts(ctx, page.Items)
}

// VoidReceipt marks the receipt VOIDED; the caller has read it in this
// transaction (locking it) and checked that no lot uses its grams. Its
// groups are locked first, in the order CreateLot locks them, so that a
// lot being built from it concurrently either commits first (and the
// database then refuses the void through the check below) or waits.
func (tx *Tx) VoidReceipt(ctx context.Context, id string) error {
	var used []int64
	if err := sqlx.SelectContext(ctx, tx.tx, &used, tx.tx.Rebind(`SELECT used_grams FROM receipt_groups WHERE receipt_id = ? ORDER BY code`+tx.forUpdate), id); err != nil {
		return dbError(err, "locking the groups of receipt %s", id)
	}
	if slices.ContainsFunc(used, func(g int64) bool { return g > 0 }) {
		return &millwa.Error{Code: millwa.FailedPrecondition, Reason: "RECEIPT_IN_LOT", Message: "a lot uses grams of the receipt: it cannot be voided"}
	}
	_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE receipts SET state = 'VOIDED', revision = revision + 1, update_time = ? WHERE id = ?`), dbTime{now()}, id)
	return dbError(err, "voiding receipt %s", id)
}

// sourceGroup is the locked state of the group a lot source draws on.
type sourceGroup struct {
	ReceiptID     string `db:"receipt_id"`
	AssociationID string `db:"association_id"`
	MemberID      string `db:"member_id"`
	Standard      string `db:"standard"`
	Campaign      int    `db:"campaign"`
	Breed         string `db:"breed"`
	Colour        string `db:"colour"`
	State         string `db:"state"`
	Code          string `db:"code"`
	Grams         int64  `db:"grams"`
	UsedGrams     int64  `db:"used_grams"`
}

// UseSources checks and takes the grams each lot's sources draw from its
// receipts, and sets each source's member; fields name each lot in the
// request, for errors. Every group drawn on is locked first, in receipt-id
// order (FOR UPDATE on PostgreSQL; SQLite's write transaction runs alone),
// so concurrent lots on the same receipts serialise without deadlock and
// never use a gram twice; the database's CHECK keeps used grams within
// held grams even so. A receipt of another association, voided, of
// another standard, campaign, breed or colour, or without enough unused
// grams of the lot's group answers Invalid naming the source.
func (tx *Tx) UseSources(ctx context.Context, lots []millwa.Lot, fields []string) error {
	type want struct{ receipt, code string }
	var keys []want
	for _, l := range lots {
		for _, s := range l.Sources {
			keys = append(keys, want{s.ReceiptID, l.DeclaredGroup})
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b want) int {
		if a.receipt != b.receipt {
			return strings.Compare(a.receipt, b.receipt)
		}
		return strings.Compare(a.code, b.code)
	})
	keys = slices.Compact(keys)
	// One statement locks every group of the receipts drawn on, in
	// receipt-id order.
	var receiptIDs []string
	for _, k := range keys {
		if id, ok := canonicalID(k.receipt); ok && !slices.Contains(receiptIDs, id) {
			receiptIDs = append(receiptIDs, id)
		}
	}
	groups := map[want]*sourceGroup{}
	if len(receiptIDs) > 0 {
		in := inScope("g.receipt_id", receiptIDs)
		var rows []sourceGroup
		if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT g.receipt_id, r.association_id, r.member_id, r.standard, r.campaign,
			r.breed, r.colour, r.state, g.code, g.grams, g.used_grams
			FROM receipt_groups g JOIN receipts r ON r.id = g.receipt_id
			WHERE `+in.sql+` ORDER BY g.receipt_id, g.code`+tx.forUpdate), in.args...); err != nil {
			return dbError(err, "locking the receipts of lot sources")
		}
		byKey := map[want]*sourceGroup{}
		for i := range rows {
			byKey[want{rows[i].ReceiptID, rows[i].Code}] = &rows[i]
		}
		for _, k := range keys {
			if id, ok := canonicalID(k.receipt); ok && byKey[want{id, k.code}] != nil {
				groups[k] = byKey[want{id, k.code}]
			}
		}
	}
	var vs millwa.Violations
	for i := range lots {
		l := &lots[i]
		for j := range l.Sources {
			s := &l.Sources[j]
			f := fields[i] + ".sources[" + strconv.Itoa(j) + "]"
			g := groups[want{s.ReceiptID, l.DeclaredGroup}]
			switch {
			case g == nil || !sameID(g.AssociationID, l.AssociationID):
				vs.Add(f+".receipt", "is not a receipt of associations/%s with grams of %s", l.AssociationID, l.DeclaredGroup)
			case g.State != string(millwa.ReceiptActive):
				vs.Add(f+".receipt", "is %s: only an ACTIVE receipt's grams go into lots", g.State)
			case g.Standard != l.Standard || g.Campaign != l.Campaign || g.Breed != l.Breed || g.Colour != l.Colour:
				vs.Add(f+".receipt", "is %s %s %s of campaign %d under standards/%s: the lot is %s %s of campaign %d under standards/%s",
					g.Breed, g.Colour, g.Code, g.Campaign, g.Standard, l.Breed, l.Colour, l.Campaign, l.Standard)
			case g.Grams-g.UsedGrams < s.Grams:
				vs.Add(f+".grams", "exceeds the receipt's %d unused grams of %s", g.Grams-g.UsedGrams, g.Code)
				g.UsedGrams = g.Grams
			default:
				g.UsedGrams += s.Grams
				s.MemberID = g.MemberID
				s.ReceiptID = g.ReceiptID
			}
		}
	}
	if err := vs.Err(); err != nil {
		return err
	}
	for _, k := range keys {
		g := groups[k]
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE receipt_groups SET used_grams = ? WHERE receipt_id = ? AND code = ?`),
			g.UsedGrams, g.ReceiptID, g.Code); err != nil {
			return dbError(err, "using grams of receipt %s", g.ReceiptID)
		}
	}
	in := inScope("id", receiptIDs)
	_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE receipts SET revision = revision + 1, update_time = ? WHERE `+in.sql),
		append([]any{dbTime{now()}}, in.args...)...)
	return dbError(err, "using grams of receipts")
}

// insertSources writes the sources of lot l, created as id.
func (tx *Tx) insertSources(ctx context.Context, id string, l *millwa.Lot) error {
	for _, s := range l.Sources {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO lot_sources (lot_id, association_id, receipt_id, member_id, code, grams) VALUES (?, ?, ?, ?, ?, ?)`),
			id, l.AssociationID, s.ReceiptID, s.MemberID, l.DeclaredGroup, s.Grams); err != nil {
			return dbError(err, "inserting a source of lot %s", id)
		}
	}
	return nil
}

// sourceRow is a lot_sources row.
type sourceRow struct {
	LotID     string `db:"lot_id"`
	ReceiptID string `db:"receipt_id"`
	MemberID  string `db:"member_id"`
	Grams     int64  `db:"grams"`
}

// lotSources fills the sources of lots, by receipt id.
var lotSources = children[millwa.Lot, sourceRow]{
	what:   "lot sources",
	query:  `SELECT lot_id, receipt_id, member_id, grams FROM lot_sources WHERE lot_id IN %s ORDER BY lot_id, receipt_id`,
	id:     func(l *millwa.Lot) string { return l.ID },
	parent: func(r *sourceRow) string { return r.LotID },
	add: func(l *millwa.Lot, r *sourceRow) {
		l.Sources = append(l.Sources, millwa.Source{ReceiptID: r.ReceiptID, MemberID: r.MemberID, Grams: r.Grams})
	},
}

// sameID reports whether two ids are the same UUID, whatever their case.
func sameID(a, b string) bool {
	ka, ok := canonicalID(a)
	kb, okb := canonicalID(b)
	return ok && okb && ka == kb
}

// LoadLotSources fills the sources of lots (those built from receipts).
func (qs queries) LoadLotSources(ctx context.Context, lots []millwa.Lot) error {
	return lotSources.load(ctx, qs.db, lots)
}
