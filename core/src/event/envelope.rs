//! The records Debezium writes: change events (value record, key record, tombstone), truncates,
//! transaction BEGIN/END records, logical decoding messages and heartbeats, each as
//! `JsonConverter` prints it, in the value or the record output format.

use super::source::write_processing_time;
use super::{At, Op, Row, TxMeta, Txn};
use crate::config::{Config, OutputFormat};
use crate::encode::frame;
use crate::encode::json;
use crate::encode::out::{Out, OutExt};
use crate::encode::temporal;
use crate::plan::table::TablePlan;
use crate::plan::types::{ColumnPlan, Value};

pub use super::write_row;

/// Session-wide constant parts of every event.
#[derive(Clone, Debug)]
pub struct Session {
    pub cfg: Config,
    /// `{"version":…,"connector":"postgresql","name":<prefix>,"ts_ms":`
    pub(super) source_head: Vec<u8>,
    /// `,"db":<db>,"sequence":"[`
    pub(super) source_db: Vec<u8>,
    /// `{"topic":"<prefix>.transaction","key":`
    tx_record_head: Vec<u8>,
    /// `{"topic":"<prefix>.message","key":`
    message_record_head: Vec<u8>,
    /// `{"topic":"__debezium-heartbeat.<prefix>","key":`
    heartbeat_record_head: Vec<u8>,
    /// `{"topic":"<prefix>","key":` (schema-change records).
    pub(super) schema_change_record_head: Vec<u8>,
    /// The database name (schema-change records' `databaseName`).
    pub(super) database: String,
    /// The four topics themselves, for the framed format.
    tx_topic: String,
    message_topic: String,
    heartbeat_topic: String,
    pub(super) schema_change_topic: String,
}

/// Something that writes a record into a sink.
pub(super) type Writer<'a> = &'a dyn Fn(&mut dyn Out);

/// The value of `source.version`: ours, not Debezium's (documented in the README).
pub const SOURCE_VERSION: &str = concat!("cedar_cdc-", env!("CARGO_PKG_VERSION"));

const TX_KEY_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"}],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataKey","version":1}"#;
const TX_VALUE_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"status"},{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":true,"field":"event_count"},{"type":"array","items":{"type":"struct","fields":[{"type":"string","optional":false,"field":"data_collection"},{"type":"int64","optional":false,"field":"event_count"}],"optional":true,"name":"event.collection","version":1},"optional":true,"field":"data_collections"},{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataValue","version":1}"#;
const MESSAGE_KEY_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":true,"field":"prefix"}],"optional":false,"name":"io.debezium.connector.postgresql.MessageKey","version":1}"#;
const HEARTBEAT_KEY_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"serverName"}],"optional":false,"name":"io.debezium.connector.common.ServerNameKey","version":1}"#;
const HEARTBEAT_VALUE_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1}"#;

/// The `MessageValue` schema (`content` follows `binary.handling.mode`).
fn message_value_schema(binary_string: bool) -> String {
    format!(
        concat!(
            r#"{{"type":"struct","fields":[{{"type":"string","optional":false,"field":"op"}},{{"type":"int64","optional":true,"field":"ts_ms"}},"#,
            "{}",
            ",",
            "{}",
            r#",{{"type":"struct","fields":[{{"type":"string","optional":true,"field":"prefix"}},{{"type":"{}","optional":true,"field":"content"}}],"optional":false,"name":"io.debezium.connector.postgresql.Message","version":1,"field":"message"}}],"optional":false,"name":"io.debezium.connector.postgresql.MessageValue","version":1}}"#
        ),
        crate::plan::table::SOURCE_SCHEMA,
        crate::plan::table::TRANSACTION_BLOCK_SCHEMA,
        if binary_string { "string" } else { "bytes" }
    )
}

impl Session {
    /// Prepares the constant parts for a database and configuration.
    pub fn new(cfg: Config, database: &str) -> Self {
        let source_head = format!(
            "{{\"version\":{},\"connector\":\"postgresql\",\"name\":{},\"ts_ms\":",
            json::quoted(SOURCE_VERSION),
            json::quoted(&cfg.topic_prefix)
        )
        .into_bytes();
        let source_db = format!(",\"db\":{},\"sequence\":\"[", json::quoted(database)).into_bytes();
        // RegexRouter renames these topics too (transforms::check_topics rejects the rest).
        let topic = |topic: String| {
            let topic = crate::plan::table::sanitize_topic(&topic);
            cfg.transforms.route_topic(&topic)
        };
        let head =
            |topic: &str| format!("{{\"topic\":{},\"key\":", json::quoted(topic)).into_bytes();
        let tx_topic = topic(format!("{}.transaction", cfg.topic_prefix));
        let message_topic = topic(format!("{}.message", cfg.topic_prefix));
        let heartbeat_topic = topic(format!(
            "{}.{}",
            cfg.heartbeat_topic_prefix, cfg.topic_prefix
        ));
        let schema_change_topic = topic(cfg.topic_prefix.clone());
        Session {
            tx_record_head: head(&tx_topic),
            message_record_head: head(&message_topic),
            heartbeat_record_head: head(&heartbeat_topic),
            schema_change_record_head: head(&schema_change_topic),
            database: database.to_owned(),
            tx_topic,
            message_topic,
            heartbeat_topic,
            schema_change_topic,
            cfg,
            source_head,
            source_db,
        }
    }

    /// Whether `op` is listed in `skipped.operations`.
    pub fn skips(&self, op: Op) -> bool {
        self.cfg.skipped_operations.contains(op.letter())
    }

    /// Whether changes of source operation `op` reach Debezium at all: an explicit
    /// `skipped.operations` leaves them out of its publication's `publish` list.
    pub fn publishes(&self, op: Op) -> bool {
        !(self.cfg.skipped_operations_set && self.skips(op))
    }

    /// Writes the value record of a change: the envelope, wrapped with its schema when
    /// `schemas.enable` is on. `toast_from` supplies unchanged TOAST values (the old row
    /// under REPLICA IDENTITY FULL).
    #[allow(clippy::too_many_arguments)]
    pub fn write_value_record<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        at: &At<'_>,
        op: Op,
        before: Option<&R>,
        after: Option<&R>,
        toast_from: Option<&R>,
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
        self.write_source(o, &t.source_table, at);
        self.write_block(o, at);
        o.put(b",\"op\":");
        o.put(op.code());
        write_processing_time(o, at.now_us);
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
        o.put_u8(b'{');
        super::write_fields(o, &t.key, row, toast_from);
        o.put(&t.key_suffix);
        o.put_u8(b'}');
        if !t.key_prefix.is_empty() {
            o.put_u8(b'}');
        }
    }

    /// Whether records carry topic and key (`output.format=record` or `framed`).
    fn records(&self) -> bool {
        self.cfg.output_format.keyed()
    }

    /// Writes `{"topic":…,"key":<key>,"value":<value>}` (record format), a record frame, or
    /// the value alone. `key` writes into the scratch buffer, and so does `value` in the
    /// record format; a frame's value is written straight into `o`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_record<O: Out>(
        &self,
        o: &mut O,
        head: &[u8],
        topic: &str,
        scratch: &mut Vec<u8>,
        key: Option<Writer<'_>>,
        value: Writer<'_>,
    ) {
        match self.cfg.output_format {
            OutputFormat::Value => return value(o),
            OutputFormat::Framed => {
                let key = key.map(|k| {
                    scratch.clear();
                    k(scratch);
                    &scratch[..]
                });
                frame::write_head(o, topic.as_bytes(), key);
                frame::write_value_flag(o, true);
                return value(o);
            }
            OutputFormat::Record => {}
        }
        o.put(head);
        match key {
            Some(k) => {
                scratch.clear();
                k(scratch);
                json::write_str(o, scratch);
            }
            None => o.put(b"null"),
        }
        o.put(b",\"value\":");
        scratch.clear();
        value(scratch);
        json::write_str(o, scratch);
        o.put_u8(b'}');
    }

    /// Writes one change event in the configured output format. The key comes from the old
    /// row for a delete and from the new row otherwise. `scratch` is reused between calls.
    #[allow(clippy::too_many_arguments)]
    pub fn write_change<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        at: &At<'_>,
        op: Op,
        before: Option<&R>,
        after: Option<&R>,
        toast_from: Option<&R>,
        scratch: &mut Vec<u8>,
    ) {
        if let Some(f) = &t.flat {
            return self.write_flat_change(o, t, f, at, op, before, after, toast_from, scratch);
        }
        match self.cfg.output_format {
            OutputFormat::Value => self.write_value_record(o, t, at, op, before, after, toast_from),
            OutputFormat::Record => {
                o.put(&t.record_head);
                let key_row = if op == Op::Delete { before } else { after };
                self.write_key_string(o, t, key_row, toast_from, scratch);
                o.put(b",\"value\":");
                scratch.clear();
                self.write_value_record(scratch, t, at, op, before, after, toast_from);
                json::write_str(o, scratch);
                o.put_u8(b'}');
            }
            OutputFormat::Framed => {
                let key_row = if op == Op::Delete { before } else { after };
                self.write_key_frame(o, t, &t.topic, key_row, toast_from, scratch);
                frame::write_value_flag(o, true);
                self.write_value_record(o, t, at, op, before, after, toast_from);
            }
        }
    }

    /// Writes a record frame's head with the change's key record (`toast_from` for its
    /// unchanged TOAST values).
    pub(super) fn write_key_frame<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        topic: &str,
        row: Option<&R>,
        toast_from: Option<&R>,
        scratch: &mut Vec<u8>,
    ) {
        let key = self.key_record(t, row, toast_from, scratch);
        frame::write_head(o, topic.as_bytes(), key);
    }

    /// The change's key record in `scratch`, or None for a keyless table or no row.
    fn key_record<'s, R: Row>(
        &self,
        t: &TablePlan,
        row: Option<&R>,
        toast_from: Option<&R>,
        scratch: &'s mut Vec<u8>,
    ) -> Option<&'s [u8]> {
        let r = row.filter(|_| !t.key.is_empty())?;
        scratch.clear();
        self.write_key_record(scratch, t, r, toast_from);
        Some(scratch)
    }

    /// Writes the commit frame that closes a unit (a transaction or a non-transactional
    /// message) in the framed format.
    pub fn write_commit_frame<O: Out + ?Sized>(&self, o: &mut O, lsn: u64) {
        frame::write_commit(o, lsn);
    }

    /// Whether units are closed by commit frames (`output.format=framed`).
    pub fn framed(&self) -> bool {
        self.cfg.output_format == OutputFormat::Framed
    }

    /// Writes a truncate event (`op` `t`, no key, no rows) of one table.
    pub fn write_truncate<O: Out>(
        &self,
        o: &mut O,
        t: &TablePlan,
        at: &At<'_>,
        scratch: &mut Vec<u8>,
    ) {
        self.write_record(
            o,
            &t.record_head,
            &t.topic,
            scratch,
            None,
            &|v: &mut dyn Out| {
                self.write_value_record::<_, NoRow>(v, t, at, Op::Truncate, None, None, None)
            },
        );
    }

    /// Whether a delete is followed by a tombstone message.
    pub fn emits_tombstones(&self) -> bool {
        self.records() && self.cfg.tombstones_on_delete
    }

    /// Writes the tombstone that follows a delete: the old key and a Kafka null value.
    pub fn write_tombstone<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        old: &R,
        scratch: &mut Vec<u8>,
    ) {
        if self.framed() {
            self.write_key_frame(o, t, &t.topic, Some(old), None, scratch);
            frame::write_value_flag(o, false);
            return;
        }
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
        match self.key_record(t, row, toast_from, scratch) {
            Some(k) => json::write_str(o, k),
            None => o.put(b"null"),
        }
    }

    pub(super) fn schema_wrapped(
        &self,
        o: &mut dyn Out,
        schema: &str,
        payload: &dyn Fn(&mut dyn Out),
    ) {
        if self.cfg.schemas_enable {
            o.put(b"{\"schema\":");
            o.put(schema.as_bytes());
            o.put(b",\"payload\":");
            payload(o);
            o.put_u8(b'}');
        } else {
            payload(o);
        }
    }

    /// Writes a transaction's BEGIN record (topic `<prefix>.transaction`).
    pub fn write_begin<O: Out>(&self, o: &mut O, txn: &Txn, first_lsn: u64, scratch: &mut Vec<u8>) {
        self.write_tx_record(o, txn, first_lsn, None, scratch);
    }

    /// Writes a transaction's END record with its event counts.
    pub fn write_end<O: Out>(
        &self,
        o: &mut O,
        txn: &Txn,
        end_lsn: u64,
        meta: &TxMeta,
        scratch: &mut Vec<u8>,
    ) {
        self.write_tx_record(o, txn, end_lsn, Some(meta), scratch);
    }

    fn write_tx_record<O: Out>(
        &self,
        o: &mut O,
        txn: &Txn,
        lsn: u64,
        end: Option<&TxMeta>,
        scratch: &mut Vec<u8>,
    ) {
        let id = format!("{}:{}", txn.xid.unwrap_or(0), lsn);
        let ts_ms = txn
            .commit_time
            .saturating_add(temporal::PG_EPOCH_USECS)
            .div_euclid(1000);
        let key = |k: &mut dyn Out| {
            self.schema_wrapped(k, TX_KEY_SCHEMA, &|p: &mut dyn Out| {
                p.put(b"{\"id\":");
                json::write_str(p, id.as_bytes());
                p.put_u8(b'}');
            })
        };
        let value = |v: &mut dyn Out| {
            self.schema_wrapped(v, TX_VALUE_SCHEMA, &|p: &mut dyn Out| {
                p.put(if end.is_some() {
                    b"{\"status\":\"END\",\"id\":".as_slice()
                } else {
                    b"{\"status\":\"BEGIN\",\"id\":".as_slice()
                });
                json::write_str(p, id.as_bytes());
                match end {
                    Some(m) => {
                        p.put(b",\"event_count\":");
                        p.put_int(m.total);
                        p.put(b",\"data_collections\":");
                        m.write_collections(p);
                    }
                    None => p.put(b",\"event_count\":null,\"data_collections\":null"),
                }
                p.put(b",\"ts_ms\":");
                p.put_int(ts_ms);
                p.put_u8(b'}');
            })
        };
        self.write_record(
            o,
            &self.tx_record_head,
            &self.tx_topic,
            scratch,
            Some(&key),
            &value,
        );
    }

    /// Writes a logical decoding message event (topic `<prefix>.message`).
    pub fn write_message<O: Out>(
        &self,
        o: &mut O,
        at: &At<'_>,
        prefix: &[u8],
        content: &[u8],
        scratch: &mut Vec<u8>,
    ) {
        let binary_string = self.cfg.binary_mode != crate::config::BinaryMode::Bytes;
        let value_schema = message_value_schema(binary_string);
        let key = |k: &mut dyn Out| {
            self.schema_wrapped(k, MESSAGE_KEY_SCHEMA, &|p: &mut dyn Out| {
                p.put(b"{\"prefix\":");
                json::write_str(p, prefix);
                p.put_u8(b'}');
            })
        };
        let value = |v: &mut dyn Out| {
            self.schema_wrapped(v, &value_schema, &|p: &mut dyn Out| {
                p.put(b"{\"op\":\"m\",\"ts_ms\":");
                p.put_int(at.now_us.div_euclid(1000));
                p.put(b",\"source\":");
                self.write_source(p, b",\"schema\":\"\",\"table\":\"\",\"txId\":", at);
                self.write_block(p, at);
                p.put(b",\"message\":{\"prefix\":");
                json::write_str(p, prefix);
                p.put(b",\"content\":");
                crate::plan::types::write_binary(p, content, self.cfg.binary_mode);
                p.put(b"}}");
            })
        };
        self.write_record(
            o,
            &self.message_record_head,
            &self.message_topic,
            scratch,
            Some(&key),
            &value,
        );
    }

    /// Writes a heartbeat record (topic `__debezium-heartbeat.<prefix>`).
    pub fn write_heartbeat<O: Out>(&self, o: &mut O, now_us: i64, scratch: &mut Vec<u8>) {
        let key = |k: &mut dyn Out| {
            self.schema_wrapped(k, HEARTBEAT_KEY_SCHEMA, &|p: &mut dyn Out| {
                p.put(b"{\"serverName\":");
                json::write_str(p, self.cfg.topic_prefix.as_bytes());
                p.put_u8(b'}');
            })
        };
        let value = |v: &mut dyn Out| {
            self.schema_wrapped(v, HEARTBEAT_VALUE_SCHEMA, &|p: &mut dyn Out| {
                p.put(b"{\"ts_ms\":");
                p.put_int(now_us.div_euclid(1000));
                p.put_u8(b'}');
            })
        };
        self.write_record(
            o,
            &self.heartbeat_record_head,
            &self.heartbeat_topic,
            scratch,
            Some(&key),
            &value,
        );
    }
}

/// A row type for events without rows (truncate).
struct NoRow;

impl Row for NoRow {
    fn value(&self, _col: &ColumnPlan) -> Value<'_> {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::key_changed;
    use crate::plan::types::{oid, plan_column, PgColumn, PgType};

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
        let mut txn = Txn {
            xid: Some(774),
            // 1795420461266802 µs since 1970
            commit_time: 1_795_420_461_266_802 - temporal::PG_EPOCH_USECS,
            last_commit_lsn: Some(24_367_032),
            origin: None,
            origin_lsn: None,
            ..Txn::default()
        };
        s.prepare_txn(&mut txn);
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
            &At {
                txn: &txn,
                lsn: 24_367_032,
                block: None,
                now_us: 1_795_420_461_525_665,
            },
            Op::Create,
            None,
            Some(&row),
            None,
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
        let mut txn = Txn {
            xid: Some(781),
            commit_time: 1_795_420_461_270_205 - temporal::PG_EPOCH_USECS,
            last_commit_lsn: Some(24_368_872),
            ..Txn::default()
        };
        s.prepare_txn(&mut txn);
        let old = VecRow(vec![Value::Int(1), Value::Null, Value::Null, Value::Null]);
        let mut o = Vec::new();
        s.write_value_record(
            &mut o,
            &t,
            &At {
                txn: &txn,
                lsn: 24_368_872,
                block: None,
                now_us: 1_795_420_461_560_108,
            },
            Op::Delete,
            Some(&old),
            None,
            None,
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
        let mut txn = Txn {
            xid: Some(7),
            ..Txn::default()
        };
        s.prepare_txn(&mut txn);
        let mut o = Vec::new();
        let mut scratch = Vec::new();
        s.write_change(
            &mut o,
            &t,
            &At {
                txn: &txn,
                lsn: 16,
                block: None,
                now_us: 0,
            },
            Op::Delete,
            Some(&old),
            None,
            None,
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
    fn transaction_records_match_captured_debezium() {
        let mut cfg = Config::defaults("postgres");
        cfg.topic_prefix = "srv".into();
        cfg.output_format = OutputFormat::Record;
        let s = Session::new(cfg, "postgres");
        // 1795420549076 ms since 1970
        let mut txn = Txn {
            xid: Some(801),
            commit_time: 1_795_420_549_076_000 - temporal::PG_EPOCH_USECS,
            ..Txn::default()
        };
        s.prepare_txn(&mut txn);
        let mut o = Vec::new();
        let mut scratch = Vec::new();
        s.write_begin(&mut o, &txn, 24_550_088, &mut scratch);
        let rec: String = String::from_utf8(o).unwrap();
        assert!(rec.starts_with(r#"{"topic":"srv.transaction","key":"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"id\"}],\"optional\":false,\"name\":\"io.debezium.connector.common.TransactionMetadataKey\",\"version\":1},\"payload\":{\"id\":\"801:24550088\"}}","value":"#), "{rec}");
        assert!(rec.ends_with(r#"\"payload\":{\"status\":\"BEGIN\",\"id\":\"801:24550088\",\"event_count\":null,\"data_collections\":null,\"ts_ms\":1795420549076}}"}"#), "{rec}");
        let mut meta = TxMeta::default();
        meta.begin();
        for t in [
            "public.ri_default",
            "public.cpk",
            "public.ri_default",
            "public.ri_default",
            "public.cpk",
        ] {
            meta.event(t);
        }
        let mut cfg = Config::defaults("postgres");
        cfg.topic_prefix = "srv".into();
        cfg.schemas_enable = false;
        let s = Session::new(cfg, "postgres");
        let mut o = Vec::new();
        s.write_end(&mut o, &txn, 24_550_792, &meta, &mut scratch);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            r#"{"status":"END","id":"801:24550792","event_count":5,"data_collections":[{"data_collection":"public.ri_default","event_count":3},{"data_collection":"public.cpk","event_count":2}],"ts_ms":1795420549076}"#
        );
    }

    #[test]
    fn messages_and_heartbeats_match_captured_debezium() {
        let mut cfg = Config::defaults("postgres");
        cfg.topic_prefix = "dbserver1".into();
        let s = Session::new(cfg.clone(), "postgres");
        let mut txn = Txn {
            xid: Some(795),
            commit_time: 1_795_420_461_281_063 - temporal::PG_EPOCH_USECS,
            last_commit_lsn: Some(24_457_688),
            ..Txn::default()
        };
        s.prepare_txn(&mut txn);
        let mut o = Vec::new();
        let mut scratch = Vec::new();
        let at = At {
            txn: &txn,
            lsn: 24_458_168,
            block: None,
            now_us: 1_795_420_461_699_000,
        };
        s.write_message(&mut o, &at, b"myprefix", b"hello tx", &mut scratch);
        let want = r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},{"type":"int64","optional":true,"field":"txId"},{"type":"int64","optional":true,"field":"lsn"},{"type":"int64","optional":true,"field":"xmin"},{"type":"string","optional":true,"field":"origin"},{"type":"int64","optional":true,"field":"origin_lsn"}],"optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},{"type":"struct","fields":[{"type":"string","optional":true,"field":"prefix"},{"type":"bytes","optional":true,"field":"content"}],"optional":false,"name":"io.debezium.connector.postgresql.Message","version":1,"field":"message"}],"optional":false,"name":"io.debezium.connector.postgresql.MessageValue","version":1},"payload":{"op":"m","ts_ms":1795420461699,"source":{"version":"3.6.3.Final","connector":"postgresql","name":"dbserver1","ts_ms":1795420461281,"snapshot":"false","db":"postgres","sequence":"[\"24457688\",\"24458168\"]","ts_us":1795420461281063,"ts_ns":1795420461281063000,"schema":"","table":"","txId":795,"lsn":24458168,"xmin":null,"origin":null,"origin_lsn":null},"transaction":null,"message":{"prefix":"myprefix","content":"aGVsbG8gdHg="}}}"#;
        assert_eq!(mask(&String::from_utf8(o).unwrap()), mask(want));
        let mut o = Vec::new();
        s.write_heartbeat(&mut o, 1_795_420_534_741_000, &mut scratch);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            r#"{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1},"payload":{"ts_ms":1795420534741}}"#
        );
    }

    #[test]
    fn snapshot_record_matches_captured_debezium() {
        let mut cfg = Config::defaults("conf_types");
        cfg.topic_prefix = "dbserver1".into();
        cfg.schemas_enable = false;
        let t = ri_default(&cfg);
        let s = Session::new(cfg, "conf_types");
        // Captured: snapshot transaction 748 started at 1796158596792105 µs since 1970, slot
        // consistent point 27656104.
        let txns = s.snapshot_txns(748, 1_796_158_596_792_105 - temporal::PG_EPOCH_USECS);
        let row = VecRow(vec![
            Value::Int(1),
            Value::Bytes(b"n1"),
            Value::Null,
            Value::Int(10),
        ]);
        let mut o = Vec::new();
        let mut scratch = Vec::new();
        for m in [
            crate::event::SnapshotMarker::First,
            crate::event::SnapshotMarker::Last,
        ] {
            let at = At {
                txn: &txns[m.index()],
                lsn: 27_656_104,
                block: None,
                now_us: 1_796_158_597_000_000,
            };
            s.write_change(
                &mut o,
                &t,
                &at,
                Op::Read,
                None,
                Some(&row),
                None,
                &mut scratch,
            );
            o.push(b'\n');
        }
        let got = String::from_utf8(o).unwrap();
        let want = [
            r#"{"before":null,"after":{"id":1,"name":"n1","note":null,"qty":10},"source":{"version":"3.6.3.Final","connector":"postgresql","name":"dbserver1","ts_ms":1796158596792,"snapshot":"first","db":"conf_types","sequence":"[null,\"27656104\"]","ts_us":1796158596792105,"ts_ns":1796158596792105000,"schema":"public","table":"ri_default","txId":748,"lsn":27656104,"xmin":null,"origin":null,"origin_lsn":null},"transaction":null,"op":"r","ts_ms":1796158597000,"ts_us":1796158597000000,"ts_ns":1796158597000000000}"#,
            r#"{"before":null,"after":{"id":1,"name":"n1","note":null,"qty":10},"source":{"version":"3.6.3.Final","connector":"postgresql","name":"dbserver1","ts_ms":1796158596792,"snapshot":"last","db":"conf_types","sequence":"[null,\"27656104\"]","ts_us":1796158596792105,"ts_ns":1796158596792105000,"schema":"public","table":"ri_default","txId":748,"lsn":27656104,"xmin":null,"origin":null,"origin_lsn":null},"transaction":null,"op":"r","ts_ms":1796158597000,"ts_us":1796158597000000,"ts_ns":1796158597000000000}"#,
        ];
        for (g, w) in got.lines().zip(want) {
            assert_eq!(
                g.replace(
                    &format!("\"version\":\"{SOURCE_VERSION}\""),
                    "\"version\":\"V\""
                ),
                w.replace("\"version\":\"3.6.3.Final\"", "\"version\":\"V\"")
            );
        }
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
