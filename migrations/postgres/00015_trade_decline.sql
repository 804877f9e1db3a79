-- Saying no: an association may decline a MATCHED trade, which becomes
-- DECLINED with its reason and time; the grams go back to the lot and the
-- order, and the pair is never matched again. The declined trades are
-- the record of the pairs to exclude, found by a partial index.
--
-- An association may also withdraw the unallocated rest of an allocated
-- lot: withdrawn_grams are the grams taken off the market (all of a
-- WITHDRAWN lot's, the rest of an ALLOCATED one's), and what is on offer
-- is net_weight_grams - allocated_grams - withdrawn_grams.

-- +goose Up
ALTER TABLE trades DROP CONSTRAINT trades_state_allowed;
ALTER TABLE trades ADD CONSTRAINT trades_state_allowed
    CHECK (state IN ('MATCHED', 'CONFIRMED', 'DELIVERED', 'PAID', 'CANCELLED', 'DECLINED'));
ALTER TABLE trades ADD COLUMN decline_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN decline_time TIMESTAMPTZ NULL;
ALTER TABLE trades ADD CONSTRAINT trades_declined_when
    CHECK ((state = 'DECLINED') = (decline_time IS NOT NULL));
CREATE INDEX trades_declined_idx ON trades (purchase_order_id, lot_id) WHERE state = 'DECLINED';

ALTER TABLE lots ADD COLUMN withdrawn_grams BIGINT NOT NULL DEFAULT 0;
UPDATE lots SET withdrawn_grams = net_weight_grams WHERE state = 'WITHDRAWN';
ALTER TABLE lots ADD CONSTRAINT lots_withdrawn_within_weight
    CHECK (withdrawn_grams >= 0 AND (withdrawn_grams = 0 OR allocated_grams + withdrawn_grams <= net_weight_grams));

-- +goose Down
ALTER TABLE lots DROP CONSTRAINT lots_withdrawn_within_weight;
ALTER TABLE lots DROP COLUMN withdrawn_grams;

DROP INDEX trades_declined_idx;
ALTER TABLE trades DROP CONSTRAINT trades_declined_when;
UPDATE trades SET state = 'CANCELLED', cancel_time = decline_time WHERE state = 'DECLINED';
ALTER TABLE trades DROP COLUMN decline_time;
ALTER TABLE trades DROP COLUMN decline_reason;
ALTER TABLE trades DROP CONSTRAINT trades_state_allowed;
ALTER TABLE trades ADD CONSTRAINT trades_state_allowed
    CHECK (state IN ('MATCHED', 'CONFIRMED', 'DELIVERED', 'PAID', 'CANCELLED'));
