-- Snapshot on demand: cedar_cdc.snapshot() re-emits a table's rows through a running slot as
-- "snapshot":"incremental" r events, chunk by chunk (one transactional message each),
-- interleaved with the changes committed around them; and its bad input.
SET client_min_messages = warning;
CREATE SCHEMA inc;
CREATE TABLE inc.items (id int PRIMARY KEY, name text NOT NULL, secret text, d date,
  g int GENERATED ALWAYS AS (id * 10) STORED);
INSERT INTO inc.items (id, name, secret, d)
  SELECT i, 'item ' || i, 's' || i, date '2024-10-15' + i FROM generate_series(1, 6) i;
CREATE TABLE inc."Pairs" (a int, "B" text, v text, PRIMARY KEY (a, "B"));
INSERT INTO inc."Pairs" VALUES (1, 'x', 'one x'), (1, 'y', 'one y'), (2, 'x', 'two x');
CREATE TABLE inc.nokey (k int, v text);
INSERT INTO inc.nokey VALUES (2, 'b'), (1, 'a'), (3, 'c'), (NULL, 'null key');
-- Waits (in its own statement: the worker starts once snapshot() has committed) until the worker of snapshot sid has finished every table; returns their states.
CREATE FUNCTION inc_wait(sid bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
  FOR i IN 1..1500 LOOP
    SELECT string_agg(state, ',' ORDER BY ord) INTO s FROM cedar_cdc.snapshot_state WHERE id = sid;
    IF s !~ '(pending|running)' THEN RETURN s; END IF;
    PERFORM pg_sleep(0.02);
  END LOOP;
  RETURN 'timeout: ' || s;
END $$;
-- check_prerequisites: a free background worker slot for the snapshot's worker
SELECT item, status, fix FROM cedar_cdc.check_prerequisites() WHERE item = 'snapshot workers';
SELECT 'init' FROM pg_create_logical_replication_slot('inc_slot', 'cedar_cdc');
SELECT 'init' FROM pg_create_logical_replication_slot('inc_other', 'cedar_cdc');
SELECT 'init' FROM pg_create_logical_replication_slot('inc_td', 'test_decoding');
-- a change before, the snapshot in chunks of 2, changes after: the stream keeps their order
UPDATE inc.items SET name = 'changed before' WHERE id = 2;
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}', chunk_size => 2) AS sid \gset
SELECT inc_wait(:sid);
DELETE FROM inc.items WHERE id = 3;
INSERT INTO inc.items (id, name) VALUES (7, 'after');
SELECT * FROM cdcp('inc_slot', 'table.include.list', 'inc\..*',
                      'column.exclude.list', 'inc\.items\.secret');
-- progress: rows, chunks (3 of 2 rows; the last one reads to the end), the upper key before it
SELECT slot, "table", state, rows_done, chunks, last_key, rows_per_s >= 0 AS rate_ok,
       started IS NOT NULL AS started, error
  FROM cedar_cdc.snapshot_progress() WHERE slot = 'inc_slot';
-- the source block: the chunk transaction's xid and LSN, its commit time
SELECT 'init' FROM pg_create_logical_replication_slot('inc_src', 'cedar_cdc');
SELECT cedar_cdc.snapshot('inc_src', '{inc.items}') AS sid \gset
SELECT inc_wait(:sid);
SELECT count(*) AS records,
       count(DISTINCT d::jsonb -> 'source' ->> 'txId') AS chunk_transactions,
       bool_and(d::jsonb -> 'source' ->> 'lsn' = (lsn - '0/0')::text) AS lsn_is_the_message,
       bool_and(d::jsonb -> 'source' ->> 'txId' = xid::text) AS txid_is_the_chunk,
       bool_and(d::jsonb -> 'source' ->> 'snapshot' = 'incremental') AS incremental
  FROM pg_logical_slot_get_changes('inc_src', NULL, NULL, 'schemas.enable', 'false') AS c(lsn, xid, d);
SELECT pg_drop_replication_slot('inc_src');
-- the other cedar_cdc slot saw the changes only; test_decoding sees the chunk messages
SELECT count(*) FILTER (WHERE data::jsonb ->> 'op' = 'r') AS r_events, count(*) AS events
  FROM pg_logical_slot_get_changes('inc_other', NULL, NULL, 'schemas.enable', 'false',
                                   'table.include.list', 'inc\..*');
SELECT count(*) AS chunk_messages
  FROM pg_logical_slot_get_changes('inc_td', NULL, NULL)
 WHERE data LIKE 'message: transactional: 1 prefix: cedar_cdc.snapshot, %';
-- a condition (Debezium's additional-conditions), a composite quoted key, record format
SELECT cedar_cdc.snapshot('inc_slot', '{"inc.\"Pairs\""}', "where" => '"B" = ''x''', chunk_size => 1) AS sid \gset
SELECT inc_wait(:sid);
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}', "where" => 'id > 4') AS sid \gset
SELECT inc_wait(:sid);
SELECT data::jsonb ->> 'topic' AS topic, data::jsonb ->> 'key' AS key, cdc_norm(data::jsonb ->> 'value') AS value
  FROM pg_logical_slot_get_changes('inc_slot', NULL, NULL, 'schemas.enable', 'false', 'topic.prefix', 'srv',
         'output.format', 'record', 'table.include.list', 'inc\..*', 'column.mask.with.3.chars', 'inc\.items\.secret');
-- a keyless table chunked by message.key.columns (rows with a NULL chunk key are not read)
SELECT cedar_cdc.snapshot('inc_slot', '{inc.nokey}',
                                   options => ARRAY['message.key.columns=inc\.nokey:k']) AS sid \gset
SELECT inc_wait(:sid);
SELECT * FROM cdcp('inc_slot', 'message.key.columns', 'inc\.nokey:k', 'table.include.list', 'inc\..*');
-- a session whose filters leave the table out emits nothing for its chunks
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}') AS sid \gset
SELECT inc_wait(:sid);
SELECT count(*) FROM cdcp('inc_slot', 'table.include.list', 'inc\.nokey');
-- the same records as the initial snapshot's (schemas on), but for source.snapshot, lsn, txId,
-- sequence and times: NULLs, extremes, TOASTed values, arrays, generated columns
CREATE TABLE inc.types (id int PRIMARY KEY, n numeric(10, 2), t timestamptz, d date, b bytea,
  j jsonb, a int[], big text, g text GENERATED ALWAYS AS (left(big, 3)) STORED);
ALTER TABLE inc.types ALTER big SET STORAGE EXTERNAL;
INSERT INTO inc.types VALUES
  (1, 12345678.99, '2024-10-15 09:30:00.123456+02', 'infinity', '\x00ff', '{"k": [1, null]}', '{1,NULL,3}', repeat('x', 5000)),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, -0.01, '-infinity', '0001-01-01 BC', '', '[]', '{}', repeat('é', 3000));
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'init' FROM pg_create_logical_replication_slot('inc_cmp', 'cedar_cdc');
CREATE TEMP TABLE initial AS
  SELECT r::jsonb AS e FROM cedar_cdc.snapshot_records('inc_cmp', ARRAY['table.include.list=inc\.types']) r;
COMMIT;
SELECT cedar_cdc.snapshot('inc_cmp', '{inc.types}', options => ARRAY['table.include.list=inc\.types'], chunk_size => 2) AS sid \gset
SELECT inc_wait(:sid);
CREATE TEMP TABLE incr AS
  SELECT data::jsonb AS e FROM pg_logical_slot_get_changes('inc_cmp', NULL, NULL, 'table.include.list', 'inc\.types');
CREATE FUNCTION inc_facts(e jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT e #- '{payload,source,snapshot}' #- '{payload,source,lsn}' #- '{payload,source,txId}'
           #- '{payload,source,sequence}' #- '{payload,source,ts_ms}' #- '{payload,source,ts_us}'
           #- '{payload,source,ts_ns}' #- '{payload,ts_ms}' #- '{payload,ts_us}' #- '{payload,ts_ns}' $$;
SELECT count(*) AS rows, count(*) FILTER (WHERE inc_facts(i.e) = inc_facts(n.e)) AS identical,
       bool_and(n.e -> 'payload' -> 'source' ->> 'snapshot' = 'incremental') AS incremental
  FROM initial i JOIN incr n ON i.e -> 'payload' -> 'after' -> 'id' = n.e -> 'payload' -> 'after' -> 'id';
SELECT pg_drop_replication_slot('inc_cmp');
-- a chunk that fails (here its condition divides by zero past id 5) fails the snapshot, with
-- the error; the chunks before it were emitted
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}', "where" => 'CASE WHEN id > 5 THEN id / (id - id) = 1 ELSE true END',
                          chunk_size => 2) AS sid \gset
SELECT inc_wait(:sid);
SELECT state, rows_done, chunks, error FROM cedar_cdc.snapshot_progress() WHERE id = :sid;
SELECT count(*) FROM cdcp('inc_slot', 'table.include.list', 'inc\.items');
-- cancel: a snapshot that has not run (its worker waits for this transaction) ends cancelled
BEGIN;
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}') > 0 AS started;
SELECT cedar_cdc.snapshot_cancel('inc_slot', 'inc.items');
COMMIT;
SELECT state, rows_done FROM cedar_cdc.snapshot_progress() ORDER BY id DESC LIMIT 1;
SELECT count(*) FROM cdcp('inc_slot', 'table.include.list', 'inc\.items');
-- bad input: each an ERROR with a HINT, and nothing started
\set VERBOSITY default
SELECT cedar_cdc.snapshot('inc_slot', '{inc.no_such_table}');
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}', options => ARRAY['table.exclude.list=inc\.items']);
CREATE PUBLICATION inc_pub FOR TABLE inc."Pairs";
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}', options => ARRAY['publication_names=inc_pub']);
SELECT cedar_cdc.snapshot('inc_slot', '{inc.nokey}');
SELECT cedar_cdc.snapshot('inc_td', '{inc.items}');
SELECT cedar_cdc.snapshot('no_such_slot', '{inc.items}');
SELECT cedar_cdc.snapshot('inc_slot', '{}');
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}', chunk_size => 0);
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}', "where" => 'true; DROP TABLE inc.items');
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}', "where" => 'no_such_column > 1');
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}', options => ARRAY['no.such.option=1']);
-- a second snapshot of a table being snapshotted for the slot
BEGIN;
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}') > 0 AS started;
SELECT cedar_cdc.snapshot('inc_slot', '{inc.\"Pairs\",inc.items}');
ROLLBACK;
-- a user without SELECT
CREATE ROLE inc_user NOLOGIN;
GRANT USAGE ON SCHEMA inc, cedar_cdc TO inc_user;
GRANT SELECT (id, name) ON inc.items TO inc_user;
SET ROLE inc_user;
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}');
RESET ROLE;
-- a role that may read the table but not log in (the worker connects as the caller)
GRANT SELECT ON inc.items TO inc_user;
SET ROLE inc_user;
SELECT cedar_cdc.snapshot('inc_slot', '{inc.items}');
RESET ROLE;
SELECT count(*) AS unfinished FROM cedar_cdc.snapshot_state WHERE state IN ('pending', 'running');
SELECT count(*) FROM cdcp('inc_slot');
DROP OWNED BY inc_user;
DROP ROLE inc_user;
DROP PUBLICATION inc_pub;
SELECT pg_drop_replication_slot('inc_slot');
SELECT pg_drop_replication_slot('inc_other');
SELECT pg_drop_replication_slot('inc_td');
