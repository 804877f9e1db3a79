-- A check grading keeps when its sample was taken and the agency's note.

-- +goose Up
ALTER TABLE check_gradings ADD COLUMN sample_time TIMESTAMPTZ NULL;
ALTER TABLE check_gradings ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE check_gradings DROP COLUMN note;
ALTER TABLE check_gradings DROP COLUMN sample_time;
