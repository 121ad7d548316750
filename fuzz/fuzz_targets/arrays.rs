//! Array values through the `Elements` trait: every element type Debezium handles, with
//! arbitrary elements (NULLs, unchanged TOAST, mismatched kinds, nested arrays), in every
//! handling mode.
//!
//! Invariants: no panic; the output is `null`, the column's NULL replacement, or a JSON array
//! with one item per element (all `null` for a multi-dimensional array) conforming to the
//! item schema.
#![no_main]

use arbitrary::Unstructured;
use cedar_cdc_core::plan::types::{plan_column, PgColumn, PgType};
use cedar_cdc_fuzz::{
    any_value, config, json, scalar_type, value_for, write_checked, write_json, Elems, Json,
    OwnedValue,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(cfg) = config(&mut u) else { return };
    let Ok(elem) = scalar_type(&mut u) else {
        return;
    };
    let typmod = elem.typmod;
    let col = PgColumn {
        name: "a".into(),
        ty: PgType {
            oid: 1000 + elem.oid % 1000,
            typmod,
            element: Some(Box::new(elem)),
            ..PgType::default()
        },
        not_null: u.arbitrary().unwrap_or(false),
        ..PgColumn::default()
    };
    let Some(plan) = plan_column(&cfg, &col) else {
        return;
    };
    let ep = plan
        .element
        .as_ref()
        .expect("an array plan has an element plan");
    let wild = u.ratio(1, 4).unwrap_or(false);
    let n = u.int_in_range(0..=16).unwrap_or(0);
    let mut items = Vec::new();
    for _ in 0..n {
        match value_for(&mut u, ep, wild, 1) {
            Ok(v) => items.push(v),
            Err(_) => break,
        }
    }
    let nested = u.ratio(1, 8).unwrap_or(false);
    let v = OwnedValue::Array(Elems { items, nested });
    let j = write_checked(&plan, &v, !wild);
    let OwnedValue::Array(e) = &v else {
        unreachable!()
    };
    match &j {
        // A failed array is the column's NULL replacement (`[]` when NOT NULL).
        _ if j == json(&plan.null_json)
            && !matches!(&j, Json::Array(a) if a.len() == e.items.len()) => {}
        Json::Array(a) => {
            assert_eq!(a.len(), e.items.len(), "one item per element");
            if nested {
                assert!(a.iter().all(Json::is_null), "nested elements are null");
            }
        }
        other => assert_eq!(
            other,
            &json(&plan.null_json),
            "a failed array is the column's NULL"
        ),
    }
    // An unchanged TOAST array and a NULL array write the column's placeholder / NULL.
    write_checked(&plan, &OwnedValue::UnchangedToast, false);
    write_checked(&plan, &OwnedValue::Null, false);
    // Elements of a kind the plugin never extracts for this type still give JSON.
    if let Ok(items) = (0..4).map(|_| any_value(&mut u, wild, 1)).collect() {
        write_json(
            &plan,
            &OwnedValue::Array(Elems {
                items,
                nested: false,
            }),
        );
    }
});
