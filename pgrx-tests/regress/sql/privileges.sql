-- Least privilege (README "Permissions"): the role that streams, snapshots and uses the
-- helpers, with nothing more; and what a role without those privileges sees.
SET client_min_messages = warning;
CREATE SCHEMA app;
CREATE TABLE app.orders (id int PRIMARY KEY, item text NOT NULL);
CREATE TABLE app.audit (id int PRIMARY KEY, note text);
INSERT INTO app.orders VALUES (1, 'first');
INSERT INTO app.audit VALUES (1, 'not captured');
CREATE PUBLICATION cdc_pub FOR TABLE app.orders;
-- output_plugin_libraries exists since the 2026 security releases (not on 13); only
-- superusers and pg_read_all_settings may read it
SELECT count(*) = 1 AS has_allowlist FROM pg_settings WHERE name = 'output_plugin_libraries' \gset
-- the SQLSTATE of a statement's error (the messages of some differ between majors)
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || CASE WHEN SQLERRM ~ 'replication' THEN 'replication slots need REPLICATION' ELSE SQLERRM END;
END $$;
-- the role, as the README creates it
CREATE ROLE cdc_user LOGIN REPLICATION;
GRANT CONNECT ON DATABASE cedar_regress TO cdc_user;
GRANT USAGE ON SCHEMA app TO cdc_user;
GRANT SELECT ON app.orders TO cdc_user;
GRANT USAGE ON SCHEMA cedar_cdc TO cdc_user;
-- owning the publication needs CREATE on the database (PostgreSQL's rule for a new owner)
GRANT CREATE ON DATABASE cedar_regress TO cdc_user;
ALTER PUBLICATION cdc_pub OWNER TO cdc_user;
SET ROLE cdc_user;
-- every check passes; output_plugin_libraries, where the server has it, is a warning (the
-- role may not read it): grant pg_read_all_settings only to whoever runs the check
SELECT item, status, fix FROM cedar_cdc.check_prerequisites('cdc_pub') WHERE item <> 'output_plugin_libraries';
SELECT status = CASE WHEN :'has_allowlist' THEN 'warning' ELSE 'ok' END AS allowlist_as_expected
  FROM cedar_cdc.check_prerequisites('cdc_pub') WHERE item = 'output_plugin_libraries';
-- the initial snapshot, in the transaction that creates the slot
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'init' FROM pg_create_logical_replication_slot('cdc_slot', 'cedar_cdc');
SELECT r::jsonb -> 'source' ->> 'table' AS tbl, r::jsonb ->> 'op' AS op, r::jsonb -> 'after' AS after
  FROM cedar_cdc.snapshot_records('cdc_slot', ARRAY['schemas.enable=false', 'publication_names=cdc_pub']) r;
COMMIT;
RESET ROLE;
INSERT INTO app.orders VALUES (2, 'second');
UPDATE app.orders SET item = 'first, changed' WHERE id = 1;
INSERT INTO app.audit VALUES (2, 'not captured');
SET ROLE cdc_user;
-- the stream: the publication's table only
SELECT event -> 'source' ->> 'table' AS tbl, event ->> 'op' AS op, event -> 'after' AS after
  FROM cedar_cdc.get_changes('cdc_slot', NULL, NULL, 'publication_names', 'cdc_pub', 'schemas.enable', 'false');
SELECT slot_name, plugin, active, lag_bytes >= 0 AS lag_known FROM cedar_cdc.slot_health('cdc_slot');
SELECT cedar_cdc.heartbeat() IS NOT NULL AS heartbeat_sent;
-- the publication it owns: it may drop it; adding a table needs the table's owner
SELECT cedar_cdc.add_table('cdc_pub', 'app.audit');
SELECT cedar_cdc.drop_publication('cdc_pub');
SELECT cedar_cdc.create_publication('cdc_pub', tables => '{app.orders}');
-- what SELECT was not granted on is not read, and the check says so
SELECT item, status, fix FROM cedar_cdc.check_prerequisites() WHERE item LIKE '%app.%';
RESET ROLE;
-- a role without REPLICATION, SELECT or anything else but the helpers' schema
CREATE ROLE cdc_nobody LOGIN;
GRANT USAGE ON SCHEMA cedar_cdc TO cdc_nobody;
SET ROLE cdc_nobody;
SELECT item, status, fix FROM cedar_cdc.check_prerequisites()
  WHERE (item NOT LIKE '%: %' OR item LIKE '%app.%') AND item <> 'output_plugin_libraries';
SELECT status = CASE WHEN :'has_allowlist' THEN 'warning' ELSE 'ok' END AS allowlist_as_expected
  FROM cedar_cdc.check_prerequisites() WHERE item = 'output_plugin_libraries';
-- slot_health shows it what pg_replication_slots shows it, and nothing else
SELECT (SELECT array_agg(h.slot_name || ' ' || h.plugin || ' ' || h.active || ' ' || h.confirmed_flush_lsn
                         || ' ' || h.restart_lsn || ' ' || h.wal_status ORDER BY h.slot_name)
          FROM cedar_cdc.slot_health() h)
     = (SELECT array_agg(s.slot_name || ' ' || s.plugin || ' ' || s.active || ' ' || s.confirmed_flush_lsn
                         || ' ' || s.restart_lsn || ' ' || s.wal_status ORDER BY s.slot_name)
          FROM pg_replication_slots s) AS same_as_pg_replication_slots;
SELECT slot_name, plugin, active, client FROM cedar_cdc.slot_health('cdc_slot');
SELECT pg_temp.sqlstate_of('SELECT * FROM cedar_cdc.peek_changes(''cdc_slot'')') AS peek_changes;
SELECT pg_temp.sqlstate_of('SELECT * FROM cedar_cdc.create_slot(''nobody_slot'')') AS create_slot;
SELECT pg_temp.sqlstate_of('SELECT cedar_cdc.create_publication(''nobody_pub'')') AS create_publication;
SELECT * FROM cedar_cdc.snapshot_records('cdc_slot');
-- in a snapshot transaction: a table it may not read is an ERROR naming it, never skipped
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM cedar_cdc.snapshot_records('cdc_slot', ARRAY['table.include.list=app\.orders']);
ROLLBACK;
RESET ROLE;
-- cleanup
SELECT pg_drop_replication_slot('cdc_slot');
DROP SCHEMA app CASCADE;
REVOKE ALL ON SCHEMA cedar_cdc FROM cdc_user, cdc_nobody;
REVOKE ALL ON DATABASE cedar_regress FROM cdc_user;
DROP ROLE cdc_user;
DROP ROLE cdc_nobody;
