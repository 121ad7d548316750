//! `Config::parse` over arbitrary option lists: names drawn from the real options (and
//! mangled versions of their patterns), values arbitrary or drawn from valid ones.
//!
//! Invariants: no panic; an error is 22023, 42704 or 2201B and its message quotes one of the given
//! names; a list with a repeated name is an error; an accepted configuration yields valid
//! JSON records (heartbeat, message) whatever its prefixes.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use cedar_cdc_core::config::{self, Config};
use cedar_cdc_core::error::ErrorCode;
use cedar_cdc_core::event::{At, Session, Txn};
use cedar_cdc_fuzz::{json, json_str};
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "topic.prefix",
    "schemas.enable",
    "decimal.handling.mode",
    "binary.handling.mode",
    "time.precision.mode",
    "interval.handling.mode",
    "hstore.handling.mode",
    "money.fraction.digits",
    "include.unknown.datatypes",
    "unavailable.value.placeholder",
    "tombstones.on.delete",
    "provide.transaction.metadata",
    "include.schema.changes",
    "skipped.operations",
    "topic.heartbeat.prefix",
    "heartbeat.message.prefix",
    "schema.include.list",
    "schema.exclude.list",
    "table.include.list",
    "table.exclude.list",
    "column.include.list",
    "column.exclude.list",
    "message.prefix.include.list",
    "message.prefix.exclude.list",
    "column.propagate.source.type",
    "datatype.propagate.source.type",
    "publication_names",
    "publication.name",
    "publication.autocreate.mode",
    "origin",
    "message.key.columns",
    "output.format",
];

const VALUES: &[&str] = &[
    "true",
    "FALSE",
    "precise",
    "string",
    "double",
    "bytes",
    "base64",
    "base64-url-safe",
    "hex",
    "adaptive",
    "adaptive_time_microseconds",
    "connect",
    "numeric",
    "json",
    "map",
    "2",
    "18",
    "19",
    "-1",
    "hex:00ff",
    "hex:0",
    "c,u",
    "none",
    "t",
    "x",
    "public\\.t",
    ".*",
    "a(",
    "(a)\\1",
    "(?=a)",
    "public.t:id",
    "nocolon",
    "p1, \"My Pub\"",
    "\"unterminated",
    "any",
    "pg_1,,pg_2",
    "filtered",
    "all_tables",
    "value",
    "record",
    "",
    " ",
    "\u{1}",
    "é😀",
    "\\,",
];

fn name(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0..=9)? {
        0..=4 => u.choose(NAMES)?.to_string(),
        5 => format!("column.truncate.to.{}.chars", String::arbitrary(u)?),
        6 => format!("column.mask.with.{}.chars", String::arbitrary(u)?),
        7 => format!(
            "column.mask.hash.{}{}.with.salt.{}",
            if u.arbitrary()? { "v2." } else { "" },
            u.choose(&["SHA-256", "MD5", "sha-512/224", "SHA3-512", "SHA-999", ""])?,
            String::arbitrary(u)?
        ),
        _ => u.arbitrary()?,
    })
}

fn value(u: &mut Unstructured) -> Result<Option<String>> {
    Ok(match u.int_in_range(0..=5)? {
        0 => None,
        1..=3 => Some(u.choose(VALUES)?.to_string()),
        _ => Some(u.arbitrary()?),
    })
}

fn list(u: &mut Unstructured) -> Result<Vec<(String, Option<String>)>> {
    let n = u.int_in_range(0..=6)?;
    (0..n).map(|_| Ok((name(u)?, value(u)?))).collect()
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(opts) = list(&mut u) else { return };
    let r = Config::parse("db", opts.iter().map(|(n, v)| (n.as_str(), v.as_deref())));
    let repeated = opts
        .iter()
        .enumerate()
        .any(|(i, (n, _))| opts[..i].iter().any(|(m, _)| m == n));
    match r {
        Err(e) => {
            assert!(
                matches!(
                    e.code,
                    ErrorCode::InvalidParameterValue
                        | ErrorCode::UndefinedObject
                        | ErrorCode::InvalidRegularExpression
                ),
                "{e:?}"
            );
            // The message names an option of the list (a filter conflict names both sides,
            // one of which was given).
            assert!(
                opts.iter()
                    .any(|(n, _)| e.message.contains(&format!("\"{n}\""))),
                "{:?} names none of {:?}",
                e.message,
                opts.iter().map(|o| &o.0).collect::<Vec<_>>()
            );
            assert!(!e.message.is_empty() && !e.message.ends_with('.'));
        }
        Ok(cfg) => {
            assert!(!repeated, "repeated option accepted: {opts:?}");
            for (n, _) in &opts {
                assert!(
                    config::names()
                        .iter()
                        .flat_map(|known| known.split(" / "))
                        .any(|known| {
                            let stem = known.split(['<', '[']).next().unwrap_or(known);
                            if stem.len() == known.len() {
                                n == known
                            } else {
                                n.starts_with(stem)
                            }
                        })
                        || n == "publication.name",
                    "unknown option {n:?} accepted"
                );
            }
            records_are_json(cfg);
        }
    }
});

/// Heartbeats, messages and transaction records of an accepted configuration are JSON.
fn records_are_json(cfg: Config) {
    let record = cfg.output_format == config::OutputFormat::Record;
    let s = Session::new(cfg, "db\"\\\u{1}");
    let mut scratch = Vec::new();
    let mut o = Vec::new();
    s.write_heartbeat(&mut o, 1_700_000_000_000_000, &mut scratch);
    let j = json(&o);
    if record {
        json_str(&j["key"]);
        json_str(&j["value"]);
    }
    let mut txn = Txn {
        xid: Some(7),
        ..Txn::default()
    };
    s.prepare_txn(&mut txn);
    let at = At {
        txn: &txn,
        lsn: 42,
        block: None,
        now_us: 0,
    };
    o.clear();
    s.write_message(&mut o, &at, b"pre\"fix\xff", b"\x00content", &mut scratch);
    let j = json(&o);
    if record {
        json_str(&j["key"]);
        json_str(&j["value"]);
    }
    o.clear();
    s.write_begin(&mut o, &txn, 42, &mut scratch);
    json(&o);
}
