-- Payments as they come: a trade is paid by one or more payments that add
-- up to its amount due, each split among the lot's members when it is
-- recorded. trade_payments holds the payments; a payout row is now one
-- member's share of one payment, so payouts gains payment_id and its key
-- becomes (payment_id, member_id). A share of a small payment may carry
-- amount without grams, so grams may be 0 when amount is not.
--
-- A trade paid before this migration had one payment: it is recorded under
-- the trade's own id, and its payouts point to it.

-- +goose Up
CREATE TABLE trade_payments (
    id                UUID        NOT NULL PRIMARY KEY,
    trade_id          UUID        NOT NULL REFERENCES trades (id),
    amount_minor      BIGINT      NOT NULL CONSTRAINT trade_payments_amount_positive CHECK (amount_minor > 0),
    grams             BIGINT      NOT NULL CONSTRAINT trade_payments_grams_nonnegative CHECK (grams >= 0),
    payment_reference TEXT        NOT NULL,
    create_time       TIMESTAMPTZ NOT NULL
);
CREATE INDEX trade_payments_trade_idx ON trade_payments (trade_id, create_time);

INSERT INTO trade_payments (id, trade_id, amount_minor, grams, payment_reference, create_time)
SELECT id, id, paid_amount_minor, COALESCE(delivered_grams, grams), payment_reference, COALESCE(pay_time, update_time)
FROM trades WHERE state = 'PAID' AND paid_amount_minor > 0;

ALTER TABLE payouts ADD COLUMN payment_id UUID NULL REFERENCES trade_payments (id);
UPDATE payouts SET payment_id = trade_id;
ALTER TABLE payouts ALTER COLUMN payment_id SET NOT NULL;
ALTER TABLE payouts DROP CONSTRAINT payouts_pkey;
ALTER TABLE payouts ADD PRIMARY KEY (payment_id, member_id);
ALTER TABLE payouts DROP CONSTRAINT payouts_grams_positive;
ALTER TABLE payouts DROP CONSTRAINT payouts_amount_nonnegative;
ALTER TABLE payouts ADD CONSTRAINT payouts_share_positive
    CHECK (grams >= 0 AND amount_minor >= 0 AND grams + amount_minor > 0);
CREATE INDEX payouts_trade_idx ON payouts (trade_id, member_id);

-- +goose Down
CREATE TABLE payouts_old AS
SELECT trade_id, association_id, member_id, SUM(grams)::BIGINT AS grams, SUM(amount_minor)::BIGINT AS amount_minor,
    currency, MIN(create_time) AS create_time
FROM payouts GROUP BY trade_id, association_id, member_id, currency HAVING SUM(grams) > 0;
DELETE FROM payouts;
DROP INDEX payouts_trade_idx;
ALTER TABLE payouts DROP CONSTRAINT payouts_share_positive;
ALTER TABLE payouts DROP CONSTRAINT payouts_pkey;
ALTER TABLE payouts DROP COLUMN payment_id;
INSERT INTO payouts (trade_id, association_id, member_id, grams, amount_minor, currency, create_time)
SELECT trade_id, association_id, member_id, grams, amount_minor, currency, create_time FROM payouts_old;
DROP TABLE payouts_old;
ALTER TABLE payouts ADD PRIMARY KEY (trade_id, member_id);
ALTER TABLE payouts ADD CONSTRAINT payouts_grams_positive CHECK (grams > 0);
ALTER TABLE payouts ADD CONSTRAINT payouts_amount_nonnegative CHECK (amount_minor >= 0);
DROP TABLE trade_payments;
