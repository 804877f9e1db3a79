-- Quality claims: a processor's test of a sample taken at receipt of a
-- delivered trade, the association's answer and the agency's binding
-- referee test. A trade takes at most one claim; while it is OPEN or
-- REFERRED the trade cannot be paid. The grades are grade records
-- (grading.EncodeRecord), the samples measurement records. A classifier
-- whose lots fail referee tests climbs the sanctions ladder, one row per
-- step, which an agency may reverse.

-- +goose Up
CREATE TABLE trade_claims (
    id                  TEXT    NOT NULL PRIMARY KEY,
    trade_id            TEXT    NOT NULL CONSTRAINT trade_claims_trade_key UNIQUE REFERENCES trades (id),
    state               TEXT    NOT NULL,
    laboratory          TEXT    NOT NULL,
    test_method         TEXT    NOT NULL,
    measurement         TEXT    NOT NULL,
    grade               TEXT    NOT NULL,
    moisture_percent    REAL    NULL,
    impurity_percent    REAL    NULL,
    stated_minor_per_kg INTEGER NOT NULL DEFAULT 0,
    sold_quality_group  TEXT    NOT NULL,
    sold_minor_per_kg   INTEGER NOT NULL,
    repriced_minor_per_kg INTEGER NOT NULL,
    measured_quality_group TEXT NOT NULL,
    refer_reason        TEXT    NOT NULL DEFAULT '',
    agency_id           TEXT    NULL,
    referee_laboratory  TEXT    NOT NULL DEFAULT '',
    referee_test_method TEXT    NOT NULL DEFAULT '',
    referee_measurement TEXT    NULL,
    referee_grade       TEXT    NULL,
    revision            INTEGER NOT NULL DEFAULT 1,
    create_time         TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time         TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT trade_claims_state_allowed CHECK (state IN ('OPEN', 'ACCEPTED', 'REFERRED', 'REPRICED', 'UPHELD')),
    CONSTRAINT trade_claims_prices CHECK (sold_minor_per_kg >= 0 AND repriced_minor_per_kg >= 0 AND repriced_minor_per_kg <= sold_minor_per_kg),
    CONSTRAINT trade_claims_revision_positive CHECK (revision >= 1)
) STRICT;

-- The sanctions ladder: each step a classifier is put on, and its
-- reversal by an agency.
CREATE TABLE classifier_sanctions (
    id                TEXT    NOT NULL PRIMARY KEY,
    classifier_id     TEXT    NOT NULL REFERENCES classifiers (id),
    association_id    TEXT    NOT NULL,
    step              TEXT    NOT NULL,
    failed_tests      INTEGER NOT NULL,
    claim_id          TEXT    NULL,
    create_time       TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    reverse_time      TEXT    NULL CHECK (reverse_time IS NULL OR reverse_time GLOB '????-??-??T??:??:??.??????Z'),
    reverse_agency_id TEXT    NULL,
    reverse_reason    TEXT    NOT NULL DEFAULT '',
    CONSTRAINT classifier_sanctions_step_allowed CHECK (step IN ('FEEDBACK', 'TIGHTENED_SAMPLING', 'SUSPENDED'))
) STRICT;
CREATE INDEX classifier_sanctions_classifier_idx ON classifier_sanctions (classifier_id, create_time);

-- +goose Down
DROP TABLE classifier_sanctions;
DROP TABLE trade_claims;
