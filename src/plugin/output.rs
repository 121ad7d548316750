//! [`Out`] on PostgreSQL's output `StringInfo`: events are encoded straight into `ctx->out`.

use cedar_cdc_core::encode::out::Out;
use pgrx::pg_sys;

/// The decoding context's output buffer.
pub struct StringInfoOut(pg_sys::StringInfo);

impl StringInfoOut {
    /// # Safety
    /// `si` must be the live `ctx->out` of the running callback, between
    /// `OutputPluginPrepareWrite` and `OutputPluginWrite`.
    pub unsafe fn new(si: pg_sys::StringInfo) -> Self {
        StringInfoOut(si)
    }

    /// Makes room for `n` more bytes (and the terminating NUL). Raises an ERROR, not UB,
    /// past 1 GB.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        // SAFETY: `self.0` is the live `ctx->out` (see `new`).
        unsafe { pg_sys::enlargeStringInfo(self.0, n as i32) }
    }
}

impl Out for StringInfoOut {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        // SAFETY: `self.0` is the live `ctx->out` of the current callback; we keep the
        // StringInfo invariants (len < maxlen, data[len] == '\0').
        unsafe {
            let (len, max) = ((*self.0).len as usize, (*self.0).maxlen as usize);
            if len + bytes.len() >= max {
                self.grow(bytes.len());
            }
            let si = &mut *self.0;
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), si.data.add(len).cast(), bytes.len());
            si.len += bytes.len() as i32;
            *si.data.add(si.len as usize) = 0;
        }
    }

    #[inline(always)]
    fn put_u8(&mut self, b: u8) {
        self.put(&[b]);
    }
}
