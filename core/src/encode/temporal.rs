//! Dates and times, from PostgreSQL's binary forms to Debezium's temporal encodings.
//!
//! PostgreSQL counts days and microseconds from 2000-01-01; Debezium counts from 1970-01-01
//! and prints `ZonedTimestamp`/`ZonedTime` in UTC with `java.time`'s ISO formatters.

use crate::encode::out::{Out, OutExt};

/// Days between 1970-01-01 and 2000-01-01.
pub const PG_EPOCH_DAYS: i64 = 10_957;
/// Microseconds per day.
pub const USECS_PER_DAY: i64 = 86_400_000_000;
/// Microseconds between 1970-01-01 and 2000-01-01.
pub const PG_EPOCH_USECS: i64 = PG_EPOCH_DAYS * USECS_PER_DAY;

/// `date` `infinity` as Debezium streams it (`LocalDate.parse("-5877611-06-21").toEpochDay()`).
pub const DATE_POS_INFINITY: i32 = -2_147_472_692;
/// `date` `-infinity` as Debezium streams it.
pub const DATE_NEG_INFINITY: i32 = -2_147_472_691;
/// `timestamp` `infinity` in microseconds as Debezium streams it.
pub const TS_POS_INFINITY_MICROS: i64 = 9_223_372_036_825_200_000;
/// `timestamp` `-infinity` in microseconds as Debezium streams it.
pub const TS_NEG_INFINITY_MICROS: i64 = -9_223_372_036_832_400_000;

/// `date` (days since 2000-01-01, `i32::MIN`/`MAX` = ∓infinity) → days since 1970-01-01.
#[inline]
pub fn epoch_days(pg_days: i32) -> i32 {
    match pg_days {
        i32::MAX => DATE_POS_INFINITY,
        i32::MIN => DATE_NEG_INFINITY,
        d => d.wrapping_add(PG_EPOCH_DAYS as i32),
    }
}

/// `timestamp` (µs since 2000-01-01, `i64::MIN`/`MAX` = ∓infinity) → µs since 1970-01-01.
///
/// Past about 292277 AD the count no longer fits: Debezium's `TimeUnit.toMicros` saturates the
/// seconds and then adds the micro-of-second, wrapping, and so do we.
#[inline]
pub fn epoch_micros(pg_us: i64) -> i64 {
    match pg_us {
        i64::MAX => TS_POS_INFINITY_MICROS,
        i64::MIN => TS_NEG_INFINITY_MICROS,
        us => match us.checked_add(PG_EPOCH_USECS) {
            Some(v) => v,
            None => java_micros(i128::from(us) + i128::from(PG_EPOCH_USECS)),
        },
    }
}

/// µs since 1970 as Java's `TimeUnit.SECONDS.toMicros(epochSecond) + nano / 1000` computes
/// them: the seconds saturate, then the micro-of-second is added, wrapping.
fn java_micros(total: i128) -> i64 {
    let secs = total.div_euclid(1_000_000);
    let rem = total.rem_euclid(1_000_000) as i64;
    let sat = (secs * 1_000_000).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    sat.wrapping_add(rem)
}

/// `timestamp` → ms since 1970-01-01 (`io.debezium.time.Timestamp`).
#[inline]
pub fn epoch_millis(pg_us: i64) -> i64 {
    match pg_us {
        i64::MAX => TS_POS_INFINITY_MICROS / 1000,
        i64::MIN => TS_NEG_INFINITY_MICROS / 1000,
        us => us.saturating_add(PG_EPOCH_USECS).div_euclid(1000),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 of a date read in the Julian calendar (astronomical years).
pub fn days_from_julian(y: i64, m: u32, d: u32) -> i64 {
    let a = (14 - i64::from(m)) / 12;
    let yy = y + 4800 - a;
    let mm = i64::from(m) + 12 * a - 3;
    let jdn = i64::from(d) + (153 * mm + 2) / 5 + 365 * yy + yy.div_euclid(4) - 32083;
    jdn - 2_440_588
}

/// `date` inside an array, as Debezium streams it through `java.sql.Date` fields: the BC era
/// is lost (year N BC becomes N AD), the days the Gregorian reform skipped (1582-10-05 to
/// -14) roll forward ten days, and infinities become fixed junk values.
pub fn array_epoch_days(pg_days: i32) -> i32 {
    match pg_days {
        i32::MAX => return -622_191_234,
        i32::MIN => return -625_821_272,
        _ => {}
    }
    let (y, m, d) = civil_from_days(i64::from(pg_days) + PG_EPOCH_DAYS);
    let y = if y <= 0 { 1 - y } else { y };
    let gap = if y == 1582 && m == 10 && (5..=14).contains(&d) {
        10
    } else {
        0
    };
    (days_from_civil(y, m, d) + gap) as i32
}

/// `timestamp` inside an array, as Debezium streams it through `java.sql.Timestamp`: before
/// 1582-10-15 the fields are read in the Julian calendar.
pub fn array_epoch_micros(pg_us: i64) -> i64 {
    if pg_us == i64::MAX || pg_us == i64::MIN {
        return epoch_micros(pg_us);
    }
    let days = pg_us.div_euclid(USECS_PER_DAY) + PG_EPOCH_DAYS;
    let us = pg_us.rem_euclid(USECS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let days = if (y, m, d) < (1582, 10, 15) {
        days_from_julian(y, m, d)
    } else {
        days
    };
    // Past year 292277 the count overflows, as for a column (fuzzing found the overflow).
    java_micros(i128::from(days) * i128::from(USECS_PER_DAY) + i128::from(us))
}

/// (year, month, day) of a day count since 1970-01-01, proleptic Gregorian.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn put2<O: Out + ?Sized>(o: &mut O, v: u32) {
    o.put(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8]);
}

/// `ISO_LOCAL_DATE` year: 4 digits, `+` beyond 9999, `-` and 4 digits for BC years.
fn put_year<O: Out + ?Sized>(o: &mut O, y: i64) {
    if y > 9999 {
        o.put_u8(b'+');
        o.put_int(y);
    } else if (0..=9999).contains(&y) {
        put4(o, y as u32);
    } else if y >= -9999 {
        o.put_u8(b'-');
        put4(o, (-y) as u32);
    } else {
        o.put_int(y);
    }
}

fn put4<O: Out + ?Sized>(o: &mut O, v: u32) {
    o.put(&[
        b'0' + (v / 1000) as u8,
        b'0' + (v / 100 % 10) as u8,
        b'0' + (v / 10 % 10) as u8,
        b'0' + (v % 10) as u8,
    ]);
}

/// Writes the fraction of a second (`nanos` < 1e9): exactly `width` digits when 1..=9,
/// otherwise the fewest digits (`java.time`'s `appendFraction(NANO, 0, 9, true)`).
fn put_fraction<O: Out + ?Sized>(o: &mut O, nanos: u32, width: i32) {
    let mut digits = [0u8; 9];
    let mut n = nanos;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    if (1..=9).contains(&width) {
        o.put_u8(b'.');
        o.put(&digits[..width as usize]);
    } else if nanos != 0 {
        let end = digits.iter().rposition(|&d| d != b'0').map_or(0, |p| p + 1);
        o.put_u8(b'.');
        o.put(&digits[..end]);
    }
}

/// Writes `HH:mm:ss` of a time of day in microseconds.
fn put_hms<O: Out + ?Sized>(o: &mut O, us_of_day: i64) {
    let secs = us_of_day / 1_000_000;
    put2(o, (secs / 3600) as u32);
    o.put_u8(b':');
    put2(o, ((secs / 60) % 60) as u32);
    o.put_u8(b':');
    put2(o, (secs % 60) as u32);
}

/// Writes a `timestamptz` (µs since 2000-01-01 UTC) as Debezium's `ZonedTimestamp` string
/// (without quotes): UTC, fraction width `width` (the column's precision), `Z` offset.
pub fn write_zoned_timestamp<O: Out + ?Sized>(o: &mut O, pg_us: i64, width: i32) {
    match pg_us {
        i64::MAX => return o.put(b"infinity"),
        i64::MIN => return o.put(b"-infinity"),
        _ => {}
    }
    let days = pg_us.div_euclid(USECS_PER_DAY);
    let us_of_day = pg_us.rem_euclid(USECS_PER_DAY);
    let (y, m, d) = civil_from_days(days + PG_EPOCH_DAYS);
    put_year(o, y);
    o.put_u8(b'-');
    put2(o, m);
    o.put_u8(b'-');
    put2(o, d);
    o.put_u8(b'T');
    put_hms(o, us_of_day);
    put_fraction(o, (us_of_day % 1_000_000) as u32 * 1000, width);
    o.put_u8(b'Z');
}

/// Writes a `timestamptz` inside an array as Debezium streams it: `-infinity` becomes
/// `java.util.Date`'s far-future junk, and the BC era is lost (year N BC prints as N AD).
pub fn write_array_zoned_timestamp<O: Out + ?Sized>(o: &mut O, pg_us: i64, width: i32) {
    match pg_us {
        i64::MAX => return o.put(b"infinity"),
        i64::MIN => {
            o.put(b"+292269055-12-02T23:00:00");
            put_fraction(o, 0, width);
            return o.put_u8(b'Z');
        }
        _ => {}
    }
    let days = pg_us.div_euclid(USECS_PER_DAY) + PG_EPOCH_DAYS;
    let (y, m, d) = civil_from_days(days);
    let gap = y == 1582 && m == 10 && (5..=14).contains(&d);
    if y > 0 && !gap {
        return write_zoned_timestamp(o, pg_us, width);
    }
    let days = days_from_civil(if y <= 0 { 1 - y } else { y }, m, d) + if gap { 10 } else { 0 };
    write_zoned_timestamp(
        o,
        (days - PG_EPOCH_DAYS) * USECS_PER_DAY + pg_us.rem_euclid(USECS_PER_DAY),
        width,
    );
}

/// Writes a `timetz` (µs of local time, zone in seconds west of UTC) as Debezium's
/// `ZonedTime` string: converted to UTC, seconds always printed, fewest fraction digits.
pub fn write_zoned_time<O: Out + ?Sized>(o: &mut O, time_us: i64, zone_secs_west: i32) {
    // In 128 bits: a stored time is within a day, but no input may overflow (fuzzing found it).
    let utc = (i128::from(time_us) + i128::from(zone_secs_west) * 1_000_000)
        .rem_euclid(i128::from(USECS_PER_DAY)) as i64;
    put_hms(o, utc);
    put_fraction(o, (utc % 1_000_000) as u32 * 1000, 0);
    o.put_u8(b'Z');
}

/// The fields pgjdbc's `PGInterval` reads out of the interval text PostgreSQL prints:
/// years, months, days, hours, minutes, whole seconds and µs (all with the sign of their part).
pub fn interval_fields(months: i32, days: i32, time_us: i64) -> [i64; 7] {
    [
        i64::from(months / 12),
        i64::from(months % 12),
        i64::from(days),
        time_us / 3_600_000_000,
        (time_us % 3_600_000_000) / 60_000_000,
        (time_us % 60_000_000) / 1_000_000,
        time_us % 1_000_000,
    ]
}

/// Debezium's `MicroDuration` of interval fields: an approximate microsecond count using
/// 365.25/12 days per month, computed in IEEE doubles in the order Debezium does.
pub fn interval_fields_micros(f: &[i64; 7]) -> i64 {
    let seconds = f[5] as f64 + f[6] as f64 / 1e6;
    const DAYS_PER_MONTH_AVG: f64 = 365.25 / 12.0;
    let number_of_days = (f[0] as f64 * 12.0 + f[1] as f64) * DAYS_PER_MONTH_AVG + f[2] as f64;
    let number_of_seconds =
        ((number_of_days * 24.0 + f[3] as f64) * 60.0 + f[4] as f64) * 60.0 + seconds;
    (number_of_seconds * 1e6) as i64
}

/// Debezium's `MicroDuration` of an `interval`.
pub fn interval_micros(months: i32, days: i32, time_us: i64) -> i64 {
    interval_fields_micros(&interval_fields(months, days, time_us))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg_us(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64, us: i64) -> i64 {
        // days from civil (inverse of civil_from_days), for tests only
        let y2 = if mo <= 2 { y - 1 } else { y };
        let era = y2.div_euclid(400);
        let yoe = y2.rem_euclid(400);
        let mp = (i64::from(mo) + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468 - PG_EPOCH_DAYS;
        days * USECS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1_000_000 + us
    }

    fn zts(us: i64, w: i32) -> String {
        let mut v = Vec::new();
        write_zoned_timestamp(&mut v, us, w);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn zoned_timestamps_match_captured_debezium() {
        let t = pg_us(2016, 11, 4, 11, 51, 30, 123_456);
        assert_eq!(zts(t, 6), "2016-11-04T11:51:30.123456Z");
        assert_eq!(
            zts(pg_us(2016, 11, 4, 11, 51, 30, 0), 0),
            "2016-11-04T11:51:30Z"
        );
        assert_eq!(
            zts(pg_us(2016, 11, 4, 11, 51, 30, 100_000), 3),
            "2016-11-04T11:51:30.100Z"
        );
        assert_eq!(
            zts(pg_us(2016, 11, 4, 13, 51, 30, 0), 6),
            "2016-11-04T13:51:30.000000Z"
        );
        assert_eq!(zts(i64::MAX, 6), "infinity");
        assert_eq!(zts(i64::MIN, 6), "-infinity");
        // 44 BC is astronomical year -43.
        assert_eq!(
            zts(pg_us(-43, 3, 15, 12, 0, 0, 0), 6),
            "-0043-03-15T12:00:00.000000Z"
        );
        assert_eq!(
            zts(pg_us(21016, 11, 4, 6, 51, 30, 123_456), 6),
            "+21016-11-04T06:51:30.123456Z"
        );
        assert_eq!(
            zts(pg_us(1970, 1, 1, 0, 0, 0, 0), 6),
            "1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            zts(pg_us(1969, 12, 31, 23, 59, 59, 500_000), 0),
            "1969-12-31T23:59:59.5Z"
        );
    }

    #[test]
    fn zoned_time() {
        let mut v = Vec::new();
        let t = ((13 * 60 + 51) * 60 + 30) * 1_000_000 + 123_789;
        write_zoned_time(&mut v, t, -7200);
        assert_eq!(v, b"11:51:30.123789Z");
        v.clear();
        write_zoned_time(
            &mut v,
            ((13 * 60 + 51) * 60 + 30) * 1_000_000 + 100_000,
            -7200,
        );
        assert_eq!(v, b"11:51:30.1Z");
        v.clear();
        write_zoned_time(&mut v, 3600 * 1_000_000, 7200);
        assert_eq!(v, b"03:00:00Z");
        v.clear();
        write_zoned_time(&mut v, 0, -3600);
        assert_eq!(v, b"23:00:00Z");
        // Fuzzing found it: times no timetz holds overflowed; they are still a time of day.
        for (t, z, want) in [
            (i64::MAX, 57_599, &b"20:00:53.775807Z"[..]),
            (i64::MIN, -57_599, b"03:59:06.224192Z"),
            (i64::MAX, i32::MAX, b"07:15:01.775807Z"),
        ] {
            v.clear();
            write_zoned_time(&mut v, t, z);
            assert_eq!(v, want);
        }
    }

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(epoch_days(6152), 17109); // 2016-11-04
        assert_eq!(epoch_days(i32::MAX), -2147472692);
        assert_eq!(epoch_days(i32::MIN), -2147472691);
        let t = pg_us(2016, 11, 4, 13, 51, 30, 123_456);
        assert_eq!(epoch_micros(t), 1478267490123456);
        assert_eq!(
            epoch_millis(pg_us(2016, 11, 4, 13, 51, 30, 500_000)),
            1478267490500
        );
        assert_eq!(epoch_micros(i64::MAX), 9223372036825200000);
        assert_eq!(epoch_micros(i64::MIN), -9223372036832400000);
        assert_eq!(epoch_millis(i64::MAX), 9223372036825200);
        assert_eq!(epoch_millis(pg_us(1969, 12, 31, 23, 59, 59, 999_000)), -1);
        assert_eq!(
            epoch_micros(pg_us(294276, 12, 31, 23, 59, 59, 999_999)),
            -9223372036853775810
        );
    }

    #[test]
    fn array_quirks_match_captured_debezium() {
        let days = |y, m, d| (days_from_civil(y, m, d) - PG_EPOCH_DAYS) as i32;
        assert_eq!(array_epoch_days(days(0, 1, 1)), -719162);
        assert_eq!(array_epoch_days(days(1500, 1, 1)), -171664);
        assert_eq!(array_epoch_days(days(1582, 10, 14)), -141418);
        assert_eq!(array_epoch_days(days(1582, 10, 15)), -141427);
        assert_eq!(array_epoch_days(days(-43, 3, 15)), -703383);
        assert_eq!(
            array_epoch_micros(pg_us(-43, 3, 15, 12, 0, 0, 0)),
            -63517953600000000
        );
        assert_eq!(
            array_epoch_micros(pg_us(1500, 1, 1, 0, 0, 0, 0)),
            -14830992000000000
        );
        // Fuzzing found it: the last years PostgreSQL stores overflowed (a panic in debug
        // builds); they wrap as a column's do.
        let last = pg_us(294276, 12, 31, 23, 59, 59, 999_999);
        assert_eq!(array_epoch_micros(last), epoch_micros(last));
        assert_eq!(array_epoch_micros(last), -9223372036853775810);
        assert_eq!(array_epoch_micros(i64::MAX - 1), epoch_micros(i64::MAX - 1));
        assert!(array_epoch_micros(i64::MIN + 1) < 0);
        let mut v = Vec::new();
        write_array_zoned_timestamp(&mut v, pg_us(-43, 3, 15, 12, 0, 0, 0), 6);
        assert_eq!(v, b"0044-03-15T12:00:00.000000Z");
        v.clear();
        write_array_zoned_timestamp(&mut v, i64::MIN, 6);
        assert_eq!(v, b"+292269055-12-02T23:00:00.000000Z");
    }

    #[test]
    fn intervals_match_captured_debezium() {
        let time = |h: i64, m: i64, s: i64, us: i64| ((h * 60 + m) * 60 + s) * 1_000_000 + us;
        assert_eq!(
            interval_micros(14, 3, time(4, 5, 6, 780_000)),
            37091106780000
        );
        assert_eq!(
            interval_micros(-14, 3, -time(4, 5, 6, 789_000)),
            -36572706789000
        );
        assert_eq!(
            interval_micros(100 * 12 + 11, 30, time(23, 59, 59, 999_999)),
            3187366199999999
        );
    }
}
