//! Everything that differs between PostgreSQL majors, and only that: each difference is one
//! function here behind `cfg(feature = "pgNN")`, so the rest of the plugin reads the same on
//! every major.

use pgrx::pg_sys;

/// The new tuple of a change, or null.
///
/// # Safety
/// `change` must be a valid change of an INSERT/UPDATE/DELETE.
pub unsafe fn new_tuple(change: *mut pg_sys::ReorderBufferChange) -> pg_sys::HeapTuple {
    // SAFETY: the caller vouches for an insert/update/delete change, whose `tp` arm is set.
    unsafe { tuple_of((*change).data.tp.newtuple) }
}

/// The old tuple (replica identity or full old row) of a change, or null.
///
/// # Safety
/// `change` must be a valid change of an INSERT/UPDATE/DELETE.
pub unsafe fn old_tuple(change: *mut pg_sys::ReorderBufferChange) -> pg_sys::HeapTuple {
    // SAFETY: the caller vouches for an insert/update/delete change, whose `tp` arm is set.
    unsafe { tuple_of((*change).data.tp.oldtuple) }
}

/// Up to 16 a change's tuple is a `ReorderBufferTupleBuf` holding the tuple.
///
/// # Safety
/// `buf` must be null or a change's tuple buffer.
#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15", feature = "pg16"))]
unsafe fn tuple_of(buf: *mut pg_sys::ReorderBufferTupleBuf) -> pg_sys::HeapTuple {
    if buf.is_null() {
        std::ptr::null_mut()
    } else {
        // SAFETY: a non-null tuple buffer of the change.
        unsafe { &raw mut (*buf).tuple }
    }
}

/// From 17 on a change's tuple is a plain `HeapTuple`.
///
/// # Safety
/// Nothing to uphold; `unsafe` like its older twin.
#[cfg(any(feature = "pg17", feature = "pg18"))]
unsafe fn tuple_of(t: pg_sys::HeapTuple) -> pg_sys::HeapTuple {
    t
}

/// The attributes of a tuple descriptor (`TupleDescAttr` for every attribute).
///
/// # Safety
/// `tupdesc` must be a valid descriptor that outlives the returned slice.
#[cfg(not(feature = "pg18"))]
pub unsafe fn attributes<'a>(tupdesc: pg_sys::TupleDesc) -> &'a [pg_sys::FormData_pg_attribute] {
    // SAFETY: the caller vouches for the descriptor; it holds natts attributes.
    unsafe { (*tupdesc).attrs.as_slice((*tupdesc).natts as usize) }
}

/// The attributes of a tuple descriptor: from 18 on the full attributes follow the `natts`
/// compact ones (`TupleDescAttr` in tupdesc.h).
///
/// # Safety
/// `tupdesc` must be a valid descriptor that outlives the returned slice.
#[cfg(feature = "pg18")]
pub unsafe fn attributes<'a>(tupdesc: pg_sys::TupleDesc) -> &'a [pg_sys::FormData_pg_attribute] {
    // SAFETY: the caller vouches for the descriptor; PostgreSQL 18 lays out natts
    // CompactAttribute entries and then natts FormData_pg_attribute entries.
    unsafe {
        let natts = (*tupdesc).natts as usize;
        let full = (*tupdesc)
            .compact_attrs
            .as_ptr()
            .add(natts)
            .cast::<pg_sys::FormData_pg_attribute>();
        std::slice::from_raw_parts(full, natts)
    }
}

/// The commit time of a transaction (µs since 2000-01-01).
///
/// # Safety
/// `txn` must be a valid transaction being decoded.
pub unsafe fn commit_time(txn: *mut pg_sys::ReorderBufferTXN) -> i64 {
    // SAFETY: the caller vouches for the transaction.
    #[cfg(any(feature = "pg13", feature = "pg14"))]
    let t = unsafe { (*txn).commit_time };
    // SAFETY: the caller vouches for the transaction.
    #[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17", feature = "pg18"))]
    let t = unsafe { (*txn).xact_time.commit_time };
    t
}

/// Reports progress at the end of a transaction; `skipped` when nothing was sent, so that
/// the walsender can still confirm the position (the flag exists from 15 on).
///
/// # Safety
/// `ctx` must be the current decoding context.
pub unsafe fn update_progress(ctx: *mut pg_sys::LogicalDecodingContext, skipped: bool) {
    #[cfg(any(feature = "pg13", feature = "pg14"))]
    {
        let _ = skipped;
        // SAFETY: the caller vouches for the context.
        unsafe { pg_sys::OutputPluginUpdateProgress(ctx) }
    }
    // SAFETY: the caller vouches for the context.
    #[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17", feature = "pg18"))]
    unsafe {
        pg_sys::OutputPluginUpdateProgress(ctx, skipped)
    }
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
        // SAFETY: the caller vouches for the context.
        unsafe { update_progress(ctx, false) }
    }
}

/// PostgreSQL 16+ reports progress of skipped changes itself.
///
/// # Safety
/// Nothing to uphold; `unsafe` like its older twin.
#[cfg(any(feature = "pg16", feature = "pg17", feature = "pg18"))]
pub unsafe fn progress_tick(_ctx: *mut pg_sys::LogicalDecodingContext) {}

/// Publications of a schema (`FOR TABLES IN SCHEMA`, 15+).
#[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17", feature = "pg18"))]
pub fn schema_publications(nsp: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    // SAFETY: a catalog lookup inside the decoding transaction, returning an OID list.
    unsafe { super::catalog::list_oids(pg_sys::GetSchemaPublications(nsp)) }
}

/// Before 15 there are no schema publications.
#[cfg(any(feature = "pg13", feature = "pg14"))]
pub fn schema_publications(_nsp: pg_sys::Oid) -> Vec<pg_sys::Oid> {
    Vec::new()
}

/// The topmost of `ancestors` (nearest first) that publication `puboid` publishes, directly
/// or through its schema, with its level (1 for the parent).
#[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17", feature = "pg18"))]
pub fn topmost_ancestor_in_publication(
    puboid: pg_sys::Oid,
    ancestors: &[pg_sys::Oid],
) -> Option<(pg_sys::Oid, i32)> {
    if ancestors.is_empty() {
        return None;
    }
    // SAFETY: an OID list built in the current (per-change) context, and a catalog lookup
    // inside the decoding transaction.
    unsafe {
        let mut list: *mut pg_sys::List = std::ptr::null_mut();
        for &a in ancestors {
            list = pg_sys::lappend_oid(list, a);
        }
        let mut level = 0;
        let anc = pg_sys::GetTopMostAncestorInPublication(puboid, list, &mut level);
        (anc != pg_sys::InvalidOid).then_some((anc, level))
    }
}

/// Before 15 (no schema publications): the last ancestor listed in the publication, as
/// PostgreSQL 13's `get_rel_sync_entry` picks it.
#[cfg(any(feature = "pg13", feature = "pg14"))]
pub fn topmost_ancestor_in_publication(
    puboid: pg_sys::Oid,
    ancestors: &[pg_sys::Oid],
) -> Option<(pg_sys::Oid, i32)> {
    let mut found = None;
    for (i, &a) in ancestors.iter().enumerate() {
        // SAFETY: a catalog lookup inside the decoding transaction, returning an OID list.
        let pubs = unsafe { super::catalog::list_oids(pg_sys::GetRelationPublications(a)) };
        if pubs.contains(&puboid) {
            found = Some((a, i as i32 + 1));
        }
    }
    found
}

/// A table's entry in a publication: its row filter and column list (both 15+).
#[derive(Default)]
pub struct PublicationRel {
    /// The `prqual` expression tree.
    pub qual: Option<*mut pg_sys::Node>,
    /// The `prattrs` attribute numbers.
    pub columns: Option<Vec<i16>>,
}

/// The row filter and column list of `relid` in publication `pubid`.
#[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17", feature = "pg18"))]
pub fn publication_rel(relid: pg_sys::Oid, pubid: pg_sys::Oid) -> PublicationRel {
    /// `pg_publication_rel` attribute numbers.
    const ANUM_PRQUAL: pg_sys::AttrNumber = 4;
    const ANUM_PRATTRS: pg_sys::AttrNumber = 5;
    let cache = pg_sys::SysCacheIdentifier::PUBLICATIONRELMAP as i32;
    let mut r = PublicationRel::default();
    // SAFETY: a syscache lookup inside the decoding transaction; the attributes are read
    // (and copied out of the cache) before the tuple is released.
    unsafe {
        let tup = pg_sys::SearchSysCache2(cache, relid.into(), pubid.into());
        if tup.is_null() {
            return r;
        }
        let mut isnull = false;
        let d = pg_sys::SysCacheGetAttr(cache, tup, ANUM_PRQUAL, &mut isnull);
        if !isnull {
            let text = pg_sys::text_to_cstring(d.cast_mut_ptr());
            r.qual = Some(pg_sys::stringToNode(text).cast::<pg_sys::Node>());
        }
        let d = pg_sys::SysCacheGetAttr(cache, tup, ANUM_PRATTRS, &mut isnull);
        if !isnull {
            let v = pg_sys::pg_detoast_datum(d.cast_mut_ptr()).cast::<pg_sys::int2vector>();
            r.columns = Some((*v).values.as_slice((*v).dim1 as usize).to_vec());
        }
        pg_sys::ReleaseSysCache(tup);
    }
    r
}

/// Before 15 publications have neither row filters nor column lists.
#[cfg(any(feature = "pg13", feature = "pg14"))]
pub fn publication_rel(_relid: pg_sys::Oid, _pubid: pg_sys::Oid) -> PublicationRel {
    PublicationRel::default()
}

/// Whether a publication publishes stored generated columns (`publish_generated_columns`,
/// 18+).
#[cfg(feature = "pg18")]
pub fn publishes_generated(p: &pg_sys::Publication) -> bool {
    p.pubgencols_type == pg_sys::PublishGencolsType::PUBLISH_GENCOLS_STORED
}

/// Before 18 pgoutput never publishes generated columns.
#[cfg(not(feature = "pg18"))]
pub fn publishes_generated(_p: &pg_sys::Publication) -> bool {
    false
}

/// Catalogs whose changes affect which relations are published and how.
#[cfg(any(feature = "pg15", feature = "pg16", feature = "pg17", feature = "pg18"))]
pub const PUBLICATION_SYSCACHES: &[pg_sys::SysCacheIdentifier::Type] = &[
    pg_sys::SysCacheIdentifier::PUBLICATIONOID,
    pg_sys::SysCacheIdentifier::PUBLICATIONRELMAP,
    pg_sys::SysCacheIdentifier::PUBLICATIONNAMESPACEMAP,
];

/// Catalogs whose changes affect which relations are published (no schema publications
/// before 15).
#[cfg(any(feature = "pg13", feature = "pg14"))]
pub const PUBLICATION_SYSCACHES: &[pg_sys::SysCacheIdentifier::Type] = &[
    pg_sys::SysCacheIdentifier::PUBLICATIONOID,
    pg_sys::SysCacheIdentifier::PUBLICATIONRELMAP,
];

/// The raw parse tree of `sql` (13 has no parse mode).
///
/// # Safety
/// May raise an ERROR; the caller catches it or lets it propagate.
pub unsafe fn raw_parse(sql: &std::ffi::CStr) -> *mut pg_sys::List {
    // SAFETY: parses a NUL-terminated string in the current memory context.
    #[cfg(feature = "pg13")]
    let l = unsafe { pg_sys::raw_parser(sql.as_ptr()) };
    // SAFETY: parses a NUL-terminated string in the current memory context.
    #[cfg(not(feature = "pg13"))]
    let l = unsafe { pg_sys::raw_parser(sql.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT) };
    l
}

/// Makes SIGTERM end the calling background worker at its next interrupt check, lock waits
/// included (PostgreSQL's `die`, as regular backends have it): `pg_terminate_backend` stops
/// a snapshot worker even while its chunk waits for a row lock. 18 renamed `pqsignal` for
/// backend code.
///
/// # Safety
/// In a background worker, before its signals are unblocked.
pub unsafe fn terminate_on_sigterm() {
    unsafe extern "C-unwind" {
        /// PostgreSQL's SIGTERM handler (`tcop/postgres.c`), by its C symbol: pgrx binds
        /// it as a guarded Rust function, which cannot be a signal handler.
        fn die(postgres_signal_arg: std::ffi::c_int);
    }
    // SAFETY: installs PostgreSQL's own handler for SIGTERM.
    #[cfg(not(feature = "pg18"))]
    unsafe {
        pg_sys::pqsignal(pg_sys::SIGTERM as i32, Some(die));
    }
    // SAFETY: as above.
    #[cfg(feature = "pg18")]
    unsafe {
        pg_sys::pqsignal_be(pg_sys::SIGTERM as i32, Some(die));
    }
}
