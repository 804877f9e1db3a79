-- Webhooks: endpoints an organisation registers to receive its market
-- events. Each row is also the endpoint's delivery cursor (the last event
-- delivered) and its lease (which replica delivers to it now), so that a
-- restart or another replica continues where delivery stopped. The signing
-- secret is kept as is: the server must recompute the HMAC of every body.
-- webhook_deliveries holds one row per event sent, with its attempts.

-- +goose Up
CREATE TABLE webhooks (
    id                TEXT    NOT NULL PRIMARY KEY,
    organisation      TEXT    NOT NULL,
    display_name      TEXT    NOT NULL,
    url               TEXT    NOT NULL,
    event_types       TEXT    NOT NULL,
    secret            TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('ENABLED', 'DISABLED')),
    disabled_reason   TEXT    NOT NULL,
    cursor_seq        INTEGER NOT NULL CHECK (cursor_seq >= 0),
    attempts          INTEGER NOT NULL CHECK (attempts >= 0),
    failing_since     TEXT    CHECK (failing_since GLOB '????-??-??T??:??:??.??????Z'),
    next_attempt_time TEXT    NOT NULL CHECK (next_attempt_time GLOB '????-??-??T??:??:??.??????Z'),
    lease_holder      TEXT    NOT NULL,
    lease_expire_time TEXT    NOT NULL CHECK (lease_expire_time GLOB '????-??-??T??:??:??.??????Z'),
    create_time       TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time       TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    revision          INTEGER NOT NULL,
    CONSTRAINT webhooks_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*')
) STRICT;
CREATE INDEX webhooks_organisation_idx ON webhooks (organisation, id);
CREATE INDEX webhooks_due_idx ON webhooks (state, next_attempt_time);

CREATE TABLE webhook_deliveries (
    webhook_id        TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq         INTEGER NOT NULL,
    event_type        TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('RETRYING', 'DELIVERED', 'FAILED')),
    attempt_count     INTEGER NOT NULL CHECK (attempt_count >= 1),
    last_status_code  INTEGER NOT NULL,
    last_error        TEXT    NOT NULL,
    last_attempt_time TEXT    NOT NULL CHECK (last_attempt_time GLOB '????-??-??T??:??:??.??????Z'),
    next_attempt_time TEXT    CHECK (next_attempt_time GLOB '????-??-??T??:??:??.??????Z'),
    PRIMARY KEY (webhook_id, event_seq)
) STRICT;
CREATE INDEX webhook_deliveries_time_idx ON webhook_deliveries (last_attempt_time);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
