//! Plugin state, split as pgoutput splits it: what lives for the decoding session
//! ([`Session`], like `PGOutputData`) and what lives for one transaction ([`TxnState`], like
//! `PGOutputTxnData`), and the decoding context they are written through.
//!
//! The state hangs off `ctx->output_plugin_private` and is freed by a reset callback on
//! `ctx->context`, because PostgreSQL skips `shutdown_cb` when a SQL decoding call fails.

use cedar_cdc_core::event::{self, TxMeta, Txn};
use pgrx::pg_sys;

use super::output::StringInfoOut;
use super::relcache::RelCache;
use super::tuple::TupleBuf;

/// Everything of one decoding session.
pub struct State {
    pub session: Session,
    pub txn: TxnState,
}

/// What lives as long as the decoding session.
pub struct Session {
    /// Options and the constant parts of every record.
    pub dbz: event::Session,
    pub rels: RelCache,
    /// Per-change memory, reset after every change.
    pub change_cxt: pg_sys::MemoryContext,
    /// What the last transaction Debezium saw leaves to the next.
    pub last: LastCommit,
    /// Reused between changes: the deformed rows and the record scratch buffer.
    pub new: TupleBuf,
    pub old: TupleBuf,
    pub scratch: Vec<u8>,
    /// The options as an on-demand snapshot's chunks are planned with (made on first use).
    pub snap_cfg: Option<cedar_cdc_core::config::Config>,
}

/// Facts of the last transaction Debezium saw.
#[derive(Default)]
pub struct LastCommit {
    /// Its end LSN, or a later non-transactional message's LSN (Debezium's `sequence[0]`).
    pub lsn: Option<u64>,
    /// Its commit time, which non-transactional messages keep.
    pub time: i64,
    /// Its origin and origin LSN: Debezium clears them only at BEGIN, so non-transactional
    /// messages keep them too.
    pub origin: Option<String>,
    pub origin_lsn: Option<u64>,
}

/// What lives for the transaction being decoded.
#[derive(Default)]
pub struct TxnState {
    pub txn: Txn,
    /// The BEGIN record was written.
    pub began: bool,
    /// Left out whole by the `origin` option.
    pub skip: bool,
    /// Holds something pgoutput would send, so Debezium sees the transaction.
    pub visible: bool,
    pub meta: TxMeta,
    /// Messages written.
    pub emitted: u64,
}

/// The decoding context of the current callback.
#[derive(Clone, Copy)]
pub struct Ctx(*mut pg_sys::LogicalDecodingContext);

impl Ctx {
    /// # Safety
    /// `ctx` is the decoding context PostgreSQL passed to the running callback.
    pub unsafe fn from_raw(ctx: *mut pg_sys::LogicalDecodingContext) -> Self {
        Ctx(ctx)
    }

    pub fn as_ptr(self) -> *mut pg_sys::LogicalDecodingContext {
        self.0
    }

    /// The plugin state that `startup` stored.
    ///
    /// # Safety
    /// No other reference to the state may be alive (each callback takes it once).
    pub unsafe fn state<'a>(self) -> &'a mut State {
        // SAFETY: startup stored a leaked `Box<State>` here, freed only with the context;
        // the caller holds the only reference.
        unsafe { &mut *(*self.0).output_plugin_private.cast::<State>() }
    }

    /// Writes one output message, encoded straight into `ctx->out`. `what` names it in the
    /// ERROR raised when it would pass PostgreSQL's 1 GB message limit.
    pub fn write(self, what: &dyn Fn() -> String, f: impl FnOnce(&mut StringInfoOut)) {
        // SAFETY: a decoding context inside its callback, which may write messages; `out` is
        // its live output buffer until OutputPluginWrite hands it over.
        unsafe {
            pg_sys::OutputPluginPrepareWrite(self.0, true);
            f(&mut StringInfoOut::new((*self.0).out, what));
            pg_sys::OutputPluginWrite(self.0, true);
        }
    }
}

impl TxnState {
    /// Applies a change's gate: once pgoutput sends a change Debezium sees its transaction
    /// (BEGIN, position); true when Debezium writes events for it.
    pub fn pass(
        &mut self,
        gate: event::Gate,
        ctx: Ctx,
        dbz: &event::Session,
        lsn: u64,
        scratch: &mut Vec<u8>,
    ) -> bool {
        if gate == event::Gate::Unsent {
            return false;
        }
        self.ensure_begin(ctx, dbz, lsn, scratch);
        gate == event::Gate::Decode
    }

    /// Marks the transaction seen by Debezium and, with `provide.transaction.metadata`,
    /// writes its BEGIN record before its first event. pgoutput sends BEGIN lazily, with the
    /// position of the first change it sends, which becomes the BEGIN record's id.
    pub fn ensure_begin(
        &mut self,
        ctx: Ctx,
        dbz: &event::Session,
        lsn: u64,
        scratch: &mut Vec<u8>,
    ) {
        self.visible = true;
        if self.began || !dbz.cfg.provide_transaction_metadata {
            return;
        }
        self.began = true;
        let xid = self.txn.xid.unwrap_or(0);
        ctx.write(&|| format!("BEGIN record of transaction {xid}"), |o| {
            dbz.write_begin(o, &self.txn, lsn, scratch)
        });
        self.emitted += 1;
    }
}
