//! What Debezium writes when a value is missing: the NOT NULL fallbacks of its converters
//! (`JdbcValueConverters.convertValue`) and the placeholders of unchanged TOASTed values
//! (`UnchangedToastedPlaceholder`).

use super::value::{write_binary, write_uuid};
use super::{oid, ColumnPlan, Encoding};
use crate::config::{BinaryMode, Config};
use crate::encode::json;
use md5::Digest;

/// The JSON of a NULL in a NOT NULL column without a default (a column missing from a
/// key-only old row).
pub(super) fn fallback_json(col: &ColumnPlan) -> Vec<u8> {
    if let Encoding::MoneyString { scale } = col.encoding {
        // BigDecimal.ZERO.setScale(money.fraction.digits).toString()
        let zero = if scale == 0 {
            "0".to_string()
        } else {
            format!("0.{}", "0".repeat(scale as usize))
        };
        return format!("\"{zero}\"").into_bytes();
    }
    let s: &[u8] = match col.encoding {
        Encoding::Boolean | Encoding::BitBool => b"false",
        Encoding::Integer
        | Encoding::Date { .. }
        | Encoding::TimeMillis
        | Encoding::TimeMicros
        | Encoding::TimestampMillis
        | Encoding::TimestampMicros
        | Encoding::IntervalMicros => b"0",
        Encoding::Float32 | Encoding::Float64 | Encoding::DecimalDouble => b"0.0",
        Encoding::Decimal { .. } | Encoding::Money { .. } => b"\"AA==\"",
        Encoding::VariableDecimal => br#"{"scale":0,"value":"AA=="}"#,
        Encoding::DecimalString | Encoding::MoneyString { .. } => b"\"0\"",
        Encoding::MoneyDouble => b"0.0",
        Encoding::String | Encoding::Uuid => b"\"\"",
        Encoding::Binary(_) | Encoding::Bits | Encoding::Geometric(_) => b"\"\"",
        Encoding::ZonedTime => b"\"00:00:00Z\"",
        // Built once with no width: no fraction whatever the precision.
        Encoding::ZonedTimestamp { .. } => b"\"1970-01-01T00:00:00Z\"",
        Encoding::IntervalString => b"\"P0Y0M0DT0H0M0S\"",
        Encoding::HstoreJson => b"\"{}\"",
        Encoding::HstoreMap => b"{}",
        Encoding::Array => b"[]",
        Encoding::Point => br#"{"x":0.0,"y":0.0,"wkb":"AQEAAAAAAAAAAAAAAAAAAAAAAAAA","srid":null}"#,
        Encoding::Null => b"null",
    };
    s.to_vec()
}

/// Debezium's placeholder for an unchanged TOAST value of this column's type: the
/// placeholder text for string-like types, its bytes for binary ones, per-element forms for
/// some arrays, and null where the converter cannot use it.
pub(super) fn toast_placeholder(cfg: &Config, col: &ColumnPlan) -> Vec<u8> {
    let ph = &cfg.unavailable_value_placeholder;
    // Text columns get the placeholder as text (invalid UTF-8 replaced, as Java decodes).
    let text = String::from_utf8_lossy(ph);
    let mut o = Vec::new();
    match col.encoding {
        Encoding::String => json::write_str(&mut o, text.as_bytes()),
        Encoding::Binary(mode) => write_binary(&mut o, ph, mode),
        Encoding::HstoreJson => {
            let mut m = Vec::new();
            write_placeholder_map(&mut m, &text);
            json::write_str(&mut o, &m);
        }
        Encoding::HstoreMap => write_placeholder_map(&mut o, &text),
        Encoding::Array => match &col.element {
            Some(e) => match (e.pg_type.oid, e.encoding) {
                (oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::JSON | oid::JSONB, _) => {
                    o.push(b'[');
                    json::write_str(&mut o, text.as_bytes());
                    o.push(b']');
                }
                (oid::BYTEA, Encoding::Binary(mode)) => {
                    o.push(b'[');
                    write_binary(&mut o, ph, mode);
                    o.push(b']');
                }
                (oid::INT4 | oid::INT8 | oid::DATE, _) => {
                    let items: Vec<String> = ph.iter().map(|b| b.to_string()).collect();
                    o.extend_from_slice(format!("[{}]", items.join(",")).as_bytes());
                }
                (oid::UUID, _) => {
                    o.push(b'[');
                    write_uuid(&mut o, &name_uuid_from_bytes(ph));
                    o.push(b']');
                }
                _ => o.extend_from_slice(b"null"),
            },
            None => o.extend_from_slice(b"null"),
        },
        _ => o.extend_from_slice(b"null"),
    }
    let _ = BinaryMode::Bytes;
    o
}

fn write_placeholder_map(o: &mut Vec<u8>, text: &str) {
    o.push(b'{');
    json::write_str(o, text.as_bytes());
    o.push(b':');
    json::write_str(o, text.as_bytes());
    o.push(b'}');
}

/// Java's `UUID.nameUUIDFromBytes`: an MD5-based (version 3) UUID.
fn name_uuid_from_bytes(b: &[u8]) -> [u8; 16] {
    let mut h: [u8; 16] = md5::Md5::digest(b).into();
    h[6] = (h[6] & 0x0f) | 0x30;
    h[8] = (h[8] & 0x3f) | 0x80;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_uuid_matches_java() {
        let u = name_uuid_from_bytes(b"__debezium_unavailable_value");
        let mut o = Vec::new();
        write_uuid(&mut o, &u);
        assert_eq!(o, b"\"b68a35a7-17ad-35b3-af2a-ae46edb4545a\"");
    }
}
