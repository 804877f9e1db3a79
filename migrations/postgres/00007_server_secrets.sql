-- Secrets every replica shares and no client ever reads: the key page
-- tokens are signed with. Kept apart from the audited tables, since a
-- secret is not a change anyone made.

-- +goose Up
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    secret BYTEA NOT NULL CHECK (length(secret) >= 32),
    create_time TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE server_secrets;
