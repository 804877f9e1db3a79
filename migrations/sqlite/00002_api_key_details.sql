-- API keys gain the start of their secret, for people to recognise a key,
-- and the time of their last use (written at most once a minute).

-- +goose Up
ALTER TABLE api_keys ADD COLUMN key_prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_use_time TEXT NULL CHECK (last_use_time IS NULL OR last_use_time GLOB '????-??-??T??:??:??.??????Z');

-- +goose Down
ALTER TABLE api_keys DROP COLUMN last_use_time;
ALTER TABLE api_keys DROP COLUMN key_prefix;
