//! Debezium's regular-expression lists (`RegexList`, the include/exclude filters) and
//! `message.key.columns` over arbitrary patterns and names.
//!
//! Invariants: no panic; a rejected list is a 2201B error naming the option; an escaped
//! literal name matches itself (any ASCII case) and nothing longer; key columns select
//! indexes of the given names only.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use cedar_cdc_core::config::filters::Filter;
use cedar_cdc_core::config::regexlist::{split, KeyColumns, RegexList};
use cedar_cdc_core::error::ErrorCode;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    list: String,
    names: Vec<String>,
    schema: String,
    table: String,
    literal: String,
}

fuzz_target!(|data: &[u8]| {
    let Ok(inp) = Input::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let _ = split(&inp.list);
    match RegexList::parse("table.include.list", &inp.list) {
        Ok(l) => {
            for n in &inp.names {
                let _ = l.matches(n);
            }
        }
        Err(e) => {
            assert_eq!(e.code, ErrorCode::InvalidRegularExpression);
            assert!(
                e.message.contains("\"table.include.list\""),
                "{}",
                e.message
            );
        }
    }
    let mut f = Filter::default();
    if let Err(e) = f.set("column", false, &inp.list) {
        assert!(
            e.message.contains("\"column.exclude.list\""),
            "{}",
            e.message
        );
    }

    // An escaped literal (commas escaped for the list splitter) matches exactly itself.
    let lit = &inp.literal;
    if !lit.is_empty() && lit.trim() == lit && !lit.contains('\\') {
        let pat = regex::escape(lit).replace(',', "\\,");
        let l = RegexList::parse("schema.include.list", &pat)
            .unwrap_or_else(|e| panic!("escaped {lit:?} rejected: {e}"));
        assert!(l.matches(lit), "{pat:?} does not match {lit:?}");
        assert!(l.matches(&lit.to_ascii_uppercase()), "case: {lit:?}");
        assert!(l.matches(&lit.to_ascii_lowercase()), "case: {lit:?}");
        assert!(!l.matches(&format!("{lit}x")), "unanchored: {lit:?}");
        assert!(!l.matches(&format!("x{lit}")), "unanchored: {lit:?}");
    }

    let names: Vec<&str> = inp.names.iter().map(String::as_str).collect();
    match KeyColumns::parse("message.key.columns", &inp.list) {
        Ok(k) => {
            if let Some(idx) = k.select(&inp.schema, &inp.table, &names) {
                assert!(!idx.is_empty());
                assert!(idx.iter().all(|&i| i < names.len()));
            }
        }
        Err(e) => {
            assert!(matches!(
                e.code,
                ErrorCode::InvalidParameterValue | ErrorCode::InvalidRegularExpression
            ));
            assert!(
                e.message.contains("\"message.key.columns\""),
                "{}",
                e.message
            );
        }
    }
});
