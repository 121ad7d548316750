//! JSON text exactly as Jackson (Kafka's `JsonConverter`) writes it: compact, UTF-8, short
//! escapes for `\b \f \n \r \t`, `\u00XX` with uppercase hex for other control characters,
//! everything else (including U+007F, U+2028 and non-BMP characters) raw.
//!
//! Input that is not UTF-8 (text of a `SQL_ASCII` database, a message prefix) has each
//! malformed sequence replaced by U+FFFD, as Java's UTF-8 decoder (and so pgjdbc) does, so the
//! output is always valid JSON.

use crate::encode::out::Out;

/// Escape class of a byte that may start a multi-byte UTF-8 sequence (checked, not escaped).
const NON_ASCII: u8 = 0x80;

/// U+FFFD REPLACEMENT CHARACTER, which stands for a malformed UTF-8 sequence.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// Escape class per byte: 0 = copy, b'u' = `\u00XX`, [`NON_ASCII`] = check the UTF-8
/// sequence, otherwise the short escape letter.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    i = 0x80;
    while i < 0x100 {
        t[i] = NON_ASCII;
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
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        let e = ESCAPE[b as usize];
        if e == 0 {
            i += 1;
            continue;
        }
        if e == NON_ASCII {
            match utf8_at(s, i) {
                Ok(width) => {
                    i += width;
                    continue;
                }
                Err(bad) => {
                    if start < i {
                        o.put(&s[start..i]);
                    }
                    o.put(REPLACEMENT);
                    i += bad;
                    start = i;
                    continue;
                }
            }
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
        i += 1;
        start = i;
    }
    if start < s.len() {
        o.put(&s[start..]);
    }
}

/// The width of the UTF-8 character starting at `s[i]` (a byte >= 0x80), or, when it is
/// malformed, the length of its maximal subpart (1 to 3 bytes), which one U+FFFD replaces
/// (Unicode's recommended practice, as `String::from_utf8_lossy` and Java apply it).
fn utf8_at(s: &[u8], i: usize) -> Result<usize, usize> {
    let width = match s[i] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    };
    if width > 0 && s.len() - i >= width && std::str::from_utf8(&s[i..i + width]).is_ok() {
        return Ok(width);
    }
    let window = &s[i..s.len().min(i + 4)];
    Err(window
        .utf8_chunks()
        .next()
        .map_or(1, |c| c.invalid().len().max(1)))
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

    /// Fuzzing found it (json_escape): bytes that are not UTF-8 came out raw, which is not
    /// JSON. Each malformed sequence is now one U+FFFD.
    #[test]
    fn malformed_utf8_becomes_replacement_characters() {
        let esc = |b: &[u8]| {
            let mut v = Vec::new();
            write_str(&mut v, b);
            String::from_utf8(v).unwrap()
        };
        assert_eq!(esc(b"\n\xff"), "\"\\n\u{FFFD}\"");
        assert_eq!(esc(b"a\xc3"), "\"a\u{FFFD}\"", "truncated at the end");
        assert_eq!(
            esc(b"\xe2\x82A"),
            "\"\u{FFFD}A\"",
            "one U+FFFD for a maximal subpart"
        );
        assert_eq!(
            esc(b"\xed\xa0\x80"),
            "\"\u{FFFD}\u{FFFD}\u{FFFD}\"",
            "a surrogate"
        );
        assert_eq!(
            esc(b"\xf4\x90\x80\x80"),
            "\"\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\"",
            "past U+10FFFF"
        );
        assert_eq!(
            esc(b"\xc0\xaf\""),
            "\"\u{FFFD}\u{FFFD}\\\"\"",
            "overlong, then a quote"
        );
        assert_eq!(esc("é\u{1}😀".as_bytes()), "\"é\\u0001😀\"");
        for b in [&b"\xff\xfe"[..], b"x\xe0\x80\x80", b"\xf0\x9f\x98"] {
            assert_eq!(esc(b), format!("{:?}", String::from_utf8_lossy(b)));
        }
    }

    #[test]
    fn keys() {
        assert_eq!(key("Col Name"), r#""Col Name":"#);
    }
}
