-- The market: trades keep what was agreed when they were matched (the lot's
-- grades and origin, bid and ask) and each step of their life; the
-- market_lock row serializes every change to allocations and numbers the
-- market events, and market_events is the outbox WatchMarket reads by
-- cursor. It replaces the first market_events table, which was never
-- written: its ids came from an identity column, assigned before commit,
-- so a reader by cursor could skip an event that committed late.

-- +goose Up
DROP TABLE market_events;
ALTER TABLE trades ADD COLUMN standard TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN quality_group TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN colour TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN breed TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN origin_ubigeo TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN bid_minor_per_kg INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN ask_minor_per_kg INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN confirm_time TEXT NULL CHECK (confirm_time IS NULL OR confirm_time GLOB '????-??-??T??:??:??.??????Z');
ALTER TABLE trades ADD COLUMN weigh_time TEXT NULL CHECK (weigh_time IS NULL OR weigh_time GLOB '????-??-??T??:??:??.??????Z');
ALTER TABLE trades ADD COLUMN cancel_time TEXT NULL CHECK (cancel_time IS NULL OR cancel_time GLOB '????-??-??T??:??:??.??????Z');
ALTER TABLE trades ADD COLUMN payment_reference TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN clearing_id TEXT NULL;
CREATE INDEX trades_create_time_idx ON trades (create_time, id);
CREATE INDEX trades_lot_idx ON trades (lot_id);
CREATE INDEX trades_confirm_time_idx ON trades (confirm_time);

-- market_lock has exactly one row. Every transaction that allocates grams,
-- releases them or records a market event reads it first (on SQLite the
-- write transaction already runs alone), and event_seq numbers the events
-- in commit order, without gaps. purged_through is the last event sequence
-- deleted by retention.
CREATE TABLE market_lock (
    id             INTEGER NOT NULL PRIMARY KEY,
    event_seq      INTEGER NOT NULL DEFAULT 0,
    purged_through INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT market_lock_one_row CHECK (id = 1),
    CONSTRAINT market_lock_seq_order CHECK (purged_through >= 0 AND purged_through <= event_seq)
) STRICT;
INSERT INTO market_lock (id, event_seq, purged_through) VALUES (1, 0, 0);

-- market_events is the outbox of market events. processor_id and
-- association_id are the parties who may see an event (NULL: none of that
-- kind); payload is the JSON of the resource right after the change.
CREATE TABLE market_events (
    seq            INTEGER NOT NULL PRIMARY KEY,
    type           TEXT    NOT NULL,
    resource       TEXT    NOT NULL,
    processor_id   TEXT    NULL,
    association_id TEXT    NULL,
    payload        TEXT    NOT NULL,
    create_time    TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT market_events_seq_positive CHECK (seq > 0)
) STRICT;
CREATE INDEX market_events_processor_idx ON market_events (processor_id, seq);
CREATE INDEX market_events_association_idx ON market_events (association_id, seq);

-- +goose Down
DROP TABLE market_events;
DROP TABLE market_lock;
CREATE TABLE market_events (
    id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    organisation TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    resource     TEXT    NOT NULL,
    payload      BLOB    NOT NULL,
    event_time   TEXT    NOT NULL CHECK (event_time GLOB '????-??-??T??:??:??.??????Z')
) STRICT;
CREATE INDEX market_events_organisation_idx ON market_events (organisation, id);
DROP INDEX trades_confirm_time_idx;
DROP INDEX trades_lot_idx;
DROP INDEX trades_create_time_idx;
ALTER TABLE trades DROP COLUMN clearing_id;
ALTER TABLE trades DROP COLUMN payment_reference;
ALTER TABLE trades DROP COLUMN cancel_time;
ALTER TABLE trades DROP COLUMN weigh_time;
ALTER TABLE trades DROP COLUMN confirm_time;
ALTER TABLE trades DROP COLUMN ask_minor_per_kg;
ALTER TABLE trades DROP COLUMN bid_minor_per_kg;
ALTER TABLE trades DROP COLUMN origin_ubigeo;
ALTER TABLE trades DROP COLUMN breed;
ALTER TABLE trades DROP COLUMN colour;
ALTER TABLE trades DROP COLUMN quality_group;
ALTER TABLE trades DROP COLUMN standard;
