-- audit_signing_key holds the Ed25519 key that signs audit checkpoints when
-- no key file is configured: the first replica to start generates it and
-- every other replica on the same database reads the same one. It lives
-- apart from audit_events, whose rows it vouches for. One row, written
-- once.

-- +goose Up
CREATE TABLE audit_signing_key (
    id          INTEGER     NOT NULL PRIMARY KEY,
    seed        BYTEA       NOT NULL,
    public_key  BYTEA       NOT NULL,
    create_time TIMESTAMPTZ NOT NULL,
    CONSTRAINT audit_signing_key_one_row CHECK (id = 1),
    CONSTRAINT audit_signing_key_seed_length CHECK (octet_length(seed) = 32),
    CONSTRAINT audit_signing_key_public_key_length CHECK (octet_length(public_key) = 32)
);

-- +goose Down
DROP TABLE audit_signing_key;
