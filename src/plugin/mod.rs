//! The logical decoding output plugin: PostgreSQL's callbacks, kept thin.
//!
//! Each callback turns PostgreSQL structures into plain values, asks the core to write the
//! events straight into `ctx->out`, and resets the per-change memory. Plugin state lives in
//! `ctx->output_plugin_private` and is freed by a reset callback on `ctx->context`, because
//! PostgreSQL skips `shutdown_cb` when a SQL decoding call fails.

mod compat;
mod origin;
mod output;
mod publication;
mod relcache;
mod rowfilter;
mod tuple;

use std::ffi::CStr;

use cedar_cdc_core::config::{Config, OriginFilter};
use cedar_cdc_core::event::{key_changed, At, Op, Session, TxMeta, Txn};
use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::error::OrRaise;
use output::StringInfoOut;
use relcache::RelCache;
use tuple::TupleBuf;

/// State of one decoding session.
struct State {
    cfg: Config,
    session: Session,
    rels: RelCache,
    /// Reset after every change.
    change_cxt: pg_sys::MemoryContext,
    txn: Txn,
    /// Whether the BEGIN record of the current transaction was written.
    began: bool,
    /// The current transaction is left out by the `origin` option.
    skip: bool,
    /// Whether the current transaction holds anything Debezium's publication would send.
    visible: bool,
    meta: TxMeta,
    /// End LSN of the last transaction decoded in this session (Debezium's `sequence[0]`).
    last_commit_lsn: Option<u64>,
    /// Commit time of the last transaction, for non-transactional messages.
    last_commit_time: i64,
    /// Origin of the last transaction Debezium saw: it keeps it for non-transactional
    /// messages (it clears the origin only at BEGIN).
    last_origin: (Option<String>, Option<u64>),
    /// Messages written for the current transaction.
    emitted: u64,
    new: TupleBuf,
    old: TupleBuf,
    scratch: Vec<u8>,
}

impl State {
    /// Writes one output message.
    unsafe fn write(ctx: *mut pg_sys::LogicalDecodingContext, f: impl FnOnce(&mut StringInfoOut)) {
        pg_sys::OutputPluginPrepareWrite(ctx, true);
        let mut o = StringInfoOut((*ctx).out);
        f(&mut o);
        pg_sys::OutputPluginWrite(ctx, true);
    }

    /// Writes the transaction's BEGIN record before its first event
    /// (`provide.transaction.metadata`). pgoutput sends BEGIN lazily, with the position of
    /// the first change it sends, which becomes the BEGIN record's id.
    unsafe fn ensure_begin(&mut self, ctx: *mut pg_sys::LogicalDecodingContext, lsn: u64) {
        self.visible = true;
        if self.began || !self.cfg.provide_transaction_metadata {
            return;
        }
        self.began = true;
        let (session, txn, scratch) = (&self.session, &self.txn, &mut self.scratch);
        Self::write(ctx, |o| session.write_begin(o, txn, lsn, scratch));
        self.emitted += 1;
    }
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
    cb.truncate_cb = Some(truncate);
    cb.message_cb = Some(message);
    cb.commit_cb = Some(commit);
    cb.shutdown_cb = Some(shutdown);
    cb.filter_by_origin_cb = Some(filter_by_origin);
}

/// The `origin` option. `none` is applied while WAL is read, before changes are queued (as
/// pgoutput does). Origin names are only known for certain under the transaction's historic
/// snapshot, so a named filter only drops local changes here and decides the rest in `begin`.
#[pg_guard]
unsafe extern "C-unwind" fn filter_by_origin(
    ctx: *mut pg_sys::LogicalDecodingContext,
    origin_id: pg_sys::RepOriginId,
) -> bool {
    match &state(ctx).cfg.origin {
        OriginFilter::Any => false,
        OriginFilter::None => origin_id != 0,
        OriginFilter::Named(_) => origin_id == 0,
    }
}

unsafe fn state<'a>(ctx: *mut pg_sys::LogicalDecodingContext) -> &'a mut State {
    &mut *((*ctx).output_plugin_private as *mut State)
}

#[pg_guard]
unsafe extern "C-unwind" fn free_state(arg: *mut std::ffi::c_void) {
    // The decoding context's memory, executor states included, is already gone.
    rowfilter::CONTEXTS_ALIVE.with(|a| a.set(false));
    drop(Box::from_raw(arg as *mut State));
    rowfilter::CONTEXTS_ALIVE.with(|a| a.set(true));
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
    let mut cfg = Config::parse("", raw.iter().map(|(n, v)| (n.as_str(), v.as_deref()))).or_raise();
    let db = database_name();
    if cfg.topic_prefix.is_empty() {
        cfg.topic_prefix = db.clone();
    }
    let session = Session::new(cfg.clone(), &db);

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
        session,
        rels: RelCache::new(cache_cxt),
        change_cxt,
        txn: Txn::default(),
        began: false,
        skip: false,
        visible: false,
        meta: TxMeta::default(),
        last_commit_lsn: None,
        last_commit_time: pg_sys::GetCurrentTimestamp(),
        last_origin: (None, None),
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

/// The connected database's name. Looked up once at startup, in a short transaction when
/// none is active (the walsender): non-transactional messages are decoded outside any
/// transaction, where the catalog cannot be read.
unsafe fn database_name() -> String {
    let in_txn = pg_sys::IsTransactionState();
    let cxt = pg_sys::CurrentMemoryContext;
    if !in_txn {
        pg_sys::StartTransactionCommand();
    }
    let n = pg_sys::get_database_name(pg_sys::MyDatabaseId);
    let name = if n.is_null() {
        String::new()
    } else {
        CStr::from_ptr(n).to_string_lossy().into_owned()
    };
    if !in_txn {
        pg_sys::CommitTransactionCommand();
        pg_sys::MemoryContextSwitchTo(cxt);
    }
    name
}

#[pg_guard]
unsafe extern "C-unwind" fn begin(
    ctx: *mut pg_sys::LogicalDecodingContext,
    txn: *mut pg_sys::ReorderBufferTXN,
) {
    let st = state(ctx);
    // pgoutput announces a replicated transaction's origin (ORIGIN message) when the origin
    // still exists; Debezium puts its name and commit LSN in `source`.
    let origin = origin::name((*txn).origin_id);
    let origin_lsn = origin.as_ref().map(|_| (*txn).origin_lsn);
    // A named `origin` filter: the whole transaction is left out, as if never decoded.
    st.skip = !st
        .cfg
        .origin
        .accepts(((*txn).origin_id != 0).then_some(origin.as_deref()));
    st.txn = Txn {
        xid: Some((*txn).xid.into_inner()),
        commit_time: compat::commit_time(txn),
        last_commit_lsn: st.last_commit_lsn,
        origin,
        origin_lsn,
        source: std::mem::take(&mut st.txn.source),
    };
    st.session.prepare_txn(&mut st.txn);
    st.began = false;
    st.visible = false;
    st.meta.begin();
    st.emitted = 0;
}

#[pg_guard]
unsafe extern "C-unwind" fn commit(
    ctx: *mut pg_sys::LogicalDecodingContext,
    txn: *mut pg_sys::ReorderBufferTXN,
    _commit_lsn: pg_sys::XLogRecPtr,
) {
    let st = state(ctx);
    let end_lsn = (*txn).end_lsn;
    if st.began {
        let (session, t, meta, scratch) = (&st.session, &st.txn, &st.meta, &mut st.scratch);
        State::write(ctx, |o| session.write_end(o, t, end_lsn, meta, scratch));
    }
    // A transaction Debezium never sees does not move its commit position.
    if st.visible {
        st.last_commit_lsn = Some(end_lsn);
        st.last_commit_time = st.txn.commit_time;
        st.last_origin = (st.txn.origin.clone(), st.txn.origin_lsn);
    }
    compat::update_progress(ctx, st.emitted == 0);
}

/// Processing time (µs since 1970) for the envelope's `ts_*` (the system clock, as
/// PostgreSQL's `GetCurrentTimestamp` reads it).
fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

#[pg_guard]
unsafe extern "C-unwind" fn change(
    ctx: *mut pg_sys::LogicalDecodingContext,
    _txn: *mut pg_sys::ReorderBufferTXN,
    relation: pg_sys::Relation,
    change: *mut pg_sys::ReorderBufferChange,
) {
    let st = state(ctx);
    if st.skip {
        return;
    }
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
    let (mut newt, mut oldt, source_op) = match action {
        A::REORDER_BUFFER_CHANGE_INSERT => {
            (compat::new_tuple(change), std::ptr::null_mut(), Op::Create)
        }
        A::REORDER_BUFFER_CHANGE_UPDATE => (
            compat::new_tuple(change),
            compat::old_tuple(change),
            Op::Update,
        ),
        A::REORDER_BUFFER_CHANGE_DELETE => {
            (std::ptr::null_mut(), compat::old_tuple(change), Op::Delete)
        }
        _ => return,
    };
    compat::progress_tick(ctx);
    let lsn = (*change).lsn;
    let (published, actions, captured, no_columns) = {
        let e = st.rels.get(&st.cfg, relation);
        (e.published, e.actions, e.captured, e.no_columns)
    };
    let action_published = match source_op {
        Op::Create => actions.insert,
        Op::Update => actions.update,
        _ => actions.delete,
    };
    // Not in the publications (or not an action they publish): pgoutput would not send it.
    if !published || !action_published || !st.session.publishes(source_op) {
        return;
    }
    // pgoutput would send this change, so Debezium sees the transaction begin.
    st.ensure_begin(ctx, lsn);
    // Filtered out by the table filters, a change pgoutput sends without columns, or a delete
    // without an old row (REPLICA IDENTITY NOTHING): Debezium emits nothing for these.
    if !captured || no_columns || (source_op == Op::Delete && oldt.is_null()) {
        return;
    }
    let State {
        cfg,
        session,
        rels,
        txn,
        meta,
        new,
        old,
        scratch,
        emitted,
        ..
    } = st;
    let entry = rels.get(cfg, relation);
    // Published through the partition root: the root's name and tuple format.
    if let Some((map, _)) = entry.conversion {
        if !newt.is_null() {
            newt = pg_sys::execute_attr_map_tuple(newt, map);
        }
        if !oldt.is_null() {
            oldt = pg_sys::execute_attr_map_tuple(oldt, map);
        }
    }
    let desc = entry.desc;
    // Row filters decide, and may turn an update into an insert or a delete (pgoutput).
    let mut op = source_op;
    if let Some(rf) = &entry.row_filter {
        match source_op {
            Op::Create if !rf.matches(rowfilter::INSERT, newt) => return,
            Op::Delete if !rf.matches(rowfilter::DELETE, oldt) => return,
            Op::Update => {
                let new_eval = if oldt.is_null() {
                    newt
                } else {
                    tuple::with_toast_from(newt, oldt, desc, &entry.attrs)
                };
                let new_ok = rf.matches(rowfilter::UPDATE, new_eval);
                // Without an old row only the new one is checked.
                let old_ok = oldt.is_null() || rf.matches(rowfilter::UPDATE, oldt);
                match (old_ok, new_ok) {
                    (_, false) if oldt.is_null() => return,
                    (false, false) => return,
                    (false, true) => op = Op::Create,
                    (true, false) => op = Op::Delete,
                    (true, true) => {}
                }
            }
            _ => {}
        }
    }
    if !newt.is_null() {
        new.deform(newt, desc);
    }
    if !oldt.is_null() {
        old.deform(oldt, desc);
    }
    let newr = new.row(&entry.attrs);
    let oldr = old.row(&entry.attrs);
    let plan = &entry.plan;
    let with_meta = cfg.provide_transaction_metadata;
    type R<'a> = tuple::TupleRow<'a>;
    let key_change =
        op == Op::Update && !oldt.is_null() && key_changed(plan, &oldr, &newr, scratch);
    let mut emit =
        |op: Op, before: Option<&R<'_>>, after: Option<&R<'_>>, toast: Option<&R<'_>>| {
            // skipped.operations applies to each event Debezium emits (a key change's delete and
            // create count as `d` and `c`).
            if session.skips(op) {
                return;
            }
            let at = At {
                txn,
                lsn,
                block: with_meta.then(|| meta.event(&plan.data_collection)),
                now_us: now_us(),
            };
            State::write(ctx, |o| {
                session.write_change(o, plan, &at, op, before, after, toast, scratch)
            });
            *emitted += 1;
            // Debezium follows every delete with a tombstone (a record with a null value).
            if op == Op::Delete && session.emits_tombstones() {
                if let Some(b) = before {
                    State::write(ctx, |o| session.write_tombstone(o, plan, b, scratch));
                }
            }
        };
    let has_old = !oldt.is_null();
    match op {
        Op::Create if source_op == Op::Update && has_old => {
            emit(Op::Create, None, Some(&newr), Some(&oldr))
        }
        Op::Create => emit(Op::Create, None, Some(&newr), None),
        Op::Update if !has_old => emit(Op::Update, None, Some(&newr), None),
        Op::Update if key_change => {
            // Debezium: a key change is a delete of the old key and a create of the new.
            emit(Op::Delete, Some(&oldr), None, None);
            emit(Op::Create, None, Some(&newr), Some(&oldr));
        }
        Op::Update => emit(Op::Update, Some(&oldr), Some(&newr), Some(&oldr)),
        _ => emit(Op::Delete, Some(&oldr), None, None),
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn truncate(
    ctx: *mut pg_sys::LogicalDecodingContext,
    _txn: *mut pg_sys::ReorderBufferTXN,
    nrelations: i32,
    relations: *mut pg_sys::Relation,
    change: *mut pg_sys::ReorderBufferChange,
) {
    let st = state(ctx);
    let lsn = (*change).lsn;
    compat::progress_tick(ctx);
    if st.skip || !st.session.publishes(Op::Truncate) {
        return;
    }
    let old_cxt = pg_sys::MemoryContextSwitchTo(st.change_cxt);
    let rels = std::slice::from_raw_parts(relations, nrelations.max(0) as usize);
    for &rel in rels {
        // Published for truncate, and not a partition pgoutput publishes through its root.
        let (sent, captured) = {
            let e = st.rels.get(&st.cfg, rel);
            (e.published && e.actions.truncate && !e.via_root, e.captured)
        };
        if !sent {
            continue;
        }
        st.ensure_begin(ctx, lsn);
        if !captured || st.session.skips(Op::Truncate) {
            continue;
        }
        let State {
            cfg,
            session,
            rels,
            txn,
            meta,
            scratch,
            emitted,
            ..
        } = &mut *st;
        let plan = &rels.get(cfg, rel).plan;
        let at = At {
            txn,
            lsn,
            block: cfg
                .provide_transaction_metadata
                .then(|| meta.event(&plan.data_collection)),
            now_us: now_us(),
        };
        State::write(ctx, |o| session.write_truncate(o, plan, &at, scratch));
        *emitted += 1;
    }
    pg_sys::MemoryContextSwitchTo(old_cxt);
    pg_sys::MemoryContextReset(st.change_cxt);
}

#[pg_guard]
unsafe extern "C-unwind" fn message(
    ctx: *mut pg_sys::LogicalDecodingContext,
    _txn: *mut pg_sys::ReorderBufferTXN,
    message_lsn: pg_sys::XLogRecPtr,
    transactional: bool,
    prefix: *const std::ffi::c_char,
    message_size: pg_sys::Size,
    message: *const std::ffi::c_char,
) {
    let st = state(ctx);
    if transactional && st.skip {
        return;
    }
    let prefix = CStr::from_ptr(prefix).to_bytes();
    let content = if message_size == 0 || message.is_null() {
        &[][..]
    } else {
        std::slice::from_raw_parts(message.cast::<u8>(), message_size)
    };
    if prefix == st.cfg.heartbeat_message_prefix.as_bytes() {
        let (session, scratch) = (&st.session, &mut st.scratch);
        State::write(ctx, |o| session.write_heartbeat(o, now_us(), scratch));
        if transactional {
            st.emitted += 1;
        }
        return;
    }
    compat::progress_tick(ctx);
    if transactional {
        st.ensure_begin(ctx, message_lsn);
        if !st
            .cfg
            .filters
            .message_included(&String::from_utf8_lossy(prefix))
        {
            return;
        }
        let State {
            cfg,
            session,
            txn,
            meta,
            scratch,
            emitted,
            ..
        } = &mut *st;
        let at = At {
            txn,
            lsn: message_lsn,
            block: cfg.provide_transaction_metadata.then(|| meta.message()),
            now_us: now_us(),
        };
        State::write(ctx, |o| {
            session.write_message(o, &at, prefix, content, scratch)
        });
        *emitted += 1;
    } else {
        // Debezium: a non-transactional message is its own commit point, has no xid and keeps
        // the previous commit time.
        st.last_commit_lsn = Some(message_lsn);
        if !st
            .cfg
            .filters
            .message_included(&String::from_utf8_lossy(prefix))
        {
            return;
        }
        let mut txn = Txn {
            xid: None,
            commit_time: st.last_commit_time,
            last_commit_lsn: st.last_commit_lsn,
            origin: st.last_origin.0.clone(),
            origin_lsn: st.last_origin.1,
            ..Txn::default()
        };
        st.session.prepare_txn(&mut txn);
        let at = At {
            txn: &txn,
            lsn: message_lsn,
            block: None,
            now_us: now_us(),
        };
        let (session, scratch) = (&st.session, &mut st.scratch);
        State::write(ctx, |o| {
            session.write_message(o, &at, prefix, content, scratch)
        });
    }
}
