-- 50,000 inserts, 100,000 updates with full old rows, 20,000 deletes, then 5% in table side.
INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price, discount, tax_rate, transaction_date, status, notes)
SELECT g, 1000 + g % 100, 2000 + g % 101, (g % 20) + 0.25, 10 + (g % 190) + 0.1234, (g % 10) + 0.5, 5 + (g % 10) + 0.25,
       DATE '2024-10-15' + (g % 30), (ARRAY['active','pending','void'])[1 + g % 3], 'Random note ' || (g % 100)
FROM generate_series(1, 50000) g;
UPDATE lineitem SET status = 'void', quantity = quantity + 1;
UPDATE lineitem SET notes = notes || '!';
DELETE FROM lineitem WHERE lineitem_id % 5 = 1;
INSERT INTO side SELECT g, 'side ' || g FROM generate_series(1, 9000) g;
