package store

import (
	"context"
	"fmt"

	"github.com/millwa/millwa/internal/millwa"
)

// processorList is how processors are listed (see organisationColumns).
var processorList = resourceColumns{
	rowSource: rowSource{noun: "processor", from: "processors", selectList: processorColumns},
	columns:   organisationColumns,
}

// processorRow is a processors row.
type processorRow struct {
	organisationRow
	PlantLocation string `db:"plant_location"`
}

const processorColumns = `id, legal_name, ruc, ubigeo, plant_location, contact_person_name,
	contact_phone, contact_email, revision, create_time, update_time`

func (r *processorRow) processor() millwa.Processor {
	return millwa.Processor{
		ID:            r.ID,
		LegalName:     r.LegalName,
		RUC:           r.RUC,
		Ubigeo:        r.Ubigeo,
		PlantLocation: r.PlantLocation,
		Contact:       r.contact(),
		Revision:      r.Revision,
		CreateTime:    r.CreateTime.Time,
		UpdateTime:    r.UpdateTime.Time,
	}
}

// CreateProcessor inserts p, which the caller has normalized and
// validated. On success it sets p.ID to a new UUIDv7, p.Revision to 1 and
// p.CreateTime and p.UpdateTime to the current time (UTC, microseconds); on
// failure p is unchanged. It returns AlreadyExists (reason
// PROCESSOR_RUC_TAKEN) when a processor with the same RUC exists.
func (tx *Tx) CreateProcessor(ctx context.Context, p *millwa.Processor) error {
	row := processorRow{organisationRow: newOrganisationRow(p.LegalName, p.RUC, p.Ubigeo, p.Contact), PlantLocation: p.PlantLocation}
	id, err := tx.insertRecord(ctx, "processors", processorColumns, &row.recordRow, &row)
	if err != nil {
		err = uniqueTaken(err, "PROCESSOR_RUC_TAKEN", "a processor with RUC %s already exists", p.RUC)
		return fmt.Errorf("inserting processor %s: %w", id, err)
	}
	*p = row.processor()
	return nil
}

// GetProcessor returns the processor with the given id if p may see it. It
// returns NotFound, saying "processor ID not found", when there is none or
// p may not see it: the two are indistinguishable.
func (qs queries) GetProcessor(ctx context.Context, p millwa.Principal, id string) (millwa.Processor, error) {
	return getOne(ctx, qs, &processorList.rowSource, processorScope(p), id, (*processorRow).processor)
}

// ListProcessors returns one page of the processors q selects among those
// p may see, in q's order (id order, which is creation order, when q has
// none). It returns Invalid for a field, key or limit the query may not
// have.
func (qs queries) ListProcessors(ctx context.Context, p millwa.Principal, q ListQuery) (Page[millwa.Processor], error) {
	return listPage(ctx, qs, &processorList, processorScope(p), q, (*processorRow).processor)
}
