-- Saying no: an association may decline a MATCHED trade, which becomes
-- DECLINED with its reason and time; the grams go back to the lot and the
-- order, and the pair is never matched again. The declined trades are
-- the record of the pairs to exclude, found by a partial index.
--
-- An association may also withdraw the unallocated rest of an allocated
-- lot: withdrawn_grams are the grams taken off the market (all of a
-- WITHDRAWN lot's, the rest of an ALLOCATED one's), and what is on offer
-- is net_weight_grams - allocated_grams - withdrawn_grams.
--
-- SQLite cannot change a table's CHECK constraint in place, so trades is
-- rebuilt the documented way (https://www.sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"): foreign keys off, which
-- only works outside a transaction, then in one transaction a new table,
-- the rows copied, the old one dropped and the new one renamed and its
-- indexes made again, and foreign keys on again. The rows, the columns
-- and the references to trades (payouts, trade_payments) stay as they
-- were. goose runs the file on the single writer connection.

-- +goose NO TRANSACTION
-- +goose Up
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE trades_new (
    id                       TEXT    NOT NULL PRIMARY KEY,
    allocation_id            TEXT    NOT NULL CONSTRAINT trades_allocation_id_key UNIQUE REFERENCES allocations (id),
    lot_id                   TEXT    NOT NULL,
    association_id           TEXT    NOT NULL,
    purchase_order_id        TEXT    NOT NULL,
    processor_id             TEXT    NOT NULL,
    grams                    INTEGER NOT NULL,
    price_minor_per_kg       INTEGER NOT NULL,
    currency                 TEXT    NOT NULL DEFAULT 'PEN',
    state                    TEXT    NOT NULL DEFAULT 'MATCHED',
    association_confirm_time TEXT    NULL CHECK (association_confirm_time IS NULL OR association_confirm_time GLOB '????-??-??T??:??:??.??????Z'),
    processor_confirm_time   TEXT    NULL CHECK (processor_confirm_time IS NULL OR processor_confirm_time GLOB '????-??-??T??:??:??.??????Z'),
    delivered_grams          INTEGER NULL,
    deliver_time             TEXT    NULL CHECK (deliver_time IS NULL OR deliver_time GLOB '????-??-??T??:??:??.??????Z'),
    amount_due_minor         INTEGER NULL,
    paid_amount_minor        INTEGER NULL,
    pay_time                 TEXT    NULL CHECK (pay_time IS NULL OR pay_time GLOB '????-??-??T??:??:??.??????Z'),
    revision                 INTEGER NOT NULL DEFAULT 1,
    create_time              TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time              TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    standard                 TEXT    NOT NULL DEFAULT '',
    quality_group            TEXT    NOT NULL DEFAULT '',
    colour                   TEXT    NOT NULL DEFAULT '',
    breed                    TEXT    NOT NULL DEFAULT '',
    origin_ubigeo            TEXT    NOT NULL DEFAULT '',
    bid_minor_per_kg         INTEGER NOT NULL DEFAULT 0,
    ask_minor_per_kg         INTEGER NOT NULL DEFAULT 0,
    confirm_time             TEXT    NULL CHECK (confirm_time IS NULL OR confirm_time GLOB '????-??-??T??:??:??.??????Z'),
    weigh_time               TEXT    NULL CHECK (weigh_time IS NULL OR weigh_time GLOB '????-??-??T??:??:??.??????Z'),
    cancel_time              TEXT    NULL CHECK (cancel_time IS NULL OR cancel_time GLOB '????-??-??T??:??:??.??????Z'),
    payment_reference        TEXT    NOT NULL DEFAULT '',
    clearing_id              TEXT    NULL,
    decline_reason           TEXT    NOT NULL DEFAULT '',
    decline_time             TEXT    NULL CHECK (decline_time IS NULL OR decline_time GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT trades_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT trades_purchase_order_fkey FOREIGN KEY (processor_id, purchase_order_id)
        REFERENCES purchase_orders (processor_id, id),
    CONSTRAINT trades_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT trades_grams_positive CHECK (grams > 0),
    CONSTRAINT trades_price_nonnegative CHECK (price_minor_per_kg >= 0),
    CONSTRAINT trades_currency_format CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
    CONSTRAINT trades_state_allowed
        CHECK (state IN ('MATCHED', 'CONFIRMED', 'DELIVERED', 'PAID', 'CANCELLED', 'DECLINED')),
    CONSTRAINT trades_delivered_within_grams
        CHECK (delivered_grams IS NULL OR (delivered_grams >= 0 AND delivered_grams <= grams)),
    CONSTRAINT trades_amount_due_nonnegative CHECK (amount_due_minor IS NULL OR amount_due_minor >= 0),
    CONSTRAINT trades_paid_amount_nonnegative CHECK (paid_amount_minor IS NULL OR paid_amount_minor >= 0),
    CONSTRAINT trades_revision_positive CHECK (revision >= 1),
    CONSTRAINT trades_declined_when CHECK ((state = 'DECLINED') = (decline_time IS NOT NULL))
) STRICT;

INSERT INTO trades_new (
    id, allocation_id, lot_id, association_id, purchase_order_id, processor_id, grams,
    price_minor_per_kg, currency, state, association_confirm_time, processor_confirm_time,
    delivered_grams, deliver_time, amount_due_minor, paid_amount_minor, pay_time, revision,
    create_time, update_time, standard, quality_group, colour, breed, origin_ubigeo,
    bid_minor_per_kg, ask_minor_per_kg, confirm_time, weigh_time, cancel_time, payment_reference,
    clearing_id)
SELECT
    id, allocation_id, lot_id, association_id, purchase_order_id, processor_id, grams,
    price_minor_per_kg, currency, state, association_confirm_time, processor_confirm_time,
    delivered_grams, deliver_time, amount_due_minor, paid_amount_minor, pay_time, revision,
    create_time, update_time, standard, quality_group, colour, breed, origin_ubigeo,
    bid_minor_per_kg, ask_minor_per_kg, confirm_time, weigh_time, cancel_time, payment_reference,
    clearing_id
FROM trades;
DROP TABLE trades;
ALTER TABLE trades_new RENAME TO trades;
CREATE INDEX trades_association_idx ON trades (association_id, id);
CREATE INDEX trades_processor_idx ON trades (processor_id, id);
CREATE INDEX trades_purchase_order_idx ON trades (purchase_order_id);
CREATE INDEX trades_create_time_idx ON trades (create_time, id);
CREATE INDEX trades_lot_idx ON trades (lot_id);
CREATE INDEX trades_confirm_time_idx ON trades (confirm_time);
CREATE INDEX trades_update_time_idx ON trades (update_time, id);
CREATE INDEX trades_price_idx ON trades (price_minor_per_kg, id);
CREATE INDEX trades_grams_idx ON trades (grams, id);
CREATE INDEX trades_newest_idx ON trades (create_time DESC, id);
CREATE INDEX trades_processor_newest_idx ON trades (processor_id, create_time DESC, id);
CREATE INDEX trades_association_newest_idx ON trades (association_id, create_time DESC, id);
CREATE INDEX trades_declined_idx ON trades (purchase_order_id, lot_id) WHERE state = 'DECLINED';

ALTER TABLE lots ADD COLUMN withdrawn_grams INTEGER NOT NULL DEFAULT 0
    CONSTRAINT lots_withdrawn_within_weight CHECK (withdrawn_grams >= 0 AND (withdrawn_grams = 0 OR allocated_grams + withdrawn_grams <= net_weight_grams));
UPDATE lots SET withdrawn_grams = net_weight_grams WHERE state = 'WITHDRAWN';
COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
ALTER TABLE lots DROP COLUMN withdrawn_grams;
CREATE TABLE trades_old (
    id                       TEXT    NOT NULL PRIMARY KEY,
    allocation_id            TEXT    NOT NULL CONSTRAINT trades_allocation_id_key UNIQUE REFERENCES allocations (id),
    lot_id                   TEXT    NOT NULL,
    association_id           TEXT    NOT NULL,
    purchase_order_id        TEXT    NOT NULL,
    processor_id             TEXT    NOT NULL,
    grams                    INTEGER NOT NULL,
    price_minor_per_kg       INTEGER NOT NULL,
    currency                 TEXT    NOT NULL DEFAULT 'PEN',
    state                    TEXT    NOT NULL DEFAULT 'MATCHED',
    association_confirm_time TEXT    NULL CHECK (association_confirm_time IS NULL OR association_confirm_time GLOB '????-??-??T??:??:??.??????Z'),
    processor_confirm_time   TEXT    NULL CHECK (processor_confirm_time IS NULL OR processor_confirm_time GLOB '????-??-??T??:??:??.??????Z'),
    delivered_grams          INTEGER NULL,
    deliver_time             TEXT    NULL CHECK (deliver_time IS NULL OR deliver_time GLOB '????-??-??T??:??:??.??????Z'),
    amount_due_minor         INTEGER NULL,
    paid_amount_minor        INTEGER NULL,
    pay_time                 TEXT    NULL CHECK (pay_time IS NULL OR pay_time GLOB '????-??-??T??:??:??.??????Z'),
    revision                 INTEGER NOT NULL DEFAULT 1,
    create_time              TEXT    NOT NULL CHECK (create_time GLOB '????-??-??T??:??:??.??????Z'),
    update_time              TEXT    NOT NULL CHECK (update_time GLOB '????-??-??T??:??:??.??????Z'),
    standard                 TEXT    NOT NULL DEFAULT '',
    quality_group            TEXT    NOT NULL DEFAULT '',
    colour                   TEXT    NOT NULL DEFAULT '',
    breed                    TEXT    NOT NULL DEFAULT '',
    origin_ubigeo            TEXT    NOT NULL DEFAULT '',
    bid_minor_per_kg         INTEGER NOT NULL DEFAULT 0,
    ask_minor_per_kg         INTEGER NOT NULL DEFAULT 0,
    confirm_time             TEXT    NULL CHECK (confirm_time IS NULL OR confirm_time GLOB '????-??-??T??:??:??.??????Z'),
    weigh_time               TEXT    NULL CHECK (weigh_time IS NULL OR weigh_time GLOB '????-??-??T??:??:??.??????Z'),
    cancel_time              TEXT    NULL CHECK (cancel_time IS NULL OR cancel_time GLOB '????-??-??T??:??:??.??????Z'),
    payment_reference        TEXT    NOT NULL DEFAULT '',
    clearing_id              TEXT    NULL,
    CONSTRAINT trades_lot_fkey FOREIGN KEY (association_id, lot_id)
        REFERENCES lots (association_id, id),
    CONSTRAINT trades_purchase_order_fkey FOREIGN KEY (processor_id, purchase_order_id)
        REFERENCES purchase_orders (processor_id, id),
    CONSTRAINT trades_id_format CHECK (length(id) = 36 AND id NOT GLOB '*[^0-9a-f-]*'),
    CONSTRAINT trades_grams_positive CHECK (grams > 0),
    CONSTRAINT trades_price_nonnegative CHECK (price_minor_per_kg >= 0),
    CONSTRAINT trades_currency_format CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
    CONSTRAINT trades_state_allowed
        CHECK (state IN ('MATCHED', 'CONFIRMED', 'DELIVERED', 'PAID', 'CANCELLED')),
    CONSTRAINT trades_delivered_within_grams
        CHECK (delivered_grams IS NULL OR (delivered_grams >= 0 AND delivered_grams <= grams)),
    CONSTRAINT trades_amount_due_nonnegative CHECK (amount_due_minor IS NULL OR amount_due_minor >= 0),
    CONSTRAINT trades_paid_amount_nonnegative CHECK (paid_amount_minor IS NULL OR paid_amount_minor >= 0),
    CONSTRAINT trades_revision_positive CHECK (revision >= 1)
) STRICT;

INSERT INTO trades_old (
    id, allocation_id, lot_id, association_id, purchase_order_id, processor_id, grams,
    price_minor_per_kg, currency, state, association_confirm_time, processor_confirm_time,
    delivered_grams, deliver_time, amount_due_minor, paid_amount_minor, pay_time, revision,
    create_time, update_time, standard, quality_group, colour, breed, origin_ubigeo,
    bid_minor_per_kg, ask_minor_per_kg, confirm_time, weigh_time, cancel_time, payment_reference,
    clearing_id)
SELECT
    id, allocation_id, lot_id, association_id, purchase_order_id, processor_id, grams,
    price_minor_per_kg, currency, CASE WHEN state = 'DECLINED' THEN 'CANCELLED' ELSE state END,
    association_confirm_time, processor_confirm_time, delivered_grams, deliver_time,
    amount_due_minor, paid_amount_minor, pay_time, revision, create_time, update_time, standard,
    quality_group, colour, breed, origin_ubigeo, bid_minor_per_kg, ask_minor_per_kg, confirm_time,
    weigh_time, COALESCE(cancel_time, decline_time), payment_reference, clearing_id
FROM trades;
DROP TABLE trades;
ALTER TABLE trades_old RENAME TO trades;
CREATE INDEX trades_association_idx ON trades (association_id, id);
CREATE INDEX trades_processor_idx ON trades (processor_id, id);
CREATE INDEX trades_purchase_order_idx ON trades (purchase_order_id);
CREATE INDEX trades_create_time_idx ON trades (create_time, id);
CREATE INDEX trades_lot_idx ON trades (lot_id);
CREATE INDEX trades_confirm_time_idx ON trades (confirm_time);
CREATE INDEX trades_update_time_idx ON trades (update_time, id);
CREATE INDEX trades_price_idx ON trades (price_minor_per_kg, id);
CREATE INDEX trades_grams_idx ON trades (grams, id);
CREATE INDEX trades_newest_idx ON trades (create_time DESC, id);
CREATE INDEX trades_processor_newest_idx ON trades (processor_id, create_time DESC, id);
CREATE INDEX trades_association_newest_idx ON trades (association_id, create_time DESC, id);
COMMIT;
PRAGMA foreign_keys = ON;
