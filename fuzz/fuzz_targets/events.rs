//! Whole records with hostile identifiers: arbitrary schema, table and column names (quotes,
//! backslashes, control characters, non-ASCII), arbitrary column types and values, every
//! output format, through change, tombstone, truncate, message and transaction records.
//!
//! Invariants: no panic; every record is valid JSON; the record format's key and value are
//! JSON texts in JSON strings; names come back exactly (`source.schema`, `source.table`,
//! the row's member names, the schema's field names); the topic keeps only
//! `[A-Za-z0-9._-]`; each value conforms to its column's schema.
#![no_main]

use arbitrary::{Result, Unstructured};
use cedar_cdc_core::config::OutputFormat;
use cedar_cdc_core::event::{At, Op, Row, Session, TxMeta, Txn};
use cedar_cdc_core::plan::table::TablePlan;
use cedar_cdc_core::plan::types::{plan_column, ColumnPlan, PgColumn, Value};
use cedar_cdc_fuzz::{column_type, config, conforms, json, json_str, value_for, Json, OwnedValue};
use libfuzzer_sys::fuzz_target;

/// Identifiers as PostgreSQL allows them: up to 63 bytes, no NUL, any other character.
fn ident(u: &mut Unstructured) -> Result<String> {
    let mut s: String = match u.int_in_range(0..=3)? {
        0 => u
            .choose(&[
                "t",
                "Weird \"Name\"",
                "back\\slash",
                "tab\there",
                "é😀",
                "\u{1}\n\r\u{1f}",
            ])?
            .to_string(),
        _ => u.arbitrary()?,
    };
    s.retain(|c| c != '\0');
    while s.len() > 63 {
        s.pop();
    }
    if s.is_empty() {
        s.push('x');
    }
    Ok(s)
}

struct OwnedRow(Vec<OwnedValue>);

impl Row for OwnedRow {
    fn value(&self, col: &ColumnPlan) -> Value<'_> {
        self.0.get(col.attr).map_or(Value::Null, OwnedValue::get)
    }
}

struct Case {
    session: Session,
    table: TablePlan,
    old: OwnedRow,
    new: OwnedRow,
    prefix: Vec<u8>,
    names: (String, String),
}

fn case(u: &mut Unstructured) -> Result<Case> {
    let cfg = config(u)?;
    let schema = ident(u)?;
    let table = ident(u)?;
    let n = u.int_in_range(1..=6)?;
    let mut plans = Vec::new();
    for attr in 0..n {
        let mut name = ident(u)?;
        while plans.iter().any(|p: &ColumnPlan| p.name == name) {
            name.push('#');
        }
        let col = PgColumn {
            attr,
            name,
            ty: column_type(u)?,
            not_null: u.arbitrary()?,
            default_expr: if u.ratio(1, 4)? {
                Some(u.arbitrary()?)
            } else {
                None
            },
        };
        if let Some(p) = plan_column(&cfg, &col) {
            plans.push(p);
        }
    }
    let wild = u.ratio(1, 8)?;
    let row = |u: &mut Unstructured| -> Result<OwnedRow> {
        let mut vals = vec![OwnedValue::Null; n];
        for p in &plans {
            vals[p.attr] = value_for(u, p, wild, 0)?;
        }
        Ok(OwnedRow(vals))
    };
    let old = row(u)?;
    let new = row(u)?;
    let key: Vec<usize> = plans
        .iter()
        .map(|p| p.attr)
        .filter(|_| u.ratio(1, 3).unwrap_or(false))
        .collect();
    let t = TablePlan::new(&cfg, &schema, &table, plans, &key);
    Ok(Case {
        session: Session::new(cfg, "db"),
        table: t,
        old,
        new,
        prefix: u.arbitrary()?,
        names: (schema, table),
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(c) = case(&mut u) else { return };
    let s = &c.session;
    let t = &c.table;
    let record = s.cfg.output_format == OutputFormat::Record;
    assert!(
        t.topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
        "topic {:?}",
        t.topic
    );
    let mut txn = Txn {
        xid: Some(u.arbitrary().unwrap_or(1)),
        commit_time: u.arbitrary().unwrap_or(0),
        last_commit_lsn: u.arbitrary().unwrap_or(None),
        origin: u.arbitrary().unwrap_or(None),
        origin_lsn: u.arbitrary().unwrap_or(None),
        ..Txn::default()
    };
    s.prepare_txn(&mut txn);
    let mut meta = TxMeta::default();
    meta.begin();
    let mut scratch = Vec::new();
    for op in [Op::Create, Op::Update, Op::Delete] {
        let at = At {
            txn: &txn,
            lsn: u.arbitrary().unwrap_or(0),
            block: s
                .cfg
                .provide_transaction_metadata
                .then(|| meta.event(&t.data_collection)),
            now_us: u.arbitrary().unwrap_or(0),
        };
        let (before, after) = match op {
            Op::Create => (None, Some(&c.new)),
            Op::Update => (Some(&c.old), Some(&c.new)),
            _ => (Some(&c.old), None),
        };
        let mut o = Vec::new();
        s.write_change(&mut o, t, &at, op, before, after, before, &mut scratch);
        let j = json(&o);
        let value = if record {
            assert_eq!(j["topic"].as_str(), Some(t.topic.as_str()));
            let k = json_str(&j["key"]);
            if !t.key.is_empty() {
                let payload = if s.cfg.schemas_enable {
                    &k["payload"]
                } else {
                    &k
                };
                let keys: Vec<&str> = payload
                    .as_object()
                    .expect("key struct")
                    .keys()
                    .map(String::as_str)
                    .collect();
                let want: Vec<&str> = t.key.iter().map(|k| k.name.as_str()).collect();
                assert_eq!(keys, want, "key field names");
            }
            json_str(&j["value"])
        } else {
            j
        };
        let payload = if s.cfg.schemas_enable {
            let schema = &value["schema"];
            let fields = schema["fields"][1]["fields"]
                .as_array()
                .expect("after fields");
            let names: Vec<&str> = fields
                .iter()
                .map(|f| f["field"].as_str().unwrap())
                .collect();
            let want: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, want, "schema field names");
            &value["payload"]
        } else {
            &value
        };
        assert_eq!(
            payload["source"]["schema"].as_str(),
            Some(c.names.0.as_str())
        );
        assert_eq!(
            payload["source"]["table"].as_str(),
            Some(c.names.1.as_str())
        );
        let row = if op == Op::Delete {
            &payload["before"]
        } else {
            &payload["after"]
        };
        let Json::Object(m) = row else {
            panic!("row is not an object: {row}")
        };
        let names: Vec<&str> = m.keys().map(String::as_str).collect();
        let want: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, want, "row member names");
        for col in &t.columns {
            if let Err(e) = conforms(&col.schema, &m[col.name.as_str()], false) {
                panic!(
                    "column {:?} ({:?}, {:?}): {e}",
                    col.name, col.pg_type, col.encoding
                );
            }
        }
        if op == Op::Delete {
            o.clear();
            s.write_tombstone(&mut o, t, &c.old, &mut scratch);
            let j = json(&o);
            json_str(&j["key"]);
            assert!(j["value"].is_null());
        }
    }
    let at = At {
        txn: &txn,
        lsn: 1,
        block: None,
        now_us: 0,
    };
    let mut o = Vec::new();
    s.write_truncate(&mut o, t, &at, &mut scratch);
    json(&o);
    o.clear();
    s.write_message(&mut o, &at, &c.prefix, &c.prefix, &mut scratch);
    let j = json(&o);
    if record {
        json_str(&j["key"]);
        json_str(&j["value"]);
    }
    o.clear();
    s.write_end(&mut o, &txn, 99, &meta, &mut scratch);
    let j = json(&o);
    if record {
        json_str(&j["value"]);
    }
});
