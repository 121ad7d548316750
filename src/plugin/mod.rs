//! The logical decoding output plugin: PostgreSQL's callbacks, kept thin.
//!
//! Each callback turns PostgreSQL structures into plain values, asks the core to write the
//! events straight into `ctx->out`, and resets the per-change memory. Plugin state lives in
//! `ctx->output_plugin_private` and is freed by a reset callback on `ctx->context`, because
//! PostgreSQL skips `shutdown_cb` when a SQL decoding call fails.

mod compat;
mod output;
mod relcache;
mod tuple;

use std::ffi::CStr;

use cedar_cdc_core::event::{key_changed, Op, Session, Txn};
use cedar_cdc_core::options::Config;
use cedar_cdc_core::temporal::PG_EPOCH_USECS;
use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::error::OrRaise;
use output::StringInfoOut;
use relcache::RelCache;
use tuple::TupleBuf;

/// State of one decoding session.
struct State {
    cfg: Config,
    /// Built at the first transaction, when the database name can be looked up.
    session: Option<Session>,
    rels: RelCache,
    /// Reset after every change.
    change_cxt: pg_sys::MemoryContext,
    txn: Txn,
    /// End LSN of the last transaction decoded in this session (Debezium's `sequence[0]`).
    last_commit_lsn: Option<u64>,
    /// Events written for the current transaction.
    emitted: u64,
    new: TupleBuf,
    old: TupleBuf,
    scratch: Vec<u8>,
}

/// The plugin's entry point, looked up by name when a slot uses `cedar_cdc`.
///
/// # Safety
/// Called by PostgreSQL with a valid callbacks struct.
#[pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn _PG_output_plugin_init(cb: *mut pg_sys::OutputPluginCallbacks) {
    let cb = &mut *cb;
    cb.startup_cb = Some(startup);
    cb.begin_cb = Some(begin);
    cb.change_cb = Some(change);
    cb.commit_cb = Some(commit);
    cb.shutdown_cb = Some(shutdown);
}

unsafe fn state<'a>(ctx: *mut pg_sys::LogicalDecodingContext) -> &'a mut State {
    &mut *((*ctx).output_plugin_private as *mut State)
}

#[pg_guard]
unsafe extern "C-unwind" fn free_state(arg: *mut std::ffi::c_void) {
    drop(Box::from_raw(arg as *mut State));
}

/// The options given to the slot, as (name, value) pairs.
unsafe fn plugin_options(
    ctx: *mut pg_sys::LogicalDecodingContext,
) -> Vec<(String, Option<String>)> {
    let list = (*ctx).output_plugin_options;
    let mut v = Vec::new();
    if list.is_null() {
        return v;
    }
    for i in 0..(*list).length as usize {
        let elem = (*(*list).elements.add(i)).ptr_value as *mut pg_sys::DefElem;
        let name = CStr::from_ptr((*elem).defname)
            .to_string_lossy()
            .into_owned();
        let value = if (*elem).arg.is_null() {
            None
        } else {
            Some(
                CStr::from_ptr(pg_sys::defGetString(elem))
                    .to_string_lossy()
                    .into_owned(),
            )
        };
        v.push((name, value));
    }
    v
}

#[pg_guard]
unsafe extern "C-unwind" fn startup(
    ctx: *mut pg_sys::LogicalDecodingContext,
    opts: *mut pg_sys::OutputPluginOptions,
    _is_init: bool,
) {
    (*opts).output_type = pg_sys::OutputPluginOutputType::OUTPUT_PLUGIN_TEXTUAL_OUTPUT;
    (*opts).receive_rewrites = false;

    let raw = plugin_options(ctx);
    let cfg = Config::parse("", raw.iter().map(|(n, v)| (n.as_str(), v.as_deref()))).or_raise();

    let enc = pg_sys::GetDatabaseEncoding();
    if enc != pg_sys::pg_enc::PG_UTF8 as i32 && enc != pg_sys::pg_enc::PG_SQL_ASCII as i32 {
        crate::error::raise(
            cedar_cdc_core::error::Error::new(
                cedar_cdc_core::error::ErrorCode::FeatureNotSupported,
                "cedar_cdc requires a UTF8 database",
            )
            .hint(
                "Debezium supports UTF-8 databases only; create the database with ENCODING 'UTF8'.",
            ),
        );
    }

    relcache::register_callbacks();
    let parent = (*ctx).context;
    let change_cxt = pg_sys::AllocSetContextCreateInternal(
        parent,
        c"cedar_cdc change".as_ptr(),
        0,
        8 * 1024,
        8 * 1024 * 1024,
    );
    let cache_cxt = pg_sys::AllocSetContextCreateInternal(
        parent,
        c"cedar_cdc relation cache".as_ptr(),
        0,
        8 * 1024,
        8 * 1024 * 1024,
    );
    let st = Box::new(State {
        cfg,
        session: None,
        rels: RelCache::new(cache_cxt),
        change_cxt,
        txn: Txn::default(),
        last_commit_lsn: None,
        emitted: 0,
        new: TupleBuf::default(),
        old: TupleBuf::default(),
        scratch: Vec::new(),
    });
    let ptr = Box::into_raw(st);
    let cb = pg_sys::MemoryContextAllocZero(
        parent,
        std::mem::size_of::<pg_sys::MemoryContextCallback>(),
    ) as *mut pg_sys::MemoryContextCallback;
    (*cb).func = Some(free_state);
    (*cb).arg = ptr.cast();
    pg_sys::MemoryContextRegisterResetCallback(parent, cb);
    (*ctx).output_plugin_private = ptr.cast();
}

#[pg_guard]
unsafe extern "C-unwind" fn shutdown(_ctx: *mut pg_sys::LogicalDecodingContext) {
    // State is freed with the decoding context (see `free_state`).
}

#[pg_guard]
unsafe extern "C-unwind" fn begin(
    ctx: *mut pg_sys::LogicalDecodingContext,
    txn: *mut pg_sys::ReorderBufferTXN,
) {
    let st = state(ctx);
    if st.session.is_none() {
        // Inside a transaction here, so catalog lookups are allowed.
        let db = CStr::from_ptr(pg_sys::get_database_name(pg_sys::MyDatabaseId))
            .to_string_lossy()
            .into_owned();
        let mut cfg = st.cfg.clone();
        if cfg.topic_prefix.is_empty() {
            cfg.topic_prefix = db.clone();
        }
        st.cfg = cfg.clone();
        st.session = Some(Session::new(cfg, &db));
    }
    st.txn = Txn {
        xid: (*txn).xid.into_inner(),
        commit_time: compat::commit_time(txn),
        last_commit_lsn: st.last_commit_lsn,
        origin: None,
        origin_lsn: None,
    };
    st.emitted = 0;
}

#[pg_guard]
unsafe extern "C-unwind" fn commit(
    ctx: *mut pg_sys::LogicalDecodingContext,
    txn: *mut pg_sys::ReorderBufferTXN,
    _commit_lsn: pg_sys::XLogRecPtr,
) {
    let st = state(ctx);
    st.last_commit_lsn = Some((*txn).end_lsn);
    compat::update_progress(ctx, st.emitted == 0);
}

/// Processing time (µs since 1970) for the envelope's `ts_*`.
unsafe fn now_us() -> i64 {
    pg_sys::GetCurrentTimestamp() + PG_EPOCH_USECS
}

#[pg_guard]
unsafe extern "C-unwind" fn change(
    ctx: *mut pg_sys::LogicalDecodingContext,
    _txn: *mut pg_sys::ReorderBufferTXN,
    relation: pg_sys::Relation,
    change: *mut pg_sys::ReorderBufferChange,
) {
    let st = state(ctx);
    let old_cxt = pg_sys::MemoryContextSwitchTo(st.change_cxt);
    decode_change(ctx, st, relation, change);
    pg_sys::MemoryContextSwitchTo(old_cxt);
    pg_sys::MemoryContextReset(st.change_cxt);
}

unsafe fn decode_change(
    ctx: *mut pg_sys::LogicalDecodingContext,
    st: &mut State,
    relation: pg_sys::Relation,
    change: *mut pg_sys::ReorderBufferChange,
) {
    use pg_sys::ReorderBufferChangeType as A;
    let action = (*change).action;
    let (op_new, op_old) = match action {
        A::REORDER_BUFFER_CHANGE_INSERT => (compat::new_tuple(change), std::ptr::null_mut()),
        A::REORDER_BUFFER_CHANGE_UPDATE => (compat::new_tuple(change), compat::old_tuple(change)),
        A::REORDER_BUFFER_CHANGE_DELETE => (std::ptr::null_mut(), compat::old_tuple(change)),
        _ => return,
    };
    let lsn = (*change).lsn;
    let State {
        cfg,
        session,
        rels,
        txn,
        new,
        old,
        scratch,
        emitted,
        ..
    } = st;
    let Some(session) = session.as_ref() else {
        return;
    };
    let entry = rels.get(cfg, relation);
    let tupdesc = (*relation).rd_att;
    if !op_new.is_null() {
        new.deform(op_new, tupdesc);
    }
    if !op_old.is_null() {
        old.deform(op_old, tupdesc);
    }
    let newr = new.row(&entry.attrs);
    let oldr = old.row(&entry.attrs);
    let plan = &entry.plan;
    type R<'a> = tuple::TupleRow<'a>;
    let key_change = action == A::REORDER_BUFFER_CHANGE_UPDATE
        && !op_old.is_null()
        && key_changed(plan, &oldr, &newr, scratch);
    let mut emit =
        |op: Op, before: Option<&R<'_>>, after: Option<&R<'_>>, toast: Option<&R<'_>>| {
            pg_sys::OutputPluginPrepareWrite(ctx, true);
            let mut o = StringInfoOut((*ctx).out);
            session.write_change(
                &mut o,
                plan,
                txn,
                lsn,
                op,
                before,
                after,
                toast,
                now_us(),
                scratch,
            );
            pg_sys::OutputPluginWrite(ctx, true);
            *emitted += 1;
            // Debezium follows every delete with a tombstone (a record with a null value).
            if op == Op::Delete && session.emits_tombstones() {
                if let Some(b) = before {
                    pg_sys::OutputPluginPrepareWrite(ctx, true);
                    let mut o = StringInfoOut((*ctx).out);
                    session.write_tombstone(&mut o, plan, b, scratch);
                    pg_sys::OutputPluginWrite(ctx, true);
                }
            }
        };
    match action {
        A::REORDER_BUFFER_CHANGE_INSERT => emit(Op::Create, None, Some(&newr), None),
        A::REORDER_BUFFER_CHANGE_UPDATE => {
            if op_old.is_null() {
                emit(Op::Update, None, Some(&newr), None);
            } else if key_change {
                // Debezium: a key change is a delete of the old key and a create of the new.
                emit(Op::Delete, Some(&oldr), None, None);
                emit(Op::Create, None, Some(&newr), Some(&oldr));
            } else {
                emit(Op::Update, Some(&oldr), Some(&newr), Some(&oldr));
            }
        }
        _ => {
            // Without an old row (REPLICA IDENTITY NOTHING) Debezium emits nothing.
            if !op_old.is_null() {
                emit(Op::Delete, Some(&oldr), None, None);
            }
        }
    }
}
