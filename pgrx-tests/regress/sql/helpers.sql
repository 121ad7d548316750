-- The SQL helpers: publications, slots, reading changes, heartbeats, prerequisite checks and
-- slot health, with awkward names, injection attempts, bad input and missing privileges.
SET client_min_messages = warning;
-- helpers run with the caller's rights
SELECT count(*) AS security_definer_helpers FROM pg_proc
  WHERE pronamespace = 'cedar_cdc'::regnamespace AND prosecdef;
CREATE SCHEMA "Sales Ünit";
CREATE TABLE "Sales Ünit"."Order ""Lines""" (id int PRIMARY KEY, "Qty ü" int, "note's" text, secret text);
CREATE TABLE h_plain (id int PRIMARY KEY, v text);
CREATE TABLE h_victim (id int);
-- publications: tables, schemas, all tables; the statement run is returned
SELECT cedar_cdc.create_publication('pub "one" ü', tables => ARRAY['h_plain', '"Sales Ünit"."Order ""Lines"""']::regclass[]);
SELECT cedar_cdc.create_publication('pub_schema', schemas => ARRAY['Sales Ünit'], publish => ARRAY['insert', 'UPDATE']);
SELECT cedar_cdc.create_publication('pub_all', all_tables => true, via_partition_root => true);
SELECT cedar_cdc.create_publication('pub_empty');
SELECT pubname, puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot
  FROM pg_publication WHERE pubname IN ('pub "one" ü', 'pub_schema', 'pub_all', 'pub_empty') ORDER BY 1;
SELECT pubname, schemaname, tablename FROM pg_publication_tables
  WHERE pubname IN ('pub "one" ü', 'pub_schema') ORDER BY 1, 2, 3;
-- names are data, never SQL
SELECT cedar_cdc.create_publication('x; DROP TABLE h_victim; --');
SELECT pubname FROM pg_publication WHERE pubname LIKE 'x;%';
SELECT cedar_cdc.drop_publication('x; DROP TABLE h_victim; --');
-- a column list and a row filter
SELECT cedar_cdc.add_table('pub_empty', '"Sales Ünit"."Order ""Lines"""', columns => ARRAY['id', 'Qty ü', 'note''s'],
                           row_filter => '"Qty ü" > 10 AND "note''s" <> ''skip'' -- trailing comment');
SELECT attnames, rowfilter FROM pg_publication_tables WHERE pubname = 'pub_empty';
-- row filters that try to be more than one expression are refused
SELECT cedar_cdc.add_table('pub_empty', 'h_plain', row_filter => 'id > 1), TABLE h_victim WHERE (true');
SELECT cedar_cdc.add_table('pub_empty', 'h_plain', row_filter => 'true); DROP TABLE h_victim; --');
SELECT cedar_cdc.add_table('pub_empty', 'h_plain', row_filter => 'id > 1 /* open');
SELECT cedar_cdc.add_table('pub_empty', 'h_plain', row_filter => 'true FROM pg_class');
SELECT cedar_cdc.add_table('pub_empty', 'h_plain', row_filter => 'true, false');
SELECT cedar_cdc.add_table('pub_empty', 'h_plain', row_filter => '');
SELECT count(*) AS victim_still_there FROM h_victim;
-- bad input
SELECT cedar_cdc.create_publication('bad', publish => ARRAY['insert''); DROP TABLE h_victim; --']);
SELECT cedar_cdc.create_publication('bad', publish => '{}');
SELECT cedar_cdc.create_publication('bad', tables => '{h_plain}', all_tables => true);
SELECT cedar_cdc.create_publication('');
SELECT cedar_cdc.create_publication('bad', tables => ARRAY['no_such_table']::regclass[]);
SELECT cedar_cdc.create_publication('bad', schemas => ARRAY['no such schema']);
SELECT cedar_cdc.add_table('pub_empty', 'h_plain', columns => '{}');
SELECT cedar_cdc.add_table('pub_empty', 'h_plain', columns => ARRAY['nope']);
SELECT cedar_cdc.add_table('no pub', 'h_plain');
SELECT cedar_cdc.drop_publication('no pub');
SELECT cedar_cdc.drop_publication('no pub', if_exists => true);
SELECT cedar_cdc.remove_table('pub_empty', '"Sales Ünit"."Order ""Lines"""');
SELECT cedar_cdc.remove_table('pub_empty', 'h_plain');
-- a slot cannot be created in a transaction that has written: said clearly
BEGIN;
INSERT INTO h_plain VALUES (0, 'w');
SELECT * FROM cedar_cdc.create_slot('h_slot');
ROLLBACK;
BEGIN;
CALL cedar_cdc.setup('h_slot', publication => 'pub_x', tables => '{h_plain}');
ROLLBACK;
CALL cedar_cdc.setup('h_slot', tables => '{h_plain}');
-- setup: publication, commit, slot
SET client_min_messages = notice;
CALL cedar_cdc.setup('h_slot', publication => 'pub setup', tables => '{h_plain}');
SET client_min_messages = warning;
SELECT slot_name, plugin, slot_type, temporary FROM pg_replication_slots WHERE slot_name = 'h_slot';
INSERT INTO h_plain VALUES (1, 'a'), (2, 'b');
INSERT INTO "Sales Ünit"."Order ""Lines""" VALUES (1, 5, 'n', 's');
UPDATE h_plain SET v = 'a2' WHERE id = 1;
-- peek, then consume with an upper bound, then the rest; options pass through
SELECT count(*) AS peeked FROM cedar_cdc.peek_changes('h_slot', NULL, NULL, 'publication_names', '"pub setup"');
SELECT event->'payload'->>'op' AS op, event->'payload'->'after' AS after, event->'schema'->>'name' AS schema
  FROM cedar_cdc.get_changes('h_slot', NULL, 1, 'publication_names', '"pub setup"');
SELECT event->>'op' AS op, event->'after' AS after, event->'source'->>'table' AS tbl
  FROM cedar_cdc.get_changes('h_slot', NULL, NULL, 'publication_names', '"pub setup"', 'schemas.enable', 'false');
SELECT count(*) AS left_over FROM cedar_cdc.get_changes('h_slot', NULL, NULL, 'publication_names', '"pub setup"');
SELECT * FROM cedar_cdc.get_changes('h_slot', NULL, NULL, 'no.such.option', 'x');
SELECT * FROM cedar_cdc.get_changes('h_slot', NULL, NULL, 'topic.prefix');
-- a heartbeat becomes a Debezium heartbeat record and moves the slot
SELECT cedar_cdc.heartbeat() IS NOT NULL AS sent;
SELECT event->'payload' ? 'ts_ms' AS has_ts, event->'schema'->>'name' AS schema
  FROM cedar_cdc.get_changes('h_slot', NULL, NULL, 'publication_names', '"pub setup"');
SELECT cedar_cdc.heartbeat('my-beat') IS NOT NULL AS sent;
SELECT event->'schema'->>'name' AS schema
  FROM cedar_cdc.get_changes('h_slot', NULL, NULL, 'heartbeat.message.prefix', 'my-beat');
-- slot health
SELECT slot_name, plugin, slot_type, database = current_database() AS this_db, temporary, active,
       active_pid, client, lag_bytes = 0 AS caught_up, lag, retained_wal_bytes > 0 AS retains,
       current_lsn >= confirmed_flush_lsn AS ordered, wal_status
  FROM cedar_cdc.slot_health('h_slot');
INSERT INTO h_plain VALUES (3, 'c');
SELECT lag_bytes > 0 AS behind, lag ~ '^\d+ (bytes|kB)$' AS pretty FROM cedar_cdc.slot_health('h_slot');
SELECT count(*) FROM cedar_cdc.slot_health('no_such_slot');
-- temporary slots, dropping
SELECT slot_name FROM cedar_cdc.create_slot('h_temp', temporary => true);
SELECT slot_name, temporary FROM cedar_cdc.slot_health('h_temp');
SELECT cedar_cdc.drop_slot('h_temp');
SELECT cedar_cdc.drop_slot('h_temp');
SELECT cedar_cdc.drop_slot('h_temp', if_exists => true);
SELECT * FROM cedar_cdc.create_slot('Bad Name');
-- prerequisite checks, for a publication's tables
CREATE TABLE h_nokey (a int, b text);
CREATE TABLE h_nothing (id int PRIMARY KEY, v text);
ALTER TABLE h_nothing REPLICA IDENTITY NOTHING;
CREATE TABLE h_full (a int, b text);
ALTER TABLE h_full REPLICA IDENTITY FULL;
CREATE TABLE h_unique (a int NOT NULL, b text);
CREATE UNIQUE INDEX ON h_unique (a);
SELECT cedar_cdc.create_publication('pub check', tables => '{h_plain, h_nokey, h_nothing, h_full, h_unique}');
SELECT item, status, fix FROM cedar_cdc.check_prerequisites('pub check');
SELECT item, status, detail FROM cedar_cdc.check_prerequisites('pub check') WHERE item LIKE '%h\_nokey';
SELECT item, status, detail, fix FROM cedar_cdc.check_prerequisites('no such pub') WHERE item = 'publication';
-- a publication of inserts only needs no old rows
SELECT cedar_cdc.create_publication('pub inserts', tables => '{h_nokey, h_nothing}', publish => '{insert}');
SELECT item, status FROM cedar_cdc.check_prerequisites('pub inserts') WHERE item LIKE '%: %';
-- without the privileges, PostgreSQL's own errors (nothing runs with more rights)
CREATE ROLE h_user NOLOGIN;
GRANT USAGE ON SCHEMA cedar_cdc TO h_user;
SET ROLE h_user;
SELECT cedar_cdc.create_publication('h_user pub');
SELECT cedar_cdc.add_table('pub_empty', 'h_plain');
SELECT cedar_cdc.drop_publication('pub_all');
SELECT * FROM cedar_cdc.create_slot('h_user_slot');
SELECT * FROM cedar_cdc.get_changes('h_slot');
SELECT * FROM cedar_cdc.peek_changes('h_slot');
SELECT cedar_cdc.drop_slot('h_slot');
SELECT item, status, fix FROM cedar_cdc.check_prerequisites()
  WHERE item IN ('output_plugin_libraries', 'replication privilege');
SELECT count(*) AS visible_slots FROM cedar_cdc.slot_health('h_slot');
-- a heartbeat needs no privilege (PostgreSQL lets anyone emit a logical message)
SELECT cedar_cdc.heartbeat() IS NOT NULL AS sent;
RESET ROLE;
-- cleanup
SELECT cedar_cdc.drop_slot('h_slot');
SELECT cedar_cdc.drop_publication(p) FROM unnest(ARRAY['pub "one" ü', 'pub_schema', 'pub_all', 'pub_empty', 'pub setup', 'pub check', 'pub inserts']) AS p;
REVOKE USAGE ON SCHEMA cedar_cdc FROM h_user;
DROP ROLE h_user;
