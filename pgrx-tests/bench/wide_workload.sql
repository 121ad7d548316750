-- 100,000 inserts in 100 transactions, 20,000 updates, then 5% of changes in table side.
DO $$
BEGIN
  FOR b IN 0..99 LOOP
    INSERT INTO wide SELECT g, g % 2 = 0, (g % 30000)::int2, g, g::int8 * 1000003, g / 7.0, g / 3.0, g * 1.25, g / 13.0,
      'text value ' || g, 'varchar ' || g, 'c' || (g % 100), DATE '2024-01-01' + g % 365, TIME '00:00' + g * INTERVAL '1 s',
      TIMESTAMP '2024-01-01' + g * INTERVAL '1 min', TIMESTAMPTZ '2024-01-01 00:00+00' + g * INTERVAL '1 min',
      g * INTERVAL '1 s', md5(g::text)::uuid, jsonb_build_object('id', g, 'tag', 'x' || g % 10), decode(md5(g::text), 'hex'),
      ARRAY[g, g + 1, g + 2]
    FROM generate_series(b * 1000 + 1, b * 1000 + 1000) g;
    COMMIT;
  END LOOP;
END $$;
UPDATE wide SET f8 = f8 + 1, t = t || '!' WHERE id % 5 = 0;
INSERT INTO side SELECT g, 'side ' || g FROM generate_series(1, 6300) g;
