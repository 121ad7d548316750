//! The decoding side of an on-demand snapshot: the rows of a chunk message written for this
//! slot become `op` `r` events, planned as the initial snapshot plans them (every column,
//! the snapshot's value conversions) with this session's options, and marked
//! `"snapshot":"incremental"`. A chunk for another slot, or of a table this session does not
//! capture, yields nothing; a chunk is never a message event.

use cedar_cdc_core::config::{Config, ReadPath};
use cedar_cdc_core::error::{Error, ErrorCode};
use cedar_cdc_core::event::{incremental, At, Chunk, Op, SnapshotMarker};
use pgrx::pg_sys;

use super::catalog::{cstr, name_str};
use super::compat;
use super::memory::in_change_memory;
use super::publication;
use super::state::{Ctx, State};
use crate::error::{raise, OrRaise};
use crate::snapshot::{Candidate, SnapshotTable};

/// Writes the `r` events of the chunk `content` (a transactional message at `lsn`).
///
/// # Safety
/// Called from the message callback of a transactional message: a transaction is open and
/// the historic snapshot of the message's position is set.
pub unsafe fn on_chunk(ctx: Ctx, st: &mut State, lsn: u64, content: &[u8]) {
    let chunk = Chunk::parse(content).or_raise();
    // SAFETY: the decoding context's slot, acquired for the whole session.
    let slot = unsafe { name_str(&(*(*ctx.as_ptr()).slot).data.name) };
    if chunk.slot != slot.as_bytes() {
        return;
    }
    // SAFETY: the chunk's transaction holds ROW SHARE on the table until after this message,
    // so the relation exists here and its descriptor is the one the rows were formed with.
    let rel = unsafe { pg_sys::RelationIdGetRelation(pg_sys::Oid::from(chunk.relid)) };
    if rel.is_null() {
        raise(Error::new(
            ErrorCode::Internal,
            format!(
                "snapshot chunk of relation {} which does not exist",
                chunk.relid
            ),
        ));
    }
    // SAFETY: an open relation; the schema name is copied out of the per-change memory.
    let c = in_change_memory(st.session.change_cxt, || unsafe {
        let form = &*(*rel).rd_rel;
        Candidate {
            oid: (*rel).rd_id,
            schema: cstr(pg_sys::get_namespace_name(form.relnamespace)),
            table: name_str(&form.relname),
            kind: form.relkind as u8,
        }
    });
    // SAFETY: `rel` stays open for the call and is closed once.
    unsafe { emit_rows(ctx, st, lsn, &chunk, rel, &c) };
    // SAFETY: opened above.
    unsafe { pg_sys::RelationClose(rel) };
}

/// The snapshot-path plan of the table, then one event per row.
///
/// # Safety
/// As [`on_chunk`]; `rel` is the chunk's open relation, described by `c`.
unsafe fn emit_rows(
    ctx: Ctx,
    st: &mut State,
    lsn: u64,
    chunk: &Chunk<'_>,
    rel: pg_sys::Relation,
    c: &Candidate,
) {
    let State { session: s, txn: t } = st;
    let cfg = s
        .snap_cfg
        .get_or_insert_with(|| snapshot_config(&s.dbz.cfg));
    if !cfg.filters.table_included(&c.schema, &c.table)
        || incremental::is_internal_table(&c.schema, &c.table)
    {
        return;
    }
    // SAFETY: the decoding context's memory lives for the session; the plan's context is a
    // child of it, deleted when `table` is dropped at the end of this chunk.
    let parent = unsafe { (*ctx.as_ptr()).context };
    // The publications and catalog lookups of planning go into the per-change memory, reset
    // right after: nothing accumulates over the chunks of a long snapshot.
    let planned = in_change_memory(s.change_cxt, || {
        let pubs = (!cfg.publication_names.is_empty())
            .then(|| publication::load(&cfg.publication_names).or_raise());
        // SAFETY: an open relation (the caller vouches).
        unsafe { SnapshotTable::plan_open(cfg, pubs.as_deref(), rel, c, parent) }
    });
    let Ok(table) = planned else {
        return;
    };
    let mut txn = t.txn.clone();
    txn.snapshot = Some(SnapshotMarker::Incremental);
    s.dbz.prepare_txn(&mut txn);
    // SAFETY: an open relation.
    let desc = unsafe { (*rel).rd_att };
    for row in chunk.rows() {
        let Some(row) = row else { break };
        // SAFETY: the decoding context of this callback.
        unsafe { compat::progress_tick(ctx.as_ptr()) };
        let at = At {
            txn: &txn,
            lsn,
            block: None,
            now_us: now_us(),
        };
        in_change_memory(s.change_cxt, || {
            // SAFETY: the row's bytes are a heap tuple's header and data formed with this
            // relation's descriptor by the chunk's writer; they are copied into palloc'd
            // (MAXALIGNed) memory of the per-change context before being deformed.
            unsafe {
                let data = pg_sys::palloc(row.len().max(1)).cast::<u8>();
                std::ptr::copy_nonoverlapping(row.as_ptr(), data, row.len());
                let mut tup: pg_sys::HeapTupleData = std::mem::zeroed();
                tup.t_len = row.len() as u32;
                tup.t_tableOid = (*rel).rd_id;
                tup.t_data = data.cast();
                s.new.deform(&mut tup, desc);
            }
            let r = s.new.row(&table.attrs);
            ctx.write(
                &|| {
                    format!(
                        "snapshot record of table \"{}\"",
                        table.plan.data_collection
                    )
                },
                |o| {
                    s.dbz.write_change(
                        o,
                        &table.plan,
                        &at,
                        Op::Read,
                        None,
                        Some(&r),
                        None,
                        &mut s.scratch,
                    )
                },
            );
        });
        t.emitted += 1;
    }
}

/// The session's options, planning as a snapshot reads (every column, `java.sql.Date`).
fn snapshot_config(cfg: &Config) -> Config {
    let mut c = cfg.clone();
    c.read_path = ReadPath::Snapshot;
    c
}

/// Processing time (µs since 1970) for the envelope's `ts_*`.
fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
