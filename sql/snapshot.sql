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
