-- Changes after the snapshot: each must appear once, after the snapshot records.
INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price, transaction_date, notes)
  VALUES (5, 1004, 2005, 3.00, 2.5000, '2024-10-18', 'after the snapshot');
UPDATE lineitem SET status = 'shipped' WHERE lineitem_id = 1;
DELETE FROM lineitem WHERE lineitem_id = 30;
INSERT INTO audit_log (what) VALUES ('first row of a table that was empty');
INSERT INTO tags VALUES ('c', 4);
BEGIN;
UPDATE lineitem SET notes = 'in a transaction' WHERE lineitem_id = 5;
INSERT INTO audit_log (what) VALUES ('second');
COMMIT;
UPDATE many SET v = 'changed' WHERE id = 512;
