//! Writing Debezium's JSON: the output sink, JSON strings, Java's number and time formatting,
//! decimals (from numeric's on-disk digits), bits, hstore and base64. Nothing here knows a
//! table: [`crate::plan`] builds on it.

pub mod base64;
pub mod bits;
pub mod decimal;
pub mod frame;
pub mod hstore;
pub mod javafmt;
pub mod javamap;
pub mod json;
pub mod out;
pub mod temporal;
