-- Unchanged TOASTed values: Debezium's placeholder, or the real value under REPLICA IDENTITY FULL.
SET client_min_messages = warning;
CREATE TABLE toast_t (id int PRIMARY KEY, small text, big text, big_bytea bytea, big_jsonb jsonb);
ALTER TABLE toast_t ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE toast_t ALTER COLUMN big_bytea SET STORAGE EXTERNAL;
ALTER TABLE toast_t ALTER COLUMN big_jsonb SET STORAGE EXTERNAL;
CREATE TABLE toast_full (id int PRIMARY KEY, small text, big text);
ALTER TABLE toast_full ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE toast_full REPLICA IDENTITY FULL;
SELECT 'init' FROM pg_create_logical_replication_slot('toast', 'cedar_cdc');
INSERT INTO toast_t VALUES (1, 's', repeat('abcdefghij', 1000), decode(repeat('00ff', 5000), 'hex'),
  ('{"k":"' || repeat('y', 10000) || '"}')::jsonb);
UPDATE toast_t SET small = 's2' WHERE id = 1;
UPDATE toast_t SET big = 'short now' WHERE id = 1;
INSERT INTO toast_full VALUES (1, 's', repeat('abcdefghij', 1000));
UPDATE toast_full SET small = 's2' WHERE id = 1;
-- the inserted values are written in full; compare lengths and a prefix
SELECT length(c->'after'->>'big') AS big_len, left(c->'after'->>'big', 20) AS big_prefix,
       length(c->'after'->>'big_bytea') AS bytea_b64_len, length(c->'after'->>'big_jsonb') AS jsonb_len
  FROM (SELECT data::json AS c FROM pg_logical_slot_peek_changes('toast', NULL, 1, 'schemas.enable', 'false')) s;
SELECT CASE WHEN length(x) > 300 THEN left(x, 150) || '…' || right(x, 150) ELSE x END AS event
  FROM cdcp('toast') AS x;
-- a custom placeholder, as text and as hex bytes
UPDATE toast_t SET small = 's3' WHERE id = 1;
SELECT data::json->'after' AS after
  FROM pg_logical_slot_get_changes('toast', NULL, NULL, 'schemas.enable', 'false',
                                   'unavailable.value.placeholder', 'hex:c3a9');
SELECT pg_drop_replication_slot('toast');
