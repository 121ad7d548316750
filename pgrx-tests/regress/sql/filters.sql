-- Table, column and message filters and column mappers with Debezium's option names (the
-- conformance suite compares them with the real connector); here: errors, identifiers and
-- combinations.
SET client_min_messages = warning;
CREATE SCHEMA "Weird Schema";
CREATE TABLE "Weird Schema"."Odd.Table" (id int PRIMARY KEY, "Sécret" text, v text);
CREATE TABLE plain (id int PRIMARY KEY, v text);
SELECT 'init' FROM pg_create_logical_replication_slot('filters', 'cedar_cdc');
INSERT INTO "Weird Schema"."Odd.Table" VALUES (1, 'hide', 'show');
INSERT INTO plain VALUES (1, 'p');
SELECT pg_logical_emit_message(false, 'app.audit', 'm') IS NOT NULL AS emitted;
-- a non-transactional message is decodable once later WAL is flushed (by a commit)
INSERT INTO plain VALUES (2, 'flush');
-- quoted and mixed-case names are matched unquoted, case-insensitively, escaping the dot
SELECT data::json->'source'->>'table' AS tbl, data::json->'after' AS after
  FROM pg_logical_slot_peek_changes('filters', NULL, NULL, 'schemas.enable', 'false',
    'table.include.list', 'weird schema\.odd\.table', 'column.exclude.list', '.*\.sécret');
-- include and exclude lists of one kind together, bad patterns, bad mapper options
SELECT * FROM pg_logical_slot_peek_changes('filters', NULL, NULL, 'table.include.list', 'a', 'table.exclude.list', 'b');
SELECT * FROM pg_logical_slot_peek_changes('filters', NULL, NULL, 'column.exclude.list', 'a(');
SELECT * FROM pg_logical_slot_peek_changes('filters', NULL, NULL, 'table.include.list', '(?<=x)y');
SELECT * FROM pg_logical_slot_peek_changes('filters', NULL, NULL, 'column.mask.hash.SHA-999.with.salt.x', 'a');
SELECT * FROM pg_logical_slot_peek_changes('filters', NULL, NULL, 'column.truncate.to.many.chars', 'a');
SELECT * FROM pg_logical_slot_peek_changes('filters', NULL, NULL, 'skipped.operations', 'c,x');
-- mappers on a quoted column, message prefixes
SELECT data::json->'after' AS after
  FROM pg_logical_slot_peek_changes('filters', NULL, NULL, 'schemas.enable', 'false',
    'table.exclude.list', 'public\..*', 'column.mask.with.3.chars', '.*\.sécret', 'column.truncate.to.2.chars', '.*\.v',
    'message.prefix.exclude.list', '.*');
SELECT data::json->'message'->>'prefix' AS prefix
  FROM pg_logical_slot_peek_changes('filters', NULL, NULL, 'schemas.enable', 'false',
    'message.prefix.include.list', 'app\..*', 'table.include.list', 'none');
SELECT pg_drop_replication_slot('filters');
