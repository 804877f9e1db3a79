-- audit_signing_key holds the Ed25519 key that signs audit checkpoints when
-- no key file is configured: the first replica to start generates it and
-- every other replica on the same database reads the same one. It lives
-- apart from audit_events, whose rows it vouches for. One row, written
-- once.

-- +goose Up
CREATE TABLE audit_signing_key (
    id          INTEGER NOT NULL PRIMARY KEY,
    seed        BLOB    NOT NULL,
    public_key  BLOB    NOT NULL,
    create_time TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT audit_signing_key_one_row CHECK (id = 1),
    CONSTRAINT audit_signing_key_seed_length CHECK (length(seed) = 32),
    CONSTRAINT audit_signing_key_public_key_length CHECK (length(public_key) = 32)
) STRICT;

-- +goose Down
DROP TABLE audit_signing_key;
