//! Column defaults as Debezium reads them (`PostgresDefaultValueConverter`).
//!
//! Debezium sees a default as `pg_get_expr` text. A function call (`nextval(…)`, `now()`) or a
//! current-time keyword becomes the type's placeholder ("zero") literal; otherwise the first
//! quoted literal (or the bare text) is parsed by the column type's mapper and converted by the
//! column's value converter. Types without a mapper, unparsable literals, and values the
//! converter rejects (more fraction digits than a `numeric(p,s)` has) give no default.

use crate::encode::temporal::{PG_EPOCH_DAYS, USECS_PER_DAY};

/// Which Debezium default mapper a column type has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapper {
    Bit,
    Varbit,
    Bool,
    Text,
    Json,
    Numeric,
    Float4,
    Float8,
    Int2,
    Int4,
    Int8,
    Uuid,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    /// An enum type: the literal must be cast to this type (name, schema).
    Enum(String, String),
}

impl Mapper {
    /// The literal Debezium substitutes for a function-call default.
    fn placeholder(&self) -> Option<&'static str> {
        Some(match self {
            Mapper::Bit => "00",
            Mapper::Varbit => "0",
            Mapper::Bool => "false",
            Mapper::Text => "",
            Mapper::Json => "{}",
            Mapper::Numeric | Mapper::Float4 | Mapper::Float8 => "0.0",
            Mapper::Int2 | Mapper::Int4 | Mapper::Int8 => "0",
            Mapper::Uuid => "00000000-0000-0000-0000-000000000000",
            Mapper::Date | Mapper::Timestamp | Mapper::TimestampTz => "1970-01-01",
            Mapper::Time => "00:00",
            Mapper::Interval => "epoch",
            Mapper::Enum(..) => return None,
        })
    }

    /// Whether Debezium trims the expression first (`TRIM_DATA_TYPES`).
    fn trims(&self) -> bool {
        !matches!(self, Mapper::Text | Mapper::Json | Mapper::Enum(..))
    }
}

/// A default's value after Debezium's mapper, before the column's converter.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A decimal: digits of the unscaled value (with sign) and its scale.
    Decimal(String, i32),
    Text(String),
    /// A bit string of '0'/'1'.
    Bits(String),
    Uuid([u8; 16]),
    /// A local date-time: days since 1970-01-01 and µs of the day; `None` for ±infinity
    /// (Java's `LocalDateTime.MAX`/`MIN`), with the sign.
    DateTime(Option<(i64, i64)>, bool),
    /// A time of day in µs.
    Time(i64),
    /// An instant: µs since 1970-01-01 UTC.
    Instant(i64),
    /// pgjdbc `PGInterval` fields: years, months, days, hours, minutes, whole seconds, µs.
    Interval([i64; 7]),
}

/// `pg_get_expr` text → the literal Debezium's mapper produces, or `None` for no default.
pub fn parse(mapper: &Mapper, expr: &str) -> Option<Literal> {
    let expr = if mapper.trims() { expr.trim() } else { expr };
    if let Mapper::Enum(name, schema) = mapper {
        return enum_literal(expr, name, schema).map(Literal::Text);
    }
    let text = extract(expr, mapper.placeholder()?)?;
    match mapper {
        Mapper::Bit | Mapper::Varbit => text
            .bytes()
            .all(|b| b == b'0' || b == b'1')
            .then(|| Literal::Bits(text.clone())),
        Mapper::Bool => Some(Literal::Bool(text.eq_ignore_ascii_case("true"))),
        Mapper::Text | Mapper::Json => Some(Literal::Text(text)),
        Mapper::Numeric => decimal(&text).map(|(d, s)| Literal::Decimal(d, s)),
        Mapper::Float4 | Mapper::Float8 => java_float(&text).map(Literal::Float),
        Mapper::Int2 => java_int(&text, i64::from(i16::MIN), i64::from(i16::MAX)).map(Literal::Int),
        Mapper::Int4 => java_int(&text, i64::from(i32::MIN), i64::from(i32::MAX)).map(Literal::Int),
        Mapper::Int8 => java_int(&text, i64::MIN, i64::MAX).map(Literal::Int),
        Mapper::Uuid => uuid(&text).map(Literal::Uuid),
        Mapper::Date | Mapper::Timestamp => local_date_time(&text),
        Mapper::Time => local_time(&text).map(Literal::Time),
        Mapper::TimestampTz => offset_date_time(&text).map(Literal::Instant),
        Mapper::Interval => interval(&text).map(Literal::Interval),
        Mapper::Enum(..) => None,
    }
}

/// `extractDefault(expr, placeholder)`.
fn extract(expr: &str, placeholder: &str) -> Option<String> {
    let lower = expr.to_ascii_lowercase();
    if is_function_call(expr)
        || matches!(
            lower.as_str(),
            "current_timestamp" | "current_time" | "current_date" | "localtime" | "localtimestamp"
        )
    {
        return Some(placeholder.to_string());
    }
    if !expr.contains('\'') {
        return if expr.starts_with("NULL::") {
            None
        } else {
            Some(expr.to_string())
        };
    }
    first_quoted(expr)
}

/// The first `'…'` literal, with `''` unescaped (Debezium 3.6.2+).
fn first_quoted(expr: &str) -> Option<String> {
    let start = expr.find('\'')? + 1;
    let b = expr.as_bytes();
    let mut i = start;
    let mut s = String::new();
    while i < b.len() {
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                s.push('\'');
                i += 2;
                continue;
            }
            return Some(s);
        }
        let ch = expr[i..].chars().next()?;
        s.push(ch);
        i += ch.len_utf8();
    }
    None
}

/// `FUNCTION_DEFAULT_PATTERN.find()`: `^[(]?[A-Za-z0-9_.]+\(` followed by a `)` later on the
/// same line.
fn is_function_call(e: &str) -> bool {
    let line = e.lines().next().unwrap_or("");
    let s = line.strip_prefix('(').unwrap_or(line);
    let name_len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        .count();
    name_len > 0 && s[name_len..].starts_with('(') && s[name_len + 1..].contains(')')
}

/// `extractEnumDefault`: `'<label>'::<type>` where the type is the column's enum.
fn enum_literal(expr: &str, name: &str, schema: &str) -> Option<String> {
    let label = first_quoted(expr)?;
    let after = &expr[expr.rfind("'::")? + 3..];
    let parts: Vec<String> = after
        .split('.')
        .map(|p| p.trim_matches('"').to_string())
        .collect();
    let ok = match parts.as_slice() {
        [t] => t == name,
        [s, t] => t == name && s == schema,
        _ => false,
    };
    ok.then_some(label)
}

/// `Integer.parseInt`-style parsing within a range.
fn java_int(s: &str, min: i64, max: i64) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = s.parse().ok()?;
    (min..=max).contains(&v).then_some(v)
}

/// `Double.parseDouble` (close enough: Java accepts the same decimal forms and `NaN`,
/// `Infinity`, and an optional `f`/`d` suffix).
fn java_float(s: &str) -> Option<f64> {
    let t = s.trim();
    match t {
        "NaN" => return Some(f64::NAN),
        "Infinity" | "+Infinity" => return Some(f64::INFINITY),
        "-Infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let t = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    if t.bytes()
        .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E')
    {
        return None;
    }
    t.parse().ok()
}

/// `new BigDecimal(s)`: (signed unscaled digits, scale).
pub fn decimal(s: &str) -> Option<(String, i32)> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(p) => (&body[..p], body[p + 1..].parse::<i32>().ok()?),
        None => (body, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let sign = if neg && digits != "0" { "-" } else { "" };
    // No numeric has a larger scale either way (131072 digits before the point, 16383 after);
    // past that the exponent only makes huge strings (fuzzing found `1E862281114`).
    let scale = i64::try_from(frac.len()).ok()? - i64::from(exp);
    if scale.abs() > MAX_DECIMAL_SCALE {
        return None;
    }
    Some((format!("{sign}{digits}"), scale as i32))
}

/// The largest scale (either sign) [`decimal`] accepts.
pub const MAX_DECIMAL_SCALE: i64 = 200_000;

fn uuid(s: &str) -> Option<[u8; 16]> {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 5 {
        return None;
    }
    let hex: String = parts.concat();
    if hex.len() != 32 {
        return None;
    }
    let mut u = [0u8; 16];
    for (i, b) in u.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(u)
}

pub use crate::encode::temporal::days_from_civil;

/// A PostgreSQL ISO date/time literal: `YYYY-MM-DD[ HH:MM[:SS[.f]]][±HH[:MM[:SS]]][ BC]`.
/// Returns (days since 1970, µs of day, offset seconds east).
fn pg_datetime(s: &str) -> Option<(i64, i64, Option<i64>)> {
    let s = s.trim();
    let (s, bc) = match s.strip_suffix(" BC") {
        Some(r) => (r, true),
        None => (s, false),
    };
    let (date, rest) = s.split_once(' ').unwrap_or((s, ""));
    let mut dp = date.splitn(3, '-');
    let y: i64 = dp.next()?.parse().ok()?;
    let m: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if bc { 1 - y } else { y };
    let days = days_from_civil(y, m, d);
    if rest.is_empty() {
        return Some((days, 0, None));
    }
    let (time, off) = split_offset(rest);
    Some((days, time_of_day(time)?, off))
}

fn split_offset(s: &str) -> (&str, Option<i64>) {
    match s.rfind(['+', '-']) {
        Some(p) if p > 0 => {
            let (t, o) = s.split_at(p);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let mut secs = 0i64;
            for (i, part) in o[1..].split(':').enumerate() {
                let v: i64 = part.parse().unwrap_or(0);
                secs += v * [3600, 60, 1].get(i).copied().unwrap_or(0);
            }
            (t, Some(sign * secs))
        }
        _ => (s, None),
    }
}

/// `HH:MM[:SS[.ffffff]]` → µs (24:00:00 allowed).
fn time_of_day(s: &str) -> Option<i64> {
    let mut it = s.split(':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let (sec, us) = match it.next() {
        Some(sec) => {
            let (w, f) = sec.split_once('.').unwrap_or((sec, ""));
            let mut frac = f.to_string();
            frac.truncate(6);
            while frac.len() < 6 {
                frac.push('0');
            }
            (w.parse::<i64>().ok()?, frac.parse::<i64>().ok()?)
        }
        None => (0, 0),
    };
    let v = ((h * 60 + m) * 60 + sec) * 1_000_000 + us;
    (0..=USECS_PER_DAY).contains(&v).then_some(v)
}

/// pgjdbc `toLocalDateTime`.
fn local_date_time(s: &str) -> Option<Literal> {
    match s {
        "infinity" => return Some(Literal::DateTime(None, true)),
        "-infinity" => return Some(Literal::DateTime(None, false)),
        _ => {}
    }
    let (days, us, _) = pg_datetime(s)?;
    Some(Literal::DateTime(Some((days, us)), true))
}

/// pgjdbc `toLocalTime`.
fn local_time(s: &str) -> Option<i64> {
    time_of_day(s.trim())
}

/// pgjdbc `toOffsetDateTime`, as an instant (a literal without offset is read as UTC).
fn offset_date_time(s: &str) -> Option<i64> {
    if s == "infinity" || s == "-infinity" {
        return None;
    }
    let (days, us, off) = pg_datetime(s)?;
    Some(days * USECS_PER_DAY + us - off.unwrap_or(0) * 1_000_000)
}

/// pgjdbc `PGInterval(String)` for the `postgres` IntervalStyle:
/// `[N year[s]] [N mon[s]] [N day[s]] [[+|-]HH:MM:SS[.f]]`.
fn interval(s: &str) -> Option<[i64; 7]> {
    let mut f = [0i64; 7];
    let toks: Vec<&str> = s.split_whitespace().collect();
    let mut i = 0;
    let mut any = false;
    while i < toks.len() {
        let t = toks[i];
        if t.contains(':') {
            let neg = t.starts_with('-');
            let t = t.trim_start_matches(['+', '-']);
            let us = time_of_day(t).or_else(|| {
                // hours beyond 24
                let mut p = t.split(':');
                let h: i64 = p.next()?.parse().ok()?;
                let rest = format!("00:{}", p.collect::<Vec<_>>().join(":"));
                Some(h * 3_600_000_000 + time_of_day(&rest)?)
            })?;
            let sign = if neg { -1 } else { 1 };
            f[3] = sign * (us / 3_600_000_000);
            f[4] = sign * ((us / 60_000_000) % 60);
            f[5] = sign * ((us / 1_000_000) % 60);
            f[6] = sign * (us % 1_000_000);
            any = true;
            i += 1;
            continue;
        }
        let n: i64 = t.parse().ok()?;
        let unit = toks.get(i + 1)?;
        let slot = if unit.starts_with("year") {
            0
        } else if unit.starts_with("mon") {
            1
        } else if unit.starts_with("day") {
            2
        } else {
            return None;
        };
        f[slot] = n;
        any = true;
        i += 2;
    }
    any.then_some(f)
}

/// Days of Java's `LocalDate.toEpochDay()` cast to `int`, for `LocalDateTime.MAX`/`MIN`
/// (Debezium's junk for `'infinity'`/`'-infinity'` date defaults).
pub fn infinity_epoch_day_int(positive: bool) -> i32 {
    let d = if positive {
        days_from_civil(999_999_999, 12, 31)
    } else {
        days_from_civil(-999_999_999, 1, 1)
    };
    d as i32
}

/// The µs value Debezium's `MicroTimestamp` converter gives `LocalDateTime.MAX`/`MIN`: a
/// saturated `TimeUnit.toMicros` plus the nanos/1000, wrapping.
pub fn infinity_epoch_micros(positive: bool) -> i64 {
    if positive {
        i64::MAX.wrapping_add(999_999)
    } else {
        i64::MIN
    }
}

/// Days since 2000-01-01 (PostgreSQL's date) for a days-since-1970 count.
pub fn to_pg_days(days: i64) -> i64 {
    days - PG_EPOCH_DAYS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzzing found it: an exponent past any numeric's made a huge string (or, at
    /// `i32::MIN`, overflowed); such literals are no decimal.
    #[test]
    fn decimal_exponents_are_bounded() {
        assert_eq!(decimal("1.50E-3"), Some(("150".into(), 5)));
        assert_eq!(decimal("12E2"), Some(("12".into(), -2)));
        assert_eq!(decimal("1E200000"), Some(("1".into(), -200_000)));
        assert_eq!(decimal("1E200001"), None);
        assert_eq!(decimal("1E-2147483648"), None);
        assert_eq!(decimal("28622E862281114"), None);
    }

    #[test]
    fn extracts_like_debezium() {
        let m = Mapper::Text;
        assert_eq!(
            parse(&m, "'dflt'::text"),
            Some(Literal::Text("dflt".into()))
        );
        assert_eq!(
            parse(&m, "'it''s'::text"),
            Some(Literal::Text("it's".into()))
        );
        assert_eq!(
            parse(&m, "('a'::text || 'b'::text)"),
            Some(Literal::Text("a".into()))
        );
        assert_eq!(parse(&m, "now()"), Some(Literal::Text(String::new())));
        assert_eq!(
            parse(&Mapper::Json, "gen()"),
            Some(Literal::Text("{}".into()))
        );
        assert_eq!(parse(&Mapper::Int4, "42"), Some(Literal::Int(42)));
        assert_eq!(
            parse(&Mapper::Int4, "'-1'::integer"),
            Some(Literal::Int(-1))
        );
        assert_eq!(parse(&Mapper::Int4, "(1 + 2)"), None);
        assert_eq!(
            parse(&Mapper::Int4, "nextval('s'::regclass)"),
            Some(Literal::Int(0))
        );
        assert_eq!(parse(&Mapper::Int2, "70000"), None);
        assert_eq!(
            parse(&Mapper::Numeric, "0.00"),
            Some(Literal::Decimal("0".into(), 2))
        );
        assert_eq!(
            parse(&Mapper::Numeric, "'-1.5'::numeric"),
            Some(Literal::Decimal("-15".into(), 1))
        );
        assert_eq!(
            parse(&Mapper::Numeric, "1.5e3"),
            Some(Literal::Decimal("15".into(), -2))
        );
        assert_eq!(parse(&Mapper::Bool, "true"), Some(Literal::Bool(true)));
        assert_eq!(
            parse(&Mapper::Float8, "'-25000000000'::numeric"),
            Some(Literal::Float(-2.5e10))
        );
        assert_eq!(
            parse(&Mapper::Date, "'2020-01-01'::date"),
            Some(Literal::DateTime(Some((18262, 0)), true))
        );
        assert_eq!(
            parse(&Mapper::Date, "CURRENT_DATE"),
            Some(Literal::DateTime(Some((0, 0)), true))
        );
        assert_eq!(
            parse(&Mapper::Date, "'infinity'::date"),
            Some(Literal::DateTime(None, true))
        );
        assert_eq!(
            parse(
                &Mapper::TimestampTz,
                "'2020-01-01 08:00:00.5+00'::timestamp with time zone"
            ),
            Some(Literal::Instant(1_577_865_600_500_000))
        );
        assert_eq!(
            parse(
                &Mapper::TimestampTz,
                "'2020-01-01 10:00:00+02'::timestamp with time zone"
            ),
            Some(Literal::Instant(1_577_865_600_000_000))
        );
        assert_eq!(
            parse(&Mapper::TimestampTz, "CURRENT_TIMESTAMP(2)"),
            Some(Literal::Instant(0))
        );
        assert_eq!(
            parse(&Mapper::Time, "'12:34:56.5'::time without time zone"),
            Some(Literal::Time(45_296_500_000))
        );
        assert_eq!(
            parse(&Mapper::Interval, "'1 day'::interval"),
            Some(Literal::Interval([0, 0, 1, 0, 0, 0, 0]))
        );
        assert_eq!(
            parse(
                &Mapper::Interval,
                "'-1 years +2 mons -3 days +04:05:06.789'::interval"
            ),
            Some(Literal::Interval([-1, 2, -3, 4, 5, 6, 789_000]))
        );
        assert_eq!(
            parse(&Mapper::Interval, "now()"),
            None,
            "\"epoch\" is not an interval"
        );
        assert_eq!(
            parse(&Mapper::Bit, "'101'::\"bit\""),
            Some(Literal::Bits("101".into()))
        );
        let e = Mapper::Enum("Status".into(), "s1".into());
        assert_eq!(
            parse(&e, "'a'::s1.\"Status\""),
            Some(Literal::Text("a".into()))
        );
        assert_eq!(parse(&e, "'a'::other"), None);
        assert_eq!(
            parse(
                &Mapper::Uuid,
                "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid"
            )
            .map(|l| matches!(l, Literal::Uuid(_))),
            Some(true)
        );
    }

    #[test]
    fn java_junk_for_infinite_defaults() {
        assert_eq!(infinity_epoch_day_int(true), 169_560_311);
        assert_eq!(infinity_epoch_micros(true), -9_223_372_036_853_775_810);
    }
}
