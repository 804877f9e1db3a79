-- The price observatory: prices agencies survey outside the platform
-- (RecordReferencePrice), shown beside the traded series as surveyed, never
-- as traded. The price is kept as entered, in its unit, with its
-- conversion to minor units per kilogram. An index on delivered trades by
-- weighing time serves the observatory's weekly cells.

-- +goose Up
CREATE TABLE reference_prices (
    id            UUID        NOT NULL PRIMARY KEY,
    agency_id     UUID        NOT NULL REFERENCES agencies (id),
    region        TEXT        NOT NULL,
    place         TEXT        NOT NULL,
    observe_date  TEXT        NOT NULL,
    standard      TEXT        NOT NULL,
    code          TEXT        NOT NULL,
    kind          TEXT        NOT NULL,
    price_minor   BIGINT      NOT NULL,
    unit          TEXT        NOT NULL,
    currency      TEXT        NOT NULL,
    price_minor_per_kg BIGINT NOT NULL,
    source_note   TEXT        NOT NULL,
    create_time   TIMESTAMPTZ NOT NULL,
    CONSTRAINT reference_prices_region_format CHECK (region ~ '^[0-9]{2}$'),
    CONSTRAINT reference_prices_date_format CHECK (observe_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    CONSTRAINT reference_prices_kind_allowed CHECK (kind IN ('FARM_GATE', 'INTERMEDIARY')),
    CONSTRAINT reference_prices_unit_allowed CHECK (unit IN ('KILOGRAM', 'POUND', 'QUINTAL')),
    CONSTRAINT reference_prices_price_positive CHECK (price_minor > 0 AND price_minor_per_kg >= 0),
    CONSTRAINT reference_prices_currency_format CHECK (currency ~ '^[A-Z]{3}$')
);
CREATE INDEX reference_prices_date_idx ON reference_prices (observe_date, region);
CREATE INDEX trades_weigh_time_idx ON trades (weigh_time) WHERE weigh_time IS NOT NULL;

-- +goose Down
DROP INDEX trades_weigh_time_idx;
DROP TABLE reference_prices;
