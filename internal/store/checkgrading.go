package store

import (
	"context"
	"database/sql"

	"github.com/millwa/millwa/internal/millwa"
)

// checkGradingRow is a check_gradings row joined with its lot's ubigeo,
// breed and number, which the table does not keep, and the classifier's
// and association's names.
type checkGradingRow struct {
	ID            string `db:"id"`
	AgencyID      string `db:"agency_id"`
	LotID         string `db:"lot_id"`
	AssociationID string `db:"association_id"`
	ClassifierID  string `db:"classifier_id"`
	Standard      string `db:"standard"`
	DeclaredGroup string `db:"declared_quality_group"`
	MarketGroup   string `db:"market_quality_group"`
	CheckGroup    string `db:"check_quality_group"`
	measurementRow
	Grading    sql.NullString `db:"grading_detail"`
	CreateTime dbTime         `db:"create_time"`
	SampleTime dbNullTime     `db:"sample_time"`
	Note       string         `db:"note"`
	Classed    sql.NullString `db:"classed_grams"`
	Ubigeo     string         `db:"ubigeo"`
	Breed      string         `db:"breed"`
	LotNumber  string         `db:"lot_number"`
	Classifier string         `db:"classifier_name"`
	Assoc      string         `db:"association_name"`
}

const checkGradingColumns = `c.id, c.agency_id, c.lot_id, c.association_id, c.classifier_id, c.standard,
	c.declared_quality_group, c.market_quality_group, c.check_quality_group, c.mean_fibre_diameter_um,
	c.fibre_diameter_sd_um, c.fibres_measured, c.diameter_histogram, c.staple_length_mm, c.grading_detail,
	c.create_time, c.sample_time, c.note, c.classed_grams, l.ubigeo, l.breed, l.lot_number,
	(SELECT cl.full_name FROM classifiers cl WHERE cl.id = c.classifier_id) AS classifier_name,
	(SELECT a.legal_name FROM associations a WHERE a.id = c.association_id) AS association_name`

func (r *checkGradingRow) checkGrading() millwa.CheckGrading {
	c := millwa.CheckGrading{
		ID: r.ID, AgencyID: r.AgencyID, LotID: r.LotID, AssociationID: r.AssociationID, ClassifierID: r.ClassifierID,
		Standard: r.Standard, DeclaredGroup: r.DeclaredGroup, MarketGroup: r.MarketGroup, CheckGroup: r.CheckGroup,
		Grading: r.Grading.String, Ubigeo: r.Ubigeo, Breed: r.Breed, CreateTime: r.CreateTime.Time,
		SampleTime: r.SampleTime.Time, Note: r.Note, ClassedGrams: r.Classed.String,
		LotNumber: r.LotNumber, ClassifierName: r.Classifier, AssociationName: r.Assoc,
	}
	r.fill(&c.Measurement)
	return c
}

// CreateCheckGrading inserts c, which the caller has graded against the
// lot's standard, with snapshots of the lot's groups. It sets ID (a new
// UUIDv7) and CreateTime; Ubigeo and Breed are left as the caller gave
// them (the lot's).
func (tx *Tx) CreateCheckGrading(ctx context.Context, c *millwa.CheckGrading) error {
	id, err := newID()
	if err != nil {
		return err
	}
	t := now()
	mr, err := newMeasurementRow(&c.Measurement)
	if err != nil {
		return err
	}
	grading := sql.NullString{String: c.Grading, Valid: c.Grading != ""}
	classed := sql.NullString{String: c.ClassedGrams, Valid: c.ClassedGrams != ""}
	_, err = tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO check_gradings (id, agency_id, lot_id, association_id,
		classifier_id, standard, declared_quality_group, market_quality_group, check_quality_group,
		mean_fibre_diameter_um, fibre_diameter_sd_um, fibres_measured, diameter_histogram, staple_length_mm,
		grading_detail, create_time, sample_time, note, classed_grams)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, c.AgencyID, c.LotID, c.AssociationID, c.ClassifierID, c.Standard, c.DeclaredGroup, c.MarketGroup,
		c.CheckGroup, mr.MFD, mr.SD, mr.Fibres, mr.Histogram, mr.StapleLength,
		grading, dbTime{t}, dbNullTime{c.SampleTime}, c.Note, classed)
	if err != nil {
		return dbError(err, "inserting check grading %s", id)
	}
	c.ID, c.CreateTime = id, t
	return nil
}

// GetCheckGrading returns the check grading id of the agency agencyID (of
// any agency when agencyID is empty), with its lot's ubigeo, breed and
// number and the names of its classifier and association, as
// ListCheckGradings reads them, if p may see it; NotFound ("check grading
// ID not found") otherwise, as for another agency's check grading.
func (qs queries) GetCheckGrading(ctx context.Context, p millwa.Principal, agencyID, id string) (millwa.CheckGrading, error) {
	scope := checkGradingScope(p)
	if agencyID != "" {
		agency, ok := canonicalID(agencyID)
		if !ok {
			return millwa.CheckGrading{}, millwa.Errorf(millwa.NotFound, "%s %s not found", millwa.Noun(checkGradingSource.noun), id)
		}
		scope = scope.and("c.agency_id = ?", agency)
	}
	return getOne(ctx, qs, &checkGradingSource, scope, id, (*checkGradingRow).checkGrading)
}

// checkGradingSource reads check gradings with their lots' ubigeo and
// breed.
var checkGradingSource = rowSource{
	noun:       "check grading",
	from:       "check_gradings c JOIN lots l ON l.id = c.lot_id AND l.association_id = c.association_id",
	selectList: checkGradingColumns,
	idExpr:     "c.id",
}

// checkGradingList is how check gradings are filtered, ordered and paged.
// lot and classifier hold ids (the service takes them from resource
// names). The join with lots is a derived table named c, so that the
// columns a page key carries are the row's plain names, as keyFields
// needs, and checkGradingScope's c.agency_id still applies.
var checkGradingList = resourceColumns{
	rowSource: rowSource{
		noun: "check grading",
		from: `(SELECT ` + checkGradingColumns + ` FROM check_gradings c
			JOIN lots l ON l.id = c.lot_id AND l.association_id = c.association_id) c`,
		selectList: `id, agency_id, lot_id, association_id, classifier_id, standard, declared_quality_group,
			market_quality_group, check_quality_group, mean_fibre_diameter_um, fibre_diameter_sd_um, fibres_measured,
			diameter_histogram, staple_length_mm, grading_detail, create_time, sample_time, note, classed_grams, ubigeo, breed,
			lot_number, classifier_name, association_name`,
	},
	columns: map[string]column{
		"lot":         {expr: "lot_id", kind: millwa.StringField},
		"classifier":  {expr: "classifier_id", kind: millwa.StringField},
		"create_time": {expr: "create_time", kind: millwa.TimeField},
		"sample_time": {expr: "sample_time", kind: millwa.TimeField},
	},
}

// ListCheckGradings returns one page of the check gradings of the agency
// agencyID that lq selects, if p may see that agency; NotFound otherwise,
// and Invalid for a lot or classifier condition that is not an id.
func (qs queries) ListCheckGradings(ctx context.Context, p millwa.Principal, agencyID string, lq ListQuery) (Page[millwa.CheckGrading], error) {
	lq.Conditions = append([]millwa.Condition(nil), lq.Conditions...)
	for i, c := range lq.Conditions {
		if c.Field != "lot" && c.Field != "classifier" {
			continue
		}
		// Ids are uuid columns on PostgreSQL: anything else is an error
		// there, not a miss.
		id, ok := canonicalID(c.Str)
		if !ok {
			return Page[millwa.CheckGrading]{}, millwa.Errorf(millwa.Invalid, "%s takes a resource name ending in an id, got %q", c.Field, c.Str)
		}
		lq.Conditions[i].Str = id
	}
	a, err := qs.GetAgency(ctx, p, agencyID)
	if err != nil {
		return Page[millwa.CheckGrading]{}, err
	}
	visible := checkGradingScope(p).and("c.agency_id = ?", a.ID)
	return listPage(ctx, qs, &checkGradingList, visible, lq, (*checkGradingRow).checkGrading)
}
