//! hstore values: PostgreSQL's text form parsed into pairs, written as Debezium does
//! (a JSON object in Java `HashMap` order, compact, NULL values as `null`).

use crate::encode::javamap;
use crate::encode::json;
use crate::encode::out::Out;

/// Parses hstore output text (`"k1"=>"v1", "k2"=>NULL`) into pairs.
pub fn parse(text: &[u8]) -> Option<Vec<(String, Option<String>)>> {
    let mut pairs = Vec::new();
    let mut i = 0;
    let s = text;
    let skip_ws = |i: &mut usize| {
        while *i < s.len() && s[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let quoted = |i: &mut usize| -> Option<String> {
        if s.get(*i) != Some(&b'"') {
            return None;
        }
        *i += 1;
        let mut v = Vec::new();
        loop {
            match *s.get(*i)? {
                b'\\' => {
                    v.push(*s.get(*i + 1)?);
                    *i += 2;
                }
                b'"' => {
                    *i += 1;
                    return String::from_utf8(v).ok();
                }
                c => {
                    v.push(c);
                    *i += 1;
                }
            }
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= s.len() {
            return Some(pairs);
        }
        let k = quoted(&mut i)?;
        skip_ws(&mut i);
        if s.get(i..i + 2)? != b"=>" {
            return None;
        }
        i += 2;
        skip_ws(&mut i);
        let v = if s.get(i..i + 4) == Some(b"NULL") {
            i += 4;
            None
        } else {
            Some(quoted(&mut i)?)
        };
        pairs.push((k, v));
        skip_ws(&mut i);
        match s.get(i) {
            Some(b',') => i += 1,
            None => return Some(pairs),
            _ => return None,
        }
    }
}

/// Writes the pairs as a compact JSON object in Java `HashMap` iteration order.
pub fn write_object<O: Out + ?Sized>(o: &mut O, pairs: &[(String, Option<String>)]) {
    o.put_u8(b'{');
    for (n, i) in javamap::order(pairs.iter().map(|(k, _)| k.as_str()))
        .into_iter()
        .enumerate()
    {
        if n > 0 {
            o.put_u8(b',');
        }
        let (k, v) = &pairs[i];
        json::write_str(o, k.as_bytes());
        o.put_u8(b':');
        match v {
            Some(v) => json::write_str(o, v.as_bytes()),
            None => o.put(b"null"),
        }
    }
    o.put_u8(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_like_debezium() {
        let p = parse(br#""k1"=>"v1", "k2"=>NULL"#).unwrap();
        let mut o = Vec::new();
        write_object(&mut o, &p);
        assert_eq!(o, br#"{"k1":"v1","k2":null}"#);
        let p = parse(br#""key4"=>"val4", "key5"=>NULL"#).unwrap();
        let mut o = Vec::new();
        write_object(&mut o, &p);
        assert_eq!(o, br#"{"key5":null,"key4":"val4"}"#);
        let p = parse(br#""a\"b"=>"c\\d", "e"=>"""#).unwrap();
        assert_eq!(p[0], ("a\"b".to_string(), Some("c\\d".to_string())));
        assert_eq!(p[1], ("e".to_string(), Some(String::new())));
        assert_eq!(parse(b"").unwrap(), vec![]);
        assert!(parse(b"\"a\"=>").is_none());
    }
}
