-- Webhooks that also receive audit events: audit_events says whether the
-- endpoint takes them, audit_cursor is the sequence of the last one
-- delivered (or skipped as not visible to the organisation), a second
-- cursor beside cursor_seq, the market events'. Audit deliveries are
-- recorded in webhook_deliveries under the negated sequence, apart from
-- the market events' positive numbers.

-- +goose Up
ALTER TABLE webhooks ADD COLUMN audit_events INTEGER NOT NULL DEFAULT 0 CHECK (audit_events IN (0, 1));
ALTER TABLE webhooks ADD COLUMN audit_cursor BIGINT  NOT NULL DEFAULT 0 CHECK (audit_cursor >= 0);

-- +goose Down
ALTER TABLE webhooks DROP COLUMN audit_cursor;
ALTER TABLE webhooks DROP COLUMN audit_events;
