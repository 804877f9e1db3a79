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

-- On SQLite write transactions run one at a time, so the book rows are
-- never waited for; they are kept so that both databases share one schema.

-- +goose Up
CREATE TABLE market_books (
    currency      TEXT NOT NULL,
    standard      TEXT NOT NULL,
    quality_group TEXT NOT NULL,
    -- version counts the exclusive locks taken on the book, so that a new
    -- lot can tell, in the statement that shares the book, whether the
    -- book changed after that statement's snapshot.
    version       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (currency, standard, quality_group)
) STRICT;

CREATE TABLE audit_events_pending (
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    actor         TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    organisation  TEXT    NOT NULL DEFAULT '',
    method        TEXT    NOT NULL,
    resource      TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    region        TEXT    NOT NULL DEFAULT '',
    change_digest BLOB    NOT NULL,
    event_time    TEXT    NOT NULL CHECK (event_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT audit_events_pending_change_digest_length CHECK (length(change_digest) = 32)
) STRICT;

-- +goose StatementBegin
CREATE TRIGGER audit_events_pending_refuse_update BEFORE UPDATE ON audit_events_pending
BEGIN
    SELECT RAISE(ABORT, 'audit_events_pending rows are moved whole into audit_events, never changed');
END;
-- +goose StatementEnd

CREATE TABLE market_events_pending (
    id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    type           TEXT    NOT NULL,
    resource       TEXT    NOT NULL,
    processor_id   TEXT    NULL,
    association_id TEXT    NULL,
    payload        TEXT    NOT NULL,
    create_time    TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z')
) STRICT;

CREATE TABLE sequencer_lease (
    id          INTEGER NOT NULL PRIMARY KEY,
    holder      TEXT    NOT NULL,
    expire_time TEXT    NOT NULL CHECK (expire_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT sequencer_lease_one_row CHECK (id = 1)
) STRICT;
INSERT INTO sequencer_lease (id, holder, expire_time) VALUES (1, '', '1970-01-01T00:00:00.000000Z');

-- +goose Down
DROP TABLE sequencer_lease;
DROP TABLE market_events_pending;
DROP TRIGGER audit_events_pending_refuse_update;
DROP TABLE audit_events_pending;
DROP TABLE market_books;
