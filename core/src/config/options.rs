//! Plugin options, named after Debezium's connector and converter properties so that a
//! Debezium configuration carries over. Unknown options and malformed values are errors that
//! name the option and say what is expected.

use crate::config::filters::Filters;
use crate::config::mappers::Mappers;
use crate::config::regexlist::{KeyColumns, RegexBudget};
use crate::config::transforms::Transforms;
use crate::error::{Error, ErrorCode, Result};

/// `decimal.handling.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalMode {
    Precise,
    String,
    Double,
}

/// `binary.handling.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryMode {
    Bytes,
    Base64,
    Base64UrlSafe,
    Hex,
}

/// `time.precision.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimePrecisionMode {
    Adaptive,
    AdaptiveTimeMicroseconds,
    Connect,
}

/// `interval.handling.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntervalMode {
    Numeric,
    String,
}

/// `hstore.handling.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HstoreMode {
    Json,
    Map,
}

/// What each output message holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// The Debezium value record, as a Kafka Connect `JsonConverter` writes it.
    Value,
    /// `{"topic":…,"key":…,"value":…}` with the key and value records as JSON strings (null
    /// for a Kafka null), including tombstones: ready to be produced to Kafka as is.
    Record,
    /// Binary frames of topic, key and value bytes, and a commit frame after each
    /// transaction: what `cedar-cdc-relay` reads (`encode::frame`).
    Framed,
}

impl OutputFormat {
    /// Whether messages carry topic and key, and tombstones follow deletes.
    pub fn keyed(self) -> bool {
        self != OutputFormat::Value
    }
}

/// `origin`: which replication origins' changes are decoded (pgoutput's option, extended
/// with origin names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginFilter {
    /// Every change, local or replicated (the default).
    Any,
    /// Only changes made locally, with no replication origin.
    None,
    /// Only changes replicated through one of these origins (by name, such as a
    /// subscription's `pg_<oid>` or its initial copy's `pg_<oid>_<relid>`).
    Named(Vec<String>),
}

impl OriginFilter {
    /// Whether a change with this origin (`None` for a local change, else its name when it
    /// still exists) is decoded.
    pub fn accepts(&self, origin: Option<Option<&str>>) -> bool {
        match (self, origin) {
            (OriginFilter::Any, _) => true,
            (OriginFilter::None, o) => o.is_none(),
            (OriginFilter::Named(_), None) => false,
            (OriginFilter::Named(names), Some(name)) => {
                name.is_some_and(|n| names.iter().any(|x| x == n))
            }
        }
    }
}

/// How the rows being encoded were read, which Debezium converts differently in places.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadPath {
    /// Changes decoded from the WAL (Debezium: pgoutput's text values).
    #[default]
    Stream,
    /// Rows read by a snapshot (Debezium: its JDBC `SELECT`, through `ResultSet.getObject`).
    Snapshot,
}

/// The parsed options of one decoding session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `topic.prefix`: the logical server name; `source.name` and the topic prefix.
    pub topic_prefix: String,
    /// `schemas.enable` (JsonConverter): wrap records as `{"schema":…,"payload":…}`.
    pub schemas_enable: bool,
    /// `decimal.handling.mode`.
    pub decimal_mode: DecimalMode,
    /// `binary.handling.mode`.
    pub binary_mode: BinaryMode,
    /// `time.precision.mode`.
    pub time_precision_mode: TimePrecisionMode,
    /// `interval.handling.mode`.
    pub interval_mode: IntervalMode,
    /// `hstore.handling.mode`.
    pub hstore_mode: HstoreMode,
    /// `money.fraction.digits`.
    pub money_fraction_digits: u32,
    /// `include.unknown.datatypes`: columns of types Debezium does not know, as bytes of text.
    pub include_unknown_datatypes: bool,
    /// `unavailable.value.placeholder`, as bytes (a `hex:` prefix is decoded).
    pub unavailable_value_placeholder: Vec<u8>,
    /// `output.format` (cedar_cdc's own): what each message holds.
    pub output_format: OutputFormat,
    /// `tombstones.on.delete`: follow a delete with a tombstone (record format only, since a
    /// tombstone has no value record).
    pub tombstones_on_delete: bool,
    /// `message.key.columns`: key columns instead of the primary key.
    pub message_key_columns: Option<KeyColumns>,
    /// `provide.transaction.metadata`: BEGIN/END records and a `transaction` block per event.
    pub provide_transaction_metadata: bool,
    /// `include.schema.changes`: a schema-change record (topic `<topic.prefix>`) whenever a
    /// captured table's shape changes.
    pub include_schema_changes: bool,
    /// `skipped.operations`: letters of the operations not emitted (`c`, `u`, `d`, `t`).
    pub skipped_operations: String,
    /// `skipped.operations` was given: Debezium then leaves those operations out of its
    /// publication, so transactions made only of them never reach it.
    pub skipped_operations_set: bool,
    /// `topic.heartbeat.prefix`: heartbeat records go to `<this>.<topic.prefix>`.
    pub heartbeat_topic_prefix: String,
    /// `heartbeat.message.prefix` (cedar_cdc's own): logical decoding messages with this
    /// prefix become Debezium heartbeat records instead of message events.
    pub heartbeat_message_prefix: String,
    /// `schema.*`, `table.*`, `column.*` and `message.prefix.*` include/exclude lists.
    pub filters: Filters,
    /// Column mappers (`column.truncate…`, `column.mask…`, `…propagate.source.type`).
    pub mappers: Mappers,
    /// `publication_names` (pgoutput's) or `publication.name` (Debezium's): capture only the
    /// tables of these publications, as pgoutput does.
    pub publication_names: Vec<String>,
    /// `publication.autocreate.mode=filtered`: like Debezium's publication of only the included
    /// tables, transactions touching only excluded tables are not seen at all (no BEGIN/END,
    /// no position update). `all_tables` (the default) and `disabled` see every transaction.
    pub publication_filtered: bool,
    /// `origin`: decode changes of any origin, only local ones, or only named origins'.
    pub origin: OriginFilter,
    /// `transforms` and `transforms.<alias>.*`: the single message transforms run here.
    pub transforms: Transforms,
    /// Not an option: how rows reach the encoder, set by the caller that reads them (a
    /// snapshot); plans follow Debezium's conversions for that path.
    pub read_path: ReadPath,
}

impl Config {
    /// The defaults: every option's default from [`OPTIONS`], parsed by the option itself,
    /// with `topic.prefix` defaulting to the database name.
    pub fn defaults(database: &str) -> Self {
        let mut c = Config::unset();
        let budget = RegexBudget::default();
        for o in OPTIONS {
            let value = match o.default {
                "" => continue,
                DATABASE_NAME => database,
                d => d,
            };
            let input = Input {
                name: o.names().next().unwrap_or(o.name),
                value: Some(value),
                given: false,
                budget: &budget,
            };
            // A default that does not parse is a bug in the table, caught by the tests.
            if let Err(e) = (o.set)(&mut c, &input) {
                unreachable!("default of option \"{}\": {}", o.name, e.message);
            }
        }
        c
    }

    /// Every field before any option is applied. Options without a default leave theirs as
    /// here (no filters, mappers, publications or key columns); the rest are placeholders
    /// that `defaults` overwrites from the table.
    fn unset() -> Self {
        Config {
            topic_prefix: String::new(),
            schemas_enable: false,
            decimal_mode: DecimalMode::Precise,
            binary_mode: BinaryMode::Bytes,
            time_precision_mode: TimePrecisionMode::Adaptive,
            interval_mode: IntervalMode::Numeric,
            hstore_mode: HstoreMode::Json,
            money_fraction_digits: 0,
            include_unknown_datatypes: false,
            unavailable_value_placeholder: Vec::new(),
            output_format: OutputFormat::Value,
            tombstones_on_delete: false,
            message_key_columns: None,
            provide_transaction_metadata: false,
            include_schema_changes: false,
            skipped_operations: String::new(),
            skipped_operations_set: false,
            heartbeat_topic_prefix: String::new(),
            heartbeat_message_prefix: String::new(),
            filters: Filters::default(),
            mappers: Mappers::default(),
            publication_names: Vec::new(),
            publication_filtered: false,
            origin: OriginFilter::Any,
            transforms: Transforms::default(),
            read_path: ReadPath::Stream,
        }
    }

    /// Parses the options given to the slot (name, value; a missing value means "true").
    pub fn parse<'a>(
        database: &str,
        options: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Result<Self> {
        let mut c = Config::defaults(database);
        // A set: lists of many thousands of options must not take quadratic time.
        let mut seen = std::collections::HashSet::new();
        let budget = RegexBudget::default();
        for (name, value) in options {
            if !seen.insert(name) {
                return Err(Error::new(
                    ErrorCode::InvalidParameterValue,
                    format!("option \"{name}\" is given more than once"),
                ));
            }
            let o = OPTIONS
                .iter()
                .find(|o| o.accepts(name))
                .ok_or_else(|| unrecognized(name))?;
            let input = Input {
                name,
                value,
                given: true,
                budget: &budget,
            };
            (o.set)(&mut c, &input)?;
        }
        // A transform's properties are checked together, once all are in.
        c.transforms.finish()?;
        Ok(c)
    }
}

/// One supported option, declared once: what `cedar_cdc.options()`, the README and error
/// hints show, and how its value (given, or its default) is applied.
pub struct OptionSpec {
    /// The accepted names, separated by " / "; `<…>` and `[…]` mark parts the user chooses
    /// (`column.truncate.to.<N>.chars` accepts any `column.truncate.to.….chars`).
    pub name: &'static str,
    /// Parsed as the value when the option is not given, except "" (no default) and "the
    /// database name" (`topic.prefix`, which takes the database's name).
    pub default: &'static str,
    pub description: &'static str,
    /// What the value is: the whole list of kinds is [`ValueKind`], and none of them names a
    /// file, a library or SQL.
    pub kind: ValueKind,
    /// More accepted names, not shown (the description mentions them).
    aliases: &'static [&'static str],
    /// Parses a value into the configuration.
    set: fn(&mut Config, &Input) -> Result<()>,
}

/// What an option's value is, and so all it can do. The plugin is listed in
/// `output_plugin_libraries` (the server's trusted plugins) and its options come from any
/// role that may use a slot: no kind may name a file, a library or a command, or carry SQL.
/// A new kind must be argued for here and in the README's "Nothing gets in".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// `true` or `false`.
    Boolean,
    /// One of a fixed set of words (or a list of them).
    Choice,
    /// A bounded integer.
    Integer,
    /// A name written into the output (logical server name, topic or message prefix).
    Name,
    /// Text or `hex:` bytes written into the output (the TOAST placeholder).
    Text,
    /// Rust regular expressions matched against names, with an optional mapper argument
    /// (a length, a salt, a hash algorithm from a fixed list); compiled within a budget.
    RegexList,
    /// Names looked up in the catalog (publications, replication origins), never run.
    CatalogNames,
    /// `<table regex>:<column>,…`: regular expressions and column names.
    KeyColumns,
    /// Single message transforms: class names from a fixed list and their properties.
    Transform,
}

/// The shown default of `topic.prefix`, which takes the database's name.
const DATABASE_NAME: &str = "the database name";

impl OptionSpec {
    /// The accepted names and name patterns, shown ones first.
    fn names(&self) -> impl Iterator<Item = &'static str> {
        self.name.split(" / ").chain(self.aliases.iter().copied())
    }

    /// Whether `name` is one of this option's names or matches one of its patterns.
    pub(crate) fn accepts(&self, name: &str) -> bool {
        self.names().any(|n| match n.find(['<', '[']) {
            None => n == name,
            Some(i) => {
                let suffix = n.rsplit_once('>').map_or("", |(_, s)| s);
                name.strip_prefix(&n[..i])
                    .is_some_and(|rest| rest.ends_with(suffix))
            }
        })
    }
}

/// An option's value on its way into the configuration.
struct Input<'a> {
    name: &'a str,
    value: Option<&'a str>,
    /// Given in the slot's options rather than taken from the default.
    given: bool,
    /// What the session's regular expressions may still take.
    budget: &'a RegexBudget,
}

impl<'a> Input<'a> {
    fn required(&self) -> Result<&'a str> {
        self.value.ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidParameterValue,
                format!("option \"{}\" requires a value", self.name),
            )
        })
    }

    fn nonempty(&self) -> Result<&'a str> {
        let v = self.required()?;
        if v.is_empty() {
            return Err(self.bad(v, "a non-empty name"));
        }
        Ok(v)
    }

    /// Kafka's boolean config parsing: `true`/`false`, any case; a bare option means true.
    fn boolean(&self) -> Result<bool> {
        match self.value {
            None => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(self.bad(v, "true or false")),
        }
    }

    /// One of a fixed set of values, matched case-insensitively as Debezium's enum configs
    /// are.
    fn choice<T: Copy>(&self, choices: &[(&str, T)]) -> Result<T> {
        let v = self.required()?;
        let t = v.trim();
        choices
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t))
            .map(|(_, c)| *c)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                self.bad(v, &format!("one of {}", names.join(", ")))
            })
    }

    fn bad(&self, value: &str, expected: &str) -> Error {
        Error::new(
            ErrorCode::InvalidParameterValue,
            format!("invalid value \"{value}\" for option \"{}\"", self.name),
        )
        .hint(format!("Expected {expected}."))
    }
}

/// Every supported option, in the order `cedar_cdc.options()` lists them.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "topic.prefix",
        kind: ValueKind::Name,
        default: DATABASE_NAME,
        description: "logical server name: source.name and the prefix of topics and schema names",
        aliases: &[],
        set: |c, o| {
            let v = o.required()?;
            // The plugin parses before it looks the database name up, passing "".
            if v.is_empty() && o.given {
                return Err(o.bad(v, "a non-empty logical server name"));
            }
            c.topic_prefix = v.to_string();
            Ok(())
        },
    },
    OptionSpec {
        name: "schemas.enable",
        kind: ValueKind::Boolean,
        default: "true",
        description: "JsonConverter: wrap each record as {\"schema\":...,\"payload\":...}",
        aliases: &[],
        set: |c, o| {
            c.schemas_enable = o.boolean()?;
            Ok(())
        },
    },
    OptionSpec {
        name: "decimal.handling.mode",
        kind: ValueKind::Choice,
        default: "precise",
        description: "numeric as precise (Connect Decimal), string or double",
        aliases: &[],
        set: |c, o| {
            c.decimal_mode = o.choice(&[
                ("precise", DecimalMode::Precise),
                ("string", DecimalMode::String),
                ("double", DecimalMode::Double),
            ])?;
            Ok(())
        },
    },
    OptionSpec {
        name: "binary.handling.mode",
        kind: ValueKind::Choice,
        default: "bytes",
        description: "bytea as bytes (base64), base64, base64-url-safe or hex",
        aliases: &[],
        set: |c, o| {
            c.binary_mode = o.choice(&[
                ("bytes", BinaryMode::Bytes),
                ("base64", BinaryMode::Base64),
                ("base64-url-safe", BinaryMode::Base64UrlSafe),
                ("hex", BinaryMode::Hex),
            ])?;
            Ok(())
        },
    },
    OptionSpec {
        name: "time.precision.mode",
        kind: ValueKind::Choice,
        default: "adaptive",
        description:
            "adaptive, adaptive_time_microseconds or connect (Kafka Connect's Date/Time/Timestamp)",
        aliases: &[],
        set: |c, o| {
            c.time_precision_mode = o.choice(&[
                ("adaptive", TimePrecisionMode::Adaptive),
                (
                    "adaptive_time_microseconds",
                    TimePrecisionMode::AdaptiveTimeMicroseconds,
                ),
                ("connect", TimePrecisionMode::Connect),
            ])?;
            Ok(())
        },
    },
    OptionSpec {
        name: "interval.handling.mode",
        kind: ValueKind::Choice,
        default: "numeric",
        description: "interval as numeric (MicroDuration) or string (ISO 8601 Interval)",
        aliases: &[],
        set: |c, o| {
            c.interval_mode = o.choice(&[
                ("numeric", IntervalMode::Numeric),
                ("string", IntervalMode::String),
            ])?;
            Ok(())
        },
    },
    OptionSpec {
        name: "hstore.handling.mode",
        kind: ValueKind::Choice,
        default: "json",
        description: "hstore as json (a JSON string) or map (a JSON object)",
        aliases: &[],
        set: |c, o| {
            c.hstore_mode = o.choice(&[("json", HstoreMode::Json), ("map", HstoreMode::Map)])?;
            Ok(())
        },
    },
    OptionSpec {
        name: "money.fraction.digits",
        kind: ValueKind::Integer,
        default: "2",
        description: "scale of money values",
        aliases: &[],
        set: |c, o| {
            let v = o.required()?;
            c.money_fraction_digits = v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| *d <= 18)
                .ok_or_else(|| o.bad(v, "an integer from 0 to 18"))?;
            Ok(())
        },
    },
    OptionSpec {
        name: "include.unknown.datatypes",
        kind: ValueKind::Boolean,
        default: "false",
        description: "emit columns of types Debezium does not know as bytes of their text",
        aliases: &[],
        set: |c, o| {
            c.include_unknown_datatypes = o.boolean()?;
            Ok(())
        },
    },
    OptionSpec {
        name: "unavailable.value.placeholder",
        kind: ValueKind::Text,
        default: "__debezium_unavailable_value",
        description: "marker for unchanged TOASTed values; a hex: prefix gives bytes",
        aliases: &[],
        set: |c, o| {
            let v = o.required()?;
            c.unavailable_value_placeholder = match v.strip_prefix("hex:") {
                Some(h) => decode_hex(h).ok_or_else(|| {
                    o.bad(v, "text, or \"hex:\" and an even number of hex digits")
                })?,
                None => v.as_bytes().to_vec(),
            };
            Ok(())
        },
    },
    OptionSpec {
        name: "tombstones.on.delete",
        kind: ValueKind::Boolean,
        default: "true",
        description: "follow each delete with a tombstone (output.format=record)",
        aliases: &[],
        set: |c, o| {
            c.tombstones_on_delete = o.boolean()?;
            Ok(())
        },
    },
    OptionSpec {
        name: "provide.transaction.metadata",
        kind: ValueKind::Boolean,
        default: "false",
        description:
            "BEGIN/END records on <prefix>.transaction and a transaction block in each event",
        aliases: &[],
        set: |c, o| {
            c.provide_transaction_metadata = o.boolean()?;
            Ok(())
        },
    },
    OptionSpec {
        name: "include.schema.changes",
        kind: ValueKind::Boolean,
        default: "false",
        description: "schema-change records on <prefix> when a captured table's shape changes",
        aliases: &[],
        set: |c, o| {
            c.include_schema_changes = o.boolean()?;
            Ok(())
        },
    },
    OptionSpec {
        name: "skipped.operations",
        kind: ValueKind::Choice,
        default: "t",
        description: "operations not emitted: comma-separated c, u, d, t, or none",
        aliases: &[],
        set: |c, o| {
            let v = o.required()?;
            let mut ops = String::new();
            for item in v.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                match item {
                    "none" => {}
                    "c" | "u" | "d" | "t" => ops.push_str(item),
                    _ => return Err(o.bad(v, "a comma-separated list of c, u, d, t, or none")),
                }
            }
            c.skipped_operations = ops;
            // Only a given list changes Debezium's publication; the default does not.
            c.skipped_operations_set = o.given;
            Ok(())
        },
    },
    OptionSpec {
        name: "topic.heartbeat.prefix",
        kind: ValueKind::Name,
        default: "__debezium-heartbeat",
        description: "heartbeat records go to the topic <this>.<topic.prefix>",
        aliases: &[],
        set: |c, o| {
            c.heartbeat_topic_prefix = o.nonempty()?.to_string();
            Ok(())
        },
    },
    OptionSpec {
        name: "heartbeat.message.prefix",
        kind: ValueKind::Name,
        default: "__debezium-heartbeat",
        description: "logical decoding messages with this prefix become heartbeat records",
        aliases: &[],
        set: |c, o| {
            c.heartbeat_message_prefix = o.nonempty()?.to_string();
            Ok(())
        },
    },
    OptionSpec {
        name: "schema.include.list / schema.exclude.list",
        kind: ValueKind::RegexList,
        default: "",
        description: "regular expressions on schema names: capture only / all but these schemas",
        aliases: &[],
        set: filter_list,
    },
    OptionSpec {
        name: "table.include.list / table.exclude.list",
        kind: ValueKind::RegexList,
        default: "",
        description: "regular expressions on schema.table",
        aliases: &[],
        set: filter_list,
    },
    OptionSpec {
        name: "column.include.list / column.exclude.list",
        kind: ValueKind::RegexList,
        default: "",
        description: "regular expressions on schema.table.column: columns kept in before/after",
        aliases: &[],
        set: filter_list,
    },
    OptionSpec {
        name: "message.prefix.include.list / message.prefix.exclude.list",
        kind: ValueKind::RegexList,
        default: "",
        description: "regular expressions on logical decoding message prefixes",
        aliases: &[],
        set: filter_list,
    },
    OptionSpec {
        name: "column.truncate.to.<N>.chars",
        kind: ValueKind::RegexList,
        default: "",
        description: "columns (regex list) whose strings/bytes are cut to N characters/bytes",
        aliases: &[],
        set: mapper,
    },
    OptionSpec {
        name: "column.mask.with.<N>.chars",
        kind: ValueKind::RegexList,
        default: "",
        description: "character columns (regex list) replaced by N asterisks",
        aliases: &[],
        set: mapper,
    },
    OptionSpec {
        name: "column.mask.hash.[v2.]<algorithm>.with.salt.<salt>",
        kind: ValueKind::RegexList,
        default: "",
        description: "character columns (regex list) replaced by a salted hash",
        aliases: &[],
        set: mapper,
    },
    OptionSpec {
        name: "column.propagate.source.type / datatype.propagate.source.type",
        kind: ValueKind::RegexList,
        default: "",
        description: "columns / schema.table.type names (regex list) whose schema carries the source type",
        aliases: &[],
        set: mapper,
    },
    OptionSpec {
        name: "publication_names",
        kind: ValueKind::CatalogNames,
        default: "",
        description: "capture only the tables of these publications (pgoutput semantics); alias publication.name",
        aliases: &["publication.name"],
        set: |c, o| {
            if !c.publication_names.is_empty() {
                return Err(Error::new(
                    ErrorCode::InvalidParameterValue,
                    "options \"publication_names\" and \"publication.name\" cannot be used together",
                ));
            }
            let v = o.required()?;
            c.publication_names = split_identifiers(v)
                .ok_or_else(|| o.bad(v, "a comma-separated list of publication names"))?;
            Ok(())
        },
    },
    OptionSpec {
        name: "publication.autocreate.mode",
        kind: ValueKind::Choice,
        default: "all_tables",
        description: "filtered: transactions touching only excluded tables are not seen (Debezium's filtered publication)",
        aliases: &[],
        set: |c, o| {
            c.publication_filtered = o.choice(&[
                ("all_tables", false),
                ("disabled", false),
                ("filtered", true),
            ])?;
            Ok(())
        },
    },
    OptionSpec {
        name: "origin",
        kind: ValueKind::CatalogNames,
        default: "any",
        description: "decode changes of any origin, none (local changes only), or only these replication origins (comma-separated names)",
        aliases: &[],
        set: |c, o| {
            let v = o.required()?;
            c.origin = if v.eq_ignore_ascii_case("any") {
                OriginFilter::Any
            } else if v.eq_ignore_ascii_case("none") {
                OriginFilter::None
            } else {
                let names: Vec<String> = v.split(',').map(|n| n.trim().to_string()).collect();
                if names.iter().any(String::is_empty) {
                    return Err(o.bad(
                        v,
                        "any, none, or a comma-separated list of replication origin names",
                    ));
                }
                OriginFilter::Named(names)
            };
            Ok(())
        },
    },
    OptionSpec {
        name: "message.key.columns",
        kind: ValueKind::KeyColumns,
        default: "",
        description:
            "key columns per table: <table regex>:<col>[,<col>...][;...] (else the primary key)",
        aliases: &[],
        set: |c, o| {
            c.message_key_columns =
                Some(KeyColumns::parse_within(o.name, o.required()?, o.budget)?);
            Ok(())
        },
    },
    OptionSpec {
        name: "output.format",
        kind: ValueKind::Choice,
        default: "value",
        description: "value: the value record; record: topic, key and value records; framed: binary frames for cedar-cdc-relay",
        aliases: &[],
        set: |c, o| {
            c.output_format = o.choice(&[
                ("value", OutputFormat::Value),
                ("record", OutputFormat::Record),
                ("framed", OutputFormat::Framed),
            ])?;
            Ok(())
        },
    },
    OptionSpec {
        name: "transforms / transforms.<alias>.<property>",
        kind: ValueKind::Transform,
        default: "",
        description: "single message transforms run in the server, with Kafka Connect's property names: ExtractNewRecordState, RegexRouter, ByLogicalTableRouter",
        aliases: &[],
        set: |c, o| c.transforms.set(o.name, o.required()?),
    },
];

/// `<kind>.include.list` / `<kind>.exclude.list`: the kind and side come from the name.
fn filter_list(c: &mut Config, o: &Input) -> Result<()> {
    let v = o.required()?;
    let (kind, which) = o
        .name
        .rsplit_once('.')
        .map(|(k, _)| k)
        .and_then(|k| k.rsplit_once('.'))
        .unwrap_or(("", ""));
    let include = which == "include";
    let f = &mut c.filters;
    let filter = match kind {
        "schema" => &mut f.schema,
        "table" => &mut f.table,
        "column" => &mut f.column,
        _ => &mut f.message_prefix,
    };
    filter.set_within(kind, include, v, o.budget)
}

/// The column mappers, which read their parameters from the name.
fn mapper(c: &mut Config, o: &Input) -> Result<()> {
    if c.mappers.parse_within(o.name, o.required()?, o.budget)? {
        Ok(())
    } else {
        Err(unrecognized(o.name))
    }
}

fn unrecognized(name: &str) -> Error {
    Error::new(
        ErrorCode::UndefinedObject,
        format!("unrecognized cedar_cdc option \"{name}\""),
    )
    .hint(format!(
        "Valid options are: {}. SELECT * FROM cedar_cdc.options() describes them.",
        names().join(", ")
    ))
}

/// Every option name, for the hint of an unknown-option error.
pub fn names() -> Vec<&'static str> {
    OPTIONS.iter().map(|o| o.name).collect()
}

/// PostgreSQL's `SplitIdentifierString` for a `,` list: trimmed items, double quotes keep
/// case and commas (`""` is a quote), unquoted names are folded to lower case.
pub fn split_identifiers(list: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = list.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        name.push('"');
                    }
                    '"' => break,
                    c => name.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                name.extend(c.to_lowercase());
                chars.next();
            }
        }
        if name.is_empty() {
            return None;
        }
        out.push(name);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => return Some(out),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

fn decode_hex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option and its kind. A new option fails this test until it is classified here,
    /// which is where a reviewer checks that its value cannot name a file, a library or SQL
    /// (the README's "Nothing gets in").
    #[test]
    fn every_option_has_an_allowed_kind() {
        use ValueKind::*;
        let expected: &[(&str, ValueKind)] = &[
            ("topic.prefix", Name),
            ("schemas.enable", Boolean),
            ("decimal.handling.mode", Choice),
            ("binary.handling.mode", Choice),
            ("time.precision.mode", Choice),
            ("interval.handling.mode", Choice),
            ("hstore.handling.mode", Choice),
            ("money.fraction.digits", Integer),
            ("include.unknown.datatypes", Boolean),
            ("unavailable.value.placeholder", Text),
            ("tombstones.on.delete", Boolean),
            ("provide.transaction.metadata", Boolean),
            ("include.schema.changes", Boolean),
            ("skipped.operations", Choice),
            ("topic.heartbeat.prefix", Name),
            ("heartbeat.message.prefix", Name),
            ("schema.include.list / schema.exclude.list", RegexList),
            ("table.include.list / table.exclude.list", RegexList),
            ("column.include.list / column.exclude.list", RegexList),
            (
                "message.prefix.include.list / message.prefix.exclude.list",
                RegexList,
            ),
            ("column.truncate.to.<N>.chars", RegexList),
            ("column.mask.with.<N>.chars", RegexList),
            (
                "column.mask.hash.[v2.]<algorithm>.with.salt.<salt>",
                RegexList,
            ),
            (
                "column.propagate.source.type / datatype.propagate.source.type",
                RegexList,
            ),
            ("publication_names", CatalogNames),
            ("publication.autocreate.mode", Choice),
            ("origin", CatalogNames),
            ("message.key.columns", KeyColumns),
            ("output.format", Choice),
            ("transforms / transforms.<alias>.<property>", Transform),
        ];
        let actual: Vec<(&str, ValueKind)> = OPTIONS.iter().map(|o| (o.name, o.kind)).collect();
        assert_eq!(actual, expected);
        // The allow-list: an exhaustive match, so a new kind does not compile until it is
        // placed on one side; nothing may go on the other.
        for o in OPTIONS {
            let harmless = match o.kind {
                Boolean | Choice | Integer => true,
                Name | Text => true, // written into the output as JSON text
                RegexList | KeyColumns => true, // compiled within the regex budget
                CatalogNames => true, // compared with catalog names
                Transform => true,   // types from a fixed list
            };
            assert!(harmless, "option {} is not of an allowed kind", o.name);
        }
    }

    /// Values that look like paths, libraries or SQL are only text: the plugin writes them
    /// into the output or rejects them, and never opens, loads or runs them.
    #[test]
    fn path_library_and_sql_values_are_only_text() {
        let c = parse(&[
            ("topic.prefix", Some("/etc/passwd")),
            (
                "unavailable.value.placeholder",
                Some("$libdir/evil; DROP TABLE t"),
            ),
            (
                "heartbeat.message.prefix",
                Some("'; COPY t TO PROGRAM 'id'; --"),
            ),
        ])
        .unwrap();
        assert_eq!(c.topic_prefix, "/etc/passwd");
        assert_eq!(
            c.unavailable_value_placeholder,
            b"$libdir/evil; DROP TABLE t".to_vec()
        );
        // A transform type outside the fixed list is an error naming it, never a class load.
        let Err(e) = parse(&[
            ("transforms", Some("x")),
            ("transforms.x.type", Some("/tmp/evil.so")),
        ]) else {
            panic!("an unknown transform type is an error");
        };
        assert!(e.message.contains("transforms.x.type"), "{}", e.message);
        // An unknown hash algorithm too.
        let Err(e) = parse(&[(
            "column.mask.hash./tmp/evil.so.with.salt.s",
            Some("public.t.c"),
        )]) else {
            panic!("an unknown hash algorithm is an error");
        };
        assert!(e.message.contains("column.mask.hash"), "{}", e.message);
    }

    fn parse(opts: &[(&str, Option<&str>)]) -> Result<Config> {
        Config::parse("db", opts.iter().copied())
    }

    #[test]
    fn origin_filter() {
        let any = parse(&[("origin", Some("ANY"))]).unwrap().origin;
        assert!(any.accepts(None) && any.accepts(Some(Some("pg_1"))) && any.accepts(Some(None)));
        let none = parse(&[("origin", Some("none"))]).unwrap().origin;
        assert!(none.accepts(None) && !none.accepts(Some(Some("pg_1"))));
        let named = parse(&[("origin", Some("pg_1, pg_1_2"))]).unwrap().origin;
        assert!(named.accepts(Some(Some("pg_1"))) && named.accepts(Some(Some("pg_1_2"))));
        assert!(!named.accepts(None) && !named.accepts(Some(Some("pg_2"))));
        assert!(
            !named.accepts(Some(None)),
            "a dropped origin is not a named one"
        );
    }

    #[test]
    fn defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.topic_prefix, "db");
        assert!(c.schemas_enable);
        assert_eq!(c.decimal_mode, DecimalMode::Precise);
    }

    #[test]
    fn values() {
        let c = parse(&[
            ("topic.prefix", Some("dbserver1")),
            ("schemas.enable", Some("FALSE")),
            ("decimal.handling.mode", Some("String")),
            ("unavailable.value.placeholder", Some("hex:00ff")),
        ])
        .unwrap();
        assert_eq!(c.topic_prefix, "dbserver1");
        assert!(!c.schemas_enable);
        assert_eq!(c.decimal_mode, DecimalMode::String);
        assert_eq!(c.unavailable_value_placeholder, vec![0, 255]);
        assert!(parse(&[("schemas.enable", None)]).unwrap().schemas_enable);
    }

    #[test]
    fn every_listed_option_is_parsed_with_its_default() {
        for o in OPTIONS {
            let name = o.name.split(' ').next().unwrap_or(o.name);
            let name = name
                .replace("<N>", "3")
                .replace("[v2.]<algorithm>", "SHA-256")
                .replace("<salt>", "s");
            let v = match name.as_str() {
                "topic.prefix" => "x",
                "message.key.columns" => "public.t:id",
                "publication_names" => "p",
                "origin" => "pg_16390, pg_16390_16385",
                "transforms" => "",
                _ if o.default.is_empty() => "public\\.t",
                _ => o.default,
            };
            let r = parse(&[(name.as_str(), Some(v))]);
            assert!(r.is_ok(), "{}: {:?}", o.name, r.err());
        }
        assert_eq!(split_identifiers("a, \"B c"), None, "unbalanced quote");
        assert_eq!(split_identifiers("a,,b"), None, "empty name");
        assert_eq!(
            split_identifiers("Pub1, \"My Pub\"").unwrap(),
            vec!["pub1", "My Pub"]
        );
        let e = parse(&[
            ("table.include.list", Some("a")),
            ("table.exclude.list", Some("b")),
        ])
        .unwrap_err();
        assert!(e.message.contains("cannot be used together"));
    }

    #[test]
    fn errors_name_the_option() {
        let e = parse(&[("include-xids", Some("1"))]).unwrap_err();
        assert_eq!(e.message, "unrecognized cedar_cdc option \"include-xids\"");
        assert_eq!(e.code, ErrorCode::UndefinedObject);
        assert!(e.hint.unwrap().contains("topic.prefix"));
        let e = parse(&[("schemas.enable", Some("yes"))]).unwrap_err();
        assert_eq!(
            e.message,
            "invalid value \"yes\" for option \"schemas.enable\""
        );
        assert_eq!(e.hint.as_deref(), Some("Expected true or false."));
        let e = parse(&[("decimal.handling.mode", Some("exact"))]).unwrap_err();
        assert_eq!(
            e.hint.as_deref(),
            Some("Expected one of precise, string, double.")
        );
        let e = parse(&[("topic.prefix", None)]).unwrap_err();
        assert_eq!(e.message, "option \"topic.prefix\" requires a value");
        let e = parse(&[("topic.prefix", Some(""))]).unwrap_err();
        assert!(e.message.contains("topic.prefix"));
        let e = parse(&[("topic.prefix", Some("a")), ("topic.prefix", Some("b"))]).unwrap_err();
        assert_eq!(e.message, "option \"topic.prefix\" is given more than once");
        let e = parse(&[("origin", Some("pg_1,,pg_2"))]).unwrap_err();
        assert_eq!(
            e.message,
            "invalid value \"pg_1,,pg_2\" for option \"origin\""
        );
        let e = parse(&[("unavailable.value.placeholder", Some("hex:0"))]).unwrap_err();
        assert!(e.message.contains("unavailable.value.placeholder"));
    }

    #[test]
    fn every_default_is_what_giving_it_yields() {
        for o in OPTIONS.iter().filter(|o| !o.default.is_empty()) {
            let name = o.names().next().unwrap();
            let value = if o.default == DATABASE_NAME {
                "db"
            } else {
                o.default
            };
            let mut given = parse(&[(name, Some(value))]).unwrap();
            given.skipped_operations_set = false;
            assert_eq!(given, Config::defaults("db"), "{}", o.name);
        }
        assert_eq!(parse(&[]).unwrap(), Config::defaults("db"));
        assert!(!Config::defaults("db").skipped_operations_set);
        let c = parse(&[("skipped.operations", Some("t"))]).unwrap();
        assert!(c.skipped_operations_set, "given, even as the default");
        assert_eq!(
            Config::defaults("").topic_prefix,
            "",
            "the plugin fills it in"
        );
    }

    #[test]
    fn names_aliases_and_patterns() {
        let named = |n: &str| OPTIONS.iter().find(|o| o.accepts(n)).map(|o| o.name);
        assert_eq!(named("publication.name"), Some("publication_names"));
        assert_eq!(
            named("message.prefix.exclude.list"),
            Some("message.prefix.include.list / message.prefix.exclude.list")
        );
        assert_eq!(
            named("datatype.propagate.source.type"),
            Some("column.propagate.source.type / datatype.propagate.source.type")
        );
        assert_eq!(
            named("column.mask.hash.v2.MD5.with.salt.x"),
            Some("column.mask.hash.[v2.]<algorithm>.with.salt.<salt>")
        );
        assert_eq!(named("column.truncate.to.chars"), None);
        assert_eq!(named("table.include"), None);
        let e = parse(&[
            ("publication_names", Some("a")),
            ("publication.name", Some("b")),
        ])
        .unwrap_err();
        assert_eq!(
            e.message,
            "options \"publication_names\" and \"publication.name\" cannot be used together"
        );
        let e = parse(&[("column.truncate.to.x.chars", Some("a"))]).unwrap_err();
        assert_eq!(
            e.message,
            "invalid option name \"column.truncate.to.x.chars\""
        );
        let e = parse(&[("include-xids", None)]).unwrap_err();
        assert_eq!(e.message, "unrecognized cedar_cdc option \"include-xids\"");
    }

    /// The listing and the hint are what the pg_regress test expects.
    #[test]
    fn listing_matches_the_regress_output() {
        let out = include_str!("../../../pgrx-tests/regress/expected/options.out");
        let rows: Vec<Vec<&str>> = out
            .lines()
            .skip_while(|l| !l.starts_with("SELECT * FROM cedar_cdc.options()"))
            .skip(3)
            .take_while(|l| !l.starts_with('('))
            .map(|l| l.split(" | ").map(str::trim).collect())
            .collect();
        let listed: Vec<Vec<&str>> = OPTIONS
            .iter()
            .map(|o| vec![o.name, o.default, o.description])
            .collect();
        assert_eq!(rows, listed);
        let hint = parse(&[("include-xids", Some("1"))]).unwrap_err().hint;
        assert!(out.contains(&format!("HINT:  {}\n", hint.unwrap())));
    }
}
