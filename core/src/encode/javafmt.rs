//! `Double.toString` / `Float.toString` as Jackson prints Connect `float64`/`float32` values.
//!
//! Digits are the shortest that round-trip (the JDK 19+ algorithm, JDK-4511638); the layout is
//! Java's: plain decimal with at least one fraction digit for 1e-3 <= |x| < 1e7, otherwise
//! `d.dddE±n`. JDK 17 prints a few values with extra digits (e.g. `2.0E-3` is fine but `1.0E23`
//! becomes `9.999999999999999E22`); see the README for this deliberate difference.
//! NaN and infinities are written by the caller as the quoted strings Jackson uses.

use crate::encode::out::{Out, OutExt};

/// Writes `x` as Java's `Double.toString` does (finite values only).
pub fn write_f64<O: Out + ?Sized>(o: &mut O, x: f64) {
    let mut b = ryu::Buffer::new();
    let s = b.format_finite(x);
    if significant_digits(s.as_bytes()) == 1 && x != 0.0 {
        // Java considers two-digit decimals too when the shortest has one digit, and takes
        // the closest (e.g. 4.9E-324 rather than 5E-324).
        let two = format!("{x:.1e}");
        if two.parse::<f64>() == Ok(x) {
            return layout(o, two.as_bytes());
        }
    }
    layout(o, s.as_bytes());
}

/// Writes `x` as Java's `Float.toString` does (finite values only).
pub fn write_f32<O: Out + ?Sized>(o: &mut O, x: f32) {
    let mut b = ryu::Buffer::new();
    let s = b.format_finite(x);
    if significant_digits(s.as_bytes()) == 1 && x != 0.0 {
        let two = format!("{x:.1e}");
        if two.parse::<f32>() == Ok(x) {
            return layout(o, two.as_bytes());
        }
    }
    layout(o, s.as_bytes());
}

/// Number of significant digits in ryu's output.
fn significant_digits(s: &[u8]) -> usize {
    let m = s.split(|&c| c == b'e').next().unwrap_or(s);
    let digits: Vec<u8> = m.iter().copied().filter(u8::is_ascii_digit).collect();
    let start = digits
        .iter()
        .position(|&c| c != b'0')
        .unwrap_or(digits.len());
    let end = digits
        .iter()
        .rposition(|&c| c != b'0')
        .map_or(start, |p| p + 1);
    end.saturating_sub(start)
}

/// Re-lays out ryu's shortest representation in Java's format.
fn layout<O: Out + ?Sized>(o: &mut O, s: &[u8]) {
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let (mant, exp) = match s.iter().position(|&c| c == b'e' || c == b'E') {
        Some(p) => (&s[..p], parse_exp(&s[p + 1..])),
        None => (s, 0i32),
    };
    // Collect the significant digits and the position of the decimal point.
    let mut digits = [0u8; 40];
    let mut n = 0usize;
    let mut point: i32 = -1;
    for &c in mant {
        if c == b'.' {
            point = n as i32;
        } else if n < digits.len() {
            digits[n] = c;
            n += 1;
        }
    }
    if point < 0 {
        point = n as i32;
    }
    // Strip leading zeros.
    let mut lead = 0;
    while lead < n && digits[lead] == b'0' {
        lead += 1;
    }
    if neg {
        o.put_u8(b'-');
    }
    if lead == n {
        o.put(b"0.0");
        return;
    }
    let mut end = n;
    while end > lead && digits[end - 1] == b'0' {
        end -= 1;
    }
    let d = &digits[lead..end];
    // value = d[0].d[1..] * 10^e
    let e = point - lead as i32 - 1 + exp;
    if (-3..7).contains(&e) {
        if e >= 0 {
            let int_len = (e + 1) as usize;
            if d.len() <= int_len {
                o.put(d);
                for _ in d.len()..int_len {
                    o.put_u8(b'0');
                }
                o.put(b".0");
            } else {
                o.put(&d[..int_len]);
                o.put_u8(b'.');
                o.put(&d[int_len..]);
            }
        } else {
            o.put(b"0.");
            for _ in 0..(-e - 1) {
                o.put_u8(b'0');
            }
            o.put(d);
        }
    } else {
        o.put_u8(d[0]);
        o.put_u8(b'.');
        if d.len() > 1 {
            o.put(&d[1..]);
        } else {
            o.put_u8(b'0');
        }
        o.put_u8(b'E');
        o.put_int(e);
    }
}

fn parse_exp(s: &[u8]) -> i32 {
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = s
        .iter()
        .fold(0i32, |a, &c| a * 10 + i32::from(c.wrapping_sub(b'0')));
    if neg {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(x: f64) -> String {
        let mut v = Vec::new();
        write_f64(&mut v, x);
        String::from_utf8(v).unwrap()
    }

    fn f(x: f32) -> String {
        let mut v = Vec::new();
        write_f32(&mut v, x);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn doubles_like_java() {
        assert_eq!(d(4.44), "4.44");
        assert_eq!(d(100.0), "100.0");
        assert_eq!(d(1e7), "1.0E7");
        assert_eq!(d(9999999.0), "9999999.0");
        assert_eq!(d(1e-7), "1.0E-7");
        assert_eq!(d(1.5e300), "1.5E300");
        assert_eq!(d(0.001), "0.001");
        assert_eq!(d(0.0001), "1.0E-4");
        assert_eq!(d(0.0), "0.0");
        assert_eq!(d(-0.0), "-0.0");
        assert_eq!(d(-2.0), "-2.0");
        assert_eq!(d(123456.789), "123456.789");
        assert_eq!(d(1.0e23), "1.0E23");
        assert_eq!(d(1.2345678e7), "1.2345678E7");
        assert_eq!(d(f64::MAX), "1.7976931348623157E308");
        assert_eq!(d(f64::MIN_POSITIVE), "2.2250738585072014E-308");
        assert_eq!(d(5e-324), "4.9E-324");
        assert_eq!(d(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn floats_like_java() {
        assert_eq!(f(3.3), "3.3");
        assert_eq!(f(1e10), "1.0E10");
        assert_eq!(f(f32::MAX), "3.4028235E38");
        assert_eq!(f(1.0e-5), "1.0E-5");
        assert_eq!(f(0.5), "0.5");
        assert_eq!(f(f32::from_bits(1)), "1.4E-45");
    }
}
