//! JSON text exactly as Jackson (Kafka's `JsonConverter`) writes it: compact, UTF-8, short
//! escapes for `\b \f \n \r \t`, `\u00XX` with uppercase hex for other control characters,
//! everything else (including U+007F, U+2028 and non-BMP characters) raw.

use crate::encode::out::Out;

/// Escape class per byte: 0 = copy, b'u' = `\u00XX`, otherwise the short escape letter.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Writes `s` as a quoted JSON string.
#[inline]
pub fn write_str<O: Out + ?Sized>(o: &mut O, s: &[u8]) {
    o.put_u8(b'"');
    write_str_body(o, s);
    o.put_u8(b'"');
}

/// Writes the escaped body of a JSON string, without the quotes.
pub fn write_str_body<O: Out + ?Sized>(o: &mut O, s: &[u8]) {
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let e = ESCAPE[b as usize];
        if e == 0 {
            continue;
        }
        if start < i {
            o.put(&s[start..i]);
        }
        if e == b'u' {
            o.put(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX_UPPER[(b >> 4) as usize],
                HEX_UPPER[(b & 0xf) as usize],
            ]);
        } else {
            o.put(&[b'\\', e]);
        }
        start = i + 1;
    }
    if start < s.len() {
        o.put(&s[start..]);
    }
}

/// Returns `s` as a quoted JSON string.
pub fn quoted(s: &str) -> String {
    let mut v = Vec::with_capacity(s.len() + 2);
    write_str(&mut v, s.as_bytes());
    // Escaping only inserts ASCII, so valid UTF-8 stays valid.
    String::from_utf8(v).unwrap_or_default()
}

/// Returns `"s":` — a quoted object key followed by the colon.
pub fn key(s: &str) -> String {
    let mut k = quoted(s);
    k.push(':');
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut v = Vec::new();
        write_str(&mut v, s.as_bytes());
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn jackson_escapes() {
        assert_eq!(
            esc("line1\nline2\ttab\\back\u{1}ctl"),
            r#""line1\nline2\ttab\\back\u0001ctl""#
        );
        assert_eq!(esc("héllo \"q\""), r#""héllo \"q\"""#);
        assert_eq!(esc("\u{1f}\u{7f}\u{2028}/"), "\"\\u001F\u{7f}\u{2028}/\"");
        assert_eq!(esc("\u{8}\u{c}\r"), r#""\b\f\r""#);
        assert_eq!(esc("😀"), "\"😀\"");
        assert_eq!(esc(""), "\"\"");
    }

    #[test]
    fn keys() {
        assert_eq!(key("Col Name"), r#""Col Name":"#);
    }
}
