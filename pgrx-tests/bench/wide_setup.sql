-- A wide table with every common type.
CREATE TABLE wide (
  id bigint PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 real, f8 float8, n numeric(12,2), nv numeric,
  t text, vc varchar(40), c char(8), d date, tm time, ts timestamp, tstz timestamptz, iv interval, u uuid,
  j jsonb, by bytea, ia int[]
);
