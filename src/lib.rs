//! cedar_cdc: a logical decoding output plugin that emits Debezium-format JSON.
//!
//! This crate is the only place with `unsafe`: it adapts PostgreSQL to the pure core crate
//! `cedar_cdc_core`, which holds the options, filters and Debezium encoding.

mod error;
mod plugin;

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

pgrx::extension_sql!(
    r#"COMMENT ON SCHEMA cedar_cdc IS 'cedar_cdc: Debezium-format change events from logical decoding';"#,
    name = "schema_comment"
);

/// The version of the installed cedar_cdc library.
#[pg_extern(immutable, parallel_safe)]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn reports_its_version() {
        assert_eq!(crate::version(), env!("CARGO_PKG_VERSION"));
    }
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec!["wal_level = logical"]
    }
}
