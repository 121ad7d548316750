//! `ExtractNewRecordState` in the server: which records of a change it keeps, and the
//! flattened row it writes instead of the envelope (Debezium 3.6.3's
//! `ExtractNewRecordState.doApply` and `DefaultDeleteHandlingStrategy`).
//!
//! Transaction metadata still counts every event the connector made, since the transform runs
//! after the connector: the plugin asks [`Session::kept`] only whether to write.

use super::source::write_processing_time;
use super::{write_fields, At, Event, Op, Row, Session};
use crate::config::transforms::{DeleteMode, Struct};
use crate::config::OutputFormat;
use crate::encode::json;
use crate::encode::out::{Out, OutExt};
use crate::plan::table::TablePlan;
use crate::plan::transforms::FlatPlan;

/// What the transforms leave of one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kept {
    /// The event's record is written.
    pub record: bool,
    /// The tombstone after it is written.
    pub tombstone: bool,
}

impl Session {
    /// Whether the event's record and its tombstone survive the transforms.
    pub fn kept(&self, ev: &Event) -> Kept {
        let Some(u) = self.cfg.transforms.unwrap() else {
            return Kept {
                record: true,
                tombstone: ev.tombstone,
            };
        };
        let record = ev.op != Op::Delete
            || match u.delete_mode {
                DeleteMode::Drop => false,
                // A Kafka null has no value record to write in the value format.
                DeleteMode::DeleteToTombstone => self.cfg.output_format.keyed(),
                DeleteMode::Tombstone | DeleteMode::Rewrite | DeleteMode::RewriteWithTombstone => {
                    true
                }
            };
        Kept {
            record,
            tombstone: ev.tombstone && u.delete_mode == DeleteMode::RewriteWithTombstone,
        }
    }

    /// Checks the transforms against the topics of the records that are not change events.
    pub fn check_transforms(&self) -> crate::error::Result<()> {
        let c = &self.cfg;
        let topics = [
            format!("{}.transaction", c.topic_prefix),
            format!("{}.message", c.topic_prefix),
            format!("{}.{}", c.heartbeat_topic_prefix, c.topic_prefix),
        ]
        .map(|t| crate::plan::table::sanitize_topic(&t));
        c.transforms.check_topics(&topics)
    }

    /// Whether truncate events are written: `ExtractNewRecordState` drops them.
    pub fn keeps_truncates(&self) -> bool {
        self.cfg.transforms.unwrap().is_none()
    }

    /// Writes a change event flattened by `ExtractNewRecordState`, in the output format.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_flat_change<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        f: &FlatPlan,
        at: &At<'_>,
        op: Op,
        before: Option<&R>,
        after: Option<&R>,
        toast_from: Option<&R>,
        scratch: &mut Vec<u8>,
    ) {
        let delete = op == Op::Delete;
        // The row the value (and route.by.field) comes from, and where its TOAST values are.
        let (row, toast) = if delete {
            (before, None)
        } else {
            (after, toast_from)
        };
        if self.cfg.output_format == OutputFormat::Value {
            return self.write_flat_value(o, t, f, at, op, row, toast);
        }
        if self.cfg.output_format == OutputFormat::Framed {
            let routed = match (f.route_col, row) {
                (Some(i), Some(r)) => {
                    scratch.clear();
                    write_fields(scratch, &t.columns[i..=i], r, toast);
                    routed_topic(scratch)
                }
                _ => None,
            };
            let topic = routed.as_deref().unwrap_or(&t.topic);
            let key_row = before.filter(|_| delete).or(after);
            let key_toast = if delete { None } else { toast_from };
            self.write_key_frame(o, t, topic, key_row, key_toast, scratch);
            let tombstone = delete && f.unwrap.delete_mode == DeleteMode::DeleteToTombstone;
            crate::encode::frame::write_value_flag(o, !tombstone);
            if !tombstone {
                self.write_flat_value(o, t, f, at, op, row, toast);
            }
            return;
        }
        match (f.route_col, row) {
            (Some(i), Some(r)) => {
                scratch.clear();
                write_fields(scratch, &t.columns[i..=i], r, toast);
                match routed_topic(scratch) {
                    Some(topic) => {
                        o.put(b"{\"topic\":");
                        json::write_str(o, topic.as_bytes());
                        o.put(b",\"key\":");
                    }
                    None => o.put(&t.record_head),
                }
            }
            _ => o.put(&t.record_head),
        }
        match before.filter(|_| delete).or(after) {
            Some(k) if !t.key.is_empty() => {
                scratch.clear();
                self.write_key_record(scratch, t, k, if delete { None } else { toast_from });
                json::write_str(o, scratch);
            }
            _ => o.put(b"null"),
        }
        o.put(b",\"value\":");
        if delete && f.unwrap.delete_mode == DeleteMode::DeleteToTombstone {
            o.put(b"null");
        } else {
            scratch.clear();
            self.write_flat_value(scratch, t, f, at, op, row, toast);
            json::write_str(o, scratch);
        }
        o.put_u8(b'}');
    }

    /// Writes the flattened value record: the row, `__deleted` in the rewrite modes, then the
    /// `add.fields`; a delete in `tombstone` mode is the row's schema with a null payload.
    #[allow(clippy::too_many_arguments)]
    fn write_flat_value<O: Out + ?Sized, R: Row>(
        &self,
        o: &mut O,
        t: &TablePlan,
        f: &FlatPlan,
        at: &At<'_>,
        op: Op,
        row: Option<&R>,
        toast: Option<&R>,
    ) {
        let u = &f.unwrap;
        let (Some(row), false) = (
            row,
            op == Op::Delete && u.delete_mode == DeleteMode::Tombstone,
        ) else {
            o.put(&f.null_value);
            return;
        };
        o.put(&f.value_prefix);
        o.put_u8(b'{');
        write_fields(o, &t.columns, row, toast);
        if u.delete_mode.rewrites() {
            o.put(if op == Op::Delete {
                b",\"__deleted\":\"true\"".as_slice()
            } else {
                b",\"__deleted\":\"false\"".as_slice()
            });
        }
        let mut source = Vec::new();
        for a in &u.add_fields {
            // A table without columns has no events (Debezium skips them), so the row is
            // never empty here.
            o.put_u8(b',');
            o.put(json::key(&a.name).as_bytes());
            match a.from {
                Struct::Envelope => match a.field.as_str() {
                    "op" => o.put(op.code()),
                    ts => {
                        let mut times = Vec::new();
                        write_processing_time(&mut times, at.now_us);
                        o.put(field_of(&times[1..], ts).unwrap_or(b"null"));
                    }
                },
                Struct::Transaction => match (at.block, at.txn.xid) {
                    (Some(b), Some(xid)) => match a.field.as_str() {
                        "id" => {
                            o.put_u8(b'"');
                            o.put_int(xid);
                            o.put_u8(b':');
                            o.put_int(at.lsn);
                            o.put_u8(b'"');
                        }
                        "total_order" => o.put_int(b.total_order),
                        _ => o.put_int(b.data_collection_order),
                    },
                    // transaction is null when transaction metadata is off.
                    _ => o.put(b"null"),
                },
                Struct::Source => {
                    if source.is_empty() {
                        self.write_source(&mut source, &t.source_table, at);
                    }
                    match field_of(&source, &a.field) {
                        // The struct holds null for a streamed event; JsonConverter writes
                        // the schema default "false", which the copied field does not have.
                        Some(b"\"false\"") if a.field == "snapshot" => o.put(b"null"),
                        Some(v) => o.put(v),
                        None => o.put(b"null"),
                    }
                }
            }
        }
        o.put_u8(b'}');
        if !f.value_prefix.is_empty() {
            o.put_u8(b'}');
        }
    }
}

/// The JSON text of member `name` of a flat JSON object of scalars (the `source` block, or
/// `"ts_ms":…,"ts_us":…` without braces).
fn field_of<'a>(obj: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let mut i = 0;
    let want = json::key(name);
    while i < obj.len() {
        if obj[i..].starts_with(want.as_bytes()) && (i == 0 || matches!(obj[i - 1], b'{' | b',')) {
            let start = i + want.len();
            let mut j = start;
            if obj.get(j) == Some(&b'"') {
                j += 1;
                while j < obj.len() && obj[j] != b'"' {
                    j += if obj[j] == b'\\' { 2 } else { 1 };
                }
                j += 1;
            } else {
                while j < obj.len() && !matches!(obj[j], b',' | b'}') {
                    j += 1;
                }
            }
            return obj.get(start..j.min(obj.len()));
        }
        // Skip to the next member: over a string, or to the next comma.
        if obj[i] == b'"' {
            i += 1;
            while i < obj.len() && obj[i] != b'"' {
                i += if obj[i] == b'\\' { 2 } else { 1 };
            }
        }
        i += 1;
    }
    None
}

/// The topic `route.by.field` gives: the column's string value (`"name":"<value>"` as written),
/// or `None` for a null or blank one, which keeps the topic (`Strings.isNullOrBlank`).
fn routed_topic(member: &[u8]) -> Option<String> {
    let colon = member.iter().position(|&b| b == b':')?;
    let v = member.get(colon + 1..)?;
    let s = unescape(v.strip_prefix(b"\"")?.strip_suffix(b"\"")?)?;
    (!s.trim().is_empty()).then_some(s)
}

/// The text of a JSON string's body.
fn unescape(b: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(b).ok()?;
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let h: String = chars.by_ref().take(4).collect();
                let mut code = u32::from_str_radix(&h, 16).ok()?;
                if (0xD800..0xDC00).contains(&code) {
                    let rest: String = chars.by_ref().take(6).collect();
                    let low = u32::from_str_radix(rest.strip_prefix("\\u")?, 16).ok()?;
                    code = 0x10000 + ((code - 0xD800) << 10) + (low.checked_sub(0xDC00)? & 0x3FF);
                }
                out.push(char::from_u32(code)?);
            }
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::event::{Image, Txn};
    use crate::plan::types::{oid, plan_column, ColumnPlan, PgColumn, PgType, Value};

    struct VecRow(Vec<Value<'static>>);

    impl Row for VecRow {
        fn value(&self, col: &ColumnPlan) -> Value<'_> {
            self.0[col.attr]
        }
    }

    fn session(opts: &[(&str, &str)]) -> Session {
        let mut all = vec![("topic.prefix", "srv")];
        if !opts.iter().any(|(n, _)| *n == "output.format") {
            all.push(("output.format", "record"));
        }
        all.extend_from_slice(opts);
        Session::new(
            Config::parse("db", all.iter().map(|(n, v)| (*n, Some(*v)))).unwrap(),
            "db",
        )
    }

    /// `public.t (id int PRIMARY KEY, name text NOT NULL, note text)`.
    fn table(s: &Session) -> TablePlan {
        let cols = [
            ("id", oid::INT4, true),
            ("name", oid::TEXT, true),
            ("note", oid::TEXT, false),
        ];
        let plans = cols
            .iter()
            .enumerate()
            .map(|(i, (n, t, nn))| {
                let col = PgColumn {
                    attr: i,
                    name: n.to_string(),
                    ty: PgType::builtin(*t, -1),
                    not_null: *nn,
                    default_expr: None,
                };
                plan_column(&s.cfg, &col).unwrap()
            })
            .collect();
        TablePlan::new(&s.cfg, "public", "t", plans, &[0])
    }

    fn write(s: &Session, t: &TablePlan, op: Op, row: &VecRow) -> String {
        let mut txn = Txn {
            xid: Some(7),
            ..Txn::default()
        };
        s.prepare_txn(&mut txn);
        let at = At {
            txn: &txn,
            lsn: 16,
            block: None,
            now_us: 1_000_000,
        };
        let (before, after) = if op == Op::Delete {
            (Some(row), None)
        } else {
            (None, Some(row))
        };
        let mut o = Vec::new();
        s.write_change(&mut o, t, &at, op, before, after, None, &mut Vec::new());
        String::from_utf8(o).unwrap()
    }

    fn ev(op: Op, tombstone: bool) -> Event {
        Event {
            op,
            before: Some(Image::Old),
            after: None,
            toast_from: None,
            tombstone,
        }
    }

    const UNWRAP: &str = "io.debezium.transforms.ExtractNewRecordState";

    #[test]
    fn flattened_rows_and_deletes() {
        let s = session(&[
            ("schemas.enable", "false"),
            ("transforms", "unwrap"),
            ("transforms.unwrap.type", UNWRAP),
        ]);
        let t = table(&s);
        let row = VecRow(vec![Value::Int(1), Value::Bytes(b"a"), Value::Null]);
        assert_eq!(
            write(&s, &t, Op::Create, &row),
            r#"{"topic":"srv.public.t","key":"{\"id\":1}","value":"{\"id\":1,\"name\":\"a\",\"note\":null}"}"#
        );
        // tombstone mode: a value that is JSON null text, not a Kafka null.
        let old = VecRow(vec![Value::Int(1), Value::Null, Value::Null]);
        assert_eq!(
            write(&s, &t, Op::Delete, &old),
            r#"{"topic":"srv.public.t","key":"{\"id\":1}","value":"null"}"#
        );
        assert_eq!(
            s.kept(&ev(Op::Delete, true)),
            Kept {
                record: true,
                tombstone: false
            }
        );
        assert!(!s.keeps_truncates());
        let schemas = session(&[
            ("transforms", "unwrap"),
            ("transforms.unwrap.type", UNWRAP),
            (
                "transforms.unwrap.delete.tombstone.handling.mode",
                "rewrite",
            ),
            (
                "transforms.unwrap.add.fields",
                "op,source.table:tbl,txId,id,snapshot",
            ),
        ]);
        let t = table(&schemas);
        let got = write(&schemas, &t, Op::Delete, &old);
        // The rewritten delete of a key-only old row: NOT NULL columns get the fallbacks.
        let want = concat!(
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},{"type":"string","optional":true,"field":"note"},"#,
            r#"{"type":"string","optional":true,"field":"__deleted"},{"type":"string","optional":true,"field":"__op"},{"type":"string","optional":true,"field":"__tbl"},{"type":"int64","optional":true,"field":"__txId"},{"type":"string","optional":true,"field":"__id"},"#,
            r#"{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"field":"__snapshot"}],"optional":false,"name":"srv.public.t.Value"},"#,
            r#""payload":{"id":1,"name":"","note":null,"__deleted":"true","__op":"d","__tbl":"t","__txId":7,"__id":null,"__snapshot":null}}"#
        );
        let value: String = got.split(",\"value\":").nth(1).unwrap().to_string();
        assert_eq!(value, format!("{}}}", json::quoted(want)));
    }

    #[test]
    fn what_each_delete_mode_keeps() {
        let kept = |mode: &str, format: &str| {
            let s = session(&[
                ("output.format", format),
                ("transforms", "u"),
                ("transforms.u.type", UNWRAP),
                ("transforms.u.delete.tombstone.handling.mode", mode),
            ]);
            (
                s.kept(&ev(Op::Delete, true)),
                s.kept(&ev(Op::Update, false)),
            )
        };
        let k = |record, tombstone| Kept { record, tombstone };
        assert_eq!(kept("drop", "record"), (k(false, false), k(true, false)));
        assert_eq!(kept("rewrite", "record"), (k(true, false), k(true, false)));
        assert_eq!(
            kept("rewrite-with-tombstone", "record"),
            (k(true, true), k(true, false))
        );
        assert_eq!(
            kept("delete-to-tombstone", "record"),
            (k(true, false), k(true, false))
        );
        assert_eq!(
            kept("delete-to-tombstone", "value"),
            (k(false, false), k(true, false))
        );
        let plain = session(&[]);
        assert_eq!(plain.kept(&ev(Op::Delete, true)), k(true, true));
        assert!(plain.keeps_truncates());
        let s = session(&[
            ("schemas.enable", "false"),
            ("transforms", "u"),
            ("transforms.u.type", UNWRAP),
            (
                "transforms.u.delete.tombstone.handling.mode",
                "delete-to-tombstone",
            ),
        ]);
        let old = VecRow(vec![Value::Int(1), Value::Null, Value::Null]);
        assert_eq!(
            write(&s, &table(&s), Op::Delete, &old),
            r#"{"topic":"srv.public.t","key":"{\"id\":1}","value":null}"#
        );
    }

    #[test]
    fn routers_rename_topics_keys_and_schemas() {
        let s = session(&[
            ("transforms", "merge,rename"),
            (
                "transforms.merge.type",
                "io.debezium.transforms.ByLogicalTableRouter",
            ),
            ("transforms.merge.topic.regex", "srv\\.(public)\\.(t)"),
            ("transforms.merge.topic.replacement", "all.$2"),
            (
                "transforms.rename.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.rename.regex", "all\\.(.*)|srv\\.message"),
            ("transforms.rename.replacement", "x_$1"),
        ]);
        let t = table(&s);
        assert_eq!(t.topic, "x_t");
        assert!(String::from_utf8_lossy(&t.key_prefix).contains(r#"{"type":"string","optional":false,"field":"__dbz__physicalTableIdentifier"}],"optional":false,"name":"all.t.Key"}"#));
        assert!(String::from_utf8_lossy(&t.value_prefix).contains(r#""name":"all.t.Envelope""#));
        let mut o = Vec::new();
        s.write_key_record(
            &mut o,
            &t,
            &VecRow(vec![Value::Int(3), Value::Null, Value::Null]),
            None,
        );
        assert!(String::from_utf8(o)
            .unwrap()
            .ends_with(r#""payload":{"id":3,"__dbz__physicalTableIdentifier":"srv.public.t"}}"#));
        assert_eq!(s.cfg.transforms.route_topic("srv.message"), "x_");
        assert!(s.check_transforms().is_ok());
        let bad = session(&[
            ("transforms", "merge"),
            (
                "transforms.merge.type",
                "io.debezium.transforms.ByLogicalTableRouter",
            ),
            ("transforms.merge.topic.regex", "srv\\..*"),
            ("transforms.merge.topic.replacement", "all"),
        ]);
        let e = bad.check_transforms().unwrap_err();
        assert_eq!(
            e.message,
            "option \"transforms.merge.topic.regex\" matches topic \"srv.transaction\""
        );
    }

    #[test]
    fn route_by_field() {
        let s = session(&[
            ("schemas.enable", "false"),
            ("transforms", "u"),
            ("transforms.u.type", UNWRAP),
            ("transforms.u.route.by.field", "name"),
        ]);
        let t = table(&s);
        assert!(t.transform_error.is_none());
        let row = VecRow(vec![Value::Int(1), Value::Bytes(b"to \"x\""), Value::Null]);
        assert!(write(&s, &t, Op::Create, &row).starts_with(r#"{"topic":"to \"x\"","key":"#));
        let blank = VecRow(vec![Value::Int(1), Value::Bytes(b" "), Value::Null]);
        assert!(write(&s, &t, Op::Create, &blank).starts_with(r#"{"topic":"srv.public.t","#));
        for (field, why) in [("nope", "has no column"), ("id", "is not a string")] {
            let s = session(&[
                ("transforms", "u"),
                ("transforms.u.type", UNWRAP),
                ("transforms.u.route.by.field", field),
            ]);
            let e = table(&s).transform_error.unwrap();
            assert!(e.message.contains(why), "{}", e.message);
        }
    }

    #[test]
    fn members_of_flat_objects() {
        let src = br#"{"version":"v","name":"a\"b","ts_ms":12,"sequence":"[\"1\",\"2\"]","txId":null,"lsn":7}"#;
        assert_eq!(field_of(src, "name"), Some(br#""a\"b""#.as_slice()));
        assert_eq!(field_of(src, "ts_ms"), Some(b"12".as_slice()));
        assert_eq!(
            field_of(src, "sequence"),
            Some(br#""[\"1\",\"2\"]""#.as_slice())
        );
        assert_eq!(field_of(src, "txId"), Some(b"null".as_slice()));
        assert_eq!(field_of(src, "lsn"), Some(b"7".as_slice()));
        assert_eq!(field_of(src, "1"), None, "inside a string is not a member");
        assert_eq!(field_of(src, "xmin"), None);
        assert_eq!(
            field_of(br#""ts_ms":1,"ts_us":2"#, "ts_us"),
            Some(b"2".as_slice())
        );
    }

    #[test]
    fn routed_topics() {
        assert_eq!(routed_topic(br#""t":"a\u00e9\n""#).as_deref(), Some("aé\n"));
        assert_eq!(routed_topic(br#""t":"  ""#), None, "blank keeps the topic");
        assert_eq!(routed_topic(br#""t":null"#), None);
        assert_eq!(
            routed_topic(br#""t":"\ud83d\ude00""#).as_deref(),
            Some("😀")
        );
    }
}
