package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// lotRow is a lots row; contributions are read separately.
type lotRow struct {
	ID              string         `db:"id"`
	AssociationID   string         `db:"association_id"`
	Standard        string         `db:"standard"`
	Campaign        int            `db:"campaign"`
	Breed           string         `db:"breed"`
	Colour          string         `db:"colour"`
	DeclaredGroup   string         `db:"declared_quality_group"`
	MarketGroup     string         `db:"market_quality_group"`
	MeasuredGroup   sql.NullString `db:"measured_quality_group"`
	Discrepancy     bool           `db:"discrepancy"`
	ClassifierID    string         `db:"classifier_id"`
	CollectionPoint string         `db:"collection_point"`
	Ubigeo          string         `db:"ubigeo"`
	NetWeightGrams  int64          `db:"net_weight_grams"`
	AllocatedGrams  int64          `db:"allocated_grams"`
	WithdrawnGrams  int64          `db:"withdrawn_grams"`
	State           string         `db:"state"`
	AskPricePerKg   int64          `db:"ask_price_minor_per_kg"`
	Currency        string         `db:"currency"`
	measurementRow
	Grading    sql.NullString `db:"grading_detail"`
	LotNumber  string         `db:"lot_number"`
	ClassDate  string         `db:"classification_date"`
	Revision   int64          `db:"revision"`
	CreateTime dbTime         `db:"create_time"`
	UpdateTime dbTime         `db:"update_time"`
}

const lotColumns = `id, association_id, standard, campaign, breed, colour, declared_quality_group,
	market_quality_group, measured_quality_group, discrepancy, classifier_id, collection_point, ubigeo,
	net_weight_grams, allocated_grams, withdrawn_grams, state, ask_price_minor_per_kg, currency, mean_fibre_diameter_um,
	fibre_diameter_sd_um, fibres_measured, diameter_histogram, staple_length_mm, grading_detail,
	lot_number, classification_date, revision, create_time, update_time`

func (r *lotRow) lot() millwa.Lot {
	l := millwa.Lot{
		ID: r.ID, AssociationID: r.AssociationID, Standard: r.Standard, Campaign: r.Campaign,
		Breed: r.Breed, Colour: r.Colour, DeclaredGroup: r.DeclaredGroup, ClassifierID: r.ClassifierID,
		NetWeightGrams: r.NetWeightGrams, CollectionPoint: r.CollectionPoint, LotNumber: r.LotNumber,
		ClassificationDate: r.ClassDate, AskPricePerKg: r.AskPricePerKg, Currency: r.Currency,
		MarketGroup: r.MarketGroup, MeasuredGroup: r.MeasuredGroup.String, Discrepancy: r.Discrepancy,
		Grading: r.Grading.String, State: millwa.LotState(r.State), AllocatedGrams: r.AllocatedGrams,
		WithdrawnGrams: r.WithdrawnGrams, Ubigeo: r.Ubigeo, Revision: r.Revision,
		CreateTime: r.CreateTime.Time, UpdateTime: r.UpdateTime.Time,
	}
	if r.measured() {
		m := &millwa.Measurement{}
		r.fill(m)
		l.Measurement = m
	}
	return l
}

// lotList is how lots are filtered, ordered, searched (by number and by
// their members' names and DNIs) and paged.
var lotList = resourceColumns{
	rowSource: rowSource{noun: "lot", from: "lots", selectList: lotColumns},
	search:    lotSearch,
	columns: map[string]column{
		"quality_group":          {expr: "market_quality_group", kind: millwa.StringField},
		"declared_quality_group": {expr: "declared_quality_group", kind: millwa.StringField},
		"colour":                 {expr: "colour", kind: millwa.StringField},
		"breed":                  {expr: "breed", kind: millwa.StringField},
		"standard":               {expr: "standard", kind: millwa.StringField},
		"classifier":             {expr: "classifier_id", kind: millwa.StringField},
		"state":                  {expr: "state", kind: millwa.StringField},
		"region":                 {expr: "ubigeo", kind: millwa.StringField, prefix: true},
		"campaign":               {expr: "campaign", kind: millwa.IntField},
		"discrepancy":            {expr: "discrepancy", kind: millwa.BoolField},
		"ask_price_per_kg":       {expr: "ask_price_minor_per_kg", kind: millwa.IntField},
		"net_weight_grams":       {expr: "net_weight_grams", kind: millwa.IntField},
		"offered_grams":          {expr: "(net_weight_grams - allocated_grams - withdrawn_grams)", kind: millwa.IntField},
		"create_time":            {expr: "create_time", kind: millwa.TimeField},
		"association":            {expr: "association_id", kind: millwa.StringField},
		"lot_number":             {expr: "lot_number", kind: millwa.StringField},
	},
}

// insertLotSQL is CreateLot's statement, rebound for each dialect once
// rather than on every call.
var (
	insertLotSQL = byDialect(`INSERT INTO lots (` + lotColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 'AVAILABLE', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`)
)

// insertLotParams is the number of insertLotSQL's parameters.
const insertLotParams = 26

// LotNumberTaken is the Reason of the AlreadyExists error of a lot whose
// number another lot of its association and campaign holds already.
const LotNumberTaken = "LOT_NUMBER_TAKEN"

// lotNumberKey is the unique index on a lot's number within its
// association and campaign (lots without a number are not in it).
const lotNumberKey = "lots_association_id_campaign_lot_number_key"

// CreateLot inserts l with its contributions, which the caller has
// validated (members and classifier of the same association, codes of the
// standard, grams summing to the weight). It sets ID, State AVAILABLE,
// Revision and the times. The database refuses a classifier or member of
// another association (FailedPrecondition), and a lot number that another
// lot of the association holds in the same campaign (AlreadyExists, reason
// LotNumberTaken; on PostgreSQL the transaction can then only roll back,
// so the caller looks the other lot up with LotsNumbered afterwards).
func (tx *Tx) CreateLot(ctx context.Context, l *millwa.Lot) error {
	id, err := newID()
	if err != nil {
		return err
	}
	t := now()
	mr, err := newMeasurementRow(l.Measurement)
	if err != nil {
		return err
	}
	measured := sql.NullString{String: l.MeasuredGroup, Valid: l.MeasuredGroup != ""}
	grading := sql.NullString{String: l.Grading, Valid: l.Grading != ""}
	args := make([]any, 0, insertLotParams+4*len(l.Contributions))
	args = append(args, id, l.AssociationID, l.Standard, l.Campaign, l.Breed, l.Colour, l.DeclaredGroup,
		l.MarketGroup, measured, l.Discrepancy, l.ClassifierID, l.CollectionPoint, l.Ubigeo,
		l.NetWeightGrams, l.AskPricePerKg, l.Currency, mr.MFD, mr.SD, mr.Fibres, mr.Histogram, mr.StapleLength, grading,
		l.LotNumber, l.ClassificationDate, dbTime{t}, dbTime{t})
	// The contributions in one statement: one round trip, whatever their
	// number (at most millwa.MaxContributions, 4 values each: within both
	// databases' limits on a statement's parameters). On PostgreSQL the
	// lot's INSERT and theirs are one statement, the lot's in a WITH (the
	// foreign keys are checked at the statement's end, when the lot is
	// there); SQLite has no INSERT in a WITH, and no round trip to save.
	for _, c := range l.Contributions {
		args = append(args, id, l.AssociationID, c.MemberID, c.Grams)
	}
	insertContributions := `INSERT INTO lot_contributions (lot_id, association_id, member_id, grams) VALUES ` +
		rowPlaceholders(len(l.Contributions), 4)
	together := tx.dialect == DialectPostgres && len(l.Contributions) > 0
	if together {
		_, err = tx.exec(ctx, tx.tx.Rebind(`WITH lot AS (`+insertLotSQL[DialectSQLite]+`) `+insertContributions), args...)
	} else {
		_, err = tx.exec(ctx, insertLotSQL[tx.dialect], args[:insertLotParams]...)
	}
	if violatesUnique(err, lotNumberKey) {
		e := millwa.Errorf(millwa.AlreadyExists, "lot number %q is taken by another lot of campaign %d: give each lot its own number", l.LotNumber, l.Campaign)
		e.Reason, e.Err = LotNumberTaken, err
		return e
	}
	if err != nil {
		return dbError(err, "inserting lot %s", id)
	}
	if !together && len(l.Contributions) > 0 {
		if _, err := tx.exec(ctx, tx.tx.Rebind(insertContributions), args[insertLotParams:]...); err != nil {
			return dbError(err, "inserting the contributions to lot %s", id)
		}
	}
	if err := tx.insertSources(ctx, id, l); err != nil {
		return err
	}
	l.ID, l.State, l.AllocatedGrams, l.Revision, l.CreateTime, l.UpdateTime = id, millwa.LotAvailable, 0, 1, t, t
	return nil
}

// LotsNumbered returns the lots of the association that p may see whose
// number is one of numbers, in any campaign: their ID, AssociationID,
// Campaign and LotNumber only.
func (qs queries) LotsNumbered(ctx context.Context, p millwa.Principal, associationID string, numbers []string) ([]millwa.Lot, error) {
	key, ok := canonicalID(associationID)
	if !ok || len(numbers) == 0 {
		return nil, nil
	}
	in := inScope("lot_number", numbers)
	visible := andScope(lotScope(p), scope{sql: "association_id = ?", args: []any{key}}, in)
	var rows []struct {
		ID       string `db:"id"`
		Campaign int    `db:"campaign"`
		Number   string `db:"lot_number"`
	}
	query := `SELECT id, campaign, lot_number FROM lots WHERE ` + visible.sql + ` ORDER BY create_time, id`
	if err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(query), visible.args...); err != nil {
		return nil, dbError(err, "looking up lots numbered %q", numbers)
	}
	out := make([]millwa.Lot, len(rows))
	for i, r := range rows {
		out[i] = millwa.Lot{ID: r.ID, AssociationID: key, Campaign: r.Campaign, LotNumber: r.Number}
	}
	return out, nil
}

// MissingMembers returns those of ids that are not members of the
// association, in the order given.
func (tx *Tx) MissingMembers(ctx context.Context, associationID string, ids []string) ([]string, error) {
	return missingIDs(ctx, tx, "members", associationID, ids)
}

// ClassifierExists reports whether the classifier belongs to the
// association.
func (tx *Tx) ClassifierExists(ctx context.Context, associationID, id string) (bool, error) {
	missing, err := missingIDs(ctx, tx, "classifiers", associationID, []string{id})
	return len(missing) == 0, err
}

// LotAssociation returns the association of a new lot if p may see it
// (NotFound, as GetAssociation, otherwise), and what MissingLotReferences
// reports of the lot's classifier and members, in one query.
func (tx *Tx) LotAssociation(ctx context.Context, p millwa.Principal, associationID, classifierID string, memberIDs []string) (a millwa.Association, classifierFound bool, missingMembers []string, err error) {
	notFound := millwa.Errorf(millwa.NotFound, "%s %s not found", millwa.Noun("association"), associationID)
	key, ok := canonicalID(associationID)
	if !ok {
		return a, false, nil, notFound
	}
	// The references as two columns of the association's row: the
	// classifier counted, the members found listed by their ids.
	classifiers, members := "0", "NULL"
	var args []any
	if c, ok := canonicalID(classifierID); ok {
		classifiers = `(SELECT COUNT(*) FROM classifiers c WHERE c.association_id = associations.id AND c.id = ?)`
		args = append(args, c)
	}
	canonical, keys := canonicalIDs(memberIDs)
	if len(keys) > 0 {
		in := inScope("m.id", keys)
		members = `(SELECT ` + idListAggregate[tx.dialect] + ` FROM members m WHERE m.association_id = associations.id AND ` + in.sql + `)`
		args = append(args, in.args...)
	}
	visible := associationScope(p)
	args = append(append(args, key), visible.args...)
	var row struct {
		associationRow
		Classifiers int            `db:"classifiers"`
		Members     sql.NullString `db:"members"`
	}
	err = tx.get(ctx, &row, tx.tx.Rebind(`SELECT `+associationColumns+`, `+classifiers+` AS classifiers, `+members+` AS members
		FROM associations WHERE id = ? AND (`+visible.sql+`)`), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil, notFound
	}
	if err != nil {
		return a, false, nil, dbError(err, "reading association %s", associationID)
	}
	found := map[string]bool{}
	if row.Members.String != "" {
		for id := range strings.SplitSeq(row.Members.String, ",") {
			found[id] = true
		}
	}
	return row.association(), row.Classifiers > 0, missingOf(memberIDs, canonical, found), nil
}

// idListAggregate joins the m.id of a group's rows with commas, for each
// dialect.
var idListAggregate = map[string]string{
	DialectSQLite:   `group_concat(m.id, ',')`,
	DialectPostgres: `string_agg(m.id::text, ',')`,
}

// canonicalIDs returns the canonical form of each of ids that is an id,
// by id, and those forms in the order of ids.
func canonicalIDs(ids []string) (canonical map[string]string, keys []string) {
	canonical = map[string]string{}
	for _, id := range ids {
		if k, ok := canonicalID(id); ok {
			canonical[id] = k
			keys = append(keys, k)
		}
	}
	return canonical, keys
}

// missingOf returns those of ids whose canonical form is not found, in
// order.
func missingOf(ids []string, canonical map[string]string, found map[string]bool) []string {
	var missing []string
	for _, id := range ids {
		if !found[canonical[id]] {
			missing = append(missing, id)
		}
	}
	return missing
}

// MissingLotReferences reports, in one query, whether the classifier
// belongs to the association and which of memberIDs are not members of it
// (in the order given): what a new lot refers to.
func (tx *Tx) MissingLotReferences(ctx context.Context, associationID, classifierID string, memberIDs []string) (classifierFound bool, missingMembers []string, err error) {
	var parts []string
	var args []any
	if key, ok := canonicalID(classifierID); ok {
		parts = append(parts, `SELECT 'c' AS kind, id FROM classifiers WHERE association_id = ? AND id = ?`)
		args = append(args, associationID, key)
	}
	canonical, keys := canonicalIDs(memberIDs)
	if len(keys) > 0 {
		in := inScope("id", keys)
		parts = append(parts, `SELECT 'm' AS kind, id FROM members WHERE association_id = ? AND `+in.sql)
		args = append(append(args, associationID), in.args...)
	}
	found := map[string]bool{}
	if len(parts) > 0 {
		var rows []struct {
			Kind string `db:"kind"`
			ID   string `db:"id"`
		}
		if err := tx.selectRows(ctx, &rows, tx.tx.Rebind(strings.Join(parts, ` UNION ALL `)), args...); err != nil {
			return false, nil, dbError(err, "looking up the classifier and members of a lot")
		}
		for _, r := range rows {
			if r.Kind == "c" {
				classifierFound = true
			} else {
				found[r.ID] = true
			}
		}
	}
	return classifierFound, missingOf(memberIDs, canonical, found), nil
}

// missingIDs returns those of ids that name no row of table belonging to
// the association.
func missingIDs(ctx context.Context, tx *Tx, table, associationID string, ids []string) ([]string, error) {
	var keys []string
	canonical := map[string]string{}
	for _, id := range ids {
		if k, ok := canonicalID(id); ok {
			canonical[id] = k
			keys = append(keys, k)
		}
	}
	found := map[string]bool{}
	if len(keys) > 0 {
		in := inScope("id", keys)
		var rows []string
		if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT id FROM `+table+` WHERE association_id = ? AND `+in.sql),
			append([]any{associationID}, in.args...)...); err != nil {
			return nil, dbError(err, "looking up %s", table)
		}
		for _, r := range rows {
			found[r] = true
		}
	}
	var missing []string
	for _, id := range ids {
		if !found[canonical[id]] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// GetLot returns the lot with the given id, with its contributions, if p
// may see it; NotFound ("lot ID not found") otherwise. Inside a
// transaction the lot's row stays locked until the transaction ends (on
// PostgreSQL), for a change.
//
// The lot and its contributions come in one query, in one round trip: the
// contributions aggregated into one column by a correlated subquery.
func (qs queries) GetLot(ctx context.Context, p millwa.Principal, id string) (millwa.Lot, error) {
	src := lotWithContributions[qs.dialect]
	row, err := getRow[lotContributionsRow](ctx, qs, &src, lotScope(p), id, true)
	if err != nil {
		return millwa.Lot{}, err
	}
	return row.lotWithContributions()
}

// GetLotWithSources is GetLot with the lot's sources (the receipts it
// draws on) filled as well, for readers who may see a lot's members: the
// lot, its contributions and its sources in one query.
func (qs queries) GetLotWithSources(ctx context.Context, p millwa.Principal, id string) (millwa.Lot, error) {
	src := lotWithSources[qs.dialect]
	row, err := getRow[lotSourcesRow](ctx, qs, &src, lotScope(p), id, true)
	if err != nil {
		return millwa.Lot{}, err
	}
	l, err := row.lotWithContributions()
	if err != nil {
		return millwa.Lot{}, err
	}
	if l.Sources, err = parseSources(row.Sources.String); err != nil {
		return millwa.Lot{}, millwa.Wrap(millwa.Internal, err, "reading the sources of lot %s", row.ID)
	}
	return l, nil
}

// lotSourcesRow is a lots row with its contributions and its sources
// aggregated as parseContributions and parseSources read them.
type lotSourcesRow struct {
	lotContributionsRow
	Sources sql.NullString `db:"sources"`
}

// scanTargets are those of lotContributionsRow and then the sources.
func (r *lotSourcesRow) scanTargets() []any {
	return append(r.lotContributionsRow.scanTargets(), &r.Sources)
}

// lotWithSources is where GetLotWithSources reads a lot, for each dialect:
// lotWithContributions and a column aggregating the lot's sources, each as
// receipt_id:member_id:grams, joined by commas (canonical UUIDs and
// integers, which hold neither separator). The primary key of lot_sources
// begins with lot_id, so the subquery reads only the lot's own rows.
var lotWithSources = map[string]rowSource{
	DialectSQLite: {noun: "lot", from: "lots", selectList: lotColumns + `,` + contributionsColumn[DialectSQLite] + `,
	(SELECT group_concat(s.receipt_id || ':' || s.member_id || ':' || s.grams, ',')
		FROM lot_sources s WHERE s.lot_id = lots.id) AS sources`},
	DialectPostgres: {noun: "lot", from: "lots", selectList: lotColumns + `,` + contributionsColumn[DialectPostgres] + `,
	(SELECT string_agg(s.receipt_id::text || ':' || s.member_id::text || ':' || s.grams::text, ',')
		FROM lot_sources s WHERE s.lot_id = lots.id) AS sources`},
}

// parseSources reads the sources aggregated by lotWithSources, in receipt
// id order as LoadLotSources gives them; "" is none.
func parseSources(s string) ([]millwa.Source, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]millwa.Source, 0, strings.Count(s, ",")+1)
	for part := range strings.SplitSeq(s, ",") {
		receipt, rest, ok := strings.Cut(part, ":")
		member, grams, ok2 := strings.Cut(rest, ":")
		g, err := strconv.ParseInt(grams, 10, 64)
		if !ok || !ok2 || receipt == "" || member == "" || err != nil {
			return nil, fmt.Errorf("malformed source %q", part)
		}
		out = append(out, millwa.Source{ReceiptID: receipt, MemberID: member, Grams: g})
	}
	byReceipt := func(a, b millwa.Source) int { return strings.Compare(a.ReceiptID, b.ReceiptID) }
	if !slices.IsSortedFunc(out, byReceipt) {
		slices.SortFunc(out, byReceipt)
	}
	return out, nil
}

// lotContributionsRow is a lots row with its contributions aggregated as
// parseContributions reads them.
type lotContributionsRow struct {
	lotRow
	Contributions sql.NullString `db:"contributions"`
}

// scanTargets are the fields of r in the order of lotColumns and then
// contributions, for a Scan without sqlx's reflection on the hot read
// (TestLotScanTargets checks the order against the db tags).
func (r *lotContributionsRow) scanTargets() []any {
	return []any{&r.ID, &r.AssociationID, &r.Standard, &r.Campaign, &r.Breed, &r.Colour, &r.DeclaredGroup,
		&r.MarketGroup, &r.MeasuredGroup, &r.Discrepancy, &r.ClassifierID, &r.CollectionPoint, &r.Ubigeo,
		&r.NetWeightGrams, &r.AllocatedGrams, &r.WithdrawnGrams, &r.State, &r.AskPricePerKg, &r.Currency, &r.MFD,
		&r.SD, &r.Fibres, &r.Histogram, &r.StapleLength, &r.Grading,
		&r.LotNumber, &r.ClassDate, &r.Revision, &r.CreateTime, &r.UpdateTime, &r.Contributions}
}

// lotWithContributions is where GetLot reads a lot with its contributions,
// for each dialect: each contribution as member_id:grams, joined by
// commas. Both parts are canonical UUIDs and integers, which hold neither
// separator. The aggregate has no ORDER BY, which would sort every lot's
// contributions in the database: parseContributions puts them in member
// id order (as lotContributions reads them), which the primary key's
// index usually gives already.
var lotWithContributions = map[string]rowSource{
	DialectSQLite:   {noun: "lot", from: "lots", selectList: lotColumns + `,` + contributionsColumn[DialectSQLite]},
	DialectPostgres: {noun: "lot", from: "lots", selectList: lotColumns + `,` + contributionsColumn[DialectPostgres]},
}

// contributionsColumn is the column of a lots query that aggregates the
// lot's contributions, for each dialect.
var contributionsColumn = map[string]string{
	DialectSQLite: `
	(SELECT group_concat(c.member_id || ':' || c.grams, ',')
		FROM lot_contributions c WHERE c.lot_id = lots.id) AS contributions`,
	DialectPostgres: `
	(SELECT string_agg(c.member_id::text || ':' || c.grams::text, ',')
		FROM lot_contributions c WHERE c.lot_id = lots.id) AS contributions`,
}

// lotListWithContributions is lotList reading each lot's contributions in
// the same query, for each dialect; lotListByNumber is the same searching
// lots by their number only, for processors, who never see a lot's members.
var lotListWithContributions, lotListByNumber = func() (all, byNumber map[string]*resourceColumns) {
	all, byNumber = map[string]*resourceColumns{}, map[string]*resourceColumns{}
	for dialect, src := range lotWithContributions {
		rc := lotList
		rc.rowSource = src
		all[dialect] = &rc
		numbered := rc
		numbered.search = lotNumberSearch
		byNumber[dialect] = &numbered
	}
	return all, byNumber
}()

// lotWithContributions is the row's lot with its contributions.
func (r *lotContributionsRow) lotWithContributions() (millwa.Lot, error) {
	l := r.lot()
	var err error
	if l.Contributions, err = parseContributions(r.Contributions.String); err != nil {
		return millwa.Lot{}, millwa.Wrap(millwa.Internal, err, "reading the contributions of lot %s", r.ID)
	}
	return l, nil
}

// parseContributions reads the contributions aggregated by
// lotWithContributions; "" is none.
func parseContributions(s string) ([]millwa.Contribution, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]millwa.Contribution, 0, strings.Count(s, ",")+1)
	for part := range strings.SplitSeq(s, ",") {
		member, grams, ok := strings.Cut(part, ":")
		g, err := strconv.ParseInt(grams, 10, 64)
		if !ok || member == "" || err != nil {
			return nil, fmt.Errorf("malformed contribution %q", part)
		}
		out = append(out, millwa.Contribution{MemberID: member, Grams: g})
	}
	byMember := func(a, b millwa.Contribution) int { return strings.Compare(a.MemberID, b.MemberID) }
	if !slices.IsSortedFunc(out, byMember) {
		slices.SortFunc(out, byMember)
	}
	return out, nil
}

// contributionRow is a lot_contributions row.
type contributionRow struct {
	LotID    string `db:"lot_id"`
	MemberID string `db:"member_id"`
	Grams    int64  `db:"grams"`
}

// lotContributions fills the contributions of lots, by member id.
var lotContributions = children[millwa.Lot, contributionRow]{
	what:   "contributions",
	query:  `SELECT lot_id, member_id, grams FROM lot_contributions WHERE lot_id IN %s ORDER BY lot_id, member_id`,
	id:     func(l *millwa.Lot) string { return l.ID },
	parent: func(r *contributionRow) string { return r.LotID },
	add: func(l *millwa.Lot, r *contributionRow) {
		l.Contributions = append(l.Contributions, millwa.Contribution{MemberID: r.MemberID, Grams: r.Grams})
	},
}

// ListLots returns one page of the lots q selects among those p may see,
// with their contributions, read in the same query. associationID, when set, limits the page to
// one association's lots. A processor's search matches lot numbers only.
func (qs queries) ListLots(ctx context.Context, p millwa.Principal, associationID string, q ListQuery) (Page[millwa.Lot], error) {
	visible := lotScope(p)
	if associationID != "" {
		key, ok := canonicalID(associationID)
		if !ok {
			return Page[millwa.Lot]{}, nil
		}
		visible = visible.and("association_id = ?", key)
	}
	rc := lotListWithContributions[qs.dialect]
	if p.Role == millwa.RoleProcessor {
		rc = lotListByNumber[qs.dialect]
	}
	rows, err := listPage(ctx, qs, rc, visible, q,
		func(r *lotContributionsRow) *lotContributionsRow { return r })
	if err != nil {
		return Page[millwa.Lot]{}, err
	}
	page := Page[millwa.Lot]{Items: make([]millwa.Lot, len(rows.Items)), Next: rows.Next}
	for i, r := range rows.Items {
		if page.Items[i], err = r.lotWithContributions(); err != nil {
			return Page[millwa.Lot]{}, err
		}
	}
	return page, nil
}

// WithdrawLot writes the withdrawal l.Withdraw made: its state and
// withdrawn grams, over the revision the caller read (locked), bumping
// the revision. The database refuses a WITHDRAWN lot with grams allocated
// and withdrawn grams beyond what is unallocated. It answers Aborted when
// the lot changed since it was read.
func (tx *Tx) WithdrawLot(ctx context.Context, l *millwa.Lot) error {
	t := now()
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE lots SET state = ?, withdrawn_grams = ?, revision = revision + 1, update_time = ?
		WHERE id = ? AND revision = ? AND allocated_grams = ?`),
		string(l.State), l.WithdrawnGrams, dbTime{t}, l.ID, l.Revision, l.AllocatedGrams)
	if err := oneRow(res, err, "lot %s changed while it was being withdrawn: read it again", l.ID); err != nil {
		return err
	}
	l.Revision++
	l.UpdateTime = t
	return nil
}
