-- The fields masked elsewhere, checked against the server: lsn, txId, commit times, sequence.
SET client_min_messages = warning;
CREATE TABLE src_t (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('src', 'cedar_cdc');
INSERT INTO src_t VALUES (1);
INSERT INTO src_t VALUES (2), (3);
CREATE TEMP TABLE got AS
  SELECT lsn, xid, data::json->'source' AS s, data::json AS e
    FROM pg_logical_slot_get_changes('src', NULL, NULL, 'schemas.enable', 'false');
SELECT count(*) AS events,
       bool_and((s->>'lsn')::numeric = lsn - '0/0'::pg_lsn) AS lsn_is_change_lsn,
       bool_and((s->>'txId')::bigint = xid::text::bigint) AS txid_is_xid,
       bool_and((s->>'ts_us')::bigint = (extract(epoch FROM pg_xact_commit_timestamp(xid)) * 1000000)::bigint) AS ts_us_is_commit_time,
       bool_and((s->>'ts_ms')::bigint = (s->>'ts_us')::bigint / 1000) AS ts_ms_is_floor,
       bool_and((s->>'ts_ns')::bigint = (s->>'ts_us')::bigint * 1000) AS ts_ns_is_us_times_1000,
       bool_and((e->>'ts_us')::bigint >= (s->>'ts_us')::bigint) AS processed_after_commit,
       bool_and((e->>'ts_ns')::bigint = (e->>'ts_us')::bigint * 1000) AS envelope_ts_ns
  FROM got;
-- sequence = [end LSN of the previous transaction of this session, this change's LSN];
-- the first transaction a session decodes has none
SELECT xid::text::bigint = min(xid::text::bigint) OVER () AS first_txn, s->>'sequence' ~ '^\[(null|"\d+"),"\d+"\]$' AS shaped,
       (s->>'sequence')::json->>1 = (s->>'lsn') AS second_is_lsn,
       (s->>'sequence')::json->>0 IS NULL AS first_is_null
  FROM got ORDER BY lsn;
SELECT ((SELECT (s->>'sequence')::json->>0 FROM got ORDER BY lsn DESC LIMIT 1)::numeric
        > (SELECT (s->>'lsn')::numeric FROM got ORDER BY lsn LIMIT 1)) AS prev_commit_after_first_change;
SELECT pg_drop_replication_slot('src');
