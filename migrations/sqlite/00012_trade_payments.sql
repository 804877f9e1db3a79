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
    id                TEXT    NOT NULL PRIMARY KEY,
    trade_id          TEXT    NOT NULL REFERENCES trades (id),
    amount_minor      INTEGER NOT NULL CONSTRAINT trade_payments_amount_positive CHECK (amount_minor > 0),
    grams             INTEGER NOT NULL CONSTRAINT trade_payments_grams_nonnegative CHECK (grams >= 0),
    payment_reference TEXT    NOT NULL,
    create_time       TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z')
) STRICT;
CREATE INDEX trade_payments_trade_idx ON trade_payments (trade_id, create_time);

INSERT INTO trade_payments (id, trade_id, amount_minor, grams, payment_reference, create_time)
SELECT id, id, paid_amount_minor, COALESCE(delivered_grams, grams), payment_reference, COALESCE(pay_time, update_time)
FROM trades WHERE state = 'PAID' AND paid_amount_minor > 0;

CREATE TABLE payouts_new (
    payment_id     TEXT    NOT NULL REFERENCES trade_payments (id),
    trade_id       TEXT    NOT NULL REFERENCES trades (id),
    association_id TEXT    NOT NULL,
    member_id      TEXT    NOT NULL,
    grams          INTEGER NOT NULL,
    amount_minor   INTEGER NOT NULL,
    currency       TEXT    NOT NULL DEFAULT 'PEN',
    create_time    TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    PRIMARY KEY (payment_id, member_id),
    CONSTRAINT payouts_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT payouts_share_positive CHECK (grams >= 0 AND amount_minor >= 0 AND grams + amount_minor > 0),
    CONSTRAINT payouts_currency_format CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*')
) STRICT;
INSERT INTO payouts_new (payment_id, trade_id, association_id, member_id, grams, amount_minor, currency, create_time)
SELECT trade_id, trade_id, association_id, member_id, grams, amount_minor, currency, create_time FROM payouts;
DROP TABLE payouts;
ALTER TABLE payouts_new RENAME TO payouts;
CREATE INDEX payouts_member_idx ON payouts (member_id);
CREATE INDEX payouts_trade_idx ON payouts (trade_id, member_id);

-- +goose Down
CREATE TABLE payouts_old (
    trade_id       TEXT    NOT NULL REFERENCES trades (id),
    association_id TEXT    NOT NULL,
    member_id      TEXT    NOT NULL,
    grams          INTEGER NOT NULL,
    amount_minor   INTEGER NOT NULL,
    currency       TEXT    NOT NULL DEFAULT 'PEN',
    create_time    TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    PRIMARY KEY (trade_id, member_id),
    CONSTRAINT payouts_member_fkey FOREIGN KEY (association_id, member_id)
        REFERENCES members (association_id, id),
    CONSTRAINT payouts_grams_positive CHECK (grams > 0),
    CONSTRAINT payouts_amount_nonnegative CHECK (amount_minor >= 0),
    CONSTRAINT payouts_currency_format CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*')
) STRICT;
INSERT INTO payouts_old (trade_id, association_id, member_id, grams, amount_minor, currency, create_time)
SELECT trade_id, association_id, member_id, SUM(grams), SUM(amount_minor), currency, MIN(create_time)
FROM payouts GROUP BY trade_id, association_id, member_id, currency HAVING SUM(grams) > 0;
DROP TABLE payouts;
ALTER TABLE payouts_old RENAME TO payouts;
CREATE INDEX payouts_member_idx ON payouts (member_id);
DROP TABLE trade_payments;
