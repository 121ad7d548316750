-- A table for the handling-mode cases (decimal, time precision, binary, interval, hstore,
-- money, unknown types).
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TABLE modes (
  id int PRIMARY KEY,
  n10_3 numeric(10,3), n numeric, n_nn numeric(6,2) NOT NULL DEFAULT 1.5, m money,
  by bytea, b8 bit(8), vb varbit, b1 bit(1),
  d date, t time, t3 time(3), ts timestamp, ts3 timestamp(3), tstz timestamptz, tz timetz,
  iv interval, h hstore, bx box, pl polygon, ln pg_lsn, a_by bytea[], a_n numeric[], a_d date[], a_t time[]
);
