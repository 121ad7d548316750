//! Dates, times, timestamps and intervals at their extremes through `write_value`, with every
//! `time.precision.mode` and `interval.handling.mode`, as columns and as array elements.
//!
//! Invariants: no panic; JSON conforming to the schema (integer ranges included inside
//! PostgreSQL's domain); `ZonedTimestamp` text has `java.time`'s ISO shape and, outside
//! arrays, reads back as the same instant; `ZonedTime` is a UTC time of day; dates, times and
//! timestamps outside arrays are the plain epoch shifts.
#![no_main]

use arbitrary::{Result, Unstructured};
use cedar_cdc_core::config::Config;
use cedar_cdc_core::encode::temporal::{days_from_civil, PG_EPOCH_DAYS, USECS_PER_DAY};
use cedar_cdc_core::plan::types::{oid, plan_column, ColumnPlan, Encoding, PgColumn, PgType};
use cedar_cdc_fuzz::{any_value, value_for, write_checked, write_json, Json, OwnedValue};
use libfuzzer_sys::fuzz_target;

const TYPES: &[u32] = &[
    oid::DATE,
    oid::TIME,
    oid::TIMETZ,
    oid::TIMESTAMP,
    oid::TIMESTAMPTZ,
    oid::INTERVAL,
];

fn plan(u: &mut Unstructured) -> Result<(ColumnPlan, bool)> {
    let mode = *u.choose(&["adaptive", "adaptive_time_microseconds", "connect"])?;
    let interval = *u.choose(&["numeric", "string"])?;
    let cfg = Config::parse(
        "db",
        [
            ("time.precision.mode", Some(mode)),
            ("interval.handling.mode", Some(interval)),
        ],
    )
    .unwrap();
    let elem = PgType::builtin(*u.choose(TYPES)?, u.int_in_range(-1..=6)?);
    let in_array = u.ratio(1, 3)?;
    let ty = if in_array {
        PgType {
            oid: 1182,
            typmod: elem.typmod,
            element: Some(Box::new(elem)),
            ..PgType::default()
        }
    } else {
        elem
    };
    let col = PgColumn {
        name: "t".into(),
        ty,
        not_null: u.arbitrary()?,
        ..PgColumn::default()
    };
    // interval[] is not mapped (Debezium has no array converter for it).
    let plan = plan_column(&cfg, &col);
    assert!(
        plan.is_some()
            || col
                .ty
                .element
                .as_ref()
                .is_some_and(|e| e.oid == oid::INTERVAL)
    );
    Ok((plan.ok_or(arbitrary::Error::IncorrectFormat)?, in_array))
}

/// `[+-]YYYY…-MM-DDTHH:MM:SS[.f…]Z` (or an infinity) → µs since 2000-01-01.
fn parse_zoned(s: &str) -> Option<i64> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let (neg, date) = match date.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, date.strip_prefix('+').unwrap_or(date)),
    };
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let y = if neg { -y } else { y };
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let mi: i64 = t.next()?.parse().ok()?;
    let sec: i64 = t.next()?.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: i64 = format!("{frac:0<9}").parse().ok()?;
    let days = days_from_civil(y, m, day) - PG_EPOCH_DAYS;
    Some(days * USECS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1_000_000 + nanos / 1000)
}

fn zoned_shape(s: &str, width: Option<i32>) -> bool {
    if s == "infinity" || s == "-infinity" {
        return true;
    }
    let Some(body) = s.strip_suffix('Z') else {
        return false;
    };
    let Some((date, time)) = body.split_once('T') else {
        return false;
    };
    let date = date.strip_prefix(['+', '-']).unwrap_or(date);
    let dp: Vec<&str> = date.split('-').collect();
    let ok_date = dp.len() == 3
        && dp[0].len() >= 4
        && dp.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && dp[1].len() == 2
        && dp[2].len() == 2;
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let tp: Vec<&str> = hms.split(':').collect();
    let ok_time = tp.len() == 3
        && tp
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()));
    let ok_frac = frac.bytes().all(|b| b.is_ascii_digit())
        && match width {
            Some(w) if (1..=9).contains(&w) => frac.len() == w as usize,
            _ => frac.len() <= 9 && !frac.ends_with('0'),
        };
    ok_date && ok_time && ok_frac
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok((plan, in_array)) = plan(&mut u) else {
        return;
    };
    let Ok(wild) = u.ratio(1, 5) else { return };
    let Ok(v) = value_for(&mut u, &plan, wild, 0) else {
        return;
    };
    if let Ok(other) = any_value(&mut u, wild, 0) {
        write_json(&plan, &other);
    }
    let j = write_checked(&plan, &v, !wild);
    if in_array {
        if let (Json::Array(items), OwnedValue::Array(e)) = (&j, &v) {
            if !e.nested {
                assert_eq!(items.len(), e.items.len());
            }
            let ep = plan.element.as_ref().unwrap();
            if let Encoding::ZonedTimestamp { width } = ep.encoding {
                for i in items.iter().filter_map(Json::as_str) {
                    assert!(zoned_shape(i, Some(width)), "array element {i:?}");
                }
            }
        }
        return;
    }
    match (&v, plan.encoding, &j) {
        (OwnedValue::TimestampTz(us), Encoding::ZonedTimestamp { width }, Json::String(s)) => {
            assert!(zoned_shape(s, Some(width)), "{s:?} (width {width})");
            if !wild && *us != i64::MIN && *us != i64::MAX {
                let back = parse_zoned(s).unwrap_or_else(|| panic!("unreadable {s:?}"));
                // Width 1..=5 cuts the fraction; 0 prints the fewest digits (a timestamptz(0)
                // holds whole seconds, so in practice none).
                let unit = match width {
                    1..=5 => 10i64.pow(6 - width as u32),
                    _ => 1,
                };
                assert_eq!(back, us - us.rem_euclid(unit), "{s:?} is not {us}");
            }
        }
        (OwnedValue::TimeTz(..), Encoding::ZonedTime, Json::String(s)) => {
            let t = format!("1970-01-01T{s}");
            assert!(zoned_shape(&t, None), "{s:?}");
        }
        (OwnedValue::Date(d), Encoding::Date { .. }, Json::Number(n))
            if !wild && *d != i32::MIN && *d != i32::MAX =>
        {
            assert_eq!(n.as_i64(), Some(i64::from(*d) + PG_EPOCH_DAYS));
        }
        (OwnedValue::Time(us), Encoding::TimeMicros, Json::Number(n)) => {
            assert_eq!(n.as_i64(), Some(*us));
        }
        (OwnedValue::Timestamp(us), Encoding::TimestampMicros, Json::Number(n))
            if !wild && *us != i64::MIN && *us != i64::MAX =>
        {
            // Past year 292277 the count wraps, as Java's does (the unit tests pin it).
            if let Some(want) = us.checked_add(PG_EPOCH_DAYS * USECS_PER_DAY) {
                assert_eq!(n.as_i64(), Some(want));
            }
        }
        (OwnedValue::Interval(..), Encoding::IntervalString, Json::String(s)) => {
            assert!(
                s.starts_with('P') && s.contains('T') && s.ends_with('S'),
                "{s:?}"
            );
        }
        _ => {}
    }
});
