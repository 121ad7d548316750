//! Replication origins: the name of a transaction's origin, for `source.origin` and the
//! `origin` option's named filter.

use std::ffi::CStr;

use pgrx::pg_sys;

/// The name of replication origin `id`, or `None` for a local change (no origin) or an
/// origin that does not exist.
///
/// Looked up in each transaction's begin callback, under the historic catalog snapshot, as
/// pgoutput does: a table sync's origin (`pg_<sub>_<rel>`) is dropped once the copy is done,
/// so only the snapshot of the time still knows it, and origin ids are reused.
///
/// # Safety
/// Must be called inside a transaction (the decoding callbacks are).
pub unsafe fn name(id: pg_sys::RepOriginId) -> Option<String> {
    if id == 0 {
        return None;
    }
    let mut out: *mut std::ffi::c_char = std::ptr::null_mut();
    // SAFETY: a catalog lookup (missing_ok) inside the caller's transaction; the name is a
    // palloc'd C string.
    unsafe {
        let found = pg_sys::replorigin_by_oid(id, true, &mut out);
        (found && !out.is_null()).then(|| CStr::from_ptr(out).to_string_lossy().into_owned())
    }
}
