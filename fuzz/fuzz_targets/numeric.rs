//! numeric's on-disk bytes through `Numeric::from_disk` and every decimal encoding
//! (`decimal.handling.mode` precise at fixed and variable scale, string, double).
//!
//! Invariants: no panic; for valid digits the unscaled value (as Java's
//! `BigInteger.toByteArray()` bytes), the i128 fast path, `toPlainString` and the
//! `VariableScaleDecimal` agree with a schoolbook decimal reference; every encoding is JSON
//! conforming to its schema.
#![no_main]

use arbitrary::Unstructured;
use cedar_cdc_core::config::Config;
use cedar_cdc_core::encode::decimal::{java_bytes_i128, Numeric, NumericKind};
use cedar_cdc_core::plan::types::{oid, plan_column, PgColumn, PgType};
use cedar_cdc_fuzz::{numeric_bytes, write_checked, OwnedValue};
use libfuzzer_sys::fuzz_target;

/// Decimal digits (most significant first, no leading zeros, "0" for zero) of
/// `Σ d_i·10000^(n-1-i) · 10^e`, truncated toward zero; `None` when too long to check.
fn reference(digits: &[u16], e: i64) -> Option<String> {
    if digits.len() > 64 || e > 600 {
        return None;
    }
    // Little-endian decimal digits.
    let mut v: Vec<u8> = Vec::new();
    for &d in digits {
        // v = v * 10000 + d
        let mut carry = u32::from(d);
        for x in v.iter_mut() {
            let t = u32::from(*x) * 10_000 + carry;
            *x = (t % 10) as u8;
            carry = t / 10;
        }
        while carry > 0 {
            v.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if e >= 0 {
        let mut z = vec![0u8; e as usize];
        z.extend_from_slice(&v);
        v = z;
    } else {
        let drop = (-e) as usize;
        v = if drop >= v.len() {
            Vec::new()
        } else {
            v[drop..].to_vec()
        };
    }
    while v.last() == Some(&0) {
        v.pop();
    }
    if v.is_empty() {
        return Some("0".into());
    }
    Some(v.iter().rev().map(|d| char::from(b'0' + d)).collect())
}

/// Two's complement big-endian bytes → signed decimal text.
fn from_java_bytes(b: &[u8]) -> String {
    assert!(!b.is_empty(), "toByteArray() has at least one byte");
    if b.len() > 1 {
        let redundant = (b[0] == 0 && b[1] & 0x80 == 0) || (b[0] == 0xff && b[1] & 0x80 != 0);
        assert!(!redundant, "not minimal: {b:02x?}");
    }
    let neg = b[0] & 0x80 != 0;
    // Magnitude bytes.
    let mut mag = b.to_vec();
    if neg {
        for x in mag.iter_mut() {
            *x = !*x;
        }
        for x in mag.iter_mut().rev() {
            let (v, c) = x.overflowing_add(1);
            *x = v;
            if !c {
                break;
            }
        }
    }
    // Little-endian decimal digits of the magnitude.
    let mut v: Vec<u8> = Vec::new();
    for &byte in &mag {
        let mut carry = u32::from(byte);
        for x in v.iter_mut() {
            let t = u32::from(*x) * 256 + carry;
            *x = (t % 10) as u8;
            carry = t / 10;
        }
        while carry > 0 {
            v.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while v.last() == Some(&0) {
        v.pop();
    }
    if v.is_empty() {
        return "0".into();
    }
    let s: String = v.iter().rev().map(|d| char::from(b'0' + d)).collect();
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

fn signed(neg: bool, mag: String) -> String {
    if neg && mag != "0" {
        format!("-{mag}")
    } else {
        mag
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(wild) = u.ratio(1, 4) else { return };
    let Ok(bytes) = numeric_bytes(&mut u, wild) else {
        return;
    };
    let scale: i32 = u.int_in_range(-1100..=1100).unwrap_or(0);

    if let Some(n) = Numeric::from_disk(&bytes) {
        if n.kind == NumericKind::Finite {
            check_finite(&n, scale, &bytes);
        }
        let _ = n.to_f64();
    }

    // Every encoding of a numeric column, at the column's own scale.
    let v = OwnedValue::Numeric(bytes);
    for mode in ["precise", "string", "double"] {
        let cfg = Config::parse("db", [("decimal.handling.mode", Some(mode))]).unwrap();
        for typmod in [-1, (((38 << 16) | (scale & 0x7ff)) + 4)] {
            let col = PgColumn {
                name: "n".into(),
                ty: PgType::builtin(oid::NUMERIC, typmod),
                ..PgColumn::default()
            };
            let plan = plan_column(&cfg, &col).unwrap();
            write_checked(&plan, &v, !wild);
        }
    }
});

fn check_finite(n: &Numeric<'_>, scale: i32, bytes: &[u8]) {
    let header = 2 + usize::from(u16::from_ne_bytes([bytes[0], bytes[1]]) & 0x8000 == 0) * 2;
    let digits: Vec<u16> = bytes[header..]
        .chunks_exact(2)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .collect();
    let valid = digits.iter().all(|&d| d < 10_000);
    let last_exp =
        |scale: i32| 4 * (i64::from(n.weight) - (digits.len() as i64 - 1)) + i64::from(scale);

    for s in [scale, i32::from(n.dscale), 0] {
        let big = n.unscaled(s);
        let mut jb = Vec::new();
        big.to_java_bytes(&mut jb);
        let fast = n.unscaled_i128(s);
        if let Some(v) = fast {
            if valid {
                let mut buf = [0u8; 16];
                assert_eq!(
                    java_bytes_i128(v, &mut buf),
                    &jb[..],
                    "i128 path disagrees at scale {s}: {v}"
                );
            }
        }
        if !valid || digits.is_empty() {
            continue;
        }
        if let Some(r) = reference(&digits, last_exp(s)) {
            let want = signed(n.negative, r);
            assert_eq!(from_java_bytes(&jb), want, "unscaled at scale {s} of {n:?}");
            if let Some(v) = fast {
                assert_eq!(v.to_string(), want, "i128 at scale {s}");
            }
        }
    }

    if !valid {
        let _ = (n.plain_string(), n.stripped());
        return;
    }
    // toPlainString: the unscaled value at dscale with the point dscale digits from the end.
    let plain = n.plain_string();
    let ds = usize::from(n.dscale);
    let plain_ref = if digits.is_empty() {
        Some("0".to_string())
    } else {
        reference(&digits, last_exp(i32::from(n.dscale)))
    };
    if let Some(r) = plain_ref {
        let body = if ds == 0 {
            r.clone()
        } else {
            let padded = format!("{r:0>w$}", w = ds + 1);
            let (i, f) = padded.split_at(padded.len() - ds);
            format!("{i}.{f}")
        };
        assert_eq!(
            plain,
            signed(n.negative && r != "0", body),
            "plain string of {n:?}"
        );
    }
    // VariableScaleDecimal: v · 10^(dscale - s) is the unscaled value, v has no trailing zero.
    let (v, s) = n.stripped();
    assert!((0..=i32::from(n.dscale)).contains(&s), "stripped scale {s}");
    let mut jb = Vec::new();
    v.to_java_bytes(&mut jb);
    if jb.len() > 400 || n.dscale > 800 {
        return;
    }
    let vs = from_java_bytes(&jb);
    if s > 0 {
        assert!(!vs.ends_with('0'), "trailing zero left: {vs} at scale {s}");
    }
    let mut fb = Vec::new();
    n.unscaled(i32::from(n.dscale)).to_java_bytes(&mut fb);
    let full = from_java_bytes(&fb);
    let back = if vs == "0" {
        "0".to_string()
    } else {
        format!("{vs}{}", "0".repeat((i32::from(n.dscale) - s) as usize))
    };
    assert_eq!(
        back, full,
        "stripped {vs} at scale {s}, dscale {}",
        n.dscale
    );
    let f = n.to_f64();
    assert!(!f.is_nan(), "finite numeric as NaN: {plain}");
}
