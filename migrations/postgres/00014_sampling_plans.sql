-- Stored sampling plans: ProposeSamplingPlan keeps the plan it proposes
-- under the agency it was proposed for. The period, seed and rule are
-- columns, so that plans can be listed and filtered; what the plan chose,
-- per classifier, is one JSON document (the domain's record, never the
-- API's wire form).

-- +goose Up
CREATE TABLE sampling_plans (
    id           UUID        NOT NULL PRIMARY KEY,
    agency_id    UUID        NOT NULL REFERENCES agencies (id),
    region       TEXT        NOT NULL,
    start_time   TIMESTAMPTZ NOT NULL,
    end_time     TIMESTAMPTZ NOT NULL,
    as_of_time   TIMESTAMPTZ NOT NULL,
    seed         BIGINT      NOT NULL,
    rule         TEXT        NOT NULL,
    lot_count    INTEGER     NOT NULL,
    sample_count INTEGER     NOT NULL,
    body         TEXT        NOT NULL,
    create_time  TIMESTAMPTZ NOT NULL,
    CONSTRAINT sampling_plans_region_format CHECK (region ~ '^([0-9]{2}|[0-9]{4}|[0-9]{6})$'),
    CONSTRAINT sampling_plans_period CHECK (start_time < end_time),
    CONSTRAINT sampling_plans_counts CHECK (lot_count >= 0 AND sample_count >= 0 AND sample_count <= lot_count)
);
CREATE INDEX sampling_plans_agency_idx ON sampling_plans (agency_id, create_time, id);

-- +goose Down
DROP TABLE sampling_plans;
