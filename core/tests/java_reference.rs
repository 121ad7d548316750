//! cedar_cdc's decimal and floating-point encoders against Java itself: the reference lines
//! that `pgrx-tests/chaos/java/JavaReference.java` prints (`BigDecimal.unscaledValue()
//! .toByteArray()` at the value's and a column's scale, Debezium's `VariableScaleDecimal`,
//! `toPlainString`, `doubleValue`, `Double.toString`, `Float.toString`) are compared byte for
//! byte with what the core writes for the same inputs.
//!
//! Run by `pgrx-tests/chaos/java-props`, which compiles and runs the Java program and passes
//! its output in `CEDAR_JAVA_REFERENCE`; ignored otherwise (it needs a JVM).
//!
//! The JDK this runs on may be older than 19, whose `Double.toString`/`Float.toString` print
//! the shortest digits that round-trip (JDK-4511638); before that they sometimes print more.
//! cedar_cdc prints the JDK 19+ digits (a deliberate difference, see the README), so where an
//! older JDK differs the test checks that both texts are the same number and that ours is the
//! shorter, and counts those apart.

use cedar_cdc_core::config::Config;
use cedar_cdc_core::encode::base64::{self, Alphabet};
use cedar_cdc_core::encode::decimal::{java_bytes_i128, Numeric};
use cedar_cdc_core::encode::javafmt;
use cedar_cdc_core::plan::types::{
    oid, plan_column, write_value, ColumnPlan, PgColumn, PgType, Value,
};

/// numeric's on-disk bytes (long form) of a plain decimal text, as PostgreSQL stores it:
/// base-10000 digits aligned on the point, zero groups stripped, zero always positive.
fn on_disk(s: &str) -> Vec<u8> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let dscale = frac.len() as u16;
    let ipad = (4 - int.len() % 4) % 4;
    let fpad = (4 - frac.len() % 4) % 4;
    let all = format!("{}{int}{frac}{}", "0".repeat(ipad), "0".repeat(fpad));
    let groups: Vec<u16> = all
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap().parse().unwrap())
        .collect();
    let mut weight = ((int.len() + ipad) / 4) as i16 - 1;
    let mut g: &[u16] = &groups;
    while let Some((&0, rest)) = g.split_first() {
        g = rest;
        weight -= 1;
    }
    while let Some((&0, rest)) = g.split_last() {
        g = rest;
    }
    let (neg, weight) = if g.is_empty() {
        (false, 0)
    } else {
        (neg, weight)
    };
    let header: u16 = if neg { 0x4000 } else { 0 } | dscale;
    let mut b = header.to_ne_bytes().to_vec();
    b.extend_from_slice(&weight.to_ne_bytes());
    for d in g {
        b.extend_from_slice(&d.to_ne_bytes());
    }
    b
}

fn b64(bytes: &[u8]) -> String {
    let mut o = Vec::new();
    base64::write(&mut o, bytes, Alphabet::Standard);
    String::from_utf8(o).unwrap()
}

fn numeric_plan(mode: &str, typmod: i32) -> ColumnPlan {
    let cfg = Config::parse("db", [("decimal.handling.mode", Some(mode))]).unwrap();
    let col = PgColumn {
        name: "n".into(),
        ty: PgType::builtin(oid::NUMERIC, typmod),
        ..PgColumn::default()
    };
    plan_column(&cfg, &col).unwrap()
}

fn written(plan: &ColumnPlan, v: Value<'_>) -> String {
    let mut o = Vec::new();
    write_value(&mut o, plan, &v);
    String::from_utf8(o).unwrap()
}

/// Significant digits of a Java floating-point text (`1.2345E-7` → 5).
fn significant(s: &str) -> usize {
    let m = s.trim_start_matches('-').split('E').next().unwrap();
    let d: String = m.chars().filter(char::is_ascii_digit).collect();
    let d = d.trim_start_matches('0');
    let d = d.trim_end_matches('0');
    d.len().max(1)
}

/// A non-negative big integer, little-endian base 2^32: just enough to compare distances.
#[derive(Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from(v: u128) -> Self {
        let mut b = Big((0..4).map(|i| (v >> (32 * i)) as u32).collect());
        b.trim();
        b
    }
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
    fn mul(&mut self, m: u32, times: u32) {
        for _ in 0..times {
            let mut carry = 0u64;
            for l in &mut self.0 {
                let v = u64::from(*l) * u64::from(m) + carry;
                *l = v as u32;
                carry = v >> 32;
            }
            if carry != 0 {
                self.0.push(carry as u32);
            }
        }
    }
    fn cmp(&self, o: &Big) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }
    /// |self - o|
    fn diff(&self, o: &Big) -> Big {
        let (a, b) = if self.cmp(o).is_ge() {
            (self, o)
        } else {
            (o, self)
        };
        let mut r = a.0.clone();
        let mut borrow = 0i64;
        for (i, l) in r.iter_mut().enumerate() {
            let v = i64::from(*l) - i64::from(*b.0.get(i).unwrap_or(&0)) - borrow;
            borrow = i64::from(v < 0);
            *l = v.rem_euclid(1 << 32) as u32;
        }
        let mut d = Big(r);
        d.trim();
        d
    }
}

/// Whether decimal text `a` is nearer than `b` to `mant · 2^exp` (both texts with the same
/// number of significant digits and the same decimal exponent; exact arithmetic).
fn nearer(a: &str, b: &str, mant: u64, exp: i32) -> bool {
    // D · 10^k of a Java text d.dddE±n or plain ddd.ddd.
    let parse = |t: &str| -> (u128, i32) {
        let t = t.trim_start_matches('-');
        let (m, e) = t
            .split_once('E')
            .map_or((t, 0), |(m, e)| (m, e.parse().unwrap()));
        let (i, f) = m.split_once('.').unwrap_or((m, ""));
        let digits = format!("{i}{f}");
        (digits.parse().unwrap(), e - f.len() as i32)
    };
    let ((da, ka), (db, kb)) = (parse(a), parse(b));
    if ka != kb {
        return false;
    }
    // Scale to integers: multiply everything by 10^-k (k < 0) and 2^-exp (exp < 0).
    let (p10, p2) = ((-ka).max(0) as u32, (-exp).max(0) as u32);
    let scaled = |d: u128| {
        let mut v = Big::from(d);
        v.mul(10, ka.max(0) as u32);
        v.mul(2, p2);
        v
    };
    let mut x = Big::from(u128::from(mant));
    x.mul(2, exp.max(0) as u32);
    x.mul(10, p10);
    let (va, vb) = (scaled(da), scaled(db));
    va.diff(&x).cmp(&vb.diff(&x)).is_lt()
}

/// Mantissa and binary exponent of a finite double (`|x| = m · 2^e`).
fn decompose64(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32;
    let f = bits & ((1 << 52) - 1);
    if e == 0 {
        (f, -1074)
    } else {
        (f | (1 << 52), e - 1075)
    }
}

/// Mantissa and binary exponent of a finite float.
fn decompose32(x: f32) -> (u64, i32) {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32;
    let f = u64::from(bits & ((1 << 23) - 1));
    if e == 0 {
        (f, -149)
    } else {
        (f | (1 << 23), e - 150)
    }
}

#[derive(Default, Debug)]
struct Counts {
    compared: usize,
    exact: usize,
    older_jdk: usize,
    mismatches: Vec<String>,
}

/// Compares our text of a float with Java's, allowing only what JDK-4511638 fixed in JDK 19:
/// Java printing more digits than needed, or (`closer`) as many but not the closest ones.
fn compare_float(
    c: &mut Counts,
    ours: &str,
    java: &str,
    same: impl Fn(&str) -> bool,
    closer: impl Fn(&str, &str) -> bool,
) {
    c.compared += 1;
    let (so, sj) = (significant(ours), significant(java));
    if ours == java {
        c.exact += 1;
    } else if same(java)
        && same(ours)
        && (so < sj || (so == sj && closer(ours, java)))
        && ours.contains('E') == java.contains('E')
    {
        c.older_jdk += 1;
    } else {
        c.mismatches.push(format!("ours {ours:?}, Java {java:?}"));
    }
}

#[test]
fn nearer_is_exact() {
    // 0.1 is 0x3FB999999999999A: above 0.1, so 0.1 is nearer than 0.2 and 0.09.
    let (m, e) = decompose64(0.1);
    assert!(nearer("0.1", "0.2", m, e));
    assert!(!nearer("0.2", "0.1", m, e));
    // The float 4.4460043E25 is 44460042806863563524669440: ...43E25 is nearer than ...42E25.
    let (m, e) = decompose32(4.446_004_3e25);
    assert!(nearer("4.4460043E25", "4.4460042E25", m, e));
    assert!(!nearer("4.4460042E25", "4.4460043E25", m, e));
    let (m, e) = decompose64(5e-324);
    assert!(nearer("4.9E-324", "5.0E-324", m, e));
}

#[test]
#[ignore = "needs CEDAR_JAVA_REFERENCE from pgrx-tests/chaos/java-props"]
fn matches_java() {
    let path = std::env::var("CEDAR_JAVA_REFERENCE")
        .expect("CEDAR_JAVA_REFERENCE names JavaReference's output");
    let text = std::fs::read_to_string(&path).unwrap();
    let unconstrained = numeric_plan("precise", -1);
    let string_plan = numeric_plan("string", -1);
    let (mut n, mut d, mut f) = (Counts::default(), Counts::default(), Counts::default());
    for line in text.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        match cols[0] {
            "N" => {
                let [_, s, scale, unscaled, scale2, unscaled2, sscale, sunscaled, plain, dbits] =
                    cols[..]
                else {
                    panic!("bad line {line:?}")
                };
                let disk = on_disk(s);
                let num = Numeric::from_disk(&disk).unwrap();
                let scale: i32 = scale.parse().unwrap();
                let scale2: i32 = scale2.parse().unwrap();
                let mut bytes = Vec::new();
                num.unscaled(scale).to_java_bytes(&mut bytes);
                let mut buf = [0u8; 16];
                let fast = num
                    .unscaled_i128(scale)
                    .map(|v| b64(java_bytes_i128(v, &mut buf)));
                let fixed = numeric_plan("precise", ((1000 << 16) | scale2) + 4);
                let checks = [
                    ("unscaled", b64(&bytes), unscaled.to_string()),
                    (
                        "i128 path",
                        fast.unwrap_or_else(|| unscaled.to_string()),
                        unscaled.to_string(),
                    ),
                    (
                        "Decimal at column scale",
                        written(&fixed, Value::Numeric(num)),
                        format!("\"{unscaled2}\""),
                    ),
                    (
                        "VariableScaleDecimal",
                        written(&unconstrained, Value::Numeric(num)),
                        format!("{{\"scale\":{sscale},\"value\":\"{sunscaled}\"}}"),
                    ),
                    (
                        "toPlainString",
                        written(&string_plan, Value::Numeric(num)),
                        format!("\"{plain}\""),
                    ),
                    (
                        "doubleValue",
                        format!("{:x}", num.to_f64().to_bits()),
                        dbits.to_string(),
                    ),
                ];
                n.compared += 1;
                let mut ok = true;
                for (what, ours, java) in checks {
                    if ours != java {
                        ok = false;
                        n.mismatches
                            .push(format!("{s}: {what}: ours {ours}, Java {java}"));
                    }
                }
                n.exact += usize::from(ok);
            }
            "D" => {
                let x = f64::from_bits(u64::from_str_radix(cols[1], 16).unwrap());
                let mut o = Vec::new();
                javafmt::write_f64(&mut o, x);
                let ours = String::from_utf8(o).unwrap();
                compare_float(
                    &mut d,
                    &ours,
                    cols[2],
                    |t| t.parse::<f64>().is_ok_and(|y| y.to_bits() == x.to_bits()),
                    |a, b| {
                        let (m, e) = decompose64(x);
                        nearer(a, b, m, e)
                    },
                );
            }
            "F" => {
                let x = f32::from_bits(u32::from_str_radix(cols[1], 16).unwrap());
                let mut o = Vec::new();
                javafmt::write_f32(&mut o, x);
                let ours = String::from_utf8(o).unwrap();
                compare_float(
                    &mut f,
                    &ours,
                    cols[2],
                    |t| t.parse::<f32>().is_ok_and(|y| y.to_bits() == x.to_bits()),
                    |a, b| {
                        let (m, e) = decompose32(x);
                        nearer(a, b, m, e)
                    },
                );
            }
            other => panic!("unknown line kind {other:?}"),
        }
    }
    for (what, c) in [
        ("BigDecimal", &n),
        ("Double.toString", &d),
        ("Float.toString", &f),
    ] {
        println!(
            "{what}: {} compared, {} identical, {} older-JDK digits, {} mismatches",
            c.compared,
            c.exact,
            c.older_jdk,
            c.mismatches.len()
        );
        for m in c.mismatches.iter().take(20) {
            println!("  {m}");
        }
    }
    assert!(
        n.compared >= 1000 && d.compared >= 1000 && f.compared >= 1000,
        "too few inputs"
    );
    assert!(
        n.mismatches.is_empty() && d.mismatches.is_empty() && f.mismatches.is_empty(),
        "cedar_cdc differs from Java"
    );
}
