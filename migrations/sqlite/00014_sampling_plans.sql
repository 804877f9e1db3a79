-- Stored sampling plans: ProposeSamplingPlan keeps the plan it proposes
-- under the agency it was proposed for. The period, seed and rule are
-- columns, so that plans can be listed and filtered; what the plan chose,
-- per classifier, is one JSON document (the domain's record, never the
-- API's wire form).

-- +goose Up
CREATE TABLE sampling_plans (
    id           TEXT    NOT NULL PRIMARY KEY,
    agency_id    TEXT    NOT NULL REFERENCES agencies (id),
    region       TEXT    NOT NULL,
    start_time   TEXT    NOT NULL CHECK (start_time GLOB '????-??-??T??:??:??.??????Z'),
    end_time     TEXT    NOT NULL CHECK (end_time GLOB '????-??-??T??:??:??.??????Z'),
    as_of_time   TEXT    NOT NULL CHECK (as_of_time GLOB '????-??-??T??:??:??.??????Z'),
    seed         INTEGER NOT NULL,
    rule         TEXT    NOT NULL,
    lot_count    INTEGER NOT NULL,
    sample_count INTEGER NOT NULL,
    body         TEXT    NOT NULL,
    create_time  TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT sampling_plans_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT sampling_plans_region_format CHECK (length(region) IN (2, 4, 6) AND region NOT GLOB '*[^0-9]*'),
    CONSTRAINT sampling_plans_period CHECK (start_time < end_time),
    CONSTRAINT sampling_plans_counts CHECK (lot_count >= 0 AND sample_count >= 0 AND sample_count <= lot_count)
) STRICT;
CREATE INDEX sampling_plans_agency_idx ON sampling_plans (agency_id, create_time, id);

-- +goose Down
DROP TABLE sampling_plans;
