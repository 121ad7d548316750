//! PostgreSQL `numeric` values and their Debezium encodings.
//!
//! The plugin hands over numeric's on-disk form (sign, weight, display scale and base-10000
//! digits), so no text round trip is needed. From it we compute the unscaled integer that
//! Kafka Connect's `Decimal` writes as big-endian two's complement bytes, the
//! `VariableScaleDecimal` struct, `BigDecimal.toPlainString()` text, or the nearest double.

/// Which kind of numeric value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumericKind {
    Finite,
    NaN,
    PosInf,
    NegInf,
}

/// A borrowed numeric in PostgreSQL's representation.
#[derive(Clone, Copy, Debug)]
pub struct Numeric<'a> {
    pub kind: NumericKind,
    pub negative: bool,
    /// Weight of the first digit, in base-10000 places.
    pub weight: i16,
    /// Number of decimal digits after the point in the display form.
    pub dscale: u16,
    /// Base-10000 digits, each a native-endian `u16`, most significant first.
    pub digits: &'a [u8],
}

impl<'a> Numeric<'a> {
    /// A finite numeric.
    pub fn finite(negative: bool, weight: i16, dscale: u16, digits: &'a [u8]) -> Self {
        Numeric {
            kind: NumericKind::Finite,
            negative,
            weight,
            dscale,
            digits,
        }
    }

    /// A special value (NaN or an infinity).
    pub fn special(kind: NumericKind) -> Self {
        Numeric {
            kind,
            negative: false,
            weight: 0,
            dscale: 0,
            digits: &[],
        }
    }

    /// Reads numeric's on-disk form, the bytes after the varlena header
    /// (`src/backend/utils/adt/numeric.c`: a short, long or special header, then base-10000
    /// digits); `None` when the bytes are too short for their header.
    pub fn from_disk(b: &'a [u8]) -> Option<Self> {
        const SIGN_MASK: u16 = 0xC000;
        const NEG: u16 = 0x4000;
        const SHORT: u16 = 0x8000;
        const SPECIAL: u16 = 0xC000;
        let header = u16::from_ne_bytes([*b.first()?, *b.get(1)?]);
        Some(match header & SIGN_MASK {
            SPECIAL => Numeric::special(match header & 0xF000 {
                0xD000 => NumericKind::PosInf,
                0xF000 => NumericKind::NegInf,
                _ => NumericKind::NaN,
            }),
            SHORT => {
                let negative = header & 0x2000 != 0;
                let dscale = (header & 0x1F80) >> 7;
                // A 7-bit two's complement weight.
                let weight = if header & 0x0040 != 0 {
                    (!0x003F_u16 | (header & 0x003F)) as i16
                } else {
                    (header & 0x003F) as i16
                };
                Numeric::finite(negative, weight, dscale, &b[2..])
            }
            sign => {
                let weight = i16::from_ne_bytes([*b.get(2)?, *b.get(3)?]);
                Numeric::finite(sign == NEG, weight, header & 0x3FFF, &b[4..])
            }
        })
    }

    fn ndigits(&self) -> usize {
        self.digits.len() / 2
    }

    fn digit(&self, i: usize) -> u32 {
        u32::from(u16::from_ne_bytes([
            self.digits[2 * i],
            self.digits[2 * i + 1],
        ]))
    }

    /// The unscaled integer `value * 10^scale`, truncating digits beyond `scale` (PostgreSQL
    /// never stores more than a column's declared scale).
    pub fn unscaled(&self, scale: i32) -> BigInt {
        let mut acc = BigInt::zero();
        let n = self.ndigits();
        if n == 0 {
            return acc;
        }
        // Exponent (base 10) of the last digit group's least significant decimal digit.
        let last_exp = 4 * (i32::from(self.weight) - (n as i32 - 1)) + scale;
        for i in 0..n {
            acc.mul_small_add(10_000, self.digit(i));
        }
        if last_exp >= 0 {
            acc.mul_pow10(last_exp as u32);
        } else {
            acc.div_pow10((-last_exp) as u32);
        }
        acc.negative = self.negative && !acc.is_zero();
        acc
    }

    /// [`Numeric::unscaled`] without allocating, when the result fits in an `i128` (38 digits).
    pub fn unscaled_i128(&self, scale: i32) -> Option<i128> {
        let n = self.ndigits();
        let last_exp = 4 * (i32::from(self.weight) - (n as i32 - 1)) + scale;
        // Up to four groups (16 digits) fit a u64, which avoids 128-bit multiplication and
        // division for the common column types.
        if (1..=4).contains(&n) && (-19..=3).contains(&last_exp) {
            let mut acc: u64 = 0;
            for i in 0..n {
                acc = acc * 10_000 + u64::from(self.digit(i));
            }
            let acc = if last_exp >= 0 {
                acc * 10u64.pow(last_exp as u32)
            } else {
                acc / 10u64.pow((-last_exp) as u32)
            };
            let v = i128::from(acc);
            return Some(if self.negative { -v } else { v });
        }
        let mut acc: i128 = 0;
        for i in 0..n {
            acc = acc
                .checked_mul(10_000)?
                .checked_add(i128::from(self.digit(i)))?;
        }
        if n == 0 {
            return Some(0);
        }
        if last_exp >= 0 {
            acc = acc.checked_mul(10i128.checked_pow(last_exp as u32)?)?;
        } else if last_exp > -39 {
            acc /= 10i128.pow((-last_exp) as u32);
        } else {
            acc = 0;
        }
        Some(if self.negative { -acc } else { acc })
    }

    /// `BigDecimal.stripTrailingZeros()` followed by `setScale(0)` when the scale went
    /// negative: the unscaled value and its scale, as Debezium's `VariableScaleDecimal` holds.
    ///
    /// The trailing zeros are counted on the base-10000 digits, so only one big-integer
    /// conversion is made (dividing out one zero at a time took seconds for the longest
    /// numerics: fuzzing found it).
    pub fn stripped(&self) -> (BigInt, i32) {
        let dscale = i32::from(self.dscale);
        // Fraction digits (up to dscale) after which only zeros follow.
        let mut last = 0;
        for k in 1..=dscale {
            if self.fraction_digit(k) != 0 {
                last = k;
            }
        }
        let v = self.unscaled(last);
        if v.is_zero() {
            return (v, 0);
        }
        (v, last)
    }

    /// Decimal digit `k` (1-based) after the point, within the stored digits.
    fn fraction_digit(&self, k: i32) -> u32 {
        // Group index of fraction digit k: groups after the point start at index weight + 1.
        let g = i64::from(self.weight) + 1 + i64::from((k - 1) / 4);
        match usize::try_from(g) {
            Ok(g) if g < self.ndigits() => {
                let d = self.digit(g);
                d / 10u32.pow(3 - ((k - 1) % 4) as u32) % 10
            }
            _ => 0,
        }
    }

    /// The plain decimal text PostgreSQL's `numeric_out` prints (`BigDecimal.toPlainString()`),
    /// written straight from the base-10000 digits as `get_str_from_var` does (a big-integer
    /// round trip was quadratic in the length: fuzzing found numerics taking seconds).
    pub fn plain_string(&self) -> String {
        let n = self.ndigits();
        let weight = i64::from(self.weight);
        let dscale = usize::from(self.dscale);
        let group = |g: i64| -> u32 {
            match usize::try_from(g) {
                Ok(g) if g < n => self.digit(g),
                _ => 0,
            }
        };
        let mut s = String::with_capacity(4 * (weight.max(0) as usize + 1) + dscale + 2);
        if weight < 0 {
            s.push('0');
        } else {
            let mut first = true;
            for g in 0..=weight {
                let d = group(g);
                if first {
                    if d != 0 || g == weight {
                        s.push_str(&d.to_string());
                        first = false;
                    }
                } else {
                    s.push_str(&format!("{d:04}"));
                }
            }
        }
        if dscale > 0 {
            s.push('.');
            let mut k = 0;
            let mut g = weight + 1;
            while k < dscale {
                let d = format!("{:04}", group(g));
                let take = (dscale - k).min(4);
                s.push_str(&d[..take]);
                k += take;
                g += 1;
            }
        }
        if self.negative && s.bytes().any(|b| matches!(b, b'1'..=b'9')) {
            s.insert(0, '-');
        }
        s
    }

    /// The nearest double (`BigDecimal.doubleValue()`).
    pub fn to_f64(&self) -> f64 {
        match self.kind {
            NumericKind::NaN => f64::NAN,
            NumericKind::PosInf => f64::INFINITY,
            NumericKind::NegInf => f64::NEG_INFINITY,
            NumericKind::Finite => self.plain_string().parse().unwrap_or(f64::NAN),
        }
    }
}

/// Java's `BigInteger.toByteArray()` of an `i128`: the minimal big-endian two's complement
/// suffix of `buf`.
pub fn java_bytes_i128(v: i128, buf: &mut [u8; 16]) -> &[u8] {
    *buf = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (buf[start], buf[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    &buf[start..]
}

/// A small arbitrary-precision signed integer, just enough for numeric's 131072 digits.
/// Magnitude in little-endian base-2^32 limbs; fast for the common one- or two-limb case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BigInt {
    pub negative: bool,
    limbs: Vec<u32>,
}

impl BigInt {
    /// Zero.
    pub fn zero() -> Self {
        BigInt {
            negative: false,
            limbs: Vec::new(),
        }
    }

    /// From an `i128`.
    pub fn from_i128(v: i128) -> Self {
        let mut m = v.unsigned_abs();
        let mut limbs = Vec::new();
        while m != 0 {
            limbs.push(m as u32);
            m >>= 32;
        }
        BigInt {
            negative: v < 0,
            limbs,
        }
    }

    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.limbs.iter().all(|&l| l == 0)
    }

    fn mul_small_add(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for l in &mut self.limbs {
            let v = u64::from(*l) * u64::from(m) + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for l in self.limbs.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*l);
            *l = (v / u64::from(d)) as u32;
            rem = v % u64::from(d);
        }
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
        rem as u32
    }

    /// Parses signed decimal digits (`-123`).
    pub fn from_decimal(s: &str) -> Option<Self> {
        let (neg, d) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s),
        };
        if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut v = BigInt::zero();
        for c in d.bytes() {
            v.mul_small_add(10, u32::from(c - b'0'));
        }
        v.negative = neg && !v.is_zero();
        Some(v)
    }

    /// Multiplies by `10^e`.
    pub fn mul_pow10(&mut self, mut e: u32) {
        while e >= 9 {
            self.mul_small_add(1_000_000_000, 0);
            e -= 9;
        }
        if e > 0 {
            self.mul_small_add(10u32.pow(e), 0);
        }
    }

    fn div_pow10(&mut self, mut e: u32) {
        while e >= 9 {
            self.div_small(1_000_000_000);
            e -= 9;
        }
        if e > 0 {
            self.div_small(10u32.pow(e));
        }
    }

    /// Decimal digits of the magnitude (`"0"` for zero).
    pub fn magnitude_decimal(&self) -> String {
        let mut m = self.clone();
        let mut chunks = Vec::new();
        while !m.is_zero() {
            chunks.push(m.div_small(1_000_000_000));
        }
        let mut s = match chunks.pop() {
            Some(c) => c.to_string(),
            None => return "0".to_string(),
        };
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }

    /// Java's `BigInteger.toByteArray()`: minimal big-endian two's complement, at least one
    /// byte. Written into `buf` (cleared first).
    pub fn to_java_bytes(&self, buf: &mut Vec<u8>) {
        buf.clear();
        // Big-endian magnitude.
        let mut mag: Vec<u8> = Vec::with_capacity(self.limbs.len() * 4 + 1);
        for l in self.limbs.iter().rev() {
            mag.extend_from_slice(&l.to_be_bytes());
        }
        let first = mag.iter().position(|&b| b != 0).unwrap_or(mag.len());
        let mag = &mag[first..];
        if mag.is_empty() {
            buf.push(0);
            return;
        }
        if !self.negative {
            if mag[0] & 0x80 != 0 {
                buf.push(0);
            }
            buf.extend_from_slice(mag);
            return;
        }
        // Two's complement of the magnitude, with one spare byte for the sign.
        let mut tc = Vec::with_capacity(mag.len() + 1);
        tc.push(0u8);
        tc.extend_from_slice(mag);
        let mut carry = true;
        for b in tc.iter_mut().rev() {
            *b = !*b;
            if carry {
                let (v, c) = b.overflowing_add(1);
                *b = v;
                carry = c;
            }
        }
        // Drop redundant leading 0xFF bytes.
        let mut start = 0;
        while start + 1 < tc.len() && tc[start] == 0xff && tc[start + 1] & 0x80 != 0 {
            start += 1;
        }
        buf.extend_from_slice(&tc[start..]);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Bytes of a numeric in on-disk form, with a header and native-endian digits.
    fn disk(header: &[u16], digits: &[u16]) -> Vec<u8> {
        header
            .iter()
            .chain(digits)
            .flat_map(|d| d.to_ne_bytes())
            .collect()
    }

    #[test]
    fn on_disk_forms() {
        // Short form: -12.5 is digits [12, 5000], weight 0, dscale 1, sign bit 0x2000.
        let b = disk(&[0x8000 | 0x2000 | (1 << 7)], &[12, 5000]);
        let n = Numeric::from_disk(&b).unwrap();
        assert_eq!(
            (n.kind, n.negative, n.weight, n.dscale),
            (NumericKind::Finite, true, 0, 1)
        );
        assert_eq!(n.ndigits(), 2);
        // Short form with a negative weight: 0.0001 is [1] at weight -1.
        let b = disk(&[0x8000 | (4 << 7) | 0x0040 | 0x003F], &[1]);
        assert_eq!(Numeric::from_disk(&b).unwrap().weight, -1);
        // Long form: sign word then weight.
        let b = disk(&[0x4000 | 3, 2], &[1, 2, 3]);
        let n = Numeric::from_disk(&b).unwrap();
        assert_eq!(
            (n.negative, n.weight, n.dscale, n.ndigits()),
            (true, 2, 3, 3)
        );
        for (h, k) in [
            (0xC000, NumericKind::NaN),
            (0xD000, NumericKind::PosInf),
            (0xF000, NumericKind::NegInf),
        ] {
            assert_eq!(Numeric::from_disk(&disk(&[h], &[])).unwrap().kind, k);
        }
        assert!(Numeric::from_disk(&[0x80]).is_none());
        assert!(
            Numeric::from_disk(&disk(&[0x0000], &[])).is_none(),
            "long form needs a weight"
        );
    }

    /// Builds a numeric the way PostgreSQL stores it, from its text.
    pub(crate) fn num(s: &str) -> (Vec<u8>, bool, i16, u16) {
        let neg = s.starts_with('-');
        let s = s.trim_start_matches('-');
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let dscale = frac.len() as u16;
        let int = int.trim_start_matches('0');
        // Pad integer part to a multiple of 4 on the left, fraction on the right.
        let ipad = (4 - int.len() % 4) % 4;
        let fpad = (4 - frac.len() % 4) % 4;
        let all = format!("{}{}{}{}", "0".repeat(ipad), int, frac, "0".repeat(fpad));
        let groups: Vec<u16> = all
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap().parse().unwrap())
            .collect();
        let mut weight = ((int.len() + ipad) / 4) as i16 - 1;
        // Strip leading and trailing zero groups like PostgreSQL does.
        let mut g: &[u16] = &groups;
        while let Some((&0, rest)) = g.split_first() {
            g = rest;
            weight -= 1;
        }
        while let Some((&0, rest)) = g.split_last() {
            g = rest;
        }
        let bytes = g.iter().flat_map(|d| d.to_ne_bytes()).collect();
        (bytes, neg, weight, dscale)
    }

    fn with<R>(s: &str, f: impl FnOnce(Numeric<'_>) -> R) -> R {
        let (b, neg, w, d) = num(s);
        f(Numeric::finite(neg, w, d, &b))
    }

    fn java_b64(v: &BigInt) -> String {
        let mut buf = Vec::new();
        v.to_java_bytes(&mut buf);
        let mut o = Vec::new();
        crate::encode::base64::write(&mut o, &buf, crate::encode::base64::Alphabet::Standard);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn decimal_bytes_match_captured_debezium() {
        assert_eq!(
            with("1234567.891", |n| java_b64(&n.unscaled(3))),
            "SZYC0w=="
        );
        assert_eq!(with("12345", |n| java_b64(&n.unscaled(0))), "MDk=");
        assert_eq!(with("1234.56", |n| java_b64(&n.unscaled(2))), "AeJA");
        assert_eq!(with("12.50", |n| java_b64(&n.unscaled(2))), "BOI=");
        assert_eq!(with("1.10", |n| java_b64(&n.unscaled(2))), "bg==");
        assert_eq!(with("2.22", |n| java_b64(&n.unscaled(2))), "AN4=");
        assert_eq!(with("0", |n| java_b64(&n.unscaled(2))), "AA==");
        assert_eq!(with("-1.23", |n| java_b64(&n.unscaled(2))), "hQ==");
    }

    #[test]
    fn variable_scale_matches_captured_debezium() {
        let vs = |s: &str| {
            with(s, |n| {
                let (v, sc) = n.stripped();
                (sc, java_b64(&v))
            })
        };
        assert_eq!(vs("10.1111"), (4, "AYr3".into()));
        assert_eq!(vs("-0.000123"), (6, "hQ==".into()));
        assert_eq!(vs("1.10"), (1, "Cw==".into()));
        assert_eq!(vs("2500"), (0, "CcQ=".into()));
        assert_eq!(vs("0.000"), (0, "AA==".into()));
    }

    #[test]
    fn twos_complement_edges() {
        let b = |v: i128| {
            let mut buf = Vec::new();
            BigInt::from_i128(v).to_java_bytes(&mut buf);
            buf
        };
        assert_eq!(b(0), vec![0]);
        assert_eq!(b(127), vec![0x7f]);
        assert_eq!(b(128), vec![0, 0x80]);
        assert_eq!(b(222), vec![0, 0xde]);
        assert_eq!(b(-1), vec![0xff]);
        assert_eq!(b(-128), vec![0x80]);
        assert_eq!(b(-129), vec![0xff, 0x7f]);
        assert_eq!(b(-256), vec![0xff, 0x00]);
        assert_eq!(b(-32768), vec![0x80, 0x00]);
        assert_eq!(b(65535), vec![0, 0xff, 0xff]);
    }

    #[test]
    fn i128_fast_path_agrees() {
        for s in [
            "0",
            "1",
            "-1",
            "127",
            "128",
            "-129",
            "1234567.891",
            "-0.000123",
            "99999999.99",
            "12345678901234567890123456789012.345678",
        ] {
            with(s, |n| {
                for scale in [0, 2, 3, 6, 9] {
                    let slow = n.unscaled(scale);
                    let mut a = Vec::new();
                    slow.to_java_bytes(&mut a);
                    let mut buf = [0u8; 16];
                    let fast = n
                        .unscaled_i128(scale)
                        .map(|v| java_bytes_i128(v, &mut buf).to_vec());
                    if let Some(f) = fast {
                        assert_eq!(f, a, "{s} at scale {scale}");
                    }
                }
            });
        }
    }

    /// Fuzzing found it (numeric): `toPlainString` and the stripped scale went through big
    /// integers one decimal digit at a time, seconds for the longest numerics; the results
    /// stay those of the big-integer definition.
    #[test]
    fn long_numerics_are_linear() {
        // 10^131071 with 16383 fraction digits of zeros, the largest numeric there is.
        let mut digits = vec![0u8; 2 * 32768];
        digits[..2].copy_from_slice(&1000u16.to_ne_bytes());
        let n = Numeric::finite(false, 32767, 16383, &digits[..2]);
        // Linear: milliseconds even unoptimised (the big-integer way took seconds optimised).
        let t = std::time::Instant::now();
        let s = n.plain_string();
        assert!(t.elapsed().as_secs_f64() < 2.0, "took {:?}", t.elapsed());
        assert_eq!(s.len(), 131072 + 1 + 16383);
        assert!(s.starts_with("10000") && s.ends_with("0000"));
        assert_eq!(s.find('.'), Some(131072));
        let n = Numeric::finite(false, 300, 16383, &digits[..2]);
        let (v, scale) = n.stripped();
        assert_eq!(scale, 0);
        assert_eq!(v.magnitude_decimal(), format!("1{}", "0".repeat(1203)));
        with("-0.00", |n| assert_eq!(n.plain_string(), "0.00"));
        with("-12.340", |n| {
            assert_eq!(n.plain_string(), "-12.340");
            assert_eq!(
                (n.stripped().1, java_b64(&n.stripped().0)),
                (2, "+y4=".into())
            );
        });
        // Digits beyond the display scale are cut, as a Decimal at that scale would be.
        let b = [12u16, 3456, 7800]
            .iter()
            .flat_map(|d| d.to_ne_bytes())
            .collect::<Vec<_>>();
        let n = Numeric::finite(true, 0, 5, &b);
        assert_eq!(n.plain_string(), "-12.34567");
        assert_eq!(n.plain_string(), {
            let v = n.unscaled(5);
            format!("-{}", v.magnitude_decimal()).replace("1234567", "12.34567")
        });
        assert_eq!(n.stripped().1, 5);
    }

    #[test]
    fn big_values() {
        let s = "123456789012345678901234567890123456789012345678901234567890.123456789";
        with(s, |n| {
            assert_eq!(n.plain_string(), s);
            let v = n.unscaled(9);
            assert_eq!(
                v.magnitude_decimal(),
                s.replace('.', "").trim_start_matches('0')
            );
        });
        with("-0.00001", |n| assert_eq!(n.plain_string(), "-0.00001"));
        with("100", |n| assert_eq!(n.plain_string(), "100"));
        with("0.50", |n| assert_eq!(n.to_f64(), 0.5));
    }
}
