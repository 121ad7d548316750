//! cedar_cdc's pure core: everything that does not need a PostgreSQL server.
//!
//! The modules follow the path of a change through the plugin:
//! - [`config`]: the slot's options, table/column/message filters and column mappers;
//! - [`plan`]: what is decided once per table: column types, Connect schemas, defaults, keys;
//! - [`encode`]: writing values as Debezium's JSON (Java number and time formatting, decimals,
//!   bits, hstore, base64) into any [`Out`] sink;
//! - [`event`]: which events a change yields (`event::emit`) and the records that carry them.
//!
//! The extension crate turns PostgreSQL structures into the plain values defined here and
//! hands them over; nothing here can touch a server, so all of it is unit-tested.
#![forbid(unsafe_code)]

pub mod config;
pub mod encode;
pub mod error;
pub mod event;
pub mod plan;

pub use config::Config;
pub use encode::out::Out;
pub use error::{Error, ErrorCode};
