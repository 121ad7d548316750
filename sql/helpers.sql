-- cedar_cdc SQL helpers: publications, slots, reading changes, prerequisite checks, slot
-- health and heartbeats.
--
-- Every helper runs with the caller's rights (SECURITY INVOKER): it gives no one more power
-- than they have, and a missing privilege is PostgreSQL's own permission error. Identifiers
-- are quoted with format('%I'), values with quote_literal, and a row filter must parse as
-- exactly one expression (cedar_cdc._row_filter_sql), so no argument can inject SQL.
-- Functions pin search_path so that objects in the caller's schemas cannot stand in for
-- catalog functions; the procedure (which cannot have a SET clause and still commit)
-- schema-qualifies every call instead.

-- Publications -------------------------------------------------------------------------

CREATE FUNCTION cedar_cdc._publish_option(publish text[], via_partition_root boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    action text;
BEGIN
    IF publish IS NULL OR cardinality(publish) = 0 THEN
        RAISE EXCEPTION 'publish must list at least one action'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use any of insert, update, delete, truncate.';
    END IF;
    FOREACH action IN ARRAY publish LOOP
        IF action IS NULL OR lower(btrim(action)) NOT IN ('insert', 'update', 'delete', 'truncate') THEN
            RAISE EXCEPTION 'invalid publish action %', coalesce(quote_literal(action), 'NULL')
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use any of insert, update, delete, truncate.';
        END IF;
    END LOOP;
    RETURN format(' WITH (publish = %L, publish_via_partition_root = %s)',
                  (SELECT string_agg(DISTINCT lower(btrim(a)), ', ') FROM unnest(publish) AS a),
                  CASE WHEN coalesce(via_partition_root, false) THEN 'true' ELSE 'false' END);
END
$fn$;

CREATE FUNCTION cedar_cdc._table_sql(tab regclass)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT format('%I.%I', n.nspname, c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = tab
$fn$;

CREATE FUNCTION cedar_cdc.create_publication(
    publication text,
    tables regclass[] DEFAULT NULL,
    schemas text[] DEFAULT NULL,
    all_tables boolean DEFAULT false,
    publish text[] DEFAULT ARRAY['insert', 'update', 'delete', 'truncate'],
    via_partition_root boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    target text := '';
    stmt text;
BEGIN
    IF publication IS NULL OR publication = '' THEN
        RAISE EXCEPTION 'publication name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(all_tables, false) THEN
        IF cardinality(tables) > 0 OR cardinality(schemas) > 0 THEN
            RAISE EXCEPTION 'all_tables cannot be combined with tables or schemas'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass all_tables => true alone, or list tables and schemas.';
        END IF;
        target := ' FOR ALL TABLES';
    ELSE
        IF array_position(tables, NULL) IS NOT NULL OR array_position(schemas, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'tables and schemas must not contain NULL'
                USING ERRCODE = 'null_value_not_allowed';
        END IF;
        IF cardinality(tables) > 0 THEN
            target := ' FOR TABLE ' ||
                (SELECT string_agg(cedar_cdc._table_sql(t), ', ' ORDER BY o)
                 FROM unnest(tables) WITH ORDINALITY AS u(t, o));
        END IF;
        IF cardinality(schemas) > 0 THEN
            target := target || CASE WHEN target = '' THEN ' FOR ' ELSE ', ' END ||
                'TABLES IN SCHEMA ' ||
                (SELECT string_agg(format('%I', s), ', ' ORDER BY o)
                 FROM unnest(schemas) WITH ORDINALITY AS u(s, o));
        END IF;
    END IF;
    stmt := format('CREATE PUBLICATION %I', publication) || target ||
            cedar_cdc._publish_option(publish, via_partition_root);
    EXECUTE stmt;
    RETURN stmt;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.create_publication(text, regclass[], text[], boolean, text[], boolean) IS
    'Creates a publication for tables, schemas or all tables; returns the statement it ran';

CREATE FUNCTION cedar_cdc.add_table(
    publication text,
    tab regclass,
    columns text[] DEFAULT NULL,
    row_filter text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    stmt text;
BEGIN
    IF publication IS NULL OR tab IS NULL THEN
        RAISE EXCEPTION 'publication and table must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    stmt := format('ALTER PUBLICATION %I ADD TABLE %s', publication, cedar_cdc._table_sql(tab));
    IF columns IS NOT NULL THEN
        IF cardinality(columns) = 0 OR array_position(columns, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'columns must list at least one column and no NULL'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass NULL to publish every column.';
        END IF;
        stmt := stmt || ' (' ||
            (SELECT string_agg(format('%I', c), ', ' ORDER BY o)
             FROM unnest(columns) WITH ORDINALITY AS u(c, o)) || ')';
    END IF;
    IF row_filter IS NOT NULL THEN
        stmt := stmt || ' WHERE ' || cedar_cdc._row_filter_sql(row_filter);
    END IF;
    EXECUTE stmt;
    RETURN stmt;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.add_table(text, regclass, text[], text) IS
    'Adds a table to a publication, with an optional column list and row filter; returns the statement it ran';

CREATE FUNCTION cedar_cdc.remove_table(publication text, tab regclass)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    stmt text := format('ALTER PUBLICATION %I DROP TABLE %s', publication, cedar_cdc._table_sql(tab));
BEGIN
    IF publication IS NULL OR tab IS NULL THEN
        RAISE EXCEPTION 'publication and table must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    EXECUTE stmt;
    RETURN stmt;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.remove_table(text, regclass) IS
    'Removes a table from a publication; returns the statement it ran';

CREATE FUNCTION cedar_cdc.drop_publication(publication text, if_exists boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    stmt text;
BEGIN
    IF publication IS NULL THEN
        RAISE EXCEPTION 'publication must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    stmt := format('DROP PUBLICATION %s%I',
                   CASE WHEN coalesce(if_exists, false) THEN 'IF EXISTS ' ELSE '' END, publication);
    EXECUTE stmt;
    RETURN stmt;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.drop_publication(text, boolean) IS
    'Drops a publication; returns the statement it ran';

-- Slots -------------------------------------------------------------------------------

CREATE FUNCTION cedar_cdc.create_slot(slot name, temporary boolean DEFAULT false,
                                      failover boolean DEFAULT false)
RETURNS TABLE (slot_name name, lsn pg_lsn)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF slot IS NULL THEN
        RAISE EXCEPTION 'slot must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- PostgreSQL refuses this later with a message that does not say what to do.
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'cannot create replication slot "%" in a transaction that has written', slot
            USING ERRCODE = 'active_sql_transaction',
                  DETAIL = 'A logical slot must start from a consistent point, which a transaction with its own writes cannot wait for.',
                  HINT = 'Commit first (for example, create the publication, COMMIT, then call cedar_cdc.create_slot()), or run CALL cedar_cdc.setup(...), which commits in between.';
    END IF;
    IF coalesce(failover, false) THEN
        IF current_setting('server_version_num')::int < 170000 THEN
            RAISE EXCEPTION 'failover slots need PostgreSQL 17 or later; this server is %',
                current_setting('server_version')
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Create the slot without failover => true, or upgrade the primary to 17 or later.';
        END IF;
        IF coalesce(temporary, false) THEN
            RAISE EXCEPTION 'a temporary slot cannot be a failover slot'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Only permanent slots are synchronized to standbys.';
        END IF;
        -- Written with EXECUTE: the five-argument form does not exist before 17.
        RETURN QUERY EXECUTE
            'SELECT s.slot_name, s.lsn
               FROM pg_create_logical_replication_slot($1, ''cedar_cdc'', false, false, true) AS s'
            USING slot;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT s.slot_name, s.lsn
        FROM pg_create_logical_replication_slot(slot, 'cedar_cdc', coalesce(temporary, false)) AS s;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.create_slot(name, boolean, boolean) IS
    'Creates a logical replication slot that decodes with cedar_cdc; failover => true (17+) synchronizes it to standbys';

CREATE FUNCTION cedar_cdc.drop_slot(slot name, if_exists boolean DEFAULT false)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF slot IS NULL THEN
        RAISE EXCEPTION 'slot must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF coalesce(if_exists, false)
       AND NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = slot) THEN
        RETURN false;
    END IF;
    PERFORM pg_drop_replication_slot(slot);
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.drop_slot(name, boolean) IS
    'Drops a replication slot; true when it was dropped';

CREATE PROCEDURE cedar_cdc.setup(
    slot name,
    publication text DEFAULT NULL,
    tables regclass[] DEFAULT NULL,
    schemas text[] DEFAULT NULL,
    all_tables boolean DEFAULT false,
    publish text[] DEFAULT ARRAY['insert', 'update', 'delete', 'truncate'],
    via_partition_root boolean DEFAULT false,
    temporary boolean DEFAULT false,
    failover boolean DEFAULT false)
LANGUAGE plpgsql
AS $fn$
DECLARE
    stmt text;
BEGIN
    IF cedar_cdc._in_transaction_block() THEN
        RAISE EXCEPTION 'cedar_cdc.setup() cannot run inside a transaction block'
            USING ERRCODE = 'active_sql_transaction',
                  DETAIL = 'It commits the publication before it creates the slot, because a slot cannot be created in a transaction that has written.',
                  HINT = 'Run CALL cedar_cdc.setup(...) on its own, or call cedar_cdc.create_publication() and cedar_cdc.create_slot() in two transactions.';
    END IF;
    IF publication IS NOT NULL THEN
        stmt := cedar_cdc.create_publication(publication, tables, schemas, all_tables, publish,
                                             via_partition_root);
        RAISE NOTICE 'ran: %', stmt;
        COMMIT;
    ELSIF pg_catalog.cardinality(tables) > 0 OR pg_catalog.cardinality(schemas) > 0
          OR coalesce(all_tables, false) THEN
        RAISE EXCEPTION 'tables, schemas and all_tables need a publication name'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass publication => ''name''.';
    END IF;
    PERFORM cedar_cdc.create_slot(slot, temporary, failover);
    -- The start position is left out of the notice (slot_health shows it): it would make the
    -- notice differ with every WAL position.
    RAISE NOTICE 'created slot %; stream it with: pg_recvlogical -d % --slot % --start% -f -',
        slot, pg_catalog.quote_literal(pg_catalog.current_database()), slot,
        CASE WHEN publication IS NULL THEN ''
             ELSE ' -o ' || pg_catalog.quote_literal('publication_names=' || pg_catalog.quote_ident(publication)) END;
END
$fn$;
COMMENT ON PROCEDURE cedar_cdc.setup(name, text, regclass[], text[], boolean, text[], boolean, boolean, boolean) IS
    'Creates a publication (optional), commits, then creates a cedar_cdc slot (a failover slot with failover => true, 17+)';

-- Reading changes -------------------------------------------------------------------------

-- get_changes and peek_changes mirror PostgreSQL's own pg_logical_slot_get_changes/peek_changes
-- pair and stay two one-statement bodies: a shared SQL function would add its own line to the
-- CONTEXT of every error they pass on (a volatile set-returning function is never inlined).
CREATE FUNCTION cedar_cdc.get_changes(
    slot name,
    upto_lsn pg_lsn DEFAULT NULL,
    upto_nchanges integer DEFAULT NULL,
    VARIADIC options text[] DEFAULT '{}')
RETURNS TABLE (lsn pg_lsn, xid xid, event jsonb)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT c.lsn, c.xid, c.data::jsonb
    FROM pg_logical_slot_get_changes(slot, upto_lsn, upto_nchanges, VARIADIC options) AS c
$fn$;
COMMENT ON FUNCTION cedar_cdc.get_changes(name, pg_lsn, integer, text[]) IS
    'Consumes changes from a cedar_cdc slot as jsonb; options are name, value pairs';

CREATE FUNCTION cedar_cdc.peek_changes(
    slot name,
    upto_lsn pg_lsn DEFAULT NULL,
    upto_nchanges integer DEFAULT NULL,
    VARIADIC options text[] DEFAULT '{}')
RETURNS TABLE (lsn pg_lsn, xid xid, event jsonb)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT c.lsn, c.xid, c.data::jsonb
    FROM pg_logical_slot_peek_changes(slot, upto_lsn, upto_nchanges, VARIADIC options) AS c
$fn$;
COMMENT ON FUNCTION cedar_cdc.peek_changes(name, pg_lsn, integer, text[]) IS
    'Reads changes from a cedar_cdc slot as jsonb without consuming them';

-- Heartbeat -----------------------------------------------------------------------------

CREATE FUNCTION cedar_cdc.heartbeat(prefix text DEFAULT '__debezium-heartbeat')
RETURNS pg_lsn
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT pg_logical_emit_message(true, prefix, '')
$fn$;
COMMENT ON FUNCTION cedar_cdc.heartbeat(text) IS
    'Writes a transactional logical message that cedar_cdc turns into a Debezium heartbeat, so a slot on a quiet database advances';

-- Checks and health -----------------------------------------------------------------------

CREATE FUNCTION cedar_cdc.check_prerequisites(publication text DEFAULT NULL,
                                               failover boolean DEFAULT false)
RETURNS TABLE (item text, status text, detail text, fix text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v text;
    major int := current_setting('server_version_num')::int / 10000;
    n bigint;
    used bigint;
    needs_old_rows boolean;
    r record;
BEGIN
    -- wal_level
    v := current_setting('wal_level');
    item := 'wal_level';
    IF v = 'logical' THEN
        status := 'ok'; detail := 'wal_level is logical'; fix := NULL;
    ELSE
        status := 'error'; detail := format('wal_level is %s; logical decoding needs logical', v);
        fix := 'ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL';
    END IF;
    RETURN NEXT;

    -- output_plugin_libraries (2026 security releases)
    item := 'output_plugin_libraries';
    BEGIN
        v := current_setting('output_plugin_libraries', true);
        IF v IS NULL THEN
            status := 'ok'; detail := 'this server loads any output plugin'; fix := NULL;
        ELSIF 'cedar_cdc' = ANY (SELECT btrim(x, ' "') FROM unnest(string_to_array(v, ',')) AS x) THEN
            status := 'ok'; detail := format('output_plugin_libraries = %s', v); fix := NULL;
        ELSE
            status := 'error';
            detail := format('output_plugin_libraries = %s does not list cedar_cdc', v);
            fix := format('ALTER SYSTEM SET output_plugin_libraries = %s, cedar_cdc; SELECT pg_reload_conf();',
                          CASE WHEN btrim(v) = '' THEN 'pgoutput' ELSE v END);
        END IF;
    EXCEPTION WHEN insufficient_privilege THEN
        status := 'warning';
        detail := 'cannot read output_plugin_libraries: ' || SQLERRM;
        fix := 'Run this check as a superuser or a member of pg_read_all_settings';
    END;
    RETURN NEXT;

    -- replication slots
    item := 'max_replication_slots';
    n := current_setting('max_replication_slots')::bigint;
    SELECT count(*) INTO used FROM pg_replication_slots;
    IF used < n THEN
        status := 'ok'; detail := format('%s of %s slots in use', used, n); fix := NULL;
    ELSE
        status := 'error'; detail := format('all %s replication slots are in use', n);
        fix := format('ALTER SYSTEM SET max_replication_slots = %s; then restart PostgreSQL (or drop an unused slot)', n + 2);
    END IF;
    RETURN NEXT;

    -- wal senders (for streaming with pg_recvlogical or a replication client)
    item := 'max_wal_senders';
    n := current_setting('max_wal_senders')::bigint;
    SELECT count(*) INTO used FROM pg_stat_activity WHERE backend_type = 'walsender';
    IF used < n THEN
        status := 'ok'; detail := format('%s of %s wal senders in use', used, n); fix := NULL;
    ELSE
        status := 'error'; detail := format('all %s wal senders are in use; streaming clients cannot connect', n);
        fix := format('ALTER SYSTEM SET max_wal_senders = %s; then restart PostgreSQL', n + 2);
    END IF;
    RETURN NEXT;

    -- privileges
    item := 'replication privilege';
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = current_user AND (rolreplication OR rolsuper)) THEN
        status := 'ok'; detail := format('role %s may use replication slots', current_user); fix := NULL;
    ELSE
        status := 'error';
        detail := format('role %s has neither REPLICATION nor SUPERUSER', current_user);
        fix := format('ALTER ROLE %I REPLICATION;  -- as a superuser', current_user);
    END IF;
    RETURN NEXT;

    -- database encoding
    item := 'database encoding';
    SELECT pg_encoding_to_char(d.encoding) INTO v FROM pg_database d WHERE d.datname = current_database();
    IF v IN ('UTF8', 'SQL_ASCII') THEN
        status := 'ok'; detail := format('encoding is %s', v); fix := NULL;
    ELSE
        status := 'error'; detail := format('encoding is %s; cedar_cdc (like Debezium) needs UTF8', v);
        fix := 'Create the database with ENCODING ''UTF8''';
    END IF;
    RETURN NEXT;

    -- failover slots (17+): on the primary, the standbys logical walsenders wait for; on a
    -- standby, what slot synchronization needs. Checked when asked, and always on a standby.
    IF coalesce(failover, false) AND major < 17 THEN
        item := 'failover slots'; status := 'error';
        detail := format('PostgreSQL %s has no failover slots (they arrived in 17)', major);
        fix := 'Upgrade the primary and its standbys to 17 or later';
        RETURN NEXT;
    ELSIF major >= 17 AND pg_is_in_recovery() THEN
        FOR r IN
            SELECT * FROM (VALUES
                ('sync_replication_slots', current_setting('sync_replication_slots') = 'on',
                 'the standby copies failover slots from its primary only with sync_replication_slots = on',
                 'ALTER SYSTEM SET sync_replication_slots = on; SELECT pg_reload_conf();'),
                ('hot_standby_feedback', current_setting('hot_standby_feedback') = 'on',
                 'slot synchronization needs hot_standby_feedback = on, so the primary keeps the catalog rows the slots need',
                 'ALTER SYSTEM SET hot_standby_feedback = on; SELECT pg_reload_conf();'),
                ('primary_slot_name', current_setting('primary_slot_name') <> '',
                 'slot synchronization needs a physical slot on the primary (primary_slot_name)',
                 'SELECT pg_create_physical_replication_slot(''standby1'');  -- on the primary; then here: ALTER SYSTEM SET primary_slot_name = ''standby1'';'),
                ('primary_conninfo dbname', current_setting('primary_conninfo') ~ '(^|\s)dbname\s*=',
                 'the slot sync worker connects to a database of the primary: primary_conninfo needs a dbname',
                 'ALTER SYSTEM SET primary_conninfo = ''... dbname=postgres''; SELECT pg_reload_conf();')
            ) AS c(name, ok, why, how)
        LOOP
            item := r.name;
            IF r.ok THEN
                status := 'ok'; detail := format('%s is set for slot synchronization', r.name); fix := NULL;
            ELSE
                status := 'error'; detail := r.why; fix := r.how;
            END IF;
            RETURN NEXT;
        END LOOP;
    ELSIF coalesce(failover, false) THEN
        item := 'synchronized_standby_slots';
        v := current_setting('synchronized_standby_slots');
        IF v = '' THEN
            status := 'warning';
            detail := 'no standby is listed: after a failover, a consumer may already have changes the promoted standby never received';
            fix := 'ALTER SYSTEM SET synchronized_standby_slots = ''<physical slot of the standby>''; SELECT pg_reload_conf();';
        ELSIF EXISTS (SELECT FROM unnest(string_to_array(v, ',')) AS x
                      WHERE NOT EXISTS (SELECT FROM pg_replication_slots s
                                        WHERE s.slot_name = btrim(x, ' "') AND s.slot_type = 'physical')) THEN
            status := 'error';
            detail := format('synchronized_standby_slots = %s names a slot that is not a physical slot here: logical walsenders would wait for it forever', v);
            fix := 'List the physical slots of the standbys: SELECT slot_name FROM pg_replication_slots WHERE slot_type = ''physical'';';
        ELSE
            status := 'ok';
            detail := format('logical walsenders wait for %s before sending', v); fix := NULL;
        END IF;
        RETURN NEXT;
    END IF;

    -- the initial snapshot (cedar_cdc.snapshot_records): one statement in one long
    -- REPEATABLE READ transaction, which these settings may end early
    item := 'snapshot settings';
    IF current_setting('statement_timeout') NOT IN ('0', '0ms') THEN
        status := 'warning';
        detail := format('statement_timeout = %s may cancel the snapshot of large tables',
                         current_setting('statement_timeout'));
        fix := 'SET statement_timeout = 0;  -- in the snapshot''s session, before BEGIN';
    ELSIF coalesce(current_setting('old_snapshot_threshold', true), '-1') NOT IN ('-1', '-1min') THEN  -- gone in 17
        status := 'warning';
        detail := format('old_snapshot_threshold = %s may fail a long snapshot with "snapshot too old"',
                         current_setting('old_snapshot_threshold'));
        fix := 'ALTER SYSTEM SET old_snapshot_threshold = -1; then restart PostgreSQL';
    ELSE
        status := 'ok'; detail := 'no statement_timeout or old_snapshot_threshold can end a snapshot'; fix := NULL;
    END IF;
    RETURN NEXT;

    -- a snapshot on demand (cedar_cdc.snapshot) runs in a dynamic background worker
    item := 'snapshot workers';
    SELECT current_setting('max_worker_processes')::int - count(*) INTO n
      FROM pg_stat_activity
     WHERE backend_type NOT IN ('client backend', 'standalone backend', 'autovacuum launcher',
                                'autovacuum worker', 'background writer', 'checkpointer', 'startup',
                                'walreceiver', 'walsender', 'walwriter', 'archiver', 'walsummarizer',
                                'io worker', 'slotsync worker');
    IF n >= 1 THEN
        status := 'ok'; detail := format('%s of max_worker_processes = %s free for snapshot workers',
                                         n, current_setting('max_worker_processes'));
        fix := NULL;
    ELSE
        status := 'error';
        detail := format('all max_worker_processes = %s background worker slots are in use: cedar_cdc.snapshot() cannot start its worker',
                         current_setting('max_worker_processes'));
        fix := format('ALTER SYSTEM SET max_worker_processes = %s; then restart PostgreSQL',
                      current_setting('max_worker_processes')::int + 2);
    END IF;
    RETURN NEXT;

    -- the publication
    IF publication IS NOT NULL THEN
        item := 'publication';
        IF EXISTS (SELECT FROM pg_publication p WHERE p.pubname = publication) THEN
            status := 'ok'; detail := format('publication %I exists', publication); fix := NULL;
        ELSE
            status := 'error'; detail := format('publication %I does not exist', publication);
            fix := format('SELECT cedar_cdc.create_publication(%L, tables => ARRAY[...]::regclass[]);', publication);
        END IF;
        RETURN NEXT;
    END IF;

    -- captured tables: keys and, when updates or deletes are captured, old rows
    needs_old_rows := publication IS NULL OR EXISTS (
        SELECT FROM pg_publication p WHERE p.pubname = publication AND (p.pubupdate OR p.pubdelete));
    FOR r IN
        WITH captured AS (
            SELECT c.oid, c.relreplident, c.relkind
            FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p')
              AND ns.nspname NOT IN ('pg_catalog', 'information_schema', 'cedar_cdc')
              AND ns.nspname NOT LIKE 'pg\_toast%' AND ns.nspname NOT LIKE 'pg\_temp%'
              AND (publication IS NULL OR EXISTS (
                    SELECT FROM pg_publication_tables pt
                    WHERE pt.pubname = publication AND pt.schemaname = ns.nspname
                      AND pt.tablename = c.relname))
        )
        SELECT cedar_cdc._table_sql(cp.oid) AS tab, cp.relreplident,
               EXISTS (SELECT FROM pg_index i WHERE i.indrelid = cp.oid AND i.indisprimary) AS has_pk,
               EXISTS (SELECT FROM pg_index i WHERE i.indrelid = cp.oid AND i.indisreplident) AS has_ri_index,
               EXISTS (SELECT FROM pg_index i WHERE i.indrelid = cp.oid AND i.indisunique
                       AND i.indpred IS NULL AND i.indexprs IS NULL) AS has_unique,
               has_table_privilege(cp.oid, 'SELECT') AS may_select
        FROM captured cp
        ORDER BY 1
    LOOP
        IF NOT r.may_select THEN
            item := 'snapshot read: ' || r.tab; status := 'error';
            detail := format('role %s may not SELECT the table: cedar_cdc.snapshot_records() cannot read it', current_user);
            fix := format('GRANT SELECT ON %s TO %I;', r.tab, current_user);
            RETURN NEXT;
        END IF;
        IF NOT r.has_pk AND NOT r.has_unique THEN
            item := 'key: ' || r.tab; status := 'warning';
            detail := 'no primary key or unique index: events have a null key, so Kafka cannot keep per-row order or compact';
            fix := format('ALTER TABLE %s ADD PRIMARY KEY (...);  -- or pass message.key.columns', r.tab);
            RETURN NEXT;
        END IF;
        IF needs_old_rows AND (r.relreplident = 'n' OR (r.relreplident = 'd' AND NOT r.has_pk)
           OR (r.relreplident = 'i' AND NOT r.has_ri_index)) THEN
            item := 'old rows: ' || r.tab; status := 'warning';
            detail := CASE r.relreplident
                WHEN 'n' THEN 'REPLICA IDENTITY NOTHING'
                WHEN 'i' THEN 'REPLICA IDENTITY USING INDEX without its index'
                ELSE 'REPLICA IDENTITY DEFAULT without a primary key' END
                || ': deletes carry no old row (Debezium emits nothing for them) and updates have no before image';
            fix := format('ALTER TABLE %s REPLICA IDENTITY FULL;  -- or add a primary key', r.tab);
            RETURN NEXT;
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.check_prerequisites(text, boolean) IS
    'Checks wal_level, output_plugin_libraries, free slots and wal senders, privileges, encoding, failover-slot settings (failover => true, and always on a standby, 17+), the settings an initial snapshot needs, and the keys, replica identity and readability (for a snapshot) of captured tables (those of the publication, else all)';

CREATE FUNCTION cedar_cdc.slot_health(slot name DEFAULT NULL)
RETURNS TABLE (
    slot_name name,
    plugin name,
    slot_type text,
    database name,
    temporary boolean,
    active boolean,
    active_pid integer,
    client text,
    confirmed_flush_lsn pg_lsn,
    restart_lsn pg_lsn,
    current_lsn pg_lsn,
    lag_bytes numeric,
    lag text,
    retained_wal_bytes numeric,
    retained_wal text,
    wal_status text,
    conflicting boolean,
    failover boolean,
    synced boolean,
    invalidation_reason text,
    inactive_since timestamptz,
    idle_invalidation_at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v int := current_setting('server_version_num')::int;
    -- Columns that newer majors add to pg_replication_slots (NULL where the server has none).
    col_conflicting text := CASE WHEN v >= 160000 THEN 's.conflicting' ELSE 'NULL::boolean' END;
    col_17 text := CASE WHEN v >= 170000
        THEN 's.failover AS failover_, s.synced AS synced_, '
             's.invalidation_reason AS invalidation_reason_, s.inactive_since AS inactive_since_'
        ELSE 'NULL::boolean AS failover_, NULL::boolean AS synced_, '
             'NULL::text AS invalidation_reason_, NULL::timestamptz AS inactive_since_' END;
    -- idle_replication_slot_timeout (18+): when an inactive slot will be invalidated.
    idle interval := (SELECT CASE WHEN st.setting::bigint > 0
                                  THEN (st.setting || ' ' || CASE st.unit WHEN 'min' THEN 'minutes'
                                                                          ELSE 'seconds' END)::interval
                             END
                      FROM pg_settings st WHERE st.name = 'idle_replication_slot_timeout');
BEGIN
    RETURN QUERY EXECUTE format($q$
        WITH now_lsn AS (
            SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                        ELSE pg_current_wal_lsn() END AS at
        ), slots AS (
            SELECT s.*, %s AS conflicting_, %s
            FROM pg_replication_slots s
        )
        SELECT s.slot_name, s.plugin, s.slot_type, s.database, s.temporary, s.active, s.active_pid,
               CASE WHEN s.active_pid IS NULL THEN NULL
                    ELSE (SELECT concat_ws(' ', nullif(a.application_name, ''), a.usename::text,
                                           'from ' || coalesce(host(a.client_addr), 'local socket'))
                          FROM pg_stat_activity a WHERE a.pid = s.active_pid) END,
               s.confirmed_flush_lsn, s.restart_lsn, n.at,
               pg_wal_lsn_diff(n.at, s.confirmed_flush_lsn),
               pg_size_pretty(pg_wal_lsn_diff(n.at, s.confirmed_flush_lsn)),
               pg_wal_lsn_diff(n.at, s.restart_lsn),
               pg_size_pretty(pg_wal_lsn_diff(n.at, s.restart_lsn)),
               s.wal_status, s.conflicting_, s.failover_, s.synced_, s.invalidation_reason_,
               s.inactive_since_,
               CASE WHEN NOT s.active AND NOT s.temporary AND s.invalidation_reason_ IS NULL
                    THEN s.inactive_since_ + $2 END
        FROM slots s CROSS JOIN now_lsn n
        WHERE $1 IS NULL OR s.slot_name = $1
        ORDER BY s.slot_name
        $q$, col_conflicting, col_17)
    USING slot, idle;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.slot_health(name) IS
    'Replication slots (all, or one): active or not, owner process, confirmed position, lag, retained WAL, and where the server has them conflicting (16+), failover, synced, invalidation_reason, inactive_since (17+) and when idle_replication_slot_timeout (18+) invalidates it';

-- Debezium configurations --------------------------------------------------------------

-- The jsonb forms of the from_debezium functions (the text forms keep the configuration's
-- property order; jsonb sorts its keys).
CREATE FUNCTION cedar_cdc.from_debezium(config jsonb)
RETURNS TABLE (property text, value text, verdict text, detail text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM cedar_cdc.from_debezium(config::text) $fn$;

CREATE FUNCTION cedar_cdc.from_debezium_options(config jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT cedar_cdc.from_debezium_options(config::text) $fn$;

CREATE FUNCTION cedar_cdc.from_debezium_command(config jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT cedar_cdc.from_debezium_command(config::text) $fn$;
