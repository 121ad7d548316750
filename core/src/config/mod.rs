//! What a slot is asked to do: its options, and the filters and mappers they configure.

pub mod debezium_import;
pub mod filters;
pub mod mappers;
mod options;
pub mod regexlist;
pub mod transforms;

pub use options::*;
