-- Publications as pgoutput uses them: publish actions, FOR TABLES IN SCHEMA, FOR ALL TABLES,
-- row filters (with updates turned into inserts and deletes), column lists, and partitions
-- published through their root or as themselves. Each publication set decodes the same WAL.
SET client_min_messages = warning;
CREATE SCHEMA sch;
CREATE TABLE pa (id int PRIMARY KEY, v text);
CREATE TABLE pb (id int PRIMARY KEY, v text);
CREATE TABLE sch.s1 (id int PRIMARY KEY, v text);
CREATE TABLE rf (id int PRIMARY KEY, v int, w text);
ALTER TABLE rf REPLICA IDENTITY FULL;
CREATE TABLE cl (id int PRIMARY KEY, a text, b text, c text);
CREATE TABLE part (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE part_eu PARTITION OF part FOR VALUES IN ('eu');
-- a partition whose columns are in another order than the root's
CREATE TABLE part_us (v text, region text NOT NULL, id int NOT NULL);
ALTER TABLE part ATTACH PARTITION part_us FOR VALUES IN ('us');
CREATE PUBLICATION p_ins FOR TABLE pa WITH (publish = 'insert');
CREATE PUBLICATION p_sch FOR TABLES IN SCHEMA sch;
CREATE PUBLICATION p_rf FOR TABLE rf WHERE (v > 10);
CREATE PUBLICATION p_cl FOR TABLE cl (id, a);
CREATE PUBLICATION p_root FOR TABLE part WITH (publish_via_partition_root = true);
CREATE PUBLICATION p_leaf FOR TABLE part;
CREATE PUBLICATION p_all FOR ALL TABLES;
CREATE PUBLICATION "Mixed Pub" FOR TABLE pb;
SELECT 'init' FROM pg_create_logical_replication_slot('pubs', 'cedar_cdc');
INSERT INTO pa VALUES (1, 'a');
UPDATE pa SET v = 'a2';
DELETE FROM pa;
INSERT INTO pb VALUES (1, 'b');
INSERT INTO sch.s1 VALUES (1, 's');
INSERT INTO rf VALUES (1, 5, 'below'), (2, 20, 'above');
UPDATE rf SET v = 30 WHERE id = 1;   -- old fails, new passes: an insert
UPDATE rf SET v = 5 WHERE id = 2;    -- old passes, new fails: a delete
UPDATE rf SET w = 'still' WHERE id = 1; -- both pass: an update
UPDATE rf SET w = 'no' WHERE id = 2;    -- neither: nothing
DELETE FROM rf;
INSERT INTO cl VALUES (1, 'a', 'b', 'c');
UPDATE cl SET b = 'b2';
INSERT INTO part VALUES (1, 'eu', 'x'), (2, 'us', 'y');
UPDATE part SET v = 'y2' WHERE id = 2;
TRUNCATE part_eu;
-- 13 lacks these publications: its ERRORs' CONTEXT would name an LSN that moves with the schema's size
\set SHOW_CONTEXT never
-- publications and their actions
SELECT cdc_norm(data) FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'schemas.enable', 'false',
  'topic.prefix', 'srv', 'publication_names', 'p_ins');
SELECT cdc_norm(data) FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'schemas.enable', 'false',
  'topic.prefix', 'srv', 'publication_names', 'p_sch, "Mixed Pub"');
-- row filters
SELECT data::json->>'op' AS op, data::json->'before' AS before, data::json->'after' AS after
  FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'schemas.enable', 'false', 'publication_names', 'p_rf');
-- a column list leaves columns out of before, after and the schema
SELECT data::json->'payload'->>'op' AS op, data::json->'payload'->'after' AS after,
       json_array_length(data::json->'schema'->'fields'->1->'fields') AS schema_fields
  FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'publication_names', 'p_cl');
\set SHOW_CONTEXT errors
-- partitions through the root (its name, its column order) or as themselves; truncating a
-- partition is not published through the root
SELECT data::json->'source'->>'table' AS tbl, data::json->>'op' AS op, data::json->'after' AS after
  FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'schemas.enable', 'false', 'publication_names', 'p_root',
                                    'skipped.operations', 'none');
SELECT data::json->'source'->>'table' AS tbl, data::json->>'op' AS op, data::json->'after' AS after
  FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'schemas.enable', 'false', 'publication_names', 'p_leaf',
                                    'skipped.operations', 'none');
-- FOR ALL TABLES, and no publication at all, see every table (partitions as themselves)
SELECT data::json->'source'->>'table' AS tbl, count(*)
  FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'schemas.enable', 'false', 'publication_names', 'p_all')
  GROUP BY 1 ORDER BY 1;
SELECT data::json->'source'->>'table' AS tbl, count(*)
  FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'schemas.enable', 'false')
  GROUP BY 1 ORDER BY 1;
-- errors (the context of the first names a WAL position, which moves when tests change)
\set SHOW_CONTEXT never
SELECT * FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'publication_names', 'nope');
\set SHOW_CONTEXT errors
SELECT * FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'publication_names', 'p_ins', 'publication.name', 'p_sch');
SELECT * FROM pg_logical_slot_peek_changes('pubs', NULL, NULL, 'publication_names', 'a,,b');
SELECT pg_drop_replication_slot('pubs');
