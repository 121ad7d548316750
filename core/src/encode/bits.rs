//! `bit(n)`/`varbit` as Debezium's `io.debezium.data.Bits`: the bit string read as an
//! unsigned binary number (first bit most significant), written little-endian with no high
//! zero bytes (`BitSet.toByteArray()`); zero is no bytes at all.

/// Converts PostgreSQL's bit storage (`bit_len` bits, most significant first, padded at the
/// end of the last byte) into Debezium's little-endian bytes.
pub fn to_le_bytes(bit_len: usize, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; bit_len.div_ceil(8)];
    for i in 0..bit_len {
        // Bit i of the string, counted from the first (most significant) one.
        let set = data.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
        if set {
            let v = bit_len - 1 - i; // its weight
            out[v / 8] |= 1 << (v % 8);
        }
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// Splits a `varbit` datum's bytes (after the varlena header: an `int32` bit count in the
/// server's byte order, then the bits) into its bit count and bits; `None` when too short.
pub fn split_varbit(b: &[u8]) -> Option<(usize, &[u8])> {
    let len: [u8; 4] = b.get(..4)?.try_into().ok()?;
    let bits = &b[4..];
    // A stored varbit has its bytes; a count beyond them would only allocate and loop.
    let len = (i32::from_ne_bytes(len).max(0) as usize).min(bits.len() * 8);
    Some((len, bits))
}

/// The same from a string of '0'/'1' characters (used for literal defaults).
pub fn from_str(s: &str) -> Option<Vec<u8>> {
    let bits = s.as_bytes();
    let mut packed = vec![0u8; bits.len().div_ceil(8)];
    for (i, c) in bits.iter().enumerate() {
        match c {
            b'1' => packed[i / 8] |= 0x80 >> (i % 8),
            b'0' => {}
            _ => return None,
        }
    }
    Some(to_le_bytes(bits.len(), &packed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varbit_storage() {
        let mut b = 10i32.to_ne_bytes().to_vec();
        b.extend([0b1010_0000, 0b0100_0000]);
        assert_eq!(split_varbit(&b), Some((10, &b[4..])));
        assert_eq!(split_varbit(&b[..3]), None);
        assert_eq!(split_varbit(&(-1i32).to_ne_bytes()), Some((0, &[][..])));
        assert_eq!(
            split_varbit(&i32::MAX.to_ne_bytes()),
            Some((0, &[][..])),
            "a count beyond the bytes"
        );
    }

    #[test]
    fn matches_debezium() {
        assert_eq!(from_str("10100001").unwrap(), vec![0xa1]);
        assert_eq!(from_str("101").unwrap(), vec![0x05]);
        assert_eq!(from_str("11").unwrap(), vec![0x03]);
        assert_eq!(from_str("1000000").unwrap(), vec![0x40]);
        assert_eq!(from_str("00").unwrap(), Vec::<u8>::new());
        let mut s = String::from("1");
        s.push_str(&"0".repeat(63));
        assert_eq!(from_str(&s).unwrap(), vec![0, 0, 0, 0, 0, 0, 0, 0x80]);
        assert_eq!(
            from_str("111011010001000110000001000000001").unwrap(),
            vec![0x01, 0x02, 0x23, 0xda, 0x01]
        );
    }
}
