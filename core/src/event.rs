//! Change events: the Debezium envelope and `source` block, written straight into the output.
//!
//! The plugin provides rows through the [`Row`] trait (values are read from the tuple on
//! demand, so no per-row copy is made) and the transaction's facts as a [`Txn`].

use crate::json;
use crate::options::{Config, OutputFormat};
use crate::out::Out;
use crate::table::TablePlan;
use crate::temporal;
use crate::types::{write_value, ColumnPlan, Value};

/// A row the plugin can read column values from.
pub trait Row {
    /// The value of `col` in this row.
    fn value(&self, col: &ColumnPlan) -> Value<'_>;
}

/// The facts of the transaction an event belongs to.
#[derive(Clone, Debug, Default)]
pub struct Txn {
    /// The top-level transaction id.
    pub xid: u32,
    /// Commit time, microseconds since 2000-01-01 UTC.
    pub commit_time: i64,
    /// End LSN of the previous transaction this session decoded (`sequence[0]`).
    pub last_commit_lsn: Option<u64>,
    /// Replication origin name, when the transaction was replicated from elsewhere.
    pub origin: Option<String>,
    /// The origin's commit LSN.
    pub origin_lsn: Option<u64>,
}

/// Debezium's operation codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    fn code(self) -> &'static [u8] {
        match self {
            Op::Create => b"\"c\"",
            Op::Update => b"\"u\"",
            Op::Delete => b"\"d\"",
        }
    }
}

/// Session-wide constant parts of every event.
#[derive(Clone, Debug)]
pub struct Session {
    pub cfg: Config,
    /// `{"version":…,"connector":"postgresql","name":<prefix>,"ts_ms":`
    source_head: Vec<u8>,
    /// `,"snapshot":"false","db":<db>,"sequence":"[`
    source_db: Vec<u8>,
}

/// The value of `source.version`: ours, not Debezium's (documented in the README).
pub const SOURCE_VERSION: &str = concat!("cedar_cdc-", env!("CARGO_PKG_VERSION"));

impl Session {
    /// Prepares the constant parts for a database and configuration.
    pub fn new(cfg: Config, database: &str) -> Self {
        let source_head = format!(
            "{{\"version\":{},\"connector\":\"postgresql\",\"name\":{},\"ts_ms\":",
            json::quoted(SOURCE_VERSION),
            json::quoted(&cfg.topic_prefix)
        )
        .into_bytes();
        let source_db = format!(
            ",\"snapshot\":\"false\",\"db\":{},\"sequence\":\"[",
            json::quoted(database)
        )
        .into_bytes();
        Session {
            cfg,
            source_head,
            source_db,
        }
    }

    /// Writes the `source` block of a table change at `lsn`.
    pub fn write_source<O: Out + ?Sized>(&self, o: &mut O, t: &TablePlan, txn: &Txn, lsn: u64) {
        let us = txn.commit_time.saturating_add(temporal::PG_EPOCH_USECS);
        o.put(&self.source_head);
        o.put_int(us.div_euclid(1000));
        o.put(&self.source_db);
        match txn.last_commit_lsn {
            Some(l) => {
                o.put(b"\\\"");
                o.put_int(l);
                o.put(b"\\\"");
            }
            None => o.put(b"null"),
        }
        o.put(b",\\\"");
        o.put_int(lsn);
        o.put(b"\\\"]\",\"ts_us\":");
        o.put_int(us);
        o.put(b",\"ts_ns\":");
        o.put_int(i128::from(us) * 1000);
        o.put(&t.source_table);
        o.put_int(txn.xid);
        o.put(b",\"lsn\":");
        o.put_int(lsn);
        o.put(b",\"xmin\":null,\"origin\":");
        match &txn.origin {
            Some(n) => json::write_str(o, n.as_bytes()),
            None => o.put(b"null"),
        }
        o.put(b",\"origin_lsn\":");
        match txn.origin_lsn {
            Some(l) => o.put_int(l),
            None => o.put(b"null"),
        }
        o.put_u8(b'}');
    }

    /// Writes the value record of a change: the envelope, wrapped with its schema when
    /// `schemas.enable` is on. `toast_from` supplies unchanged TOAST values (the old row
    /// under REPLICA IDENTITY FULL).
    #[allow(clippy::too_many_arguments)]
    pub fn write_value_record<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        txn: &Txn,
        lsn: u64,
        op: Op,
        before: Option<&R>,
        after: Option<&R>,
        toast_from: Option<&R>,
        now_us: i64,
    ) {
        o.put(&t.value_prefix);
        o.put(b"{\"before\":");
        match before {
            Some(r) => write_row(o, &t.columns, r, None),
            None => o.put(b"null"),
        }
        o.put(b",\"after\":");
        match after {
            Some(r) => write_row(o, &t.columns, r, toast_from),
            None => o.put(b"null"),
        }
        o.put(b",\"source\":");
        self.write_source(o, t, txn, lsn);
        o.put(b",\"transaction\":null,\"op\":");
        o.put(op.code());
        write_processing_time(o, now_us);
        o.put_u8(b'}');
        if !t.value_prefix.is_empty() {
            o.put_u8(b'}');
        }
    }

    /// Writes the key record (`null` for a table without a key).
    pub fn write_key_record<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        row: &R,
        toast_from: Option<&R>,
    ) {
        if t.key.is_empty() {
            o.put(b"null");
            return;
        }
        o.put(&t.key_prefix);
        write_row(o, &t.key, row, toast_from);
        if !t.key_prefix.is_empty() {
            o.put_u8(b'}');
        }
    }

    /// Writes one change event in the configured output format. The key comes from the old
    /// row for a delete and from the new row otherwise. `scratch` is reused between calls.
    #[allow(clippy::too_many_arguments)]
    pub fn write_change<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        txn: &Txn,
        lsn: u64,
        op: Op,
        before: Option<&R>,
        after: Option<&R>,
        toast_from: Option<&R>,
        now_us: i64,
        scratch: &mut Vec<u8>,
    ) {
        match self.cfg.output_format {
            OutputFormat::Value => {
                self.write_value_record(o, t, txn, lsn, op, before, after, toast_from, now_us)
            }
            OutputFormat::Record => {
                o.put(&t.record_head);
                let key_row = if op == Op::Delete { before } else { after };
                self.write_key_string(o, t, key_row, toast_from, scratch);
                o.put(b",\"value\":");
                scratch.clear();
                self.write_value_record(
                    scratch, t, txn, lsn, op, before, after, toast_from, now_us,
                );
                json::write_str(o, scratch);
                o.put_u8(b'}');
            }
        }
    }

    /// Whether a delete is followed by a tombstone message.
    pub fn emits_tombstones(&self) -> bool {
        self.cfg.output_format == OutputFormat::Record && self.cfg.tombstones_on_delete
    }

    /// Writes the tombstone that follows a delete: the old key and a Kafka null value.
    pub fn write_tombstone<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        old: &R,
        scratch: &mut Vec<u8>,
    ) {
        o.put(&t.record_head);
        self.write_key_string(o, t, Some(old), None, scratch);
        o.put(b",\"value\":null}");
    }

    fn write_key_string<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        row: Option<&R>,
        toast_from: Option<&R>,
        scratch: &mut Vec<u8>,
    ) {
        match row {
            Some(r) if !t.key.is_empty() => {
                scratch.clear();
                self.write_key_record(scratch, t, r, toast_from);
                json::write_str(o, scratch);
            }
            _ => o.put(b"null"),
        }
    }
}

/// `,"ts_ms":…,"ts_us":…,"ts_ns":…` of the envelope: the time the event was produced.
fn write_processing_time<O: Out + ?Sized>(o: &mut O, now_us: i64) {
    o.put(b",\"ts_ms\":");
    o.put_int(now_us.div_euclid(1000));
    o.put(b",\"ts_us\":");
    o.put_int(now_us);
    o.put(b",\"ts_ns\":");
    o.put_int(i128::from(now_us) * 1000);
}

/// Writes a row struct. An unchanged TOAST value is taken from `toast_from` when it has it,
/// else written as the column's placeholder.
pub fn write_row<O: Out + ?Sized, R: Row>(
    o: &mut O,
    cols: &[ColumnPlan],
    row: &R,
    toast_from: Option<&R>,
) {
    o.put_u8(b'{');
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            o.put_u8(b',');
        }
        o.put(&c.key_json);
        let v = row.value(c);
        match (v, toast_from) {
            // The old row has the value only under REPLICA IDENTITY FULL; a key-only old row
            // (a key change under DEFAULT) lacks it, and the placeholder is written.
            (Value::UnchangedToast, Some(old)) => match old.value(c) {
                Value::Null => o.put(&c.toast_json),
                ov => write_value(o, c, &ov),
            },
            _ => write_value(o, c, &v),
        }
    }
    o.put_u8(b'}');
}

/// Whether the key of `new` differs from the key of `old` (Debezium then emits a delete, a
/// tombstone and a create). Compares the encoded key values, as Debezium compares key structs.
pub fn key_changed<R: Row>(t: &TablePlan, old: &R, new: &R, scratch: &mut Vec<u8>) -> bool {
    if t.key.is_empty() {
        return false;
    }
    scratch.clear();
    write_row(scratch, &t.key, old, None);
    let split = scratch.len();
    write_row(scratch, &t.key, new, Some(old));
    scratch[..split] != scratch[split..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{oid, plan_column, PgColumn, PgType};

    struct VecRow(Vec<Value<'static>>);

    impl Row for VecRow {
        fn value(&self, col: &ColumnPlan) -> Value<'_> {
            self.0[col.attr]
        }
    }

    fn ri_default(cfg: &Config) -> TablePlan {
        let cols = [
            ("id", oid::INT4, true),
            ("name", oid::TEXT, true),
            ("note", oid::TEXT, false),
            ("qty", oid::INT4, true),
        ];
        let plans = cols
            .iter()
            .enumerate()
            .map(|(i, (n, t, nn))| {
                plan_column(
                    cfg,
                    &PgColumn {
                        attr: i,
                        name: n.to_string(),
                        ty: PgType::builtin(*t, -1),
                        not_null: *nn,
                        default_expr: None,
                    },
                )
                .unwrap()
            })
            .collect();
        TablePlan::new(cfg, "public", "ri_default", plans, &[0])
    }

    /// Masks what cannot match: processing time and `source.version`.
    fn mask(s: &str) -> String {
        let s = s.replace(
            &format!("\"version\":\"{SOURCE_VERSION}\""),
            "\"version\":\"V\"",
        );
        let s = s.replace("\"version\":\"3.6.3.Final\"", "\"version\":\"V\"");
        match s.rfind(",\"ts_ms\":") {
            Some(p) => format!("{}{}", &s[..p], "<ts>"),
            None => s,
        }
    }

    #[test]
    fn create_event_matches_captured_debezium() {
        let mut cfg = Config::defaults("postgres");
        cfg.topic_prefix = "dbserver1".into();
        let t = ri_default(&cfg);
        let s = Session::new(cfg, "postgres");
        let txn = Txn {
            xid: 774,
            // 1795420461266802 µs since 1970
            commit_time: 1_795_420_461_266_802 - temporal::PG_EPOCH_USECS,
            last_commit_lsn: Some(24_367_032),
            origin: None,
            origin_lsn: None,
        };
        let row = VecRow(vec![
            Value::Int(1),
            Value::Bytes(b"n1"),
            Value::Bytes(b"note1"),
            Value::Int(10),
        ]);
        let mut o = Vec::new();
        s.write_value_record(
            &mut o,
            &t,
            &txn,
            24_367_032,
            Op::Create,
            None,
            Some(&row),
            None,
            1_795_420_461_525_665,
        );
        let got = String::from_utf8(o).unwrap();
        let want = r#"{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},{"type":"string","optional":true,"field":"note"},{"type":"int32","optional":false,"field":"qty"}],"optional":true,"name":"dbserver1.public.ri_default.Value","field":"before"},{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},{"type":"string","optional":true,"field":"note"},{"type":"int32","optional":false,"field":"qty"}],"optional":true,"name":"dbserver1.public.ri_default.Value","field":"after"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},{"type":"int64","optional":true,"field":"txId"},{"type":"int64","optional":true,"field":"lsn"},{"type":"int64","optional":true,"field":"xmin"},{"type":"string","optional":true,"field":"origin"},{"type":"int64","optional":true,"field":"origin_lsn"}],"optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"}],"optional":false,"name":"dbserver1.public.ri_default.Envelope","version":2},"payload":{"before":null,"after":{"id":1,"name":"n1","note":"note1","qty":10},"source":{"version":"3.6.3.Final","connector":"postgresql","name":"dbserver1","ts_ms":1795420461266,"snapshot":"false","db":"postgres","sequence":"[\"24367032\",\"24367032\"]","ts_us":1795420461266802,"ts_ns":1795420461266802000,"schema":"public","table":"ri_default","txId":774,"lsn":24367032,"xmin":null,"origin":null,"origin_lsn":null},"transaction":null,"op":"c","ts_ms":1795420461525,"ts_us":1795420461525665,"ts_ns":1795420461525665464}}"#;
        assert_eq!(mask(&got), mask(want));
    }

    #[test]
    fn delete_under_default_identity_uses_fallbacks() {
        let mut cfg = Config::defaults("postgres");
        cfg.topic_prefix = "dbserver1".into();
        cfg.schemas_enable = false;
        let t = ri_default(&cfg);
        let s = Session::new(cfg, "postgres");
        let txn = Txn {
            xid: 781,
            commit_time: 1_795_420_461_270_205 - temporal::PG_EPOCH_USECS,
            last_commit_lsn: Some(24_368_872),
            ..Txn::default()
        };
        let old = VecRow(vec![Value::Int(1), Value::Null, Value::Null, Value::Null]);
        let mut o = Vec::new();
        s.write_value_record(
            &mut o,
            &t,
            &txn,
            24_368_872,
            Op::Delete,
            Some(&old),
            None,
            None,
            1_795_420_461_560_108,
        );
        let want = r#"{"before":{"id":1,"name":"","note":null,"qty":0},"after":null,"source":{"version":"3.6.3.Final","connector":"postgresql","name":"dbserver1","ts_ms":1795420461270,"snapshot":"false","db":"postgres","sequence":"[\"24368872\",\"24368872\"]","ts_us":1795420461270205,"ts_ns":1795420461270205000,"schema":"public","table":"ri_default","txId":781,"lsn":24368872,"xmin":null,"origin":null,"origin_lsn":null},"transaction":null,"op":"d","ts_ms":1795420461560,"ts_us":1795420461560108,"ts_ns":1795420461560108531}"#;
        assert_eq!(mask(&String::from_utf8(o).unwrap()), mask(want));
    }

    #[test]
    fn record_format_carries_topic_key_and_value() {
        let mut cfg = Config::defaults("postgres");
        cfg.topic_prefix = "srv".into();
        cfg.schemas_enable = false;
        cfg.output_format = OutputFormat::Record;
        let t = ri_default(&cfg);
        let s = Session::new(cfg, "postgres");
        let old = VecRow(vec![Value::Int(1), Value::Null, Value::Null, Value::Null]);
        let txn = Txn {
            xid: 7,
            ..Txn::default()
        };
        let mut o = Vec::new();
        let mut scratch = Vec::new();
        s.write_change(
            &mut o,
            &t,
            &txn,
            16,
            Op::Delete,
            Some(&old),
            None,
            None,
            0,
            &mut scratch,
        );
        let got = String::from_utf8(o).unwrap();
        assert!(got.starts_with(r#"{"topic":"srv.public.ri_default","key":"{\"id\":1}","value":"{\"before\":{\"id\":1,\"name\":\"\",\"note\":null,\"qty\":0},\"after\":null,"#), "{got}");
        assert!(
            got.ends_with(r#"\"op\":\"d\",\"ts_ms\":0,\"ts_us\":0,\"ts_ns\":0}"}"#),
            "{got}"
        );
        assert!(s.emits_tombstones());
        let mut o = Vec::new();
        s.write_tombstone(&mut o, &t, &old, &mut scratch);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            r#"{"topic":"srv.public.ri_default","key":"{\"id\":1}","value":null}"#
        );
    }

    #[test]
    fn key_change_detection() {
        let cfg = Config::defaults("postgres");
        let t = ri_default(&cfg);
        let a = VecRow(vec![Value::Int(2), Value::Null, Value::Null, Value::Null]);
        let b = VecRow(vec![
            Value::Int(3),
            Value::Bytes(b"n2"),
            Value::Null,
            Value::Int(20),
        ]);
        let mut scratch = Vec::new();
        assert!(key_changed(&t, &a, &b, &mut scratch));
        assert!(!key_changed(&t, &a, &a, &mut scratch));
        let mut o = Vec::new();
        Session::new(cfg, "postgres").write_key_record(&mut o, &t, &b, None);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"postgres.public.ri_default.Key"},"payload":{"id":3}}"#
        );
    }
}
