//! Debezium's column mappers (`ColumnMappers`): truncation, masking, hashing and source-type
//! propagation. The first rule that matches a column applies, in Debezium's rule order:
//! truncation, masking with characters, `column.propagate.source.type`,
//! `datatype.propagate.source.type`, hashing v1, hashing v2. Mappers change the `Value` schema
//! and values only, never the key.

use crate::config::regexlist::{RegexBudget, RegexList};
use crate::error::{Error, ErrorCode, Result};

/// A hash algorithm by its Java `MessageDigest` name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha512_224,
    Sha512_256,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
}

impl HashAlgorithm {
    fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "MD5" => Self::Md5,
            "SHA-1" | "SHA1" | "SHA" => Self::Sha1,
            "SHA-224" => Self::Sha224,
            "SHA-256" => Self::Sha256,
            "SHA-384" => Self::Sha384,
            "SHA-512" => Self::Sha512,
            "SHA-512/224" => Self::Sha512_224,
            "SHA-512/256" => Self::Sha512_256,
            "SHA3-224" => Self::Sha3_224,
            "SHA3-256" => Self::Sha3_256,
            "SHA3-384" => Self::Sha3_384,
            "SHA3-512" => Self::Sha3_512,
            _ => return None,
        })
    }

    /// The digest of the concatenated parts.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        use sha2::Digest;
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            Self::Md5 => run::<md5::Md5>(parts),
            Self::Sha1 => run::<sha1::Sha1>(parts),
            Self::Sha224 => run::<sha2::Sha224>(parts),
            Self::Sha256 => run::<sha2::Sha256>(parts),
            Self::Sha384 => run::<sha2::Sha384>(parts),
            Self::Sha512 => run::<sha2::Sha512>(parts),
            Self::Sha512_224 => run::<sha2::Sha512_224>(parts),
            Self::Sha512_256 => run::<sha2::Sha512_256>(parts),
            Self::Sha3_224 => run::<sha3::Sha3_224>(parts),
            Self::Sha3_256 => run::<sha3::Sha3_256>(parts),
            Self::Sha3_384 => run::<sha3::Sha3_384>(parts),
            Self::Sha3_512 => run::<sha3::Sha3_512>(parts),
        }
    }
}

/// What a mapper does to a column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// `column.truncate.to.N.chars`.
    Truncate(usize),
    /// `column.mask.with.N.chars`.
    Mask(usize),
    /// `column.propagate.source.type` / `datatype.propagate.source.type`.
    Propagate,
    /// `column.mask.hash.<alg>.with.salt.<salt>` (v1: Java serialization of the value) and
    /// `column.mask.hash.v2.…` (v2: its UTF-8 bytes).
    Hash {
        algorithm: HashAlgorithm,
        salt: Vec<u8>,
        v2: bool,
    },
}

/// The longest mask (`column.mask.with.<N>.chars`): PostgreSQL's largest allocation, 1 GB - 1.
pub const MAX_MASK_CHARS: usize = 0x3fff_ffff;

/// Which rule kind, for Debezium's precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Truncate,
    Mask,
    Propagate,
    PropagateType,
    HashV1,
    HashV2,
}

/// The configured mappers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mappers {
    rules: Vec<(Rank, bool, RegexList, Mapping)>,
}

/// Splits `prefix<body>suffix` option names.
fn between<'a>(name: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    name.strip_prefix(prefix)?.strip_suffix(suffix)
}

impl Mappers {
    /// Parses a mapper option; `Ok(false)` when `name` is not a mapper option.
    pub fn parse(&mut self, name: &str, value: &str) -> Result<bool> {
        self.parse_within(name, value, &RegexBudget::default())
    }

    /// [`Mappers::parse`], charging the patterns to the session's `budget`.
    pub fn parse_within(&mut self, name: &str, value: &str, budget: &RegexBudget) -> Result<bool> {
        let bad_name = |what: &str| {
            Error::new(
                ErrorCode::InvalidParameterValue,
                format!("invalid option name \"{name}\""),
            )
            .hint(what.to_string())
        };
        let n = |s: &str| s.parse::<usize>().ok();
        let (rank, on_type, mapping) = if let Some(len) =
            between(name, "column.truncate.to.", ".chars")
        {
            let len = n(len).ok_or_else(|| {
                bad_name("Expected column.truncate.to.<N>.chars with a non-negative integer N.")
            })?;
            (Rank::Truncate, false, Mapping::Truncate(len))
        } else if let Some(len) = between(name, "column.mask.with.", ".chars") {
            // A mask longer than PostgreSQL's largest value could never be sent.
            let len = n(len).filter(|l| *l <= MAX_MASK_CHARS).ok_or_else(|| {
                bad_name(
                    "Expected column.mask.with.<N>.chars with an integer N from 0 to 1073741823.",
                )
            })?;
            (Rank::Mask, false, Mapping::Mask(len))
        } else if name == "column.propagate.source.type" {
            (Rank::Propagate, false, Mapping::Propagate)
        } else if name == "datatype.propagate.source.type" {
            (Rank::PropagateType, true, Mapping::Propagate)
        } else if let Some(rest) = name.strip_prefix("column.mask.hash.") {
            let (v2, rest) = match rest.strip_prefix("v2.") {
                Some(r) => (true, r),
                None => (false, rest),
            };
            let (alg, salt) = rest.split_once(".with.salt.").ok_or_else(|| {
                bad_name("Expected column.mask.hash.[v2.]<algorithm>.with.salt.<salt>.")
            })?;
            let algorithm = HashAlgorithm::parse(alg).ok_or_else(|| {
                Error::new(ErrorCode::InvalidParameterValue, format!("unknown hash algorithm \"{alg}\" in option \"{name}\""))
                    .hint("Use a Java MessageDigest name: MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512, SHA-512/224, SHA-512/256, SHA3-224, SHA3-256, SHA3-384 or SHA3-512.")
            })?;
            let rank = if v2 { Rank::HashV2 } else { Rank::HashV1 };
            (
                rank,
                false,
                Mapping::Hash {
                    algorithm,
                    salt: salt.as_bytes().to_vec(),
                    v2,
                },
            )
        } else {
            return Ok(false);
        };
        let list = RegexList::parse_within(name, value, budget)?;
        self.rules.push((rank, on_type, list, mapping));
        self.rules.sort_by_key(|r| r.0);
        Ok(true)
    }

    /// The mapping of a column, if any rule matches (`schema.table.column`, or
    /// `schema.table.typename` for `datatype.propagate.source.type`).
    pub fn find(
        &self,
        schema: &str,
        table: &str,
        column: &str,
        type_name: &str,
    ) -> Option<&Mapping> {
        let by_col = format!("{schema}.{table}.{column}");
        let by_type = format!("{schema}.{table}.{type_name}");
        self.rules
            .iter()
            .find(|(_, on_type, l, _)| l.matches(if *on_type { &by_type } else { &by_col }))
            .map(|r| &r.3)
    }

    /// Whether no mapper is configured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Java serialization of a `String` (`ObjectOutputStream.writeObject`): stream header, then
/// `TC_STRING` with a 16-bit length or `TC_LONGSTRING` with a 64-bit length, then modified
/// UTF-8.
pub fn java_serialized_string(s: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(s.len() + 2);
    for u in s.encode_utf16() {
        match u {
            0x0001..=0x007f => body.push(u as u8),
            0x0000 | 0x0080..=0x07ff => {
                body.push(0xc0 | ((u >> 6) & 0x1f) as u8);
                body.push(0x80 | (u & 0x3f) as u8);
            }
            _ => {
                body.push(0xe0 | ((u >> 12) & 0x0f) as u8);
                body.push(0x80 | ((u >> 6) & 0x3f) as u8);
                body.push(0x80 | (u & 0x3f) as u8);
            }
        }
    }
    let mut out = vec![0xac, 0xed, 0x00, 0x05];
    if body.len() < 0x10000 {
        out.push(0x74);
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    } else {
        out.push(0x7c);
        out.extend_from_slice(&(body.len() as u64).to_be_bytes());
    }
    out.extend_from_slice(&body);
    out
}

/// The hashed form of a string value: lowercase hex of the digest, cut to the column length.
pub fn hash(
    algorithm: HashAlgorithm,
    salt: &[u8],
    v2: bool,
    value: &str,
    max_len: Option<usize>,
) -> String {
    let digest = if v2 {
        algorithm.digest(&[salt, value.as_bytes()])
    } else {
        algorithm.digest(&[salt, &java_serialized_string(value)])
    };
    let mut hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(n) = max_len {
        hex.truncate(n);
    }
    hex
}

/// The first `n` UTF-16 units of `s` (Java's `substring(0, n)`).
pub fn truncate_utf16(s: &str, n: usize) -> &str {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        let w = c.len_utf16();
        if units + w > n {
            // Java would cut a surrogate pair in half; we keep the string valid and stop
            // before the whole character.
            return &s[..i];
        }
        units += w;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_captured_debezium() {
        assert_eq!(
            hash(HashAlgorithm::Sha256, b"CzQMA0cB5K", false, "hashme", None),
            "ecdb8d762bff8c0e3be40868ad908ab91f014d1974ca36aade466d31f80fcb87"
        );
        assert_eq!(
            hash(HashAlgorithm::Sha256, b"CzQMA0cB5K", true, "hashme", None),
            "b03591539235b4a7fc72a84d4264215f1c506161dd5e957d9fed4e058936afd1"
        );
    }

    #[test]
    fn options_and_precedence() {
        let mut m = Mappers::default();
        assert!(m
            .parse("column.mask.hash.SHA-256.with.salt.abc", "public\\.t\\.h")
            .unwrap());
        assert!(m
            .parse("column.truncate.to.3.chars", "public\\.t\\..*")
            .unwrap());
        assert!(m
            .parse("column.mask.with.5.chars", "public\\.t\\.m")
            .unwrap());
        assert!(!m.parse("topic.prefix", "x").unwrap());
        assert_eq!(
            m.find("public", "t", "h", "text"),
            Some(&Mapping::Truncate(3)),
            "truncation wins"
        );
        assert_eq!(m.find("public", "u", "h", "text"), None);
        assert!(m
            .parse("column.mask.hash.NOPE.with.salt.x", "a")
            .unwrap_err()
            .message
            .contains("NOPE"));
        assert!(m.parse("column.truncate.to.x.chars", "a").is_err());
        // A mask of 10^18 characters aborted the backend when a table matched (the
        // allocation failed); masks are bounded by what PostgreSQL can send.
        assert!(m.parse("column.mask.with.1073741823.chars", "a").unwrap());
        let e = m
            .parse("column.mask.with.1000000000000000000.chars", "a")
            .unwrap_err();
        assert_eq!(
            e.message,
            "invalid option name \"column.mask.with.1000000000000000000.chars\""
        );
        let mut m = Mappers::default();
        m.parse("datatype.propagate.source.type", ".+\\.NUMERIC")
            .unwrap();
        assert_eq!(
            m.find("public", "t", "n", "numeric"),
            Some(&Mapping::Propagate)
        );
    }

    #[test]
    fn java_strings() {
        assert_eq!(
            java_serialized_string("a"),
            vec![0xac, 0xed, 0, 5, 0x74, 0, 1, b'a']
        );
        assert_eq!(&java_serialized_string("\0")[5..], &[0, 2, 0xc0, 0x80]);
        assert_eq!(truncate_utf16("héllo", 2), "hé");
        assert_eq!(truncate_utf16("a😀b", 2), "a");
    }
}
