//! Memory contexts the plugin owns: per-change memory, reset after every change, and
//! contexts owned by a Rust value (a relation entry's), deleted with it.

use std::cell::Cell;

use pgrx::pg_sys;

/// Runs `f` in the per-change context `cxt`, then frees everything it allocated there.
pub fn in_change_memory<T>(cxt: pg_sys::MemoryContext, f: impl FnOnce() -> T) -> T {
    // SAFETY: `cxt` is the session's live per-change context; the caller's context is
    // restored before the reset, so nothing of the caller's is freed.
    let old = unsafe { pg_sys::MemoryContextSwitchTo(cxt) };
    let r = f();
    // SAFETY: as above.
    unsafe {
        pg_sys::MemoryContextSwitchTo(old);
        pg_sys::MemoryContextReset(cxt);
    }
    r
}

/// A memory context owned by a Rust value: deleted when the value is dropped, unless
/// PostgreSQL already deleted it with its parent, which the context reports to its owner
/// through a reset callback (so no flag stands in for ownership).
pub struct OwnedContext {
    /// Null once the context is gone; boxed so the callback's pointer to it stays valid.
    cxt: Box<Cell<pg_sys::MemoryContext>>,
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn context_gone(arg: *mut std::ffi::c_void) {
    // SAFETY: `arg` is the owner's boxed cell, alive while the context is (the owner deletes
    // the context before it frees the cell).
    unsafe { (*arg.cast::<Cell<pg_sys::MemoryContext>>()).set(std::ptr::null_mut()) }
}

impl OwnedContext {
    /// A new context under `parent`, named `name`.
    pub fn new(parent: pg_sys::MemoryContext, name: &'static std::ffi::CStr) -> Self {
        // SAFETY: `parent` is a live context (the caller's); sizes are AllocSet's small
        // defaults; the callback struct lives in the new context, as long as it does.
        unsafe {
            let cxt = pg_sys::AllocSetContextCreateInternal(
                parent,
                name.as_ptr(),
                0,
                1024,
                8 * 1024 * 1024,
            );
            let owned = OwnedContext {
                cxt: Box::new(Cell::new(cxt)),
            };
            let cb = pg_sys::MemoryContextAllocZero(
                cxt,
                std::mem::size_of::<pg_sys::MemoryContextCallback>(),
            )
            .cast::<pg_sys::MemoryContextCallback>();
            (*cb).func = Some(context_gone);
            (*cb).arg = std::ptr::from_ref::<Cell<_>>(&owned.cxt).cast_mut().cast();
            pg_sys::MemoryContextRegisterResetCallback(cxt, cb);
            owned
        }
    }

    /// The context (valid while this value lives and its parent does). It must not be reset:
    /// a reset reports it gone; reset a [`child`](Self::child) instead.
    pub fn get(&self) -> pg_sys::MemoryContext {
        self.cxt.get()
    }

    /// A new child context, which may be reset freely and is deleted with this one.
    pub fn child(&self, name: &'static std::ffi::CStr) -> pg_sys::MemoryContext {
        // SAFETY: this context is live (owned by `self`); AllocSet's small defaults.
        unsafe {
            pg_sys::AllocSetContextCreateInternal(
                self.get(),
                name.as_ptr(),
                0,
                1024,
                8 * 1024 * 1024,
            )
        }
    }
}

impl Drop for OwnedContext {
    fn drop(&mut self) {
        let cxt = self.cxt.get();
        if !cxt.is_null() {
            // SAFETY: the context still exists (its callback has not fired) and nothing else
            // deletes it.
            unsafe { pg_sys::MemoryContextDelete(cxt) }
        }
    }
}
