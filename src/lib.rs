//! cedar_cdc: a logical decoding output plugin that emits Debezium-format JSON.
//!
//! This crate is the only one allowed `unsafe`, and it stays thin: it turns PostgreSQL
//! structures into the plain values of the pure core crate `cedar_cdc_core` (options, filters,
//! plans, event decisions and the Debezium encoding) and writes what the core encodes.
//! Every unsafe operation sits in an explicit block with a `// SAFETY:` line.
#![allow(unsafe_code)]

mod error;
mod incremental;
mod plugin;
mod snapshot;
mod sql_api;

::pgrx::pg_module_magic!(name, version);

pgrx::extension_sql!(
    r#"COMMENT ON SCHEMA cedar_cdc IS 'cedar_cdc: Debezium-format change events from logical decoding';"#,
    name = "schema_comment"
);

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn reports_its_version() {
        assert_eq!(crate::sql_api::version(), env!("CARGO_PKG_VERSION"));
    }

    #[pg_test]
    fn lists_its_options() {
        let n = Spi::get_one::<i64>(
            "SELECT count(*) FROM cedar_cdc.options() WHERE name IN ('topic.prefix', 'schemas.enable')",
        );
        assert_eq!(n, Ok(Some(2)));
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
