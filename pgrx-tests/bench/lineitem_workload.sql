-- 200k inserts in 200 transactions of 1000 rows, 50k updates, 20k deletes
DO $$
BEGIN
  FOR b IN 0..199 LOOP
    INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price, discount, tax_rate, transaction_date, status, notes)
    SELECT g, 1000 + g % 100, 2000 + g % 101, (g % 20) + 0.25, 10 + (g % 190) + 0.1234, (g % 10) + 0.5, 5 + (g % 10) + 0.25,
           DATE '2024-10-15' + (g % 30), (ARRAY['active','pending','void'])[1 + g % 3], 'Random note ' || (g % 100)
    FROM generate_series(b*1000 + 1, b*1000 + 1000) g;
    COMMIT;
  END LOOP;
END $$;
UPDATE lineitem SET status = 'void', quantity = quantity + 1 WHERE lineitem_id % 4 = 0;
DELETE FROM lineitem WHERE lineitem_id % 10 = 1;
-- 5% of the changes, in a table of their own, for the filter measurement
INSERT INTO side SELECT g, 'side ' || g FROM generate_series(1, 14200) g;
