//! Schema-change records (`include.schema.changes`): what Debezium's MySQL and SQL Server
//! connectors write to the `<topic.prefix>` topic when a table's structure changes, with the
//! `io.debezium.connector.schema.Change`/`Table`/`Column` Connect schemas of Debezium 3.6.3's
//! `ConnectTableChangeSerializer`. The PostgreSQL connector has no such records; the plugin
//! builds a [`TableShape`] from the catalog, compares it with the last one it saw and writes
//! the difference as a CREATE, ALTER or DROP.

use super::{At, Session};
use crate::encode::json;
use crate::encode::out::{Out, OutExt};
use crate::encode::temporal;

/// The prefix of the transactional logical message that `cedar_cdc.install_ddl_trigger()`'s
/// event trigger writes: the DDL text of a statement and the relations it touched.
pub const DDL_MESSAGE_PREFIX: &str = "cedar_cdc.ddl";

/// `io.debezium.connector.postgresql.SchemaChangeKey` version 1 (printed by the real
/// `SchemaFactory.schemaHistoryConnectorKeySchema` for the PostgreSQL connector config).
const KEY_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"databaseName"}],"optional":false,"name":"io.debezium.connector.postgresql.SchemaChangeKey","version":1}"#;

/// The value schema after `source`: `ts_ms`, `databaseName`, `schemaName`, `ddl` and
/// `tableChanges` (`schemaHistoryConnectorValueSchema` with `ConnectTableChangeSerializer`).
const VALUE_SCHEMA_TAIL: &str = concat!(
    r#",{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"field":"databaseName"},{"type":"string","optional":true,"field":"schemaName"},{"type":"string","optional":true,"field":"ddl"},"#,
    r#"{"type":"array","items":{"type":"struct","fields":[{"type":"string","optional":false,"field":"type"},{"type":"string","optional":false,"field":"id"},"#,
    r#"{"type":"struct","fields":[{"type":"string","optional":true,"field":"defaultCharsetName"},{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"primaryKeyColumnNames"},"#,
    r#"{"type":"array","items":{"type":"struct","fields":[{"type":"string","optional":false,"field":"name"},{"type":"int32","optional":false,"field":"jdbcType"},{"type":"int32","optional":true,"field":"nativeType"},{"type":"string","optional":false,"field":"typeName"},{"type":"string","optional":true,"field":"typeExpression"},{"type":"string","optional":true,"field":"charsetName"},{"type":"int32","optional":true,"field":"length"},{"type":"int32","optional":true,"field":"scale"},{"type":"int32","optional":false,"field":"position"},{"type":"boolean","optional":true,"field":"optional"},{"type":"boolean","optional":true,"field":"autoIncremented"},{"type":"boolean","optional":true,"field":"generated"},{"type":"string","optional":true,"field":"comment"},{"type":"string","optional":true,"field":"defaultValueExpression"},{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"enumValues"}],"optional":false,"name":"io.debezium.connector.schema.Column","version":1},"optional":false,"field":"columns"},"#,
    r#"{"type":"string","optional":true,"field":"comment"}],"optional":true,"name":"io.debezium.connector.schema.Table","version":1,"field":"table"}],"optional":false,"name":"io.debezium.connector.schema.Change","version":1},"optional":false,"field":"tableChanges"}],"optional":false,"name":"io.debezium.connector.postgresql.SchemaChangeValue","version":1}"#
);

/// The whole value schema.
pub fn value_schema() -> String {
    format!(
        "{{\"type\":\"struct\",\"fields\":[{}{}",
        crate::plan::table::SOURCE_SCHEMA,
        VALUE_SCHEMA_TAIL
    )
}

/// A column as a schema-change record describes it (Debezium's `Column`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnShape {
    pub name: String,
    /// `java.sql.Types` code, as pgjdbc's `TypeInfoCache` gives it.
    pub jdbc_type: i32,
    /// The type's OID.
    pub native_type: u32,
    /// `pg_type.typname` (also `typeExpression`, as `ColumnEditor.type(name)` sets both).
    pub type_name: String,
    pub length: i32,
    pub scale: i32,
    /// 1-based, among the live columns (as pgoutput's RELATION message numbers them).
    pub position: i32,
    pub optional: bool,
    pub auto_incremented: bool,
    pub generated: bool,
    /// `pg_get_expr` text of the default.
    pub default_expr: Option<String>,
    pub enum_values: Option<Vec<String>>,
}

/// A table's structure: what a schema-change record carries, plus what PostgreSQL has and
/// Debezium's `Table` schema does not (replica identity, partition parent), which still make
/// a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableShape {
    pub schema: String,
    pub table: String,
    pub primary_key: Vec<String>,
    pub columns: Vec<ColumnShape>,
    /// `pg_class.relreplident`.
    pub replica_identity: u8,
    /// `schema.table` of the partitioned table it is a partition of.
    pub partition_of: Option<String>,
}

/// The kind of a table change (`tableChanges[].type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeType {
    Create,
    Alter,
    Drop,
}

impl ChangeType {
    fn as_str(self) -> &'static str {
        match self {
            ChangeType::Create => "CREATE",
            ChangeType::Alter => "ALTER",
            ChangeType::Drop => "DROP",
        }
    }
}

/// What a table's old and new shape (none: not captured, or not there) make.
pub fn classify(old: Option<&TableShape>, new: Option<&TableShape>) -> Option<ChangeType> {
    match (old, new) {
        (None, Some(_)) => Some(ChangeType::Create),
        (Some(_), None) => Some(ChangeType::Drop),
        (Some(a), Some(b)) if a != b => Some(ChangeType::Alter),
        _ => None,
    }
}

/// pgjdbc's `TypeInfoCache` SQL type of a type: the built-in table, `VARCHAR` for enums,
/// `ARRAY` for arrays, `DISTINCT` for domains, `STRUCT` for composites, `OTHER` for the rest
/// (checked against pgjdbc's `TypeInfo` by `pgrx-tests/conformance/schema_changes.py`).
pub fn jdbc_type(oid: u32, typtype: u8, is_array: bool) -> i32 {
    const BIT: i32 = -7;
    match oid {
        21 => 5,                      // int2: SMALLINT
        23 => 4,                      // int4: INTEGER
        26 | 20 => -5,                // oid, int8: BIGINT
        790 | 701 => 8,               // money, float8: DOUBLE
        1700 => 2,                    // numeric: NUMERIC
        700 => 7,                     // float4: REAL
        18 | 1042 => 1,               // "char", bpchar: CHAR
        1043 | 25 | 19 => 12,         // varchar, text, name: VARCHAR
        17 => -2,                     // bytea: BINARY
        16 | 1560 => BIT,             // bool, bit
        1082 => 91,                   // date: DATE
        1083 | 1266 => 92,            // time, timetz: TIME
        1114 | 1184 => 93,            // timestamp, timestamptz: TIMESTAMP
        1790 => 2012,                 // refcursor: REF_CURSOR
        142 => 2009,                  // xml: SQLXML
        _ if is_array => 2003,        // ARRAY
        _ if typtype == b'e' => 12,   // enum: VARCHAR
        _ if typtype == b'd' => 2001, // DISTINCT
        _ if typtype == b'c' => 2002, // STRUCT
        _ => 1111,                    // OTHER
    }
}

/// pgjdbc's unknown length (`Integer.MAX_VALUE`, its `unknownLength` default).
const UNKNOWN_LENGTH: i32 = i32::MAX;

/// pgjdbc's `TypeInfoCache.getPrecision` and `getScale` of a type OID and typmod (an array's
/// are its element type's, with the column's typmod; a domain's are unknown): Debezium's
/// PostgreSQL connector reads a column's length and scale this way from pgoutput's RELATION
/// message (`ColumnMetaData`).
pub fn length_scale(oid: u32, typmod: i32) -> (i32, i32) {
    let temporal_size = |oid: u32| -> i32 {
        let seconds = match typmod {
            -1 => 7,
            0 => 0,
            1 => 3,
            m => m + 1,
        };
        match oid {
            1083 => 8 + seconds,
            1266 => 8 + seconds + 6,
            1114 => 13 + 1 + 8 + seconds,
            _ => 13 + 1 + 8 + seconds + 6,
        }
    };
    let temporal_scale = if typmod == -1 { 6 } else { typmod };
    match oid {
        21 => (5, 0),
        23 | 26 => (10, 0),
        20 => (19, 0),
        700 => (8, 8),
        701 => (17, 17),
        1700 if typmod == -1 => (0, 0),
        1700 => (
            (((typmod - 4) as u32 & 0xFFFF_0000) >> 16) as i32,
            (typmod - 4) & 0xFFFF,
        ),
        18 | 16 => (1, 0),
        1042 | 1043 if typmod == -1 => (UNKNOWN_LENGTH, 0),
        1042 | 1043 => (typmod - 4, 0),
        1082 => (13, 0),
        1083 | 1266 | 1114 | 1184 => (temporal_size(oid), temporal_scale),
        1186 => (49, if typmod == -1 { 6 } else { typmod & 0xFFFF }),
        1560 => (typmod, 0),
        1562 if typmod == -1 => (UNKNOWN_LENGTH, 0),
        1562 => (typmod, 0),
        _ => (UNKNOWN_LENGTH, 0),
    }
}

/// A `cedar_cdc.ddl` message: the OIDs of the relations a statement touched (first line,
/// space-separated) and the statement text (the rest).
pub fn parse_ddl_message(content: &[u8]) -> Option<(Vec<u32>, String)> {
    let text = std::str::from_utf8(content).ok()?;
    let (oids, ddl) = text.split_once('\n')?;
    let oids = oids
        .split_ascii_whitespace()
        .map(|o| o.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    Some((oids, ddl.to_owned()))
}

/// The DDL statements of the transaction being decoded, from its `cedar_cdc.ddl` messages.
#[derive(Clone, Debug, Default)]
pub struct DdlTexts {
    stmts: Vec<(Vec<u32>, String)>,
}

impl DdlTexts {
    pub fn clear(&mut self) {
        self.stmts.clear();
    }

    pub fn push(&mut self, oids: Vec<u32>, ddl: String) {
        self.stmts.push((oids, ddl));
    }

    /// The statements that touched `relid`, in order, one a line (a statement text
    /// repeated by several commands of one query string appears once; each ends with `;`). When none names it
    /// (a partition attached or detached is named only through its parent), every statement
    /// of the transaction.
    pub fn for_relation(&self, relid: u32) -> Option<String> {
        let pick = |named: bool| {
            let mut texts: Vec<&str> = Vec::new();
            for (oids, ddl) in &self.stmts {
                if (!named || oids.contains(&relid)) && !texts.contains(&ddl.as_str()) {
                    texts.push(ddl);
                }
            }
            match texts.as_slice() {
                [] => None,
                [one] => Some((*one).to_owned()),
                many => Some(
                    many.iter()
                        .map(|t| {
                            let t = t.trim_end();
                            if t.ends_with(';') {
                                t.to_owned()
                            } else {
                                format!("{t};")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            }
        };
        pick(true).or_else(|| pick(false))
    }
}

/// Debezium's `TableId.toDoubleQuotedString()`: `"db"."schema"."table"`.
fn write_table_id(o: &mut dyn Out, db: &str, schema: &str, table: &str) {
    let id = format!("\"{db}\".\"{schema}\".\"{table}\"");
    json::write_str(o, id.as_bytes());
}

fn write_opt_str(o: &mut dyn Out, s: Option<&str>) {
    match s {
        Some(s) => json::write_str(o, s.as_bytes()),
        None => o.put(b"null"),
    }
}

fn write_str_array(o: &mut dyn Out, items: &[String]) {
    o.put_u8(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            o.put_u8(b',');
        }
        json::write_str(o, s.as_bytes());
    }
    o.put_u8(b']');
}

fn bool_str(b: bool) -> &'static [u8] {
    if b {
        b"true"
    } else {
        b"false"
    }
}

/// The `table` struct of a change.
fn write_table(o: &mut dyn Out, t: &TableShape) {
    o.put(b"{\"defaultCharsetName\":null,\"primaryKeyColumnNames\":");
    write_str_array(o, &t.primary_key);
    o.put(b",\"columns\":[");
    for (i, c) in t.columns.iter().enumerate() {
        if i > 0 {
            o.put_u8(b',');
        }
        o.put(b"{\"name\":");
        json::write_str(o, c.name.as_bytes());
        o.put(b",\"jdbcType\":");
        o.put_int(i64::from(c.jdbc_type));
        o.put(b",\"nativeType\":");
        o.put_int(i64::from(c.native_type));
        o.put(b",\"typeName\":");
        json::write_str(o, c.type_name.as_bytes());
        o.put(b",\"typeExpression\":");
        json::write_str(o, c.type_name.as_bytes());
        o.put(b",\"charsetName\":null,\"length\":");
        o.put_int(i64::from(c.length));
        o.put(b",\"scale\":");
        o.put_int(i64::from(c.scale));
        o.put(b",\"position\":");
        o.put_int(i64::from(c.position));
        o.put(b",\"optional\":");
        o.put(bool_str(c.optional));
        o.put(b",\"autoIncremented\":");
        o.put(bool_str(c.auto_incremented));
        o.put(b",\"generated\":");
        o.put(bool_str(c.generated));
        o.put(b",\"comment\":null,\"defaultValueExpression\":");
        write_opt_str(o, c.default_expr.as_deref());
        o.put(b",\"enumValues\":");
        match &c.enum_values {
            Some(v) => write_str_array(o, v),
            None => o.put(b"null"),
        }
        o.put_u8(b'}');
    }
    o.put(b"],\"comment\":null}");
}

impl Session {
    /// Whether schema-change records are written (`include.schema.changes`).
    pub fn schema_changes(&self) -> bool {
        self.cfg.include_schema_changes
    }

    /// Writes one schema-change record for one table (topic `<topic.prefix>`, key
    /// `{"databaseName":…}`). `shape` is the table as it is now, or as it was for a DROP
    /// (which carries `"table":null`, as Debezium's does); the `source` block is that of the
    /// transaction at `at.lsn`, naming the table.
    pub fn write_schema_change<O: Out>(
        &self,
        o: &mut O,
        at: &At<'_>,
        kind: ChangeType,
        shape: &TableShape,
        ddl: Option<&str>,
        scratch: &mut Vec<u8>,
    ) {
        let value_schema = value_schema();
        let key = |k: &mut dyn Out| {
            self.schema_wrapped(k, KEY_SCHEMA, &|p: &mut dyn Out| {
                p.put(b"{\"databaseName\":");
                json::write_str(p, self.database.as_bytes());
                p.put_u8(b'}');
            })
        };
        let value = |v: &mut dyn Out| {
            self.schema_wrapped(v, &value_schema, &|p: &mut dyn Out| {
                p.put(b"{\"source\":");
                let mut table_part = Vec::new();
                table_part.put(b",\"schema\":");
                json::write_str(&mut table_part, shape.schema.as_bytes());
                table_part.put(b",\"table\":");
                json::write_str(&mut table_part, shape.table.as_bytes());
                table_part.put(b",\"txId\":");
                self.write_source(p, &table_part, at);
                p.put(b",\"ts_ms\":");
                let us = at.txn.commit_time.saturating_add(temporal::PG_EPOCH_USECS);
                p.put_int(us.div_euclid(1000));
                p.put(b",\"databaseName\":");
                json::write_str(p, self.database.as_bytes());
                p.put(b",\"schemaName\":");
                json::write_str(p, shape.schema.as_bytes());
                p.put(b",\"ddl\":");
                write_opt_str(p, ddl);
                p.put(b",\"tableChanges\":[{\"type\":\"");
                p.put(kind.as_str().as_bytes());
                p.put(b"\",\"id\":");
                write_table_id(p, &self.database, &shape.schema, &shape.table);
                p.put(b",\"table\":");
                if kind == ChangeType::Drop {
                    p.put(b"null");
                } else {
                    write_table(p, shape);
                }
                p.put(b"}]}");
            })
        };
        self.write_record(
            o,
            &self.schema_change_record_head,
            &self.schema_change_topic,
            scratch,
            Some(&key),
            &value,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::event::Txn;

    fn shape() -> TableShape {
        TableShape {
            schema: "public".into(),
            table: "t".into(),
            primary_key: vec!["id".into()],
            columns: vec![
                ColumnShape {
                    name: "id".into(),
                    jdbc_type: 4,
                    native_type: 23,
                    type_name: "int4".into(),
                    length: 10,
                    scale: 0,
                    position: 1,
                    optional: false,
                    auto_incremented: false,
                    generated: false,
                    default_expr: None,
                    enum_values: None,
                },
                ColumnShape {
                    name: "v".into(),
                    jdbc_type: 12,
                    native_type: 1043,
                    type_name: "varchar".into(),
                    length: 20,
                    scale: 0,
                    position: 2,
                    optional: true,
                    auto_incremented: false,
                    generated: false,
                    default_expr: Some("'x'::character varying".into()),
                    enum_values: None,
                },
            ],
            replica_identity: b'd',
            partition_of: None,
        }
    }

    fn session(schemas: bool, record: bool) -> Session {
        let mut opts = vec![("topic.prefix", Some("dbserver1"))];
        if !schemas {
            opts.push(("schemas.enable", Some("false")));
        }
        if record {
            opts.push(("output.format", Some("record")));
        }
        let cfg = Config::parse("postgres", opts).unwrap();
        Session::new(cfg, "postgres")
    }

    fn write(s: &Session, kind: ChangeType) -> String {
        let mut txn = Txn {
            xid: Some(750),
            commit_time: 0,
            ..Txn::default()
        };
        s.prepare_txn(&mut txn);
        let at = At {
            txn: &txn,
            lsn: 100,
            block: None,
            now_us: 0,
        };
        let mut o = Vec::new();
        s.write_schema_change(&mut o, &at, kind, &shape(), None, &mut Vec::new());
        String::from_utf8(o).unwrap()
    }

    /// The schema part of what the real `JsonConverter` printed for a Debezium 3.6.3
    /// `SchemaChangeValue` built with `SchemaFactory` and `ConnectTableChangeSerializer` for the
    /// PostgreSQL connector configuration, and its `tableChanges` payload for the same table.
    #[test]
    fn matches_debezium_schema_and_table_change() {
        let got = write(&session(true, false), ChangeType::Alter);
        let java_schema = r#"{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},{"type":"int64","optional":true,"field":"txId"},{"type":"int64","optional":true,"field":"lsn"},{"type":"int64","optional":true,"field":"xmin"},{"type":"string","optional":true,"field":"origin"},{"type":"int64","optional":true,"field":"origin_lsn"}],"optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"field":"databaseName"},{"type":"string","optional":true,"field":"schemaName"},{"type":"string","optional":true,"field":"ddl"},{"type":"array","items":{"type":"struct","fields":[{"type":"string","optional":false,"field":"type"},{"type":"string","optional":false,"field":"id"},{"type":"struct","fields":[{"type":"string","optional":true,"field":"defaultCharsetName"},{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"primaryKeyColumnNames"},{"type":"array","items":{"type":"struct","fields":[{"type":"string","optional":false,"field":"name"},{"type":"int32","optional":false,"field":"jdbcType"},{"type":"int32","optional":true,"field":"nativeType"},{"type":"string","optional":false,"field":"typeName"},{"type":"string","optional":true,"field":"typeExpression"},{"type":"string","optional":true,"field":"charsetName"},{"type":"int32","optional":true,"field":"length"},{"type":"int32","optional":true,"field":"scale"},{"type":"int32","optional":false,"field":"position"},{"type":"boolean","optional":true,"field":"optional"},{"type":"boolean","optional":true,"field":"autoIncremented"},{"type":"boolean","optional":true,"field":"generated"},{"type":"string","optional":true,"field":"comment"},{"type":"string","optional":true,"field":"defaultValueExpression"},{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"enumValues"}],"optional":false,"name":"io.debezium.connector.schema.Column","version":1},"optional":false,"field":"columns"},{"type":"string","optional":true,"field":"comment"}],"optional":true,"name":"io.debezium.connector.schema.Table","version":1,"field":"table"}],"optional":false,"name":"io.debezium.connector.schema.Change","version":1},"optional":false,"field":"tableChanges"}],"optional":false,"name":"io.debezium.connector.postgresql.SchemaChangeValue","version":1},"payload":"#;
        assert!(got.starts_with(java_schema), "{got}");
        // Java's scale is null for a column built without one; the PostgreSQL connector
        // always sets it from the typmod (0 for varchar).
        let java_change = r#""ts_ms":946684800000,"databaseName":"postgres","schemaName":"public","ddl":null,"tableChanges":[{"type":"ALTER","id":"\"postgres\".\"public\".\"t\"","table":{"defaultCharsetName":null,"primaryKeyColumnNames":["id"],"columns":[{"name":"id","jdbcType":4,"nativeType":23,"typeName":"int4","typeExpression":"int4","charsetName":null,"length":10,"scale":0,"position":1,"optional":false,"autoIncremented":false,"generated":false,"comment":null,"defaultValueExpression":null,"enumValues":null},{"name":"v","jdbcType":12,"nativeType":1043,"typeName":"varchar","typeExpression":"varchar","charsetName":null,"length":20,"scale":0,"position":2,"optional":true,"autoIncremented":false,"generated":false,"comment":null,"defaultValueExpression":"'x'::character varying","enumValues":null}],"comment":null}}]}}"#;
        assert!(got.ends_with(java_change), "{got}");
        assert!(
            got.contains(r#""schema":"public","table":"t","txId":750,"lsn":100,"#),
            "{got}"
        );
    }

    #[test]
    fn drop_has_null_table_and_record_format_has_topic_and_key() {
        let got = write(&session(false, true), ChangeType::Drop);
        assert!(
            got.starts_with(r#"{"topic":"dbserver1","key":"{\"databaseName\":\"postgres\"}","value":"{\"source\":{"#),
            "{got}"
        );
        assert!(got.ends_with(r#"\"tableChanges\":[{\"type\":\"DROP\",\"id\":\"\\\"postgres\\\".\\\"public\\\".\\\"t\\\"\",\"table\":null}]}"}"#), "{got}");
    }

    #[test]
    fn classifies_changes() {
        let a = shape();
        let mut b = shape();
        assert_eq!(classify(None, Some(&a)), Some(ChangeType::Create));
        assert_eq!(classify(Some(&a), None), Some(ChangeType::Drop));
        assert_eq!(classify(Some(&a), Some(&b)), None);
        b.replica_identity = b'f';
        assert_eq!(classify(Some(&a), Some(&b)), Some(ChangeType::Alter));
        assert_eq!(classify(None, None), None);
    }

    #[test]
    fn pgjdbc_lengths_and_types() {
        assert_eq!(length_scale(1700, (10 << 16 | 2) + 4), (10, 2));
        assert_eq!(length_scale(1700, -1), (0, 0));
        assert_eq!(length_scale(1043, 24), (20, 0));
        assert_eq!(length_scale(25, -1), (i32::MAX, 0));
        assert_eq!(length_scale(1184, -1), (35, 6));
        assert_eq!(length_scale(1114, 3), (26, 3));
        assert_eq!(jdbc_type(23, b'b', false), 4);
        assert_eq!(jdbc_type(1007, b'b', true), 2003);
        assert_eq!(jdbc_type(99999, b'e', false), 12);
        assert_eq!(jdbc_type(99999, b'd', false), 2001);
        assert_eq!(jdbc_type(142, b'b', false), 2009);
        assert_eq!(jdbc_type(3802, b'b', false), 1111);
    }

    #[test]
    fn ddl_messages() {
        let (oids, ddl) = parse_ddl_message(b"16384 16390\nALTER TABLE t ADD c int").unwrap();
        assert_eq!(oids, vec![16384, 16390]);
        let mut d = DdlTexts::default();
        d.push(oids, ddl);
        d.push(vec![16384], "ALTER TABLE t ADD c int".into());
        d.push(vec![16384], "ALTER TABLE t DROP c".into());
        assert_eq!(
            d.for_relation(16384).as_deref(),
            Some("ALTER TABLE t ADD c int;\nALTER TABLE t DROP c;")
        );
        assert_eq!(
            d.for_relation(1).as_deref(),
            Some("ALTER TABLE t ADD c int;\nALTER TABLE t DROP c;")
        );
        assert_eq!(DdlTexts::default().for_relation(1), None);
        assert!(parse_ddl_message(b"x\nddl").is_none());
        assert!(parse_ddl_message(b"no newline").is_none());
    }
}
