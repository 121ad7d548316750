//! Base64 as Jackson writes `byte[]` (standard alphabet, padded) and as Debezium's
//! `binary.handling.mode=base64-url-safe` does (URL alphabet, still padded), plus lowercase hex.

use crate::encode::out::Out;

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Which alphabet to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    Standard,
    UrlSafe,
}

/// Writes the Base64 text of `data` (no quotes).
pub fn write<O: Out + ?Sized>(o: &mut O, data: &[u8], alphabet: Alphabet) {
    let a = match alphabet {
        Alphabet::Standard => STD,
        Alphabet::UrlSafe => URL,
    };
    let mut chunk = [0u8; 64];
    let mut n = 0;
    let mut it = data.chunks_exact(3);
    for c in &mut it {
        let v = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        chunk[n] = a[(v >> 18) as usize & 63];
        chunk[n + 1] = a[(v >> 12) as usize & 63];
        chunk[n + 2] = a[(v >> 6) as usize & 63];
        chunk[n + 3] = a[v as usize & 63];
        n += 4;
        if n == chunk.len() {
            o.put(&chunk);
            n = 0;
        }
    }
    o.put(&chunk[..n]);
    match *it.remainder() {
        [x] => {
            let v = u32::from(x) << 16;
            o.put(&[
                a[(v >> 18) as usize & 63],
                a[(v >> 12) as usize & 63],
                b'=',
                b'=',
            ]);
        }
        [x, y] => {
            let v = (u32::from(x) << 16) | (u32::from(y) << 8);
            o.put(&[
                a[(v >> 18) as usize & 63],
                a[(v >> 12) as usize & 63],
                a[(v >> 6) as usize & 63],
                b'=',
            ]);
        }
        _ => {}
    }
}

/// Writes lowercase hex of `data` (no quotes).
pub fn write_hex<O: Out + ?Sized>(o: &mut O, data: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for c in data.chunks(32) {
        let mut buf = [0u8; 64];
        for (i, b) in c.iter().enumerate() {
            buf[2 * i] = HEX[(b >> 4) as usize];
            buf[2 * i + 1] = HEX[(b & 15) as usize];
        }
        o.put(&buf[..2 * c.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(d: &[u8], a: Alphabet) -> String {
        let mut v = Vec::new();
        write(&mut v, d, a);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64(i.as_bytes(), Alphabet::Standard), o);
        }
        assert_eq!(b64(&[1, 2, 0xff], Alphabet::Standard), "AQL/");
        assert_eq!(b64(&[0xfb, 0xff], Alphabet::UrlSafe), "-_8=");
        let long: Vec<u8> = (0..=255).collect();
        let s = b64(&long, Alphabet::Standard);
        assert_eq!(s.len(), 344);
        assert!(s.ends_with("+/w=="));
    }

    #[test]
    fn hex() {
        let mut v = Vec::new();
        write_hex(&mut v, &[0, 0xab, 0x10]);
        assert_eq!(v, b"00ab10");
    }
}
