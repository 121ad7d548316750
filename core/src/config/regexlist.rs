//! Debezium's regular-expression lists: comma-separated (a `\,` escapes a comma), each item
//! trimmed, matched case-insensitively against the whole identifier.
//!
//! Patterns are Rust `regex` syntax, which covers what Debezium configurations use (classes,
//! alternation, quantifiers, `.*`); Java-only constructs such as backreferences and
//! look-around are rejected with an error naming the option.

use regex::Regex;

use crate::error::{Error, ErrorCode, Result};

/// Compiles one pattern for an anchored, case-insensitive match.
pub fn compile(option: &str, pattern: &str) -> Result<Regex> {
    Regex::new(&format!("(?i)^(?:{pattern})$")).map_err(|e| {
        Error::new(
            ErrorCode::InvalidParameterValue,
            format!("invalid regular expression \"{pattern}\" in option \"{option}\""),
        )
        .detail(e.to_string().lines().last().unwrap_or("").to_string())
        .hint("Patterns are matched case-insensitively against the whole name; escape dots (public\\.orders).")
    })
}

/// Splits a list on unescaped commas, trims the items and drops empty ones.
pub fn split(list: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = list.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                cur.push(',');
                chars.next();
            }
            ',' => items.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    items.push(cur);
    items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A compiled list: matches when any pattern matches.
#[derive(Clone, Debug)]
pub struct RegexList(pub Vec<Regex>);

impl PartialEq for RegexList {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| a.as_str() == b.as_str())
    }
}

impl Eq for RegexList {}

impl RegexList {
    /// Parses a comma-separated list of patterns.
    pub fn parse(option: &str, list: &str) -> Result<Self> {
        split(list)
            .iter()
            .map(|p| compile(option, p))
            .collect::<Result<Vec<_>>>()
            .map(RegexList)
    }

    /// Whether any pattern matches all of `s`.
    pub fn matches(&self, s: &str) -> bool {
        self.0.iter().any(|r| r.is_match(s))
    }
}

/// `message.key.columns`: `<table regex>:<column>[,<column>…][;…]`, each column becoming the
/// pattern `<table regex>.<column>` on `schema.table.column`. Key columns come in the order of
/// the patterns, each pattern's matches in table column order (`Key.CustomKeyMapper`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyColumns(pub Vec<RegexList>);

impl KeyColumns {
    /// Parses the option value.
    pub fn parse(option: &str, value: &str) -> Result<Self> {
        let mut pats = Vec::new();
        for entry in value.split(';').filter(|e| !e.trim().is_empty()) {
            let (table, cols) = entry.split_once(':').ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidParameterValue,
                    format!("invalid value \"{value}\" for option \"{option}\""),
                )
                .hint("Expected <table regex>:<column>[,<column>...][;<table regex>:<column>...].")
            })?;
            for c in cols.split(',') {
                pats.push(RegexList(vec![compile(
                    option,
                    &format!("{table}.{}", c.trim()),
                )?]));
            }
        }
        Ok(KeyColumns(pats))
    }

    /// Indexes into `names` (columns in table order) of the key columns for `schema.table`,
    /// or `None` when nothing matches (the primary key is used then).
    pub fn select(&self, schema: &str, table: &str, names: &[&str]) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        for p in &self.0 {
            for (i, n) in names.iter().enumerate() {
                if p.matches(&format!("{schema}.{table}.{n}")) {
                    out.push(i);
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        assert_eq!(split(" a , b\\,c,,d "), vec!["a", "b,c", "d"]);
        let l = RegexList::parse("table.include.list", "public\\.orders, inv.*").unwrap();
        assert!(l.matches("PUBLIC.ORDERS"));
        assert!(l.matches("inventory.x"));
        assert!(!l.matches("public.orders2"));
        let e = RegexList::parse("table.include.list", "a(").unwrap_err();
        assert!(e.message.contains("table.include.list"));
    }

    #[test]
    fn key_columns() {
        let k = KeyColumns::parse("message.key.columns", "public.mk:w,id;other.t:x").unwrap();
        assert_eq!(
            k.select("public", "mk", &["id", "v", "w"]),
            Some(vec![2, 0])
        );
        assert_eq!(k.select("public", "zz", &["id"]), None);
        assert!(KeyColumns::parse("message.key.columns", "nocolon").is_err());
    }
}
