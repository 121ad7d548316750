-- Options: Debezium's property names; every bad option is an ERROR that names it.
SET client_min_messages = warning;
CREATE TABLE opt_t (id int PRIMARY KEY, v text);
SELECT 'init' FROM pg_create_logical_replication_slot('opt', 'cedar_cdc');
INSERT INTO opt_t VALUES (1, 'a');
-- unknown option
SELECT * FROM pg_logical_slot_peek_changes('opt', NULL, NULL, 'include-xids', '1');
-- bad values
SELECT * FROM pg_logical_slot_peek_changes('opt', NULL, NULL, 'schemas.enable', 'yes');
SELECT * FROM pg_logical_slot_peek_changes('opt', NULL, NULL, 'topic.prefix', '');
SELECT * FROM pg_logical_slot_peek_changes('opt', NULL, NULL, 'decimal.handling.mode', 'exact');
SELECT * FROM pg_logical_slot_peek_changes('opt', NULL, NULL, 'binary.handling.mode', 'base32');
SELECT * FROM pg_logical_slot_peek_changes('opt', NULL, NULL, 'unavailable.value.placeholder', 'hex:abc');
SELECT * FROM pg_logical_slot_peek_changes('opt', NULL, NULL, 'output.format', 'avro');
SELECT * FROM pg_logical_slot_peek_changes('opt', NULL, NULL, 'topic.prefix', 'a', 'topic.prefix', 'b');
-- topic.prefix defaults to the database name; option names and enum values as Debezium
SELECT data::json->'payload'->'source'->>'name' AS name,
       data::json->'schema'->>'name' AS envelope
  FROM pg_logical_slot_peek_changes('opt', NULL, NULL);
SELECT data::json->'source'->>'name' AS name
  FROM pg_logical_slot_peek_changes('opt', NULL, NULL, 'topic.prefix', 'dbserver1',
                                    'schemas.enable', 'FALSE', 'decimal.handling.mode', 'PRECISE');
SELECT pg_drop_replication_slot('opt');
-- the options, described
SELECT * FROM cedar_cdc.options();
