-- Webhooks: endpoints an organisation registers to receive its market
-- events. Each row is also the endpoint's delivery cursor (the last event
-- delivered) and its lease (which replica delivers to it now), so that a
-- restart or another replica continues where delivery stopped. The signing
-- secret is kept as is: the server must recompute the HMAC of every body.
-- webhook_deliveries holds one row per event sent, with its attempts.

-- +goose Up
CREATE TABLE webhooks (
    id                UUID        NOT NULL PRIMARY KEY,
    organisation      TEXT        NOT NULL,
    display_name      TEXT        NOT NULL,
    url               TEXT        NOT NULL,
    event_types       TEXT        NOT NULL,
    secret            TEXT        NOT NULL,
    state             TEXT        NOT NULL CHECK (state IN ('ENABLED', 'DISABLED')),
    disabled_reason   TEXT        NOT NULL,
    cursor_seq        BIGINT      NOT NULL CHECK (cursor_seq >= 0),
    attempts          INTEGER     NOT NULL CHECK (attempts >= 0),
    failing_since     TIMESTAMPTZ,
    next_attempt_time TIMESTAMPTZ NOT NULL,
    lease_holder      TEXT        NOT NULL,
    lease_expire_time TIMESTAMPTZ NOT NULL,
    create_time       TIMESTAMPTZ NOT NULL,
    update_time       TIMESTAMPTZ NOT NULL,
    revision          BIGINT      NOT NULL
);
CREATE INDEX webhooks_organisation_idx ON webhooks (organisation, id);
CREATE INDEX webhooks_due_idx ON webhooks (state, next_attempt_time);

CREATE TABLE webhook_deliveries (
    webhook_id        UUID        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq         BIGINT      NOT NULL,
    event_type        TEXT        NOT NULL,
    state             TEXT        NOT NULL CHECK (state IN ('RETRYING', 'DELIVERED', 'FAILED')),
    attempt_count     INTEGER     NOT NULL CHECK (attempt_count >= 1),
    last_status_code  INTEGER     NOT NULL,
    last_error        TEXT        NOT NULL,
    last_attempt_time TIMESTAMPTZ NOT NULL,
    next_attempt_time TIMESTAMPTZ,
    PRIMARY KEY (webhook_id, event_seq)
);
CREATE INDEX webhook_deliveries_time_idx ON webhook_deliveries (last_attempt_time);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
