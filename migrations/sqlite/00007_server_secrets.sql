-- Secrets every replica shares and no client ever reads: the key page
-- tokens are signed with. Kept apart from the audited tables, since a
-- secret is not a change anyone made.

-- +goose Up
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL CHECK (length(secret) >= 32),
    create_time TEXT NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z')
);

-- +goose Down
DROP TABLE server_secrets;
