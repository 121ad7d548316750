-- The initial snapshot: cedar_cdc.snapshot_records() in the transaction that created the slot
-- (here with pg_create_logical_replication_slot; over a replication connection it is
-- CREATE_REPLICATION_SLOT ... (SNAPSHOT 'use'), see the README), and its bad input.
SET client_min_messages = warning;
CREATE SCHEMA snap;
CREATE TABLE snap.items (id int PRIMARY KEY, name text NOT NULL, n name, d date,
  g int GENERATED ALWAYS AS (id * 10) STORED, big text);
ALTER TABLE snap.items ALTER big SET STORAGE EXTERNAL;
INSERT INTO snap.items (id, name, n, d, big) VALUES
  (1, 'one', 'nm', 'infinity', repeat('x', 3000)), (2, 'two', NULL, '2024-10-15', NULL);
CREATE TABLE snap."Empty" (id int PRIMARY KEY);
CREATE TABLE snap."Zed" (id int PRIMARY KEY);
INSERT INTO snap."Zed" VALUES (1);
CREATE TABLE snap.nokey (v text);
INSERT INTO snap.nokey VALUES ('a'), (NULL);
CREATE VIEW snap.v AS SELECT 1 AS x;
CREATE TABLE snap.secret (id int PRIMARY KEY);
CREATE PUBLICATION snap_pub FOR TABLE snap.items;
-- every captured table, in Debezium's order (name order, uppercase first), payloads only
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'init' FROM pg_create_logical_replication_slot('snap_slot', 'cedar_cdc');
SELECT r::jsonb -> 'source' ->> 'table' AS tbl, r::jsonb -> 'source' ->> 'snapshot' AS marker,
       r::jsonb ->> 'op' AS op, r::jsonb -> 'before' AS before,
       left((r::jsonb -> 'after')::text, 120) AS after
  FROM cedar_cdc.snapshot_records('snap_slot', ARRAY['schemas.enable=false', 'table.include.list=snap\..*']) r;
-- the source block: the slot's consistent point, the transaction's xid and start time
SELECT count(*) AS records,
       bool_and((r::jsonb -> 'source' ->> 'lsn')::numeric
                = (SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = 'snap_slot')) AS lsn_ok,
       bool_and((r::jsonb -> 'source' ->> 'txId') = pg_current_xact_id()::text) AS txid_ok,
       bool_and((r::jsonb -> 'source' ->> 'ts_us')::numeric
                = floor(extract(epoch FROM transaction_timestamp()) * 1000000)) AS ts_ok,
       bool_and(r::jsonb -> 'source' ->> 'sequence' = '[null,"' || (r::jsonb -> 'source' ->> 'lsn') || '"]') AS sequence_ok,
       bool_and(r::jsonb -> 'transaction' = 'null') AS no_transaction_block
  FROM cedar_cdc.snapshot_records('snap_slot', ARRAY['schemas.enable=false', 'table.include.list=snap\..*']) r;
-- named tables, in the same order whatever order they are given in; the record format
SELECT r::jsonb ->> 'topic' AS topic, r::jsonb ->> 'key' AS key, cdc_norm(r::jsonb ->> 'value') AS value
  FROM cedar_cdc.snapshot_records('snap_slot', '{topic.prefix=srv,output.format=record,schemas.enable=false}',
                                  '{snap.nokey,"snap.\"Empty\"","snap.\"Zed\""}') r;
-- a publication limits the tables to its own
SELECT r::jsonb -> 'source' ->> 'table' AS tbl
  FROM cedar_cdc.snapshot_records('snap_slot', ARRAY['schemas.enable=false', 'publication_names=snap_pub', 'table.include.list=snap\..*']) r;
-- snapshot_frames (what cedar-cdc-relay --snapshot initial produces): the same records as
-- output.format=framed frames ('R', u16 topic length, topic, u32 key length or 0xFFFFFFFF,
-- key, value flag, value), equal to the record format's topic, key and value but for the
-- processing time
WITH f AS (
  SELECT row_number() OVER () AS n, f, (get_byte(f, 1) << 8) + get_byte(f, 2) AS tl
    FROM cedar_cdc.snapshot_frames('snap_slot', ARRAY['topic.prefix=srv', 'schemas.enable=false']) f),
k AS (
  SELECT n, f, tl, (get_byte(f, 3 + tl)::bigint << 24) + (get_byte(f, 4 + tl) << 16)
                   + (get_byte(f, 5 + tl) << 8) + get_byte(f, 6 + tl) AS kl
    FROM f),
frames AS (
  SELECT n, get_byte(f, 0) AS kind, convert_from(substr(f, 4, tl), 'UTF8') AS topic,
         CASE WHEN kl = 4294967295 THEN NULL ELSE convert_from(substr(f, 8 + tl, kl::int), 'UTF8') END AS key,
         get_byte(f, 7 + tl + CASE WHEN kl = 4294967295 THEN 0 ELSE kl::int END) AS flag,
         convert_from(substr(f, 9 + tl + CASE WHEN kl = 4294967295 THEN 0 ELSE kl::int END), 'UTF8')::jsonb AS value
    FROM k),
records AS (
  SELECT row_number() OVER () AS n, r::jsonb AS r
    FROM cedar_cdc.snapshot_records('snap_slot', ARRAY['topic.prefix=srv', 'schemas.enable=false', 'output.format=record']) r)
SELECT count(*) AS frames, count(key) AS keyed, bool_and(kind = 82 AND flag = 1) AS record_frames,
       bool_and(topic = r ->> 'topic' AND key IS NOT DISTINCT FROM r ->> 'key'
                AND value - 'ts_ms' - 'ts_us' - 'ts_ns' = (r ->> 'value')::jsonb - 'ts_ms' - 'ts_us' - 'ts_ns') AS identical
  FROM frames JOIN records USING (n);
COMMIT;
-- bad input: each an ERROR with a HINT, before any record
\set VERBOSITY default
SELECT cedar_cdc.snapshot_records('snap_slot', '{schemas.enable=false}', '{snap.items}');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_records('no_such_slot');
ROLLBACK;
SELECT 'init' FROM pg_create_logical_replication_slot('snap_td', 'test_decoding');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_records('snap_td');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_records('snap_slot', '{}', '{snap.no_such_table}');
ROLLBACK;
-- frames are binary: snapshot_records cannot return them, snapshot_frames returns nothing else
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_records('snap_slot', '{output.format=framed}');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_frames('snap_slot', '{output.format=record}');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_records('snap_slot', '{}', '{snap.v}');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_records('snap_slot', '{table.exclude.list=snap\\.nokey}', '{snap.nokey}');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_records('snap_slot', '{publication_names=snap_pub}', '{snap.items,snap.nokey}');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_records('snap_slot', '{include-xids=1}');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cedar_cdc.snapshot_records('snap_slot', ARRAY[NULL]);
ROLLBACK;
-- a user without SELECT on a captured table: nothing is returned, not even the readable tables
CREATE ROLE snap_user NOLOGIN;
GRANT USAGE ON SCHEMA snap, cedar_cdc TO snap_user;
GRANT SELECT ON snap.items, snap.nokey, snap."Empty" TO snap_user;
SET ROLE snap_user;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM cedar_cdc.snapshot_records('snap_slot', ARRAY['table.include.list=snap\..*']) r;
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM cedar_cdc.snapshot_records('snap_slot', ARRAY['table.include.list=snap\..*'], '{snap.items}') r;
ROLLBACK;
-- check_prerequisites names the tables a snapshot could not read, and settings that can end it
SELECT item, status, fix FROM cedar_cdc.check_prerequisites() WHERE item LIKE 'snapshot read: snap.%';
RESET ROLE;
SELECT item, status FROM cedar_cdc.check_prerequisites() WHERE item = 'snapshot settings';
SET statement_timeout = '5min';
SELECT item, status, detail, fix FROM cedar_cdc.check_prerequisites() WHERE item = 'snapshot settings';
RESET statement_timeout;
DROP OWNED BY snap_user;
DROP ROLE snap_user;
SELECT pg_drop_replication_slot('snap_slot');
SELECT pg_drop_replication_slot('snap_td');
