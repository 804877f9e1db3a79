package store

import (
	"context"
	"encoding/json"

	"github.com/millwa/millwa/internal/millwa"
)

// samplingPlanRow is a sampling_plans row.
type samplingPlanRow struct {
	ID          string `db:"id"`
	AgencyID    string `db:"agency_id"`
	Region      string `db:"region"`
	StartTime   dbTime `db:"start_time"`
	EndTime     dbTime `db:"end_time"`
	AsOfTime    dbTime `db:"as_of_time"`
	Seed        int64  `db:"seed"`
	Rule        string `db:"rule"`
	LotCount    int    `db:"lot_count"`
	SampleCount int    `db:"sample_count"`
	Body        string `db:"body"`
	CreateTime  dbTime `db:"create_time"`
}

const samplingPlanColumns = `id, agency_id, region, start_time, end_time, as_of_time, seed, rule,
	lot_count, sample_count, body, create_time`

// samplingPlan converts the row, decoding its body; a body that does not
// decode is an Internal error naming the plan.
func (r *samplingPlanRow) samplingPlan() (millwa.SamplingPlan, error) {
	p := millwa.SamplingPlan{
		ID: r.ID, AgencyID: r.AgencyID, Region: r.Region, StartTime: r.StartTime.Time, EndTime: r.EndTime.Time,
		AsOfTime: r.AsOfTime.Time, Seed: r.Seed, Rule: r.Rule, LotCount: r.LotCount, SampleCount: r.SampleCount,
		CreateTime: r.CreateTime.Time,
	}
	if err := json.Unmarshal([]byte(r.Body), &p.Body); err != nil {
		return millwa.SamplingPlan{}, millwa.Wrap(millwa.Internal, err, "decoding the body of sampling plan %s", r.ID)
	}
	return p, nil
}

// CreateSamplingPlan inserts p under its agency. It sets ID (a new UUIDv7)
// and CreateTime.
func (tx *Tx) CreateSamplingPlan(ctx context.Context, p *millwa.SamplingPlan) error {
	id, err := newID()
	if err != nil {
		return err
	}
	body, err := json.Marshal(p.Body)
	if err != nil {
		return millwa.Wrap(millwa.Internal, err, "encoding sampling plan %s", id)
	}
	t := now()
	_, err = tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO sampling_plans (`+samplingPlanColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, p.AgencyID, p.Region, dbTime{p.StartTime}, dbTime{p.EndTime}, dbTime{p.AsOfTime}, p.Seed, p.Rule,
		p.LotCount, p.SampleCount, string(body), dbTime{t})
	if err != nil {
		return dbError(err, "inserting sampling plan %s", id)
	}
	p.ID, p.CreateTime = id, t
	return nil
}

// samplingPlanList is how sampling plans are read, filtered, ordered and
// paged.
var samplingPlanList = resourceColumns{
	rowSource: rowSource{
		noun:       "sampling plan",
		from:       "sampling_plans",
		selectList: samplingPlanColumns,
	},
	columns: map[string]column{
		"region":      {expr: "region", kind: millwa.StringField},
		"create_time": {expr: "create_time", kind: millwa.TimeField},
	},
}

// GetSamplingPlan returns the sampling plan id of the agency agencyID, if
// p may see it; NotFound ("sampling plan ID not found") otherwise, as for
// another agency's plan.
func (qs queries) GetSamplingPlan(ctx context.Context, p millwa.Principal, agencyID, id string) (millwa.SamplingPlan, error) {
	agency, ok := canonicalID(agencyID)
	if !ok {
		return millwa.SamplingPlan{}, millwa.Errorf(millwa.NotFound, "sampling plan %s not found", id)
	}
	row, err := getRow[samplingPlanRow](ctx, qs, &samplingPlanList.rowSource,
		samplingPlanScope(p).and("agency_id = ?", agency), id, false)
	if err != nil {
		return millwa.SamplingPlan{}, err
	}
	return row.samplingPlan()
}

// ListSamplingPlans returns one page of the sampling plans of the agency
// agencyID that lq selects, if p may see that agency; NotFound otherwise.
func (qs queries) ListSamplingPlans(ctx context.Context, p millwa.Principal, agencyID string, lq ListQuery) (Page[millwa.SamplingPlan], error) {
	a, err := qs.GetAgency(ctx, p, agencyID)
	if err != nil {
		return Page[millwa.SamplingPlan]{}, err
	}
	var decodeErr error
	page, err := listPage(ctx, qs, &samplingPlanList, samplingPlanScope(p).and("agency_id = ?", a.ID), lq,
		func(r *samplingPlanRow) millwa.SamplingPlan {
			plan, err := r.samplingPlan()
			if err != nil && decodeErr == nil {
				decodeErr = err
			}
			return plan
		})
	if err == nil {
		err = decodeErr
	}
	return page, err
}
