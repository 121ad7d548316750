//! [`Out`] on PostgreSQL's output `StringInfo`: events are encoded straight into `ctx->out`.

use cedar_cdc_core::out::Out;
use pgrx::pg_sys;

/// The decoding context's output buffer.
pub struct StringInfoOut(pub pg_sys::StringInfo);

impl Out for StringInfoOut {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        // SAFETY: `self.0` is the live `ctx->out` of the current callback; we keep the
        // StringInfo invariants (len < maxlen, data[len] == '\0'). enlargeStringInfo raises
        // an ERROR (not UB) past 1 GB.
        unsafe {
            let si = &mut *self.0;
            let len = si.len as usize;
            if len + bytes.len() >= si.maxlen as usize {
                pg_sys::enlargeStringInfo(self.0, bytes.len() as i32);
            }
            let si = &mut *self.0;
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), si.data.add(len).cast(), bytes.len());
            si.len += bytes.len() as i32;
            *si.data.add(si.len as usize) = 0;
        }
    }
}
