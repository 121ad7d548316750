//! The SQL functions written in Rust: `version()`, `options()`, the Debezium configuration
//! import (`from_debezium*`), and the native pieces of the SQL helpers in `sql/helpers.sql`
//! (what plpgsql cannot do safely).

use std::ffi::CString;

use cedar_cdc_core::config::debezium_import::Import;
use cedar_cdc_core::error::{Error, ErrorCode};
use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::error::OrRaise;

/// The version of the installed cedar_cdc library.
#[pg_extern(immutable, parallel_safe)]
pub fn version() -> &'static str {
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

/// A Debezium configuration (Kafka Connect JSON, Debezium Server or plain properties), each
/// property with its verdict: a cedar_cdc option, the connection, not applicable, unsupported
/// or unknown. Secrets come back as NULL.
#[pg_extern(immutable, parallel_safe)]
fn from_debezium(
    config: &str,
) -> TableIterator<
    'static,
    (
        name!(property, String),
        name!(value, Option<String>),
        name!(verdict, &'static str),
        name!(detail, String),
    ),
> {
    let imp = Import::new(config).or_raise();
    TableIterator::new(
        imp.properties
            .into_iter()
            .map(|p| (p.name, p.value, p.verdict.as_str(), p.detail)),
    )
}

/// The cedar_cdc options of a Debezium configuration as name, value pairs, ready for
/// `get_changes(…, VARIADIC <this>)`.
#[pg_extern(immutable, parallel_safe)]
fn from_debezium_options(config: &str) -> Vec<String> {
    Import::new(config)
        .or_raise()
        .options
        .into_iter()
        .flat_map(|(n, v)| [n, v])
        .collect()
}

/// The `pg_recvlogical` command that streams a Debezium configuration's slot with its options.
#[pg_extern(immutable, parallel_safe)]
fn from_debezium_command(config: &str) -> String {
    Import::new(config).or_raise().command()
}

fn bad_row_filter(why: impl Into<String>) -> Error {
    Error::new(
        ErrorCode::InvalidParameterValue,
        format!("invalid row filter: {}", why.into()),
    )
    .hint("A row filter is one boolean expression over the table's columns, such as: l_quantity > 10 AND l_shipmode = 'AIR'.")
}

/// The row filter `expr`, checked to be exactly one expression and parenthesized, ready for
/// `ALTER PUBLICATION … ADD TABLE … WHERE <this>`. Anything else (a second statement, a
/// clause, an unbalanced parenthesis, an open comment) is rejected, so the text cannot
/// change the statement it is placed in.
#[pg_extern(immutable, parallel_safe, name = "_row_filter_sql")]
fn row_filter_sql(expr: &str) -> String {
    one_expression(expr, |w| bad_row_filter(w.as_str()))
}

/// `expr`, checked to be exactly one expression and parenthesized; `bad` says why not. Used
/// for row filters and for an on-demand snapshot's `where` condition.
pub(crate) fn one_expression(
    expr: &str,
    bad_row_filter: fn(String) -> cedar_cdc_core::error::Error,
) -> String {
    let sql = CString::new(format!("SELECT {expr}"))
        .unwrap_or_else(|_| crate::error::raise(bad_row_filter("it contains a NUL byte".into())));
    // A syntax error is the parser's own ERROR; catch it to say what was being parsed.
    // SAFETY: parses a NUL-terminated statement in the current memory context.
    let single = PgTryBuilder::new(|| unsafe { single_expression(&sql) })
        .catch_others(|e| match e {
            pg_sys::panic::CaughtError::PostgresError(r)
            | pg_sys::panic::CaughtError::ErrorReport(r)
            | pg_sys::panic::CaughtError::RustPanic { ereport: r, .. } => {
                crate::error::raise(bad_row_filter(r.message().to_string()))
            }
        })
        .execute();
    if !single {
        crate::error::raise(bad_row_filter(
            "it must be a single expression, with no other clause or statement".into(),
        ));
    }
    // The newline ends a trailing `--` comment before the closing parenthesis.
    format!("({expr}\n)")
}

/// Whether `sql` (`SELECT <expr>`) parses as one SELECT of exactly one unnamed expression.
///
/// # Safety
/// Calls the raw parser, which may raise an ERROR.
unsafe fn single_expression(sql: &CString) -> bool {
    // SAFETY: the raw parser returns NIL or a list of RawStmt nodes, each with a valid
    // statement node; only node tags and fields of the tagged types are read.
    unsafe {
        let stmts = crate::plugin::raw_parse(sql);
        if stmts.is_null() || (*stmts).length != 1 {
            return false;
        }
        let raw = (*(*stmts).elements).ptr_value.cast::<pg_sys::RawStmt>();
        let s = (*raw).stmt.cast::<pg_sys::SelectStmt>();
        if s.is_null() || (*s).type_ != pg_sys::NodeTag::T_SelectStmt {
            return false;
        }
        let s = &*s;
        let no_clauses = s.distinctClause.is_null()
            && s.intoClause.is_null()
            && s.fromClause.is_null()
            && s.whereClause.is_null()
            && s.groupClause.is_null()
            && s.havingClause.is_null()
            && s.windowClause.is_null()
            && s.valuesLists.is_null()
            && s.sortClause.is_null()
            && s.limitOffset.is_null()
            && s.limitCount.is_null()
            && s.lockingClause.is_null()
            && s.withClause.is_null()
            && s.op == pg_sys::SetOperation::SETOP_NONE;
        if !no_clauses || s.targetList.is_null() || (*s.targetList).length != 1 {
            return false;
        }
        let target = (*(*s.targetList).elements)
            .ptr_value
            .cast::<pg_sys::ResTarget>();
        (*target).type_ == pg_sys::NodeTag::T_ResTarget
            && (*target).name.is_null()
            && (*target).indirection.is_null()
    }
}

/// Whether the caller is inside `BEGIN … COMMIT`, where a procedure cannot commit.
#[pg_extern(volatile, parallel_restricted, name = "_in_transaction_block")]
fn in_transaction_block() -> bool {
    // SAFETY: reads backend-local transaction state.
    unsafe { pg_sys::IsTransactionBlock() }
}

pgrx::extension_sql_file!("../sql/helpers.sql", name = "helpers", finalize);
