//! The logical decoding output plugin: PostgreSQL's callbacks ([`callbacks`]) over the
//! session and transaction state ([`state`]) and the relation cache ([`relcache`]), which
//! reads the catalog ([`catalog`]) and the publications ([`publication`]) once per relation.
//! Memory contexts are owned in [`memory`]; everything that differs between PostgreSQL
//! majors is in [`compat`]. The snapshot (`crate::snapshot`) plans and reads rows with the
//! same catalog, publication and tuple code.

mod callbacks;
pub(crate) mod catalog;
pub(crate) mod compat;
mod incremental;
pub(crate) mod memory;
mod origin;
mod output;
pub(crate) mod publication;
mod relcache;
mod rowfilter;
mod state;
pub(crate) mod tuple;

pub use compat::raw_parse;

use pgrx::pg_sys;
use pgrx::prelude::*;

/// The plugin's entry point, looked up by name when a slot uses `cedar_cdc`.
#[pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn _PG_output_plugin_init(cb: *mut pg_sys::OutputPluginCallbacks) {
    // SAFETY: PostgreSQL passes the callbacks struct to fill in.
    callbacks::install(unsafe { &mut *cb });
}
