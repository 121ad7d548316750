//! cedar_cdc's pure core: everything that does not need a PostgreSQL server.
//!
//! Options, filters, the Kafka Connect schema model and the Debezium encoding of values and
//! events live here and are unit-tested without a server. The extension crate turns PostgreSQL
//! structures into the plain values defined here and hands them over.
#![forbid(unsafe_code)]

pub mod base64;
pub mod bits;
pub mod decimal;
pub mod defaults;
pub mod error;
pub mod event;
pub mod filters;
pub mod hstore;
pub mod javafmt;
pub mod javamap;
pub mod json;
pub mod mappers;
pub mod md5;
pub mod options;
pub mod out;
pub mod regexlist;
pub mod schema;
pub mod table;
pub mod temporal;
pub mod types;
