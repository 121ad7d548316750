//! PostgreSQL's output plugin callbacks: thin `#[pg_guard]` shells.
//!
//! Each shell turns the pointers it is given into plain values in one fenced block, then an
//! inner function asks the core which events the change yields ([`emit`]) and writes them
//! straight into `ctx->out`. Per-change memory is reset after every change.

use std::ffi::CStr;

use cedar_cdc_core::config::{Config, OriginFilter};
use cedar_cdc_core::encode::out::Out;
use cedar_cdc_core::error::{Error, ErrorCode};
use cedar_cdc_core::event::{self as emit, key_changed, At, Image, MessageAction, Op, Txn};
use cedar_cdc_core::plan::table::TablePlan;
use pgrx::pg_sys;
use pgrx::prelude::*;

use super::compat;
use super::memory::in_change_memory;
use super::origin;
use super::output::Excerpt;
use super::relcache::{self, RelCache, RelEntry};
use super::rowfilter;
use super::state::{Ctx, LastCommit, Session, State, TxnState};
use super::tuple::{self, TupleBuf, TupleRow};
use crate::error::OrRaise;

/// Processing time (µs since 1970) for the envelope's `ts_*` (the system clock, as
/// PostgreSQL's `GetCurrentTimestamp` reads it).
fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// Fills in the callbacks (called from `_PG_output_plugin_init`).
pub fn install(cb: &mut pg_sys::OutputPluginCallbacks) {
    cb.startup_cb = Some(startup);
    cb.begin_cb = Some(begin);
    cb.change_cb = Some(change);
    cb.truncate_cb = Some(truncate);
    cb.message_cb = Some(message);
    cb.commit_cb = Some(commit);
    cb.shutdown_cb = Some(shutdown);
    cb.filter_by_origin_cb = Some(filter_by_origin);
}

/// The options given to the slot, as (name, value) pairs.
///
/// # Safety
/// `list` must be NIL or the decoding context's list of `DefElem`s.
unsafe fn plugin_options(list: *mut pg_sys::List) -> Vec<(String, Option<String>)> {
    if list.is_null() {
        return Vec::new();
    }
    // SAFETY: a valid list of `length` DefElem pointers whose names and values are C strings.
    unsafe {
        (0..(*list).length as usize)
            .map(|i| {
                let elem = (*(*list).elements.add(i))
                    .ptr_value
                    .cast::<pg_sys::DefElem>();
                let name = CStr::from_ptr((*elem).defname)
                    .to_string_lossy()
                    .into_owned();
                let value = (!(*elem).arg.is_null()).then(|| {
                    CStr::from_ptr(pg_sys::defGetString(elem))
                        .to_string_lossy()
                        .into_owned()
                });
                (name, value)
            })
            .collect()
    }
}

/// The connected database's name. Looked up once at startup, in a short transaction when
/// none is active (the walsender): non-transactional messages are decoded outside any
/// transaction, where the catalog cannot be read.
fn database_name() -> String {
    // SAFETY: backend-local transaction state; a transaction is started only when none is
    // active, and committed right after the lookup, restoring the caller's memory context.
    unsafe {
        let in_txn = pg_sys::IsTransactionState();
        let cxt = pg_sys::CurrentMemoryContext;
        if !in_txn {
            pg_sys::StartTransactionCommand();
        }
        let name = super::catalog::cstr(pg_sys::get_database_name(pg_sys::MyDatabaseId));
        if !in_txn {
            pg_sys::CommitTransactionCommand();
            pg_sys::MemoryContextSwitchTo(cxt);
        }
        name
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn startup(
    ctx: *mut pg_sys::LogicalDecodingContext,
    opts: *mut pg_sys::OutputPluginOptions,
    _is_init: bool,
) {
    // SAFETY: PostgreSQL passes its decoding context and the options struct to fill in.
    let (ctx, raw) = unsafe {
        (*opts).output_type = pg_sys::OutputPluginOutputType::OUTPUT_PLUGIN_TEXTUAL_OUTPUT;
        (*opts).receive_rewrites = false;
        (
            Ctx::from_raw(ctx),
            plugin_options((*ctx).output_plugin_options),
        )
    };
    on_startup(ctx, &raw);
}

fn on_startup(ctx: Ctx, raw: &[(String, Option<String>)]) {
    let mut cfg = Config::parse("", raw.iter().map(|(n, v)| (n.as_str(), v.as_deref()))).or_raise();
    let db = database_name();
    if cfg.topic_prefix.is_empty() {
        cfg.topic_prefix = db.clone();
    }
    // SAFETY: reads the backend's database encoding.
    let enc = unsafe { pg_sys::GetDatabaseEncoding() };
    if enc != pg_sys::pg_enc::PG_UTF8 as i32 && enc != pg_sys::pg_enc::PG_SQL_ASCII as i32 {
        crate::error::raise(
            Error::new(
                ErrorCode::FeatureNotSupported,
                "cedar_cdc requires a UTF8 database",
            )
            .hint(
                "Debezium supports UTF-8 databases only; create the database with ENCODING 'UTF8'.",
            ),
        );
    }
    relcache::register_callbacks();
    // SAFETY: the decoding context's memory context is live for the whole session; the
    // contexts made here are its children and go with it; the clock read is plain.
    let (parent, change_cxt, cache_cxt, now) = unsafe {
        let parent = (*ctx.as_ptr()).context;
        let child = |name: &CStr| {
            pg_sys::AllocSetContextCreateInternal(
                parent,
                name.as_ptr(),
                0,
                8 * 1024,
                8 * 1024 * 1024,
            )
        };
        (
            parent,
            child(c"cedar_cdc change"),
            child(c"cedar_cdc relation cache"),
            pg_sys::GetCurrentTimestamp(),
        )
    };
    let dbz = emit::Session::new(cfg, &db);
    dbz.check_transforms().or_raise();
    let st = Box::new(State {
        session: Session {
            dbz,
            rels: RelCache::new(cache_cxt),
            change_cxt,
            last: LastCommit {
                time: now,
                ..LastCommit::default()
            },
            new: TupleBuf::default(),
            old: TupleBuf::default(),
            scratch: Vec::new(),
            snap_cfg: None,
        },
        txn: TxnState::default(),
    });
    let ptr = Box::into_raw(st);
    // SAFETY: the callback struct is allocated in the context it watches; when the context
    // is reset or deleted it frees the state exactly once (see `free_state`).
    unsafe {
        let cb = pg_sys::MemoryContextAllocZero(
            parent,
            std::mem::size_of::<pg_sys::MemoryContextCallback>(),
        )
        .cast::<pg_sys::MemoryContextCallback>();
        (*cb).func = Some(free_state);
        (*cb).arg = ptr.cast();
        pg_sys::MemoryContextRegisterResetCallback(parent, cb);
        (*ctx.as_ptr()).output_plugin_private = ptr.cast();
    }
}

/// Frees the plugin state with the decoding context. Its child contexts (per-change memory,
/// relation entries) are already gone; each entry's context has told its owner so.
#[pg_guard]
unsafe extern "C-unwind" fn free_state(arg: *mut std::ffi::c_void) {
    // SAFETY: `arg` is the state leaked by startup; this callback runs once.
    drop(unsafe { Box::from_raw(arg.cast::<State>()) });
}

#[pg_guard]
unsafe extern "C-unwind" fn shutdown(_ctx: *mut pg_sys::LogicalDecodingContext) {
    // State is freed with the decoding context (see `free_state`).
}

/// The `origin` option. `none` is applied while WAL is read, before changes are queued (as
/// pgoutput does). Origin names are only known for certain under the transaction's historic
/// snapshot, so a named filter only drops local changes here and decides the rest in `begin`.
#[pg_guard]
unsafe extern "C-unwind" fn filter_by_origin(
    ctx: *mut pg_sys::LogicalDecodingContext,
    origin_id: pg_sys::RepOriginId,
) -> bool {
    // SAFETY: PostgreSQL passes the decoding context startup filled in.
    let st = unsafe { Ctx::from_raw(ctx).state() };
    match &st.session.dbz.cfg.origin {
        OriginFilter::Any => false,
        OriginFilter::None => origin_id != 0,
        OriginFilter::Named(_) => origin_id == 0,
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn begin(
    ctx: *mut pg_sys::LogicalDecodingContext,
    txn: *mut pg_sys::ReorderBufferTXN,
) {
    // SAFETY: PostgreSQL passes the decoding context and the transaction being decoded; the
    // origin name is looked up under its historic snapshot, inside the decoding transaction.
    let (st, xid, origin_id, origin_lsn, commit_time, origin) = unsafe {
        let t = &*txn;
        (
            Ctx::from_raw(ctx).state(),
            t.xid.into_inner(),
            t.origin_id,
            t.origin_lsn,
            compat::commit_time(txn),
            origin::name(t.origin_id),
        )
    };
    on_begin(st, xid, origin_id, origin_lsn, commit_time, origin);
}

fn on_begin(
    st: &mut State,
    xid: u32,
    origin_id: pg_sys::RepOriginId,
    origin_lsn: u64,
    commit_time: i64,
    origin: Option<String>,
) {
    let s = &st.session;
    // A named `origin` filter: the whole transaction is left out, as if never decoded.
    let skip = !s
        .dbz
        .cfg
        .origin
        .accepts((origin_id != 0).then_some(origin.as_deref()));
    // pgoutput announces a replicated transaction's origin (ORIGIN message) when the origin
    // still exists; Debezium puts its name and commit LSN in `source`.
    let origin_lsn = origin.as_ref().map(|_| origin_lsn);
    let t = &mut st.txn;
    t.txn = Txn {
        xid: Some(u64::from(xid)),
        commit_time,
        snapshot: None,
        last_commit_lsn: s.last.lsn,
        origin,
        origin_lsn,
        source: std::mem::take(&mut t.txn.source),
    };
    s.dbz.prepare_txn(&mut t.txn);
    t.skip = skip;
    t.began = false;
    t.visible = false;
    t.meta.begin();
    t.emitted = 0;
}

#[pg_guard]
unsafe extern "C-unwind" fn commit(
    ctx: *mut pg_sys::LogicalDecodingContext,
    txn: *mut pg_sys::ReorderBufferTXN,
    _commit_lsn: pg_sys::XLogRecPtr,
) {
    // SAFETY: PostgreSQL passes the decoding context and the transaction being decoded.
    let (ctx, end_lsn) = unsafe { (Ctx::from_raw(ctx), (*txn).end_lsn) };
    // SAFETY: the only reference to the state in this callback.
    let st = unsafe { ctx.state() };
    let (s, t) = (&mut st.session, &st.txn);
    if t.began {
        let xid = t.txn.xid.unwrap_or(0);
        ctx.write(&|| format!("END record of transaction {xid}"), |o| {
            s.dbz.write_end(o, &t.txn, end_lsn, &t.meta, &mut s.scratch)
        });
    }
    // A transaction Debezium never sees does not move its commit position.
    if t.visible {
        s.last = LastCommit {
            lsn: Some(end_lsn),
            time: t.txn.commit_time,
            origin: t.txn.origin.clone(),
            origin_lsn: t.txn.origin_lsn,
        };
    }
    // SAFETY: the decoding context of this callback.
    unsafe { compat::update_progress(ctx.as_ptr(), t.emitted == 0) };
}

/// One row change as the callback receives it.
struct Change {
    op: Op,
    lsn: u64,
    new: pg_sys::HeapTuple,
    old: pg_sys::HeapTuple,
}

#[pg_guard]
unsafe extern "C-unwind" fn change(
    ctx: *mut pg_sys::LogicalDecodingContext,
    _txn: *mut pg_sys::ReorderBufferTXN,
    relation: pg_sys::Relation,
    change: *mut pg_sys::ReorderBufferChange,
) {
    use pg_sys::ReorderBufferChangeType as A;
    // SAFETY: PostgreSQL passes the decoding context and a change of `relation`, both valid
    // for this call; the tuples are read from the change's insert/update/delete arm.
    let (ctx, c) = unsafe {
        let ctx = Ctx::from_raw(ctx);
        let null = std::ptr::null_mut;
        let (op, new, old) = match (*change).action {
            A::REORDER_BUFFER_CHANGE_INSERT => (Op::Create, compat::new_tuple(change), null()),
            A::REORDER_BUFFER_CHANGE_UPDATE => (
                Op::Update,
                compat::new_tuple(change),
                compat::old_tuple(change),
            ),
            A::REORDER_BUFFER_CHANGE_DELETE => (Op::Delete, null(), compat::old_tuple(change)),
            _ => return,
        };
        compat::progress_tick(ctx.as_ptr());
        let c = Change {
            op,
            lsn: (*change).lsn,
            new,
            old,
        };
        (ctx, c)
    };
    // SAFETY: the only reference to the state in this callback.
    let st = unsafe { ctx.state() };
    if st.txn.skip {
        return;
    }
    // SAFETY: `relation` and the tuples are valid for this callback.
    in_change_memory(st.session.change_cxt, || unsafe {
        on_change(ctx, st, relation, c)
    });
}

/// Decides and writes the events of one row change.
///
/// # Safety
/// `relation` and the change's tuples must be those of the running change callback.
unsafe fn on_change(ctx: Ctx, st: &mut State, relation: pg_sys::Relation, c: Change) {
    let State { session: s, txn: t } = st;
    // SAFETY: the relation of this change.
    let e = unsafe { s.rels.get(&s.dbz.cfg, relation) };
    let has_old = !c.old.is_null();
    let gate = emit::change_gate(&e.facts, &s.dbz, c.op, has_old);
    if !t.pass(gate, ctx, &s.dbz, c.lsn, &mut s.scratch) {
        return;
    }
    // SAFETY: the change's tuples, in the relation's format, converted with the entry's map.
    let (new, old) = unsafe { (to_root(e, c.new), to_root(e, c.old)) };
    let op = match &e.row_filter {
        None => c.op,
        // Row filters decide, and may turn an update into an insert or a delete (pgoutput);
        // the filter was prepared for the entry's descriptor.
        Some(rf) => match emit::row_filtered(
            c.op,
            has_old,
            // SAFETY: the old tuple is of the entry's descriptor.
            || unsafe { rf.matches(action_index(c.op), old) },
            // SAFETY: both tuples are of the entry's descriptor.
            || unsafe {
                let new_eval = if has_old {
                    tuple::with_toast_from(new, old, e.desc, &e.attrs)
                } else {
                    new
                };
                rf.matches(action_index(c.op), new_eval)
            },
        ) {
            Some(op) => op,
            None => return,
        },
    };
    // SAFETY: tuples of the entry's descriptor.
    unsafe {
        if !new.is_null() {
            s.new.deform(new, e.desc);
        }
        if has_old {
            s.old.deform(old, e.desc);
        }
    }
    let (newr, oldr) = (s.new.row(&e.attrs), s.old.row(&e.attrs));
    let plan = &e.plan;
    let scratch = &mut s.scratch;
    let events = emit::events(&s.dbz, c.op, op, has_old, || {
        key_changed(plan, &oldr, &newr, scratch)
    });
    let image = |i: Option<Image>| -> Option<&TupleRow<'_>> {
        i.map(|i| match i {
            Image::Old => &oldr,
            Image::New => &newr,
        })
    };
    let with_meta = s.dbz.cfg.provide_transaction_metadata;
    for ev in events.iter() {
        let at = At {
            txn: &t.txn,
            lsn: c.lsn,
            block: with_meta.then(|| t.meta.event(&plan.data_collection)),
            now_us: now_us(),
        };
        let (before, after, toast) = (image(ev.before), image(ev.after), image(ev.toast_from));
        // The transforms may drop a record; transaction metadata has counted it already.
        let kept = s.dbz.kept(ev);
        if kept.record {
            let key_row = if ev.op == Op::Delete { before } else { after };
            ctx.write(&|| describe("change event", plan, key_row), |o| {
                s.dbz
                    .write_change(o, plan, &at, ev.op, before, after, toast, &mut s.scratch)
            });
            t.emitted += 1;
        }
        // Debezium follows every delete with a tombstone (a record with a null value).
        if let (true, Some(b)) = (kept.tombstone, before) {
            ctx.write(&|| describe("tombstone", plan, Some(b)), |o| {
                s.dbz.write_tombstone(o, plan, b, &mut s.scratch)
            });
        }
    }
}

/// Names a change event (or tombstone) in the error raised when it would pass PostgreSQL's
/// 1 GB message limit: its table and its key (the key record's first 200 bytes).
fn describe(kind: &str, plan: &TablePlan, key_row: Option<&TupleRow<'_>>) -> String {
    match key_row {
        Some(r) if !plan.key.is_empty() => {
            let mut key = Excerpt::new(200);
            emit::write_row(&mut key, &plan.key, r, None);
            format!(
                "{kind} of table \"{}\" with key {}",
                plan.data_collection,
                key.text()
            )
        }
        _ => format!("{kind} of table \"{}\" (no key)", plan.data_collection),
    }
}

/// Names a logical decoding message in that error.
fn describe_message(prefix: &[u8]) -> String {
    let mut p = Excerpt::new(200);
    p.put(prefix);
    format!("logical decoding message with prefix \"{}\"", p.text())
}

/// The row filter of the action a change is evaluated with.
fn action_index(op: Op) -> usize {
    match op {
        Op::Create => rowfilter::INSERT,
        Op::Update => rowfilter::UPDATE,
        _ => rowfilter::DELETE,
    }
}

/// A tuple in the format of the relation it is published as (a partition published through
/// its root is converted to the root's format); null stays null.
///
/// # Safety
/// `tuple` must be null or a tuple of the relation `e` was built for.
unsafe fn to_root(e: &RelEntry, tuple: pg_sys::HeapTuple) -> pg_sys::HeapTuple {
    match e.conversion {
        // SAFETY: the map converts the relation's format to the root's; the result lives in
        // the per-change context.
        Some(map) if !tuple.is_null() => unsafe { pg_sys::execute_attr_map_tuple(tuple, map) },
        _ => tuple,
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
    // SAFETY: PostgreSQL passes the decoding context, the change and its `nrelations` open
    // relations, valid for this call.
    let (ctx, lsn, rels) = unsafe {
        let ctx = Ctx::from_raw(ctx);
        compat::progress_tick(ctx.as_ptr());
        let rels = std::slice::from_raw_parts(relations, nrelations.max(0) as usize);
        (ctx, (*change).lsn, rels)
    };
    // SAFETY: the only reference to the state in this callback.
    let st = unsafe { ctx.state() };
    if st.txn.skip {
        return;
    }
    in_change_memory(st.session.change_cxt, || {
        for &rel in rels {
            // SAFETY: one of this callback's open relations.
            unsafe { on_truncate(ctx, st, rel, lsn) };
        }
    });
}

/// Decides and writes the truncate event of one table.
///
/// # Safety
/// `rel` must be one of the running truncate callback's relations.
unsafe fn on_truncate(ctx: Ctx, st: &mut State, rel: pg_sys::Relation, lsn: u64) {
    let State { session: s, txn: t } = st;
    // SAFETY: an open relation of this change.
    let e = unsafe { s.rels.get(&s.dbz.cfg, rel) };
    if !t.pass(
        emit::truncate_gate(&e.facts, &s.dbz),
        ctx,
        &s.dbz,
        lsn,
        &mut s.scratch,
    ) {
        return;
    }
    let plan = &e.plan;
    let at = At {
        txn: &t.txn,
        lsn,
        block: s
            .dbz
            .cfg
            .provide_transaction_metadata
            .then(|| t.meta.event(&plan.data_collection)),
        now_us: now_us(),
    };
    if s.dbz.keeps_truncates() {
        ctx.write(
            &|| format!("truncate event of table \"{}\"", plan.data_collection),
            |o| s.dbz.write_truncate(o, plan, &at, &mut s.scratch),
        );
        t.emitted += 1;
    }
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
    // SAFETY: PostgreSQL passes the decoding context, a NUL-terminated prefix and
    // `message_size` bytes of content, valid for this call.
    let (ctx, prefix, content) = unsafe {
        let content = if message_size == 0 || message.is_null() {
            &[][..]
        } else {
            std::slice::from_raw_parts(message.cast::<u8>(), message_size)
        };
        (
            Ctx::from_raw(ctx),
            CStr::from_ptr(prefix).to_bytes(),
            content,
        )
    };
    // SAFETY: the only reference to the state in this callback.
    let st = unsafe { ctx.state() };
    on_message(ctx, st, message_lsn, transactional, prefix, content);
}

fn on_message(
    ctx: Ctx,
    st: &mut State,
    lsn: u64,
    transactional: bool,
    prefix: &[u8],
    content: &[u8],
) {
    let State { session: s, txn: t } = st;
    if transactional && t.skip {
        return;
    }
    let action = emit::message_action(&s.dbz, prefix);
    if action == MessageAction::SnapshotChunk {
        // A chunk is written in a transaction only; it is never a message event.
        if transactional {
            // SAFETY: a transactional message's callback, under its historic snapshot.
            unsafe { super::incremental::on_chunk(ctx, st, lsn, content) };
        }
        return;
    }
    if action == MessageAction::Heartbeat {
        ctx.write(&|| "heartbeat record".into(), |o| {
            s.dbz.write_heartbeat(o, now_us(), &mut s.scratch)
        });
        if transactional {
            t.emitted += 1;
        }
        return;
    }
    // SAFETY: the decoding context of this callback.
    unsafe { compat::progress_tick(ctx.as_ptr()) };
    if transactional {
        t.ensure_begin(ctx, &s.dbz, lsn, &mut s.scratch);
        if action == MessageAction::Filtered {
            return;
        }
        let at = At {
            txn: &t.txn,
            lsn,
            block: s
                .dbz
                .cfg
                .provide_transaction_metadata
                .then(|| t.meta.message()),
            now_us: now_us(),
        };
        ctx.write(&|| describe_message(prefix), |o| {
            s.dbz.write_message(o, &at, prefix, content, &mut s.scratch)
        });
        t.emitted += 1;
    } else {
        // Debezium: a non-transactional message is its own commit point, has no xid and keeps
        // the previous commit time and origin.
        s.last.lsn = Some(lsn);
        if action == MessageAction::Filtered {
            return;
        }
        let mut txn = Txn {
            xid: None,
            commit_time: s.last.time,
            last_commit_lsn: s.last.lsn,
            origin: s.last.origin.clone(),
            origin_lsn: s.last.origin_lsn,
            ..Txn::default()
        };
        s.dbz.prepare_txn(&mut txn);
        let at = At {
            txn: &txn,
            lsn,
            block: None,
            now_us: now_us(),
        };
        ctx.write(&|| describe_message(prefix), |o| {
            s.dbz.write_message(o, &at, prefix, content, &mut s.scratch)
        });
    }
}
