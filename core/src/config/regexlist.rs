//! Debezium's regular-expression lists: comma-separated (a `\,` escapes a comma), each item
//! trimmed, matched case-insensitively against the whole identifier.
//!
//! Patterns are Rust `regex` syntax, which covers what Debezium configurations use (classes,
//! alternation, quantifiers, `.*`); Java-only constructs such as backreferences and
//! look-around are rejected with an error naming the option.
//!
//! Compiling is not interruptible and a pattern such as `\d{2000}` takes 10 MB and a tenth of a
//! second, so the patterns of one session share a [`RegexBudget`]: a few hundred bytes of
//! option text could otherwise hold a backend for minutes and exhaust its memory (the SQL-level
//! hostile-options test found it).

use std::cell::Cell;

use regex_automata::meta::{self, Regex};

use crate::error::{Error, ErrorCode, Result};

/// The compiled size all regular expressions of one session may take together.
pub const REGEX_MEMORY_BUDGET: usize = 64 << 20;
/// The compiled size one regular expression may take (the `regex` crate's default).
pub const REGEX_SIZE_LIMIT: usize = 10 << 20;
/// What each compiled pattern is charged at least, which bounds how many there can be (and
/// so the time spent compiling them) to a few thousand.
const MIN_CHARGE: usize = 8 << 10;

/// Compiled bytes left for a session's regular expressions.
#[derive(Debug)]
pub struct RegexBudget(Cell<usize>);

impl Default for RegexBudget {
    fn default() -> Self {
        RegexBudget::new(REGEX_MEMORY_BUDGET)
    }
}

impl RegexBudget {
    /// A budget of `bytes` compiled bytes.
    pub fn new(bytes: usize) -> Self {
        RegexBudget(Cell::new(bytes))
    }
}

/// A compiled pattern with its text.
#[derive(Clone, Debug)]
pub struct Pattern {
    source: String,
    re: Regex,
}

impl Pattern {
    /// Whether the pattern matches all of `s`.
    pub fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }
}

fn bad_pattern(option: &str, pattern: &str, detail: String) -> Error {
    Error::new(
        ErrorCode::InvalidRegularExpression,
        format!("invalid regular expression \"{pattern}\" in option \"{option}\""),
    )
    .detail(detail)
    .hint("Patterns are matched case-insensitively against the whole name; escape dots (public\\.orders).")
}

/// Compiles one pattern for an anchored, case-insensitive match, charging its size to `budget`.
pub fn compile(option: &str, pattern: &str, budget: &RegexBudget) -> Result<Pattern> {
    let left = budget.0.get();
    let whole = REGEX_MEMORY_BUDGET >> 20;
    let source = format!("(?i)^(?:{pattern})$");
    let config = meta::Config::new().nfa_size_limit(Some(left.min(REGEX_SIZE_LIMIT)));
    let re = Regex::builder()
        .configure(config)
        .build(&source)
        .map_err(|e| {
            let detail = match (e.size_limit(), e.syntax_error()) {
                (Some(limit), _) if limit < REGEX_SIZE_LIMIT => format!(
                    "The regular expressions of a slot may take {whole} MB compiled; {limit} bytes are left."
                ),
                (Some(limit), _) => format!("Compiled regex exceeds size limit of {limit} bytes."),
                (None, Some(se)) => se.to_string().lines().last().unwrap_or("").to_string(),
                (None, None) => e.to_string(),
            };
            bad_pattern(option, pattern, detail)
        })?;
    let charge = re.memory_usage().max(MIN_CHARGE);
    if charge > left {
        return Err(bad_pattern(
            option,
            pattern,
            format!(
                "The regular expressions of a slot may take {whole} MB compiled; {left} bytes are left."
            ),
        ));
    }
    budget.0.set(left - charge);
    Ok(Pattern { source, re })
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
pub struct RegexList(Vec<Pattern>);

impl PartialEq for RegexList {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| a.source == b.source)
    }
}

impl Eq for RegexList {}

impl RegexList {
    /// Parses a comma-separated list of patterns, with a budget of its own.
    pub fn parse(option: &str, list: &str) -> Result<Self> {
        Self::parse_within(option, list, &RegexBudget::default())
    }

    /// Parses a comma-separated list of patterns, charging them to the session's `budget`.
    pub fn parse_within(option: &str, list: &str, budget: &RegexBudget) -> Result<Self> {
        split(list)
            .iter()
            .map(|p| compile(option, p, budget))
            .collect::<Result<Vec<_>>>()
            .map(RegexList)
    }

    /// The patterns, in list order (Debezium orders some work pattern by pattern).
    pub fn patterns(&self) -> &[Pattern] {
        &self.0
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
    /// Parses the option value, with a budget of its own.
    pub fn parse(option: &str, value: &str) -> Result<Self> {
        Self::parse_within(option, value, &RegexBudget::default())
    }

    /// Parses the option value, charging its patterns to the session's `budget`.
    pub fn parse_within(option: &str, value: &str, budget: &RegexBudget) -> Result<Self> {
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
                    budget,
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
        assert_eq!(e.code, ErrorCode::InvalidRegularExpression);
        assert_eq!(e.detail.as_deref(), Some("error: unclosed group"));
    }

    /// The SQL-level hostile-options test found it: 100 copies of `\d{2000}` (800 bytes of
    /// option text) took 5 s and 1 GB to compile, uninterruptibly. A session's patterns now
    /// share 64 MB.
    #[test]
    fn patterns_share_a_budget() {
        // The same with a budget of 4 MB instead of 64 (cheaper to exhaust in a debug build).
        let costly = vec![r"\d{200}"; 100].join(",");
        let budget = RegexBudget::new(4 << 20);
        let e = RegexList::parse_within("table.include.list", &costly, &budget).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRegularExpression);
        assert!(e.message.contains("\"table.include.list\""));
        assert!(e
            .detail
            .unwrap()
            .starts_with("The regular expressions of a slot may take 64 MB"));
        // The budget is shared between lists: nothing costly fits any more.
        assert!(RegexList::parse_within("b", r"\d{200}", &budget).is_err());
        assert!(RegexList::parse_within("b", r"public\.t", &budget).is_ok());
        // Each pattern is charged what it takes compiled.
        let budget = RegexBudget::default();
        assert!(RegexList::parse_within("a", r"\d{200}", &budget).is_ok());
        assert!(budget.0.get() < REGEX_MEMORY_BUDGET - (512 << 10));
        // Thousands of plain names still fit.
        let names: Vec<String> = (0..2000).map(|i| format!("public\\.t{i}")).collect();
        let l = RegexList::parse("table.include.list", &names.join(",")).unwrap();
        assert!(l.matches("PUBLIC.T1999") && !l.matches("public.t2000"));
        // Too large alone: the regex crate's own limit.
        let e = RegexList::parse("t", r"\w{1000}").unwrap_err();
        assert_eq!(
            e.detail.as_deref(),
            Some("Compiled regex exceeds size limit of 10485760 bytes.")
        );
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
