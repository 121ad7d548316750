//! Replication origins: their names for `source.origin`, and the `origin` option's filter.
//!
//! Names are cached by origin id. Ids are reused after an origin is dropped, so the cache is
//! emptied whenever `pg_replication_origin` changes.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::CStr;

use pgrx::pg_sys;

thread_local! {
    static NAMES: RefCell<HashMap<u16, Option<String>>> = RefCell::new(HashMap::new());
    static STALE: Cell<bool> = const { Cell::new(false) };
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn origins_changed(_arg: pg_sys::Datum, _cache: i32, _hash: u32) {
    STALE.with(|s| s.set(true));
}

/// Registers the invalidation callback, once per backend.
pub fn register_callback() {
    if REGISTERED.with(|r| r.replace(true)) {
        return;
    }
    // SAFETY: a plain registration; the callback only sets a thread-local flag.
    unsafe {
        pg_sys::CacheRegisterSyscacheCallback(
            pg_sys::SysCacheIdentifier::REPLORIGIDENT as i32,
            Some(origins_changed),
            pg_sys::Datum::null(),
        );
    }
}

/// The name of replication origin `id`: `None` for a local change (no origin), `Some(None)`
/// for an origin that no longer exists.
///
/// # Safety
/// Must be called in a backend that may read the catalog: inside a transaction, or outside
/// any (a short one is started for the lookup).
pub unsafe fn name(id: pg_sys::RepOriginId) -> Option<Option<String>> {
    if id == 0 {
        return None;
    }
    if STALE.with(|s| s.replace(false)) {
        NAMES.with(|n| n.borrow_mut().clear());
    }
    if let Some(v) = NAMES.with(|n| n.borrow().get(&id).cloned()) {
        return Some(v);
    }
    // Outside a transaction (the walsender while it reads WAL) the catalog needs one.
    let in_txn = pg_sys::IsTransactionState();
    let cxt = pg_sys::CurrentMemoryContext;
    if !in_txn {
        pg_sys::StartTransactionCommand();
    }
    let mut out: *mut std::ffi::c_char = std::ptr::null_mut();
    let found = pg_sys::replorigin_by_oid(id, true, &mut out);
    let v = (found && !out.is_null()).then(|| CStr::from_ptr(out).to_string_lossy().into_owned());
    if !in_txn {
        pg_sys::CommitTransactionCommand();
        pg_sys::MemoryContextSwitchTo(cxt);
    }
    NAMES.with(|n| n.borrow_mut().insert(id, v.clone()));
    Some(v)
}
