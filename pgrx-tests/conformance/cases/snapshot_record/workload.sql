BEGIN;
UPDATE lineitem SET notes = 'after' WHERE lineitem_id = 1;
DELETE FROM lineitem WHERE lineitem_id = 2;
COMMIT;
