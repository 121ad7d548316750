//! The single message transforms a Debezium pipeline applies, configured with Kafka Connect's
//! own property names (`transforms=unwrap`, `transforms.unwrap.type=…`,
//! `transforms.unwrap.<property>`) so that a connector configuration carries over.
//!
//! cedar_cdc runs three of them in the server: Debezium's `ExtractNewRecordState` (the
//! "unwrap"), Kafka's `RegexRouter` and Debezium's `ByLogicalTableRouter`. Anything it cannot
//! run byte for byte like the real transform is an error naming the property, never ignored.

use regex::Regex;

use crate::error::{Error, ErrorCode, Result};

/// `io.debezium.transforms.ExtractNewRecordState`.
pub const UNWRAP: &str = "io.debezium.transforms.ExtractNewRecordState";
/// `org.apache.kafka.connect.transforms.RegexRouter`.
pub const REGEX_ROUTER: &str = "org.apache.kafka.connect.transforms.RegexRouter";
/// `io.debezium.transforms.ByLogicalTableRouter`.
pub const LOGICAL_TABLE_ROUTER: &str = "io.debezium.transforms.ByLogicalTableRouter";
/// The transform classes cedar_cdc runs.
pub const SUPPORTED: &[&str] = &[UNWRAP, REGEX_ROUTER, LOGICAL_TABLE_ROUTER];

/// `ExtractNewRecordState`'s properties as of Debezium 3.6
/// (`ExtractNewRecordStateConfigDefinition.CONFIG_FIELDS` and the drop-fields ones).
pub const UNWRAP_PROPERTIES: &[&str] = &[
    "delete.tombstone.handling.mode",
    "route.by.field",
    "add.fields.prefix",
    "add.fields",
    "add.headers.prefix",
    "add.headers",
    "replace.null.with.default",
    "drop.fields.header.name",
    "drop.fields.from.key",
    "drop.fields.keep.schema.compatible",
];
/// `ExtractNewRecordState` properties removed in Debezium 3.2 (DBZ-6068): 3.6 ignores them.
pub const UNWRAP_REMOVED: &[&str] = &["drop.tombstones", "delete.handling.mode"];
/// `RegexRouter`'s properties.
pub const REGEX_ROUTER_PROPERTIES: &[&str] = &["regex", "replacement"];
/// `ByLogicalTableRouter`'s properties.
pub const LOGICAL_TABLE_ROUTER_PROPERTIES: &[&str] = &[
    "topic.regex",
    "topic.replacement",
    "key.enforce.uniqueness",
    "key.field.regex",
    "key.field.name",
    "key.field.replacement",
    "schema.name.adjustment.mode",
    "logical.table.cache.size",
];
/// Kafka Connect's properties of every transform: predicates are not supported.
pub const GENERIC_PROPERTIES: &[&str] = &["type", "predicate", "negate"];

/// The properties of a transform class (without `type`), or `None` for an unsupported class.
pub fn properties_of(class: &str) -> Option<&'static [&'static str]> {
    match class {
        UNWRAP => Some(UNWRAP_PROPERTIES),
        REGEX_ROUTER => Some(REGEX_ROUTER_PROPERTIES),
        LOGICAL_TABLE_ROUTER => Some(LOGICAL_TABLE_ROUTER_PROPERTIES),
        _ => None,
    }
}

/// `delete.tombstone.handling.mode`: what becomes of deletes and of the tombstones after them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteMode {
    /// Neither the delete nor its tombstone.
    Drop,
    /// The delete becomes a record whose value is null but has the row's schema; the tombstone
    /// is dropped (the default).
    Tombstone,
    /// The delete becomes the old row with `__deleted` "true"; the tombstone is dropped.
    Rewrite,
    /// `Rewrite`, and the tombstone is kept.
    RewriteWithTombstone,
    /// The delete becomes a tombstone (null schema, null value); the tombstone is dropped.
    DeleteToTombstone,
}

impl DeleteMode {
    /// Inserts and updates carry `__deleted` "false", deletes "true".
    pub fn rewrites(self) -> bool {
        matches!(self, DeleteMode::Rewrite | DeleteMode::RewriteWithTombstone)
    }
}

/// Where an `add.fields` entry is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Struct {
    /// The envelope itself: `op`, `ts_ms`, `ts_us`, `ts_ns`.
    Envelope,
    /// The `source` block.
    Source,
    /// The `transaction` block.
    Transaction,
}

/// One `add.fields` entry: `[struct.]field[:new name]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddField {
    pub from: Struct,
    pub field: String,
    /// The field's name in the flattened row, with `add.fields.prefix`.
    pub name: String,
}

/// `ExtractNewRecordState`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unwrap {
    pub delete_mode: DeleteMode,
    pub add_fields: Vec<AddField>,
    /// `route.by.field`: the column whose value becomes the topic.
    pub route_by_field: Option<String>,
}

/// A Java `Pattern` used as `RegexRouter` and `ByLogicalTableRouter` use it: the whole topic
/// must match (`Matcher.matches`), then `replaceFirst` rewrites the first match.
#[derive(Clone, Debug)]
pub struct TopicRewrite {
    whole: Regex,
    first: Regex,
    replacement: Vec<Piece>,
}

impl PartialEq for TopicRewrite {
    fn eq(&self, other: &Self) -> bool {
        self.first.as_str() == other.first.as_str() && self.replacement == other.replacement
    }
}

impl Eq for TopicRewrite {}

/// A piece of a Java replacement string.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Group(usize),
    Named(String),
}

impl TopicRewrite {
    /// Compiles `regex` (case-sensitive, as `Pattern.compile`) and the Java replacement
    /// string; `prop` and `replacement_prop` name the properties in errors.
    pub fn new(prop: &str, regex: &str, replacement_prop: &str, replacement: &str) -> Result<Self> {
        let bad_regex = |e: regex::Error| {
            Error::new(
                ErrorCode::InvalidParameterValue,
                format!("invalid regular expression \"{regex}\" in option \"{prop}\""),
            )
            .detail(e.to_string().lines().last().unwrap_or("").to_string())
        };
        let whole = Regex::new(&format!("^(?:{regex})$")).map_err(bad_regex)?;
        let first = Regex::new(regex).map_err(bad_regex)?;
        let replacement = parse_replacement(replacement_prop, replacement, &first)?;
        Ok(TopicRewrite {
            whole,
            first,
            replacement,
        })
    }

    /// The rewritten topic, or `None` when the regex does not match the whole topic.
    pub fn apply(&self, topic: &str) -> Option<String> {
        if !self.whole.is_match(topic) {
            return None;
        }
        let caps = self.first.captures(topic)?;
        let m = caps.get(0)?;
        let mut out = String::with_capacity(topic.len());
        out.push_str(&topic[..m.start()]);
        for p in &self.replacement {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |c| c.as_str())),
                Piece::Named(n) => out.push_str(caps.name(n).map_or("", |c| c.as_str())),
            }
        }
        out.push_str(&topic[m.end()..]);
        Some(out)
    }
}

/// `Matcher.appendExpandedReplacement`: `\x` is a literal `x`, `$n` a group (further digits
/// are taken while the number stays a group), `${name}` a named group.
fn parse_replacement(prop: &str, s: &str, re: &Regex) -> Result<Vec<Piece>> {
    let groups = re.captures_len() - 1;
    let bad = |why: &str| {
        Error::new(
            ErrorCode::InvalidParameterValue,
            format!("invalid value \"{s}\" for option \"{prop}\""),
        )
        .detail(why.to_string())
        .hint("A replacement is Java's: $1 or ${name} for a group, \\$ for a dollar sign.")
    };
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.push(chars.next().ok_or_else(|| bad("a trailing backslash"))?),
            '$' => {
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                match chars.next() {
                    Some('{') => {
                        let mut name = String::new();
                        loop {
                            match chars.next() {
                                Some('}') => break,
                                Some(c) if c.is_ascii_alphanumeric() => name.push(c),
                                _ => return Err(bad("a named group reference is not closed")),
                            }
                        }
                        if !re.capture_names().flatten().any(|n| n == name) {
                            return Err(bad(&format!("no group with name {{{name}}}")));
                        }
                        out.push(Piece::Named(name));
                    }
                    Some(d) if d.is_ascii_digit() => {
                        let mut n = d as usize - '0' as usize;
                        while let Some(&d) = chars.peek() {
                            let Some(v) = d.to_digit(10) else { break };
                            let next = n * 10 + v as usize;
                            if next > groups {
                                break;
                            }
                            n = next;
                            chars.next();
                        }
                        if n > groups {
                            return Err(bad(&format!("no group {n}")));
                        }
                        out.push(Piece::Group(n));
                    }
                    _ => return Err(bad("illegal group reference")),
                }
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// `ByLogicalTableRouter`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogicalTableRouter {
    pub topic: TopicRewrite,
    /// `key.enforce.uniqueness`: add `key_field_name` to every key.
    pub key_enforce_uniqueness: bool,
    pub key_field_name: String,
    /// `key.field.regex` / `key.field.replacement`: the identifier from the old topic
    /// (else the old topic itself).
    pub key_field: Option<TopicRewrite>,
}

impl LogicalTableRouter {
    /// The physical table identifier written into the key of a record of `old_topic`.
    pub fn identifier(&self, old_topic: &str) -> String {
        self.key_field
            .as_ref()
            .and_then(|k| k.apply(old_topic))
            .unwrap_or_else(|| old_topic.to_string())
    }
}

/// One transform of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Unwrap(Unwrap),
    RegexRouter(TopicRewrite),
    LogicalTableRouter(LogicalTableRouter),
}

/// The `transforms` options: the properties as given, then the chain they configure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transforms {
    /// `transforms`, once given.
    list: Option<String>,
    /// `transforms.<alias>.<property>` in the order given.
    props: Vec<(String, String, String)>,
    /// The transforms in the order of `transforms`, with their aliases.
    pub chain: Vec<(String, Step)>,
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorCode::InvalidParameterValue, msg)
}

fn unsupported(msg: String) -> Error {
    Error::new(ErrorCode::FeatureNotSupported, msg)
}

/// The name in `list` nearest to `name` by edit distance, when it is near enough to be a typo.
pub fn did_you_mean<'a>(name: &str, list: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for cand in list {
        let d = edit_distance(name, cand);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    let limit = (name.chars().count() / 4).clamp(1, 3);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and transpositions
/// of adjacent characters (`exculde` is one step from `exclude`).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// Kafka's boolean parsing (`true`/`false`, any case, trimmed).
fn boolean(name: &str, v: &str) -> Result<bool> {
    match v.trim() {
        t if t.eq_ignore_ascii_case("true") => Ok(true),
        t if t.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(
            invalid(format!("invalid value \"{v}\" for option \"{name}\""))
                .hint("Expected true or false."),
        ),
    }
}

impl Transforms {
    /// Takes `transforms` or one `transforms.<alias>.<property>` option.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        if name == "transforms" {
            self.list = Some(value.to_string());
            return Ok(());
        }
        let rest = name.strip_prefix("transforms.").unwrap_or("");
        match rest.split_once('.') {
            Some((alias, prop)) if !alias.is_empty() && !prop.is_empty() => {
                self.props
                    .push((alias.to_string(), prop.to_string(), value.to_string()));
                Ok(())
            }
            _ => Err(invalid(format!("invalid option name \"{name}\""))
                .hint("Transform properties are transforms.<alias>.<property>.")),
        }
    }

    /// The aliases listed in `transforms`, in order.
    pub fn listed(&self) -> Vec<String> {
        self.list
            .as_deref()
            .map(|l| {
                l.split(',')
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether any transform is configured.
    pub fn is_empty(&self) -> bool {
        self.chain.is_empty()
    }

    /// The `ExtractNewRecordState` of the chain, if any.
    pub fn unwrap(&self) -> Option<&Unwrap> {
        self.chain.iter().find_map(|(_, s)| match s {
            Step::Unwrap(u) => Some(u),
            _ => None,
        })
    }

    /// The topic of a record that is not a change event (transaction, message, heartbeat)
    /// after the chain: RegexRouter renames it, ExtractNewRecordState passes it through, and
    /// [`Transforms::check_topics`] rejects a ByLogicalTableRouter that would match it.
    pub fn route_topic(&self, topic: &str) -> String {
        let mut t = topic.to_string();
        for (_, s) in &self.chain {
            if let Step::RegexRouter(r) = s {
                if let Some(n) = r.apply(&t) {
                    t = n;
                }
            }
        }
        t
    }

    /// Fails when a ByLogicalTableRouter would reroute one of `topics` (the transaction,
    /// message and heartbeat topics): it would rewrite those records' keys, which cedar_cdc
    /// does only for change events.
    pub fn check_topics(&self, topics: &[String]) -> Result<()> {
        for topic in topics {
            let mut t = topic.clone();
            for (alias, s) in &self.chain {
                match s {
                    Step::RegexRouter(r) => {
                        if let Some(n) = r.apply(&t) {
                            t = n;
                        }
                    }
                    Step::LogicalTableRouter(r) if r.topic.apply(&t).is_some() => {
                        return Err(unsupported(format!(
                            "option \"transforms.{alias}.topic.regex\" matches topic \"{t}\""
                        ))
                        .detail("cedar_cdc runs ByLogicalTableRouter on change events only, not on transaction, message or heartbeat records.")
                        .hint("Make the regex match table topics only."));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Builds the chain once every option is in: every listed alias needs a supported type,
    /// every configured alias must be listed, and each property must be one its transform
    /// has and cedar_cdc can honour.
    pub fn finish(&mut self) -> Result<()> {
        let listed = self.listed();
        for (alias, _, _) in &self.props {
            if !listed.contains(alias) {
                return Err(invalid(format!(
                    "transform \"{alias}\" is configured but not listed in option \"transforms\""
                ))
                .detail("Kafka Connect applies only the transforms that \"transforms\" lists, so Debezium never applied it.")
                .hint(format!("Add \"{alias}\" to \"transforms\", or remove the transforms.{alias}.* options.")));
            }
        }
        let mut chain = Vec::new();
        for alias in &listed {
            let props: Vec<(&str, &str)> = self
                .props
                .iter()
                .filter(|(a, _, _)| a == alias)
                .map(|(_, p, v)| (p.as_str(), v.as_str()))
                .collect();
            let type_name = format!("transforms.{alias}.type");
            let Some(class) = props
                .iter()
                .find(|(p, _)| *p == "type")
                .map(|(_, v)| v.trim())
            else {
                return Err(invalid(format!(
                    "transform \"{alias}\" has no option \"{type_name}\""
                ))
                .hint(supported_hint()));
            };
            let step = match class {
                UNWRAP => Step::Unwrap(unwrap(alias, &props)?),
                REGEX_ROUTER => Step::RegexRouter(regex_router(alias, &props)?),
                LOGICAL_TABLE_ROUTER => Step::LogicalTableRouter(logical_router(alias, &props)?),
                other => {
                    return Err(unsupported(format!(
                        "cedar_cdc cannot run transform \"{other}\" of option \"{type_name}\""
                    ))
                    .hint(supported_hint()))
                }
            };
            chain.push((alias.clone(), step));
        }
        // ExtractNewRecordState passes a record it already flattened through unchanged, but
        // treats the null-valued records it made as tombstones: a second one is not run.
        if chain
            .iter()
            .filter(|(_, s)| matches!(s, Step::Unwrap(_)))
            .count()
            > 1
        {
            return Err(unsupported(
                "option \"transforms\" lists ExtractNewRecordState more than once".into(),
            ));
        }
        // route.by.field makes the topic depend on the row; a router after it would have to
        // run per record on it.
        if let Some(i) = chain
            .iter()
            .position(|(_, s)| matches!(s, Step::Unwrap(u) if u.route_by_field.is_some()))
        {
            if let Some((a, _)) = chain[i + 1..]
                .iter()
                .find(|(_, s)| !matches!(s, Step::Unwrap(_)))
            {
                return Err(unsupported(format!(
                    "transform \"{a}\" cannot follow \"transforms.{}.route.by.field\"",
                    chain[i].0
                ))
                .hint("List the router before the ExtractNewRecordState transform."));
            }
        }
        self.chain = chain;
        Ok(())
    }
}

fn supported_hint() -> String {
    format!("cedar_cdc runs these transforms: {}.", SUPPORTED.join(", "))
}

/// Rejects a property its transform does not have (with the nearest name) or that cedar_cdc
/// cannot honour.
fn unknown_property(alias: &str, class: &str, prop: &str, known: &[&str]) -> Error {
    let name = format!("transforms.{alias}.{prop}");
    let e = Error::new(
        ErrorCode::UndefinedObject,
        format!("unrecognized option \"{name}\""),
    )
    .detail(format!(
        "{class} has no property \"{prop}\"; Debezium would ignore it."
    ));
    match did_you_mean(prop, known.iter().copied().chain(["type"])) {
        Some(s) => e.hint(format!("Did you mean \"transforms.{alias}.{s}\"?")),
        None => e.hint(format!("Its properties are: {}.", known.join(", "))),
    }
}

fn generic(alias: &str, prop: &str) -> Option<Error> {
    match prop {
        "type" => None,
        "predicate" | "negate" => Some(unsupported(format!(
            "option \"transforms.{alias}.{prop}\" is not supported: cedar_cdc applies transforms to every record"
        ))),
        _ => None,
    }
}

fn unwrap(alias: &str, props: &[(&str, &str)]) -> Result<Unwrap> {
    let mut delete_mode = DeleteMode::Tombstone;
    let mut add_fields = String::new();
    let mut prefix = "__".to_string();
    let mut route_by_field = None;
    for &(p, v) in props {
        if let Some(e) = generic(alias, p) {
            return Err(e);
        }
        let name = format!("transforms.{alias}.{p}");
        match p {
            "type" => {}
            "delete.tombstone.handling.mode" => {
                delete_mode = match v.trim().to_ascii_lowercase().as_str() {
                    "drop" => DeleteMode::Drop,
                    "tombstone" => DeleteMode::Tombstone,
                    "rewrite" => DeleteMode::Rewrite,
                    "rewrite-with-tombstone" => DeleteMode::RewriteWithTombstone,
                    "delete-to-tombstone" => DeleteMode::DeleteToTombstone,
                    _ => {
                        return Err(invalid(format!(
                            "invalid value \"{v}\" for option \"{name}\""
                        ))
                        .hint("Expected one of drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone."))
                    }
                }
            }
            "add.fields" => add_fields = v.to_string(),
            "add.fields.prefix" => prefix = v.to_string(),
            "route.by.field" => route_by_field = Some(v.trim().to_string()).filter(|f| !f.is_empty()),
            // It only decides whether the rewrite's copy keeps nulls or defaults; JsonConverter
            // writes a null field's default either way.
            "replace.null.with.default" => {
                boolean(&name, v)?;
            }
            "add.headers" | "add.headers.prefix" => {
                return Err(unsupported(format!("option \"{name}\" is not supported"))
                    .detail("cedar_cdc records have no Kafka headers: a message is the value record, or topic, key and value.")
                    .hint(format!("Use transforms.{alias}.add.fields to carry the same values in the row.")))
            }
            "drop.fields.header.name" | "drop.fields.from.key" | "drop.fields.keep.schema.compatible" => {
                return Err(unsupported(format!("option \"{name}\" is not supported"))
                    .detail("It drops the fields named in a header that an earlier transform (such as ExtractChangedRecordState) sets; cedar_cdc runs no such transform, so it would never drop anything."))
            }
            "drop.tombstones" | "delete.handling.mode" => {
                return Err(invalid(format!("option \"{name}\" was removed in Debezium 3.2"))
                    .detail("Debezium 3.6's ExtractNewRecordState ignores it (DBZ-6068).")
                    .hint(format!("Use transforms.{alias}.delete.tombstone.handling.mode: drop, tombstone, rewrite, rewrite-with-tombstone or delete-to-tombstone.")))
            }
            _ => return Err(unknown_property(alias, "ExtractNewRecordState", p, UNWRAP_PROPERTIES)),
        }
    }
    let add_fields = add_fields
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| add_field(alias, &prefix, f))
        .collect::<Result<Vec<_>>>()?;
    Ok(Unwrap {
        delete_mode,
        add_fields,
        route_by_field,
    })
}

/// The fields of the envelope, `source` and `transaction` blocks that `add.fields` can copy.
pub const ENVELOPE_FIELDS: &[&str] = &["op", "ts_ms", "ts_us", "ts_ns"];
pub const SOURCE_FIELDS: &[&str] = &[
    "version",
    "connector",
    "name",
    "ts_ms",
    "snapshot",
    "db",
    "sequence",
    "ts_us",
    "ts_ns",
    "schema",
    "table",
    "txId",
    "lsn",
    "xmin",
    "origin",
    "origin_lsn",
];
pub const TRANSACTION_FIELDS: &[&str] = &["id", "total_order", "data_collection_order"];

/// `AbstractExtractNewRecordState.FieldReference`: `op` and the `ts_*` are the envelope's,
/// `id`, `total_order` and `data_collection_order` the transaction's, anything else the
/// source's; a field a named struct lacks is looked up in the envelope.
fn add_field(alias: &str, prefix: &str, spec: &str) -> Result<AddField> {
    let name = format!("transforms.{alias}.add.fields");
    let bad =
        |why: String| invalid(format!("invalid value \"{spec}\" in option \"{name}\"")).detail(why);
    let (path, rename) = match spec.split(':').collect::<Vec<_>>()[..] {
        [p] => (p, None),
        [p, r] => (p, Some(r)),
        _ => return Err(bad("expected [struct.]field[:new name]".into())),
    };
    let parts: Vec<&str> = path.split('.').collect();
    let (from, field) = match parts[..] {
        [f] => (
            if ENVELOPE_FIELDS.contains(&f) {
                Struct::Envelope
            } else if TRANSACTION_FIELDS.contains(&f) {
                Struct::Transaction
            } else {
                Struct::Source
            },
            f,
        ),
        ["source", f, ..] => (Struct::Source, f),
        ["transaction", f, ..] => (Struct::Transaction, f),
        [s, ..] => {
            return Err(bad(format!(
                "\"{s}\" is not a block of the event; use source or transaction"
            )))
        }
        [] => return Err(bad("an empty field name".into())),
    };
    let in_struct = match from {
        Struct::Envelope => ENVELOPE_FIELDS.contains(&field),
        Struct::Source => SOURCE_FIELDS.contains(&field),
        Struct::Transaction => TRANSACTION_FIELDS.contains(&field),
    };
    let from = if in_struct {
        from
    } else if ENVELOPE_FIELDS.contains(&field) {
        Struct::Envelope
    } else {
        // Debezium silently adds nothing for a field no block has: a typo is caught here.
        let all = SOURCE_FIELDS
            .iter()
            .chain(ENVELOPE_FIELDS)
            .chain(TRANSACTION_FIELDS)
            .copied();
        let e = bad(format!("the event has no field \"{field}\""));
        return Err(match did_you_mean(field, all) {
            Some(s) => e.hint(format!("Did you mean \"{s}\"?")),
            None => e.hint(format!(
                "Fields: {} (source), {} (transaction), {}.",
                SOURCE_FIELDS.join(", "),
                TRANSACTION_FIELDS.join(", "),
                ENVELOPE_FIELDS.join(", ")
            )),
        });
    };
    let name = match rename {
        Some(r) => format!("{prefix}{r}"),
        None if parts.len() == 1 => format!("{prefix}{field}"),
        None => format!("{prefix}{}_{field}", parts[0]),
    };
    Ok(AddField {
        from,
        field: field.to_string(),
        name,
    })
}

fn required<'a>(alias: &str, props: &[(&str, &'a str)], prop: &str) -> Result<&'a str> {
    props
        .iter()
        .rev()
        .find(|(p, _)| *p == prop)
        .map(|(_, v)| *v)
        .ok_or_else(|| invalid(format!("option \"transforms.{alias}.{prop}\" is required")))
}

fn regex_router(alias: &str, props: &[(&str, &str)]) -> Result<TopicRewrite> {
    for &(p, _) in props {
        if let Some(e) = generic(alias, p) {
            return Err(e);
        }
        if p != "type" && !REGEX_ROUTER_PROPERTIES.contains(&p) {
            return Err(unknown_property(
                alias,
                "RegexRouter",
                p,
                REGEX_ROUTER_PROPERTIES,
            ));
        }
    }
    TopicRewrite::new(
        &format!("transforms.{alias}.regex"),
        required(alias, props, "regex")?,
        &format!("transforms.{alias}.replacement"),
        required(alias, props, "replacement")?,
    )
}

fn logical_router(alias: &str, props: &[(&str, &str)]) -> Result<LogicalTableRouter> {
    let name = |p: &str| format!("transforms.{alias}.{p}");
    let mut key_enforce_uniqueness = true;
    let mut key_field_name = "__dbz__physicalTableIdentifier".to_string();
    let mut key_regex: Option<&str> = None;
    let mut key_replacement: Option<&str> = None;
    for &(p, v) in props {
        if let Some(e) = generic(alias, p) {
            return Err(e);
        }
        match p {
            "type" | "topic.regex" | "topic.replacement" => {}
            "key.enforce.uniqueness" => key_enforce_uniqueness = boolean(&name(p), v)?,
            "key.field.name" => key_field_name = v.to_string(),
            "key.field.regex" => key_regex = Some(v.trim()).filter(|r| !r.is_empty()),
            "key.field.replacement" => key_replacement = Some(v),
            "schema.name.adjustment.mode" => {
                if !v.trim().eq_ignore_ascii_case("none") {
                    return Err(unsupported(format!(
                        "value \"{v}\" of option \"{}\" is not supported",
                        name(p)
                    ))
                    .hint("Only none (the default) is supported."));
                }
            }
            // The size of a cache: no effect on the records.
            "logical.table.cache.size" => {
                v.trim().parse::<i32>().map_err(|_| {
                    invalid(format!("invalid value \"{v}\" for option \"{}\"", name(p)))
                        .hint("Expected an integer.")
                })?;
            }
            _ => {
                return Err(unknown_property(
                    alias,
                    "ByLogicalTableRouter",
                    p,
                    LOGICAL_TABLE_ROUTER_PROPERTIES,
                ))
            }
        }
    }
    let topic = TopicRewrite::new(
        &name("topic.regex"),
        required(alias, props, "topic.regex")?,
        &name("topic.replacement"),
        required(alias, props, "topic.replacement")?,
    )?;
    let key_field = match key_regex {
        None => None,
        Some(r) => {
            let rep = key_replacement
                .filter(|k| !k.trim().is_empty())
                .ok_or_else(|| {
                    invalid(format!(
                        "option \"{}\" must be non-empty if \"{}\" is set",
                        name("key.field.replacement"),
                        name("key.field.regex")
                    ))
                })?;
            Some(TopicRewrite::new(
                &name("key.field.regex"),
                r,
                &name("key.field.replacement"),
                rep,
            )?)
        }
    };
    Ok(LogicalTableRouter {
        topic,
        key_enforce_uniqueness,
        key_field_name,
        key_field,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(opts: &[(&str, &str)]) -> Result<Transforms> {
        let mut t = Transforms::default();
        for (n, v) in opts {
            t.set(n, v)?;
        }
        t.finish()?;
        Ok(t)
    }

    #[test]
    fn edit_distances_catch_the_guides_typos() {
        assert_eq!(
            edit_distance("heartbeat.inverval.ms", "heartbeat.interval.ms"),
            1
        );
        assert_eq!(
            edit_distance("column.exculde.list", "column.exclude.list"),
            1
        );
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(
            did_you_mean(
                "column.exculde.list",
                ["column.include.list", "column.exclude.list"]
            ),
            Some("column.exclude.list")
        );
        assert_eq!(did_you_mean("zzzzzzzz", ["column.exclude.list"]), None);
    }

    #[test]
    fn java_replacements() {
        let r =
            TopicRewrite::new("r", r"dbserver1\.(shard[0-9]+)\.(.*)", "p", "all.$2-$1").unwrap();
        assert_eq!(
            r.apply("dbserver1.shard12.customers").as_deref(),
            Some("all.customers-shard12")
        );
        assert_eq!(
            r.apply("x.dbserver1.shard1.c"),
            None,
            "the whole topic must match"
        );
        // replaceFirst replaces the first match, which may be shorter than the whole topic.
        let r = TopicRewrite::new("r", "a|ab", "p", "X").unwrap();
        assert_eq!(r.apply("ab").as_deref(), Some("Xb"));
        // $12 is group 1 then "2" when there is no group 12; \$ is a dollar sign.
        let r = TopicRewrite::new("r", "(a)(b)", "p", "$12\\$${x}").err();
        assert!(r.unwrap().detail.unwrap().contains("{x}"));
        let r = TopicRewrite::new("r", "(a)(b)", "p", "$12\\$").unwrap();
        assert_eq!(r.apply("ab").as_deref(), Some("a2$"));
        let r = TopicRewrite::new("r", "(?P<t>a)b", "p", "${t}!").unwrap();
        assert_eq!(r.apply("ab").as_deref(), Some("a!"));
        let e = TopicRewrite::new("r", "(a)", "p", "$2").unwrap_err();
        assert_eq!(e.message, "invalid value \"$2\" for option \"p\"");
        assert_eq!(e.detail.as_deref(), Some("no group 2"));
        assert!(TopicRewrite::new("r", "a", "p", "x\\").is_err());
        assert!(TopicRewrite::new("r", "a", "p", "$x").is_err());
        assert!(TopicRewrite::new("r", "(", "p", "x").is_err());
    }

    #[test]
    fn chains() {
        let t = build(&[
            ("transforms", "route, unwrap"),
            ("transforms.unwrap.type", UNWRAP),
            (
                "transforms.unwrap.delete.tombstone.handling.mode",
                "Rewrite-With-Tombstone",
            ),
            ("transforms.unwrap.add.fields", "op,source.ts_ms,table:T,id"),
            ("transforms.route.type", LOGICAL_TABLE_ROUTER),
            ("transforms.route.topic.regex", "(.*)"),
            ("transforms.route.topic.replacement", "x"),
        ])
        .unwrap();
        assert_eq!(t.chain.len(), 2);
        let u = t.unwrap().unwrap();
        assert_eq!(u.delete_mode, DeleteMode::RewriteWithTombstone);
        let names: Vec<(&str, Struct)> = u
            .add_fields
            .iter()
            .map(|f| (f.name.as_str(), f.from))
            .collect();
        assert_eq!(
            names,
            vec![
                ("__op", Struct::Envelope),
                ("__source_ts_ms", Struct::Source),
                ("__T", Struct::Source),
                ("__id", Struct::Transaction)
            ]
        );
        // source.op is not in the source block: Debezium takes the envelope's op.
        let t = build(&[
            ("transforms", "u"),
            ("transforms.u.type", UNWRAP),
            ("transforms.u.add.fields", "source.op"),
            ("transforms.u.add.fields.prefix", ""),
        ])
        .unwrap();
        let f = &t.unwrap().unwrap().add_fields[0];
        assert_eq!((f.name.as_str(), f.from), ("source_op", Struct::Envelope));
        assert!(build(&[]).unwrap().is_empty());
        assert!(build(&[("transforms", "")]).unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_property() {
        let e = build(&[("transforms.unwrap.type", UNWRAP)]).unwrap_err();
        assert_eq!(
            e.message,
            "transform \"unwrap\" is configured but not listed in option \"transforms\""
        );
        let e = build(&[("transforms", "x")]).unwrap_err();
        assert_eq!(
            e.message,
            "transform \"x\" has no option \"transforms.x.type\""
        );
        let e = build(&[
            ("transforms", "x"),
            ("transforms.x.type", "com.acme.Flatten"),
        ])
        .unwrap_err();
        assert_eq!(
            e.message,
            "cedar_cdc cannot run transform \"com.acme.Flatten\" of option \"transforms.x.type\""
        );
        assert!(e.hint.unwrap().contains(LOGICAL_TABLE_ROUTER));
        let u = |p: &str, v: &str| {
            build(&[("transforms", "u"), ("transforms.u.type", UNWRAP), (p, v)]).unwrap_err()
        };
        let e = u("transforms.u.drop.tombstones", "false");
        assert_eq!(
            e.message,
            "option \"transforms.u.drop.tombstones\" was removed in Debezium 3.2"
        );
        let e = u("transforms.u.delete.tombstone.handling.mod", "drop");
        assert_eq!(
            e.hint.as_deref(),
            Some("Did you mean \"transforms.u.delete.tombstone.handling.mode\"?")
        );
        let e = u("transforms.u.delete.tombstone.handling.mode", "none");
        assert!(e.message.contains("delete.tombstone.handling.mode"));
        let e = u("transforms.u.add.headers", "op");
        assert_eq!(e.code, ErrorCode::FeatureNotSupported);
        let e = u("transforms.u.add.fields", "tabel");
        assert_eq!(e.hint.as_deref(), Some("Did you mean \"table\"?"));
        let e = u("transforms.u.add.fields", "after.id");
        assert!(e.detail.unwrap().contains("\"after\""));
        let e = u("transforms.u.drop.fields.header.name", "h");
        assert_eq!(e.code, ErrorCode::FeatureNotSupported);
        let e = u("transforms.u.predicate", "p");
        assert!(e.message.contains("transforms.u.predicate"));
        let e = build(&[
            ("transforms", "r"),
            ("transforms.r.type", LOGICAL_TABLE_ROUTER),
            ("transforms.r.topic.regex", "a"),
            ("transforms.r.topic.replacement", "b"),
            ("transforms.r.key.field.regex", "a"),
        ])
        .unwrap_err();
        assert!(e.message.contains("key.field.replacement"));
        let e = build(&[
            ("transforms", "r"),
            ("transforms.r.type", REGEX_ROUTER),
            ("transforms.r.regex", "a"),
        ])
        .unwrap_err();
        assert_eq!(e.message, "option \"transforms.r.replacement\" is required");
        let e = build(&[
            ("transforms", "u,r"),
            ("transforms.u.type", UNWRAP),
            ("transforms.u.route.by.field", "name"),
            ("transforms.r.type", REGEX_ROUTER),
            ("transforms.r.regex", "a"),
            ("transforms.r.replacement", "b"),
        ])
        .unwrap_err();
        assert!(e.message.contains("cannot follow"));
        let mut t = Transforms::default();
        assert!(t.set("transforms.x", "y").is_err());
    }
}
