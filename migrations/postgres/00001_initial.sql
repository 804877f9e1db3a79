-- Millwa's initial schema, PostgreSQL dialect. The SQLite dialect
-- (../sqlite/00001_initial.sql) holds the same tables, columns and
-- constraint names.
--
-- Conventions:
--   * ids are UUIDv7 assigned by the server; the resource name is built from
--     them ("associations/{id}/lots/{id}").
--   * weights are BIGINT grams; money is BIGINT minor units (céntimos for PEN)
--     per kilogram, with an ISO 4217 currency; diameters are micrometres in
--     DOUBLE PRECISION; times are TIMESTAMPTZ in UTC, written by the store at
--     microsecond precision; calendar dates are TEXT 'YYYY-MM-DD'.
--   * enumerations are TEXT holding the proto enum value name without its
--     prefix (for example 'AVAILABLE'), checked against the allowed set.
--   * composite foreign keys (association_id, x_id) make it impossible for a
--     lot to name another association's member or classifier.
--   * the SQL stays within what CockroachDB and YugabyteDB accept.

-- +goose Up

CREATE TABLE associations (
    id                  UUID        NOT NULL PRIMARY KEY,
    legal_name          TEXT        NOT NULL,
    ruc                 TEXT        NOT NULL CONSTRAINT associations_ruc_key UNIQUE,
    ubigeo              TEXT        NOT NULL,
    community           TEXT        NOT NULL DEFAULT '',
    contact_person_name TEXT        NOT NULL,
    contact_phone       TEXT        NOT NULL DEFAULT '',
    contact_email       TEXT        NOT NULL DEFAULT '',
    revision            BIGINT      NOT NULL DEFAULT 1,
    create_time         TIMESTAMPTZ NOT NULL,
    update_time         TIMESTAMPTZ NOT NULL,
    CONSTRAINT associations_ruc_format CHECK (ruc ~ '^[0-9]{11}$'),
    CONSTRAINT associations_ubigeo_format CHECK (ubigeo ~ '^[0-9]{6}$'),
    CONSTRAINT associations_revision_positive CHECK (revision >= 1)
);
CREATE INDEX associations_ubigeo_idx ON associations (ubigeo, id);

CREATE TABLE members (
    id             UUID        NOT NULL PRIMARY KEY,
    association_id UUID        NOT NULL REFERENCES associations (id),
    full_name      TEXT        NOT NULL,
    dni            TEXT        NOT NULL,
    sex            TEXT        NOT NULL,
    herd_size      INTEGER     NULL,
    revision       BIGINT      NOT NULL DEFAULT 1,
    create_time    TIMESTAMPTZ NOT NULL,
    update_time    TIMESTAMPTZ NOT NULL,
    CONSTRAINT members_association_id_id_key UNIQUE (association_id, id),
    CONSTRAINT members_association_id_dni_key UNIQUE (association_id, dni),
    CONSTRAINT members_dni_format CHECK (dni ~ '^[0-9]{8}$'),
    CONSTRAINT members_sex_allowed CHECK (sex IN ('FEMALE', 'MALE', 'OTHER', 'UNDISCLOSED')),
    CONSTRAINT members_herd_size_nonnegative CHECK (herd_size IS NULL OR herd_size >= 0),
    CONSTRAINT members_revision_positive CHECK (revision >= 1)
);

CREATE TABLE classifiers (
    id                   UUID        NOT NULL PRIMARY KEY,
    association_id       UUID        NOT NULL REFERENCES associations (id),
    full_name            TEXT        NOT NULL,
    dni                  TEXT        NOT NULL,
    certification_number TEXT        NOT NULL DEFAULT '',
    certification_date   TEXT        NULL,
    member_id            UUID        NULL,
    revision             BIGINT      NOT NULL DEFAULT 1,
    create_time          TIMESTAMPTZ NOT NULL,
    update_time          TIMESTAMPTZ NOT NULL,
    CONSTRAINT classifiers_association_id_id_key UNIQUE (association_id, id),
    CONSTRAINT classifiers_association_id_dni_key UNIQUE (association_id, dni),
    CONSTRAINT classifiers_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT classifiers_dni_format CHECK (dni ~ '^[0-9]{8}$'),
    CONSTRAINT classifiers_certification_date_format
        CHECK (certification_date IS NULL OR certification_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    CONSTRAINT classifiers_revision_positive CHECK (revision >= 1)
);

CREATE TABLE lots (
    id                         UUID             NOT NULL PRIMARY KEY,
    association_id             UUID             NOT NULL REFERENCES associations (id),
    -- standard is the grading standard's id, e.g. 'pe-ntp-231-301-2014'.
    standard                   TEXT             NOT NULL,
    campaign                   INTEGER          NOT NULL,
    breed                      TEXT             NOT NULL,
    colour                     TEXT             NOT NULL,
    declared_quality_group     TEXT             NOT NULL,
    -- market_quality_group is the measured group when measurements exist,
    -- else the declared one.
    market_quality_group       TEXT             NOT NULL,
    measured_quality_group     TEXT             NULL,
    discrepancy                BOOLEAN          NOT NULL DEFAULT FALSE,
    classifier_id              UUID             NOT NULL,
    collection_point           TEXT             NOT NULL DEFAULT '',
    -- ubigeo is the lot's district of origin, used for region filters.
    ubigeo                     TEXT             NOT NULL,
    net_weight_grams           BIGINT           NOT NULL,
    allocated_grams            BIGINT           NOT NULL DEFAULT 0,
    state                      TEXT             NOT NULL DEFAULT 'AVAILABLE',
    ask_price_minor_per_kg     BIGINT           NOT NULL,
    currency                   TEXT             NOT NULL DEFAULT 'PEN',
    -- Measurements (all NULL when the lot was not measured).
    mean_fibre_diameter_um     DOUBLE PRECISION NULL,
    fibre_diameter_sd_um       DOUBLE PRECISION NULL,
    fibres_measured            INTEGER          NULL,
    -- diameter_histogram is JSON text: {"lower_um":..,"bin_width_um":..,"counts":[..]}.
    diameter_histogram         TEXT             NULL,
    staple_length_mm           DOUBLE PRECISION NULL,
    -- grading_detail is JSON text explaining the grade decision.
    grading_detail             TEXT             NULL,
    revision                   BIGINT           NOT NULL DEFAULT 1,
    create_time                TIMESTAMPTZ      NOT NULL,
    update_time                TIMESTAMPTZ      NOT NULL,
    CONSTRAINT lots_association_id_id_key UNIQUE (association_id, id),
    CONSTRAINT lots_classifier_fkey FOREIGN KEY (association_id, classifier_id)
        REFERENCES classifiers (association_id, id),
    CONSTRAINT lots_campaign_range CHECK (campaign BETWEEN 2000 AND 2200),
    CONSTRAINT lots_breed_allowed CHECK (breed IN ('HUACAYA', 'SURI')),
    CONSTRAINT lots_ubigeo_format CHECK (ubigeo ~ '^[0-9]{6}$'),
    CONSTRAINT lots_net_weight_positive CHECK (net_weight_grams > 0),
    CONSTRAINT lots_allocated_within_weight
        CHECK (allocated_grams >= 0 AND allocated_grams <= net_weight_grams),
    CONSTRAINT lots_state_allowed CHECK (state IN ('AVAILABLE', 'ALLOCATED', 'SOLD', 'WITHDRAWN')),
    CONSTRAINT lots_withdrawn_unallocated CHECK (state <> 'WITHDRAWN' OR allocated_grams = 0),
    CONSTRAINT lots_ask_nonnegative CHECK (ask_price_minor_per_kg >= 0),
    CONSTRAINT lots_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT lots_mean_diameter_positive CHECK (mean_fibre_diameter_um IS NULL OR mean_fibre_diameter_um > 0),
    CONSTRAINT lots_diameter_sd_nonnegative CHECK (fibre_diameter_sd_um IS NULL OR fibre_diameter_sd_um >= 0),
    CONSTRAINT lots_fibres_measured_positive CHECK (fibres_measured IS NULL OR fibres_measured > 0),
    CONSTRAINT lots_staple_length_positive CHECK (staple_length_mm IS NULL OR staple_length_mm > 0),
    CONSTRAINT lots_revision_positive CHECK (revision >= 1)
);
CREATE INDEX lots_market_idx ON lots (state, market_quality_group, colour, breed, id);
CREATE INDEX lots_ubigeo_idx ON lots (ubigeo, id);
CREATE INDEX lots_classifier_idx ON lots (classifier_id, create_time);

CREATE TABLE lot_contributions (
    lot_id         UUID   NOT NULL,
    association_id UUID   NOT NULL,
    member_id      UUID   NOT NULL,
    grams          BIGINT NOT NULL,
    PRIMARY KEY (lot_id, member_id),
    CONSTRAINT lot_contributions_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT lot_contributions_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT lot_contributions_grams_positive CHECK (grams > 0)
);
CREATE INDEX lot_contributions_member_idx ON lot_contributions (member_id);

CREATE TABLE processors (
    id                  UUID        NOT NULL PRIMARY KEY,
    legal_name          TEXT        NOT NULL,
    ruc                 TEXT        NOT NULL CONSTRAINT processors_ruc_key UNIQUE,
    ubigeo              TEXT        NOT NULL,
    plant_location      TEXT        NOT NULL DEFAULT '',
    contact_person_name TEXT        NOT NULL DEFAULT '',
    contact_phone       TEXT        NOT NULL DEFAULT '',
    contact_email       TEXT        NOT NULL DEFAULT '',
    revision            BIGINT      NOT NULL DEFAULT 1,
    create_time         TIMESTAMPTZ NOT NULL,
    update_time         TIMESTAMPTZ NOT NULL,
    CONSTRAINT processors_ruc_format CHECK (ruc ~ '^[0-9]{11}$'),
    CONSTRAINT processors_ubigeo_format CHECK (ubigeo ~ '^[0-9]{6}$'),
    CONSTRAINT processors_revision_positive CHECK (revision >= 1)
);

CREATE TABLE purchase_orders (
    id                         UUID             NOT NULL PRIMARY KEY,
    processor_id               UUID             NOT NULL REFERENCES processors (id),
    -- quality_groups, colours and breeds are JSON arrays of codes; an empty
    -- array of colours or breeds accepts any.
    quality_groups             TEXT             NOT NULL,
    colours                    TEXT             NOT NULL DEFAULT '[]',
    breeds                     TEXT             NOT NULL DEFAULT '[]',
    max_mean_fibre_diameter_um DOUBLE PRECISION NULL,
    quantity_grams             BIGINT           NOT NULL,
    min_piece_grams            BIGINT           NOT NULL DEFAULT 0,
    filled_grams               BIGINT           NOT NULL DEFAULT 0,
    bid_price_minor_per_kg     BIGINT           NOT NULL,
    currency                   TEXT             NOT NULL DEFAULT 'PEN',
    delivery_ubigeo            TEXT             NOT NULL,
    state                      TEXT             NOT NULL DEFAULT 'OPEN',
    expire_time                TIMESTAMPTZ      NULL,
    revision                   BIGINT           NOT NULL DEFAULT 1,
    create_time                TIMESTAMPTZ      NOT NULL,
    update_time                TIMESTAMPTZ      NOT NULL,
    CONSTRAINT purchase_orders_processor_id_id_key UNIQUE (processor_id, id),
    CONSTRAINT purchase_orders_quantity_positive CHECK (quantity_grams > 0),
    CONSTRAINT purchase_orders_min_piece_within_quantity
        CHECK (min_piece_grams >= 0 AND min_piece_grams <= quantity_grams),
    CONSTRAINT purchase_orders_filled_within_quantity
        CHECK (filled_grams >= 0 AND filled_grams <= quantity_grams),
    CONSTRAINT purchase_orders_bid_positive CHECK (bid_price_minor_per_kg > 0),
    CONSTRAINT purchase_orders_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT purchase_orders_max_diameter_positive
        CHECK (max_mean_fibre_diameter_um IS NULL OR max_mean_fibre_diameter_um > 0),
    CONSTRAINT purchase_orders_delivery_ubigeo_format CHECK (delivery_ubigeo ~ '^[0-9]{2}([0-9]{2}([0-9]{2})?)?$'),
    CONSTRAINT purchase_orders_state_allowed
        CHECK (state IN ('OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'EXPIRED')),
    CONSTRAINT purchase_orders_revision_positive CHECK (revision >= 1)
);
CREATE INDEX purchase_orders_state_idx ON purchase_orders (state, create_time, id);

-- An allocation takes grams of one lot for one purchase order. Each
-- allocation belongs to exactly one trade (trades.allocation_id is UNIQUE and
-- both rows are written in the same transaction).
CREATE TABLE allocations (
    id                UUID        NOT NULL PRIMARY KEY,
    lot_id            UUID        NOT NULL,
    association_id    UUID        NOT NULL,
    purchase_order_id UUID        NOT NULL,
    processor_id      UUID        NOT NULL,
    grams             BIGINT      NOT NULL,
    create_time       TIMESTAMPTZ NOT NULL,
    CONSTRAINT allocations_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT allocations_purchase_order_fkey FOREIGN KEY (processor_id, purchase_order_id)
        REFERENCES purchase_orders (processor_id, id),
    CONSTRAINT allocations_grams_positive CHECK (grams > 0)
);
CREATE INDEX allocations_lot_idx ON allocations (lot_id);
CREATE INDEX allocations_purchase_order_idx ON allocations (purchase_order_id);

CREATE TABLE trades (
    id                     UUID        NOT NULL PRIMARY KEY,
    allocation_id          UUID        NOT NULL CONSTRAINT trades_allocation_id_key UNIQUE REFERENCES allocations (id),
    lot_id                 UUID        NOT NULL,
    association_id         UUID        NOT NULL,
    purchase_order_id      UUID        NOT NULL,
    processor_id           UUID        NOT NULL,
    grams                  BIGINT      NOT NULL,
    price_minor_per_kg     BIGINT      NOT NULL,
    currency               TEXT        NOT NULL DEFAULT 'PEN',
    state                  TEXT        NOT NULL DEFAULT 'MATCHED',
    association_confirm_time TIMESTAMPTZ NULL,
    processor_confirm_time TIMESTAMPTZ NULL,
    delivered_grams        BIGINT      NULL,
    deliver_time           TIMESTAMPTZ NULL,
    amount_due_minor       BIGINT      NULL,
    paid_amount_minor      BIGINT      NULL,
    pay_time               TIMESTAMPTZ NULL,
    revision               BIGINT      NOT NULL DEFAULT 1,
    create_time            TIMESTAMPTZ NOT NULL,
    update_time            TIMESTAMPTZ NOT NULL,
    CONSTRAINT trades_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT trades_purchase_order_fkey FOREIGN KEY (processor_id, purchase_order_id)
        REFERENCES purchase_orders (processor_id, id),
    CONSTRAINT trades_grams_positive CHECK (grams > 0),
    CONSTRAINT trades_price_nonnegative CHECK (price_minor_per_kg >= 0),
    CONSTRAINT trades_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT trades_state_allowed
        CHECK (state IN ('MATCHED', 'CONFIRMED', 'DELIVERED', 'PAID', 'CANCELLED')),
    CONSTRAINT trades_delivered_within_grams
        CHECK (delivered_grams IS NULL OR (delivered_grams >= 0 AND delivered_grams <= grams)),
    CONSTRAINT trades_amount_due_nonnegative CHECK (amount_due_minor IS NULL OR amount_due_minor >= 0),
    CONSTRAINT trades_paid_amount_nonnegative CHECK (paid_amount_minor IS NULL OR paid_amount_minor >= 0),
    CONSTRAINT trades_revision_positive CHECK (revision >= 1)
);
CREATE INDEX trades_association_idx ON trades (association_id, id);
CREATE INDEX trades_processor_idx ON trades (processor_id, id);
CREATE INDEX trades_purchase_order_idx ON trades (purchase_order_id);

-- A payout is a member's share of a paid trade, in proportion to the grams
-- the member contributed to the lot (largest remainder, summing exactly).
CREATE TABLE payouts (
    trade_id       UUID        NOT NULL REFERENCES trades (id),
    association_id UUID        NOT NULL,
    member_id      UUID        NOT NULL,
    grams          BIGINT      NOT NULL,
    amount_minor   BIGINT      NOT NULL,
    currency       TEXT        NOT NULL DEFAULT 'PEN',
    create_time    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (trade_id, member_id),
    CONSTRAINT payouts_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT payouts_grams_positive CHECK (grams > 0),
    CONSTRAINT payouts_amount_nonnegative CHECK (amount_minor >= 0),
    CONSTRAINT payouts_currency_format CHECK (currency ~ '^[A-Z]{3}$')
);
CREATE INDEX payouts_member_idx ON payouts (member_id);

CREATE TABLE agencies (
    id                  UUID        NOT NULL PRIMARY KEY,
    legal_name          TEXT        NOT NULL,
    ruc                 TEXT        NULL CONSTRAINT agencies_ruc_key UNIQUE,
    contact_person_name TEXT        NOT NULL DEFAULT '',
    contact_phone       TEXT        NOT NULL DEFAULT '',
    contact_email       TEXT        NOT NULL DEFAULT '',
    revision            BIGINT      NOT NULL DEFAULT 1,
    create_time         TIMESTAMPTZ NOT NULL,
    update_time         TIMESTAMPTZ NOT NULL,
    CONSTRAINT agencies_ruc_format CHECK (ruc IS NULL OR ruc ~ '^[0-9]{11}$'),
    CONSTRAINT agencies_revision_positive CHECK (revision >= 1)
);

-- agency_regions lists the ubigeo prefixes (2-digit department or 4-digit
-- province) an agency covers; a lot is in an agency's regions when its
-- ubigeo starts with one of them.
CREATE TABLE agency_regions (
    agency_id     UUID NOT NULL REFERENCES agencies (id),
    ubigeo_prefix TEXT NOT NULL,
    PRIMARY KEY (agency_id, ubigeo_prefix),
    CONSTRAINT agency_regions_prefix_format CHECK (ubigeo_prefix ~ '^[0-9]{2}([0-9]{2})?$')
);
CREATE INDEX agency_regions_prefix_idx ON agency_regions (ubigeo_prefix);

CREATE TABLE check_gradings (
    id                     UUID             NOT NULL PRIMARY KEY,
    agency_id              UUID             NOT NULL REFERENCES agencies (id),
    lot_id                 UUID             NOT NULL,
    association_id         UUID             NOT NULL,
    classifier_id          UUID             NOT NULL,
    standard               TEXT             NOT NULL,
    -- Snapshots of the lot's grades when it was checked.
    declared_quality_group TEXT             NOT NULL,
    market_quality_group   TEXT             NOT NULL,
    check_quality_group    TEXT             NOT NULL,
    mean_fibre_diameter_um DOUBLE PRECISION NULL,
    fibre_diameter_sd_um   DOUBLE PRECISION NULL,
    fibres_measured        INTEGER          NULL,
    diameter_histogram     TEXT             NULL,
    staple_length_mm       DOUBLE PRECISION NULL,
    grading_detail         TEXT             NULL,
    -- sampling_seed records the plan's seed when the check came from one.
    sampling_seed          BIGINT           NULL,
    create_time            TIMESTAMPTZ      NOT NULL,
    CONSTRAINT check_gradings_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT check_gradings_classifier_fkey FOREIGN KEY (association_id, classifier_id)
        REFERENCES classifiers (association_id, id),
    CONSTRAINT check_gradings_mean_diameter_positive
        CHECK (mean_fibre_diameter_um IS NULL OR mean_fibre_diameter_um > 0),
    CONSTRAINT check_gradings_diameter_sd_nonnegative
        CHECK (fibre_diameter_sd_um IS NULL OR fibre_diameter_sd_um >= 0),
    CONSTRAINT check_gradings_fibres_measured_positive
        CHECK (fibres_measured IS NULL OR fibres_measured > 0),
    CONSTRAINT check_gradings_staple_length_positive
        CHECK (staple_length_mm IS NULL OR staple_length_mm > 0),
    CONSTRAINT check_gradings_measured CHECK (mean_fibre_diameter_um IS NOT NULL OR diameter_histogram IS NOT NULL)
);
CREATE INDEX check_gradings_classifier_idx ON check_gradings (classifier_id, create_time);
CREATE INDEX check_gradings_agency_idx ON check_gradings (agency_id, create_time);
CREATE INDEX check_gradings_lot_idx ON check_gradings (lot_id);

-- api_keys stores only the SHA-256 digest of each key. organisation is the
-- resource name of the key's organisation ('associations/{id}',
-- 'processors/{id}', 'agencies/{id}'); it is empty exactly for admin keys.
CREATE TABLE api_keys (
    id           UUID        NOT NULL PRIMARY KEY,
    key_digest   BYTEA       NOT NULL CONSTRAINT api_keys_key_digest_key UNIQUE,
    display_name TEXT        NOT NULL DEFAULT '',
    role         TEXT        NOT NULL,
    organisation TEXT        NOT NULL DEFAULT '',
    org_admin    BOOLEAN     NOT NULL DEFAULT FALSE,
    create_time  TIMESTAMPTZ NOT NULL,
    expire_time  TIMESTAMPTZ NULL,
    revoke_time  TIMESTAMPTZ NULL,
    CONSTRAINT api_keys_key_digest_length CHECK (octet_length(key_digest) = 32),
    CONSTRAINT api_keys_role_allowed CHECK (role IN ('admin', 'association', 'processor', 'agency')),
    CONSTRAINT api_keys_organisation_matches_role CHECK (
        (role = 'admin' AND organisation = '')
        OR (role = 'association' AND organisation LIKE 'associations/%')
        OR (role = 'processor' AND organisation LIKE 'processors/%')
        OR (role = 'agency' AND organisation LIKE 'agencies/%'))
);
CREATE INDEX api_keys_organisation_idx ON api_keys (organisation, id);

-- idempotency_records remembers the first answer to a request_id (AIP-155),
-- scoped by organisation ('' for admin) and full RPC method name.
CREATE TABLE idempotency_records (
    organisation   TEXT        NOT NULL,
    method         TEXT        NOT NULL,
    request_id     TEXT        NOT NULL,
    request_digest BYTEA       NOT NULL,
    state          TEXT        NOT NULL,
    -- response holds the serialised answer (a response message or a status)
    -- once state is 'done'; status_code is its gRPC code (0 for OK).
    response       BYTEA       NULL,
    status_code    INTEGER     NOT NULL DEFAULT 0,
    create_time    TIMESTAMPTZ NOT NULL,
    update_time    TIMESTAMPTZ NOT NULL,
    expire_time    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation, method, request_id),
    CONSTRAINT idempotency_records_digest_length CHECK (octet_length(request_digest) = 32),
    CONSTRAINT idempotency_records_state_allowed CHECK (state IN ('in_progress', 'done')),
    CONSTRAINT idempotency_records_done_has_response CHECK (state = 'in_progress' OR response IS NOT NULL)
);
CREATE INDEX idempotency_records_expire_idx ON idempotency_records (expire_time);

-- audit_events is the hash chain: hash = sha256(prev_hash || sequence ||
-- canonical event). sequence is assigned by the appender from
-- audit_chain_head, which it locks FOR UPDATE; rows are never changed.
CREATE TABLE audit_events (
    sequence      BIGINT      NOT NULL PRIMARY KEY,
    actor         TEXT        NOT NULL,
    role          TEXT        NOT NULL,
    organisation  TEXT        NOT NULL DEFAULT '',
    method        TEXT        NOT NULL,
    resource      TEXT        NOT NULL,
    action        TEXT        NOT NULL,
    region        TEXT        NOT NULL DEFAULT '',
    change_digest BYTEA       NOT NULL,
    event_time    TIMESTAMPTZ NOT NULL,
    prev_hash     BYTEA       NOT NULL,
    hash          BYTEA       NOT NULL CONSTRAINT audit_events_hash_key UNIQUE,
    CONSTRAINT audit_events_sequence_positive CHECK (sequence >= 1),
    CONSTRAINT audit_events_change_digest_length CHECK (octet_length(change_digest) = 32),
    CONSTRAINT audit_events_prev_hash_length CHECK (octet_length(prev_hash) = 32),
    CONSTRAINT audit_events_hash_length CHECK (octet_length(hash) = 32)
);
CREATE INDEX audit_events_resource_idx ON audit_events (resource, sequence);
CREATE INDEX audit_events_organisation_idx ON audit_events (organisation, sequence);

-- +goose StatementBegin
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_refuse_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_refuse_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_refuse_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- audit_chain_head is one row: the last sequence and hash of the chain. An
-- append locks it (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE
-- serialises writers on SQLite), so concurrent replicas extend one linear
-- chain. The genesis prev_hash is 32 zero bytes.
CREATE TABLE audit_chain_head (
    id            INTEGER NOT NULL PRIMARY KEY,
    last_sequence BIGINT  NOT NULL,
    last_hash     BYTEA   NOT NULL,
    CONSTRAINT audit_chain_head_one_row CHECK (id = 1),
    CONSTRAINT audit_chain_head_sequence_nonnegative CHECK (last_sequence >= 0),
    CONSTRAINT audit_chain_head_hash_length CHECK (octet_length(last_hash) = 32)
);
INSERT INTO audit_chain_head (id, last_sequence, last_hash)
VALUES (1, 0, decode('0000000000000000000000000000000000000000000000000000000000000000', 'hex'));

-- +goose StatementBegin
CREATE FUNCTION audit_chain_head_refuse_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_chain_head is never deleted'
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_chain_head_refuse_delete BEFORE DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_refuse_delete();

-- market_events is the outbox read by WatchMarket by cursor (id > last id).
-- Writers append after locking audit_chain_head (every state change does),
-- so ids become visible in increasing order and a cursor never skips one.
-- organisation is the resource name of the organisation the event is for.
CREATE TABLE market_events (
    id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation TEXT        NOT NULL,
    type         TEXT        NOT NULL,
    resource     TEXT        NOT NULL,
    payload      BYTEA       NOT NULL,
    event_time   TIMESTAMPTZ NOT NULL
);
CREATE INDEX market_events_organisation_idx ON market_events (organisation, id);

-- +goose Down

DROP TABLE market_events;
DROP TRIGGER audit_chain_head_refuse_delete ON audit_chain_head;
DROP FUNCTION audit_chain_head_refuse_delete();
DROP TABLE audit_chain_head;
DROP TRIGGER audit_events_refuse_truncate ON audit_events;
DROP TRIGGER audit_events_refuse_delete ON audit_events;
DROP TRIGGER audit_events_refuse_update ON audit_events;
DROP FUNCTION audit_events_refuse_change();
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
