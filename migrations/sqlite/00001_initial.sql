-- Millwa's initial schema, SQLite dialect. The PostgreSQL dialect
-- (../postgres/00001_initial.sql) holds the same tables, columns and
-- constraint names; see it for the conventions.
--
-- SQLite specifics:
--   * every table is STRICT, so a value of the wrong type is refused.
--   * ids are TEXT holding the lower-case canonical UUID (36 characters), so
--     that they sort like PostgreSQL's uuid type.
--   * times are TEXT 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC, always six
--     fractional digits): fixed width, so text order is time order. The
--     store writes them; a CHECK refuses any other shape.
--   * booleans are INTEGER 0 or 1; digests, hashes and payloads are BLOB.
--   * foreign keys are enforced because the store turns foreign_keys on for
--     every connection.

-- +goose Up

CREATE TABLE associations (
    id                  TEXT    NOT NULL PRIMARY KEY,
    legal_name          TEXT    NOT NULL,
    ruc                 TEXT    NOT NULL CONSTRAINT associations_ruc_key UNIQUE,
    ubigeo              TEXT    NOT NULL,
    community           TEXT    NOT NULL DEFAULT '',
    contact_person_name TEXT    NOT NULL,
    contact_phone       TEXT    NOT NULL DEFAULT '',
    contact_email       TEXT    NOT NULL DEFAULT '',
    revision            INTEGER NOT NULL DEFAULT 1,
    create_time         TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time         TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT associations_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT associations_ruc_format CHECK (length(ruc) = 11 AND ruc NOT GLOB '*[^0-9]*'),
    CONSTRAINT associations_ubigeo_format CHECK (length(ubigeo) = 6 AND ubigeo NOT GLOB '*[^0-9]*'),
    CONSTRAINT associations_revision_positive CHECK (revision >= 1)
) STRICT;
CREATE INDEX associations_ubigeo_idx ON associations (ubigeo, id);

CREATE TABLE members (
    id             TEXT    NOT NULL PRIMARY KEY,
    association_id TEXT    NOT NULL REFERENCES associations (id),
    full_name      TEXT    NOT NULL,
    dni            TEXT    NOT NULL,
    sex            TEXT    NOT NULL,
    herd_size      INTEGER NULL,
    revision       INTEGER NOT NULL DEFAULT 1,
    create_time    TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time    TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT members_association_id_id_key UNIQUE (association_id, id),
    CONSTRAINT members_association_id_dni_key UNIQUE (association_id, dni),
    CONSTRAINT members_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT members_dni_format CHECK (length(dni) = 8 AND dni NOT GLOB '*[^0-9]*'),
    CONSTRAINT members_sex_allowed CHECK (sex IN ('FEMALE', 'MALE', 'OTHER', 'UNDISCLOSED')),
    CONSTRAINT members_herd_size_nonnegative CHECK (herd_size IS NULL OR herd_size >= 0),
    CONSTRAINT members_revision_positive CHECK (revision >= 1)
) STRICT;

CREATE TABLE classifiers (
    id                   TEXT    NOT NULL PRIMARY KEY,
    association_id       TEXT    NOT NULL REFERENCES associations (id),
    full_name            TEXT    NOT NULL,
    dni                  TEXT    NOT NULL,
    certification_number TEXT    NOT NULL DEFAULT '',
    certification_date   TEXT    NULL,
    member_id            TEXT    NULL,
    revision             INTEGER NOT NULL DEFAULT 1,
    create_time          TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time          TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT classifiers_association_id_id_key UNIQUE (association_id, id),
    CONSTRAINT classifiers_association_id_dni_key UNIQUE (association_id, dni),
    CONSTRAINT classifiers_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT classifiers_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT classifiers_dni_format CHECK (length(dni) = 8 AND dni NOT GLOB '*[^0-9]*'),
    CONSTRAINT classifiers_certification_date_format
        CHECK (certification_date IS NULL OR certification_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    CONSTRAINT classifiers_revision_positive CHECK (revision >= 1)
) STRICT;

CREATE TABLE lots (
    id                         TEXT    NOT NULL PRIMARY KEY,
    association_id             TEXT    NOT NULL REFERENCES associations (id),
    standard                   TEXT    NOT NULL,
    campaign                   INTEGER NOT NULL,
    breed                      TEXT    NOT NULL,
    colour                     TEXT    NOT NULL,
    declared_quality_group     TEXT    NOT NULL,
    market_quality_group       TEXT    NOT NULL,
    measured_quality_group     TEXT    NULL,
    discrepancy                INTEGER NOT NULL DEFAULT 0,
    classifier_id              TEXT    NOT NULL,
    collection_point           TEXT    NOT NULL DEFAULT '',
    ubigeo                     TEXT    NOT NULL,
    net_weight_grams           INTEGER NOT NULL,
    allocated_grams            INTEGER NOT NULL DEFAULT 0,
    state                      TEXT    NOT NULL DEFAULT 'AVAILABLE',
    ask_price_minor_per_kg     INTEGER NOT NULL,
    currency                   TEXT    NOT NULL DEFAULT 'PEN',
    mean_fibre_diameter_um     REAL    NULL,
    fibre_diameter_sd_um       REAL    NULL,
    fibres_measured            INTEGER NULL,
    diameter_histogram         TEXT    NULL,
    staple_length_mm           REAL    NULL,
    grading_detail             TEXT    NULL,
    revision                   INTEGER NOT NULL DEFAULT 1,
    create_time                TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time                TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT lots_association_id_id_key UNIQUE (association_id, id),
    CONSTRAINT lots_classifier_fkey FOREIGN KEY (association_id, classifier_id)
        REFERENCES classifiers (association_id, id),
    CONSTRAINT lots_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT lots_discrepancy_boolean CHECK (discrepancy IN (0, 1)),
    CONSTRAINT lots_campaign_range CHECK (campaign BETWEEN 2000 AND 2200),
    CONSTRAINT lots_breed_allowed CHECK (breed IN ('HUACAYA', 'SURI')),
    CONSTRAINT lots_ubigeo_format CHECK (length(ubigeo) = 6 AND ubigeo NOT GLOB '*[^0-9]*'),
    CONSTRAINT lots_net_weight_positive CHECK (net_weight_grams > 0),
    CONSTRAINT lots_allocated_within_weight
        CHECK (allocated_grams >= 0 AND allocated_grams <= net_weight_grams),
    CONSTRAINT lots_state_allowed CHECK (state IN ('AVAILABLE', 'ALLOCATED', 'SOLD', 'WITHDRAWN')),
    CONSTRAINT lots_withdrawn_unallocated CHECK (state <> 'WITHDRAWN' OR allocated_grams = 0),
    CONSTRAINT lots_ask_nonnegative CHECK (ask_price_minor_per_kg >= 0),
    CONSTRAINT lots_currency_format CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
    CONSTRAINT lots_mean_diameter_positive CHECK (mean_fibre_diameter_um IS NULL OR mean_fibre_diameter_um > 0),
    CONSTRAINT lots_diameter_sd_nonnegative CHECK (fibre_diameter_sd_um IS NULL OR fibre_diameter_sd_um >= 0),
    CONSTRAINT lots_fibres_measured_positive CHECK (fibres_measured IS NULL OR fibres_measured > 0),
    CONSTRAINT lots_staple_length_positive CHECK (staple_length_mm IS NULL OR staple_length_mm > 0),
    CONSTRAINT lots_revision_positive CHECK (revision >= 1)
) STRICT;
CREATE INDEX lots_market_idx ON lots (state, market_quality_group, colour, breed, id);
CREATE INDEX lots_ubigeo_idx ON lots (ubigeo, id);
CREATE INDEX lots_classifier_idx ON lots (classifier_id, create_time);

CREATE TABLE lot_contributions (
    lot_id         TEXT    NOT NULL,
    association_id TEXT    NOT NULL,
    member_id      TEXT    NOT NULL,
    grams          INTEGER NOT NULL,
    PRIMARY KEY (lot_id, member_id),
    CONSTRAINT lot_contributions_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT lot_contributions_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT lot_contributions_grams_positive CHECK (grams > 0)
) STRICT;
CREATE INDEX lot_contributions_member_idx ON lot_contributions (member_id);

CREATE TABLE processors (
    id                  TEXT    NOT NULL PRIMARY KEY,
    legal_name          TEXT    NOT NULL,
    ruc                 TEXT    NOT NULL CONSTRAINT processors_ruc_key UNIQUE,
    ubigeo              TEXT    NOT NULL,
    plant_location      TEXT    NOT NULL DEFAULT '',
    contact_person_name TEXT    NOT NULL DEFAULT '',
    contact_phone       TEXT    NOT NULL DEFAULT '',
    contact_email       TEXT    NOT NULL DEFAULT '',
    revision            INTEGER NOT NULL DEFAULT 1,
    create_time         TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time         TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT processors_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT processors_ruc_format CHECK (length(ruc) = 11 AND ruc NOT GLOB '*[^0-9]*'),
    CONSTRAINT processors_ubigeo_format CHECK (length(ubigeo) = 6 AND ubigeo NOT GLOB '*[^0-9]*'),
    CONSTRAINT processors_revision_positive CHECK (revision >= 1)
) STRICT;

CREATE TABLE purchase_orders (
    id                         TEXT    NOT NULL PRIMARY KEY,
    processor_id               TEXT    NOT NULL REFERENCES processors (id),
    quality_groups             TEXT    NOT NULL,
    colours                    TEXT    NOT NULL DEFAULT '[]',
    breeds                     TEXT    NOT NULL DEFAULT '[]',
    max_mean_fibre_diameter_um REAL    NULL,
    quantity_grams             INTEGER NOT NULL,
    min_piece_grams            INTEGER NOT NULL DEFAULT 0,
    filled_grams               INTEGER NOT NULL DEFAULT 0,
    bid_price_minor_per_kg     INTEGER NOT NULL,
    currency                   TEXT    NOT NULL DEFAULT 'PEN',
    delivery_ubigeo            TEXT    NOT NULL,
    state                      TEXT    NOT NULL DEFAULT 'OPEN',
    expire_time                TEXT    NULL CHECK (expire_time IS NULL OR expire_time GLOB '????-??-??T??:??:??.??????Z'),
    revision                   INTEGER NOT NULL DEFAULT 1,
    create_time                TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time                TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT purchase_orders_processor_id_id_key UNIQUE (processor_id, id),
    CONSTRAINT purchase_orders_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT purchase_orders_quantity_positive CHECK (quantity_grams > 0),
    CONSTRAINT purchase_orders_min_piece_within_quantity
        CHECK (min_piece_grams >= 0 AND min_piece_grams <= quantity_grams),
    CONSTRAINT purchase_orders_filled_within_quantity
        CHECK (filled_grams >= 0 AND filled_grams <= quantity_grams),
    CONSTRAINT purchase_orders_bid_positive CHECK (bid_price_minor_per_kg > 0),
    CONSTRAINT purchase_orders_currency_format CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
    CONSTRAINT purchase_orders_max_diameter_positive
        CHECK (max_mean_fibre_diameter_um IS NULL OR max_mean_fibre_diameter_um > 0),
    CONSTRAINT purchase_orders_delivery_ubigeo_format
        CHECK (length(delivery_ubigeo) IN (2, 4, 6) AND delivery_ubigeo NOT GLOB '*[^0-9]*'),
    CONSTRAINT purchase_orders_state_allowed
        CHECK (state IN ('OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'EXPIRED')),
    CONSTRAINT purchase_orders_revision_positive CHECK (revision >= 1)
) STRICT;
CREATE INDEX purchase_orders_state_idx ON purchase_orders (state, create_time, id);

CREATE TABLE allocations (
    id                TEXT    NOT NULL PRIMARY KEY,
    lot_id            TEXT    NOT NULL,
    association_id    TEXT    NOT NULL,
    purchase_order_id TEXT    NOT NULL,
    processor_id      TEXT    NOT NULL,
    grams             INTEGER NOT NULL,
    create_time       TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT allocations_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT allocations_purchase_order_fkey FOREIGN KEY (processor_id, purchase_order_id)
        REFERENCES purchase_orders (processor_id, id),
    CONSTRAINT allocations_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT allocations_grams_positive CHECK (grams > 0)
) STRICT;
CREATE INDEX allocations_lot_idx ON allocations (lot_id);
CREATE INDEX allocations_purchase_order_idx ON allocations (purchase_order_id);

CREATE TABLE trades (
    id                       TEXT    NOT NULL PRIMARY KEY,
    allocation_id            TEXT    NOT NULL CONSTRAINT trades_allocation_id_key UNIQUE REFERENCES allocations (id),
    lot_id                   TEXT    NOT NULL,
    association_id           TEXT    NOT NULL,
    purchase_order_id        TEXT    NOT NULL,
    processor_id             TEXT    NOT NULL,
    grams                    INTEGER NOT NULL,
    price_minor_per_kg       INTEGER NOT NULL,
    currency                 TEXT    NOT NULL DEFAULT 'PEN',
    state                    TEXT    NOT NULL DEFAULT 'MATCHED',
    association_confirm_time TEXT    NULL CHECK (association_confirm_time IS NULL OR association_confirm_time GLOB '????-??-??T??:??:??.??????Z'),
    processor_confirm_time   TEXT    NULL CHECK (processor_confirm_time IS NULL OR processor_confirm_time GLOB '????-??-??T??:??:??.??????Z'),
    delivered_grams          INTEGER NULL,
    deliver_time             TEXT    NULL CHECK (deliver_time IS NULL OR deliver_time GLOB '????-??-??T??:??:??.??????Z'),
    amount_due_minor         INTEGER NULL,
    paid_amount_minor        INTEGER NULL,
    pay_time                 TEXT    NULL CHECK (pay_time IS NULL OR pay_time GLOB '????-??-??T??:??:??.??????Z'),
    revision                 INTEGER NOT NULL DEFAULT 1,
    create_time              TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time              TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT trades_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT trades_purchase_order_fkey FOREIGN KEY (processor_id, purchase_order_id)
        REFERENCES purchase_orders (processor_id, id),
    CONSTRAINT trades_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT trades_grams_positive CHECK (grams > 0),
    CONSTRAINT trades_price_nonnegative CHECK (price_minor_per_kg >= 0),
    CONSTRAINT trades_currency_format CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
    CONSTRAINT trades_state_allowed
        CHECK (state IN ('MATCHED', 'CONFIRMED', 'DELIVERED', 'PAID', 'CANCELLED')),
    CONSTRAINT trades_delivered_within_grams
        CHECK (delivered_grams IS NULL OR (delivered_grams >= 0 AND delivered_grams <= grams)),
    CONSTRAINT trades_amount_due_nonnegative CHECK (amount_due_minor IS NULL OR amount_due_minor >= 0),
    CONSTRAINT trades_paid_amount_nonnegative CHECK (paid_amount_minor IS NULL OR paid_amount_minor >= 0),
    CONSTRAINT trades_revision_positive CHECK (revision >= 1)
) STRICT;
CREATE INDEX trades_association_idx ON trades (association_id, id);
CREATE INDEX trades_processor_idx ON trades (processor_id, id);
CREATE INDEX trades_purchase_order_idx ON trades (purchase_order_id);

CREATE TABLE payouts (
    trade_id       TEXT    NOT NULL REFERENCES trades (id),
    association_id TEXT    NOT NULL,
    member_id      TEXT    NOT NULL,
    grams          INTEGER NOT NULL,
    amount_minor   INTEGER NOT NULL,
    currency       TEXT    NOT NULL DEFAULT 'PEN',
    create_time    TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    PRIMARY KEY (trade_id, member_id),
    CONSTRAINT payouts_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT payouts_grams_positive CHECK (grams > 0),
    CONSTRAINT payouts_amount_nonnegative CHECK (amount_minor >= 0),
    CONSTRAINT payouts_currency_format CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*')
) STRICT;
CREATE INDEX payouts_member_idx ON payouts (member_id);

CREATE TABLE agencies (
    id                  TEXT    NOT NULL PRIMARY KEY,
    legal_name          TEXT    NOT NULL,
    ruc                 TEXT    NULL CONSTRAINT agencies_ruc_key UNIQUE,
    contact_person_name TEXT    NOT NULL DEFAULT '',
    contact_phone       TEXT    NOT NULL DEFAULT '',
    contact_email       TEXT    NOT NULL DEFAULT '',
    revision            INTEGER NOT NULL DEFAULT 1,
    create_time         TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time         TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT agencies_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT agencies_ruc_format CHECK (ruc IS NULL OR (length(ruc) = 11 AND ruc NOT GLOB '*[^0-9]*')),
    CONSTRAINT agencies_revision_positive CHECK (revision >= 1)
) STRICT;

CREATE TABLE agency_regions (
    agency_id     TEXT NOT NULL REFERENCES agencies (id),
    ubigeo_prefix TEXT NOT NULL,
    PRIMARY KEY (agency_id, ubigeo_prefix),
    CONSTRAINT agency_regions_prefix_format
        CHECK (length(ubigeo_prefix) IN (2, 4) AND ubigeo_prefix NOT GLOB '*[^0-9]*')
) STRICT;
CREATE INDEX agency_regions_prefix_idx ON agency_regions (ubigeo_prefix);

CREATE TABLE check_gradings (
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
CREATE INDEX check_gradings_classifier_idx ON check_gradings (classifier_id, create_time);
CREATE INDEX check_gradings_agency_idx ON check_gradings (agency_id, create_time);
CREATE INDEX check_gradings_lot_idx ON check_gradings (lot_id);

CREATE TABLE api_keys (
    id           TEXT    NOT NULL PRIMARY KEY,
    key_digest   BLOB    NOT NULL CONSTRAINT api_keys_key_digest_key UNIQUE,
    display_name TEXT    NOT NULL DEFAULT '',
    role         TEXT    NOT NULL,
    organisation TEXT    NOT NULL DEFAULT '',
    org_admin    INTEGER NOT NULL DEFAULT 0,
    create_time  TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    expire_time  TEXT    NULL CHECK (expire_time IS NULL OR expire_time GLOB '????-??-??T??:??:??.??????Z'),
    revoke_time  TEXT    NULL CHECK (revoke_time IS NULL OR revoke_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT api_keys_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT api_keys_key_digest_length CHECK (length(key_digest) = 32),
    CONSTRAINT api_keys_org_admin_boolean CHECK (org_admin IN (0, 1)),
    CONSTRAINT api_keys_role_allowed CHECK (role IN ('admin', 'association', 'processor', 'agency')),
    CONSTRAINT api_keys_organisation_matches_role CHECK (
        (role = 'admin' AND organisation = '')
        OR (role = 'association' AND organisation LIKE 'associations/%')
        OR (role = 'processor' AND organisation LIKE 'processors/%')
        OR (role = 'agency' AND organisation LIKE 'agencies/%'))
) STRICT;
CREATE INDEX api_keys_organisation_idx ON api_keys (organisation, id);

CREATE TABLE idempotency_records (
    organisation   TEXT    NOT NULL,
    method         TEXT    NOT NULL,
    request_id     TEXT    NOT NULL,
    request_digest BLOB    NOT NULL,
    state          TEXT    NOT NULL,
    response       BLOB    NULL,
    status_code    INTEGER NOT NULL DEFAULT 0,
    create_time    TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time    TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    expire_time    TEXT    NOT NULL CHECK (expire_time GLOB '????-??-??T??:??:??.??????Z'),
    PRIMARY KEY (organisation, method, request_id),
    CONSTRAINT idempotency_records_digest_length CHECK (length(request_digest) = 32),
    CONSTRAINT idempotency_records_state_allowed CHECK (state IN ('in_progress', 'done')),
    CONSTRAINT idempotency_records_done_has_response CHECK (state = 'in_progress' OR response IS NOT NULL)
) STRICT;
CREATE INDEX idempotency_records_expire_idx ON idempotency_records (expire_time);

CREATE TABLE audit_events (
    sequence      INTEGER NOT NULL PRIMARY KEY,
    actor         TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    organisation  TEXT    NOT NULL DEFAULT '',
    method        TEXT    NOT NULL,
    resource      TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    region        TEXT    NOT NULL DEFAULT '',
    change_digest BLOB    NOT NULL,
    event_time    TEXT    NOT NULL CHECK (event_time GLOB '????-??-??T??:??:??.??????Z'),
    prev_hash     BLOB    NOT NULL,
    hash          BLOB    NOT NULL CONSTRAINT audit_events_hash_key UNIQUE,
    CONSTRAINT audit_events_sequence_positive CHECK (sequence >= 1),
    CONSTRAINT audit_events_change_digest_length CHECK (length(change_digest) = 32),
    CONSTRAINT audit_events_prev_hash_length CHECK (length(prev_hash) = 32),
    CONSTRAINT audit_events_hash_length CHECK (length(hash) = 32)
) STRICT;
CREATE INDEX audit_events_resource_idx ON audit_events (resource, sequence);
CREATE INDEX audit_events_organisation_idx ON audit_events (organisation, sequence);

-- +goose StatementBegin
CREATE TRIGGER audit_events_refuse_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_events_refuse_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;
-- +goose StatementEnd

CREATE TABLE audit_chain_head (
    id            INTEGER NOT NULL PRIMARY KEY,
    last_sequence INTEGER NOT NULL,
    last_hash     BLOB    NOT NULL,
    CONSTRAINT audit_chain_head_one_row CHECK (id = 1),
    CONSTRAINT audit_chain_head_sequence_nonnegative CHECK (last_sequence >= 0),
    CONSTRAINT audit_chain_head_hash_length CHECK (length(last_hash) = 32)
) STRICT;
INSERT INTO audit_chain_head (id, last_sequence, last_hash)
VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE TRIGGER audit_chain_head_refuse_delete BEFORE DELETE ON audit_chain_head
BEGIN
    SELECT RAISE(ABORT, 'audit_chain_head is never deleted');
END;
-- +goose StatementEnd

-- AUTOINCREMENT: ids are never reused, even after a rollback or delete.
CREATE TABLE market_events (
    id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    organisation TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    resource     TEXT    NOT NULL,
    payload      BLOB    NOT NULL,
    event_time   TEXT    NOT NULL CHECK (event_time GLOB '????-??-??T??:??:??.??????Z')
) STRICT;
CREATE INDEX market_events_organisation_idx ON market_events (organisation, id);

-- +goose Down

DROP TABLE market_events;
DROP TRIGGER audit_chain_head_refuse_delete;
DROP TABLE audit_chain_head;
DROP TRIGGER audit_events_refuse_delete;
DROP TRIGGER audit_events_refuse_update;
DROP TABLE audit_events;
DROP TABLE idempotency_records;
DROP TABLE api_keys;
DROP TABLE check_gradings;
DROP TABLE agency_regions;
DROP TABLE agencies;
DROP TABLE payouts;
DROP TABLE trades;
DROP TABLE allocations;
DROP TABLE purchase_orders;
DROP TABLE processors;
DROP TABLE lot_contributions;
DROP TABLE lots;
DROP TABLE classifiers;
DROP TABLE members;
DROP TABLE associations;
