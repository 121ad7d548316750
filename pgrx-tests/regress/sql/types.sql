-- Column types of the foundation, with extremes, NULLs, unicode and JSON escaping.
SET client_min_messages = warning;
SET timezone = 'Europe/Berlin';  -- values are converted to UTC whatever the session zone
CREATE TABLE t_num (
  id int PRIMARY KEY,
  b bool, i2 int2, i4 int4, i8 int8, o oid,
  f4 float4, f8 float8,
  n10_3 numeric(10,3), n5 numeric(5), n38_10 numeric(38,10), n numeric
);
CREATE TABLE t_text (
  id int PRIMARY KEY,
  t text, vc varchar(10), c char(5), ch "char", by bytea, u uuid, j json, jb jsonb
);
CREATE TABLE t_time (
  id int PRIMARY KEY,
  d date, ts timestamp, ts0 timestamp(0), ts3 timestamp(3), tstz timestamptz, tstz0 timestamptz(0),
  tstz3 timestamptz(3), tm time, tm3 time(3), tmtz timetz, iv interval
);
CREATE TABLE t_gen (
  id int PRIMARY KEY, a int, doubled int GENERATED ALWAYS AS (a * 2) STORED, z text
);
CREATE TABLE t_other (
  id int PRIMARY KEY, ip inet, net cidr, mac macaddr, r int4range, tsv tsvector, nm name, bx box
);
SELECT 'init' FROM pg_create_logical_replication_slot('types', 'cedar_cdc');

INSERT INTO t_num VALUES
  (1, true, -32768, 2147483647, -9223372036854775808, 4000000000,
   3.3, 4.44, 1234567.891, 12345, 1234567890123456789012345678.0123456789, 10.1111),
  (2, false, 32767, -2147483648, 9223372036854775807, 0,
   'NaN', 'Infinity', -0.001, -99999, -0.0000000001, -0.000123),
  (3, NULL, 0, 0, 0, NULL, '-Infinity', 1e-7, 0, 0, 0, 'NaN'),
  (4, NULL, NULL, NULL, NULL, NULL, 1e10, 1.5e300, NULL, NULL, NULL, 1.10),
  (5, NULL, NULL, NULL, NULL, NULL, -0.0, 123456.789, NULL, NULL, NULL, 2.5e3),
  (6, NULL, NULL, NULL, NULL, NULL, NULL, 100, NULL, NULL, NULL, 123456789012345678901234567890123456789012345.6789);
SELECT * FROM cdcp('types');

INSERT INTO t_text VALUES
  (1, E'line1\nline2\ttab\\back\u0001ctl"q"/\u001f', 'héllo', 'ab', 'x', '\x0102ff',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1,  "b":[1,2]}', '{"b":[1,2], "a": 1, "é": "\u00e9"}'),
  (2, '日本語 😀 €', '', '', NULL, '', NULL, 'null', '[]'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT * FROM cdcp('types');

INSERT INTO t_time VALUES
  (1, '2016-11-04', '2016-11-04 13:51:30.123456', '2016-11-04 13:51:30', '2016-11-04 13:51:30.5',
   '2016-11-04 13:51:30.123456+02', '2016-11-04 13:51:30+02', '2016-11-04 13:51:30.1+02',
   '13:51:30.123456', '13:51:30.123', '13:51:30.123789+02:00', 'P1Y2M3DT4H5M6.78S'),
  (2, 'infinity', 'infinity', '-infinity', 'infinity', 'infinity', '-infinity', '2016-11-04 13:51:30+00',
   '24:00:00', '00:00:00', '00:00:00+00', '-1 year -2 months +3 days -04:05:06.789'),
  (3, '-infinity', '-infinity', '1969-12-31 23:59:59', '1900-01-01 00:00:00.001',
   '0044-03-15 12:00:00+00 BC', '21016-11-04 06:51:30+00', '1970-01-01 00:00:00+00',
   NULL, NULL, '23:59:59.999999-01:30', '100 years 11 months 30 days 23:59:59.999999'),
  (4, '0001-01-01 BC', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT * FROM cdcp('types');

-- generated columns are not in the events (pgoutput on PostgreSQL 15 does not send them)
INSERT INTO t_gen (id, a, z) VALUES (1, 21, 'z');
UPDATE t_gen SET a = 5;
SELECT * FROM cdc('types');

-- types written from their text form; name columns stream as null and box columns are
-- dropped, as Debezium does with pgoutput
INSERT INTO t_other VALUES (1, '192.168.2.0/12', '192.168.100.128/25', '08:00:2b:01:02:03',
  '[1,10)', 'a fat cat sat on a mat', 'nm', '((0,0),(1,1))');
SELECT * FROM cdcp('types');
SELECT pg_drop_replication_slot('types');
