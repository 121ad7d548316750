//! Everything that differs between PostgreSQL majors, and only that.

use pgrx::pg_sys;

/// The new tuple of a change, or null.
///
/// # Safety
/// `change` must be a valid change of an INSERT/UPDATE/DELETE.
pub unsafe fn new_tuple(change: *mut pg_sys::ReorderBufferChange) -> pg_sys::HeapTuple {
    tuple_of((*change).data.tp.newtuple)
}

/// The old tuple (replica identity or full old row) of a change, or null.
///
/// # Safety
/// `change` must be a valid change of an INSERT/UPDATE/DELETE.
pub unsafe fn old_tuple(change: *mut pg_sys::ReorderBufferChange) -> pg_sys::HeapTuple {
    tuple_of((*change).data.tp.oldtuple)
}

#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15", feature = "pg16"))]
unsafe fn tuple_of(buf: *mut pg_sys::ReorderBufferTupleBuf) -> pg_sys::HeapTuple {
    if buf.is_null() {
        std::ptr::null_mut()
    } else {
        &mut (*buf).tuple
    }
}

#[cfg(any(feature = "pg17", feature = "pg18"))]
unsafe fn tuple_of(t: pg_sys::HeapTuple) -> pg_sys::HeapTuple {
    t
}

/// The commit time of a transaction (µs since 2000-01-01).
///
/// # Safety
/// `txn` must be a valid transaction being decoded.
#[cfg(any(feature = "pg13", feature = "pg14"))]
pub unsafe fn commit_time(txn: *mut pg_sys::ReorderBufferTXN) -> i64 {
    (*txn).commit_time
}

/// The commit time of a transaction (µs since 2000-01-01).
///
/// # Safety
/// `txn` must be a valid transaction being decoded.
#[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17", feature = "pg18"))]
pub unsafe fn commit_time(txn: *mut pg_sys::ReorderBufferTXN) -> i64 {
    (*txn).xact_time.commit_time
}

/// Reports progress at the end of a transaction; `skipped` when nothing was sent, so that
/// the walsender can still confirm the position.
///
/// # Safety
/// `ctx` must be the current decoding context.
#[cfg(any(feature = "pg13", feature = "pg14"))]
pub unsafe fn update_progress(ctx: *mut pg_sys::LogicalDecodingContext, _skipped: bool) {
    pg_sys::OutputPluginUpdateProgress(ctx);
}

/// Reports progress at the end of a transaction; `skipped` when nothing was sent, so that
/// the walsender can still confirm the position.
///
/// # Safety
/// `ctx` must be the current decoding context.
#[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17", feature = "pg18"))]
pub unsafe fn update_progress(ctx: *mut pg_sys::LogicalDecodingContext, skipped: bool) {
    pg_sys::OutputPluginUpdateProgress(ctx, skipped);
}

/// Reports progress every 100 changes while decoding, so that a walsender skipping a large
/// filtered-out transaction keeps its client informed (what pgoutput and test_decoding do on
/// PostgreSQL 13–15; PostgreSQL 16 does it in core).
///
/// # Safety
/// `ctx` must be the current decoding context.
#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
pub unsafe fn progress_tick(ctx: *mut pg_sys::LogicalDecodingContext) {
    use std::cell::Cell;
    thread_local!(static CHANGES: Cell<u32> = const { Cell::new(0) });
    let n = CHANGES.with(|c| {
        let n = c.get() + 1;
        c.set(if n >= 100 { 0 } else { n });
        n
    });
    if n >= 100 {
        update_progress(ctx, false);
    }
}

/// PostgreSQL 16+ reports progress of skipped changes itself.
///
/// # Safety
/// Nothing to uphold; kept `unsafe` like its older twin.
#[cfg(any(feature = "pg16", feature = "pg17", feature = "pg18"))]
pub unsafe fn progress_tick(_ctx: *mut pg_sys::LogicalDecodingContext) {}
