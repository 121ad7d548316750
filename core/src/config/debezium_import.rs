//! Importing a Debezium configuration: a Kafka Connect connector's JSON, Debezium Server's
//! `application.properties` or plain properties become cedar_cdc's options and a
//! `pg_recvlogical` command line, with a verdict for every property.
//!
//! Debezium ignores properties it does not know; the import does not: an unknown property is
//! reported with the nearest Debezium name (`heartbeat.inverval.ms` → `heartbeat.interval.ms`),
//! and a transform configured but never listed in `transforms` is shown as never applied.

use crate::config::transforms::{self, did_you_mean};
use crate::config::{Config, OPTIONS};
use crate::error::{Error, ErrorCode, Result};

/// What the import makes of one property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Becomes a cedar_cdc option.
    Option,
    /// Goes into the connection (conninfo or slot).
    Connection,
    /// Has no counterpart because cedar_cdc does not need it.
    NotApplicable,
    /// Debezium has it, cedar_cdc does not do it.
    Unsupported,
    /// Debezium does not know it either (and silently ignores it).
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Option => "option",
            Verdict::Connection => "connection",
            Verdict::NotApplicable => "not applicable",
            Verdict::Unsupported => "unsupported",
            Verdict::Unknown => "unknown",
        }
    }
}

/// One property of the configuration and its verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    /// The name as given (with `debezium.source.` and the like).
    pub name: String,
    /// The value, or `None` for a secret, which is never echoed back.
    pub value: Option<String>,
    pub verdict: Verdict,
    /// The option or connection keyword it becomes, or why not.
    pub detail: String,
}

/// The result of an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub properties: Vec<Property>,
    /// cedar_cdc's options, in the order of the configuration.
    pub options: Vec<(String, String)>,
    /// libpq connection keywords and values (the password is left out).
    conninfo: Vec<(&'static str, String)>,
    slot: String,
}

/// The PostgreSQL connector's properties as of Debezium 3.6 (the property tables of
/// `documentation/modules/ROOT/pages/connectors/postgresql.adoc`), for did-you-mean.
pub const DEBEZIUM_PROPERTIES: &[&str] = &[
    "binary.handling.mode",
    "column.exclude.list",
    "column.include.list",
    "column.mask.hash.<algorithm>.with.salt.<salt>",
    "column.mask.with.<N>.chars",
    "column.propagate.source.type",
    "column.truncate.to.<N>.chars",
    "connector.class",
    "converters",
    "custom.metric.tags",
    "custom.sanitize.pattern",
    "database.connection.factory.class",
    "database.dbname",
    "database.hostname",
    "database.initial.statements",
    "database.password",
    "database.port",
    "database.query.timeout.ms",
    "database.sslcert",
    "database.sslfactory",
    "database.sslkey",
    "database.sslmode",
    "database.sslpassword",
    "database.sslrootcert",
    "database.tcpKeepAlive",
    "database.user",
    "datatype.propagate.source.type",
    "decimal.handling.mode",
    "errors.max.retries",
    "event.processing.failure.handling.mode",
    "extended.headers.enabled",
    "field.name.adjustment.mode",
    "flush.lsn.source",
    "guardrail.collections.limit.action",
    "guardrail.collections.max",
    "heartbeat.action.query",
    "heartbeat.interval.ms",
    "hstore.handling.mode",
    "include.unknown.datatypes",
    "incremental.snapshot.chunk.size",
    "incremental.snapshot.watermarking.strategy",
    "interval.handling.mode",
    "legacy.snapshot.max.threads",
    "lsn.flush.mode",
    "max.batch.size",
    "max.queue.size",
    "max.queue.size.in.bytes",
    "message.key.columns",
    "message.prefix.exclude.list",
    "message.prefix.include.list",
    "money.fraction.digits",
    "name",
    "notification.enabled.channels",
    "offset.mismatch.strategy",
    "plugin.name",
    "poll.interval.ms",
    "provide.transaction.metadata",
    "publication.autocreate.mode",
    "publication.name",
    "publish.via.partition.root",
    "replica.identity.autoset.values",
    "retriable.restart.connector.wait.ms",
    "schema.exclude.list",
    "schema.include.list",
    "schema.name.adjustment.mode",
    "schema.refresh.mode",
    "signal.data.collection",
    "signal.enabled.channels",
    "skip.messages.without.change",
    "skipped.operations",
    "slot.drop.on.stop",
    "slot.failover",
    "slot.max.retries",
    "slot.name",
    "slot.retry.delay.ms",
    "slot.stream.params",
    "snapshot.delay.ms",
    "snapshot.fetch.size",
    "snapshot.include.collection.list",
    "snapshot.isolation.mode",
    "snapshot.lock.timeout.ms",
    "snapshot.locking.mode",
    "snapshot.locking.mode.custom.name",
    "snapshot.max.threads",
    "snapshot.mode",
    "snapshot.mode.configuration.based.snapshot.data",
    "snapshot.mode.configuration.based.snapshot.on.data.error",
    "snapshot.mode.configuration.based.snapshot.on.schema.error",
    "snapshot.mode.configuration.based.snapshot.schema",
    "snapshot.mode.configuration.based.start.stream",
    "snapshot.mode.custom.name",
    "snapshot.query.mode",
    "snapshot.query.mode.custom.name",
    "snapshot.select.statement.overrides",
    "statistics.metrics.enabled",
    "status.update.interval.ms",
    "streaming.delay.ms",
    "table.exclude.list",
    "table.include.list",
    "tasks.max",
    "time.precision.mode",
    "tombstones.on.delete",
    "topic.cache.size",
    "topic.delimiter",
    "topic.heartbeat.name",
    "topic.heartbeat.prefix",
    "topic.naming.strategy",
    "topic.prefix",
    "topic.transaction",
    "unavailable.value.placeholder",
    "xmin.fetch.interval.ms",
];

/// Kafka Connect's connector-level properties (`ConnectorConfig`, `SourceConnectorConfig`).
pub const CONNECT_PROPERTIES: &[&str] = &[
    "key.converter",
    "value.converter",
    "header.converter",
    "key.converter.schemas.enable",
    "value.converter.schemas.enable",
    "config.action.reload",
    "transforms",
    "predicates",
    "errors.retry.timeout",
    "errors.retry.delay.max.ms",
    "errors.tolerance",
    "errors.log.enable",
    "errors.log.include.messages",
    "exactly.once.support",
    "transaction.boundary",
    "transaction.boundary.interval.ms",
    "offsets.storage.topic",
    "topic.creation.groups",
    "topic.creation.enable",
    "topic.creation.default.replication.factor",
    "topic.creation.default.partitions",
    "include.schema.changes",
    "include.schema.comments",
];

/// A JSON value (just enough of JSON to read a connector configuration).
#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    /// A number, as written.
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn error(&self, what: &str) -> Error {
        let before = &self.s[..self.i.min(self.s.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Error::new(
            ErrorCode::InvalidParameterValue,
            "invalid Debezium configuration: not valid JSON",
        )
        .detail(format!("{what} at line {line}, column {col}"))
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Json> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Ok(Json::Obj(members));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return Err(self.error("expected a member name"));
                    }
                    let k = self.string()?;
                    if !self.eat(b':') {
                        return Err(self.error("expected ':'"));
                    }
                    members.push((k, self.value()?));
                    if self.eat(b'}') {
                        return Ok(Json::Obj(members));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("expected ',' or '}'"));
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    if self.eat(b']') {
                        return Ok(Json::Arr(items));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("expected ',' or ']'"));
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(Json::Bool(true))
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(Json::Bool(false))
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Ok(Json::Null)
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let n = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                if n.parse::<f64>().is_err() {
                    self.i = start;
                    return Err(self.error("invalid number"));
                }
                Ok(Json::Num(n))
            }
            None => Err(self.error("unexpected end")),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn string(&mut self) -> Result<String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.i) else {
                return Err(self.error("unterminated string"));
            };
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let e = self.s.get(self.i).copied();
                    self.i += 1;
                    let c = match e {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let mut code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code)
                                && self.s[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let low = self.hex4()?;
                                code = 0x10000
                                    + ((code - 0xD800) << 10)
                                    + (low.wrapping_sub(0xDC00) & 0x3FF);
                            }
                            char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))?
                        }
                        _ => return Err(self.error("invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                b if b < 0x20 => return Err(self.error("control character in string")),
                b => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| self.error("invalid UTF-8"))
    }

    fn hex4(&mut self) -> Result<u32> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.i += 4;
        Ok(h)
    }
}

fn bad_config(msg: impl Into<String>) -> Error {
    Error::new(
        ErrorCode::InvalidParameterValue,
        format!("invalid Debezium configuration: {}", msg.into()),
    )
}

/// A Kafka Connect configuration: `{"name":…,"config":{…}}` or the bare `config` object.
fn read_json(text: &str) -> Result<Vec<(String, String)>> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.error("text after the JSON value"));
    }
    let Json::Obj(members) = v else {
        return Err(bad_config("expected a JSON object"));
    };
    let is_connector = members
        .iter()
        .any(|(k, v)| k == "config" && matches!(v, Json::Obj(_)));
    let mut out = Vec::new();
    let flatten = |members: Vec<(String, Json)>, out: &mut Vec<(String, String)>| {
        for (k, v) in members {
            let s = match v {
                Json::Str(s) => s,
                Json::Num(n) => n,
                Json::Bool(b) => b.to_string(),
                Json::Null => {
                    return Err(bad_config(format!("property \"{k}\" is null")));
                }
                Json::Arr(_) | Json::Obj(_) => {
                    return Err(bad_config(format!(
                        "property \"{k}\" must be a string, a number or a boolean"
                    )))
                }
            };
            out.push((k, s));
        }
        Ok(())
    };
    if is_connector {
        for (k, v) in members {
            match (k.as_str(), v) {
                ("config", Json::Obj(cfg)) => flatten(cfg, &mut out)?,
                ("name", Json::Str(n)) => out.insert(0, ("name".into(), n)),
                (other, _) => {
                    return Err(bad_config(format!(
                        "unexpected member \"{other}\" beside \"config\""
                    ))
                    .hint("A Kafka Connect connector is {\"name\":…,\"config\":{…}}."))
                }
            }
        }
    } else {
        flatten(members, &mut out)?;
    }
    Ok(out)
}

/// `java.util.Properties.load`'s escapes: `\t \n \r \f \uXXXX`, `\x` for any other `x`.
fn unescape(s: &str, line: usize) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let h: String = chars.by_ref().take(4).collect();
                let c = u32::from_str_radix(&h, 16)
                    .ok()
                    .filter(|_| h.len() == 4)
                    .and_then(char::from_u32)
                    .ok_or_else(|| {
                        bad_config(format!("malformed \\uxxxx escape on line {line}"))
                    })?;
                out.push(c);
            }
            Some(c) => out.push(c),
            None => {}
        }
    }
    Ok(out)
}

/// Properties (`name=value` or `name: value` lines, `#`/`!` comments, `\` continuations).
fn read_properties(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, first)) = lines.next() {
        let mut logical = first.trim_start().to_string();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        // An odd number of trailing backslashes continues the line.
        while logical.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1 {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let line = n + 1;
        let mut key_end = None;
        let mut escaped = false;
        for (i, c) in logical.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '=' || c == ':' {
                key_end = Some(i);
                break;
            }
        }
        let Some(k) = key_end else {
            return Err(
                bad_config(format!("line {line} is not a property: \"{logical}\""))
                    .hint("Expected name=value lines, or a Kafka Connect JSON object."),
            );
        };
        let key = unescape(logical[..k].trim_end(), line)?;
        let value = unescape(logical[k + 1..].trim_start(), line)?;
        if key.is_empty() {
            return Err(bad_config(format!("line {line} has no property name")));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// The properties of a configuration in any of the three forms, in order.
pub fn read(text: &str) -> Result<Vec<(String, String)>> {
    let t = text.trim_start();
    if t.is_empty() {
        return Err(bad_config("it is empty"));
    }
    if t.starts_with('{') {
        read_json(t)
    } else {
        read_properties(t)
    }
}

/// Whether a property holds a secret, whose value is never shown.
fn secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("password") || n.contains("secret") || n.contains("credential")
}

/// The connector property a Debezium Server property stands for, or the verdict of a
/// Server-only one.
fn server_property(name: &str) -> std::result::Result<String, (Verdict, String)> {
    if let Some(p) = name.strip_prefix("debezium.source.") {
        return Ok(p.to_string());
    }
    for prefix in ["transforms", "predicates"] {
        if let Some(rest) = name.strip_prefix("debezium.") {
            if rest == prefix || rest.starts_with(&format!("{prefix}.")) {
                return Ok(rest.to_string());
            }
        }
    }
    if let Some(which) = name
        .strip_prefix("debezium.format.")
        .and_then(|r| r.strip_suffix(".schemas.enable"))
    {
        if which == "value" || which == "key" {
            return Ok(format!("{which}.converter.schemas.enable"));
        }
    }
    if name.starts_with("debezium.sink.") {
        return Err((
            Verdict::NotApplicable,
            "Debezium Server's sink: cedar_cdc's records go to pg_recvlogical's output, for any producer to send on".into(),
        ));
    }
    if name.starts_with("debezium.format.") {
        return Err((
            Verdict::NotApplicable,
            "the record format: cedar_cdc writes JsonConverter's JSON".into(),
        ));
    }
    Err((
        Verdict::NotApplicable,
        "a Debezium Server setting, not the connector's".into(),
    ))
}

/// Libpq keyword of a connection property.
fn connection_keyword(name: &str) -> Option<&'static str> {
    Some(match name {
        "database.hostname" => "host",
        "database.port" => "port",
        "database.user" => "user",
        "database.password" => "password",
        "database.dbname" => "dbname",
        "database.sslmode" => "sslmode",
        "database.sslcert" => "sslcert",
        "database.sslkey" => "sslkey",
        "database.sslrootcert" => "sslrootcert",
        "database.sslpassword" => "sslpassword",
        "database.tcpKeepAlive" => "keepalives",
        _ => return None,
    })
}

/// Why a Debezium or Kafka Connect property has no cedar_cdc counterpart.
fn without_counterpart(name: &str, value: &str) -> Option<(Verdict, &'static str)> {
    use Verdict::{NotApplicable as Na, Unsupported as Un};
    let is = |p: &str| name == p || name.starts_with(&format!("{p}."));
    Some(match name {
        "name" => (Na, "the Kafka Connect connector's name; here the slot is the connector's identity"),
        "connector.class" => (Na, "cedar_cdc is the connector: it runs in the server as the output plugin (pg_recvlogical -P cedar_cdc)"),
        "plugin.name" => (Na, "the output plugin is cedar_cdc itself, not pgoutput or decoderbufs"),
        "tasks.max" => (Na, "Kafka Connect tasks: one pg_recvlogical reads a slot"),
        "heartbeat.interval.ms" | "heartbeat.action.query" => (Na, "the plugin writes only when WAL arrives: run SELECT cedar_cdc.heartbeat() on a schedule (pg_cron) for heartbeat records that also let the slot advance"),
        "slot.drop.on.stop" => (Na, "pg_recvlogical keeps the slot; drop it with pg_recvlogical --drop-slot or cedar_cdc.drop_slot()"),
        "status.update.interval.ms" => (Na, "pg_recvlogical's --status-interval"),
        "publish.via.partition.root" => (Na, "a property of the publication: cedar_cdc.create_publication(…, via_partition_root => true)"),
        // A cedar_cdc option too, but Debezium's PostgreSQL connector ignores it: the import
        // keeps the stream Debezium's.
        "include.schema.changes" => (Na, "the PostgreSQL connector emits no schema change events (cedar_cdc's include.schema.changes does: give it yourself to have them)"),
        "extended.headers.enabled" | "header.converter" => (Na, "cedar_cdc records carry no Kafka headers"),
        "schema.refresh.mode" => (Na, "cedar_cdc rebuilds a table's schema whenever the table changes"),
        "topic.cache.size" => (Na, "a cache size of the connector"),
        "key.converter" | "value.converter" if value.trim() == "org.apache.kafka.connect.json.JsonConverter" => {
            (Na, "cedar_cdc writes JsonConverter's output")
        }
        "key.converter" | "value.converter" => (Un, "cedar_cdc writes JsonConverter's JSON only"),
        "topic.delimiter" if value == "." => (Na, "Debezium's default, which cedar_cdc uses"),
        "topic.transaction" if value == "transaction" => (Na, "Debezium's default, which cedar_cdc uses"),
        "schema.name.adjustment.mode" | "field.name.adjustment.mode" if value.eq_ignore_ascii_case("none") => {
            (Na, "Debezium's default, which cedar_cdc uses")
        }
        "topic.delimiter" | "topic.transaction" | "topic.naming.strategy" | "topic.heartbeat.name" | "custom.sanitize.pattern"
        | "schema.name.adjustment.mode" | "field.name.adjustment.mode" => {
            (Un, "cedar_cdc names topics and schemas as Debezium's defaults do")
        }
        "replica.identity.autoset.values" => (Un, "set replica identities with ALTER TABLE … REPLICA IDENTITY"),
        "converters" => (Un, "custom converters are Java classes"),
        "database.initial.statements" => (Un, "the plugin runs no SQL"),
        "skip.messages.without.change" => (Un, "not implemented"),
        "predicates" => (Un, "transform predicates are not supported"),
        _ if is("predicates") => (Un, "transform predicates are not supported"),
        _ if is("snapshot") || is("incremental.snapshot") || name == "legacy.snapshot.max.threads" => {
            (Un, "cedar_cdc streams changes only, as snapshot.mode=no_data")
        }
        _ if is("signal") || is("notification") => (Un, "signals and notifications are not supported"),
        _ if is("topic.creation") => (Na, "Kafka Connect's topic creation: cedar_cdc creates no topics"),
        _ if is("offset") || is("offsets") => (Na, "the slot's confirmed position is the offset"),
        _ if is("errors") || is("transaction.boundary") || name == "exactly.once.support" || name == "config.action.reload" => {
            (Na, "a Kafka Connect runtime setting")
        }
        _ if is("slot") || is("database") || is("guardrail") => (Na, "a setting of the connector's own connection or runtime"),
        "custom.metric.tags" | "statistics.metrics.enabled" | "errors.max.retries" | "retriable.restart.connector.wait.ms"
        | "event.processing.failure.handling.mode" | "max.batch.size" | "max.queue.size" | "max.queue.size.in.bytes"
        | "poll.interval.ms" | "streaming.delay.ms" | "lsn.flush.mode" | "flush.lsn.source" | "xmin.fetch.interval.ms"
        | "include.schema.comments" => (Na, "a setting of the connector's runtime"),
        _ => return None,
    })
}

/// Whether `name` is a cedar_cdc option.
fn is_option(name: &str) -> bool {
    OPTIONS.iter().any(|o| o.accepts(name))
}

/// Every name a typo is compared with.
fn known_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = DEBEZIUM_PROPERTIES
        .iter()
        .chain(CONNECT_PROPERTIES)
        .copied()
        .filter(|n| !n.contains('<'))
        .collect();
    for o in OPTIONS {
        v.extend(o.name.split(" / ").filter(|n| !n.contains(['<', '['])));
    }
    v
}

/// Why an unknown property is unknown, with the nearest Debezium name.
fn unknown_detail(name: &str) -> String {
    if transforms::UNWRAP_PROPERTIES.contains(&name) || transforms::UNWRAP_REMOVED.contains(&name) {
        return "an ExtractNewRecordState property given at the connector level, without \"transforms.<alias>.\": neither the connector nor the transform reads it".into();
    }
    if name == "database.server.name" {
        return "removed in Debezium 2.0: topic.prefix replaced it".into();
    }
    match did_you_mean(name, known_names()) {
        Some(s) => format!("Debezium ignores it silently; did you mean \"{s}\"?"),
        None => "Debezium ignores it silently".into(),
    }
}

impl Import {
    /// Imports a configuration: reads it, gives each property its verdict, and checks the
    /// resulting options as the plugin would.
    pub fn new(text: &str) -> Result<Self> {
        let raw = read(text)?;
        let server = raw.iter().any(|(k, _)| k.starts_with("debezium."));
        // Same property twice: Java keeps the last silently; differing values are an error.
        for (i, (k, v)) in raw.iter().enumerate() {
            if let Some((_, v2)) = raw[..i].iter().find(|(k2, _)| k2 == k) {
                if v2 != v {
                    return Err(bad_config(format!(
                        "property \"{k}\" is given twice, with different values"
                    )));
                }
            }
        }
        let mut imp = Import {
            properties: Vec::new(),
            options: Vec::new(),
            conninfo: Vec::new(),
            slot: "debezium".into(),
        };
        // Transforms configured but not listed were never applied.
        let listed: Vec<String> = {
            let mut t = transforms::Transforms::default();
            for (k, v) in &raw {
                let n = if server {
                    server_property(k).unwrap_or_default()
                } else {
                    k.clone()
                };
                if n == "transforms" {
                    t.set(&n, v)?;
                }
            }
            t.listed()
        };
        let mut option_from: Vec<(String, String)> = Vec::new();
        for (given, value) in &raw {
            let shown = (!secret(given)).then(|| value.clone());
            let mut row = |verdict: Verdict, detail: String| {
                imp.properties.push(Property {
                    name: given.clone(),
                    value: shown.clone(),
                    verdict,
                    detail,
                })
            };
            let name = if server {
                match server_property(given) {
                    Ok(n) => n,
                    Err((v, why)) => {
                        row(v, why);
                        continue;
                    }
                }
            } else {
                given.clone()
            };
            let mut option = |name: &str, value: &str, row: &mut dyn FnMut(Verdict, String)| {
                if let Some((_, other)) = option_from.iter().find(|(n, _)| n == name) {
                    if imp.options.iter().any(|(n, v)| n == name && v != value) {
                        return Err(bad_config(format!(
                            "property \"{given}\" contradicts \"{other}\""
                        ))
                        .detail(format!(
                            "Both set cedar_cdc option \"{name}\", to different values."
                        )));
                    }
                    row(Verdict::Option, format!("{name} (as {other})"));
                    return Ok(());
                }
                option_from.push((name.to_string(), given.clone()));
                imp.options.push((name.to_string(), value.to_string()));
                row(Verdict::Option, name.to_string());
                Ok(())
            };
            if let Some(kw) = connection_keyword(&name) {
                if kw == "password" || kw == "sslpassword" {
                    row(
                        Verdict::Connection,
                        format!("{kw}: not shown nor put in the command; give it with PGPASSWORD or ~/.pgpass"),
                    );
                    continue;
                }
                let v = if kw == "keepalives" {
                    if value.trim().eq_ignore_ascii_case("false") {
                        "0"
                    } else {
                        "1"
                    }
                    .to_string()
                } else {
                    value.clone()
                };
                imp.conninfo.push((kw, v));
                row(Verdict::Connection, kw.to_string());
            } else if name == "slot.name" {
                imp.slot = value.clone();
                row(Verdict::Connection, "pg_recvlogical --slot".into());
            } else if name == "key.converter.schemas.enable"
                || name == "value.converter.schemas.enable"
            {
                // cedar_cdc has one schemas.enable for keys and values.
                option("schemas.enable", value, &mut row)?;
            } else if let Some(rest) = name.strip_prefix("transforms.") {
                let (alias, prop) = rest.split_once('.').unwrap_or((rest, ""));
                if !listed.iter().any(|a| a == alias) {
                    let mut why = format!("transform \"{alias}\" is not listed in \"transforms\", so Debezium never applied it; add transforms={alias} to apply it");
                    if transforms::UNWRAP_REMOVED.contains(&prop) {
                        why.push_str(&format!(" (and \"{prop}\" was removed in Debezium 3.2: use delete.tombstone.handling.mode)"));
                    }
                    row(Verdict::NotApplicable, why);
                    continue;
                }
                let class = raw
                    .iter()
                    .find(|(k, _)| {
                        let n = if server {
                            server_property(k).unwrap_or_default()
                        } else {
                            k.clone()
                        };
                        n == format!("transforms.{alias}.type")
                    })
                    .map(|(_, v)| v.trim().to_string())
                    .unwrap_or_default();
                let props = transforms::properties_of(&class);
                if transforms::UNWRAP_REMOVED.contains(&prop) && class == transforms::UNWRAP {
                    row(Verdict::Unsupported, "removed in Debezium 3.2 (DBZ-6068), so Debezium 3.6 ignores it: use delete.tombstone.handling.mode".into());
                } else if matches!(prop, "add.headers" | "add.headers.prefix")
                    && class == transforms::UNWRAP
                {
                    row(Verdict::Unsupported, "cedar_cdc records carry no Kafka headers; add.fields puts the same values in the row".into());
                } else if prop.starts_with("drop.fields.") && class == transforms::UNWRAP {
                    row(Verdict::Unsupported, "it drops fields named in a header set by an earlier transform, which cedar_cdc does not run".into());
                } else if let Some(p) = props.filter(|p| {
                    !p.contains(&prop) && !transforms::GENERIC_PROPERTIES.contains(&prop)
                }) {
                    let why = match did_you_mean(prop, p.iter().copied()) {
                        Some(s) => format!("the transform ignores it silently; did you mean \"transforms.{alias}.{s}\"?"),
                        None => "the transform ignores it silently".into(),
                    };
                    row(Verdict::Unknown, why);
                } else {
                    option(&name, value, &mut row)?;
                }
            } else if is_option(&name) && name != "include.schema.changes" {
                option(&name, value, &mut row)?;
            } else if let Some((v, why)) = without_counterpart(&name, value) {
                row(v, why.to_string());
            } else if DEBEZIUM_PROPERTIES.contains(&name.as_str())
                || CONNECT_PROPERTIES.contains(&name.as_str())
            {
                row(Verdict::Unsupported, "not implemented by cedar_cdc".into());
            } else {
                row(Verdict::Unknown, unknown_detail(&name));
            }
        }
        // The options must be what the plugin accepts (values, contradictions, transforms).
        Config::parse(
            "",
            imp.options
                .iter()
                .map(|(n, v)| (n.as_str(), Some(v.as_str()))),
        )?;
        Ok(imp)
    }

    /// The libpq connection string (without the password).
    pub fn conninfo(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.conninfo {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(k);
            s.push('=');
            s.push_str(&conninfo_value(v));
        }
        s
    }

    /// The slot (`slot.name`, Debezium's default `debezium`).
    pub fn slot(&self) -> &str {
        &self.slot
    }

    /// The `pg_recvlogical` command that creates the slot if needed and streams it with
    /// these options, one word per argument, quoted for a POSIX shell.
    pub fn command(&self) -> String {
        let mut words = vec!["pg_recvlogical".to_string()];
        let conninfo = self.conninfo();
        if !conninfo.is_empty() {
            words.push("-d".into());
            words.push(shell_quote(&conninfo));
        }
        words.extend(
            [
                "--slot",
                &shell_quote(&self.slot),
                "--create-slot",
                "--if-not-exists",
                "-P",
                "cedar_cdc",
                "--start",
            ]
            .map(String::from),
        );
        for (n, v) in &self.options {
            words.push("-o".into());
            words.push(shell_quote(&format!("{n}={v}")));
        }
        words.extend(["-f", "-"].map(String::from));
        words.join(" ")
    }
}

/// A libpq connection-string value: as is when plain, else single-quoted with `'` and `\`
/// escaped.
pub fn conninfo_value(v: &str) -> String {
    if !v.is_empty() && !v.contains([' ', '\t', '\n', '\'', '\\']) {
        return v.to_string();
    }
    let mut s = String::from("'");
    for c in v.chars() {
        if c == '\'' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('\'');
    s
}

/// A word for a POSIX shell: as is when plain, else in double quotes when that needs no
/// escape, else in single quotes.
fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=,@%+".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else if !s.contains(['"', '$', '`', '\\', '!']) {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KAFKA_CONNECT: &str =
        include_str!("../../testdata/debezium-configs/kafka-connect-source.json");
    const SERVER: &str = include_str!("../../testdata/debezium-configs/debezium-server.properties");

    fn verdicts(imp: &Import) -> Vec<(&str, Option<&str>, &str, &str)> {
        imp.properties
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.value.as_deref(),
                    p.verdict.as_str(),
                    p.detail.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn the_guides_kafka_connect_config() {
        let imp = Import::new(KAFKA_CONNECT).unwrap();
        let v = verdicts(&imp);
        let get = |n: &str| *v.iter().find(|r| r.0 == n).unwrap();
        assert_eq!(v.len(), 17);
        assert_eq!(v[0].0, "name");
        assert_eq!(get("heartbeat.inverval.ms").2, "unknown");
        assert!(get("heartbeat.inverval.ms")
            .3
            .contains("did you mean \"heartbeat.interval.ms\"?"));
        assert_eq!(get("database.password").1, None, "secrets are never echoed");
        assert_eq!(get("database.password").2, "connection");
        assert_eq!(get("topic.prefix").2, "option");
        assert_eq!(get("transforms.unwrap.type").2, "not applicable");
        assert!(get("transforms.unwrap.type").3.contains("never applied"));
        assert!(get("transforms.unwrap.drop.tombstones")
            .3
            .contains("removed in Debezium 3.2"));
        assert!(get("delete.handling.mode").3.contains("connector level"));
        assert_eq!(get("topic.creation.default.partitions").2, "not applicable");
        assert_eq!(get("plugin.name").2, "not applicable");
        assert_eq!(
            imp.options,
            vec![
                ("topic.prefix".to_string(), "postgres".to_string()),
                (
                    "table.include.list".to_string(),
                    "public.lineitem".to_string()
                )
            ]
        );
        assert_eq!(
            imp.command(),
            "pg_recvlogical -d \"host='[Your Amazon Aurora PostgreSQL hostname]' port=5432 user=postgresuser dbname=postgres\" --slot debezium --create-slot --if-not-exists -P cedar_cdc --start -o topic.prefix=postgres -o table.include.list=public.lineitem -f -"
        );
        assert!(!imp.command().contains("postgrespw"));
    }

    #[test]
    fn include_schema_changes_stays_off_as_in_debezium() {
        let imp =
            Import::new(r#"{"topic.prefix": "p", "include.schema.changes": "true"}"#).unwrap();
        let v = verdicts(&imp);
        let row = v.iter().find(|r| r.0 == "include.schema.changes").unwrap();
        assert_eq!(row.2, "not applicable");
        assert!(row.3.contains("give it yourself"), "{}", row.3);
        assert_eq!(
            imp.options,
            vec![("topic.prefix".to_string(), "p".to_string())]
        );
    }

    #[test]
    fn the_kinesis_demos_server_properties() {
        let imp = Import::new(SERVER).unwrap();
        let v = verdicts(&imp);
        assert_eq!(
            v,
            vec![
                (
                    "debezium.source.table.include.list",
                    Some("inventory.products,inventory.customers"),
                    "option",
                    "table.include.list"
                ),
                (
                    "debezium.source.column.exculde.list",
                    Some("inventory.products.created_at,inventory.customers.created_at"),
                    "unknown",
                    "Debezium ignores it silently; did you mean \"column.exclude.list\"?"
                ),
            ]
        );
        assert_eq!(
            imp.command(),
            "pg_recvlogical --slot debezium --create-slot --if-not-exists -P cedar_cdc --start -o table.include.list=inventory.products,inventory.customers -f -"
        );
    }

    #[test]
    fn forms_and_quoting() {
        let bare = Import::new(
            r#"{"topic.prefix": "p", "tasks.max": 1, "schemas.enable": false, "slot.name": "s"}"#,
        )
        .unwrap();
        assert_eq!(
            bare.options,
            vec![
                ("topic.prefix".into(), "p".into()),
                ("schemas.enable".into(), "false".into())
            ]
        );
        assert_eq!(bare.slot(), "s");
        let props = Import::new("# comment\n! bang\ntable.include.list = public\\\\.a,\\\n   public\\\\.b\ndatabase.hostname: h b\ndatabase.sslpassword=x\nvalue.converter.schemas.enable=false\ntransforms=unwrap\ntransforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState\ntransforms.unwrap.add.headers=op\ntransforms.unwrap.add.feilds=op\n").unwrap();
        assert_eq!(
            props.options[0],
            ("table.include.list".into(), "public\\.a,public\\.b".into())
        );
        assert_eq!(props.options[1], ("schemas.enable".into(), "false".into()));
        assert_eq!(props.conninfo(), "host='h b'");
        let v = verdicts(&props);
        assert_eq!(v[2].1, None);
        assert_eq!(v[6].2, "unsupported");
        assert_eq!(
            v[7],
            (
                "transforms.unwrap.add.feilds",
                Some("op"),
                "unknown",
                "the transform ignores it silently; did you mean \"transforms.unwrap.add.fields\"?"
            )
        );
        assert!(props
            .command()
            .contains("-o 'table.include.list=public\\.a,public\\.b'"));
        assert_eq!(shell_quote("a'b\\"), "'a'\\''b\\'");
        let srv = Import::new("debezium.sink.type=kinesis\ndebezium.format.value=json\ndebezium.format.value.schemas.enable=false\nquarkus.log.level=INFO\ndebezium.source.offset.storage.file.filename=/x\n").unwrap();
        let v = verdicts(&srv);
        assert_eq!(
            v.iter().map(|r| r.2).collect::<Vec<_>>(),
            vec![
                "not applicable",
                "not applicable",
                "option",
                "not applicable",
                "not applicable"
            ]
        );
        assert_eq!(srv.options, vec![("schemas.enable".into(), "false".into())]);
    }

    #[test]
    fn bad_input_is_an_error_naming_the_property() {
        let e = Import::new("{\"config\": {\"topic.prefix\": \"p\",}}").unwrap_err();
        assert_eq!(e.message, "invalid Debezium configuration: not valid JSON");
        assert_eq!(
            e.detail.as_deref(),
            Some("expected a member name at line 1, column 33")
        );
        let e = Import::new("topic.prefix=p\njust some words\n").unwrap_err();
        assert_eq!(
            e.message,
            "invalid Debezium configuration: line 2 is not a property: \"just some words\""
        );
        let e = Import::new("").unwrap_err();
        assert!(e.message.contains("empty"));
        let e = Import::new(r#"{"config": {"table.include.list": ["a"]}}"#).unwrap_err();
        assert!(e.message.contains("\"table.include.list\""));
        let e = Import::new("transforms=x\ntransforms.x.type=io.confluent.Flatten").unwrap_err();
        assert!(e.message.contains("transforms.x.type"));
        assert!(e.hint.unwrap().contains("ExtractNewRecordState"));
        let e =
            Import::new("key.converter.schemas.enable=true\nvalue.converter.schemas.enable=false")
                .unwrap_err();
        assert_eq!(e.message, "invalid Debezium configuration: property \"value.converter.schemas.enable\" contradicts \"key.converter.schemas.enable\"");
        let e = Import::new("table.include.list=a\ntable.exclude.list=b").unwrap_err();
        assert!(e.message.contains("cannot be used together"));
        let e = Import::new("decimal.handling.mode=exact").unwrap_err();
        assert_eq!(
            e.message,
            "invalid value \"exact\" for option \"decimal.handling.mode\""
        );
        let e = Import::new("topic.prefix=a\ntopic.prefix=b").unwrap_err();
        assert!(e.message.contains("\"topic.prefix\" is given twice"));
        assert!(Import::new("topic.prefix=a\ntopic.prefix=a").is_ok());
    }

    #[test]
    fn every_debezium_property_has_a_verdict_that_is_not_unknown() {
        for p in DEBEZIUM_PROPERTIES.iter().chain(CONNECT_PROPERTIES) {
            let name = p
                .replace("<N>", "3")
                .replace("<algorithm>", "SHA-256")
                .replace("<salt>", "s");
            let imp = match Import::new(&format!("{name}=x")) {
                Ok(i) => i,
                // A value cedar_cdc checks and rejects: the property is an option.
                Err(_) => continue,
            };
            assert_ne!(imp.properties[0].verdict, Verdict::Unknown, "{p}");
        }
    }
}
