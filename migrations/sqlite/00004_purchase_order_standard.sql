-- Purchase orders name the grading standard whose codes they use (the
-- API's PurchaseOrder.standard): only lots of that standard match them.
-- Orders written before this migration used the default standard.

-- +goose Up
ALTER TABLE purchase_orders ADD COLUMN standard TEXT NOT NULL DEFAULT 'pe-ntp-231-301-2014';
CREATE INDEX purchase_orders_processor_idx ON purchase_orders (processor_id, create_time, id);

-- +goose Down
DROP INDEX purchase_orders_processor_idx;
ALTER TABLE purchase_orders DROP COLUMN standard;
