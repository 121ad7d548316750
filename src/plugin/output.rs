//! [`Out`] on PostgreSQL's output `StringInfo`: events are encoded straight into `ctx->out`.
//!
//! A message can hold at most `MaxAllocSize` (1 GB - 1) bytes. Rather than let
//! `enlargeStringInfo` fail with a bare "out of memory", the sink knows what it is writing and
//! raises an ERROR that names it (the table and key of a change event).

use cedar_cdc_core::encode::out::Out;
use cedar_cdc_core::error::{Error, ErrorCode};
use pgrx::pg_sys;

/// PostgreSQL's `MaxAllocSize`: no `StringInfo` grows past it.
pub const MAX_ALLOC_SIZE: usize = 0x3fff_ffff;

/// The decoding context's output buffer, and what is being written into it.
pub struct StringInfoOut<'w> {
    si: pg_sys::StringInfo,
    /// Describes the message for the error when it would pass `MaxAllocSize`.
    what: &'w dyn Fn() -> String,
}

impl<'w> StringInfoOut<'w> {
    /// # Safety
    /// `si` must be the live `ctx->out` of the running callback, between
    /// `OutputPluginPrepareWrite` and `OutputPluginWrite`.
    pub unsafe fn new(si: pg_sys::StringInfo, what: &'w dyn Fn() -> String) -> Self {
        StringInfoOut { si, what }
    }

    /// Makes room for `n` more bytes (and the terminating NUL), or raises an ERROR naming the
    /// message when that would pass `MaxAllocSize`.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        // SAFETY: `self.si` is the live `ctx->out` (see `new`).
        let len = unsafe { (*self.si).len } as usize;
        // enlargeStringInfo's own test, made before it could fail without saying what.
        if n >= MAX_ALLOC_SIZE - len {
            crate::error::raise(too_large(&(self.what)(), len + n));
        }
        // SAFETY: as above; `n` < MaxAllocSize fits the `int` argument.
        unsafe { pg_sys::enlargeStringInfo(self.si, n as i32) }
    }
}

/// The error for a message that cannot be sent.
fn too_large(what: &str, needed: usize) -> Error {
    Error::new(
        ErrorCode::ProgramLimitExceeded,
        format!("{what} is larger than 1 GB, the most a PostgreSQL message can hold"),
    )
    .detail(format!(
        "It needs at least {needed} bytes; the limit is {MAX_ALLOC_SIZE}."
    ))
    .hint("Leave the large columns out (column.exclude.list), truncate them (column.truncate.to.<N>.chars), or set schemas.enable=false or binary.handling.mode=base64.")
}

impl Out for StringInfoOut<'_> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        // SAFETY: `self.si` is the live `ctx->out` of the current callback; we keep the
        // StringInfo invariants (len < maxlen, data[len] == '\0'); `grow` makes room or raises.
        unsafe {
            let (len, max) = ((*self.si).len as usize, (*self.si).maxlen as usize);
            if len + bytes.len() >= max {
                self.grow(bytes.len());
            }
            let si = &mut *self.si;
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

/// A sink that keeps the first `limit` bytes: a key or prefix quoted in an error message.
pub struct Excerpt {
    buf: Vec<u8>,
    limit: usize,
    cut: bool,
}

impl Excerpt {
    pub fn new(limit: usize) -> Self {
        Excerpt {
            buf: Vec::new(),
            limit,
            cut: false,
        }
    }

    /// The text kept, with "..." when more was written.
    pub fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.buf).into_owned();
        if self.cut {
            s.push_str("...");
        }
        s
    }
}

impl Out for Excerpt {
    fn put(&mut self, bytes: &[u8]) {
        let room = self.limit - self.buf.len();
        if bytes.len() > room {
            self.cut = true;
        }
        self.buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}
