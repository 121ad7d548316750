-- The four sample lineitem rows, then updates and deletes (demo, regress and conformance).
-- regress/sql/lineitem.sql repeats them on purpose: a pg_regress test echoes its input, so it stays self-contained.
INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price, discount,
                      tax_rate, created_at, transaction_date, status, notes) VALUES
  (1, 1001, 2001, 2.00, 19.9900, 0.00, 8.25, '2024-10-15 09:30:00+00', '2024-10-15', 'active', 'first order'),
  (2, 1001, 2002, 1.50, 5.2500, 10.00, 8.25, '2024-10-15 09:30:00+00', '2024-10-15', 'pending', NULL),
  (3, 1002, 2003, 10.00, 0.9999, NULL, NULL, '2024-10-16 14:05:12.345678+00', '2024-10-16', NULL,
   'unicode: héllo "quoted" \ back'),
  (4, 1003, 2004, 0.25, 1234.5678, 5.50, 0.00, '2024-10-17 23:59:59.999999+00', '2024-10-17', 'void',
   E'tab\there\nnewline');
UPDATE lineitem SET status = 'void', quantity = quantity + 1 WHERE lineitem_id = 2;
DELETE FROM lineitem WHERE lineitem_id = 4;
UPDATE lineitem SET lineitem_id = 30 WHERE lineitem_id = 3;
