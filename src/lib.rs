//! cedar_cdc: a logical decoding output plugin that emits Debezium-format JSON.
//!
//! This crate is the only place with `unsafe`: it adapts PostgreSQL to the pure core crate
//! `cedar_cdc_core`, which holds the options, filters and Debezium encoding.

mod error;
mod helpers;
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

/// The plugin's options: name, default and meaning.
#[pg_extern(immutable, parallel_safe)]
fn options() -> TableIterator<
    'static,
    (
        name!(name, &'static str),
        name!(default_value, &'static str),
        name!(description, &'static str),
    ),
> {
    TableIterator::new(
        cedar_cdc_core::config::OPTIONS
            .iter()
            .map(|o| (o.name, o.default, o.description)),
    )
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn reports_its_version() {
        assert_eq!(crate::version(), env!("CARGO_PKG_VERSION"));
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
