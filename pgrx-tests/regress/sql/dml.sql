-- Inserts, updates and deletes under each REPLICA IDENTITY, key changes and keyless tables.
SET client_min_messages = warning;
CREATE TABLE ri_default (id int PRIMARY KEY, name text NOT NULL, note text, qty int NOT NULL);
CREATE TABLE ri_full (id int PRIMARY KEY, name text NOT NULL, note text, qty int NOT NULL);
ALTER TABLE ri_full REPLICA IDENTITY FULL;
CREATE TABLE ri_index (id int PRIMARY KEY, code text NOT NULL, note text);
CREATE UNIQUE INDEX ri_index_code ON ri_index(code);
ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_code;
CREATE TABLE ri_nothing (id int PRIMARY KEY, v text);
ALTER TABLE ri_nothing REPLICA IDENTITY NOTHING;
CREATE TABLE nopk (a int, b text);
ALTER TABLE nopk REPLICA IDENTITY FULL;
CREATE TABLE cpk (b int, a int, v text, PRIMARY KEY (a, b));
SELECT 'init' FROM pg_create_logical_replication_slot('dml', 'cedar_cdc');

INSERT INTO ri_default VALUES (1, 'n1', 'note1', 10), (2, 'n2', NULL, 20);
UPDATE ri_default SET note = 'x' WHERE id = 1;
DELETE FROM ri_default WHERE id = 1;
-- primary key change: delete of the old key, then create of the new one
UPDATE ri_default SET id = 3 WHERE id = 2;
SELECT * FROM cdcp('dml');

INSERT INTO ri_full VALUES (1, 'n1', 'note1', 10);
UPDATE ri_full SET note = 'x' WHERE id = 1;
UPDATE ri_full SET id = 5 WHERE id = 1;
DELETE FROM ri_full WHERE id = 5;
SELECT * FROM cdcp('dml');

INSERT INTO ri_index VALUES (1, 'c1', 'note1');
UPDATE ri_index SET note = 'x' WHERE id = 1;
-- the old tuple carries only the index column: Debezium sees key {"id":0}, a key change
UPDATE ri_index SET code = 'c2' WHERE id = 1;
DELETE FROM ri_index WHERE id = 1;
SELECT * FROM cdcp('dml');

-- no old row at all: updates have no before, deletes are not emitted (as Debezium)
INSERT INTO ri_nothing VALUES (1, 'a');
UPDATE ri_nothing SET v = 'b';
DELETE FROM ri_nothing;
SELECT * FROM cdcp('dml');

INSERT INTO nopk VALUES (1, 'a');
UPDATE nopk SET b = 'b';
DELETE FROM nopk;
SELECT * FROM cdcp('dml');

-- composite key in constraint order; several changes in one transaction, a rolled back
-- subtransaction and an aborted transaction
BEGIN;
INSERT INTO cpk VALUES (1, 2, 'v');
SAVEPOINT s1;
INSERT INTO cpk VALUES (3, 4, 'gone');
ROLLBACK TO SAVEPOINT s1;
UPDATE cpk SET v = 'w' WHERE a = 2;
COMMIT;
BEGIN;
INSERT INTO cpk VALUES (9, 9, 'aborted');
ROLLBACK;
DELETE FROM cpk;
SELECT * FROM cdcp('dml');

-- with schemas: the full value record
INSERT INTO cpk VALUES (1, 2, 'v');
SELECT * FROM cdc('dml', 'topic.prefix', 'srv');
-- transaction metadata with logical decoding messages: each message is a data collection of
-- its own, named with a stand-in for Debezium's identity hash, so the counts add up
BEGIN;
INSERT INTO cpk VALUES (5, 6, 'm');
SELECT pg_logical_emit_message(true, 'app', 'x') IS NOT NULL AS emitted;
INSERT INTO cpk VALUES (7, 8, 'm');
SELECT pg_logical_emit_message(true, 'app', 'y') IS NOT NULL AS emitted;
COMMIT;
BEGIN;
SELECT pg_logical_emit_message(true, 'app', 'only') IS NOT NULL AS emitted;
COMMIT;
-- (the order of several entries follows their hashes, so only the single-entry END is shown)
SELECT json_array_length(t::json->'data_collections') AS collections,
       (t::json->>'event_count')::int = (SELECT sum((e->>'event_count')::int)
                                           FROM json_array_elements(t::json->'data_collections') e) AS counts_add_up,
       CASE WHEN json_array_length(t::json->'data_collections') = 1
            THEN cdc_norm(regexp_replace(regexp_replace(t, 'LogicalDecodingMessageId@[0-9a-f]+', 'LogicalDecodingMessageId@H'),
                                         '"id":"\d+:\d+"', '"id":"X:L"')) END AS single
  FROM pg_logical_slot_get_changes('dml', NULL, NULL, 'schemas.enable', 'false', 'topic.prefix', 'srv',
                                   'provide.transaction.metadata', 'true') AS c(lsn, xid, t)
 WHERE t::json->>'status' = 'END';
SELECT pg_drop_replication_slot('dml');
