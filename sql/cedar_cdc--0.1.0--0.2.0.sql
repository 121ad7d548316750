-- cedar_cdc 0.1.0 -> 0.2.0 (ALTER EXTENSION cedar_cdc UPDATE).
--
-- Everything the 0.2.0 schema has that 0.1.0 lacks; pgrx-tests/upgrade/run fails when the
-- updated schema differs from a fresh 0.2.0 install, so SQL added to 0.2.0 must come here too.
\echo Use "ALTER EXTENSION cedar_cdc UPDATE" to load this file. \quit

-- check_prerequisites: wal senders counted from pg_stat_replication (every role sees its rows);
-- on a standby, a role that may not read primary_conninfo gets a warning instead of an ERROR.
CREATE OR REPLACE FUNCTION cedar_cdc.check_prerequisites(publication text DEFAULT NULL,
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
    conninfo_has_dbname boolean;
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
    -- pg_stat_replication, not pg_stat_activity: every role sees its rows (without their
    -- details), where pg_stat_activity hides other roles' backend types.
    SELECT count(*) INTO used FROM pg_stat_replication;
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
        -- primary_conninfo may hold a password: only superusers and pg_read_all_settings
        -- may read it, and others learn nothing about it here (not even whether it names a
        -- database); its check says so instead of failing the whole function.
        BEGIN
            conninfo_has_dbname := current_setting('primary_conninfo') ~ '(^|\s)dbname\s*=';
        EXCEPTION WHEN insufficient_privilege THEN
            conninfo_has_dbname := NULL;
        END;
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
                ('primary_conninfo dbname', conninfo_has_dbname,
                 'the slot sync worker connects to a database of the primary: primary_conninfo needs a dbname',
                 'ALTER SYSTEM SET primary_conninfo = ''... dbname=postgres''; SELECT pg_reload_conf();')
            ) AS c(name, ok, why, how)
        LOOP
            item := r.name;
            IF r.ok IS NULL THEN
                status := 'warning';
                detail := format('role %s may not read %s', current_user, r.name);
                fix := 'Run this check as a superuser or a member of pg_read_all_settings';
            ELSIF r.ok THEN
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

-- slot_health: another role's hidden client address is not shown as a local socket.
CREATE OR REPLACE FUNCTION cedar_cdc.slot_health(slot name DEFAULT NULL)
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
                    -- What pg_stat_replication shows the caller: another role's client
                    -- address is hidden (NULL, and client_port too), not a local socket.
                    ELSE (SELECT concat_ws(' ', nullif(a.application_name, ''), a.usename::text,
                                           'from ' || CASE WHEN a.client_addr IS NOT NULL THEN host(a.client_addr)
                                                           WHEN a.client_port = -1 THEN 'local socket' END)
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

-- Schema-change records' DDL text (include.schema.changes): the event trigger and its helpers.
CREATE FUNCTION cedar_cdc.ddl_message()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    oids text;
    emit regprocedure;
BEGIN
    -- The relations the command touched, then the statement: one transactional message that
    -- cedar_cdc (include.schema.changes) puts into the transaction's schema-change records.
    -- sql_drop reports dropped relations (ddl_command_end lists none for a DROP); a dropped
    -- column is reported by the ALTER TABLE's ddl_command_end.
    IF TG_EVENT = 'sql_drop' THEN
        SELECT string_agg(DISTINCT objid::text, ' ') INTO oids
          FROM pg_event_trigger_dropped_objects()
         WHERE classid = 'pg_catalog.pg_class'::regclass AND objsubid = 0;
    ELSE
        SELECT string_agg(DISTINCT objid::text, ' ') INTO oids
          FROM pg_event_trigger_ddl_commands()
         WHERE classid = 'pg_catalog.pg_class'::regclass;
    END IF;
    IF oids IS NULL THEN
        RETURN;
    END IF;
    -- A role that may not write logical messages still runs its DDL (ddl is then null). No
    -- EXCEPTION block: a subtransaction's message would be decoded after the rows that follow.
    -- 17 added a fourth parameter (flush); the call below resolves to the one the server has.
    emit := coalesce(to_regprocedure('pg_catalog.pg_logical_emit_message(boolean, text, text, boolean)'),
                     to_regprocedure('pg_catalog.pg_logical_emit_message(boolean, text, text)'));
    IF emit IS NOT NULL AND has_function_privilege(emit, 'EXECUTE') THEN
        PERFORM pg_logical_emit_message(true, 'cedar_cdc.ddl', oids || E'\n' || current_query());
    END IF;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.ddl_message() IS
    'Event trigger function: writes the DDL statement as a cedar_cdc.ddl logical message for schema-change records';

CREATE FUNCTION cedar_cdc.install_ddl_trigger()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    DROP EVENT TRIGGER IF EXISTS cedar_cdc_ddl;
    DROP EVENT TRIGGER IF EXISTS cedar_cdc_ddl_drop;
    CREATE EVENT TRIGGER cedar_cdc_ddl ON ddl_command_end EXECUTE FUNCTION cedar_cdc.ddl_message();
    CREATE EVENT TRIGGER cedar_cdc_ddl_drop ON sql_drop EXECUTE FUNCTION cedar_cdc.ddl_message();
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.install_ddl_trigger() IS
    'Creates the event triggers that give schema-change records their ddl text (superuser)';

CREATE FUNCTION cedar_cdc.drop_ddl_trigger()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    DROP EVENT TRIGGER IF EXISTS cedar_cdc_ddl;
    DROP EVENT TRIGGER IF EXISTS cedar_cdc_ddl_drop;
END
$fn$;
COMMENT ON FUNCTION cedar_cdc.drop_ddl_trigger() IS
    'Drops the event triggers of install_ddl_trigger()';

-- The initial snapshot as output.format=framed frames (cedar-cdc-relay --snapshot initial).
CREATE  FUNCTION "snapshot_frames"(
	"slot" TEXT, /* & str */
	"options" TEXT[] DEFAULT '{}', /* Vec < Option < String > > */
	"tables" TEXT[] DEFAULT NULL /* :: std :: option :: Option < Vec < Option < String > > > */
) RETURNS SETOF bytea /* Vec < u8 > */
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'snapshot_frames_wrapper';

-- Snapshot on demand: the native functions, snapshot_state and the SQL API (src/incremental.rs,
-- sql/snapshot.sql), as a fresh install creates them.
CREATE  FUNCTION "_snapshot_resume"(
	"slot" TEXT /* Option < & str > */
) RETURNS bigint[] /* Vec < i64 > */
VOLATILE PARALLEL UNSAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'snapshot_resume_wrapper';
/* </end connected objects> */

/* <begin connected objects> */
CREATE  FUNCTION "_snapshot_start"(
	"slot" TEXT, /* & str */
	"tables" TEXT[], /* Vec < Option < String > > */
	"condition" TEXT, /* Option < & str > */
	"options" TEXT[], /* Vec < Option < String > > */
	"chunk_size" INT /* i32 */
) RETURNS bigint /* i64 */
VOLATILE PARALLEL UNSAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'snapshot_start_wrapper';
/* </end connected objects> */

/* <begin connected objects> */
-- requires:
--   snapshot_start
--   snapshot_resume

-- On-demand (incremental) snapshots: their state, and the SQL API around the native
-- functions (_snapshot_start, _snapshot_resume in src/incremental.rs).
--
-- snapshot_state has one row per (snapshot, table). The worker advances a row in the same
-- transaction as the chunk message it writes, so after a crash the row and the WAL agree.
-- Roles see and change only their own rows (row-level security); the plugin never emits
-- changes of this table.

CREATE SEQUENCE cedar_cdc.snapshot_id_seq;

CREATE TABLE cedar_cdc.snapshot_state (
    id          bigint NOT NULL,
    ord         int NOT NULL,
    slot        name NOT NULL,
    relid       oid NOT NULL,
    table_name  text NOT NULL,
    key_columns text[] NOT NULL,
    condition   text,
    chunk_size  int NOT NULL,
    role        oid NOT NULL,
    database    oid NOT NULL,
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'running', 'done', 'cancelled', 'failed')),
    rows_done   bigint NOT NULL DEFAULT 0,
    chunks      bigint NOT NULL DEFAULT 0,
    last_key    text[],
    created     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started     timestamptz,
    updated     timestamptz,
    error       text,
    PRIMARY KEY (id, ord)
);
-- One unfinished snapshot of a table per slot.
CREATE UNIQUE INDEX snapshot_state_active ON cedar_cdc.snapshot_state (slot, relid)
    WHERE state IN ('pending', 'running');
ALTER TABLE cedar_cdc.snapshot_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON cedar_cdc.snapshot_state
    USING (role = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user))
    WITH CHECK (role = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user));
GRANT SELECT, INSERT, UPDATE, DELETE ON cedar_cdc.snapshot_state TO PUBLIC;
GRANT USAGE ON SEQUENCE cedar_cdc.snapshot_id_seq TO PUBLIC;

CREATE FUNCTION cedar_cdc.snapshot(slot name, tables text[], "where" text DEFAULT NULL,
                                   options text[] DEFAULT '{}', chunk_size int DEFAULT 1024)
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT cedar_cdc._snapshot_start(slot, tables, "where", options, chunk_size) $fn$;

COMMENT ON FUNCTION cedar_cdc.snapshot(name, text[], text, text[], int) IS
    'starts an on-demand snapshot of tables through the slot''s stream; returns its id';

CREATE FUNCTION cedar_cdc.snapshot_resume(slot name DEFAULT NULL)
RETURNS SETOF bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT unnest(cedar_cdc._snapshot_resume(slot)) $fn$;

CREATE FUNCTION cedar_cdc.snapshot_cancel(slot name, "table" regclass DEFAULT NULL)
RETURNS integer
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
    WITH c AS (
        UPDATE cedar_cdc.snapshot_state s
           SET state = 'cancelled', updated = clock_timestamp()
         WHERE s.slot = snapshot_cancel.slot AND s.state IN ('pending', 'running')
           AND (snapshot_cancel."table" IS NULL OR s.relid = snapshot_cancel."table")
        RETURNING 1)
    SELECT count(*)::int FROM c
$fn$;

CREATE FUNCTION cedar_cdc.snapshot_progress()
RETURNS TABLE (id bigint, slot name, "table" text, state text, rows_done bigint,
               rows_estimate bigint, chunks bigint, rows_per_s numeric, started timestamptz,
               last_key text[], error text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT s.id, s.slot, s.table_name, s.state, s.rows_done,
           CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END,
           s.chunks,
           CASE WHEN s.updated > s.started
                THEN round((s.rows_done / extract(epoch FROM s.updated - s.started))::numeric, 1) END,
           s.started, s.last_key, s.error
      FROM cedar_cdc.snapshot_state s
      LEFT JOIN pg_class c ON c.oid = s.relid
     ORDER BY s.id, s.ord
$fn$;
/* </end connected objects> */

/* <begin connected objects> */
