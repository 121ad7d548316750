//! On-demand (incremental) snapshots: `cedar_cdc.snapshot()` checks its input, records the
//! snapshot in `cedar_cdc.snapshot_state` and starts a dynamic background worker that reads
//! each table in key-ordered chunks, one short READ COMMITTED transaction per chunk.
//!
//! A chunk transaction locks its rows `FOR SHARE` (so a concurrent UPDATE or DELETE of one of
//! them commits, and is decoded, after the chunk), writes them as one transactional logical
//! decoding message for the slot (flattened heap tuples in the table's format, see
//! `cedar_cdc_core::event::incremental`), and advances the progress row, all in one commit.
//! The plugin turns the message into `r` events (`crate::plugin`'s `incremental`).

use std::ffi::CString;

use cedar_cdc_core::error::{Error, ErrorCode};
use cedar_cdc_core::event::{incremental, incremental_errors as ierr, snapshot_errors as errors};
use cedar_cdc_core::event::{ChunkWriter, KeyColumn};
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, SignalWakeFlags};
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::varlena::varatt_is_1b_e;

use crate::error::{raise, OrRaise};
use crate::snapshot::{
    database_name, may_select, named_table, parse_options, quoted_name, slot_start, Excluded,
    SnapshotTable,
};

/// The advisory lock class of snapshot workers: a worker holds (class, id) for its session,
/// so one worker runs a snapshot at a time and `snapshot_resume()` sees which run.
const LOCK_CLASS: i32 = 0x6364_6373;

/// `cedar_cdc.snapshot()` (the SQL wrapper gives the arguments their names): starts an
/// on-demand snapshot of `tables` for `slot` and returns its id. Everything is checked
/// first; an error leaves nothing behind (the state rows are this transaction's, and the
/// worker waits for it to commit).
#[pg_extern(volatile, parallel_unsafe, name = "_snapshot_start")]
fn snapshot_start(
    slot: &str,
    tables: Vec<Option<String>>,
    condition: Option<&str>,
    options: Vec<Option<String>>,
    chunk_size: i32,
) -> i64 {
    if !(1..=1_000_000).contains(&chunk_size) {
        raise(ierr::bad_chunk_size(chunk_size));
    }
    if tables.is_empty() {
        raise(ierr::no_tables());
    }
    let cfg = parse_options(&options).or_raise();
    let db = database_name();
    slot_start(slot, &db)
        .map_err(|e| {
            e.hint("An on-demand snapshot goes through a cedar_cdc slot of this database: SELECT cedar_cdc.snapshot('<slot>', ARRAY['<schema>.<table>']);")
        })
        .or_raise();
    let cond = condition.map(|c| crate::sql_api::one_expression(c, ierr::bad_condition));
    let pubs = (!cfg.publication_names.is_empty())
        .then(|| crate::plugin::publication::load(&cfg.publication_names).or_raise());
    // SAFETY: the function's memory context, which outlives the plans made below.
    let parent = unsafe { pg_sys::CurrentMemoryContext };
    let mut planned: Vec<(pg_sys::Oid, String, Vec<String>)> = Vec::new();
    for name in &tables {
        let name = name
            .as_deref()
            .unwrap_or_else(|| raise(errors::table_missing("NULL")));
        let c = named_table(name).or_raise();
        if planned.iter().any(|(o, _, _)| *o == c.oid) {
            continue;
        }
        let label = quoted_name(&c.schema, &c.table);
        let t = match SnapshotTable::plan(&cfg, pubs.as_deref(), &c, parent) {
            Ok(t) => t,
            Err(Excluded::NoSelect) => raise(errors::no_select(&label)),
            Err(Excluded::Filtered) => raise(errors::table_filtered(name)),
            Err(Excluded::Unpublished) => {
                raise(errors::table_unpublished(name, &cfg.publication_names))
            }
        };
        if t.plan.key.is_empty() {
            raise(ierr::no_key(&label));
        }
        // The chunks read every column (the plugin applies its own column filters).
        let attrs = columns(c.oid);
        if !may_select(c.oid, attrs.iter().map(|a| a.0)) {
            raise(errors::no_select(&label));
        }
        if let Some(cond) = &cond {
            // The condition's own errors (an unknown column, a type mismatch) now, not in
            // the worker.
            Spi::run(&format!("SELECT FROM {label} WHERE {cond} LIMIT 0")).or_raise_spi();
        }
        let running = Spi::get_one_with_args::<i64>(
            "SELECT id FROM cedar_cdc.snapshot_state \
             WHERE slot = $1 AND relid = $2 AND state IN ('pending', 'running') LIMIT 1",
            &[slot.into(), c.oid.into()],
        )
        .unwrap_or(None);
        if let Some(id) = running {
            raise(ierr::already_running(&label, slot, id));
        }
        let keys = t.plan.key.iter().map(|k| k.name.clone()).collect();
        planned.push((c.oid, label, keys));
    }
    // The worker connects as this role: it must be allowed to.
    let login = Spi::get_two::<String, bool>(
        "SELECT rolname::text, rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = current_user",
    )
    .or_raise_spi();
    if let (Some(role), Some(false)) = login {
        raise(ierr::role_cannot_login(&role));
    }
    let id = Spi::get_one::<i64>("SELECT pg_catalog.nextval('cedar_cdc.snapshot_id_seq')")
        .or_raise_spi()
        .unwrap_or(0);
    for (ord, (oid, label, keys)) in planned.iter().enumerate() {
        Spi::run_with_args(
            "INSERT INTO cedar_cdc.snapshot_state \
               (id, ord, slot, relid, table_name, key_columns, condition, chunk_size, role, database) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                id.into(),
                (ord as i32).into(),
                slot.into(),
                (*oid).into(),
                label.as_str().into(),
                keys.clone().into(),
                condition.into(),
                chunk_size.into(),
                // SAFETY: the backend's current user.
                unsafe { pg_sys::GetUserId() }.into(),
                // SAFETY: the backend's database.
                unsafe { pg_sys::MyDatabaseId }.into(),
            ],
        )
        .or_raise_spi();
    }
    // SAFETY: the running transaction's id (assigned by the INSERT above).
    let xid = unsafe { pg_sys::GetTopFullTransactionId().value };
    // SAFETY: the backend's current user.
    start_worker(id, unsafe { pg_sys::GetUserId() }, xid).or_raise();
    id
}

/// `cedar_cdc.snapshot_resume(slot)`: starts a worker for every unfinished snapshot (of the
/// slot, or of every slot of this database) that no worker runs, as the role that started
/// it; returns their ids. After a crash or restart of the server, or a terminated worker.
#[pg_extern(volatile, parallel_unsafe, name = "_snapshot_resume")]
fn snapshot_resume(slot: Option<&str>) -> Vec<i64> {
    let rows: Vec<(i64, pg_sys::Oid)> = Spi::connect(|c| {
        c.select(
            "SELECT DISTINCT s.id, s.role FROM cedar_cdc.snapshot_state s \
             WHERE s.state IN ('pending', 'running') AND s.database = $2 \
               AND ($1::name IS NULL OR s.slot = $1::name) \
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory' \
                   AND l.database = $2 AND l.classid = $3::oid AND l.objid = s.id::oid \
                   AND l.objsubid = 2 AND l.granted) \
             ORDER BY s.id",
            None,
            &[
                slot.into(),
                // SAFETY: the backend's database.
                unsafe { pg_sys::MyDatabaseId }.into(),
                (LOCK_CLASS as i64).into(),
            ],
        )?
        .map(|r| {
            Ok((
                r.get::<i64>(1)?.unwrap_or(0),
                r.get::<pg_sys::Oid>(2)?.unwrap_or(pg_sys::InvalidOid),
            ))
        })
        .collect::<Result<Vec<_>, pgrx::spi::Error>>()
    })
    .or_raise_spi();
    for (id, role) in &rows {
        start_worker(*id, *role, 0).or_raise();
    }
    rows.into_iter().map(|(id, _)| id).collect()
}

/// The non-dropped columns of `relid`: (attribute index, name, type), in attribute order.
fn columns(relid: pg_sys::Oid) -> Vec<(usize, String, String)> {
    Spi::connect(|c| {
        c.select(
            "SELECT attnum::int4, attname::text, pg_catalog.format_type(atttypid, atttypmod) \
             FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped \
             ORDER BY attnum",
            None,
            &[relid.into()],
        )?
        .map(|r| {
            Ok((
                r.get::<i32>(1)?.unwrap_or(1) as usize - 1,
                r.get::<String>(2)?.unwrap_or_default(),
                r.get::<String>(3)?.unwrap_or_default(),
            ))
        })
        .collect::<Result<Vec<_>, pgrx::spi::Error>>()
    })
    .or_raise_spi()
}

/// Starts the worker of snapshot `id`, which connects as `role` to this database and, when
/// `wait_xid` is not 0, first waits for that transaction (the caller's) to end.
fn start_worker(id: i64, role: pg_sys::Oid, wait_xid: u64) -> Result<(), Error> {
    // SAFETY: the backend's database.
    let db = unsafe { pg_sys::MyDatabaseId };
    BackgroundWorkerBuilder::new(&format!("cedar_cdc snapshot {id}"))
        .set_type("cedar_cdc snapshot")
        .set_library("cedar_cdc")
        .set_function("cedar_cdc_snapshot_worker")
        .set_argument(Some(pg_sys::Datum::from(id)))
        .set_extra(&format!("{} {} {wait_xid}", u32::from(db), u32::from(role)))
        .enable_spi_access()
        .set_restart_time(None)
        .load_dynamic()
        .map(|_| ())
        .map_err(|_| ierr::no_worker())
}

/// The snapshot worker's entry point (a dynamic background worker).
#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn cedar_cdc_snapshot_worker(arg: pg_sys::Datum) {
    let id = arg.value() as i64;
    // SAFETY: in the worker, before its signals are unblocked (just below).
    unsafe { crate::plugin::compat::terminate_on_sigterm() };
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::empty());
    let mut extra = BackgroundWorker::get_extra()
        .split(' ')
        .map(|s| s.parse::<u64>().unwrap_or(0));
    let (db, role, xid) = (
        extra.next().unwrap_or(0),
        extra.next().unwrap_or(0),
        extra.next().unwrap_or(0),
    );
    BackgroundWorker::connect_worker_to_spi_by_oid(
        Some(pg_sys::Oid::from(db as u32)),
        Some(pg_sys::Oid::from(role as u32)),
    );
    // Every chunk reads the latest committed rows (READ COMMITTED, whatever the role's
    // default), and a chunk is never cut short by the role's statement_timeout.
    BackgroundWorker::transaction(|| {
        Spi::run(
            "SET default_transaction_isolation = 'read committed'; SET statement_timeout = 0; \
             SET application_name = 'cedar_cdc snapshot'",
        )
        .or_raise_spi()
    });
    if xid != 0 {
        loop {
            let status = BackgroundWorker::transaction(|| {
                Spi::get_one_with_args::<String>(
                    "SELECT pg_catalog.pg_xact_status($1::text::xid8)",
                    &[xid.to_string().into()],
                )
                .unwrap_or(None)
            });
            if status.as_deref() != Some("in progress") || BackgroundWorker::sigterm_received() {
                break;
            }
            BackgroundWorker::wait_latch(Some(std::time::Duration::from_millis(10)));
        }
    }
    let locked = BackgroundWorker::transaction(|| {
        Spi::get_one_with_args::<bool>(
            "SELECT pg_catalog.pg_try_advisory_lock($1, $2::int4)",
            &[LOCK_CLASS.into(), id.into()],
        )
        .unwrap_or(None)
    });
    if locked != Some(true) {
        return;
    }
    let mut retries = 0u32;
    loop {
        // SIGTERM (pg_terminate_backend, a server shutdown) ends the worker here or in the
        // chunk's next statement; the chunk in progress is rolled back.
        pg_sys::check_for_interrupts!();
        let r = PgTryBuilder::new(|| Ok(BackgroundWorker::transaction(|| run_chunk(id))))
            .catch_others(|e| {
                Err(match e {
                    pg_sys::panic::CaughtError::PostgresError(r)
                    | pg_sys::panic::CaughtError::ErrorReport(r)
                    | pg_sys::panic::CaughtError::RustPanic { ereport: r, .. } => {
                        (r.sql_error_code(), r.message().to_string())
                    }
                })
            })
            .execute();
        match r {
            Ok(true) => retries = 0,
            Ok(false) => break,
            Err((code, msg)) => {
                // SAFETY: the failed chunk's transaction is still open: abort it before
                // retrying the chunk or recording the failure in a new transaction.
                unsafe {
                    pg_sys::FlushErrorState();
                    pg_sys::AbortCurrentTransaction();
                }
                // A chunk's FOR SHARE can lose a deadlock (or a serialization failure) to a
                // concurrent writer: nothing of the chunk was committed, so it is read again.
                if is_transient(code) && retries < CHUNK_RETRIES {
                    retries += 1;
                    let pause = std::time::Duration::from_millis(10 * u64::from(retries.min(50)));
                    BackgroundWorker::wait_latch(Some(pause));
                    continue;
                }
                BackgroundWorker::transaction(|| {
                    Spi::run_with_args(
                        "UPDATE cedar_cdc.snapshot_state SET state = 'failed', error = $2, \
                           updated = pg_catalog.clock_timestamp() \
                         WHERE id = $1 AND state IN ('pending', 'running')",
                        &[id.into(), msg.as_str().into()],
                    )
                    .or_raise_spi()
                });
                break;
            }
        }
    }
}

/// How often a chunk that lost a deadlock or a serialization failure is read again before the
/// table's snapshot fails.
const CHUNK_RETRIES: u32 = 100;

/// Errors a chunk's transaction can meet through no fault of its own: retried.
fn is_transient(code: PgSqlErrorCode) -> bool {
    matches!(
        code,
        PgSqlErrorCode::ERRCODE_T_R_DEADLOCK_DETECTED
            | PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE
            | PgSqlErrorCode::ERRCODE_LOCK_NOT_AVAILABLE
    )
}

/// One row of `snapshot_state`, the table a chunk reads.
struct Work {
    ord: i32,
    slot: String,
    relid: pg_sys::Oid,
    from: String,
    keys: Vec<String>,
    condition: Option<String>,
    chunk_size: i32,
    last_key: Option<Vec<Option<String>>>,
}

/// Reads, locks and writes the next chunk of snapshot `id`; whether work remains.
fn run_chunk(id: i64) -> bool {
    let work = Spi::connect_mut(|c| {
        let t = c.update(
            "SELECT ord, slot::text, relid, table_name, key_columns, condition, chunk_size, last_key \
             FROM cedar_cdc.snapshot_state WHERE id = $1 AND state IN ('pending', 'running') \
             ORDER BY ord LIMIT 1 FOR UPDATE",
            None,
            &[id.into()],
        )?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        let r = t.first();
        Ok(Some(Work {
            ord: r.get::<i32>(1)?.unwrap_or(0),
            slot: r.get::<String>(2)?.unwrap_or_default(),
            relid: r.get::<pg_sys::Oid>(3)?.unwrap_or(pg_sys::InvalidOid),
            from: r.get::<String>(4)?.unwrap_or_default(),
            keys: r
                .get::<Vec<Option<String>>>(5)?
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect(),
            condition: r.get::<String>(6)?,
            chunk_size: r.get::<i32>(7)?.unwrap_or(1024),
            last_key: r.get::<Vec<Option<String>>>(8)?,
        }))
    })
    .or_raise_spi();
    let Some(w) = work else { return false };
    // SAFETY: the relation the state names, opened with the lock a SELECT takes (its ACCESS
    // SHARE is kept to the end of the chunk, so its descriptor cannot change meanwhile); a
    // dropped table is an ERROR here, which fails the snapshot.
    let rel = unsafe { pg_sys::relation_open(w.relid, pg_sys::AccessShareLock as i32) };
    let cols = columns(w.relid);
    let from = w.from.clone();
    let keys: Vec<KeyColumn> = w
        .keys
        .iter()
        .map(|k| KeyColumn {
            name: k.clone(),
            ty: cols
                .iter()
                .find(|c| &c.1 == k)
                .map(|c| c.2.clone())
                .unwrap_or_else(|| raise(ierr::no_key(&from))),
        })
        .collect();
    let cond = w
        .condition
        .as_deref()
        .map(|c| crate::sql_api::one_expression(c, ierr::bad_condition));
    let lower: Vec<Option<String>> = w.last_key.clone().unwrap_or_default();
    let has_lower = w.last_key.is_some();
    let bound_sql = incremental::bound_sql(
        &w.from,
        &keys,
        has_lower,
        cond.as_deref(),
        w.chunk_size as u32,
    );
    let bound: Option<Vec<Option<String>>> = Spi::connect(|c| {
        let args: Vec<pgrx::datum::DatumWithOid> = lower.iter().map(|v| v.clone().into()).collect();
        let t = c.select(&bound_sql, Some(1), &args)?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        let r = t.first();
        (1..=keys.len())
            .map(|i| r.get::<String>(i))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    })
    .or_raise_spi();
    let select: Vec<String> = cols
        .iter()
        .map(|c| incremental::quote_ident(&c.1))
        .collect();
    let rows_sql = incremental::rows_sql(
        &format!("SELECT {} FROM {}", select.join(", "), w.from),
        &keys,
        has_lower,
        bound.is_some(),
        cond.as_deref(),
    );
    let mut params: Vec<Option<String>> = if has_lower { lower } else { Vec::new() };
    params.extend(bound.iter().flatten().cloned());
    let map: Vec<usize> = cols.iter().map(|c| c.0).collect();
    let mut chunk = ChunkWriter::new(&w.slot, id, u32::from(w.relid));
    // SAFETY: `rel` is open (above); the rows query runs in its own SPI connection and its
    // tuples are flattened into `chunk` before SPI_finish frees them.
    unsafe { read_rows(rel, &rows_sql, &params, &map, &mut chunk) };
    // SAFETY: opened above; the lock is kept to the end of the transaction.
    unsafe { pg_sys::relation_close(rel, pg_sys::NoLock as i32) };
    let n = chunk.rows() as i64;
    if n > 0 {
        Spi::run_with_args(
            "SELECT pg_catalog.pg_logical_emit_message(true, $1, $2)",
            &[incremental::CHUNK_PREFIX.into(), chunk.bytes().into()],
        )
        .or_raise_spi();
    }
    drop(chunk);
    let done = bound.is_none();
    Spi::run_with_args(
        "UPDATE cedar_cdc.snapshot_state SET rows_done = rows_done + $3, \
           chunks = chunks + CASE WHEN $3 > 0 THEN 1 ELSE 0 END, \
           last_key = coalesce($4, last_key), \
           state = CASE WHEN $5 THEN 'done' ELSE 'running' END, \
           started = coalesce(started, pg_catalog.now()), updated = pg_catalog.clock_timestamp() \
         WHERE id = $1 AND ord = $2",
        &[id.into(), w.ord.into(), n.into(), bound.into(), done.into()],
    )
    .or_raise_spi();
    true
}

/// Runs the chunk's `FOR SHARE` query and appends each row, as a heap tuple of `rel`'s
/// descriptor with its out-of-line values fetched, to `chunk`.
///
/// # Safety
/// `rel` is open; `map[k]` is the attribute index of the query's column `k`.
unsafe fn read_rows(
    rel: pg_sys::Relation,
    sql: &str,
    params: &[Option<String>],
    map: &[usize],
    chunk: &mut ChunkWriter,
) {
    let sql = CString::new(sql).unwrap_or_default();
    let texts: Vec<Option<CString>> = params
        .iter()
        .map(|p| p.as_deref().map(|s| CString::new(s).unwrap_or_default()))
        .collect();
    // SAFETY: one SPI connection, finished before returning; the parameters are text
    // datums made from C strings that outlive the call; tuples are read before SPI_finish.
    unsafe {
        pg_sys::SPI_connect();
        let mut types: Vec<pg_sys::Oid> = vec![pg_sys::TEXTOID; texts.len()];
        let mut values: Vec<pg_sys::Datum> = texts
            .iter()
            .map(|t| match t {
                Some(c) => pg_sys::Datum::from(pg_sys::cstring_to_text(c.as_ptr())),
                None => pg_sys::Datum::null(),
            })
            .collect();
        let nulls: Vec<std::ffi::c_char> = texts
            .iter()
            .map(|t| if t.is_some() { b' ' } else { b'n' } as std::ffi::c_char)
            .collect();
        let rc = pg_sys::SPI_execute_with_args(
            sql.as_ptr(),
            texts.len() as i32,
            types.as_mut_ptr(),
            values.as_mut_ptr(),
            if nulls.is_empty() {
                std::ptr::null()
            } else {
                nulls.as_ptr()
            },
            false,
            0,
        );
        if rc != pg_sys::SPI_OK_SELECT as i32 {
            raise(Error::new(
                ErrorCode::Internal,
                format!("snapshot chunk query failed ({rc})"),
            ));
        }
        let tt = pg_sys::SPI_tuptable;
        let n = pg_sys::SPI_processed as usize;
        let desc = (*rel).rd_att;
        let natts = (*desc).natts as usize;
        let atts = crate::plugin::compat::attributes(desc);
        let mut vals = vec![pg_sys::Datum::null(); natts];
        let mut isnull = vec![true; natts];
        let mut raw = vec![pg_sys::Datum::null(); map.len()];
        let mut rawnull = vec![true; map.len()];
        for i in 0..n {
            let tuple = *(*tt).vals.add(i);
            pg_sys::heap_deform_tuple(tuple, (*tt).tupdesc, raw.as_mut_ptr(), rawnull.as_mut_ptr());
            isnull.iter_mut().for_each(|b| *b = true);
            for (k, &a) in map.iter().enumerate() {
                if a >= natts {
                    continue;
                }
                isnull[a] = rawnull[k];
                vals[a] = raw[k];
                let att = &atts[a];
                if !rawnull[k] && att.attlen == -1 && varatt_is_1b_e(raw[k].cast_mut_ptr()) {
                    vals[a] =
                        pg_sys::Datum::from(pg_sys::detoast_external_attr(raw[k].cast_mut_ptr()));
                }
            }
            let h = pg_sys::heap_form_tuple(desc, vals.as_mut_ptr(), isnull.as_mut_ptr());
            chunk.push(std::slice::from_raw_parts(
                (*h).t_data.cast::<u8>(),
                (*h).t_len as usize,
            ));
            pg_sys::heap_freetuple(h);
        }
        pg_sys::SPI_finish();
    }
}

/// SPI results into PostgreSQL errors.
trait OrRaiseSpi<T> {
    fn or_raise_spi(self) -> T;
}

impl<T> OrRaiseSpi<T> for Result<T, pgrx::spi::Error> {
    fn or_raise_spi(self) -> T {
        self.unwrap_or_else(|e| raise(Error::new(ErrorCode::Internal, e.to_string())))
    }
}

pgrx::extension_sql_file!(
    "../sql/snapshot.sql",
    name = "incremental_snapshot",
    requires = [snapshot_start, snapshot_resume]
);
