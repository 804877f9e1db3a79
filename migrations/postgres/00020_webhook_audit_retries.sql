-- A webhook's audit events are retried apart from its market events:
-- audit_attempts, audit_failing_since and audit_next_attempt_time are to
-- the audit cursor what attempts, failing_since and next_attempt_time are
-- to cursor_seq, so that a market event delivered (or skipped) does not
-- wipe out the failures of an audit event, which is then retried on its
-- own backoff and disabled after the retry window like a market event.

-- +goose Up
ALTER TABLE webhooks ADD COLUMN audit_attempts INTEGER NOT NULL DEFAULT 0 CHECK (audit_attempts >= 0);
ALTER TABLE webhooks ADD COLUMN audit_failing_since TIMESTAMPTZ;
ALTER TABLE webhooks ADD COLUMN audit_next_attempt_time TIMESTAMPTZ NOT NULL DEFAULT '1970-01-01T00:00:00Z';

-- +goose Down
ALTER TABLE webhooks DROP COLUMN audit_next_attempt_time;
ALTER TABLE webhooks DROP COLUMN audit_failing_since;
ALTER TABLE webhooks DROP COLUMN audit_attempts;
