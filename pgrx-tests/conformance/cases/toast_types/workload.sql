INSERT INTO tt SELECT 1, 's',
  array_fill(repeat('t', 100), ARRAY[100]), array_fill(repeat('v', 100)::varchar, ARRAY[100]),
  array_fill(1::int2, ARRAY[2000]), array_fill(1, ARRAY[2000]), array_fill(1::int8, ARRAY[2000]),
  array_fill(true, ARRAY[5000]), array_fill(1.5::float8, ARRAY[2000]), array_fill(1.5::numeric, ARRAY[2000]),
  array_fill('2020-01-01'::date, ARRAY[2000]), array_fill('2020-01-01 00:00:00+00'::timestamptz, ARRAY[2000]),
  array_fill('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, ARRAY[1000]), array_fill('\x0102'::bytea, ARRAY[3000]),
  array_fill('{"a":1}'::jsonb, ARRAY[1000]), array_fill('10.0.0.1'::inet, ARRAY[1000]), array_fill('ok'::mood, ARRAY[3000]),
  (SELECT hstore(array_agg('k' || g), array_agg(repeat('v', 20))) FROM generate_series(1, 300) g),
  ('<a>' || repeat('x', 9000) || '</a>')::xml, (repeat('9', 9000) || '.5')::numeric,
  (SELECT string_agg('w' || g, ' ') FROM generate_series(1, 2000) g)::tsvector;
UPDATE tt SET small = 's2';
