//! The only module with `unsafe`: a thin safe wrapper over libpq (pq-sys).
//!
//! libpq does the connection (TLS, authentication, `.pgpass`, `PG*` variables), the queries
//! and the COPY BOTH sub-protocol; the relay only reads and writes the replication CopyData
//! messages it hands over ([`crate::protocol`]).

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::ptr::NonNull;

use pq_sys as pq;

/// An error reported by libpq or the server.
#[derive(Debug, Clone)]
pub struct PgError {
    /// The server's SQLSTATE, when the server sent the error.
    pub sqlstate: Option<String>,
    pub message: String,
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message.trim_end())?;
        if let Some(s) = &self.sqlstate {
            write!(f, " (SQLSTATE {s})")?;
        }
        Ok(())
    }
}

fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: libpq returns NUL-terminated strings that live until the next call on the
    // connection or result; they are copied at once.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn cstring(s: &str, what: &str) -> Result<CString, PgError> {
    CString::new(s).map_err(|_| PgError {
        sqlstate: None,
        message: format!("{what} contains a NUL byte"),
    })
}

/// One libpq connection.
pub struct Conn {
    conn: NonNull<pq::PGconn>,
}

// SAFETY: a PGconn is used from one thread at a time; `Conn` is only moved, never shared.
unsafe impl Send for Conn {}

/// What `get_copy_data` found.
pub enum Copy {
    /// One CopyData message.
    Data(CopyBuf),
    /// Nothing buffered: wait for the socket.
    WouldBlock,
    /// The server ended the COPY.
    Done,
}

/// A CopyData message in libpq's buffer, freed on drop.
pub struct CopyBuf {
    ptr: NonNull<c_char>,
    len: usize,
}

impl std::ops::Deref for CopyBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: libpq allocated `len` bytes at `ptr` for this message; freed only on drop.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast(), self.len) }
    }
}

impl Drop for CopyBuf {
    fn drop(&mut self) {
        // SAFETY: the buffer PQgetCopyData returned, freed once.
        unsafe { pq::PQfreemem(self.ptr.as_ptr().cast()) }
    }
}

/// An owned PGresult.
struct Res(NonNull<pq::PGresult>);

impl Drop for Res {
    fn drop(&mut self) {
        // SAFETY: a result libpq returned, cleared once.
        unsafe { pq::PQclear(self.0.as_ptr()) }
    }
}

impl Res {
    fn status(&self) -> pq::ExecStatusType {
        // SAFETY: a live result.
        unsafe { pq::PQresultStatus(self.0.as_ptr()) }
    }

    fn error(&self) -> PgError {
        // SAFETY: a live result; the field and message strings are copied at once.
        let (state, msg) = unsafe {
            (
                pq::PQresultErrorField(self.0.as_ptr(), pq::PG_DIAG_SQLSTATE as c_int),
                pq::PQresultErrorMessage(self.0.as_ptr()),
            )
        };
        let sqlstate = (!state.is_null()).then(|| text(state));
        PgError {
            sqlstate,
            message: text(msg),
        }
    }

    fn rows(&self) -> Vec<Vec<Option<String>>> {
        // SAFETY: a live result; indexes stay within PQntuples × PQnfields.
        unsafe {
            let r = self.0.as_ptr();
            let (n, f) = (pq::PQntuples(r), pq::PQnfields(r));
            (0..n)
                .map(|i| {
                    (0..f)
                        .map(|j| {
                            (pq::PQgetisnull(r, i, j) == 0).then(|| text(pq::PQgetvalue(r, i, j)))
                        })
                        .collect()
                })
                .collect()
        }
    }
}

impl Conn {
    /// Connects with a libpq connection string; `replication` adds `replication=database`.
    pub fn connect(conninfo: &str, replication: bool) -> Result<Conn, PgError> {
        let mut keys = vec![c"dbname", c"fallback_application_name"];
        let info = cstring(conninfo, "the connection string")?;
        let mut vals: Vec<&CStr> = vec![&info, c"cedar-cdc-relay"];
        if replication {
            keys.push(c"replication");
            vals.push(c"database");
        }
        let kp: Vec<*const c_char> = keys
            .iter()
            .map(|k| k.as_ptr())
            .chain([std::ptr::null()])
            .collect();
        let vp: Vec<*const c_char> = vals
            .iter()
            .map(|v| v.as_ptr())
            .chain([std::ptr::null()])
            .collect();
        // SAFETY: NULL-terminated arrays of NUL-terminated strings, alive for the call;
        // expand_dbname=1 parses the first dbname as a connection string.
        let raw = unsafe { pq::PQconnectdbParams(kp.as_ptr(), vp.as_ptr(), 1) };
        let conn = NonNull::new(raw).ok_or_else(|| PgError {
            sqlstate: None,
            message: "out of memory allocating a libpq connection".into(),
        })?;
        let c = Conn { conn };
        // SAFETY: a live connection.
        if unsafe { pq::PQstatus(c.conn.as_ptr()) } != pq::ConnStatusType::CONNECTION_OK {
            return Err(c.error());
        }
        Ok(c)
    }

    fn error(&self) -> PgError {
        // SAFETY: a live connection; the message is copied at once.
        let msg = text(unsafe { pq::PQerrorMessage(self.conn.as_ptr()) });
        PgError {
            sqlstate: None,
            message: msg,
        }
    }

    fn exec_raw(&mut self, sql: &str) -> Result<Res, PgError> {
        let q = cstring(sql, "the command")?;
        // SAFETY: a live connection and a NUL-terminated command.
        let r = unsafe { pq::PQexec(self.conn.as_ptr(), q.as_ptr()) };
        NonNull::new(r).map(Res).ok_or_else(|| self.error())
    }

    /// Runs a command or query; returns its rows (none for a command).
    pub fn exec(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, PgError> {
        let r = self.exec_raw(sql)?;
        match r.status() {
            pq::ExecStatusType::PGRES_TUPLES_OK => Ok(r.rows()),
            pq::ExecStatusType::PGRES_COMMAND_OK => Ok(Vec::new()),
            _ => Err(r.error()),
        }
    }

    /// Runs a query whose first column comes back in binary, one row at a time (single-row
    /// mode): `row` gets each value (`None` for NULL) as it arrives, so a result of any size
    /// never sits in memory. Not on a replication connection (it has no extended protocol).
    /// The outer error is the server's; the inner one is `row`'s, which stops the reading
    /// and leaves the connection busy: drop it then.
    pub fn stream_rows<E>(
        &mut self,
        sql: &str,
        mut row: impl FnMut(Option<&[u8]>) -> Result<(), E>,
    ) -> Result<Result<u64, E>, PgError> {
        let q = cstring(sql, "the query")?;
        let conn = self.conn.as_ptr();
        // SAFETY: a live connection and a NUL-terminated query; no parameters; binary results.
        let sent = unsafe {
            pq::PQsendQueryParams(
                conn,
                q.as_ptr(),
                0,
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                1,
            ) == 1
                && pq::PQsetSingleRowMode(conn) == 1
        };
        if !sent {
            return Err(self.error());
        }
        let mut n = 0u64;
        let mut failed: Option<PgError> = None;
        // SAFETY: a live connection; each result is cleared by `Res`; the value is read while
        // its result lives.
        while let Some(r) = NonNull::new(unsafe { pq::PQgetResult(conn) }) {
            let r = Res(r);
            match r.status() {
                pq::ExecStatusType::PGRES_SINGLE_TUPLE if failed.is_none() => {
                    let p = r.0.as_ptr();
                    // SAFETY: row 0, column 0 of a single-row result; the slice lives as
                    // long as `r`, which outlives the call of `row`.
                    let v = unsafe {
                        (pq::PQgetisnull(p, 0, 0) == 0).then(|| {
                            std::slice::from_raw_parts(
                                pq::PQgetvalue(p, 0, 0).cast::<u8>(),
                                pq::PQgetlength(p, 0, 0) as usize,
                            )
                        })
                    };
                    n += 1;
                    if let Err(e) = row(v) {
                        return Ok(Err(e));
                    }
                }
                pq::ExecStatusType::PGRES_SINGLE_TUPLE | pq::ExecStatusType::PGRES_TUPLES_OK => {}
                _ => {
                    failed.get_or_insert_with(|| r.error());
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(Ok(n)),
        }
    }

    /// Sends a command that starts COPY BOTH (`START_REPLICATION`).
    pub fn start_copy_both(&mut self, sql: &str) -> Result<(), PgError> {
        let r = self.exec_raw(sql)?;
        if r.status() == pq::ExecStatusType::PGRES_COPY_BOTH {
            Ok(())
        } else {
            Err(r.error())
        }
    }

    /// Quotes a string as an SQL literal.
    pub fn literal(&mut self, s: &str) -> Result<String, PgError> {
        self.escape(s, true)
    }

    /// Quotes a string as an SQL identifier.
    pub fn ident(&mut self, s: &str) -> Result<String, PgError> {
        self.escape(s, false)
    }

    fn escape(&mut self, s: &str, literal: bool) -> Result<String, PgError> {
        let conn = self.conn.as_ptr();
        // SAFETY: a live connection and `s.len()` readable bytes; the result is copied and
        // freed with PQfreemem.
        unsafe {
            let f = if literal {
                pq::PQescapeLiteral
            } else {
                pq::PQescapeIdentifier
            };
            let p = f(conn, s.as_ptr().cast(), s.len());
            if p.is_null() {
                return Err(self.error());
            }
            let out = text(p);
            pq::PQfreemem(p.cast());
            Ok(out)
        }
    }

    /// Reads what the socket has (call when it is readable).
    pub fn consume_input(&mut self) -> Result<(), PgError> {
        // SAFETY: a live connection.
        if unsafe { pq::PQconsumeInput(self.conn.as_ptr()) } == 0 {
            return Err(self.error());
        }
        Ok(())
    }

    /// The next CopyData message, without blocking.
    pub fn get_copy_data(&mut self) -> Result<Copy, PgError> {
        let mut buf: *mut c_char = std::ptr::null_mut();
        // SAFETY: a live connection in COPY BOTH; libpq sets `buf` to a malloc'd message.
        let n = unsafe { pq::PQgetCopyData(self.conn.as_ptr(), &mut buf, 1) };
        match n {
            0 => Ok(Copy::WouldBlock),
            -1 => {
                // The COPY ended: the final result says why.
                // SAFETY: a live connection; each result is cleared by `Res`.
                while let Some(r) = NonNull::new(unsafe { pq::PQgetResult(self.conn.as_ptr()) }) {
                    let r = Res(r);
                    if !matches!(
                        r.status(),
                        pq::ExecStatusType::PGRES_COMMAND_OK | pq::ExecStatusType::PGRES_COPY_BOTH
                    ) {
                        return Err(r.error());
                    }
                }
                Ok(Copy::Done)
            }
            n if n > 0 => match NonNull::new(buf) {
                Some(ptr) => Ok(Copy::Data(CopyBuf {
                    ptr,
                    len: n as usize,
                })),
                None => Err(self.error()),
            },
            _ => Err(self.error()),
        }
    }

    /// Queues one CopyData message and flushes.
    pub fn put_copy_data(&mut self, msg: &[u8]) -> Result<(), PgError> {
        // SAFETY: a live connection in COPY BOTH and `msg.len()` readable bytes.
        let ok = unsafe {
            pq::PQputCopyData(self.conn.as_ptr(), msg.as_ptr().cast(), msg.len() as c_int) == 1
                && pq::PQflush(self.conn.as_ptr()) == 0
        };
        if ok {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// Ends our side of the COPY.
    pub fn put_copy_end(&mut self) -> Result<(), PgError> {
        // SAFETY: a live connection in COPY BOTH.
        let ok = unsafe {
            pq::PQputCopyEnd(self.conn.as_ptr(), std::ptr::null()) == 1
                && pq::PQflush(self.conn.as_ptr()) == 0
        };
        if ok {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// Waits up to `timeout_ms` for the socket to be readable; true when it is.
    pub fn wait_readable(&self, timeout_ms: i32) -> bool {
        // SAFETY: a live connection.
        let fd = unsafe { pq::PQsocket(self.conn.as_ptr()) };
        if fd < 0 {
            return true; // let the next read report the broken connection
        }
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        n != 0
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // SAFETY: the connection is finished once.
        unsafe { pq::PQfinish(self.conn.as_ptr()) }
    }
}
