-- A lot number is unique within its association and campaign; lots
-- without a number (lot_number '') are not constrained. A database may
-- already hold duplicates, from before the rule: rather than fail the
-- upgrade, the migration renumbers every duplicate but the first created
-- (by create_time, then id) to "NUMBER (2)", "NUMBER (3)", … and, should
-- that name be taken too, to "NUMBER LOT-ID". It records each rename in
-- lot_number_renames, so that the association can see what changed and
-- correct the numbers, and changes nothing else: no revision, no
-- update_time, no audit event.
--
-- Two indexes serve ListLots ordered (and filtered) by lot number: within
-- one association, and across all of them.

-- +goose Up
CREATE TABLE lot_number_renames (
    lot_id         TEXT    NOT NULL PRIMARY KEY REFERENCES lots (id),
    association_id TEXT    NOT NULL,
    campaign       INTEGER NOT NULL,
    old_lot_number TEXT    NOT NULL,
    new_lot_number TEXT    NOT NULL
) STRICT;

INSERT INTO lot_number_renames (lot_id, association_id, campaign, old_lot_number, new_lot_number)
SELECT id, association_id, campaign, lot_number, lot_number || ' (' || rn || ')'
FROM (
    SELECT id, association_id, campaign, lot_number,
        ROW_NUMBER() OVER (PARTITION BY association_id, campaign, lot_number ORDER BY create_time, id) AS rn
    FROM lots WHERE lot_number <> ''
) AS numbered
WHERE rn > 1;

UPDATE lot_number_renames SET new_lot_number = old_lot_number || ' ' || lot_id
WHERE EXISTS (SELECT 1 FROM lots l
    WHERE l.association_id = lot_number_renames.association_id
      AND l.campaign = lot_number_renames.campaign
      AND l.lot_number = lot_number_renames.new_lot_number);

UPDATE lots SET lot_number = (SELECT r.new_lot_number FROM lot_number_renames r WHERE r.lot_id = lots.id)
WHERE id IN (SELECT lot_id FROM lot_number_renames);

CREATE UNIQUE INDEX lots_association_id_campaign_lot_number_key ON lots (association_id, campaign, lot_number)
    WHERE lot_number <> '';
CREATE INDEX lots_association_lot_number_idx ON lots (association_id, lot_number, id);
CREATE INDEX lots_lot_number_idx ON lots (lot_number, id);

-- +goose Down
DROP INDEX lots_lot_number_idx;
DROP INDEX lots_association_lot_number_idx;
DROP INDEX lots_association_id_campaign_lot_number_key;
UPDATE lots SET lot_number = (SELECT r.old_lot_number FROM lot_number_renames r WHERE r.lot_id = lots.id)
WHERE id IN (SELECT lot_id FROM lot_number_renames);
DROP TABLE lot_number_renames;
