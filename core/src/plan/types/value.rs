//! Writing values: each [`Encoding`] as Debezium's converter and Kafka's `JsonConverter`
//! print it.

use super::{ColumnPlan, Encoding, Value, ValueMapping};
use crate::config::{BinaryMode, Config};
use crate::encode::base64::{self, Alphabet};
use crate::encode::bits;
use crate::encode::decimal::{java_bytes_i128, BigInt, Numeric, NumericKind};
use crate::encode::hstore;
use crate::encode::javafmt;
use crate::encode::json;
use crate::encode::out::{Out, OutExt};
use crate::encode::temporal;
use crate::plan::defaults::{self, Literal};

/// Writes one column value.
pub fn write_value<O: Out + ?Sized>(o: &mut O, col: &ColumnPlan, v: &Value<'_>) {
    if let Some(m) = &col.mapping {
        if write_mapped(o, col, m, v) {
            return;
        }
    }
    match (*v, col.encoding) {
        (Value::Null, _) | (_, Encoding::Null) => o.put(&col.null_json),
        (Value::UnchangedToast, _) => o.put(&col.toast_json),
        (Value::Bool(b), _) => o.put(if b { b"true" } else { b"false" }),
        (Value::Int(i), _) => o.put_int(i),
        (Value::Float4(f), _) => {
            if !write_special_float(o, f64::from(f)) {
                javafmt::write_f32(o, f);
            }
        }
        (Value::Float8(f), _) => write_f64(o, f),
        (Value::Numeric(n), e) => write_numeric(o, col, &n, e),
        (Value::Bytes(b), Encoding::Binary(mode)) => write_binary(o, b, mode),
        (Value::Bytes(b), Encoding::Geometric(mode)) => write_binary(o, &java_geometric(b), mode),
        (Value::Bytes(b), Encoding::HstoreJson) => match hstore::parse(b) {
            Some(pairs) => {
                let mut s = Vec::with_capacity(b.len() + 8);
                hstore::write_object(&mut s, &pairs);
                json::write_str(o, &s);
            }
            None => o.put(&col.null_json),
        },
        (Value::Bytes(b), Encoding::HstoreMap) => match hstore::parse(b) {
            Some(pairs) => hstore::write_object(o, &pairs),
            None => o.put(&col.null_json),
        },
        (
            Value::Bytes(b),
            e @ (Encoding::Money { .. } | Encoding::MoneyString { .. } | Encoding::MoneyDouble),
        ) => {
            match money_decimal(b) {
                Some((digits, scale)) => write_money(o, &digits, scale, e),
                // Debezium's converter fails on text it cannot parse: the field is null.
                None => o.put(&col.null_json),
            }
        }
        (Value::Bytes(b), _) => json::write_str(o, b),
        (Value::Date(d), Encoding::Date { java_sql: true }) => {
            o.put_int(temporal::array_epoch_days(d))
        }
        (Value::Date(d), _) => o.put_int(temporal::epoch_days(d)),
        // Array elements go through java.sql.Time: milliseconds, 24:00 wraps to 0.
        (Value::Time(us), Encoding::TimeMillis) if col.in_array => {
            o.put_int(us.rem_euclid(temporal::USECS_PER_DAY) / 1000)
        }
        (Value::Time(us), _) if col.in_array => {
            o.put_int(us.rem_euclid(temporal::USECS_PER_DAY) / 1000 * 1000)
        }
        (Value::Time(us), Encoding::TimeMillis) => o.put_int(us / 1000),
        (Value::Time(us), _) => o.put_int(us),
        (Value::TimeTz(us, zone), _) => {
            // Array elements go through java.sql.Time.toLocalTime(): whole seconds.
            let us = if col.in_array {
                // Wrapping: a stored time is within a day; nothing else may panic.
                us.wrapping_sub(us.rem_euclid(1_000_000))
            } else {
                us
            };
            o.put_u8(b'"');
            temporal::write_zoned_time(o, us, zone);
            o.put_u8(b'"');
        }
        (Value::Timestamp(us), Encoding::TimestampMillis) if col.in_array => {
            let v = temporal::array_epoch_micros(us);
            o.put_int(if us == i64::MAX || us == i64::MIN {
                temporal::epoch_millis(us)
            } else {
                v.div_euclid(1000)
            })
        }
        (Value::Timestamp(us), _) if col.in_array => o.put_int(temporal::array_epoch_micros(us)),
        (Value::Timestamp(us), Encoding::TimestampMillis) => o.put_int(temporal::epoch_millis(us)),
        (Value::Timestamp(us), _) => o.put_int(temporal::epoch_micros(us)),
        (Value::TimestampTz(us), e) => {
            let width = match e {
                Encoding::ZonedTimestamp { width } => width,
                _ => 6,
            };
            o.put_u8(b'"');
            if col.in_array {
                temporal::write_array_zoned_timestamp(o, us, width);
            } else {
                temporal::write_zoned_timestamp(o, us, width);
            }
            o.put_u8(b'"');
        }
        (
            Value::Interval {
                months,
                days,
                micros,
            },
            e,
        ) => {
            let f = temporal::interval_fields(months, days, micros);
            write_interval(o, &f, e);
        }
        (Value::Uuid(u), _) => write_uuid(o, &u),
        (Value::Bits(len, data), Encoding::BitBool) => {
            let set = len > 0 && data.first().is_some_and(|b| b & 0x80 != 0);
            o.put(if set { b"true" } else { b"false" });
        }
        (Value::Bits(len, data), _) => {
            write_binary(o, &bits::to_le_bytes(len, data), BinaryMode::Bytes)
        }
        (Value::Point(x, y), _) => write_point(o, x, y),
        (Value::Array(elems), _) => match &col.element {
            Some(ep) if !array_fails(ep, elems) => {
                o.put_u8(b'[');
                for i in 0..elems.len() {
                    if i > 0 {
                        o.put_u8(b',');
                    }
                    if elems.nested() {
                        o.put(b"null");
                        continue;
                    }
                    match elems.get(i) {
                        Value::Null => o.put(b"null"),
                        v => write_value(o, ep, &v),
                    }
                }
                o.put_u8(b']');
            }
            // Debezium's converter rejects the array: the field is left null.
            _ => o.put(&col.null_json),
        },
    }
}

/// PostgreSQL's text of a geometric type with every number re-rendered as Java's
/// `Double.toString` (what pgjdbc's `PGbox`, `PGcircle`, … `getValue()` prints).
fn java_geometric(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if c.is_ascii_digit() || c == b'-' || c == b'.' || c == b'+' {
            let start = i;
            while i < text.len()
                && (text[i].is_ascii_alphanumeric() || matches!(text[i], b'-' | b'+' | b'.'))
            {
                i += 1;
            }
            let tok = std::str::from_utf8(&text[start..i]).unwrap_or("");
            match tok.parse::<f64>() {
                Ok(f) if f.is_finite() => javafmt::write_f64(&mut out, f),
                Ok(f) if f.is_nan() => out.extend_from_slice(b"NaN"),
                Ok(f) if f > 0.0 => out.extend_from_slice(b"Infinity"),
                Ok(_) => out.extend_from_slice(b"-Infinity"),
                Err(_) => out.extend_from_slice(tok.as_bytes()),
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Writes a value through a column mapper; `false` when the mapper passes it through.
fn write_mapped<O: Out + ?Sized>(
    o: &mut O,
    col: &ColumnPlan,
    m: &ValueMapping,
    v: &Value<'_>,
) -> bool {
    use ValueMapping as M;
    match (m, v) {
        (M::Mask(n), Value::Bytes(_) | Value::Null) => {
            const STARS: &[u8; 64] = &[b'*'; 64];
            o.put_u8(b'"');
            for _ in 0..n / STARS.len() {
                o.put(STARS);
            }
            o.put(&STARS[..n % STARS.len()]);
            o.put_u8(b'"');
        }
        (M::Truncate(n), Value::Bytes(b)) => match col.encoding {
            Encoding::Binary(mode) => write_binary(o, &b[..b.len().min(*n)], mode),
            _ => {
                let s = String::from_utf8_lossy(b);
                json::write_str(o, crate::config::mappers::truncate_utf16(&s, *n).as_bytes());
            }
        },
        (
            M::Hash {
                algorithm,
                salt,
                v2,
                max_len,
            },
            Value::Bytes(b),
        ) => {
            let s = String::from_utf8_lossy(b);
            let h = crate::config::mappers::hash(*algorithm, salt, *v2, &s, *max_len);
            json::write_str(o, h.as_bytes());
        }
        _ => return false,
    }
    true
}

/// Whether Debezium's array converter fails on these elements: a NULL element where the
/// element schema is required (enum arrays), or a NaN/infinite numeric in precise mode.
fn array_fails(ep: &ColumnPlan, elems: &dyn crate::plan::types::Elements) -> bool {
    if elems.nested() {
        return false;
    }
    (0..elems.len()).any(|i| match elems.get(i) {
        Value::Null => !ep.schema.optional,
        Value::Numeric(n) => {
            n.kind != NumericKind::Finite
                && matches!(
                    ep.encoding,
                    Encoding::Decimal { .. } | Encoding::VariableDecimal
                )
        }
        _ => false,
    })
}

fn write_f64<O: Out + ?Sized>(o: &mut O, f: f64) {
    if !write_special_float(o, f) {
        javafmt::write_f64(o, f);
    }
}

/// Writes binary data per `binary.handling.mode`.
pub fn write_binary<O: Out + ?Sized>(o: &mut O, data: &[u8], mode: BinaryMode) {
    o.put_u8(b'"');
    match mode {
        BinaryMode::Bytes | BinaryMode::Base64 => base64::write(o, data, Alphabet::Standard),
        BinaryMode::Base64UrlSafe => base64::write(o, data, Alphabet::UrlSafe),
        BinaryMode::Hex => base64::write_hex(o, data),
    }
    o.put_u8(b'"');
}

fn write_special_float<O: Out + ?Sized>(o: &mut O, x: f64) -> bool {
    if x.is_nan() {
        o.put(b"\"NaN\"");
    } else if x == f64::INFINITY {
        o.put(b"\"Infinity\"");
    } else if x == f64::NEG_INFINITY {
        o.put(b"\"-Infinity\"");
    } else {
        return false;
    }
    true
}

fn write_decimal_bytes<O: Out + ?Sized>(o: &mut O, n: &Numeric<'_>, scale: i32) {
    o.put_u8(b'"');
    let mut buf = [0u8; 16];
    match n.unscaled_i128(scale) {
        Some(v) => base64::write(o, java_bytes_i128(v, &mut buf), Alphabet::Standard),
        None => {
            let mut bytes = Vec::new();
            n.unscaled(scale).to_java_bytes(&mut bytes);
            base64::write(o, &bytes, Alphabet::Standard);
        }
    }
    o.put_u8(b'"');
}

fn write_bigint_b64<O: Out + ?Sized>(o: &mut O, v: &BigInt) {
    let mut bytes = Vec::new();
    v.to_java_bytes(&mut bytes);
    o.put_u8(b'"');
    base64::write(o, &bytes, Alphabet::Standard);
    o.put_u8(b'"');
}

fn write_numeric<O: Out + ?Sized>(o: &mut O, col: &ColumnPlan, n: &Numeric<'_>, e: Encoding) {
    match e {
        Encoding::DecimalDouble => write_f64(o, n.to_f64()),
        Encoding::DecimalString => match n.kind {
            NumericKind::NaN => o.put(b"\"NAN\""),
            NumericKind::PosInf => o.put(b"\"POSITIVE_INFINITY\""),
            NumericKind::NegInf => o.put(b"\"NEGATIVE_INFINITY\""),
            NumericKind::Finite => {
                o.put_u8(b'"');
                o.put(n.plain_string().as_bytes());
                o.put_u8(b'"');
            }
        },
        // A special value cannot be a Connect Decimal: Debezium's converter fails and its
        // default failure mode leaves the field null (then JsonConverter applies defaults).
        _ if n.kind != NumericKind::Finite => o.put(&col.null_json),
        Encoding::Decimal { scale } => write_decimal_bytes(o, n, scale),
        Encoding::VariableDecimal => {
            let (v, scale) = n.stripped();
            o.put(b"{\"scale\":");
            o.put_int(scale);
            o.put(b",\"value\":");
            write_bigint_b64(o, &v);
            o.put_u8(b'}');
        }
        _ => o.put(&col.null_json),
    }
}

/// `PostgresMoney.parse`: drop parentheses or a leading minus (negative), one leading
/// currency character and the thousands separators, then read a `BigDecimal`.
fn money_decimal(text: &[u8]) -> Option<(String, i32)> {
    let t = std::str::from_utf8(text).ok()?;
    let negative = t.starts_with('(') || t.starts_with('-');
    let mut v = t.strip_prefix('-').unwrap_or(t);
    if v.starts_with('(') && v.ends_with(')') && v.len() >= 2 {
        v = &v[1..v.len() - 1];
    }
    let v = match v.chars().next() {
        Some(c) if !c.is_ascii_digit() && c != '.' => &v[c.len_utf8()..],
        _ => v,
    };
    let v = v.replace(',', "");
    let (digits, scale) = defaults::decimal(&v)?;
    // cash_out prints at most 19 digits and no exponent; anything else would overflow the
    // i128 arithmetic below (fuzzing found it), and is not money's text.
    if scale < 0 || digits.trim_start_matches('-').len() > 20 {
        return None;
    }
    let digits = if negative && digits != "0" {
        format!("-{digits}")
    } else {
        digits
    };
    Some((digits, scale))
}

fn write_money<O: Out + ?Sized>(o: &mut O, digits: &str, scale: i32, e: Encoding) {
    match e {
        Encoding::Money { scale: target } => {
            let v: i128 = digits.parse().unwrap_or(0);
            let v = if scale >= 0 {
                rescale_half_up(v, scale as u32, target)
            } else {
                v * 10i128.pow(target + scale.unsigned_abs())
            };
            let mut buf = [0u8; 16];
            o.put_u8(b'"');
            base64::write(o, java_bytes_i128(v, &mut buf), Alphabet::Standard);
            o.put_u8(b'"');
        }
        Encoding::MoneyString { .. } => {
            o.put_u8(b'"');
            o.put(plain_from_digits(digits, scale).as_bytes());
            o.put_u8(b'"');
        }
        _ => write_f64(o, plain_from_digits(digits, scale).parse().unwrap_or(0.0)),
    }
}

fn rescale_half_up(v: i128, from: u32, to: u32) -> i128 {
    if to >= from {
        v * 10i128.pow(to - from)
    } else {
        let d = 10i128.pow(from - to);
        let q = v / d;
        let r = v % d;
        if r.abs() * 2 >= d {
            q + v.signum()
        } else {
            q
        }
    }
}

/// `io.debezium.data.geometry.Point`: x, y, WKB (little-endian point) and a null SRID.
fn write_point<O: Out + ?Sized>(o: &mut O, x: f64, y: f64) {
    o.put(b"{\"x\":");
    write_f64(o, x);
    o.put(b",\"y\":");
    write_f64(o, y);
    let mut wkb = [0u8; 21];
    wkb[0] = 1;
    wkb[1..5].copy_from_slice(&1u32.to_le_bytes());
    wkb[5..13].copy_from_slice(&x.to_le_bytes());
    wkb[13..21].copy_from_slice(&y.to_le_bytes());
    o.put(b",\"wkb\":\"");
    base64::write(o, &wkb, Alphabet::Standard);
    o.put(b"\",\"srid\":null}");
}

/// Interval fields (years, months, days, hours, minutes, seconds, µs) as Debezium writes them.
fn write_interval<O: Out + ?Sized>(o: &mut O, f: &[i64; 7], e: Encoding) {
    if e == Encoding::IntervalString {
        // Interval.toIsoString with BigDecimal.valueOf(seconds as double), trailing zeros
        // stripped.
        let secs = f[5] as f64 + f[6] as f64 / 1e6;
        let mut s = Vec::new();
        javafmt::write_f64(&mut s, secs);
        let secs = strip_plain(&String::from_utf8_lossy(&s));
        let text = format!("P{}Y{}M{}DT{}H{}M{}S", f[0], f[1], f[2], f[3], f[4], secs);
        json::write_str(o, text.as_bytes());
    } else {
        o.put_int(temporal::interval_fields_micros(f));
    }
}

/// `new BigDecimal(Double.toString(x)).stripTrailingZeros().toPlainString()`.
fn strip_plain(java: &str) -> String {
    match defaults::decimal(java) {
        Some((digits, scale)) => {
            let neg = digits.starts_with('-');
            let mut d = digits.trim_start_matches('-').to_string();
            let mut scale = scale;
            while scale > 0 && d.len() > 1 && d.ends_with('0') {
                d.pop();
                scale -= 1;
            }
            if d == "0" {
                return "0".into();
            }
            let sign = if neg { "-" } else { "" };
            if scale <= 0 {
                format!("{sign}{d}{}", "0".repeat((-scale) as usize))
            } else {
                let scale = scale as usize;
                let padded = format!("{d:0>width$}", width = scale + 1);
                let (i, f) = padded.split_at(padded.len() - scale);
                format!("{sign}{i}.{f}")
            }
        }
        None => java.to_string(),
    }
}

pub(super) fn write_uuid<O: Out + ?Sized>(o: &mut O, u: &[u8; 16]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = [0u8; 38];
    s[0] = b'"';
    let mut j = 1;
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s[j] = b'-';
            j += 1;
        }
        s[j] = HEX[(b >> 4) as usize];
        s[j + 1] = HEX[(b & 15) as usize];
        j += 2;
    }
    s[37] = b'"';
    o.put(&s);
}

/// A default literal through the column's converter; `None` when Debezium drops it.
pub(super) fn literal_json(cfg: &Config, col: &ColumnPlan, lit: &Literal) -> Option<Vec<u8>> {
    let _ = cfg;
    let mut o = Vec::new();
    match (lit, col.encoding) {
        (Literal::Bool(b), Encoding::Boolean) => {
            o.extend_from_slice(if *b { b"true" } else { b"false" })
        }
        (Literal::Int(i), Encoding::Integer) => o.put_int(*i),
        (Literal::Float(f), Encoding::Float32) => {
            let f = *f as f32;
            if !write_special_float(&mut o, f64::from(f)) {
                javafmt::write_f32(&mut o, f);
            }
        }
        (Literal::Float(f), Encoding::Float64) => write_f64(&mut o, *f),
        (Literal::Decimal(digits, lscale), e) => match e {
            // setScale(s) without rounding: more fraction digits than the column has fails.
            Encoding::Decimal { scale } => {
                if *lscale > scale {
                    return None;
                }
                let mut v = BigInt::from_decimal(digits)?;
                v.mul_pow10((scale - lscale) as u32);
                write_bigint_b64(&mut o, &v);
            }
            Encoding::DecimalString => {
                // withScaleAdjustedIfNeeded raises the scale to the column's.
                let t = col.pg_type.typmod;
                let cscale = if t >= 4 {
                    (((t - 4) & 0x7ff) ^ 1024) - 1024
                } else {
                    0
                };
                let (mut d, mut sc) = (digits.clone(), *lscale);
                if cscale > sc {
                    if d != "0" {
                        d.push_str(&"0".repeat((cscale - sc) as usize));
                    }
                    sc = cscale;
                }
                let s = plain_from_digits(&d, sc);
                json::write_str(&mut o, s.as_bytes());
            }
            Encoding::DecimalDouble => {
                write_f64(&mut o, plain_from_digits(digits, *lscale).parse().ok()?)
            }
            _ => return None,
        },
        (Literal::Text(t), Encoding::String) => json::write_str(&mut o, t.as_bytes()),
        (Literal::Bits(b), Encoding::BitBool) if b.len() == 1 => {
            o.extend_from_slice(if b == "1" { b"true" } else { b"false" })
        }
        (Literal::Bits(b), Encoding::Bits) => {
            write_binary(&mut o, &bits::from_str(b)?, BinaryMode::Bytes)
        }
        (Literal::Uuid(u), Encoding::Uuid) => write_uuid(&mut o, u),
        (Literal::DateTime(dt, pos), e) => match (dt, e) {
            (Some((days, _)), Encoding::Date { .. }) => o.put_int(*days),
            (None, Encoding::Date { .. }) => o.put_int(defaults::infinity_epoch_day_int(*pos)),
            (Some((days, us)), Encoding::TimestampMicros) => {
                o.put_int(days * temporal::USECS_PER_DAY + us)
            }
            (None, Encoding::TimestampMicros) => o.put_int(defaults::infinity_epoch_micros(*pos)),
            (Some((days, us)), Encoding::TimestampMillis) => {
                o.put_int((days * temporal::USECS_PER_DAY + us).div_euclid(1000))
            }
            _ => return None,
        },
        (Literal::Time(us), Encoding::TimeMillis) => o.put_int(us / 1000),
        (Literal::Time(us), Encoding::TimeMicros) => o.put_int(*us),
        (Literal::Instant(us), Encoding::ZonedTimestamp { width }) => {
            o.put_u8(b'"');
            temporal::write_zoned_timestamp(&mut o, us - temporal::PG_EPOCH_USECS, width);
            o.put_u8(b'"');
        }
        (Literal::Interval(f), e @ (Encoding::IntervalMicros | Encoding::IntervalString)) => {
            write_interval(&mut o, f, e)
        }
        _ => return None,
    }
    Some(o)
}

fn plain_from_digits(digits: &str, scale: i32) -> String {
    let neg = digits.starts_with('-');
    let d = digits.trim_start_matches('-');
    let sign = if neg { "-" } else { "" };
    if scale <= 0 {
        return format!("{sign}{d}{}", "0".repeat((-scale) as usize));
    }
    let scale = scale as usize;
    let padded = format!("{d:0>width$}", width = scale + 1);
    let (i, f) = padded.split_at(padded.len() - scale);
    format!("{sign}{i}.{f}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_intervals() {
        assert_eq!(rescale_half_up(123456, 2, 2), 123456);
        assert_eq!(rescale_half_up(125, 2, 1), 13);
        assert_eq!(rescale_half_up(-125, 2, 1), -13);
        assert_eq!(rescale_half_up(5, 0, 2), 500);
        assert_eq!(money_decimal(b"$1,234.56"), Some(("123456".into(), 2)));
        assert_eq!(money_decimal(b"-$1,234.56"), Some(("-123456".into(), 2)));
        assert_eq!(money_decimal(b"($0.50)"), Some(("-50".into(), 2)));
        // Fuzzing found these: an exponent made a string of 862 million zeros, and long
        // digit strings overflowed the rescaling.
        assert_eq!(money_decimal(b"I28622E862281114"), None);
        assert_eq!(money_decimal(b"$1E3"), None);
        assert_eq!(money_decimal(b"$123456789012345678901.00"), None);
        assert_eq!(
            money_decimal(b"-$92,233,720,368,547,758.08"),
            Some(("-9223372036854775808".into(), 2))
        );
        let mut o = Vec::new();
        write_money(&mut o, "123456", 2, Encoding::Money { scale: 2 });
        assert_eq!(o, b"\"AeJA\"");
        assert_eq!(strip_plain("6.78"), "6.78");
        assert_eq!(strip_plain("6.0"), "6");
        assert_eq!(strip_plain("-6.789"), "-6.789");
        assert_eq!(strip_plain("1.0E-6"), "0.000001");
        assert_eq!(strip_plain("0.0"), "0");
        let mut o = Vec::new();
        write_interval(
            &mut o,
            &[1, 2, 3, 4, 5, 6, 780_000],
            Encoding::IntervalString,
        );
        assert_eq!(o, b"\"P1Y2M3DT4H5M6.78S\"");
    }

    #[test]
    fn geometric_text_like_pgjdbc() {
        assert_eq!(java_geometric(b"(1,1),(0,0)"), b"(1.0,1.0),(0.0,0.0)");
        assert_eq!(java_geometric(b"<(10,20),1e-07>"), b"<(10.0,20.0),1.0E-7>");
        assert_eq!(java_geometric(b"{1,-1,0}"), b"{1.0,-1.0,0.0}");
    }

    #[test]
    fn points() {
        let mut o = Vec::new();
        write_point(&mut o, 1.5, -2.0);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            r#"{"x":1.5,"y":-2.0,"wkb":"AQEAAAAAAAAAAAD4PwAAAAAAAADA","srid":null}"#
        );
    }
}
