-- Quality claims: a processor's test of a sample taken at receipt of a
-- delivered trade, the association's answer and the agency's binding
-- referee test. A trade takes at most one claim; while it is OPEN or
-- REFERRED the trade cannot be paid. The grades are grade records
-- (grading.EncodeRecord), the samples measurement records. A classifier
-- whose lots fail referee tests climbs the sanctions ladder, one row per
-- step, which an agency may reverse.

-- +goose Up
CREATE TABLE trade_claims (
    id                  UUID    NOT NULL PRIMARY KEY,
    trade_id            UUID    NOT NULL CONSTRAINT trade_claims_trade_key UNIQUE REFERENCES trades (id),
    state               TEXT    NOT NULL,
    laboratory          TEXT    NOT NULL,
    test_method         TEXT    NOT NULL,
    measurement         TEXT    NOT NULL,
    grade               TEXT    NOT NULL,
    moisture_percent    DOUBLE PRECISION NULL,
    impurity_percent    DOUBLE PRECISION NULL,
    stated_minor_per_kg BIGINT  NOT NULL DEFAULT 0,
    sold_quality_group  TEXT    NOT NULL,
    sold_minor_per_kg   BIGINT  NOT NULL,
    repriced_minor_per_kg BIGINT NOT NULL,
    measured_quality_group TEXT NOT NULL,
    refer_reason        TEXT    NOT NULL DEFAULT '',
    agency_id           UUID    NULL,
    referee_laboratory  TEXT    NOT NULL DEFAULT '',
    referee_test_method TEXT    NOT NULL DEFAULT '',
    referee_measurement TEXT    NULL,
    referee_grade       TEXT    NULL,
    revision            BIGINT  NOT NULL DEFAULT 1,
    create_time         TIMESTAMPTZ NOT NULL,
    update_time         TIMESTAMPTZ NOT NULL,
    CONSTRAINT trade_claims_state_allowed CHECK (state IN ('OPEN', 'ACCEPTED', 'REFERRED', 'REPRICED', 'UPHELD')),
    CONSTRAINT trade_claims_prices CHECK (sold_minor_per_kg >= 0 AND repriced_minor_per_kg >= 0 AND repriced_minor_per_kg <= sold_minor_per_kg),
    CONSTRAINT trade_claims_revision_positive CHECK (revision >= 1)
);

-- The sanctions ladder: each step a classifier is put on, and its
-- reversal by an agency.
CREATE TABLE classifier_sanctions (
    id                UUID        NOT NULL PRIMARY KEY,
    classifier_id     UUID        NOT NULL REFERENCES classifiers (id),
    association_id    UUID        NOT NULL,
    step              TEXT        NOT NULL,
    failed_tests      BIGINT      NOT NULL,
    claim_id          UUID        NULL,
    create_time       TIMESTAMPTZ NOT NULL,
    reverse_time      TIMESTAMPTZ NULL,
    reverse_agency_id UUID        NULL,
    reverse_reason    TEXT        NOT NULL DEFAULT '',
    CONSTRAINT classifier_sanctions_step_allowed CHECK (step IN ('FEEDBACK', 'TIGHTENED_SAMPLING', 'SUSPENDED'))
);
CREATE INDEX classifier_sanctions_classifier_idx ON classifier_sanctions (classifier_id, create_time);

-- +goose Down
DROP TABLE classifier_sanctions;
DROP TABLE trade_claims;
