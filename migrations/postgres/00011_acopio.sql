-- Acopio: members' deliveries at the collection centre (receipts), the
-- grams lots draw from them (lot_sources), what the association paid its
-- members (member_payments) and the fee it withholds.
--
-- receipt_groups holds each receipt's grams by quality group (or its one
-- fleece category) with the grams lots have used; the CHECK keeps used
-- within held, so that no gram is sold twice even if a transaction's own
-- check were wrong. A CreateLot locks these rows FOR UPDATE by receipt id
-- before it adds to used_grams.
--
-- receipt_counters numbers receipts per association and campaign: the
-- creating transaction increments its row (locking it until commit), so
-- numbers are gap-free and a rolled-back receipt gives its number back.

-- +goose Up
ALTER TABLE associations ADD COLUMN fee_basis_points INTEGER NOT NULL DEFAULT 0
    CONSTRAINT associations_fee_range CHECK (fee_basis_points BETWEEN 0 AND 2000);

CREATE TABLE receipt_counters (
    association_id UUID    NOT NULL REFERENCES associations (id),
    campaign       INTEGER NOT NULL,
    last_number    BIGINT  NOT NULL,
    PRIMARY KEY (association_id, campaign),
    CONSTRAINT receipt_counters_positive CHECK (last_number >= 1)
);

CREATE TABLE receipts (
    id               UUID        NOT NULL PRIMARY KEY,
    association_id   UUID        NOT NULL REFERENCES associations (id),
    member_id        UUID        NOT NULL,
    classifier_id    UUID        NOT NULL,
    standard         TEXT        NOT NULL,
    campaign         INTEGER     NOT NULL,
    receipt_number   BIGINT      NOT NULL,
    collection_point TEXT        NOT NULL,
    receive_date     TEXT        NOT NULL,
    breed            TEXT        NOT NULL,
    colour           TEXT        NOT NULL,
    fleece_count     INTEGER     NOT NULL,
    net_weight_grams BIGINT      NOT NULL,
    fleece_category  TEXT        NOT NULL DEFAULT '',
    state            TEXT        NOT NULL DEFAULT 'ACTIVE',
    revision         BIGINT      NOT NULL DEFAULT 1,
    create_time      TIMESTAMPTZ NOT NULL,
    update_time      TIMESTAMPTZ NOT NULL,
    CONSTRAINT receipts_association_id_id_key UNIQUE (association_id, id),
    CONSTRAINT receipts_number_key UNIQUE (association_id, campaign, receipt_number),
    CONSTRAINT receipts_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT receipts_classifier_fkey FOREIGN KEY (association_id, classifier_id)
        REFERENCES classifiers (association_id, id),
    CONSTRAINT receipts_state_allowed CHECK (state IN ('ACTIVE', 'VOIDED')),
    CONSTRAINT receipts_number_positive CHECK (receipt_number >= 1),
    CONSTRAINT receipts_weight_positive CHECK (net_weight_grams > 0),
    CONSTRAINT receipts_fleece_count_positive CHECK (fleece_count >= 1),
    CONSTRAINT receipts_revision_positive CHECK (revision >= 1)
);
CREATE INDEX receipts_association_create_time_idx ON receipts (association_id, create_time, id);
CREATE INDEX receipts_member_campaign_idx ON receipts (member_id, campaign, id);

CREATE TABLE receipt_groups (
    receipt_id     UUID   NOT NULL REFERENCES receipts (id),
    code           TEXT   NOT NULL,
    grams          BIGINT NOT NULL,
    used_grams     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (receipt_id, code),
    CONSTRAINT receipt_groups_grams_positive CHECK (grams > 0),
    CONSTRAINT receipt_groups_used_within CHECK (used_grams >= 0 AND used_grams <= grams)
);

CREATE TABLE lot_sources (
    lot_id         UUID   NOT NULL,
    association_id UUID   NOT NULL,
    receipt_id     UUID   NOT NULL,
    member_id      UUID   NOT NULL,
    code           TEXT   NOT NULL,
    grams          BIGINT NOT NULL,
    PRIMARY KEY (lot_id, receipt_id),
    CONSTRAINT lot_sources_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT lot_sources_receipt_fkey FOREIGN KEY (association_id, receipt_id)
        REFERENCES receipts (association_id, id),
    CONSTRAINT lot_sources_group_fkey FOREIGN KEY (receipt_id, code)
        REFERENCES receipt_groups (receipt_id, code),
    CONSTRAINT lot_sources_grams_positive CHECK (grams > 0)
);
CREATE INDEX lot_sources_receipt_idx ON lot_sources (receipt_id);

CREATE TABLE member_payments (
    id             UUID        NOT NULL PRIMARY KEY,
    association_id UUID        NOT NULL,
    member_id      UUID        NOT NULL,
    campaign       INTEGER     NOT NULL,
    amount_minor   BIGINT      NOT NULL,
    currency       TEXT        NOT NULL,
    method         TEXT        NOT NULL,
    reference      TEXT        NOT NULL DEFAULT '',
    create_time    TIMESTAMPTZ NOT NULL,
    CONSTRAINT member_payments_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT member_payments_amount_positive CHECK (amount_minor > 0),
    CONSTRAINT member_payments_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT member_payments_method_allowed CHECK (method IN ('CASH', 'BANK_TRANSFER', 'MOBILE_WALLET'))
);
CREATE INDEX member_payments_member_idx ON member_payments (member_id, campaign);

-- A check grading of a lot of whole fleeces keeps the grams the agency
-- classed into quality groups (a JSON object of code to grams) in place of
-- a measured sample.
ALTER TABLE check_gradings ADD COLUMN classed_grams TEXT NULL;
ALTER TABLE check_gradings DROP CONSTRAINT check_gradings_measured;
ALTER TABLE check_gradings ADD CONSTRAINT check_gradings_measured
    CHECK (mean_fibre_diameter_um IS NOT NULL OR diameter_histogram IS NOT NULL OR classed_grams IS NOT NULL);

-- +goose Down
ALTER TABLE check_gradings DROP CONSTRAINT check_gradings_measured;
DELETE FROM check_gradings WHERE mean_fibre_diameter_um IS NULL AND diameter_histogram IS NULL;
ALTER TABLE check_gradings ADD CONSTRAINT check_gradings_measured
    CHECK (mean_fibre_diameter_um IS NOT NULL OR diameter_histogram IS NOT NULL);
ALTER TABLE check_gradings DROP COLUMN classed_grams;
DROP TABLE member_payments;
DROP TABLE lot_sources;
DROP TABLE receipt_groups;
DROP TABLE receipts;
DROP TABLE receipt_counters;
ALTER TABLE associations DROP COLUMN fee_basis_points;
