//! hstore: its output text parsed into pairs and written as Debezium does (a JSON string
//! holding an object, or an object), from arbitrary text and from `hstore_out` text of
//! arbitrary pairs.
//!
//! Invariants: no panic; `hstore_out` text of unique keys parses back to the same pairs;
//! the written object is valid JSON whose members are exactly those pairs; both
//! `hstore.handling.mode`s give JSON conforming to the schema.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use cedar_cdc_core::config::Config;
use cedar_cdc_core::encode::hstore;
use cedar_cdc_core::plan::types::{plan_column, PgColumn, PgType};
use cedar_cdc_fuzz::{hstore_text, json, write_checked, Json, OwnedValue};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    raw: Vec<u8>,
    pairs: Vec<(String, Option<String>)>,
}

fn write(pairs: &[(String, Option<String>)]) -> Json {
    let mut o = Vec::new();
    hstore::write_object(&mut o, pairs);
    json(&o)
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut inp) = Input::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    if let Some(p) = hstore::parse(&inp.raw) {
        let j = write(&p);
        assert!(j.is_object());
    }

    // hstore keys are unique.
    let mut seen = std::collections::HashSet::new();
    inp.pairs.retain(|(k, _)| seen.insert(k.clone()));
    let text = hstore_text(&inp.pairs);
    let back = hstore::parse(text.as_bytes()).unwrap_or_else(|| panic!("unparsed: {text:?}"));
    assert_eq!(back, inp.pairs, "{text:?}");
    let Json::Object(m) = write(&back) else {
        panic!("not an object")
    };
    assert_eq!(m.len(), inp.pairs.len());
    for (k, v) in &inp.pairs {
        let want = v.as_ref().map_or(Json::Null, |s| Json::String(s.clone()));
        assert_eq!(m.get(k), Some(&want), "member {k:?}");
    }

    for mode in ["json", "map"] {
        let cfg = Config::parse("db", [("hstore.handling.mode", Some(mode))]).unwrap();
        let col = PgColumn {
            name: "h".into(),
            ty: PgType {
                oid: 16_500,
                name: "hstore".into(),
                ..PgType::default()
            },
            ..PgColumn::default()
        };
        let plan = plan_column(&cfg, &col).unwrap();
        for v in [
            OwnedValue::Bytes(text.clone().into_bytes()),
            OwnedValue::Bytes(inp.raw.clone()),
        ] {
            let j = write_checked(&plan, &v, false);
            if let Json::String(s) = j {
                assert!(json(s.as_bytes()).is_object(), "{s:?}");
            }
        }
    }
});
