//! Per-relation plan: the columns, the key, the topic and the cached schema text.
//!
//! Built once per relation and cached by the plugin until the relation changes; every row of
//! the relation is then written with no catalog access and no schema work.

use crate::config::{Config, ReadPath};
use crate::encode::json;
use crate::error::Error;
use crate::plan::schema::{field, Schema, Type};
use crate::plan::types::ColumnPlan;

/// Everything needed to write the events of one relation.
#[derive(Clone, Debug)]
pub struct TablePlan {
    pub schema_name: String,
    pub table_name: String,
    /// `<topic.prefix>.<schema>.<table>`, sanitized as Debezium does.
    pub topic: String,
    /// Value columns in attribute order.
    pub columns: Vec<ColumnPlan>,
    /// Key columns in key order (primary key constraint order, else the first unique index).
    pub key: Vec<ColumnPlan>,
    /// `{"schema":<Envelope>,"payload":` when schemas are enabled, else empty.
    pub value_prefix: Vec<u8>,
    /// `{"schema":<Key>,"payload":` when schemas are enabled, else empty.
    pub key_prefix: Vec<u8>,
    /// `,"schema":"<schema>","table":"<table>","txId":` for the source block.
    pub source_table: Vec<u8>,
    /// `{"topic":"<topic>","key":` for the record format.
    pub record_head: Vec<u8>,
    /// `schema.table`, the data collection of transaction metadata.
    pub data_collection: String,
    /// Fields a router adds to the key payload (`,"<name>":"<value>"`), written before its
    /// closing brace.
    pub key_suffix: Vec<u8>,
    /// `ExtractNewRecordState`: the value is the flattened row.
    pub flat: Option<crate::plan::transforms::FlatPlan>,
    /// Why the transforms cannot run on this table (raised when it is decoded).
    pub transform_error: Option<Error>,
}

/// Debezium's `TopicNamingStrategy` sanitizing: every UTF-16 unit outside `[A-Za-z0-9._-]`
/// becomes `_`.
pub fn sanitize_topic(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
            s.push(c);
        } else {
            for _ in 0..c.len_utf16() {
                s.push('_');
            }
        }
    }
    s
}

impl TablePlan {
    /// Builds the plan of a relation from its planned columns and its key attributes.
    pub fn new(
        cfg: &Config,
        schema_name: &str,
        table_name: &str,
        columns: Vec<ColumnPlan>,
        key_attrs: &[usize],
    ) -> Self {
        let topic = sanitize_topic(&format!(
            "{}.{}.{}",
            cfg.topic_prefix, schema_name, table_name
        ));
        // message.key.columns overrides the primary key where it matches.
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let key_idx: Vec<usize> = match cfg
            .message_key_columns
            .as_ref()
            .and_then(|k| k.select(schema_name, table_name, &names))
        {
            Some(idx) => idx,
            None => key_attrs
                .iter()
                .filter_map(|a| columns.iter().position(|c| c.attr == *a))
                .collect(),
        };
        let included: Vec<bool> = columns
            .iter()
            .map(|c| {
                cfg.filters
                    .column_included(schema_name, table_name, &c.name)
            })
            .collect();
        // Key columns stay in the key. While streaming, one excluded from the value is
        // unknown to Debezium's JDBC metadata, so its key field is optional and has no
        // default; a snapshot reads the table's whole metadata (the field keeps its schema)
        // but selects only the included columns (its value is NULL, written as the default).
        let stream = cfg.read_path == ReadPath::Stream;
        let key: Vec<ColumnPlan> = key_idx
            .iter()
            .map(|&i| {
                let mut k = columns[i].clone();
                if !included[i] && stream {
                    k.schema.optional = true;
                    k.set_default(None);
                }
                k
            })
            .collect();
        let columns: Vec<ColumnPlan> = columns
            .into_iter()
            .zip(included)
            .filter(|(_, inc)| *inc)
            .map(|(mut c, _)| {
                if let Some(m) =
                    cfg.mappers
                        .find(schema_name, table_name, &c.name, &c.pg_type.declared_name)
                {
                    c.apply_mapper(m);
                }
                c
            })
            .collect();
        let mut t = TablePlan {
            schema_name: schema_name.to_string(),
            table_name: table_name.to_string(),
            topic,
            columns,
            key,
            value_prefix: Vec::new(),
            key_prefix: Vec::new(),
            source_table: Vec::new(),
            record_head: Vec::new(),
            data_collection: format!("{schema_name}.{table_name}"),
            key_suffix: Vec::new(),
            flat: None,
            transform_error: None,
        };
        t.record_head = format!("{{\"topic\":{},\"key\":", json::quoted(&t.topic)).into_bytes();
        if cfg.schemas_enable {
            t.value_prefix =
                format!("{{\"schema\":{},\"payload\":", t.envelope_schema()).into_bytes();
            if let Some(k) = t.key_schema() {
                t.key_prefix = format!("{{\"schema\":{},\"payload\":", k).into_bytes();
            }
        }
        t.source_table = format!(
            ",\"schema\":{},\"table\":{},\"txId\":",
            json::quoted(schema_name),
            json::quoted(table_name)
        )
        .into_bytes();
        crate::plan::transforms::apply(cfg, &mut t);
        t
    }

    fn row_schema(&self, cols: &[ColumnPlan], name: &str, optional: bool) -> Schema {
        Schema::named(
            Type::Struct(
                cols.iter()
                    .map(|c| field(&c.name, c.schema.clone()))
                    .collect(),
            ),
            optional,
            name,
            None,
        )
    }

    /// The `<topic>.Envelope` schema JSON (version 2).
    pub fn envelope_schema(&self) -> String {
        self.envelope_schema_named(&self.topic)
    }

    /// The envelope schema with `<topic>.Value` and `<topic>.Envelope` names (a router may
    /// rename them).
    pub fn envelope_schema_named(&self, topic: &str) -> String {
        let value = self.row_schema(&self.columns, &format!("{topic}.Value"), true);
        let mut s = String::from("{\"type\":\"struct\",\"fields\":[");
        value.write_json(&mut s, Some("before"));
        s.push(',');
        value.write_json(&mut s, Some("after"));
        s.push(',');
        s.push_str(SOURCE_SCHEMA);
        s.push(',');
        s.push_str(TRANSACTION_BLOCK_SCHEMA);
        s.push_str(",{\"type\":\"string\",\"optional\":false,\"field\":\"op\"}");
        s.push_str(",{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}");
        s.push_str(",{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"}");
        s.push_str(",{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"}");
        s.push_str("],\"optional\":false,\"name\":");
        s.push_str(&json::quoted(&format!("{topic}.Envelope")));
        s.push_str(",\"version\":2}");
        s
    }

    /// The `<topic>.Key` schema JSON, or `None` for a table without a key.
    pub fn key_schema(&self) -> Option<String> {
        if self.key.is_empty() {
            return None;
        }
        Some(
            self.row_schema(&self.key, &format!("{}.Key", self.topic), false)
                .to_json(None),
        )
    }
}

/// The `source` field schema of `io.debezium.connector.postgresql.Source` version 1 (3.5+,
/// with `origin` and `origin_lsn`).
pub const SOURCE_SCHEMA: &str = concat!(
    r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},"#,
    r#"{"type":"string","optional":false,"field":"connector"},"#,
    r#"{"type":"string","optional":false,"field":"name"},"#,
    r#"{"type":"int64","optional":false,"field":"ts_ms"},"#,
    r#"{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},"#,
    r#"{"type":"string","optional":false,"field":"db"},"#,
    r#"{"type":"string","optional":true,"field":"sequence"},"#,
    r#"{"type":"int64","optional":true,"field":"ts_us"},"#,
    r#"{"type":"int64","optional":true,"field":"ts_ns"},"#,
    r#"{"type":"string","optional":false,"field":"schema"},"#,
    r#"{"type":"string","optional":false,"field":"table"},"#,
    r#"{"type":"int64","optional":true,"field":"txId"},"#,
    r#"{"type":"int64","optional":true,"field":"lsn"},"#,
    r#"{"type":"int64","optional":true,"field":"xmin"},"#,
    r#"{"type":"string","optional":true,"field":"origin"},"#,
    r#"{"type":"int64","optional":true,"field":"origin_lsn"}],"#,
    r#""optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"}"#
);

/// The `transaction` field schema (`event.block` version 1).
pub const TRANSACTION_BLOCK_SCHEMA: &str = concat!(
    r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},"#,
    r#"{"type":"int64","optional":false,"field":"total_order"},"#,
    r#"{"type":"int64","optional":false,"field":"data_collection_order"}],"#,
    r#""optional":true,"name":"event.block","version":1,"field":"transaction"}"#
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics() {
        assert_eq!(
            sanitize_topic("dbserver1.Odd-Schema.Mixed Table"),
            "dbserver1.Odd-Schema.Mixed_Table"
        );
        assert_eq!(sanitize_topic("p.s.é😀"), "p.s.___");
    }
}
