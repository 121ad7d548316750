-- Transforms in the server in the value output format (the conformance suite covers the record
-- format against the real transforms), and their option errors.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE TABLE tr_t (id int PRIMARY KEY, name text NOT NULL, note text);
SELECT 'init' FROM pg_create_logical_replication_slot('tr', 'cedar_cdc');
INSERT INTO tr_t VALUES (1, 'a', NULL);
UPDATE tr_t SET note = 'n';
DELETE FROM tr_t;
TRUNCATE tr_t;
-- the unwrap's default (tombstone): a delete is a null value, the truncate is dropped
SELECT data FROM pg_logical_slot_peek_changes('tr', NULL, NULL, 'schemas.enable', 'false',
  'skipped.operations', 'none', 'transforms', 'unwrap',
  'transforms.unwrap.type', 'io.debezium.transforms.ExtractNewRecordState');
-- delete-to-tombstone: a Kafka null has no value record
SELECT data FROM pg_logical_slot_peek_changes('tr', NULL, NULL, 'schemas.enable', 'false',
  'transforms', 'unwrap', 'transforms.unwrap.type', 'io.debezium.transforms.ExtractNewRecordState',
  'transforms.unwrap.delete.tombstone.handling.mode', 'delete-to-tombstone');
-- rewrite with add.fields, and a topic router with the record format
SELECT data FROM pg_logical_slot_peek_changes('tr', NULL, NULL, 'schemas.enable', 'false',
  'topic.prefix', 'srv', 'output.format', 'record', 'transforms', 'unwrap,rename',
  'transforms.unwrap.type', 'io.debezium.transforms.ExtractNewRecordState',
  'transforms.unwrap.delete.tombstone.handling.mode', 'rewrite',
  'transforms.unwrap.add.fields', 'op,table,source.db:database',
  'transforms.rename.type', 'org.apache.kafka.connect.transforms.RegexRouter',
  'transforms.rename.regex', 'srv\.public\.(.*)', 'transforms.rename.replacement', 'cdc-$1');
-- errors name the option
SELECT * FROM pg_logical_slot_peek_changes('tr', NULL, NULL,
  'transforms.unwrap.type', 'io.debezium.transforms.ExtractNewRecordState');
SELECT * FROM pg_logical_slot_peek_changes('tr', NULL, NULL, 'transforms', 'flat',
  'transforms.flat.type', 'io.confluent.connect.transforms.Flatten');
SELECT * FROM pg_logical_slot_peek_changes('tr', NULL, NULL, 'transforms', 'unwrap',
  'transforms.unwrap.type', 'io.debezium.transforms.ExtractNewRecordState',
  'transforms.unwrap.drop.tombstones', 'false');
SELECT * FROM pg_logical_slot_peek_changes('tr', NULL, NULL, 'transforms', 'unwrap',
  'transforms.unwrap.type', 'io.debezium.transforms.ExtractNewRecordState',
  'transforms.unwrap.route.by.field', 'id');
SELECT * FROM pg_logical_slot_peek_changes('tr', NULL, NULL, 'transforms', 'r',
  'transforms.r.type', 'io.debezium.transforms.ByLogicalTableRouter',
  'transforms.r.topic.regex', '.*', 'transforms.r.topic.replacement', 'all');
SELECT pg_drop_replication_slot('tr');
