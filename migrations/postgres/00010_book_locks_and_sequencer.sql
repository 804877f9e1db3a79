-- The write path without global locks. market_books holds one row per
-- book a change can touch: (currency, standard, market quality group),
-- created on demand. A change that can allocate or release grams locks the
-- rows of the books it touches, always sorted by (currency, standard,
-- quality_group), so that changes to different books run side by side and
-- changes to the same book never deadlock: an order or a release locks its
-- books FOR UPDATE, a clearing every book of its currency, and a new lot
-- its own book FOR SHARE, which a concurrent order on that book waits for,
-- so that no crossing pair is missed.
--
-- Audit events and market events are no longer numbered in the change's
-- transaction: it inserts them into the pending tables, durably, and the
-- sequencer (one at a time, under the market_lock and audit_chain_head
-- rows) moves them in batches into audit_events, chained, and
-- market_events, numbered from market_lock.event_seq in the order the
-- sequencer sees them committed. audit_events keeps its triggers: a row is
-- written there once, whole, and never changed. sequencer_lease names the
-- replica that runs the sequencer and until when; another takes over once
-- it lapses.

-- +goose Up
CREATE TABLE market_books (
    currency      TEXT NOT NULL,
    standard      TEXT NOT NULL,
    quality_group TEXT NOT NULL,
    -- version counts the exclusive locks taken on the book, so that a new
    -- lot can tell, in the statement that shares the book, whether the
    -- book changed after that statement's snapshot.
    version       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (currency, standard, quality_group)
);
-- The books of what is already on the market, so that a clearing locks
-- them from the start.
INSERT INTO market_books (currency, standard, quality_group)
SELECT DISTINCT currency, standard, market_quality_group FROM lots
UNION
SELECT DISTINCT o.currency, o.standard, g.code
FROM purchase_orders o CROSS JOIN LATERAL json_array_elements_text(o.quality_groups::json) AS g (code)
ON CONFLICT DO NOTHING;

CREATE TABLE audit_events_pending (
    id            BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor         TEXT        NOT NULL,
    role          TEXT        NOT NULL,
    organisation  TEXT        NOT NULL DEFAULT '',
    method        TEXT        NOT NULL,
    resource      TEXT        NOT NULL,
    action        TEXT        NOT NULL,
    region        TEXT        NOT NULL DEFAULT '',
    change_digest BYTEA       NOT NULL,
    event_time    TIMESTAMPTZ NOT NULL,
    CONSTRAINT audit_events_pending_change_digest_length CHECK (octet_length(change_digest) = 32)
);

-- +goose StatementBegin
CREATE FUNCTION audit_events_pending_refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events_pending rows are moved whole into audit_events, never changed'
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_pending_refuse_update BEFORE UPDATE ON audit_events_pending
    FOR EACH ROW EXECUTE FUNCTION audit_events_pending_refuse_update();

CREATE TABLE market_events_pending (
    id             BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type           TEXT        NOT NULL,
    resource       TEXT        NOT NULL,
    processor_id   UUID        NULL,
    association_id UUID        NULL,
    payload        TEXT        NOT NULL,
    create_time    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sequencer_lease (
    id          INTEGER     NOT NULL PRIMARY KEY,
    holder      TEXT        NOT NULL,
    expire_time TIMESTAMPTZ NOT NULL,
    CONSTRAINT sequencer_lease_one_row CHECK (id = 1)
);
INSERT INTO sequencer_lease (id, holder, expire_time) VALUES (1, '', '1970-01-01T00:00:00Z');

-- +goose Down
DROP TABLE sequencer_lease;
DROP TABLE market_events_pending;
DROP TRIGGER audit_events_pending_refuse_update ON audit_events_pending;
DROP FUNCTION audit_events_pending_refuse_update();
DROP TABLE audit_events_pending;
DROP TABLE market_books;
