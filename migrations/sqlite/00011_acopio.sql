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
    association_id TEXT    NOT NULL REFERENCES associations (id),
    campaign       INTEGER NOT NULL,
    last_number    INTEGER NOT NULL,
    PRIMARY KEY (association_id, campaign),
    CONSTRAINT receipt_counters_positive CHECK (last_number >= 1)
) STRICT;

CREATE TABLE receipts (
    id               TEXT        NOT NULL PRIMARY KEY,
    association_id   TEXT        NOT NULL REFERENCES associations (id),
    member_id        TEXT        NOT NULL,
    classifier_id    TEXT        NOT NULL,
    standard         TEXT        NOT NULL,
    campaign         INTEGER     NOT NULL,
    receipt_number   INTEGER     NOT NULL,
    collection_point TEXT        NOT NULL,
    receive_date     TEXT        NOT NULL,
    breed            TEXT        NOT NULL,
    colour           TEXT        NOT NULL,
    fleece_count     INTEGER     NOT NULL,
    net_weight_grams INTEGER     NOT NULL,
    fleece_category  TEXT        NOT NULL DEFAULT '',
    state            TEXT        NOT NULL DEFAULT 'ACTIVE',
    revision         INTEGER     NOT NULL DEFAULT 1,
    create_time      TEXT        NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time      TEXT        NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
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
) STRICT;
CREATE INDEX receipts_association_create_time_idx ON receipts (association_id, create_time, id);
CREATE INDEX receipts_member_campaign_idx ON receipts (member_id, campaign, id);

CREATE TABLE receipt_groups (
    receipt_id     TEXT   NOT NULL REFERENCES receipts (id),
    code           TEXT   NOT NULL,
    grams          INTEGER NOT NULL,
    used_grams     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (receipt_id, code),
    CONSTRAINT receipt_groups_grams_positive CHECK (grams > 0),
    CONSTRAINT receipt_groups_used_within CHECK (used_grams >= 0 AND used_grams <= grams)
) STRICT;

CREATE TABLE lot_sources (
    lot_id         TEXT   NOT NULL,
    association_id TEXT   NOT NULL,
    receipt_id     TEXT   NOT NULL,
    member_id      TEXT   NOT NULL,
    code           TEXT   NOT NULL,
    grams          INTEGER NOT NULL,
    PRIMARY KEY (lot_id, receipt_id),
    CONSTRAINT lot_sources_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT lot_sources_receipt_fkey FOREIGN KEY (association_id, receipt_id)
        REFERENCES receipts (association_id, id),
    CONSTRAINT lot_sources_group_fkey FOREIGN KEY (receipt_id, code)
        REFERENCES receipt_groups (receipt_id, code),
    CONSTRAINT lot_sources_grams_positive CHECK (grams > 0)
) STRICT;
CREATE INDEX lot_sources_receipt_idx ON lot_sources (receipt_id);

CREATE TABLE member_payments (
    id             TEXT        NOT NULL PRIMARY KEY,
    association_id TEXT        NOT NULL,
    member_id      TEXT        NOT NULL,
    campaign       INTEGER     NOT NULL,
    amount_minor   INTEGER     NOT NULL,
    currency       TEXT        NOT NULL,
    method         TEXT        NOT NULL,
    reference      TEXT        NOT NULL DEFAULT '',
    create_time    TEXT        NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT member_payments_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT member_payments_amount_positive CHECK (amount_minor > 0),
    CONSTRAINT member_payments_currency_format CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
    CONSTRAINT member_payments_method_allowed CHECK (method IN ('CASH', 'BANK_TRANSFER', 'MOBILE_WALLET'))
) STRICT;
CREATE INDEX member_payments_member_idx ON member_payments (member_id, campaign);

-- A check grading of a lot of whole fleeces keeps the grams the agency
-- classed into quality groups (a JSON object of code to grams) in place of
-- a measured sample. SQLite cannot change a CHECK constraint: the table is
-- rebuilt with the new column and constraint.
CREATE TABLE check_gradings_new (
    id                     TEXT    NOT NULL PRIMARY KEY,
    agency_id              TEXT    NOT NULL REFERENCES agencies (id),
    lot_id                 TEXT    NOT NULL,
    association_id         TEXT    NOT NULL,
    classifier_id          TEXT    NOT NULL,
    standard               TEXT    NOT NULL,
    declared_quality_group TEXT    NOT NULL,
    market_quality_group   TEXT    NOT NULL,
    check_quality_group    TEXT    NOT NULL,
    mean_fibre_diameter_um REAL    NULL,
    fibre_diameter_sd_um   REAL    NULL,
    fibres_measured        INTEGER NULL,
    diameter_histogram     TEXT    NULL,
    staple_length_mm       REAL    NULL,
    grading_detail         TEXT    NULL,
    sampling_seed          INTEGER NULL,
    create_time            TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    sample_time            TEXT    NULL CHECK (sample_time IS NULL OR sample_time GLOB '????-??-??T??:??:??.??????Z'),
    note                   TEXT    NOT NULL DEFAULT '',
    classed_grams          TEXT    NULL,
    CONSTRAINT check_gradings_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT check_gradings_classifier_fkey FOREIGN KEY (association_id, classifier_id)
        REFERENCES classifiers (association_id, id),
    CONSTRAINT check_gradings_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT check_gradings_mean_diameter_positive
        CHECK (mean_fibre_diameter_um IS NULL OR mean_fibre_diameter_um > 0),
    CONSTRAINT check_gradings_diameter_sd_nonnegative
        CHECK (fibre_diameter_sd_um IS NULL OR fibre_diameter_sd_um >= 0),
    CONSTRAINT check_gradings_fibres_measured_positive
        CHECK (fibres_measured IS NULL OR fibres_measured > 0),
    CONSTRAINT check_gradings_staple_length_positive
        CHECK (staple_length_mm IS NULL OR staple_length_mm > 0),
    CONSTRAINT check_gradings_measured CHECK (mean_fibre_diameter_um IS NOT NULL OR diameter_histogram IS NOT NULL OR classed_grams IS NOT NULL)
) STRICT;
INSERT INTO check_gradings_new (id, agency_id, lot_id, association_id, classifier_id, standard, declared_quality_group, market_quality_group,
    check_quality_group, mean_fibre_diameter_um, fibre_diameter_sd_um, fibres_measured, diameter_histogram, staple_length_mm,
    grading_detail, sampling_seed, create_time, sample_time, note)
    SELECT id, agency_id, lot_id, association_id, classifier_id, standard, declared_quality_group, market_quality_group,
    check_quality_group, mean_fibre_diameter_um, fibre_diameter_sd_um, fibres_measured, diameter_histogram, staple_length_mm,
    grading_detail, sampling_seed, create_time, sample_time, note FROM check_gradings;
DROP TABLE check_gradings;
ALTER TABLE check_gradings_new RENAME TO check_gradings;
CREATE INDEX check_gradings_classifier_idx ON check_gradings (classifier_id, create_time);
CREATE INDEX check_gradings_agency_idx ON check_gradings (agency_id, create_time);
CREATE INDEX check_gradings_lot_idx ON check_gradings (lot_id);

-- +goose Down
CREATE TABLE check_gradings_old (
    id                     TEXT    NOT NULL PRIMARY KEY,
    agency_id              TEXT    NOT NULL REFERENCES agencies (id),
    lot_id                 TEXT    NOT NULL,
    association_id         TEXT    NOT NULL,
    classifier_id          TEXT    NOT NULL,
    standard               TEXT    NOT NULL,
    declared_quality_group TEXT    NOT NULL,
    market_quality_group   TEXT    NOT NULL,
    check_quality_group    TEXT    NOT NULL,
    mean_fibre_diameter_um REAL    NULL,
    fibre_diameter_sd_um   REAL    NULL,
    fibres_measured        INTEGER NULL,
    diameter_histogram     TEXT    NULL,
    staple_length_mm       REAL    NULL,
    grading_detail         TEXT    NULL,
    sampling_seed          INTEGER NULL,
    create_time            TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    sample_time            TEXT    NULL CHECK (sample_time IS NULL OR sample_time GLOB '????-??-??T??:??:??.??????Z'),
    note                   TEXT    NOT NULL DEFAULT '',
    CONSTRAINT check_gradings_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT check_gradings_classifier_fkey FOREIGN KEY (association_id, classifier_id)
        REFERENCES classifiers (association_id, id),
    CONSTRAINT check_gradings_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT check_gradings_mean_diameter_positive
        CHECK (mean_fibre_diameter_um IS NULL OR mean_fibre_diameter_um > 0),
    CONSTRAINT check_gradings_diameter_sd_nonnegative
        CHECK (fibre_diameter_sd_um IS NULL OR fibre_diameter_sd_um >= 0),
    CONSTRAINT check_gradings_fibres_measured_positive
        CHECK (fibres_measured IS NULL OR fibres_measured > 0),
    CONSTRAINT check_gradings_staple_length_positive
        CHECK (staple_length_mm IS NULL OR staple_length_mm > 0),
    CONSTRAINT check_gradings_measured CHECK (mean_fibre_diameter_um IS NOT NULL OR diameter_histogram IS NOT NULL)
) STRICT;
INSERT INTO check_gradings_old (id, agency_id, lot_id, association_id, classifier_id, standard, declared_quality_group, market_quality_group,
    check_quality_group, mean_fibre_diameter_um, fibre_diameter_sd_um, fibres_measured, diameter_histogram, staple_length_mm,
    grading_detail, sampling_seed, create_time, sample_time, note)
    SELECT id, agency_id, lot_id, association_id, classifier_id, standard, declared_quality_group, market_quality_group,
    check_quality_group, mean_fibre_diameter_um, fibre_diameter_sd_um, fibres_measured, diameter_histogram, staple_length_mm,
    grading_detail, sampling_seed, create_time, sample_time, note FROM check_gradings WHERE mean_fibre_diameter_um IS NOT NULL OR diameter_histogram IS NOT NULL;
DROP TABLE check_gradings;
ALTER TABLE check_gradings_old RENAME TO check_gradings;
CREATE INDEX check_gradings_classifier_idx ON check_gradings (classifier_id, create_time);
CREATE INDEX check_gradings_agency_idx ON check_gradings (agency_id, create_time);
CREATE INDEX check_gradings_lot_idx ON check_gradings (lot_id);
DROP TABLE member_payments;
DROP TABLE lot_sources;
DROP TABLE receipt_groups;
DROP TABLE receipts;
DROP TABLE receipt_counters;
ALTER TABLE associations DROP COLUMN fee_basis_points;
