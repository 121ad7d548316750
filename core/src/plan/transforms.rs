//! The transform chain, applied once per relation: every name a transform changes (topic,
//! key and value schema names, the routers' key field) is fixed by the table, so the chain is
//! folded into the table plan and the per-row path only writes pre-rendered parts.
//!
//! Mirrors `RegexRouter.apply`, `ByLogicalTableRouter.apply` and the schemas of
//! `ExtractNewRecordState` (Debezium 3.6.3, Kafka 4.3), checked against the real transforms by
//! the conformance suite.

use crate::config::transforms::{AddField, Step, Struct, Unwrap};
use crate::config::Config;
use crate::encode::json;
use crate::error::{Error, ErrorCode};
use crate::plan::schema::{field, Schema, Type};
use crate::plan::table::TablePlan;

/// How `ExtractNewRecordState` writes a table's records.
#[derive(Clone, Debug)]
pub struct FlatPlan {
    pub unwrap: Unwrap,
    /// `{"schema":<row schema>,"payload":` of a flattened row (empty without schemas). The row
    /// schema is rebuilt by `addFields` (and `InsertField` for `__deleted`), which loses the
    /// `after` field's optionality: it is required.
    pub value_prefix: Vec<u8>,
    /// The value of a delete in `tombstone` mode: the `after` field's schema (optional) and a
    /// null payload, which JsonConverter writes as text, unlike a Kafka null.
    pub null_value: Vec<u8>,
    /// `route.by.field`: the index of its column in the table's columns.
    pub route_col: Option<usize>,
}

/// The schema of an `add.fields` field: the source field's, copied without its default and
/// made optional (`SchemaUtil.copySchemaBasics(…).optional()`).
fn add_field_schema(f: &AddField) -> Schema {
    let int64 = matches!(
        (f.from, f.field.as_str()),
        (Struct::Envelope, "ts_ms" | "ts_us" | "ts_ns")
            | (
                Struct::Source,
                "ts_ms" | "ts_us" | "ts_ns" | "txId" | "lsn" | "xmin" | "origin_lsn"
            )
            | (Struct::Transaction, "total_order" | "data_collection_order")
    );
    if (f.from, f.field.as_str()) == (Struct::Source, "snapshot") {
        return Schema::named(Type::String, true, "io.debezium.data.Enum", Some(1)).with_param(
            "allowed",
            "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
        );
    }
    Schema::of(if int64 { Type::Int64 } else { Type::String }, true)
}

/// Applies the chain of `cfg.transforms` to a freshly built plan.
pub fn apply(cfg: &Config, t: &mut TablePlan) {
    if cfg.transforms.is_empty() {
        return;
    }
    let mut topic = t.topic.clone();
    // The names of the Value and Envelope schemas, renamed by a router only while the value
    // is still an envelope.
    let mut value_topic = t.topic.clone();
    let mut key_topic = t.topic.clone();
    let mut key_extra: Vec<(String, String)> = Vec::new();
    let mut flat: Option<(Unwrap, String)> = None;
    for (_, step) in &cfg.transforms.chain {
        match step {
            Step::RegexRouter(r) => {
                if let Some(n) = r.apply(&topic) {
                    topic = n;
                }
            }
            Step::LogicalTableRouter(r) => {
                // An empty result keeps the record as it is.
                let Some(n) = r.topic.apply(&topic).filter(|n| !n.is_empty()) else {
                    continue;
                };
                if !t.key.is_empty() {
                    key_topic = n.clone();
                    if r.key_enforce_uniqueness {
                        key_extra.push((r.key_field_name.clone(), r.identifier(&topic)));
                    }
                }
                if flat.is_none() {
                    value_topic = n.clone();
                }
                topic = n;
            }
            Step::Unwrap(u) => flat = Some((u.clone(), format!("{value_topic}.Value"))),
        }
    }
    t.topic = topic;
    t.record_head = format!("{{\"topic\":{},\"key\":", json::quoted(&t.topic)).into_bytes();
    t.key_suffix.clear();
    for (name, value) in &key_extra {
        t.key_suffix.push(b',');
        t.key_suffix.extend_from_slice(json::key(name).as_bytes());
        t.key_suffix
            .extend_from_slice(json::quoted(value).as_bytes());
    }
    if cfg.schemas_enable {
        t.value_prefix = format!(
            "{{\"schema\":{},\"payload\":",
            t.envelope_schema_named(&value_topic)
        )
        .into_bytes();
        if !t.key.is_empty() {
            let mut fields: Vec<_> = t
                .key
                .iter()
                .map(|c| field(&c.name, c.schema.clone()))
                .collect();
            fields.extend(
                key_extra
                    .iter()
                    .map(|(n, _)| field(n, Schema::of(Type::String, false))),
            );
            let key = Schema::named(
                Type::Struct(fields),
                false,
                &format!("{key_topic}.Key"),
                None,
            );
            t.key_prefix = format!("{{\"schema\":{},\"payload\":", key.to_json(None)).into_bytes();
        }
    }
    t.flat = flat.map(|(u, value_name)| flat_plan(cfg, t, u, &value_name));
}

fn flat_plan(cfg: &Config, t: &mut TablePlan, u: Unwrap, value_name: &str) -> FlatPlan {
    let row_fields = || t.columns.iter().map(|c| field(&c.name, c.schema.clone()));
    let mut fields: Vec<_> = row_fields().collect();
    if u.delete_mode.rewrites() {
        fields.push(field("__deleted", Schema::of(Type::String, true)));
    }
    fields.extend(
        u.add_fields
            .iter()
            .map(|f| field(&f.name, add_field_schema(f))),
    );
    let (value_prefix, null_value) = if cfg.schemas_enable {
        let flat = Schema::named(Type::Struct(fields), false, value_name, None);
        let after = Schema::named(Type::Struct(row_fields().collect()), true, value_name, None);
        (
            format!("{{\"schema\":{},\"payload\":", flat.to_json(None)).into_bytes(),
            format!("{{\"schema\":{},\"payload\":null}}", after.to_json(None)).into_bytes(),
        )
    } else {
        (Vec::new(), b"null".to_vec())
    };
    let route_col = u.route_by_field.as_ref().and_then(|f| {
        let i = t.columns.iter().position(|c| &c.name == f);
        // Debezium's Struct.getString fails the connector on a missing or non-string field.
        let problem = match i {
            None => Some(format!("table \"{}.{}\" has no column \"{f}\"", t.schema_name, t.table_name)),
            Some(i) if t.columns[i].schema.ty != Type::String => Some(format!(
                "column \"{f}\" of table \"{}.{}\" is not a string",
                t.schema_name, t.table_name
            )),
            Some(_) => None,
        };
        if let Some(p) = problem {
            t.transform_error = Some(
                Error::new(
                    ErrorCode::InvalidParameterValue,
                    format!("cannot route by field \"{f}\": {p}"),
                )
                .detail("ExtractNewRecordState's route.by.field names a string column every captured table has."),
            );
        }
        i
    });
    FlatPlan {
        unwrap: u,
        value_prefix,
        null_value,
        route_col,
    }
}
