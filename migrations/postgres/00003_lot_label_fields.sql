-- Lots gain the association's own bale number and the date of classing,
-- both printed on the bale label (rotulado).

-- +goose Up
ALTER TABLE lots ADD COLUMN lot_number TEXT NOT NULL DEFAULT '';
ALTER TABLE lots ADD COLUMN classification_date TEXT NOT NULL DEFAULT ''
    CONSTRAINT lots_classification_date_format CHECK (classification_date = '' OR classification_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$');

-- +goose Down
ALTER TABLE lots DROP COLUMN classification_date;
ALTER TABLE lots DROP COLUMN lot_number;
