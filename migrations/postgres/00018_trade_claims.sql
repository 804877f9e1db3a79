-- Quality claims: a processor's test of a sample taken at receipt of a
-- delivered trade, the association's answer and the agency's binding
-- referee test. A trade takes at most one claim; while it is OPEN or
-- REFERRED the trade cannot be paid. The grades are grade records
-- (grading.EncodeRecord), the samples measurement records.

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

-- +goose Down
DROP TABLE trade_claims;
