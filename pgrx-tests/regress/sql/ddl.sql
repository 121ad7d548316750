-- Schema changes between and inside transactions: the cached relation plan follows them.
SET client_min_messages = warning;
CREATE TABLE ddl_t (id int PRIMARY KEY, a int);
SELECT 'init' FROM pg_create_logical_replication_slot('ddl', 'cedar_cdc');
INSERT INTO ddl_t VALUES (1, 1);
ALTER TABLE ddl_t ADD COLUMN b text DEFAULT 'new';
INSERT INTO ddl_t VALUES (2, 2, 'two');
BEGIN;
INSERT INTO ddl_t VALUES (3, 3, 'three');
ALTER TABLE ddl_t DROP COLUMN a;
INSERT INTO ddl_t VALUES (4, 'four');
ALTER TABLE ddl_t ALTER COLUMN b DROP DEFAULT, ALTER COLUMN b TYPE int USING length(b);
INSERT INTO ddl_t VALUES (5, 5);
COMMIT;
ALTER TABLE ddl_t RENAME TO ddl_renamed;
ALTER TABLE ddl_renamed RENAME COLUMN b TO c;
UPDATE ddl_renamed SET c = 6 WHERE id = 5;
CREATE SCHEMA other;
ALTER TABLE ddl_renamed SET SCHEMA other;
DELETE FROM other.ddl_renamed WHERE id = 5;
-- a row written before a column was added reads the column's missing value
ALTER TABLE other.ddl_renamed ADD COLUMN m int NOT NULL DEFAULT 9;
UPDATE other.ddl_renamed SET c = 7 WHERE id = 4;
SELECT * FROM cdcp('ddl');
-- the schema follows too
ALTER TABLE other.ddl_renamed ALTER COLUMN c SET NOT NULL;
INSERT INTO other.ddl_renamed VALUES (8, 8, 8);
SELECT json_array_elements(data::json->'schema'->'fields'->1->'fields')::text AS field
  FROM pg_logical_slot_get_changes('ddl', NULL, NULL);
SELECT pg_drop_replication_slot('ddl');
