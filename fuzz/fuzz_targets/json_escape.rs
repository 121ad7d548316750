//! JSON string escaping (`json::write_str`), including bytes that are not UTF-8 (text of a
//! SQL_ASCII database, message prefixes), and the text-valued paths of `write_value`
//! (strings, truncation, masking, hashing, money, geometric text, bytes as text).
//!
//! Invariants: no panic; the output is one valid JSON string; it decodes to the input
//! (invalid UTF-8 replaced by U+FFFD, as Java's UTF-8 decoder does); for UTF-8 input it is
//! byte for byte Jackson's escaping.
#![no_main]

use arbitrary::Unstructured;
use cedar_cdc_core::config::mappers::Mapping;
use cedar_cdc_core::config::Config;
use cedar_cdc_core::encode::json;
use cedar_cdc_core::plan::types::{oid, plan_column, PgColumn, PgType};
use cedar_cdc_fuzz::{json as parse, write_checked, OwnedValue};
use libfuzzer_sys::fuzz_target;

/// Jackson's escaping of a Java string: short escapes for `\b \f \n \r \t`, `\"`, `\\`,
/// `\u00XX` (uppercase) for other control characters, everything else raw.
fn jackson(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fuzz_target!(|data: &[u8]| {
    let mut o = Vec::new();
    json::write_str(&mut o, data);
    let decoded: String = match parse(&o) {
        cedar_cdc_fuzz::Json::String(s) => s,
        other => panic!("not a string: {other}"),
    };
    let want = String::from_utf8_lossy(data);
    assert_eq!(decoded, want, "round trip");
    assert_eq!(
        String::from_utf8(o).expect("UTF-8 output"),
        jackson(&want),
        "Jackson's escaping"
    );
    if let Ok(s) = std::str::from_utf8(data) {
        assert_eq!(json::quoted(s), jackson(s));
        assert_eq!(json::key(s), format!("{}:", jackson(s)));
    }

    // The same bytes as a value of every text-like column, plain and through the mappers.
    let mut u = Unstructured::new(data);
    let n = u.int_in_range(0..=40usize).unwrap_or(3);
    let bytes = OwnedValue::Bytes(data.to_vec());
    for mode in ["bytes", "hex"] {
        let cfg = Config::parse(
            "db",
            [
                ("include.unknown.datatypes", Some("true")),
                ("binary.handling.mode", Some(mode)),
                ("decimal.handling.mode", Some("string")),
            ],
        )
        .unwrap();
        for (ty, name) in [
            (oid::TEXT, ""),
            (oid::VARCHAR, ""),
            (oid::JSON, ""),
            (oid::BYTEA, ""),
            (oid::MONEY, ""),
            (oid::INET, ""),
            (0, "box"),
            (0, "tsquery"),
            (0, "ltree"),
        ] {
            let col = PgColumn {
                name: "c".into(),
                ty: PgType {
                    name: name.into(),
                    typmod: if ty == oid::VARCHAR { 8 + 4 } else { -1 },
                    ..PgType::builtin(ty, -1)
                },
                ..PgColumn::default()
            };
            let Some(plan) = plan_column(&cfg, &col) else {
                continue;
            };
            write_checked(&plan, &bytes, false);
            for m in [
                Mapping::Truncate(n),
                Mapping::Mask(n),
                Mapping::Hash {
                    algorithm: cedar_cdc_core::config::mappers::HashAlgorithm::Sha256,
                    salt: data.iter().take(4).copied().collect(),
                    v2: n.is_multiple_of(2),
                },
                Mapping::Propagate,
            ] {
                let mut p = plan.clone();
                p.apply_mapper(&m);
                let j = write_checked(&p, &bytes, false);
                if let (Mapping::Truncate(n), Some(s)) = (&m, j.as_str()) {
                    if ty == oid::TEXT {
                        assert!(s.encode_utf16().count() <= *n, "truncated to {n}: {s:?}");
                    }
                }
                // The schema with its mapper parameters is JSON too.
                parse(p.schema.to_json(Some("c")).as_bytes());
            }
        }
    }
});
